//! HyperLogLog in Redis's own string format (`hyperloglog.c`), so a value copied
//! with `GET`/`SET` between FerrumKV and Redis counts the same on both.
//!
//! ```text
//! "HYLL" | encoding (0 dense, 1 sparse) | 3 zero bytes | cached cardinality (8 bytes LE,
//! bit 63 set: stale) | registers
//! ```
//!
//! 16,384 registers of 6 bits (P = 14). Dense: the registers packed, 12,288 bytes.
//! Sparse: run-length opcodes — `00xxxxxx` ZERO (1–64 zero registers), `01xxxxxx
//! yyyyyyyy` XZERO (up to 16,384), `1vvvvvxx` VAL (1–4 registers of value 1–32). A
//! sparse value turns dense when a register needs more than 32 or when it would
//! grow past `hll-sparse-max-bytes`. Every edit produces exactly the bytes Redis's
//! does. Values come from clients (`SETRANGE` can write anything), so every reader
//! checks the opcodes it walks: a corrupt value is an error, never a panic.

/// Registers (2^14).
pub const REGISTERS: usize = 1 << 14;
/// The header's size.
pub const HEADER: usize = 16;
/// A dense value's exact size.
pub const DENSE_SIZE: usize = HEADER + (REGISTERS * 6).div_ceil(8);
const P: u32 = 14;
const Q: u32 = 64 - P;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The value is not a HyperLogLog at all (`WRONGTYPE Key is not a valid
/// HyperLogLog string value.`): too short, wrong magic, unknown encoding, or a
/// dense value of the wrong length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotHll;

/// The value claims to be a HyperLogLog but its registers do not add up
/// (`INVALIDOBJ Corrupted HLL object detected`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

/// The two encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Packed 6-bit registers.
    Dense,
    /// Run-length opcodes.
    Sparse,
}

/// An empty HyperLogLog as Redis creates it: sparse, one XZERO over every register.
pub fn new_sparse() -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER + 2);
    value.extend_from_slice(b"HYLL");
    value.push(SPARSE);
    value.extend_from_slice(&[0; 11]);
    push_xzero(&mut value, REGISTERS);
    value
}

/// Checks the header as `isHLLObjectOrReply` does.
pub fn check(value: &[u8]) -> Result<Encoding, NotHll> {
    if value.len() < HEADER || &value[..4] != b"HYLL" {
        return Err(NotHll);
    }
    match value[4] {
        DENSE if value.len() == DENSE_SIZE => Ok(Encoding::Dense),
        SPARSE => Ok(Encoding::Sparse),
        _ => Err(NotHll),
    }
}

/// The cached cardinality, if it is valid.
pub fn cached(value: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(value[8..16].try_into().expect("a checked header"));
    (card >> 63 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality.
pub fn set_cache(value: &mut [u8], card: u64) {
    value[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate(value: &mut [u8]) {
    value[15] |= 0x80;
}

/// Redis's MurmurHash64A, endian-neutral.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element goes to and the length of its `0…01` pattern (1–51).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

fn dense_get(registers: &[u8], index: usize) -> u8 {
    let byte = index * 6 / 8;
    let shift = (index * 6) & 7;
    let b0 = registers[byte] as u16;
    let b1 = registers.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> shift) | (b1 << (8 - shift))) & 63) as u8
}

fn dense_set(registers: &mut [u8], index: usize, value: u8) {
    let byte = index * 6 / 8;
    let shift = (index * 6) & 7;
    let v = value as u16;
    registers[byte] &= !((63u16 << shift) as u8);
    registers[byte] |= (v << shift) as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next &= !((63u16 >> (8 - shift)) as u8);
        *next |= (v >> (8 - shift)) as u8;
    }
}

/// One sparse opcode.
#[derive(Clone, Copy, Debug)]
enum Opcode {
    /// `len` zero registers, in one (ZERO) or two (XZERO) bytes.
    Zeros { len: usize, bytes: usize },
    /// `len` registers of `value`.
    Val { value: u8, len: usize },
}

fn opcode_at(ops: &[u8], at: usize) -> Opcode {
    let b = ops[at];
    if b & 0xc0 == 0 {
        Opcode::Zeros { len: (b & 0x3f) as usize + 1, bytes: 1 }
    } else if b & 0xc0 == 0x40 {
        // A truncated XZERO reads its missing byte as zero, as Redis reads the
        // terminator after its string.
        let low = ops.get(at + 1).copied().unwrap_or(0) as usize;
        Opcode::Zeros { len: ((((b & 0x3f) as usize) << 8) | low) + 1, bytes: 2 }
    } else {
        Opcode::Val { value: ((b >> 2) & 0x1f) + 1, len: (b & 3) as usize + 1 }
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        push_xzero(out, len);
    } else {
        out.push(len as u8 - 1);
    }
}

fn push_xzero(out: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    out.push((l >> 8) as u8 | 0x40);
    out.push((l & 0xff) as u8);
}

