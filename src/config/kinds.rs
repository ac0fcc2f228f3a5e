//! The configuration's enumerated and compound values, and how Redis spells them.

use std::fmt;
use std::str::FromStr;

/// When the AOF thread calls `fsync` (`appendfsync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// After every write batch, before any client of it gets its reply.
    Always,
    /// Once a second, off the write path.
    #[default]
    Everysec,
    /// Never: the operating system decides.
    No,
}

impl FsyncPolicy {
    /// The spellings, in Redis's order (its error message lists them so).
    pub const NAMES: &'static [&'static str] = &["everysec", "always", "no"];

    /// The policy's name as the config file and `CONFIG GET` write it.
    pub fn name(self) -> &'static str {
        match self {
            FsyncPolicy::Always => "always",
            FsyncPolicy::Everysec => "everysec",
            FsyncPolicy::No => "no",
        }
    }
}

impl FromStr for FsyncPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Ok(FsyncPolicy::Always),
            "everysec" => Ok(FsyncPolicy::Everysec),
            "no" => Ok(FsyncPolicy::No),
            _ => Err(format!("'{s}' is not one of always, everysec, no")),
        }
    }
}

/// How connection tasks are scheduled on the I/O threads (`io-runtime`; see
/// `server::Workers` for why there are two).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IoRuntime {
    /// One tokio multi-thread runtime with `io-threads` workers that steal work.
    WorkStealing,
    /// `io-threads` single-threaded runtimes, one per thread; a connection stays on
    /// the thread it was given at accept.
    #[default]
    PerThread,
}

impl IoRuntime {
    /// The spellings, default first.
    pub const NAMES: &'static [&'static str] = &["per-thread", "work-stealing"];

    /// The value's name as the config file and `CONFIG GET` write it.
    pub fn name(self) -> &'static str {
        match self {
            IoRuntime::WorkStealing => "work-stealing",
            IoRuntime::PerThread => "per-thread",
        }
    }
}

impl FromStr for IoRuntime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "work-stealing" => Ok(IoRuntime::WorkStealing),
            "per-thread" => Ok(IoRuntime::PerThread),
            _ => Err(format!("'{s}' is not one of work-stealing, per-thread")),
        }
    }
}

/// `loglevel` names, in Redis's order.
pub const LOG_LEVELS: &[&str] = &["debug", "verbose", "notice", "warning"];

/// `maxmemory-policy` names: Redis's eight in its order, then FerrumKV's two.
pub const EVICTION_POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
    "allkeys-ahe",
    "volatile-ahe",
];

/// Who may use a protected feature (`enable-protected-configs`,
/// `enable-debug-command`, `enable-module-command`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Permission {
    /// Nobody.
    #[default]
    No,
    /// Every client.
    Yes,
    /// Clients connected over the loopback interface.
    Local,
}

impl Permission {
    /// The spellings, in Redis's order.
    pub const NAMES: &'static [&'static str] = &["no", "yes", "local"];

    /// The value's name as the config file and `CONFIG GET` write it.
    pub fn name(self) -> &'static str {
        match self {
            Permission::No => "no",
            Permission::Yes => "yes",
            Permission::Local => "local",
        }
    }

    /// Whether a client (local or not) is allowed.
    pub fn allows(self, local_client: bool) -> bool {
        match self {
            Permission::No => false,
            Permission::Yes => true,
            Permission::Local => local_client,
        }
    }
}

impl FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "no" => Ok(Permission::No),
            "yes" => Ok(Permission::Yes),
            "local" => Ok(Permission::Local),
            _ => Err(format!("'{s}' is not one of no, yes, local")),
        }
    }
}

/// `notify-keyspace-events`: the classes of keyspace notification to publish, as
/// Redis's bit flags (`server.h` `NOTIFY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct KeyspaceEvents(pub u32);

impl KeyspaceEvents {
    /// `K`: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u32 = 1 << 1;
    /// `g`: generic commands (`DEL`, `EXPIRE`, `RENAME`, …).
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted-set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: a key expired.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: a key was evicted.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: a key was looked up and missing (not part of `A`).
    pub const KEY_MISS: u32 = 1 << 11;
    /// `d`: module key types.
    pub const MODULE: u32 = 1 << 13;
    /// `n`: a new key was created (not part of `A`).
    pub const NEW: u32 = 1 << 14;
    /// `A`: `g$lshzxetd`.
    pub const ALL: u32 = Self::GENERIC
        | Self::STRING
        | Self::LIST
        | Self::SET
        | Self::HASH
        | Self::ZSET
        | Self::EXPIRED
        | Self::EVICTED
        | Self::STREAM
        | Self::MODULE;

    /// The type and event classes with their letters, in the order Redis writes
    /// them (`A` stands for all of them).
    const CLASSES: [(u32, char); 11] = [
        (Self::GENERIC, 'g'),
        (Self::STRING, '$'),
        (Self::LIST, 'l'),
        (Self::SET, 's'),
        (Self::HASH, 'h'),
        (Self::ZSET, 'z'),
        (Self::EXPIRED, 'x'),
        (Self::EVICTED, 'e'),
        (Self::STREAM, 't'),
        (Self::MODULE, 'd'),
        (Self::NEW, 'n'),
    ];

    /// The channel kinds and key misses with their letters, written after the
    /// classes.
    const CHANNELS: [(u32, char); 3] = [(Self::KEYSPACE, 'K'), (Self::KEYEVENT, 'E'), (Self::KEY_MISS, 'm')];

