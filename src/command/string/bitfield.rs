//! `BITFIELD` and `BITFIELD_RO`: integers of 1 to 64 bits (unsigned up to 63) at any
//! bit offset of a string, read, written and incremented with `WRAP`, `SAT` or
//! `FAIL` overflow, as `bitops.c` has them.
//!
//! Every operation is parsed and checked before the key is looked at (Redis's
//! order of errors); the string is then grown once to the farthest bit written.
//! Logged as given (as Redis propagates it): the outcome, overflows included, is
//! determined by the dataset.

use super::super::args;
use super::super::{Args, CommandError, CommandResult, Context, REPLIED};
use super::bits::{bit_offset, SETBIT};
use super::max_string;
use crate::engine::{events, Entry};

/// An integer type: signed or not, and its width in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldType {
    /// Two's complement (`i`) or unsigned (`u`).
    pub signed: bool,
    /// 1–64 for signed, 1–63 for unsigned.
    pub bits: u32,
}

/// What to do when an `INCRBY` or `SET` does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// Keep the low bits (the default).
    Wrap,
    /// Clamp to the type's minimum or maximum.
    Sat,
    /// Leave the field alone and reply a null.
    Fail,
}

/// One `GET`, `SET` or `INCRBY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// A parsed operation with the overflow rule in force where it was written.
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    op: Op,
    ty: FieldType,
    offset: u64,
    overflow: Overflow,
}

/// A type argument: `i1`–`i64` or `u1`–`u63`.
pub fn field_type(arg: &[u8]) -> Result<FieldType, CommandError> {
    let invalid = || {
        CommandError::err(
            "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(invalid()),
    };
    let bits = crate::number::parse_i64(&arg[1..]).ok_or_else(invalid)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(invalid());
    }
    Ok(FieldType { signed, bits: bits as u32 })
}

/// Reads `bits` bits from bit `offset` of `bytes` (zero past the end), most
/// significant first.
fn read_bits(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    let mut value = 0u64;
    for i in 0..bits as u64 {
        let at = offset + i;
        let bit = bytes.get((at >> 3) as usize).map_or(0, |b| (b >> (7 - (at & 7))) & 1);
        value = (value << 1) | bit as u64;
    }
    value
}

/// Writes the low `bits` bits of `value` at bit `offset` (the bytes must reach).
fn write_bits(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let at = offset + i;
        let mask = 1u8 << (7 - (at & 7));
        let byte = &mut bytes[(at >> 3) as usize];
        if value >> (bits as u64 - 1 - i) & 1 == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

impl FieldType {
    /// The field's value at `offset` of `bytes`, sign-extended for a signed type.
    pub fn get(self, bytes: &[u8], offset: u64) -> i64 {
        let raw = read_bits(bytes, offset, self.bits);
        if self.signed && self.bits < 64 && raw >> (self.bits - 1) & 1 == 1 {
            (raw | (u64::MAX << self.bits)) as i64
        } else {
            raw as i64
        }
    }

    /// `value + incr` in this type under `overflow`: `Some(result)`, or `None` when
    /// it overflows under `FAIL`. Redis's `check*BitfieldOverflow`, with its C
    /// arithmetic kept (wrapping where C wraps), so even its quirks match: a `SET` of
    /// `i64::MIN` into a narrow signed field saturates to the maximum.
    pub fn add(self, value: i64, incr: i64, overflow: Overflow) -> Option<i64> {
        let bits = self.bits;
        let direction = if self.signed {
            let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
            let min = -max - 1;
            let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
            let min_incr = min.wrapping_sub(value);
            if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
                Some(max)
            } else if value < min
                || (bits != 64 && incr < min_incr)
                || (value < 0 && incr < 0 && incr < min_incr)
            {
                Some(min)
            } else {
                None
            }
        } else {
            let max: u64 = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
            let value = value as u64;
            let max_incr = max.wrapping_sub(value) as i64;
            let min_incr = value.wrapping_neg() as i64;
            if value > max || (incr > 0 && incr > max_incr) {
                Some(max as i64)
            } else if incr < 0 && incr < min_incr {
                Some(0)
            } else {
                None
            }
        };
        match (direction, overflow) {
            (None, _) => Some(value.wrapping_add(incr)),
            (Some(limit), Overflow::Sat) => Some(limit),
            (Some(_), Overflow::Fail) => None,
            (Some(_), Overflow::Wrap) => Some(self.wrap((value as u64).wrapping_add(incr as u64))),
        }
    }

    /// The low `bits` bits of `sum`, read back in this type.
    fn wrap(self, sum: u64) -> i64 {
        if self.bits == 64 {
            return sum as i64;
        }
        let low = sum & !(u64::MAX << self.bits);
        if self.signed && low >> (self.bits - 1) & 1 == 1 {
            (low | (u64::MAX << self.bits)) as i64
        } else {
            low as i64
        }
    }
}

