//! The set family: `SADD`, `SINTER`, `SPOP`, `SSCAN` and friends (filled in by the
//! set family's change).

use super::spec::CommandSpec;

/// The set family.
pub static SPECS: &[CommandSpec] = &[];
