//! The geo family, with Redis 7.0's replies and error texts (`geo.c`): positions
//! are members of a sorted set whose score is their 52-bit geohash ([`hash`]).
//! `GEOADD`, `GEOPOS`, `GEODIST` and `GEOHASH` here; the searches (`GEOSEARCH`,
//! `GEOSEARCHSTORE`, `GEORADIUS`, `GEORADIUSBYMEMBER` and their `_RO` forms) in
//! [`search`].
//!
//! `GEOADD` is `ZADD` with computed scores, as in Redis: it notifies `zadd` and is
//! logged as the `ZADD` it became. Distances are written `%.4f` as bulk strings
//! (both protocols); coordinates as Redis's `addReplyHumanLongDouble` writes them
//! (`%.17Lf` without trailing zeros: a bulk string in RESP2, a double in RESP3).

pub mod hash;
mod search;

use bytes::Bytes;

use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{flags::*, zset, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::Entry;
use crate::protocol::{Protocol, ReplyWriter};
use crate::types::zset::ZSet;

const GEO: &[&str] = &["geo"];
const RO_ACCESS: &[&str] = &["RO", "access"];
const ONE_RO_ACCESS: &[KeySpec] = &[KeySpec::one(1, RO_ACCESS)];

const fn store_keyword(keyword: &'static str, start_from: isize) -> KeySpec {
    KeySpec {
        flags: &["OW", "update"],
        notes: None,
        begin: BeginSearch::Keyword { keyword, start_from },
        find: FindKeys::Range { last: 0, step: 1, limit: 0 },
    }
}

/// The source key, then the `STORE` and `STOREDIST` keys searched from `from`.
macro_rules! radius_keys {
    ($from:expr) => {
        &[KeySpec::one(1, RO_ACCESS), store_keyword("STORE", $from), store_keyword("STOREDIST", $from)]
    };
}

/// The geo family.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("geoadd", -5, WRITE | DENYOOM, geoadd)
        .keys(&[KeySpec::one(1, &["RW", "update"])])
        .categories(GEO),
    CommandSpec::new("geopos", -2, READONLY, geopos).keys(ONE_RO_ACCESS).categories(GEO),
    CommandSpec::new("geodist", -4, READONLY, geodist).keys(ONE_RO_ACCESS).categories(GEO),
    CommandSpec::new("geohash", -2, READONLY, geohash).keys(ONE_RO_ACCESS).categories(GEO),
    CommandSpec::new("geosearch", -7, READONLY, search::geosearch).keys(ONE_RO_ACCESS).categories(GEO),
    CommandSpec::new("geosearchstore", -8, WRITE | DENYOOM, search::geosearchstore)
        .keys(&[KeySpec::one(1, &["OW", "update"]), KeySpec::one(2, RO_ACCESS)])
        .categories(GEO),
    CommandSpec::new("georadius", -6, WRITE | DENYOOM, search::georadius)
        .keys(radius_keys!(6))
        .categories(GEO),
    CommandSpec::new("georadius_ro", -6, READONLY, search::georadius_ro).keys(ONE_RO_ACCESS).categories(GEO),
    CommandSpec::new("georadiusbymember", -5, WRITE | DENYOOM, search::georadiusbymember)
        .keys(radius_keys!(5))
        .categories(GEO),
    CommandSpec::new("georadiusbymember_ro", -5, READONLY, search::georadiusbymember_ro)
        .keys(ONE_RO_ACCESS)
        .categories(GEO),
];

/// The sorted set in `entry`: `None` for a missing key, `WRONGTYPE` for another type.
fn zset_of(entry: Option<&Entry>) -> Result<Option<&ZSet>, CommandError> {
    Ok(entry.map(Entry::get_as::<ZSet>).transpose()?)
}

/// Runs `read` on the sorted set at `key` (`None`: missing) with the reply writer,
/// counting the lookup as a keyspace hit or miss.
fn read_geo<R>(
    ctx: &mut Context<'_>,
    key: &[u8],
    read: impl FnOnce(&mut ReplyWriter, Option<&ZSet>) -> Result<R, CommandError>,
) -> Result<R, CommandError> {
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (hit, result) = db.read(key, ctx.now_ms, |entry| match zset_of(entry) {
        Ok(zset) => (zset.is_some(), read(out, zset)),
        Err(wrong) => (true, Err(wrong)),
    });
    ctx.count_lookup(key, hit);
    result
}

/// A double argument as Redis's `getDoubleFromObject` reads it; `message` is the
/// error (`None`: `ERR value is not a valid float`).
fn double_arg(text: &[u8], message: Option<&'static str>) -> Result<f64, CommandError> {
    zset::parse_score(text).ok_or_else(|| match message {
        Some(message) => CommandError::err(message),
        None => CommandError::NotFloat,
    })
}

/// A longitude and a latitude, checked against Redis's limits
/// (`extractLongLatOrReply`).
fn lon_lat(longitude: &[u8], latitude: &[u8]) -> Result<(f64, f64), CommandError> {
    let (x, y) = (double_arg(longitude, None)?, double_arg(latitude, None)?);
    if !(hash::LONG_MIN..=hash::LONG_MAX).contains(&x) || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&y) {
        return Err(CommandError::err(format!("invalid longitude,latitude pair {x:.6},{y:.6}")));
    }
    Ok((x, y))
}

