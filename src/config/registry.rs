//! The configuration registry: every parameter is declared once, as a [`Param`]
//! (name, aliases, kind with bounds, default, live or immutable, what the server
//! must do after a live change, a one-line doc, whether `--help` lists its flag).
//! That one declaration drives the command line, the config file, `CONFIG GET`,
//! `CONFIG SET`, `CONFIG REWRITE` and the README's table.
//!
//! The declarations themselves are in `params.rs` (what FerrumKV acts on) and
//! `compat.rs` (Redis settings accepted and reported for compatibility).

use super::values::{format_memory, parse_integer, parse_memory, parse_yes_no, split_spaces, split_words};
use super::Config;

/// How a declaration reads and writes its field: `(get, set)`; `set` may refuse.
pub type Accessors<T> = (fn(&Config) -> T, fn(&mut Config, T) -> Result<(), String>);

/// The accessors of a text parameter (it shows an owned `String`, takes a `&str`).
pub type TextAccessors = (fn(&Config) -> String, fn(&mut Config, &str) -> Result<(), String>);

/// One configuration parameter.
pub struct Param {
    /// The canonical name (`CONFIG GET` under a pattern, `CONFIG REWRITE`).
    pub name: &'static str,
    /// Other names it answers to (`hash-max-ziplist-entries` …), listed by
    /// `CONFIG GET` patterns as Redis does.
    pub aliases: &'static [&'static str],
    /// Its type: how values are parsed, checked, shown and rewritten.
    pub kind: Kind,
    /// The default, as a config file would write it.
    pub default: &'static str,
    /// Whether `CONFIG SET` may change it.
    pub access: Access,
    /// What the server must do after `CONFIG SET` changes it.
    pub effect: Effect,
    /// The value's placeholder when `--help` lists `--<name>` (every parameter is a
    /// flag; only these are shown).
    pub flag: Option<&'static str>,
    /// One line for the README's table.
    pub doc: &'static str,
    /// Listed only when asked for by its exact name, never by a `CONFIG GET` pattern
    /// (FerrumKV's own shortcuts, Redis's test-only knobs).
    pub hidden: bool,
    /// `CONFIG SET` refuses it while the dataset is loading (`-LOADING`).
    pub deny_loading: bool,
    /// A shortcut for other parameters (`addr`, `aof-path`): `CONFIG REWRITE` drops
    /// its lines and writes the parameters it set instead.
    pub shortcut: bool,
}

/// How a parameter's value is read, checked, shown and rewritten.
pub enum Kind {
    /// `yes` or `no`.
    YesNo {
        /// The current value.
        get: fn(&Config) -> bool,
        /// Stores a value (may refuse it).
        set: fn(&mut Config, bool) -> Result<(), String>,
    },
    /// An integer, memory size or percentage within bounds.
    Number {
        /// What the value may be written as.
        unit: Unit,
        /// Smallest accepted value.
        min: i128,
        /// Largest accepted value.
        max: i128,
        /// The current value.
        get: fn(&Config) -> i128,
        /// Stores a value within the bounds (may refuse it).
        set: fn(&mut Config, i128) -> Result<(), String>,
    },
    /// One of a fixed set of names (any case on input, as listed on output).
    Choice {
        /// The names, in the order Redis's error message lists them.
        names: &'static [&'static str],
        /// The current name.
        get: fn(&Config) -> &'static str,
        /// Stores one of `names`.
        set: fn(&mut Config, &'static str) -> Result<(), String>,
    },
    /// Free text, checked by its setter; rewritten in double quotes.
    Text {
        /// The current value.
        get: fn(&Config) -> String,
        /// Checks and stores a value.
        set: fn(&mut Config, &str) -> Result<(), String>,
    },
    /// A value of several words (`save 3600 1 300 100`, `bind a b`, …).
    Words {
        /// The value as `CONFIG GET` shows it.
        get: fn(&Config) -> String,
        /// Checks and stores the words.
        set: fn(&mut Config, &[&str], Mode) -> Result<(), String>,
        /// The values of the lines `CONFIG REWRITE` writes (after the name), one per
        /// line; none to leave the parameter out.
        rewrite: fn(&Config) -> Vec<String>,
    },
}

