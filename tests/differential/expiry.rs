//! Expiry steps both families share: the EXPIRE family with its NX/XX/GT/LT options,
//! PERSIST, the TTL questions, and the one deliberately timed part, a TTL of a few
//! milliseconds followed by a sleep and a lookup.

use std::time::Duration;

use crate::check::{PTTL_TOLERANCE, TTL_TOLERANCE};
use crate::pools::{self, TimeArg};
use crate::step::{Action, Check, Command, Gen, Probe};

/// TTL, PTTL, EXPIRETIME or PEXPIRETIME of a key, compared with the tolerance the
/// clock calls for.
pub fn ttl_question(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let (name, check) = *g.rng.pick(&[
        ("TTL", Check::Remaining { tolerance: TTL_TOLERANCE }),
        ("PTTL", Check::Remaining { tolerance: PTTL_TOLERANCE }),
        ("EXPIRETIME", Check::Deadline { millis: false }),
        ("PEXPIRETIME", Check::Deadline { millis: true }),
    ]);
    Command::new("ttl", name).arg(key).check(check).into()
}

/// `PERSIST key`.
pub fn persist(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    Command::new("persist", "PERSIST").arg(g.key()).into()
}

/// A command that touches `key` (and so expires it on both servers if its time is
/// up): EXISTS, GET, TYPE, STRLEN or TTL, filed under `feature`.
pub fn lookup(g: &mut Gen, feature: &'static str, key: &[u8]) -> Command {
    let name = *g.rng.pick(&["EXISTS", "GET", "TYPE", "STRLEN", "TTL"]);
    Command::new(feature, name).arg(key)
}

/// The deliberately timed part: give a key a TTL of 1–5 ms (PEXPIRE, SET PX, PSETEX,
/// GETEX PX), sleep 20 ms on both servers, then look the key up. The lookup expires the
/// key on both, so nothing after it depends on the clock.
pub fn tiny_ttl(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let key = g.key();
    let ms = g.rng.range(1, 5).to_string();
    let mut actions = Vec::new();
    if g.rng.chance(50) {
        actions.push(Action::Send(Command::new("tiny_ttl", "SET").arg(&key).arg(g.value())));
    }
    let command = match g.rng.below(4) {
        0 => Command::new("tiny_ttl", "PEXPIRE").arg(&key).arg(&ms),
        1 => Command::new("tiny_ttl", "SET").arg(&key).arg(g.value()).arg("PX").arg(&ms),
        2 => Command::new("tiny_ttl", "PSETEX").arg(&key).arg(&ms).arg(g.value()),
        _ => Command::new("tiny_ttl", "GETEX").arg(&key).arg("PX").arg(&ms),
    };
    actions.push(Action::Send(command));
    actions.push(Action::Sleep(Duration::from_millis(20)));
    actions.push(Action::Send(lookup(g, "tiny_ttl", &key)));
    actions
}

/// The option words of the EXPIRE family, and junk.
const EXPIRE_OPTIONS: &[&str] = &["NX", "XX", "GT", "LT"];

/// `EXPIRE`, `PEXPIRE`, `EXPIREAT` or `PEXPIREAT key time [NX|XX|GT|LT …]`: valid
/// times (long enough, or absolute in the far future), zero, negative and long-past
/// ones (which delete the key), invalid ones; zero to two options, sometimes an
/// unknown one — also together with a time that is no integer, where Redis reports
/// the options first (feature `expire_option_order` for the unknown ones).
pub fn expire(g: &mut Gen, _: &mut Probe) -> Vec<Action> {
    let (name, arg) = *g.rng.pick(&[
        ("EXPIRE", TimeArg::ExpireSecs),
        ("PEXPIRE", TimeArg::ExpireMs),
        ("EXPIREAT", TimeArg::ExpireAtSecs),
        ("PEXPIREAT", TimeArg::ExpireAtMs),
    ]);
    let key = g.key();
    let time = g.time(arg, true);
    let not_integer = pools::strict_i64(&time).is_none();
    let mut options: Vec<&str> = match g.rng.below(10) {
        0..=3 => vec![],
        4..=8 => vec![*g.rng.pick(EXPIRE_OPTIONS)],
        _ => vec![*g.rng.pick(EXPIRE_OPTIONS), *g.rng.pick(EXPIRE_OPTIONS)],
    };
    let mut feature = "expire";
    if g.rng.chance(4) {
        if not_integer && !g.on("expire_option_order") {
            options.clear();
        } else {
            if not_integer {
                feature = "expire_option_order";
            }
            options.push(*g.rng.pick(&["FOO", "PERSIST", "KEEPTTL"]));
        }
    }
    let words: Vec<Vec<u8>> = options.iter().map(|o| g.token(o)).collect();
    Command::new(feature, name).arg(key).arg(time).args(words).into()
}
