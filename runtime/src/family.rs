//! [`Family`]: one metric per label set, and [`StateSet`]: which of an enum's states is current.

use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::encoding::{MetricEncoder, MetricType, push_label_pair};
use crate::error::Error;
use crate::labels::LabelSet;
use crate::metrics::{Counter, CounterNumber, EncodeMetric, Gauge, GaugeNumber, Histogram};

/// How many series an open family holds before further label sets go to its overflow
/// series (change it with [`Family::with_cardinality_limit`]).
pub const DEFAULT_CARDINALITY_LIMIT: usize = 1000;

/// The value every label of the overflow series carries.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// Closed sets larger than this are handled as open ones (created on first use, bounded by
/// the cardinality limit) rather than all created up front.
const MAX_EAGER_SERIES: usize = 10_000;

type Factory<M> = Box<dyn Fn() -> M + Send + Sync>;

/// One metric of type `M` per label set `L`: `http_requests_total{method="get",status="ok"}`.
///
/// - **Closed** label sets (every label a derived enum or `bool`): every series is created
///   at once, so all combinations show at 0 before the first update, and [`get`](Self::get)
///   is an array index — no hashing, no lock, no allocation.
/// - **Open** label sets (strings, integers): a series is created on first use, at most
///   [`DEFAULT_CARDINALITY_LIMIT`] of them (see [`with_cardinality_limit`](Self::with_cardinality_limit));
///   past the limit, updates go to one overflow series whose labels are all
///   [`OVERFLOW_LABEL_VALUE`], and the registry's `promforge_cardinality_overflow_total
///   {metric="…"}` counts them. Series can be [`remove`](Self::remove)d.
///
/// ```
/// use promforge::{Counter, Family, LabelSet, LabelValue, Registry};
///
/// #[derive(LabelValue, Clone, Copy)]
/// enum Method { Get, Post }
///
/// #[derive(LabelSet, Clone, Copy)]
/// struct Labels { method: Method, ok: bool }
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = Registry::new();
/// let requests = Family::<Labels, Counter>::new();
/// registry.register("requests", "Requests served.", requests.clone())?;
/// requests.get(&Labels { method: Method::Get, ok: true }).inc();
/// let text = registry.render();
/// assert!(text.contains("requests_total{method=\"get\",ok=\"true\"} 1\n"));
/// assert!(text.contains("requests_total{method=\"post\",ok=\"false\"} 0\n"));
/// # Ok(()) }
/// ```
pub struct Family<L: LabelSet, M> {
    inner: Arc<Inner<M>>,
    _labels: PhantomData<fn(&L)>,
}

struct Inner<M> {
    factory: Factory<M>,
    metric_type: MetricType,
    storage: Storage<M>,
}

struct Child<M> {
    /// `a="1",b="2"`, escaped.
    labels: String,
    metric: M,
}

/// A series of an open family: its label set's hash, where its label text sits in the
/// family's text arena, and its metric.
struct OpenChild<M> {
    /// The label set's [`LabelSet::hash_labels`] hash (kept for growing the table: the
    /// text alone cannot be hashed the same way).
    hash: u64,
    start: u32,
    len: u32,
    metric: M,
}

/// What an open family's lookup found: the series of the label set, or the overflow series.
enum Found<'a, M> {
    Series(M),
    Overflow(&'a M),
}

enum Storage<M> {
    Closed(Box<[Child<M>]>),
    Open(OpenSet<M>),
}

struct OpenSet<M> {
    series: RwLock<OpenSeries<M>>,
    hasher: foldhash::fast::RandomState,
    limit: AtomicUsize,
    overflow: Child<M>,
    /// Updates that landed in the overflow series.
    overflowed: Arc<AtomicU64>,
    /// Whether a label set was ever sent to the overflow series (it is exposed from then on).
    routed: AtomicBool,
}

/// The series of an open family. Each keeps its label values once, as the escaped label
/// text the scrape writes (`a="1",b="2"`), in one arena for all series; a lookup hashes
/// the label values in place and compares them with that text without building its own.
/// The series are kept in order of their label values too (kept up to date as series come
/// and go), so that a scrape writes them sorted, as client_golang does, and two scrapes
/// diff cleanly.
struct OpenSeries<M> {
    /// The series, in no particular order (a removed one's slot takes the last one).
    slots: Vec<OpenChild<M>>,
    /// Slot numbers, hashed by the label set.
    table: hashbrown::HashTable<u32>,
    /// Slot numbers, in order of the series' label values.
    order: Vec<u32>,
    /// Every series' label text, back to back.
    arena: String,
    /// Bytes of `arena` that belong to removed series (reclaimed when they are half of it).
    garbage: usize,
}

