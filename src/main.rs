//! The `ferrum-kv` binary: parse flags and config (`--print-config-table` prints
//! the README's table of them instead), start logging, serve until
//! SIGINT/SIGTERM, then shut down gracefully and exit 0.

use std::process::ExitCode;
use std::sync::Arc;

use ferrum_kv::config::IoRuntime;
use ferrum_kv::server::Workers;
use ferrum_kv::{server, Cli, Config, ServerState};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.print_config_table {
        print!("{}", ferrum_kv::config::markdown_table());
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(&cli) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ferrum-kv: {e}");
            return ExitCode::FAILURE;
        }
    };
    env_logger::Builder::new()
        .filter_level(config.log_filter())
        .parse_env("RUST_LOG")
        .format_timestamp_millis()
        .init();
    let threads = match config.io_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // Work stealing: the main runtime is the pool. Per thread: the main runtime
    // (one thread) accepts and runs the timers; the I/O threads run connections.
    let kind = config.io_runtime;
    let runtime = match kind {
        IoRuntime::WorkStealing => {
            tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
        }
        IoRuntime::PerThread => tokio::runtime::Builder::new_current_thread().enable_all().build(),
    };
    let started = runtime.and_then(|runtime| Ok((runtime, Workers::start(kind, threads)?)));
    let (runtime, workers) = match started {
        Ok(started) => started,
        Err(e) => {
            log::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(serve(config, threads, &workers));
    drop(workers);
    code
}

async fn serve(config: Config, threads: usize, workers: &Workers) -> ExitCode {
    let listener = match server::listen(config.addr) {
        Ok(listener) => listener,
        Err(e) => {
            log::error!("cannot listen on {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map_or(config.addr, |a| a);
    log::info!(
        "FerrumKV {} listening on {addr} (pid {}, io-threads {threads} {}, maxclients {}, timeout {}s, aof {}, appendfsync {})",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        config.io_runtime.name(),
        config.maxclients,
        config.timeout,
        config.aof_path.as_ref().map_or("off".to_string(), |p| p.display().to_string()),
        config.appendfsync.name(),
    );
    let state = Arc::new(ServerState::new(config));
    let loader = state.clone();
    match tokio::task::spawn_blocking(move || server::loading::load_and_open(&loader)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            log::error!("{e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            log::error!("AOF loading failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    tokio::spawn(server::cron::run(state.clone()));
    let requested = state.clone();
    let stop = async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = requested.shutdown_requested.notified() => {}
        }
    };
    server::run(listener, state.clone(), workers, stop).await;
    state.close_aof();
    log::info!("bye");
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
