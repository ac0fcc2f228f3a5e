//! The set type (filled in by the set family's change).
