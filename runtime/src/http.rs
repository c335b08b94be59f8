//! HTTP server middleware (feature `http`); axum helpers (feature `axum`).