impl<M> Default for OpenSeries<M> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            table: hashbrown::HashTable::new(),
            order: Vec::new(),
            arena: String::new(),
            garbage: 0,
        }
    }
}

/// The label text of `child` in `arena`.
#[inline]
fn text_of<'a, M>(arena: &'a str, child: &OpenChild<M>) -> &'a str {
    let start = child.start as usize;
    arena.get(start..start + child.len as usize).unwrap_or("")
}

/// Orders two series' label texts (`a="x",b="y"`, same label names) by their label values,
/// compared as strings: the closing quote of a value sorts before any character, so `"x"`
/// comes before `"x y"` (a plain byte compare would put the space first).
pub(crate) fn compare_label_text(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |bytes: &[u8], i: usize| -> u16 {
        match bytes.get(i) {
            // A quote after an even number of backslashes ends a value: lowest.
            Some(b'"') => {
                let backslashes = bytes
                    .get(..i)
                    .unwrap_or_default()
                    .iter()
                    .rev()
                    .take_while(|b| **b == b'\\')
                    .count();
                if backslashes % 2 == 0 {
                    0
                } else {
                    u16::from(b'"') + 1
                }
            }
            Some(byte) => u16::from(*byte) + 1,
            None => 0,
        }
    };
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = a.iter().zip(b).position(|(x, y)| x != y);
    match at {
        Some(i) => key(a, i).cmp(&key(b, i)),
        None => a.len().cmp(&b.len()),
    }
}

impl<M> OpenSeries<M> {
    #[inline]
    fn slot(&self, i: u32) -> Option<&OpenChild<M>> {
        self.slots.get(i as usize)
    }

    #[inline]
    fn text(&self, i: u32) -> &str {
        self.slot(i).map_or("", |child| text_of(&self.arena, child))
    }

    #[inline]
    fn find<L: LabelSet>(&self, hash: u64, labels: &L) -> Option<&OpenChild<M>> {
        let i = self
            .table
            .find(hash, |&i| labels.matches_encoded(self.text(i)))?;
        self.slot(*i)
    }

