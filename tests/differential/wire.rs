//! The wire: a small RESP2/RESP3 reader over a `std` TCP stream that hands back the
//! exact bytes of one complete reply, and the escaping used to print commands and
//! replies in a report (requests are encoded by `common::encode`).
//!
//! The reader is deliberately independent of the harness's parser: it never panics on
//! what a server sends (a malformed reply is an [`WireError`], reported like any other
//! difference), and every read is bounded by [`REPLY_TIMEOUT`].

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long one reply may take before the connection is declared stuck.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why no complete reply could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The server closed the connection; holds the bytes of a partial reply.
    Closed(Vec<u8>),
    /// Nothing complete arrived within [`REPLY_TIMEOUT`]; holds what did arrive.
    Timeout(Vec<u8>),
    /// The bytes cannot be a RESP reply (for instance an unknown type byte).
    Malformed(Vec<u8>),
    /// Connecting or writing failed.
    Io(String),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Closed(partial) => write!(f, "<connection closed; partial reply {}>", escape(partial)),
            WireError::Timeout(partial) => {
                write!(f, "<no complete reply within {REPLY_TIMEOUT:?}; got {}>", escape(partial))
            }
            WireError::Malformed(bytes) => write!(f, "<not a RESP reply: {}>", escape(bytes)),
            WireError::Io(what) => write!(f, "<i/o error: {what}>"),
        }
    }
}

/// One client connection that sends requests and reads whole replies as raw bytes.
pub struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Wire {
    /// Connects to `127.0.0.1:port` with read and write timeouts.
    pub fn connect(port: u16) -> Result<Wire, WireError> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| WireError::Io(e.to_string()))?;
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).map_err(|e| WireError::Io(e.to_string()))?;
        stream.set_write_timeout(Some(REPLY_TIMEOUT)).map_err(|e| WireError::Io(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        Ok(Wire { stream, buf: Vec::new() })
    }

    /// Sends `args` as one multibulk request and returns the exact bytes of its reply.
    pub fn request(&mut self, args: &[Vec<u8>]) -> Result<Vec<u8>, WireError> {
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        self.stream.write_all(&crate::common::encode(&args)).map_err(|e| WireError::Io(e.to_string()))?;
        self.read_reply()
    }

    /// Reads one complete reply.
    fn read_reply(&mut self) -> Result<Vec<u8>, WireError> {
        loop {
            match reply_len(&self.buf) {
                Ok(Some(len)) => return Ok(self.buf.drain(..len).collect()),
                Ok(None) => {}
                Err(()) => return Err(WireError::Malformed(std::mem::take(&mut self.buf))),
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(WireError::Closed(std::mem::take(&mut self.buf))),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(WireError::Timeout(std::mem::take(&mut self.buf)))
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(WireError::Closed(std::mem::take(&mut self.buf))),
            }
        }
    }
}

/// The length of the first complete reply in `buf`: `Ok(None)` if more bytes are
/// needed, `Err(())` if the bytes cannot be RESP.
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, ()> {
    frame_end(buf, 0)
}

/// Where the frame starting at `at` ends (see [`reply_len`]).
fn frame_end(buf: &[u8], at: usize) -> Result<Option<usize>, ()> {
    let Some(&kind) = buf.get(at) else { return Ok(None) };
    let Some(eol) = buf[at..].windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
    let header = &buf[at + 1..at + eol];
    let next = at + eol + 2;
    let number = || -> Result<i64, ()> { std::str::from_utf8(header).map_err(drop)?.parse().map_err(drop) };
    match kind {
        b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => Ok(Some(next)),
        b'$' | b'!' | b'=' => {
            let len = number()?;
            if len < 0 {
                return Ok(Some(next));
            }
            let end = next + len as usize + 2;
            if buf.len() < end {
                return Ok(None);
            }
            if &buf[end - 2..end] != b"\r\n" {
                return Err(());
            }
            Ok(Some(end))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let count = number()?;
            let items = if matches!(kind, b'%' | b'|') { count.saturating_mul(2) } else { count };
            let mut end = next;
            for _ in 0..items.max(0) {
                match frame_end(buf, end)? {
                    Some(e) => end = e,
                    None => return Ok(None),
                }
            }
            // An attribute (`|`) is followed by the reply it annotates.
            if kind == b'|' {
                return frame_end(buf, end);
            }
            Ok(Some(end))
        }
        _ => Err(()),
    }
}

