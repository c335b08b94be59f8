//! Metric names and units: the Prometheus rules the derive checks at compile time.

/// The base units a metric name may end in (Prometheus naming practices).
pub(super) const BASE_UNITS: [&str; 10] = [
    "seconds", "bytes", "ratio", "volts", "amperes", "joules", "grams", "meters", "celsius", "info",
];

/// A unit that is not a base one: the base unit to use instead, and the factor that turns
/// a value in this unit into one in the base unit (`None` when it is 1 or not a factor).
struct NonBase {
    spellings: &'static [&'static str],
    /// The unit, in words, for messages ("milliseconds").
    what: &'static str,
    base: &'static str,
    scale: Option<&'static str>,
}

const NON_BASE_UNITS: &[NonBase] = &[
    NonBase {
        spellings: &[
            "milliseconds",
            "millisecond",
            "millis",
            "ms",
            "msec",
            "msecs",
        ],
        what: "milliseconds",
        base: "seconds",
        scale: Some("0.001"),
    },
    NonBase {
        spellings: &["microseconds", "microsecond", "micros", "us", "µs", "usec"],
        what: "microseconds",
        base: "seconds",
        scale: Some("0.000001"),
    },
    NonBase {
        spellings: &["nanoseconds", "nanosecond", "nanos", "ns", "nsec"],
        what: "nanoseconds",
        base: "seconds",
        scale: Some("0.000000001"),
    },
    NonBase {
        spellings: &["minutes", "minute", "min", "mins"],
        what: "minutes",
        base: "seconds",
        scale: Some("60.0"),
    },
    NonBase {
        spellings: &["hours", "hour", "h", "hr", "hrs"],
        what: "hours",
        base: "seconds",
        scale: Some("3600.0"),
    },
    NonBase {
        spellings: &["days", "day", "d"],
        what: "days",
        base: "seconds",
        scale: Some("86400.0"),
    },
    NonBase {
        spellings: &["second", "sec", "secs", "s"],
        what: "seconds",
        base: "seconds",
        scale: None,
    },
    NonBase {
        spellings: &["byte", "b"],
        what: "bytes",
        base: "bytes",
        scale: None,
    },
    NonBase {
        spellings: &["bits", "bit"],
        what: "bits",
        base: "bytes",
        scale: Some("0.125"),
    },
    NonBase {
        spellings: &[
            "kilobytes",
            "kilobyte",
            "kb",
            "kibibytes",
            "kibibyte",
            "kib",
        ],
        what: "kilobytes",
        base: "bytes",
        scale: Some("1024.0"),
    },
    NonBase {
        spellings: &[
            "megabytes",
            "megabyte",
            "mb",
            "mebibytes",
            "mebibyte",
            "mib",
        ],
        what: "megabytes",
        base: "bytes",
        scale: Some("1048576.0"),
    },
    NonBase {
        spellings: &[
            "gigabytes",
            "gigabyte",
            "gb",
            "gibibytes",
            "gibibyte",
            "gib",
        ],
        what: "gigabytes",
        base: "bytes",
        scale: Some("1073741824.0"),
    },
    NonBase {
        spellings: &["percent", "percentage", "pct", "%"],
        what: "percent",
        base: "ratio",
        scale: Some("0.01"),
    },
    NonBase {
        spellings: &["volt", "v"],
        what: "volts",
        base: "volts",
        scale: None,
    },
    NonBase {
        spellings: &["ampere", "amperes", "amps", "amp", "a"],
        what: "amperes",
        base: "amperes",
        scale: None,
    },
    NonBase {
        spellings: &["joule", "j"],
        what: "joules",
        base: "joules",
        scale: None,
    },
    NonBase {
        spellings: &["gram", "g"],
        what: "grams",
        base: "grams",
        scale: None,
    },
    NonBase {
        spellings: &["kilograms", "kilogram", "kg"],
        what: "kilograms",
        base: "grams",
        scale: Some("1000.0"),
    },
    NonBase {
        spellings: &["meter", "metre", "metres", "m"],
        what: "meters",
        base: "meters",
        scale: None,
    },
    NonBase {
        spellings: &["kilometers", "kilometer", "kilometres", "km"],
        what: "kilometers",
        base: "meters",
        scale: Some("1000.0"),
    },
    NonBase {
        spellings: &["millimeters", "millimeter", "millimetres", "mm"],
        what: "millimeters",
        base: "meters",
        scale: Some("0.001"),
    },
    NonBase {
        spellings: &["fahrenheit", "kelvin"],
        what: "degrees",
        base: "celsius",
        scale: None,
    },
];

