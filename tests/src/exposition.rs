//! A strict parser for the Prometheus text format 0.0.4, for tests.
//!
//! Stricter than the parser crates on purpose: besides reading samples back (with escapes
//! resolved) it refuses what a scraper would choke on or warn about: a second `# TYPE` or
//! `# HELP` for one family, a family whose samples are not contiguous, a sample that does
//! not belong to the family before it, duplicate series, unknown escapes, histograms whose
//! buckets are not cumulative, lack `+Inf`, or whose `+Inf` differs from `_count`.

use std::collections::{BTreeMap, HashSet};

/// One parsed exposition.
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    /// The families in the order they appeared.
    pub families: Vec<Family>,
}

/// One metric family.
#[derive(Debug, Clone, Default)]
pub struct Family {
    /// The family name (as on the `# TYPE` line).
    pub name: String,
    /// The HELP text, unescaped.
    pub help: Option<String>,
    /// The type word (`counter`, `gauge`, …), `untyped` when no `# TYPE` line was given.
    pub kind: String,
    /// The samples, in order.
    pub samples: Vec<Sample>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The sample name (family name plus `_bucket`, `_sum`, … where it applies).
    pub name: String,
    /// The labels, unescaped, in order of appearance.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Exposition {
    /// Asserts that every `(name, type, label names)` family is there, with that type, at
    /// least one sample, and exactly those label names on every sample (besides `le` and
    /// `quantile`).
    pub fn assert_families(&self, families: &[(&str, &str, &[&str])]) {
        for (name, kind, labels) in families {
            let family = self
                .family(name)
                .unwrap_or_else(|| panic!("missing {name} in {:#?}", self.families));
            assert_eq!(family.kind, *kind, "{name}");
            assert!(!family.samples.is_empty(), "{name} has no samples");
            let expected: std::collections::BTreeSet<&str> = labels.iter().copied().collect();
            for sample in &family.samples {
                let names: std::collections::BTreeSet<&str> = sample
                    .labels
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .filter(|n| *n != "le" && *n != "quantile")
                    .collect();
                assert_eq!(names, expected, "labels of {sample:?}");
            }
        }
    }

    /// The family called `name`.
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.name == name)
    }

    /// Every sample of every family.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.families.iter().flat_map(|f| f.samples.iter())
    }

    /// The value of the sample `name` whose labels include all of `labels`
    /// (the first such sample).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples()
            .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
            .map(|s| s.value)
    }
}

impl Exposition {
    /// The sum of the samples named `name` whose labels include all of `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples()
            .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
            .map(|s| s.value)
            .sum()
    }

    /// The `le` of the bucket holding quantile `q` (as `histogram_quantile` finds it) of the
    /// series of histogram `family` whose labels include `labels`. Panics when it has no
    /// observations.
    pub fn quantile_bucket(&self, family: &str, labels: &[(&str, &str)], q: f64) -> String {
        let bucket = format!("{family}_bucket");
        let mut buckets: Vec<(f64, String, f64)> = self
            .samples()
            .filter(|s| s.name == bucket && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
            .filter_map(|s| {
                let le = s.label("le")?;
                Some((le.parse::<f64>().ok()?, le.to_owned(), s.value))
            })
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total = buckets.last().map_or(0.0, |b| b.2);
        assert!(total > 0.0, "{family}{labels:?}: no observations");
        let rank = q * total;
        buckets
            .iter()
            .find(|b| b.2 >= rank)
            .map(|b| b.1.clone())
            .unwrap_or_else(|| panic!("{family}: the +Inf bucket holds every rank"))
    }

    /// [`quantile_bucket`](Self::quantile_bucket) as a number (`+Inf` included): for
    /// bounds that hold however late a loaded machine runs (a p99 never below what every
    /// call sleeps), where comparing the bucket itself would be a timed assertion.
    pub fn quantile_bound(&self, family: &str, labels: &[(&str, &str)], q: f64) -> f64 {
        let le = self.quantile_bucket(family, labels, q);
        le.parse()
            .unwrap_or_else(|_| panic!("{family}: le=\"{le}\" is not a number"))
    }
}

