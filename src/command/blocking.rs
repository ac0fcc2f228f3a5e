//! The command side of the blocking room (`crate::blocking`): what a blocking
//! command hands the connection when it must wait, the timeout argument, and
//! serving ready keys with a context for the waiting client.
//!
//! A blocking command first tries to serve itself, as its non-blocking form does.
//! When it finds nothing it returns [`Outcome::Block`] with a [`BlockOn`]: the keys
//! and a [`Pending`] (its serve function and arguments). Inside `EXEC` that reply
//! is the timeout's, so the command acts as its non-blocking form; otherwise the
//! connection registers the waiter and waits. After every top-level command,
//! `EXEC` or script the connection calls [`serve_ready`], which runs each ready
//! waiter's serve function in a context of the *waiting* client (its database and
//! protocol), in the writer's thread: the effect is logged there, and the reply
//! bytes are handed to the waiting connection.
//!
//! [`Outcome::Block`]: super::Outcome::Block

use std::any::Any;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{CommandError, Context, Session};
use crate::blocking::Served;
use crate::protocol::{Protocol, ReplyWriter};
use crate::state::ServerState;

/// What a serve function did (see [`Pending::serve`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// It took what it waited for and wrote the waiting client's reply.
    Replied,
    /// The key holds another type than this command takes: the next waiter may.
    Skip,
    /// The key is absent: nobody else can be served from it now.
    Exhausted,
}

/// A serve function: given a context for the waiting client and the key that is
/// ready, performs the command's pop or move and writes its reply. An error is
/// the waiter's reply (a `BLMOVE` whose destination holds another type).
pub type ServeFn = fn(&mut Context<'_>, &(dyn Any + Send + Sync), &[u8]) -> Result<Attempt, CommandError>;

/// What a waiting client will run when one of its keys is ready.
pub struct Pending {
    /// The command's serve function.
    pub serve: ServeFn,
    /// Its arguments, as the serve function reads them back.
    pub args: Box<dyn Any + Send + Sync>,
    /// The blocked command's id (the dispatcher sets it; families leave 0): a
    /// serve that answers an error counts as that command's `failed_calls`.
    pub command: usize,
}

/// A wait on keys: the keys of the client's database it waits on, and what to run.
pub struct BlockOn {
    /// The keys, in the order the command named them.
    pub keys: Vec<Box<[u8]>>,
    /// What to do when one is ready.
    pub pending: Pending,
}

impl std::fmt::Debug for BlockOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockOn").field("keys", &self.keys.len()).finish_non_exhaustive()
    }
}

extern "C" {
    /// `src/command/string/long_double.c`.
    fn ferrum_timeout_ms(
        text: *const std::ffi::c_char,
        len: usize,
        ms: *mut std::ffi::c_longlong,
    ) -> std::ffi::c_int;
}

/// A blocking command's timeout in seconds (a float, as `strtold` reads it, rounded
/// up to milliseconds): `None` waits forever (`0`), otherwise the deadline. Redis
/// 7.0.15's errors: `ERR timeout is not a float or out of range`, `ERR timeout is
/// negative`.
pub fn parse_timeout(text: &[u8]) -> Result<Option<Instant>, CommandError> {
    let mut ms: std::ffi::c_longlong = 0;
    // SAFETY: the pointer is valid for `text.len()` bytes; the shim writes one
    // long long through `ms`.
    let status = unsafe { ferrum_timeout_ms(text.as_ptr().cast(), text.len(), &mut ms) };
    if status != 0 {
        return Err(CommandError::err("timeout is not a float or out of range"));
    }
    match ms {
        ms if ms < 0 => Err(CommandError::err("timeout is negative")),
        0 => Ok(None),
        // Past what an `Instant` can hold: as good as forever.
        ms => Ok(Instant::now().checked_add(Duration::from_millis(ms as u64))),
    }
}

/// Serves the waiters of every key this thread's last command made ready (see
/// [`crate::blocking::BlockedKeys::serve_ready`]), each in a context of its own
/// client. One thread-local look when nothing is ready.
pub fn serve_ready(state: &ServerState, now_ms: u64) {
    state.blocked.serve_ready(|waiter, key| {
        let Some(pending) = waiter.payload.downcast_ref::<Pending>() else { return Served::Skip };
        // A client that is gone is taken out by its connection; nobody to serve.
        let Some(client) = state.clients.get(waiter.client) else { return Served::Skip };
        let protocol =
            if client.resp.load(Ordering::Relaxed) == 3 { Protocol::Resp3 } else { Protocol::Resp2 };
        let mut session = Session::new(client);
        session.db = waiter.db;
        let mut out = ReplyWriter::new(protocol);
        let mut ctx = Context { state, session: &mut session, out: &mut out, now_ms };
        let attempt = (pending.serve)(&mut ctx, pending.args.as_ref(), key);
        state.stats.absorb(&mut session.local_stats);
        match attempt {
            Ok(Attempt::Replied) => Served::Reply(out.into_bytes()),
            Ok(Attempt::Skip) => Served::Skip,
            Ok(Attempt::Exhausted) => Served::Exhausted,
            Err(error) => {
                // Counted as the command's failure and an error reply, as Redis
                // counts an unblocked client's error (`INFO errorstats`).
                let line = error.to_string();
                state.stats.errors.count(&line);
                state.command_stats.count_failure(pending.command);
                let mut out = ReplyWriter::new(protocol);
                out.error(&line);
                Served::Reply(out.into_bytes())
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis_reads_them() {
        assert_eq!(parse_timeout(b"0").unwrap(), None);
        assert_eq!(parse_timeout(b"0.0").unwrap(), None);
        assert!(parse_timeout(b"0.001").unwrap().is_some());
        assert!(parse_timeout(b"1e3").unwrap().is_some());
        assert!(parse_timeout(b"0x10").unwrap().is_some(), "strtold reads hex");
        // -0.001 s is -0.99999… ms in long double, rounded up to 0: forever, as in
        // redis-server 7.0.15.
        assert_eq!(parse_timeout(b"-0.001").unwrap(), None);
        for negative in ["-1", "-1.5", "-inf"] {
            let error = parse_timeout(negative.as_bytes()).unwrap_err().to_string();
            assert_eq!(error, "ERR timeout is negative", "{negative}");
        }
        for bad in ["", "x", " 1", "1 ", "nan", "1.5.5"] {
            let error = parse_timeout(bad.as_bytes()).unwrap_err().to_string();
            assert_eq!(error, "ERR timeout is not a float or out of range", "{bad:?}");
        }
        // Past long long milliseconds: converted as x86-64 does, so negative.
        assert_eq!(parse_timeout(b"1e300").unwrap_err().to_string(), "ERR timeout is negative");
        assert_eq!(parse_timeout(b"inf").unwrap_err().to_string(), "ERR timeout is negative");
    }
}
