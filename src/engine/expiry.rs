//! Active expiry: Redis's adaptive cycle (`expire.c`), over shards instead of the
//! `expires` dictionary.
//!
//! Each cycle visits every database that has keys with a TTL. In each it sweeps
//! shards that hold such keys (each database keeps a count per shard, so shards and
//! databases without any are skipped at no cost), starting where the last cycle
//! stopped. Once it has looked at [`KEYS_PER_LOOP`] keys with a TTL it moves on,
//! unless more than [`ACCEPTABLE_STALE`] percent of them had expired: then, as in
//! Redis, the database is likely full of expired keys and it keeps sweeping (until
//! every shard of the database was swept once this cycle). The whole cycle stops when
//! its time budget is spent (Redis: 25 % of each `1000/hz` ms); the cursors keep
//! the place, so the next cycle goes on from there.

use std::time::{Duration, Instant};

use super::{KvEngine, DATABASES};

/// Keys with a TTL looked at per database before the cycle may move on, at effort
/// 1 (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const KEYS_PER_LOOP: usize = 20;

/// The share of expired keys, in percent, above which a database is swept further,
/// at effort 1 (`ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`).
pub const ACCEPTABLE_STALE: usize = 10;

/// `active-expire-effort` (1–10), as Redis scales its cycle by it: each step looks
/// at a quarter more keys per loop and tolerates one percent less staleness (and
/// the caller grants two percent more time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effort(pub u32);

impl Default for Effort {
    fn default() -> Self {
        Effort(1)
    }
}

impl Effort {
    fn step(self) -> usize {
        self.0.clamp(1, 10) as usize - 1
    }

    /// Keys with a TTL looked at per database before moving on.
    pub fn keys_per_loop(self) -> usize {
        KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * self.step()
    }

    /// The percentage of expired keys above which a database is swept further.
    pub fn acceptable_stale(self) -> usize {
        ACCEPTABLE_STALE - self.step()
    }

    /// The share of each period, in percent, the cycle may take.
    pub fn time_percent(self) -> u32 {
        25 + 2 * self.step() as u32
    }
}

/// Where active expiry goes on in each database (one shard cursor per database).
#[derive(Clone, Debug, Default)]
pub struct ExpiryCursor {
    shards: [usize; DATABASES],
}

/// What one cycle did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Keys with a TTL the cycle looked at.
    pub sampled: usize,
    /// Keys it removed.
    pub expired: usize,
    /// Whether the time budget ran out before every database was done.
    pub out_of_time: bool,
}

impl KvEngine {
    /// Runs one cycle of active expiry at `now_ms` within `budget` (see the module
    /// documentation); removed keys are logged as `DEL` and notified as `expired`.
    pub fn active_expire_cycle(
        &self,
        cursor: &mut ExpiryCursor,
        now_ms: u64,
        budget: Duration,
    ) -> CycleReport {
        self.active_expire_cycle_with(cursor, now_ms, budget, Effort::default())
    }

