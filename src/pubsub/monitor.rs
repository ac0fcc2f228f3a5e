//! `MONITOR`: the clients that see every command, and the line each command
//! becomes — Redis 7.0's `replicationFeedMonitors`:
//!
//! ```text
//! +1339518083.107412 [0 127.0.0.1:60866] "set" "k" "v"
//! ```
//!
//! Unix time with microseconds, the database after the command, the client's
//! address, then each argument quoted as `sdscatrepr` quotes it. Commands flagged
//! `admin` or `skip_monitor` are not shown; `AUTH`'s arguments and `HELLO … AUTH`'s
//! credentials are shown as `"(redacted)"`. A monitor's lines are queued in its
//! outbox under the `normal` output limit, so one that does not read is closed.
//! While nobody monitors, feeding costs one relaxed load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;

use super::deliver;
use crate::clients::ClientInfo;

/// The clients in `MONITOR` mode.
#[derive(Default)]
pub struct Monitors {
    clients: RwLock<Vec<Arc<ClientInfo>>>,
    count: AtomicUsize,
}

/// How an argument is shown in place of a secret.
const REDACTED: &[u8] = b"(redacted)";

impl Monitors {
    /// Whether anybody monitors (one relaxed load: the hot path's only cost).
    #[inline]
    pub fn active(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    /// Starts sending every command to `client`.
    pub fn add(&self, client: &Arc<ClientInfo>) {
        let mut clients = self.clients.write().unwrap_or_else(|p| p.into_inner());
        if !clients.iter().any(|c| c.id == client.id) {
            clients.push(client.clone());
            client.monitor.store(true, Ordering::Relaxed);
        }
        self.count.store(clients.len(), Ordering::Relaxed);
    }

    /// Stops monitoring for client `id` (`RESET`, disconnection).
    pub fn remove(&self, client: &ClientInfo) {
        if !client.monitor.swap(false, Ordering::Relaxed) {
            return;
        }
        let mut clients = self.clients.write().unwrap_or_else(|p| p.into_inner());
        clients.retain(|c| c.id != client.id);
        self.count.store(clients.len(), Ordering::Relaxed);
    }

    /// Sends the line for `args`, run by `from` in database `db`, to every monitor,
    /// each under its class's limit.
    pub fn feed(&self, from: &ClientInfo, db: usize, args: &[Bytes], limits: super::PushLimits) {
        self.feed_from(&from.addr.to_string(), db, args, limits);
    }

    /// Sends the line for `args` run from `origin` (a client's address, or `lua`
    /// for a script's command) to every monitor.
    pub fn feed_from(&self, origin: &str, db: usize, args: &[Bytes], limits: super::PushLimits) {
        let line = Bytes::from(line(unix_micros(), db, origin, args));
        let clients = self.clients.read().unwrap_or_else(|p| p.into_inner());
        for monitor in clients.iter() {
            deliver(monitor, line.clone(), limits.for_client(monitor));
        }
    }
}

/// Microseconds since the Unix epoch.
fn unix_micros() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros())
}

/// The monitor line (a simple string, with its `+` and `\r\n`) for `args`.
pub fn line(micros: u128, db: usize, addr: &str, args: &[Bytes]) -> Vec<u8> {
    let mut out = format!("+{}.{:06} [{db} {addr}] ", micros / 1_000_000, micros % 1_000_000).into_bytes();
    let redacted = redacted_from(args);
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let shown: &[u8] =
            if redacted.is_some_and(|from| i >= from && redacts(args, i)) { REDACTED } else { arg };
        repr(&mut out, shown);
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Where secrets start in `args`, if the command has any: every argument of
/// `AUTH`, the two after `HELLO`'s `AUTH`.
fn redacted_from(args: &[Bytes]) -> Option<usize> {
    let name = args.first()?;
    if name.eq_ignore_ascii_case(b"auth") {
        return Some(1);
    }
    if name.eq_ignore_ascii_case(b"hello") {
        return args.iter().position(|a| a.eq_ignore_ascii_case(b"auth")).map(|at| at + 1);
    }
    None
}

/// Whether argument `i` (at or past [`redacted_from`]) is a secret.
fn redacts(args: &[Bytes], i: usize) -> bool {
    if args[0].eq_ignore_ascii_case(b"auth") {
        return true;
    }
    // HELLO … AUTH user pass …: the user and the password.
    let at = redacted_from(args).unwrap_or(usize::MAX);
    i == at || i == at + 1
}

/// Appends `bytes` quoted as Redis's `sdscatrepr` quotes them: `\\`, `\"`, `\n`,
/// `\r`, `\t`, `\a`, `\b` escaped, other unprintable bytes as `\xhh`.
pub fn repr(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&[u8]]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::copy_from_slice(w)).collect()
    }

    #[test]
    fn a_line_is_formatted_as_redis_formats_it() {
        let line = line(1_339_518_083_107_412, 0, "127.0.0.1:60866", &args(&[b"set", b"k", b"v"]));
        assert_eq!(line, b"+1339518083.107412 [0 127.0.0.1:60866] \"set\" \"k\" \"v\"\r\n");
        let line = line_of(&[b"set", b"a\"b\\c", b"\n\r\t\x07\x08\x00\xff"]);
        assert!(line.ends_with(b"\"set\" \"a\\\"b\\\\c\" \"\\n\\r\\t\\a\\b\\x00\\xff\"\r\n"));
    }

    fn line_of(words: &[&[u8]]) -> Vec<u8> {
        line(5, 3, "a:1", &args(words))
    }

    #[test]
    fn secrets_are_redacted() {
        let text = |words: &[&[u8]]| String::from_utf8(line_of(words)).unwrap();
        assert!(text(&[b"auth", b"pw"]).ends_with("\"auth\" \"(redacted)\"\r\n"));
        assert!(text(&[b"AUTH", b"u", b"pw"]).ends_with("\"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"));
        assert!(text(&[b"hello", b"3", b"AUTH", b"u", b"pw", b"SETNAME", b"n"])
            .ends_with("\"hello\" \"3\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n\"\r\n"));
        assert!(text(&[b"hello", b"3"]).ends_with("\"hello\" \"3\"\r\n"));
        assert!(text(&[b"get", b"auth"]).ends_with("\"get\" \"auth\"\r\n"));
    }
}
