//! The geo searches, as Redis 7.0's `georadiusGeneric` runs them: `GEOSEARCH` and
//! `GEOSEARCHSTORE` (`FROMMEMBER|FROMLONLAT`, `BYRADIUS|BYBOX`), `GEORADIUS` and
//! `GEORADIUSBYMEMBER` (with `STORE`/`STOREDIST`) and their `_RO` forms.
//!
//! A search visits the centre's geohash cell and its eight neighbours at the step
//! that covers the shape, each as a score window of the sorted set, and keeps the
//! points inside the shape: the work is bounded by the points in those cells, and
//! `COUNT n ANY` stops after `n` of them. Options are read in Redis's order, so
//! the same bad request gets the same first error.

use super::hash::{self, Bits, Shape, ShapeKind};
use super::{
    double_arg, format_distance, lon_lat, reply_position, unit_arg, zset_of, CommandError, CommandResult,
    Context, REPLIED,
};
use crate::command::args::{self, as_slices};
use crate::command::pqsort::pqsort;
use crate::command::zset::{limits, store_result};
use crate::command::Args;
use crate::engine::{Event, EventClass};
use crate::protocol::ReplyWriter;
use crate::types::zset::ZSet;

/// `GEOSEARCHSTORE` stored its result (class `z`).
pub const GEOSEARCHSTORE: Event = Event { name: "geosearchstore", class: EventClass::ZSet };
/// `GEORADIUS … STORE` stored its result.
pub const GEORADIUSSTORE: Event = Event { name: "georadiusstore", class: EventClass::ZSet };

/// Which command runs the search.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `GEORADIUS key lon lat radius unit …`.
    Coords,
    /// `GEORADIUSBYMEMBER key member radius unit …`.
    Member,
    /// `GEOSEARCH key …`.
    Search,
    /// `GEOSEARCHSTORE destination key …`.
    SearchStore,
}

/// A parsed search.
struct Request<'a> {
    shape: Shape,
    /// `(destination, store distances)`.
    store: Option<(&'a [u8], bool)>,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    /// Ascending, descending, or neither.
    sort: Option<bool>,
    any: bool,
    /// 0: unlimited.
    count: usize,
}

/// One point found.
struct Point {
    position: (f64, f64),
    distance: f64,
    score: f64,
    member: Box<[u8]>,
}

