//! `kmsd healthcheck`: one `GET /health` to a running kmsd, for a container's `HEALTHCHECK`
//! (a scratch image has no shell and no curl). Plain HTTP/1.1 over std's `TcpStream`; no
//! server code and no async runtime here.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use crate::config::{HealthcheckArgs, port_or_env};

/// How long connecting, sending and each read may take: a healthy kmsd answers in
/// milliseconds, and Docker's own `--timeout` should be the larger one.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The most of the answer that is read (the health body is about 80 bytes).
const MAX_RESPONSE: u64 = 16 * 1024;

/// Asks `GET /health` and prints one line: on stdout with exit code 0 when the answer is
/// `200`, on stderr with exit code 1 otherwise.
pub fn run(args: &HealthcheckArgs) -> ExitCode {
    match check(args) {
        Ok(line) => {
            println!("kmsd healthcheck: {line}");
            ExitCode::SUCCESS
        }
        Err(line) => {
            eprintln!("kmsd healthcheck: {line}");
            ExitCode::FAILURE
        }
    }
}

/// The line to print, `Ok` when the server answered 200.
fn check(args: &HealthcheckArgs) -> Result<String, String> {
    let port = port_or_env(args.port)?;
    let ip: IpAddr = args
        .host
        .parse()
        .map_err(|_| format!("invalid --host {:?}: expected an IP address", args.host))?;
    let addr = SocketAddr::new(ip, port);
    let url = format!("http://{addr}/health");
    let response = get_health(addr).map_err(|error| match error.kind() {
        // A read timeout is `WouldBlock` on Unix, `TimedOut` elsewhere.
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("{url}: no answer within {} s", TIMEOUT.as_secs())
        }
        _ => format!("{url}: {error}"),
    })?;
    let (status, body) = parse(&response).ok_or_else(|| {
        format!(
            "{url}: not an HTTP answer: {:?}",
            first_line(&String::from_utf8_lossy(&response))
        )
    })?;
    let body = first_line(&body);
    if status == 200 {
        Ok(format!("{url} answered 200 {body}"))
    } else {
        Err(format!("{url} answered {status} {body}"))
    }
}

/// Sends the request and reads the answer until the server closes the connection.
fn get_health(addr: SocketAddr) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    // One write, so the request leaves in one segment.
    let request = format!(
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: kmsd-healthcheck\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.take(MAX_RESPONSE).read_to_end(&mut response)?;
    Ok(response)
}

/// The status code and the body of an HTTP/1.x answer.
fn parse(response: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut status_line = head.lines().next()?.split(' ');
    if !status_line.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = status_line.next()?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// The first line of `text`, trimmed, so that the output stays one line.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}
