//! `CLIENT PAUSE` / `CLIENT UNPAUSE`: the server-wide pause, as Redis 7.0's
//! `pauseClients` keeps it.
//!
//! A pause has a kind (`WRITE`: commands that write or may replicate — `PFCOUNT`,
//! `PUBLISH`, `EVAL` … — and an `EXEC` whose queue holds one; `ALL`: every command)
//! and a deadline. While it lasts, the dispatcher does not run such a command: the
//! connection keeps it and waits (without spinning) until the pause ends — at its
//! deadline or on `CLIENT UNPAUSE` — and then runs it. Active expiry, lazy expiry on
//! reads and eviction stop for the pause too, so the dataset stays still.
//!
//! A second `CLIENT PAUSE` keeps the more restrictive kind and the later deadline
//! (one pause purpose: the client command). The hot path reads one relaxed atomic
//! when nothing is paused.

use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::Mutex;

use crate::sync::lock;

/// What a pause holds back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    /// Writes and commands that may replicate.
    Write = 1,
    /// Every command.
    All = 2,
}

/// The server's client pause.
#[derive(Debug)]
pub struct ClientPause {
    /// 0 (none), or a [`PauseKind`] as its number.
    kind: AtomicU8,
    /// Unix ms after which the pause is over (it holds while `now <= end`).
    end_ms: AtomicI64,
    /// Serialises pause and unpause (the two atomics change together).
    changing: Mutex<()>,
    /// Told whenever the pause changes, so held clients look again.
    changed: tokio::sync::watch::Sender<u64>,
}

impl Default for ClientPause {
    fn default() -> Self {
        ClientPause {
            kind: AtomicU8::new(0),
            end_ms: AtomicI64::new(0),
            changing: Mutex::new(()),
            changed: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl ClientPause {
    /// Pauses `kind` commands until Unix ms `end_ms`, or extends the current pause
    /// (the more restrictive kind, the later end).
    pub fn pause(&self, kind: PauseKind, end_ms: i64, now_ms: i64) {
        let _changing = lock(&self.changing);
        let (kind, end_ms) = match self.current(now_ms) {
            Some((old_kind, old_end)) => (kind.max(old_kind), end_ms.max(old_end)),
            None => (kind, end_ms),
        };
        self.end_ms.store(end_ms, Ordering::Relaxed);
        self.kind.store(kind as u8, Ordering::Release);
        self.changed.send_modify(|generation| *generation += 1);
    }

    /// Ends the pause (`CLIENT UNPAUSE`); the held clients run their commands.
    pub fn unpause(&self) {
        let _changing = lock(&self.changing);
        self.kind.store(0, Ordering::Release);
        self.end_ms.store(0, Ordering::Relaxed);
        self.changed.send_modify(|generation| *generation += 1);
    }

    /// The pause in force at Unix ms `now_ms`: its kind and end.
    #[inline]
    pub fn current(&self, now_ms: i64) -> Option<(PauseKind, i64)> {
        let kind = match self.kind.load(Ordering::Acquire) {
            0 => return None,
            1 => PauseKind::Write,
            _ => PauseKind::All,
        };
        let end = self.end_ms.load(Ordering::Relaxed);
        (now_ms <= end).then_some((kind, end))
    }

    /// Whether a pause is in force (expiry and eviction stop while one is).
    #[inline]
    pub fn is_paused(&self, now_ms: i64) -> bool {
        self.current(now_ms).is_some()
    }

    /// Whether a command that writes or may replicate (`writes`) is held now.
    #[inline]
    pub fn holds(&self, writes: bool, now_ms: i64) -> bool {
        match self.current(now_ms) {
            None => false,
            Some((PauseKind::All, _)) => true,
            Some((PauseKind::Write, _)) => writes,
        }
    }

    /// A receiver that sees every change of the pause.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_holds_until_its_end_and_write_lets_reads_through() {
        let pause = ClientPause::default();
        assert!(!pause.holds(true, 0));
        pause.pause(PauseKind::Write, 100, 0);
        assert!(pause.holds(true, 50) && !pause.holds(false, 50));
        assert!(pause.holds(true, 100), "the end millisecond still holds");
        assert!(!pause.holds(true, 101) && !pause.is_paused(101));
    }

    #[test]
    fn a_second_pause_keeps_the_stricter_kind_and_the_later_end() {
        let pause = ClientPause::default();
        pause.pause(PauseKind::All, 100, 0);
        pause.pause(PauseKind::Write, 50, 0);
        assert_eq!(pause.current(10), Some((PauseKind::All, 100)));
        pause.pause(PauseKind::Write, 200, 0);
        assert_eq!(pause.current(10), Some((PauseKind::All, 200)));
        // After the first pause ended, a new one starts fresh.
        pause.pause(PauseKind::Write, 300, 250);
        assert_eq!(pause.current(260), Some((PauseKind::Write, 300)));
    }

    #[test]
    fn unpause_ends_it_and_tells_the_watchers() {
        let pause = ClientPause::default();
        let mut watch = pause.watch();
        pause.pause(PauseKind::All, i64::MAX, 0);
        assert!(watch.has_changed().unwrap());
        watch.mark_unchanged();
        pause.unpause();
        assert!(watch.has_changed().unwrap());
        assert!(!pause.is_paused(0));
    }
}
