//! One stored key: its bytes, its value, its expiry and its access metadata in a
//! single allocation, which the shard table references by one thin pointer.
//!
//! Why one allocation: a key with a 16-byte name and a 16-byte value used to cost a
//! 48-byte table slot plus two heap blocks (key and value); now it costs an 8-byte
//! slot and one block of 48 bytes, and a `GET` touches one cache line after the
//! table instead of three. The layout is
//!
//! ```text
//! [ meta: AtomicU64 | key_len: u32 | value_len: u32 ]                 header, 16 bytes
//! [ expire_at_ms: u64 ]                  only if key_len has HAS_EXPIRY
//! [ Arc<dyn Collection>: 16 bytes ]      only if value_len has COLLECTION
//! [ key bytes ] [ value bytes ]          value bytes only for a string
//! ```
//!
//! The header's spare bits carry the value's type (see [`Kind`]):
//!
//! | word | bit 31 | bit 30 | bits 0–29 / 0–30 |
//! |---|---|---|---|
//! | `key_len` | has an expiry word | raw string (`APPEND`/`SETRANGE` touched it) | key length (bits 0–29) |
//! | `value_len` | a collection follows | — | string: value length (bits 0–30); collection: the kind's tag (bits 0–2) |
//!
//! A string costs nothing for its type (it is the default). A collection's pointer
//! sits right after the fixed words, so it is 8-aligned and can be borrowed in place.
//! Keys that never had a TTL carry no expiry word. Lengths fit because the protocol
//! caps every bulk string, and so every key and value, at 512 MB
//! (`proto-max-bulk-len`; `APPEND`/`SETRANGE` check the same cap).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem::{align_of, size_of};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use super::access;
use super::value::{downcast, make_mut, Collection, Kind, Typed, Value, WrongType};
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
    /// The key's length, with [`HAS_EXPIRY`] and [`RAW`].
    key_len: u32,
    /// The string's length, or [`COLLECTION`] and the kind's tag.
    value_len: u32,
}

/// Set in `key_len` when the entry has room for an expiry.
const HAS_EXPIRY: u32 = 1 << 31;
/// Set in `key_len` when a string was modified in place (`OBJECT ENCODING` `raw`).
const RAW: u32 = 1 << 30;
/// The length bits of `key_len`.
const KEY_LEN: u32 = RAW - 1;
/// Set in `value_len` when the value is a collection.
const COLLECTION: u32 = 1 << 31;
/// The tag bits of a collection's `value_len`.
const TAG: u32 = 0b111;

/// The longest key an entry can hold (twice the protocol's 512 MB).
const MAX_KEY: usize = KEY_LEN as usize;
/// The longest string value an entry can hold (four times the protocol's 512 MB).
const MAX_VALUE: usize = (COLLECTION - 1) as usize;

/// The size of a collection's shared pointer in the entry.
const SHARED: usize = size_of::<Arc<dyn Collection>>();

