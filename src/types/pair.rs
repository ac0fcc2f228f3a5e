//! A hash field and its value in one [`Blob`]: `[LEB128 field length][field][value]`
//! — one allocation per field of a large hash instead of two, keyed by the field
//! ([`Pair`]) in a [`Dense`](super::dense::Dense) table.

use super::blob::Blob;
use super::dense::KeyOf;
use super::varint;

/// `field` and `value` in one blob.
pub fn encode(field: &[u8], value: &[u8]) -> Blob {
    let mut head = [0; varint::MAX];
    let n = varint::encode(u32::try_from(field.len()).expect("a field over 4 GiB"), &mut head);
    Blob::concat(&[&head[..n], field, value])
}

/// The field and the value of a pair made by [`encode`].
#[inline]
pub fn split(item: &[u8]) -> (&[u8], &[u8]) {
    let (len, head) = varint::decode(item);
    item[head..].split_at(len as usize)
}

/// The value of a pair made by [`encode`], for change in place (same length).
#[inline]
pub fn value_mut(item: &mut [u8]) -> &mut [u8] {
    let (len, head) = varint::decode(item);
    &mut item[head + len as usize..]
}

/// A pair's key is its field.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pair;

impl KeyOf for Pair {
    type Buckets = super::dense::NoBuckets;

    #[inline]
    fn key(item: &[u8]) -> &[u8] {
        split(item).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split_back_into_field_and_value() {
        let long = vec![b'f'; 300];
        for (field, value) in [(&b""[..], &b""[..]), (b"f", b"value"), (&long[..], b"v"), (b"x", &long[..])] {
            let blob = encode(field, value);
            assert_eq!(split(&blob), (field, value));
            assert_eq!(Pair::key(&blob), field);
            let mut blob = blob;
            value_mut(blob.as_mut_bytes()).reverse();
            let reversed: Vec<u8> = value.iter().rev().copied().collect();
            assert_eq!(split(&blob), (field, &reversed[..]));
        }
    }
}
