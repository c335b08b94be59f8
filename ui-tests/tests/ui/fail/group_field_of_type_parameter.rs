// The derive reads what a field is from its type's name: a type parameter says nothing.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
struct Metrics<M> {
    /// Requests.
    requests: M,
}

fn main() {}
