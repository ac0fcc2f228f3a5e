//! Unit tests of the configuration registry: defaults and round trips, `CONFIG
//! GET`/`CONFIG SET` semantics and error texts (checked against redis-server
//! 7.0.15), the config file and command line, `CONFIG REWRITE`.

mod get_set;
mod load;
mod rewrite;

use super::*;

/// `CONFIG SET` of text pairs.
fn set(config: &Config, pairs: &[(&str, &str)]) -> Result<(Config, Vec<&'static str>), String> {
    let pairs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())).collect();
    config_set(config, &pairs).map(|(next, changed)| (next, changed.iter().map(|p| p.name).collect()))
}

/// `CONFIG GET` of text patterns, as (name, value) text pairs.
fn get(config: &Config, patterns: &[&str]) -> Vec<(String, String)> {
    let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
    config_get(config, &patterns)
}

/// The value `CONFIG GET name` shows.
fn value(config: &Config, name: &str) -> String {
    match get(config, &[name]).as_slice() {
        [(_, value)] => value.clone(),
        other => panic!("CONFIG GET {name}: {other:?}"),
    }
}

/// A `CONFIG SET` error's text.
fn refused(config: &Config, pairs: &[(&str, &str)]) -> String {
    match set(config, pairs) {
        Err(e) => e,
        Ok(_) => panic!("CONFIG SET {pairs:?} was accepted"),
    }
}
