//! The `bits` family: the string type completed — SETBIT, GETBIT, BITCOUNT, BITPOS
//! (BYTE/BIT ranges), BITOP, BITFIELD and BITFIELD_RO (every type, `#` offsets, the
//! overflow rules, broken arguments), PFADD, PFCOUNT, PFMERGE (and the raw bytes of a
//! HyperLogLog read back with GET, corrupted with SETRANGE), LCS with its options,
//! and INCRBYFLOAT on any number text (long-double arithmetic, `strtold` parsing).
//! Plain SET/APPEND keep strings of every shape under the keys.

use crate::pools;
use crate::step::{Action, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const BITS: Family = Family {
    name: "bits",
    ops: &[
        Op { feature: "bits_fill", weight: 6, make: fill },
        Op { feature: "setbit", weight: 8, make: setbit },
        Op { feature: "getbit", weight: 5, make: getbit },
        Op { feature: "bitcount", weight: 6, make: bitcount },
        Op { feature: "bitpos", weight: 8, make: bitpos },
        Op { feature: "bitop", weight: 5, make: bitop },
        Op { feature: "bitfield", weight: 10, make: bitfield },
        Op { feature: "pfadd", weight: 8, make: pfadd },
        Op { feature: "pfcount", weight: 5, make: pfcount },
        Op { feature: "pfmerge", weight: 3, make: pfmerge },
        Op { feature: "hll_raw", weight: 3, make: hll_raw },
        Op { feature: "lcs", weight: 5, make: lcs },
        Op { feature: "incrbyfloat_any", weight: 8, make: incrbyfloat_any },
        Op { feature: "bits_get", weight: 4, make: get },
    ],
};

/// SETBIT's bit argument: mostly valid, sometimes not.
const SETBIT_BITS: &[&[u8]] = &[b"0", b"1", b"1", b"0", b"2", b"-1", b"x"];
/// BITPOS's bit argument.
const BITPOS_BITS: &[&[u8]] = &[b"0", b"1", b"1", b"0", b"2", b"x"];
/// BITFIELD's overflow rules, and a bad one.
const OVERFLOW_RULES: &[&[u8]] = &[b"WRAP", b"SAT", b"FAIL", b"sat", b"NONE"];

/// Small offsets mostly, then far ones, the 512 MB edge and junk.
fn bit_offset(g: &mut Gen) -> Vec<u8> {
    match g.rng.below(20) {
        0..=13 => g.rng.range(0, 100).to_string().into_bytes(),
        14..=15 => g.rng.range(0, 5000).to_string().into_bytes(),
        16 => b"4294967296".to_vec(),
        17 => b"-1".to_vec(),
        18 => b"9223372036854775807".to_vec(),
        _ => g.rng.pick(&[&b"x"[..], b"1.5", b"", b"#1"]).to_vec(),
    }
}

/// A range bound: small, negative, huge, junk.
fn bound(g: &mut Gen) -> Vec<u8> {
    match g.rng.below(12) {
        0..=8 => g.rng.range(-20, 30).to_string().into_bytes(),
        9 => b"9223372036854775807".to_vec(),
        10 => b"-9223372036854775808".to_vec(),
        _ => b"x".to_vec(),
    }
}

/// `SET` or `APPEND` of a value of any shape (a bitmap's raw material).
fn fill(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let value = g.value();
    let name = if g.rng.chance(70) { "SET" } else { "APPEND" };
    Command::new("bits_fill", name).arg(key).arg(value).into()
}

/// `GET` of a key: the bytes a bit command left.
fn get(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("bits_get", "GET").arg(g.key()).into()
}

/// `SETBIT key offset 0|1` (sometimes a bad bit).
fn setbit(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let offset = if g.rng.chance(95) { g.rng.range(0, 200).to_string().into_bytes() } else { bit_offset(g) };
    let bit = *g.rng.pick(SETBIT_BITS);
    Command::new("setbit", "SETBIT").arg(key).arg(offset).arg(bit).into()
}

/// `GETBIT key offset`.
fn getbit(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let offset = bit_offset(g);
    Command::new("getbit", "GETBIT").arg(key).arg(offset).into()
}

/// A `BYTE`/`BIT` word in any case, or a wrong one.
fn unit(g: &mut Gen) -> Vec<u8> {
    match g.rng.below(8) {
        0..=3 => g.token("BIT"),
        4..=6 => g.token("BYTE"),
        _ => b"BITS".to_vec(),
    }
}

/// `BITCOUNT key [start end [BYTE|BIT]]`, and broken arities.
fn bitcount(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("bitcount", "BITCOUNT").arg(g.key());
    match g.rng.below(10) {
        0..=1 => {}
        2 => command = command.arg(bound(g)),
        3..=5 => command = command.arg(bound(g)).arg(bound(g)),
        _ => command = command.arg(bound(g)).arg(bound(g)).arg(unit(g)),
    }
    command.into()
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`.
fn bitpos(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let bit = *g.rng.pick(BITPOS_BITS);
    let mut command = Command::new("bitpos", "BITPOS").arg(g.key()).arg(bit);
    let extra = g.rng.below(5);
    if extra >= 1 {
        command = command.arg(bound(g));
    }
    if extra >= 2 {
        command = command.arg(bound(g));
    }
    if extra >= 3 {
        command = command.arg(unit(g));
    }
    if extra == 4 && g.rng.chance(20) {
        command = command.arg("x");
    }
    command.into()
}

/// `BITOP op dest src…`.
fn bitop(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let op = match g.rng.below(10) {
        0..=2 => g.token("AND"),
        3..=4 => g.token("OR"),
        5..=6 => g.token("XOR"),
        7..=8 => g.token("NOT"),
        _ => b"NAND".to_vec(),
    };
    let sources = if op.eq_ignore_ascii_case(b"NOT") && g.rng.chance(80) { 1 } else { g.rng.range(1, 4) };
    let mut command = Command::new("bitop", "BITOP").arg(op).arg(g.key());
    for _ in 0..sources {
        command = command.arg(g.key());
    }
    command.into()
}

/// A BITFIELD type, sometimes a bad one.
fn field_type(g: &mut Gen) -> Vec<u8> {
    if g.rng.chance(8) {
        return g.rng.pick(&[&b"u64"[..], b"i65", b"i0", b"x8", b"u", b""]).to_vec();
    }
    let signed = g.rng.chance(50);
    let bits = if signed { g.rng.range(1, 65) } else { g.rng.range(1, 64) };
    format!("{}{bits}", if signed { 'i' } else { 'u' }).into_bytes()
}

/// `BITFIELD` (or `BITFIELD_RO`) with 0-4 subcommands in any mix, `#` offsets,
/// values at the type limits and beyond, and broken words.
fn bitfield(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let ro = g.rng.chance(15);
    let name = if ro { "BITFIELD_RO" } else { "BITFIELD" };
    let mut command = Command::new("bitfield", name).arg(g.key());
    for _ in 0..g.rng.below(5) {
        let sub = g.rng.below(20);
        if sub == 19 {
            command = command.arg(g.rng.pick(&[&b"FOO"[..], b"GET", b"OVERFLOW"]));
            continue;
        }
        if sub >= 16 {
            let rule = *g.rng.pick(OVERFLOW_RULES);
            command = command.arg(g.token("OVERFLOW")).arg(rule);
            continue;
        }
        let word = match sub {
            0..=5 => "GET",
            6..=10 => "SET",
            _ => "INCRBY",
        };
        let ty = field_type(g);
        let offset = match g.rng.below(10) {
            0..=5 => g.rng.range(0, 80).to_string(),
            6..=7 => format!("#{}", g.rng.range(0, 8)),
            8 => "#-1".to_string(),
            _ => String::from_utf8_lossy(&bit_offset(g)).into_owned(),
        };
        command = command.arg(g.token(word)).arg(ty).arg(offset);
        if word != "GET" {
            let value = match g.rng.below(6) {
                0..=2 => g.rng.range(-300, 300).to_string().into_bytes(),
                3 => pools::int_text(&mut g.rng),
                4 => i64::MAX.to_string().into_bytes(),
                _ => i64::MIN.to_string().into_bytes(),
            };
            command = command.arg(value);
        }
    }
    command.into()
}

/// HyperLogLog keys live under their own names so they stay HyperLogLogs.
fn hll_key(g: &mut Gen) -> Vec<u8> {
    if g.rng.chance(90) {
        g.rng.pick(&[&b"h1"[..], b"h2", b"h3"]).to_vec()
    } else {
        g.key()
    }
}

/// `PFADD key element…`: a few elements, or many (a sparse value turning dense).
fn pfadd(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let count = if g.rng.chance(10) { g.rng.range(500, 3000) } else { g.rng.range(0, 8) };
    let base = g.rng.below(1_000_000);
    let elements = (0..count).map(|i| format!("e{}", base + i as u64 * 7));
    Command::new("pfadd", "PFADD").arg(hll_key(g)).args(elements).into()
}

/// `PFCOUNT key…`.
fn pfcount(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let n = g.rng.range(1, 4);
    let keys: Vec<Vec<u8>> = (0..n).map(|_| hll_key(g)).collect();
    Command::new("pfcount", "PFCOUNT").args(keys).into()
}

/// `PFMERGE dest src…`.
fn pfmerge(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let n = g.rng.range(0, 3);
    let mut command = Command::new("pfmerge", "PFMERGE").arg(hll_key(g));
    for _ in 0..n {
        command = command.arg(hll_key(g));
    }
    command.into()
}

/// The raw bytes of a HyperLogLog (`GET`: header, cache, registers), or a corrupted
/// one (`SETRANGE` of a random byte, then `PFCOUNT`, `PFADD`).
fn hll_raw(g: &mut Gen, probe: &mut Probe) -> Vec<Action> {
    let key = hll_key(g);
    let Some(value) = probe.get(&key).filter(|v| !v.is_empty()) else {
        return Command::new("hll_raw", "GET").arg(key).into();
    };
    if g.rng.chance(50) {
        return Command::new("hll_raw", "GET").arg(key).into();
    }
    let at = g.rng.below(value.len() as u64).to_string();
    let byte = [g.rng.next_u64() as u8];
    vec![
        Action::Send(Command::new("hll_raw", "SETRANGE").arg(&key).arg(at).arg(byte)),
        Action::Send(Command::new("hll_raw", "PFCOUNT").arg(&key)),
        Action::Send(Command::new("hll_raw", "PFADD").arg(&key).arg("x").arg("y")),
    ]
}

/// `LCS a b` with any mix of `LEN`, `IDX`, `MINMATCHLEN n`, `WITHMATCHLEN`, after
/// storing two related strings.
fn lcs(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let words: &[&str] = &["ohmytext", "mynewtext", "abcabcab", "bcbcb", "", "aaaa", "xyz"];
    let (a, b) = (g.rng.pick(words), g.rng.pick(words));
    let mut command = Command::new("lcs", "LCS").arg("{l}a").arg("{l}b");
    for _ in 0..g.rng.below(4) {
        match g.rng.below(9) {
            0..=1 => command = command.arg(g.token("IDX")),
            2..=3 => command = command.arg(g.token("LEN")),
            4..=5 => command = command.arg(g.token("WITHMATCHLEN")),
            6..=7 => command = command.arg(g.token("MINMATCHLEN")).arg(g.rng.range(-2, 6).to_string()),
            _ => command = command.arg("FOO"),
        }
    }
    vec![
        Action::Send(Command::new("lcs", "SET").arg("{l}a").arg(a)),
        Action::Send(Command::new("lcs", "SET").arg("{l}b").arg(b)),
        Action::Send(command),
    ]
}

/// Number texts for INCRBYFLOAT: decimals with long fractions, exponents, hex,
/// infinities, huge and tiny magnitudes, junk.
fn float_text(g: &mut Gen) -> Vec<u8> {
    match g.rng.below(10) {
        0..=2 => {
            let whole = g.rng.range(-100_000, 100_000);
            let frac = g.rng.below(1_000_000_000);
            format!("{whole}.{frac:09}").into_bytes()
        }
        3 => format!("{}", g.rng.next_u64() as i64 >> g.rng.below(63)).into_bytes(),
        4 => format!("{}e{}", g.rng.range(-99, 99), g.rng.range(-30, 30)).into_bytes(),
        5 => g.rng.pick(&["0x10", "-0x1f", "0x1p3", "0x1.8", "-0X2.4", "0x1p-2"]).as_bytes().to_vec(),
        6 => g.rng.pick(pools::FLOAT_TEXTS).as_bytes().to_vec(),
        7 => g
            .rng
            .pick(&["2147483648", "-873", "12345678901234567890", "1e4000", "1e-4000", "0.1"])
            .as_bytes()
            .to_vec(),
        8 => pools::quarter(&mut g.rng, 1000).into_bytes(),
        _ => pools::int_text(&mut g.rng),
    }
}

/// `INCRBYFLOAT key increment` on whatever the key holds (sometimes set first to a
/// number text), any increment.
fn incrbyfloat_any(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let mut actions = Vec::new();
    if g.rng.chance(40) {
        actions.push(Action::Send(Command::new("incrbyfloat_any", "SET").arg(&key).arg(float_text(g))));
    }
    let increment = float_text(g);
    actions.push(Action::Send(Command::new("incrbyfloat_any", "INCRBYFLOAT").arg(&key).arg(increment)));
    actions
}
