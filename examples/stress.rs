//! A mixed-workload load generator for FerrumKV (or any Redis-compatible server).
//!
//! ```text
//! cargo run --release --example stress -- --port 6380 --clients 500 --seconds 10
//! ```
//!
//! Every client is one TCP connection speaking RESP2 through the small client below
//! (one request in flight at a time). All clients connect first, then run together
//! for `--seconds`: each request is a `SET` (40 %), `GET` (40 %) or `DEL` (10 %) of a
//! random key out of `--keys`, or an `INCR` (10 %) of one of `--counters` shared
//! counters. All names carry a prefix unique to the run, so earlier data does not
//! interfere.
//!
//! Checks, any failure of which is an error:
//! - every reply has the expected type (`+OK`, an integer, a bulk or null);
//! - a `GET` returns a value written for that very key (values are
//!   `key|client|sequence`);
//! - the `INCR` replies one client sees for one counter strictly increase;
//! - at the end the counters read back sum to the number of acknowledged `INCR`s
//!   exactly;
//! - no connection fails, closes, or leaves a request unanswered for `--timeout-ms`.
//!
//! Prints ops/s, p50/p99/p99.9/max latency and the error count; exits 1 on any error
//! or counter mismatch.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(about = "Mixed SET/GET/INCR/DEL load with exact counter checking")]
struct Args {
    /// Server host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 6380)]
    port: u16,
    /// Concurrent connections.
    #[arg(long, default_value_t = 500)]
    clients: usize,
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Distinct keys for SET/GET/DEL.
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Shared INCR counters.
    #[arg(long, default_value_t = 8)]
    counters: usize,
    /// Longest wait for one reply (or one connect) before it counts as an error.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
}

/// One RESP2 reply.
#[derive(Debug)]
enum Reply {
    Simple(Vec<u8>),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
}

impl Reply {
    /// For error messages: a server error as its text, anything else as is.
    fn describe(&self) -> String {
        match self {
            Reply::Error(text) => format!("error reply -{text}"),
            Reply::Simple(s) => format!("+{}", String::from_utf8_lossy(s)),
            Reply::Integer(n) => format!(":{n}"),
            Reply::Bulk(None) => "null".into(),
            Reply::Bulk(Some(v)) => format!("bulk {:?}", String::from_utf8_lossy(v)),
        }
    }
}

/// A minimal RESP2 client over one tokio TCP connection.
struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    out: Vec<u8>,
    line: Vec<u8>,
}

impl Client {
    async fn connect(addr: &str) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        Ok(Client {
            reader: BufReader::with_capacity(16 * 1024, read),
            writer: write,
            out: Vec::with_capacity(256),
            line: Vec::with_capacity(64),
        })
    }

    /// Sends one command and reads its reply.
    async fn call(&mut self, args: &[&[u8]]) -> Result<Reply, String> {
        self.out.clear();
        self.out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            self.out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            self.out.extend_from_slice(arg);
            self.out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&self.out).await.map_err(|e| format!("write: {e}"))?;
        self.read_reply().await
    }

    /// Reads one header line without its CRLF into `self.line`.
    async fn read_line(&mut self) -> Result<(), String> {
        self.line.clear();
        let n = self.reader.read_until(b'\n', &mut self.line).await.map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed by the server".into());
        }
        if !self.line.ends_with(b"\r\n") {
            return Err(format!("reply line without CRLF: {:?}", String::from_utf8_lossy(&self.line)));
        }
        self.line.truncate(self.line.len() - 2);
        Ok(())
    }

    fn line_number(&self) -> Result<i64, String> {
        std::str::from_utf8(&self.line[1..])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad number in reply: {:?}", String::from_utf8_lossy(&self.line)))
    }

    async fn read_bulk(&mut self) -> Result<Option<Vec<u8>>, String> {
        let len = self.line_number()?;
        if len < 0 {
            return Ok(None);
        }
        let mut data = vec![0; len as usize + 2];
        self.reader.read_exact(&mut data).await.map_err(|e| format!("read bulk: {e}"))?;
        if !data.ends_with(b"\r\n") {
            return Err("bulk reply without CRLF".into());
        }
        data.truncate(len as usize);
        Ok(Some(data))
    }

    /// Reads one reply (the workload gets no arrays: one is an error).
    async fn read_reply(&mut self) -> Result<Reply, String> {
        self.read_line().await?;
        match self.line.first() {
            Some(b'+') => Ok(Reply::Simple(self.line[1..].to_vec())),
            Some(b'-') => Ok(Reply::Error(String::from_utf8_lossy(&self.line[1..]).into_owned())),
            Some(b':') => Ok(Reply::Integer(self.line_number()?)),
            Some(b'$') => Ok(Reply::Bulk(self.read_bulk().await?)),
            _ => Err(format!("unexpected reply: {:?}", String::from_utf8_lossy(&self.line))),
        }
    }
}

