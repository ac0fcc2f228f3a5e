//! The `zsets` family: ZADD (every flag combination, bad scores), ZINCRBY (`inf`
//! arithmetic), ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT,
//! ZRANGE in all its forms with random bounds and LIMITs, the older range
//! commands, ZRANGESTORE, the ZREMRANGEBY… commands, ZPOPMIN/ZPOPMAX/ZMPOP,
//! ZRANDMEMBER where the set decides the reply, ZUNION/ZINTER/ZDIFF and their STORE
//! forms with WEIGHTS and AGGREGATE, ZINTERCARD — over the key pool, with SET and
//! SADD making some keys strings and sets.
//!
//! Sorted sets are ordered in both servers, so every reply is compared byte for
//! byte (scores as `%.17g`). Scores are mostly multiples of 0.25 so sums are exact
//! in any order (Redis sorts the sources of a union by size with an unstable sort);
//! `OBJECT ENCODING` is not compared (7.0's `ziplist`-era names against 7.2's).

use crate::rng::Rng;
use crate::step::{Action, Check, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const ZSETS: Family = Family {
    name: "zsets",
    ops: &[
        Op { feature: "zadd", weight: 14, make: zadd },
        Op { feature: "zadd_many", weight: 1, make: zadd_many },
        Op { feature: "zadd_lex", weight: 4, make: zadd_lex },
        Op { feature: "zset_other_types", weight: 1, make: other_types },
        Op { feature: "zincrby", weight: 3, make: zincrby },
        Op { feature: "zrem", weight: 4, make: zrem },
        Op { feature: "zscore", weight: 5, make: zscore },
        Op { feature: "zrank", weight: 3, make: zrank },
        Op { feature: "zcount", weight: 4, make: zcount },
        Op { feature: "zrange", weight: 10, make: zrange },
        Op { feature: "zrange_old", weight: 6, make: zrange_old },
        Op { feature: "zrangestore", weight: 2, make: zrangestore },
        Op { feature: "zremrange", weight: 3, make: zremrange },
        Op { feature: "zpop", weight: 4, make: zpop },
        Op { feature: "zrandmember_all", weight: 2, make: zrandmember_all },
        Op { feature: "zset_algebra", weight: 6, make: algebra },
        Op { feature: "zintercard", weight: 2, make: zintercard },
    ],
};

fn score(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=59 => rng.range(-8, 8).to_string(),
        60..=79 => format!("{}", rng.range(-20, 20) as f64 / 4.0),
        80..=83 => "+inf".into(),
        84..=87 => "-inf".into(),
        88..=90 => rng.pick(&["0.1", "1.1", "3.3333333333333335", "1e-5", "123456789012345678"]).to_string(),
        91..=93 => rng.pick(&["-0", "0e0", "1e2", ".5", "5."]).to_string(),
        _ => rng.pick(&["nan", "x", "", "1e400", " 1", "1x", "inf1"]).to_string(),
    }
}

fn member(rng: &mut Rng) -> Vec<u8> {
    match rng.below(100) {
        0..=69 => {
            rng.pick(&["a", "b", "c", "d", "e", "f", "g", "aa", "ab", "b\x00", "é"]).as_bytes().to_vec()
        }
        70..=84 => rng.range(-5, 30).to_string().into_bytes(),
        85..=89 => Vec::new(),
        _ => vec![b'm'; 60 + rng.below(10) as usize],
    }
}

fn score_bound(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=39 => rng.range(-9, 9).to_string(),
        40..=64 => format!("({}", rng.range(-9, 9)),
        65..=74 => format!("{}", rng.range(-20, 20) as f64 / 4.0),
        75..=82 => rng.pick(&["-inf", "+inf", "(-inf", "(+inf", "inf"]).to_string(),
        _ => rng.pick(&["x", "(", "((1", "nan", "", "[1"]).to_string(),
    }
}

fn lex_bound(rng: &mut Rng) -> Vec<u8> {
    match rng.below(100) {
        0..=19 => b"-".to_vec(),
        20..=39 => b"+".to_vec(),
        40..=69 => [b"[".to_vec(), member(rng)].concat(),
        70..=94 => [b"(".to_vec(), member(rng)].concat(),
        _ => rng.pick(&["a", "", "*", "]a"]).as_bytes().to_vec(),
    }
}

