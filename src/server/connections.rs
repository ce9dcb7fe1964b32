//! Connections: kmsd's own accept loop, because `axum::serve` has no timeouts and no limit, so
//! a client that sends nothing (or a byte now and then) would hold a connection forever.
//! A connection's request head must arrive within the header timeout of the connection
//! opening, or of the first byte after a keep-alive wait; a body within the body timeout of
//! its head; and a keep-alive connection may wait idle for the idle timeout. Beyond
//! `--max-connections` open connections, a new one is answered 503 and closed. The `Host`
//! rule (`access.rs`) is applied here, before any route. No KMS here.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};

use super::access::AllowedHosts;
use super::call::DropConnection;
use super::request_id::RequestIds;
use crate::api::{ApiError, ErrorCode};

/// What one client may hold, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a request head may take to arrive: from the connection opening, or from the
    /// first byte of a request that follows another on the same connection.
    pub header_timeout: Duration,
    /// How long a request body may take to arrive, from the moment its head did.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may wait, after a response, for its next request.
    pub idle_timeout: Duration,
    /// Connections served at once; beyond this, new ones get a 503 and are closed.
    pub max_connections: usize,
}

/// Files kept for everything but served connections when the connection limit is derived
/// from the open-files limit: kmsd's own (about 15: the store, the audit log, stdio, the
/// runtime's) and up to [`MAX_REFUSALS`] connections being refused, with room to spare.
const RESERVED_FILES: u64 = 64;

/// The fewest connections the derived limit allows, however low the open-files limit.
const MIN_CONNECTIONS: usize = 16;

/// Connections being refused at once (each is answered and closed within
/// [`REFUSAL_LINGER`]); more than that are closed at once, without an answer.
const MAX_REFUSALS: usize = 32;

/// How long a refused connection is kept to read what the client sent after its 503, so that
/// closing it does not reset the connection before the client read the answer.
const REFUSAL_LINGER: Duration = Duration::from_millis(250);

/// The fewest seconds between two log lines about refused connections or failed accepts.
const LOG_EVERY: Duration = Duration::from_secs(10);

impl Limits {
    /// The default connection limit.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

    /// The default connection limit for a process that may open `open_files` files (`None`:
    /// no limit): 1024, or fewer so that 64 files remain for everything else.
    pub fn max_connections_for(open_files: Option<u64>) -> usize {
        let Some(files) = open_files else {
            return Limits::DEFAULT_MAX_CONNECTIONS;
        };
        let room = usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
        room.clamp(MIN_CONNECTIONS, Limits::DEFAULT_MAX_CONNECTIONS)
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            max_connections: Limits::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Raises the soft open-files limit to the hard one where the system allows it, and returns
/// the limit in effect (`None`: unlimited). Each connection is a file.
pub fn raise_open_files_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!(%error, "cannot raise the open-files limit");
        }
    }
    let current = getrlimit(Resource::Nofile).current;
    match current {
        Some(limit) => tracing::debug!(limit, "open-files limit"),
        None => tracing::debug!("open-files limit: none"),
    }
    current
}

/// What every connection shares.
pub(super) struct Shared {
    /// What the KMS API's requests (to `/`) are served with.
    pub(super) kms_api: super::AppState,
    /// Every other path: the admin API, the console, and not-found answers.
    pub(super) router: TowerToHyperService<Router>,
    pub(super) hosts: AllowedHosts,
    pub(super) request_ids: Arc<RequestIds>,
    pub(super) limits: Limits,
}