/// Reads the request as `georadiusGeneric` does, with the source already looked
/// up (`zset`: `None` when missing, which skips the member lookups).
fn parse<'a>(
    all: &'a [bytes::Bytes],
    variant: Variant,
    no_store: bool,
    zset: Option<&ZSet>,
) -> Result<Request<'a>, CommandError> {
    let member_position = |member: &[u8]| {
        zset.and_then(|z| z.score(member))
            .and_then(hash::decode_score)
            .ok_or_else(|| CommandError::err("could not decode requested zset member"))
    };
    let mut shape = Shape { centre: (0.0, 0.0), conversion: 1.0, kind: ShapeKind::Radius(0.0) };
    let mut store = None;
    let base = match variant {
        Variant::Coords => {
            shape.centre = lon_lat(&all[2], &all[3])?;
            shape.kind = ShapeKind::Radius(radius(&all[4])?);
            shape.conversion = unit_arg(&all[5])?;
            6
        }
        Variant::Member if zset.is_none() => 5,
        Variant::Member => {
            shape.centre = member_position(&all[2])?;
            shape.kind = ShapeKind::Radius(radius(&all[3])?);
            shape.conversion = unit_arg(&all[4])?;
            5
        }
        Variant::Search => 2,
        Variant::SearchStore => {
            store = Some((&all[1][..], false));
            3
        }
    };
    let searching = matches!(variant, Variant::Search | Variant::SearchStore);
    let mut request = Request {
        shape,
        store,
        with_dist: false,
        with_hash: false,
        with_coord: false,
        sort: None,
        any: false,
        count: 0,
    };
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) = (false, false, false, false);
    let rest = &all[base..];
    let mut i = 0;
    while i < rest.len() {
        let left = rest.len() - i - 1;
        let word = rest[i].to_ascii_lowercase();
        match word.as_slice() {
            b"withdist" => request.with_dist = true,
            b"withhash" => request.with_hash = true,
            b"withcoord" => request.with_coord = true,
            b"any" => request.any = true,
            b"asc" => request.sort = Some(true),
            b"desc" => request.sort = Some(false),
            b"count" if left >= 1 => {
                let count = args::int(&rest[i + 1])?;
                if count <= 0 {
                    return Err(CommandError::err("COUNT must be > 0"));
                }
                request.count = usize::try_from(count).unwrap_or(usize::MAX);
                i += 1;
            }
            b"store" | b"storedist" if left >= 1 && !no_store && !searching => {
                request.store = Some((&rest[i + 1][..], word == b"storedist"));
                i += 1;
            }
            b"storedist" if variant == Variant::SearchStore => {
                request.store = Some((&all[1][..], true));
            }
            b"frommember" if left >= 1 && searching && !from_lonlat => {
                if zset.is_some() {
                    request.shape.centre = member_position(&rest[i + 1])?;
                }
                from_member = true;
                i += 1;
            }
            b"fromlonlat" if left >= 2 && searching && !from_member => {
                request.shape.centre = lon_lat(&rest[i + 1], &rest[i + 2])?;
                from_lonlat = true;
                i += 2;
            }
            b"byradius" if left >= 2 && searching && !by_box => {
                request.shape.kind = ShapeKind::Radius(radius(&rest[i + 1])?);
                request.shape.conversion = unit_arg(&rest[i + 2])?;
                by_radius = true;
                i += 2;
            }
            b"bybox" if left >= 3 && searching && !by_radius => {
                let width = double_arg(&rest[i + 1], Some("need numeric width"))?;
                let height = double_arg(&rest[i + 2], Some("need numeric height"))?;
                if height < 0.0 || width < 0.0 {
                    return Err(CommandError::err("height or width cannot be negative"));
                }
                request.shape.kind = ShapeKind::Box(width, height);
                request.shape.conversion = unit_arg(&rest[i + 3])?;
                by_box = true;
                i += 3;
            }
            _ => return Err(CommandError::Syntax),
        }
        i += 1;
    }
    if request.store.is_some() && (request.with_dist || request.with_hash || request.with_coord) {
        let what =
            if variant == Variant::SearchStore { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(CommandError::err(format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&all[0]);
    if searching && !(from_member || from_lonlat) {
        return Err(CommandError::err(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if searching && !(by_radius || by_box) {
        return Err(CommandError::err(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if request.any && request.count == 0 {
        return Err(CommandError::err("the ANY argument requires COUNT argument"));
    }
    Ok(request)
}

/// A radius argument: a number, not negative.
fn radius(text: &[u8]) -> Result<f64, CommandError> {
    let radius = double_arg(text, Some("need numeric radius"))?;
    if radius < 0.0 {
        return Err(CommandError::err("radius cannot be negative"));
    }
    Ok(radius)
}

/// The points of `zset` inside `shape`, in the order Redis finds them (cell by
/// cell, ascending score within a cell); at most `limit` when it is not 0.
fn find_points(zset: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = hash::search_cells(shape);
    let mut found = Vec::new();
    let mut last: Option<Bits> = None;
    for cell in cells {
        if cell.is_zero() {
            continue;
        }
        // A huge radius makes neighbours repeat: each cell is searched once in a row.
        if last == Some(cell) {
            continue;
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        let (min, max) = hash::score_window(cell);
        let (min, max) = (min as f64, max as f64);
        let start = zset.partition_point(|score, _| score < min);
        for (member, score) in zset.range(start, zset.len(), false) {
            if score >= max {
                break;
            }
            if let Some(position) = hash::decode_score(score) {
                if let Some(distance) = shape.distance_if_within(position.0, position.1) {
                    found.push(Point { position, distance, score, member: member.into() });
                }
            }
            if limit != 0 && found.len() >= limit {
                break;
            }
        }
        last = Some(cell);
    }
    found
}

/// Orders `points` by distance as Redis does: a full sort is glibc's `qsort` (a
/// stable merge sort), keeping only the first `keep` is Redis's partial `pqsort`.
fn order(points: &mut Vec<Point>, ascending: bool, keep: usize) {
    let compare = |a: &Point, b: &Point| {
        let order = a.distance.partial_cmp(&b.distance).unwrap_or(std::cmp::Ordering::Equal);
        if ascending {
            order
        } else {
            order.reverse()
        }
    };
    if keep == points.len() {
        points.sort_by(compare);
    } else {
        pqsort(points, 0, keep - 1, compare);
        points.truncate(keep);
    }
}

/// Runs the search on `zset` and orders it: the points to reply or store.
fn run(zset: &ZSet, request: &Request<'_>) -> Vec<Point> {
    let mut points = find_points(zset, &request.shape, if request.any { request.count } else { 0 });
    let keep = if request.count == 0 { points.len() } else { points.len().min(request.count) };
    // COUNT without ANY needs the nearest: ascending unless asked otherwise.
    let sort = request.sort.or((request.count != 0 && !request.any).then_some(true));
    match sort {
        Some(ascending) => order(&mut points, ascending, keep),
        None => points.truncate(keep),
    }
    points
}

/// C's `(long long)` of a score, as x86-64 converts (`WITHHASH`).
fn hash_integer(score: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&score) {
        score as i64
    } else {
        i64::MIN
    }
}

fn reply_points(out: &mut ReplyWriter, points: &[Point], request: &Request<'_>) {
    let options = request.with_dist as usize + request.with_hash as usize + request.with_coord as usize;
    out.array(points.len());
    for point in points {
        if options > 0 {
            out.array(options + 1);
        }
        out.bulk(&point.member);
        if request.with_dist {
            out.bulk(format_distance(point.distance / request.shape.conversion).as_bytes());
        }
        if request.with_hash {
            out.integer(hash_integer(point.score));
        }
        if request.with_coord {
            reply_position(out, point.position);
        }
    }
}

/// The search of a command that replies its points.
fn read_search(
    ctx: &mut Context<'_>,
    all: &[bytes::Bytes],
    variant: Variant,
    no_store: bool,
) -> CommandResult {
    let source = &all[1];
    let db = ctx.db();
    let out = &mut *ctx.out;
    let (hit, result) = db.read(source, ctx.now_ms, |entry| {
        let zset = match zset_of(entry) {
            Ok(zset) => zset,
            Err(wrong) => return (true, Err(wrong)),
        };
        let request = match parse(all, variant, no_store, zset) {
            Ok(request) => request,
            Err(error) => return (zset.is_some(), Err(error)),
        };
        if request.store.is_some() {
            return (zset.is_some(), Ok(true));
        }
        match zset {
            None => out.array(0),
            Some(zset) => reply_points(out, &run(zset, &request), &request),
        }
        (true, Ok(false))
    });
    match result {
        // A GEORADIUS with STORE: run as a store under both keys' locks (which
        // counts the lookup).
        Ok(true) => store_search(ctx, all, variant),
        other => {
            ctx.count_lookup(source, hit);
            other.map(|_| crate::command::Outcome::Reply)
        }
    }
}

/// The search of a command that stores its points (`GEOSEARCHSTORE`, `GEORADIUS …
/// STORE`): replies how many were stored; an empty result deletes the destination.
fn store_search(ctx: &mut Context<'_>, all: &[bytes::Bytes], variant: Variant) -> CommandResult {
    let source_index = if variant == Variant::SearchStore { 2 } else { 1 };
    let source = &all[source_index][..];
    // The destination is known only once the options are read; read them against
    // the source (as Redis does) before locking.
    let destination = {
        let db = ctx.db();
        db.read_quiet(source, ctx.now_ms, |entry| {
            let zset = zset_of(entry)?;
            let request = parse(all, variant, false, zset)?;
            Ok::<_, CommandError>(request.store.map(|(key, _)| key.to_vec()))
        })?
    };
    let Some(destination) = destination else { return Err(CommandError::Syntax) };
    let limits = limits(ctx);
    let event = if variant == Variant::SearchStore { GEOSEARCHSTORE } else { GEORADIUSSTORE };
    let keys = [&destination[..], source];
    let mut found = false;
    let stored = ctx.db().write_many(keys.into_iter(), ctx.now_ms, |view| {
        let held = view
            .with_slot(source, |slot| match slot.get() {
                None => Ok(None),
                Some(entry) => entry.get_as::<ZSet>().map(|_| Some(entry.with_key(b""))),
            })
            .expect("a key of the view");
        found = !matches!(held, Ok(None));
        let held = held?;
        let zset = zset_of(held.as_ref())?;
        let request = parse(all, variant, false, zset)?;
        let (_, store_dist) = request.store.expect("a store request");
        let points = zset.map(|z| run(z, &request)).unwrap_or_default();
        let longest = points.iter().map(|p| p.member.len()).max().unwrap_or(0);
        let mut result = ZSet::for_members(points.len(), longest, limits);
        for point in &points {
            let score = if store_dist { point.distance / request.shape.conversion } else { point.score };
            result.insert(&point.member, score, limits);
        }
        let stored = view
            .with_slot(&destination, |slot| store_result(slot, &destination, result, event, &as_slices(all)))
            .expect("a key of the view");
        Ok::<_, CommandError>(stored)
    });
    ctx.count_lookup(source, found);
    ctx.out.integer(stored? as i64);
    REPLIED
}

/// ```text
/// GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude
///     BYRADIUS radius unit|BYBOX width height unit
///     [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
/// ```
/// The members inside the shape, each with the asked extras.
pub fn geosearch(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_search(ctx, args.all(), Variant::Search, true)
}

/// ```text
/// GEOSEARCHSTORE destination source FROMMEMBER …|FROMLONLAT … BYRADIUS …|BYBOX …
///     [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
/// ```
/// Stores the members found (scored by geohash, or by distance with `STOREDIST`).
pub fn geosearchstore(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    store_search(ctx, args.all(), Variant::SearchStore)
}

/// ```text
/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST]
///     [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key]
/// ```
pub fn georadius(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_search(ctx, args.all(), Variant::Coords, false)
}

/// `GEORADIUS_RO`: `GEORADIUS` without `STORE`/`STOREDIST`.
pub fn georadius_ro(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_search(ctx, args.all(), Variant::Coords, true)
}

/// ```text
/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
/// ```
pub fn georadiusbymember(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_search(ctx, args.all(), Variant::Member, false)
}

/// `GEORADIUSBYMEMBER_RO`: `GEORADIUSBYMEMBER` without `STORE`/`STOREDIST`.
pub fn georadiusbymember_ro(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    read_search(ctx, args.all(), Variant::Member, true)
}