/// How a number may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain integer.
    Integer,
    /// A memory size (`1gb`, `64mb`, `100k`, or bytes); shown as bytes.
    Memory,
    /// A memory size or a percentage (`10%`, kept as a negative number).
    MemoryOrPercent,
}

/// Whether `CONFIG SET` may change a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Changeable at run time.
    Live,
    /// Fixed once the server runs: `can't set immutable config`.
    Immutable,
    /// Changeable only when `enable-protected-configs` allows the client.
    Protected,
}

/// What the server must do after a live change, beyond installing the new
/// [`Config`]. Parameters whose effect is [`Effect::None`] are read from the
/// installed `Config` whenever they are needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Nothing: the value is read from the config where it is used.
    None,
    /// `loglevel`: `log::set_max_level(config.log_filter())`.
    LogLevel,
    /// `appendfsync`: hand the new policy to the AOF thread.
    FsyncPolicy,
    /// `appendonly`: start (rewrite then append) or stop the AOF.
    AppendOnly,
    /// `maxmemory-policy`, `lfu-log-factor`, `lfu-decay-time`: pass them to the
    /// engine (`ServerState::apply_cache_settings`).
    CacheSettings,
    /// `maxmemory`: evict down to the new cap now (Redis warns when the cap is below
    /// the memory in use).
    Eviction,
    /// `hz`: retime the background cycle (expiry, statistics).
    Hz,
    /// `active-expire-effort`: the active-expiry cycle's budget.
    ActiveExpiry,
    /// `bind`, `port`: listen on the new address (on failure, restore the old config
    /// and reply `Unable to listen on this port. Check server logs.`).
    Listener,
    /// `requirepass`: new connections must authenticate (existing ones stay).
    Password,
    /// `notify-keyspace-events`: which notifications to publish.
    KeyspaceEvents,
    /// `proto-max-bulk-len`: the request parser's bulk limit.
    ProtocolLimits,
    /// The thresholds of the compact encodings (`*-max-listpack-*`, …), for code that
    /// caches them outside the config.
    Encodings,
    /// `dir`: the working directory (Redis `chdir`s).
    WorkingDir,
}

/// Where a value comes from, for the one parameter whose meaning differs (`save`:
/// lines of a file add up, `CONFIG SET` replaces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The config file and the command line.
    Load,
    /// `CONFIG SET`.
    Set,
}

impl Param {
    const fn new(name: &'static str, kind: Kind, default: &'static str) -> Param {
        Param {
            name,
            aliases: &[],
            kind,
            default,
            access: Access::Immutable,
            effect: Effect::None,
            flag: None,
            doc: "",
            hidden: false,
            deny_loading: false,
            shortcut: false,
        }
    }

    /// A `yes`/`no` parameter, immutable until [`Param::live`].
    pub(crate) const fn yes_no(
        name: &'static str,
        default: &'static str,
        (get, set): Accessors<bool>,
    ) -> Param {
        Param::new(name, Kind::YesNo { get, set }, default)
    }

    /// A numeric parameter within `min..=max`.
    pub(crate) const fn number(
        name: &'static str,
        unit: Unit,
        (min, max): (i128, i128),
        default: &'static str,
        (get, set): Accessors<i128>,
    ) -> Param {
        Param::new(name, Kind::Number { unit, min, max, get, set }, default)
    }

