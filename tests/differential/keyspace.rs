//! The `keyspace` family: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, COPY [DB n]
//! [REPLACE], MOVE, SWAPDB, SELECT, DBSIZE, FLUSHDB, KEYS, RANDOMKEY, TOUCH, the EXPIRE
//! family, PERSIST, the TTL questions and OBJECT FREQ, over databases 0–3 (plus
//! invalid indexes), with SET and MSET to keep keys around.

use crate::expiry;
use crate::pools::{TimeArg, BAD_DBS, DBS};
use crate::step::{Action, Check, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const KEYSPACE: Family = Family {
    name: "keyspace",
    ops: &[
        Op { feature: "fill", weight: 14, make: fill },
        Op { feature: "del", weight: 4, make: del },
        Op { feature: "exists", weight: 4, make: exists },
        Op { feature: "type", weight: 2, make: type_of },
        Op { feature: "rename", weight: 5, make: rename },
        Op { feature: "copy", weight: 5, make: copy },
        Op { feature: "move", weight: 3, make: move_key },
        Op { feature: "swapdb", weight: 1, make: swapdb },
        Op { feature: "select", weight: 4, make: select },
        Op { feature: "dbsize", weight: 3, make: dbsize },
        Op { feature: "flushdb", weight: 1, make: flushdb },
        Op { feature: "keys", weight: 4, make: keys },
        Op { feature: "randomkey", weight: 3, make: randomkey },
        Op { feature: "touch", weight: 2, make: touch },
        Op { feature: "expire", weight: 10, make: expiry::expire },
        Op { feature: "persist", weight: 2, make: expiry::persist },
        Op { feature: "ttl", weight: 8, make: expiry::ttl_question },
        Op { feature: "object", weight: 2, make: object },
        Op { feature: "tiny_ttl", weight: 1, make: expiry::tiny_ttl },
    ],
};

/// A database index: one of 0–3 mostly, sometimes an invalid one.
fn db(g: &mut Gen, bad_percent: u64) -> &'static str {
    if g.rng.chance(bad_percent) {
        g.rng.pick::<&str>(BAD_DBS)
    } else {
        g.rng.pick::<&str>(DBS)
    }
}

/// Keeps keys around: SET (sometimes with a long relative or far-future TTL) or MSET.
fn fill(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    if g.rng.chance(20) {
        let mut command = Command::new("fill", "MSET");
        for _ in 0..1 + g.rng.below(3) {
            command = command.arg(g.key()).arg(g.value());
        }
        return command.into();
    }
    let command = Command::new("fill", "SET").arg(g.key()).arg(g.value());
    match g.rng.below(4) {
        0 => command.arg("EX").arg(g.valid_time(TimeArg::SetSecs)),
        1 => command.arg("PXAT").arg(g.valid_time(TimeArg::SetAtMs)),
        _ => command,
    }
    .into()
}

/// Between one and four keys (repeats possible).
fn some_keys(g: &mut Gen, most: u64) -> Vec<Vec<u8>> {
    (0..1 + g.rng.below(most)).map(|_| g.key()).collect()
}

/// `DEL` or `UNLINK` of one to four keys.
fn del(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = if g.rng.chance(60) { "DEL" } else { "UNLINK" };
    Command::new("del", name).args(some_keys(g, 4)).into()
}

/// `EXISTS` of one to five keys (repeats count twice).
fn exists(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("exists", "EXISTS").args(some_keys(g, 5)).into()
}

fn type_of(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("type", "TYPE").arg(g.key()).into()
}

/// `RENAME` or `RENAMENX`, the two keys sometimes the same.
fn rename(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = if g.rng.chance(60) { "RENAME" } else { "RENAMENX" };
    let from = g.key();
    let to = if g.rng.chance(10) { from.clone() } else { g.key() };
    Command::new("rename", name).arg(from).arg(to).into()
}

/// `COPY src dst [DB n] [REPLACE]`: options in any order, repeated, missing their
/// argument or unknown; the feature `copy_db` adds the DB option.
fn copy(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let from = g.key();
    let to = if g.rng.chance(10) { from.clone() } else { g.key() };
    let mut groups: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut feature = "copy";
    if g.on("copy_db") && g.rng.chance(50) {
        feature = "copy_db";
        groups.push(vec![g.token("DB"), db(g, 15).as_bytes().to_vec()]);
    }
    if g.rng.chance(40) {
        groups.push(vec![g.token("REPLACE")]);
    }
    if g.rng.chance(5) {
        let word = *g.rng.pick(&["REPLACE", "FOO", "DB"]);
        groups.push(vec![g.token(word)]);
    }
    g.rng.shuffle(&mut groups);
    Command::new(feature, "COPY").arg(from).arg(to).args(groups.into_iter().flatten()).into()
}

fn move_key(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let target = db(g, 20);
    Command::new("move", "MOVE").arg(g.key()).arg(target).into()
}

fn swapdb(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let (a, b) = (db(g, 10), db(g, 10));
    Command::new("swapdb", "SWAPDB").arg(a).arg(b).into()
}

fn select(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("select", "SELECT").arg(db(g, 15)).into()
}

fn dbsize(_: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("dbsize", "DBSIZE").into()
}

