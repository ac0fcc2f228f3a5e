//! Eviction at the memory cap: the ten `maxmemory-policy` values, Redis's sampled
//! eviction pool, and AHE, our adaptive hybrid policy.
//!
//! Sampled, as Redis's `evict.c`: each round samples `maxmemory-samples` keys from a
//! random shard of each database into a pool of the best 16 candidates, and evicts
//! the best one still unchanged. LRU scores by idle time, LFU by the decayed
//! logarithmic counter, `volatile-ttl` by the nearest expiry; the random policies
//! skip the pool; `volatile-*` consider only keys with a TTL.
//!
//! # AHE — adaptive hybrid eviction
//!
//! AHE scores each candidate by a blend of how long since it was used and how rarely
//! it is used, both ranked *within the candidate set* (so the blend does not collapse
//! into one signal when absolute scales differ):
//!
//! `score = alpha × recency_rank + (1 − alpha) × infrequency_rank (+ a nudge for a TTL about to end)`
//!
//! * Frequency outlives residency: besides the entry's own LFU counter, AHE keeps a
//!   count-min sketch of recent requests (4 × 65,536 counters, halved every 655,360
//!   requests, as TinyLFU does), so a key that comes back after eviction is known.
//! * New keys wait in a small probation queue (the last 256 inserted); each round
//!   looks at the two oldest. One that the sketch has seen only once (the miss that
//!   brought it in) is evicted at once, leaving no ghost: a one-hit wonder until it
//!   comes back, as S3-FIFO's small queue turns them away (a scan passes through
//!   without displacing anything). One requested again joins the candidates.
//! * `alpha` adapts online from ghost hits, as ARC adapts its split: the last 65,536
//!   evicted keys are remembered (as fingerprints) with the signal that condemned
//!   them — recency if the victim ranked higher on idleness than on infrequency,
//!   frequency otherwise (the victim's own ranks, not alpha's weighting of them, so
//!   the label does not simply echo whichever side alpha favours). A request for a ghost that recency condemned moves `alpha` towards
//!   frequency, and vice versa, so AHE tracks whichever signal the workload rewards.
//!   As in ARC, a hit counts for more when its signal left fewer ghosts (by the
//!   ratio of the two counts, at most 10×): alpha then settles where the victims of
//!   both signals come back equally often, instead of drifting towards whichever
//!   signal happens to condemn fewer keys.
//!   `INFO memory` reports `ahe_alpha`.

use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use super::access::{self, random_u64, LfuTuning};
use history::{FrequencySketch, Ghosts, GHOSTS};

mod history;
use super::{table, KvEngine, DATABASES};
use crate::sync::lock;

/// What to do when a write finds memory over `maxmemory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Policy {
    /// Refuse writes with `-OOM`.
    #[default]
    NoEviction,
    /// Least recently used, among all keys.
    AllKeysLru,
    /// Least frequently used, among all keys.
    AllKeysLfu,
    /// Any key.
    AllKeysRandom,
    /// Adaptive hybrid of recency and frequency, among all keys.
    AllKeysAhe,
    /// Least recently used, among keys with a TTL.
    VolatileLru,
    /// Least frequently used, among keys with a TTL.
    VolatileLfu,
    /// Any key with a TTL.
    VolatileRandom,
    /// The key whose TTL ends soonest.
    VolatileTtl,
    /// Adaptive hybrid, among keys with a TTL.
    VolatileAhe,
}

/// Every policy, in the order `CONFIG GET`/docs list them.
pub const POLICIES: [Policy; 10] = [
    Policy::NoEviction,
    Policy::AllKeysLru,
    Policy::AllKeysLfu,
    Policy::AllKeysRandom,
    Policy::AllKeysAhe,
    Policy::VolatileLru,
    Policy::VolatileLfu,
    Policy::VolatileRandom,
    Policy::VolatileTtl,
    Policy::VolatileAhe,
];

