//! The runner: reads the settings from the environment, starts both servers, sends
//! each generated command to both over its own [`Wire`], compares the replies, and
//! fails the test with every difference it collected (at most [`MAX_DIFFERENCES`]).
//!
//! After a difference the two datasets may have drifted apart, so the runner opens
//! fresh connections and flushes both servers before it goes on; each reported
//! difference is therefore a separate finding, not an echo of the first one.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::check::{self, Deadlines};
use crate::common::{missing_tool, Proto, Server};
use crate::features;
use crate::reference::{self, RedisServer};
use crate::rng::derive;
use crate::step::{Action, Check, Command, Family, Gen, Probe};
use crate::wire::{as_bulk, command_line, escape, is_null, Wire};

/// The most differences one run collects before it stops.
pub const MAX_DIFFERENCES: usize = 20;

/// The most differences collected per generator feature (the others are counted), so
/// one frequent difference does not crowd out the rest.
pub const MAX_PER_FEATURE: usize = 3;

/// Steps per family when `DIFF_OPS` is not set.
pub const DEFAULT_OPS: usize = 3000;

/// The seed when `DIFF_SEED` is not set: drawn from the clock once per process.
static CLOCK_SEED: OnceLock<u64> = OnceLock::new();

/// What a run does, from `DIFF_SEED`, `DIFF_OPS`, `DIFF_SKIP`, `DIFF_ENABLE` and
/// `DIFF_STATS`.
pub struct Settings {
    /// The seed (`DIFF_SEED`, decimal or `0x` hex; default: from the clock).
    pub seed: u64,
    /// Steps per family and protocol (`DIFF_OPS`).
    pub ops: usize,
    /// Features turned off (`DIFF_SKIP`, comma-separated; see [`features`]).
    pub skip: BTreeSet<String>,
    /// Whether to print, at the end, how often each command got each kind of reply
    /// from Redis (`DIFF_STATS=1`): a check that the generator reaches what it should.
    pub stats: bool,
}

impl Settings {
    /// Reads the settings; panics on a malformed value or an unknown feature name.
    pub fn from_env() -> Settings {
        let seed = match std::env::var("DIFF_SEED") {
            Ok(text) => {
                let text = text.trim();
                let parsed = match text.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => text.parse(),
                };
                parsed.unwrap_or_else(|e| panic!("DIFF_SEED={text:?} is not a u64: {e}"))
            }
            // One seed per test process, so the tests of one run share it.
            Err(_) => *CLOCK_SEED.get_or_init(|| {
                let clock =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock");
                clock.as_nanos() as u64 ^ (std::process::id() as u64) << 32
            }),
        };
        let ops = match std::env::var("DIFF_OPS") {
            Ok(text) => {
                text.trim().parse().unwrap_or_else(|e| panic!("DIFF_OPS={text:?} is not a count: {e}"))
            }
            Err(_) => DEFAULT_OPS,
        };
        let names = |var: &str| -> BTreeSet<String> {
            let names: BTreeSet<String> = std::env::var(var)
                .unwrap_or_default()
                .split(',')
                .map(|name| name.trim().to_string())
                .filter(|name| !name.is_empty())
                .collect();
            for name in &names {
                assert!(
                    features::is_known(name),
                    "{var} names an unknown feature {name:?}; known: {}",
                    features::names()
                );
            }
            names
        };
        // Off: what DIFF_SKIP names, and the features of other issues unless
        // DIFF_ENABLE names them.
        let enabled = names("DIFF_ENABLE");
        let mut skip = names("DIFF_SKIP");
        skip.extend(
            features::OFF_BY_DEFAULT.iter().filter(|f| !enabled.contains(**f)).map(|f| f.to_string()),
        );
        let stats = std::env::var_os("DIFF_STATS").is_some_and(|v| v != "0");
        Settings { seed, ops, skip, stats }
    }
}

/// One difference between the servers, with what it takes to replay it.
struct Difference {
    step: usize,
    feature: &'static str,
    /// The commands of the same step that came before (the context).
    before: Vec<String>,
    command: String,
    redis: String,
    ferrum: String,
    note: String,
}

/// What a run found.
struct Found {
    /// The differences collected.
    differences: Vec<Difference>,
    /// How many differences each feature produced (collected or not).
    per_feature: BTreeMap<&'static str, usize>,
    /// Why the run stopped early, if it did (FerrumKV no longer accepting).
    fatal: Option<String>,
}

/// One connection to each server, in the same protocol and (so far) the same state.
struct Pair {
    redis: Wire,
    ferrum: Wire,
}

