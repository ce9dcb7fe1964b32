//! HTTP: the KMS API at `POST /` (`call.rs`), which reads the target and body, works out the
//! caller (`sigv4.rs`), makes the call's `kms::Context` and hands the decoded request to `api`.
//! No JSON decoding here. `serve` also mounts the admin routes (`admin.rs`), runs the deadline
//! sweep (`sweeper.rs`) and, with `--audit-log`, writes the audit trail (`audit.rs`); its own
//! accept loop (`connections.rs`) bounds what a client may hold, and `access.rs` says who may
//! call from where.

mod access;
mod admin;
pub mod audit;
mod call;
mod compute;
mod connections;
mod console;
mod faults;
mod request_id;
mod sigv4;
mod sweeper;
mod throttle;

pub use access::{AdminToken, AllowedHosts};
pub use audit::AuditLog;
pub use connections::{Limits, raise_open_files_limit};
pub use sigv4::Authentication;
pub use throttle::{Quota, ThrottleRates};

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot, watch};

use crate::api::{ApiError, ErrorCode};
use crate::kms::Kms;
use access::Refusal;
use admin::AdminState;
use request_id::RequestIds;

pub use call::MAX_BODY_BYTES;

/// How [`serve_with_options`] runs, beyond the KMS API itself.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Whether the admin routes under `/_kmsd/` and `/moto-api/` are served. The health routes
    /// always are.
    pub admin: bool,
    /// Where to write the audit trail, if anywhere.
    pub audit: Option<AuditLog>,
    /// The `Host` names answered besides the built-in ones (`--allowed-hosts`).
    pub allowed_hosts: AllowedHosts,
    /// The bearer token the admin routes need, if any (`--admin-token`).
    pub admin_token: Option<AdminToken>,
    /// Timeouts and the connection limit.
    pub limits: Limits,
    /// The request quotas applied (`--throttle`); off by default.
    pub throttle: ThrottleRates,
    /// Who callers are (`--identities`) and whether their signatures are checked.
    pub authentication: Authentication,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            admin: true,
            audit: None,
            allowed_hosts: AllowedHosts::default(),
            admin_token: None,
            limits: Limits::default(),
            throttle: ThrottleRates::default(),
            authentication: Authentication::default(),
        }
    }
}

/// [`serve_with_options`] with the default options (admin routes on without a token, no audit
/// trail, the built-in `Host` names, default timeouts and connection limit).
pub async fn serve(
    listener: TcpListener,
    kms: Arc<Kms>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_options(listener, kms, ServeOptions::default(), shutdown).await
}

/// Serves the KMS API (and the admin API) on `listener` until `shutdown` completes, then
/// finishes in-flight requests and returns once nothing of the server holds `kms` any more
/// (so that, when the caller holds no other reference, the store is closed and its lock
/// released). Meanwhile a background task applies rotations and deletions as they fall due.
pub async fn serve_with_options(
    listener: TcpListener,
    kms: Arc<Kms>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (in_use, mut released) = mpsc::channel::<()>(1);
    let wake = Arc::new(Notify::new());
    let (stop_sweeper, sweeper_stopped) = oneshot::channel();
    let sweeper = tokio::spawn(sweeper::run(
        kms.clone(),
        wake.clone(),
        sweeper_stopped,
        None,
    ));
    let request_ids = Arc::new(RequestIds::new());
    let faults = Arc::new(faults::Faults::default());
    let (closing_tx, closing) = watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        let _ = closing_tx.send(true);
    };
    let admin = admin::routes(
        AdminState {
            kms: kms.clone(),
            faults: faults.clone(),
            wake: wake.clone(),
            started: Instant::now(),
            audit: options.audit.clone(),
            request_ids: request_ids.clone(),
            token: options.admin_token,
            closing,
            _in_use: in_use.clone(),
        },
        options.admin,
    );
    let flusher = kms.clone();
    // `/`, the KMS API, is served by `connections.rs` without the router; the router has the
    // rest.
    let router = Router::new().merge(admin).fallback(not_found);
    let shared = connections::Shared {
        kms_api: AppState {
            kms,
            audit: options.audit,
            faults,
            throttle: options
                .throttle
                .is_on()
                .then(|| Arc::new(throttle::Throttle::new(options.throttle))),
            authentication: options.authentication,
            wake,
            request_ids: request_ids.clone(),
            compute: Arc::new(compute::ComputePool::per_core()),
            _in_use: in_use,
        },
        router: TowerToHyperService::new(router),
        hosts: options.allowed_hosts,
        request_ids,
        limits: options.limits,
    };
    connections::serve(listener, shared, shutdown).await;
    let _ = stop_sweeper.send(());
    if let Err(error) = sweeper.await {
        tracing::error!(%error, "the deadline sweep task failed");
    }
    // Key usage is written lazily; write what the last requests recorded.
    match tokio::task::spawn_blocking(move || flusher.flush_usage()).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::error!(%error, "writing key usage at shutdown failed"),
        Err(error) => tracing::error!(%error, "writing key usage at shutdown failed"),
    }
    // The accept loop returns when every connection has ended, but a task may still be
    // dropping its copy of the state (a heavy call's blocking task whose client went away). Each copy holds a sender: `recv` yields `None` only
    // after the last one, and with it the last reference to `kms`, is gone.
    let _ = released.recv().await;
    Ok(())
}

/// What every request handler gets. Fields drop in order, so `kms` is released before the
/// sender that reports its release.
#[derive(Clone)]
struct AppState {
    kms: Arc<Kms>,
    audit: Option<AuditLog>,
    /// The rules of `/_kmsd/faults`.
    faults: Arc<faults::Faults>,
    /// The request quotas' buckets, when `--throttle` is on.
    throttle: Option<Arc<throttle::Throttle>>,
    authentication: Authentication,
    /// Tells the background sweep that a write may have brought a deadline closer.
    wake: Arc<Notify>,
    /// Hands out `x-amzn-RequestId`s.
    request_ids: Arc<RequestIds>,
    /// Runs [`Weight::Compute`](crate::api::Weight) calls.
    compute: Arc<compute::ComputePool>,
    _in_use: mpsc::Sender<()>,
}

/// The answer to a request refused before any route: a KMS error for the KMS API, an admin
/// error for the admin API.
fn refused(path: &str, refusal: &Refusal, request_id: &str) -> Response {
    if admin::is_admin_path(path) {
        admin::error(StatusCode::FORBIDDEN, &refusal.0)
    } else {
        call::error_response(
            &ApiError::new(ErrorCode::HostRefused, refusal.0.clone()),
            request_id,
        )
    }
}

async fn not_found() -> Response {
    call::error_response(
        &ApiError::new(
            ErrorCode::UnknownOperation,
            "kmsd serves the KMS API at POST / only.",
        ),
        &RequestIds::new().next(),
    )
}
