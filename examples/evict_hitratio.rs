//! The eviction hit-ratio harness of the cache issue: a cache-aside workload driven
//! over the real wire against FerrumKV or redis-server, plus offline exact LRU and
//! Belady's optimum on the same traces. `scripts/evict-hitratio` runs the whole
//! comparison (a fresh server per run, every policy, every trace) and prints the
//! report; this program is its engine:
//!
//! ```text
//! evict_hitratio calibrate --port P --server ferrum [--ttl 100000] --results F
//! evict_hitratio run       --port P --server ferrum --policy allkeys-ahe --trace zipf-0.99 --per-key-bytes B --results F
//! evict_hitratio offline   --trace zipf-0.99 --results F
//! evict_hitratio report    --results F
//! evict_hitratio traces
//! ```
//!
//! # Workload
//!
//! Keys are `key:%08d` (12 bytes) over `--keys` N distinct ids (default 100,000),
//! values `--value-size` bytes (default 100). For each request: `GET key`; on a miss
//! `SET key value` (with `EX --ttl` when given, so that every key is volatile). To go
//! fast the requests are sent in pipelines of `--batch` (default 64) `GET`s, then the
//! distinct missed keys of that batch are `SET` in a second pipeline followed by one
//! `INFO memory` (the memory sample for the peak). A key that misses twice within
//! one batch counts as two misses where a one-at-a-time client would have hit the
//! second time; the report gives how many such repeats there were.
//!
//! Hits are counted only after the first 10 % of the requests (warm-up).
//!
//! # Traces
//!
//! Fixed and seeded (`--seed`, each trace its own stream derived from it); all
//! `--requests` R long (default 1,000,000). Key id = popularity rank (id 0 hottest).
//!
//! * `zipf-0.8`, `zipf-0.99`, `zipf-1.2`: independent Zipf draws with that exponent,
//!   sampled by binary search in a precomputed CDF.
//! * `hot-shift`: R/10-request phases; in each, 90 % of requests go uniformly to a
//!   hot set of 5 % of N consecutive ids whose position is redrawn at every phase,
//!   10 % uniformly to all N.
//! * `zipf-0.99+scan`: Zipf 0.99, but every R/20 requests end with a sequential scan
//!   of N/20 consecutive ids from the cold half (ids N/2..N, each scan continuing
//!   where the last one stopped, wrapping), so 10 % of the requests are scan.
//!
//! # Cap
//!
//! `calibrate` loads 10,000 keys (same key and value sizes) into an empty, fresh
//! server and measures the growth of `used_memory` per key. `run` sets the policy on
//! a fresh, empty server, reads its `used_memory` (so a policy's fixed tables, such
//! as AHE's ghost list, are part of "empty"), and sets
//! `maxmemory = that + cache-fraction × N × per-key bytes` (default fraction 0.10),
//! so every server holds about 10 % of the keys by its own accounting; `--cap` sets
//! a given cap instead. `run` prints the cost per key held at the end,
//! `(used_memory − empty) / DBSIZE`. `--precondition-keys K` first loads K keys
//! without a cap and flushes them, so that tables a server keeps across FLUSHALL
//! (FerrumKV's shard tables) are grown before "empty" is read: the equal-key-count
//! runs of the script use it. `--rate` paces the requests (for policies whose clock is
//! coarse, such as Redis's 1-second LRU clock).
//!
//! # Offline references
//!
//! For a cache of exactly `cache-fraction × N` keys, on the same trace, same warm-up:
//! exact LRU, Belady's MIN (demand paging: the missed key is always inserted, the
//! resident key used farthest in the future is evicted) and the best static set (the
//! `cache-fraction × N` keys most requested in the measured part; not a realisable
//! policy, just the frequency ceiling).
//!
//! # Results file
//!
//! One record a line, tab-separated `name=value` fields, `kind` = `cal`, `run` or
//! `offline`; `report` turns them into markdown tables.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};

/// The trace names, in report order.
const TRACES: [&str; 5] = ["zipf-0.8", "zipf-0.99", "zipf-1.2", "hot-shift", "zipf-0.99+scan"];
/// Keys loaded to measure the per-key cost.
const CALIBRATION_KEYS: usize = 10_000;

#[derive(Parser, Debug)]
#[command(about = "Cache-aside hit-ratio harness for maxmemory eviction policies")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Measure used_memory per key on a fresh, empty server; prints the bytes per key.
    Calibrate {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        workload: Workload,
        /// Append the result to this file.
        #[arg(long)]
        results: PathBuf,
    },
    /// Drive one trace against a fresh server with one policy.
    Run {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        workload: Workload,
        /// The maxmemory-policy to set.
        #[arg(long)]
        policy: String,
        /// The trace.
        #[arg(long)]
        trace: String,
        /// Cap = empty used_memory (policy set) + cache-fraction × keys × this.
        #[arg(long, conflicts_with = "cap")]
        per_key_bytes: Option<f64>,
        /// A fixed maxmemory in bytes instead.
        #[arg(long)]
        cap: Option<u64>,
        /// Requests per GET pipeline.
        #[arg(long, default_value_t = 64)]
        batch: usize,
        /// Before the run: SET this many keys (no cap), then FLUSHALL, so that the
        /// tables a server keeps after a flush are already grown.
        #[arg(long, default_value_t = 0)]
        precondition_keys: usize,
        /// Pace the requests to at most this many per second (0: as fast as possible).
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// Which set of runs this one belongs to (the report groups by it).
        #[arg(long, default_value = "main")]
        label: String,
        /// Append the result to this file.
        #[arg(long)]
        results: PathBuf,
    },
    /// Exact LRU, Belady's MIN and the best static set, offline.
    Offline {
        #[command(flatten)]
        workload: Workload,
        /// The trace.
        #[arg(long)]
        trace: String,
        /// Append the result to this file.
        #[arg(long)]
        results: PathBuf,
    },
    /// Print the markdown tables from a results file.
    Report {
        /// The results file the other commands appended to.
        #[arg(long)]
        results: PathBuf,
    },
    /// Print the trace names, one a line.
    Traces,
}

#[derive(Args, Debug)]
struct ServerArgs {
    /// Server port on 127.0.0.1.
    #[arg(long)]
    port: u16,
    /// A label for the report: `ferrum` or `redis`.
    #[arg(long)]
    server: String,
    /// Write keys with `EX ttl` (0: no TTL).
    #[arg(long, default_value_t = 0)]
    ttl: u64,
}

