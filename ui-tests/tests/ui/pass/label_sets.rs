// Every supported form of `#[derive(LabelValue)]` and `#[derive(LabelSet)]`, checked at run
// time: cardinalities, names, dense indices and the encoded labels.
use promforge::{LabelSet, LabelValue};

mod http {
    // An enum in a nested module, used from the parent.
    #[derive(promforge::LabelValue, Clone, Copy, Debug, PartialEq)]
    pub enum Method {
        Get,
        Post,
        Put,
    }
}

use http::Method;

#[derive(LabelValue, Clone, Copy)]
#[label(rename_all = "SCREAMING_SNAKE_CASE")]
enum Outcome {
    Ok,
    ServerError,
    #[label(rename = "4xx")]
    ClientError,
}

// Explicit discriminants: the index is the variant's position, not its discriminant.
#[derive(LabelValue, Clone, Copy)]
#[repr(u8)]
enum Code {
    Teapot = 218,
    Gone = 10,
    Moved = 3,
}

// The default case is snake_case, a run of capitals being one word.
#[derive(LabelValue)]
enum Words {
    ServerError,
    HTTPError,
    V2,
    Http2Error,
    #[label(rename = "GET")]
    Get,
}

#[derive(LabelValue)]
#[label(rename_all = "kebab-case")]
enum Kebab {
    ServerError,
    HTTPError,
}

#[derive(LabelValue)]
#[label(rename_all = "camelCase")]
enum Camel {
    ServerError,
    HTTPError,
}

#[derive(LabelValue)]
#[label(rename_all = "PascalCase")]
enum Pascal {
    ServerError,
}

#[derive(LabelValue)]
#[label(rename_all = "UPPERCASE")]
enum Upper {
    ServerError,
}

#[derive(LabelValue)]
#[label(rename_all = "lowercase")]
enum Lower {
    ServerError,
}

/// A closed set: every field is a derived enum or `bool`.
#[derive(LabelSet, Clone, Copy)]
struct Request {
    method: Method,
    outcome: Outcome,
    cached: bool,
}

/// The empty set.
#[derive(LabelSet)]
struct NoLabels;

/// A newtype delegates to its inner set.
#[derive(LabelSet)]
struct Wrapped(Request);

/// A lifetime, a borrowed `&str` and a renamed integer field: an open set.
#[derive(LabelSet)]
struct Route<'a> {
    path: &'a str,
    #[label(rename = "status_code")]
    status: u16,
}

/// A raw field name, an open `String` and a closed enum.
#[derive(LabelSet)]
struct Open {
    r#type: Code,
    user: String,
}

/// Generic over the value of its one label.
#[derive(LabelSet)]
struct Generic<T> {
    value: T,
}

fn encoded<L: LabelSet>(labels: &L) -> String {
    let mut out = String::new();
    labels.encode_labels(&mut out);
    out
}

fn encoded_at<L: LabelSet>(index: usize) -> String {
    let mut out = String::new();
    L::encode_labels_at(index, &mut out);
    out
}