    /// The series, in order of their label values.
    fn sorted(&self) -> impl Iterator<Item = (&str, &M)> {
        self.order.iter().filter_map(|&i| {
            self.slot(i)
                .map(|child| (text_of(&self.arena, child), &child.metric))
        })
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    /// Where the series with label text `text` is, or goes, in `order`.
    fn position(&self, text: &str) -> Result<usize, usize> {
        self.order
            .binary_search_by(|&i| compare_label_text(self.text(i), text))
    }

    /// Adds a series; `false` when the arena cannot address more text (4 GiB).
    fn insert(&mut self, hash: u64, text: &str, metric: M) -> bool {
        let (Ok(start), Ok(len), Ok(slot)) = (
            u32::try_from(self.arena.len()),
            u32::try_from(text.len()),
            u32::try_from(self.slots.len()),
        ) else {
            return false;
        };
        if start.checked_add(len).is_none() {
            return false;
        }
        let at = self.position(text).unwrap_or_else(|at| at);
        self.arena.push_str(text);
        self.slots.push(OpenChild {
            hash,
            start,
            len,
            metric,
        });
        self.order.insert(at, slot);
        let slots = &self.slots;
        self.table.insert_unique(hash, slot, |&i| {
            slots.get(i as usize).map_or(0, |child| child.hash)
        });
        true
    }

    fn remove<L: LabelSet>(&mut self, hash: u64, labels: &L) -> bool {
        let Some(&slot) = self
            .table
            .find(hash, |&i| labels.matches_encoded(self.text(i)))
        else {
            return false;
        };
        if let Ok(at) = self.position(self.text(slot)) {
            self.order.remove(at);
        }
        let Self { table, slots, .. } = self;
        if let Ok(entry) = table.find_entry(hash, |&i| i == slot) {
            entry.remove();
        }
        // The last slot moves into the freed one: its number changes in the table and
        // in the order.
        let last = u32::try_from(slots.len() - 1).unwrap_or(u32::MAX);
        if slot != last {
            if let Some(moved) = slots.last() {
                let moved_hash = moved.hash;
                if let Ok(mut entry) = table.find_entry(moved_hash, |&i| i == last) {
                    *entry.get_mut() = slot;
                }
            }
            if let Ok(at) = self.position(self.text(last)) {
                if let Some(entry) = self.order.get_mut(at) {
                    *entry = slot;
                }
            }
        }
        let removed = self.slots.swap_remove(slot as usize);
        self.garbage += removed.len as usize;
        if self.garbage > 4096 && self.garbage * 2 > self.arena.len() {
            self.compact();
        }
        true
    }

    /// Copies the live series' text into a new arena, dropping removed series' text.
    fn compact(&mut self) {
        let mut fresh = String::with_capacity(self.arena.len() - self.garbage);
        for child in &mut self.slots {
            let start = fresh.len();
            fresh.push_str(text_of(&self.arena, child));
            // The new arena is smaller than the old one: the offset fits as it did.
            child.start = u32::try_from(start).unwrap_or(u32::MAX);
        }
        self.arena = fresh;
        self.garbage = 0;
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// A reference to one series of a [`Family`]: borrowed for closed label sets, a cheap
/// clone of the handle for open ones. Use it like the metric itself.
///
/// When an open family is past its cardinality limit this is its overflow series, and the
/// update methods called on the reference itself (`family.get(&labels).inc()`) are counted
/// in `promforge_cardinality_overflow_total`; merely getting it counts nothing. A handle
/// cloned out of it (`family.get(&labels).clone()`) updates the overflow series uncounted:
/// keep the [`Family`] and call its update methods for exact counts.
#[derive(Debug)]
pub struct MetricRef<'a, M> {
    metric: Held<'a, M>,
    /// The family's overflow counter, when this is its overflow series.
    overflow: Option<&'a AtomicU64>,
}

#[derive(Debug)]
enum Held<'a, M> {
    Borrowed(&'a M),
    Owned(M),
}

impl<'a, M> MetricRef<'a, M> {
    #[inline]
    fn borrowed(metric: &'a M) -> Self {
        Self {
            metric: Held::Borrowed(metric),
            overflow: None,
        }
    }

    #[inline]
    fn owned(metric: M) -> Self {
        Self {
            metric: Held::Owned(metric),
            overflow: None,
        }
    }

    /// Whether this is the family's overflow series (an open family past its limit).
    pub fn is_overflow(&self) -> bool {
        self.overflow.is_some()
    }

    /// Counts one update that lands in the overflow series.
    #[inline]
    fn counted(&self) -> &M {
        if let Some(overflow) = self.overflow {
            overflow.fetch_add(1, Ordering::Relaxed);
        }
        self
    }
}

impl<M> Deref for MetricRef<'_, M> {
    type Target = M;

    #[inline]
    fn deref(&self) -> &M {
        match &self.metric {
            Held::Borrowed(m) => m,
            Held::Owned(m) => m,
        }
    }
}

impl<N: CounterNumber> MetricRef<'_, Counter<N>> {
    /// Adds one (see [`Counter::inc`]).
    #[inline]
    pub fn inc(&self) {
        self.counted().inc();
    }

    /// Adds `v` (see [`Counter::inc_by`]).
    #[inline]
    pub fn inc_by(&self, v: N) {
        self.counted().inc_by(v);
    }
}

impl<N: CounterNumber> MetricRef<'_, crate::metrics::ShardedCounter<N>> {
    /// Adds one (see [`ShardedCounter::inc`](crate::ShardedCounter::inc)).
    #[inline]
    pub fn inc(&self) {
        self.counted().inc();
    }

    /// Adds `v` (see [`ShardedCounter::inc_by`](crate::ShardedCounter::inc_by)).
    #[inline]
    pub fn inc_by(&self, v: N) {
        self.counted().inc_by(v);
    }
}

impl<N: GaugeNumber> MetricRef<'_, Gauge<N>> {
    /// Sets the gauge (see [`Gauge::set`]).
    #[inline]
    pub fn set(&self, v: N) {
        self.counted().set(v);
    }

    /// Adds `v` (see [`Gauge::add`]).
    #[inline]
    pub fn add(&self, v: N) {
        self.counted().add(v);
    }

    /// Adds one (see [`Gauge::inc`]).
    #[inline]
    pub fn inc(&self) {
        self.counted().inc();
    }

    /// Subtracts one (see [`Gauge::dec`]).
    #[inline]
    pub fn dec(&self) {
        self.counted().dec();
    }
}

