//! The two budgets of the exporter's connections.
//!
//! - **Serving** (`max_connections`): connections with a request being answered, from a
//!   complete request head until the answer is written. A connection waits for a slot here
//!   after its head is read.
//! - **Pending** (`max_pending_connections`, larger): every other open connection: finishing
//!   its TLS handshake, still sending its request head, idle between two requests, or
//!   waiting for a serving slot. When a connection arrives (or an answered one goes back to
//!   waiting) and the budget is full, the connection that has been pending the longest is
//!   closed ("shed"): a slow client cannot hold a place that a scraper needs, and clients
//!   that trickle their headers cannot keep new ones out. Each shedding is counted and
//!   reported through the error handler, at most one line per [`REPORT_EVERY`].
//!
//! Connections are accepted as soon as they arrive: none wait in the listen backlog.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{Notify, OwnedSemaphorePermit};

/// The shortest time between two reports of shed connections.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(10);

const NOT_PENDING: u64 = u64::MAX;

/// The pending connections, oldest first.
pub(crate) struct Pending {
    max: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    next: u64,
    /// By the order they became pending: the first is the oldest.
    waiting: BTreeMap<u64, Arc<Notify>>,
    unreported: u64,
    last_report: Option<Instant>,
}

/// Connections shed since the last report, to be reported now.
#[must_use]
pub(crate) struct Shed(pub(crate) u64);

impl Pending {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            inner: Mutex::new(Inner {
                next: 0,
                waiting: BTreeMap::new(),
                unreported: 0,
                last_report: None,
            }),
        })
    }

    /// The budget.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// How many connections are pending now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `slot` pending (the newest), shedding the oldest when the budget is full.
    fn enter(&self, slot: &Slot) -> Option<Shed> {
        let mut inner = self.lock();
        if slot.key.load(Ordering::Relaxed) != NOT_PENDING {
            return None;
        }
        let mut shed = 0;
        while inner.waiting.len() >= self.max {
            let Some((_, oldest)) = inner.waiting.pop_first() else {
                break;
            };
            // Stored when its connection is not waiting yet: it is seen all the same.
            oldest.notify_one();
            shed += 1;
        }
        let key = inner.next;
        inner.next += 1;
        inner.waiting.insert(key, Arc::clone(&slot.shed));
        slot.key.store(key, Ordering::Relaxed);
        if shed == 0 {
            return None;
        }
        inner.unreported += shed;
        let now = Instant::now();
        if inner
            .last_report
            .is_some_and(|at| now.duration_since(at) < REPORT_EVERY)
        {
            return None;
        }
        inner.last_report = Some(now);
        Some(Shed(std::mem::take(&mut inner.unreported)))
    }

    /// Takes `slot` out of the pending connections: `false` when it was shed meanwhile.
    fn leave(&self, slot: &Slot) -> bool {
        let mut inner = self.lock();
        let key = slot.key.swap(NOT_PENDING, Ordering::Relaxed);
        key != NOT_PENDING && inner.waiting.remove(&key).is_some()
    }
}

/// One connection's place in the budgets.
pub(crate) struct Slot {
    pending: Arc<Pending>,
    key: AtomicU64,
    shed: Arc<Notify>,
    served: AtomicBool,
}

impl Slot {
    /// A new connection: pending (the newest). The oldest pending connection is shed when
    /// the budget is full.
    pub(crate) fn new(pending: &Arc<Pending>) -> (Arc<Self>, Option<Shed>) {
        let slot = Arc::new(Self {
            pending: Arc::clone(pending),
            key: AtomicU64::new(NOT_PENDING),
            shed: Arc::new(Notify::new()),
            served: AtomicBool::new(false),
        });
        let shed = pending.enter(&slot);
        (slot, shed)
    }

    /// Completes when this connection is shed: its task then drops it.
    pub(crate) async fn shed(&self) {
        self.shed.notified().await;
    }

    /// Whether a request head has been read on this connection.
    pub(crate) fn served(&self) -> bool {
        self.served.load(Ordering::Relaxed)
    }

    /// A request head was read: the connection leaves the pending budget for a serving
    /// slot (`permit`, already acquired). `None` when it was shed while waiting for it.
    pub(crate) fn serve(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Option<Serving> {
        self.served.store(true, Ordering::Relaxed);
        if !self.pending.leave(self) {
            return None;
        }
        Some(Serving {
            slot: Arc::clone(self),
            _permit: permit,
        })
    }

    /// The connection ends.
    pub(crate) fn close(&self) {
        self.pending.leave(self);
    }
}

/// A serving slot, held until the answer is written (it lives in the answer's body): then
/// the connection goes back to the pending budget, as the newest, for its next request.
pub(crate) struct Serving {
    slot: Arc<Slot>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(Shed(count)) = self.slot.pending.enter(&self.slot) {
            report_shed(count, self.slot.pending.max);
        }
    }
}

/// Reports `count` shed connections through the error handler.
pub(crate) fn report_shed(count: u64, limit: usize) {
    crate::error::report(&crate::error::Error::ConnectionsShed {
        closed: count,
        limit,
    });
}

/// An answer's body holding its connection's serving slot.
pub(crate) struct SlotBody {
    inner: Full<Bytes>,
    _serving: Option<Serving>,
}

impl SlotBody {
    pub(crate) fn new(body: Bytes, serving: Option<Serving>) -> Self {
        Self {
            inner: Full::new(body),
            _serving: serving,
        }
    }
}

impl Body for SlotBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Semaphore;

    #[tokio::test]
    async fn the_oldest_pending_connection_is_shed_first() {
        let pending = Pending::new(3);
        let slots: Vec<_> = (0..3).map(|_| Slot::new(&pending)).collect();
        assert!(slots.iter().all(|(_, shed)| shed.is_none()));
        assert_eq!(pending.len(), 3);
        let (fourth, shed) = Slot::new(&pending);
        assert_eq!(shed.map(|s| s.0), Some(1), "the first shedding is reported");
        assert_eq!(pending.len(), 3);
        // The first was shed: its signal is waiting for it.
        tokio::time::timeout(Duration::from_secs(5), slots[0].0.shed())
            .await
            .expect("the oldest is shed");
        // Serving takes a connection out of the budget; the shed one cannot be served.
        let permits = Arc::new(Semaphore::new(2));
        let permit = || Arc::clone(&permits).try_acquire_owned().expect("permit");
        assert!(slots[0].0.serve(permit()).is_none());
        let serving = slots[1].0.serve(permit()).expect("serving");
        assert_eq!(pending.len(), 2);
        // Another shedding within the report interval is counted, not reported.
        let (_fifth, _) = Slot::new(&pending);
        let (_sixth, shed) = Slot::new(&pending);
        assert!(shed.is_none());
        // Answered: back in the budget as the newest, shedding the oldest (`fourth`).
        drop(serving);
        assert_eq!(pending.len(), 3);
        tokio::time::timeout(Duration::from_secs(5), fourth.shed())
            .await
            .expect("the oldest is shed");
        assert!(slots[2].0.serve(permit()).is_none(), "shed by the sixth");
        slots[1].0.close();
        assert_eq!(pending.len(), 2);
    }
}
