//! The `lists` family: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP (with and without a
//! count), LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS with RANK, COUNT
//! and MAXLEN, LMOVE, RPOPLPUSH, LMPOP over the key pool — indexes and counts of
//! every size (the i64 limits too), valid and not, with SET making some keys
//! strings so WRONGTYPE comes up (and DEL clearing them). Lists grow past one node now and then.
//!
//! Lists are ordered, so every reply is compared exactly; `OBJECT ENCODING` is not
//! compared (7.0 says `quicklist` for every list, FerrumKV 7.2's `listpack` first).

use crate::pools;
use crate::rng::Rng;
use crate::step::{Action, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const LISTS: Family = Family {
    name: "lists",
    ops: &[
        Op { feature: "lpush", weight: 14, make: lpush },
        Op { feature: "lpush_many", weight: 1, make: lpush_many },
        Op { feature: "list_string", weight: 2, make: list_string },
        Op { feature: "lpushx", weight: 2, make: lpushx },
        Op { feature: "lpop", weight: 6, make: lpop },
        Op { feature: "llen", weight: 3, make: llen },
        Op { feature: "lrange", weight: 6, make: lrange },
        Op { feature: "lindex", weight: 4, make: lindex },
        Op { feature: "lset", weight: 3, make: lset },
        Op { feature: "linsert", weight: 3, make: linsert },
        Op { feature: "lrem", weight: 3, make: lrem },
        Op { feature: "ltrim", weight: 2, make: ltrim },
        Op { feature: "lpos", weight: 5, make: lpos },
        Op { feature: "lmove", weight: 4, make: lmove },
        Op { feature: "lmpop", weight: 3, make: lmpop },
    ],
};

/// An element: small integers and words (so LREM, LPOS and LINSERT find them),
/// empty, binary, and now and then a long one.
fn element(rng: &mut Rng) -> Vec<u8> {
    match rng.below(100) {
        0..=39 => rng.range(0, 6).to_string().into_bytes(),
        40..=74 => rng.pick(pools::WORDS).to_vec(),
        75..=79 => Vec::new(),
        80..=89 => (0..rng.below(8)).map(|_| rng.next_u64() as u8).collect(),
        _ => vec![b'e'; 100 + rng.below(3000) as usize],
    }
}

/// An index or count: small of either sign mostly, else a limit or junk.
fn index(rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => i64::MAX.to_string(),
        1 => i64::MIN.to_string(),
        2 => rng.pick(&["x", "", "1.5", "9223372036854775808", "-9223372036854775809", " 1"]).to_string(),
        3 => rng.range(-3000, 3000).to_string(),
        _ => rng.range(-8, 12).to_string(),
    }
}

fn end(g: &mut Gen) -> Vec<u8> {
    match g.rng.below(12) {
        0 => g.rng.pick(&["UP", "", "LEF"]).as_bytes().to_vec(),
        n if n % 2 == 0 => g.token("LEFT"),
        _ => g.token("RIGHT"),
    }
}

fn lpush(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["LPUSH", "RPUSH"]);
    let elements: Vec<Vec<u8>> = (0..1 + g.rng.below(6)).map(|_| element(&mut g.rng)).collect();
    Command::new("lpush", name).arg(g.key()).args(elements).into()
}

/// Enough elements at once for several nodes.
fn lpush_many(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["LPUSH", "RPUSH"]);
    let count = *g.rng.pick(&[200, 1500]);
    let elements = (0..count).map(|i| format!("{}", i % 7));
    Command::new("lpush_many", name).arg(g.key()).args(elements).into()
}

/// SET over a key now and then, else DEL (so strings do not pile up).
fn list_string(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    if g.rng.chance(30) {
        Command::new("list_string", "SET").arg(g.key()).arg(g.value()).into()
    } else {
        Command::new("list_string", "DEL").arg(g.key()).into()
    }
}

fn lpushx(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["LPUSHX", "RPUSHX"]);
    let elements: Vec<Vec<u8>> = (0..1 + g.rng.below(3)).map(|_| element(&mut g.rng)).collect();
    Command::new("lpushx", name).arg(g.key()).args(elements).into()
}

fn lpop(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["LPOP", "RPOP"]);
    let command = Command::new("lpop", name).arg(g.key());
    match g.rng.below(4) {
        0 => command.into(),
        1 => command.arg(index(&mut g.rng)).into(),
        _ => command.arg(g.rng.range(0, 5).to_string()).into(),
    }
}

fn llen(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("llen", "LLEN").arg(g.key()).into()
}

fn lrange(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let (start, stop) = (index(&mut g.rng), index(&mut g.rng));
    Command::new("lrange", "LRANGE").arg(g.key()).arg(start).arg(stop).into()
}

fn lindex(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let at = index(&mut g.rng);
    Command::new("lindex", "LINDEX").arg(g.key()).arg(at).into()
}

fn lset(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let (at, value) = (index(&mut g.rng), element(&mut g.rng));
    Command::new("lset", "LSET").arg(g.key()).arg(at).arg(value).into()
}

fn linsert(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let place = match g.rng.below(10) {
        0 => b"MIDDLE".to_vec(),
        n if n % 2 == 0 => g.token("BEFORE"),
        _ => g.token("AFTER"),
    };
    let (pivot, value) = (element(&mut g.rng), element(&mut g.rng));
    Command::new("linsert", "LINSERT").arg(g.key()).arg(place).arg(pivot).arg(value).into()
}

fn lrem(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let count = if g.rng.chance(70) { g.rng.range(-3, 3).to_string() } else { index(&mut g.rng) };
    let value = element(&mut g.rng);
    Command::new("lrem", "LREM").arg(g.key()).arg(count).arg(value).into()
}

fn ltrim(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let (start, stop) = (index(&mut g.rng), index(&mut g.rng));
    Command::new("ltrim", "LTRIM").arg(g.key()).arg(start).arg(stop).into()
}

fn lpos(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let value = element(&mut g.rng);
    let mut command = Command::new("lpos", "LPOS").arg(g.key()).arg(value);
    for _ in 0..g.rng.below(4) {
        let option = *g.rng.pick(&["RANK", "COUNT", "MAXLEN", "RANK", "COUNT", "MAXLEN", "FOO"]);
        let value = match g.rng.below(3) {
            0 => index(&mut g.rng),
            _ => g.rng.range(-3, 4).to_string(),
        };
        command = command.arg(g.token(option));
        if !g.rng.chance(5) {
            command = command.arg(value);
        }
    }
    command.into()
}

fn lmove(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let (source, destination) = (g.key(), g.key());
    if g.rng.chance(30) {
        return Command::new("lmove", "RPOPLPUSH").arg(source).arg(destination).into();
    }
    let (from, to) = (end(g), end(g));
    Command::new("lmove", "LMOVE").arg(source).arg(destination).arg(from).arg(to).into()
}

fn lmpop(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let keys: Vec<Vec<u8>> = (0..1 + g.rng.below(3)).map(|_| g.key()).collect();
    let numkeys = match g.rng.below(10) {
        0 => g.rng.pick(&["0", "-1", "x", "9", "9223372036854775807"]).to_string(),
        _ => keys.len().to_string(),
    };
    let mut command = Command::new("lmpop", "LMPOP").arg(numkeys).args(keys);
    command = command.arg(end(g));
    match g.rng.below(6) {
        0 | 1 => command = command.arg(g.token("COUNT")).arg(g.rng.range(1, 5).to_string()),
        2 => command = command.arg(g.token("COUNT")).arg(index(&mut g.rng)),
        3 => command = command.arg(g.token("COUNT")),
        _ => {}
    }
    command.into()
}