/// What an entry is built with.
enum Payload<'a> {
    /// A string's bytes.
    Bytes(&'a [u8]),
    /// A collection.
    Shared(Arc<dyn Collection>),
    /// A string's bytes followed by zero bytes up to a total length (a bitmap
    /// grown by `SETBIT` or `BITFIELD`).
    Padded(&'a [u8], usize),
}

/// One key with its value and metadata (see the module documentation).
///
/// Its identity in the table is its key: `Hash` and `Eq` look at the key bytes only,
/// so the same `DashMap` that used to map key bytes to values now holds entries.
pub struct Entry {
    header: NonNull<Header>,
}

// SAFETY: an `Entry` owns its allocation exclusively, like a `Box`, and the
// collection it may point to is `Send + Sync`. Shared access (`&Entry`) only reads
// the immutable parts or updates `meta` atomically; every other change needs
// `&mut Entry`.
unsafe impl Send for Entry {}
// SAFETY: see above.
unsafe impl Sync for Entry {}

impl Entry {
    /// A new string entry for `key` holding `value`, expiring at `expire_at_ms`
    /// (absolute Unix milliseconds) if given.
    pub fn new(key: &[u8], value: &[u8], expire_at_ms: Option<u64>) -> Self {
        Self::build(key, Payload::Bytes(value), expire_at_ms, 0, false)
    }

    /// A new raw string entry for `key` of `len` zero bytes (a bitmap `SETBIT` or
    /// `BITFIELD` creates), without a temporary buffer of that size.
    pub fn zeroed(key: &[u8], len: usize) -> Self {
        Self::build(key, Payload::Padded(&[], len), None, 0, true)
    }

    /// A new entry for `key` holding the collection `value`.
    pub fn new_collection(key: &[u8], value: Arc<dyn Collection>, expire_at_ms: Option<u64>) -> Self {
        Self::build(key, Payload::Shared(value), expire_at_ms, 0, false)
    }

    fn build(key: &[u8], value: Payload<'_>, expire_at_ms: Option<u64>, meta: u64, raw: bool) -> Self {
        assert!(key.len() <= MAX_KEY, "a key beyond the protocol's limits");
        let has_expiry = expire_at_ms.is_some();
        let (value_len, shared, value_word) = match &value {
            Payload::Bytes(bytes) => {
                assert!(bytes.len() <= MAX_VALUE, "a value beyond the protocol's limits");
                (bytes.len(), false, bytes.len() as u32)
            }
            Payload::Padded(bytes, len) => {
                assert!(*len <= MAX_VALUE && bytes.len() <= *len, "a value beyond the protocol's limits");
                (*len, false, *len as u32)
            }
            Payload::Shared(c) => (0, true, COLLECTION | c.kind() as u32),
        };
        let layout = layout(key.len(), value_len, has_expiry, shared);
        // SAFETY: the layout is never zero-sized (it holds the header).
        let raw_ptr = unsafe { alloc(layout) }.cast::<Header>();
        let Some(header) = NonNull::new(raw_ptr) else { handle_alloc_error(layout) };
        let mut key_word = key.len() as u32;
        if has_expiry {
            key_word |= HAS_EXPIRY;
        }
        if raw && !shared {
            key_word |= RAW;
        }
        // SAFETY: `raw_ptr` is a fresh allocation of `layout`, aligned for `Header`,
        // large enough for the header, the optional expiry word, the optional shared
        // pointer (8-aligned: it follows 16 or 24 bytes), the key and the value.
        unsafe {
            raw_ptr.write(Header { meta: AtomicU64::new(meta), key_len: key_word, value_len: value_word });
            let mut body = raw_ptr.cast::<u8>().add(size_of::<Header>());
            if let Some(at) = expire_at_ms {
                body.cast::<u64>().write_unaligned(at);
                body = body.add(size_of::<u64>());
            }
            match value {
                Payload::Shared(collection) => {
                    body.cast::<Arc<dyn Collection>>().write(collection);
                    ptr::copy_nonoverlapping(key.as_ptr(), body.add(SHARED), key.len());
                }
                Payload::Bytes(bytes) => {
                    ptr::copy_nonoverlapping(key.as_ptr(), body, key.len());
                    ptr::copy_nonoverlapping(bytes.as_ptr(), body.add(key.len()), bytes.len());
                }
                Payload::Padded(bytes, len) => {
                    ptr::copy_nonoverlapping(key.as_ptr(), body, key.len());
                    let value = body.add(key.len());
                    ptr::copy_nonoverlapping(bytes.as_ptr(), value, bytes.len());
                    ptr::write_bytes(value.add(bytes.len()), 0, len - bytes.len());
                }
            }
        }
        Entry { header }
    }

    #[inline]
    fn head(&self) -> &Header {
        // SAFETY: `header` points to the live, initialised header this entry owns.
        unsafe { self.header.as_ref() }
    }

    #[inline]
    fn head_mut(&mut self) -> &mut Header {
        // SAFETY: as in `head`; `&mut self` makes the access exclusive.
        unsafe { self.header.as_mut() }
    }

    #[inline]
    fn has_expiry_word(&self) -> bool {
        self.head().key_len & HAS_EXPIRY != 0
    }

    #[inline]
    fn is_collection(&self) -> bool {
        self.head().value_len & COLLECTION != 0
    }

    #[inline]
    fn key_len(&self) -> usize {
        (self.head().key_len & KEY_LEN) as usize
    }

    /// The string's length (0 for a collection).
    #[inline]
    fn string_len(&self) -> usize {
        if self.is_collection() {
            0
        } else {
            self.head().value_len as usize
        }
    }

    /// Where the expiry word (if any) starts.
    #[inline]
    fn body(&self) -> *mut u8 {
        // SAFETY: the allocation extends past the header.
        unsafe { self.header.as_ptr().cast::<u8>().add(size_of::<Header>()) }
    }

    /// Where the shared pointer (if any) starts: after the expiry word.
    #[inline]
    fn after_expiry(&self) -> *mut u8 {
        let skip = if self.has_expiry_word() { size_of::<u64>() } else { 0 };
        // SAFETY: the expiry word is inside the allocation when the flag says so.
        unsafe { self.body().add(skip) }
    }

    #[inline]
    fn key_start(&self) -> *mut u8 {
        let skip = if self.is_collection() { SHARED } else { 0 };
        // SAFETY: the shared pointer is inside the allocation when the flag says so.
        unsafe { self.after_expiry().add(skip) }
    }

    /// The collection's shared pointer, in place. Only for collections.
    #[inline]
    fn shared(&self) -> &Arc<dyn Collection> {
        debug_assert!(self.is_collection());
        // SAFETY: `build` wrote an `Arc` at this 8-aligned offset for a collection,
        // and it lives as long as `self`.
        unsafe { &*self.after_expiry().cast::<Arc<dyn Collection>>() }
    }

    /// The collection's shared pointer, for replacing or un-sharing. Only for
    /// collections.
    #[inline]
    fn shared_mut(&mut self) -> &mut Arc<dyn Collection> {
        debug_assert!(self.is_collection());
        // SAFETY: as in `shared`; `&mut self` makes the access exclusive.
        unsafe { &mut *self.after_expiry().cast::<Arc<dyn Collection>>() }
    }

    /// The key's bytes.
    #[inline]
    pub fn key(&self) -> &[u8] {
        // SAFETY: `key_len` bytes at `key_start` were initialised by `build` and
        // live as long as `self`.
        unsafe { std::slice::from_raw_parts(self.key_start(), self.key_len()) }
    }

    /// The kind of value the entry holds.
    #[inline]
    pub fn kind(&self) -> Kind {
        if self.is_collection() {
            Kind::from_tag(self.head().value_len & TAG)
        } else {
            Kind::String
        }
    }

    /// The value: a string's bytes or the collection.
    #[inline]
    pub fn value(&self) -> Value<'_> {
        if self.is_collection() {
            Value::Collection(&**self.shared())
        } else {
            Value::String(self.string_bytes())
        }
    }

    /// A string's bytes (empty for a collection).
    #[inline]
    fn string_bytes(&self) -> &[u8] {
        let len = self.string_len();
        // SAFETY: a string's `len` bytes follow the key; `build` initialised them.
        unsafe { std::slice::from_raw_parts(self.key_start().add(self.key_len()), len) }
    }

    /// The string's bytes, or `WRONGTYPE` when the key holds a collection.
    #[inline]
    pub fn string(&self) -> Result<&[u8], WrongType> {
        if self.is_collection() {
            Err(WrongType)
        } else {
            Ok(self.string_bytes())
        }
    }

    /// The collection, if the value is one.
    #[inline]
    pub fn collection(&self) -> Option<&dyn Collection> {
        self.is_collection().then(|| &**self.shared())
    }

    /// The value as a `T`, or `WRONGTYPE` when it is another kind.
    pub fn get_as<T: Typed>(&self) -> Result<&T, WrongType> {
        self.collection().filter(|c| c.kind() == T::KIND).and_then(downcast::<T>).ok_or(WrongType)
    }

    /// The value as a `T` for change (copied first if a snapshot or a `COPY` shares
    /// it), or `WRONGTYPE` when it is another kind.
    pub fn get_mut_as<T: Typed>(&mut self) -> Result<&mut T, WrongType> {
        if self.kind() != T::KIND {
            return Err(WrongType);
        }
        make_mut(self.shared_mut()).as_any_mut().downcast_mut::<T>().ok_or(WrongType)
    }

    /// Whether a string was changed in place (`APPEND`, `SETRANGE`), which Redis
    /// reports as the `raw` encoding whatever its length.
    #[inline]
    pub fn is_raw(&self) -> bool {
        self.head().key_len & RAW != 0
    }

    /// A string's bytes for change in place (`SETBIT`, `BITFIELD`): the length
    /// stays, and the string becomes raw, as Redis's in-place edits leave it.
    /// `WRONGTYPE` for a collection.
    pub fn string_mut(&mut self) -> Result<&mut [u8], WrongType> {
        if self.is_collection() {
            return Err(WrongType);
        }
        self.head_mut().key_len |= RAW;
        let len = self.string_len();
        // SAFETY: a string's `len` bytes follow the key; `&mut self` is exclusive.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.key_start().add(self.key_len()), len) })
    }

    /// Pads a string with zero bytes up to `len` bytes (nothing when it is that
    /// long already), moving it to a larger allocation; the string is raw
    /// afterwards. `WRONGTYPE` for a collection.
    pub fn grow_string(&mut self, len: usize) -> Result<(), WrongType> {
        if self.is_collection() {
            return Err(WrongType);
        }
        if len > self.string_len() {
            let grown = Self::build(
                self.key(),
                Payload::Padded(self.string_bytes(), len),
                self.kept_expiry(),
                self.meta(),
                true,
            );
            *self = grown;
        }
        self.head_mut().key_len |= RAW;
        Ok(())
    }

    /// Marks a string as changed in place (see [`Entry::is_raw`]).
    pub fn mark_raw(&mut self) {
        if !self.is_collection() {
            self.head_mut().key_len |= RAW;
        }
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

    /// Records a read under the LFU tunables `lfu`.
    #[inline]
    pub fn touch(&self, now_ms: u64, lfu: access::LfuTuning) {
        access::touch(&self.head().meta, now_ms, lfu);
    }

    /// This entry's value, moved or shared into a new payload (for a rebuild).
    fn payload(&self) -> Payload<'_> {
        if self.is_collection() {
            Payload::Shared(self.shared().clone())
        } else {
            Payload::Bytes(self.string_bytes())
        }
    }

    /// Sets or clears the absolute expiry. Adding one to an entry that has no room
    /// for it moves the entry to a larger allocation.
    pub fn set_expire_at_ms(&mut self, at: Option<u64>) {
        if self.has_expiry_word() {
            // SAFETY: the word is there, and `&mut self` means nobody reads it now.
            unsafe { self.body().cast::<u64>().write_unaligned(at.unwrap_or(0)) };
        } else if at.is_some() {
            *self = Self::build(self.key(), self.payload(), at, self.meta(), self.is_raw());
        }
    }

    /// The expiry to carry into a rebuilt entry: the word if it has one (0 if
    /// cleared), so a rebuild keeps the shape.
    fn kept_expiry(&self) -> Option<u64> {
        self.has_expiry_word().then(|| self.expire_at_ms().unwrap_or(0))
    }

    /// Replaces the value with the string `value`, keeping the key, the expiry and
    /// the metadata; in place when the entry held a string of the same length (as
    /// for most `INCR`s and same-size `SET`s). The string is no longer raw (a value
    /// set whole is encoded afresh, as in Redis); see [`Entry::mark_raw`].
    pub fn set_value(&mut self, value: &[u8]) {
        if !self.is_collection() && value.len() == self.string_len() {
            let start = self.key_start();
            // SAFETY: the value's `len` bytes follow the key; `&mut self` is exclusive.
            unsafe { ptr::copy_nonoverlapping(value.as_ptr(), start.add(self.key_len()), value.len()) };
            self.head_mut().key_len &= !RAW;
        } else {
            *self = Self::build(self.key(), Payload::Bytes(value), self.kept_expiry(), self.meta(), false);
        }
    }

    /// Replaces the value with a collection, keeping key, expiry and metadata.
    pub fn set_collection(&mut self, value: Arc<dyn Collection>) {
        *self = Self::build(self.key(), Payload::Shared(value), self.kept_expiry(), self.meta(), false);
    }

    /// Replaces value and expiry at once with a string (a `SET`), in place when the
    /// entry held a string of the same length and whether there is an expiry is
    /// unchanged.
    pub fn overwrite(&mut self, value: &[u8], expire_at_ms: Option<u64>) {
        let same_shape = !self.is_collection()
            && value.len() == self.string_len()
            && self.has_expiry_word() == expire_at_ms.is_some();
        if same_shape {
            self.set_value(value);
            self.set_expire_at_ms(expire_at_ms);
        } else {
            *self = Self::build(self.key(), Payload::Bytes(value), expire_at_ms, self.meta(), false);
        }
    }

    /// A copy of this entry (value, expiry, metadata, encoding) under another key
    /// (`RENAME`, `COPY`, `MOVE`). A collection is shared, not copied: whichever
    /// key changes it first gets its own copy then.
    pub fn with_key(&self, key: &[u8]) -> Entry {
        Self::build(key, self.payload(), self.expire_at_ms(), self.meta(), self.is_raw())
    }

    /// Bytes this entry's own allocation asks the allocator for (before size
    /// classes); a collection's structure is counted by [`Collection::heap_bytes`].
    pub fn allocated_len(&self) -> usize {
        layout(self.key_len(), self.string_len(), self.has_expiry_word(), self.is_collection()).size()
    }

    /// The start of the entry's allocation, for asking the allocator its real size
    /// (`MEMORY USAGE`).
    pub fn block(&self) -> *const u8 {
        self.header.as_ptr().cast()
    }
}

