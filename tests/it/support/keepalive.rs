//! A keep-alive HTTP/1.1 connection for tests that send thousands of KMS calls (the bad-input
//! matrix, the fuzzers): one socket, reopened when the server closes it.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One connection to a kmsd.
pub struct KeepAlive {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl KeepAlive {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> KeepAlive {
        let stream = TcpStream::connect(addr).await.unwrap();
        KeepAlive {
            reader: BufReader::new(stream),
            addr,
        }
    }

    /// A KMS call with a JSON body: the status and the answer (JSON, or the text as a string).
    pub async fn kms(&mut self, operation: &str, body: &Value) -> (u16, Value) {
        self.call(operation, &body.to_string(), &[]).await
    }

    /// A KMS call with any body text and extra headers.
    pub async fn call(
        &mut self,
        operation: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\
             X-Amz-Target: TrentService.{operation}\r\nContent-Type: application/x-amz-json-1.1\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(body);
        let mut status_line = String::new();
        // The server may have closed the connection after its previous answer: reconnect once.
        for attempt in 0..2 {
            status_line.clear();
            let sent = self.reader.get_mut().write_all(head.as_bytes()).await;
            let read = match sent {
                Ok(()) => self.reader.read_line(&mut status_line).await.ok(),
                Err(_) => None,
            };
            if read.is_some_and(|n| n > 0) {
                break;
            }
            assert_eq!(attempt, 0, "no answer to {operation} {body}");
            *self = KeepAlive::open(self.addr).await;
        }
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line for {operation} {body}: {status_line:?}"));
        let (mut length, mut close) = (0, false);
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
                if name.eq_ignore_ascii_case("connection")
                    && value.trim().eq_ignore_ascii_case("close")
                {
                    close = true;
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).await.unwrap();
        if close {
            *self = KeepAlive::open(self.addr).await;
        }
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        (status, value)
    }
}
