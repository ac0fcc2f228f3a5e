//! One stored key: its bytes, its value, its expiry and its access metadata in a
//! single allocation, which the shard table references by one thin pointer.
//!
//! Why one allocation: a key with a 16-byte name and a 16-byte value used to cost a
//! 48-byte table slot plus two heap blocks (key and value); now it costs an 8-byte
//! slot and one block of 48 bytes, and a `GET` touches one cache line after the
//! table instead of three. The layout is
//!
//! ```text
//! [ meta: AtomicU64 | key_len: u32 (top bit: has expiry) | value_len: u32 ]
//! [ expire_at_ms: u64, only if the flag is set ] [ key bytes ] [ value bytes ]
//! ```
//!
//! Keys that never had a TTL carry no expiry word. Lengths fit in 31 bits because
//! the protocol caps every bulk string, and so every key and value, at 512 MB
//! (`proto-max-bulk-len`; `APPEND`/`SETRANGE` check the same cap).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem::{align_of, size_of};
use std::ptr::{self, NonNull};

use super::access;
// std atomics, not the loom facade: the access word is a statistic, and the loom
// models check the shard locks around it.
use std::sync::atomic::{AtomicU64, Ordering};

/// The fixed part of an entry's allocation.
#[repr(C)]
struct Header {
    /// Packed access metadata: LRU clock, LFU counter, write generation (see
    /// [`access`]). Atomic so that reads under a shared shard lock can record
    /// themselves.
    meta: AtomicU64,
    /// The key's length, with [`HAS_EXPIRY`] set when an expiry word follows.
    key_len: u32,
    /// The value's length.
    value_len: u32,
}

/// Set in `key_len` when the entry has room for an expiry.
const HAS_EXPIRY: u32 = 1 << 31;

/// The largest key or value an entry can hold (far above the protocol's 512 MB).
const MAX_LEN: usize = (HAS_EXPIRY - 1) as usize;

/// One key with its value and metadata (see the module documentation).
///
/// Its identity in the table is its key: `Hash` and `Eq` look at the key bytes only,
/// so the same `DashMap` that used to map key bytes to values now holds entries.
pub struct Entry {
    header: NonNull<Header>,
}

// SAFETY: an `Entry` owns its allocation exclusively, like a `Box`. Shared access
// (`&Entry`) only reads the immutable parts or updates `meta` atomically; every
// other change needs `&mut Entry`.
unsafe impl Send for Entry {}
// SAFETY: see above.
unsafe impl Sync for Entry {}

impl Entry {
    /// A new entry for `key` holding `value`, expiring at `expire_at_ms` (absolute
    /// Unix milliseconds) if given.
    pub fn new(key: &[u8], value: &[u8], expire_at_ms: Option<u64>) -> Self {
        Self::build(key, value, expire_at_ms, 0)
    }

    fn build(key: &[u8], value: &[u8], expire_at_ms: Option<u64>, meta: u64) -> Self {
        assert!(key.len() <= MAX_LEN && value.len() <= MAX_LEN, "key or value beyond the protocol's limits");
        let has_expiry = expire_at_ms.is_some();
        let layout = layout(key.len(), value.len(), has_expiry);
        // SAFETY: the layout is never zero-sized (it holds the header).
        let raw = unsafe { alloc(layout) }.cast::<Header>();
        let Some(header) = NonNull::new(raw) else { handle_alloc_error(layout) };
        let flag = if has_expiry { HAS_EXPIRY } else { 0 };
        // SAFETY: `raw` is a fresh allocation of `layout`, aligned for `Header` and
        // large enough for the header, the optional expiry word, the key and the value.
        unsafe {
            raw.write(Header {
                meta: AtomicU64::new(meta),
                key_len: key.len() as u32 | flag,
                value_len: value.len() as u32,
            });
            let mut body = raw.cast::<u8>().add(size_of::<Header>());
            if let Some(at) = expire_at_ms {
                body.cast::<u64>().write_unaligned(at);
                body = body.add(size_of::<u64>());
            }
            ptr::copy_nonoverlapping(key.as_ptr(), body, key.len());
            ptr::copy_nonoverlapping(value.as_ptr(), body.add(key.len()), value.len());
        }
        Entry { header }
    }

    #[inline]
    fn head(&self) -> &Header {
        // SAFETY: `header` points to the live, initialised header this entry owns.
        unsafe { self.header.as_ref() }
    }

