//! Bitmaps: `SETBIT`, `GETBIT`, `BITCOUNT`, `BITPOS`, `BITOP`, as `bitops.c` has them.
//!
//! A bitmap is a plain string; bit 0 is the most significant bit of the first byte.
//! Offsets are bounded by the largest string (`proto-max-bulk-len`), with Redis's
//! error past it; a write past the end zero-pads the string first. The scans work a
//! word at a time: `BITCOUNT` with the CPU's `popcnt` where it has one, `BITPOS`
//! skipping whole words of the bit it does not look for, `BITOP` in loops the
//! compiler vectorises.
//!
//! Logged effects: `SETBIT` and `BITOP` are logged as given (as Redis propagates
//! them): both are deterministic given the dataset, and a `BITOP` result can be far
//! larger than the command.

use super::super::args;
use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use super::max_string;
use crate::engine::{events, Entry, Event, EventClass};

/// `SETBIT` changed a bit (also `BITFIELD`'s event, as in Redis).
pub const SETBIT: Event = Event { name: "setbit", class: EventClass::String };

/// `ERR bit offset is not an integer or out of range`.
fn bad_offset() -> CommandError {
    CommandError::err("bit offset is not an integer or out of range")
}

/// A bit offset argument as `getBitOffsetFromArgument` reads it: an integer, or
/// with `hash_width` (`BITFIELD`) `#n` meaning `n × width`; never negative and its
/// byte below `max_bytes`.
pub(super) fn bit_offset(arg: &[u8], hash_width: Option<u32>, max_bytes: u64) -> Result<u64, CommandError> {
    let (digits, width) = match (arg.first(), hash_width) {
        (Some(b'#'), Some(width)) if width > 0 => (&arg[1..], Some(width)),
        _ => (arg, None),
    };
    let mut offset = crate::number::parse_i64(digits).ok_or_else(bad_offset)?;
    if let Some(width) = width {
        // C multiplies with two's-complement wrap-around; so do we.
        offset = offset.wrapping_mul(width as i64);
    }
    if offset < 0 || (offset as u64 >> 3) >= max_bytes {
        return Err(bad_offset());
    }
    Ok(offset as u64)
}

/// The bit at `offset` of `bytes` (0 past the end).
fn bit_at(bytes: &[u8], offset: u64) -> u8 {
    let byte = (offset >> 3) as usize;
    bytes.get(byte).map_or(0, |b| (b >> (7 - (offset & 7))) & 1)
}

/// `SETBIT key offset value`: the bit's old value; zero-pads the string as needed.
pub(super) fn setbit(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let offset = bit_offset(args.next_bytes()?, None, max_string(ctx))?;
    let invalid = || CommandError::err("bit is not an integer or out of range");
    let on = args::int(args.next_bytes()?).map_err(|_| invalid())?;
    if on & !1 != 0 {
        return Err(invalid());
    }
    let effect = args::as_slices(args.all());
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let old = ctx.db().write(key, ctx.now_ms, |slot| {
        let grew = match slot.string()? {
            None => {
                slot.put(Entry::zeroed(key, byte + 1));
                true
            }
            Some(current) if current.len() <= byte => {
                slot.get_mut().expect("present").grow_string(byte + 1)?;
                true
            }
            Some(_) => false,
        };
        let entry = slot.get_mut().expect("present");
        let bytes = entry.string_mut()?;
        let old = bytes[byte] & mask != 0;
        if on == 1 {
            bytes[byte] |= mask;
        } else {
            bytes[byte] &= !mask;
        }
        if grew || old != (on == 1) {
            slot.record(SETBIT, &effect);
        }
        Ok::<_, CommandError>(old)
    })?;
    ctx.out.integer(old as i64);
    REPLIED
}

/// `GETBIT key offset`: the bit, 0 past the end or for a missing key.
pub(super) fn getbit(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let offset = bit_offset(args.next_bytes()?, None, max_string(ctx))?;
    let (hit, bit) = ctx.db().read(key, ctx.now_ms, |entry| {
        let bit = entry.map(Entry::string).transpose().map(|v| v.map_or(0, |v| bit_at(v, offset)));
        (entry.is_some(), bit)
    });
    ctx.count_lookup(key, hit);
    ctx.out.integer(bit? as i64);
    REPLIED
}

/// Whether a range is in bytes or in bits (`BYTE` is the default).
fn range_unit(arg: &[u8]) -> Result<bool, CommandError> {
    if args::is(arg, "BIT") {
        Ok(true)
    } else if args::is(arg, "BYTE") {
        Ok(false)
    } else {
        Err(CommandError::Syntax)
    }
}

