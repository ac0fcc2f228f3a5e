//! The `streams` family: XADD with explicit and `<ms>-*` ids (good, equal, smaller,
//! bad), NOMKSTREAM and trims (MAXLEN/MINID, `=`/`~`, LIMIT), XLEN, XRANGE and
//! XREVRANGE with random bounds (`-`, `+`, `(`, incomplete ids) and COUNT, XDEL,
//! XTRIM, XSETID, the consumer groups (XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/
//! DELCONSUMER, XREADGROUP `>` and history, XACK, XPENDING summary, XCLAIM and
//! XAUTOCLAIM with JUSTID), XINFO GROUPS, XREAD — over the key pool, with SET
//! making some keys strings (a few keys of their own, all printable).
//!
//! Ids are given explicitly (never `*`), so every reply compares byte for byte.
//! What depends on the clock (idle times, delivery times) or on the node layout
//! (`XINFO STREAM`'s radix-tree counts) is not compared.

use crate::rng::Rng;
use crate::step::{Action, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const STREAMS: Family = Family {
    name: "streams",
    ops: &[
        Op { feature: "xadd", weight: 14, make: xadd },
        Op { feature: "xadd_trim", weight: 4, make: xadd_trim },
        Op { feature: "stream_string", weight: 1, make: string },
        Op { feature: "xrange", weight: 8, make: xrange },
        Op { feature: "xdel", weight: 3, make: xdel },
        Op { feature: "xtrim", weight: 2, make: xtrim },
        Op { feature: "xsetid", weight: 1, make: xsetid },
        Op { feature: "xgroup", weight: 5, make: xgroup },
        Op { feature: "xreadgroup", weight: 6, make: xreadgroup },
        Op { feature: "xack", weight: 3, make: xack },
        Op { feature: "xclaim", weight: 3, make: xclaim },
        Op { feature: "xinfo_groups", weight: 3, make: xinfo_groups },
        Op { feature: "xread", weight: 3, make: xread },
    ],
};

fn id(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=69 => format!("{}-{}", rng.below(40), rng.below(4)),
        70..=79 => rng.below(40).to_string(),
        80..=87 => format!("{}-*", rng.below(40)),
        88..=91 => rng
            .pick(&["0-0", "0-1", "18446744073709551615-18446744073709551615", "18446744073709551615"])
            .to_string(),
        _ => rng.pick(&["x", "-1", "1-x", "", "+", "-", "1--1", "18446744073709551616"]).to_string(),
    }
}

/// The family's keys: printable names only, since a NOGROUP error quotes the key and
/// FerrumKV's error lines are UTF-8 (a non-UTF-8 key name prints lossily there).
fn key(rng: &mut Rng) -> Vec<u8> {
    rng.pick(&["s1", "s2", "s3", "stream:4"]).as_bytes().to_vec()
}

fn bound(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=19 => "-".into(),
        20..=39 => "+".into(),
        40..=59 => format!("({}", id(rng)),
        _ => id(rng),
    }
}

fn group(rng: &mut Rng) -> &'static str {
    const GROUPS: &[&str] = &["g1", "g2", "nogroup"];
    GROUPS[rng.below(3) as usize]
}

fn consumer(rng: &mut Rng) -> &'static str {
    const CONSUMERS: &[&str] = &["alice", "bob", "carol"];
    CONSUMERS[rng.below(3) as usize]
}

fn pairs(g: &mut Gen, mut command: Command) -> Command {
    let fields = if g.rng.chance(5) { 0 } else { 1 + g.rng.below(3) };
    for _ in 0..fields {
        let field = *g.rng.pick(&["f", "g", "h"]);
        command = command.arg(field).arg(g.value());
    }
    command
}

fn xadd(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("xadd", "XADD").arg(key(&mut g.rng));
    if g.rng.chance(10) {
        command = command.arg(g.token("NOMKSTREAM"));
    }
    let id = id(&mut g.rng);
    command = command.arg(id);
    pairs(g, command).into()
}

fn trim_args(g: &mut Gen, mut command: Command) -> Command {
    let strategy = if g.rng.chance(60) { "MAXLEN" } else { "MINID" };
    command = command.arg(g.token(strategy));
    let approx = g.rng.below(3);
    if approx == 1 {
        command = command.arg("~");
    } else if approx == 2 {
        command = command.arg("=");
    }
    command = if strategy == "MAXLEN" {
        command.arg(g.rng.pick(&["0", "1", "2", "5", "-1", "x"]))
    } else {
        command.arg(id(&mut g.rng))
    };
    if g.rng.chance(15) {
        command = command.arg(g.token("LIMIT")).arg(g.rng.pick(&["0", "1", "100", "-1"]));
    }
    command
}

fn xadd_trim(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(&mut g.rng);
    let command = trim_args(g, Command::new("xadd_trim", "XADD").arg(key));
    let id = id(&mut g.rng);
    pairs(g, command.arg(id)).into()
}

fn string(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("stream_string", "SET").arg(key(&mut g.rng)).arg("v").into()
}

