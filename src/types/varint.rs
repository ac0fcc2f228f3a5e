//! LEB128 lengths: 7 bits per byte, the high bit set on every byte but the last, so
//! a length under 128 takes one byte. Used in front of every packed entry and blob.

/// The most bytes a `u32` takes.
pub(super) const MAX: usize = 5;

/// Writes `value` into `out`, returning how many bytes it took.
pub(super) fn encode(mut value: u32, out: &mut [u8; MAX]) -> usize {
    let mut n = 0;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out[n] = byte;
            return n + 1;
        }
        out[n] = byte | 0x80;
        n += 1;
    }
}

/// How many bytes `value` takes (the tests' model of exact-fit buffers).
#[cfg(test)]
pub(super) fn width(value: u32) -> usize {
    match value {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Reads a length from the front of `bytes`: the value and how many bytes it took.
/// `bytes` must start with a complete encoding (this room wrote it).
pub(super) fn decode(bytes: &[u8]) -> (u32, usize) {
    let mut value = 0u32;
    for (i, &byte) in bytes.iter().enumerate().take(MAX) {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    unreachable!("a length encoding cut short")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_in_their_width() {
        for value in [0, 1, 127, 128, 300, 16383, 16384, 1 << 21, (1 << 28) - 1, 1 << 28, u32::MAX] {
            let mut out = [0; MAX];
            let n = encode(value, &mut out);
            assert_eq!(n, width(value), "{value}");
            assert_eq!(decode(&out[..n]), (value, n), "{value}");
        }
    }
}