/// splitmix64: small, fast, good enough for picking keys.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Log-linear latency histogram in microseconds: exact below 128 µs, then 64
/// sub-buckets per power of two (under 1.6 % error), clamped at 2^40 µs.
#[derive(Clone)]
struct Histogram {
    counts: Vec<u64>,
    max: u64,
}

const MAX_EXP: u32 = 40;

impl Histogram {
    fn new() -> Histogram {
        Histogram { counts: vec![0; 128 + (MAX_EXP as usize - 6) * 64], max: 0 }
    }

    fn index(v: u64) -> usize {
        if v < 128 {
            return v as usize;
        }
        let v = v.min((1 << MAX_EXP) - 1);
        let e = 63 - v.leading_zeros(); // 7..MAX_EXP-1
        let mantissa = (v >> (e - 6)) & 63;
        128 + (e as usize - 7) * 64 + mantissa as usize
    }

    /// The upper end of a bucket, in µs.
    fn upper(index: usize) -> u64 {
        if index < 128 {
            return index as u64;
        }
        let e = (index - 128) / 64 + 7;
        let mantissa = ((index - 128) % 64) as u64;
        ((64 + mantissa + 1) << (e - 6)) - 1
    }

    fn record(&mut self, micros: u64) {
        self.counts[Self::index(micros)] += 1;
        self.max = self.max.max(micros);
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.max = self.max.max(other.max);
    }

    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn percentile(&self, p: f64) -> u64 {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::upper(i).min(self.max);
            }
        }
        self.max
    }
}

/// What one client did.
struct ClientStats {
    sets: u64,
    gets: u64,
    incrs_acked: u64,
    dels: u64,
    errors: u64,
    latency: Histogram,
}

/// The first few error messages of the run, for the report.
struct ErrorLog(Mutex<Vec<String>>);

impl ErrorLog {
    fn push(&self, client: usize, message: String) {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() < 20 {
            log.push(format!("client {client}: {message}"));
        }
    }
}

/// The start line: every client connects and waits at `connected`; the main task
/// then sets `deadline` and everyone passes `go` together.
struct Gates {
    connected: Barrier,
    go: Barrier,
    deadline: Mutex<Option<Instant>>,
}

struct Shared {
    args: Args,
    addr: String,
    prefix: String,
    errors: ErrorLog,
}

fn key_name(prefix: &str, n: u64) -> Vec<u8> {
    format!("{prefix}k:{n}").into_bytes()
}

fn counter_name(prefix: &str, n: usize) -> Vec<u8> {
    format!("{prefix}counter:{n}").into_bytes()
}

