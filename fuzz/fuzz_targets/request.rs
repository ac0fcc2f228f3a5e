//! Fuzz target: arbitrary bytes through the request parser (with the full and the
//! unauthenticated limits) and every complete request through the real command
//! dispatcher. Any panic, or memory beyond libFuzzer's `-rss_limit_mb`, is a bug.
#![no_main]

use std::sync::OnceLock;

use bytes::BytesMut;
use ferrum_kv::command::{execute, Context, Outcome, Session};
use ferrum_kv::protocol::{Limits, Protocol, ReplyWriter, RequestParser};
use ferrum_kv::{Config, ServerState};
use libfuzzer_sys::fuzz_target;

/// The settings every input starts from: a memory cap, so the dataset stays bounded
/// across inputs, whatever CONFIG SET the previous input sent.
fn baseline() -> Config {
    let mut config = Config::default();
    config.maxmemory = 256 << 20;
    config.maxmemory_policy = ferrum_kv::engine::evict::Policy::AllKeysRandom;
    config
}

/// One server state for the whole run (building one per input would be slow).
fn state() -> &'static ServerState {
    static STATE: OnceLock<ServerState> = OnceLock::new();
    STATE.get_or_init(|| ServerState::new(baseline()))
}

/// `CONFIG SET` of a parameter whose effect leaves the process (files, sockets).
fn touches_the_outside(args: &[bytes::Bytes]) -> bool {
    const OUTSIDE: &[&str] = &["appendonly", "appendfilename", "dir", "port", "bind", "aof-path", "addr"];
    args.len() > 2
        && args[0].eq_ignore_ascii_case(b"CONFIG")
        && args[1].eq_ignore_ascii_case(b"SET")
        && args[2..].iter().any(|a| OUTSIDE.iter().any(|name| a.eq_ignore_ascii_case(name.as_bytes())))
}

fuzz_target!(|data: &[u8]| {
    let state = state();
    state.config.store(std::sync::Arc::new(baseline()));
    state.apply_cache_settings(&baseline());
    state.engine.flush_all(false);
    state.slowlog.reset();
    for limits in [Limits::DEFAULT, Limits::UNAUTHENTICATED] {
        let mut parser = RequestParser::new(limits);
        let mut session = Session::new(state.clients.register_detached());
        let mut out = ReplyWriter::new(Protocol::Resp2);
        let mut input = BytesMut::from(data);
        // Feed in two pieces too, so the incremental paths are exercised.
        let tail = input.split_off(data.len() / 2);
        for piece in [None, Some(tail)] {
            if let Some(piece) = piece {
                input.extend_from_slice(&piece);
            }
            while let Ok(Some(args)) = parser.next_request(&mut input) {
                // DEBUG SLEEP would only make the fuzzer wait; CONFIG SET of the
                // listener, the AOF or the directory would reach outside the process.
                if args[0].eq_ignore_ascii_case(b"DEBUG") || touches_the_outside(args) {
                    continue;
                }
                let mut ctx = Context { state, session: &mut session, out: &mut out, now_ms: 1_000 };
                if let Outcome::RunExclusive(queued) = execute(&mut ctx, args) {
                    ferrum_kv::command::transaction::run_transaction(&mut ctx, queued);
                }
                // A wait (WAIT, later the blocking commands) is not waited out here.
                out.clear();
            }
        }
    }
});
