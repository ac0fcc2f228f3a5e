//! What the generators draw from: a small pool of keys (so commands collide), values of
//! every shape that matters to a string command, integers at and past the `i64`
//! limits, database indexes, and expiry times, plus the rules (as Redis applies them)
//! that tell a valid number from an invalid one.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::rng::Rng;

/// The key pool: short names that collide often, then the awkward ones (empty,
/// binary, CR LF, a space, a hash tag, UTF-8).
#[rustfmt::skip]
pub const KEYS: &[&[u8]] = &[
    b"a", b"b", b"c", b"k1", b"k2", b"n", b"", b"\x00", b"\xff\xfe\r\n", b"sp ace", b"{t}x",
    b"\xd0\xba\xd0\xbb",
];

/// How many of [`KEYS`] (from the start) are the common ones.
const COMMON_KEYS: usize = 6;

/// Integer texts, canonical or not: `i64` limits and one past them, leading zeros,
/// signs, spaces, exponents, hex, junk.
#[rustfmt::skip]
pub const INT_TEXTS: &[&str] = &[
    "0", "1", "-1", "7", "42", "-42", "100", "9223372036854775807", "-9223372036854775808",
    "9223372036854775806", "-9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "18446744073709551616", "007", "00", "-007", "+5", "-0", " 3", "3 ", "1e3", "0x1f", "12abc", "", "1.0",
    "-", "99999999999999999999999",
];

/// Texts that look like floats to some parser or other.
#[rustfmt::skip]
pub const FLOAT_TEXTS: &[&str] = &[
    "1.5", "-0.25", "3.0", "2.75", "1e2", ".5", "5.", "inf", "-inf", "nan", "1.7976931348623157e308",
    "1e-320", "0.1", "-1.25e1", "1,5", "infinity", "1e400", "0x1p3", "0x1f.8",
];

/// Plain words and awkward bytes.
pub const WORDS: &[&[u8]] =
    &[b"v", b"hello", b"hello world", b"x", b"\x00\x01\xff", b"\r\n", b"\xc3\xa9", b"-"];

/// Database indexes that exist in the pool the keyspace family moves between.
pub const DBS: &[&str] = &["0", "1", "2", "3"];

/// Database indexes that are not valid: out of range, negative, not integers, past
/// `int`, past `i64`.
pub const BAD_DBS: &[&str] =
    &["16", "-1", "abc", "", "1.0", " 1", "+1", "01", "2147483648", "4294967297", "9223372036854775808"];

/// Far-future absolute expiry times in seconds (all after 2096, see
/// [`Deadlines`](crate::check::Deadlines)); the last valid one for `EXPIREAT`
/// (`* 1000` just fits in `i64`) is included.
pub const FUTURE_SECS: &[i64] = &[4_102_444_800, 4_102_444_801, 4_200_000_000, 9_223_372_036_854_775];

/// Far-future absolute expiry times in milliseconds, with neighbours that round
/// differently to seconds, and `i64::MAX`.
#[rustfmt::skip]
pub const FUTURE_MS: &[i64] = &[
    4_102_444_800_000, 4_102_444_800_001, 4_102_444_800_499, 4_102_444_800_500, 4_200_000_000_000, i64::MAX,
];

/// Absolute times long past (seconds or milliseconds alike).
pub const PAST: &[i64] = &[1, 1000, 1_600_000_000];

/// Expiry texts that are not integers to Redis, or sit at the edges of overflow in
/// one unit or another (valid in some commands, invalid in others).
#[rustfmt::skip]
pub const ODD_TIMES: &[&str] = &[
    "abc", "1.5", "", " 100", "+100", "0x10", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "9223372036854775", "-9223372036854775", "9223372036854776",
];

/// A key: usually a common one, sometimes an awkward one.
pub fn key(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(75) {
        KEYS[rng.below(COMMON_KEYS as u64) as usize].to_vec()
    } else {
        rng.pick(KEYS).to_vec()
    }
}

/// An integer text: from [`INT_TEXTS`], or a random `i64` of any size.
pub fn int_text(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0..=4 => rng.pick(INT_TEXTS).as_bytes().to_vec(),
        5..=7 => rng.range(-1000, 1000).to_string().into_bytes(),
        _ => (rng.next_u64() as i64 >> rng.below(63)).to_string().into_bytes(),
    }
}

/// A value of any shape: integers, floats, words, long and empty strings, random bytes.
pub fn value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(100) {
        0..=34 => int_text(rng),
        35..=44 => quarter(rng, 1_000_000).into_bytes(),
        45..=52 => rng.pick(FLOAT_TEXTS).as_bytes().to_vec(),
        53..=77 => rng.pick(WORDS).to_vec(),
        78..=82 => vec![b'x' + rng.below(3) as u8; rng.range(100, 3000) as usize],
        83..=87 => Vec::new(),
        _ => (0..rng.below(40)).map(|_| rng.next_u64() as u8).collect(),
    }
}

/// A multiple of 0.25 of magnitude below `limit`, as a plain decimal (`-12.75`, `3`).
pub fn quarter(rng: &mut Rng, limit: i64) -> String {
    let quarters = rng.range(-4 * limit + 1, 4 * limit - 1);
    let whole = (quarters / 4).to_string();
    let sign = if quarters < 0 && quarters / 4 == 0 { "-" } else { "" };
    match (quarters % 4).abs() {
        0 => whole,
        1 => format!("{sign}{whole}.25"),
        2 => format!("{sign}{whole}.5"),
        _ => format!("{sign}{whole}.75"),
    }
}