/// Name endings that are a unit but not a base one: with `unit = "<base>"`, the ending is
/// replaced by the base unit (`memory_usage_mb` → `memory_usage_bytes`).
const NON_BASE_SUFFIXES: &[(&str, &str)] = &[
    ("_milliseconds", "seconds"),
    ("_millis", "seconds"),
    ("_msec", "seconds"),
    ("_ms", "seconds"),
    ("_microseconds", "seconds"),
    ("_micros", "seconds"),
    ("_us", "seconds"),
    ("_nanoseconds", "seconds"),
    ("_nanos", "seconds"),
    ("_ns", "seconds"),
    ("_secs", "seconds"),
    ("_sec", "seconds"),
    ("_minutes", "seconds"),
    ("_hours", "seconds"),
    ("_kilobytes", "bytes"),
    ("_megabytes", "bytes"),
    ("_gigabytes", "bytes"),
    ("_kb", "bytes"),
    ("_mb", "bytes"),
    ("_gb", "bytes"),
    ("_kib", "bytes"),
    ("_mib", "bytes"),
    ("_gib", "bytes"),
    ("_percentage", "ratio"),
    ("_percent", "ratio"),
    ("_pct", "ratio"),
];

/// Where a unit is written, which changes the advice for a non-base one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum UnitPlace {
    /// A live metric: the program records values itself, so it records them in the base unit.
    Live,
    /// A snapshot value: `scale` converts the value the program keeps.
    Snapshot,
}

