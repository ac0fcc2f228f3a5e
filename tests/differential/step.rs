//! The vocabulary shared by the generators and the runner: a [`Command`] with the way
//! its replies are compared ([`Check`]), the [`Action`]s of one step, the weighted
//! [`Op`]s a [`Family`] is made of, and the generator state [`Gen`] (PRNG, the
//! features `DIFF_SKIP` turned off, the absolute times sent so far).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::check::Deadlines;
use crate::pools::{self, TimeArg};
use crate::rng::Rng;
use crate::wire::{self, Wire};

/// How the two replies to a command are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Byte for byte.
    Exact,
    /// `KEYS`: the same elements in any order.
    Unordered,
    /// `HGETALL`: the same field/value pairs (a map in RESP3) in any order.
    UnorderedPairs,
    /// `HSCAN … COUNT` large enough for one call: the same cursor and the same
    /// field/value pairs in any order.
    ScanPairs,
    /// `HRANDFIELD`: random picks, so only the kind of reply and, for an array, its
    /// length must be equal; errors exactly.
    SameShape,
    /// `RANDOMKEY`: null exactly when the database is empty (`DBSIZE` 0), otherwise a
    /// key that `EXISTS` on the server that named it.
    RandomKey,
    /// `TTL` / `PTTL`: equal when either is negative, else within `tolerance`.
    Remaining {
        /// The largest accepted difference.
        tolerance: i64,
    },
    /// `EXPIRETIME` / `PEXPIRETIME`: exact when Redis's answer is an absolute time the
    /// generator sent (see [`Deadlines`]), else within one second.
    Deadline {
        /// `PEXPIRETIME` (true) or `EXPIRETIME`.
        millis: bool,
    },
}

/// One command sent to both servers.
#[derive(Clone, Debug)]
pub struct Command {
    /// The generator feature that produced it (the name `DIFF_SKIP` takes).
    pub feature: &'static str,
    /// The arguments, name first.
    pub args: Vec<Vec<u8>>,
    /// How the replies are compared.
    pub check: Check,
}

impl Command {
    /// A command named `name`, compared exactly.
    pub fn new(feature: &'static str, name: &str) -> Command {
        Command { feature, args: vec![name.as_bytes().to_vec()], check: Check::Exact }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Command {
        self.args.push(arg.as_ref().to_vec());
        self
    }

    /// Adds several arguments.
    pub fn args<A: AsRef<[u8]>>(mut self, args: impl IntoIterator<Item = A>) -> Command {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_vec()));
        self
    }

    /// Files the command under another feature.
    pub fn with_feature(mut self, feature: &'static str) -> Command {
        self.feature = feature;
        self
    }

    /// Sets how the replies are compared.
    pub fn check(mut self, check: Check) -> Command {
        self.check = check;
        self
    }

    /// The command name, upper-cased.
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.args[0]).to_ascii_uppercase()
    }
}

/// What one step does, in order.
#[derive(Clone, Debug)]
pub enum Action {
    /// Send a command to both servers and compare the replies.
    Send(Command),
    /// Let time pass on both (after a command that set a TTL of a few ms).
    Sleep(Duration),
}

/// Wraps single commands as one-action steps.
impl From<Command> for Vec<Action> {
    fn from(command: Command) -> Vec<Action> {
        vec![Action::Send(command)]
    }
}

/// A question put to the reference server alone, for generators that must avoid a
/// known difference that depends on the data (such as a missing key).
pub struct Probe<'a> {
    wire: &'a mut Wire,
}

impl<'a> Probe<'a> {
    /// Probes through `wire`, the reference server's connection (so in its current
    /// database).
    pub fn new(wire: &'a mut Wire) -> Probe<'a> {
        Probe { wire }
    }

    /// Whether `key` exists (in the connection's database).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.ask(&[b"EXISTS".to_vec(), key.to_vec()]) == b":1\r\n"
    }

    /// The string value of `key`, or `None` if missing (or not a string).
    pub fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        let reply = self.ask(&[b"GET".to_vec(), key.to_vec()]);
        wire::as_bulk(&reply).map(<[u8]>::to_vec)
    }

    fn ask(&mut self, args: &[Vec<u8>]) -> Vec<u8> {
        self.wire.request(args).unwrap_or_else(|e| panic!("redis-server failed a probe: {e}"))
    }
}

/// A weighted kind of step of a family, named by its feature.
pub struct Op {
    /// The feature name (for `DIFF_SKIP` and the report).
    pub feature: &'static str,
    /// Relative frequency.
    pub weight: u64,
    /// Builds one step.
    pub make: fn(&mut Gen, &mut Probe) -> Vec<Action>,
}

/// A command family: the ops its random sequences are drawn from.
pub struct Family {
    /// `strings`, `keyspace`.
    pub name: &'static str,
    /// The ops, with their weights.
    pub ops: &'static [Op],
}

/// Generator state: the PRNG, the features turned off, the absolute times sent.
pub struct Gen {
    /// The PRNG every draw comes from.
    pub rng: Rng,
    skip: BTreeSet<String>,
    /// Absolute expiry times sent so far.
    pub deadlines: Deadlines,
}