    #[inline]
    fn has_expiry_word(&self) -> bool {
        self.head().key_len & HAS_EXPIRY != 0
    }

    #[inline]
    fn key_len(&self) -> usize {
        (self.head().key_len & !HAS_EXPIRY) as usize
    }

    /// Where the expiry word (if any) and then the key start.
    #[inline]
    fn body(&self) -> *mut u8 {
        // SAFETY: the allocation extends past the header.
        unsafe { self.header.as_ptr().cast::<u8>().add(size_of::<Header>()) }
    }

    #[inline]
    fn key_start(&self) -> *mut u8 {
        let skip = if self.has_expiry_word() { size_of::<u64>() } else { 0 };
        // SAFETY: the expiry word is inside the allocation when the flag says so.
        unsafe { self.body().add(skip) }
    }

    /// The key's bytes.
    #[inline]
    pub fn key(&self) -> &[u8] {
        // SAFETY: `key_len` bytes at `key_start` were initialised by `build` and
        // live as long as `self`.
        unsafe { std::slice::from_raw_parts(self.key_start(), self.key_len()) }
    }

    /// The value's bytes.
    #[inline]
    pub fn value(&self) -> &[u8] {
        let len = self.head().value_len as usize;
        // SAFETY: the value follows the key; `build` initialised its `len` bytes.
        unsafe { std::slice::from_raw_parts(self.key_start().add(self.key_len()), len) }
    }

    /// The absolute expiry in Unix milliseconds, if the key has one.
    #[inline]
    pub fn expire_at_ms(&self) -> Option<u64> {
        if !self.has_expiry_word() {
            return None;
        }
        // SAFETY: the flag says the expiry word is there.
        let at = unsafe { self.body().cast::<u64>().read_unaligned() };
        (at != 0).then_some(at)
    }

    /// Whether the entry has expired at `now_ms`.
    #[inline]
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at_ms().is_some_and(|at| at <= now_ms)
    }

    /// The access metadata word (see [`access`]).
    #[inline]
    pub fn meta(&self) -> u64 {
        self.head().meta.load(Ordering::Relaxed)
    }

    pub(super) fn set_meta(&self, meta: u64) {
        self.head().meta.store(meta, Ordering::Relaxed);
    }

    /// Records a read.
    #[inline]
    pub fn touch(&self, now_ms: u64) {
        access::touch(&self.head().meta, now_ms);
    }

    /// Sets or clears the absolute expiry. Adding one to an entry that has no room
    /// for it moves the entry to a larger allocation.
    pub fn set_expire_at_ms(&mut self, at: Option<u64>) {
        if self.has_expiry_word() {
            // SAFETY: the word is there, and `&mut self` means nobody reads it now.
            unsafe { self.body().cast::<u64>().write_unaligned(at.unwrap_or(0)) };
        } else if at.is_some() {
            *self = Self::build(self.key(), self.value(), at, self.meta());
        }
    }

    /// Replaces the value, keeping the key, the expiry and the metadata; in place
    /// when the length is unchanged (as for most `INCR`s and same-size `SET`s).
    pub fn set_value(&mut self, value: &[u8]) {
        if value.len() == self.head().value_len as usize {
            let start = self.key_start();
            // SAFETY: the value's `len` bytes follow the key; `&mut self` is exclusive.
            unsafe { ptr::copy_nonoverlapping(value.as_ptr(), start.add(self.key_len()), value.len()) };
        } else {
            let expiry = self.has_expiry_word().then(|| self.expire_at_ms().unwrap_or(0));
            *self = Self::build(self.key(), value, expiry, self.meta());
        }
    }

    /// Replaces value and expiry at once (a `SET`), in place when the value's length
    /// and whether there is an expiry are unchanged.
    pub fn overwrite(&mut self, value: &[u8], expire_at_ms: Option<u64>) {
        let same_shape =
            value.len() == self.head().value_len as usize && self.has_expiry_word() == expire_at_ms.is_some();
        if same_shape {
            self.set_value(value);
            self.set_expire_at_ms(expire_at_ms);
        } else {
            *self = Self::build(self.key(), value, expire_at_ms, self.meta());
        }
    }

    /// A copy of this entry (value, expiry, metadata) under another key (`RENAME`,
    /// `COPY`, `MOVE`).
    pub fn with_key(&self, key: &[u8]) -> Entry {
        Self::build(key, self.value(), self.expire_at_ms(), self.meta())
    }

    /// Bytes this entry's allocation asks the allocator for (before size classes).
    pub fn allocated_len(&self) -> usize {
        layout(self.key_len(), self.value().len(), self.has_expiry_word()).size()
    }

    /// The start of the entry's allocation, for asking the allocator its real size
    /// (`MEMORY USAGE`).
    pub fn block(&self) -> *const u8 {
        self.header.as_ptr().cast()
    }
}

