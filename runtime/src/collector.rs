//! [`Collector`]: families whose values are read at scrape time, from numbers the program
//! already keeps (stats structs, `/proc`, a connection pool…).

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::encoding::{
    ContentType, EncodeValue, ExpositionWriter, FamilyMeta, MetricEncoder, MetricType,
    RenderOptions,
};

/// One family a [`Collector`] writes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FamilyDesc {
    /// The family's name, without the registry's prefix (counters: with `_total`).
    pub name: Cow<'static, str>,
    /// The HELP text.
    pub help: Cow<'static, str>,
    /// The family's type.
    pub metric_type: MetricType,
}

impl FamilyDesc {
    /// A family description.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
        metric_type: MetricType,
    ) -> Self {
        Self {
            name: name.into(),
            help: help.into(),
            metric_type,
        }
    }
}

/// Families whose samples are produced at every scrape.
///
/// [`families`](Collector::families) is called once, at registration; at every scrape
/// [`collect`](Collector::collect) writes samples for any of them, in any order, through
/// the [`CollectorEncoder`] (which keeps each family's samples together).
///
/// ```
/// use promforge::{Collector, CollectorEncoder, FamilyDesc, MetricType, Registry};
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
///
/// struct Pool { open: Arc<AtomicU64> }
///
/// impl Collector for Pool {
///     fn families(&self) -> Vec<FamilyDesc> {
///         vec![FamilyDesc::new("pool_connections", "Open connections.", MetricType::Gauge)]
///     }
///     fn collect(&self, out: &mut CollectorEncoder<'_>) {
///         out.sample(0, "", self.open.load(Ordering::Relaxed));
///     }
/// }
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = Registry::new();
/// let open = Arc::new(AtomicU64::new(3));
/// registry.register_collector(Pool { open: open.clone() })?;
/// assert!(registry.render().contains("pool_connections 3\n"));
/// # Ok(()) }
/// ```
pub trait Collector: Send + Sync + 'static {
    /// The families this collector writes (fixed for its lifetime).
    fn families(&self) -> Vec<FamilyDesc>;

    /// Writes the current samples.
    fn collect(&self, out: &mut CollectorEncoder<'_>);
}

/// Where a [`Collector`] writes its samples: one buffer per family, so samples written in
/// any order come out grouped under their family's header.
pub struct CollectorEncoder<'a> {
    format: (ContentType, RenderOptions),
    families: &'a [FamilyMeta],
    const_labels: &'a str,
    buffers: &'a mut [Vec<u8>],
}

impl<'a> CollectorEncoder<'a> {
    pub(crate) fn new(
        format: (ContentType, RenderOptions),
        families: &'a [FamilyMeta],
        const_labels: &'a str,
        buffers: &'a mut [Vec<u8>],
    ) -> Self {
        Self {
            format,
            families,
            const_labels,
            buffers,
        }
    }

    /// Writes one plain sample (counter, gauge, untyped) of family `family` (an index into
    /// [`Collector::families`]) with the pre-rendered, escaped `labels` (or "").
    /// An index out of range is ignored.
    #[inline]
    pub fn sample<V: EncodeValue>(&mut self, family: usize, labels: &str, value: V) {
        let Some(meta) = self.families.get(family) else {
            return;
        };
        let metric_type = meta.metric_type();
        self.with_family(family, labels, |encoder| encoder.value(metric_type, value));
    }

    /// Runs `write` with an encoder for family `family` and the series `labels`, for
    /// samples of several values (a histogram's buckets, a summary's quantiles).
    #[inline]
    pub fn with_family(
        &mut self,
        family: usize,
        labels: &str,
        write: impl FnOnce(&mut MetricEncoder<'_>),
    ) {
        let (Some(meta), Some(buf)) = (self.families.get(family), self.buffers.get_mut(family))
        else {
            return;
        };
        let mut encoder =
            ExpositionWriter::sample_buffer(self.format, buf, meta, self.const_labels);
        write(&mut encoder.with_labels(labels));
    }
}

/// A registered collector and its reusable per-family buffers.
pub(crate) struct CollectorEntry {
    pub(crate) collector: Box<dyn Collector>,
    /// The families, in the order of `families()`.
    pub(crate) families: Vec<FamilyMeta>,
    pub(crate) buffers: Mutex<Vec<Vec<u8>>>,
    /// `collector="<first family>"`, escaped: this collector's label on the errors counter.
    pub(crate) error_label: String,
    /// Scrapes in which `collect` panicked.
    pub(crate) errors: AtomicU64,
}

impl CollectorEntry {
    /// Collects into the reused buffers and appends every family (header and samples) to
    /// `out`. A family with no samples this time is left out.
    pub(crate) fn render(&self, const_labels: &str, out: &mut ExpositionWriter<'_>) {
        let mut buffers = self.buffers.lock().unwrap_or_else(PoisonError::into_inner);
        for buf in buffers.iter_mut() {
            buf.clear();
        }
        let format = out.format();
        let collected = std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.collector.collect(&mut CollectorEncoder::new(
                format,
                &self.families,
                const_labels,
                &mut buffers,
            ));
        }));
        if collected.is_err() {
            // A panicking collector (a stats closure, a lock poisoned elsewhere…) loses
            // this scrape's samples, never the scrape: the rest is served and the error counted.
            self.errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
        for (meta, buf) in self.families.iter().zip(buffers.iter()) {
            if !buf.is_empty() {
                out.family_encoded(meta, buf);
            }
        }
    }
}