impl Gen {
    /// A generator seeded with `seed`, with the features in `skip` turned off.
    pub fn new(seed: u64, skip: BTreeSet<String>) -> Gen {
        Gen { rng: Rng::new(seed), skip, deadlines: Deadlines::default() }
    }

    /// Whether `feature` is on (not named in `DIFF_SKIP`).
    pub fn on(&self, feature: &str) -> bool {
        debug_assert!(crate::features::is_known(feature), "undocumented feature {feature}");
        !self.skip.contains(feature)
    }

    /// The next step of `family`: a weighted draw among its ops that are on, then, with
    /// feature `arity` on, sometimes the command cut short or given one argument more.
    pub fn step(&mut self, family: &Family, probe: &mut Probe) -> Vec<Action> {
        let ops: Vec<&Op> = family.ops.iter().filter(|op| self.on(op.feature)).collect();
        let total: u64 = ops.iter().map(|op| op.weight).sum();
        assert!(total > 0, "DIFF_SKIP turned off every op of the {} family", family.name);
        let mut roll = self.rng.below(total);
        let mut op = ops[0];
        for candidate in &ops {
            if roll < candidate.weight {
                op = candidate;
                break;
            }
            roll -= candidate.weight;
        }
        let mut actions = (op.make)(self, probe);
        if let [Action::Send(command)] = actions.as_mut_slice() {
            if self.on("arity") && self.rng.chance(3) {
                self.mutate_arity(command);
            }
        }
        actions
    }

    /// Drops trailing arguments, or (for commands whose arity is fixed, where an extra
    /// argument can only be an arity error) adds one.
    fn mutate_arity(&mut self, command: &mut Command) {
        #[rustfmt::skip]
        const FIXED: &[&str] = &[
            "GET", "GETDEL", "GETSET", "SETNX", "SETEX", "PSETEX", "STRLEN", "APPEND", "GETRANGE", "SUBSTR",
            "SETRANGE", "INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT", "TYPE", "RENAME", "RENAMENX",
            "MOVE", "SWAPDB", "SELECT", "DBSIZE", "KEYS", "RANDOMKEY", "PERSIST", "TTL", "PTTL",
            "EXPIRETIME", "PEXPIRETIME",
        ];
        // OBJECT makes its own arity cases (under features of their own); HRANDFIELD,
        // HSCAN and SSCAN cut short are random or unordered (`SSCAN key 0` lists a
        // hashtable set in its table's order), which an exact check cannot judge.
        if matches!(command.name().as_str(), "OBJECT" | "HRANDFIELD" | "HSCAN" | "SSCAN") {
            return;
        }
        let grow = FIXED.contains(&command.name().as_str()) && self.rng.chance(50);
        if grow {
            command.args.push(pools::value(&mut self.rng));
        } else if command.args.len() > 1 {
            let keep = 1 + self.rng.below(command.args.len() as u64 - 1) as usize;
            command.args.truncate(keep);
        } else {
            return;
        }
        command.feature = "arity";
        command.check = Check::Exact;
    }

    /// A key from the pool.
    pub fn key(&mut self) -> Vec<u8> {
        pools::key(&mut self.rng)
    }

    /// A value from the pool.
    pub fn value(&mut self) -> Vec<u8> {
        pools::value(&mut self.rng)
    }

    /// An expiry argument for `arg` (see [`pools::time_arg`]); absolute times are
    /// noted in [`Gen::deadlines`].
    pub fn time(&mut self, arg: TimeArg, allow_past: bool) -> Vec<u8> {
        let mut text = pools::time_arg(&mut self.rng, arg, allow_past);
        // Without `deadline_max`, no deadline of i64::MAX ms (whose EXPIRETIME rounding
        // overflows).
        let max = i64::MAX.to_string().into_bytes();
        let absolute_ms = matches!(arg, TimeArg::SetAtMs | TimeArg::ExpireAtMs);
        while absolute_ms && text == max && !self.on("deadline_max") {
            text = pools::time_arg(&mut self.rng, arg, allow_past);
        }
        if !arg.relative() {
            self.deadlines.note(arg.in_secs(), &text);
        }
        text
    }

    /// A valid expiry argument for `arg` that does not delete the key: a positive
    /// relative time, or an absolute one in the far future.
    pub fn valid_time(&mut self, arg: TimeArg) -> Vec<u8> {
        let least = match arg {
            _ if arg.relative() => 1,
            _ if arg.in_secs() => pools::FUTURE_SECS[0],
            _ => pools::FUTURE_MS[0],
        };
        loop {
            let text = self.time(arg, false);
            if arg.accepts(&text) && pools::strict_i64(&text).is_some_and(|t| t >= least) {
                return text;
            }
        }
    }

    /// `word` in a random letter case (`ex`, `Ex`, `EX`).
    pub fn token(&mut self, word: &str) -> Vec<u8> {
        match self.rng.below(4) {
            0 => word.to_ascii_lowercase().into_bytes(),
            1 => word
                .chars()
                .enumerate()
                .map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c })
                .collect::<String>()
                .into_bytes(),
            _ => word.as_bytes().to_vec(),
        }
    }
}