/// Parses the operations, in Redis's order of checks; `read_only` says whether
/// they are all `GET`s.
fn parse(args: &[bytes::Bytes], max_bytes: u64) -> Result<(Vec<FieldOp>, bool), CommandError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut read_only = true;
    let mut i = 0;
    while i < args.len() {
        let left = args.len() - i - 1;
        let word = &args[i];
        let kind = if args::is(word, "GET") && left >= 2 {
            0
        } else if args::is(word, "SET") && left >= 3 {
            1
        } else if args::is(word, "INCRBY") && left >= 3 {
            2
        } else if args::is(word, "OVERFLOW") && left >= 1 {
            overflow = match &args[i + 1] {
                w if args::is(w, "WRAP") => Overflow::Wrap,
                w if args::is(w, "SAT") => Overflow::Sat,
                w if args::is(w, "FAIL") => Overflow::Fail,
                _ => return Err(CommandError::err("Invalid OVERFLOW type specified")),
            };
            i += 2;
            continue;
        } else {
            return Err(CommandError::Syntax);
        };
        let ty = field_type(&args[i + 1])?;
        let offset = bit_offset(&args[i + 2], Some(ty.bits), max_bytes)?;
        let op = match kind {
            0 => Op::Get,
            _ => {
                read_only = false;
                let value = args::int(&args[i + 3])?;
                if kind == 1 {
                    Op::Set(value)
                } else {
                    Op::IncrBy(value)
                }
            }
        };
        ops.push(FieldOp { op, ty, offset, overflow });
        i += if kind == 0 { 3 } else { 4 };
    }
    Ok((ops, read_only))
}

/// `BITFIELD key [GET type offset | SET type offset value | INCRBY type offset
/// increment | OVERFLOW WRAP|SAT|FAIL] …`: one reply per `GET`/`SET`/`INCRBY`
/// (`SET` answers the old value, `INCRBY` the new one, a `FAIL`ed one null).
pub(super) fn bitfield(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    run(ctx, args, false)
}

/// `BITFIELD_RO key [GET type offset …]`: `BITFIELD` limited to `GET`.
pub(super) fn bitfield_ro(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    run(ctx, args, true)
}