/// Metres per `unit` (`M`, `KM`, `FT`, `MI`, any case).
fn unit_arg(unit: &[u8]) -> Result<f64, CommandError> {
    match unit.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(CommandError::err("unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// A distance as Redis's `fixedpoint_d2string(…, 4)` writes it: rounded to four
/// decimals with `llrint` (ties to even), always a bulk string.
pub fn format_distance(distance: f64) -> String {
    if distance == 0.0 {
        return "0.0000".into();
    }
    let scaled = (distance * 10000.0).round_ties_even();
    // `llrint` of a value past the i64 range answers i64::MIN on x86-64.
    let scaled = if scaled.is_finite() && scaled.abs() < 9.2e18 { scaled as i64 } else { i64::MIN };
    let magnitude = scaled.unsigned_abs();
    let sign = if scaled < 0 { "-" } else { "" };
    format!("{sign}{}.{:04}", magnitude / 10000, magnitude % 10000)
}

/// A coordinate as Redis's `ld2string(…, LD_STR_HUMAN)` writes it: `%.17f`, then
/// trailing zeros (and a bare point) dropped, `-0` as `0`.
pub fn format_coordinate(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mut text = format!("{value:.17}");
    if text.contains('.') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(trimmed);
    }
    if text == "-0" {
        text = "0".into();
    }
    text
}

fn reply_coordinate(out: &mut ReplyWriter, value: f64) {
    let text = format_coordinate(value);
    match out.protocol() {
        Protocol::Resp2 => out.bulk(text.as_bytes()),
        Protocol::Resp3 => {
            out.raw(b",");
            out.raw(text.as_bytes());
            out.raw(b"\r\n");
        }
    }
}

/// `[longitude, latitude]`.
fn reply_position(out: &mut ReplyWriter, (longitude, latitude): (f64, f64)) {
    out.array(2);
    reply_coordinate(out, longitude);
    reply_coordinate(out, latitude);
}

/// ```text
/// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member …]
/// ```
/// How many members were added (or changed, with `CH`). Every position is checked
/// first; then it runs as the `ZADD` of the computed scores (logged as that).
pub fn geoadd(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let (mut nx, mut xx, mut at) = (false, false, 2);
    while at < all.len() {
        match all[at].to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => {}
            _ => break,
        }
        at += 1;
    }
    if (all.len() - at) % 3 != 0 || (nx && xx) {
        return Err(CommandError::Syntax);
    }
    let mut zadd: Vec<Bytes> = Vec::with_capacity(at + (all.len() - at) / 3 * 2);
    zadd.push(Bytes::from_static(b"ZADD"));
    zadd.extend_from_slice(&all[1..at]);
    for triple in all[at..].chunks(3) {
        let (longitude, latitude) = lon_lat(&triple[0], &triple[1])?;
        let score = hash::score_of(longitude, latitude).expect("a checked position");
        zadd.push(Bytes::copy_from_slice(itoa::Buffer::new().format(score).as_bytes()));
        zadd.push(triple[2].clone());
    }
    zset::zadd(ctx, &mut Args::new(&zadd, 1))
}

/// `GEOPOS key member [member …]`: each member's `[longitude, latitude]`, or a null
/// array.
pub fn geopos(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    read_geo(ctx, key, |out, zset| {
        out.array(members.len());
        for member in members {
            match zset.and_then(|z| z.score(member)).and_then(hash::decode_score) {
                Some(position) => reply_position(out, position),
                None => out.null_array(),
            }
        }
        REPLIED
    })
}

/// ```text
/// GEODIST key member1 member2 [M|KM|FT|MI]
/// ```
/// The distance between two members in the unit (metres by default), or null when
/// either is missing.
pub fn geodist(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let all = args.all();
    let to_metres = match all.len() {
        5 => unit_arg(&all[4])?,
        n if n > 5 => return Err(CommandError::Syntax),
        _ => 1.0,
    };
    let (key, a, b) = (&all[1], &all[2], &all[3]);
    read_geo(ctx, key, |out, zset| {
        let position = |member: &[u8]| zset.and_then(|z| z.score(member)).and_then(hash::decode_score);
        match (position(a), position(b)) {
            (Some(p), Some(q)) => {
                let distance = hash::distance(p.0, p.1, q.0, q.1) / to_metres;
                out.bulk(format_distance(distance).as_bytes());
            }
            _ => out.null(),
        }
        REPLIED
    })
}

/// `GEOHASH key member [member …]`: each member's 11-character standard geohash,
/// or null.
pub fn geohash(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    read_geo(ctx, key, |out, zset| {
        out.array(members.len());
        for member in members {
            match zset.and_then(|z| z.score(member)).and_then(hash::decode_score) {
                Some((longitude, latitude)) => out.bulk(&hash::standard_string(longitude, latitude)),
                None => out.null(),
            }
        }
        REPLIED
    })
}

#[cfg(test)]
mod tests {
    use super::{format_coordinate, format_distance};

    #[test]
    fn numbers_are_written_as_redis_writes_them() {
        assert_eq!(format_distance(0.0), "0.0000");
        assert_eq!(format_distance(166274.15156960033), "166274.1516");
        assert_eq!(format_distance(0.00005), "0.0000");
        assert_eq!(format_distance(12.5), "12.5000");
        assert_eq!(format_coordinate(13.361389338970184), "13.36138933897018433");
        assert_eq!(format_coordinate(-0.0), "0");
        assert_eq!(format_coordinate(180.0), "180");
        assert_eq!(format_coordinate(-1.5), "-1.5");
    }
}