/// A range of bytes, with the bits of its edge bytes that lie outside a bit range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    /// First byte.
    start: usize,
    /// Last byte (inclusive).
    end: usize,
    /// Bits of the first byte before the range (high bits), as a mask.
    first_outside: u8,
    /// Bits of the last byte after the range (low bits), as a mask.
    last_outside: u8,
}

/// Turns a `start end` range over a value of `len` bytes into a [`Span`], with
/// Redis's arithmetic (negative counting from the end, clamped); `None` when it is
/// empty.
fn span(len: usize, mut start: i64, mut end: i64, in_bits: bool) -> Option<Span> {
    let total = if in_bits { (len as i64) << 3 } else { len as i64 };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0).min(total - 1);
    if start > end {
        return None;
    }
    if in_bits {
        Some(Span {
            start: (start >> 3) as usize,
            end: (end >> 3) as usize,
            first_outside: !((1u16 << (8 - (start & 7))) - 1) as u8,
            last_outside: ((1u16 << (7 - (end & 7))) - 1) as u8,
        })
    } else {
        Some(Span { start: start as usize, end: end as usize, first_outside: 0, last_outside: 0 })
    }
}

/// `BITCOUNT key [start end [BYTE | BIT]]`: how many bits are set. As in Redis 7.0
/// a missing key answers 0 before the arguments are looked at.
pub(super) fn bitcount(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let rest = args.rest();
    let mut hit = false;
    let count = ctx.db().read(key, ctx.now_ms, |entry| {
        hit = entry.is_some();
        let Some(value) = entry.map(Entry::string).transpose()? else { return Ok(0) };
        let range = match rest.len() {
            0 => span(value.len(), 0, -1, false),
            2 | 3 => {
                let (start, end) = (args::int(&rest[0])?, args::int(&rest[1])?);
                if start < 0 && end < 0 && start > end {
                    return Ok(0);
                }
                let in_bits = rest.len() == 3 && range_unit(&rest[2])?;
                span(value.len(), start, end, in_bits)
            }
            _ => return Err(CommandError::Syntax),
        };
        let Some(range) = range else { return Ok(0) };
        let mut count = popcount(&value[range.start..=range.end]);
        count -= (value[range.start] & range.first_outside).count_ones() as u64;
        count -= (value[range.end] & range.last_outside).count_ones() as u64;
        Ok::<_, CommandError>(count)
    });
    ctx.count_lookup(key, hit);
    ctx.out.integer(count? as i64);
    REPLIED
}

/// The number of set bits in `bytes`, eight bytes at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has `popcnt`, checked just above.
            return unsafe { popcount_popcnt(bytes) };
        }
    }
    popcount_words(bytes)
}

/// [`popcount`] compiled for the `popcnt` instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn popcount_popcnt(bytes: &[u8]) -> u64 {
    popcount_words(bytes)
}

/// [`popcount`] in portable code: four independent sums over 32-byte blocks.
#[inline(always)]
fn popcount_words(bytes: &[u8]) -> u64 {
    let mut blocks = bytes.chunks_exact(32);
    let mut sums = [0u64; 4];
    for block in &mut blocks {
        for (sum, word) in sums.iter_mut().zip(block.chunks_exact(8)) {
            *sum += u64::from_ne_bytes(word.try_into().expect("8 bytes")).count_ones() as u64;
        }
    }
    let tail: u64 = blocks.remainder().iter().map(|b| b.count_ones() as u64).sum();
    sums.iter().sum::<u64>() + tail
}

/// The position of the first bit equal to `bit` in `bytes`, as Redis's
/// `redisBitpos` gives it: for a set bit `None` when there is none; for a clear
/// bit, the string is taken as zero-padded on the right, so all ones give the
/// position just past the end.
pub fn first_bit(bytes: &[u8], bit: bool) -> Option<u64> {
    let skip = if bit { 0u8 } else { 0xff };
    let skip_word = u64::from_ne_bytes([skip; 8]);
    let mut index = 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if u64::from_ne_bytes(word.try_into().expect("8 bytes")) != skip_word {
            break;
        }
        index += 8;
    }
    while index < bytes.len() && bytes[index] == skip {
        index += 1;
    }
    match bytes.get(index) {
        Some(&byte) => {
            let within = if bit { byte.leading_zeros() } else { byte.leading_ones() };
            Some(index as u64 * 8 + within as u64)
        }
        None if bit => None,
        None => Some(bytes.len() as u64 * 8),
    }
}

