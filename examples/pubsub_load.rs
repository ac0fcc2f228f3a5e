//! Pub/Sub load for `scripts/bench-pubsub.sh`, against any Redis-compatible server.
//!
//! ```text
//! pubsub_load fanout PORT SUBSCRIBERS MESSAGES [PUBLISHERS]
//! pubsub_load drain PORT PATTERN SECONDS
//! ```
//!
//! `fanout`: SUBSCRIBERS connections subscribe to one channel; PUBLISHERS
//! connections (default 1) publish MESSAGES messages of 16 bytes between them,
//! pipelined 100 at a time; the run ends when every subscriber has read every
//! message. Prints `deliveries=N seconds=S deliveries_per_sec=R`.
//!
//! `drain`: one connection `PSUBSCRIBE`s PATTERN and reads (and discards)
//! everything for SECONDS, then prints `messages_bytes=N` (so keyspace
//! notifications can be consumed while redis-benchmark runs).
//!
//! Loopback only, bounded by its arguments; no timing is asserted.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PAYLOAD: &[u8] = b"0123456789abcdef";
const CHANNEL: &[u8] = b"bench";

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The bytes of one `message` frame for CHANNEL and PAYLOAD.
fn frame_len() -> usize {
    let parts: [&[u8]; 3] = [b"message", CHANNEL, PAYLOAD];
    4 + parts.iter().map(|p| format!("${}\r\n", p.len()).len() + p.len() + 2).sum::<usize>()
}

async fn read_exactly(stream: &mut TcpStream, mut want: usize, buf: &mut [u8]) -> std::io::Result<()> {
    while want > 0 {
        let room = want.min(buf.len());
        let n = stream.read(&mut buf[..room]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        want -= n;
    }
    Ok(())
}

async fn fanout(port: u16, subscribers: usize, messages: usize, publishers: usize) {
    let subscribe = command(&[b"SUBSCRIBE", CHANNEL]);
    let confirmation =
        format!("*3\r\n$9\r\nsubscribe\r\n${}\r\n", CHANNEL.len()).len() + CHANNEL.len() + 2 + 4;
    let mut ready = Vec::new();
    for _ in 0..subscribers {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        stream.set_nodelay(true).ok();
        stream.write_all(&subscribe).await.expect("subscribe");
        let mut buf = vec![0u8; confirmation];
        read_exactly(&mut stream, confirmation, &mut buf).await.expect("subscribed");
        ready.push(stream);
    }
    let total = messages * frame_len();
    let readers: Vec<_> = ready
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 256 * 1024];
                read_exactly(&mut stream, total, &mut buf).await.expect("messages");
            })
        })
        .collect();
    let started = Instant::now();
    let per_publisher = messages / publishers;
    let writers: Vec<_> = (0..publishers)
        .map(|i| {
            let count = if i == 0 { messages - per_publisher * (publishers - 1) } else { per_publisher };
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
                stream.set_nodelay(true).ok();
                let one = command(&[b"PUBLISH", CHANNEL, PAYLOAD]);
                let reply = format!(":{subscribers}\r\n").len();
                let mut buf = vec![0u8; 64 * 1024];
                let mut left = count;
                while left > 0 {
                    let batch = left.min(100);
                    stream.write_all(&one.repeat(batch)).await.expect("publish");
                    read_exactly(&mut stream, batch * reply, &mut buf).await.expect("publish replies");
                    left -= batch;
                }
            })
        })
        .collect();
    for task in writers.into_iter().chain(readers) {
        task.await.expect("task");
    }
    let seconds = started.elapsed().as_secs_f64();
    let deliveries = messages * subscribers;
    println!(
        "deliveries={deliveries} seconds={seconds:.3} deliveries_per_sec={:.0}",
        deliveries as f64 / seconds
    );
}

async fn drain(port: u16, pattern: &str, seconds: u64) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    stream.write_all(&command(&[b"PSUBSCRIBE", pattern.as_bytes()])).await.expect("psubscribe");
    let mut buf = vec![0u8; 256 * 1024];
    let mut bytes = 0usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => bytes += n,
        }
    }
    println!("messages_bytes={bytes}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: pubsub_load fanout PORT SUBSCRIBERS MESSAGES [PUBLISHERS] | drain PORT PATTERN SECONDS";
    let number = |i: usize| -> usize { args.get(i).and_then(|a| a.parse().ok()).expect(usage) };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    match args.get(1).map(String::as_str) {
        Some("fanout") => runtime.block_on(fanout(
            number(2) as u16,
            number(3),
            number(4),
            args.get(5).and_then(|a| a.parse().ok()).unwrap_or(1),
        )),
        Some("drain") => {
            runtime.block_on(drain(number(2) as u16, args.get(3).expect(usage), number(4) as u64))
        }
        _ => panic!("{usage}"),
    }
}
