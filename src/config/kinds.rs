//! The configuration's enumerated values and their spellings.

use std::str::FromStr;

/// When the AOF thread calls `fsync` (`appendfsync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum IoRuntime {
    /// One tokio multi-thread runtime with `io-threads` workers that steal work.
    WorkStealing,
    /// `io-threads` single-threaded runtimes, one per thread; a connection stays on
    /// the thread it was given at accept.
    #[default]
    PerThread,
}

impl IoRuntime {
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
