//! The incremental RESP request parser.
//!
//! A request is either a multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or an inline line
//! (`PING\r\n`), told apart by the first byte as Redis does. The parser keeps its place
//! between reads, so a request split at any byte boundary parses the same, and a huge
//! request is never re-scanned from its start. Arguments are handed out as `Bytes`
//! slices of the read buffer: no copy, no per-argument allocation.
//!
//! Memory follows bytes received (invariant 5): a declared length only ever reserves
//! a small, capped amount; the rest grows as bytes arrive.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};

use super::inline::split_args;

/// Redis's `PROTO_INLINE_MAX_SIZE`: the longest inline request, and the longest
/// `*`/`$` header line, accepted while looking for its end.
pub const INLINE_MAX: usize = 64 * 1024;

/// At most this many argument slots are reserved ahead of the arguments arriving.
const ARGS_PREALLOC: usize = 1024;

/// Limits on a request's shape, as Redis 7 sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most arguments in one multibulk request (1,048,576).
    pub max_args: usize,
    /// Longest bulk argument (`proto-max-bulk-len`, 512 MB).
    pub max_bulk: usize,
    /// Whether these are the small limits for a client that has not authenticated,
    /// which changes the error text as in Redis.
    pub unauthenticated: bool,
}

impl Limits {
    /// The limits for an authenticated client (or one on a server without a password).
    pub const DEFAULT: Limits =
        Limits { max_args: 1024 * 1024, max_bulk: 512 * 1024 * 1024, unauthenticated: false };

    /// Redis's limits before `AUTH`: 10 arguments of 16 KB each.
    pub const UNAUTHENTICATED: Limits = Limits { max_args: 10, max_bulk: 16 * 1024, unauthenticated: true };

    /// The longest bulk argument FerrumKV takes whatever `proto-max-bulk-len` says
    /// (1 GiB − 1: what a stored key can hold).
    pub const BULK_CEILING: usize = (1 << 30) - 1;

