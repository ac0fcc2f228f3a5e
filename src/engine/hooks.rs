//! What every database reports to: the registered [`ChangeHook`]s (the AOF, `WATCH`,
//! and later notifications, tracking and wake-ups) and the evictor.

use std::cell::Cell;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::change::{Change, ChangeHook};
use super::evict::Evictor;

/// The registered change hooks, shared by all sixteen databases.
pub struct ChangeHooks {
    hooks: ArcSwap<Vec<Arc<dyn ChangeHook>>>,
}

impl Default for ChangeHooks {
    fn default() -> Self {
        ChangeHooks { hooks: ArcSwap::from_pointee(Vec::new()) }
    }
}

thread_local! {
    /// How deep this thread is in change groups (see [`ChangeHooks::group`]).
    static GROUP_DEPTH: Cell<u32> = const { Cell::new(0) };
}

impl ChangeHooks {
    /// Adds a hook; it sees every change applied from now on.
    pub fn add(&self, hook: Arc<dyn ChangeHook>) {
        self.hooks.rcu(|hooks| {
            let mut next = Vec::clone(hooks);
            next.push(hook.clone());
            next
        });
    }

    /// Removes a hook added before (compared by address).
    pub fn remove(&self, hook: &Arc<dyn ChangeHook>) {
        self.hooks.rcu(|hooks| hooks.iter().filter(|h| !Arc::ptr_eq(h, hook)).cloned().collect::<Vec<_>>());
    }

    /// Hands `change` to every hook, in registration order.
    #[inline]
    pub fn emit(&self, change: &Change<'_>) {
        for hook in self.hooks.load().iter() {
            hook.on_change(change);
        }
    }

    /// Runs `body` as one atomic group of changes (an `EXEC`, a script): hooks are
    /// told when the outermost group on this thread begins and ends, so the AOF can
    /// log everything in between as one `MULTI … EXEC`. The body runs start to
    /// finish on this thread, without awaiting.
    pub fn group<R>(&self, body: impl FnOnce() -> R) -> R {
        let outermost = GROUP_DEPTH.with(|depth| {
            depth.set(depth.get() + 1);
            depth.get() == 1
        });
        // Ends the group even if `body` unwinds, so the thread's depth stays right.
        struct End<'a>(&'a ChangeHooks, bool);
        impl Drop for End<'_> {
            fn drop(&mut self) {
                GROUP_DEPTH.with(|depth| depth.set(depth.get() - 1));
                if self.1 {
                    for hook in self.0.hooks.load().iter() {
                        hook.end_group();
                    }
                }
            }
        }
        if outermost {
            for hook in self.hooks.load().iter() {
                hook.begin_group();
            }
        }
        let _end = End(self, outermost);
        body()
    }
}

/// What every database reports to, shared by all sixteen.
#[derive(Clone, Default)]
pub struct Hooks {
    /// The change hooks.
    pub changes: Arc<ChangeHooks>,
    /// Eviction state (access statistics for AHE, the LFU tunables).
    pub evictor: Arc<Evictor>,
}
