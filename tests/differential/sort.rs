//! The `sort` family: SORT and SORT_RO over a list, a set (an intset or a
//! hashtable), a sorted set, a missing key and a string, with BY (weight keys,
//! hash fields, missing keys, a constant for no sorting), GET (`#`, keys, hash
//! fields, missing ones, a pattern without `*`), LIMIT (i64 limits too), ASC/DESC,
//! ALPHA and STORE (read back with LRANGE).
//!
//! Byte for byte everywhere, avoiding what Redis leaves to a hash table's order:
//! a set is never sorted `BY` a constant (its native order), nor a set or a
//! sorted set `ALPHA BY` a pattern (ties keep the order the table iterates in). No value
//! overflows `strtod` (a `1e400` would leave `errno` at `ERANGE` in redis-server,
//! failing the next numeric SORT whatever its input).

use crate::rng::Rng;
use crate::step::{Action, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const SORTS: Family = Family {
    name: "sort",
    ops: &[
        Op { feature: "sort_fill", weight: 6, make: fill },
        Op { feature: "sort_weights", weight: 4, make: weights },
        Op { feature: "sort", weight: 16, make: sort },
    ],
};

/// Elements: numbers of several spellings, and words.
fn element(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=49 => rng.range(-5, 25).to_string(),
        50..=59 => {
            rng.pick(&["1.5", "-0.25", "3e2", " 7", "+4", "0x1f", "inf", "-inf", "", "007"]).to_string()
        }
        60..=89 => rng.pick(&["a", "b", "c", "ab", "ba", "zz", "a1", "b2"]).to_string(),
        _ => rng.pick(&["nan", "1x", "é", "x y"]).to_string(),
    }
}

const SOURCES: &[&str] = &["sort:l", "sort:l", "sort:s", "sort:z", "sort:missing", "sort:str"];

fn fill(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let most = if g.rng.chance(10) { 150 } else { 6 };
    let count = 1 + g.rng.below(most);
    let elements: Vec<String> = (0..count).map(|_| element(&mut g.rng)).collect();
    match g.rng.below(10) {
        0..=4 => {
            let name = if g.rng.chance(50) { "RPUSH" } else { "LPUSH" };
            Command::new("sort_fill", name).arg("sort:l").args(elements).into()
        }
        5..=6 => Command::new("sort_fill", "SADD").arg("sort:s").args(elements).into(),
        7..=8 => {
            let mut command = Command::new("sort_fill", "ZADD").arg("sort:z");
            for element in elements {
                command = command.arg(g.rng.range(-3, 3).to_string()).arg(element);
            }
            command.into()
        }
        _ => Command::new("sort_fill", "DEL").arg(*g.rng.pick(&["sort:l", "sort:s", "sort:z"])).into(),
    }
}

fn weights(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let target = element(&mut g.rng);
    let value = match g.rng.below(10) {
        0..=6 => g.rng.range(-10, 10).to_string(),
        7 => format!("{}.5", g.rng.range(-3, 3)),
        _ => g.rng.pick(&["x", "", "w"]).to_string(),
    };
    match g.rng.below(3) {
        0 => Command::new("sort_weights", "SET").arg(format!("w_{target}")).arg(value).into(),
        1 => Command::new("sort_weights", "HSET").arg(format!("h_{target}")).arg("f").arg(value).into(),
        _ => Command::new("sort_weights", "SET").arg(format!("o_{target}")).arg(target).into(),
    }
}

fn limit_value(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => rng.pick(&["9223372036854775807", "-9223372036854775808", "x"]).to_string(),
        1 => "-1".into(),
        _ => rng.range(0, 6).to_string(),
    }
}

fn sort(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let source = *g.rng.pick(SOURCES);
    let hashed = source == "sort:s" || source == "sort:z";
    let read_only = g.rng.chance(25);
    let mut options: Vec<Vec<String>> = Vec::new();
    let alpha = g.rng.chance(35);
    if g.rng.chance(50) {
        let by = match g.rng.below(10) {
            0..=3 => "w_*",
            4..=5 => "h_*->f",
            6 => "nope_*",
            _ => "nosort",
        };
        let constant = !by.contains('*');
        if (constant && source == "sort:s") || (alpha && !constant && hashed) {
            // A hash table's order would decide (see the module docs).
        } else {
            options.push(vec!["BY".into(), by.into()]);
        }
    }
    if alpha {
        options.push(vec!["ALPHA".into()]);
    }
    match g.rng.below(10) {
        0..=2 => options.push(vec!["ASC".into()]),
        3..=5 => options.push(vec!["DESC".into()]),
        _ => {}
    }
    if g.rng.chance(40) {
        options.push(vec!["LIMIT".into(), limit_value(&mut g.rng), limit_value(&mut g.rng)]);
    }
    for _ in 0..g.rng.below(4) {
        let get = *g.rng.pick(&["#", "w_*", "h_*->f", "nope_*", "const", "h_*->", "o_*"]);
        options.push(vec!["GET".into(), get.into()]);
    }
    let store = g.rng.chance(25);
    if store {
        options.push(vec!["STORE".into(), "sort:dst".into()]);
    }
    if g.rng.chance(20) {
        g.rng.shuffle(&mut options);
    }
    if g.rng.chance(3) {
        options.push(vec!["BOGUS".into()]);
    }
    let name = if read_only { "SORT_RO" } else { "SORT" };
    let mut actions = vec![Action::Send(Command::new("sort", name).arg(source).args(options.concat()))];
    if store {
        actions.push(Action::Send(Command::new("sort", "LRANGE").arg("sort:dst").arg("0").arg("-1")));
        actions.push(Action::Send(Command::new("sort", "TYPE").arg("sort:dst")));
    }
    actions
}
