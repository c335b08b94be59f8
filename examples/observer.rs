//! Runs the `observer` example: see `promforge_examples::observer`.
//!
//! ```text
//! cargo run -p promforge-examples --example observer [ADDRESS]
//! ```

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    promforge_examples::run_until_ctrl_c(promforge_examples::observer::start).await
}
