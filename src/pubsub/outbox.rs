//! A client's outbound queue of pushed frames: Pub/Sub messages, `MONITOR` lines,
//! client-tracking invalidations. Other clients append already encoded frames
//! (`Bytes`, shared between every receiver of one message); the owning connection
//! drains them into its socket from its select loop when woken.
//!
//! The queue is bounded as Redis bounds an output buffer: a push that takes the
//! queued bytes past the hard limit, or keeps them over the soft limit for longer
//! than the soft seconds, marks the queue overflowed, drops what it holds and asks
//! the connection to close (`ClientInfo::killed`). A pusher never waits on the
//! receiver: pushing is a short critical section on the receiver's own lock.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::sync::lock;

/// An output-buffer limit: hard bytes (0: none), soft bytes (0: none) and the
/// seconds a client may stay over the soft limit, as `client-output-buffer-limit`
/// gives them for a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OutputLimit {
    /// Over this many queued bytes the client is dropped at once (0: no limit).
    pub hard: usize,
    /// Over this many for `soft_seconds` the client is dropped (0: no limit).
    pub soft: usize,
    /// How long a client may stay over `soft`.
    pub soft_seconds: u64,
}

impl OutputLimit {
    /// The limit of `client-output-buffer-limit`'s triple (hard, soft, seconds).
    pub fn from_triple((hard, soft, seconds): (u64, u64, u64)) -> Self {
        OutputLimit { hard: hard as usize, soft: soft as usize, soft_seconds: seconds }
    }
}

/// The most a queue holds whatever the configured limits say (a client whose class
/// has no limit would otherwise grow without bound).
pub const QUEUE_CEILING: usize = 512 << 20;

/// A client's queue of pushed frames (see the module docs).
#[derive(Debug, Default)]
pub struct Outbox {
    inner: Mutex<Queue>,
    /// Bytes queued and not yet taken by the connection (`omem`).
    queued: AtomicUsize,
    /// Set when a push passed a limit: the connection closes.
    overflowed: AtomicBool,
    wake: tokio::sync::Notify,
    /// A pusher's thread holds this outbox on its list of wake-ups to send when
    /// its batch of commands ends.
    wake_owed: AtomicBool,
}

#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    /// Since when the queue has been over the soft limit.
    over_soft_since: Option<Instant>,
}

/// What a push did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// The frame is queued.
    Queued,
    /// The frame took the queue over a limit (now, or for too long): the queue is
    /// emptied and the client is to be closed. Reported once.
    Overflowed,
    /// The queue had overflowed before; the frame was dropped.
    Dropped,
}

impl Outbox {
    /// Appends `frame`, checking `limit`; wakes the connection.
    pub fn push(&self, frame: Bytes, limit: OutputLimit) -> Pushed {
        let (pushed, wake) = self.push_unwoken(frame, limit);
        if wake {
            self.wake();
        }
        pushed
    }

    /// [`Outbox::push`] without the wake-up, which the caller owes when the second
    /// value is true (the frame is the first of a batch): see
    /// `crate::pubsub::coalesce_wakes`.
    pub fn push_unwoken(&self, frame: Bytes, limit: OutputLimit) -> (Pushed, bool) {
        if self.overflowed.load(Ordering::Relaxed) {
            return (Pushed::Dropped, false);
        }
        let mut queue = lock(&self.inner);
        let total = self.queued.load(Ordering::Relaxed) + frame.len();
        let hard = if limit.hard == 0 { QUEUE_CEILING } else { limit.hard.min(QUEUE_CEILING) };
        let mut over = total > hard;
        if !over && limit.soft > 0 && total > limit.soft {
            let since = *queue.over_soft_since.get_or_insert_with(Instant::now);
            over = since.elapsed() >= Duration::from_secs(limit.soft_seconds);
        } else if total <= limit.soft {
            queue.over_soft_since = None;
        }
        if over {
            self.overflowed.store(true, Ordering::Relaxed);
            queue.frames.clear();
            self.queued.store(0, Ordering::Relaxed);
            drop(queue);
            return (Pushed::Overflowed, true);
        }
        let was_empty = queue.frames.is_empty();
        queue.frames.push_back(frame);
        self.queued.store(total, Ordering::Relaxed);
        drop(queue);
        // Only the first frame of a batch wakes the connection: it drains until the
        // queue is empty before it waits again, so a later frame is never missed.
        (Pushed::Queued, was_empty)
    }

