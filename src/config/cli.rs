//! The command line, built with clap's builder from the registry: every parameter
//! (and alias) is a flag `--<name> <value>…`, as with `redis-server`; the few with a
//! declared placeholder are listed in `--help`. As with `redis-server`, a config
//! file may be given first, flags apply after the file in the order given, and
//! `"--name value"` in one argument is a flag with its value.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::registry::{lookup, params};
use super::values::{quote, split_words};

/// One setting given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The parameter's name or alias, as typed (without `--`).
    pub name: String,
    /// Its values (none for a bare multi-word flag such as `--save`, which reads as
    /// `""`).
    pub values: Vec<String>,
}

/// The parsed command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cli {
    /// The config file: `--config FILE`, or the first argument.
    pub config: Option<PathBuf>,
    /// Settings in command-line order; they override the file.
    pub settings: Vec<Setting>,
    /// `--print-config-table`: print the README's table of parameters and exit.
    pub print_config_table: bool,
}

impl Cli {
    /// Parses the process's arguments; prints the error (or `--help`) and exits as
    /// clap does on failure.
    pub fn parse() -> Cli {
        Cli::try_parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` (the first is the program name).
    pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut positional_config = None;
        if args.get(1).is_some_and(|a| !a.to_string_lossy().starts_with('-')) {
            positional_config = Some(PathBuf::from(args.remove(1)));
        }
        let args = redis_style(args);
        let matches = Cli::command().try_get_matches_from(args)?;
        let flag_config = matches.get_one::<String>("config").map(PathBuf::from);
        if positional_config.is_some() && flag_config.is_some() {
            return Err(Cli::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                "the config file is given twice (first argument and --config)",
            ));
        }
        Ok(Cli {
            config: positional_config.or(flag_config),
            settings: settings(&matches),
            print_config_table: matches.get_flag("print-config-table"),
        })
    }

    /// The clap command: `--config`, `--print-config-table`, and a flag per
    /// parameter name and alias.
    pub fn command() -> Command {
        let mut command = Command::new("ferrum-kv")
            .version(env!("CARGO_PKG_VERSION"))
            .about("A multi-threaded, Redis-compatible key-value server")
            .override_usage("ferrum-kv [CONFIG_FILE] [--config FILE] [--<config-key> <value>...]")
            .after_help(
                "Every config key is also a flag, as with redis-server: --<key> <value>... \
                 (see the README's table). Flags override the config file.",
            )
            .arg(
                Arg::new("config")
                    .long("config")
                    .value_name("FILE")
                    .help("Redis-style config file (`key value` lines); flags override it"),
            )
            .arg(
                Arg::new("print-config-table")
                    .long("print-config-table")
                    .action(ArgAction::SetTrue)
                    .hide(true),
            );
        for param in params() {
            for name in param.names() {
                let arg = Arg::new(name).long(name).action(ArgAction::Append);
                let arg = if param.takes_words() {
                    arg.num_args(0..=1).default_missing_value("")
                } else {
                    arg.num_args(1).allow_hyphen_values(true)
                };
                let arg = match param.flag {
                    Some(value_name) if name == param.name => arg.value_name(value_name).help(format!(
                        "{} [default: {}]",
                        param.doc,
                        shown(param.default)
                    )),
                    _ => arg.value_name("VALUE").hide(true),
                };
                command = command.arg(arg);
            }
        }
        command
    }
}

/// A default as `--help` shows it.
fn shown(default: &str) -> &str {
    if default.is_empty() {
        "none"
    } else {
        default
    }
}

/// Rewrites the arguments as `redis-server` reads them: `"--maxmemory 700mb"` in
/// one argument is the flag and its value (quotes inside honoured); the values of
/// a multi-word flag are every argument up to the next `--…` (so `--bind 127.0.0.1
/// -::1` works), passed to clap as one quoted value that the parameter splits.
fn redis_style(args: Vec<OsString>) -> Vec<OsString> {
    let mut words: Vec<OsString> = Vec::with_capacity(args.len());
    for (i, arg) in args.into_iter().enumerate() {
        let text = arg.to_string_lossy();
        if i > 0 && text.starts_with("--") && text.contains([' ', '\t']) {
            if let Some(split) = split_words(text.as_bytes()) {
                words.extend(split.into_iter().map(OsString::from));
                continue;
            }
        }
        words.push(arg);
    }
    let mut out = Vec::with_capacity(words.len());
    let mut words = words.into_iter().peekable();
    while let Some(word) = words.next() {
        let text = word.to_string_lossy().into_owned();
        let multi = text
            .strip_prefix("--")
            .and_then(|name| lookup(name.as_bytes()))
            .is_some_and(|(p, _)| p.takes_words());
        if !multi {
            out.push(word);
            continue;
        }
        let mut values = Vec::new();
        while let Some(next) = words.next_if(|w| !w.to_string_lossy().starts_with("--")) {
            values.push(quote(&next.to_string_lossy()));
        }
        if values.is_empty() {
            out.push(word);
        } else {
            out.push(OsString::from(format!("{text}={}", values.join(" "))));
        }
    }
    out
}

/// The words [`redis_style`] joined into one value (none for a bare flag).
fn joined_words(joined: &str) -> Vec<String> {
    split_words(joined.as_bytes()).unwrap_or_else(|| vec![joined.to_string()])
}

/// Every parameter flag's occurrences, in command-line order.
fn settings(matches: &ArgMatches) -> Vec<Setting> {
    let mut found: Vec<(usize, Setting)> = Vec::new();
    for param in params() {
        for name in param.names() {
            let (Ok(Some(occurrences)), Some(indices)) =
                (matches.try_get_occurrences::<String>(name), matches.indices_of(name))
            else {
                continue;
            };
            let indices: Vec<usize> = indices.collect();
            let mut next = 0;
            for values in occurrences {
                let values: Vec<String> = values.cloned().collect();
                let at = indices.get(next).copied().unwrap_or(usize::MAX);
                next += values.len().max(1);
                let values = match values.as_slice() {
                    [joined] if param.takes_words() => joined_words(joined),
                    _ => values,
                };
                found.push((at, Setting { name: name.to_string(), values }));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, setting)| setting).collect()
}
