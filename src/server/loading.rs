//! Loading the AOF at boot: the file's records (read by [`crate::aof::replay`]) run
//! through the same dispatcher and command table that serve clients, as one
//! pseudo-client with the `loading` flag up (nothing expires, nothing is evicted,
//! nothing is timed). Then the AOF is opened for appending and hooked to the engine.

use bytes::Bytes;

use crate::aof::replay::{replay, ReplayError, ReplayReport};
use crate::aof::Aof;
use crate::command::transaction::run_transaction;
use crate::command::{execute, Context, Outcome, Session};
use crate::protocol::{Protocol, ReplyWriter};
use crate::state::ServerState;

/// Runs every record of the AOF file (if persistence is on), then starts logging to
/// the same file. `None` when persistence is off.
pub fn load_and_open(state: &ServerState) -> Result<Option<ReplayReport>, ReplayError> {
    let config = state.config.load();
    let Some(path) = config.aof_path.clone() else { return Ok(None) };
    let report = load(state, &path, config.aof_load_truncated)?;
    let aof = Aof::open(&path, config.appendfsync)
        .map_err(|e| ReplayError(format!("cannot open AOF {}: {e}", path.display())))?;
    state.install_aof(aof);
    Ok(Some(report))
}

/// Replays the AOF at `path` into `state`.
pub fn load(
    state: &ServerState,
    path: &std::path::Path,
    load_truncated: bool,
) -> Result<ReplayReport, ReplayError> {
    let mut session = Session::new(state.clients.register_detached());
    let mut out = ReplyWriter::new(Protocol::Resp2);
    state.loading.store(true, std::sync::atomic::Ordering::Relaxed);
    let result = replay(path, load_truncated, &mut |args: &[Bytes]| {
        // Time 0: nothing has expired while loading (absolute expiries are kept).
        let mut ctx = Context { state, session: &mut session, out: &mut out, now_ms: 0 };
        match execute(&mut ctx, args) {
            Outcome::RunExclusive(queued) => run_transaction(&mut ctx, queued),
            Outcome::RunScript(call) => crate::command::scripting::run_script(&mut ctx, *call),
            _ => {}
        }
        // Only a failed record's reply is kept (as text, for the report).
        let outcome = match out.as_bytes().first() {
            Some(b'-') => Err(String::from_utf8_lossy(out.as_bytes()).trim_end().to_string()),
            _ => Ok(()),
        };
        out.clear();
        outcome
    });
    state.loading.store(false, std::sync::atomic::Ordering::Relaxed);
    result
}