fn run(ctx: &mut Context<'_>, args: &mut Args<'_>, ro_command: bool) -> CommandResult {
    let key = args.next_bytes()?;
    let (ops, read_only) = parse(args.rest(), max_string(ctx))?;
    let db = ctx.db();
    let out = &mut *ctx.out;
    if read_only {
        return db.read(key, ctx.now_ms, |entry| {
            let value = entry.map(Entry::string).transpose()?.unwrap_or(&[]);
            out.array(ops.len());
            for op in &ops {
                out.integer(op.ty.get(value, op.offset));
            }
            REPLIED
        });
    }
    if ro_command {
        return Err(CommandError::err("BITFIELD_RO only supports the GET subcommand"));
    }
    let highest = ops
        .iter()
        .filter(|op| op.op != Op::Get)
        .map(|op| op.offset + op.ty.bits as u64 - 1)
        .max()
        .unwrap_or(0);
    let len = (highest >> 3) as usize + 1;
    let effect = args::as_slices(args.all());
    db.write(key, ctx.now_ms, |slot| {
        let grew = match slot.string()? {
            None => {
                slot.put(Entry::zeroed(key, len));
                true
            }
            Some(current) if current.len() < len => {
                slot.get_mut().expect("present").grow_string(len)?;
                true
            }
            Some(_) => false,
        };
        let bytes = slot.get_mut().expect("present").string_mut()?;
        out.array(ops.len());
        let mut changes = 0;
        for op in &ops {
            let old = op.ty.get(bytes, op.offset);
            let (new, reply) = match op.op {
                Op::Get => {
                    out.integer(old);
                    continue;
                }
                Op::Set(value) => (op.ty.add(value, 0, op.overflow), old),
                Op::IncrBy(incr) => {
                    let new = op.ty.add(old, incr, op.overflow);
                    (new, new.unwrap_or(0))
                }
            };
            match new {
                Some(new) => {
                    out.integer(reply);
                    write_bits(bytes, op.offset, op.ty.bits, new as u64);
                    changes += (grew || old != new) as usize;
                }
                None => out.null(),
            }
        }
        if changes > 0 {
            slot.record(SETBIT, &effect);
        } else if grew {
            // Only zero bytes were added (every write failed): Redis neither
            // notifies nor propagates, but replay must create the same string.
            slot.record(events::TOUCHED, &effect);
        }
        REPLIED
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(signed: bool, bits: u32) -> FieldType {
        FieldType { signed, bits }
    }

    #[test]
    fn types_parse_like_redis() {
        assert_eq!(field_type(b"i64"), Ok(t(true, 64)));
        assert_eq!(field_type(b"u63"), Ok(t(false, 63)));
        assert_eq!(field_type(b"u1"), Ok(t(false, 1)));
        for bad in [&b"u64"[..], b"i65", b"i0", b"x8", b"", b"i", b"u-1", b"i 8"] {
            assert!(field_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fields_read_back_what_was_written_at_any_offset() {
        for bits in 1..=64u32 {
            for offset in [0u64, 1, 7, 9, 13] {
                let ty = t(true, bits);
                let mut bytes = vec![0u8; 10];
                let value = if bits == 64 { i64::MIN + 5 } else { -(1i64 << (bits - 1)) };
                write_bits(&mut bytes, offset, bits, value as u64);
                assert_eq!(ty.get(&bytes, offset), value, "i{bits} at {offset}");
            }
        }
    }

    #[test]
    fn overflow_rules_follow_redis() {
        let u8t = t(false, 8);
        assert_eq!(u8t.add(100, 257, Overflow::Wrap), Some(101));
        assert_eq!(u8t.add(100, 257, Overflow::Sat), Some(255));
        assert_eq!(u8t.add(100, -255, Overflow::Sat), Some(0));
        assert_eq!(u8t.add(100, 257, Overflow::Fail), None);
        let i8t = t(true, 8);
        assert_eq!(i8t.add(100, 100, Overflow::Wrap), Some(-56));
        assert_eq!(i8t.add(-100, -100, Overflow::Sat), Some(-128));
        assert_eq!(i8t.add(255, 0, Overflow::Wrap), Some(-1));
        let i64t = t(true, 64);
        assert_eq!(i64t.add(i64::MAX, 1, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(i64t.add(i64::MAX, 1, Overflow::Sat), Some(i64::MAX));
        assert_eq!(i64t.add(i64::MIN, -1, Overflow::Fail), None);
        let u63 = t(false, 63);
        assert_eq!(u63.add(0, -1, Overflow::Wrap), Some(i64::MAX));
        assert_eq!(u63.add(i64::MAX, 1, Overflow::Wrap), Some(0));
    }

    #[test]
    fn random_arguments_never_panic() {
        // BITFIELD argument fuzzing: any words in any order are a reply, never a panic.
        let words: &[&[u8]] = &[
            b"GET",
            b"SET",
            b"INCRBY",
            b"OVERFLOW",
            b"WRAP",
            b"SAT",
            b"FAIL",
            b"i64",
            b"u63",
            b"u64",
            b"i1",
            b"#0",
            b"#-1",
            b"#9223372036854775807",
            b"0",
            b"-1",
            b"4294967295",
            b"4294967296",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"x",
            b"",
        ];
        let mut seed = 0x2545f4914f6cdd1du64;
        for _ in 0..20_000 {
            let n = (seed % 9) as usize;
            let args: Vec<bytes::Bytes> = (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    bytes::Bytes::from_static(words[(seed % words.len() as u64) as usize])
                })
                .collect();
            if let Ok((ops, _)) = parse(&args, 512 * 1024 * 1024) {
                for op in ops {
                    assert!(op.offset >> 3 < 512 * 1024 * 1024);
                    let _ = op.ty.get(&[0xff; 9], op.offset % 8);
                    if let Op::IncrBy(v) | Op::Set(v) = op.op {
                        let _ = op.ty.add(v, v, op.overflow);
                    }
                }
            }
            seed = seed.wrapping_add(0x9e3779b97f4a7c15);
        }
    }
}