async fn run_client(id: usize, shared: Arc<Shared>, gates: Arc<Gates>) -> ClientStats {
    let mut stats =
        ClientStats { sets: 0, gets: 0, incrs_acked: 0, dels: 0, errors: 0, latency: Histogram::new() };
    let timeout = Duration::from_millis(shared.args.timeout_ms);
    let connected = tokio::time::timeout(timeout, Client::connect(&shared.addr)).await;
    // Everyone passes both barriers, connected or not, so nobody waits forever.
    gates.connected.wait().await;
    gates.go.wait().await;
    let mut client = match connected {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            stats.errors += 1;
            shared.errors.push(id, format!("connect: {e}"));
            return stats;
        }
        Err(_) => {
            stats.errors += 1;
            shared.errors.push(id, "connect timed out".into());
            return stats;
        }
    };
    let deadline = gates.deadline.lock().unwrap_or_else(|p| p.into_inner()).expect("deadline set before go");
    let seed = (id as u64).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ std::process::id() as u64;
    let mut rng = Rng(seed ^ deadline.elapsed().as_nanos() as u64);
    let mut last_incr = vec![i64::MIN; shared.args.counters];
    let mut seq = 0u64;
    let prefix = shared.prefix.as_str();

    while Instant::now() < deadline {
        let roll = rng.next() % 100;
        let key_no = rng.next() % shared.args.keys;
        let began = Instant::now();
        let outcome: Result<(), String> = if roll < 40 {
            let key = key_name(prefix, key_no);
            seq += 1;
            let mut value = key.clone();
            value.extend_from_slice(format!("|{id}|{seq}").as_bytes());
            match tokio::time::timeout(timeout, client.call(&[b"SET", &key, &value])).await {
                Ok(Ok(Reply::Simple(s))) if s == b"OK" => {
                    stats.sets += 1;
                    Ok(())
                }
                Ok(Ok(other)) => Err(format!("SET: unexpected reply {}", other.describe())),
                Ok(Err(e)) => Err(format!("SET: {e}")),
                Err(_) => Err("SET: no reply within the timeout".into()),
            }
        } else if roll < 80 {
            let key = key_name(prefix, key_no);
            match tokio::time::timeout(timeout, client.call(&[b"GET", &key])).await {
                Ok(Ok(Reply::Bulk(None))) => {
                    stats.gets += 1;
                    Ok(())
                }
                Ok(Ok(Reply::Bulk(Some(v)))) if v.starts_with(&key) && v.get(key.len()) == Some(&b'|') => {
                    stats.gets += 1;
                    Ok(())
                }
                Ok(Ok(other)) => Err(format!(
                    "GET {}: unexpected reply {}",
                    String::from_utf8_lossy(&key),
                    other.describe()
                )),
                Ok(Err(e)) => Err(format!("GET: {e}")),
                Err(_) => Err("GET: no reply within the timeout".into()),
            }
        } else if roll < 90 {
            let counter = (key_no % shared.args.counters as u64) as usize;
            let name = counter_name(prefix, counter);
            match tokio::time::timeout(timeout, client.call(&[b"INCR", &name])).await {
                Ok(Ok(Reply::Integer(n))) if n > last_incr[counter] && n >= 1 => {
                    last_incr[counter] = n;
                    stats.incrs_acked += 1;
                    Ok(())
                }
                Ok(Ok(Reply::Integer(n))) => {
                    Err(format!("INCR counter {counter}: {n} after {} (not increasing)", last_incr[counter]))
                }
                Ok(Ok(other)) => Err(format!("INCR: unexpected reply {}", other.describe())),
                Ok(Err(e)) => Err(format!("INCR: {e}")),
                Err(_) => Err("INCR: no reply within the timeout (outcome unknown)".into()),
            }
        } else {
            let key = key_name(prefix, key_no);
            match tokio::time::timeout(timeout, client.call(&[b"DEL", &key])).await {
                Ok(Ok(Reply::Integer(0 | 1))) => {
                    stats.dels += 1;
                    Ok(())
                }
                Ok(Ok(other)) => Err(format!("DEL: unexpected reply {}", other.describe())),
                Ok(Err(e)) => Err(format!("DEL: {e}")),
                Err(_) => Err("DEL: no reply within the timeout".into()),
            }
        };
        match outcome {
            Ok(()) => stats.latency.record(began.elapsed().as_micros() as u64),
            Err(message) => {
                stats.errors += 1;
                shared.errors.push(id, message);
                // The connection's state is unknown after a failed request: stop.
                break;
            }
        }
    }
    stats
}

/// Reads the counters back on a fresh connection and deletes the run's keys.
async fn read_counters(shared: &Shared) -> Result<i64, String> {
    let timeout = Duration::from_millis(shared.args.timeout_ms);
    let mut client = tokio::time::timeout(timeout, Client::connect(&shared.addr))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    let mut sum = 0i64;
    for c in 0..shared.args.counters {
        let name = counter_name(&shared.prefix, c);
        let reply = tokio::time::timeout(timeout, client.call(&[b"GET", &name]))
            .await
            .map_err(|_| "GET counter: no reply within the timeout".to_string())??;
        match reply {
            Reply::Bulk(None) => {}
            Reply::Bulk(Some(v)) => {
                let n: i64 = std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    format!("counter {c} is not an integer: {:?}", String::from_utf8_lossy(&v))
                })?;
                sum += n;
            }
            other => return Err(format!("GET counter {c}: unexpected reply {}", other.describe())),
        }
    }
    // Clean up: the counters and the keys, in batches.
    let mut names: Vec<Vec<u8>> =
        (0..shared.args.counters).map(|c| counter_name(&shared.prefix, c)).collect();
    names.extend((0..shared.args.keys).map(|n| key_name(&shared.prefix, n)));
    for batch in names.chunks(1000) {
        let mut args: Vec<&[u8]> = vec![b"DEL"];
        args.extend(batch.iter().map(|n| n.as_slice()));
        tokio::time::timeout(timeout, client.call(&args))
            .await
            .map_err(|_| "DEL (cleanup): no reply within the timeout".to_string())??;
    }
    Ok(sum)
}

