//! Properties over untrusted text that ends up in the exposition: label values (which can
//! come from requests, environment variables, user input) and HELP text are escaped so that
//! the strict exposition parser reads back exactly what was given, whatever it holds
//! (quotes, backslashes, newlines, any Unicode). The parsers of request headers
//! (`Accept-Encoding`, `Accept`, `Authorization`) have their properties next to them, in
//! the runtime's unit tests.

use promforge::Registry;
use promforge::encoding::{escape_help_into, escape_label_value_into};
use promforge_tests::exposition;
use proptest::prelude::*;

/// Any text, with the characters that need escaping made likely.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        "[\\\\\"\n a{}=,#é\u{0}\t\r]{0,24}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn an_escaped_label_value_reads_back(value in text()) {
        let mut line = String::from("prop_value{v=\"");
        escape_label_value_into(&value, &mut line);
        line.push_str("\"} 1\n");
        let parsed = exposition::parse(&line)
            .map_err(|e| TestCaseError::fail(format!("{e}: {line:?}")))?;
        let sample = parsed.samples().next().cloned();
        prop_assert_eq!(sample.as_ref().and_then(|s| s.label("v")), Some(value.as_str()));
    }

    #[test]
    fn escaped_help_reads_back(help in text()) {
        let mut text = String::from("# HELP prop_help ");
        escape_help_into(&help, &mut text);
        text.push_str("\n# TYPE prop_help gauge\nprop_help 1\n");
        let parsed = exposition::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}: {text:?}")))?;
        let family = parsed.family("prop_help").cloned();
        // The format cannot tell blanks around HELP text from the separator, nor (for a
        // parser that accepts CRLF line ends, as this one does) a carriage return at its end
        // from the line end.
        let blank = |c: char| c == ' ' || c == '\r';
        prop_assert_eq!(
            family.and_then(|f| f.help).map(|h| h.trim_matches(blank).to_owned()),
            Some(help.trim_matches(blank).to_owned())
        );
    }

    /// The same through a registry's whole rendering: a constant label and HELP text.
    #[test]
    fn a_rendered_registry_reads_back(value in text(), help in "\\PC{1,24}") {
        prop_assume!(!help.trim().is_empty());
        let registry = Registry::builder()
            .const_label("origin", value.clone())
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        registry
            .counter("prop_requests", &help)
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .inc();
        let rendered = registry.render();
        let parsed = exposition::parse(&rendered)
            .map_err(|e| TestCaseError::fail(format!("{e}: {rendered:?}")))?;
        prop_assert_eq!(
            parsed.value("prop_requests_total", &[("origin", value.as_str())]),
            Some(1.0)
        );
    }
}
