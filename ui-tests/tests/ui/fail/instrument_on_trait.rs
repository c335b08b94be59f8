// A trait declares methods; the impl blocks (or their methods) are what to instrument.
use promforge::instrument_metrics;

#[instrument_metrics]
trait Store {
    fn get(&self) -> u32;
}

trait Cache {
    // No body to instrument.
    #[instrument_metrics]
    fn lookup(&self, key: u32) -> Option<u32>;

    // A provided method has one: this is fine.
    #[instrument_metrics]
    fn contains(&self, key: u32) -> bool {
        self.lookup(key).is_some()
    }
}

fn main() {}
