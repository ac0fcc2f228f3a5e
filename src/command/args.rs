//! The argument cursor handlers read their arguments through, with Redis's error for
//! each way an argument can be wrong, and the parsing of typed values.
//!
//! ```text
//! let key = args.next_bytes()?;          // the next argument, or `ERR syntax error`
//! let n = args.next_i64()?;              // `ERR value is not an integer or out of range`
//! if args.flag("NX") { … }               // an optional keyword, consumed if present
//! args.finish()?;                        // `ERR syntax error` if anything is left
//! ```
//!
//! The arity check happens before the handler runs, so the arguments a command
//! always has are there; the cursor's errors are for options and their values.

use bytes::Bytes;

use super::CommandError;
use crate::number::parse_i64;

/// A cursor over one request's arguments: `all()[0]` is the command's name and the
/// cursor starts after it (after the subcommand, for a subcommand).
#[derive(Debug, Clone)]
pub struct Args<'a> {
    all: &'a [Bytes],
    next: usize,
}

impl<'a> Args<'a> {
    /// A cursor over `all`, positioned at `start`.
    pub fn new(all: &'a [Bytes], start: usize) -> Self {
        Args { all, next: start.min(all.len()) }
    }

    /// The whole request, name included (for logging a command as it was given).
    pub fn all(&self) -> &'a [Bytes] {
        self.all
    }

    /// The arguments not read yet.
    pub fn rest(&self) -> &'a [Bytes] {
        &self.all[self.next..]
    }

    /// How many arguments are left.
    pub fn remaining(&self) -> usize {
        self.all.len() - self.next
    }

    /// Whether every argument has been read.
    pub fn is_done(&self) -> bool {
        self.next == self.all.len()
    }

    /// The next argument without consuming it.
    pub fn peek(&self) -> Option<&'a Bytes> {
        self.all.get(self.next)
    }

    /// The next argument, or `ERR syntax error` when there is none.
    pub fn next_bytes(&mut self) -> Result<&'a Bytes, CommandError> {
        let arg = self.all.get(self.next).ok_or(CommandError::Syntax)?;
        self.next += 1;
        Ok(arg)
    }

    /// The next argument as an integer (`ERR value is not an integer or out of
    /// range`; `ERR syntax error` when there is none).
    pub fn next_i64(&mut self) -> Result<i64, CommandError> {
        int(self.next_bytes()?)
    }

    /// The next argument as a float (`ERR value is not a valid float`).
    pub fn next_f64(&mut self) -> Result<f64, CommandError> {
        float(self.next_bytes()?)
    }

    /// Consumes the next argument if it is `word` (ignoring case).
    pub fn flag(&mut self, word: &str) -> bool {
        let matches = self.peek().is_some_and(|arg| is(arg, word));
        if matches {
            self.next += 1;
        }
        matches
    }

    /// Consumes the next argument if it is one of `words` (ignoring case), and says
    /// which (its index in `words`).
    pub fn one_of(&mut self, words: &[&str]) -> Option<usize> {
        let arg = self.peek()?;
        let found = words.iter().position(|w| is(arg, w))?;
        self.next += 1;
        Some(found)
    }

    /// `ERR syntax error` if any argument is left.
    pub fn finish(&self) -> Result<(), CommandError> {
        if self.is_done() {
            Ok(())
        } else {
            Err(CommandError::Syntax)
        }
    }
}

/// An integer argument (`ERR value is not an integer or out of range` otherwise).
pub fn int(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or(CommandError::NotInteger)
}

/// A 32-bit integer argument, with Redis's errors for each way it can fail.
pub fn int32(arg: &[u8]) -> Result<i32, CommandError> {
    let value = int(arg)?;
    i32::try_from(value).map_err(|_| {
        CommandError::err("value is out of range, value must between -2147483648 and 2147483647")
    })
}

/// A float argument as Redis's `string2ld` reads it: no surrounding space, not NaN
/// (`ERR value is not a valid float` otherwise).
pub fn float(arg: &[u8]) -> Result<f64, CommandError> {
    parse_float(arg).ok_or(CommandError::NotFloat)
}

/// Parses a float like Redis does; `None` when it is not one.
pub fn parse_float(text: &[u8]) -> Option<f64> {
    if text.is_empty() || text.len() > 5 * 1024 {
        return None;
    }
    if text[0].is_ascii_whitespace() || text[text.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    (!value.is_nan()).then_some(value)
}

/// Whether `arg` equals the upper-case `word`, ignoring case.
#[inline]
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// An argument as text for error messages and names (invalid UTF-8 replaced).
pub fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// A database index argument: an integer (`ERR value is not an integer or out of
/// range`) within `0..DATABASES` (`ERR DB index is out of range`).
pub fn db_index(arg: &[u8]) -> Result<usize, CommandError> {
    let index = int32(arg)?;
    if (0..crate::engine::DATABASES as i64).contains(&(index as i64)) {
        Ok(index as usize)
    } else {
        Err(CommandError::DbIndexOutOfRange)
    }
}

/// The arguments as byte slices, for recording a command as it was given.
pub fn as_slices(args: &[Bytes]) -> Vec<&[u8]> {
    args.iter().map(|a| &a[..]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(line: &str) -> Vec<Bytes> {
        line.split(' ').map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    #[test]
    fn floats_read_like_redis() {
        assert_eq!(parse_float(b"1.5"), Some(1.5));
        assert_eq!(parse_float(b"5.0e3"), Some(5000.0));
        assert_eq!(parse_float(b"-.5"), Some(-0.5));
        assert_eq!(parse_float(b" 1"), None);
        assert_eq!(parse_float(b"1 "), None);
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b"abc"), None);
        assert_eq!(parse_float(b""), None);
    }

    #[test]
    fn the_cursor_reads_values_flags_and_the_end() {
        let all = request("set k 12 nx 1.5 EX");
        let mut args = Args::new(&all, 1);
        assert_eq!(args.next_bytes().unwrap().as_ref(), b"k");
        assert_eq!(args.next_i64(), Ok(12));
        assert!(!args.flag("XX"));
        assert!(args.flag("NX"));
        assert_eq!(args.next_f64(), Ok(1.5));
        assert_eq!(args.remaining(), 1);
        assert_eq!(args.finish(), Err(CommandError::Syntax));
        assert_eq!(args.one_of(&["PX", "EX"]), Some(1));
        assert!(args.is_done() && args.finish().is_ok());
        assert_eq!(args.next_bytes(), Err(CommandError::Syntax));
        assert_eq!(args.next_i64(), Err(CommandError::Syntax));
        assert_eq!(args.all().len(), 6);
    }

    #[test]
    fn bad_numbers_get_redis_errors() {
        let all = request("x 1x 2.5 nan");
        let mut args = Args::new(&all, 1);
        assert_eq!(args.next_i64(), Err(CommandError::NotInteger));
        assert_eq!(args.next_i64(), Err(CommandError::NotInteger));
        assert_eq!(args.next_f64(), Err(CommandError::NotFloat));
        assert!(int32(b"2147483648").unwrap_err().to_string().contains("out of range"));
        assert_eq!(db_index(b"16"), Err(CommandError::DbIndexOutOfRange));
        assert_eq!(db_index(b"-1"), Err(CommandError::DbIndexOutOfRange));
        assert_eq!(db_index(b"15"), Ok(15));
    }
}
