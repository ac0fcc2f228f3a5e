//! How two replies are judged equal: byte for byte, except where Redis itself leaves
//! the answer unordered (`KEYS`), random (`RANDOMKEY`, judged by the runner) or
//! dependent on the clock (`TTL`, `PTTL`, and `EXPIRETIME`/`PEXPIRETIME` of relative
//! expiries).

use std::collections::HashSet;

use crate::pools::strict_i64;
use crate::step::Check;
use crate::wire::{as_integer, reply_len, split_aggregate};

/// The most `TTL` may differ by: the two servers read their clocks a moment apart and
/// round to seconds.
pub const TTL_TOLERANCE: i64 = 1;

/// The most `PTTL` may differ by (generous: a debug build on a busy machine).
pub const PTTL_TOLERANCE: i64 = 1500;

/// The absolute expiry times the generator has sent (`EXAT`, `PXAT`, `EXPIREAT`,
/// `PEXPIREAT`), as `EXPIRETIME` and `PEXPIRETIME` report them. When Redis answers one
/// of these, FerrumKV must answer exactly the same; any other positive answer comes
/// from a relative expiry (`EX`, `EXPIRE` …) and may differ by the time between the two
/// requests.
#[derive(Default)]
pub struct Deadlines {
    secs: HashSet<i64>,
    millis: HashSet<i64>,
}

impl Deadlines {
    /// Notes an absolute time argument (`in_secs`: seconds, else milliseconds).
    pub fn note(&mut self, in_secs: bool, text: &[u8]) {
        let Some(value) = strict_i64(text) else { return };
        if in_secs {
            if let Some(ms) = value.checked_mul(1000) {
                self.millis.insert(ms);
                self.secs.insert(value);
            }
        } else {
            self.millis.insert(value);
            // EXPIRETIME rounds the millisecond deadline to the nearest second.
            self.secs.insert(((value as i128 + 500) / 1000) as i64);
        }
    }

    /// Whether `value` is a noted deadline in milliseconds (`millis`) or seconds.
    pub fn known(&self, millis: bool, value: i64) -> bool {
        if millis { &self.millis } else { &self.secs }.contains(&value)
    }
}

/// The rounded `EXPIRETIME` of a deadline of `i64::MAX` ms (only such deadlines,
/// from the feature `deadline_max`, round past `i64::MAX / 1000`).
const MAX_DEADLINE_SECS: &[u8] = b":9223372036854776\r\n";

/// A hint for the report when a difference under `check` may come from another
/// feature than the command's own: an EXPIRETIME of a key whose deadline one
/// `deadline_max` command set.
pub fn hint(check: Check, redis: &[u8]) -> &'static str {
    if check == (Check::Deadline { millis: false }) && redis == MAX_DEADLINE_SECS {
        "a deadline of i64::MAX ms, set by the feature deadline_max"
    } else {
        ""
    }
}

/// Compares the replies of the two servers under `check`; `Err` explains a difference
/// when the bytes alone do not. `RandomKey` only checks that both replies are of the
/// same kind here: the runner asks the servers the rest.
pub fn compare(check: Check, redis: &[u8], ferrum: &[u8], deadlines: &Deadlines) -> Result<(), String> {
    if redis == ferrum {
        return Ok(());
    }
    match check {
        Check::Exact => Err(String::new()),
        Check::Unordered => same_in_any_order(split_aggregate(redis), split_aggregate(ferrum), "elements"),
        Check::UnorderedPairs => same_pairs(redis, ferrum),
        Check::ScanPairs => match (split_aggregate(redis), split_aggregate(ferrum)) {
            (Some((rh, r)), Some((fh, f))) if rh == fh && r.len() == 2 && f.len() == 2 && r[0] == f[0] => {
                same_pairs(r[1], f[1])
            }
            _ => Err(String::new()),
        },
        Check::SameShape => {
            let first_line = |reply: &[u8]| reply.split(|&b| b == b'\n').next().map(<[u8]>::to_vec);
            // One pick is a bulk string of whatever length; several, an array of n.
            let both_bulk = redis.starts_with(b"$") && ferrum.starts_with(b"$");
            if !redis.starts_with(b"-") && (both_bulk || first_line(redis) == first_line(ferrum)) {
                Ok(())
            } else {
                Err("different kinds or lengths of reply".into())
            }
        }
        Check::RandomKey => {
            let kind = |reply: &[u8]| reply.first().copied();
            if kind(redis) == kind(ferrum) && !redis.starts_with(b"-") {
                Ok(())
            } else {
                Err("different kinds of reply".into())
            }
        }
        Check::Remaining { tolerance } => within(redis, ferrum, tolerance),
        Check::Deadline { millis } => match as_integer(redis) {
            Some(value) if deadlines.known(millis, value) => {
                Err("an absolute expiry time the test sent: must be exact".into())
            }
            _ => within(redis, ferrum, if millis { PTTL_TOLERANCE } else { TTL_TOLERANCE }),
        },
    }
}

/// Whether two flat arrays (or RESP3 maps) hold the same pairs in any order.
fn same_pairs(redis: &[u8], ferrum: &[u8]) -> Result<(), String> {
    same_in_any_order(split_pairs(redis), split_pairs(ferrum), "pairs")
}

/// Whether two split replies have the same header and the same items in any order
/// (`what` names the items in the difference).
fn same_in_any_order<H: PartialEq, T: Ord>(
    redis: Option<(H, Vec<T>)>,
    ferrum: Option<(H, Vec<T>)>,
    what: &str,
) -> Result<(), String> {
    match (redis, ferrum) {
        (Some((rh, mut r)), Some((fh, mut f))) if rh == fh => {
            r.sort();
            f.sort();
            if r == f {
                Ok(())
            } else {
                Err(format!("different {what} (compared in any order)"))
            }
        }
        _ => Err(String::new()),
    }
}

/// One field and its value, as encoded replies.
type Pair<'a> = (&'a [u8], &'a [u8]);

/// The header and the (field, value) pairs of a flat array of an even length or a
/// RESP3 map (`%n`, n pairs).
fn split_pairs(reply: &[u8]) -> Option<(&[u8], Vec<Pair<'_>>)> {
    let (&kind, _) = reply.split_first()?;
    if kind != b'*' && kind != b'%' {
        return None;
    }
    let eol = reply.windows(2).position(|w| w == b"\r\n")?;
    let count: usize = std::str::from_utf8(&reply[1..eol]).ok()?.parse().ok()?;
    let items = if kind == b'%' { 2 * count } else { count };
    if items % 2 != 0 {
        return None;
    }
    let mut at = eol + 2;
    let mut elements = Vec::with_capacity(items);
    for _ in 0..items {
        let len = reply_len(&reply[at..]).ok()??;
        elements.push(&reply[at..at + len]);
        at += len;
    }
    Some((&reply[..eol + 2], elements.chunks(2).map(|c| (c[0], c[1])).collect()))
}

/// Integer replies equal when either is negative (-1 no TTL, -2 no key), else within
/// `tolerance` of each other.
fn within(redis: &[u8], ferrum: &[u8], tolerance: i64) -> Result<(), String> {
    match (as_integer(redis), as_integer(ferrum)) {
        (Some(r), Some(f)) if r >= 0 && f >= 0 => {
            if (r as i128 - f as i128).abs() <= tolerance as i128 {
                Ok(())
            } else {
                Err(format!("differ by more than the tolerance of {tolerance}"))
            }
        }
        _ => Err(String::new()),
    }
}