impl MetricRef<'_, Histogram> {
    /// Records `v` (see [`Histogram::observe`]).
    #[inline]
    pub fn observe(&self, v: f64) {
        self.counted().observe(v);
    }
}

impl MetricRef<'_, crate::metrics::Summary> {
    /// Records `v` (see [`Summary::observe`](crate::Summary::observe)).
    #[inline]
    pub fn observe(&self, v: f64) {
        self.counted().observe(v);
    }
}

impl<L: LabelSet, M: EncodeMetric + Clone> Family<L, M> {
    /// A family whose series are made by `M::default()`.
    pub fn new() -> Self
    where
        M: Default,
    {
        Self::new_with(M::default)
    }

    /// A family whose series are made by `factory` (for example histograms with the same
    /// buckets).
    pub fn new_with(factory: impl Fn() -> M + Send + Sync + 'static) -> Self {
        let factory: Factory<M> = Box::new(factory);
        let metric_type = factory().metric_type();
        let storage = match L::CARDINALITY {
            Some(n) if n <= MAX_EAGER_SERIES => Storage::Closed(
                (0..n)
                    .map(|i| {
                        let mut labels = String::new();
                        L::encode_labels_at(i, &mut labels);
                        Child {
                            labels,
                            metric: factory(),
                        }
                    })
                    .collect(),
            ),
            _ => {
                let mut labels = String::new();
                for name in L::NAMES {
                    push_label_pair(&mut labels, name, OVERFLOW_LABEL_VALUE);
                }
                Storage::Open(OpenSet {
                    series: RwLock::default(),
                    hasher: foldhash::fast::RandomState::default(),
                    limit: AtomicUsize::new(DEFAULT_CARDINALITY_LIMIT),
                    overflow: Child {
                        labels,
                        metric: factory(),
                    },
                    overflowed: Arc::new(AtomicU64::new(0)),
                    routed: AtomicBool::new(false),
                })
            }
        };
        Self {
            inner: Arc::new(Inner {
                factory,
                metric_type,
                storage,
            }),
            _labels: PhantomData,
        }
    }

    /// Sets how many series this (open) family may hold; the limit applies to series
    /// created from now on. No effect on closed families, which hold every combination.
    pub fn with_cardinality_limit(self, limit: usize) -> Self {
        if let Storage::Open(open) = &self.inner.storage {
            open.limit.store(limit, Ordering::Relaxed);
        }
        self
    }

    /// Names the overflow series' labels `names` instead of `L::NAMES`, for label sets
    /// whose names are chosen at run time (the HTTP layer's). Only on a family not yet
    /// shared (just made): otherwise nothing changes.
    #[cfg(feature = "http")]
    pub(crate) fn with_overflow_label_names(mut self, names: &[&str]) -> Self {
        if let Some(Inner {
            storage: Storage::Open(open),
            ..
        }) = Arc::get_mut(&mut self.inner)
        {
            let mut labels = String::new();
            for name in names {
                push_label_pair(&mut labels, name, OVERFLOW_LABEL_VALUE);
            }
            open.overflow.labels = labels;
        }
        self
    }

    /// Whether every series exists up front (a closed label set).
    pub fn is_closed(&self) -> bool {
        matches!(self.inner.storage, Storage::Closed(_))
    }

