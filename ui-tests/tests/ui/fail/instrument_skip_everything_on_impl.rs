// On an impl block too, skipping every metric records nothing.
use promforge::instrument_metrics;

struct Parser;

#[instrument_metrics(skip(in_flight, calls, duration))]
impl Parser {
    fn parse(&self, input: &str) -> usize {
        input.len()
    }
}

fn main() {
    let _ = Parser.parse("1");
}
