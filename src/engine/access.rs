//! Per-entry access metadata for the cache policies, packed in one atomic word so a
//! read (under a shared shard lock) can record itself:
//!
//! | bits | field |
//! |---|---|
//! | 0–31 | last access, Unix milliseconds modulo 2³² (the LRU clock) |
//! | 32–39 | LFU counter: logarithmic, starts at 5, as in Redis |
//! | 40–55 | when the LFU counter last decayed, Unix minutes modulo 2¹⁶ |
//! | 56–63 | write generation: changes on every write, so eviction can tell that a key it sampled has been rewritten since |

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// The LFU tunables of one server (`lfu-log-factor`, `lfu-decay-time`), passed to
/// every function that reads or grows a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LfuTuning {
    /// `lfu-log-factor`: how slowly the counter grows.
    pub log_factor: u32,
    /// `lfu-decay-time`: minutes per decrement of an idle key's counter (0: never).
    pub decay_minutes: u32,
}

impl Default for LfuTuning {
    /// Redis's defaults: factor 10, one minute per decrement.
    fn default() -> Self {
        LfuTuning { log_factor: 10, decay_minutes: 1 }
    }
}

/// A new key's LFU counter, so it is not evicted before it had a chance.
pub const LFU_INIT: u8 = 5;

fn time_bits(now_ms: u64) -> u64 {
    now_ms & 0xFFFF_FFFF
}

fn minutes(now_ms: u64) -> u64 {
    (now_ms / 60_000) & 0xFFFF
}

/// The last access time (ms, modulo 2³²).
pub fn last_access(meta: u64) -> u32 {
    meta as u32
}

/// Milliseconds since the last access.
pub fn idle_ms(meta: u64, now_ms: u64) -> u64 {
    (time_bits(now_ms) as u32).wrapping_sub(last_access(meta)) as u64
}

fn counter(meta: u64) -> u8 {
    (meta >> 32) as u8
}

fn decayed_at(meta: u64) -> u64 {
    (meta >> 40) & 0xFFFF
}

fn generation(meta: u64) -> u8 {
    (meta >> 56) as u8
}

fn pack(access_ms: u64, counter: u8, decayed_min: u64, generation: u8) -> u64 {
    time_bits(access_ms) | (counter as u64) << 32 | (decayed_min & 0xFFFF) << 40 | (generation as u64) << 56
}

/// The LFU counter after decay for the minutes it has been idle (Redis's
/// `LFUDecrAndReturn`).
#[inline]
pub fn frequency(meta: u64, now_ms: u64, lfu: LfuTuning) -> u8 {
    let decay = lfu.decay_minutes as u64;
    let elapsed = (minutes(now_ms) + 0x10000 - decayed_at(meta)) & 0xFFFF;
    let periods = elapsed.checked_div(decay).unwrap_or(0);
    counter(meta).saturating_sub(periods.min(255) as u8)
}

/// Redis's `LFULogIncr`: the counter grows with probability 1/((c−5)·factor+1).
fn log_increment(counter: u8, lfu: LfuTuning) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT) as f64;
    let factor = lfu.log_factor as f64;
    let p = 1.0 / (base * factor + 1.0);
    if random_unit() < p {
        counter + 1
    } else {
        counter
    }
}

/// The metadata of a value just written; `previous` is the replaced value's, whose
/// frequency carries over (as Redis keeps it on overwrite).
#[inline]
pub fn fresh(previous: Option<u64>, now_ms: u64, lfu: LfuTuning) -> u64 {
    match previous {
        Some(old) => {
            let count = log_increment(frequency(old, now_ms, lfu), lfu);
            pack(now_ms, count, minutes(now_ms), generation(old).wrapping_add(1))
        }
        None => pack(now_ms, LFU_INIT, minutes(now_ms), 0),
    }
}

/// Records an access: the LRU clock, and one logarithmic LFU increment.
#[inline]
pub fn touch(meta: &AtomicU64, now_ms: u64, lfu: LfuTuning) {
    let old = meta.load(Ordering::Relaxed);
    let count = log_increment(frequency(old, now_ms, lfu), lfu);
    meta.store(pack(now_ms, count, minutes(now_ms), generation(old)), Ordering::Relaxed);
}

thread_local! {
    /// False while a `CLIENT NO-TOUCH` client's command runs on this thread.
    static TOUCHING: Cell<bool> = const { Cell::new(true) };
}

/// Whether reads on this thread count as accesses (false inside [`untouched`]).
#[inline]
pub fn touching() -> bool {
    TOUCHING.with(Cell::get)
}

/// Runs `body` with reads not counting as accesses (a `CLIENT NO-TOUCH` client's
/// command): keys' LRU clock and LFU counter stay as they were.
pub fn untouched<R>(body: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            TOUCHING.with(|t| t.set(self.0));
        }
    }
    let _restore = Restore(TOUCHING.with(|t| t.replace(false)));
    body()
}

/// A uniform number in [0, 1) from a per-thread xorshift generator.
pub fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A per-thread xorshift64* random number (not for secrets).
pub fn random_u64() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = const { Cell::new(0) };
    }
    STATE.with(|state| {
        let mut x = state.get();
        if x == 0 {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            let nanos = now.map_or(0, |d| d.as_nanos() as u64);
            let seed = &x as *const u64 as u64 ^ nanos.rotate_left(17);
            x = seed | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_start_at_lfu_init_and_grow_logarithmically() {
        let lfu = LfuTuning::default();
        let meta = AtomicU64::new(fresh(None, 1_000, lfu));
        assert_eq!(frequency(meta.load(Ordering::Relaxed), 1_000, lfu), LFU_INIT);
        for _ in 0..100_000 {
            touch(&meta, 1_000, lfu);
        }
        let count = frequency(meta.load(Ordering::Relaxed), 1_000, lfu);
        // Redis documents about 142 after 100K hits with lfu-log-factor 10.
        assert!((120..=170).contains(&count), "after 100k hits the counter is {count}");
    }

    #[test]
    fn idle_keys_decay_and_age() {
        let meta = pack(0, 20, 0, 0);
        assert_eq!(frequency(meta, 5 * 60_000, LfuTuning::default()), 15);
        let slow = LfuTuning { decay_minutes: 5, ..LfuTuning::default() };
        assert_eq!(frequency(meta, 5 * 60_000, slow), 19, "per-server tunables, not statics");
        assert_eq!(idle_ms(meta, 1_234), 1_234);
    }

    #[test]
    fn rewrites_change_the_generation() {
        let lfu = LfuTuning::default();
        let first = fresh(None, 10, lfu);
        let second = fresh(Some(first), 10, lfu);
        assert_ne!(first, second);
        assert!(frequency(second, 10, lfu) >= LFU_INIT);
    }
}
