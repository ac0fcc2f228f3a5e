//! The `strings` family: SET with every option combination, GET, GETSET, GETDEL, GETEX,
//! SETNX, SETEX, PSETEX, MSET, MSETNX, MGET, STRLEN, APPEND, GETRANGE/SUBSTR, SETRANGE,
//! the counters (INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT), and the TTL questions that
//! show what the expiry options did.

use crate::expiry;
use crate::pools::{self, TimeArg};
use crate::step::{Action, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const STRINGS: Family = Family {
    name: "strings",
    ops: &[
        Op { feature: "set", weight: 14, make: set },
        Op { feature: "get", weight: 6, make: get },
        Op { feature: "getset", weight: 2, make: getset },
        Op { feature: "getdel", weight: 2, make: getdel },
        Op { feature: "getex", weight: 5, make: getex },
        Op { feature: "setnx", weight: 2, make: setnx },
        Op { feature: "setex", weight: 3, make: setex },
        Op { feature: "mset", weight: 3, make: mset },
        Op { feature: "mget", weight: 3, make: mget },
        Op { feature: "strlen", weight: 2, make: strlen },
        Op { feature: "append", weight: 3, make: append },
        Op { feature: "getrange", weight: 4, make: getrange },
        Op { feature: "setrange", weight: 4, make: setrange },
        Op { feature: "incr", weight: 8, make: incr },
        Op { feature: "counter_limits", weight: 3, make: counter_limits },
        Op { feature: "incrbyfloat", weight: 5, make: incrbyfloat },
        Op { feature: "ttl", weight: 8, make: expiry::ttl_question },
        Op { feature: "persist", weight: 1, make: expiry::persist },
        Op { feature: "tiny_ttl", weight: 1, make: expiry::tiny_ttl },
    ],
};

/// `SET key value` with a random selection of NX/XX, GET and one (sometimes two, or a
/// broken) expiry option, in random order and letter case; a long-past EXAT/PXAT is
/// followed by a lookup so that the expired key is gone on both servers.
fn set(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let mut groups: Vec<Vec<Vec<u8>>> = Vec::new();
    match g.rng.below(10) {
        0..=1 => groups.push(vec![g.token("NX")]),
        2..=3 => groups.push(vec![g.token("XX")]),
        4 => {
            let word = if g.rng.chance(50) { "NX" } else { "XX" };
            groups.push(vec![g.token(word)])
        }
        _ => {}
    }
    if g.rng.chance(8) {
        // A second condition: NX XX is a syntax error, NX NX is accepted.
        let word = if g.rng.chance(50) { "NX" } else { "XX" };
        groups.push(vec![g.token(word)]);
    }
    if g.rng.chance(30) {
        groups.push(vec![g.token("GET")]);
    }
    let expiries = match g.rng.below(20) {
        0..=6 => 0,
        7..=18 => 1,
        _ => 2,
    };
    let mut past = false;
    for _ in 0..expiries {
        let (name, arg) = *g.rng.pick(&[
            ("EX", Some(TimeArg::SetSecs)),
            ("PX", Some(TimeArg::SetMs)),
            ("EXAT", Some(TimeArg::SetAtSecs)),
            ("PXAT", Some(TimeArg::SetAtMs)),
            ("KEEPTTL", None),
        ]);
        let mut group = vec![g.token(name)];
        if let Some(arg) = arg {
            let text = g.time(arg, true);
            past |= !arg.relative() && pools::strict_i64(&text).is_some_and(|t| t < pools::FUTURE_SECS[0]);
            group.push(text);
        }
        groups.push(group);
    }
    if g.rng.chance(4) {
        // Broken: an unknown option, or an expiry option without its time.
        let word = *g.rng.pick(&["FOO", "EX", "PX", "PERSIST", "EXAT"]);
        groups.push(vec![g.token(word)]);
    }
    g.rng.shuffle(&mut groups);
    let command = Command::new("set", "SET").arg(&key).arg(g.value()).args(groups.into_iter().flatten());
    if past {
        vec![Action::Send(command), Action::Send(expiry::lookup(g, "set", &key))]
    } else {
        command.into()
    }
}

fn get(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("get", "GET").arg(g.key()).into()
}

fn getset(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("getset", "GETSET").arg(g.key()).arg(g.value()).into()
}

fn getdel(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("getdel", "GETDEL").arg(g.key()).into()
}

/// `GETEX key [EX|PX|EXAT|PXAT t | PERSIST]`, sometimes two options or a broken one.
fn getex(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    // On a missing key Redis answers nil before it looks at the expiry value: invalid
    // times go to missing keys too.
    let mut command = Command::new("getex", "GETEX").arg(&key);
    let mut past = false;
    let options = match g.rng.below(10) {
        0..=1 => 0,
        2..=8 => 1,
        _ => 2,
    };
    for _ in 0..options {
        let (name, arg) = *g.rng.pick(&[
            ("EX", Some(TimeArg::SetSecs)),
            ("PX", Some(TimeArg::SetMs)),
            ("EXAT", Some(TimeArg::SetAtSecs)),
            ("PXAT", Some(TimeArg::SetAtMs)),
            ("PERSIST", None),
        ]);
        command = command.arg(g.token(name));
        if let Some(arg) = arg {
            let text = g.time(arg, true);
            past |= !arg.relative() && pools::strict_i64(&text).is_some_and(|t| t < pools::FUTURE_SECS[0]);
            command = command.arg(text);
        }
    }
    if g.rng.chance(4) {
        let word = *g.rng.pick(&["FOO", "EX", "KEEPTTL", "GET"]);
        command = command.arg(g.token(word));
    }
    if past {
        vec![Action::Send(command), Action::Send(expiry::lookup(g, "getex", &key))]
    } else {
        command.into()
    }
}

fn setnx(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("setnx", "SETNX").arg(g.key()).arg(g.value()).into()
}

/// `SETEX key seconds value` or `PSETEX key ms value`, valid or not.
fn setex(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let (name, arg) = if g.rng.chance(50) { ("SETEX", TimeArg::SetSecs) } else { ("PSETEX", TimeArg::SetMs) };
    Command::new("setex", name).arg(g.key()).arg(g.time(arg, false)).arg(g.value()).into()
}

/// `MSET` or `MSETNX` with one to four pairs (keys may repeat), sometimes one
/// argument short.
fn mset(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = if g.rng.chance(60) { "MSET" } else { "MSETNX" };
    let mut command = Command::new("mset", name);
    for _ in 0..1 + g.rng.below(4) {
        command = command.arg(g.key()).arg(g.value());
    }
    if g.rng.chance(5) {
        command.args.pop();
    }
    command.into()
}

fn mget(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let keys: Vec<Vec<u8>> = (0..1 + g.rng.below(5)).map(|_| g.key()).collect();
    Command::new("mget", "MGET").args(keys).into()
}

fn strlen(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("strlen", "STRLEN").arg(g.key()).into()
}

fn append(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("append", "APPEND").arg(g.key()).arg(g.value()).into()
}

/// `GETRANGE key start end` or its alias `SUBSTR`.
fn getrange(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = if g.rng.chance(75) { "GETRANGE" } else { "SUBSTR" };
    let start = pools::index(&mut g.rng);
    let end = pools::index(&mut g.rng);
    Command::new("getrange", name).arg(g.key()).arg(start).arg(end).into()
}

/// `SETRANGE key offset value`: small offsets, negative ones, ones past the 512 MB cap
/// (an error, allocating nothing), and the cap's edge with an empty value. Never an
/// offset that would really build a huge string.
fn setrange(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut value = g.value();
    let offset = match g.rng.below(10) {
        0 => {
            value.clear();
            b"536870911".to_vec()
        }
        1 => {
            value = b"ab".to_vec();
            b"536870911".to_vec()
        }
        2 => b"536870912".to_vec(),
        _ => {
            let offset = pools::index(&mut g.rng);
            let huge = pools::strict_i64(&offset).is_some_and(|o| o > 5000);
            if huge && !value.is_empty() {
                // Past the cap (an error) rather than a big allocation.
                b"9223372036854775807".to_vec()
            } else {
                offset
            }
        }
    };
    Command::new("setrange", "SETRANGE").arg(g.key()).arg(offset).arg(value).into()
}

/// INCR, DECR, INCRBY, DECRBY with deltas of every shape.
fn incr(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    match g.rng.below(4) {
        0 => Command::new("incr", "INCR").arg(key),
        1 => Command::new("incr", "DECR").arg(key),
        2 => Command::new("incr", "INCRBY").arg(key).arg(pools::int_text(&mut g.rng)),
        _ => Command::new("incr", "DECRBY").arg(key).arg(pools::int_text(&mut g.rng)),
    }
    .into()
}

/// A counter at or near an `i64` limit, then a step that may overflow.
fn counter_limits(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let start = *g.rng.pick(&[i64::MAX, i64::MAX - 1, i64::MIN, i64::MIN + 1, 0, -1]);
    let delta = *g.rng.pick(&[1, -1, 2, i64::MAX, i64::MIN, i64::MIN + 1, 0]);
    let name = *g.rng.pick(&["INCRBY", "DECRBY", "INCR", "DECR"]);
    let mut step = Command::new("counter_limits", name).arg(&key);
    if name.ends_with("BY") {
        step = step.arg(delta.to_string());
    }
    vec![
        Action::Send(Command::new("counter_limits", "SET").arg(&key).arg(start.to_string())),
        Action::Send(step),
    ]
}

/// `INCRBYFLOAT key increment`, only where Redis and FerrumKV can agree.
///
/// Known difference, another issue: Redis adds in x87 `long double` and prints with
/// `%.17Lf`, FerrumKV differs for many inputs. So the arithmetic is kept exact: the
/// increment is a multiple of 0.25 below 1e6 and the key is missing or holds a plain
/// decimal multiple of 0.25 below 1e6. The error cases stay: a value that is no float
/// at all (words, spaces, empty) and an increment that is no float (but not the words
/// `inf`/`nan`, which belong to the same issue). Hexadecimal numbers, which Redis's
/// `strtold` reads and FerrumKV rejects, are not that issue: feature `incrbyfloat_hex`
/// sends small exact ones, as value or increment.
fn incrbyfloat(g: &mut Gen, probe: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let value = probe.get(&key);
    let command = Command::new("incrbyfloat", "INCRBYFLOAT").arg(&key);
    match value.as_deref().map(FloatText::of) {
        None | Some(FloatText::Quarter) => {
            if g.rng.chance(8) {
                let junk: &[&[u8]] = &[b"abc", b"", b" 1", b"1 ", b"1.5x", b"--1", b"1,5"];
                command.arg(g.rng.pick(junk)).into()
            } else if g.on("incrbyfloat_hex") && g.rng.chance(5) {
                command.with_feature("incrbyfloat_hex").arg(g.rng.pick(HEX_INCREMENTS)).into()
            } else {
                let limit = if g.rng.chance(70) { 100 } else { 1_000_000 };
                let increment = pools::quarter(&mut g.rng, limit);
                command.arg(increment).into()
            }
        }
        Some(FloatText::NotFloat) => command.arg(pools::quarter(&mut g.rng, 100)).into(),
        Some(FloatText::Other)
            if g.on("incrbyfloat_hex") && value.as_deref().is_some_and(is_small_hex_int) =>
        {
            command.with_feature("incrbyfloat_hex").arg(pools::quarter(&mut g.rng, 100)).into()
        }
        // Anything else (exponents, huge or tiny numbers, inf, nan) is the known issue.
        Some(FloatText::Other) => Command::new("incrbyfloat", "GET").arg(&key).into(),
    }
}

/// Whether `text` may be a hexadecimal float for `strtold` (`0x1f`, `-0X2`, `0x1.8`,
/// `0x1p3`): a sign, `0x`, then hex digits, points, exponents.
fn is_hex(text: &[u8]) -> bool {
    let body = text.strip_prefix(b"-").or_else(|| text.strip_prefix(b"+")).unwrap_or(text);
    body.len() > 2
        && body[..2].eq_ignore_ascii_case(b"0x")
        && body[2..].iter().all(|&b| b.is_ascii_hexdigit() || b"+-.pP".contains(&b))
}

/// Whether `text` is a hexadecimal integer below 1e6 (`0x1f`, `-0X2`), whose sum with
/// a quarter is exact.
fn is_small_hex_int(text: &[u8]) -> bool {
    let body = text.strip_prefix(b"-").or_else(|| text.strip_prefix(b"+")).unwrap_or(text);
    (3..=7).contains(&body.len())
        && body[..2].eq_ignore_ascii_case(b"0x")
        && body[2..].iter().all(u8::is_ascii_hexdigit)
}

/// Hexadecimal increments, all multiples of 0.25 (`strtold` reads them, Redis adds
/// them; feature `incrbyfloat_hex`).
const HEX_INCREMENTS: &[&str] = &["0x10", "-0x1f", "0x1p3", "0x1.8", "-0X2.4"];

/// What a stored value is to INCRBYFLOAT, for [`incrbyfloat`].
enum FloatText {
    /// A plain decimal multiple of 0.25 of magnitude below 1e6: exact in both.
    Quarter,
    /// Not a number to any float parser: an error in both.
    NotFloat,
    /// Some other number: left alone (the known difference).
    Other,
}

impl FloatText {
    fn of(text: &[u8]) -> FloatText {
        let plain = !text.is_empty()
            && text.iter().all(|&b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
            && text.iter().any(u8::is_ascii_digit);
        let parsed = std::str::from_utf8(text).ok().and_then(|t| t.parse::<f64>().ok());
        match parsed {
            Some(v) if plain && v.abs() < 1e6 && (v * 4.0).fract() == 0.0 => FloatText::Quarter,
            Some(_) => FloatText::Other,
            None if is_hex(text) || text.len() > 5000 => FloatText::Other,
            None => {
                let lower = String::from_utf8_lossy(text).to_ascii_lowercase();
                if lower.contains("inf") || lower.contains("nan") {
                    FloatText::Other
                } else {
                    FloatText::NotFloat
                }
            }
        }
    }
}