/// An offset or index for GETRANGE / SETRANGE: small ones mostly, negative ones, the
/// `i64` limits, and a few that are not numbers.
pub fn index(rng: &mut Rng) -> Vec<u8> {
    match rng.below(20) {
        0..=11 => rng.range(-12, 40).to_string().into_bytes(),
        12..=13 => rng.range(-5000, 5000).to_string().into_bytes(),
        14 => b"9223372036854775807".to_vec(),
        15 => b"-9223372036854775808".to_vec(),
        16 => b"9223372036854775808".to_vec(),
        17 => b"abc".to_vec(),
        18 => b"1.5".to_vec(),
        _ => b"".to_vec(),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as i64
}

/// Redis's `string2ll`: an optional `-`, then `0` alone or digits without a leading
/// zero, fitting `i64`. No `+`, no spaces, no `-0`.
pub fn strict_i64(text: &[u8]) -> Option<i64> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let canonical = match digits {
        [b'0'] => text.len() == 1,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The unit and base of an expiry argument, to judge it as Redis does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeArg {
    /// `SET`/`GETEX` `EX`, `SETEX`: relative seconds, must be positive.
    SetSecs,
    /// `SET`/`GETEX` `PX`, `PSETEX`: relative milliseconds, must be positive.
    SetMs,
    /// `SET`/`GETEX` `EXAT`: absolute seconds, must be positive.
    SetAtSecs,
    /// `SET`/`GETEX` `PXAT`: absolute milliseconds, must be positive.
    SetAtMs,
    /// `EXPIRE`: relative seconds, any sign (zero or less deletes the key).
    ExpireSecs,
    /// `PEXPIRE`: relative milliseconds, any sign.
    ExpireMs,
    /// `EXPIREAT`: absolute seconds, any sign.
    ExpireAtSecs,
    /// `PEXPIREAT`: absolute milliseconds, any sign.
    ExpireAtMs,
}

impl TimeArg {
    /// Whether the unit is seconds.
    pub fn in_secs(self) -> bool {
        matches!(self, TimeArg::SetSecs | TimeArg::SetAtSecs | TimeArg::ExpireSecs | TimeArg::ExpireAtSecs)
    }

    /// Whether the time counts from now.
    pub fn relative(self) -> bool {
        matches!(self, TimeArg::SetSecs | TimeArg::SetMs | TimeArg::ExpireSecs | TimeArg::ExpireMs)
    }

    /// Whether Redis accepts `text` here (`getExpireMillisecondsOrReply` for SET and
    /// GETEX, `expireGenericCommand` for the EXPIRE family).
    pub fn accepts(self, text: &[u8]) -> bool {
        let Some(value) = strict_i64(text) else { return false };
        let set_family =
            matches!(self, TimeArg::SetSecs | TimeArg::SetMs | TimeArg::SetAtSecs | TimeArg::SetAtMs);
        if set_family && value <= 0 {
            return false;
        }
        let ms = if self.in_secs() {
            match value.checked_mul(1000) {
                Some(ms) => ms,
                None => return false,
            }
        } else {
            value
        };
        !self.relative() || ms.checked_add(now_ms()).is_some()
    }
}

/// An expiry argument for `arg`: mostly valid and long enough that nothing expires
/// during a run (relative times of 100 s and more, absolute ones in the far future),
/// some from [`ODD_TIMES`], some zero, negative or long past. Those last are errors
/// for SET/GETEX `EX`/`PX`, and delete the key at once in the EXPIRE family; a
/// long-past SET/GETEX `EXAT`/`PXAT` (which Redis 7.0 accepts and leaves the key
/// until something touches it) only with `allow_past`, whose callers then look the
/// key up.
pub fn time_arg(rng: &mut Rng, arg: TimeArg, allow_past: bool) -> Vec<u8> {
    let roll = rng.below(100);
    if roll < 12 {
        return rng.pick(ODD_TIMES).as_bytes().to_vec();
    }
    if roll < 17 {
        let zero_or_less = *rng.pick(&[0, -1, -100]);
        let past = *rng.pick(PAST);
        return match arg {
            // Zero and negatives are errors for SET and GETEX: always allowed.
            TimeArg::SetSecs | TimeArg::SetMs => zero_or_less.to_string().into_bytes(),
            TimeArg::SetAtSecs | TimeArg::SetAtMs if allow_past => past.to_string().into_bytes(),
            TimeArg::SetAtSecs | TimeArg::SetAtMs => zero_or_less.to_string().into_bytes(),
            TimeArg::ExpireSecs | TimeArg::ExpireMs => zero_or_less.to_string().into_bytes(),
            TimeArg::ExpireAtSecs | TimeArg::ExpireAtMs => {
                if rng.chance(50) { past } else { zero_or_less }.to_string().into_bytes()
            }
        };
    }
    let value = match arg {
        TimeArg::SetSecs | TimeArg::ExpireSecs => {
            if rng.chance(3) {
                9_223_372_036_854
            } else {
                rng.range(100, 10_000_000)
            }
        }
        TimeArg::SetMs | TimeArg::ExpireMs => {
            if rng.chance(3) {
                9_223_372_036_854_000
            } else {
                rng.range(100_000, 10_000_000_000)
            }
        }
        TimeArg::SetAtSecs | TimeArg::ExpireAtSecs => {
            if rng.chance(60) {
                *rng.pick(FUTURE_SECS)
            } else {
                rng.range(4_000_000_000, 5_000_000_000)
            }
        }
        TimeArg::SetAtMs | TimeArg::ExpireAtMs => {
            if rng.chance(60) {
                *rng.pick(FUTURE_MS)
            } else {
                rng.range(4_000_000_000_000, 5_000_000_000_000)
            }
        }
    };
    value.to_string().into_bytes()
}