fn ms(micros: u64) -> String {
    format!("{:.3}", micros as f64 / 1000.0)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.clients == 0
        || args.keys == 0
        || args.counters == 0
        || args.seconds.is_nan()
        || args.seconds <= 0.0
    {
        eprintln!("--clients, --keys, --counters and --seconds must be positive");
        return ExitCode::from(2);
    }
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let shared = Arc::new(Shared {
        addr: format!("{}:{}", args.host, args.port),
        prefix: format!("stress:{}-{}:", std::process::id(), nanos % 1_000_000_000),
        errors: ErrorLog(Mutex::new(Vec::new())),
        args,
    });
    let a = &shared.args;
    println!(
        "stress: {} clients for {} s against {}; {} keys, {} counters; mix SET 40 % / GET 40 % / INCR 10 % / DEL 10 %",
        a.clients, a.seconds, shared.addr, a.keys, a.counters
    );

    // All clients connect, then the clock starts for everyone at once.
    let gates = Arc::new(Gates {
        connected: Barrier::new(a.clients + 1),
        go: Barrier::new(a.clients + 1),
        deadline: Mutex::new(None),
    });
    let began = Instant::now();
    let tasks: Vec<_> =
        (0..a.clients).map(|id| tokio::spawn(run_client(id, shared.clone(), gates.clone()))).collect();
    gates.connected.wait().await;
    let started = Instant::now();
    *gates.deadline.lock().unwrap_or_else(|p| p.into_inner()) =
        Some(started + Duration::from_secs_f64(a.seconds));
    gates.go.wait().await;
    let connect_time = started - began;

    let mut total =
        ClientStats { sets: 0, gets: 0, incrs_acked: 0, dels: 0, errors: 0, latency: Histogram::new() };
    let mut lost = 0;
    for task in tasks {
        match task.await {
            Ok(s) => {
                total.sets += s.sets;
                total.gets += s.gets;
                total.incrs_acked += s.incrs_acked;
                total.dels += s.dels;
                total.errors += s.errors;
                total.latency.merge(&s.latency);
            }
            Err(e) => {
                lost += 1;
                shared.errors.push(usize::MAX, format!("client task failed: {e}"));
            }
        }
    }
    let elapsed = started.elapsed();
    total.errors += lost;

    let ops = total.sets + total.gets + total.incrs_acked + total.dels;
    println!(
        "connected {} clients in {:.3} s; ran {:.3} s",
        shared.args.clients,
        connect_time.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "ops: {ops} ({} SET, {} GET, {} INCR, {} DEL) = {:.0} ops/s",
        total.sets,
        total.gets,
        total.incrs_acked,
        total.dels,
        ops as f64 / elapsed.as_secs_f64()
    );
    let h = &total.latency;
    println!(
        "latency ms: p50 {}  p99 {}  p99.9 {}  max {}",
        ms(h.percentile(50.0)),
        ms(h.percentile(99.0)),
        ms(h.percentile(99.9)),
        ms(h.max)
    );

    let mut ok = true;
    match read_counters(&shared).await {
        Ok(sum) if sum == total.incrs_acked as i64 => {
            println!("counters: sum {sum} = acknowledged INCRs {}: OK", total.incrs_acked);
        }
        Ok(sum) => {
            ok = false;
            println!("counters: sum {sum} != acknowledged INCRs {}: MISMATCH", total.incrs_acked);
        }
        Err(e) => {
            total.errors += 1;
            shared.errors.push(usize::MAX, format!("reading the counters: {e}"));
        }
    }
    println!("errors: {}", total.errors);
    for line in shared.errors.0.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        println!("  {line}");
    }
    if total.errors > 0 || ops == 0 {
        ok = false;
    }
    if ok {
        println!("result: OK");
        ExitCode::SUCCESS
    } else {
        println!("result: FAILED");
        ExitCode::FAILURE
    }
}
