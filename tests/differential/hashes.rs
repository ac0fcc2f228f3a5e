//! The `hashes` family: HSET/HMSET, HSETNX, HGET, HMGET, HEXISTS, HSTRLEN, HLEN, HDEL,
//! HINCRBY (and its `i64` limits), HINCRBYFLOAT, HGETALL/HKEYS/HVALS (compared in any
//! order), HRANDFIELD (compared by the shape of the reply: its picks are random),
//! HSCAN (in one call, compared in any order), OBJECT ENCODING (the one-way switch at
//! `hash-max-listpack-value`), and strings over the same keys for WRONGTYPE.
//!
//! Fields come from a small pool so commands collide. Values are small integers,
//! multiples of 0.25, words, empty and long (65+ bytes) strings: never hex, `1e400`
//! or the `i64` limits where `HINCRBYFLOAT` could add to them, because Redis reads and
//! adds in `long double` (another issue owns that, as for `INCRBYFLOAT`).

use crate::pools;
use crate::step::{Action, Check, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const HASHES: Family = Family {
    name: "hashes",
    ops: &[
        Op { feature: "hset", weight: 12, make: hset },
        Op { feature: "hsetnx", weight: 3, make: hsetnx },
        Op { feature: "hget", weight: 8, make: hget },
        Op { feature: "hdel", weight: 5, make: hdel },
        Op { feature: "hincrby", weight: 5, make: hincrby },
        Op { feature: "hincrby_limits", weight: 2, make: hincrby_limits },
        Op { feature: "hincrbyfloat", weight: 4, make: hincrbyfloat },
        Op { feature: "hgetall", weight: 5, make: hgetall },
        Op { feature: "hrandfield", weight: 4, make: hrandfield },
        Op { feature: "hscan", weight: 3, make: hscan },
        Op { feature: "hash_encoding", weight: 2, make: encoding },
        Op { feature: "hash_wrongtype", weight: 1, make: wrongtype },
    ],
};

/// Fields that commands share (`lim` holds the `i64` limits, `fl` the float sums).
const FIELDS: &[&[u8]] = &[b"a", b"b", b"c", b"d", b"", b"f\x00\xff", b"n", b"fl", b"long field name"];

/// A key from a smaller pool than the strings' (hashes grow only where commands
/// meet).
fn key(g: &mut Gen) -> Vec<u8> {
    g.rng.pick(&[&b"h1"[..], b"h2", b"h3", b""]).to_vec()
}

fn field(g: &mut Gen) -> Vec<u8> {
    g.rng.pick(FIELDS).to_vec()
}

/// A value safe for every counter to read (see the module docs).
fn value(g: &mut Gen) -> Vec<u8> {
    match g.rng.below(100) {
        0..=34 => g.rng.range(-1000, 1000).to_string().into_bytes(),
        35..=49 => pools::quarter(&mut g.rng, 1_000_000).into_bytes(),
        50..=74 => g.rng.pick(pools::WORDS).to_vec(),
        75..=79 => vec![b'x'; g.rng.range(60, 80) as usize],
        80..=84 => Vec::new(),
        _ => {
            let odd = ["1.5", "-0.25", "3.0", "1e2", ".5", "5.", "007", " 3", "12abc", "+5", "inf", "nan"];
            g.rng.pick(&odd).as_bytes().to_vec()
        }
    }
}

/// `HSET` or `HMSET` with one to four pairs, sometimes a field without its value.
fn hset(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = if g.rng.chance(75) { "HSET" } else { "HMSET" };
    let mut command = Command::new("hset", name).arg(key(g));
    for _ in 0..1 + g.rng.below(4) {
        command = command.arg(field(g)).arg(value(g));
    }
    if g.rng.chance(5) {
        command.args.pop();
    }
    command.into()
}

fn hsetnx(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("hsetnx", "HSETNX").arg(key(g)).arg(field(g)).arg(value(g)).into()
}

/// One of the single-field reads, or `HMGET`/`HLEN`.
fn hget(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(g);
    match g.rng.below(6) {
        0 | 1 => Command::new("hget", "HGET").arg(key).arg(field(g)),
        2 => Command::new("hget", "HEXISTS").arg(key).arg(field(g)),
        3 => Command::new("hget", "HSTRLEN").arg(key).arg(field(g)),
        4 => Command::new("hget", "HLEN").arg(key),
        _ => {
            let fields: Vec<Vec<u8>> = (0..1 + g.rng.below(4)).map(|_| field(g)).collect();
            Command::new("hget", "HMGET").arg(key).args(fields)
        }
    }
    .into()
}

fn hdel(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let fields: Vec<Vec<u8>> = (0..1 + g.rng.below(3)).map(|_| field(g)).collect();
    Command::new("hdel", "HDEL").arg(key(g)).args(fields).into()
}

/// `HINCRBY` of the fields that never hold a float sum.
fn hincrby(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let field = *g.rng.pick(&[&b"n"[..], b"b", b"lim"]);
    Command::new("hincrby", "HINCRBY").arg(key(g)).arg(field).arg(pools::int_text(&mut g.rng)).into()
}

/// A field set at an `i64` limit, then a step that may overflow.
fn hincrby_limits(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(g);
    let limit = g.rng.pick(&["9223372036854775807", "-9223372036854775808", "9223372036854775806"]);
    let step = g.rng.pick(&["1", "-1", "2", "-2", "0", "9223372036854775807", "-9223372036854775808"]);
    vec![
        Action::Send(Command::new("hincrby_limits", "HSET").arg(&key).arg("lim").arg(limit)),
        Action::Send(Command::new("hincrby_limits", "HINCRBY").arg(&key).arg("lim").arg(step)),
    ]
}

/// `HINCRBYFLOAT` of the fields that never hold huge integers, by increments whose
/// sums are exact in binary.
fn hincrbyfloat(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let field = *g.rng.pick(&[&b"fl"[..], b"c"]);
    let increment = match g.rng.below(10) {
        0..=5 => pools::quarter(&mut g.rng, 1000),
        _ => g.rng.pick(&["1e2", "-2", "abc", "inf", "-inf", "nan", "", " 1", "3.0"]).to_string(),
    };
    Command::new("hincrbyfloat", "HINCRBYFLOAT").arg(key(g)).arg(field).arg(increment).into()
}

/// `HGETALL` (pairs in any order), `HKEYS` or `HVALS` (elements in any order).
fn hgetall(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(g);
    match g.rng.below(3) {
        0 => Command::new("hgetall", "HGETALL").arg(key).check(Check::UnorderedPairs),
        1 => Command::new("hgetall", "HKEYS").arg(key).check(Check::Unordered),
        _ => Command::new("hgetall", "HVALS").arg(key).check(Check::Unordered),
    }
    .into()
}

/// `HRANDFIELD key [count [WITHVALUES]]` with counts of every sign and size, the
/// limits and the out-of-range ones, and broken options.
fn hrandfield(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("hrandfield", "HRANDFIELD").arg(key(g)).check(Check::SameShape);
    if g.rng.chance(20) {
        return command.into();
    }
    let count = match g.rng.below(10) {
        0..=5 => g.rng.range(-12, 12).to_string(),
        _ => g
            .rng
            .pick(&[
                "9223372036854775807",
                "-9223372036854775807",
                "-9223372036854775808",
                "4611686018427387903",
                "4611686018427387904",
                "-4611686018427387904",
                "x",
                "",
            ])
            .to_string(),
    };
    // Huge negative counts without WITHVALUES are fine in Redis (it writes until the
    // client's output limit): not sent, as they would fill both servers' memory.
    let huge_negative = count.starts_with('-') && count.len() > 4;
    command = command.arg(&count);
    if g.rng.chance(50) || huge_negative {
        command = command.arg(g.token("WITHVALUES"));
    }
    if g.rng.chance(5) {
        command = command.arg(g.rng.pick(&["FOO", "WITHVALUES"]));
    }
    command.into()
}

/// `HSCAN key 0 [MATCH p] COUNT 1000` (one call, pairs in any order), or a broken
/// cursor or option (exact errors).
fn hscan(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(g);
    if g.rng.chance(20) {
        let (cursor, option): (&str, &[&str]) = *g.rng.pick(&[
            ("x", &[][..]),
            ("-", &[]),
            (" 1", &[]),
            ("0", &["COUNT", "0"]),
            ("0", &["COUNT", "x"]),
            ("0", &["MATCH"]),
            ("0", &["TYPE", "hash"]),
            ("0", &["NOVALUES"]),
        ]);
        return Command::new("hscan", "HSCAN").arg(key).arg(cursor).args(option.iter().copied()).into();
    }
    let mut command = Command::new("hscan", "HSCAN").arg(key).arg("0");
    if g.rng.chance(40) {
        command = command.arg(g.token("MATCH")).arg(g.rng.pick(&["*", "a*", "?", "[a-c]", "*name*", "f*"]));
    }
    command.arg(g.token("COUNT")).arg("1000").check(Check::ScanPairs).into()
}

fn encoding(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("hash_encoding", "OBJECT").arg("ENCODING").arg(key(g)).into()
}

/// A string over one of the keys, a hash command on it (WRONGTYPE), and the key
/// deleted again (so strings do not crowd the hashes out).
fn wrongtype(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(g);
    let probe = *g.rng.pick(&[
        &["HGET", "f"][..],
        &["HSET", "f", "v"],
        &["HINCRBY", "f", "1"],
        &["HINCRBYFLOAT", "f", "1"],
        &["HGETALL"],
        &["HRANDFIELD", "2"],
        &["HSCAN", "0"],
        &["HDEL", "f"],
    ]);
    vec![
        Action::Send(Command::new("hash_wrongtype", "SET").arg(&key).arg("string")),
        Action::Send(Command::new("hash_wrongtype", probe[0]).arg(&key).args(probe[1..].iter().copied())),
        Action::Send(Command::new("hash_wrongtype", "DEL").arg(&key)),
    ]
}