/// Checks that `unit` is a base unit; the error is a sentence for a compile error.
pub(super) fn check_unit(unit: &str, place: UnitPlace) -> Result<(), String> {
    if BASE_UNITS.contains(&unit) {
        return Ok(());
    }
    let lower = unit.to_lowercase();
    if BASE_UNITS.contains(&lower.as_str()) {
        return Err(format!(
            "`{unit}` is not a base unit as Prometheus spells it: use unit = \"{lower}\""
        ));
    }
    let Some(known) = NON_BASE_UNITS
        .iter()
        .find(|known| known.spellings.contains(&lower.as_str()))
    else {
        return Err(format!(
            "`{unit}` is not a Prometheus base unit: expected one of {}",
            BASE_UNITS
                .iter()
                .map(|unit| format!("\"{unit}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let base = known.base;
    let advice = match (known.scale, place) {
        (None, _) if known.base == "celsius" => {
            " (and convert the value to degrees Celsius)".to_owned()
        }
        (None, _) => String::new(),
        (Some(scale), UnitPlace::Snapshot) => {
            format!(" (and scale = {scale} for a value kept in {})", known.what)
        }
        (Some(_), UnitPlace::Live) => format!(" and record the values in {base}"),
    };
    Err(format!(
        "`{unit}` is not a base unit: use unit = \"{base}\"{advice}"
    ))
}

/// Adds `unit` (a base unit) to `name`: nothing when the name already ends with it; the
/// ending replaced when the name ends in a non-base unit of the same kind (`_ms` for
/// seconds); `_<unit>` appended otherwise. A counter's `_total` stays at the end.
pub(super) fn apply_unit(name: &str, unit: &str) -> Result<String, String> {
    let (stem, total) = match name.strip_suffix("_total") {
        Some(stem) if !stem.is_empty() => (stem, "_total"),
        _ => (name, ""),
    };
    let with_unit = if stem == unit || stem.ends_with(&format!("_{unit}")) {
        stem.to_owned()
    } else if let Some(&(suffix, base)) = NON_BASE_SUFFIXES
        .iter()
        .find(|(suffix, _)| stem.len() > suffix.len() && stem.ends_with(suffix))
    {
        if base != unit {
            return Err(format!(
                "`{name}` ends in `{suffix}`, a unit converted to {base}, but the unit is \
                 \"{unit}\": give the metric another name with #[metric(name = \"…\")]"
            ));
        }
        format!("{}_{unit}", &stem[..stem.len() - suffix.len()])
    } else if let Some(other) = BASE_UNITS
        .iter()
        .find(|&&other| other != unit && stem.ends_with(&format!("_{other}")))
    {
        return Err(format!(
            "`{name}` ends in `_{other}`, but the unit is \"{unit}\": a metric has one unit; \
             give it another name with #[metric(name = \"…\")]"
        ));
    } else {
        format!("{stem}_{unit}")
    };
    Ok(with_unit + total)
}

/// Checks the name of a summary made from aggregates (`#[metrics(summary(name = …))]`): it
/// ends in a base unit (`processing_seconds`), since the sum is converted to one by `scale`.
pub(super) fn check_summary_name(name: &str) -> Result<(), String> {
    let units = BASE_UNITS.iter().filter(|&&unit| unit != "info");
    if units
        .clone()
        .any(|unit| name.len() > unit.len() + 1 && name.ends_with(&format!("_{unit}")))
    {
        return Ok(());
    }
    if let Some(&(suffix, base)) = NON_BASE_SUFFIXES
        .iter()
        .find(|(suffix, _)| name.len() > suffix.len() && name.ends_with(suffix))
    {
        let stem = &name[..name.len() - suffix.len()];
        let scale = NON_BASE_UNITS
            .iter()
            .find(|known| known.spellings.contains(&&suffix[1..]))
            .and_then(|known| Some((known.scale?, known.what)))
            .map(|(scale, what)| format!(", with scale = {scale} for values kept in {what}"))
            .unwrap_or_default();
        return Err(format!(
            "`{name}` ends in `{suffix}`, which is not a base unit: name the summary \
             `{stem}_{base}`{scale}"
        ));
    }
    let stem = name.strip_suffix("_total").unwrap_or(name);
    Err(format!(
        "`{name}` does not end in a base unit: a summary's name ends in the unit of its sum \
         ({}), like `{stem}_seconds` (its samples are `…_sum` and `…_count`)",
        units
            .map(|unit| format!("`_{unit}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `prefix` and `name` joined as the runtime joins them (`promforge_rules::join_name`).
pub(super) fn join(prefix: &str, name: &str) -> String {
    promforge_rules::join_name(prefix, name)
}

/// The first paragraph of a doc comment: its lines trimmed and joined with a space.
pub(super) fn first_paragraph<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let paragraph: Vec<&str> = lines
        .into_iter()
        .flat_map(|doc| doc.split('\n'))
        .map(str::trim)
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect();
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_units_pass() {
        for unit in BASE_UNITS {
            assert_eq!(check_unit(unit, UnitPlace::Live), Ok(()));
        }
    }

    #[test]
    fn non_base_units_suggest_the_base_one() {
        assert_eq!(
            check_unit("milliseconds", UnitPlace::Snapshot).expect_err("an error"),
            "`milliseconds` is not a base unit: use unit = \"seconds\" (and scale = 0.001 \
             for a value kept in milliseconds)"
        );
        assert_eq!(
            check_unit("milliseconds", UnitPlace::Live).expect_err("an error"),
            "`milliseconds` is not a base unit: use unit = \"seconds\" and record the values \
             in seconds"
        );
        assert_eq!(
            check_unit("percent", UnitPlace::Snapshot).expect_err("an error"),
            "`percent` is not a base unit: use unit = \"ratio\" (and scale = 0.01 for a value \
             kept in percent)"
        );
        assert!(
            check_unit("mb", UnitPlace::Snapshot)
                .expect_err("an error")
                .contains("unit = \"bytes\" (and scale = 1048576.0")
        );
        assert_eq!(
            check_unit("secs", UnitPlace::Snapshot).expect_err("an error"),
            "`secs` is not a base unit: use unit = \"seconds\""
        );
        assert_eq!(
            check_unit("Seconds", UnitPlace::Live).expect_err("an error"),
            "`Seconds` is not a base unit as Prometheus spells it: use unit = \"seconds\""
        );
        assert!(
            check_unit("furlongs", UnitPlace::Live)
                .expect_err("an error")
                .starts_with(
                    "`furlongs` is not a Prometheus base unit: expected one of \"seconds\""
                )
        );
    }

    #[test]
    fn units_in_names() {
        let apply = |name, unit| apply_unit(name, unit);
        assert_eq!(
            apply("action_duration", "seconds").as_deref(),
            Ok("action_duration_seconds")
        );
        assert_eq!(
            apply("uptime_seconds", "seconds").as_deref(),
            Ok("uptime_seconds")
        );
        assert_eq!(
            apply("memory_usage_mb", "bytes").as_deref(),
            Ok("memory_usage_bytes")
        );
        assert_eq!(
            apply("latency_ms", "seconds").as_deref(),
            Ok("latency_seconds")
        );
        assert_eq!(
            apply("latency_millis", "seconds").as_deref(),
            Ok("latency_seconds")
        );
        assert_eq!(
            apply("cpu_usage_percent", "ratio").as_deref(),
            Ok("cpu_usage_ratio")
        );
        assert_eq!(apply("cpu_pct", "ratio").as_deref(), Ok("cpu_ratio"));
        assert_eq!(apply("status", "seconds").as_deref(), Ok("status_seconds"));
        assert_eq!(
            apply("cpu_time_total", "seconds").as_deref(),
            Ok("cpu_time_seconds_total")
        );
        assert_eq!(
            apply("cpu_seconds_total", "seconds").as_deref(),
            Ok("cpu_seconds_total")
        );
        assert_eq!(apply("ms", "seconds").as_deref(), Ok("ms_seconds"));
        assert!(
            apply("latency_ms", "bytes")
                .expect_err("an error")
                .contains("`_ms`")
        );
        assert!(
            apply("size_seconds", "bytes")
                .expect_err("an error")
                .contains("`_seconds`")
        );
    }

    #[test]
    fn summary_names() {
        assert_eq!(check_summary_name("processing_seconds"), Ok(()));
        assert_eq!(check_summary_name("payload_bytes"), Ok(()));
        assert_eq!(
            check_summary_name("processing_ms").expect_err("an error"),
            "`processing_ms` ends in `_ms`, which is not a base unit: name the summary \
             `processing_seconds`, with scale = 0.001 for values kept in milliseconds"
        );
        assert!(
            check_summary_name("latency_secs")
                .expect_err("an error")
                .ends_with("name the summary `latency_seconds`")
        );
        assert!(
            check_summary_name("latency")
                .expect_err("an error")
                .starts_with("`latency` does not end in a base unit")
        );
        assert!(check_summary_name("seconds").is_err());
        assert!(check_summary_name("build_info").is_err());
    }

    #[test]
    fn help_is_the_first_paragraph() {
        assert_eq!(
            first_paragraph([" Events processed.", " Second line.", "", " Details."]),
            Some("Events processed. Second line.".to_owned())
        );
        assert_eq!(
            first_paragraph(["", "  Text  ", "more\n\nrest"]),
            Some("Text more".to_owned())
        );
        assert_eq!(first_paragraph(["", "  "]), None);
        // `///` lines are one doc attribute each, and an empty `///` is an empty string.
        assert_eq!(
            first_paragraph([" First.", "", " Second."]),
            Some("First.".to_owned())
        );
    }
}
