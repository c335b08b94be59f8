//! Exemplars: the labels of one update (a trace id, typically) kept beside a counter or a
//! histogram bucket, and written after its sample in OpenMetrics
//! (`x_bucket{le="0.1"} 7 # {trace_id="4bf9…"} 0.067 1700000000.123`).
//!
//! Each counter and each histogram bucket keeps its last exemplar in an [`ExemplarSlot`]: a
//! mutex that an update only ever *tries* to take (if a scrape or another update holds it,
//! this exemplar is dropped: exemplars are samples, and the next one will do) and that a
//! scrape holds only to copy the exemplar's text into its output. An update without an
//! exemplar never touches a slot.

use std::cell::RefCell;
use std::sync::{Mutex, OnceLock, TryLockError};

use crate::encoding::{EncodeValue, push_label_pair};
use crate::error::Error;
use crate::labels::LabelSet;

/// The most characters OpenMetrics allows in an exemplar's label names and values
/// together.
pub const MAX_EXEMPLAR_CHARS: usize = 128;

/// Labels an exemplar can carry: a [`LabelSet`] (derived), or `[(name, value)]` pairs.
///
/// ```
/// # fn main() -> Result<(), promforge::Error> {
/// let requests = promforge::Counter::<u64>::new();
/// requests.inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")])?;
/// // The combined length of names and values is limited to 128 characters.
/// let long = "x".repeat(200);
/// assert!(requests.inc_with_exemplar(&[("trace_id", long.as_str())]).is_err());
/// # Ok(()) }
/// ```
pub trait ExemplarLabels {
    /// Appends `name="value",…` (values escaped) to `out`, after checking the names and the
    /// 128-character limit.
    fn encode_exemplar(&self, out: &mut String) -> Result<(), Error>;
}

impl ExemplarLabels for [(&str, &str)] {
    fn encode_exemplar(&self, out: &mut String) -> Result<(), Error> {
        let mut chars = 0;
        for (name, value) in self {
            crate::name::check_label_name(name)?;
            chars += name.chars().count() + value.chars().count();
            if chars > MAX_EXEMPLAR_CHARS {
                return Err(too_long(chars));
            }
        }
        for (name, value) in self {
            push_label_pair(out, name, value);
        }
        Ok(())
    }
}

impl<const N: usize> ExemplarLabels for [(&str, &str); N] {
    fn encode_exemplar(&self, out: &mut String) -> Result<(), Error> {
        self.as_slice().encode_exemplar(out)
    }
}

impl<L: LabelSet> ExemplarLabels for L {
    fn encode_exemplar(&self, out: &mut String) -> Result<(), Error> {
        let start = out.len();
        self.encode_labels(out);
        let chars = unescaped_chars(out.get(start..).unwrap_or_default());
        if chars > MAX_EXEMPLAR_CHARS {
            out.truncate(start);
            return Err(too_long(chars));
        }
        Ok(())
    }
}

fn too_long(chars: usize) -> Error {
    Error::InvalidExemplar {
        reason: format!(
            "its label names and values have {chars} characters; OpenMetrics allows at most \
             {MAX_EXEMPLAR_CHARS}"
        ),
    }
}

/// The characters of the names and values of `name="value",…` (escaped as
/// [`push_label_pair`] writes it), unescaped.
fn unescaped_chars(text: &str) -> usize {
    let (mut chars, mut in_value, mut escaped) = (0, false, false);
    for c in text.chars() {
        match (in_value, escaped, c) {
            (true, true, _) => {
                escaped = false;
                chars += 1;
            }
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_value = false,
            (true, false, _) => chars += 1,
            (false, _, '"') => in_value = true,
            (false, _, '=' | ',') => {}
            (false, _, _) => chars += 1,
        }
    }
    chars
}

/// The last exemplar of a counter or a histogram bucket.
#[derive(Default)]
pub struct ExemplarSlot {
    cell: Mutex<Stored>,
}

#[derive(Default)]
struct Stored {
    /// `name="value",…`, escaped; empty when no exemplar was recorded yet.
    labels: String,
    value: f64,
    /// Seconds since the epoch.
    timestamp: f64,
}

impl std::fmt::Debug for ExemplarSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExemplarSlot").finish_non_exhaustive()
    }
}

thread_local! {
    /// Where an exemplar's labels are encoded and checked before they are stored.
    static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
}

