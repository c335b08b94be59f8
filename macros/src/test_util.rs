//! What the macros' unit tests read an expansion with: token trees, not the spacing of
//! `TokenStream::to_string()` (which proc-macro2 may change). Code is compared as a
//! sequence of tokens (identifiers, punctuation characters, literals, group delimiters),
//! and errors by the text of each `compile_error!` message.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// An expansion, flattened for searching.
pub(crate) struct Expansion {
    tokens: TokenStream,
    atoms: Vec<String>,
    errors: Vec<String>,
}

impl Expansion {
    pub(crate) fn new(tokens: TokenStream) -> Self {
        let mut atoms = Vec::new();
        flatten(tokens.clone(), &mut atoms);
        let mut errors = Vec::new();
        messages(tokens.clone(), &mut errors);
        Self {
            tokens,
            atoms,
            errors,
        }
    }

    /// Whether `code` (which must lex as tokens, with balanced delimiters) occurs in the
    /// expansion, token for token.
    pub(crate) fn has(&self, code: &str) -> bool {
        let needle = atoms(code);
        !needle.is_empty() && self.atoms.windows(needle.len()).any(|w| w == needle)
    }

    /// Whether the expansion is `code`, token for token.
    pub(crate) fn is(&self, code: &str) -> bool {
        self.atoms == atoms(code)
    }

    /// How many times `code` occurs, token for token.
    pub(crate) fn count(&self, code: &str) -> usize {
        let needle = atoms(code);
        self.atoms
            .windows(needle.len().max(1))
            .filter(|w| *w == needle)
            .count()
    }

    /// Whether the expansion starts with `code`, token for token.
    pub(crate) fn starts_with(&self, code: &str) -> bool {
        self.atoms.starts_with(&atoms(code))
    }

    /// Whether the expansion ends with `code`, token for token.
    pub(crate) fn ends_with(&self, code: &str) -> bool {
        self.atoms.ends_with(&atoms(code))
    }

    /// Whether it reports an error (a `compile_error!`).
    pub(crate) fn has_errors(&self) -> bool {
        self.atoms.iter().any(|atom| atom == "compile_error")
    }

    /// Whether a `compile_error!` message contains `text`.
    pub(crate) fn error(&self, text: &str) -> bool {
        self.errors.iter().any(|message| message.contains(text))
    }

    /// The `compile_error!` messages.
    pub(crate) fn errors(&self) -> &[String] {
        &self.errors
    }
}

impl std::fmt::Display for Expansion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.tokens)
    }
}

/// The tokens of `code`. A needle may open or close more delimiters than it closes or
/// opens (`FieldOptions {`, `.state_label("plain"))`): the missing halves are added to
/// lex it, then left out of the tokens.
fn atoms(code: &str) -> Vec<String> {
    let mut open: Vec<char> = Vec::new();
    let mut prefix = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in code.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let opener = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if open.last() == Some(&opener) {
                    open.pop();
                } else {
                    prefix.insert(0, opener);
                }
            }
            _ => {}
        }
    }
    let suffix: String = open
        .iter()
        .rev()
        .map(|c| match c {
            '(' => ')',
            '[' => ']',
            _ => '}',
        })
        .collect();
    let full = format!("{prefix}{code}{suffix}");
    let tokens: TokenStream = full
        .parse()
        .unwrap_or_else(|error| panic!("not tokens: {code}: {error}"));
    let mut atoms = Vec::new();
    flatten(tokens, &mut atoms);
    let end = atoms.len() - suffix.chars().count();
    atoms.drain(end..);
    atoms.drain(..prefix.chars().count());
    atoms
}

fn flatten(tokens: TokenStream, out: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                if !open.is_empty() {
                    out.push(open.to_owned());
                }
                flatten(group.stream(), out);
                if !close.is_empty() {
                    out.push(close.to_owned());
                }
            }
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Punct(punct) => out.push(punct.as_char().to_string()),
            TokenTree::Literal(literal) => out.push(literal.to_string()),
        }
    }
}

/// The string of every `compile_error! { "…" }` / `compile_error!("…")`.
fn messages(tokens: TokenStream, out: &mut Vec<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        if let TokenTree::Group(group) = tree {
            let after_macro = i >= 2
                && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '!')
                && matches!(&trees[i - 2], TokenTree::Ident(id) if id == "compile_error");
            if after_macro {
                if let Ok(message) = syn::parse2::<syn::LitStr>(group.stream()) {
                    out.push(message.value());
                }
            } else {
                messages(group.stream(), out);
            }
        }
    }
}

#[test]
fn tokens_not_spacing() {
    let out = Expansion::new(quote::quote! {
        ::core::compile_error! { "bad `name`" }
        fn f() -> Vec<u8> { g(&[1f64, -2f64]) }
    });
    assert!(out.has("fn f ( ) -> Vec<u8>"));
    assert!(out.has("g(&[1f64,-2f64])"));
    assert!(!out.has("g(&[1f64])"));
    assert!(out.starts_with("::core::compile_error!"));
    assert!(out.ends_with("{ g(&[1f64, -2f64]) }"));
    assert!(out.has_errors());
    assert!(out.error("bad `name`"));
    assert_eq!(out.errors(), ["bad `name`"]);
    assert!(out.has("fn f() -> Vec<u8> {"));
    assert!(out.has("-2f64]) }"));
    assert!(!out.has("g(&[1f64]"));
}
