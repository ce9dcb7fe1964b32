//! Connections that never end: the header, body and idle timeouts (shortened through
//! `ServeOptions`), the connection limit, and the open-files limit of the binary.

use std::time::{Duration, Instant};

use kmsd::ServeOptions;
use kmsd::server::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::TestServer;
use crate::support::http::{Answer, PATIENCE, kms_request, read_answer, send};

fn limits(header_ms: u64, body_ms: u64, idle_ms: u64, max_connections: usize) -> ServeOptions {
    ServeOptions {
        limits: Limits {
            header_timeout: Duration::from_millis(header_ms),
            body_timeout: Duration::from_millis(body_ms),
            idle_timeout: Duration::from_millis(idle_ms),
            max_connections,
        },
        ..ServeOptions::default()
    }
}

/// Waits until kmsd closes `stream` (reading and discarding what it sends) and returns how
/// long that took; fails after [`PATIENCE`].
async fn closed_after(stream: &mut TcpStream, since: Instant) -> Duration {
    let mut sink = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut sink))
        .await
        .expect("kmsd closes the connection")
        .ok();
    since.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let server = TestServer::start_with_options(limits(300, 10_000, 10_000, 64)).await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let took = closed_after(&mut stream, opened).await;
    assert!(took >= Duration::from_millis(280), "closed after {took:?}");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_sent_a_byte_at_a_time_is_cut_at_the_header_timeout() {
    let server = TestServer::start_with_options(limits(500, 10_000, 10_000, 64)).await;
    let opened = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = kms_request(&server.addr.to_string(), "ListKeys", "{}");
    // One byte every 50 ms: each arrives long before any per-byte timeout would fire, but the
    // whole head would take seconds.
    let mut ticks = tokio::time::interval(Duration::from_millis(50));
    let mut cut = false;
    for byte in &head {
        ticks.tick().await;
        if stream.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        if opened.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    let took = closed_after(&mut stream, opened).await;
    assert!(
        cut || took < Duration::from_secs(5),
        "the slow head was served"
    );
    assert!(took >= Duration::from_millis(480), "closed after {took:?}");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_is_a_400_and_the_connection_closes() {
    let server = TestServer::start_with_options(limits(10_000, 300, 10_000, 64)).await;
    let host = server.addr.to_string();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.ListKeys\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n{{"
    );
    let sent = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream).await;
    let took = sent.elapsed();
    assert_eq!(answer.status, 400, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["__type"], "SerializationException");
    assert!(
        body["message"].as_str().unwrap().contains("--body-timeout"),
        "{body}"
    );
    assert!(
        took >= Duration::from_millis(280),
        "answered after {took:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // The idle timeout is much shorter than the header timeout: the wait after a response
    // is the idle one, and the next request's head gets the whole header timeout.
    let server = TestServer::start_with_options(limits(3_000, 10_000, 300, 64)).await;
    let host = server.addr.to_string();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let keep_alive = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: TrentService.ListKeys\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    for _ in 0..2 {
        stream.write_all(keep_alive.as_bytes()).await.unwrap();
        let mut buf = vec![0; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(Answer::parse(&buf[..n]).status == 200);
    }
    let answered = Instant::now();
    let took = closed_after(&mut stream, answered).await;
    assert!(took >= Duration::from_millis(280), "closed after {took:?}");
    assert!(
        took < Duration::from_millis(2_500),
        "closed after {took:?}: not the idle timeout"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_connection_limit_new_connections_get_a_503_until_others_close() {
    let server = TestServer::start_with_options(limits(2_000, 10_000, 10_000, 4)).await;
    let host = server.addr.to_string();
    let list_keys = kms_request(&host, "ListKeys", "{}");
    // Four connections that send nothing take every slot (kmsd accepts in order).
    let opened = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let refused_at = Instant::now();
    let answer = send(server.addr, &list_keys).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(
        refused_at.elapsed() < Duration::from_secs(1),
        "not a prompt refusal"
    );
    assert_eq!(answer.json()["__type"], "ServiceUnavailableException");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("--max-connections")
    );
    assert_eq!(answer.header("connection"), Some("close"));
    // Once the idle connections time out, service resumes.
    for stream in &mut idle {
        closed_after(stream, opened).await;
    }
    let answer = send(server.addr, &list_keys).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    server.stop().await;
}

#[test]
fn the_binary_raises_its_open_files_limit_and_sizes_its_connection_limit_by_it() {
    let dir = tempfile::tempdir().unwrap();
    // A soft limit below a higher hard one is raised to the hard one.
    let server = crate::support::logged::start_after(
        "ulimit -Sn 256 && ulimit -Hn 4096",
        dir.path(),
        &["--in-memory", "--port", "0"],
        &[],
    );
    let limit = server
        .lines
        .iter()
        .find(|l| l.contains("open-files limit"))
        .cloned();
    let limit = limit.unwrap_or_else(|| panic!("no limit line in {:?}", server.lines));
    assert!(limit.contains("limit=4096"), "{limit}");
    let listening = server
        .lines
        .iter()
        .find(|l| l.contains("kmsd listening"))
        .unwrap();
    assert!(listening.contains("max_connections=1024"), "{listening}");
    server.stop();
}

/// The case: a hard limit of 256 files and 300 connections that send nothing. kmsd
/// serves as many as it has room for, answers the rest 503 at once, and serves again once the
/// idle ones time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_idle_connections_under_256_files_leave_kmsd_answering() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::support::logged::start_after(
        "ulimit -Sn 256 && ulimit -Hn 256",
        dir.path(),
        // Long enough that no idle connection times out before the request below is made,
        // even on a loaded machine.
        &["--in-memory", "--port", "0", "--header-timeout", "5"],
        &[],
    );
    let listening = server
        .lines
        .iter()
        .find(|l| l.contains("kmsd listening"))
        .unwrap();
    assert!(listening.contains("max_connections=192"), "{listening}");
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let opened = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // The request gets a 503, or, while kmsd is still refusing the idle connections beyond
    // its limit, a connection closed without an answer: either way at once, not a hang.
    let list_keys = kms_request(&server.addr, "ListKeys", "{}");
    let asked = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(&list_keys).await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(1), stream.read_to_end(&mut raw)).await;
    assert!(read.is_ok(), "no answer and no close within a second");
    if !raw.is_empty() {
        let answer = Answer::parse(&raw);
        assert_eq!(answer.status, 503, "{}", answer.body);
    }
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "not a prompt refusal"
    );
    for stream in &mut idle {
        closed_after(stream, opened).await;
    }
    let answer = send(addr, &list_keys).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    server.stop();
}