fn rank(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=69 => rng.range(-12, 12).to_string(),
        70..=89 => rng.pick(&["0", "-1", "100", "-100"]).to_string(),
        _ => rng.pick(&["9223372036854775807", "-9223372036854775808", "x", "1.5"]).to_string(),
    }
}

/// The keys of the lex commands: only ever given members of score 0 (`zadd_lex`),
/// since a lex range over mixed scores depends on Redis's skiplist levels.
const LEX_KEYS: &[&str] = &["lex:a", "lex:b"];

fn lex_key(g: &mut Gen) -> Vec<u8> {
    g.rng.pick(LEX_KEYS).as_bytes().to_vec()
}

/// `ZADD` of members at score 0 to a lex key, now and then enough for a skiplist.
fn zadd_lex(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.rng.pick(LEX_KEYS).as_bytes().to_vec();
    let mut command = Command::new("zadd_lex", "ZADD").arg(key);
    let count = if g.rng.chance(5) { 140 } else { 1 + g.rng.below(5) };
    for i in 0..count {
        let member = if count > 100 { format!("w{i}").into_bytes() } else { member(&mut g.rng) };
        command = command.arg("0").arg(member);
    }
    command.into()
}

fn keys(g: &mut Gen, most: u64) -> Vec<Vec<u8>> {
    (0..1 + g.rng.below(most)).map(|_| g.key()).collect()
}

fn zadd(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("zadd", "ZADD").arg(g.key());
    for flag in ["NX", "XX", "GT", "LT", "CH", "INCR"] {
        if g.rng.chance(12) {
            command = command.arg(g.token(flag));
        }
    }
    let pairs = if command.args.iter().any(|a| a.eq_ignore_ascii_case(b"INCR")) && g.rng.chance(80) {
        1
    } else {
        1 + g.rng.below(5)
    };
    for _ in 0..pairs {
        command = command.arg(score(&mut g.rng)).arg(member(&mut g.rng));
    }
    if g.rng.chance(5) {
        command = command.arg("1");
    }
    command.into()
}

/// Enough members at once to leave the listpack (past 128).
fn zadd_many(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let count = if g.rng.chance(50) { 130 } else { 300 };
    let mut command = Command::new("zadd_many", "ZADD").arg(g.key());
    for i in 0..count {
        command = command.arg((i % 17).to_string()).arg(format!("w{i}"));
    }
    command.into()
}

fn other_types(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    if g.rng.chance(50) {
        Command::new("zset_other_types", "SET").arg(g.key()).arg(g.value()).into()
    } else {
        Command::new("zset_other_types", "SADD").arg(g.key()).arg("a").arg("b").arg("1").into()
    }
}

fn zincrby(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("zincrby", "ZINCRBY").arg(g.key()).arg(score(&mut g.rng)).arg(member(&mut g.rng)).into()
}

fn zrem(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let members: Vec<Vec<u8>> = (0..1 + g.rng.below(4)).map(|_| member(&mut g.rng)).collect();
    Command::new("zrem", "ZREM").arg(g.key()).args(members).into()
}

fn zscore(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    match g.rng.below(3) {
        0 => Command::new("zscore", "ZSCORE").arg(g.key()).arg(member(&mut g.rng)).into(),
        1 => {
            let members: Vec<Vec<u8>> = (0..1 + g.rng.below(4)).map(|_| member(&mut g.rng)).collect();
            Command::new("zscore", "ZMSCORE").arg(g.key()).args(members).into()
        }
        _ => Command::new("zscore", "ZCARD").arg(g.key()).into(),
    }
}

fn zrank(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["ZRANK", "ZREVRANK"]);
    Command::new("zrank", name).arg(g.key()).arg(member(&mut g.rng)).into()
}

fn zcount(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    if g.rng.chance(50) {
        Command::new("zcount", "ZCOUNT")
            .arg(g.key())
            .arg(score_bound(&mut g.rng))
            .arg(score_bound(&mut g.rng))
            .into()
    } else {
        Command::new("zcount", "ZLEXCOUNT")
            .arg(lex_key(g))
            .arg(lex_bound(&mut g.rng))
            .arg(lex_bound(&mut g.rng))
            .into()
    }
}

