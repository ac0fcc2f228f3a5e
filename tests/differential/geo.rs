//! The `geo` family: GEOADD (NX/XX/CH, positions at and past the limits, bad
//! numbers), GEOPOS, GEOHASH, GEODIST in every unit, GEOSEARCH and GEOSEARCHSTORE
//! (FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX, ASC/DESC, COUNT [ANY], WITH…,
//! STOREDIST, options in any order), GEORADIUS and GEORADIUSBYMEMBER with
//! STORE/STOREDIST and their `_RO` forms — over a few geo keys, with a string key
//! for WRONGTYPE and ZADD of scores no GEOADD writes (negative, huge).
//!
//! Every reply is compared byte for byte, unordered searches too: without ASC/DESC
//! both servers list the points cell by cell in score order, which is Redis's
//! algorithm and ours. Positions are random to six decimals, so no two points are
//! at the same distance and a sort has no ties to order.

use crate::rng::Rng;
use crate::step::{Action, Command, Family, Gen, Op, Probe};

/// The family's ops and their weights.
pub const GEO: Family = Family {
    name: "geo",
    ops: &[
        Op { feature: "geoadd", weight: 12, make: geoadd },
        Op { feature: "geoadd_many", weight: 1, make: geoadd_many },
        Op { feature: "geo_other_scores", weight: 1, make: other_scores },
        Op { feature: "geopos", weight: 4, make: geopos },
        Op { feature: "geodist", weight: 4, make: geodist },
        Op { feature: "geosearch", weight: 14, make: geosearch },
        Op { feature: "geosearchstore", weight: 4, make: geosearchstore },
        Op { feature: "georadius", weight: 8, make: georadius },
    ],
};

const KEYS: &[&str] = &["geo:a", "geo:a", "geo:b", "geo:missing", "geo:str"];
const STORE: &[&str] = &["geo:dst", "geo:dst", "geo:a", "geo:str"];

/// One of `items`.
fn one(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len() as u64) as usize]
}

fn key(rng: &mut Rng) -> &'static str {
    one(rng, KEYS)
}

fn member(rng: &mut Rng) -> String {
    if rng.chance(3) {
        String::new()
    } else {
        format!("m{}", rng.below(40))
    }
}

/// A longitude: mostly around Sicily (so searches find something), anywhere on
/// Earth, at the limits, past them, or not a number.
fn longitude(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=59 => format!("{:.6}", 12.0 + rng.below(4_000_000) as f64 / 1e6),
        60..=84 => format!("{:.6}", rng.range(-180_000_000, 180_000_000) as f64 / 1e6),
        85..=89 => rng.pick(&["180", "-180", "0", "-0"]).to_string(),
        90..=94 => rng.pick(&["180.000001", "-181", "1e3", "inf"]).to_string(),
        _ => rng.pick(&["x", "nan", "", "1e400"]).to_string(),
    }
}

fn latitude(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=59 => format!("{:.6}", 36.0 + rng.below(3_000_000) as f64 / 1e6),
        60..=84 => format!("{:.6}", rng.range(-85_000_000, 85_000_000) as f64 / 1e6),
        85..=89 => rng.pick(&["85.05112878", "-85.05112878", "0", "85.0511"]).to_string(),
        90..=94 => rng.pick(&["85.05112879", "-90", "90", "-inf"]).to_string(),
        _ => rng.pick(&["y", "nan", " 1"]).to_string(),
    }
}

fn unit(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=39 => "km",
        40..=59 => "m",
        60..=74 => "mi",
        75..=89 => "ft",
        90..=95 => one(rng, &["KM", "Mi", "M"]),
        _ => one(rng, &["parsec", "", "kms"]),
    }
}

/// A radius in `unit`s: small, large, zero, huge, or refused.
fn radius(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=49 => rng.range(1, 300).to_string(),
        50..=69 => format!("{}.5", rng.range(0, 50)),
        70..=79 => rng.pick(&["0", "20000", "1000000", "inf", "1e300"]).to_string(),
        80..=89 => rng.range(1, 100_000).to_string(),
        _ => rng.pick(&["-1", "x", "nan", ""]).to_string(),
    }
}

fn geoadd(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("geoadd", "GEOADD").arg(key(&mut g.rng));
    for flag in ["NX", "XX", "CH"] {
        if g.rng.chance(10) {
            command = command.arg(g.token(flag));
        }
    }
    for _ in 0..1 + g.rng.below(4) {
        command = command.arg(longitude(&mut g.rng)).arg(latitude(&mut g.rng)).arg(member(&mut g.rng));
    }
    if g.rng.chance(4) {
        command = command.arg("1");
    }
    command.into()
}

/// Enough points at once to leave the listpack (past 128).
fn geoadd_many(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("geoadd_many", "GEOADD").arg(*g.rng.pick(&["geo:a", "geo:b"]));
    for i in 0..150 {
        let lon = format!("{:.6}", 12.0 + g.rng.below(4_000_000) as f64 / 1e6);
        let lat = format!("{:.6}", 36.0 + g.rng.below(3_000_000) as f64 / 1e6);
        command = command.arg(lon).arg(lat).arg(format!("p{i}"));
    }
    command.into()
}

