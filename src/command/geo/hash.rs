//! The 52-bit geohash of Redis's `geohash.c` and `geohash_helper.c`: longitude and
//! latitude scaled to 26 bits each and interleaved (latitude in the even bits),
//! decoded to the centre of the cell, the eight neighbouring cells of a search, and
//! the haversine distance on a sphere of Redis's radius. Every step follows Redis's
//! arithmetic so scores, positions and distances come out bit for bit the same.

/// Bits per coordinate of a stored score (`GEO_STEP_MAX`: 26 × 2 = 52 bits).
pub const STEP_MAX: u8 = 26;
/// The southernmost latitude Redis indexes (EPSG:900913).
pub const LAT_MIN: f64 = -85.05112878;
/// The northernmost latitude Redis indexes.
pub const LAT_MAX: f64 = 85.05112878;
/// The westernmost longitude.
pub const LONG_MIN: f64 = -180.0;
/// The easternmost longitude.
pub const LONG_MAX: f64 = 180.0;
/// The Earth's quadratic mean radius for WGS-84, as Redis takes it.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A coordinate interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

/// The ranges of Redis's internal encoding.
pub const LONG_RANGE: Range = Range { min: LONG_MIN, max: LONG_MAX };
/// Latitudes as Redis stores them (±85.05112878).
pub const LAT_RANGE: Range = Range { min: LAT_MIN, max: LAT_MAX };

/// A geohash of `step` bits per coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bits {
    /// The interleaved bits.
    pub bits: u64,
    /// Bits per coordinate; 0 with `bits` 0 marks a cell left out of a search.
    pub step: u8,
}

