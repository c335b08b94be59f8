// A label's value must be a LabelValue (a string, an integer, a bool, a LabelValue enum).
use promforge::instrument_metrics;

struct Tenant {
    id: u32,
}

#[instrument_metrics(name = "billing", labels(tenant = tenant))]
fn bill(tenant: &Tenant) -> u32 {
    tenant.id
}

fn main() {
    let _ = bill(&Tenant { id: 1 });
}
