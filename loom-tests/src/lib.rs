//! Loom model checks of FerrumKV's own code live in `tests/`: `engine.rs` (the
//! keyspace's read-modify-write paths, expiry, eviction, log order) and `aof.rs`
//! (group-commit acknowledgements). Run them with
//! `RUSTFLAGS="--cfg ferrum_loom" cargo test --profile loom -p loom-tests`; without
//! the cfg they compile to nothing.
