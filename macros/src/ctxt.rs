//! An accumulator of errors, so that one build reports every mistake in a macro's input
//! rather than the first one only.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Collects `syn::Error`s while a macro looks through its input; [`Ctxt::check`] combines
/// them into one error whose `to_compile_error()` reports each at its own span.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
    /// A mistake rustc reports by itself on the user's code (an ill-formed field type): the
    /// macro writes no code of its own that would repeat it, and adds no error.
    left_to_rustc: std::cell::Cell<bool>,
}

impl Ctxt {
    /// An empty context.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records an error spanning `tokens` (from their first to their last token).
    pub(crate) fn error_spanned_by<A: ToTokens, T: Display>(&self, tokens: A, message: T) {
        self.errors
            .borrow_mut()
            .push(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error from syn (a parse error, for instance).
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// Records a mistake that rustc reports on the user's own code, so that the expansion
    /// writes only stubs (see [`left_to_rustc`](Self::left_to_rustc)).
    pub(crate) fn leave_to_rustc(&self) {
        self.left_to_rustc.set(true);
    }

    /// Whether a mistake was left to rustc.
    pub(crate) fn left_to_rustc(&self) -> bool {
        self.left_to_rustc.get()
    }

    /// `Ok` when no error was recorded, or all of them combined.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.into_inner().into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

/// The output of a derive that failed: the errors, then `fallback` (a minimal impl that
/// keeps the rest of the user's crate from piling "trait not implemented" errors on top of
/// the real one; empty when even that cannot be written).
pub(crate) fn failed(error: &syn::Error, fallback: TokenStream) -> TokenStream {
    let mut out = error.to_compile_error();
    out.extend(fallback);
    out
}

/// The output of a derive that failed: the errors, then the stub impl `stub` writes — unless
/// the `crate = "…"` path is invalid (`krate_invalid`), when code naming it would only add
/// errors about a crate that is not there.
pub(crate) fn failed_derive(
    error: &syn::Error,
    krate_invalid: bool,
    stub: impl FnOnce() -> TokenStream,
) -> TokenStream {
    let stub = if krate_invalid {
        TokenStream::new()
    } else {
        stub()
    };
    failed(error, stub)
}