impl Pair {
    /// Connects to both, switches to RESP3 if asked (the HELLO replies are not compared:
    /// they name different servers), and flushes everything.
    fn connect(redis_port: u16, ferrum_port: u16, proto: Proto) -> Result<Pair, String> {
        let mut redis = Wire::connect(redis_port).map_err(|e| format!("redis-server: {e}"))?;
        let mut ferrum = Wire::connect(ferrum_port).map_err(|e| format!("ferrum-kv: {e}"))?;
        for (name, wire) in [("redis-server", &mut redis), ("ferrum-kv", &mut ferrum)] {
            if proto == Proto::Resp3 {
                let hello =
                    wire.request(&[b"HELLO".to_vec(), b"3".to_vec()]).map_err(|e| format!("{name}: {e}"))?;
                if !hello.starts_with(b"%") {
                    return Err(format!("{name} answered HELLO 3 with {}", escape(&hello)));
                }
            }
            let flushed = wire.request(&[b"FLUSHALL".to_vec()]).map_err(|e| format!("{name}: {e}"))?;
            if flushed != b"+OK\r\n" {
                return Err(format!("{name} answered FLUSHALL with {}", escape(&flushed)));
            }
        }
        Ok(Pair { redis, ferrum })
    }

    /// Sends `command` to both and compares the replies: Redis's reply if they agree,
    /// else both replies (escaped) and a note.
    fn compare(
        &mut self,
        command: &Command,
        deadlines: &Deadlines,
    ) -> Result<Vec<u8>, (String, String, String)> {
        let redis = self
            .redis
            .request(&command.args)
            .unwrap_or_else(|e| panic!("redis-server failed on {}: {e}", command_line(&command.args)));
        let ferrum = match self.ferrum.request(&command.args) {
            Ok(reply) => reply,
            Err(e) => return Err((escape(&redis), e.to_string(), check::hint(command.check, &redis).into())),
        };
        let mut verdict = check::compare(command.check, &redis, &ferrum, deadlines);
        if verdict.is_ok() && command.check == Check::RandomKey {
            verdict = self.random_key_holds(&redis, &ferrum);
        }
        match verdict {
            Ok(()) => Ok(redis),
            Err(note) => {
                let note = [note.as_str(), check::hint(command.check, &redis)].join("; ");
                Err((escape(&redis), escape(&ferrum), note.trim_matches(&[';', ' '][..]).to_string()))
            }
        }
    }

    /// RANDOMKEY's properties on each server: null exactly when `DBSIZE` is 0, else a
    /// key that `EXISTS` there.
    fn random_key_holds(&mut self, redis: &[u8], ferrum: &[u8]) -> Result<(), String> {
        for (name, wire, reply) in
            [("redis-server", &mut self.redis, redis), ("ferrum-kv", &mut self.ferrum, ferrum)]
        {
            let (question, want) = if is_null(reply) {
                (vec![b"DBSIZE".to_vec()], &b":0\r\n"[..])
            } else {
                let key = as_bulk(reply).ok_or_else(|| format!("{name}: RANDOMKEY gave no bulk string"))?;
                (vec![b"EXISTS".to_vec(), key.to_vec()], &b":1\r\n"[..])
            };
            let answer = wire.request(&question).map_err(|e| format!("{name}: {e}"))?;
            if answer != want {
                return Err(format!(
                    "{name}: {} answered {} after RANDOMKEY gave {}",
                    command_line(&question),
                    escape(&answer),
                    escape(reply)
                ));
            }
        }
        Ok(())
    }
}