impl Policy {
    /// The policy's config name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::NoEviction => "noeviction",
            Policy::AllKeysLru => "allkeys-lru",
            Policy::AllKeysLfu => "allkeys-lfu",
            Policy::AllKeysRandom => "allkeys-random",
            Policy::AllKeysAhe => "allkeys-ahe",
            Policy::VolatileLru => "volatile-lru",
            Policy::VolatileLfu => "volatile-lfu",
            Policy::VolatileRandom => "volatile-random",
            Policy::VolatileTtl => "volatile-ttl",
            Policy::VolatileAhe => "volatile-ahe",
        }
    }

    /// Whether only keys with a TTL may be evicted.
    pub fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
                | Policy::VolatileAhe
        )
    }

    /// Whether the policy tracks frequency (`OBJECT FREQ` is allowed).
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    fn is_ahe(self) -> bool {
        matches!(self, Policy::AllKeysAhe | Policy::VolatileAhe)
    }

    fn is_random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        POLICIES
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("'{s}' is not a maxmemory-policy"))
    }
}

/// The settings one eviction pass runs with.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The cap in bytes (0: none).
    pub maxmemory: u64,
    /// The policy.
    pub policy: Policy,
    /// Keys sampled per database per round.
    pub samples: usize,
}

/// Memory is over the cap and nothing (more) can be evicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

/// Which signal condemned an evicted key (AHE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Signal {
    Recency,
    Frequency,
}

/// A key considered for eviction.
#[derive(Clone, Debug)]
struct Candidate {
    db: usize,
    key: Box<[u8]>,
    /// The metadata when sampled: the key is evicted only if it is unchanged.
    meta: u64,
    expire_at: Option<u64>,
    /// Higher is evicted first (pool policies).
    score: f64,
    /// Taken from the probation queue: evicting it is an admission decision, not a
    /// judgement between recency and frequency, so it leaves no ghost.
    on_probation: bool,
}

/// Candidates kept between rounds, as Redis's `EVPOOL_SIZE`.
const POOL_SIZE: usize = 16;
/// Recently inserted keys on probation.
const PROBATION: usize = 256;
/// How far one ghost hit moves `alpha`: small, so that alpha follows the balance
/// of many ghost hits rather than swinging with each (measured: with 0.01, a net of
/// ninety hits crossed the whole range on a stationary trace).
const ALPHA_STEP: f64 = 0.001;
/// The most one ghost hit can count for, relative to [`ALPHA_STEP`], when its
/// signal left few ghosts (ARC's ratio, capped so that a lone hit cannot swing alpha).
const MAX_GHOST_WEIGHT: f64 = 10.0;

/// The eviction state shared by all databases.
pub struct Evictor {
    pool: Mutex<Vec<Candidate>>,
    probation: Mutex<VecDeque<(usize, Box<[u8]>)>>,
    ghosts: Ghosts,
    /// Ghosts left lately by each signal, `[recency, frequency]`: halved together
    /// whenever their sum reaches [`GHOSTS`], so they describe the ghost table.
    condemned: [AtomicU64; 2],
    sketch: FrequencySketch,
    alpha: AtomicU64,
    ahe_active: AtomicBool,
    evicted: AtomicU64,
    hasher: ahash::RandomState,
    /// `lfu-log-factor` and `lfu-decay-time` of this server.
    lfu_log_factor: AtomicU32,
    lfu_decay_minutes: AtomicU32,
}

impl Default for Evictor {
    fn default() -> Self {
        Evictor {
            pool: Mutex::new(Vec::new()),
            probation: Mutex::new(VecDeque::new()),
            ghosts: Ghosts::new(),
            condemned: [AtomicU64::new(0), AtomicU64::new(0)],
            sketch: FrequencySketch::new(),
            alpha: AtomicU64::new(0.5f64.to_bits()),
            ahe_active: AtomicBool::new(false),
            evicted: AtomicU64::new(0),
            hasher: ahash::RandomState::new(),
            lfu_log_factor: AtomicU32::new(LfuTuning::default().log_factor),
            lfu_decay_minutes: AtomicU32::new(LfuTuning::default().decay_minutes),
        }
    }
}