fn xrange(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = if g.rng.chance(50) { "XRANGE" } else { "XREVRANGE" };
    let mut command =
        Command::new("xrange", name).arg(key(&mut g.rng)).arg(bound(&mut g.rng)).arg(bound(&mut g.rng));
    if g.rng.chance(40) {
        command = command.arg(g.token("COUNT")).arg(g.rng.pick(&["0", "1", "2", "-1", "x"]));
    }
    vec![Action::Send(command), Action::Send(Command::new("xrange", "XLEN").arg(key(&mut g.rng)))]
}

fn xdel(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("xdel", "XDEL").arg(key(&mut g.rng));
    for _ in 0..1 + g.rng.below(3) {
        command = command.arg(id(&mut g.rng));
    }
    command.into()
}

fn xtrim(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(&mut g.rng);
    trim_args(g, Command::new("xtrim", "XTRIM").arg(key)).into()
}

fn xsetid(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("xsetid", "XSETID").arg(key(&mut g.rng)).arg(id(&mut g.rng));
    if g.rng.chance(30) {
        command = command.arg(g.token("ENTRIESADDED")).arg(g.rng.pick(&["0", "5", "100", "-1"]));
    }
    if g.rng.chance(30) {
        command = command.arg(g.token("MAXDELETEDID")).arg(id(&mut g.rng));
    }
    command.into()
}

fn xgroup(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(&mut g.rng);
    let group = group(&mut g.rng);
    let command = match g.rng.below(6) {
        0 | 1 => {
            let start = if g.rng.chance(30) { "$".to_string() } else { id(&mut g.rng) };
            let mut c = Command::new("xgroup", "XGROUP").arg("CREATE").arg(key).arg(group).arg(start);
            if g.rng.chance(40) {
                c = c.arg(g.token("MKSTREAM"));
            }
            if g.rng.chance(20) {
                c = c.arg("ENTRIESREAD").arg(g.rng.pick(&["0", "3", "-1", "-2"]));
            }
            c
        }
        2 => Command::new("xgroup", "XGROUP").arg("SETID").arg(key).arg(group).arg(bound(&mut g.rng)),
        3 => Command::new("xgroup", "XGROUP").arg("DESTROY").arg(key).arg(group),
        4 => Command::new("xgroup", "XGROUP")
            .arg("CREATECONSUMER")
            .arg(key)
            .arg(group)
            .arg(consumer(&mut g.rng)),
        _ => {
            Command::new("xgroup", "XGROUP").arg("DELCONSUMER").arg(key).arg(group).arg(consumer(&mut g.rng))
        }
    };
    command.into()
}

fn xreadgroup(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("xreadgroup", "XREADGROUP")
        .arg("GROUP")
        .arg(group(&mut g.rng))
        .arg(consumer(&mut g.rng));
    if g.rng.chance(50) {
        command = command.arg("COUNT").arg(g.rng.pick(&["1", "2", "0"]));
    }
    if g.rng.chance(20) {
        command = command.arg(g.token("NOACK"));
    }
    let start = if g.rng.chance(70) { ">".to_string() } else { id(&mut g.rng) };
    let key = key(&mut g.rng);
    vec![
        Action::Send(command.arg("STREAMS").arg(key.clone()).arg(start)),
        Action::Send(Command::new("xreadgroup", "XPENDING").arg(key).arg(group(&mut g.rng))),
    ]
}

fn xack(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("xack", "XACK").arg(key(&mut g.rng)).arg(group(&mut g.rng));
    for _ in 0..1 + g.rng.below(3) {
        command = command.arg(id(&mut g.rng));
    }
    command.into()
}

fn xclaim(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = key(&mut g.rng);
    let group = group(&mut g.rng);
    let consumer = consumer(&mut g.rng);
    if g.rng.chance(50) {
        let mut command = Command::new("xclaim", "XCLAIM").arg(key).arg(group).arg(consumer).arg("0");
        for _ in 0..1 + g.rng.below(3) {
            command = command.arg(id(&mut g.rng));
        }
        if g.rng.chance(30) {
            command = command.arg(g.token("FORCE"));
        }
        if g.rng.chance(20) {
            command = command.arg("LASTID").arg(id(&mut g.rng));
        }
        command.arg(g.token("JUSTID")).into()
    } else {
        let mut command = Command::new("xclaim", "XAUTOCLAIM")
            .arg(key)
            .arg(group)
            .arg(consumer)
            .arg("0")
            .arg(bound(&mut g.rng));
        if g.rng.chance(50) {
            command = command.arg("COUNT").arg(g.rng.pick(&["1", "2", "0", "-1", "9223372036854775807"]));
        }
        command.arg(g.token("JUSTID")).into()
    }
}

fn xinfo_groups(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("xinfo_groups", "XINFO").arg("GROUPS").arg(key(&mut g.rng)).into()
}

fn xread(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("xread", "XREAD");
    if g.rng.chance(50) {
        command = command.arg("COUNT").arg(g.rng.pick(&["1", "2", "0"]));
    }
    let (a, b) = (key(&mut g.rng), key(&mut g.rng));
    let (x, y) = (id(&mut g.rng), if g.rng.chance(20) { "$".to_string() } else { id(&mut g.rng) });
    command.arg("STREAMS").arg(a).arg(b).arg(x).arg(y).into()
}
