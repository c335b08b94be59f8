// `result` is the label the attribute writes itself: ok, error, cancelled or panic.
use promforge::instrument_metrics;

#[instrument_metrics(name = "send", labels(result = status))]
fn send(status: u16) -> u16 {
    status
}

fn main() {
    let _ = send(200);
}
