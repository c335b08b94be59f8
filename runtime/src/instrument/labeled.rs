//! Calls families with labels taken from the arguments.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use crate::encoding::{MetricEncoder, MetricType};
use crate::family::Family;
use crate::labels::LabelSet;
use crate::metrics::EncodeMetric;
use crate::thread_cells::{CallSeries, ComboResult};

use super::CallResult;
use super::shared::*;
use super::site::SiteMetrics;

/// A label value computed from an argument: borrowed for closed types (no allocation),
/// owned for open ones.
pub type LabelText = Cow<'static, str>;

/// A label value's place among its type's values (`(cardinality, index)`) when the type is
/// closed; `None` for an open type.
pub type LabelIndex = Option<(usize, usize)>;

/// The most label combinations of a labeled site counted in per-thread cells; a site whose
/// label types have more (and every site with an open label) counts its calls in its
/// family.
pub(super) const MAX_COMBOS: usize = 64;

/// The combination of a call's label values and the number of combinations of their types
/// (`(combination, combinations)`), when every label is of a closed type and the types have
/// at most 64 combinations together: its calls are then counted in this thread's cells of
/// the site, like an unlabeled function's.
#[inline]
pub fn label_combo(parts: &[LabelIndex]) -> Option<(usize, usize)> {
    let mut combo = 0usize;
    let mut combos = 1usize;
    for part in parts {
        let (cardinality, index) = (*part)?;
        combo = combo.checked_mul(cardinality)?.checked_add(index)?;
        combos = combos.checked_mul(cardinality)?;
    }
    (combos <= MAX_COMBOS).then_some((combo, combos))
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
    /// Per label combination (see [`label_combo`]): whether its series in the family are
    /// views of the site's cells (made at its first call), `false` when the family gave
    /// other series (past its limit).
    pub(super) combos: [OnceLock<bool>; MAX_COMBOS],
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

    /// Whether the calls of label combination `combo` (of `combos`) are counted in the
    /// site's cells: at its first call, its four result series are made in the family as
    /// views of them.
    #[inline]
    pub(super) fn combo_in_cells(
        &self,
        metrics: &SiteMetrics,
        combo: usize,
        combos: usize,
        make_labels: &impl Fn(CallResult, &'static str) -> L,
    ) -> bool {
        let Some(slot) = self.combos.get(combo) else {
            return false;
        };
        *slot.get_or_init(|| {
            let family = self.family(&metrics.shared);
            CallResult::ALL.iter().all(|&result| {
                let counter = ComboResult {
                    index: combo * 4 + result as usize,
                    len: combos * 4,
                };
                let (series, _) = family.get_or_insert_with(&make_labels(result, ""), || {
                    CallSeries::Combo(Arc::clone(&metrics.cells), counter)
                });
                series.is_combo(&metrics.cells, counter)
            })
        })
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