    /// A parameter that is one of `names`.
    pub(crate) const fn choice(
        name: &'static str,
        names: &'static [&'static str],
        default: &'static str,
        (get, set): Accessors<&'static str>,
    ) -> Param {
        Param::new(name, Kind::Choice { names, get, set }, default)
    }

    /// A text parameter.
    pub(crate) const fn text(name: &'static str, default: &'static str, (get, set): TextAccessors) -> Param {
        Param::new(name, Kind::Text { get, set }, default)
    }

    /// A multi-word parameter.
    pub(crate) const fn words(
        name: &'static str,
        default: &'static str,
        get: fn(&Config) -> String,
        set: fn(&mut Config, &[&str], Mode) -> Result<(), String>,
        rewrite: fn(&Config) -> Vec<String>,
    ) -> Param {
        Param::new(name, Kind::Words { get, set, rewrite }, default)
    }

    /// Makes it changeable by `CONFIG SET`, with `effect` to apply afterwards.
    pub(crate) const fn live(mut self, effect: Effect) -> Param {
        self.access = Access::Live;
        self.effect = effect;
        self
    }

    /// Makes it changeable only where `enable-protected-configs` allows.
    pub(crate) const fn protected(mut self, effect: Effect) -> Param {
        self.access = Access::Protected;
        self.effect = effect;
        self
    }

    /// Adds other names.
    pub(crate) const fn alias(mut self, aliases: &'static [&'static str]) -> Param {
        self.aliases = aliases;
        self
    }

    /// Lists `--<name> <value_name>` in `--help`.
    pub(crate) const fn flag(mut self, value_name: &'static str) -> Param {
        self.flag = Some(value_name);
        self
    }

    /// Sets the README line.
    pub(crate) const fn doc(mut self, doc: &'static str) -> Param {
        self.doc = doc;
        self
    }

    /// Hides it from `CONFIG GET` patterns.
    pub(crate) const fn hidden(mut self) -> Param {
        self.hidden = true;
        self
    }

    /// Refuses `CONFIG SET` while loading.
    pub(crate) const fn deny_loading(mut self) -> Param {
        self.deny_loading = true;
        self
    }

    /// Marks it as a shortcut that `CONFIG REWRITE` replaces by what it sets.
    pub(crate) const fn shortcut(mut self) -> Param {
        self.shortcut = true;
        self.hidden = true;
        self
    }

    /// The canonical name, then the aliases.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }

    /// Whether its value is several words.
    pub fn takes_words(&self) -> bool {
        matches!(self.kind, Kind::Words { .. })
    }

    /// The value as `CONFIG GET` shows it.
    pub fn get(&self, config: &Config) -> String {
        match &self.kind {
            Kind::YesNo { get, .. } => yes_no(get(config)).to_string(),
            Kind::Number { unit, get, .. } => match (unit, get(config)) {
                (Unit::MemoryOrPercent, v) if v < 0 => format!("{}%", -v),
                (_, v) => v.to_string(),
            },
            Kind::Choice { get, .. } => get(config).to_string(),
            Kind::Text { get, .. } | Kind::Words { get, .. } => get(config),
        }
    }

    /// Checks and stores one value (for a multi-word parameter, its words joined by
    /// single spaces, as `CONFIG SET` gives them).
    pub fn set(&self, config: &mut Config, value: &str, mode: Mode) -> Result<(), String> {
        match &self.kind {
            Kind::YesNo { set, .. } => {
                set(config, parse_yes_no(value).ok_or("argument must be 'yes' or 'no'")?)
            }
            Kind::Number { unit, min, max, set, .. } => set(config, parse_number(*unit, *min, *max, value)?),
            Kind::Choice { names, set, .. } => match names.iter().find(|n| n.eq_ignore_ascii_case(value)) {
                Some(name) => set(config, name),
                None => Err(format!("argument(s) must be one of the following: {}", names.join(", "))),
            },
            Kind::Text { set, .. } => set(config, value),
            Kind::Words { set, .. } => set(config, &split_spaces(value), mode),
        }
    }

    /// Checks and stores the values of a config-file line or a flag (Redis's
    /// rules: one value, except that a multi-word parameter takes several, or one
    /// to split like a line).
    pub fn load(&self, config: &mut Config, values: &[String]) -> Result<(), String> {
        match &self.kind {
            Kind::Words { set, .. } => {
                if let [single] = values {
                    if !single.is_empty() {
                        let split = split_words(single.as_bytes())
                            .ok_or("Unbalanced quotes in configuration line")?;
                        let words: Vec<&str> = split.iter().map(String::as_str).collect();
                        return set(config, &words, Mode::Load);
                    }
                }
                let words: Vec<&str> = values.iter().map(String::as_str).collect();
                set(config, &words, Mode::Load)
            }
            _ => match values {
                [value] => self.set(config, value, Mode::Load),
                _ => Err("wrong number of arguments".to_string()),
            },
        }
    }

    /// The values of the lines `CONFIG REWRITE` writes for it (after the name).
    pub fn rewrite_values(&self, config: &Config) -> Vec<String> {
        match &self.kind {
            Kind::YesNo { get, .. } => vec![yes_no(get(config)).to_string()],
            Kind::Number { unit, get, .. } => vec![match (unit, get(config)) {
                (Unit::Integer, v) => v.to_string(),
                (Unit::MemoryOrPercent, v) if v < 0 => format!("{}%", -v),
                (_, v) => format_memory(v),
            }],
            Kind::Choice { get, .. } => vec![get(config).to_string()],
            Kind::Text { get, .. } => vec![super::values::quote(&get(config))],
            Kind::Words { rewrite, .. } => rewrite(config),
        }
    }

    /// What values it takes, for the README.
    pub fn syntax(&self) -> String {
        match &self.kind {
            Kind::YesNo { .. } => "`yes`/`no`".to_string(),
            Kind::Number { unit, min, max, .. } => {
                let bound = |v: i128| match v {
                    v if v == i128::from(i64::MAX) || v == i128::from(u64::MAX) => "…".to_string(),
                    v if v == i128::from(i32::MAX) || v == i128::from(u32::MAX) => "…".to_string(),
                    v if v == i128::from(i32::MIN) => "…".to_string(),
                    v => v.to_string(),
                };
                let what = match unit {
                    Unit::Integer => "integer",
                    Unit::Memory => "bytes",
                    Unit::MemoryOrPercent => "bytes or %",
                };
                format!("{what} {}..{}", bound(*min), bound(*max))
            }
            Kind::Choice { names, .. } => {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                names.join(", ")
            }
            Kind::Text { .. } => "text".to_string(),
            Kind::Words { .. } => "words".to_string(),
        }
    }
}

