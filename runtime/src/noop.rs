//! The `noop` switch: with feature `noop`, metric updates are compiled out (handles,
//! families, facade records and instrumented calls do nothing; registries and renders still
//! work, showing zeros). A leaf: every layer that updates a metric reads it from here.

/// Whether metric updates are compiled out (feature `noop`).
pub(crate) const NOOP: bool = cfg!(feature = "noop");
