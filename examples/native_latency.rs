//! Runs the `native_latency` example: see `promforge_examples::native_latency`.
//!
//! ```text
//! cargo run -p promforge-examples --example native_latency [ADDRESS]
//! ```

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    promforge_examples::run_until_ctrl_c(promforge_examples::native_latency::start).await
}