    /// [`KvEngine::active_expire_cycle`] at `active-expire-effort` `effort`.
    pub fn active_expire_cycle_with(
        &self,
        cursor: &mut ExpiryCursor,
        now_ms: u64,
        budget: Duration,
        effort: Effort,
    ) -> CycleReport {
        let (keys_per_loop, stale) = (effort.keys_per_loop(), effort.acceptable_stale());
        let started = Instant::now();
        let mut report = CycleReport::default();
        for (index, shard_cursor) in cursor.shards.iter_mut().enumerate() {
            let db = self.db(index);
            if db.expires_count() == 0 {
                continue;
            }
            let shards = db.shard_count();
            let (mut sampled, mut expired, mut ttl_sum, mut ttl_samples) = (0, 0, 0u64, 0u64);
            for _ in 0..shards {
                if started.elapsed() >= budget {
                    report.out_of_time = true;
                    break;
                }
                let shard = *shard_cursor % shards;
                *shard_cursor = (shard + 1) % shards;
                let with_ttl = db.ttl_keys_in(shard);
                if with_ttl == 0 {
                    continue;
                }
                let sweep = db.expire_shard(shard, now_ms);
                sampled += with_ttl;
                expired += sweep.removed;
                ttl_sum = ttl_sum.saturating_add(sweep.ttl_sum);
                ttl_samples += sweep.ttl_samples;
                if sampled >= keys_per_loop && expired * 100 <= sampled * stale {
                    break;
                }
            }
            db.fold_avg_ttl(ttl_sum, ttl_samples);
            report.sampled += sampled;
            report.expired += expired;
            if report.out_of_time {
                return report;
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_keys_in_a_far_database_expire_in_one_cycle() {
        // unit/expire "Redis should actively expire keys incrementally": three keys
        // in database 9, spread over shards, all go in one cycle.
        let engine = KvEngine::new();
        let db = engine.db(9);
        for key in [&b"key1"[..], b"key2", b"key3"] {
            db.write(key, 0, |slot| slot.set(b"v", Some(500)));
        }
        assert_eq!(db.expires_count(), 3);
        let report = engine.active_expire_cycle(&mut ExpiryCursor::default(), 600, Duration::from_secs(5));
        assert_eq!((report.expired, db.len(), db.expires_count()), (3, 0, 0));
    }

    #[test]
    fn live_keys_stay_and_the_cycle_moves_on_when_few_expired() {
        let engine = KvEngine::new();
        let db = engine.db(0);
        for i in 0..1000u32 {
            let at = if i % 2 == 0 { 100 } else { 10_000 };
            db.write(&i.to_be_bytes(), 0, |slot| slot.set(b"v", Some(at)));
        }
        for i in 0..1000u32 {
            db.write(&(i + 1_000_000).to_be_bytes(), 0, |slot| slot.set(b"v", None));
        }
        let mut cursor = ExpiryCursor::default();
        let mut removed = 0;
        // Half are stale, so one cycle sweeps the whole database.
        removed += engine.active_expire_cycle(&mut cursor, 5_000, Duration::from_secs(5)).expired;
        assert_eq!(removed, 500);
        assert_eq!((db.len(), db.expires_count(), engine.expired_keys()), (1500, 500, 500));
        // Nothing is stale now: a cycle looks at a few shards and stops.
        let report = engine.active_expire_cycle(&mut cursor, 5_000, Duration::from_secs(5));
        assert_eq!(report.expired, 0);
        assert!(report.sampled >= KEYS_PER_LOOP && report.sampled < 500, "{report:?}");
    }

    #[test]
    fn the_average_ttl_is_estimated_from_one_cycle_s_sample() {
        let engine = KvEngine::new();
        let db = engine.db(0);
        db.write(b"a", 0, |slot| slot.set(b"v", Some(100_000)));
        db.write(b"b", 0, |slot| slot.set(b"v", Some(200_000)));
        assert_eq!(db.avg_ttl(), 0, "nothing sampled yet");
        engine.active_expire_cycle(&mut ExpiryCursor::default(), 0, Duration::from_secs(5));
        // Redis's 98/2 running average, starting from the first sample (150 000).
        assert_eq!(db.avg_ttl(), 150_000 / 50 * 49 + 150_000 / 50);
    }

    #[test]
    fn effort_scales_the_cycle_as_redis_does() {
        assert_eq!(
            (Effort(1).keys_per_loop(), Effort(1).acceptable_stale(), Effort(1).time_percent()),
            (20, 10, 25)
        );
        assert_eq!(
            (Effort(10).keys_per_loop(), Effort(10).acceptable_stale(), Effort(10).time_percent()),
            (65, 1, 43)
        );
        assert_eq!(Effort(0).keys_per_loop(), 20, "clamped to 1..10");
    }

    #[test]
    fn a_database_without_ttls_costs_nothing() {
        let engine = KvEngine::new();
        for i in 0..100u32 {
            engine.db(3).write(&i.to_be_bytes(), 0, |slot| slot.set(b"v", None));
        }
        let report = engine.active_expire_cycle(&mut ExpiryCursor::default(), 5_000, Duration::from_secs(5));
        assert_eq!(report, CycleReport::default());
    }

    #[test]
    fn an_exhausted_budget_stops_the_cycle_and_the_cursor_keeps_the_place() {
        let engine = KvEngine::new();
        for i in 0..100u32 {
            engine.db(1).write(&i.to_be_bytes(), 0, |slot| slot.set(b"v", Some(1)));
        }
        let mut cursor = ExpiryCursor::default();
        let report = engine.active_expire_cycle(&mut cursor, 5_000, Duration::ZERO);
        assert!(report.out_of_time);
        assert_eq!(engine.db(1).len(), 100);
        let report = engine.active_expire_cycle(&mut cursor, 5_000, Duration::from_secs(5));
        assert_eq!((report.expired, engine.db(1).len()), (100, 0));
    }
}
