//! `kmsd export --endpoint URL`: asks a running kmsd for `GET /_kmsd/export`, for when the
//! server holds its data dir's lock. Plain HTTP/1.1 over std's `TcpStream`, as `healthcheck.rs`
//! does; no server code and no async runtime here.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::seed::ExportFilter;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long each read or write may take (an export of many keys takes a moment to write).
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Fetches the seed file of the kmsd at `endpoint` (`http://host:port`), with the admin
/// `token` if it needs one. The error is one line.
pub fn fetch_export(
    endpoint: &str,
    filter: &ExportFilter,
    token: Option<&str>,
) -> Result<String, String> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| {
            format!("--endpoint {endpoint:?} must start with http:// (kmsd speaks plain HTTP)")
        })?
        .split('/')
        .next()
        .unwrap_or_default();
    let with_port = with_default_port(authority);
    let address = with_port
        .to_socket_addrs()
        .map_err(|e| format!("{endpoint}: cannot resolve {authority:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{endpoint}: {authority:?} resolves to no address"))?;
    let mut query = Vec::new();
    if let Some(account) = &filter.account {
        query.push(format!("account={}", account.as_str()));
    }
    if let Some(region) = &filter.region {
        query.push(format!("region={}", region.as_str()));
    }
    let path = if query.is_empty() {
        "/_kmsd/export".to_owned()
    } else {
        format!("/_kmsd/export?{}", query.join("&"))
    };
    let url = format!("http://{authority}{path}");
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: kmsd-export\r\nConnection: close\r\n"
    );
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    let response = exchange(address, request.as_bytes()).map_err(|e| format!("{url}: {e}"))?;
    let (status, body) =
        parse(&response).ok_or_else(|| format!("{url}: the answer is not an HTTP response"))?;
    if status == 200 {
        return Ok(body);
    }
    // Admin errors are {"error": "..."}; anything else is shown as its first line.
    let reason = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.lines().next().unwrap_or_default().trim().to_owned());
    Err(format!("{url} answered {status}: {reason}"))
}

/// `host:port` as given, or `host:80`.
fn with_default_port(authority: &str) -> String {
    let has_port = authority.rsplit_once(':').is_some_and(|(host, port)| {
        !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && (!host.starts_with('[') || host.ends_with(']'))
    });
    if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    }
}

/// Sends `request` and reads the answer until the server closes the connection.
fn exchange(address: std::net::SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}

/// The status and the body of an HTTP/1.x answer, its chunked encoding undone.
fn parse(response: &[u8]) -> Option<(u16, String)> {
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&response[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let mut status_line = lines.next()?.split(' ');
    if !status_line.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = status_line.next()?.parse().ok()?;
    let chunked = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let mut body = &response[split + 4..];
    let bytes = if chunked {
        let mut out = Vec::new();
        loop {
            let end = body.windows(2).position(|w| w == b"\r\n")?;
            let size_text = std::str::from_utf8(&body[..end]).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                break out;
            }
            out.extend_from_slice(body.get(end + 2..end + 2 + size)?);
            body = body.get(end + 2 + size + 2..)?;
        }
    } else {
        body.to_vec()
    };
    Some((status, String::from_utf8(bytes).ok()?))
}

#[cfg(test)]
mod tests {
    use super::{parse, with_default_port};

    #[test]
    fn the_port_defaults_to_80() {
        assert_eq!(with_default_port("localhost:8080"), "localhost:8080");
        assert_eq!(with_default_port("localhost"), "localhost:80");
        assert_eq!(with_default_port("[::1]:8080"), "[::1]:8080");
        assert_eq!(with_default_port("[::1]"), "[::1]:80");
    }

    #[test]
    fn answers_parse_with_and_without_chunks() {
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nKeys:"),
            Some((200, "Keys:".to_owned()))
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nKey\r\n2\r\ns:\r\n0\r\n\r\n"),
            Some((200, "Keys:".to_owned()))
        );
        assert_eq!(parse(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(
            parse(b"HTTP/1.1 401 Unauthorized\r\n\r\n{\"error\":\"x\"}"),
            Some((401, "{\"error\":\"x\"}".to_owned()))
        );
    }
}
