//! Freeing big values off the request path, as Redis's lazyfree does.
//!
//! Dropping a million-member set takes tens of milliseconds; done under a shard lock
//! it would stall every client of that shard, done on the request path it would stall
//! the client. So an entry whose collection is big ([`Collection::free_effort`] over
//! [`THRESHOLD`], Redis's `LAZYFREE_THRESHOLD`) hands the collection to one background
//! thread instead of freeing it, wherever the entry goes away: `DEL`, `UNLINK`, an
//! overwrite, `RENAME` over it, expiry, eviction, a flush. A flush with `ASYNC` sends
//! the emptied databases' tables whole.
//!
//! Memory waiting to be freed is counted ([`pending_bytes`]) so the evictor does not
//! evict more keys for memory that is about to come back; `INFO` reports
//! `lazyfree_pending_objects` and `lazyfreed_objects` from the counters here.
//!
//! Under the loom models everything is freed at once (no thread).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crossbeam_channel::Sender;

use super::table::Table;
use super::value::Collection;

/// A collection whose free effort (elements to free one by one) is over this is
/// freed in the background; Redis uses the same 64.
pub const THRESHOLD: usize = 64;

/// What the background thread frees.
enum Garbage {
    /// One big collection.
    Collection(Arc<dyn Collection>, u64),
    /// Whole tables of a flushed database, and how many keys they hold.
    Tables(Vec<Table>, u64),
}

/// Objects queued and not freed yet (`lazyfree_pending_objects`).
static PENDING_OBJECTS: AtomicU64 = AtomicU64::new(0);
/// Heap bytes of the queued collections (their `heap_bytes` when queued).
static PENDING_BYTES: AtomicU64 = AtomicU64::new(0);
/// Objects the thread has freed since start (`lazyfreed_objects`).
static FREED_OBJECTS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set while this thread frees on the spot (the freeing thread itself, a
    /// synchronous flush): a big collection dropped then is not queued again.
    static FREEING: Cell<bool> = const { Cell::new(false) };
}

/// The queue to the freeing thread, started on first use.
fn queue() -> &'static Sender<Garbage> {
    static QUEUE: OnceLock<Sender<Garbage>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (queue, jobs) = crossbeam_channel::unbounded::<Garbage>();
        std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                FREEING.with(|f| f.set(true));
                for garbage in jobs {
                    let (objects, bytes) = match garbage {
                        Garbage::Collection(value, bytes) => {
                            drop(value);
                            (1, bytes)
                        }
                        Garbage::Tables(tables, keys) => {
                            drop(tables);
                            (keys, 0)
                        }
                    };
                    PENDING_BYTES.fetch_sub(bytes, Ordering::Relaxed);
                    PENDING_OBJECTS.fetch_sub(objects, Ordering::Relaxed);
                    FREED_OBJECTS.fetch_add(objects, Ordering::Relaxed);
                }
            })
            .expect("the lazyfree thread starts");
        queue
    })
}

/// Queues `garbage` (counted as `objects` pending and `bytes`), or frees it here if
/// the thread is gone (only at process exit).
fn defer(garbage: Garbage, objects: u64, bytes: u64) {
    PENDING_BYTES.fetch_add(bytes, Ordering::Relaxed);
    PENDING_OBJECTS.fetch_add(objects, Ordering::Relaxed);
    if let Err(unsent) = queue().send(garbage) {
        PENDING_BYTES.fetch_sub(bytes, Ordering::Relaxed);
        PENDING_OBJECTS.fetch_sub(objects, Ordering::Relaxed);
        free_here(|| drop(unsent));
    }
}

/// Whether what is dropped now is freed on the spot.
fn freeing_here() -> bool {
    cfg!(ferrum_loom) || FREEING.with(|f| f.get())
}

/// Runs `free` with everything it drops freed on this thread (a synchronous flush:
/// the caller waits for the memory, as Redis's `FLUSHALL SYNC` does).
pub(super) fn free_here<R>(free: impl FnOnce() -> R) -> R {
    let before = FREEING.with(|f| f.replace(true));
    let result = free();
    FREEING.with(|f| f.set(before));
    result
}