    /// The series for `labels`, created if needed (open sets, within the limit).
    #[inline]
    pub fn get(&self, labels: &L) -> MetricRef<'_, M> {
        match &self.inner.storage {
            Storage::Closed(children) => match children.get(labels.index()) {
                Some(child) => MetricRef::borrowed(&child.metric),
                // Unreachable with derived label sets; a hand-written index out of range
                // must not panic either.
                None => MetricRef::owned((self.inner.factory)()),
            },
            // Switched off: no lookup, updates go nowhere.
            Storage::Open(open) if crate::noop::NOOP => MetricRef::borrowed(&open.overflow.metric),
            Storage::Open(open) => match self.get_open(open, labels, || (self.inner.factory)()) {
                Found::Series(metric) => MetricRef::owned(metric),
                Found::Overflow(metric) => MetricRef {
                    metric: Held::Borrowed(metric),
                    overflow: Some(&open.overflowed),
                },
            },
        }
    }

    /// Runs `update` on the series for `labels`. For an open family a hit runs it under the
    /// read lock, saving the handle clone `get` makes; `update` is always promforge's own
    /// code (the public update methods below), never the caller's, so it cannot re-enter.
    #[inline]
    fn update(&self, labels: &L, update: impl FnOnce(&M)) {
        if crate::noop::NOOP {
            return;
        }
        match &self.inner.storage {
            Storage::Closed(children) => match children.get(labels.index()) {
                Some(child) => update(&child.metric),
                None => update(&(self.inner.factory)()),
            },
            Storage::Open(open) => {
                let hash = hash_labels(&open.hasher, labels);
                {
                    let series = open.series.read().unwrap_or_else(PoisonError::into_inner);
                    if let Some(found) = series.find(hash, labels) {
                        update(&found.metric);
                        return;
                    }
                }
                match self.get_open(open, labels, || (self.inner.factory)()) {
                    Found::Series(metric) => update(&metric),
                    Found::Overflow(metric) => {
                        open.overflowed.fetch_add(1, Ordering::Relaxed);
                        update(metric);
                    }
                }
            }
        }
    }

    /// The series for `labels`; when there is none yet, the one `make` makes is added (an
    /// open family past its limit gives its overflow series instead; a closed family has
    /// every series already). For series that must be made another way than the factory's.
    ///
    /// With the series comes the family's overflow counter when it is the overflow series:
    /// the caller adds one to it per update it makes there.
    pub(crate) fn get_or_insert_with(
        &self,
        labels: &L,
        make: impl FnOnce() -> M,
    ) -> (M, Option<Arc<AtomicU64>>) {
        match &self.inner.storage {
            Storage::Closed(children) => match children.get(labels.index()) {
                Some(child) => (child.metric.clone(), None),
                None => (make(), None),
            },
            Storage::Open(open) => match self.get_open(open, labels, make) {
                Found::Series(metric) => (metric, None),
                Found::Overflow(metric) => (metric.clone(), Some(Arc::clone(&open.overflowed))),
            },
        }
    }

    /// The series for `labels`, made by `make` and added if it is new and within the limit;
    /// past the limit, the overflow series (from now on exposed, counted by its updates).
    fn get_open<'a>(
        &self,
        open: &'a OpenSet<M>,
        labels: &L,
        make: impl FnOnce() -> M,
    ) -> Found<'a, M> {
        // Hash and compare the label values in place: nothing is built on a hit.
        let hash = hash_labels(&open.hasher, labels);
        {
            let series = open.series.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(found) = series.find(hash, labels) {
                return Found::Series(found.metric.clone());
            }
        }
        let mut series = open.series.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = series.find(hash, labels) {
            return Found::Series(found.metric.clone());
        }
        if series.len() < open.limit.load(Ordering::Relaxed) {
            let mut text = String::new();
            labels.encode_labels(&mut text);
            let metric = make();
            if series.insert(hash, &text, metric.clone()) {
                return Found::Series(metric);
            }
        }
        open.routed.store(true, Ordering::Relaxed);
        Found::Overflow(&open.overflow.metric)
    }

    /// Removes the series for `labels` from an open family (it stops being exposed; a
    /// handle still held keeps counting into nothing). Returns whether it existed.
    /// Closed families keep every series: this returns `false` for them.
    pub fn remove(&self, labels: &L) -> bool {
        let Storage::Open(open) = &self.inner.storage else {
            return false;
        };
        let hash = hash_labels(&open.hasher, labels);
        open.series
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(hash, labels)
    }

    /// Removes every series of an open family (closed families are left as they are).
    pub fn clear(&self) {
        if let Storage::Open(open) = &self.inner.storage {
            open.series
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
    }

    /// The number of series currently exposed (not counting the overflow series).
    pub fn len(&self) -> usize {
        match &self.inner.storage {
            Storage::Closed(children) => children.len(),
            Storage::Open(open) => open
                .series
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .len(),
        }
    }

    /// Whether the family exposes no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many updates went to the overflow series (always 0 for closed families).
    pub fn overflow_count(&self) -> u64 {
        match &self.inner.storage {
            Storage::Closed(_) => 0,
            Storage::Open(open) => open.overflowed.load(Ordering::Relaxed),
        }
    }
}

