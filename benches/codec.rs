//! Criterion benches for the wire: parsing a pipelined buffer of requests (bytes/s)
//! and encoding replies.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ferrum_kv::protocol::{Protocol, ReplyWriter, RequestParser};

fn pipelined(commands: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    for i in 0..commands {
        let key = format!("key:{i:012}");
        buf.extend_from_slice(
            format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$16\r\n0123456789abcdef\r\n", key.len()).as_bytes(),
        );
    }
    buf
}

fn parse(c: &mut Criterion) {
    let input = pipelined(1000);
    let mut group = c.benchmark_group("parser");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("1000 pipelined SETs", |b| {
        // A fresh copy per iteration, made just before it is parsed: warm in cache,
        // as a buffer just filled by a socket read is. (Preparing many copies up front
        // timed cold-memory parsing: 76 to 124 µs from run to run on our 2-core box.)
        b.iter_batched(
            || BytesMut::from(&input[..]),
            |mut buf| {
                let mut parser = RequestParser::default();
                let mut count = 0;
                while let Ok(Some(args)) = parser.next_request(&mut buf) {
                    count += args.len();
                }
                count
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encoder");
    group.throughput(Throughput::Elements(1000));
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        group.bench_function(format!("1000 mixed replies {protocol:?}"), |b| {
            let mut out = ReplyWriter::new(protocol);
            b.iter(|| {
                out.clear();
                for i in 0..1000i64 {
                    match i % 4 {
                        0 => out.ok(),
                        1 => out.integer(i),
                        2 => out.bulk(b"0123456789abcdef"),
                        _ => out.null(),
                    }
                }
                out.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse, encode);
criterion_main!(benches);
