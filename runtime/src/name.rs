//! Prometheus naming rules, checked at run time (the macros check the same rules at compile time).

use crate::error::Error;

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn check_metric_name(name: &str) -> Result<(), Error> {
    let err = |reason| {
        Err(Error::InvalidMetricName {
            name: name.to_owned(),
            reason,
        })
    };
    let mut bytes = name.bytes();
    match bytes.next() {
        None => return err("the name is empty"),
        Some(b) if !(b.is_ascii_alphabetic() || b == b'_' || b == b':') => {
            return err("it must start with a letter, `_` or `:`");
        }
        Some(_) => {}
    }
    if bytes.any(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b':')) {
        return err("only ASCII letters, digits, `_` and `:` are allowed");
    }
    Ok(())
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`
/// (reserved for Prometheus' own use).
pub fn check_label_name(name: &str) -> Result<(), Error> {
    let err = |reason| {
        Err(Error::InvalidLabelName {
            name: name.to_owned(),
            reason,
        })
    };
    let mut bytes = name.bytes();
    match bytes.next() {
        None => return err("the name is empty"),
        Some(b) if !(b.is_ascii_alphabetic() || b == b'_') => {
            return err("it must start with a letter or `_`");
        }
        Some(_) => {}
    }
    if bytes.any(|b| !(b.is_ascii_alphanumeric() || b == b'_')) {
        return err("only ASCII letters, digits and `_` are allowed");
    }
    if name.starts_with("__") {
        return err("names starting with `__` are reserved for Prometheus");
    }
    Ok(())
}

/// Like [`check_label_name`], and also refuses `le` and `quantile`, which histograms and
/// summaries write themselves.
pub fn check_user_label_name(name: &str) -> Result<(), Error> {
    check_label_name(name)?;
    if name == "le" || name == "quantile" {
        return Err(Error::InvalidLabelName {
            name: name.to_owned(),
            reason: "`le` and `quantile` are written by histograms and summaries themselves",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        for ok in ["a", "_a", ":a", "a_b:c9", "http_requests_total"] {
            assert!(check_metric_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9a", "a-b", "a b", "é", "a.b"] {
            assert!(check_metric_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_names() {
        for ok in ["a", "_a", "a9_b"] {
            assert!(check_user_label_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9a", "a:b", "__name__", "__x", "le", "quantile", "ü"] {
            assert!(check_user_label_name(bad).is_err(), "{bad}");
        }
    }
}
