//! Runs the `operational_api` example: see `promforge_examples::operational_api`.
//!
//! ```text
//! cargo run -p promforge-examples --example operational_api [ADDRESS]
//! ```

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    promforge_examples::run_until_ctrl_c(promforge_examples::operational_api::start).await
}