fn limit(g: &mut Gen, command: Command) -> Command {
    let offset = match g.rng.below(10) {
        0 => "-1".to_string(),
        1 => "x".to_string(),
        _ => g.rng.range(0, 6).to_string(),
    };
    let count = match g.rng.below(10) {
        0 => "-1".to_string(),
        1 => "-5".to_string(),
        2 => "9223372036854775807".to_string(),
        _ => g.rng.range(0, 6).to_string(),
    };
    command.arg(g.token("LIMIT")).arg(offset).arg(count)
}

/// `ZRANGE`'s arguments after the key(s); `by` 2 is a lex range.
fn range_args(g: &mut Gen, mut command: Command, by: u64, store: bool) -> Command {
    let (start, end): (Vec<u8>, Vec<u8>) = match by {
        0 => (rank(&mut g.rng).into_bytes(), rank(&mut g.rng).into_bytes()),
        1 => (score_bound(&mut g.rng).into_bytes(), score_bound(&mut g.rng).into_bytes()),
        _ => (lex_bound(&mut g.rng), lex_bound(&mut g.rng)),
    };
    command = command.arg(start).arg(end);
    // Mostly the matching BY…, sometimes BYSCORE for the others (bad bounds for
    // it); BYLEX only on the lex keys.
    let word = match (by, g.rng.below(10)) {
        (_, 0) => Some("BYSCORE"),
        (0, _) => None,
        (1, _) => Some("BYSCORE"),
        _ => Some("BYLEX"),
    };
    if let Some(word) = word {
        command = command.arg(g.token(word));
    }
    if g.rng.chance(30) {
        command = command.arg(g.token("REV"));
    }
    if g.rng.chance(40) {
        command = limit(g, command);
    }
    if !store && g.rng.chance(40) || g.rng.chance(3) {
        command = command.arg(g.token("WITHSCORES"));
    }
    command
}

fn zrange(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let by = g.rng.below(3);
    let key = if by == 2 { lex_key(g) } else { g.key() };
    let command = Command::new("zrange", "ZRANGE").arg(key);
    range_args(g, command, by, false).into()
}

fn zrange_old(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name =
        *g.rng.pick(&["ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX"]);
    let key = if name.contains("LEX") { lex_key(g) } else { g.key() };
    let mut command = Command::new("zrange_old", name).arg(key);
    if name.contains("LEX") {
        command = command.arg(lex_bound(&mut g.rng)).arg(lex_bound(&mut g.rng));
    } else if name.contains("SCORE") {
        command = command.arg(score_bound(&mut g.rng)).arg(score_bound(&mut g.rng));
    } else {
        command = command.arg(rank(&mut g.rng)).arg(rank(&mut g.rng));
    }
    if g.rng.chance(40) {
        command = command.arg(g.token("WITHSCORES"));
    }
    if g.rng.chance(40) {
        command = limit(g, command);
    }
    command.into()
}

fn zrangestore(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let destination = g.key();
    let by = g.rng.below(3);
    let source = if by == 2 { lex_key(g) } else { g.key() };
    let command = Command::new("zrangestore", "ZRANGESTORE").arg(&destination).arg(source);
    vec![
        Action::Send(range_args(g, command, by, true)),
        Action::Send(
            Command::new("zrangestore", "ZRANGE").arg(&destination).arg("0").arg("-1").arg("WITHSCORES"),
        ),
    ]
}

fn zremrange(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let command = match g.rng.below(3) {
        0 => {
            Command::new("zremrange", "ZREMRANGEBYRANK").arg(&key).arg(rank(&mut g.rng)).arg(rank(&mut g.rng))
        }
        1 => Command::new("zremrange", "ZREMRANGEBYSCORE")
            .arg(&key)
            .arg(score_bound(&mut g.rng))
            .arg(score_bound(&mut g.rng)),
        _ => Command::new("zremrange", "ZREMRANGEBYLEX")
            .arg(lex_key(g))
            .arg(lex_bound(&mut g.rng))
            .arg(lex_bound(&mut g.rng)),
    };
    vec![Action::Send(command), Action::Send(Command::new("zremrange", "ZCARD").arg(key))]
}

