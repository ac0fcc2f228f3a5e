//! The `sets` family: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP and
//! SRANDMEMBER (where the reply is determined: a count of 0, or one that takes the
//! whole set, and the error cases), SMOVE, SINTER, SINTERCARD, SUNION, SDIFF and the
//! `…STORE` forms, and SSCAN's error cases, over the key pool — with SET making some
//! keys strings, so WRONGTYPE comes up. Sets grow past the listpack and intset
//! thresholds now and then.
//!
//! Unordered replies (the members of a set) are compared as sets: Redis 7.0 keeps a
//! small set of text in a hash table and FerrumKV in a listpack (Redis 7.2's), so
//! the order differs by design. Random replies are only generated where the set
//! decides them; `OBJECT ENCODING` is not compared (7.0's names against 7.2's).

use crate::pools;
use crate::rng::Rng;
use crate::step::{Action, Check, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const SETS: Family = Family {
    name: "sets",
    ops: &[
        Op { feature: "sadd", weight: 14, make: sadd },
        Op { feature: "sadd_many", weight: 1, make: sadd_many },
        Op { feature: "set_string", weight: 1, make: set_string },
        Op { feature: "srem", weight: 5, make: srem },
        Op { feature: "smembers", weight: 4, make: smembers },
        Op { feature: "sismember", weight: 5, make: sismember },
        Op { feature: "scard", weight: 3, make: scard },
        Op { feature: "spop_all", weight: 2, make: spop_all },
        Op { feature: "srandmember_all", weight: 3, make: srandmember_all },
        Op { feature: "smove", weight: 4, make: smove },
        Op { feature: "set_algebra", weight: 8, make: algebra },
        Op { feature: "set_store", weight: 5, make: store },
        Op { feature: "sintercard", weight: 4, make: sintercard },
        Op { feature: "sscan_errors", weight: 2, make: sscan_errors },
    ],
};

/// A member: integers canonical or not (intset or not), words, binary, empty, and
/// now and then one longer than a listpack value.
fn member(rng: &mut Rng) -> Vec<u8> {
    match rng.below(100) {
        0..=39 => rng.range(-20, 20).to_string().into_bytes(),
        40..=54 => pools::int_text(rng),
        55..=84 => rng.pick(pools::WORDS).to_vec(),
        85..=89 => Vec::new(),
        90..=94 => vec![b'm'; 60 + rng.below(10) as usize],
        _ => (0..rng.below(8)).map(|_| rng.next_u64() as u8).collect(),
    }
}

fn members(g: &mut Gen, most: u64) -> Vec<Vec<u8>> {
    (0..1 + g.rng.below(most)).map(|_| member(&mut g.rng)).collect()
}

fn keys(g: &mut Gen, most: u64) -> Vec<Vec<u8>> {
    (0..1 + g.rng.below(most)).map(|_| g.key()).collect()
}

fn sadd(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let members = members(g, 6);
    Command::new("sadd", "SADD").arg(g.key()).args(members).into()
}

/// Enough members at once to leave the compact encodings (integers past the
/// intset's 512, or words past the listpack's 128).
fn sadd_many(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let count = if g.rng.chance(50) { 140 } else { 600 };
    let ints = g.rng.chance(50);
    let members = (0..count).map(|i| if ints { i.to_string() } else { format!("w{i}") });
    Command::new("sadd_many", "SADD").arg(g.key()).args(members).into()
}

fn set_string(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("set_string", "SET").arg(g.key()).arg(g.value()).into()
}

fn srem(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let members = members(g, 4);
    Command::new("srem", "SREM").arg(g.key()).args(members).into()
}

fn smembers(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    unordered_then_card(Command::new("smembers", "SMEMBERS").arg(&key), key)
}

fn sismember(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    if g.rng.chance(50) {
        let member = member(&mut g.rng);
        Command::new("sismember", "SISMEMBER").arg(g.key()).arg(member).into()
    } else {
        let members = members(g, 4);
        Command::new("sismember", "SMISMEMBER").arg(g.key()).args(members).into()
    }
}

fn scard(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("scard", "SCARD").arg(g.key()).into()
}

/// A count that is no valid count for both commands, or 0 (`-1` is a valid
/// `SRANDMEMBER` count, a random pick).
fn odd_count(g: &mut Gen) -> Vec<u8> {
    g.rng.pick(&["0", "x", "1.5", "", "9223372036854775808", "-9223372036854775808"]).as_bytes().to_vec()
}

/// `command`, compared as a set, then `SCARD key` (the state it left). Two
/// actions, so the arity mutation (which would turn `SRANDMEMBER key count` into a
/// random `SRANDMEMBER key`, compared exactly) leaves them alone.
fn unordered_then_card(command: Command, key: Vec<u8>) -> Vec<Action> {
    let feature = command.feature;
    vec![Action::Send(command.check(Check::Unordered)), Action::Send(Command::new(feature, "SCARD").arg(key))]
}

/// `SPOP key count` with a count that takes the whole set (or a bad one).
fn spop_all(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let count = if g.rng.chance(70) { b"100000".to_vec() } else { odd_count(g) };
    let count = if g.rng.chance(10) { b"-1".to_vec() } else { count };
    let key = g.key();
    unordered_then_card(Command::new("spop_all", "SPOP").arg(&key).arg(count), key)
}

/// `SRANDMEMBER key count` with a count that takes the whole set (or a bad one).
fn srandmember_all(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let count = if g.rng.chance(60) { b"100000".to_vec() } else { odd_count(g) };
    let key = g.key();
    unordered_then_card(Command::new("srandmember_all", "SRANDMEMBER").arg(&key).arg(count), key)
}

fn smove(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let member = member(&mut g.rng);
    Command::new("smove", "SMOVE").arg(g.key()).arg(g.key()).arg(member).into()
}

fn algebra(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["SINTER", "SUNION", "SDIFF"]);
    let keys = keys(g, 4);
    let first = keys[0].clone();
    unordered_then_card(Command::new("set_algebra", name).args(keys), first)
}

fn store(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
    let keys = keys(g, 4);
    Command::new("set_store", name).arg(g.key()).args(keys).into()
}

fn sintercard(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let keys = keys(g, 3);
    let numkeys = match g.rng.below(10) {
        0 => g.rng.pick(&["0", "-1", "x", "9"]).to_string(),
        _ => keys.len().to_string(),
    };
    let mut command = Command::new("sintercard", "SINTERCARD").arg(numkeys).args(keys);
    match g.rng.below(6) {
        0 | 1 => command = command.arg(g.token("LIMIT")).arg(g.rng.range(0, 4).to_string()),
        2 => command = command.arg(g.token("LIMIT")).arg(*g.rng.pick(&["-1", "x", ""])),
        3 => command = command.arg(g.token("LIMIT")),
        _ => {}
    }
    command.into()
}

/// `SSCAN` where the reply does not depend on the members' order: bad cursors,
/// bad options (after the key is found), missing keys and other types.
fn sscan_errors(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let cursor = *g.rng.pick(&["0", "x", "-", " 1", "18446744073709551616", "1.5"]);
    let mut command = Command::new("sscan_errors", "SSCAN").arg(g.key()).arg(cursor);
    match g.rng.below(4) {
        0 => command = command.arg(g.token("COUNT")).arg(*g.rng.pick(&["0", "-1", "x"])),
        1 => command = command.arg(g.token("TYPE")).arg("set"),
        2 => command = command.arg(g.token("MATCH")),
        _ => command = command.arg("FOO").arg("1"),
    }
    command.into()
}