/// Parses `text` strictly; the error names the line.
pub fn parse(text: &str) -> Result<Exposition, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the exposition does not end with a newline".into());
    }
    let mut out = Exposition::default();
    let mut seen_families: HashSet<String> = HashSet::new();
    let mut seen_series: HashSet<(String, Vec<(String, String)>)> = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let err = |msg: String| format!("line {}: {msg}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let mut words = rest.splitn(3, ' ');
            let keyword = words.next().unwrap_or("");
            if keyword != "HELP" && keyword != "TYPE" {
                continue; // a plain comment
            }
            let name = words.next().ok_or_else(|| err("no metric name".into()))?;
            check_metric_name(name).map_err(&err)?;
            let arg = words.next().unwrap_or("");
            let family = family_for(&mut out, &mut seen_families, name).map_err(&err)?;
            if keyword == "HELP" {
                if family.help.is_some() {
                    return Err(err(format!("second HELP for {name}")));
                }
                family.help = Some(unescape(arg, false).map_err(&err)?);
            } else {
                if family.kind != "untyped" || !family.samples.is_empty() {
                    return Err(err(format!("TYPE for {name} after its samples or twice")));
                }
                match arg {
                    "counter" | "gauge" | "histogram" | "summary" | "untyped" => {
                        family.kind = arg.to_owned();
                    }
                    other => return Err(err(format!("unknown type {other:?}"))),
                }
            }
            continue;
        }
        let sample = parse_sample(line).map_err(&err)?;
        let key = (sample.name.clone(), sorted(&sample.labels));
        if !seen_series.insert(key) {
            return Err(err("duplicate series".into()));
        }
        // The sample belongs to the last family if its name fits; else it starts an
        // untyped family of its own.
        let fits = out
            .families
            .last()
            .is_some_and(|f| belongs(&f.name, &f.kind, &sample.name));
        if !fits {
            if out
                .families
                .iter()
                .any(|f| belongs(&f.name, &f.kind, &sample.name))
            {
                return Err(err(format!(
                    "sample {} is separated from its family",
                    sample.name
                )));
            }
            family_for(&mut out, &mut seen_families, &sample.name.clone()).map_err(&err)?;
        }
        if let Some(f) = out.families.last_mut() {
            f.samples.push(sample);
        }
    }
    for family in &out.families {
        if family.kind == "histogram" {
            check_histogram(family)?;
        }
    }
    Ok(out)
}

fn sorted(labels: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = labels.to_vec();
    v.sort();
    v
}

fn belongs(family: &str, kind: &str, sample: &str) -> bool {
    let suffixes: &[&str] = match kind {
        "histogram" => &["_bucket", "_sum", "_count"],
        "summary" => &["", "_sum", "_count"],
        _ => &[""],
    };
    suffixes
        .iter()
        .any(|s| sample.strip_suffix(s) == Some(family))
}

fn family_for<'a>(
    out: &'a mut Exposition,
    seen: &mut HashSet<String>,
    name: &str,
) -> Result<&'a mut Family, String> {
    let is_last = out.families.last().is_some_and(|f| f.name == name);
    if !is_last {
        if !seen.insert(name.to_owned()) {
            return Err(format!("family {name} appears twice"));
        }
        out.families.push(Family {
            name: name.to_owned(),
            help: None,
            kind: "untyped".into(),
            samples: Vec::new(),
        });
    }
    out.families
        .last_mut()
        .ok_or_else(|| "no family".to_owned())
}

fn check_metric_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || b == b'_' || b == b':' || (i > 0 && b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!("invalid metric name {name:?}"))
    }
}

fn check_label_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_alphabetic() || b == b'_' || (i > 0 && b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid label name {name:?}"))
    }
}

