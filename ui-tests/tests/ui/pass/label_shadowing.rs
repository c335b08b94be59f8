// The derives name everything by absolute path: the user's own `Option`, `Some`, `None`,
// `String`, `Vec`, `Cow`, `Result`, `usize`, `str`, `u8`, `LabelValue` or `LabelSet` do not
// change what the generated code means.
#![allow(dead_code, non_camel_case_types, non_upper_case_globals)]

struct Option;
struct Some;
struct None;
struct String;
struct Vec;
struct Cow;
struct Result;
struct usize;
struct str;
struct u8;
struct bool;
struct Sized;
mod core {}
mod std {}
const i: i32 = 3;
const index: i32 = 4;
const out: i32 = 5;
const key: i32 = 6;
const VALUES: i32 = 7;

mod shadowed {
    // Names of the runtime's traits, as local items.
    pub struct LabelValue;
    pub trait LabelSet {}
    pub mod derive_support {}
    pub mod promforge {}

    #[derive(::promforge::LabelValue, Clone, Copy)]
    #[label(rename_all = "kebab-case")]
    pub enum Method {
        Get,
        #[label(rename = "POST")]
        Post,
    }

    #[derive(::promforge::LabelSet)]
    pub struct Labels<'a> {
        pub method: Method,
        pub path: &'a ::core::primitive::str,
        pub retried: ::core::primitive::bool,
    }

    #[derive(::promforge::LabelSet)]
    pub struct Empty;

    #[derive(::promforge::LabelSet)]
    pub struct Newtype(pub Labels<'static>);
}

#[derive(promforge::LabelValue)]
enum VALUES_ {
    Option,
    Some,
    None,
    String,
    Vec,
    Cow,
    Result,
}

#[derive(promforge::LabelSet)]
struct Named {
    value: VALUES_,
    r#i: ::std::string::String,
}

fn main() {
    use ::promforge::{LabelSet as _, LabelValue as _};
    let labels = shadowed::Labels {
        method: shadowed::Method::Post,
        path: "/",
        retried: false,
    };
    let mut text = ::std::string::String::new();
    labels.encode_labels(&mut text);
    ::std::assert_eq!(text, r#"method="POST",path="/",retried="false""#);
    ::std::assert_eq!(
        <shadowed::Labels<'_> as ::promforge::LabelSet>::CARDINALITY,
        ::core::option::Option::None
    );
    ::std::assert_eq!(
        <shadowed::Method as ::promforge::LabelValue>::value_at(0),
        ::core::option::Option::Some("get")
    );
    ::std::assert_eq!(VALUES_::Result.label_value(), "result");
    ::std::assert_eq!(<Named as ::promforge::LabelSet>::NAMES, ["value", "i"]);
}