/// Walks a sparse value's opcodes, handing each run (first register, length,
/// value) to `visit`; `Corrupt` unless they cover exactly every register, with no
/// run past the last one. That is `hllSparseToDense`/`hllMerge` as redis-server
/// 7.0.15 ships patched for CVE-2025-32023 (a run past the end is an error, where
/// the original stopped the walk and could accept opcodes left over after it).
fn walk_sparse(ops: &[u8], mut visit: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let (mut at, mut index) = (0, 0);
    while at < ops.len() {
        match opcode_at(ops, at) {
            Opcode::Zeros { len, bytes } => {
                if index + len > REGISTERS {
                    return Err(Corrupt);
                }
                index += len;
                at += bytes;
            }
            Opcode::Val { value, len } => {
                if index + len > REGISTERS {
                    return Err(Corrupt);
                }
                visit(index, len, value);
                index += len;
                at += 1;
            }
        }
    }
    if index == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Turns a sparse value dense (nothing for a dense one), keeping the header.
pub fn to_dense(value: &mut Vec<u8>) -> Result<(), Corrupt> {
    if value[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HEADER].copy_from_slice(&value[..HEADER]);
    dense[4] = DENSE;
    walk_sparse(&value[HEADER..], |first, len, v| {
        for index in first..first + len {
            dense_set(&mut dense[HEADER..], index, v);
        }
    })?;
    *value = dense;
    Ok(())
}

/// Raises register `index` to `count` if it is lower (`hllSparseSet` /
/// `hllDenseSet`): whether it changed. A sparse value may turn dense.
pub fn set_register(
    value: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max: usize,
) -> Result<bool, Corrupt> {
    if value[4] == DENSE {
        let registers = &mut value[HEADER..];
        if count > dense_get(registers, index) {
            dense_set(registers, index, count);
            return Ok(true);
        }
        return Ok(false);
    }
    if count > VAL_MAX_VALUE {
        return promote(value, index, count);
    }
    // Find the opcode covering `index`.
    let (mut at, mut first, mut prev) = (HEADER, 0usize, None);
    let mut found = None;
    while at < value.len() {
        let op = opcode_at(value, at);
        let (span, bytes) = match op {
            Opcode::Zeros { len, bytes } => (len, bytes),
            Opcode::Val { len, .. } => (len, 1),
        };
        if index < first + span {
            found = Some((op, span, bytes));
            break;
        }
        prev = Some(at);
        at += bytes;
        first += span;
    }
    let Some((op, span, old_len)) = found else { return Err(Corrupt) };
    // An XZERO cut off by the end of the string: Redis reads the terminator after
    // its string as the missing byte, and what it writes past the old end is cut
    // off again by the terminator it then sets. The same bytes result here.
    let cut_off = at + old_len > value.len();
    let last = first + span - 1;
    let mut seq: Vec<u8> = Vec::with_capacity(5);
    match op {
        Opcode::Val { value: current, .. } if current >= count => return Ok(false),
        Opcode::Val { len: 1, .. } | Opcode::Zeros { len: 1, bytes: 1 } => {
            value[at] = val_byte(count, 1);
            merge_adjacent(value, prev.unwrap_or(HEADER));
            invalidate(value);
            return Ok(true);
        }
        Opcode::Zeros { .. } => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_byte(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        Opcode::Val { value: current, .. } => {
            if index != first {
                seq.push(val_byte(current, index - first));
            }
            seq.push(val_byte(count, 1));
            if index != last {
                seq.push(val_byte(current, last - index));
            }
        }
    }
    if seq.len() > old_len && (value.len() + seq.len()).saturating_sub(old_len) > sparse_max {
        return promote(value, index, count);
    }
    if cut_off {
        value.truncate(at);
        value.extend_from_slice(&seq[..seq.len() - 1]);
    } else {
        value.splice(at..at + old_len, seq);
    }
    merge_adjacent(value, prev.unwrap_or(HEADER));
    invalidate(value);
    Ok(true)
}

/// Turns the value dense and sets the register there (`promote:` in Redis).
fn promote(value: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(value)?;
    let registers = &mut value[HEADER..];
    if count > dense_get(registers, index) {
        dense_set(registers, index, count);
    }
    Ok(true)
}

/// Redis's step 4: from `from`, up to five opcodes, merges adjacent VALs of the
/// same value while the run fits one opcode.
fn merge_adjacent(value: &mut Vec<u8>, from: usize) {
    let mut p = from;
    let mut scan = 5;
    while p < value.len() && scan > 0 {
        scan -= 1;
        let b = value[p];
        if b & 0xc0 == 0x40 {
            p += 2;
            continue;
        }
        if b & 0xc0 == 0 {
            p += 1;
            continue;
        }
        if p + 1 < value.len() && value[p + 1] & 0x80 != 0 {
            let (v1, l1) = (((b >> 2) & 0x1f) + 1, (b & 3) as usize + 1);
            let n = value[p + 1];
            let (v2, l2) = (((n >> 2) & 0x1f) + 1, (n & 3) as usize + 1);
            if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                value[p + 1] = val_byte(v1, l1 + l2);
                value.remove(p);
                continue;
            }
        }
        p += 1;
    }
}

/// Adds an element: whether a register changed.
pub fn add(value: &mut Vec<u8>, element: &[u8], sparse_max: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    set_register(value, index, count, sparse_max)
}

/// Raises `max[i]` to each register of the (checked) value (`hllMerge`).
pub fn merge_into(max: &mut [u8; REGISTERS], value: &[u8]) -> Result<(), Corrupt> {
    if value[4] == DENSE {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(&value[HEADER..], i));
        }
        return Ok(());
    }
    walk_sparse(&value[HEADER..], |first, len, v| {
        for m in &mut max[first..first + len] {
            *m = (*m).max(v);
        }
    })
}

