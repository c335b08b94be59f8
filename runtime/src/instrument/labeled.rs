//! Calls families with labels taken from the arguments.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use crate::encoding::{MetricEncoder, MetricType};
use crate::family::Family;
use crate::labels::LabelSet;
use crate::metrics::{EncodeMetric, Histogram};
use crate::thread_cells::{CallSeries, SiteCells};

use super::CallResult;
use super::shared::*;

/// A label value computed from an argument: borrowed for closed types (no allocation),
/// owned for open ones.
pub type LabelText = Cow<'static, str>;

/// A label value's place among its type's values (`(cardinality, index)`) when the type is
/// closed; `None` for an open type.
pub type LabelIndex = Option<(usize, usize)>;

/// The most label combinations of a labeled site counted in per-thread cells; the others
/// (and every open label) go through the site's family.
pub(super) const MAX_COMBOS: usize = 64;

/// The combination of a call's label values, when every label is of a closed type and the
/// combination is one of the first 64: its calls are then counted in per-thread
/// cells, like an unlabeled function's.
#[inline]
pub fn label_combo(parts: &[LabelIndex]) -> Option<usize> {
    let mut combo = 0usize;
    for part in parts {
        let (cardinality, index) = (*part)?;
        combo = combo.checked_mul(cardinality)?.checked_add(index)?;
    }
    (combo < MAX_COMBOS).then_some(combo)
}

/// The calls families of every labeled site of one name (each has its own generated label
/// set type, with the same label names).
pub(super) struct LabeledSet {
    pub(super) names: &'static [&'static str],
    pub(super) members: RwLock<Vec<Box<dyn EncodeMetric>>>,
}

/// [`LabeledSet`] as one registered counter family: the members' series one after another.
pub(super) struct SharedLabeled(pub(super) Arc<LabeledSet>);

impl EncodeMetric for SharedLabeled {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let members = self
            .0
            .members
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for member in members.iter() {
            member.encode(encoder);
        }
    }

    fn label_names(&self) -> Vec<&str> {
        self.0.names.to_vec()
    }

    fn cardinality_overflow(&self) -> Option<u64> {
        let members = self
            .0
            .members
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        members
            .iter()
            .filter_map(|member| member.cardinality_overflow())
            .reduce(|a, b| a + b)
    }
}

/// The calls family of a site whose attribute takes labels from the arguments: its label
/// set is a struct the attribute generates, so it lives in the site's own `static`. Sites
/// sharing a `name` (and so a calls family name) are exposed together under it, provided
/// they take the same labels.
pub struct LabeledCalls<L: LabelSet> {
    pub(super) family: OnceLock<Family<L, CallSeries>>,
    /// Per label combination (see [`label_combo`]): the per-thread cells its calls are
    /// counted in, or `None` when the family gave other series (past its limit).
    pub(super) combos: [OnceLock<Option<Arc<SiteCells>>>; MAX_COMBOS],
}

impl<L: LabelSet> std::fmt::Debug for LabeledCalls<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledCalls").finish_non_exhaustive()
    }
}

impl<L: LabelSet + 'static> LabeledCalls<L> {
    /// An empty slot, filled on the first finished call.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            family: OnceLock::new(),
            combos: [const { OnceLock::new() }; MAX_COMBOS],
        }
    }

    /// The cells of label combination `combo` (made at its first call, with its four result
    /// series in the family as views of them).
    #[inline]
    pub(super) fn combo_cells(
        &self,
        shared: &SharedFamilies,
        combo: usize,
        make_labels: &impl Fn(CallResult, &'static str) -> L,
    ) -> Option<&Arc<SiteCells>> {
        let slot = self.combos.get(combo)?;
        slot.get_or_init(|| {
            let family = self.family(shared);
            let cells = Arc::new(SiteCells::new(Histogram::new()));
            let all_cells = CallResult::ALL.iter().all(|&result| {
                let (series, _) = family.get_or_insert_with(&make_labels(result, ""), || {
                    CallSeries::Site(Arc::clone(&cells), result as usize)
                });
                series.is_site(&cells, result as usize)
            });
            all_cells.then_some(cells)
        })
        .as_ref()
    }

    pub(super) fn family(&self, shared: &SharedFamilies) -> &Family<L, CallSeries> {
        self.family.get_or_init(|| {
            let family = Family::new();
            if let Err(e) = shared.add_labeled(L::NAMES, Box::new(family.clone())) {
                report(e);
            }
            family
        })
    }
}
