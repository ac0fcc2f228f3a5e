//! `CONFIG GET` and `CONFIG SET` on a running server, as pure functions over a
//! [`Config`] with Redis 7.0's semantics (`configGetCommand`, `configSetCommand`).

use super::registry::{lookup, params, Access, Mode, Param};
use super::Config;

/// Who runs a `CONFIG SET`, for the checks that depend on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The client is connected over loopback (`enable-protected-configs local`).
    pub local: bool,
    /// The server is loading its dataset (parameters marked `deny_loading` are
    /// refused with `-LOADING`).
    pub loading: bool,
}

/// `CONFIG GET pattern…`: the (name, value) pairs to reply with, in order.
///
/// As Redis 7.0: a pattern without `*`, `?` or `[` is looked up by name or alias
/// (any case) and answered under the name as the client spelled it, hidden
/// parameters included; a glob pattern matches every canonical name and alias
/// (case-insensitively, hidden ones excepted), so `*read-only*` lists both
/// `replica-read-only` and `slave-read-only`. A name is listed once however many
/// patterns match it.
pub fn config_get(config: &Config, patterns: &[&[u8]]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let listed = |out: &[(String, String)], name: &[u8]| {
        out.iter().any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
    };
    for pattern in patterns {
        if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            if listed(&out, pattern) {
                continue;
            }
            if let Some((param, _)) = lookup(pattern) {
                out.push((String::from_utf8_lossy(pattern).into_owned(), param.get(config)));
            }
            continue;
        }
        let pattern = pattern.to_ascii_lowercase();
        for param in params().filter(|p| !p.hidden) {
            for name in param.names() {
                if !listed(&out, name.as_bytes()) && crate::glob::glob_match(&pattern, name.as_bytes()) {
                    out.push((name.to_string(), param.get(config)));
                }
            }
        }
    }
    out
}

/// `CONFIG SET name value [name value …]` by a client that is neither local nor
/// running while the server loads; see [`config_set_as`].
pub fn config_set(
    current: &Config,
    pairs: &[(&[u8], &[u8])],
) -> Result<(Config, Vec<&'static Param>), String> {
    config_set_as(current, pairs, Caller::default())
}

/// `CONFIG SET name value [name value …]`, atomically: returns the new config (not
/// yet installed) and the parameters whose value changed (each once, in argument
/// order; apply their [`Effect`](super::Effect)s after installing it), or the whole
/// error line without the leading `-`, leaving `current` untouched.
///
/// The checks and error texts are Redis 7.0's; the first failing pair decides:
///
/// - `ERR Unknown option or number of arguments for CONFIG SET - '<name>'`
/// - `ERR CONFIG SET failed (possibly related to argument '<name>') - can't set immutable config`
///   (or `can't set protected config`, or `duplicate parameter`)
/// - `LOADING Redis is loading the dataset in memory`
///
/// Then every value is set in order, and the first refused one gives
/// `ERR CONFIG SET failed (possibly related to argument '<name>') - <reason>`. A name
/// and its alias in one call are two parameters, as in Redis (the later wins). The
/// even argument count is the handler's check (`ERR syntax error`).
pub fn config_set_as(
    current: &Config,
    pairs: &[(&[u8], &[u8])],
    caller: Caller,
) -> Result<(Config, Vec<&'static Param>), String> {
    let failed = |name: &str, reason: &str| {
        format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
    };
    let mut targets: Vec<(&'static Param, &'static str, String)> = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let typed = String::from_utf8_lossy(name);
        let Some((param, matched)) = lookup(name) else {
            return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{typed}'"));
        };
        match param.access {
            Access::Immutable => return Err(failed(&typed, "can't set immutable config")),
            Access::Protected if !current.enable_protected_configs.allows(caller.local) => {
                return Err(failed(&typed, "can't set protected config"))
            }
            _ => {}
        }
        if caller.loading && param.deny_loading {
            return Err("LOADING Redis is loading the dataset in memory".to_string());
        }
        if targets.iter().any(|(p, m, _)| std::ptr::eq(*p, param) && *m == matched) {
            return Err(failed(&typed, "duplicate parameter"));
        }
        targets.push((param, matched, String::from_utf8_lossy(value).into_owned()));
    }
    let mut next = current.clone();
    for (param, matched, value) in &targets {
        param.set(&mut next, value, Mode::Set).map_err(|reason| failed(matched, &reason))?;
    }
    let mut changed: Vec<&'static Param> = Vec::new();
    for (param, _, _) in &targets {
        if !changed.iter().any(|p| std::ptr::eq(*p, *param)) && param.get(current) != param.get(&next) {
            changed.push(param);
        }
    }
    Ok((next, changed))
}
