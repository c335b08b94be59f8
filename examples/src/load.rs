//! Load generation shared by the examples: raw HTTP/1.1 requests to their own servers,
//! random pauses and numbers.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sends one request over a new connection, written as raw HTTP/1.1 (`headers`: extra
/// header lines, each ending in CRLF), and returns the status code.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> io::Result<u16> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut pending = request.as_bytes();
    while !pending.is_empty() {
        stream.writable().await?;
        match stream.try_write(pending) {
            Ok(n) => pending = &pending[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    // Read the whole answer (the server closes the connection after it).
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        stream.readable().await?;
        match stream.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    // "HTTP/1.1 200 OK"
    String::from_utf8_lossy(&response)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status line"))
}

/// Sleeps between `low` and `high` milliseconds.
pub async fn sleep_ms(low: u64, high: u64) {
    let ms = low + random_below(high.saturating_sub(low) + 1);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// A pseudo-random number below `n` (splitmix64 over a shared counter).
pub fn random_below(n: u64) -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);
    let mut z = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % n.max(1)
}