fn unescape(s: &str, quotes: bool) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quotes => out.push('"'),
            other => return Err(format!("invalid escape \\{}", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("invalid value {s:?}")),
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or_else(|| "no value".to_owned())?;
    let name = &line[..name_end];
    check_metric_name(name)?;
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = rest.find('=').ok_or("label without `=`")?;
            let label = &rest[..eq];
            check_label_name(label)?;
            rest = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value without opening quote")?;
            // Find the closing quote, skipping escaped characters.
            let bytes = rest.as_bytes();
            let mut i = 0;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            if i >= bytes.len() {
                return Err("label value without closing quote".into());
            }
            let value = unescape(&rest[..i], true)?;
            if labels.iter().any(|(n, _): &(String, String)| n == label) {
                return Err(format!("label {label} given twice"));
            }
            labels.push((label.to_owned(), value));
            rest = &rest[i + 1..];
            if let Some(after) = rest.strip_prefix(',') {
                rest = after;
            } else if !rest.starts_with('}') {
                return Err("expected `,` or `}` after a label".into());
            }
        }
    }
    let rest = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let mut parts = rest.split(' ');
    let value = parse_value(parts.next().unwrap_or(""))?;
    if let Some(ts) = parts.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("invalid timestamp {ts:?}"))?;
    }
    if parts.next().is_some() {
        return Err("trailing text after the value".into());
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

fn check_histogram(family: &Family) -> Result<(), String> {
    // Group the series by their labels other than `le`.
    /// Per series (labels without `le`): its `(le, cumulative count)` buckets and `_count`.
    type Buckets = (Vec<(f64, f64)>, Option<f64>);
    let mut series: BTreeMap<Vec<(String, String)>, Buckets> = BTreeMap::new();
    for s in &family.samples {
        let key: Vec<(String, String)> = sorted(
            &s.labels
                .iter()
                .filter(|(n, _)| n != "le")
                .cloned()
                .collect::<Vec<_>>(),
        );
        let entry = series.entry(key).or_default();
        if s.name.ends_with("_bucket") {
            let le = s
                .label("le")
                .ok_or_else(|| format!("{}: bucket without le", family.name))?;
            entry.0.push((parse_value(le)?, s.value));
        } else if s.name.ends_with("_count") {
            entry.1 = Some(s.value);
        }
    }
    for (labels, (buckets, count)) in series {
        let ctx = format!("histogram {} {labels:?}", family.name);
        let last = buckets.last().ok_or(format!("{ctx}: no buckets"))?;
        if last.0 != f64::INFINITY {
            return Err(format!("{ctx}: last bucket is not +Inf"));
        }
        if buckets
            .windows(2)
            .any(|w| w[0].0 >= w[1].0 || w[0].1 > w[1].1)
        {
            return Err(format!("{ctx}: buckets not increasing or not cumulative"));
        }
        if count != Some(last.1) {
            return Err(format!("{ctx}: _count {count:?} != +Inf bucket {}", last.1));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_escapes_and_special_values() {
        let text =
            "# HELP a Some \\\\ help\\n2\n# TYPE a gauge\na{x=\"q\\\"\\\\\\n é\",y=\"\"} NaN\n";
        let e = parse(text).expect("valid exposition");
        let f = e.family("a").cloned().expect("family a");
        assert_eq!(f.help.as_deref(), Some("Some \\ help\n2"));
        assert_eq!(f.samples[0].label("x"), Some("q\"\\\n é"));
        assert!(f.samples[0].value.is_nan());
    }

    #[test]
    fn refuses_broken_input() {
        for bad in [
            "a 1",                                   // no newline
            "a{x=\"1} 2\n",                          // unclosed quote
            "a{x=\"\\t\"} 2\n",                      // bad escape
            "# TYPE a gauge\n# TYPE a gauge\na 1\n", // second TYPE
            "a 1\nb 1\na{x=\"1\"} 1\n",              // interleaved
            "a 1\na 2\n",                            // duplicate series
            "a{le=\"1\",le=\"2\"} 1\n",              // repeated label
            "a one\n",                               // bad value
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n",
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\n",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