impl Evictor {
    /// Switches the access bookkeeping that only AHE needs on or off.
    pub fn set_policy(&self, policy: Policy) {
        if policy.is_ahe() {
            // Allocate the probation queue whole now, so that it does not grow (and
            // push memory over the cap) while evicting; the ghosts are fixed-size.
            lock(&self.probation).reserve_exact(PROBATION);
        }
        self.ahe_active.store(policy.is_ahe(), Ordering::Relaxed);
    }

    /// The LFU tunables every counter update and read uses.
    #[inline]
    pub fn lfu(&self) -> LfuTuning {
        LfuTuning {
            log_factor: self.lfu_log_factor.load(Ordering::Relaxed),
            decay_minutes: self.lfu_decay_minutes.load(Ordering::Relaxed),
        }
    }

    /// Sets the LFU tunables (at start and after `CONFIG SET`).
    pub fn set_lfu(&self, lfu: LfuTuning) {
        self.lfu_log_factor.store(lfu.log_factor, Ordering::Relaxed);
        self.lfu_decay_minutes.store(lfu.decay_minutes, Ordering::Relaxed);
    }

    /// AHE's current weight on recency (0: pure frequency, 1: pure recency).
    pub fn alpha(&self) -> f64 {
        f64::from_bits(self.alpha.load(Ordering::Relaxed))
    }

