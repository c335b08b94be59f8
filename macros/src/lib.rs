//! Procedural macros of [promforge](https://docs.rs/promforge). This crate is an
//! implementation detail: depend on `promforge`, which re-exports what is here.
