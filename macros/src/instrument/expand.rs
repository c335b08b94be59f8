//! The code `#[instrument_metrics]` writes into a function's body. The signature, the
//! attributes and the user's block are kept token for token (and so are their spans); only
//! the body is wrapped:
//!
//! ```text
//! static __PF_SITE: Site = Site::new(SiteConfig { … });     // resolved on the first call
//! let __pf_guard = __PF_SITE.start();                         // in flight, clock read
//! let __pf_ret: Ret = __pf_call_once(move || -> Ret { body }); // or `async move { body }.await`
//! __pf_guard.finish(<outcome of &__pf_ret>);                 // result, duration
//! __pf_ret
//! ```
//!
//! A guard dropped without `finish` (a dropped future, an unwinding panic) records the call
//! as `cancelled` or `panic`.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Block, Expr, ExprAsync, ExprCall, GenericArgument, Ident, PathArguments, ReturnType, Signature,
    Stmt, Token, Type, TypeParamBound,
};

use super::check::Options;
use crate::attr_util::tokens_text;

/// A function's body: parsed, or (when syn cannot parse it) the braces as written, left for
/// rustc to report on.
pub(super) enum Body {
    /// The parsed block.
    Block(Block),
    /// `{ … }`, unparsed.
    Tokens(TokenStream),
}

impl Body {
    /// The block with `statements` first, in the user's braces: not `{ #statements #block }`,
    /// where rustc would find the user's braces unnecessary (`unused_braces`).
    fn prefixed(&self, statements: TokenStream) -> TokenStream {
        if statements.is_empty() {
            return self.to_token_stream();
        }
        match self {
            Self::Block(block) => {
                let mut block = block.clone();
                block
                    .stmts
                    .insert(0, Stmt::Expr(Expr::Verbatim(statements), None));
                block.into_token_stream()
            }
            Self::Tokens(tokens) => {
                let mut trees = tokens.clone().into_iter();
                match (trees.next(), trees.next()) {
                    (Some(TokenTree::Group(group)), None) => {
                        let mut stream = statements;
                        stream.extend(group.stream());
                        let mut prefixed = Group::new(group.delimiter(), stream);
                        prefixed.set_span(group.span());
                        prefixed.into_token_stream()
                    }
                    _ => quote!({ #statements #tokens }),
                }
            }
        }
    }
}

impl ToTokens for Body {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Self::Block(block) => block.to_tokens(tokens),
            Self::Tokens(group) => group.to_tokens(tokens),
        }
    }
}

/// The statements of the instrumented body of a function with signature `sig` (without the
/// braces, and without the function's inner attributes).
///
/// `impl_type` is the type of the impl block whose attribute instruments the function (its
/// `function` label is then `Type::name`).
pub(super) fn body(
    options: &Options,
    sig: &Signature,
    impl_type: Option<&str>,
    body: &Body,
) -> TokenStream {
    let generator = Generator::new(options, sig, impl_type);
    if sig.asyncness.is_some() {
        return generator.async_fn(body);
    }
    if let Body::Block(block) = body {
        if let Some(tail) = AsyncTail::find(block) {
            return generator.async_tail(block, &tail);
        }
    }
    generator.sync_fn(body)
}

/// A function's return type, as the body's code needs it.
enum Ret {
    /// `-> !`: the call never returns, there is nothing to classify.
    Never,
    /// Any other type (`()` for none), with `impl Trait` replaced by `_`.
    Type {
        tokens: TokenStream,
        /// Whether the type is just `_` (an `impl Trait` return): it tells nothing.
        opaque: bool,
    },
}

impl Ret {
    fn of(output: &ReturnType) -> Self {
        match output {
            ReturnType::Default => Self::Type {
                tokens: quote!(()),
                opaque: false,
            },
            ReturnType::Type(_, ty) => Self::erased(ty),
        }
    }

    fn erased(ty: &Type) -> Self {
        if let Type::Never(_) = ty {
            return Self::Never;
        }
        let mut ty = ty.clone();
        EraseImplTrait.visit_type_mut(&mut ty);
        Self::Type {
            opaque: matches!(ty, Type::Infer(_)),
            tokens: ty.into_token_stream(),
        }
    }
}

