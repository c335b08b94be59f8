//! Runs the `polypy_stats` example: see `promforge_examples::polypy_stats`.
//!
//! ```text
//! cargo run -p promforge-examples --example polypy_stats [ADDRESS]
//! ```

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    promforge_examples::run_until_ctrl_c(promforge_examples::polypy_stats::start).await
}
