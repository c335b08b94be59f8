//! `#[label(…)]`: which keys are allowed where, and their parsing.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

use crate::attr_util::{parse_keys, tokens_text};
use crate::ctxt::Ctxt;
use crate::krate::Krate;
use crate::names::RenameRule;
use crate::symbol::{self, CRATE, LABEL, RENAME, RENAME_ALL, Symbol};

/// Where a `#[label(…)]` is, for error messages, and the keys allowed there.
pub(super) struct Place {
    what: &'static str,
    keys: &'static [Symbol],
}

/// On the enum of `#[derive(LabelValue)]`.
pub(super) const VALUE_ENUM: Place = Place {
    what: "a LabelValue enum",
    keys: &[CRATE, RENAME_ALL],
};
/// On a variant of `#[derive(LabelValue)]`.
pub(super) const VALUE_VARIANT: Place = Place {
    what: "a variant of a LabelValue enum",
    keys: &[RENAME],
};
/// On the struct of `#[derive(LabelSet)]`.
pub(super) const SET_STRUCT: Place = Place {
    what: "a LabelSet struct",
    keys: &[CRATE],
};
/// On a named field of `#[derive(LabelSet)]`.
pub(super) const SET_FIELD: Place = Place {
    what: "a field of a LabelSet struct",
    keys: &[RENAME],
};
/// On the field of a newtype `#[derive(LabelSet)]`.
pub(super) const SET_NEWTYPE_FIELD: Place = Place {
    what: "the field of a newtype LabelSet (its labels are those of the inner set)",
    keys: &[],
};

/// The container attributes: `crate` everywhere, `rename_all` on LabelValue enums.
#[derive(Default)]
pub(super) struct ContainerAttrs {
    /// The runtime crate (`::promforge` unless `crate = "…"`).
    pub(super) krate: Krate,
    /// `crate = "…"` was given but is not a path: an error was reported, and generated code
    /// would only add errors about the missing crate.
    pub(super) krate_invalid: bool,
    /// `rename_all = "…"`.
    pub(super) rename_all: Option<RenameRule>,
}

impl ContainerAttrs {
    /// Parses the `#[label(…)]`s of a container at `place`.
    pub(super) fn parse(cx: &Ctxt, attrs: &[Attribute], place: &Place) -> Self {
        let mut out = Self::default();
        let mut krate_seen = false;
        let mut rename_all_seen = false;
        parse_label_attrs(cx, attrs, place, |key, meta| {
            if key == CRATE {
                once(&mut krate_seen, meta, key)?;
                match Krate::parse(meta) {
                    Ok(krate) => out.krate = krate,
                    Err(error) => {
                        out.krate_invalid = true;
                        return Err(error);
                    }
                }
            } else if key == RENAME_ALL {
                once(&mut rename_all_seen, meta, key)?;
                let literal: LitStr = meta.value()?.parse()?;
                match RenameRule::from_name(&literal.value()) {
                    Some(rule) => out.rename_all = Some(rule),
                    None => {
                        return Err(syn::Error::new(
                            literal.span(),
                            format!(
                                "unknown rename_all rule \"{}\": expected one of: {}",
                                literal.value(),
                                RenameRule::names()
                            ),
                        ));
                    }
                }
            }
            Ok(())
        });
        out
    }
}

/// Parses the `rename = "…"` of a variant or field (the only key there), if any.
pub(super) fn parse_rename(cx: &Ctxt, attrs: &[Attribute], place: &Place) -> Option<LitStr> {
    let mut rename = None;
    let mut seen = false;
    parse_label_attrs(cx, attrs, place, |key, meta| {
        if key == RENAME {
            once(&mut seen, meta, key)?;
            rename = Some(meta.value()?.parse::<LitStr>()?);
        }
        Ok(())
    });
    rename
}

/// Calls `on_key` for each key allowed at `place` in the `#[label(…)]`s of `attrs`, and
/// reports the others. An error on one key does not hide the errors of the next keys.
fn parse_label_attrs(
    cx: &Ctxt,
    attrs: &[Attribute],
    place: &Place,
    mut on_key: impl FnMut(Symbol, &ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path() == LABEL) {
        parse_keys(cx, attr, |meta| {
            match place.keys.iter().find(|&&key| meta.path == key) {
                Some(&key) => on_key(key, meta),
                None => Err(unknown_key(meta, place)),
            }
        });
    }
}

fn unknown_key(meta: &ParseNestedMeta<'_>, place: &Place) -> syn::Error {
    let key = tokens_text(&meta.path);
    let message = if place.keys.is_empty() {
        format!(
            "unknown key `{key}`: #[label(…)] takes no keys on {}",
            place.what
        )
    } else {
        format!(
            "unknown key `{key}` in #[label(…)] on {}: expected {}",
            place.what,
            symbol::list(place.keys)
        )
    };
    syn::Error::new_spanned(&meta.path, message)
}

/// Reports a key given twice in the `#[label(…)]`s of one item.
fn once(seen: &mut bool, meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<()> {
    if std::mem::replace(seen, true) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!("duplicate `{key}` in #[label(…)]: give it once"),
        ));
    }
    Ok(())
}