/// The allocation for an entry of these sizes.
fn layout(key_len: usize, value_len: usize, has_expiry: bool) -> Layout {
    let expiry = if has_expiry { size_of::<u64>() } else { 0 };
    let size = size_of::<Header>() + expiry + key_len + value_len;
    match Layout::from_size_align(size, align_of::<Header>()) {
        Ok(layout) => layout,
        // Unreachable: both lengths are at most 2 GB (checked in `build`).
        Err(_) => handle_alloc_error(Layout::new::<Header>()),
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let layout = layout(self.key_len(), self.value().len(), self.has_expiry_word());
        // SAFETY: we own the allocation; the header is initialised and dropped once,
        // then the block is freed with the layout it was allocated with.
        unsafe {
            ptr::drop_in_place(self.header.as_ptr());
            dealloc(self.header.as_ptr().cast(), layout);
        }
    }
}

impl Clone for Entry {
    fn clone(&self) -> Self {
        Self::build(self.key(), self.value(), self.expire_at_ms(), self.meta())
    }
}

impl PartialEq for Entry {
    /// Same key (an entry's identity in the table).
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Entry {}

impl Hash for Entry {
    /// Hashes like the key's bytes, so lookups by `&[u8]` find it.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("value", &String::from_utf8_lossy(self.value()))
            .field("expire_at_ms", &self.expire_at_ms())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_key_value_and_expiry() {
        let mut e = Entry::new(b"k\0\r\n", b"\xffvalue", None);
        assert_eq!(e.key(), b"k\0\r\n");
        assert_eq!(e.value(), b"\xffvalue");
        assert_eq!(e.expire_at_ms(), None);
        e.set_expire_at_ms(Some(42));
        assert_eq!((e.key(), e.value(), e.expire_at_ms()), (&b"k\0\r\n"[..], &b"\xffvalue"[..], Some(42)));
        e.set_value(b"longer value");
        assert_eq!((e.value(), e.expire_at_ms()), (&b"longer value"[..], Some(42)));
        e.set_expire_at_ms(None);
        assert_eq!(e.expire_at_ms(), None);
        assert!(!e.is_expired(u64::MAX));
        e.overwrite(b"x", Some(7));
        assert_eq!((e.key(), e.value(), e.expire_at_ms()), (&b"k\0\r\n"[..], &b"x"[..], Some(7)));
        assert!(e.is_expired(7) && !e.is_expired(6));
    }

    #[test]
    fn empty_key_and_value_are_fine() {
        let e = Entry::new(b"", b"", Some(1));
        assert_eq!((e.key(), e.value(), e.expire_at_ms()), (&b""[..], &b""[..], Some(1)));
        assert_eq!(e.clone().expire_at_ms(), Some(1));
    }

    #[test]
    fn same_size_overwrite_stays_in_place_and_keeps_metadata() {
        let mut e = Entry::new(b"key", b"aaaa", None);
        e.set_meta(12345);
        let before = e.header;
        e.overwrite(b"bbbb", None);
        assert_eq!(e.header, before);
        assert_eq!((e.value(), e.meta()), (&b"bbbb"[..], 12345));
        e.overwrite(b"ccccc", None);
        assert_eq!((e.value(), e.meta()), (&b"ccccc"[..], 12345));
    }

    #[test]
    fn rekeyed_copy_keeps_value_expiry_and_metadata() {
        let e = Entry::new(b"from", b"v", Some(99));
        e.set_meta(7);
        let moved = e.with_key(b"to");
        assert_eq!(
            (moved.key(), moved.value(), moved.expire_at_ms(), moved.meta()),
            (&b"to"[..], &b"v"[..], Some(99), 7)
        );
    }

    #[test]
    fn a_short_key_and_value_fit_a_48_byte_block() {
        let e = Entry::new(b"key:000000000001", b"0123456789abcdef", None);
        assert!(e.allocated_len() <= 48, "{}", e.allocated_len());
        assert_eq!(size_of::<Entry>(), size_of::<usize>());
    }
}