/// `BITPOS key bit [start [end [BYTE | BIT]]]`: the first bit set (1) or clear (0)
/// in the range, or -1.
pub(super) fn bitpos(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    let bit = args.next_i64()?;
    if bit != 0 && bit != 1 {
        return Err(CommandError::err("The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    let rest = args.rest();
    let mut hit = false;
    let pos = ctx.db().read(key, ctx.now_ms, |entry| {
        hit = entry.is_some();
        let Some(value) = entry.map(Entry::string).transpose()? else {
            return Ok(if bit { -1 } else { 0 });
        };
        let (range, end_given) = match rest.len() {
            0 => (span(value.len(), 0, -1, false), false),
            1..=3 => {
                let start = args::int(&rest[0])?;
                let in_bits = rest.len() == 3 && range_unit(&rest[2])?;
                let end = match rest.get(1) {
                    Some(end) => args::int(end)?,
                    None => -1,
                };
                (span(value.len(), start, end, in_bits), rest.len() > 1)
            }
            _ => return Err(CommandError::Syntax),
        };
        let Some(range) = range else { return Ok(-1) };
        Ok::<_, CommandError>(bit_position(value, range, bit, end_given))
    });
    ctx.count_lookup(key, hit);
    let pos = pos?;
    ctx.out.integer(pos);
    REPLIED
}

/// `BITPOS`'s search within `range`, step by step as `bitposCommand` does it (the
/// edge bytes of a bit range masked, then the whole bytes, then the last byte), so
/// that its answers match Redis's even at the edges.
fn bit_position(value: &[u8], range: Span, bit: bool, end_given: bool) -> i64 {
    let masked = |byte: u8, outside: u8| if bit { byte & !outside } else { byte | outside };
    let mut start = range.start;
    let mut bytes = range.end - range.start + 1;
    let found = 'search: {
        if range.first_outside != 0 {
            let mut edge = masked(value[start], range.first_outside);
            if range.last_outside != 0 && bytes == 1 {
                edge = masked(edge, range.last_outside);
            }
            let pos = first_bit(&[edge], bit);
            if bytes == 1 || (pos.is_some() && pos != Some(8)) {
                break 'search pos;
            }
            start += 1;
            bytes -= 1;
        }
        let whole = bytes - (range.last_outside != 0) as usize;
        if whole > 0 {
            let pos = first_bit(&value[start..start + whole], bit);
            if bytes == whole || (pos.is_some() && pos != Some(whole as u64 * 8)) {
                break 'search pos;
            }
            start += whole;
            bytes -= whole;
        }
        first_bit(&[masked(value[range.end], range.last_outside)], bit)
    };
    match found {
        // A clear bit "found" past an explicit end is not in the range.
        Some(pos) if end_given && !bit && pos == bytes as u64 * 8 => -1,
        Some(pos) => (pos + start as u64 * 8) as i64,
        None => -1,
    }
}

/// A `BITOP` operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// `BITOP AND | OR | XOR | NOT destkey key [key …]`: stores the result (as long as
/// the longest source; missing keys are empty strings) and returns its length; an
/// empty result deletes the destination.
pub(super) fn bitop(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let op = match args.one_of(&["AND", "OR", "XOR", "NOT"]) {
        Some(0) => BitOp::And,
        Some(1) => BitOp::Or,
        Some(2) => BitOp::Xor,
        Some(3) => BitOp::Not,
        _ => return Err(CommandError::Syntax),
    };
    if op == BitOp::Not && args.all().len() != 4 {
        return Err(CommandError::err("BITOP NOT must be called with a single source key."));
    }
    let dest = args.next_bytes()?;
    let sources = args.rest();
    let effect = args::as_slices(args.all());
    let keys = std::iter::once(&dest[..]).chain(sources.iter().map(|k| &k[..]));
    let len = ctx.db().write_many(keys, ctx.now_ms, |view| {
        // First every source's length (and type), then the result source by source.
        let mut lens = Vec::with_capacity(sources.len());
        for source in sources {
            let len = view.with_slot(source, |slot| slot.string().map(|v| v.map_or(0, <[u8]>::len)));
            lens.push(len.expect("a key of the view")?);
        }
        let max = lens.iter().copied().max().unwrap_or(0);
        // The result is computed straight into the new entry's bytes (no copy of a
        // 100 MB result), which then replaces the destination (raw, no TTL).
        let mut result = Entry::zeroed(dest, max);
        let bytes = result.string_mut().expect("a string entry");
        for (i, source) in sources.iter().enumerate() {
            view.with_slot(source, |slot| {
                let value = slot.string().ok().flatten().unwrap_or(&[]);
                combine(bytes, value, op, i == 0);
            });
        }
        view.with_slot(dest, |slot| {
            if max > 0 {
                slot.put(result);
                slot.record(events::SET, &effect);
            } else if slot.remove().is_some() {
                slot.record(events::DEL, &effect);
            }
        });
        Ok::<_, CommandError>(max)
    })?;
    ctx.out.integer(len as i64);
    REPLIED
}

/// Folds one source into the result (as long as the longest source; a shorter
/// source counts as zero bytes past its end).
fn combine(result: &mut [u8], value: &[u8], op: BitOp, first: bool) {
    let (head, tail) = result.split_at_mut(value.len().min(result.len()));
    if first {
        head.copy_from_slice(&value[..head.len()]);
        if op == BitOp::Not {
            head.iter_mut().for_each(|b| *b = !*b);
        }
        return;
    }
    match op {
        BitOp::And => {
            head.iter_mut().zip(value).for_each(|(r, v)| *r &= v);
            tail.fill(0);
        }
        BitOp::Or => head.iter_mut().zip(value).for_each(|(r, v)| *r |= v),
        BitOp::Xor => head.iter_mut().zip(value).for_each(|(r, v)| *r ^= v),
        BitOp::Not => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit by bit, the slow way.
    fn naive_first(bytes: &[u8], bit: bool) -> Option<u64> {
        (0..bytes.len() as u64 * 8).find(|&i| (bit_at(bytes, i) == 1) == bit).or(if bit {
            None
        } else {
            Some(bytes.len() as u64 * 8)
        })
    }

    #[test]
    fn offsets_follow_redis_bounds() {
        assert_eq!(bit_offset(b"0", None, 512), Ok(0));
        assert_eq!(bit_offset(b"4095", None, 512), Ok(4095));
        assert!(bit_offset(b"4096", None, 512).is_err());
        assert!(bit_offset(b"-1", None, 512).is_err());
        assert!(bit_offset(b"#1", None, 512).is_err());
        assert_eq!(bit_offset(b"#3", Some(8), 512), Ok(24));
        assert!(bit_offset(b"#-1", Some(8), 512).is_err());
        // 2^32 × 8 bits is one past 512 MB.
        let max = 512 * 1024 * 1024;
        assert_eq!(bit_offset(b"4294967295", None, max), Ok(4294967295));
        assert!(bit_offset(b"4294967296", None, max).is_err());
        assert!(bit_offset(b"9223372036854775807", None, max).is_err());
        // #n × width wraps as C does: never a panic.
        assert!(bit_offset(b"#9223372036854775807", Some(64), max).is_err());
    }

    #[test]
    fn popcount_matches_count_ones_for_every_length() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8).collect();
        for len in 0..bytes.len() {
            let want: u64 = bytes[..len].iter().map(|b| b.count_ones() as u64).sum();
            assert_eq!(popcount(&bytes[..len]), want, "len {len}");
        }
    }

    #[test]
    fn first_bit_matches_a_bit_by_bit_scan() {
        let mut cases: Vec<Vec<u8>> = vec![vec![], vec![0], vec![0xff], vec![0xff; 17], vec![0; 17]];
        for at in 0..40 {
            let mut v = vec![0xffu8; 20];
            v[at % 20] = 0xf7;
            cases.push(v);
            let mut v = vec![0u8; 20];
            v[at % 20] = 0x10;
            cases.push(v);
        }
        for case in &cases {
            for bit in [false, true] {
                assert_eq!(first_bit(case, bit), naive_first(case, bit), "{case:?} {bit}");
            }
        }
    }

    #[test]
    fn spans_mask_the_edges_of_bit_ranges() {
        assert_eq!(span(0, 0, -1, false), None);
        assert_eq!(span(3, 1, 1, false), Some(Span { start: 1, end: 1, first_outside: 0, last_outside: 0 }));
        let s = span(3, 5, 10, true).unwrap();
        assert_eq!((s.start, s.end, s.first_outside, s.last_outside), (0, 1, 0b1111_1000, 0b0001_1111));
        assert_eq!(span(3, -100, 100, false).map(|s| (s.start, s.end)), Some((0, 2)));
    }

    #[test]
    fn bitop_folds_like_redis() {
        let mut r = vec![0u8; 3];
        combine(&mut r, b"\xff\x0f", BitOp::And, true);
        combine(&mut r, b"\x0f\xff\xff", BitOp::And, false);
        assert_eq!(r, b"\x0f\x0f\x00");
        let mut r = vec![0u8; 2];
        combine(&mut r, b"\x01", BitOp::Or, true);
        combine(&mut r, b"\x02\x04", BitOp::Or, false);
        assert_eq!(r, b"\x03\x04");
        let mut r = vec![0u8; 1];
        combine(&mut r, b"\x0f", BitOp::Not, true);
        assert_eq!(r, b"\xf0");
    }
}
