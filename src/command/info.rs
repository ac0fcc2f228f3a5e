//! `INFO [section …]`: `field:value` lines in `# Section` blocks, as Redis writes them.

use std::fmt::Write;

use bytes::Bytes;

use super::{CommandResult, Context};
use crate::command::server::REDIS_VERSION;
use crate::engine::DATABASES;
use crate::memory;

/// The sections in the order `INFO` prints them.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "commandstats",
    "keyspace",
];

/// `INFO [section …]`: a bulk string (verbatim in RESP3) of the asked sections;
/// `default`, `all` and `everything` mean all of them.
pub fn info(ctx: &mut Context<'_>, args: &[Bytes]) -> CommandResult {
    let wanted: Vec<String> =
        args[1..].iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let everything = wanted.iter().any(|w| matches!(w.as_str(), "all" | "everything"));
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let mut text = String::new();
    for section in SECTIONS {
        let chosen =
            everything || (default && *section != "commandstats") || wanted.iter().any(|w| w == section);
        if !chosen {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        write_section(ctx, section, &mut text);
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn write_section(ctx: &Context<'_>, section: &str, text: &mut String) {
    let state = ctx.state;
    let config = state.config.load();
    let stats = &state.stats;
    match section {
        "server" => {
            text.push_str("# Server\r\n");
            line(text, "redis_version", &REDIS_VERSION);
            line(text, "ferrum_version", &env!("CARGO_PKG_VERSION"));
            line(text, "redis_mode", &"standalone");
            line(text, "os", &std::env::consts::OS);
            line(text, "arch_bits", &(usize::BITS));
            line(text, "process_id", &std::process::id());
            line(text, "run_id", &state.run_id);
            line(text, "tcp_port", &config.addr.port());
            line(text, "uptime_in_seconds", &state.started.elapsed().as_secs());
            line(text, "uptime_in_days", &(state.started.elapsed().as_secs() / 86_400));
            line(text, "io_threads_active", &config.io_threads);
            line(
                text,
                "config_file",
                &config.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            );
        }
        "clients" => {
            text.push_str("# Clients\r\n");
            line(text, "connected_clients", &state.clients.len());
            line(text, "maxclients", &config.maxclients);
            line(text, "blocked_clients", &0);
        }
        "memory" => {
            text.push_str("# Memory\r\n");
            let used = memory::used_memory();
            let rss = memory::resident_bytes();
            let (allocated, active, resident) = memory::allocator_stats();
            line(text, "used_memory", &used);
            line(text, "used_memory_human", &human_bytes(used));
            line(text, "used_memory_rss", &rss);
            line(text, "used_memory_rss_human", &human_bytes(rss));
            line(text, "used_memory_peak", &memory::peak_memory());
            line(text, "used_memory_peak_human", &human_bytes(memory::peak_memory()));
            line(text, "allocator_allocated", &allocated);
            line(text, "allocator_active", &active);
            line(text, "allocator_resident", &resident);
            line(text, "maxmemory", &config.maxmemory);
            line(text, "maxmemory_human", &human_bytes(config.maxmemory));
            line(text, "maxmemory_policy", &config.maxmemory_policy.name());
            line(text, "mem_fragmentation_ratio", &format!("{:.2}", rss as f64 / used.max(1) as f64));
            line(text, "mem_allocator", &"jemalloc-5.3.0");
            line(text, "ahe_alpha", &format!("{:.3}", state.engine.evictor.alpha()));
        }
        "persistence" => {
            text.push_str("# Persistence\r\n");
            line(text, "loading", &(state.loading.load(std::sync::atomic::Ordering::Relaxed) as u8));
            line(text, "rdb_changes_since_last_save", &0);
            let aof = state.aof.get().map(|a| a.status());
            line(text, "aof_enabled", &(aof.is_some() as u8));
            let flag = |f: &std::sync::atomic::AtomicBool| f.load(std::sync::atomic::Ordering::Relaxed);
            let size = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
            line(text, "aof_rewrite_in_progress", &aof.map_or(0, |a| flag(&a.rewrite_in_progress) as u8));
            line(text, "aof_rewrites", &aof.map_or(0, |a| size(&a.rewrites)));
            let ok_err = |bad: bool| if bad { "err" } else { "ok" };
            line(
                text,
                "aof_last_bgrewrite_status",
                &ok_err(aof.is_some_and(|a| flag(&a.last_rewrite_failed))),
            );
            line(text, "aof_last_write_status", &ok_err(aof.is_some_and(|a| a.failure().is_some())));
            if let Some(aof) = aof {
                line(text, "aof_current_size", &size(&aof.current_size));
                line(text, "aof_base_size", &size(&aof.base_size));
                line(text, "aof_fsync_policy", &aof.policy().name());
            }
        }
        "stats" => {
            text.push_str("# Stats\r\n");
            line(text, "total_connections_received", &stats.total_connections_received.get());
            line(text, "total_commands_processed", &stats.total_commands_processed.get());
            line(text, "instantaneous_ops_per_sec", &stats.ops_rate.per_second());
            line(text, "rejected_connections", &stats.rejected_connections.get());
            line(text, "total_net_input_bytes", &stats.total_net_input_bytes.get());
            line(text, "total_net_output_bytes", &stats.total_net_output_bytes.get());
            line(text, "expired_keys", &state.engine.expired_keys());
            line(text, "evicted_keys", &state.engine.evictor.evicted_keys());
            line(text, "keyspace_hits", &stats.keyspace_hits.get());
            line(text, "keyspace_misses", &stats.keyspace_misses.get());
        }
        "replication" => {
            text.push_str("# Replication\r\n");
            line(text, "role", &"master");
            line(text, "connected_slaves", &0);
        }
        "cpu" => {
            text.push_str("# CPU\r\n");
            let (user, system) = cpu_seconds();
            line(text, "used_cpu_sys", &format!("{system:.6}"));
            line(text, "used_cpu_user", &format!("{user:.6}"));
        }
        "commandstats" => {
            text.push_str("# Commandstats\r\n");
            text.push_str(&state.command_stats.info_lines());
        }
        "keyspace" => {
            text.push_str("# Keyspace\r\n");
            for index in 0..DATABASES {
                let db = state.engine.db(index);
                let keys = db.len();
                if keys > 0 {
                    let _ = {
                        let (expires, avg_ttl) = db.expiry_summary(ctx.now_ms);
                        write!(text, "db{index}:keys={keys},expires={expires},avg_ttl={avg_ttl}\r\n")
                    };
                }
            }
        }
        _ => {}
    }
}

/// Writes one `name:value` line.
fn line(text: &mut String, name: &str, value: &dyn std::fmt::Display) {
    let _ = write!(text, "{name}:{value}\r\n");
}

/// User and system CPU seconds of this process, from `/proc/self/stat`.
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and
    // 15th fields overall, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(11), ticks(12))
}

/// Bytes as Redis's `*_human` fields write them (`1.50M`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.2}{}", UNITS[unit])
    }
}
