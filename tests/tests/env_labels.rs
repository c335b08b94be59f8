//! `PROMFORGE_SERVICE` and `PROMFORGE_ENVIRONMENT` become constant labels on every series
//! of the default registry. The environment is read once per process, so the test runs
//! itself again as a child process with the variables set.

use std::process::Command;

const CHILD: &str = "PROMFORGE_TEST_ENV_CHILD";

#[test]
fn env_labels_on_every_series() {
    if std::env::var_os(CHILD).is_some() {
        // Child: register into the default registry and print what a scrape would serve.
        let r = promforge::default_registry();
        r.counter("env_jobs", "Jobs.").expect("counter").inc();
        r.gauge("env_queue", "Queue.").expect("gauge").set(4);
        r.histogram("env_latency_seconds", "Latency.", &[0.1])
            .expect("histogram")
            .observe(0.05);
        let text = r.render();
        assert!(text.contains("service=\"checkout \\\"eu\\\"\""), "{text}");
        println!("<<<{text}>>>");
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([
            "env_labels_on_every_series",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("PROMFORGE_SERVICE", "checkout \"eu\"")
        .env("PROMFORGE_ENVIRONMENT", "staging")
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout
        .split_once("<<<")
        .and_then(|(_, rest)| rest.split_once(">>>"))
        .map(|(text, _)| text)
        .expect("child printed the exposition");
    let e = promforge_tests::check_exposition(text);
    assert_eq!(e.families.len(), 3);
    let mut samples = 0;
    for s in e.samples() {
        assert_eq!(s.label("service"), Some("checkout \"eu\""), "{s:?}");
        assert_eq!(s.label("environment"), Some("staging"), "{s:?}");
        samples += 1;
    }
    assert_eq!(samples, 6);
}
