//! Parser tests: every protocol error Redis reports, incremental parsing, and a
//! property test that any command round-trips whole or split at every byte.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;

/// Parses everything in `input` at once: the requests, then the first error if any.
fn parse_all(input: &[u8]) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    parse_with(input, Limits::DEFAULT)
}

fn parse_with(input: &[u8], limits: Limits) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    let mut parser = RequestParser::new(limits);
    let mut buf = BytesMut::from(input);
    let mut out = Vec::new();
    loop {
        match parser.next_request(&mut buf) {
            Ok(Some(args)) => out.push(args.to_vec()),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// Feeds `input` in pieces cut at `cuts`, as separate reads would deliver it.
fn parse_split(input: &[u8], cuts: &[usize]) -> Vec<Vec<Bytes>> {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        buf.extend_from_slice(&input[start..end]);
        start = end;
        while let Some(args) = parser.next_request(&mut buf).expect("valid input") {
            out.push(args.to_vec());
        }
    }
    out
}

fn encode(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn strings(requests: &[Vec<Bytes>]) -> Vec<Vec<String>> {
    requests.iter().map(|r| r.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect()).collect()
}

#[test]
fn parses_multibulk_and_inline() {
    let (reqs, err) = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\n");
    assert_eq!(err, None);
    assert_eq!(strings(&reqs), vec![vec!["GET", "k"], vec!["PING"], vec!["set", "a", "b c"]]);
}

#[test]
fn incomplete_input_waits_for_more() {
    for input in [&b"*2\r\n$3\r\nGET\r\n$1\r\n"[..], b"*2", b"*2\r", b"PING", b"*1\r\n$4\r\nPIN"] {
        let (reqs, err) = parse_all(input);
        assert!(reqs.is_empty() && err.is_none(), "{input:?}");
    }
}

#[test]
fn empty_requests_are_skipped() {
    let (reqs, err) = parse_all(b"*0\r\n*-10\r\n\r\n   \r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(err, None);
    assert_eq!(strings(&reqs), vec![vec!["PING"]]);
}

#[test]
fn protocol_errors_match_redis() {
    let cases: &[(&[u8], &str)] = &[
        (b"*3000000000\r\n", "Protocol error: invalid multibulk length"),
        (b"*1048577\r\n", "Protocol error: invalid multibulk length"),
        (b"*blabla\r\n", "Protocol error: invalid multibulk length"),
        (b"*1\r\n$2000000000\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$blabla\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'"),
        (b"*1\r\n\0foo\r\n", "Protocol error: expected '$', got '\0'"),
        (b"set \"a\r\n", "Protocol error: unbalanced quotes in request"),
    ];
    for (input, text) in cases {
        let (_, err) = parse_all(input);
        assert_eq!(err.map(|e| e.to_string()).as_deref(), Some(*text), "{input:?}");
    }
}

#[test]
fn oversized_headers_and_inline_lines_are_refused() {
    let long = vec![b'a'; INLINE_MAX + 1];
    assert_eq!(parse_all(&long).1, Some(ProtocolError::TooBigInline));
    let mut mbulk = b"*".to_vec();
    mbulk.extend(std::iter::repeat_n(b'1', INLINE_MAX + 1));
    assert_eq!(parse_all(&mbulk).1, Some(ProtocolError::TooBigMultibulkCount));
    let mut bulk = b"*1\r\n$".to_vec();
    bulk.extend(std::iter::repeat_n(b'1', INLINE_MAX + 1));
    assert_eq!(parse_all(&bulk).1, Some(ProtocolError::TooBigBulkCount));
}

#[test]
fn unauthenticated_limits_are_small() {
    let eleven = encode(&vec![b"a".to_vec(); 11]);
    let (_, err) = parse_with(&eleven, Limits::UNAUTHENTICATED);
    assert_eq!(err.unwrap().to_string(), "Protocol error: unauthenticated multibulk length");
    let (_, err) = parse_with(b"*1\r\n$16385\r\n", Limits::UNAUTHENTICATED);
    assert_eq!(err.unwrap().to_string(), "Protocol error: unauthenticated bulk length");
    let (reqs, err) = parse_with(&encode(&vec![b"a".to_vec(); 10]), Limits::UNAUTHENTICATED);
    assert_eq!((reqs.len(), err), (1, None));
}

#[test]
fn declared_lengths_do_not_reserve_memory() {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::from(&b"*1048576\r\n$536870912\r\nabc"[..]);
    assert_eq!(parser.next_request(&mut buf), Ok(None));
    assert!(parser.args.capacity() <= ARGS_PREALLOC);
    assert!(buf.capacity() < 1024 * 1024, "buffer grew to {}", buf.capacity());
}

#[test]
fn integers_parse_like_string2ll() {
    assert_eq!(parse_i64(b"0"), Some(0));
    assert_eq!(parse_i64(b"-12"), Some(-12));
    assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
    assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
    for bad in [&b""[..], b"-", b"01", b"+1", b" 1", b"1 ", b"9223372036854775808", b"1.0"] {
        assert_eq!(parse_i64(bad), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn any_command_round_trips_at_every_split(
        commands in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..5), 1..4),
    ) {
        let input: Vec<u8> = commands.iter().flat_map(|c| encode(c)).collect();
        let expected: Vec<Vec<Bytes>> =
            commands.iter().map(|c| c.iter().map(|a| Bytes::from(a.clone())).collect()).collect();
        let (whole, err) = parse_all(&input);
        prop_assert_eq!(err, None);
        prop_assert_eq!(&whole, &expected);
        for cut in 0..=input.len() {
            prop_assert_eq!(&parse_split(&input, &[cut]), &expected);
        }
        // And one byte at a time, as the slowest sender would deliver it.
        let every: Vec<usize> = (1..input.len()).collect();
        prop_assert_eq!(&parse_split(&input, &every), &expected);
    }
}

#[test]
fn a_big_request_leaves_nothing_behind_once_released() {
    let args: Vec<Vec<u8>> =
        std::iter::once(b"SADD".to_vec()).chain((0..5000).map(|i| i.to_string().into_bytes())).collect();
    let mut buf = BytesMut::from(&encode(&args)[..]);
    let mut parser = RequestParser::new(Limits::for_client(true, 512 << 20));
    let request = parser.next_request(&mut buf).unwrap().unwrap();
    assert_eq!(request.len(), 5001);
    let shared = request[1].clone();
    parser.release_args();
    assert_eq!(parser.args.capacity(), 0, "the big vector is gone");
    // Only the clone still points into the input; the parser holds nothing.
    assert_eq!(&shared[..], b"0");
}
