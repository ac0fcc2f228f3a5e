//! The reply encoder: writes replies straight into a connection's output buffer, in
//! RESP2 or, for connections that sent `HELLO 3`, RESP3.
//!
//! Handlers describe a reply by its meaning (a null, a map, a double) and the writer
//! picks the bytes for the connection's protocol, so no handler knows about RESP
//! versions: a RESP3 null is `_`, a RESP2 null is `$-1` (or `*-1` for an array), a map
//! is `%n` or a flat array of `2n`, a double is `,` or a bulk string.

/// Which reply protocol a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, every connection's start.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

impl Protocol {
    /// The number `HELLO` reports (2 or 3).
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// An output buffer plus the protocol to encode in.
#[derive(Debug, Default)]
pub struct ReplyWriter {
    buf: Vec<u8>,
    protocol: Protocol,
}

impl ReplyWriter {
    /// An empty writer for `protocol`.
    pub fn new(protocol: Protocol) -> Self {
        ReplyWriter { buf: Vec::with_capacity(4096), protocol }
    }

    /// The protocol replies are encoded in.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Switches protocol (`HELLO`); applies to every reply written after.
    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
    }

    /// The encoded bytes waiting to be written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The encoded bytes, taking them (a reply built for another connection: a
    /// served blocked client's).
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// How many encoded bytes are waiting.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// The buffer's allocation in bytes.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forgets the written bytes, keeping the allocation (shrinking a huge one).
    pub fn clear(&mut self) {
        self.buf.clear();
        if self.buf.capacity() > 1024 * 1024 {
            self.buf.shrink_to(4096);
        }
    }

    /// Drops everything written after `len` bytes (to retract a half-built reply).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string (`+text`); `text` must not contain CR or LF.
    pub fn simple(&mut self, text: &str) {
        self.line(b'+', text.as_bytes());
    }

    /// An error line (`-ERR text`); `line` holds the code and the message. CR and LF
    /// inside it become spaces, as Redis does, so the reply stays one line.
    pub fn error(&mut self, line: &str) {
        self.buf.push(b'-');
        self.buf.extend(line.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer (`:n`).
    pub fn integer(&mut self, n: i64) {
        self.line(b':', itoa::Buffer::new().format(n).as_bytes());
    }

    /// A bulk string (`$len\r\nbytes`).
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.header(b'$', bytes.len());
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string, or a null when absent.
    pub fn bulk_or_null(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            Some(bytes) => self.bulk(bytes),
            None => self.null(),
        }
    }

    /// A null where a string was expected: RESP2 `$-1`, RESP3 `_`.
    pub fn null(&mut self) {
        match self.protocol {
            Protocol::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// A null where an array was expected: RESP2 `*-1`, RESP3 `_`.
    pub fn null_array(&mut self) {
        match self.protocol {
            Protocol::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// The header of an array of `len` elements, which the caller writes next.
    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// The header of a map of `pairs` key/value pairs: RESP3 `%`, RESP2 a flat array.
    pub fn map(&mut self, pairs: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', pairs * 2),
            Protocol::Resp3 => self.header(b'%', pairs),
        }
    }

    /// The header of a set of `len` members: RESP3 `~`, RESP2 an array.
    pub fn set(&mut self, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', len),
            Protocol::Resp3 => self.header(b'~', len),
        }
    }

    /// A double: RESP3 `,`, RESP2 a bulk string, formatted as Redis does (`inf`,
    /// `-inf`, `nan`, otherwise the shortest text that reads back the same).
    pub fn double(&mut self, value: f64) {
        let text = format_double(value);
        match self.protocol {
            Protocol::Resp2 => self.bulk(text.as_bytes()),
            Protocol::Resp3 => self.line(b',', text.as_bytes()),
        }
    }

    /// A boolean: RESP3 `#t`/`#f`, RESP2 the integers 1/0.
    pub fn boolean(&mut self, value: bool) {
        match self.protocol {
            Protocol::Resp2 => self.integer(value as i64),
            Protocol::Resp3 => self.buf.extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// A verbatim string (RESP3 `=len\r\ntxt:...`, as Redis sends `INFO`), a bulk
    /// string in RESP2.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                self.header(b'=', text.len() + 4);
                self.buf.extend_from_slice(format.as_bytes());
                self.buf.push(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Appends bytes that are already encoded (a queued or cached reply).
    pub fn raw(&mut self, encoded: &[u8]) {
        self.buf.extend_from_slice(encoded);
    }

    fn header(&mut self, kind: u8, len: usize) {
        self.line(kind, itoa::Buffer::new().format(len).as_bytes());
    }

    fn line(&mut self, kind: u8, body: &[u8]) {
        self.buf.push(kind);
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\r\n");
    }
}

/// Formats a double as Redis does in replies: `inf`, `-inf`, `nan`, integers without a
/// fraction, otherwise the shortest decimal that parses back to the same value.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        "nan".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(protocol: Protocol, write: impl FnOnce(&mut ReplyWriter)) -> String {
        let mut w = ReplyWriter::new(protocol);
        write(&mut w);
        String::from_utf8(w.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn resp2_scalars() {
        assert_eq!(encode(Protocol::Resp2, |w| w.ok()), "+OK\r\n");
        assert_eq!(encode(Protocol::Resp2, |w| w.integer(-42)), ":-42\r\n");
        assert_eq!(encode(Protocol::Resp2, |w| w.bulk(b"a\r\nb")), "$4\r\na\r\nb\r\n");
        assert_eq!(encode(Protocol::Resp2, |w| w.null()), "$-1\r\n");
        assert_eq!(encode(Protocol::Resp2, |w| w.null_array()), "*-1\r\n");
        assert_eq!(encode(Protocol::Resp2, |w| w.error("ERR a\r\nb")), "-ERR a  b\r\n");
        assert_eq!(encode(Protocol::Resp2, |w| w.boolean(true)), ":1\r\n");
        assert_eq!(encode(Protocol::Resp2, |w| w.double(1.5)), "$3\r\n1.5\r\n");
    }

    #[test]
    fn resp3_types() {
        assert_eq!(encode(Protocol::Resp3, |w| w.null()), "_\r\n");
        assert_eq!(encode(Protocol::Resp3, |w| w.null_array()), "_\r\n");
        assert_eq!(encode(Protocol::Resp3, |w| w.map(2)), "%2\r\n");
        assert_eq!(encode(Protocol::Resp3, |w| w.set(3)), "~3\r\n");
        assert_eq!(encode(Protocol::Resp3, |w| w.double(-2.25)), ",-2.25\r\n");
        assert_eq!(encode(Protocol::Resp3, |w| w.double(f64::INFINITY)), ",inf\r\n");
        assert_eq!(encode(Protocol::Resp3, |w| w.boolean(false)), "#f\r\n");
        assert_eq!(encode(Protocol::Resp3, |w| w.verbatim("txt", b"hi")), "=6\r\ntxt:hi\r\n");
    }

    #[test]
    fn map_is_a_flat_array_in_resp2() {
        assert_eq!(encode(Protocol::Resp2, |w| w.map(2)), "*4\r\n");
    }
}
