//! A differential test: FerrumKV against a real `redis-server` 7.0 (the reference),
//! fed the same seeded random command sequences, comparing the raw reply bytes.
//!
//! How it works:
//! - The test starts `redis-server` itself (found on `PATH`, on a free loopback port,
//!   no persistence, in a temp dir; killed when the test ends) and a FerrumKV through
//!   the harness. Without `redis-server` it prints a loud `*** SKIPPED ***` line and
//!   passes, unless `CI` is set, where it fails.
//! - Per family (`strings`, `keyspace`, `hashes`, `sets`, `lists`, `zsets`, `geo`, `sort`, `streams`) a PRNG seeded from `DIFF_SEED` picks weighted
//!   ops; each op builds one or a few commands over a small pool of keys (binary and
//!   empty ones too, so commands collide) and values of every awkward shape, valid and
//!   invalid alike (arity, bad integers, overflow, bad expiry times, syntax errors,
//!   unknown options, bad database indexes).
//! - Every command goes to both servers over a connection of our own ([`wire`]: a
//!   small RESP reader that returns the exact bytes of one reply, with timeouts); the
//!   replies must be equal byte for byte, except where Redis is unordered or random or
//!   depends on the clock ([`check`]): KEYS is compared as a set, RANDOMKEY by its
//!   properties, TTL/PTTL and EXPIRETIME/PEXPIRETIME of relative expiries within a
//!   small tolerance. Expiries are long (100 s and more) or absolute in the far future,
//!   so no key expires during a run, except in one deliberately timed op (`tiny_ttl`).
//! - Each family runs under RESP2 and under RESP3 (`HELLO 3` on both connections).
//! - Differences the generator must not produce because another issue owns them are
//!   avoided where they would arise, each with a comment saying why.
//!
//! Settings (environment): `DIFF_SEED` (u64, decimal or `0x` hex; default from the
//! clock, printed at the start and in the failure), `DIFF_OPS` (steps per family and
//! protocol, default 3000), `DIFF_SKIP` (comma-separated feature names, see
//! [`features`], to turn off parts of the generator while a difference is being
//! fixed), `DIFF_STATS=1` (print how often each command got each kind of reply). A
//! failure lists up to 20 differences (at most 3 per feature, with the count of all),
//! each with its step, feature, command and both raw replies, and the line to replay
//! it. After each difference both servers are flushed and reconnected, so the next
//! one is a separate finding.
//!
//! Run one family and protocol: `cargo test --test differential strings_resp3`.

mod common;

#[path = "differential/bits.rs"]
mod bits;
#[path = "differential/check.rs"]
mod check;
#[path = "differential/expiry.rs"]
mod expiry;
#[path = "differential/features.rs"]
mod features;
#[path = "differential/geo.rs"]
mod geo;
#[path = "differential/hashes.rs"]
mod hashes;
#[path = "differential/keyspace.rs"]
mod keyspace;
#[path = "differential/lists.rs"]
mod lists;
#[path = "differential/pools.rs"]
mod pools;
#[path = "differential/reference.rs"]
mod reference;
#[path = "differential/rng.rs"]
mod rng;
#[path = "differential/runner.rs"]
mod runner;
#[path = "differential/sets.rs"]
mod sets;
#[path = "differential/sort.rs"]
mod sort;
#[path = "differential/step.rs"]
mod step;
#[path = "differential/streams.rs"]
mod streams;
#[path = "differential/strings.rs"]
mod strings;
#[path = "differential/wire.rs"]
mod wire;
#[path = "differential/zsets.rs"]
mod zsets;

use common::Proto;

#[test]
fn strings_resp2() {
    runner::run(&strings::STRINGS, Proto::Resp2);
}

#[test]
fn strings_resp3() {
    runner::run(&strings::STRINGS, Proto::Resp3);
}

#[test]
fn bits_resp2() {
    runner::run(&bits::BITS, Proto::Resp2);
}

#[test]
fn bits_resp3() {
    runner::run(&bits::BITS, Proto::Resp3);
}

#[test]
fn keyspace_resp2() {
    runner::run(&keyspace::KEYSPACE, Proto::Resp2);
}

#[test]
fn keyspace_resp3() {
    runner::run(&keyspace::KEYSPACE, Proto::Resp3);
}

#[test]
fn hashes_resp2() {
    runner::run(&hashes::HASHES, Proto::Resp2);
}

#[test]
fn hashes_resp3() {
    runner::run(&hashes::HASHES, Proto::Resp3);
}

#[test]
fn lists_resp2() {
    runner::run(&lists::LISTS, Proto::Resp2);
}

#[test]
fn lists_resp3() {
    runner::run(&lists::LISTS, Proto::Resp3);
}

#[test]
fn sets_resp2() {
    runner::run(&sets::SETS, Proto::Resp2);
}

#[test]
fn sets_resp3() {
    runner::run(&sets::SETS, Proto::Resp3);
}

#[test]
fn zsets_resp2() {
    runner::run(&zsets::ZSETS, Proto::Resp2);
}

#[test]
fn zsets_resp3() {
    runner::run(&zsets::ZSETS, Proto::Resp3);
}

#[test]
fn geo_resp2() {
    runner::run(&geo::GEO, Proto::Resp2);
}

#[test]
fn geo_resp3() {
    runner::run(&geo::GEO, Proto::Resp3);
}

#[test]
fn sort_resp2() {
    runner::run(&sort::SORTS, Proto::Resp2);
}

#[test]
fn sort_resp3() {
    runner::run(&sort::SORTS, Proto::Resp3);
}

#[test]
fn streams_resp2() {
    runner::run(&streams::STREAMS, Proto::Resp2);
}

#[test]
fn streams_resp3() {
    runner::run(&streams::STREAMS, Proto::Resp3);
}