/// `FLUSHDB [ASYNC|SYNC]`, sometimes with a bad argument.
fn flushdb(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let command = Command::new("flushdb", "FLUSHDB");
    match g.rng.below(6) {
        0 => command.arg(g.token("ASYNC")),
        1 => command.arg(g.token("SYNC")),
        2 if g.rng.chance(30) => command.arg(*g.rng.pick(&["FOO", "", "ASYNC SYNC"])),
        _ => command,
    }
    .into()
}

/// Glob patterns for KEYS: wildcards, classes, ranges (reversed too), escapes, and
/// broken ones (an unclosed class, a trailing backslash).
const PATTERNS: &[&[u8]] = &[
    b"*", b"?", b"a", b"k*", b"*1", b"[abc]", b"[^a]*", b"[a-k]?", b"\\*", b"{t}*", b"*\x00*", b"", b"sp*",
    b"[", b"[a", b"a[", b"\\", b"[]", b"[^]", b"*[*", b"??*", b"[c-a]", b"\xd0*", b"[\\]]*", b"*\\",
    b"[!a]*", b"[-]", b"k[-1]", b"]",
];

/// Patterns where a range runs up to the class's closing bracket (`[a-]`): Redis
/// takes the `]` as the range's end (and the class as unclosed), so `k[1-]` matches
/// `k2` and `k]` but not `k-`. Feature `keys_range_end`.
const RANGE_TO_BRACKET: &[&[u8]] = &[b"k[1-]", b"[a-]", b"k[^1-]"];

/// `KEYS pattern`, compared in any order; with the feature `keys_range_end`, some
/// patterns from [`RANGE_TO_BRACKET`]; with `keys_only_stars`, some `**` and `***`
/// (which Redis does not match with the empty key, FerrumKV does).
fn keys(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    if g.on("keys_range_end") && g.rng.chance(10) {
        let pattern = g.rng.pick(RANGE_TO_BRACKET);
        return Command::new("keys_range_end", "KEYS").arg(pattern).check(Check::Unordered).into();
    }
    if g.on("keys_only_stars") && g.rng.chance(5) {
        let stars = vec![b'*'; 2 + g.rng.below(2) as usize];
        return Command::new("keys_only_stars", "KEYS").arg(stars).check(Check::Unordered).into();
    }
    if g.on("keys_random_glob") && g.rng.chance(30) {
        return Command::new("keys_random_glob", "KEYS").arg(random_glob(g)).check(Check::Unordered).into();
    }
    Command::new("keys", "KEYS").arg(g.rng.pick(PATTERNS)).check(Check::Unordered).into()
}

/// A random glob of up to six pieces from wildcards, class brackets, `^`, `-`, `\\`
/// and the letters of the key pool; without `keys_range_end`, none with `-]`;
/// without `keys_only_stars`, none made of two or more `*` alone (Redis matches the
/// empty key only with `*` itself).
fn random_glob(g: &mut Gen) -> Vec<u8> {
    const PIECES: &[&[u8]] =
        &[b"*", b"?", b"[", b"]", b"^", b"-", b"\\", b"a", b"b", b"k", b"1", b"2", b"!", b"[a-c]"];
    loop {
        let pattern: Vec<u8> = (0..1 + g.rng.below(6)).flat_map(|_| g.rng.pick(PIECES).to_vec()).collect();
        let range_end = pattern.windows(2).any(|w| w == b"-]");
        let only_stars = pattern.len() > 1 && pattern.iter().all(|&b| b == b'*');
        if (g.on("keys_range_end") || !range_end) && (g.on("keys_only_stars") || !only_stars) {
            return pattern;
        }
    }
}

/// `RANDOMKEY`, judged by its properties.
fn randomkey(_: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("randomkey", "RANDOMKEY").check(Check::RandomKey).into()
}

/// `TOUCH` of one to four keys.
fn touch(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("touch", "TOUCH").args(some_keys(g, 4)).into()
}

/// OBJECT, deterministic parts only (never ENCODING or REFCOUNT, which show
/// internals, nor IDLETIME of a present key, which shows the clock): `FREQ key` (nil
/// for a missing key, else the error that no LFU policy is set: both run
/// `noeviction`), `IDLETIME` of a missing key, wrong arities; with `object_help`,
/// `OBJECT HELP [extra]`; an unknown subcommand with a present key, and with
/// `object_unknown` alone or with any key.
fn object(g: &mut Gen, probe: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let roll = g.rng.below(10);
    if roll == 0 && g.on("object_help") {
        let command = Command::new("object_help", "OBJECT").arg(g.token("HELP"));
        return if g.rng.chance(50) { command.arg(&key) } else { command }.into();
    }
    if roll == 1 && g.on("object_unknown") {
        let command = Command::new("object_unknown", "OBJECT").arg(g.token("FOO"));
        return if g.rng.chance(50) { command.arg(&key) } else { command }.into();
    }
    let command = Command::new("object", "OBJECT");
    match g.rng.below(10) {
        0 => command,
        1 => command.arg(g.token("FREQ")),
        2 => command.arg(g.token("FREQ")).arg(&key).arg(&key),
        3 if probe.exists(&key) => command.arg(g.token("FOO")).arg(&key),
        4 | 5 if !probe.exists(&key) => command.arg(g.token("IDLETIME")).arg(&key),
        _ => command.arg(g.token("FREQ")).arg(&key),
    }
    .into()
}
