//! [`TestServer`]: an in-process kmsd on 127.0.0.1:0 over a temporary (or given) data dir,
//! with SDK clients pointed at it, raw HTTP and the admin API. The `kmsd` binary as a process
//! is in `process.rs`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_kms::Client;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use kmsd::ServeOptions;
use kmsd::kms::{Clock, Enforcement, Kms, Quotas};
use kmsd::model::{AccountId, Scope};
use kmsd::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::raw::{RawRequest, RawResponse};
use super::{ACCOUNT, REGION};

/// A running kmsd. Dropping it without [`TestServer::stop`] aborts it.
pub struct TestServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its data dir, when it has one on disk.
    pub data_dir: Option<PathBuf>,
    options: ServeOptions,
    setup: Setup,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

/// How the `Kms` under a test server is set up beyond its store: resource quotas and
/// policy enforcement.
#[derive(Clone, Copy, Default)]
struct Setup {
    quotas: Quotas,
    enforcement: Enforcement,
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

    /// A server on a fresh temporary data dir that holds the keys and aliases of the seed file
    /// `seed` (applied as `kmsd --seed` would).
    pub async fn start_seeded(seed: &Path) -> TestServer {
        let temp = tempfile::tempdir().unwrap();
        let store = Store::open(temp.path()).unwrap();
        let mut server =
            TestServer::start_with(store, ServeOptions::default(), Setup::default(), Some(seed))
                .await;
        server.data_dir = Some(temp.path().to_owned());
        server._temp = Some(temp);
        server
    }

    /// A server on `dir` (which may hold data from an earlier server). sled's IO threads may
    /// hold the directory's lock for a moment after the previous server let go of it; opening
    /// waits for them (at most a few seconds).
    pub async fn start_in(dir: &Path, options: ServeOptions) -> TestServer {
        TestServer::start_in_with(dir, options, Setup::default()).await
    }

    /// A server on a fresh temporary data dir that authorises calls as `enforcement` says.
    pub async fn start_enforcing(options: ServeOptions, enforcement: Enforcement) -> TestServer {
        let temp = tempfile::tempdir().unwrap();
        let setup = Setup {
            enforcement,
            ..Setup::default()
        };
        let mut server = TestServer::start_in_with(temp.path(), options, setup).await;
        server._temp = Some(temp);
        server
    }

    /// A server on a fresh temporary data dir whose calls are held to `quotas`.
    pub async fn start_with_quotas(options: ServeOptions, quotas: Quotas) -> TestServer {
        let temp = tempfile::tempdir().unwrap();
        let setup = Setup {
            quotas,
            ..Setup::default()
        };
        let mut server = TestServer::start_in_with(temp.path(), options, setup).await;
        server._temp = Some(temp);
        server
    }

    /// [`TestServer::start_in`] with `setup`.
    async fn start_in_with(dir: &Path, options: ServeOptions, setup: Setup) -> TestServer {
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
        let mut server = TestServer::start_with(store, options, setup, None).await;
        server.data_dir = Some(dir.to_owned());
        server
    }

    /// Opens kmsd on `store` (applying `seed`, if any), binds 127.0.0.1:0 and serves.
    async fn start_with(
        store: Store,
        options: ServeOptions,
        setup: Setup,
        seed: Option<&Path>,
    ) -> TestServer {
        let home = Scope {
            account: AccountId::parse(ACCOUNT).unwrap(),
            region: kmsd::model::Region::parse(REGION).unwrap(),
        };
        let kms = Kms::open(store, home, Clock::system())
            .unwrap()
            .with_quotas(setup.quotas)
            .with_enforcement(setup.enforcement);
        if let Some(seed) = seed {
            kmsd::seed::apply(&kms, seed).unwrap();
        }
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
            setup,
            shutdown: Some(tx),
            task: Some(task),
            _temp: None,
        }
    }

    /// Stops the server and waits until it has released its data dir.
    pub async fn stop(mut self) {
        self.stop_inner().await;
    }

    /// Signals shutdown and waits for the serving task to end.
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
        let mut next = TestServer::start_in_with(&dir, self.options.clone(), self.setup).await;
        next._temp = self._temp.take();
        next
    }

    /// The `http://` endpoint.
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
    client_signing(endpoint, region, access_key, "secret", None)
}

/// An SDK client for the kmsd at `endpoint` that signs with these credentials (a session
/// token for temporary ones). It never retries.
pub fn client_signing(
    endpoint: &str,
    region: &str,
    access_key: &str,
    secret: &str,
    session_token: Option<&str>,
) -> Client {
    let credentials = Credentials::new(
        access_key,
        secret,
        session_token.map(str::to_owned),
        None,
        "test",
    );
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

impl Drop for TestServer {
    /// Aborts a server that was not stopped (a failed test must not leave one running).
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
