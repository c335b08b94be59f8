use promforge::instrument_metrics;

struct Store;

#[instrument_metrics]
#[promforge::instrument_metrics]
impl Store {
    fn read(&self) -> u8 {
        1
    }
}

fn main() {
    Store.read();
}
