//! Runnable examples of promforge; see the `[[example]]` entries of this package.