fn main() {
    // LabelValue
    assert_eq!(<Method as LabelValue>::CARDINALITY, Some(3));
    assert_eq!(Method::Put.index(), 2);
    assert_eq!(Method::value_at(1), Some("post"));
    assert_eq!(Method::value_at(3), None);
    assert_eq!(Method::Get.label_value(), "get");
    assert_eq!(Outcome::ServerError.label_value(), "SERVER_ERROR");
    assert_eq!(Outcome::ClientError.label_value(), "4xx");
    assert_eq!(Outcome::value_at(0), Some("OK"));
    assert_eq!(<Code as LabelValue>::CARDINALITY, Some(3));
    assert_eq!(Code::Teapot as u8, 218);
    assert_eq!(
        [
            Code::Teapot.index(),
            Code::Gone.index(),
            Code::Moved.index()
        ],
        [0, 1, 2]
    );
    assert_eq!(Code::value_at(2), Some("moved"));
    let words: Vec<_> = (0..5).map(|i| Words::value_at(i).unwrap_or("?")).collect();
    assert_eq!(
        words,
        ["server_error", "http_error", "v2", "http2_error", "GET"]
    );
    assert_eq!(Words::HTTPError.label_value(), "http_error");
    assert_eq!(Kebab::value_at(0), Some("server-error"));
    assert_eq!(Kebab::value_at(1), Some("http-error"));
    assert_eq!(Camel::value_at(0), Some("serverError"));
    assert_eq!(Camel::value_at(1), Some("httpError"));
    assert_eq!(Pascal::ServerError.label_value(), "ServerError");
    assert_eq!(Upper::ServerError.label_value(), "SERVERERROR");
    assert_eq!(Lower::ServerError.label_value(), "servererror");

    // A closed LabelSet: mixed radix, first field most significant.
    assert_eq!(Request::NAMES, ["method", "outcome", "cached"]);
    assert_eq!(Request::CARDINALITY, Some(3 * 3 * 2));
    let request = Request {
        method: Method::Post,
        outcome: Outcome::ServerError,
        cached: true,
    };
    assert_eq!(request.index(), (3 + 1) * 2 + 1);
    let text = r#"method="post",outcome="SERVER_ERROR",cached="true""#;
    assert_eq!(encoded(&request), text);
    assert_eq!(encoded_at::<Request>(request.index()), text);
    assert_eq!(
        encoded_at::<Request>(0),
        r#"method="get",outcome="OK",cached="false""#
    );
    let mut indices: Vec<usize> = Vec::new();
    for method in [Method::Get, Method::Post, Method::Put] {
        for outcome in [Outcome::Ok, Outcome::ServerError, Outcome::ClientError] {
            for cached in [false, true] {
                let labels = Request {
                    method,
                    outcome,
                    cached,
                };
                assert_eq!(encoded_at::<Request>(labels.index()), encoded(&labels));
                indices.push(labels.index());
            }
        }
    }
    assert_eq!(indices, (0..18).collect::<Vec<_>>(), "indices are dense");
    assert_ne!(
        encoded(&request),
        encoded(&Request {
            cached: false,
            ..request
        })
    );

    // The empty set and a newtype.
    assert_eq!(NoLabels::NAMES, [] as [&str; 0]);
    assert_eq!(NoLabels::CARDINALITY, Some(1));
    assert_eq!(NoLabels.index(), 0);
    assert_eq!(encoded(&NoLabels), "");
    assert_eq!(encoded_at::<NoLabels>(0), "");
    assert!(encoded(&NoLabels).is_empty());
    assert_eq!(Wrapped::NAMES, Request::NAMES);
    assert_eq!(Wrapped::CARDINALITY, Some(18));
    assert_eq!(Wrapped(request).index(), request.index());
    assert_eq!(encoded(&Wrapped(request)), text);
    assert_eq!(encoded_at::<Wrapped>(9), text);
    assert_eq!(encoded(&Wrapped(request)), encoded(&request));

    // Open sets: values are escaped, texts are distinct.
    let path = String::from("/a\"b\\c\nd");
    let route = Route {
        path: &path,
        status: 404,
    };
    assert_eq!(Route::NAMES, ["path", "status_code"]);
    assert_eq!(Route::CARDINALITY, None);
    assert_eq!(encoded(&route), r#"path="/a\"b\\c\nd",status_code="404""#);
    assert_ne!(
        encoded(&route),
        encoded(&Route {
            path: "/",
            status: 404
        })
    );
    let open = Open {
        r#type: Code::Gone,
        user: "ann".to_owned(),
    };
    assert_eq!(Open::NAMES, ["type", "user"]);
    assert_eq!(Open::CARDINALITY, None);
    assert_eq!(encoded(&open), r#"type="gone",user="ann""#);

    // Generic sets are closed or open with their parameter.
    assert_eq!(Generic::<bool>::NAMES, ["value"]);
    assert_eq!(Generic::<bool>::CARDINALITY, Some(2));
    assert_eq!(Generic { value: true }.index(), 1);
    assert_eq!(Generic::<u8>::CARDINALITY, None);
    assert_eq!(encoded(&Generic { value: 7u8 }), r#"value="7""#);
}
