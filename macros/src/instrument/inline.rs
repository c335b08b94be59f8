//! Whether an async body can run inline in the instrumented future instead of in a nested
//! `async move { … }.await`: the nested block exists so that a `return` or `?` in the body
//! ends the body, not the instrumented function (which still has to record the call).
//! A body with neither saves the nested future (~8 ns a call).

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Block, ExprAsync, ExprClosure, ExprReturn, ExprTry, Item, Macro};

/// Standard macros that expand to no `return` and no `?` of their own (their arguments are
/// still scanned for both).
const PLAIN_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "matches",
    "panic",
    "print",
    "println",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
];

/// Whether `block` has no `return`, no `?` and no macro that might hide one, outside the
/// closures, async blocks and items nested in it (theirs are their own).
pub(super) fn can_inline(block: &Block) -> bool {
    let mut escapes = Escapes { found: false };
    escapes.visit_block(block);
    !escapes.found
}

struct Escapes {
    found: bool,
}

impl<'ast> Visit<'ast> for Escapes {
    fn visit_expr_return(&mut self, _: &'ast ExprReturn) {
        self.found = true;
    }

    fn visit_expr_try(&mut self, _: &'ast ExprTry) {
        self.found = true;
    }

    fn visit_expr_closure(&mut self, _: &'ast ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast ExprAsync) {}

    fn visit_item(&mut self, _: &'ast Item) {}

    fn visit_macro(&mut self, mac: &'ast Macro) {
        let plain = mac
            .path
            .get_ident()
            .is_some_and(|ident| PLAIN_MACROS.iter().any(|name| ident == name));
        if !plain || returns_or_tries(mac.tokens.clone()) {
            self.found = true;
        }
    }
}

/// Whether `tokens` hold a `return` or a `?` anywhere (conservative: also inside closures).
fn returns_or_tries(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "return",
        TokenTree::Punct(punct) => punct.as_char() == '?',
        TokenTree::Group(group) => returns_or_tries(group.stream()),
        TokenTree::Literal(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(body: &str) -> bool {
        can_inline(&syn::parse_str(body).unwrap_or_else(|e| panic!("{body}: {e}")))
    }

    #[test]
    fn plain_bodies_run_inline() {
        assert!(inline("{ work(x) }"));
        assert!(inline("{ let y = f(x).await; println!(\"{y:?}\"); y + 1 }"));
        assert!(inline(
            "{ let f = |v: Option<u8>| { let w = v?; return Some(w) }; f(x) }"
        ));
        assert!(inline(
            "{ let fut = async { g()?; Ok::<_, E>(()) }; fut.await }"
        ));
        assert!(inline("{ fn inner() -> u8 { return 1 } inner() }"));
        assert!(inline("{ assert_eq!(x, 1, \"x is {x:?}\"); vec![x] }"));
    }

    #[test]
    fn bodies_that_may_leave_early_keep_their_block() {
        assert!(!inline("{ if x { return 1 } 2 }"));
        assert!(!inline("{ let v = f()?; v }"));
        assert!(!inline("{ let Some(v) = x else { return 0 }; v }"));
        assert!(!inline("{ bail!(\"no\") }"));
        assert!(!inline("{ assert_eq!(f()?, 1); 2 }"));
        assert!(!inline("{ println!(\"{}\", { return }); }"));
        assert!(!inline("{ my_crate::ensure!(x); 1 }"));
    }
}
