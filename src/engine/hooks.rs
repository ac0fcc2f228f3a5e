//! What every database reports to: the registered [`ChangeHook`]s (the AOF, `WATCH`,
//! and later notifications, tracking and wake-ups) and the evictor.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::change::{Change, ChangeHook};
use super::evict::Evictor;

/// How many hooks can be registered (the AOF, `WATCH`, and the rooms to come:
/// notifications, tracking, blocking, with room to spare).
const MAX_HOOKS: usize = 16;

/// The registered change hooks, shared by all sixteen databases.
///
/// Append-only: a hook stays registered for the engine's life (one that can be
/// switched off, like the AOF, decides inside itself). So handing a change to the
/// hooks costs one atomic load for the count and one per hook, and no shared
/// counter is touched on the write path.
pub struct ChangeHooks {
    hooks: [OnceLock<Arc<dyn ChangeHook>>; MAX_HOOKS],
    len: AtomicUsize,
    adding: Mutex<()>,
}

impl Default for ChangeHooks {
    fn default() -> Self {
        ChangeHooks {
            hooks: std::array::from_fn(|_| OnceLock::new()),
            len: AtomicUsize::new(0),
            adding: Mutex::new(()),
        }
    }
}

thread_local! {
    /// How deep this thread is in change groups (see [`ChangeHooks::group`]).
    static GROUP_DEPTH: Cell<u32> = const { Cell::new(0) };
}

impl ChangeHooks {
    /// Adds a hook; it sees every change applied from now on.
    ///
    /// # Panics
    /// With more than 16 hooks (a fixed number of rooms registers them).
    pub fn add(&self, hook: Arc<dyn ChangeHook>) {
        let _serialised = crate::sync::lock(&self.adding);
        let at = self.len.load(Ordering::Acquire);
        assert!(at < MAX_HOOKS, "more than {MAX_HOOKS} change hooks");
        let _ = self.hooks[at].set(hook);
        self.len.store(at + 1, Ordering::Release);
    }

    /// The registered hooks, in registration order.
    #[inline]
    fn iter(&self) -> impl Iterator<Item = &Arc<dyn ChangeHook>> {
        self.hooks[..self.len.load(Ordering::Acquire)].iter().filter_map(OnceLock::get)
    }

    /// Hands `change` to every hook, in registration order.
    #[inline]
    pub fn emit(&self, change: &Change<'_>) {
        for hook in self.iter() {
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
                    for hook in self.0.iter() {
                        hook.end_group();
                    }
                }
            }
        }
        if outermost {
            for hook in self.iter() {
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
    /// Unix ms up to which expired keys stay in place (`CLIENT PAUSE`): reads
    /// still see them as absent, but lazy expiry leaves them for after the pause.
    pub expiry_held_until: Arc<std::sync::atomic::AtomicU64>,
}

impl Hooks {
    /// Whether expiry is held at Unix ms `now_ms`.
    #[inline]
    pub fn expiry_held(&self, now_ms: u64) -> bool {
        now_ms <= self.expiry_held_until.load(Ordering::Relaxed)
    }
}
