//! A real Prometheus with native histograms on (`--enable-feature=native-histograms`)
//! scrapes the `native_latency` example through a recording proxy: it asks for protobuf and
//! gets it, and its PromQL over the native series agrees with the workload the example
//! observed, within the schema's relative error.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use promforge_examples::native_latency::{self, WORKLOAD_LEN};
use promforge_tests::prometheus_server::PrometheusServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The first bytes each way of every connection through the proxy.
#[derive(Default, Clone)]
struct Recorded {
    requests: Arc<Mutex<Vec<u8>>>,
    responses: Arc<Mutex<Vec<u8>>>,
}

impl Recorded {
    fn text(of: &Mutex<Vec<u8>>) -> String {
        String::from_utf8_lossy(&of.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// Forwards every connection to `target`, keeping up to 64 KiB of what goes each way.
async fn recording_proxy(target: SocketAddr) -> (SocketAddr, Recorded) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let recorded = Recorded::default();
    let rec = recorded.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pump(cr, sw, Arc::clone(&rec.requests)));
            tokio::spawn(pump(sr, cw, Arc::clone(&rec.responses)));
        }
    });
    (addr, recorded)
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    keep: Arc<Mutex<Vec<u8>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        {
            let mut kept = keep.lock().unwrap_or_else(PoisonError::into_inner);
            let room = (64 * 1024usize).saturating_sub(kept.len()).min(n);
            kept.extend_from_slice(chunk.get(..room).unwrap_or_default());
        }
        if to.write_all(chunk).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// The `q` quantile of `values` as a sorted list would give it (nearest rank).
fn true_quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}

#[tokio::test]
async fn prometheus_negotiates_protobuf_and_answers_native_promql() {
    let running = native_latency::start("127.0.0.1:0".into())
        .await
        .expect("example starts");
    let (proxy, recorded) = recording_proxy(running.addr).await;
    let prometheus =
        PrometheusServer::start_with_features("native", &[proxy], "", &["native-histograms"]).await;

    // A minute of scrapes would be slow: a 20 s window holds enough of them (1 s apart).
    let window = "20s";
    let count_rate = format!("histogram_count(rate(request_duration_seconds[{window}]))");
    prometheus
        .wait_for(&count_rate, Duration::from_secs(60), |v| v > 0.0)
        .await;
    // Let the window fill with scrapes of the running load.
    tokio::time::sleep(Duration::from_secs(8)).await;

    // It asked for protobuf first, and got it.
    let requests = Recorded::text(&recorded.requests).to_ascii_lowercase();
    assert!(
        requests.contains(
            "accept: application/vnd.google.protobuf;proto=io.prometheus.client.metricfamily;encoding=delimited"
        ),
        "Prometheus' request:\n{requests}"
    );
    let responses = Recorded::text(&recorded.responses).to_ascii_lowercase();
    assert!(
        responses.contains(
            "content-type: application/vnd.google.protobuf; proto=io.prometheus.client.metricfamily; encoding=delimited"
        ),
        "the exporter's response:\n{}",
        responses.chars().take(600).collect::<String>()
    );

    // Observations per second: the histogram's count rate is the workload's length times
    // the cycles' rate (both series come from the same scrapes).
    let count = prometheus
        .query_value(&count_rate)
        .await
        .expect("count rate");
    let cycles = prometheus
        .query_value(&format!("rate(workload_cycles_total[{window}])"))
        .await
        .expect("cycles rate");
    let expected = cycles * WORKLOAD_LEN as f64;
    assert!(
        (count / expected - 1.0).abs() < 0.01,
        "histogram_count(rate) {count}, cycles × {WORKLOAD_LEN} = {expected}"
    );

    // The mean: histogram_sum(rate) / histogram_count(rate) is the workload's mean.
    let workload = native_latency::workload();
    let mean = workload.iter().sum::<f64>() / workload.len() as f64;
    let sum = prometheus
        .query_value(&format!(
            "histogram_sum(rate(request_duration_seconds[{window}]))"
        ))
        .await
        .expect("sum rate");
    assert!(
        (sum / count / mean - 1.0).abs() < 0.01,
        "mean from PromQL {}, workload mean {mean}",
        sum / count
    );

    // Quantiles within the schema's relative error: schema 3, buckets 2^(1/8) wide.
    let factor = 2f64.powf(1.0 / 8.0);
    for q in [0.5, 0.9, 0.99] {
        let estimate = prometheus
            .query_value(&format!(
                "histogram_quantile({q}, rate(request_duration_seconds[{window}]))"
            ))
            .await
            .expect("quantile");
        let truth = true_quantile(&workload, q);
        assert!(
            estimate <= truth * factor && estimate >= truth / factor,
            "p{} from PromQL {estimate}, true {truth} (allowed factor {factor})",
            q * 100.0
        );
    }
    // The series is a native one: no classic `_bucket` series were made.
    let classic = prometheus.query("request_duration_seconds_bucket").await;
    assert!(classic.is_empty(), "classic buckets: {classic:?}");
    (running.stop)();
}
