//! Reading typed values out of command arguments, with Redis's error for each.

use crate::protocol::parser::parse_i64;

use super::CommandError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