/// Replaces every `impl Trait` of a type with `_`: a `let` or a closure cannot name it.
struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(impl_trait) = ty {
            *ty = Type::Infer(syn::TypeInfer {
                attrs: Vec::new(),
                underscore_token: Token![_](impl_trait.impl_token.span),
            });
            return;
        }
        visit_mut::visit_type_mut(self, ty);
    }
}

/// The last expression of a non-async function's body when it is the future the function
/// returns: `async move { … }` or `Box::pin(async move { … })` (what `#[async_trait]`
/// writes, and hand-written `-> impl Future` functions). The call is that future, so that is
/// what gets instrumented, not the making of it.
struct AsyncTail<'a> {
    /// The `Box::pin(…)` call around the block, if any.
    call: Option<&'a ExprCall>,
    block: &'a ExprAsync,
}

impl<'a> AsyncTail<'a> {
    fn find(block: &'a Block) -> Option<Self> {
        let Some(Stmt::Expr(tail, None)) = block.stmts.last() else {
            return None;
        };
        let tail = match tail {
            Expr::Async(block) => Self { call: None, block },
            Expr::Call(call) => {
                let Expr::Path(func) = &*call.func else {
                    return None;
                };
                let mut segments = func.path.segments.iter().rev();
                let is_box_pin = func.qself.is_none()
                    && segments.next().is_some_and(|last| last.ident == "pin")
                    && segments.next().is_some_and(|before| before.ident == "Box");
                match (is_box_pin, call.args.len(), call.args.first()) {
                    (true, 1, Some(Expr::Async(block))) => Self {
                        call: Some(call),
                        block,
                    },
                    _ => return None,
                }
            }
            _ => return None,
        };
        // An `async` block with modifiers syn knows and we do not (none exist yet) is not
        // rewritten: `async_tail` writes the block back without them.
        tail.block.modifiers.require_empty().ok()?;
        Some(tail)
    }
}