/// Lets go of an entry's collection: freed in the background if this was its last
/// owner and it is big, at once otherwise.
pub(super) fn release(value: Arc<dyn Collection>) {
    if freeing_here() || Arc::strong_count(&value) > 1 || value.free_effort() <= THRESHOLD {
        return;
    }
    let bytes = value.heap_bytes() as u64;
    defer(Garbage::Collection(value, bytes), 1, bytes);
}

/// Frees the tables of flushed databases (holding `keys` keys), after their locks
/// are released: in the background when `lazy` (`FLUSHALL ASYNC`; counted as
/// pending objects until freed), else here, before the flush replies.
pub(super) fn free_tables(tables: Vec<Table>, keys: u64, lazy: bool) {
    if lazy && !freeing_here() {
        defer(Garbage::Tables(tables, keys), keys, 0);
    } else {
        free_here(|| drop(tables));
    }
}

/// Objects handed to the background thread and not freed yet
/// (`lazyfree_pending_objects`).
pub fn pending_objects() -> u64 {
    PENDING_OBJECTS.load(Ordering::Relaxed)
}

/// Heap bytes waiting to be freed: memory the evictor must not evict for.
pub fn pending_bytes() -> u64 {
    PENDING_BYTES.load(Ordering::Relaxed)
}

/// Objects the background thread has freed since start (`lazyfreed_objects`).
pub fn freed_objects() -> u64 {
    FREED_OBJECTS.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::engine::value::{Kind, Typed};
    use crate::engine::Entry;

    /// A collection that says which thread freed it.
    #[derive(Clone, Debug, Default)]
    struct Traced {
        elements: usize,
        freed_on: Arc<Mutex<Option<String>>>,
    }

    impl Drop for Traced {
        fn drop(&mut self) {
            let name = std::thread::current().name().unwrap_or("?").to_string();
            *self.freed_on.lock().unwrap() = Some(name);
        }
    }

    impl Collection for Traced {
        fn kind(&self) -> Kind {
            Kind::Set
        }
        fn len(&self) -> usize {
            self.elements
        }
        fn encoding(&self) -> &'static str {
            "hashtable"
        }
        fn heap_bytes(&self) -> usize {
            self.elements * 8
        }
        fn clone_collection(&self) -> Arc<dyn Collection> {
            Arc::new(self.clone())
        }
        fn rewrite(&self, _: &[u8], _: &mut dyn FnMut(&[&[u8]])) {}
    }

    impl Typed for Traced {
        const KIND: Kind = Kind::Set;
    }

    /// An entry holding a traced collection of `elements`, and where it says it was freed.
    fn traced(elements: usize) -> (Entry, Arc<Mutex<Option<String>>>) {
        let freed_on = Arc::new(Mutex::new(None));
        let value = Traced { elements, freed_on: freed_on.clone() };
        (Entry::new_collection(b"k", Arc::new(value), None), freed_on)
    }

    /// Waits (boundedly) for the collection to be freed, returning the thread's name.
    fn freed_by(freed_on: &Mutex<Option<String>>) -> Option<String> {
        for _ in 0..500 {
            if let Some(name) = freed_on.lock().unwrap().clone() {
                return Some(name);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        None
    }

    #[test]
    fn a_big_collection_is_freed_by_the_lazyfree_thread() {
        let freed_before = freed_objects();
        let (entry, freed_on) = traced(THRESHOLD + 1);
        drop(entry);
        assert_eq!(freed_by(&freed_on).as_deref(), Some("lazyfree"));
        assert!(freed_objects() > freed_before);
    }

    #[test]
    fn a_small_or_shared_collection_is_freed_where_it_is_dropped() {
        let here = std::thread::current().name().map(str::to_string);
        let (entry, freed_on) = traced(THRESHOLD);
        drop(entry);
        assert_eq!(*freed_on.lock().unwrap(), here, "at the threshold: freed at once");

        // Shared (a `COPY`, a rewrite's snapshot): dropping one owner frees nothing.
        let (entry, freed_on) = traced(10 * THRESHOLD);
        let copy = entry.clone();
        drop(entry);
        assert_eq!(*freed_on.lock().unwrap(), None);
        free_here(|| drop(copy));
        assert_eq!(*freed_on.lock().unwrap(), here, "freed on the spot inside free_here");
    }
}
