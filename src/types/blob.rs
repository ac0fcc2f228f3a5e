//! [`Blob`]: an owned byte string behind one thin pointer.
//!
//! `Box<[u8]>` is a pointer and a length, 16 bytes in every slot that holds one. A
//! large set or hash holds a million of them, so the length moves into the
//! allocation instead: a LEB128 length (one byte up to 127) in front of the bytes,
//! and the slot is 8 bytes. A 16-byte member then costs one 32-byte allocation
//! class plus its 8-byte pointer.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::fmt;
use std::ptr::NonNull;

use super::varint;

/// An owned, immutable byte string: one allocation holding its length and bytes.
pub struct Blob(NonNull<u8>);

// SAFETY: a `Blob` owns its allocation outright and never shares it; it is as
// thread-safe as the `Box<[u8]>` it stands for.
unsafe impl Send for Blob {}
// SAFETY: as above; `&Blob` only reads.
unsafe impl Sync for Blob {}

impl Blob {
    /// A blob holding a copy of `bytes`.
    pub fn new(bytes: &[u8]) -> Blob {
        Blob::concat(&[bytes])
    }

    /// A blob holding `parts` back to back, in one allocation.
    ///
    /// Panics past 4 GiB, which no argument reaches (`proto-max-bulk-len` caps
    /// them at 512 MB).
    pub fn concat(parts: &[&[u8]]) -> Blob {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let len32 = u32::try_from(len).expect("a blob over 4 GiB");
        let mut head = [0; varint::MAX];
        let head_len = varint::encode(len32, &mut head);
        let layout = layout(head_len + len);
        // SAFETY: `layout` has a non-zero size (the length takes at least a byte).
        let start = unsafe { alloc(layout) };
        let Some(start) = NonNull::new(start) else { handle_alloc_error(layout) };
        // SAFETY: the allocation holds `head_len + len` bytes; the copies fill it
        // exactly, from sources that cannot overlap a fresh allocation.
        unsafe {
            std::ptr::copy_nonoverlapping(head.as_ptr(), start.as_ptr(), head_len);
            let mut at = start.as_ptr().add(head_len);
            for part in parts {
                std::ptr::copy_nonoverlapping(part.as_ptr(), at, part.len());
                at = at.add(part.len());
            }
        }
        Blob(start)
    }

    /// The length and the bytes the length takes in front.
    #[inline]
    fn header(&self) -> (usize, usize) {
        // SAFETY: the allocation starts with a complete length encoding, at most
        // `varint::MAX` bytes, each read only until the last one.
        let mut value = 0usize;
        let mut i = 0;
        loop {
            let byte = unsafe { *self.0.as_ptr().add(i) };
            value |= usize::from(byte & 0x7f) << (7 * i);
            i += 1;
            if byte & 0x80 == 0 {
                return (value, i);
            }
        }
    }

    /// The bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        let (len, head) = self.header();
        // SAFETY: the `len` bytes after the header are this blob's, initialised by
        // `concat` and never changed.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().add(head), len) }
    }

    /// The bytes, for change in place (same length: an `HSET` of a value as long
    /// as the old one needs no new allocation).
    #[inline]
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        let (len, head) = self.header();
        // SAFETY: as in `as_bytes`; `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_ptr().add(head), len) }
    }

    /// Heap bytes the blob takes, jemalloc's size class included.
    pub fn heap_bytes(&self) -> usize {
        let (len, head) = self.header();
        super::allocation_size(len + head)
    }
}

/// The allocation of a blob taking `size` bytes in all.
fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 1).expect("a blob's layout")
}

impl Drop for Blob {
    fn drop(&mut self) {
        let (len, head) = self.header();
        // SAFETY: allocated by `concat` with exactly this layout, freed once.
        unsafe { dealloc(self.0.as_ptr(), layout(len + head)) }
    }
}

impl Clone for Blob {
    fn clone(&self) -> Blob {
        Blob::new(self.as_bytes())
    }
}

impl std::ops::Deref for Blob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Blob {}

impl std::hash::Hash for Blob {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_one_thin_pointer() {
        assert_eq!(std::mem::size_of::<Blob>(), 8);
        assert_eq!(std::mem::size_of::<Option<Blob>>(), 8);
    }

    #[test]
    fn blobs_hold_their_bytes_whatever_the_length() {
        for len in [0usize, 1, 127, 128, 16383, 16384, 70000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let blob = Blob::new(&bytes);
            assert_eq!(blob.as_bytes(), &bytes[..], "{len}");
            assert_eq!(blob.clone(), blob);
            assert!(blob.heap_bytes() > len, "{len}");
        }
    }

    #[test]
    fn concat_joins_the_parts() {
        let blob = Blob::concat(&[b"ab", b"", b"cde"]);
        assert_eq!(&*blob, b"abcde");
        assert_eq!(Blob::concat(&[]).as_bytes(), b"");
        let mut changed = Blob::new(b"abc");
        changed.as_mut_bytes()[1] = b'X';
        assert_eq!(&*changed, b"aXc");
        assert_eq!(Blob::new(b"sixteen bytes!!!").heap_bytes(), 32);
    }
}
