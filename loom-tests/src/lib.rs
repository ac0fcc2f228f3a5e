//! Loom model checks of FerrumKV's engine live in `tests/`. Run them with
//! `RUSTFLAGS="--cfg ferrum_loom" cargo test --release -p loom-tests`; without the
//! cfg they compile to nothing.
