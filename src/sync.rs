//! The concurrency facade: every primitive that concurrency-critical code uses comes
//! from here, so the loom model checks in `loom-tests/` exercise the project's own code.
//!
//! In normal builds the names are std's. Under `--cfg ferrum_loom` they are loom's
//! (with loom's `RwLock`, which the engine's shard map uses in its loom stand-in for
//! DashMap, whose own locks loom cannot see).

#[cfg(not(ferrum_loom))]
pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(ferrum_loom))]
pub use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Thread-local storage: loom's under the models, whose threads share one OS thread.
#[cfg(not(ferrum_loom))]
pub use std::thread_local;

#[cfg(ferrum_loom)]
pub use loom::thread_local;

#[cfg(ferrum_loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(ferrum_loom)]
pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks a std mutex (for state outside the loom models: names, status text),
/// recovering the data if a panicking thread poisoned it.
///
/// Every value we guard with a `Mutex` stays consistent between statements, so a
/// poisoned lock is safe to reuse; invariant 6 says a fault must never take the
/// server down.
pub fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
