//! The hash type (filled in by the hash family's change).
