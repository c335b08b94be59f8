// The generated code names everything by absolute path: user items called like what it
// uses change nothing.
#![deny(warnings)]
#![allow(dead_code, non_camel_case_types)]

use promforge::instrument_metrics;

struct Result;
struct Option;
struct Some;
struct None;
struct Site;
struct SiteConfig;
struct Counter;
struct Classify;
struct Outcome;
struct CallResult;
struct LabelText;
struct String;
struct Vec;
struct Box;
struct bool;
struct f64;
trait LabelSet {}
trait LabelValue {}
trait FnOnce {}
mod core {}
mod std {}

#[instrument_metrics]
fn parse(text: &str) -> ::std::result::Result<u32, ::std::num::ParseIntError> {
    text.parse()
}

#[instrument_metrics]
fn make() -> Result {
    Result
}

#[instrument_metrics(name = "shadowed", labels(text = text), buckets = [0.5, 1.0])]
async fn labeled(text: &str) -> usize {
    text.len()
}

struct Store;

#[instrument_metrics(prefix = "shadowing")]
impl Store {
    fn get(&self) -> Option {
        Option
    }

    async fn later(&self) -> u8 {
        1
    }
}

fn main() {
    let _ = parse("1");
    let _ = make();
    let _ = Store.get();
    // Never polled: only checks the futures' types.
    drop(labeled("x"));
    drop(Store.later());
}