/// A string key for WRONGTYPE, or members whose scores no GEOADD writes.
fn other_scores(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    if g.rng.chance(30) {
        return Command::new("geo_other_scores", "SET").arg("geo:str").arg("v").into();
    }
    let score = *g.rng.pick(&["-1", "0", "1e20", "4503599627370496", "-inf", "+inf", "1.5"]);
    Command::new("geo_other_scores", "ZADD")
        .arg(*g.rng.pick(&["geo:a", "geo:b"]))
        .arg(score)
        .arg("odd")
        .into()
}

fn geopos(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let name = *g.rng.pick(&["GEOPOS", "GEOHASH"]);
    let members: Vec<String> = (0..1 + g.rng.below(4)).map(|_| member(&mut g.rng)).collect();
    Command::new("geopos", name).arg(key(&mut g.rng)).args(members).into()
}

fn geodist(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let mut command = Command::new("geodist", "GEODIST")
        .arg(key(&mut g.rng))
        .arg(member(&mut g.rng))
        .arg(member(&mut g.rng));
    if g.rng.chance(70) {
        command = command.arg(unit(&mut g.rng));
    }
    if g.rng.chance(3) {
        command = command.arg("km");
    }
    command.into()
}

/// The options every search takes, shuffled now and then.
fn options(g: &mut Gen, store: bool) -> Vec<Vec<String>> {
    let mut options = Vec::new();
    match g.rng.below(10) {
        0..=3 => options.push(vec!["ASC".to_string()]),
        4..=6 => options.push(vec!["DESC".to_string()]),
        _ => {}
    }
    if g.rng.chance(40) {
        let count = match g.rng.below(10) {
            0 => g.rng.pick(&["0", "-1", "x", "9223372036854775807"]).to_string(),
            _ => g.rng.range(1, 20).to_string(),
        };
        options.push(vec!["COUNT".into(), count]);
        if g.rng.chance(30) {
            options.push(vec!["ANY".into()]);
        }
    } else if g.rng.chance(3) {
        options.push(vec!["ANY".into()]);
    }
    let extras: &[&str] = if store { &["STOREDIST"] } else { &["WITHCOORD", "WITHDIST", "WITHHASH"] };
    for extra in extras {
        if g.rng.chance(35) {
            options.push(vec![extra.to_string()]);
        }
    }
    if !store && g.rng.chance(3) {
        options.push(vec!["STOREDIST".into()]);
    }
    if g.rng.chance(30) {
        g.rng.shuffle(&mut options);
    }
    options
}

fn centre(g: &mut Gen) -> Vec<String> {
    if g.rng.chance(40) {
        vec!["FROMMEMBER".into(), member(&mut g.rng)]
    } else {
        vec!["FROMLONLAT".into(), longitude(&mut g.rng), latitude(&mut g.rng)]
    }
}

fn shape(g: &mut Gen) -> Vec<String> {
    if g.rng.chance(60) {
        vec!["BYRADIUS".into(), radius(&mut g.rng), unit(&mut g.rng).into()]
    } else {
        vec!["BYBOX".into(), radius(&mut g.rng), radius(&mut g.rng), unit(&mut g.rng).into()]
    }
}

/// FROM…, BY… and the options in some order; now and then one part missing or twice.
fn search_args(g: &mut Gen, store: bool) -> Vec<String> {
    let mut parts = vec![centre(g), shape(g)];
    match g.rng.below(30) {
        0 => {
            parts.pop();
        }
        1 => {
            parts.remove(0);
        }
        2 => parts.push(centre(g)),
        3 => parts.push(shape(g)),
        _ => {}
    }
    parts.extend(options(g, store));
    if g.rng.chance(20) {
        g.rng.shuffle(&mut parts);
    }
    parts.concat()
}

fn read_back(destination: &str) -> Action {
    Action::Send(
        Command::new("geosearchstore", "ZRANGE").arg(destination).arg("0").arg("-1").arg("WITHSCORES"),
    )
}

fn geosearch(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("geosearch", "GEOSEARCH").arg(key(&mut g.rng)).args(search_args(g, false)).into()
}

fn geosearchstore(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let destination = *g.rng.pick(STORE);
    let command = Command::new("geosearchstore", "GEOSEARCHSTORE")
        .arg(destination)
        .arg(key(&mut g.rng))
        .args(search_args(g, true));
    vec![Action::Send(command), read_back(destination)]
}

fn georadius(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let by_member = g.rng.chance(40);
    let read_only = g.rng.chance(25);
    let name = match (by_member, read_only) {
        (false, false) => "GEORADIUS",
        (false, true) => "GEORADIUS_RO",
        (true, false) => "GEORADIUSBYMEMBER",
        (true, true) => "GEORADIUSBYMEMBER_RO",
    };
    let mut command = Command::new("georadius", name).arg(key(&mut g.rng));
    command = if by_member {
        command.arg(member(&mut g.rng))
    } else {
        command.arg(longitude(&mut g.rng)).arg(latitude(&mut g.rng))
    };
    command = command.arg(radius(&mut g.rng)).arg(unit(&mut g.rng));
    let mut options = options(g, false);
    let mut destination = None;
    if g.rng.chance(30) {
        let target = *g.rng.pick(STORE);
        destination = Some(target);
        options.retain(|o| !o[0].starts_with("WITH"));
        options.push(vec![g.rng.pick(&["STORE", "STOREDIST"]).to_string(), target.to_string()]);
        if g.rng.chance(10) {
            options.push(vec!["WITHDIST".into()]);
        }
    }
    let mut actions = vec![Action::Send(command.args(options.concat()))];
    if let Some(destination) = destination {
        actions.push(read_back(destination));
    }
    actions
}