fn count(g: &mut Gen) -> String {
    match g.rng.below(10) {
        0 => g.rng.pick(&["0", "-1", "x", "9223372036854775807"]).to_string(),
        _ => g.rng.range(1, 5).to_string(),
    }
}

fn zpop(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    match g.rng.below(3) {
        0 | 1 => {
            let name = *g.rng.pick(&["ZPOPMIN", "ZPOPMAX"]);
            let mut command = Command::new("zpop", name).arg(g.key());
            if g.rng.chance(60) {
                command = command.arg(count(g));
            }
            command.into()
        }
        _ => {
            let keys = keys(g, 3);
            let numkeys = if g.rng.chance(90) { keys.len().to_string() } else { "0".into() };
            let mut command = Command::new("zpop", "ZMPOP").arg(numkeys).args(keys);
            let which = *g.rng.pick(&["MIN", "MAX"]);
            command = command.arg(g.token(which));
            if g.rng.chance(50) {
                command = command.arg(g.token("COUNT")).arg(count(g));
            }
            command.into()
        }
    }
}

/// `ZRANDMEMBER key count` with a count that takes the whole set, or a bad one.
fn zrandmember_all(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let count = match g.rng.below(10) {
        0 => "-9223372036854775808",
        1 => "x",
        2 => "0",
        _ => "100000",
    };
    // A skiplist answers in its dict's order in Redis: compared as a set, and so
    // without WITHSCORES (whose pairs a set comparison would split). Two actions,
    // so the arity mutation (a random `ZRANDMEMBER key`) leaves them alone.
    let key = g.key();
    vec![
        Action::Send(
            Command::new("zrandmember_all", "ZRANDMEMBER").arg(&key).arg(count).check(Check::Unordered),
        ),
        Action::Send(Command::new("zrandmember_all", "ZCARD").arg(key)),
    ]
}

fn algebra(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let op = *g.rng.pick(&["ZUNION", "ZINTER", "ZDIFF"]);
    let store = g.rng.chance(40);
    let keys = keys(g, 4);
    let destination = g.key();
    let numkeys = match g.rng.below(12) {
        0 => "0".to_string(),
        1 => "9".to_string(),
        _ => keys.len().to_string(),
    };
    let mut command = if store {
        Command::new("zset_algebra", &format!("{op}STORE")).arg(&destination)
    } else {
        Command::new("zset_algebra", op)
    };
    command = command.arg(numkeys).args(&keys);
    if g.rng.chance(30) {
        command = command.arg(g.token("WEIGHTS"));
        for _ in 0..keys.len() {
            command = command.arg(g.rng.pick(&["1", "2", "-1", "0", "0.5", "inf", "x"]));
        }
    }
    if g.rng.chance(30) {
        let how = *g.rng.pick(&["SUM", "MIN", "MAX", "AVG"]);
        command = command.arg(g.token("AGGREGATE")).arg(g.token(how));
    }
    if !store && g.rng.chance(50) {
        command = command.arg(g.token("WITHSCORES"));
    }
    if store {
        vec![
            Action::Send(command),
            Action::Send(
                Command::new("zset_algebra", "ZRANGE").arg(&destination).arg("0").arg("-1").arg("WITHSCORES"),
            ),
        ]
    } else {
        command.into()
    }
}

fn zintercard(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let keys = keys(g, 3);
    let numkeys = match g.rng.below(10) {
        0 => g.rng.pick(&["0", "-1", "x", "9"]).to_string(),
        _ => keys.len().to_string(),
    };
    let mut command = Command::new("zintercard", "ZINTERCARD").arg(numkeys).args(keys);
    match g.rng.below(6) {
        0 | 1 => command = command.arg(g.token("LIMIT")).arg(g.rng.range(0, 4).to_string()),
        2 => command = command.arg(g.token("LIMIT")).arg(*g.rng.pick(&["-1", "x", ""])),
        _ => {}
    }
    command.into()
}
