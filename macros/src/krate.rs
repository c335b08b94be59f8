//! The path of the runtime crate in generated code: `::promforge` unless the user says
//! otherwise with `crate = "some::path"` (when promforge is renamed or re-exported).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::{LitStr, Path};

/// Where the runtime crate is.
pub(crate) struct Krate {
    path: Path,
}

impl Default for Krate {
    fn default() -> Self {
        Self {
            path: syn::parse_quote!(::promforge),
        }
    }
}

impl Krate {
    /// Parses the value of `crate = "some::path"` (the nested meta's path was `crate`).
    pub(crate) fn parse(meta: &ParseNestedMeta<'_>) -> syn::Result<Self> {
        let literal: LitStr = meta.value()?.parse()?;
        match literal.parse::<Path>() {
            Ok(path) => Ok(Self { path }),
            Err(_) => Err(syn::Error::new(
                literal.span(),
                format!(
                    "`{}` is not a path: expected the path of the promforge crate, \
                     like `crate = \"::promforge\"` or `crate = \"my_crate::promforge\"`",
                    literal.value()
                ),
            )),
        }
    }

    /// `<path>::__private`, the module the generated code names everything through.
    pub(crate) fn private(&self) -> TokenStream {
        let path = &self.path;
        quote!(#path::__private)
    }
}

impl ToTokens for Krate {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.path.to_tokens(tokens);
    }
}
