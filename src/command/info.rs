//! `INFO [section …]`: `field:value` lines in `# Section` blocks, as Redis 7.0 writes
//! them. Several sections may be asked for at once; `default` (or no argument) is
//! every section but `commandstats` and `latencystats`, `all` and `everything` add
//! them; each section is written once however often it is named.

use std::fmt::Write;

use super::server::REDIS_VERSION;
use super::spec::CommandSpec;
use super::{flags::*, Args, CommandResult, Context, REPLIED};
use crate::engine::DATABASES;
use crate::memory;

/// The `INFO` command.
pub static SPECS: &[CommandSpec] = &[CommandSpec::new("info", -1, LOADING | STALE, info)
    .categories(&["dangerous"])
    .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])];

/// Every section, in the order `INFO` prints them, and whether `default` has it.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("cluster", true),
    ("keyspace", true),
];

/// `INFO [section …]`: a bulk string (verbatim in RESP3) of the asked sections.
pub fn info(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    let wanted: Vec<String> =
        args.rest().iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let everything = wanted.iter().any(|w| matches!(w.as_str(), "all" | "everything"));
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let mut text = String::new();
    for (section, in_default) in SECTIONS {
        let chosen = everything || (default && *in_default) || wanted.iter().any(|w| w == section);
        if !chosen {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        write_section(ctx, section, &mut text);
    }
    ctx.out.verbatim("txt", text.as_bytes());
    REPLIED
}

fn write_section(ctx: &Context<'_>, section: &str, text: &mut String) {
    let state = ctx.state;
    let config = state.config.load();
    let stats = &state.stats;
    match section {
        "server" => {
            text.push_str("# Server\r\n");
            line(text, "redis_version", &REDIS_VERSION);
            line(text, "redis_git_sha1", &"00000000");
            line(text, "redis_git_dirty", &0);
            line(text, "ferrum_version", &env!("CARGO_PKG_VERSION"));
            line(text, "redis_mode", &"standalone");
            line(text, "os", &std::env::consts::OS);
            line(text, "arch_bits", &(usize::BITS));
            line(text, "multiplexing_api", &"epoll");
            line(text, "process_id", &std::process::id());
            line(text, "process_supervised", &"no");
            line(text, "run_id", &state.run_id);
            line(text, "tcp_port", &config.addr.port());
            line(text, "server_time_usec", &(crate::clock::unix_millis() * 1000));
            line(text, "uptime_in_seconds", &state.started.elapsed().as_secs());
            line(text, "uptime_in_days", &(state.started.elapsed().as_secs() / 86_400));
            line(text, "hz", &state.hz());
            line(text, "configured_hz", &state.hz());
            line(text, "lru_clock", &((crate::clock::unix_millis() / 1000) & 0xFF_FFFF));
            let executable = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
            line(text, "executable", &executable);
            let file = config.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
            line(text, "config_file", &file);
            line(text, "io_threads_active", &config.io_threads);
        }
        "clients" => {
            text.push_str("# Clients\r\n");
            line(text, "connected_clients", &state.clients.len());
            line(text, "cluster_connections", &0);
            line(text, "maxclients", &config.maxclients);
            let (input, output) = state.clients.recent_peaks(crate::clock::unix_secs());
            line(text, "client_recent_max_input_buffer", &input);
            line(text, "client_recent_max_output_buffer", &output);
            line(text, "blocked_clients", &state.clients.blocked());
            line(text, "tracking_clients", &state.tracking.clients());
            line(text, "clients_in_timeout_table", &state.clients.waiting());
            // Redis 7.2's field: the keys clients wait on (the blocking registry's size).
            line(text, "total_blocking_keys", &state.blocked.keys());
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
            // What eviction does not count against `maxmemory` (memory the lazyfree
            // thread is about to free).
            line(text, "mem_not_counted_for_evict", &crate::engine::lazyfree::pending_bytes());
            let (vm, scripts, cached) = state.scripting.memory();
            line(text, "used_memory_lua", &vm);
            line(text, "used_memory_vm_eval", &vm);
            line(text, "used_memory_lua_human", &human_bytes(vm));
            line(text, "used_memory_scripts_eval", &scripts);
            line(text, "number_of_cached_scripts", &cached);
            let functions = state.scripting.function_summary();
            line(text, "number_of_functions", &functions.functions);
            line(text, "number_of_libraries", &functions.libraries);
            line(text, "used_memory_vm_functions", &functions.vm_bytes);
            let vm_total = vm + functions.vm_bytes;
            line(text, "used_memory_vm_total", &vm_total);
            line(text, "used_memory_vm_total_human", &human_bytes(vm_total));
            line(text, "used_memory_functions", &functions.code_bytes);
            let scripts_total = scripts + functions.code_bytes;
            line(text, "used_memory_scripts", &scripts_total);
            line(text, "used_memory_scripts_human", &human_bytes(scripts_total));
            line(text, "maxmemory", &config.maxmemory);
            line(text, "maxmemory_human", &human_bytes(config.maxmemory));
            line(text, "maxmemory_policy", &config.maxmemory_policy.name());
            line(text, "mem_fragmentation_ratio", &format!("{:.2}", rss as f64 / used.max(1) as f64));
            line(text, "mem_allocator", &"jemalloc-5.3.0");
            line(text, "lazyfree_pending_objects", &crate::engine::lazyfree::pending_objects());
            line(text, "ahe_alpha", &format!("{:.3}", state.engine.evictor.alpha()));
        }
        "persistence" => persistence(ctx, text),
        "stats" => {
            text.push_str("# Stats\r\n");
            line(text, "total_connections_received", &stats.total_connections_received.get());
            line(text, "total_commands_processed", &stats.total_commands_processed.get());
            line(text, "instantaneous_ops_per_sec", &stats.ops_rate.per_second());
            line(text, "total_net_input_bytes", &stats.total_net_input_bytes.get());
            line(text, "total_net_output_bytes", &stats.total_net_output_bytes.get());
            line(text, "rejected_connections", &stats.rejected_connections.get());
            line(text, "expired_keys", &state.engine.expired_keys());
            line(text, "evicted_keys", &state.engine.evictor.evicted_keys());
            line(text, "evicted_clients", &state.clients.evicted());
            line(text, "keyspace_hits", &stats.keyspace_hits.get());
            line(text, "keyspace_misses", &stats.keyspace_misses.get());
            line(text, "pubsub_channels", &state.pubsub.channels.len());
            line(text, "pubsub_patterns", &state.pubsub.patterns.len());
            line(text, "pubsubshard_channels", &state.pubsub.shard_channels.len());
            line(text, "total_forks", &0);
            line(text, "tracking_total_keys", &state.tracking.total_keys());
            line(text, "tracking_total_items", &state.tracking.total_items());
            line(text, "tracking_total_prefixes", &state.tracking.total_prefixes());
            line(text, "total_error_replies", &stats.errors.total());
            line(text, "lazyfreed_objects", &crate::engine::lazyfree::freed_objects());
        }
        "replication" => {
            text.push_str("# Replication\r\n");
            line(text, "role", &"master");
            line(text, "connected_slaves", &0);
            line(text, "master_failover_state", &"no-failover");
            line(text, "master_replid", &state.run_id);
            line(text, "master_replid2", &"0000000000000000000000000000000000000000");
            line(text, "master_repl_offset", &0);
            line(text, "second_repl_offset", &-1);
            line(text, "repl_backlog_active", &0);
            line(text, "repl_backlog_size", &1_048_576);
            line(text, "repl_backlog_first_byte_offset", &0);
            line(text, "repl_backlog_histlen", &0);
        }
        "cpu" => {
            text.push_str("# CPU\r\n");
            let (user, system) = cpu_seconds();
            line(text, "used_cpu_sys", &format!("{system:.6}"));
            line(text, "used_cpu_user", &format!("{user:.6}"));
            line(text, "used_cpu_sys_children", &"0.000000");
            line(text, "used_cpu_user_children", &"0.000000");
        }
        "modules" => text.push_str("# Modules\r\n"),
        "commandstats" => {
            text.push_str("# Commandstats\r\n");
            text.push_str(&state.command_stats.info_lines());
        }
        "errorstats" => {
            text.push_str("# Errorstats\r\n");
            for (prefix, count) in stats.errors.all() {
                let _ = write!(text, "errorstat_{prefix}:count={count}\r\n");
            }
        }
        "cluster" => {
            text.push_str("# Cluster\r\n");
            line(text, "cluster_enabled", &0);
        }
        "keyspace" => {
            text.push_str("# Keyspace\r\n");
            for index in 0..DATABASES {
                let db = state.engine.db(index);
                let keys = db.len();
                if keys > 0 {
                    let (expires, avg_ttl) = (db.expires_count(), db.avg_ttl());
                    let _ = write!(text, "db{index}:keys={keys},expires={expires},avg_ttl={avg_ttl}\r\n");
                }
            }
        }
        _ => {}
    }
}

/// The `# Persistence` section.
fn persistence(ctx: &Context<'_>, text: &mut String) {
    use std::sync::atomic::Ordering::Relaxed;
    let state = ctx.state;
    text.push_str("# Persistence\r\n");
    line(text, "loading", &(state.loading.load(Relaxed) as u8));
    line(text, "async_loading", &0);
    line(text, "rdb_changes_since_last_save", &state.dirty.get());
    line(text, "rdb_bgsave_in_progress", &0);
    line(text, "rdb_last_save_time", &state.last_save.load(Relaxed));
    line(text, "rdb_last_bgsave_status", &"ok");
    line(text, "rdb_saves", &0);
    let aof = state.aof();
    let status = aof.as_ref().map(|a| a.status());
    line(text, "aof_enabled", &(status.is_some() as u8));
    let flag = |f: &std::sync::atomic::AtomicBool| f.load(Relaxed);
    let size = |n: &std::sync::atomic::AtomicU64| n.load(Relaxed);
    line(text, "aof_rewrite_in_progress", &status.map_or(0, |a| flag(&a.rewrite_in_progress) as u8));
    line(text, "aof_rewrite_scheduled", &0);
    line(text, "aof_rewrites", &status.map_or(0, |a| size(&a.rewrites)));
    let ok_err = |bad: bool| if bad { "err" } else { "ok" };
    line(text, "aof_last_bgrewrite_status", &ok_err(status.is_some_and(|a| flag(&a.last_rewrite_failed))));
    line(text, "aof_last_write_status", &ok_err(status.is_some_and(|a| a.failure().is_some())));
    if let Some(status) = status {
        line(text, "aof_current_size", &size(&status.current_size));
        line(text, "aof_base_size", &size(&status.base_size));
        line(text, "aof_fsync_policy", &status.policy().name());
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