impl ExemplarSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        Self {
            cell: Mutex::new(Stored {
                labels: String::new(),
                value: 0.0,
                timestamp: 0.0,
            }),
        }
    }

    /// Records `labels` with `value`, stamped now. Errors on labels OpenMetrics refuses; an
    /// exemplar that finds the slot busy (a scrape copying it, another thread recording)
    /// is dropped.
    pub fn record<E: ExemplarLabels + ?Sized>(&self, labels: &E, value: f64) -> Result<(), Error> {
        if crate::noop::NOOP {
            return Ok(());
        }
        let encoded = SCRATCH.try_with(|scratch| {
            let Ok(mut scratch) = scratch.try_borrow_mut() else {
                // Re-entered (labels encoding recorded an exemplar): encode without it.
                let mut own = String::new();
                labels.encode_exemplar(&mut own)?;
                self.store(&own, value);
                return Ok(());
            };
            scratch.clear();
            labels.encode_exemplar(&mut scratch)?;
            self.store(&scratch, value);
            Ok(())
        });
        encoded.unwrap_or_else(|_| {
            let mut own = String::new();
            labels.encode_exemplar(&mut own)?;
            self.store(&own, value);
            Ok(())
        })
    }

    /// Stores checked, encoded labels (if the slot is free).
    fn store(&self, labels: &str, value: f64) {
        let mut stored = match self.cell.try_lock() {
            Ok(stored) => stored,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        stored.labels.clear();
        stored.labels.push_str(labels);
        stored.value = value;
        stored.timestamp = super::now_seconds();
    }

    /// Appends ` # {labels} value timestamp` when an exemplar was recorded.
    pub(crate) fn write_openmetrics(&self, buf: &mut Vec<u8>) {
        let stored = self
            .cell
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if stored.labels.is_empty() {
            return;
        }
        buf.extend_from_slice(b" # {");
        buf.extend_from_slice(stored.labels.as_bytes());
        buf.extend_from_slice(b"} ");
        stored.value.encode_value(buf);
        buf.push(b' ');
        // Milliseconds are what Prometheus keeps.
        let ms = (stored.timestamp * 1000.0).round() / 1000.0;
        buf.extend_from_slice(format!("{ms:.3}").as_bytes());
    }

    /// The labels and value of the exemplar recorded last, if any (for tests and checks).
    pub fn get(&self) -> Option<(String, f64)> {
        let stored = self
            .cell
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (!stored.labels.is_empty()).then(|| (stored.labels.clone(), stored.value))
    }
}

/// The trace and span an update happened in: what an automatic exemplar records, as
/// `trace_id="<32 hex digits>",span_id="<16 hex digits>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// The W3C trace id.
    pub trace_id: [u8; 16],
    /// The span id.
    pub span_id: [u8; 8],
}

/// Where automatic exemplars take the current trace from: a function returning the
/// current *sampled* span's ids, or `None` outside of one.
pub type ExemplarSource = fn() -> Option<TraceContext>;

static SOURCE: OnceLock<ExemplarSource> = OnceLock::new();

/// Sets where automatic exemplars come from, once per process: every
/// [`Histogram::observe`](crate::Histogram::observe) (and so every instrumented function's
/// and HTTP layer's duration) made while `source` returns a trace keeps it as its
/// bucket's exemplar. With feature `opentelemetry` the default source is the current
/// `tracing` span's OpenTelemetry context (or OpenTelemetry's current context); this hook
/// serves other tracers. Errors when a source was set already.
///
/// ```
/// use promforge::metrics::{TraceContext, set_exemplar_source};
///
/// fn current() -> Option<TraceContext> {
///     // Ask your tracer for the current sampled span here.
///     Some(TraceContext { trace_id: [0x4b; 16], span_id: [0x0f; 8] })
/// }
///
/// # fn main() -> Result<(), promforge::Error> {
/// set_exemplar_source(current)?;
/// let registry = promforge::Registry::new();
/// registry.histogram("latency_seconds", "Latency.", &[1.0])?.observe(0.5);
/// let text = registry.render_as(promforge::encoding::Format::OpenMetricsText1_0_0);
/// assert!(text.contains("# {trace_id=\"4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b\",span_id=\"0f0f0f0f0f0f0f0f\"} 0.5"));
/// # Ok(()) }
/// ```
pub fn set_exemplar_source(source: ExemplarSource) -> Result<(), Error> {
    SOURCE.set(source).map_err(|_| Error::InvalidExemplar {
        reason: "an exemplar source was set already (set_exemplar_source works once per process)"
            .to_owned(),
    })
}

