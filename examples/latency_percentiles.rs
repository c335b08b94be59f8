//! Runs the `latency_percentiles` example: see `promforge_examples::latency_percentiles`.
//!
//! ```text
//! cargo run -p promforge-examples --example latency_percentiles [ADDRESS]
//! ```

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    promforge_examples::run_until_ctrl_c(promforge_examples::latency_percentiles::start).await
}
