//! The ready-made collectors render the documented names with plausible values (Linux),
//! and their output passes promtool.

use std::time::Duration;

use promforge::Registry;
use promforge_tests::check_exposition;

#[test]
fn process_collector() {
    let r = Registry::builder()
        .const_label("service", "proc")
        .build()
        .expect("registry");
    promforge::process::register(&r).expect("process collector");
    assert!(
        matches!(
            promforge::process::register(&r),
            Err(promforge::Error::AlreadyRegistered { .. })
        ),
        "registered twice"
    );
    let e = check_exposition(&r.render());
    let value = |name: &str| e.value(name, &[("service", "proc")]);
    assert!(value("process_cpu_seconds_total").is_some_and(|v| v >= 0.0));
    assert!(value("process_resident_memory_bytes").is_some_and(|v| v > 1_000_000.0));
    assert!(value("process_virtual_memory_bytes").is_some_and(|v| v > 1_000_000.0));
    let open = value("process_open_fds").expect("open fds");
    let max = value("process_max_fds").expect("max fds");
    assert!(open >= 3.0 && open <= max, "{open} / {max}");
    assert!(value("process_threads").is_some_and(|v| v >= 1.0));
    assert!(value("process_start_time_seconds").is_some_and(|v| v > 1.6e9));
}

#[test]
fn uptime_and_starts() {
    let r = Registry::new();
    promforge::service::register_uptime(&r, "api").expect("uptime");
    std::thread::sleep(Duration::from_millis(20));
    let e = check_exposition(&r.render());
    assert!(
        e.value("uptime_seconds", &[("service", "api")])
            .is_some_and(|v| v >= 0.02)
    );
    assert_eq!(
        e.value("service_starts_total", &[("service", "api")]),
        Some(1.0)
    );
    assert!(
        e.value("service_start_time_seconds", &[("service", "api")])
            .is_some_and(|v| v > 1.6e9)
    );

    // With `service` as a constant label, it is not repeated.
    let with_const = Registry::builder()
        .const_label("service", "worker")
        .build()
        .expect("registry");
    promforge::service::register_uptime(&with_const, "ignored").expect("uptime");
    let e = check_exposition(&with_const.render());
    assert_eq!(
        e.value("service_starts_total", &[("service", "worker")]),
        Some(1.0)
    );
}

#[test]
fn build_info() {
    let r = Registry::new();
    promforge::build_info!(&r, "0123abc").expect("build info");
    let e = check_exposition(&r.render());
    assert_eq!(
        e.value(
            "promforge_tests_build_info",
            &[
                ("version", env!("CARGO_PKG_VERSION")),
                ("revision", "0123abc")
            ]
        ),
        Some(1.0)
    );
    let r2 = Registry::new();
    promforge::build_info!(&r2).expect("build info");
    assert!(
        r2.render()
            .contains("promforge_tests_build_info{version=\"")
    );
}

#[test]
fn tokio_runtime_collector_and_lag_probe() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let r = Registry::new();
    let probe = promforge::tokio_runtime::register(&r, rt.handle(), Duration::from_millis(5))
        .expect("tokio collector");
    let e = rt.block_on(async {
        let mut last = None;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let e = check_exposition(&r.render());
            if e.value("tokio_event_loop_lag_seconds_count", &[])
                .is_some_and(|c| c >= 3.0)
            {
                last = Some(e);
                break;
            }
        }
        last.expect("the probe recorded lag samples")
    });
    assert_eq!(e.value("tokio_workers", &[]), Some(2.0));
    assert!(
        e.value("tokio_alive_tasks", &[]).is_some_and(|v| v >= 1.0),
        "the probe is alive"
    );
    assert!(
        e.value("tokio_global_queue_depth", &[])
            .is_some_and(|v| v >= 0.0)
    );
    drop(probe);
}

#[test]
fn system_collector() {
    let r = Registry::new();
    promforge::system::register(&r, Duration::from_millis(250)).expect("system collector");
    let e = check_exposition(&r.render());
    let total_cpu = e
        .value("system_cpu_usage_percent", &[("cpu", "total")])
        .expect("total cpu");
    assert!((0.0..=100.0).contains(&total_cpu), "{total_cpu}");
    assert!(
        e.value("system_cpu_usage_percent", &[("cpu", "cpu0")])
            .is_some()
    );
    let total = e
        .value("system_memory_total_bytes", &[("type", "total")])
        .expect("total memory");
    let used = e
        .value("system_memory_usage_bytes", &[("type", "used")])
        .expect("used memory");
    let available = e
        .value("system_memory_usage_bytes", &[("type", "available")])
        .expect("available memory");
    assert!(total > 100_000_000.0, "{total}");
    assert!(used > 0.0 && used <= total && available <= total);
}
