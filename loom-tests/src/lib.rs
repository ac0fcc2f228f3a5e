//! Loom model checks live in `tests/`; run them with `RUSTFLAGS="--cfg ferrum_loom" cargo test --release -p loom-tests`.