    /// Keys evicted since start (or the last `CONFIG RESETSTAT`).
    pub fn evicted_keys(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Zeroes `evicted_keys` (`CONFIG RESETSTAT`).
    pub fn reset_stats(&self) {
        self.evicted.store(0, Ordering::Relaxed);
    }

    fn fingerprint(&self, db: usize, key: &[u8]) -> u64 {
        self.hasher.hash_one((db, key))
    }

    /// A read found `key` (AHE counts it in the sketch).
    #[inline]
    pub fn on_access(&self, db: usize, key: &[u8]) {
        if self.ahe_active.load(Ordering::Relaxed) {
            self.sketch.add(self.fingerprint(db, key));
        }
    }

    /// A read missed `key`: counted, and checked against the ghosts.
    #[inline]
    pub fn on_miss(&self, db: usize, key: &[u8]) {
        if !self.ahe_active.load(Ordering::Relaxed) {
            return;
        }
        let fp = self.fingerprint(db, key);
        self.sketch.add(fp);
        if let Some(signal) = self.ghosts.take(fp) {
            // The key was wanted again: the signal that evicted it was wrong. ARC's
            // rule weighs the hit by how few ghosts that signal left against the
            // other's, so alpha settles where both signals' victims come back equally
            // often, not where one of them merely condemns more keys.
            let [recency, frequency] =
                self.condemned.each_ref().map(|c| c.load(Ordering::Relaxed) as f64 + 1.0);
            let delta = match signal {
                Signal::Recency => -ALPHA_STEP * (frequency / recency).clamp(1.0, MAX_GHOST_WEIGHT),
                Signal::Frequency => ALPHA_STEP * (recency / frequency).clamp(1.0, MAX_GHOST_WEIGHT),
            };
            let _ = self.alpha.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + delta).clamp(0.02, 0.98).to_bits())
            });
        }
    }

    /// A new key was stored (AHE puts it on probation).
    #[inline]
    pub fn on_insert(&self, db: usize, key: &[u8]) {
        if !self.ahe_active.load(Ordering::Relaxed) {
            return;
        }
        let mut probation = lock(&self.probation);
        if probation.len() == PROBATION {
            probation.pop_front();
        }
        probation.push_back((db, key.into()));
    }

    /// Evicts until `used_memory()` is within the cap, or says it cannot.
    pub fn make_room(
        &self,
        engine: &KvEngine,
        settings: Settings,
        now_ms: u64,
        used_memory: impl Fn() -> u64,
    ) -> Result<usize, OutOfMemory> {
        if settings.maxmemory == 0 {
            return Ok(0);
        }
        let mut evicted = 0;
        let mut misses = 0;
        while used_memory() > settings.maxmemory {
            if settings.policy == Policy::NoEviction || misses > 64 {
                return Err(OutOfMemory);
            }
            let Some((victim, signal)) = self.choose(engine, settings, now_ms) else {
                misses += 1;
                continue;
            };
            if engine.db(victim.db).evict(&victim.key, victim.meta, now_ms) {
                evicted += 1;
                misses = 0;
                self.evicted.fetch_add(1, Ordering::Relaxed);
                if let Some(signal) = signal {
                    self.remember(victim.db, &victim.key, signal);
                }
            } else {
                misses += 1;
            }
        }
        Ok(evicted)
    }

    fn remember(&self, db: usize, key: &[u8], signal: Signal) {
        self.ghosts.remember(self.fingerprint(db, key), signal);
        let index = match signal {
            Signal::Recency => 0,
            Signal::Frequency => 1,
        };
        self.condemned[index].fetch_add(1, Ordering::Relaxed);
        let total: u64 = self.condemned.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        if total >= GHOSTS as u64 {
            for count in &self.condemned {
                count.store(count.load(Ordering::Relaxed) / 2, Ordering::Relaxed);
            }
        }
    }

    /// Samples up to `samples` keys from a random shard of every database.
    fn sample(&self, engine: &KvEngine, settings: Settings, now_ms: u64) -> Vec<Candidate> {
        let mut out = Vec::new();
        for db_index in 0..DATABASES {
            let db = engine.db(db_index);
            // From a random shard on, as many as it takes to find `samples` keys (one
            // in a dense database; a sparse one may need several, and a lone key
            // must still be found, as Redis's sampling of the whole dict finds it).
            let shards = db.shard_count();
            let start = random_u64() as usize % shards;
            let mut taken = 0;
            for step in 0..shards {
                if taken == settings.samples {
                    break;
                }
                let shard = (start + step) % shards;
                if settings.policy.volatile() && db.ttl_keys_in(shard) == 0 {
                    continue;
                }
                let guard = db.map().read(shard);
                if guard.is_empty() {
                    continue;
                }
                table::sample(&guard, random_u64(), (settings.samples - taken) * 4, |key, entry| {
                    let expire_at = entry.expire_at_ms();
                    if taken == settings.samples
                        || entry.is_expired(now_ms)
                        || (settings.policy.volatile() && expire_at.is_none())
                    {
                        return;
                    }
                    taken += 1;
                    out.push(Candidate {
                        db: db_index,
                        key: key.into(),
                        meta: entry.meta(),
                        expire_at,
                        score: 0.0,
                        on_probation: false,
                    });
                });
            }
        }
        out
    }

    /// Picks the next victim, with the signal that condemned it (AHE only).
    fn choose(
        &self,
        engine: &KvEngine,
        settings: Settings,
        now_ms: u64,
    ) -> Option<(Candidate, Option<Signal>)> {
        let mut sampled = self.sample(engine, settings, now_ms);
        if settings.policy.is_random() {
            let pick = random_u64() as usize % sampled.len().max(1);
            return (pick < sampled.len()).then(|| (sampled.swap_remove(pick), None));
        }
        if settings.policy.is_ahe() {
            return self.choose_ahe(engine, settings, sampled, now_ms);
        }
        for candidate in &mut sampled {
            candidate.score = match settings.policy {
                Policy::AllKeysLfu | Policy::VolatileLfu => {
                    255.0 - access::frequency(candidate.meta, now_ms, self.lfu()) as f64
                }
                Policy::VolatileTtl => -(candidate.expire_at.unwrap_or(u64::MAX) as f64),
                _ => access::idle_ms(candidate.meta, now_ms) as f64,
            };
        }
        let mut pool = lock(&self.pool);
        for candidate in sampled {
            if !pool.iter().any(|c| c.db == candidate.db && c.key == candidate.key) {
                pool.push(candidate);
            }
        }
        pool.sort_by(|a, b| b.score.total_cmp(&a.score));
        pool.truncate(POOL_SIZE);
        if pool.is_empty() {
            return None;
        }
        Some((pool.remove(0), None))
    }

    fn choose_ahe(
        &self,
        engine: &KvEngine,
        settings: Settings,
        mut candidates: Vec<Candidate>,
        now_ms: u64,
    ) -> Option<(Candidate, Option<Signal>)> {
        // The oldest keys on probation compete too.
        let on_probation: Vec<(usize, Box<[u8]>)> = {
            let mut probation = lock(&self.probation);
            (0..2).filter_map(|_| probation.pop_front()).collect()
        };
        let mut on_probation = on_probation.into_iter();
        while let Some((db, key)) = on_probation.next() {
            let found = engine.db(db).read_quiet(&key, now_ms, |entry| {
                entry
                    .filter(|e| !settings.policy.volatile() || e.expire_at_ms().is_some())
                    .map(|e| (e.meta(), e.expire_at_ms()))
            });
            let Some((meta, expire_at)) = found else { continue };
            let candidate = Candidate { db, key, meta, expire_at, score: 0.0, on_probation: true };
            // Requested once (the miss that brought it in) and not since: a one-hit
            // wonder until shown otherwise, evicted before anything established, as
            // S3-FIFO's small queue does. A key that comes back has a count of two.
            if self.sketch.estimate(self.fingerprint(db, &candidate.key)) <= 1 {
                let mut probation = lock(&self.probation);
                for rest in on_probation.rev() {
                    probation.push_front(rest);
                }
                return Some((candidate, None));
            }
            candidates.push(candidate);
        }
        {
            let pool = lock(&self.pool);
            for kept in pool.iter() {
                if !candidates.iter().any(|c| c.db == kept.db && c.key == kept.key) {
                    candidates.push(kept.clone());
                }
            }
        }
        if candidates.is_empty() {
            return None;
        }
        let n = candidates.len();
        let idle: Vec<u64> = candidates.iter().map(|c| access::idle_ms(c.meta, now_ms)).collect();
        // Requests counted by the sketch, which outlive residency (a key evicted and
        // requested again keeps its count); the entry's own LFU counter is on another
        // scale and would rank a new key above an old, rarely used one.
        let frequency: Vec<u32> =
            candidates.iter().map(|c| self.sketch.estimate(self.fingerprint(c.db, &c.key)) as u32).collect();
        // rank[i] in [0, 1]: 1 for the most idle / the least frequent.
        let rank = |better_to_evict: &dyn Fn(usize, usize) -> bool| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    let below = (0..n).filter(|&j| better_to_evict(i, j)).count();
                    if n == 1 {
                        1.0
                    } else {
                        below as f64 / (n - 1) as f64
                    }
                })
                .collect()
        };
        let recency_rank = rank(&|i, j| idle[i] > idle[j]);
        let infrequency_rank = rank(&|i, j| frequency[i] < frequency[j]);
        let alpha = self.alpha();
        let horizon = candidates.iter().filter_map(|c| c.expire_at).map(|t| t.saturating_sub(now_ms)).max();
        let mut best = 0;
        for i in 0..n {
            let ttl_nudge = match (candidates[i].expire_at, horizon) {
                (Some(at), Some(h)) if h > 0 => 0.1 * (1.0 - at.saturating_sub(now_ms) as f64 / h as f64),
                _ => 0.0,
            };
            candidates[i].score = alpha * recency_rank[i] + (1.0 - alpha) * infrequency_rank[i] + ttl_nudge;
            if candidates[i].score > candidates[best].score {
                best = i;
            }
        }
        // Labelled by the victim's own ranks (see the module documentation).
        let signal =
            if recency_rank[best] >= infrequency_rank[best] { Signal::Recency } else { Signal::Frequency };
        let victim = candidates.swap_remove(best);
        candidates.retain(|c| !c.on_probation);
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        candidates.truncate(POOL_SIZE);
        *lock(&self.pool) = candidates;
        let signal = (!victim.on_probation).then_some(signal);
        Some((victim, signal))
    }
}

#[cfg(test)]
mod tests;
