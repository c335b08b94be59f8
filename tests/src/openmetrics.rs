//! The strict OpenMetrics parser of Python's `prometheus_client`
//! (`prometheus_client.openmetrics.parser.text_string_to_metric_families`), and its 0.0.4
//! text parser, run on an exposition: someone else's reading of what promforge writes.
//! `.ci/run` installs the package (`pip install prometheus_client`).

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Reads the exposition on stdin with the parser named in argv[1] and prints its families
/// as JSON (values as text: JSON has no NaN or infinities).
const SCRIPT: &str = r#"
import json, sys
which = sys.argv[1]
if which == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
text = sys.stdin.buffer.read().decode("utf-8")
def ts(t):
    if t is None:
        return None
    return repr(float(t.sec) + t.nsec / 1e9) if hasattr(t, "sec") else repr(float(t))
out = []
for f in text_string_to_metric_families(text):
    samples = []
    for s in f.samples:
        ex = None
        if s.exemplar is not None:
            ex = {"labels": s.exemplar.labels, "value": repr(float(s.exemplar.value)),
                  "timestamp": ts(s.exemplar.timestamp)}
        samples.append({"name": s.name, "labels": s.labels, "value": repr(float(s.value)),
                        "timestamp": ts(s.timestamp), "exemplar": ex})
    out.append({"name": f.name, "type": f.type, "help": f.documentation, "unit": f.unit,
                "samples": samples})
print(json.dumps(out))
"#;

/// One family as the parser read it.
#[derive(Debug, Clone)]
pub struct ParsedFamily {
    /// The family name (OpenMetrics: without `_total`/`_info`).
    pub name: String,
    /// The type word.
    pub metric_type: String,
    /// The HELP text, unescaped.
    pub help: String,
    /// The samples.
    pub samples: Vec<ParsedSample>,
}

/// One sample as the parser read it.
#[derive(Debug, Clone)]
pub struct ParsedSample {
    /// The sample name.
    pub name: String,
    /// The labels, unescaped, in the order written.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// The exemplar: its labels, value and timestamp (seconds).
    pub exemplar: Option<ParsedExemplar>,
}

/// An exemplar's labels, value and timestamp (seconds), as the parser read them.
pub type ParsedExemplar = (Vec<(String, String)>, f64, Option<f64>);

impl ParsedSample {
    /// A label's value.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `text` as OpenMetrics with `prometheus_client`'s strict parser.
pub fn parse_openmetrics(text: &str) -> Result<Vec<ParsedFamily>, String> {
    run("openmetrics", text)
}

/// Parses `text` as the text format 0.0.4 with `prometheus_client`'s parser.
pub fn parse_text(text: &str) -> Result<Vec<ParsedFamily>, String> {
    run("text", text)
}

/// [`parse_openmetrics`], panicking with the parser's complaint and the text.
pub fn check_openmetrics(text: &str) -> Vec<ParsedFamily> {
    parse_openmetrics(text).unwrap_or_else(|e| panic!("{e}\n--- text ---\n{text}"))
}

/// The family named `name`.
pub fn family<'a>(families: &'a [ParsedFamily], name: &str) -> &'a ParsedFamily {
    families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name} in {families:#?}"))
}

fn run(which: &str, text: &str) -> Result<Vec<ParsedFamily>, String> {
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT, which])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("writing to python3: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "prometheus_client's {which} parser refused the text (pip install prometheus_client): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let json: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("parser output is not JSON: {e}"))?;
    let families = json.as_array().cloned().unwrap_or_default();
    Ok(families.iter().map(family_of).collect())
}

fn text_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn float_of(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| match s {
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            "nan" => Some(f64::NAN),
            s => s.parse().ok(),
        })
        .unwrap_or(f64::NAN)
}

fn labels_of(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
        .unwrap_or_default()
}

fn family_of(f: &Value) -> ParsedFamily {
    ParsedFamily {
        name: text_of(&f["name"]),
        metric_type: text_of(&f["type"]),
        help: text_of(&f["help"]),
        samples: f["samples"]
            .as_array()
            .map(|s| {
                s.iter()
                    .map(|s| ParsedSample {
                        name: text_of(&s["name"]),
                        labels: labels_of(&s["labels"]),
                        value: float_of(&s["value"]),
                        exemplar: (!s["exemplar"].is_null()).then(|| {
                            let e = &s["exemplar"];
                            (
                                labels_of(&e["labels"]),
                                float_of(&e["value"]),
                                (!e["timestamp"].is_null()).then(|| float_of(&e["timestamp"])),
                            )
                        }),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}
