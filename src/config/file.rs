//! Reading a Redis-style config file (`loadServerConfigFromString`) and applying
//! command-line settings, which Redis treats as lines appended to the file.

use std::path::Path;

use super::cli::Setting;
use super::registry::lookup;
use super::values::split_words;
use super::{Config, ConfigError};

/// Directives Redis 7.0 still accepts in a file and ignores (name, argument
/// count including the name).
const DEPRECATED: &[(&str, usize)] =
    &[("list-max-ziplist-entries", 2), ("list-max-ziplist-value", 2), ("lua-replicate-commands", 2)];

/// Applies the file at `path` to `config` and records the file (absolute).
pub(super) fn apply_file(config: &mut Config, path: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read(path)
        .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
    apply_text(config, &text, &path.display().to_string())?;
    config.config_file = Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
    Ok(())
}

/// Applies config-file text; errors read `<origin>:<line>: '<line>': <reason>`.
pub(super) fn apply_text(config: &mut Config, text: &[u8], origin: &str) -> Result<(), ConfigError> {
    for (number, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = trim(raw);
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let shown = String::from_utf8_lossy(line);
        let fail = |reason: &str| ConfigError(format!("{origin}:{}: '{shown}': {reason}", number + 1));
        let words = split_words(line).ok_or_else(|| fail("Unbalanced quotes in configuration line"))?;
        apply_directive(config, &words).map_err(|reason| fail(&reason))?;
    }
    Ok(())
}

/// Applies one command-line setting (`--name values…`, after the file).
pub(super) fn apply_flag(config: &mut Config, setting: &Setting) -> Result<(), ConfigError> {
    let mut words = vec![setting.name.clone()];
    words.extend(setting.values.iter().cloned());
    apply_directive(config, &words).map_err(|reason| {
        let values: Vec<String> = setting.values.iter().map(|v| super::values::quote(v)).collect();
        ConfigError(format!("--{} {}: {reason}", setting.name, values.join(" ")))
    })
}

/// Applies one directive: its name (any case) then its values.
fn apply_directive(config: &mut Config, words: &[String]) -> Result<(), String> {
    let Some((name, values)) = words.split_first() else { return Ok(()) };
    match lookup(name.as_bytes()) {
        Some((param, _)) => param.load(config, values),
        None if DEPRECATED.iter().any(|(n, count)| n.eq_ignore_ascii_case(name) && *count == words.len()) => {
            Ok(())
        }
        None => Err("Bad directive or wrong number of arguments".to_string()),
    }
}

/// The line without surrounding spaces, tabs, CR and LF (`sdstrim`).
fn trim(line: &[u8]) -> &[u8] {
    let is_blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !is_blank(b)).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !is_blank(b)).map_or(start, |i| i + 1);
    &line[start..end]
}
