//! The hash family: `HSET`, `HGET`, `HINCRBY`, `HSCAN` and friends (filled in by the
//! hash family's change).

use super::spec::CommandSpec;

/// The hash family.
pub static SPECS: &[CommandSpec] = &[];