    /// Wakes the owning connection (a permit is kept if it is not waiting).
    pub fn wake(&self) {
        self.wake_owed.store(false, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Marks a wake-up as owed; true if none was owed before (the caller then
    /// remembers to [`Outbox::wake`] it).
    pub fn owe_wake(&self) -> bool {
        !self.wake_owed.swap(true, Ordering::Relaxed)
    }

    /// Takes queued frames, at least one and then up to about `max` bytes, into
    /// `out`; returns how many bytes it took.
    pub fn take_into(&self, out: &mut Vec<u8>, max: usize) -> usize {
        if self.queued.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let mut queue = lock(&self.inner);
        let mut taken = 0;
        while let Some(frame) = queue.frames.front() {
            if taken > 0 && taken + frame.len() > max {
                break;
            }
            taken += frame.len();
            out.extend_from_slice(frame);
            queue.frames.pop_front();
        }
        let left = self.queued.load(Ordering::Relaxed) - taken;
        self.queued.store(left, Ordering::Relaxed);
        if left == 0 {
            queue.over_soft_since = None;
        }
        taken
    }

    /// How many bytes are queued (`omem`).
    #[inline]
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Whether a push passed the limits: the connection must close.
    #[inline]
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Resolves when something was pushed since the last wake-up.
    pub async fn ready(&self) {
        self.wake.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: OutputLimit = OutputLimit { hard: 0, soft: 0, soft_seconds: 0 };

    #[test]
    fn frames_come_out_in_order_and_are_counted() {
        let outbox = Outbox::default();
        assert_eq!(outbox.push(Bytes::from_static(b"ab"), NONE), Pushed::Queued);
        assert_eq!(outbox.push(Bytes::from_static(b"cde"), NONE), Pushed::Queued);
        assert_eq!(outbox.queued(), 5);
        let mut out = Vec::new();
        assert_eq!(outbox.take_into(&mut out, 2), 2, "stops at the byte budget");
        assert_eq!(outbox.take_into(&mut out, 1), 3, "but always takes one frame");
        assert_eq!(out, b"abcde");
        assert_eq!(outbox.queued(), 0);
        assert_eq!(outbox.take_into(&mut out, 10), 0);
    }

    #[test]
    fn the_hard_limit_drops_the_queue_once() {
        let outbox = Outbox::default();
        let limit = OutputLimit { hard: 10, soft: 0, soft_seconds: 0 };
        assert_eq!(outbox.push(Bytes::from(vec![0; 6]), limit), Pushed::Queued);
        assert_eq!(outbox.push(Bytes::from(vec![0; 6]), limit), Pushed::Overflowed);
        assert!(outbox.overflowed());
        assert_eq!(outbox.queued(), 0, "the queued frames are freed");
        assert_eq!(outbox.push(Bytes::from(vec![0; 1]), limit), Pushed::Dropped);
    }

    #[test]
    fn the_soft_limit_allows_its_seconds() {
        let outbox = Outbox::default();
        let patient = OutputLimit { hard: 0, soft: 4, soft_seconds: 3600 };
        for _ in 0..10 {
            assert_eq!(outbox.push(Bytes::from(vec![0; 3]), patient), Pushed::Queued);
        }
        let impatient = OutputLimit { hard: 0, soft: 4, soft_seconds: 0 };
        assert_eq!(outbox.push(Bytes::from(vec![0; 3]), impatient), Pushed::Overflowed);
    }
}
