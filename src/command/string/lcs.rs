//! `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]`: the longest common
//! subsequence of two strings, by Redis's dynamic programme (`t_string.c`), with its
//! bound on the table: `(len1 + 1) × (len2 + 1)` 32-bit cells may take at most
//! `proto-max-bulk-len` bytes.

use super::super::args;
use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::Entry;
use crate::protocol::reply::ReplyWriter;

/// One matched range: positions in the first and the second string (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// The range in the first string.
    pub a: (u32, u32),
    /// The range in the second string.
    pub b: (u32, u32),
}

impl Match {
    /// The range's length (`WITHMATCHLEN`).
    pub fn match_len(&self) -> u32 {
        self.a.1 - self.a.0 + 1
    }
}

/// The result of the programme: the subsequence and the ranges, last first (as
/// Redis emits them).
#[derive(Debug, PartialEq, Eq)]
pub struct Lcs {
    /// The longest common subsequence.
    pub text: Vec<u8>,
    /// Its matched ranges of at least `min_len`, from the end backwards.
    pub matches: Vec<Match>,
}

/// The table's size in bytes, if it can be counted at all.
pub fn table_bytes(a: usize, b: usize) -> Option<u64> {
    (a as u64 + 1).checked_mul(b as u64 + 1)?.checked_mul(4)
}

/// Runs the programme on `a` and `b` (the caller checked [`table_bytes`]).
pub fn lcs(a: &[u8], b: &[u8], min_len: u64) -> Lcs {
    let width = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * width];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let at = |i: usize, j: usize| table[i * width + j];
    let mut idx = at(a.len(), b.len()) as usize;
    let mut text = vec![0u8; idx];
    let mut matches = Vec::new();
    let (mut i, mut j) = (a.len(), b.len());
    // `a_start == None`: no range open.
    let mut range: Option<Match> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            text[idx - 1] = a[i - 1];
            match &mut range {
                None => {
                    let (x, y) = ((i - 1) as u32, (j - 1) as u32);
                    range = Some(Match { a: (x, x), b: (y, y) });
                }
                Some(r) if r.a.0 as usize == i && r.b.0 as usize == j => {
                    r.a.0 -= 1;
                    r.b.0 -= 1;
                }
                Some(_) => emit = true,
            }
            if range.is_some_and(|r| r.a.0 == 0 || r.b.0 == 0) {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = range.is_some();
        }
        if emit {
            if let Some(r) = range.take() {
                if min_len == 0 || r.match_len() as u64 >= min_len {
                    matches.push(r);
                }
            }
        }
    }
    Lcs { text, matches }
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]`.
pub(super) fn lcs_command(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let (k1, k2) = (args.next_bytes()?, args.next_bytes()?);
    let max_table = ctx.state.config.load().proto_max_bulk_len;
    let (a, b) = ctx.db().read_many([&k1[..], &k2[..]].into_iter(), ctx.now_ms, |view| {
        let a = view.get(k1).map(Entry::string).transpose();
        let b = view.get(k2).map(Entry::string).transpose();
        match (a, b) {
            (Ok(a), Ok(b)) => Ok((a.unwrap_or(&[]).to_vec(), b.unwrap_or(&[]).to_vec())),
            _ => Err(CommandError::err("The specified keys must contain string values")),
        }
    })?;
    let (mut len_only, mut idx, mut with_len, mut min_len) = (false, false, false, 0u64);
    while let Some(option) = args.peek() {
        args.next_bytes()?;
        if args::is(option, "IDX") {
            idx = true;
        } else if args::is(option, "LEN") {
            len_only = true;
        } else if args::is(option, "WITHMATCHLEN") {
            with_len = true;
        } else if args::is(option, "MINMATCHLEN") && !args.is_done() {
            min_len = args.next_i64()?.max(0) as u64;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if len_only && idx {
        return Err(CommandError::err("If you want both the length and indexes, please just use IDX."));
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CommandError::err("String too long for LCS"));
    }
    match table_bytes(a.len(), b.len()) {
        Some(bytes) if bytes > max_table => {
            return Err(CommandError::err(
                "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
            ))
        }
        None => {
            return Err(CommandError::err("Insufficient memory, failed allocating transient memory for LCS"))
        }
        Some(_) => {}
    }
    let result = lcs(&a, &b, min_len);
    reply(ctx.out, &result, idx, len_only, with_len);
    REPLIED
}

fn reply(out: &mut ReplyWriter, result: &Lcs, idx: bool, len_only: bool, with_len: bool) {
    if idx {
        out.map(2);
        out.bulk(b"matches");
        out.array(result.matches.len());
        for m in &result.matches {
            out.array(2 + with_len as usize);
            out.array(2);
            out.integer(m.a.0 as i64);
            out.integer(m.a.1 as i64);
            out.array(2);
            out.integer(m.b.0 as i64);
            out.integer(m.b.1 as i64);
            if with_len {
                out.integer(m.match_len() as i64);
            }
        }
        out.bulk(b"len");
        out.integer(result.text.len() as i64);
    } else if len_only {
        out.integer(result.text.len() as i64);
    } else {
        out.bulk(&result.text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_s_example() {
        let r = lcs(b"ohmytext", b"mynewtext", 0);
        assert_eq!(r.text, b"mytext");
        assert_eq!(r.matches, vec![Match { a: (4, 7), b: (5, 8) }, Match { a: (2, 3), b: (0, 1) }]);
        let r = lcs(b"ohmytext", b"mynewtext", 4);
        assert_eq!(r.matches, vec![Match { a: (4, 7), b: (5, 8) }]);
    }

    #[test]
    fn empty_and_disjoint_strings() {
        assert_eq!(lcs(b"", b"abc", 0), Lcs { text: vec![], matches: vec![] });
        assert_eq!(lcs(b"abc", b"xyz", 0).text, b"");
        assert_eq!(lcs(b"abc", b"abc", 0).matches, vec![Match { a: (0, 2), b: (0, 2) }]);
    }

    #[test]
    fn the_table_bound_is_counted_without_overflow() {
        assert_eq!(table_bytes(0, 0), Some(4));
        assert_eq!(table_bytes(9, 9), Some(400));
        assert!(table_bytes(usize::MAX / 2, usize::MAX / 2).is_none());
    }
}