/// The allocation for an entry of these sizes.
fn layout(key_len: usize, value_len: usize, has_expiry: bool, shared: bool) -> Layout {
    let expiry = if has_expiry { size_of::<u64>() } else { 0 };
    let pointer = if shared { SHARED } else { 0 };
    let size = size_of::<Header>() + expiry + pointer + key_len + value_len;
    match Layout::from_size_align(size, align_of::<Header>()) {
        Ok(layout) => layout,
        // Unreachable: both lengths are at most 2 GB (checked in `build`).
        Err(_) => handle_alloc_error(Layout::new::<Header>()),
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let layout = layout(self.key_len(), self.string_len(), self.has_expiry_word(), self.is_collection());
        // SAFETY: we own the allocation; the shared pointer (if any) and the header
        // are initialised and dropped once, then the block is freed with the layout
        // it was allocated with.
        unsafe {
            if self.is_collection() {
                // A big collection this entry was the last owner of is freed in the
                // background, not here under a shard lock.
                super::lazyfree::release(ptr::read(self.after_expiry().cast::<Arc<dyn Collection>>()));
            }
            ptr::drop_in_place(self.header.as_ptr());
            dealloc(self.header.as_ptr().cast(), layout);
        }
    }
}

impl Clone for Entry {
    fn clone(&self) -> Self {
        self.with_key(self.key())
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
        let mut debug = f.debug_struct("Entry");
        debug.field("key", &String::from_utf8_lossy(self.key()));
        match self.value() {
            Value::String(bytes) => debug.field("value", &String::from_utf8_lossy(bytes)),
            Value::Collection(c) => debug.field("value", &c),
        };
        debug.field("expire_at_ms", &self.expire_at_ms()).finish()
    }
}

#[cfg(test)]
mod tests;