fn hash_labels<L: LabelSet>(hasher: &foldhash::fast::RandomState, labels: &L) -> u64 {
    let mut state = hasher.build_hasher();
    labels.hash_labels(&mut state);
    std::hash::Hasher::finish(&state)
}

impl<L: LabelSet, N: CounterNumber> Family<L, Counter<N>> {
    /// Adds one to the series for `labels`; the same as `get(labels).inc()`, and faster for
    /// open label sets (no handle is cloned).
    #[inline]
    pub fn inc(&self, labels: &L) {
        self.update(labels, Counter::inc);
    }

    /// Adds `v` to the series for `labels` (see [`Counter::inc_by`]).
    #[inline]
    pub fn inc_by(&self, labels: &L, v: N) {
        self.update(labels, |c| c.inc_by(v));
    }
}

impl<L: LabelSet, N: CounterNumber> Family<L, crate::metrics::ShardedCounter<N>> {
    /// Adds one to the series for `labels` (to this thread's shard of it).
    #[inline]
    pub fn inc(&self, labels: &L) {
        self.update(labels, crate::metrics::ShardedCounter::inc);
    }

    /// Adds `v` to the series for `labels` (see [`ShardedCounter::inc_by`](crate::ShardedCounter::inc_by)).
    #[inline]
    pub fn inc_by(&self, labels: &L, v: N) {
        self.update(labels, |c| c.inc_by(v));
    }
}

impl<L: LabelSet, N: GaugeNumber> Family<L, Gauge<N>> {
    /// Sets the series for `labels` to `v`.
    #[inline]
    pub fn set(&self, labels: &L, v: N) {
        self.update(labels, |g| g.set(v));
    }

    /// Adds `v` (which may be negative) to the series for `labels`.
    #[inline]
    pub fn add(&self, labels: &L, v: N) {
        self.update(labels, |g| g.add(v));
    }

    /// Adds one to the series for `labels`.
    #[inline]
    pub fn inc(&self, labels: &L) {
        self.update(labels, Gauge::inc);
    }

    /// Subtracts one from the series for `labels`.
    #[inline]
    pub fn dec(&self, labels: &L) {
        self.update(labels, Gauge::dec);
    }
}

impl<L: LabelSet> Family<L, Histogram> {
    /// Records `v` in the series for `labels`.
    #[inline]
    pub fn observe(&self, labels: &L, v: f64) {
        self.update(labels, |h| h.observe(v));
    }

    /// A family of histograms sharing these upper bounds (checked once, here).
    pub fn with_buckets(buckets: &[f64]) -> Result<Self, Error> {
        let prototype = Histogram::with_buckets(buckets)?;
        let bounds = prototype.buckets().to_vec();
        Ok(Self::new_with(move || {
            Histogram::with_buckets(&bounds).unwrap_or_default()
        }))
    }
}

impl<L: LabelSet, M: EncodeMetric + Clone + Default> Default for Family<L, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: LabelSet, M> Clone for Family<L, M> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            _labels: PhantomData,
        }
    }
}

impl<L: LabelSet, M> std::fmt::Debug for Family<L, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family")
            .field("labels", &L::NAMES)
            .field("type", &self.inner.metric_type)
            .field("closed", &matches!(self.inner.storage, Storage::Closed(_)))
            .finish_non_exhaustive()
    }
}