/// The declaration's identity (its accessors are functions).
impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Param")
            .field("name", &self.name)
            .field("aliases", &self.aliases)
            .field("default", &self.default)
            .field("access", &self.access)
            .field("effect", &self.effect)
            .finish_non_exhaustive()
    }
}

/// `yes` or `no`.
fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// Parses a number as Redis's `numericParseString` does, then checks its bounds as
/// `numericBoundaryCheck` does (same error texts).
fn parse_number(unit: Unit, min: i128, max: i128, text: &str) -> Result<i128, String> {
    let value = match unit {
        Unit::Integer => parse_integer(text).map(i128::from),
        Unit::Memory => parse_memory(text).map(i128::from),
        Unit::MemoryOrPercent => parse_memory(text).map(i128::from).or_else(|| {
            let digits = text.strip_suffix('%').filter(|d| !d.is_empty())?;
            parse_integer(digits).filter(|p| *p >= 0).map(|p| -i128::from(p))
        }),
    };
    let value = value.ok_or(match unit {
        Unit::Integer => "argument couldn't be parsed into an integer",
        Unit::Memory => "argument must be a memory value",
        Unit::MemoryOrPercent => "argument must be a memory or percent value",
    })?;
    if unit == Unit::MemoryOrPercent && value < 0 {
        if value < min {
            return Err(format!("percentage argument must be less or equal to {}", -min));
        }
    } else if value < min || value > max {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(value)
}

/// Every parameter, in the order of the README's table.
pub fn params() -> impl Iterator<Item = &'static Param> + Clone {
    super::params::PARAMS.iter().chain(super::compat::PARAMS.iter())
}

/// The parameter one of whose names is `name` (any case), with that name.
pub fn lookup(name: &[u8]) -> Option<(&'static Param, &'static str)> {
    params()
        .find_map(|param| param.names().find(|n| n.as_bytes().eq_ignore_ascii_case(name)).map(|n| (param, n)))
}

/// The parameter named `name` (canonical name or alias, any case).
pub fn param(name: &str) -> Option<&'static Param> {
    lookup(name.as_bytes()).map(|(param, _)| param)
}
