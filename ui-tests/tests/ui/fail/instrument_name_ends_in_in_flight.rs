// The attribute adds `_in_flight` to `name`: a name ending in it would have it twice.
use promforge::instrument_metrics;

#[instrument_metrics(name = "upload_in_flight")]
async fn upload(bytes: &[u8]) -> usize {
    bytes.len()
}

fn main() {
    drop(upload(b"x"));
}