/// The register histogram of a (checked) value; `Corrupt` for a sparse value whose
/// runs do not cover exactly every register.
fn histogram(value: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut histo = [0u32; 64];
    if value[4] == DENSE {
        for i in 0..REGISTERS {
            histo[dense_get(&value[HEADER..], i) as usize] += 1;
        }
        return Ok(histo);
    }
    // Redis's `hllSparseRegHisto`: no early stop, the total decides.
    let ops = &value[HEADER..];
    let (mut at, mut index) = (0, 0usize);
    while at < ops.len() {
        match opcode_at(ops, at) {
            Opcode::Zeros { len, bytes } => {
                histo[0] += len as u32;
                index += len;
                at += bytes;
            }
            Opcode::Val { value, len } => {
                histo[value as usize] += len as u32;
                index += len;
                at += 1;
            }
        }
    }
    if index == REGISTERS {
        Ok(histo)
    } else {
        Err(Corrupt)
    }
}

/// The estimated cardinality of a (checked) value, ignoring the cache.
pub fn count(value: &[u8]) -> Result<u64, Corrupt> {
    Ok(estimate(&histogram(value)?))
}

/// The estimated cardinality of plain registers (one byte each: a merge).
pub fn count_registers(registers: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in registers.iter() {
        histo[r as usize & 63] += 1;
    }
    estimate(&histo)
}

/// Otmar Ertl's estimator from the register histogram, as Redis computes it.
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// Which encoding a checked value uses (`PFDEBUG ENCODING`).
pub fn encoding(value: &[u8]) -> Encoding {
    if value[4] == DENSE {
        Encoding::Dense
    } else {
        Encoding::Sparse
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registers_of(value: &[u8]) -> Vec<u8> {
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, value).unwrap();
        max.to_vec()
    }

    #[test]
    fn a_new_value_is_redis_s_eighteen_bytes() {
        let v = new_sparse();
        assert_eq!(v, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        assert_eq!(check(&v), Ok(Encoding::Sparse));
        assert_eq!(count(&v), Ok(0));
        assert_eq!(cached(&v), Some(0));
    }

    #[test]
    fn murmur_matches_known_values() {
        // The register and run of "a", "b", "c" as Redis's PFDEBUG GETREG shows them
        // are fixed by the hash; check the hash is stable and endian-neutral.
        assert_eq!(murmur64a(b"", 0), 0);
        assert_ne!(murmur64a(b"a", 0xadc83b19), murmur64a(b"b", 0xadc83b19));
        assert_eq!(murmur64a(b"abcdefghi", 7), murmur64a(b"abcdefghi", 7));
    }

    #[test]
    fn sparse_and_dense_hold_the_same_registers_and_count() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for i in 0..2000u32 {
            let e = format!("element-{i}");
            let a = add(&mut sparse, e.as_bytes(), 1 << 20).unwrap();
            let b = add(&mut dense, e.as_bytes(), 1 << 20).unwrap();
            assert_eq!(a, b, "{e}");
        }
        assert_eq!(encoding(&sparse), Encoding::Sparse);
        assert_eq!(registers_of(&sparse), registers_of(&dense));
        assert_eq!(count(&sparse), count(&dense));
        let n = count(&sparse).unwrap() as f64;
        assert!((n - 2000.0).abs() < 2000.0 * 0.05, "{n}");
    }

    #[test]
    fn sparse_turns_dense_past_the_limit() {
        let mut v = new_sparse();
        for i in 0..5000u32 {
            add(&mut v, &i.to_le_bytes(), 3000).unwrap();
            assert!(v.len() <= 3000 || encoding(&v) == Encoding::Dense);
        }
        assert_eq!(encoding(&v), Encoding::Dense);
        assert_eq!(v.len(), DENSE_SIZE);
    }

    #[test]
    fn corrupt_values_are_errors_never_panics() {
        let mut v = new_sparse();
        for i in 0..300u32 {
            add(&mut v, &i.to_le_bytes(), 3000).unwrap();
        }
        let mut seed = 88172645463325252u64;
        for round in 0..3000 {
            let mut bad = v.clone();
            for _ in 0..1 + round % 4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize) % bad.len();
                bad[at] = (seed >> 32) as u8;
            }
            if round % 7 == 0 {
                bad.truncate((seed as usize >> 8) % bad.len() + 1);
            }
            if check(&bad).is_ok() {
                let _ = count(&bad);
                let mut max = [0u8; REGISTERS];
                let _ = merge_into(&mut max, &bad);
                let mut copy = bad.clone();
                let _ = add(&mut copy, b"x", 3000);
                let _ = to_dense(&mut bad);
            }
        }
    }
}