/// `T` of `impl Future<Output = T>`, `Pin<Box<dyn Future<Output = T> + Send + '_>>` (what
/// `#[async_trait]` writes) and the like.
fn future_output(ty: &Type) -> Option<&Type> {
    fn from_bounds(bounds: &Punctuated<TypeParamBound, Token![+]>) -> Option<&Type> {
        bounds.iter().find_map(|bound| {
            let TypeParamBound::Trait(bound) = bound else {
                return None;
            };
            let last = bound.path.segments.last()?;
            if last.ident != "Future" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
                _ => None,
            })
        })
    }
    match ty {
        Type::ImplTrait(ty) => from_bounds(&ty.bounds),
        Type::TraitObject(ty) => from_bounds(&ty.bounds),
        Type::Paren(ty) => future_output(&ty.elem),
        Type::Group(ty) => future_output(&ty.elem),
        Type::Path(ty) if ty.qself.is_none() => {
            let last = ty.path.segments.last()?;
            if last.ident != "Pin" && last.ident != "Box" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            match args.args.first() {
                Some(GenericArgument::Type(inner)) if args.args.len() == 1 => future_output(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Writes the code around one function's body.
struct Generator<'a> {
    options: &'a Options,
    sig: &'a Signature,
    /// The type of the impl block the attribute came from, if any.
    impl_type: Option<&'a str>,
    /// `<krate>::__private::instrument`.
    instrument: TokenStream,
    site: Ident,
    labeled: Ident,
    labels_struct: Ident,
    call_once: Ident,
    guard: Ident,
    ret: Ident,
}

impl<'a> Generator<'a> {
    fn new(options: &'a Options, sig: &'a Signature, impl_type: Option<&'a str>) -> Self {
        let private = options.krate.private();
        let item = |name| Ident::new(name, Span::call_site());
        // Locals the user's code cannot see, whatever it names its own.
        let local = |name| Ident::new(name, Span::mixed_site());
        Self {
            options,
            sig,
            impl_type,
            instrument: quote!(#private::instrument),
            site: item("__PF_SITE"),
            labeled: item("__PF_LABELED"),
            labels_struct: item("__PfCallLabels"),
            call_once: item("__pf_call_once"),
            guard: local("__pf_guard"),
            ret: local("__pf_ret"),
        }
    }

    /// `fn f(…) -> Ret { body }`.
    fn sync_fn(&self, body: &Body) -> TokenStream {
        let Self { call_once, ret, .. } = self;
        let items = self.items();
        let start = self.start();
        let call = match Ret::of(&self.sig.output) {
            Ret::Never => quote! {
                #call_once(move || -> ! #body)
            },
            Ret::Type { tokens: ty, .. } => {
                let finish = self.finish();
                quote! {
                    #[allow(clippy::let_unit_value)]
                    let #ret: #ty = #call_once(move || -> #ty #body);
                    #finish
                }
            }
        };
        quote! {
            #items
            // Called as an `FnOnce`, the closure may return what borrows from the arguments
            // it moved in (`&mut self.field`); called directly, it would be an `FnMut`.
            #[inline(always)]
            fn #call_once<__PfR, __PfF: ::core::ops::FnOnce() -> __PfR>(f: __PfF) -> __PfR {
                f()
            }
            #start
            #call
        }
    }

    /// `async fn f(…) -> Ret { body }`: the guard lives in the function's future, so a
    /// dropped future drops it.
    fn async_fn(&self, body: &Body) -> TokenStream {
        let items = self.items();
        let start = self.start();
        let awaited = self.awaited(Ret::of(&self.sig.output), None, body);
        quote! {
            #items
            #start
            #awaited
        }
    }

    /// `fn f(…) -> impl Future { …; async move { body } }`: the future is instrumented;
    /// labels are read from the arguments when the function is called.
    fn async_tail(&self, block: &Block, tail: &AsyncTail<'_>) -> TokenStream {
        let items = self.items();
        let start = self.start_guard();
        let ret = match self.sig.output {
            ReturnType::Type(_, ref ty) => future_output(ty).map(Ret::erased),
            ReturnType::Default => None,
        };
        let ExprAsync {
            attrs,
            async_token,
            capture,
            // Empty: `AsyncTail::find` checked.
            modifiers: _,
            block: inner,
        } = tail.block;
        let awaited = match ret {
            Some(ret) => self.awaited(ret, Some(capture), &Body::Block(inner.clone())),
            None => {
                let finish = self.finish();
                let ret = &self.ret;
                quote! {
                    let #ret = async #capture #inner.await;
                    #finish
                }
            }
        };
        let future = quote! {
            #(#attrs)*
            #async_token #capture {
                #start
                #awaited
            }
        };
        let tail = match tail.call {
            None => future,
            Some(call) => {
                let mut call = call.clone();
                if let Some(arg) = call.args.first_mut() {
                    *arg = Expr::Verbatim(future);
                }
                call.into_token_stream()
            }
        };
        let before = &block.stmts[..block.stmts.len().saturating_sub(1)];
        let labels = self.label_values();
        quote! {
            #items
            #labels
            #(#before)*
            #tail
        }
    }

    /// `let __pf_ret: Ret = async move { body }.await;` and the finish; with a fake return
    /// of type `Ret` first in the block, so that `?` and type errors see the declared return
    /// type (tracing-attributes does the same).
    fn awaited(
        &self,
        ret: Ret,
        capture: Option<&Option<Token![move]>>,
        body: &Body,
    ) -> TokenStream {
        let capture = match capture {
            Some(capture) => capture.to_token_stream(),
            None => quote!(move),
        };
        let ret_local = &self.ret;
        match ret {
            Ret::Never => quote! {
                async #capture #body.await
            },
            // No `return` or `?` to keep in a block of their own: the body runs inline.
            Ret::Type { tokens: ty, .. } if matches!(body, Body::Block(block) if super::inline::can_inline(block)) =>
            {
                let finish = self.finish();
                quote! {
                    #[allow(clippy::let_unit_value)]
                    let #ret_local: #ty = #body;
                    #finish
                }
            }
            Ret::Type { tokens: ty, opaque } => {
                let fake_return = if opaque {
                    TokenStream::new()
                } else {
                    let fake = Ident::new("__pf_fake_return", Span::mixed_site());
                    quote! {
                        #[allow(
                            unknown_lints,
                            unreachable_code,
                            clippy::diverging_sub_expression,
                            clippy::empty_loop,
                            clippy::let_unit_value,
                            clippy::let_with_type_underscore,
                            clippy::needless_return,
                            clippy::unreachable
                        )]
                        if false {
                            let #fake: #ty = loop {};
                            return #fake;
                        }
                    }
                };
                let body_with_fake_return = body.prefixed(fake_return);
                let finish = self.finish();
                quote! {
                    #[allow(clippy::let_unit_value)]
                    let #ret_local: #ty = async #capture #body_with_fake_return.await;
                    #finish
                }
            }
        }
    }

    /// The call site's `static`s (and the label set of `labels(…)`).
    fn items(&self) -> TokenStream {
        let Self {
            options,
            instrument,
            site,
            labeled,
            labels_struct,
            ..
        } = self;
        let function = self.function_name();
        let prefix = &options.prefix;
        let name = match &options.name {
            Some(name) => quote!(::core::option::Option::Some(#name)),
            None => quote!(::core::option::Option::None),
        };
        let buckets = match &options.buckets {
            None => quote!(#instrument::BUCKETS_LATENCY),
            Some(buckets) => buckets.to_static_slice(instrument),
        };
        let summary = match &options.summary {
            None => quote!(::core::option::Option::None),
            Some(summary) => {
                let setters = summary.setters();
                quote!(::core::option::Option::Some(
                    #instrument::SummaryOptions::new() #setters
                ))
            }
        };
        let native = match &options.native {
            Some(native) => {
                let mut setters = TokenStream::new();
                if let Some(factor) = native.bucket_factor {
                    let factor = crate::attr_util::float(factor);
                    setters.extend(quote!(.bucket_factor(#factor)));
                }
                if let Some(threshold) = native.zero_threshold {
                    let threshold = crate::attr_util::float(threshold);
                    setters.extend(quote!(.zero_threshold(#threshold)));
                }
                if let Some(max) = native.max_buckets {
                    let max = proc_macro2::Literal::usize_suffixed(max);
                    setters.extend(quote!(.max_buckets(#max)));
                }
                quote!(#instrument::NativeChoice::Site(
                    #instrument::NativeOptions::new() #setters
                ))
            }
            None if options.buckets.is_some() || options.summary.is_some() => {
                quote!(#instrument::NativeChoice::Off)
            }
            None => quote!(#instrument::NativeChoice::Registry),
        };
        let (calls, duration, in_flight) = (options.calls, options.duration, options.in_flight);
        let exemplars = options.exemplars;
        let entry = self.site_entry();
        let site_static = quote! {
            static #site: #instrument::Site = #instrument::Site::new(#instrument::SiteConfig {
                function: #function,
                module: ::core::module_path!(),
                prefix: #prefix,
                name: #name,
                buckets: #buckets,
                summary: #summary,
                native: #native,
                calls: #calls,
                duration: #duration,
                in_flight: #in_flight,
                exemplars: #exemplars,
            });
        };
        let site_static = quote! {
            #site_static
            #entry
        };
        if options.labels.is_empty() {
            return site_static;
        }
        let krate = &options.krate;
        let krate_text = tokens_text(krate);
        let fields = options.labels.iter().map(|label| &label.field);
        let str_ty = quote!(&'static ::core::primitive::str);
        quote! {
            #site_static
            #[derive(#krate::LabelSet)]
            #[label(crate = #krate_text)]
            struct #labels_struct {
                function: #str_ty,
                module: #str_ty,
                result: #instrument::CallResult,
                error: #str_ty,
                #(#fields: #instrument::LabelText,)*
            }
            static #labeled: #instrument::LabeledCalls<#labels_struct> =
                #instrument::LabeledCalls::new();
        }
    }

    /// `"name"`: the function's name, as the `function` label (`"Type::name"` in an
    /// instrumented impl block).
    fn function_name(&self) -> String {
        let name = self.sig.ident.unraw().to_string();
        match self.impl_type {
            Some(ty) => format!("{ty}::{name}"),
            None => name,
        }
    }

    /// Whether the function is a method whose attribute could not see its impl block: its
    /// type is named at its first call (`type_name::<Self>`).
    fn names_self_type_at_run_time(&self) -> bool {
        self.impl_type.is_none() && self.sig.receiver().is_some()
    }

    /// The site, with the method's type named for a method whose attribute is its own.
    fn site_ref(&self) -> TokenStream {
        let site = &self.site;
        if self.names_self_type_at_run_time() {
            quote!(#site.with_self_type(::core::any::type_name::<Self>))
        } else {
            quote!(#site)
        }
    }

    /// Submits the site to the link-time list of call sites, so that its series exist before
    /// its first call: not for a method whose type is only named at its first call, nor
    /// when `registry = …` is an expression the list cannot evaluate (anything but a path
    /// to a static or constant).
    fn site_entry(&self) -> TokenStream {
        if self.names_self_type_at_run_time() {
            return TokenStream::new();
        }
        let Self {
            options,
            instrument,
            site,
            ..
        } = self;
        let private = options.krate.private();
        let labeled = !options.labels.is_empty();
        let registry_fn = Ident::new("__pf_registry", Span::mixed_site());
        let (registry_item, registry) = match &options.registry {
            None => (TokenStream::new(), quote!(::core::option::Option::None)),
            Some(Expr::Path(path)) if path.qself.is_none() && !self.names_an_argument(path) => (
                quote! {
                    fn #registry_fn() -> &'static #private::Registry {
                        &#path
                    }
                },
                quote!(::core::option::Option::Some(
                    #registry_fn as fn() -> &'static #private::Registry
                )),
            ),
            Some(_) => return TokenStream::new(),
        };
        quote! {
            #registry_item
            #private::inventory::submit! {
                #instrument::SiteEntry::new(&#site, #registry, #labeled)
            }
        }
    }

    /// Whether `path` is one of the function's arguments (`registry = reg`).
    fn names_an_argument(&self, path: &syn::ExprPath) -> bool {
        let Some(ident) = path.path.get_ident() else {
            return false;
        };
        self.sig.inputs.iter().any(|input| match input {
            syn::FnArg::Typed(arg) => match &*arg.pat {
                syn::Pat::Ident(pat) => pat.ident == *ident,
                _ => false,
            },
            syn::FnArg::Receiver(_) => false,
        })
    }

    /// `let __pf_label_x = LabelValue::__argument_label(&(expr));` for each label: the
    /// values at the start of the call, before the body moves the arguments.
    fn label_values(&self) -> TokenStream {
        if self.options.labels.is_empty() {
            return TokenStream::new();
        }
        let instrument = &self.instrument;
        let p = self.options.krate.private();
        let combo = Ident::new("__pf_combo", Span::mixed_site());
        let indexes: Vec<Ident> = (0..self.options.labels.len())
            .map(|i| Ident::new(&format!("__pf_index_{i}"), Span::mixed_site()))
            .collect();
        let lets = self
            .options
            .labels
            .iter()
            .zip(&indexes)
            .map(|(label, index)| {
                let (local, expr) = (&label.local, &label.expr);
                // Through the `LabelValue` trait itself: an argument that is not a label
                // value is reported as that, with no note about a helper of ours.
                let value =
                    quote_spanned!(expr.span()=> #p::LabelValue::__argument_label(&(#expr)));
                quote!(let (#local, #index) = #value;)
            });
        quote! {
            #(#lets)*
            let #combo = #instrument::label_combo(&[#(#indexes),*]);
        }
    }

    /// The label values, then the guard.
    fn start(&self) -> TokenStream {
        let labels = self.label_values();
        let guard = self.start_guard();
        quote! {
            #labels
            #guard
        }
    }

    /// `let __pf_guard = __PF_SITE.start…(…);`.
    fn start_guard(&self) -> TokenStream {
        let Self {
            options,
            instrument,
            site,
            labeled,
            labels_struct,
            guard,
            ..
        } = self;
        let registry = options
            .registry
            .as_ref()
            .map(|registry| quote_spanned!(registry.span()=> &(#registry)));
        let site_ref = self.site_ref();
        if options.labels.is_empty() {
            let start = match registry {
                None => quote!(#site_ref.start()),
                Some(registry) => quote!(#site_ref.start_in(#registry)),
            };
            return quote!(let #guard = #start;);
        }
        let result = Ident::new("__pf_result", Span::mixed_site());
        let error = Ident::new("__pf_error", Span::mixed_site());
        let fields = options.labels.iter().map(|label| {
            let (field, local) = (&label.field, &label.local);
            quote!(#field: ::core::clone::Clone::clone(&#local))
        });
        let combo = Ident::new("__pf_combo", Span::mixed_site());
        let make_labels = quote! {
            move |#result: #instrument::CallResult, #error: &'static ::core::primitive::str| {
                #labels_struct {
                    function: #site.function_label(),
                    module: ::core::module_path!(),
                    result: #result,
                    error: #error,
                    #(#fields,)*
                }
            }
        };
        let start = match registry {
            None => quote!(#site_ref.start_labeled(&#labeled, #combo, #make_labels)),
            Some(registry) => {
                quote!(#site_ref.start_labeled_in(#registry, &#labeled, #combo, #make_labels))
            }
        };
        quote!(let #guard = #start;)
    }

    /// Classifies `__pf_ret`, finishes the guard, and returns `__pf_ret`.
    fn finish(&self) -> TokenStream {
        let Self {
            instrument,
            guard,
            ret,
            ..
        } = self;
        let classified = Ident::new("__pf_classified", Span::mixed_site());
        let finish = if self.options.labels.is_empty() {
            quote!(#guard.finish_with(#classified.__pf_outcome(), #classified.__pf_error_values()))
        } else {
            quote!(#guard.finish(#classified.__pf_outcome()))
        };
        quote! {
            {
                use #instrument::{
                    ClassifyLabeledError as _, ClassifyOther as _, ClassifyResult as _,
                };
                let #classified = &&&#instrument::Classify(&#ret);
                #finish;
            }
            #ret
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The future's output type, compared token for token with `expected`.
    fn output(sig: &str) -> Option<crate::test_util::Expansion> {
        let sig: Signature = syn::parse_str(sig).expect("signature");
        match &sig.output {
            ReturnType::Type(_, ty) => {
                future_output(ty).map(|ty| crate::test_util::Expansion::new(ty.to_token_stream()))
            }
            ReturnType::Default => None,
        }
    }

    #[test]
    fn future_outputs() {
        assert!(
            output("fn f() -> impl Future<Output = Result<u8, E>> + Send")
                .is_some_and(|ty| ty.is("Result<u8, E>"))
        );
        assert!(
            output(
                "fn f<'a>(&'a self) -> ::core::pin::Pin<Box<dyn ::core::future::Future<Output \
                 = u8> + ::core::marker::Send + 'a>>"
            )
            .is_some_and(|ty| ty.is("u8"))
        );
        assert!(output("fn f() -> u8").is_none());
        assert!(output("fn f() -> Box<dyn Iterator<Item = u8>>").is_none());
    }

    #[test]
    fn impl_trait_is_erased() {
        let ty: Type = syn::parse_str("Result<impl Iterator<Item = u8>, E>").expect("type");
        let Ret::Type { tokens, opaque } = Ret::erased(&ty) else {
            panic!("not never");
        };
        assert!(crate::test_util::Expansion::new(tokens.clone()).is("Result<_, E>"));
        assert!(!opaque);
        let ty: Type = syn::parse_str("impl Iterator<Item = u8> + '_").expect("type");
        assert!(matches!(Ret::erased(&ty), Ret::Type { opaque: true, .. }));
        let ty: Type = syn::parse_str("!").expect("type");
        assert!(matches!(Ret::erased(&ty), Ret::Never));
    }

    #[test]
    fn async_tails() {
        let tail = |body: &str| {
            let block: Block = syn::parse_str(body).expect("block");
            AsyncTail::find(&block).map(|tail| tail.call.is_some())
        };
        assert_eq!(tail("{ async move { 1 } }"), Some(false));
        assert_eq!(
            tail("{ let x = 1; Box::pin(async move { x }) }"),
            Some(true)
        );
        assert_eq!(tail("{ ::std::boxed::Box::pin(async { 1 }) }"), Some(true));
        assert_eq!(tail("{ async move { 1 }; }"), None);
        assert_eq!(tail("{ Box::new(async move { 1 }) }"), None);
        assert_eq!(tail("{ 1 }"), None);
    }
}