impl<L: LabelSet + 'static, M: EncodeMetric + Clone> EncodeMetric for Family<L, M> {
    fn metric_type(&self) -> MetricType {
        self.inner.metric_type
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        match &self.inner.storage {
            Storage::Closed(children) => {
                for child in children.iter() {
                    child.metric.encode(&mut encoder.with_labels(&child.labels));
                }
            }
            Storage::Open(open) => {
                let series = open.series.read().unwrap_or_else(PoisonError::into_inner);
                for (labels, metric) in series.sorted() {
                    metric.encode(&mut encoder.with_labels(labels));
                }
                drop(series);
                if open.routed.load(Ordering::Relaxed) {
                    let child = &open.overflow;
                    child.metric.encode(&mut encoder.with_labels(&child.labels));
                }
            }
        }
    }

    fn label_names(&self) -> Vec<&str> {
        L::NAMES.to_vec()
    }

    fn cardinality_overflow(&self) -> Option<u64> {
        match &self.inner.storage {
            Storage::Closed(_) => None,
            Storage::Open(open) => Some(open.overflowed.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_texts_order_by_their_values() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        for (a, b, order) in [
            ("a=\"x\"", "a=\"x y\"", Less),
            ("a=\"x\",b=\"2\"", "a=\"x y\",b=\"1\"", Less),
            ("a=\"b\"", "a=\"a\"", Greater),
            ("a=\"x\\\"\"", "a=\"x\"", Greater),
            ("a=\"x\\\\\"", "a=\"x\\\\y\"", Less),
            ("a=\"x\"", "a=\"x\"", Equal),
        ] {
            assert_eq!(compare_label_text(a, b), order, "{a} {b}");
        }
    }

    use super::*;

    #[derive(crate::LabelSet, Clone)]
    struct Path {
        path: String,
        shard: u16,
    }

    fn path(i: usize) -> Path {
        Path {
            path: format!("/items/{i}"),
            shard: (i % 7) as u16,
        }
    }

    fn rendered(family: &Family<Path, Counter>) -> String {
        let r = crate::registry::Registry::new();
        r.register("hits", "Hits.", family.clone())
            .map(drop)
            .expect("registers");
        r.render()
    }

    #[test]
    fn removed_series_text_is_reclaimed_and_the_rest_still_found() {
        let family = Family::<Path, Counter>::new().with_cardinality_limit(100_000);
        for i in 0..10_000 {
            family.inc_by(&path(i), i as u64);
        }
        let full = {
            let Storage::Open(open) = &family.inner.storage else {
                unreachable!("a String label makes an open family")
            };
            open.series
                .read()
                .map(|s| s.arena.len())
                .expect("not poisoned")
        };
        for i in (0..10_000).filter(|i| i % 4 != 0) {
            assert!(family.remove(&path(i)));
        }
        assert!(!family.remove(&path(1)), "already gone");
        assert_eq!(family.len(), 2_500);
        let Storage::Open(open) = &family.inner.storage else {
            unreachable!()
        };
        let (arena, garbage) = open
            .series
            .read()
            .map(|s| (s.arena.len(), s.garbage))
            .expect("not poisoned");
        assert!(
            arena + garbage < full * 3 / 4,
            "compacted: {arena} bytes + {garbage} garbage of {full}"
        );
        // Every remaining series is found again (same handle, same value) after compaction.
        for i in (0..10_000).step_by(4) {
            assert_eq!(family.get(&path(i)).get(), i as u64);
        }
        assert_eq!(family.len(), 2_500);
        let text = rendered(&family);
        assert!(text.contains("hits_total{path=\"/items/9996\",shard=\"0\"} 9996\n"));
        assert!(!text.contains("/items/9997\""));
        family.clear();
        assert!(family.is_empty());
        family.inc(&path(3));
        assert_eq!(family.get(&path(3)).get(), 1);
    }

    #[test]
    fn removals_and_compactions_under_concurrent_updates_and_scrapes() {
        let family = Family::<Path, Counter>::new().with_cardinality_limit(1_000_000);
        let r = crate::registry::Registry::new();
        r.register("churn", "Churn.", family.clone())
            .map(drop)
            .expect("registers");
        // Keys 0..100 stay; keys from 1000 on come and go, forcing compactions.
        std::thread::scope(|s| {
            for t in 0..2 {
                let family = &family;
                s.spawn(move || {
                    for round in 0..300 {
                        for i in 0..100 {
                            family.inc(&path(i));
                        }
                        let base = 1000 + (t * 1_000_000) + round * 50;
                        for i in base..base + 50 {
                            family.inc(&path(i));
                        }
                        for i in base..base + 50 {
                            assert!(family.remove(&path(i)));
                        }
                    }
                });
            }
            let r = &r;
            s.spawn(move || {
                for _ in 0..100 {
                    let text = r.render();
                    for line in text.lines().filter(|l| l.starts_with("churn_total{")) {
                        // Every rendered series has intact label text.
                        let labels = line
                            .strip_prefix("churn_total{path=\"/items/")
                            .and_then(|rest| rest.split_once("\",shard=\""))
                            .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest)));
                        let (n, rest) = labels.unwrap_or_else(|| panic!("torn line: {line}"));
                        assert!(rest.starts_with(&format!("{}\"}} ", n % 7)), "{line}");
                    }
                }
            });
        });
        assert_eq!(family.len(), 100);
        for i in 0..100 {
            assert_eq!(family.get(&path(i)).get(), 600, "key {i}");
        }
        let Storage::Open(open) = &family.inner.storage else {
            unreachable!()
        };
        let arena = open
            .series
            .read()
            .map(|s| s.arena.len())
            .expect("not poisoned");
        // 30,000 series came and went (about 1 MB of text): what is left is the live text
        // plus less than the 4 KiB of garbage that makes a compaction worth it.
        assert!(
            arena < 100 * 40 + 4096 + 64,
            "removed text was reclaimed: {arena} bytes"
        );
    }

    #[test]
    fn lookups_by_escaped_text_keep_distinct_values_apart() {
        let family = Family::<Path, Counter>::new();
        let tricky = ["a\"b", "a\\\"b", "a\nb", "a\\nb", "ä\"", "", "a,shard=\"1"];
        for (i, p) in tricky.iter().enumerate() {
            let labels = Path {
                path: (*p).to_owned(),
                shard: 1,
            };
            family.inc_by(&labels, i as u64 + 1);
        }
        assert_eq!(family.len(), tricky.len());
        for (i, p) in tricky.iter().enumerate() {
            let labels = Path {
                path: (*p).to_owned(),
                shard: 1,
            };
            assert_eq!(family.get(&labels).get(), i as u64 + 1, "{p:?}");
        }
        let text = rendered(&family);
        assert!(
            text.contains("hits_total{path=\"a\\\"b\",shard=\"1\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("hits_total{path=\"a\\nb\",shard=\"1\"} 3\n"),
            "{text}"
        );
    }

    #[test]
    fn a_factory_may_look_up_another_family() {
        let inner = Family::<Path, Counter>::new();
        let seen = inner.clone();
        let outer = Family::<Path, Counter>::new_with(move || {
            seen.inc(&path(42));
            Counter::new()
        });
        // Creating the family ran the factory already (its type, its overflow series).
        let before = inner.get(&path(42)).get();
        outer.inc(&path(1));
        outer.inc(&path(1));
        assert_eq!(outer.get(&path(1)).get(), 2);
        assert_eq!(
            inner.get(&path(42)).get(),
            before + 1,
            "one series, one factory run"
        );
    }

    #[test]
    fn derived_enum_values_are_escaped_once_and_matched_in_mixed_sets() {
        use crate::labels::LabelValue;
        #[derive(crate::LabelValue, Clone, Copy)]
        enum Kind {
            Plain,
            #[label(rename = "quo\"te\\back")]
            Tricky,
        }
        #[derive(crate::LabelSet, Clone)]
        struct Mixed {
            kind: Kind,
            path: String,
        }
        let mut text = String::new();
        Kind::Tricky.encode_value(&mut text);
        assert_eq!(text, "quo\\\"te\\\\back");
        assert_eq!(
            Kind::Tricky.strip_encoded(&format!("{text}\",")),
            Some("\",")
        );
        assert_eq!(Kind::Plain.strip_encoded(&text), None);

        let family = Family::<Mixed, Counter>::new();
        for kind in [Kind::Plain, Kind::Tricky, Kind::Tricky] {
            family.inc(&Mixed {
                kind,
                path: "/a".into(),
            });
        }
        assert_eq!(family.len(), 2);
        let mixed = |kind| Mixed {
            kind,
            path: "/a".into(),
        };
        assert_eq!(family.get(&mixed(Kind::Tricky)).get(), 2);
        assert_eq!(family.get(&mixed(Kind::Plain)).get(), 1);
        let r = crate::registry::Registry::new();
        r.register("mixed", "Mixed.", family.clone())
            .map(drop)
            .expect("registers");
        assert!(
            r.render()
                .contains("mixed_total{kind=\"quo\\\"te\\\\back\",path=\"/a\"} 2\n")
        );
    }

    #[test]
    fn integer_labels_render_their_digits() {
        #[derive(crate::LabelSet)]
        struct Code {
            code: i32,
        }
        let family = Family::<Code, Counter>::new();
        family.inc(&Code { code: -404 });
        family.inc(&Code { code: -404 });
        family.inc(&Code { code: 200 });
        assert_eq!(family.len(), 2);
        assert_eq!(family.get(&Code { code: -404 }).get(), 2);
    }
}
