//! Test support: an in-process kmsd on 127.0.0.1:0, the official SDK client pointed at it,
//! a raw HTTP helper for what the SDK cannot send, and `check_*` helpers.

pub mod http;
pub mod logged;
pub mod process;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_kms::Client;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use aws_sdk_kms::error::ProvideErrorMetadata;
use kmsd::ServeOptions;
use kmsd::kms::{Clock, Kms};
use kmsd::model::{AccountId, Scope};
use kmsd::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The default account and region of every test server.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// A running kmsd. Dropping it without [`TestServer::stop`] aborts it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data_dir: Option<PathBuf>,
    options: ServeOptions,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A server on a fresh temporary data dir.
    pub async fn start() -> TestServer {
        TestServer::start_with_options(ServeOptions::default()).await
    }

    /// A server on a fresh temporary data dir, with `options` (e.g. the admin API off).
    pub async fn start_with_options(options: ServeOptions) -> TestServer {
        let temp = tempfile::tempdir().unwrap();
        let mut server = TestServer::start_in(temp.path(), options).await;
        server._temp = Some(temp);
        server
    }

    /// A server on `dir` (which may hold data from an earlier server). sled's IO threads may
    /// hold the directory's lock for a moment after the previous server let go of it; opening
    /// waits for them (at most a few seconds).
    pub async fn start_in(dir: &Path, options: ServeOptions) -> TestServer {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let store = loop {
            match Store::open(dir) {
                Ok(store) => break store,
                Err(error) if std::time::Instant::now() < deadline => {
                    assert!(error.to_string().contains("lock"), "{error}");
                    tokio::task::yield_now().await;
                }
                Err(error) => panic!("{error}"),
            }
        };
        let mut server = TestServer::start_with(store, options).await;
        server.data_dir = Some(dir.to_owned());
        server
    }

    async fn start_with(store: Store, options: ServeOptions) -> TestServer {
        let home = Scope {
            account: AccountId::parse(ACCOUNT).unwrap(),
            region: kmsd::model::Region::parse(REGION).unwrap(),
        };
        let kms = Kms::open(store, home, Clock::system()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let serve_options = options.clone();
        let task = tokio::spawn(async move {
            kmsd::serve_with_options(listener, Arc::new(kms), serve_options, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            addr,
            data_dir: None,
            options,
            shutdown: Some(tx),
            task: Some(task),
            _temp: None,
        }
    }

    /// Stops the server and waits until it has released its data dir.
    pub async fn stop(mut self) {
        self.stop_inner().await;
    }

    async fn stop_inner(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Stops the server, keeping its temporary data dir, and starts a new one on it.
    pub async fn restart(mut self) -> TestServer {
        self.stop_inner().await;
        let dir = self.data_dir.clone().expect("restart needs a data dir");
        let mut next = TestServer::start_in(&dir, self.options.clone()).await;
        next._temp = self._temp.take();
        next
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An SDK client in the default region with a non-numeric access key (default account).
    pub fn client(&self) -> Client {
        self.client_for(REGION, "AKIDEXAMPLE")
    }

    /// An SDK client signing for `region` with `access_key`.
    pub fn client_for(&self, region: &str, access_key: &str) -> Client {
        client_at(&self.endpoint(), region, access_key)
    }

    /// Sends one raw HTTP request and returns what came back.
    pub async fn raw(&self, request: RawRequest<'_>) -> RawResponse {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            request.method,
            request.path,
            self.addr,
            request.declared_length.unwrap_or(request.body.len())
        );
        if let Some(target) = request.target {
            head.push_str(&format!("X-Amz-Target: {target}\r\n"));
        }
        if let Some(content_type) = request.content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        // The server may answer (and close) before reading a body it refuses.
        let _ = stream.write_all(request.body).await;
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        RawResponse::parse(&raw)
    }

    /// A well-formed KMS call with a JSON body.
    pub async fn call(&self, target: &str, body: &str) -> RawResponse {
        self.raw(RawRequest::kms(target, body.as_bytes())).await
    }

    /// An admin API request (`GET` without a body, or `POST` with a JSON body).
    pub async fn admin(&self, method: &str, path: &str, body: &str) -> RawResponse {
        self.raw(RawRequest {
            method,
            path,
            target: None,
            content_type: (method == "POST").then_some("application/json"),
            body: body.as_bytes(),
            declared_length: None,
        })
        .await
    }

    /// Moves the server's clock `seconds` forward and returns the admin API's answer
    /// (`now`, `offsetSeconds`, `rotated`, `deleted`).
    pub async fn advance(&self, seconds: u64) -> serde_json::Value {
        let response = self
            .admin(
                "POST",
                "/_kmsd/clock/advance",
                &format!(r#"{{"seconds": {seconds}}}"#),
            )
            .await;
        assert_eq!(
            response.status,
            200,
            "{:?}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }

    /// The server's clock: `{"now": <epoch seconds>, "offsetSeconds": <n>}`.
    pub async fn clock(&self) -> serde_json::Value {
        let response = self.admin("GET", "/_kmsd/clock", "").await;
        assert_eq!(response.status, 200);
        response.json()
    }
}

/// An SDK client for the kmsd at `endpoint` (`http://host:port`), signing for `region` with
/// `access_key`. It never retries: every result it returns is the answer to one request.
pub fn client_at(endpoint: &str, region: &str, access_key: &str) -> Client {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// Seconds in a day.
pub const DAY: u64 = 86_400;

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A hand-built HTTP request.
pub struct RawRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub target: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// A Content-Length to claim instead of the body's real length.
    pub declared_length: Option<usize>,
}

impl<'a> RawRequest<'a> {
    pub fn kms(target: &'a str, body: &'a [u8]) -> RawRequest<'a> {
        RawRequest {
            method: "POST",
            path: "/",
            target: Some(target),
            content_type: Some("application/x-amz-json-1.1"),
            body,
            declared_length: None,
        }
    }
}

/// What came back from [`TestServer::raw`].
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    fn parse(raw: &[u8]) -> RawResponse {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete HTTP response");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect::<Vec<_>>();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
        {
            body = dechunk(&body);
        }
        RawResponse {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts an error response: status, `__type` and (when given) the exact message.
    pub fn assert_error(&self, status: u16, error_type: &str, message: Option<&str>) {
        let json = self.json();
        assert_eq!(self.status, status, "status of {json}");
        assert_eq!(json["__type"], error_type, "type of {json}");
        if let Some(message) = message {
            assert_eq!(json["message"], message, "message of {json}");
        }
        assert_eq!(
            self.header("content-type"),
            Some("application/x-amz-json-1.1")
        );
        let request_id = self.header("x-amzn-requestid").expect("x-amzn-RequestId");
        assert!(
            uuid::Uuid::parse_str(request_id).is_ok(),
            "request id {request_id}"
        );
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}

/// Asserts that an SDK call failed with `code` and returns the error's message.
#[track_caller]
pub fn check_error<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
    code: &str,
) -> String {
    let error = result.expect_err(&format!("expected {code}"));
    assert_eq!(error.code(), Some(code), "{error:?}");
    error.message().unwrap_or_default().to_owned()
}

/// Creates a symmetric key and returns its id.
pub async fn create_key(client: &Client) -> String {
    client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

/// The key's state as DescribeKey reports it.
pub async fn key_state(client: &Client, key_id: &str) -> String {
    metadata(client, key_id)
        .await
        .key_state
        .unwrap()
        .as_str()
        .to_owned()
}

/// The key's metadata as DescribeKey reports it.
pub async fn metadata(client: &Client, key_id: &str) -> aws_sdk_kms::types::KeyMetadata {
    client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
}

/// Whether an external tool is present; under `CI=true` its absence fails the test.
pub fn tool_available(tool: &str, version_arg: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required under CI=true"
        );
        eprintln!("skipped: {tool} is not installed");
    }
    found
}

/// The aliases of a ListAliases answer that point at a key: all but AWS's predefined aliases
/// that no AWS managed key is behind yet.
pub fn aliases_with_keys(
    listed: &aws_sdk_kms::operation::list_aliases::ListAliasesOutput,
) -> Vec<&aws_sdk_kms::types::AliasListEntry> {
    listed
        .aliases()
        .iter()
        .filter(|a| a.target_key_id.is_some())
        .collect()
}