/// Splits an aggregate reply (`*`, `~`, `>`) into its header and the raw bytes of each
/// element; `None` for anything else.
pub fn split_aggregate(reply: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    if !matches!(reply.first(), Some(b'*' | b'~' | b'>')) {
        return None;
    }
    let eol = reply.windows(2).position(|w| w == b"\r\n")?;
    let count: i64 = std::str::from_utf8(&reply[1..eol]).ok()?.parse().ok()?;
    let mut at = eol + 2;
    let mut items = Vec::new();
    for _ in 0..count.max(0) {
        let len = reply_len(&reply[at..]).ok()??;
        items.push(&reply[at..at + len]);
        at += len;
    }
    Some((&reply[..eol + 2], items))
}

/// The value of an integer reply (`:n`).
pub fn as_integer(reply: &[u8]) -> Option<i64> {
    std::str::from_utf8(reply.strip_prefix(b":")?.strip_suffix(b"\r\n")?).ok()?.parse().ok()
}

/// The payload of a bulk-string reply (`$n`); `None` for anything else (nulls too).
pub fn as_bulk(reply: &[u8]) -> Option<&[u8]> {
    let eol = reply.windows(2).position(|w| w == b"\r\n")?;
    let len: usize = std::str::from_utf8(reply.strip_prefix(b"$")?.get(..eol - 1)?).ok()?.parse().ok()?;
    reply.get(eol + 2..eol + 2 + len)
}

/// Whether `reply` is the null reply of either protocol (`$-1`, `*-1` or `_`).
pub fn is_null(reply: &[u8]) -> bool {
    matches!(reply, b"$-1\r\n" | b"*-1\r\n" | b"_\r\n")
}

/// `bytes` as printable text: ASCII as is, `\r`, `\n`, `\t`, `\"`, `\\` and `\xNN`
/// for everything else, in double quotes.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// A command as one printable line, in the quoting `redis-cli` accepts: plain words
/// bare, anything else (empty, spaces, quotes, control or non-ASCII bytes) escaped.
pub fn command_line(args: &[Vec<u8>]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|arg| {
            let plain = !arg.is_empty()
                && arg.iter().all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\\' && b != b'\'');
            if plain {
                String::from_utf8_lossy(arg).into_owned()
            } else {
                escape(arg)
            }
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(reply_len(b"+OK\r\n"), Ok(Some(5)));
        assert_eq!(reply_len(b"$3\r\nab"), Ok(None));
        assert_eq!(reply_len(b"*3\r\n$1\r\na\r\n_\r\n:1\r\n"), Ok(Some(18)));
        assert_eq!(reply_len(b"%1\r\n+a\r\n:1\r\n"), Ok(Some(12)));
        assert_eq!(reply_len(b"?x\r\n"), Err(()));
        let (head, items) = split_aggregate(b"*2\r\n$1\r\nb\r\n$0\r\n\r\n").unwrap();
        assert_eq!(head, b"*2\r\n");
        assert_eq!(items, vec![&b"$1\r\nb\r\n"[..], &b"$0\r\n\r\n"[..]]);
        assert_eq!(as_bulk(b"$2\r\nab\r\n"), Some(&b"ab"[..]));
        assert_eq!(as_integer(b":-12\r\n"), Some(-12));
        assert_eq!(
            command_line(&[b"SET".to_vec(), b"".to_vec(), b"a b\x00".to_vec()]),
            "SET \"\" \"a b\\x00\""
        );
    }
}