/// Runs `family` under `proto`: the whole differential test of one family.
pub fn run(family: &Family, proto: Proto) {
    if !reference::available() {
        return missing_tool("redis-server (apt-get install redis-server)");
    }
    let settings = Settings::from_env();
    let label = format!("{}/{:?}", family.name, proto);
    eprintln!(
        "differential {label}: DIFF_SEED={} DIFF_OPS={} DIFF_SKIP={}",
        settings.seed,
        settings.ops,
        settings.skip.iter().cloned().collect::<Vec<_>>().join(",")
    );
    let redis = RedisServer::start();
    let ferrum = Server::start();
    let connect = || Pair::connect(redis.port(), ferrum.port(), proto);
    let mut pair = connect().unwrap_or_else(|e| panic!("{label}: cannot set up the connections: {e}"));
    let mut gen = Gen::new(derive(settings.seed, &label), settings.skip.clone());
    let mut differences = Vec::new();
    let mut per_feature: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut fatal = None;
    let mut stats = BTreeMap::new();
    'steps: for step in 0..settings.ops {
        let actions = gen.step(family, &mut Probe::new(&mut pair.redis));
        let mut before = Vec::new();
        for action in actions {
            let command = match action {
                Action::Sleep(pause) => {
                    std::thread::sleep(pause);
                    continue;
                }
                Action::Send(command) => command,
            };
            let (redis_reply, ferrum_reply, note) = match pair.compare(&command, &gen.deadlines) {
                Ok(reply) => {
                    if settings.stats {
                        tally(&mut stats, &command, &reply);
                    }
                    before.push(command_line(&command.args));
                    continue;
                }
                Err(difference) => difference,
            };
            let seen = per_feature.entry(command.feature).or_insert(0);
            *seen += 1;
            if *seen <= MAX_PER_FEATURE {
                differences.push(Difference {
                    step,
                    feature: command.feature,
                    before,
                    command: command_line(&command.args),
                    redis: redis_reply,
                    ferrum: ferrum_reply,
                    note,
                });
            }
            if differences.len() >= MAX_DIFFERENCES {
                break 'steps;
            }
            match connect() {
                Ok(fresh) => pair = fresh,
                Err(e) => {
                    fatal = Some(format!("after step {step}, no fresh connection: {e}"));
                    break 'steps;
                }
            }
            continue 'steps;
        }
    }
    if settings.stats {
        eprintln!("differential {label}: Redis's replies, by command and kind:");
        for (command, kinds) in &stats {
            let kinds: Vec<String> = kinds.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
            eprintln!("  {command}: {}", kinds.join(", "));
        }
    }
    if differences.is_empty() {
        eprintln!("differential {label}: {} steps, no difference", settings.ops);
        return;
    }
    let found = Found { differences, per_feature, fatal };
    panic!("{}", report(&label, family, proto, &settings, &found, &ferrum.stderr()));
}

/// Counts Redis's `reply` to `command` by kind (errors by their text).
fn tally(stats: &mut BTreeMap<String, BTreeMap<String, usize>>, command: &Command, reply: &[u8]) {
    let kind = match reply.first() {
        Some(b'-') => String::from_utf8_lossy(&reply[..reply.len() - 2]).into_owned(),
        _ if is_null(reply) => "null".to_string(),
        Some(b'+') => String::from_utf8_lossy(&reply[..reply.len() - 2]).into_owned(),
        Some(b':') => if reply.starts_with(b":-") { "negative integer" } else { "integer" }.to_string(),
        Some(b'$') => "bulk".to_string(),
        Some(b'*') => "array".to_string(),
        Some(other) => format!("type {}", *other as char),
        None => "nothing".to_string(),
    };
    *stats.entry(command.name()).or_default().entry(kind).or_default() += 1;
}

/// The failure message: how to replay, the count per feature, then each difference.
fn report(
    label: &str,
    family: &Family,
    proto: Proto,
    settings: &Settings,
    found: &Found,
    stderr: &str,
) -> String {
    let test = format!("{}_{}", family.name, format!("{proto:?}").to_lowercase());
    let total: usize = found.per_feature.values().sum();
    let mut out = format!(
        "\n{total} difference(s) between redis-server and ferrum-kv in {label} (seed {seed}).\n\
         Replay: DIFF_SEED={seed} DIFF_OPS={ops} cargo test --test differential {test}\n\
         Turn generator features off with DIFF_SKIP=name,...; by feature:",
        seed = settings.seed,
        ops = settings.ops,
    );
    for (feature, count) in &found.per_feature {
        let _ = write!(out, " {feature} {count},");
    }
    out.pop();
    let _ = writeln!(out, "\n(at most {MAX_PER_FEATURE} shown per feature, {MAX_DIFFERENCES} in all)");
    for (i, d) in found.differences.iter().enumerate() {
        let _ = writeln!(out, "\n#{} step {} [{}]: {}", i + 1, d.step, d.feature, d.command);
        for earlier in &d.before {
            let _ = writeln!(out, "    (after {earlier})");
        }
        let _ = writeln!(out, "    redis-server: {}", d.redis);
        let _ = writeln!(out, "    ferrum-kv:    {}", d.ferrum);
        if !d.note.is_empty() {
            let _ = writeln!(out, "    note: {}", d.note);
        }
    }
    if let Some(fatal) = &found.fatal {
        let _ = writeln!(out, "\nThe run stopped {fatal}");
    }
    let panics: Vec<&str> = stderr.lines().filter(|line| line.contains("panicked")).take(5).collect();
    if !panics.is_empty() {
        let _ = writeln!(out, "\nferrum-kv's stderr has panics:\n{}", panics.join("\n"));
    }
    out
}