#[derive(Args, Debug, Clone)]
struct Workload {
    /// Distinct keys N.
    #[arg(long, default_value_t = 100_000)]
    keys: usize,
    /// Requests R per trace.
    #[arg(long, default_value_t = 1_000_000)]
    requests: usize,
    /// Trace seed.
    #[arg(long, default_value_t = 20_240_601)]
    seed: u64,
    /// Value size in bytes.
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// The cache holds this fraction of the keys.
    #[arg(long, default_value_t = 0.10)]
    cache_fraction: f64,
}

impl Workload {
    fn capacity_keys(&self) -> usize {
        ((self.keys as f64 * self.cache_fraction).round() as usize).max(1)
    }

    fn warmup(&self) -> usize {
        self.requests / 10
    }
}

// ---- randomness and traces -------------------------------------------------------

/// xorshift64*: small, seeded, good enough for workload generation.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, never zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// Zipf over ranks 0..n (rank 0 the most popular) with exponent `s`.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for rank in 1..=n {
            total += (rank as f64).powf(-s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Zipf { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c <= u).min(self.cdf.len() - 1)
    }
}

/// The trace `name` as key ids, regenerated from the seed.
fn generate(name: &str, w: &Workload) -> Result<Vec<u32>, String> {
    let index = TRACES.iter().position(|t| *t == name).ok_or_else(|| format!("unknown trace {name:?}"))?;
    let (n, r) = (w.keys, w.requests);
    if n == 0 || n > u32::MAX as usize || r == 0 {
        return Err("--keys and --requests must be positive (keys < 2^32)".into());
    }
    let mut rng = Rng::new(w.seed ^ (index as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let mut out = Vec::with_capacity(r);
    match name {
        "zipf-0.8" | "zipf-0.99" | "zipf-1.2" => {
            let s: f64 = name["zipf-".len()..].parse().map_err(|e| format!("{e}"))?;
            let zipf = Zipf::new(n, s);
            out.extend((0..r).map(|_| zipf.sample(&mut rng) as u32));
        }
        "hot-shift" => {
            let phase = (r / 10).max(1);
            let hot = (n * 5 / 100).max(1);
            let mut offset = 0;
            for i in 0..r {
                if i % phase == 0 {
                    offset = rng.below(n - hot + 1);
                }
                let id = if rng.unit() < 0.9 { offset + rng.below(hot) } else { rng.below(n) };
                out.push(id as u32);
            }
        }
        "zipf-0.99+scan" => {
            let zipf = Zipf::new(n, 0.99);
            let period = (r / 20).max(1);
            let scan_len = (n / 20).min(period / 2);
            let cold_start = n / 2;
            let cold_len = (n - cold_start).max(1);
            let mut scan_pos = 0;
            for i in 0..r {
                if scan_len > 0 && i % period >= period - scan_len {
                    out.push((cold_start + scan_pos % cold_len) as u32);
                    scan_pos += 1;
                } else {
                    out.push(zipf.sample(&mut rng) as u32);
                }
            }
        }
        _ => unreachable!(),
    }
    Ok(out)
}

fn key_name(id: usize) -> Vec<u8> {
    format!("key:{id:08}").into_bytes()
}

fn value_bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

// ---- a minimal RESP2 client -----------------------------------------------------

#[derive(Debug)]
enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: BufWriter<TcpStream>,
    line: Vec<u8>,
}

impl Conn {
    fn connect(port: u16) -> Result<Conn, String> {
        let stream =
            TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect to {port}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
        let read = stream.try_clone().map_err(|e| e.to_string())?;
        Ok(Conn {
            reader: BufReader::with_capacity(64 * 1024, read),
            writer: BufWriter::with_capacity(64 * 1024, stream),
            line: Vec::new(),
        })
    }

    /// Queues one command.
    fn send(&mut self, args: &[&[u8]]) -> Result<(), String> {
        let w = &mut self.writer;
        let mut put = |b: &[u8]| w.write_all(b).map_err(|e| format!("write: {e}"));
        put(format!("*{}\r\n", args.len()).as_bytes())?;
        for arg in args {
            put(format!("${}\r\n", arg.len()).as_bytes())?;
            put(arg)?;
            put(b"\r\n")?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        self.writer.flush().map_err(|e| format!("write: {e}"))
    }

    fn read_line(&mut self) -> Result<(), String> {
        self.line.clear();
        let n = self.reader.read_until(b'\n', &mut self.line).map_err(|e| format!("read: {e}"))?;
        if n == 0 || !self.line.ends_with(b"\r\n") {
            return Err("connection closed or reply line without CRLF".into());
        }
        self.line.truncate(self.line.len() - 2);
        Ok(())
    }

    fn number(&self) -> Result<i64, String> {
        std::str::from_utf8(&self.line[1..])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad reply line {:?}", String::from_utf8_lossy(&self.line)))
    }

    fn read(&mut self) -> Result<Reply, String> {
        self.read_line()?;
        match self.line.first() {
            Some(b'+') => Ok(Reply::Simple(String::from_utf8_lossy(&self.line[1..]).into_owned())),
            Some(b'-') => Ok(Reply::Error(String::from_utf8_lossy(&self.line[1..]).into_owned())),
            Some(b':') => Ok(Reply::Integer(self.number()?)),
            Some(b'$') => {
                let len = self.number()?;
                if len < 0 {
                    return Ok(Reply::Bulk(None));
                }
                let mut body = vec![0; len as usize + 2];
                self.reader.read_exact(&mut body).map_err(|e| format!("read: {e}"))?;
                body.truncate(len as usize);
                Ok(Reply::Bulk(Some(body)))
            }
            Some(b'*') => {
                let len = self.number()?;
                if len < 0 {
                    return Ok(Reply::Array(None));
                }
                let items = (0..len).map(|_| self.read()).collect::<Result<Vec<_>, _>>()?;
                Ok(Reply::Array(Some(items)))
            }
            _ => Err(format!("unexpected reply {:?}", String::from_utf8_lossy(&self.line))),
        }
    }

    fn call(&mut self, args: &[&[u8]]) -> Result<Reply, String> {
        self.send(args)?;
        self.flush()?;
        self.read()
    }

    fn expect_ok(&mut self, args: &[&[u8]]) -> Result<(), String> {
        match self.call(args)? {
            Reply::Simple(s) if s == "OK" => Ok(()),
            other => Err(format!("{:?}: {other:?}", String::from_utf8_lossy(&args.join(&b' ')))),
        }
    }

    fn integer(&mut self, args: &[&[u8]]) -> Result<i64, String> {
        match self.call(args)? {
            Reply::Integer(n) => Ok(n),
            other => Err(format!("{:?}: {other:?}", String::from_utf8_lossy(&args.join(&b' ')))),
        }
    }

    /// `INFO section` as field → value.
    fn info(&mut self, section: &str) -> Result<BTreeMap<String, String>, String> {
        match self.call(&[b"INFO", section.as_bytes()])? {
            Reply::Bulk(Some(text)) => Ok(parse_info(&text)),
            other => Err(format!("INFO {section}: {other:?}")),
        }
    }
}

fn parse_info(text: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn field_u64(info: &BTreeMap<String, String>, name: &str) -> Result<u64, String> {
    info.get(name).and_then(|v| v.parse().ok()).ok_or_else(|| format!("INFO has no numeric {name}"))
}

/// One line of the results file: `name=value` fields.
type Record = BTreeMap<String, String>;

fn append(path: &Path, fields: &[(&str, String)]) -> Result<(), String> {
    let line: Vec<String> =
        fields.iter().map(|(k, v)| format!("{k}={}", v.replace(['\t', '\n', '\r'], " "))).collect();
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(f, "{}", line.join("\t")).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_record(line: &str) -> Record {
    line.split('\t').filter_map(|f| f.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

// ---- calibrate -------------------------------------------------------------------

fn calibrate(server: &ServerArgs, w: &Workload, results: &Path) -> Result<(), String> {
    let mut conn = Conn::connect(server.port)?;
    if conn.integer(&[b"DBSIZE"])? != 0 {
        return Err("calibration needs an empty server".into());
    }
    std::thread::sleep(Duration::from_millis(200));
    let empty = field_u64(&conn.info("memory")?, "used_memory")?;
    let value = value_bytes(w.value_size);
    let ttl = server.ttl.to_string();
    let ids: Vec<usize> = (0..CALIBRATION_KEYS).collect();
    for chunk in ids.chunks(1000) {
        for &id in chunk {
            let key = key_name(id);
            if server.ttl > 0 {
                conn.send(&[b"SET", &key, &value, b"EX", ttl.as_bytes()])?;
            } else {
                conn.send(&[b"SET", &key, &value])?;
            }
        }
        conn.flush()?;
        for _ in chunk {
            match conn.read()? {
                Reply::Simple(s) if s == "OK" => {}
                other => return Err(format!("SET during calibration: {other:?}")),
            }
        }
    }
    let held = conn.integer(&[b"DBSIZE"])?;
    if held != CALIBRATION_KEYS as i64 {
        return Err(format!("DBSIZE {held} after loading {CALIBRATION_KEYS} keys"));
    }
    std::thread::sleep(Duration::from_millis(200));
    let loaded = field_u64(&conn.info("memory")?, "used_memory")?;
    let per_key = loaded.saturating_sub(empty) as f64 / CALIBRATION_KEYS as f64;
    conn.expect_ok(&[b"FLUSHALL"])?;
    std::thread::sleep(Duration::from_millis(200));
    let flushed = field_u64(&conn.info("memory")?, "used_memory")?;
    let cap = empty + (w.cache_fraction * w.keys as f64 * per_key).round() as u64;
    // What one more key costs once the tables exist (FerrumKV keeps its tables on
    // FLUSHALL; Redis frees its dict, so for Redis this is close to `per_key`).
    let marginal = loaded.saturating_sub(flushed) as f64 / CALIBRATION_KEYS as f64;
    append(
        results,
        &[
            ("kind", "cal".into()),
            ("server", server.server.clone()),
            ("ttl", server.ttl.to_string()),
            ("empty", empty.to_string()),
            ("loaded", loaded.to_string()),
            ("per_key", format!("{per_key:.1}")),
            ("flushed", flushed.to_string()),
            ("marginal", format!("{marginal:.1}")),
            ("cap", cap.to_string()),
            ("keys", w.keys.to_string()),
            ("target", w.capacity_keys().to_string()),
        ],
    )?;
    println!("{per_key:.1} {cap} {marginal:.1}");
    eprintln!(
        "  calibrated {} (ttl {}): empty used_memory {empty}, {CALIBRATION_KEYS} keys -> {loaded}, \
         {per_key:.1} B/key (after FLUSHALL: {flushed}, so {marginal:.1} B/key on top of the tables); \
         cap for an empty {empty}: {cap}",
        server.server, server.ttl
    );
    Ok(())
}

// ---- run ---------------------------------------------------------------------------

struct Deciles {
    hits: [u64; 10],
    lookups: [u64; 10],
}

impl Deciles {
    fn new() -> Deciles {
        Deciles { hits: [0; 10], lookups: [0; 10] }
    }

    fn record(&mut self, i: usize, r: usize, hit: bool) {
        let d = (i * 10 / r).min(9);
        self.lookups[d] += 1;
        self.hits[d] += hit as u64;
    }

    fn render(&self) -> String {
        (0..10)
            .map(|d| format!("{:.2}", 100.0 * self.hits[d] as f64 / self.lookups[d].max(1) as f64))
            .collect::<Vec<_>>()
            .join(",")
    }
}

struct RunSpec<'a> {
    server: &'a ServerArgs,
    workload: &'a Workload,
    policy: &'a str,
    trace: &'a str,
    per_key_bytes: Option<f64>,
    cap: Option<u64>,
    batch: usize,
    rate: f64,
    precondition_keys: usize,
    label: &'a str,
    results: &'a Path,
}

fn config_get(conn: &mut Conn, name: &str) -> Result<String, String> {
    match conn.call(&[b"CONFIG", b"GET", name.as_bytes()])? {
        Reply::Array(Some(items)) => match items.get(1) {
            Some(Reply::Bulk(Some(v))) => Ok(String::from_utf8_lossy(v).into_owned()),
            other => Err(format!("CONFIG GET {name}: {other:?}")),
        },
        other => Err(format!("CONFIG GET {name}: {other:?}")),
    }
}

/// Before the run: SET `precondition_keys` keys without a cap, then FLUSHALL, so that
/// whatever a server keeps after a flush (FerrumKV: its shard tables) has grown to
/// that size.
fn precondition(conn: &mut Conn, spec: &RunSpec, keys: &[Vec<u8>], value: &[u8]) -> Result<(), String> {
    let ids: Vec<usize> = (0..spec.precondition_keys).map(|i| i % keys.len()).collect();
    for chunk in ids.chunks(1000) {
        for &id in chunk {
            conn.send(&[b"SET", &keys[id], value])?;
        }
        conn.flush()?;
        for _ in chunk {
            match conn.read()? {
                Reply::Simple(s) if s == "OK" => {}
                other => return Err(format!("SET while preconditioning: {other:?}")),
            }
        }
    }
    conn.expect_ok(&[b"FLUSHALL"])?;
    conn.expect_ok(&[b"CONFIG", b"RESETSTAT"])?;
    std::thread::sleep(Duration::from_millis(100));
    Ok(())
}

fn run(spec: &RunSpec) -> Result<(), String> {
    let (server, w) = (spec.server, spec.workload);
    let trace = generate(spec.trace, w)?;
    let keys: Vec<Vec<u8>> = (0..w.keys).map(key_name).collect();
    let value = value_bytes(w.value_size);
    let ttl = server.ttl.to_string();
    let r = trace.len();
    let warm = w.warmup();
    let batch = spec.batch.max(1);

    let mut conn = Conn::connect(server.port)?;
    if conn.integer(&[b"DBSIZE"])? != 0 {
        return Err("the run needs an empty server".into());
    }
    if spec.precondition_keys > 0 {
        precondition(&mut conn, spec, &keys, &value)?;
    }
    conn.expect_ok(&[b"CONFIG", b"SET", b"maxmemory-policy", spec.policy.as_bytes()])?;
    std::thread::sleep(Duration::from_millis(100));
    let empty = field_u64(&conn.info("memory")?, "used_memory")?;
    let cap = match (spec.cap, spec.per_key_bytes) {
        (Some(cap), _) => cap,
        (None, Some(b)) => empty + (w.cache_fraction * w.keys as f64 * b).round() as u64,
        (None, None) => return Err("give --per-key-bytes or --cap".into()),
    };
    conn.expect_ok(&[b"CONFIG", b"SET", b"maxmemory", cap.to_string().as_bytes()])?;
    let samples = config_get(&mut conn, "maxmemory-samples")?;
    // Counters before the run (a preconditioned server has counted already; FerrumKV's
    // CONFIG RESETSTAT leaves evicted_keys alone).
    let before = conn.info("stats")?;
    let base = |name: &str| field_u64(&before, name);
    let (evicted0, hits0, misses0) =
        (base("evicted_keys")?, base("keyspace_hits")?, base("keyspace_misses")?);

    let started = Instant::now();
    let (mut hits, mut lookups) = (0u64, 0u64);
    let (mut all_hits, mut all_misses) = (0u64, 0u64);
    let (mut repeat_misses, mut set_errors, mut bad_values) = (0u64, 0u64, 0u64);
    let mut deciles = Deciles::new();
    let mut peak = 0u64;
    let mut memory_samples = 0u64;
    let mut alpha_path: Vec<String> = Vec::new();
    let mut dbsize_path: Vec<String> = Vec::new();
    let mut next_mark = (r / 10).max(1);
    let mut missed: Vec<usize> = Vec::with_capacity(batch);
    let mut first_error = String::new();

    let mut i = 0;
    while i < r {
        let end = (i + batch).min(r);
        for &id in &trace[i..end] {
            conn.send(&[b"GET", &keys[id as usize]])?;
        }
        conn.flush()?;
        missed.clear();
        for (j, &id) in trace[i..end].iter().enumerate() {
            let hit = match conn.read()? {
                Reply::Bulk(Some(v)) => {
                    if v.len() != value.len() {
                        bad_values += 1;
                    }
                    true
                }
                Reply::Bulk(None) => false,
                other => return Err(format!("GET: unexpected reply {other:?}")),
            };
            if hit {
                all_hits += 1;
            } else {
                all_misses += 1;
                if missed.contains(&(id as usize)) {
                    repeat_misses += 1;
                } else {
                    missed.push(id as usize);
                }
            }
            if i + j >= warm {
                lookups += 1;
                hits += hit as u64;
                deciles.record(i + j, r, hit);
            }
        }
        if !missed.is_empty() {
            for &id in &missed {
                if server.ttl > 0 {
                    conn.send(&[b"SET", &keys[id], &value, b"EX", ttl.as_bytes()])?;
                } else {
                    conn.send(&[b"SET", &keys[id], &value])?;
                }
            }
            conn.send(&[b"INFO", b"memory"])?;
            conn.flush()?;
            for _ in &missed {
                match conn.read()? {
                    Reply::Simple(s) if s == "OK" => {}
                    Reply::Error(e) => {
                        set_errors += 1;
                        if first_error.is_empty() {
                            first_error = e;
                        }
                    }
                    other => return Err(format!("SET: unexpected reply {other:?}")),
                }
            }
            match conn.read()? {
                Reply::Bulk(Some(text)) => {
                    peak = peak.max(field_u64(&parse_info(&text), "used_memory")?);
                    memory_samples += 1;
                }
                other => return Err(format!("INFO memory: unexpected reply {other:?}")),
            }
        }
        i = end;
        if spec.rate > 0.0 {
            let due = Duration::from_secs_f64(i as f64 / spec.rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        while i >= next_mark && dbsize_path.len() < 10 {
            let memory = conn.info("memory")?;
            alpha_path.push(memory.get("ahe_alpha").cloned().unwrap_or_else(|| "-".into()));
            dbsize_path.push(conn.integer(&[b"DBSIZE"])?.to_string());
            next_mark += (r / 10).max(1);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    let dbsize = conn.integer(&[b"DBSIZE"])?;
    let stats = conn.info("stats")?;
    let memory = conn.info("memory")?;
    let end_used = field_u64(&memory, "used_memory")?;
    let alpha = memory.get("ahe_alpha").cloned().unwrap_or_else(|| "-".into());
    let evicted = field_u64(&stats, "evicted_keys")?.saturating_sub(evicted0);
    let server_hits = field_u64(&stats, "keyspace_hits")?.saturating_sub(hits0);
    let server_misses = field_u64(&stats, "keyspace_misses")?.saturating_sub(misses0);
    conn.expect_ok(&[b"FLUSHALL"])?;
    std::thread::sleep(Duration::from_millis(100));
    let flushed = field_u64(&conn.info("memory")?, "used_memory")?;
    if server_hits != all_hits || server_misses != all_misses {
        eprintln!(
            "  warning: server counted {server_hits} hits / {server_misses} misses, client {all_hits} / {all_misses}"
        );
    }
    if bad_values > 0 {
        eprintln!("  warning: {bad_values} GET replies had an unexpected length");
    }
    if set_errors > 0 {
        eprintln!("  warning: {set_errors} SETs failed, the first with -{first_error}");
    }
    let ratio = 100.0 * hits as f64 / lookups.max(1) as f64;
    let peak_ratio = 100.0 * peak as f64 / cap.max(1) as f64;
    let steady_per_key = end_used.saturating_sub(empty) as f64 / dbsize.max(1) as f64;
    eprintln!(
        "  {:<11} {:<6} {:<16} {:<15} ttl {:<6} hit {ratio:6.2} %  peak/cap {peak_ratio:6.2} %  keys {dbsize:>6}  \
         evicted {evicted:>7}  alpha {alpha:<5}  {elapsed:5.1} s",
        spec.label, server.server, spec.policy, spec.trace, server.ttl
    );
    println!("{steady_per_key:.1}");
    let or_dash = |v: Vec<String>| if v.iter().all(|a| a == "-") { "-".to_string() } else { v.join(",") };
    append(
        spec.results,
        &[
            ("kind", "run".into()),
            ("label", spec.label.into()),
            ("trace", spec.trace.into()),
            ("server", server.server.clone()),
            ("policy", spec.policy.into()),
            ("ttl", server.ttl.to_string()),
            ("empty", empty.to_string()),
            ("cap", cap.to_string()),
            ("lookups", lookups.to_string()),
            ("hits", hits.to_string()),
            ("peak", peak.to_string()),
            ("memory_samples", memory_samples.to_string()),
            ("dbsize", dbsize.to_string()),
            ("dbsize_path", dbsize_path.join(",")),
            ("evicted", evicted.to_string()),
            ("server_hits", server_hits.to_string()),
            ("server_misses", server_misses.to_string()),
            ("client_hits", all_hits.to_string()),
            ("client_misses", all_misses.to_string()),
            ("repeat_misses", repeat_misses.to_string()),
            ("set_errors", set_errors.to_string()),
            ("first_error", first_error),
            ("alpha", alpha),
            ("alpha_path", or_dash(alpha_path)),
            ("deciles", deciles.render()),
            ("secs", format!("{elapsed:.2}")),
            ("end_used", end_used.to_string()),
            ("flushed", flushed.to_string()),
            ("steady_per_key", format!("{steady_per_key:.1}")),
            ("samples", samples),
            ("batch", batch.to_string()),
            ("rate", spec.rate.to_string()),
            ("precondition_keys", spec.precondition_keys.to_string()),
        ],
    )
}

// ---- offline references ------------------------------------------------------------

/// Exact LRU with room for `capacity` keys.
fn exact_lru(trace: &[u32], n: usize, capacity: usize, warm: usize) -> (u64, u64, Deciles) {
    let mut last = vec![u64::MAX; n];
    let mut order: BTreeSet<(u64, u32)> = BTreeSet::new();
    let (mut hits, mut lookups) = (0, 0);
    let mut deciles = Deciles::new();
    for (i, &k) in trace.iter().enumerate() {
        let hit = last[k as usize] != u64::MAX;
        if hit {
            order.remove(&(last[k as usize], k));
        } else if order.len() == capacity {
            let (_, victim) = order.pop_first().expect("full cache");
            last[victim as usize] = u64::MAX;
        }
        order.insert((i as u64, k));
        last[k as usize] = i as u64;
        if i >= warm {
            lookups += 1;
            hits += hit as u64;
            deciles.record(i, trace.len(), hit);
        }
    }
    (hits, lookups, deciles)
}

/// Belady's MIN with room for `capacity` keys (the missed key is always inserted).
fn belady(trace: &[u32], n: usize, capacity: usize, warm: usize) -> (u64, u64, Deciles) {
    let never = u64::MAX;
    let mut next_use = vec![never; trace.len()];
    let mut seen = vec![never; n];
    for i in (0..trace.len()).rev() {
        let k = trace[i] as usize;
        next_use[i] = seen[k];
        seen[k] = i as u64;
    }
    // resident[k]: the key's next use while it is cached.
    let mut resident = vec![None::<u64>; n];
    let mut by_next: BTreeSet<(u64, u32)> = BTreeSet::new();
    let (mut hits, mut lookups) = (0, 0);
    let mut deciles = Deciles::new();
    for (i, &k) in trace.iter().enumerate() {
        let hit = match resident[k as usize] {
            Some(next) => {
                by_next.remove(&(next, k));
                true
            }
            None => {
                if by_next.len() == capacity {
                    let (_, victim) = by_next.pop_last().expect("full cache");
                    resident[victim as usize] = None;
                }
                false
            }
        };
        by_next.insert((next_use[i], k));
        resident[k as usize] = Some(next_use[i]);
        if i >= warm {
            lookups += 1;
            hits += hit as u64;
            deciles.record(i, trace.len(), hit);
        }
    }
    (hits, lookups, deciles)
}

/// The best fixed set of `capacity` keys for the measured part of the trace.
fn best_static(trace: &[u32], n: usize, capacity: usize, warm: usize) -> (u64, u64) {
    let mut count = vec![0u64; n];
    for &k in &trace[warm..] {
        count[k as usize] += 1;
    }
    count.sort_unstable_by(|a, b| b.cmp(a));
    (count.iter().take(capacity).sum(), (trace.len() - warm) as u64)
}

fn offline(w: &Workload, trace_name: &str, results: &Path) -> Result<(), String> {
    let trace = generate(trace_name, w)?;
    let c = w.capacity_keys();
    let warm = w.warmup();
    let distinct = {
        let mut seen = vec![false; w.keys];
        trace.iter().filter(|&&k| !std::mem::replace(&mut seen[k as usize], true)).count()
    };
    let (lh, ll, ld) = exact_lru(&trace, w.keys, c, warm);
    let (bh, bl, bd) = belady(&trace, w.keys, c, warm);
    let (sh, sl) = best_static(&trace, w.keys, c, warm);
    for (name, h, l, d) in [
        ("exact-lru", lh, ll, ld.render()),
        ("belady", bh, bl, bd.render()),
        ("best-static", sh, sl, "-".to_string()),
    ] {
        append(
            results,
            &[
                ("kind", "offline".into()),
                ("trace", trace_name.into()),
                ("name", name.into()),
                ("capacity", c.to_string()),
                ("lookups", l.to_string()),
                ("hits", h.to_string()),
                ("deciles", d),
                ("distinct", distinct.to_string()),
            ],
        )?;
    }
    eprintln!(
        "  offline {trace_name:<15} ({distinct} distinct keys, cache {c}): exact LRU {:.2} %, Belady {:.2} %, \
         best static set {:.2} %",
        100.0 * lh as f64 / ll as f64,
        100.0 * bh as f64 / bl as f64,
        100.0 * sh as f64 / sl as f64
    );
    Ok(())
}

// ---- report ------------------------------------------------------------------------

fn num(r: &Record, name: &str) -> f64 {
    r.get(name).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

fn text<'a>(r: &'a Record, name: &str) -> &'a str {
    r.get(name).map(String::as_str).unwrap_or("")
}

fn hit_ratio(r: &Record) -> f64 {
    100.0 * num(r, "hits") / num(r, "lookups").max(1.0)
}

fn server_label(server: &str) -> &str {
    match server {
        "ferrum" => "FerrumKV",
        "redis" => "redis-server",
        other => other,
    }
}

/// A row of the tables: server, policy, TTL.
type RowKey = (String, String, String);

fn row_key(r: &Record) -> RowKey {
    (text(r, "server").into(), text(r, "policy").into(), text(r, "ttl").into())
}

fn row_label(k: &RowKey) -> String {
    if k.2 != "0" && !k.2.is_empty() {
        format!("{} {} (SET … EX {})", server_label(&k.0), k.1, k.2)
    } else {
        format!("{} {}", server_label(&k.0), k.1)
    }
}

fn offline_label(name: &str, capacity: &str) -> String {
    match name {
        "exact-lru" => format!("offline: exact LRU ({capacity} keys)"),
        "belady" => format!("offline: Belady MIN ({capacity} keys)"),
        "best-static" => format!("offline: best static set ({capacity} keys)"),
        other => other.to_string(),
    }
}

struct Results {
    cals: Vec<Record>,
    runs: Vec<Record>,
    offline: Vec<Record>,
    traces: Vec<&'static str>,
}

impl Results {
    fn rows(&self, label: &str) -> Vec<RowKey> {
        let mut out: Vec<RowKey> = Vec::new();
        for r in self.runs.iter().filter(|r| text(r, "label") == label) {
            let k = row_key(r);
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }

    fn run(&self, label: &str, k: &RowKey, trace: &str) -> Option<&Record> {
        self.runs
            .iter()
            .rev()
            .find(|r| text(r, "label") == label && text(r, "trace") == trace && row_key(r) == *k)
    }

    fn offline(&self, name: &str, trace: &str) -> Option<&Record> {
        self.offline.iter().rev().find(|r| text(r, "name") == name && text(r, "trace") == trace)
    }

    fn header(&self, first: &str) {
        println!("| {first} | {} |", self.traces.join(" | "));
        println!("|---|{}", "---:|".repeat(self.traces.len()));
    }

    /// One table, rows = the label's runs, cells = `cell(run)`.
    fn table(&self, label: &str, cell: &dyn Fn(&Record) -> String) {
        self.header("policy");
        for k in self.rows(label) {
            let cells: Vec<String> = self
                .traces
                .iter()
                .map(|t| self.run(label, &k, t).map(cell).unwrap_or_else(|| "–".into()))
                .collect();
            println!("| {} | {} |", row_label(&k), cells.join(" | "));
        }
    }

    fn offline_rows(&self) {
        for name in ["exact-lru", "belady", "best-static"] {
            let Some(any) = self.offline.iter().find(|o| text(o, "name") == name) else { continue };
            let cells: Vec<String> = self
                .traces
                .iter()
                .map(|t| {
                    self.offline(name, t)
                        .map(|o| format!("{:.2}", hit_ratio(o)))
                        .unwrap_or_else(|| "–".into())
                })
                .collect();
            println!("| {} | {} |", offline_label(name, text(any, "capacity")), cells.join(" | "));
        }
    }

    fn hit_table(&self, label: &str) {
        let best_online: Vec<f64> = self
            .traces
            .iter()
            .map(|t| {
                self.rows(label)
                    .iter()
                    .filter_map(|k| self.run(label, k, t))
                    .map(hit_ratio)
                    .fold(f64::MIN, f64::max)
            })
            .collect();
        self.header("policy");
        for k in self.rows(label) {
            let cells: Vec<String> = self
                .traces
                .iter()
                .zip(&best_online)
                .map(|(t, best)| match self.run(label, &k, t) {
                    Some(r) if hit_ratio(r) >= *best - 1e-9 => format!("**{:.2}**", hit_ratio(r)),
                    Some(r) => format!("{:.2}", hit_ratio(r)),
                    None => "–".into(),
                })
                .collect();
            println!("| {} | {} |", row_label(&k), cells.join(" | "));
        }
        self.offline_rows();
    }

    /// allkeys-ahe against the best redis-server policy and the offline bounds.
    fn verdict(&self, label: &str) {
        let ahe: RowKey = ("ferrum".into(), "allkeys-ahe".into(), "0".into());
        let rows = self.rows(label);
        if !rows.contains(&ahe) {
            return;
        }
        println!(
            "| trace | allkeys-ahe % | best redis-server % (policy) | AHE − best Redis (points) | \
             best FerrumKV non-AHE % (policy) | exact LRU % | Belady % | share of the exact-LRU→Belady gap AHE closes |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        for t in &self.traces {
            let Some(a) = self.run(label, &ahe, t) else { continue };
            let best = |server: &str| {
                rows.iter()
                    .filter(|k| k.0 == server && k.1 != "allkeys-ahe" && k.1 != "volatile-ahe")
                    .filter_map(|k| self.run(label, k, t))
                    .max_by(|x, y| hit_ratio(x).total_cmp(&hit_ratio(y)))
            };
            let show = |r: Option<&Record>| {
                r.map(|r| format!("{:.2} ({})", hit_ratio(r), text(r, "policy")))
                    .unwrap_or_else(|| "–".into())
            };
            let lru = self.offline("exact-lru", t).map(hit_ratio);
            let opt = self.offline("belady", t).map(hit_ratio);
            let fmt = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
            let closed = match (lru, opt) {
                (Some(l), Some(o)) if o > l => format!("{:.0} %", 100.0 * (hit_ratio(a) - l) / (o - l)),
                _ => "–".into(),
            };
            let redis = best("redis");
            println!(
                "| {t} | {:.2} | {} | {} | {} | {} | {} | {closed} |",
                hit_ratio(a),
                show(redis),
                redis.map(|b| format!("{:+.2}", hit_ratio(a) - hit_ratio(b))).unwrap_or_else(|| "–".into()),
                show(best("ferrum")),
                fmt(lru),
                fmt(opt)
            );
        }
    }

    fn deciles(&self, label: &str, trace: &str, field: &str, offline: bool) {
        println!("| policy | {} |", (1..=10).map(|d| format!("{d}0 %")).collect::<Vec<_>>().join(" | "));
        println!("|---|{}", "---:|".repeat(10));
        for k in self.rows(label) {
            if let Some(r) = self.run(label, &k, trace) {
                println!("| {} | {} |", row_label(&k), text(r, field).replace(',', " | "));
            }
        }
        if offline {
            for name in ["exact-lru", "belady"] {
                if let Some(o) = self.offline(name, trace) {
                    println!(
                        "| {} | {} |",
                        offline_label(name, text(o, "capacity")),
                        text(o, "deciles").replace(',', " | ")
                    );
                }
            }
        }
    }
}

fn report(path: &Path) -> Result<(), String> {
    let content = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let records: Vec<Record> = content.lines().map(parse_record).collect();
    let of_kind =
        |kind: &str| records.iter().filter(|r| text(r, "kind") == kind).cloned().collect::<Vec<_>>();
    let (runs, offline) = (of_kind("run"), of_kind("offline"));
    let traces = TRACES
        .iter()
        .copied()
        .filter(|t| runs.iter().chain(&offline).any(|r| text(r, "trace") == *t))
        .collect();
    let res = Results { cals: of_kind("cal"), runs, offline, traces };
    let peak_pct = |r: &Record| format!("{:.2}", 100.0 * num(r, "peak") / num(r, "cap").max(1.0));

    println!("## Calibration: used_memory growth per key ({CALIBRATION_KEYS} keys, fresh empty server)");
    println!();
    println!(
        "| server | keys written with | empty used_memory | after {CALIBRATION_KEYS} keys | bytes/key | \
         after FLUSHALL | bytes/key on top of kept tables | cap for this empty figure | target |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for c in &res.cals {
        let with = if text(c, "ttl") == "0" {
            "SET k v".to_string()
        } else {
            format!("SET k v EX {}", text(c, "ttl"))
        };
        println!(
            "| {} | {with} | {} | {} | {} | {} | {} | {} | {} keys (10 % of {}) |",
            server_label(text(c, "server")),
            text(c, "empty"),
            text(c, "loaded"),
            text(c, "per_key"),
            text(c, "flushed"),
            text(c, "marginal"),
            text(c, "cap"),
            text(c, "target"),
            text(c, "keys")
        );
    }
    println!();
    println!("Caps actually used (cap = empty used_memory measured on the fresh server right after `CONFIG SET maxmemory-policy`, + 10 % × N × bytes/key):");
    println!();
    println!("| run set | policy | empty used_memory (policy set) | cap |");
    println!("|---|---|---:|---:|");
    for label in ["main", "common-cap", "equal-keys"] {
        for k in res.rows(label) {
            let rs: Vec<&Record> =
                res.runs.iter().filter(|r| text(r, "label") == label && row_key(r) == k).collect();
            let range = |f: &str| {
                let lo = rs.iter().map(|r| num(r, f)).fold(f64::MAX, f64::min);
                let hi = rs.iter().map(|r| num(r, f)).fold(f64::MIN, f64::max);
                if lo == hi {
                    format!("{lo:.0}")
                } else {
                    format!("{lo:.0}–{hi:.0}")
                }
            };
            println!("| {label} | {} | {} | {} |", row_label(&k), range("empty"), range("cap"));
        }
    }
    println!();

    println!("## Hit ratio % (requests after the first 10 %; best online policy per trace in bold)");
    println!();
    res.hit_table("main");
    println!();
    println!("## Peak used_memory / cap % (INFO memory after every batch's SETs)");
    println!();
    res.table("main", &peak_pct);
    println!();
    println!(
        "## Keys held at the end (DBSIZE; the target is {} keys)",
        res.cals.first().map(|c| text(c, "target")).unwrap_or("?")
    );
    println!();
    res.table("main", &|r| text(r, "dbsize").to_string());
    println!();
    if res.traces.contains(&"zipf-0.99") {
        println!("Keys held after each 10 % of the requests, zipf-0.99:");
        println!();
        res.deciles("main", "zipf-0.99", "dbsize_path", false);
        println!();
        println!(
            "Cost per key held at the end, `(used_memory − empty) / DBSIZE`, bytes (calibration: see above):"
        );
        println!();
        res.table("main", &|r| text(r, "steady_per_key").to_string());
        println!();
        println!("used_memory after a FLUSHALL at the end of the run (what the emptied server keeps: tables, pools):");
        println!();
        res.table("main", &|r| text(r, "flushed").to_string());
        println!();
    }

    let ahe_rows: Vec<RowKey> = res.rows("main").into_iter().filter(|k| k.1.ends_with("-ahe")).collect();
    if !ahe_rows.is_empty() {
        println!("## AHE: ahe_alpha (1 = pure recency, 0 = pure frequency; starts at 0.5)");
        println!();
        println!("| run | trace | final alpha | alpha after each 10 % of the requests |");
        println!("|---|---|---:|---|");
        for k in &ahe_rows {
            for t in &res.traces {
                if let Some(r) = res.run("main", k, t) {
                    println!(
                        "| {} | {t} | {} | {} |",
                        row_label(k),
                        text(r, "alpha"),
                        text(r, "alpha_path").replace(',', ", ")
                    );
                }
            }
        }
        println!();
    }

    println!("## allkeys-ahe against the best redis-server policy and the offline bounds");
    println!();
    res.verdict("main");
    println!();

    for t in ["hot-shift", "zipf-0.99+scan"] {
        if res.traces.contains(&t) {
            println!("## {t}: hit ratio % in each 10 % of the requests (the first is the uncounted warm-up)");
            println!();
            res.deciles("main", t, "deciles", true);
            println!();
        }
    }

    if !res.rows("common-cap").is_empty() {
        println!("## AHE under the cap calibrated without AHE's fixed tables");
        println!();
        println!(
            "The same cap as the other FerrumKV allkeys runs (empty used_memory measured before choosing the policy):"
        );
        println!();
        println!("| run | trace | cap | empty used_memory with AHE chosen | hit ratio % | keys at the end | SET errors | first error |");
        println!("|---|---|---:|---:|---:|---:|---:|---|");
        for k in res.rows("common-cap") {
            for t in &res.traces {
                if let Some(r) = res.run("common-cap", &k, t) {
                    println!(
                        "| {} | {t} | {} | {} | {:.2} | {} | {} | {} |",
                        row_label(&k),
                        text(r, "cap"),
                        text(r, "empty"),
                        hit_ratio(r),
                        text(r, "dbsize"),
                        text(r, "set_errors"),
                        text(r, "first_error")
                    );
                }
            }
        }
        println!();
    }

    if !res.rows("equal-keys").is_empty() {
        println!("## Supplement: equal key counts (tables grown before the run)");
        println!();
        let pre = res
            .runs
            .iter()
            .find(|r| text(r, "label") == "equal-keys")
            .map(|r| text(r, "precondition_keys").to_string())
            .unwrap_or_default();
        println!(
            "Each server is first loaded with {pre} keys (no cap), then FLUSHALL: FerrumKV keeps its shard \
             tables at the size they grew to (as eviction churn grows them in the main runs), Redis frees \
             its dict. The run's cap is the used_memory after that + 10 % × N × what one more key costs on \
             top of what the flush kept (FerrumKV: the calibration's bytes/key on top of kept tables; Redis: \
             its calibration bytes/key), so that both servers hold about the target number of keys and the \
             comparison is about the policies' choices:"
        );
        println!();
        res.hit_table("equal-keys");
        println!();
        println!("Keys held at the end:");
        println!();
        res.table("equal-keys", &|r| text(r, "dbsize").to_string());
        println!();
        if res.traces.contains(&"zipf-0.99") {
            println!("Keys held after each 10 % of the requests, zipf-0.99:");
            println!();
            res.deciles("equal-keys", "zipf-0.99", "dbsize_path", false);
            println!();
        }
        println!("Peak used_memory / cap %:");
        println!();
        res.table("equal-keys", &peak_pct);
        println!();
        println!("allkeys-ahe against the best redis-server policy at equal key counts:");
        println!();
        res.verdict("equal-keys");
        println!();
        let ahe: RowKey = ("ferrum".into(), "allkeys-ahe".into(), "0".into());
        if res.rows("equal-keys").contains(&ahe) {
            println!("ahe_alpha after each 10 % of the requests at equal key counts:");
            println!();
            println!("| trace | final alpha | alpha after each 10 % |");
            println!("|---|---:|---|");
            for t in &res.traces {
                if let Some(r) = res.run("equal-keys", &ahe, t) {
                    println!("| {t} | {} | {} |", text(r, "alpha"), text(r, "alpha_path").replace(',', ", "));
                }
            }
            println!();
        }
    }

    println!("## Run details");
    println!();
    println!(
        "| set | run | trace | evicted_keys | keyspace hits/misses (= client's?) | repeat misses in a batch | \
         SET errors | memory samples | maxmemory-samples | seconds | requests/s |"
    );
    println!("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|");
    let mut total = 0.0;
    for r in &res.runs {
        total += num(r, "secs");
        let agree = if text(r, "server_hits") == text(r, "client_hits")
            && text(r, "server_misses") == text(r, "client_misses")
        {
            "yes"
        } else {
            "NO"
        };
        let requests = num(r, "client_hits") + num(r, "client_misses");
        println!(
            "| {} | {} | {} | {} | {}/{} ({agree}) | {} ({:.3} %) | {} | {} | {} | {} | {:.0}{} |",
            text(r, "label"),
            row_label(&row_key(r)),
            text(r, "trace"),
            text(r, "evicted"),
            text(r, "server_hits"),
            text(r, "server_misses"),
            text(r, "repeat_misses"),
            100.0 * num(r, "repeat_misses") / requests.max(1.0),
            text(r, "set_errors"),
            text(r, "memory_samples"),
            text(r, "samples"),
            text(r, "secs"),
            requests / num(r, "secs").max(1e-9),
            if num(r, "rate") > 0.0 { " (paced)" } else { "" }
        );
    }
    println!();
    println!("Sum of the runs' trace-driving time: {:.0} s.", total);
    let distinct: Vec<String> = res
        .traces
        .iter()
        .filter_map(|t| res.offline("belady", t).map(|o| format!("{t}: {}", text(o, "distinct"))))
        .collect();
    if !distinct.is_empty() {
        println!("Distinct keys requested per trace: {}.", distinct.join(", "));
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Calibrate { server, workload, results } => calibrate(server, workload, results),
        Command::Run {
            server,
            workload,
            policy,
            trace,
            per_key_bytes,
            cap,
            batch,
            rate,
            precondition_keys,
            label,
            results,
        } => run(&RunSpec {
            server,
            workload,
            policy,
            trace,
            per_key_bytes: *per_key_bytes,
            cap: *cap,
            batch: *batch,
            rate: *rate,
            precondition_keys: *precondition_keys,
            label,
            results,
        }),
        Command::Offline { workload, trace, results } => offline(workload, trace, results),
        Command::Report { results } => report(results),
        Command::Traces => {
            for t in TRACES {
                println!("{t}");
            }
            Ok(())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evict_hitratio: {e}");
            ExitCode::FAILURE
        }
    }
}