impl Bits {
    /// Whether this is the "no cell" marker (`HASHISZERO`).
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The bits left-aligned to 52, as a stored score (`geohashAlign52Bits`).
    pub fn align52(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

/// A cell's extent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Area {
    /// Longitude bounds.
    pub longitude: (f64, f64),
    /// Latitude bounds.
    pub latitude: (f64, f64),
}

fn interleave64(x: u32, y: u32) -> u64 {
    const B: [u64; 5] =
        [0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let (mut x, mut y) = (interleaved, interleaved >> 1);
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// Encodes a position with `step` bits per coordinate over the given ranges
/// (`geohashEncode`); `None` outside Redis's limits or the ranges.
pub fn encode(long_range: Range, lat_range: Range, longitude: f64, latitude: f64, step: u8) -> Option<Bits> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * scale;
    // C converts the doubles to uint32_t by truncation, as `as` does in range.
    Some(Bits { bits: interleave64(lat_offset as u32, long_offset as u32), step })
}

/// Encodes with Redis's internal ranges (`geohashEncodeWGS84`).
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<Bits> {
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, step)
}

/// The cell `hash` covers (`geohashDecode`); `None` for the zero marker.
pub fn decode(long_range: Range, lat_range: Range, hash: Bits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let separated = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let ilato = separated as u32;
    let ilono = (separated >> 32) as u32;
    let cells = (1u64 << hash.step) as f64;
    let at = |i: u32| f64::from(i) / cells;
    let next = |i: u32| (f64::from(i) + 1.0) / cells;
    Some(Area {
        latitude: (lat_range.min + at(ilato) * lat_scale, lat_range.min + next(ilato) * lat_scale),
        longitude: (long_range.min + at(ilono) * long_scale, long_range.min + next(ilono) * long_scale),
    })
}

/// The position a stored score stands for: its cell's centre, clamped to the
/// limits (`decodeGeohash`). `None` when the score is no geohash (0 decodes fine).
pub fn decode_score(score: f64) -> Option<(f64, f64)> {
    let hash = Bits { bits: c_to_u64(score), step: STEP_MAX };
    let area = decode(LONG_RANGE, LAT_RANGE, hash)?;
    let longitude = ((area.longitude.0 + area.longitude.1) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let latitude = ((area.latitude.0 + area.latitude.1) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some((longitude, latitude))
}

/// C's `(uint64_t)` of a double as x86-64 code computes it (a score that no
/// GEOADD wrote may be negative or huge): below 2^63 through a signed conversion,
/// whose out-of-range answer is `i64::MIN`; above, offset by 2^63 and that bit
/// flipped back.
fn c_to_u64(value: f64) -> u64 {
    const TWO_63: f64 = 9223372036854775808.0;
    let signed = |v: f64| if (-TWO_63..TWO_63).contains(&v) { v as i64 } else { i64::MIN };
    if value < TWO_63 {
        signed(value) as u64
    } else {
        (signed(value - TWO_63) as u64) ^ (1 << 63)
    }
}

/// The score GEOADD stores for a checked position.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(Bits::align52)
}

/// The 11-character base32 geohash GEOHASH replies: re-encoded with the standard
/// latitude range ±90, the 11th character always `0` (52 bits only).
pub fn standard_string(longitude: f64, latitude: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let standard = Range { min: -90.0, max: 90.0 };
    let bits = encode(LONG_RANGE, standard, longitude, latitude, STEP_MAX).map_or(0, |b| b.bits);
    let mut text = [b'0'; 11];
    for (i, c) in text.iter_mut().enumerate().take(10) {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    text
}

fn move_x(hash: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;
    let shift = 64 - u32::from(hash.step) * 2;
    let zz = 0x5555555555555555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaaaaaaaaaaaaaau64 >> shift;
    hash.bits = x | y;
}

fn move_y(hash: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;
    let shift = 64 - u32::from(hash.step) * 2;
    let zz = 0xaaaaaaaaaaaaaaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555555555555555u64 >> shift;
    hash.bits = x | y;
}

fn moved(hash: Bits, dx: i8, dy: i8) -> Bits {
    let mut cell = hash;
    move_x(&mut cell, dx);
    move_y(&mut cell, dy);
    cell
}

/// The search shape: a circle of `radius`, or a box of `width` × `height`, in the
/// unit whose metres are `conversion`, around `centre` (longitude, latitude).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// The centre.
    pub centre: (f64, f64),
    /// Metres per unit.
    pub conversion: f64,
    /// The extent.
    pub kind: ShapeKind,
}

/// A circle or a box.
#[derive(Clone, Copy, Debug)]
pub enum ShapeKind {
    /// `BYRADIUS r`.
    Radius(f64),
    /// `BYBOX width height`.
    Box(f64, f64),
}

impl Shape {
    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` (`geohashBoundingBox`).
    fn bounds(&self) -> [f64; 4] {
        let (longitude, latitude) = self.centre;
        let (height, width) = match self.kind {
            ShapeKind::Radius(r) => (self.conversion * r, self.conversion * r),
            ShapeKind::Box(w, h) => (self.conversion * (h / 2.0), self.conversion * (w / 2.0)),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(latitude - lat_delta).cos());
        let delta = if latitude < 0.0 { long_delta_bottom } else { long_delta_top };
        [longitude - delta, latitude - lat_delta, longitude + delta, latitude + lat_delta]
    }

    /// The distance to `(longitude, latitude)` in metres when the point is inside
    /// the shape (`geoWithinShape`).
    pub fn distance_if_within(&self, longitude: f64, latitude: f64) -> Option<f64> {
        let (x1, y1) = self.centre;
        match self.kind {
            ShapeKind::Radius(r) => {
                let distance = distance(x1, y1, longitude, latitude);
                (distance <= r * self.conversion).then_some(distance)
            }
            ShapeKind::Box(w, h) => {
                let (width_m, height_m) = (w * self.conversion, h * self.conversion);
                if lat_distance(latitude, y1) > height_m / 2.0 {
                    return None;
                }
                if distance(longitude, latitude, x1, latitude) > width_m / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, longitude, latitude))
            }
        }
    }
}

fn deg_rad(angle: f64) -> f64 {
    angle * D_R
}

fn rad_deg(angle: f64) -> f64 {
    angle / D_R
}

/// The step whose cells cover `range_m` metres at `latitude`
/// (`geohashEstimateStepsByRadius`).
pub fn estimate_steps(mut range_m: f64, latitude: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The cells a search visits, in Redis's order: the centre's cell, then north,
/// south, east, west, north-east, north-west, south-east, south-west; a cell the
/// shape cannot reach is the zero marker (`geohashCalculateAreasByShapeWGS84`).
pub fn search_cells(shape: &Shape) -> [Bits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
    let (longitude, latitude) = shape.centre;
    let radius_m = match shape.kind {
        ShapeKind::Radius(r) => r,
        ShapeKind::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
    } * shape.conversion;
    let mut steps = estimate_steps(radius_m, latitude);
    let cell_at = |steps: u8| encode(LONG_RANGE, LAT_RANGE, longitude, latitude, steps).unwrap_or_default();
    let mut hash = cell_at(steps);
    let mut neighbours = neighbours_of(hash);
    let area_of = |cell: Bits| decode(LONG_RANGE, LAT_RANGE, cell).unwrap_or_default();
    let [north, south, east, west, ..] = neighbours;
    let decrease = area_of(north).latitude.1 < max_lat
        || area_of(south).latitude.0 > min_lat
        || area_of(east).longitude.1 < max_lon
        || area_of(west).longitude.0 > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        hash = cell_at(steps);
        neighbours = neighbours_of(hash);
    }
    let area = area_of(hash);
    let [mut n, mut s, mut e, mut w, mut ne, mut nw, mut se, mut sw] = neighbours;
    if steps >= 2 {
        let zero = Bits::default();
        if area.latitude.0 < min_lat {
            (s, sw, se) = (zero, zero, zero);
        }
        if area.latitude.1 > max_lat {
            (n, ne, nw) = (zero, zero, zero);
        }
        if area.longitude.0 < min_lon {
            (w, sw, nw) = (zero, zero, zero);
        }
        if area.longitude.1 > max_lon {
            (e, se, ne) = (zero, zero, zero);
        }
    }
    [hash, n, s, e, w, ne, nw, se, sw]
}

/// North, south, east, west, north-east, north-west, south-east, south-west.
fn neighbours_of(hash: Bits) -> [Bits; 8] {
    [
        moved(hash, 0, 1),
        moved(hash, 0, -1),
        moved(hash, 1, 0),
        moved(hash, -1, 0),
        moved(hash, 1, 1),
        moved(hash, -1, 1),
        moved(hash, 1, -1),
        moved(hash, -1, -1),
    ]
}

/// The score window `[min, max)` of the points inside `cell` (`scoresOfGeoHashBox`).
pub fn score_window(cell: Bits) -> (u64, u64) {
    let min = cell.align52();
    let max = Bits { bits: cell.bits + 1, step: cell.step }.align52();
    (min, max)
}

/// The distance along a meridian between two latitudes (`geohashGetLatDistance`).
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine distance in metres (`geohashGetDistance`).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lon1r, lon2r) = (deg_rad(lon1), deg_rad(lon2));
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_positions_match_redis() {
        // GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        let (lon, lat) = decode_score(3479099956230698.0).unwrap();
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(&standard_string(lon, lat), b"sqc8b49rny0");
    }

    #[test]
    fn distance_is_redis_haversine() {
        let (a, b) = (decode_score(3479099956230698.0).unwrap(), decode_score(3479447370796909.0).unwrap());
        let d = distance(a.0, a.1, b.0, b.1);
        assert_eq!(format!("{:.4}", d / 1000.0), "166.2742");
        assert_eq!(distance(1.0, 2.0, 1.0, 2.0), 0.0);
    }

    #[test]
    fn limits_are_refused_and_steps_framed() {
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        assert!(score_of(180.0, 85.05112878).is_some());
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(f64::INFINITY, 0.0), 1);
        assert_eq!(estimate_steps(1e-300, 0.0), 26);
        assert_eq!(estimate_steps(100_000.0, 0.0), 7);
    }

    #[test]
    fn neighbours_wrap_within_the_step() {
        let cell = encode_wgs84(179.9, 0.0, 4).unwrap();
        let east = moved(cell, 1, 0);
        assert!(east.bits < 1 << 8);
        let cells =
            search_cells(&Shape { centre: (15.0, 37.0), conversion: 1000.0, kind: ShapeKind::Radius(100.0) });
        assert!(!cells[0].is_zero());
    }
}