/// The current trace, from the source set with [`set_exemplar_source`] or the default one.
#[inline]
pub(crate) fn current_trace() -> Option<TraceContext> {
    match SOURCE.get() {
        Some(source) => source(),
        None => default_source(),
    }
}

#[cfg(not(feature = "opentelemetry"))]
#[inline]
fn default_source() -> Option<TraceContext> {
    None
}

/// The current `tracing` span's OpenTelemetry context: its ids when it is valid and
/// sampled. Outside a `tracing` span there is none: OpenTelemetry's own current context is
/// a thread-local that panics when read while its thread exits (an instrumented call from
/// another thread-local's destructor would then abort the process), while `tracing` reads
/// its thread-local with `try_with`. Code traced with OpenTelemetry alone sets its own
/// source with [`set_exemplar_source`].
#[cfg(feature = "opentelemetry")]
fn default_source() -> Option<TraceContext> {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let span = tracing::Span::current();
    if span.is_none() {
        return None;
    }
    let context = span.context();
    let span = context.span();
    let ids = span.span_context();
    (ids.is_valid() && ids.is_sampled()).then(|| TraceContext {
        trace_id: ids.trace_id().to_bytes(),
        span_id: ids.span_id().to_bytes(),
    })
}

impl ExemplarSlot {
    /// Records `trace` as the exemplar of an observation of `value`.
    #[cold]
    pub(crate) fn record_trace(&self, trace: &TraceContext, value: f64) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 11 + 32 + 10 + 16 + 1];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            for b in bytes {
                if let Some(slot) = text.get_mut(at) {
                    *slot = *b;
                }
                at += 1;
            }
        };
        put(b"trace_id=\"");
        for b in trace.trace_id {
            put(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        put(b"\",span_id=\"");
        for b in trace.span_id {
            put(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        put(b"\"");
        if let Ok(labels) = std::str::from_utf8(text.get(..at).unwrap_or_default()) {
            self.store(labels, value);
        }
    }
}

thread_local! {
    /// Set while an instrumented call with `exemplars = false` records its duration.
    static OFF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Turns automatic exemplars off on this thread while it lives.
pub(crate) struct ExemplarsOff(());

impl ExemplarsOff {
    pub(crate) fn new() -> Self {
        let _ = OFF.try_with(|off| off.set(true));
        Self(())
    }
}

impl Drop for ExemplarsOff {
    fn drop(&mut self) {
        let _ = OFF.try_with(|off| off.set(false));
    }
}

/// Records the current trace (if any) as the exemplar of an observation of `value` in
/// bucket `bucket` of `slots` (made at the first exemplar, `n` of them).
#[inline]
pub(crate) fn auto_exemplar(
    slots: &OnceLock<Box<[ExemplarSlot]>>,
    n: usize,
    bucket: usize,
    value: f64,
) {
    if let Some(trace) = current_trace() {
        if OFF.try_with(std::cell::Cell::get).unwrap_or(false) {
            return;
        }
        let slots = slots.get_or_init(|| (0..n).map(|_| ExemplarSlot::new()).collect());
        if let Some(slot) = slots.get(bucket) {
            slot.record_trace(&trace, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_escaping() {
        let slot = ExemplarSlot::new();
        assert_eq!(slot.get(), None);
        assert!(slot.record(&[("trace_id", "a\"b")], 2.5).is_ok());
        assert_eq!(slot.get(), Some(("trace_id=\"a\\\"b\"".to_owned(), 2.5)));
        // 128 characters exactly pass, 129 do not (é is one character).
        let ok = "é".repeat(120);
        assert!(slot.record(&[("trace_id", ok.as_str())], 1.0).is_ok());
        let bad = "é".repeat(121);
        assert!(matches!(
            slot.record(&[("trace_id", bad.as_str())], 1.0),
            Err(Error::InvalidExemplar { .. })
        ));
        assert!(matches!(
            slot.record(&[("bad name", "x")], 1.0),
            Err(Error::InvalidLabelName { .. })
        ));
        // A refused exemplar leaves the last one in place.
        assert_eq!(slot.get().map(|(_, v)| v), Some(1.0));
        assert_eq!(unescaped_chars("a=\"x\\\"y\",bc=\"\\\\\""), 1 + 3 + 2 + 1);
    }
}