    /// The limits of a client, authenticated or not, under `proto-max-bulk-len`
    /// `max_bulk` (capped at [`Limits::BULK_CEILING`]).
    pub fn for_client(authenticated: bool, max_bulk: u64) -> Limits {
        if authenticated {
            Limits { max_bulk: (max_bulk.min(Self::BULK_CEILING as u64)) as usize, ..Limits::DEFAULT }
        } else {
            Limits::UNAUTHENTICATED
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A malformed request. The connection replies `-ERR <this>` and closes, as Redis does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// An inline request longer than [`INLINE_MAX`] without a newline.
    TooBigInline,
    /// An inline request with an unterminated quote.
    UnbalancedQuotes,
    /// A `*` header longer than [`INLINE_MAX`].
    TooBigMultibulkCount,
    /// A `*` count that is not a number or is over the limit.
    InvalidMultibulkLength,
    /// A `*` count over the unauthenticated limit.
    UnauthenticatedMultibulkLength,
    /// Something other than `$` where a bulk argument must start.
    ExpectedDollar(u8),
    /// A `$` header longer than [`INLINE_MAX`].
    TooBigBulkCount,
    /// A `$` length that is not a number, is negative, or is over the limit.
    InvalidBulkLength,
    /// A `$` length over the unauthenticated limit.
    UnauthenticatedBulkLength,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Protocol error: ")?;
        match self {
            ProtocolError::TooBigInline => f.write_str("too big inline request"),
            ProtocolError::UnbalancedQuotes => f.write_str("unbalanced quotes in request"),
            ProtocolError::TooBigMultibulkCount => f.write_str("too big mbulk count string"),
            ProtocolError::InvalidMultibulkLength => f.write_str("invalid multibulk length"),
            ProtocolError::UnauthenticatedMultibulkLength => f.write_str("unauthenticated multibulk length"),
            ProtocolError::ExpectedDollar(got) => {
                // A reply line must not contain CR or LF; Redis turns them into spaces.
                let shown = if matches!(got, b'\r' | b'\n') { ' ' } else { *got as char };
                write!(f, "expected '$', got '{shown}'")
            }
            ProtocolError::TooBigBulkCount => f.write_str("too big bulk count string"),
            ProtocolError::InvalidBulkLength => f.write_str("invalid bulk length"),
            ProtocolError::UnauthenticatedBulkLength => f.write_str("unauthenticated bulk length"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Where the parser is inside the current request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between requests.
    Start,
    /// Inside a multibulk, `remaining` arguments still to come.
    Multibulk { remaining: usize },
    /// Inside a multibulk, waiting for a bulk of `len` bytes (plus CRLF).
    Bulk { remaining: usize, len: usize },
}

/// Parses requests out of a connection's read buffer, one at a time.
#[derive(Debug)]
pub struct RequestParser {
    limits: Limits,
    state: State,
    args: Vec<Bytes>,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new(Limits::DEFAULT)
    }
}

impl RequestParser {
    /// A parser that enforces `limits`.
    pub fn new(limits: Limits) -> Self {
        RequestParser { limits, state: State::Start, args: Vec::new() }
    }

    /// Changes the limits (after `AUTH`, the client gets the full ones).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Lets go of the last request's arguments once it has run: they are views into
    /// the input buffer, and a request of many arguments leaves a large vector
    /// behind (a 100,000-member `SADD` holds 3 MB of slots), so memory a command
    /// freed (`UNLINK`) is really back before the client's next command.
    pub fn release_args(&mut self) {
        if self.state == State::Start {
            self.args.clear();
            if self.args.capacity() > ARGS_PREALLOC {
                self.args = Vec::new();
            }
        }
    }

    /// Bytes of the arguments of the request being received (0 between requests):
    /// `CLIENT LIST`'s `argv-mem`.
    pub fn pending_arg_bytes(&self) -> usize {
        if self.state == State::Start {
            0
        } else {
            self.args.iter().map(|a| a.len()).sum()
        }
    }

    /// Whether the parser is in the middle of a request (bytes of it already consumed).
    pub fn is_mid_request(&self) -> bool {
        self.state != State::Start
    }

    /// Consumes the next complete request from `buf` and returns its arguments, or
    /// `None` when `buf` holds no complete request yet (call again after more bytes).
    ///
    /// Empty requests (`*0`, `*-1`, a blank inline line) are skipped, as in Redis.
    pub fn next_request(&mut self, buf: &mut BytesMut) -> Result<Option<&[Bytes]>, ProtocolError> {
        loop {
            match self.state {
                State::Start => {
                    let Some(&first) = buf.first() else { return Ok(None) };
                    self.args.clear();
                    if first != b'*' {
                        match self.parse_inline(buf)? {
                            Some(true) => return Ok(Some(&self.args)),
                            Some(false) => continue,
                            None => return Ok(None),
                        }
                    }
                    let Some(count) = header(buf, ProtocolError::TooBigMultibulkCount)? else {
                        return Ok(None);
                    };
                    let count = count.ok_or(ProtocolError::InvalidMultibulkLength)?;
                    if count > i32::MAX as i64 {
                        return Err(ProtocolError::InvalidMultibulkLength);
                    }
                    if count > self.limits.max_args as i64 {
                        return Err(if self.limits.unauthenticated {
                            ProtocolError::UnauthenticatedMultibulkLength
                        } else {
                            ProtocolError::InvalidMultibulkLength
                        });
                    }
                    if count <= 0 {
                        continue;
                    }
                    let count = count as usize;
                    self.args.reserve(count.min(ARGS_PREALLOC));
                    self.state = State::Multibulk { remaining: count };
                }
                State::Multibulk { remaining: 0 } => {
                    self.state = State::Start;
                    return Ok(Some(&self.args));
                }
                State::Multibulk { remaining } => {
                    let Some(&first) = buf.first() else { return Ok(None) };
                    if first != b'$' {
                        return Err(ProtocolError::ExpectedDollar(first));
                    }
                    let Some(len) = header(buf, ProtocolError::TooBigBulkCount)? else {
                        return Ok(None);
                    };
                    let len = len.filter(|&l| l >= 0).ok_or(ProtocolError::InvalidBulkLength)?;
                    if len > self.limits.max_bulk as i64 {
                        return Err(if self.limits.unauthenticated {
                            ProtocolError::UnauthenticatedBulkLength
                        } else {
                            ProtocolError::InvalidBulkLength
                        });
                    }
                    self.state = State::Bulk { remaining, len: len as usize };
                }
                State::Bulk { remaining, len } => {
                    if buf.len() < len + 2 {
                        return Ok(None);
                    }
                    let arg = buf.split_to(len).freeze();
                    // Like Redis, the two bytes after a bulk are taken as its CRLF.
                    buf.advance(2);
                    self.args.push(arg);
                    self.state = State::Multibulk { remaining: remaining - 1 };
                }
            }
        }
    }

    /// Parses one inline line: `Some(true)` when it held a command, `Some(false)` for
    /// a blank line (consumed), `None` when the newline has not arrived yet.
    fn parse_inline(&mut self, buf: &mut BytesMut) -> Result<Option<bool>, ProtocolError> {
        let Some(newline) = buf.iter().take(INLINE_MAX + 1).position(|&b| b == b'\n') else {
            return if buf.len() > INLINE_MAX { Err(ProtocolError::TooBigInline) } else { Ok(None) };
        };
        let mut line = &buf[..newline];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let words = split_args(line).ok_or(ProtocolError::UnbalancedQuotes)?;
        buf.advance(newline + 1);
        if words.is_empty() {
            return Ok(Some(false));
        }
        self.args.extend(words.into_iter().map(Bytes::from));
        Ok(Some(true))
    }
}

/// Reads a `*N\r\n` or `$N\r\n` header: `Ok(None)` if incomplete, `Ok(Some(None))` if
/// the number is malformed, `Ok(Some(Some(n)))` with the header consumed otherwise.
fn header(buf: &mut BytesMut, too_big: ProtocolError) -> Result<Option<Option<i64>>, ProtocolError> {
    let Some(cr) = buf.iter().take(INLINE_MAX + 1).position(|&b| b == b'\r') else {
        return if buf.len() > INLINE_MAX { Err(too_big) } else { Ok(None) };
    };
    if cr + 1 >= buf.len() {
        return Ok(None);
    }
    let number = parse_i64(&buf[1..cr]);
    buf.advance(cr + 2);
    Ok(Some(number))
}

pub use crate::number::parse_i64;

#[cfg(test)]
mod tests;
