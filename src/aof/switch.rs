//! [`AofSwitch`]: the AOF's place among the engine's change hooks, registered once
//! and switched on and off with persistence (at boot, `CONFIG SET appendonly`), so
//! the hook list never changes and a server without an AOF pays one relaxed load
//! per change for it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use super::Aof;
use crate::engine::{Change, ChangeHook};

/// The AOF currently logging changes, if any.
#[derive(Default)]
pub struct AofSwitch {
    on: AtomicBool,
    current: ArcSwapOption<Aof>,
}

impl AofSwitch {
    /// Starts handing changes to `aof` (replacing any other).
    pub fn turn_on(&self, aof: Arc<Aof>) {
        self.current.store(Some(aof));
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops handing changes on; returns the AOF that had them.
    pub fn turn_off(&self) -> Option<Arc<Aof>> {
        self.on.store(false, Ordering::SeqCst);
        self.current.swap(None)
    }

    /// Whether an AOF is on.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Runs `look` on the AOF, while one is on, without taking a reference to it
    /// (no shared count changes: this runs for every write).
    #[inline]
    pub fn with<R>(&self, look: impl FnOnce(&Aof) -> R) -> Option<R> {
        if !self.is_on() {
            return None;
        }
        self.current.load().as_deref().map(look)
    }

    /// The AOF, while one is on.
    #[inline]
    pub fn current(&self) -> Option<Arc<Aof>> {
        if !self.is_on() {
            return None;
        }
        self.current.load_full()
    }
}

impl ChangeHook for AofSwitch {
    #[inline]
    fn on_change(&self, change: &Change<'_>) {
        if change.effect.is_empty() || !self.is_on() {
            return;
        }
        if let Some(aof) = self.current.load().as_ref() {
            aof.on_change(change);
        }
    }

    fn begin_group(&self) {
        if let Some(aof) = self.current.load().as_ref() {
            aof.begin_group();
        }
    }

    fn end_group(&self) {
        if let Some(aof) = self.current.load().as_ref() {
            aof.end_group();
        }
    }
}