/// Accepts connections on `listener` and serves each with `shared.router` until `shutdown`
/// completes; then stops accepting, lets every connection finish the request it is serving,
/// and returns once all have closed.
pub(super) async fn serve(
    listener: TcpListener,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let shared = Arc::new(shared);
    let max = shared.limits.max_connections.clamp(1, u32::MAX as usize);
    let slots = Arc::new(Semaphore::new(max));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let (stop, stopped) = watch::channel(false);
    let mut full_log = Throttled::default();
    let mut accept_log = Throttled::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                if is_resource_exhaustion(&error) {
                    if let Some(missed) = accept_log.hit() {
                        tracing::warn!(
                            %error,
                            missed,
                            "cannot accept connections: kmsd has reached a system limit"
                        );
                    }
                    // The limit lasts until a connection closes: do not spin meanwhile.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let shared = shared.clone();
                tokio::spawn(serve_connection(
                    stream,
                    peer,
                    shared,
                    slot,
                    stopped.clone(),
                ));
            }
            Err(_) => {
                if let Some(missed) = full_log.hit() {
                    tracing::warn!(
                        limit = max,
                        refused_since_last_line = missed + 1,
                        "connection limit reached: refusing new connections (--max-connections)"
                    );
                }
                refuse(stream, &refusals, &shared, max);
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it has closed.
    let _ = slots.acquire_many(max as u32).await;
}

/// Serves one connection until it closes, times out, or `stop` turns true (then it finishes
/// the request in flight and closes).
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    slot: OwnedSemaphorePermit,
    mut stop: watch::Receiver<bool>,
) {
    let phase = Arc::new(Phase::opened(shared.limits));
    let io = TokioIo::new(TimedIo {
        stream,
        phase: phase.clone(),
        timer: None,
    });
    let service = hyper::service::service_fn(move |request| {
        handle(shared.clone(), request, peer, phase.clone())
    });
    let mut builder = http1::Builder::new();
    // The header timeout is `TimedIo`'s, which also tells an idle wait from a slow head.
    builder.header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection closed");
    }
    drop(slot);
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// One request: the `Host` rule, then the router, with the caller's address and a body that
/// must arrive in time.
async fn handle(
    shared: Arc<Shared>,
    mut request: Request<Incoming>,
    peer: SocketAddr,
    phase: Arc<Phase>,
) -> Result<Response, Dropped> {
    phase.request_started();
    let response = match shared.hosts.check(request.headers()) {
        Err(refusal) => {
            let request_id = shared.request_ids.next();
            tracing::info!(
                request_id = %request_id,
                method = %request.method(),
                path = request.uri().path(),
                host = ?request.headers().get(axum::http::header::HOST),
                status = 403,
                "refused: the Host is not one kmsd answers"
            );
            super::refused(request.uri().path(), &refusal, &request_id)
        }
        Ok(()) => {
            let limit = shared.limits.body_timeout;
            let kms_api = request.uri().path() == "/";
            if !kms_api {
                request.extensions_mut().insert(ConnectInfo(peer));
            }
            let request = request.map(|body| {
                Body::new(TimedBody {
                    body,
                    deadline: None,
                    limit,
                    timer: None,
                })
            });
            if kms_api {
                super::call::kms_call(&shared.kms_api, peer, request).await
            } else {
                match shared.router.call(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        }
    };
    phase.request_ended();
    if response.extensions().get::<DropConnection>().is_some() {
        // A `drop` fault: hyper closes a connection whose service fails, without an answer.
        return Err(Dropped);
    }
    Ok(response)
}

/// The error that makes hyper close a connection without answering (a `drop` fault).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for Dropped {}

/// Answers a connection beyond the limit with a 503 and closes it, without reading a request.
fn refuse(stream: TcpStream, refusals: &Arc<Semaphore>, shared: &Shared, max: usize) {
    let Ok(permit) = refusals.clone().try_acquire_owned() else {
        return; // Dropping the stream closes it.
    };
    let request_id = shared.request_ids.next();
    let body = ApiError::new(
        ErrorCode::ServiceUnavailable,
        format!("kmsd is serving {max} connections, its limit (--max-connections); try again."),
    )
    .to_body();
    let mut response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/x-amz-json-1.1\r\n\
         x-amzn-requestid: {request_id}\r\nretry-after: 1\r\nconnection: close\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    tokio::spawn(async move {
        let mut stream = stream;
        let _ = tokio::time::timeout(REFUSAL_LINGER, async {
            stream.write_all(&response).await?;
            stream.shutdown().await?;
            let mut sink = [0; 4096];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<_, io::Error>(())
        })
        .await;
        drop(permit);
    });
}

/// Whether an accept failed because the process or the system ran out of something (files,
/// buffers, memory), which lasts until a connection closes.
fn is_resource_exhaustion(error: &io::Error) -> bool {
    use rustix::io::Errno;
    Errno::from_io_error(error)
        .is_some_and(|e| [Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM].contains(&e))
}

/// A log line at most every [`LOG_EVERY`].
#[derive(Debug, Default)]
struct Throttled {
    last: Option<Instant>,
    missed: u64,
}

impl Throttled {
    /// Something worth a line happened: `Some(lines missed since the last one)` when it is
    /// time for a line.
    fn hit(&mut self) -> Option<u64> {
        self.hit_at(Instant::now())
    }

    fn hit_at(&mut self, now: Instant) -> Option<u64> {
        if self.last.is_some_and(|last| now - last < LOG_EVERY) {
            self.missed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.missed))
    }
}

/// Where a connection is, as far as its deadlines go: until when it may wait for bytes, if
/// at all, and whether it is between requests.
#[derive(Debug)]
struct Phase {
    limits: Limits,
    state: Mutex<PhaseState>,
}

#[derive(Debug, Clone, Copy)]
struct PhaseState {
    /// The time by which the client must have done its part; `None` while kmsd serves a
    /// request (the body has its own deadline, in [`TimedBody`]).
    deadline: Option<Instant>,
    /// Between requests: the next byte starts a request head.
    idle: bool,
}

impl Phase {
    /// A new connection: its first request head is due within the header timeout.
    fn opened(limits: Limits) -> Phase {
        Phase {
            limits,
            state: Mutex::new(PhaseState {
                deadline: Some(Instant::now() + limits.header_timeout),
                idle: false,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PhaseState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deadline(&self) -> Option<Instant> {
        self.state().deadline
    }

    /// A request head has arrived and is being served.
    fn request_started(&self) {
        *self.state() = PhaseState {
            deadline: None,
            idle: false,
        };
    }

    /// Its response is ready: the connection waits for the next request.
    fn request_ended(&self) {
        *self.state() = PhaseState {
            deadline: Some(Instant::now() + self.limits.idle_timeout),
            idle: true,
        };
    }

    /// Bytes arrived: after an idle wait, they start a request head.
    fn bytes_arrived(&self) {
        let mut state = self.state();
        if state.idle {
            *state = PhaseState {
                deadline: Some(Instant::now() + self.limits.header_timeout),
                idle: false,
            };
        }
    }
}

/// A TCP stream whose reads and writes fail with `TimedOut` once the connection's deadline
/// has passed while they wait.
struct TimedIo {
    stream: TcpStream,
    phase: Arc<Phase>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimedIo {
    /// Called when the stream is not ready: `Pending` until the deadline, then an error.
    fn poll_deadline<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let Some(deadline) = self.phase.deadline() else {
            return Poll::Pending;
        };
        ready!(poll_timer(&mut self.timer, deadline, cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client did not send its request in time",
        )))
    }
}

/// `Ready` once `deadline` has passed; registers the waker otherwise.
fn poll_timer(
    timer: &mut Option<Pin<Box<Sleep>>>,
    deadline: Instant,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
    if timer.deadline() != deadline {
        timer.as_mut().reset(deadline);
    }
    timer.as_mut().poll(cx)
}

impl AsyncRead for TimedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.phase.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => self.poll_deadline(cx),
            failed => failed,
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.stream).poll_write(cx, buf) {
            Poll::Pending => self.poll_deadline(cx),
            done => done,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.stream).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.poll_deadline(cx),
            done => done,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.stream).poll_flush(cx) {
            Poll::Pending => self.poll_deadline(cx),
            done => done,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A request body that fails with [`BodyTimedOut`] if it has not fully arrived by its deadline:
/// the body timeout after kmsd first waited for it, which is right after its head arrived (the
/// KMS route reads the body at once). Most bodies arrive with their head and need no clock.
struct TimedBody {
    body: Incoming,
    deadline: Option<Instant>,
    limit: Duration,
    /// Made the first time the body is not ready: most bodies arrive with their head.
    timer: Option<Pin<Box<Sleep>>>,
}

/// The error of a body that did not arrive within the body timeout.
#[derive(Debug)]
pub(crate) struct BodyTimedOut(Duration);

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "it did not arrive within {} s (--body-timeout)",
            self.0.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyTimedOut {}

impl hyper::body::Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let limit = this.limit;
        let deadline = *this.deadline.get_or_insert_with(|| Instant::now() + limit);
        ready!(poll_timer(&mut this.timer, deadline, cx));
        Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.limit)))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests;