    /// Parses a class string such as `KEA` or `Ex` (Redis's
    /// `keyspaceEventsStringToFlags`); `None` for an unknown character.
    pub fn parse(classes: &str) -> Option<KeyspaceEvents> {
        let mut flags = 0;
        for c in classes.chars() {
            flags |= match c {
                'A' => Self::ALL,
                _ => Self::CLASSES.iter().chain(&Self::CHANNELS).find(|(_, letter)| *letter == c)?.0,
            };
        }
        Some(KeyspaceEvents(flags))
    }

    /// Whether any of the `classes` bits is on.
    pub fn contains(self, classes: u32) -> bool {
        self.0 & classes != 0
    }
}

/// Redis's normal form (`keyspaceEventsFlagsToString`): `A` or the classes in a
/// fixed order, then `K`, `E`, `m`.
impl fmt::Display for KeyspaceEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = self.0;
        let mut out = String::new();
        let classes: &[(u32, char)] = if flags & Self::ALL == Self::ALL {
            out.push('A');
            &[]
        } else {
            &Self::CLASSES
        };
        for &(bit, c) in classes.iter().chain(&Self::CHANNELS) {
            if flags & bit != 0 {
                out.push(c);
            }
        }
        f.write_str(&out)
    }
}

/// What `SHUTDOWN` does on a signal (`shutdown-on-sigint`, `shutdown-on-sigterm`):
/// Redis's bit flags; 0 is `default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ShutdownFlags(pub u8);

impl ShutdownFlags {
    /// `save`: save even without save points.
    pub const SAVE: u8 = 1;
    /// `nosave`: do not save.
    pub const NOSAVE: u8 = 2;
    /// `now`: do not wait for lagging replicas.
    pub const NOW: u8 = 4;
    /// `force`: ignore errors writing the dataset.
    pub const FORCE: u8 = 8;
    const NAMES: [(&'static str, u8); 5] = [
        ("default", 0),
        ("save", Self::SAVE),
        ("nosave", Self::NOSAVE),
        ("now", Self::NOW),
        ("force", Self::FORCE),
    ];

    /// Parses one or more names; the error is Redis's.
    pub fn parse(words: &[&str]) -> Result<ShutdownFlags, String> {
        let mut flags = 0;
        let unknown = || {
            let names: Vec<&str> = Self::NAMES.iter().map(|(name, _)| *name).collect();
            format!("argument(s) must be one of the following: {}", names.join(", "))
        };
        if words.is_empty() {
            return Err(unknown());
        }
        for word in words {
            let (_, bit) =
                Self::NAMES.iter().find(|(name, _)| name.eq_ignore_ascii_case(word)).ok_or_else(unknown)?;
            flags |= bit;
        }
        if flags & Self::SAVE != 0 && flags & Self::NOSAVE != 0 {
            return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".to_string());
        }
        Ok(ShutdownFlags(flags))
    }
}

/// The names of the flags that are on, in Redis's order (`default` for none).
impl fmt::Display for ShutdownFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("default");
        }
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(_, bit)| *bit != 0 && self.0 & bit == *bit)
            .map(|(name, _)| *name)
            .collect();
        f.write_str(&names.join(" "))
    }
}

/// An output-buffer limit of one client class: hard bytes, soft bytes, soft seconds
/// (0 bytes: no limit).
pub type BufferLimit = (u64, u64, u64);

/// `latency-tracking-info-percentiles`: the percentiles `INFO latencystats` reports,
/// each within 0..=100.
#[derive(Clone, Debug, Default)]
pub struct Percentiles(pub Vec<f64>);

impl PartialEq for Percentiles {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

/// Percentiles are never NaN (they are checked to lie within 0..=100).
impl Eq for Percentiles {}

/// Each as C's `%f` with trailing zeros (and a bare point) trimmed, space separated,
/// as Redis writes them.
impl fmt::Display for Percentiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self.0.iter().map(|p| trim_float(&format!("{p:.6}"))).collect();
        f.write_str(&words.join(" "))
    }
}

/// Redis's `trimDoubleString`: drops trailing zeros after a decimal point, and the
/// point itself when nothing is left after it.
fn trim_float(text: &str) -> String {
    if !text.contains('.') {
        return text.to_string();
    }
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_events_normalise_as_redis() {
        let text = |s: &str| KeyspaceEvents::parse(s).unwrap().to_string();
        assert_eq!(text("KEA"), "AKE");
        assert_eq!(text("Ex$lshzgtdnm"), "g$lshzxtdnEm");
        assert_eq!(text("Ex"), "xE");
        assert_eq!(text(""), "");
        assert_eq!(text("AKEmn"), "AKEm");
        assert!(KeyspaceEvents::parse("q").is_none());
    }

    #[test]
    fn shutdown_flags_in_redis_order() {
        assert_eq!(
            ShutdownFlags::parse(&["nosave", "force", "now"]).unwrap().to_string(),
            "nosave now force"
        );
        assert_eq!(ShutdownFlags::parse(&["default"]).unwrap().to_string(), "default");
        assert!(ShutdownFlags::parse(&["save", "nosave"]).unwrap_err().contains("simultaneously"));
        assert_eq!(
            ShutdownFlags::parse(&["foo"]).unwrap_err(),
            "argument(s) must be one of the following: default, save, nosave, now, force"
        );
    }

    #[test]
    fn percentiles_as_redis_prints_them() {
        assert_eq!(Percentiles(vec![50.0, 99.0, 99.9]).to_string(), "50 99 99.9");
        assert_eq!(Percentiles(vec![0.5, 100.0]).to_string(), "0.5 100");
    }
}
