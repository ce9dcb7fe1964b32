//! HTTP: one axum route, `POST /`, that reads the target and body, works out the caller's
//! account and region, and hands the call to [`api::dispatch`]. No JSON decoding here.
//! `serve` also mounts the admin routes (`admin.rs`) and runs the deadline sweep (`sweeper.rs`).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::admin::{self, AdminState};
use crate::api::{self, ApiError, ErrorCode};
use crate::kms::Kms;
use crate::kms::model::{AccountId, Region, Scope};

/// The largest request body kmsd reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const JSON_1_1: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "TrentService.";

/// How [`serve_with_options`] runs, beyond the KMS API itself.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Whether the admin routes under `/_kmsd/` and `/moto-api/` are served. The health routes
    /// always are.
    pub admin: bool,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions { admin: true }
    }
}

/// [`serve_with_options`] with the default options (admin routes on).
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
    let sweeper = tokio::spawn(crate::sweeper::run(
        kms.clone(),
        wake.clone(),
        sweeper_stopped,
        None,
    ));
    let admin = admin::routes(
        AdminState {
            kms: kms.clone(),
            wake: wake.clone(),
            started: Instant::now(),
            _in_use: in_use.clone(),
        },
        options.admin,
    );
    let flusher = kms.clone();
    let router = Router::new()
        .route("/", any(kms_call))
        .with_state(AppState {
            kms,
            wake,
            _in_use: in_use,
        })
        .merge(admin)
        .fallback(not_found);
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
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
    // axum returns when every connection has ended, but a connection task may still be
    // dropping its copy of the state. Each copy holds a sender: `recv` yields `None` only
    // after the last one, and with it the last reference to `kms`, is gone.
    let _ = released.recv().await;
    result
}

/// What every request handler gets. Fields drop in order, so `kms` is released before the
/// sender that reports its release.
#[derive(Clone)]
struct AppState {
    kms: Arc<Kms>,
    /// Tells the background sweep that a write may have brought a deadline closer.
    wake: Arc<Notify>,
    _in_use: mpsc::Sender<()>,
}

async fn not_found() -> Response {
    error_response(
        &ApiError::new(
            ErrorCode::UnknownOperation,
            "kmsd serves the KMS API at POST / only.",
        ),
        &new_request_id(),
    )
}

async fn kms_call(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = new_request_id();
    let started = Instant::now();
    let caller = caller_scope(&headers, state.kms.home());
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .unwrap_or_default()
        .to_owned();
    let result = run(
        &state,
        &caller,
        &request_id,
        method,
        &headers,
        &target,
        &operation,
        body,
    )
    .await;
    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.status(),
    };
    tracing::debug!(
        request_id = %request_id,
        op = %operation,
        account = caller.account.as_str(),
        region = caller.region.as_str(),
        status,
        error = result.as_ref().err().map(|e| e.code.as_str()),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    match result {
        Ok(body) => json_response(StatusCode::OK, body, &request_id),
        Err(error) => error_response(&error, &request_id),
    }
}

#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename them.
async fn run(
    state: &AppState,
    caller: &Scope,
    request_id: &str,
    method: Method,
    headers: &HeaderMap,
    target: &str,
    operation: &str,
    body: Body,
) -> Result<Vec<u8>, ApiError> {
    if method != Method::POST {
        return Err(ApiError::new(
            ErrorCode::UnknownOperation,
            format!("kmsd serves the KMS API at POST / only, not {method}."),
        ));
    }
    if !target.starts_with(TARGET_PREFIX) || !api::OPERATIONS.contains(&operation) {
        return Err(ApiError::unknown_operation(target));
    }
    check_content_type(headers)?;
    let body = read_body(headers, body).await?;
    if api::writes(operation) {
        // Mutations wait for a disk flush: keep that off the async workers. The task holds a
        // copy of the state, so `serve` also waits for a task whose client went away.
        let (task_state, caller, operation, request_id) = (
            state.clone(),
            caller.clone(),
            operation.to_owned(),
            request_id.to_owned(),
        );
        let result = tokio::task::spawn_blocking(move || {
            api::dispatch(&task_state.kms, &caller, &operation, &body, &request_id)
        })
        .await;
        state.wake.notify_one();
        result.map_err(|e| {
            tracing::error!(error = %e, "operation task failed");
            ApiError::new(
                ErrorCode::KmsInternal,
                "kmsd could not complete the request.",
            )
        })?
    } else {
        api::dispatch(&state.kms, caller, operation, &body, request_id)
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media_type = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        JSON_1_1 | "application/x-amz-json-1.0" | "application/json" => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("Content-Type must be {JSON_1_1}, not {media_type:?}."),
        )),
    }
}

async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::RequestEntityTooLarge,
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            if std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            {
                too_large()
            } else {
                ApiError::serialization(format!("The request body could not be read: {e}"))
            }
        })
}

/// The account and region a request acts in: from the SigV4 credential scope
/// (`Credential=AKID/date/region/kms/aws4_request`) when present, else the server's defaults.
/// A 12-digit access key id is taken as the account id.
fn caller_scope(headers: &HeaderMap, home: &Scope) -> Scope {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|v| v.split([',', ' ']).next().unwrap_or_default());
    let mut parts = credential.unwrap_or_default().split('/');
    let access_key = parts.next().unwrap_or_default();
    let region = parts.nth(1).unwrap_or_default();
    Scope {
        account: AccountId::parse(access_key).unwrap_or_else(|| home.account.clone()),
        region: Region::parse(region).unwrap_or_else(|| home.region.clone()),
    }
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn json_response(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_1_1));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

fn error_response(error: &ApiError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, error.to_body(), request_id)
}
