// An instrumented async fn's future is Send when the original one was: what it holds across
// an await (the guard, the label values) is Send.
#![deny(warnings)]

use std::future::Future;
use std::task::Poll;

use promforge::instrument_metrics;

#[instrument_metrics]
async fn handle(path: &str, body: String) -> Result<usize, String> {
    yield_now().await;
    if body.is_empty() {
        return Err(format!("empty body for {path}"));
    }
    Ok(path.len() + body.len())
}

#[instrument_metrics(name = "send_labeled", labels(user = user, size = body.len()))]
async fn labeled(user: &str, body: Vec<u8>) -> usize {
    yield_now().await;
    user.len() + body.len()
}

struct Service {
    id: u32,
}

#[instrument_metrics]
impl Service {
    async fn call(&self, request: &str) -> u32 {
        yield_now().await;
        self.id + request.len() as u32
    }

    fn boxed(&self) -> std::pin::Pin<Box<dyn Future<Output = u32> + Send + '_>> {
        Box::pin(async move {
            yield_now().await;
            self.id
        })
    }
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    assert_send(handle("/", String::from("x")));
    assert_send(labeled("ann", vec![1, 2]));
    let service = Service { id: 1 };
    assert_send(service.call("x"));
    assert_send(service.boxed());
}

fn yield_now() -> impl Future<Output = ()> + Send {
    let mut yielded = false;
    std::future::poll_fn(move |_| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            Poll::Pending
        }
    })
}
