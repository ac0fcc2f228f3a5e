//! The server's periodic work (Redis's `serverCron`), on the main runtime: active
//! expiry `hz` times a second within a quarter of each period (Redis's 25 % CPU
//! bound, more with `active-expire-effort`; none while clients are paused), the ops/s
//! sample and client eviction (`maxmemory-clients`) every 100 ms, the clients'
//! buffer peaks and the automatic AOF rewrite check every second, and a health line
//! every ten seconds at debug level. Nothing here waits: one step never holds up the
//! others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::aof::rewrite;
use crate::clock::unix_millis;
use crate::engine::{Effort, ExpiryCursor};
use crate::state::ServerState;

/// Runs until the process ends.
pub async fn run(state: Arc<ServerState>) {
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cursor = ExpiryCursor::default();
    let mut recovery_paused_until = None;
    let started = Instant::now();
    let (mut next_expiry, mut next_sample, mut next_rewrite, mut next_health) =
        (Duration::ZERO, Duration::ZERO, Duration::from_secs(1), Duration::from_secs(10));
    let mut next_peaks = Duration::ZERO;
    loop {
        tick.tick().await;
        let now = started.elapsed();
        if now >= next_expiry {
            let period = Duration::from_millis(1000 / state.hz() as u64);
            next_expiry = now + period;
            let effort = Effort(state.config.load().active_expire_effort);
            let budget = period * effort.time_percent() / 100;
            // CLIENT PAUSE: the dataset stays still, expiry waits for the pause's end.
            if !state.pause.is_paused(unix_millis() as i64) {
                state.engine.active_expire_cycle_with(&mut cursor, unix_millis(), budget, effort);
                // Keys the cycle expired reach `BCAST` clients now.
                state.tracking.send_broadcasts();
            }
        }
        if now >= next_sample {
            next_sample = now + Duration::from_millis(100);
            state.stats.ops_rate.sample(state.stats.total_commands_processed.get());
            evict_clients(&state);
        }
        if now >= next_peaks {
            next_peaks = now + Duration::from_secs(1);
            state.clients.track_peaks(crate::clock::unix_secs());
        }
        if now >= next_rewrite {
            next_rewrite = now + Duration::from_secs(1);
            automatic_rewrite(&state, now, &mut recovery_paused_until);
        }
        if now >= next_health {
            next_health = now + Duration::from_secs(10);
            log::debug!(
                "clients {}, keys {}, used_memory {}, {} ops/s, {} commands, {} expired, {} evicted",
                state.clients.len(),
                state.engine.total_keys(),
                crate::memory::used_memory(),
                state.stats.ops_rate.per_second(),
                state.stats.total_commands_processed.get(),
                state.engine.expired_keys(),
                state.engine.evictor.evicted_keys(),
            );
        }
    }
}

/// Client eviction (`maxmemory-clients`: bytes, or a negative percentage of
/// `maxmemory`; 0 off): closes the biggest clients not marked `CLIENT NO-EVICT` while
/// all clients together hold at least the limit, which is never below 128 KB, as in
/// Redis's `getClientEvictionLimit`.
fn evict_clients(state: &ServerState) {
    let config = state.config.load();
    let setting = config.compat.maxmemory_clients;
    let limit = if setting < 0 && config.maxmemory > 0 {
        (config.maxmemory as f64 * -(setting as f64) / 100.0) as u64
    } else if setting > 0 {
        setting as u64
    } else {
        return;
    };
    state.clients.evict_over(limit.max(128 * 1024) as usize);
}

/// Starts a rewrite when the AOF has grown enough, or when it is failing (a
/// rewrite is the way back, tried every few seconds).
///
/// A recovery attempt waits [`RECOVERY_PAUSE`] after the failure is noticed
/// (`paused_until` keeps the place), without holding up the rest of the cron.
fn automatic_rewrite(state: &ServerState, now: Duration, paused_until: &mut Option<Duration>) {
    let Some(aof) = state.aof() else { return };
    let config = state.config.load();
    if !rewrite::is_due(&aof, config.auto_aof_rewrite_percentage, config.auto_aof_rewrite_min_size) {
        *paused_until = None;
        return;
    }
    if aof.status().failure().is_some() {
        match *paused_until {
            None => {
                log::warn!("AOF is failing: trying a rewrite to recover");
                *paused_until = Some(now + RECOVERY_PAUSE);
                return;
            }
            Some(until) if now < until => return,
            Some(_) => *paused_until = None,
        }
    }
    let _ = state.rewrite_aof(&aof, unix_millis());
}

/// How long a failing AOF waits before a rewrite tries to recover it.
const RECOVERY_PAUSE: Duration = Duration::from_secs(4);
