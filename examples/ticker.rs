//! Runs the `ticker` example: see `promforge_examples::ticker`.
//!
//! ```text
//! cargo run -p promforge-examples --example ticker [ADDRESS]
//! ```

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    promforge_examples::run_until_ctrl_c(promforge_examples::ticker::start).await
}
