//! HTTP: one axum route, `POST /`, that reads the target and body, works out the caller's
//! account and region, and hands the call to [`api::dispatch`]. No JSON decoding here.
//! `serve` also mounts the admin routes (`admin.rs`) and runs the deadline sweep (`sweeper.rs`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::admin::{self, AdminState};
use crate::api::{self, ApiError, Call, ErrorCode};
use crate::audit::{AuditLog, AuditRecord, Resource, UserIdentity};
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
    /// Where to write the audit trail, if anywhere.
    pub audit: Option<AuditLog>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            admin: true,
            audit: None,
        }
    }
}

/// [`serve_with_options`] with the default options (admin routes on, no audit trail).
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
            audit: options.audit,
            wake,
            _in_use: in_use,
        })
        .merge(admin)
        .fallback(not_found);
    let result = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
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
    audit: Option<AuditLog>,
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = new_request_id();
    let started = Instant::now();
    state.kms.note_request();
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
    tracing::debug!(request_id = %request_id, op = %operation, "request received");
    let (call, body) = run(
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
    let status = match &call.result {
        Ok(_) => 200,
        Err(e) => e.status(),
    };
    tracing::info!(
        request_id = %request_id,
        op = %operation,
        account = caller.account.as_str(),
        region = caller.region.as_str(),
        key_id = call.key_id.as_deref(),
        status,
        error = call.result.as_ref().err().map(|e| e.code.as_str()),
        // Whole microseconds, so the line shows 0.467 rather than 0.46731300000000003.
        ms = started.elapsed().as_micros() as f64 / 1000.0,
        "request"
    );
    if let Some(audit) = &state.audit {
        let context = AuditContext {
            request_id: &request_id,
            operation: &operation,
            caller: &caller,
            peer,
            headers: &headers,
        };
        audit.record(&audit_record(&state.kms, &context, &call, body.as_deref()));
    }
    match call.result {
        Ok(body) => json_response(StatusCode::OK, body, &request_id),
        Err(error) => error_response(&error, &request_id),
    }
}

/// Checks the request, reads its body and runs it. Returns the outcome and the body (for the
/// audit trail), which is `None` when the request failed before it was read.
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
) -> (Call, Option<Bytes>) {
    if method != Method::POST {
        let error = ApiError::new(
            ErrorCode::UnknownOperation,
            format!("kmsd serves the KMS API at POST / only, not {method}."),
        );
        return (Call::failed(error), None);
    }
    let supported = api::OPERATIONS.contains(&operation);
    if !target.starts_with(TARGET_PREFIX) || !(supported || api::NOT_SUPPORTED.contains(&operation))
    {
        return (Call::failed(ApiError::unknown_operation(target)), None);
    }
    if let Err(error) = check_content_type(headers) {
        return (Call::failed(error), None);
    }
    if !supported {
        return (Call::failed(ApiError::not_supported(operation)), None);
    }
    let body = match read_body(headers, body).await {
        Ok(body) => body,
        Err(error) => return (Call::failed(error), None),
    };
    // When the next rotation or deletion falls due (u64::MAX: never).
    let next_due = |kms: &Kms| kms.next_deadline().map_or(u64::MAX, |due| due.0);
    let due_before = next_due(&state.kms);
    let call = if api::heavy(operation, &body) {
        // Key pair generation takes milliseconds to seconds: keep it off the async workers.
        // The task holds a copy of the state, so `serve` also waits for a task whose client
        // went away.
        let (task_state, caller, operation, request_id) = (
            state.clone(),
            caller.clone(),
            operation.to_owned(),
            request_id.to_owned(),
        );
        let task_body = body.clone();
        tokio::task::spawn_blocking(move || {
            api::dispatch(
                &task_state.kms,
                &caller,
                &operation,
                &task_body,
                &request_id,
            )
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "operation task failed");
            Call::failed(ApiError::new(
                ErrorCode::KmsInternal,
                "kmsd could not complete the request.",
            ))
        })
    } else {
        api::dispatch(&state.kms, caller, operation, &body, request_id)
    };
    if next_due(&state.kms) < due_before {
        // A write scheduled a deletion or rotation earlier than the sweeper is waiting for.
        state.wake.notify_one();
    }
    // The result may rest on a write that is not on disk yet (another client's, still in
    // its group flush): answer only once it is, so a crash cannot take back what was said.
    let mut call = call;
    if !state.kms.is_durable(call.seen)
        && let Err(error) = state.kms.durable(call.seen).await
    {
        call.result = Err(error.into());
    }
    (call, Some(body))
}

/// What the audit record of a call needs from the HTTP request.
struct AuditContext<'a> {
    request_id: &'a str,
    operation: &'a str,
    caller: &'a Scope,
    peer: SocketAddr,
    headers: &'a HeaderMap,
}

fn audit_record(
    kms: &Kms,
    context: &AuditContext<'_>,
    call: &Call,
    body: Option<&[u8]>,
) -> AuditRecord {
    let header = |name: header::HeaderName| {
        context
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let key_arn = match &call.result {
        Ok(response) => api::response_key_arn(response),
        Err(_) => None,
    }
    .or_else(|| call.key_id.clone());
    let resources = key_arn
        .map(|arn| Resource {
            account_id: arn
                .split(':')
                .nth(4)
                .filter(|a| !a.is_empty())
                .unwrap_or(context.caller.account.as_str())
                .to_owned(),
            arn,
            kind: "AWS::KMS::Key",
        })
        .into_iter()
        .collect();
    let (error_code, error_message) = match &call.result {
        Ok(_) => (None, None),
        Err(e) => (Some(e.code.as_str().to_owned()), e.message.clone()),
    };
    AuditRecord {
        event_version: "1.08",
        event_time: crate::audit::rfc3339(kms.clock().now().0),
        event_source: "kms.amazonaws.com",
        event_name: context.operation.to_owned(),
        aws_region: context.caller.region.as_str().to_owned(),
        source_ip_address: context.peer.ip().to_string(),
        user_agent: header(header::USER_AGENT).unwrap_or_default(),
        user_identity: UserIdentity {
            access_key_id: access_key_id(context.headers),
            account_id: context.caller.account.as_str().to_owned(),
        },
        request_id: context.request_id.to_owned(),
        event_id: new_request_id(),
        request_parameters: body.and_then(api::audit_parameters),
        resources,
        error_code,
        error_message,
        recipient_account_id: context.caller.account.as_str().to_owned(),
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
    let mut parts = credential_scope(headers).unwrap_or_default().split('/');
    let access_key = parts.next().unwrap_or_default();
    let region = parts.nth(1).unwrap_or_default();
    Scope {
        account: AccountId::parse(access_key).unwrap_or_else(|| home.account.clone()),
        region: Region::parse(region).unwrap_or_else(|| home.region.clone()),
    }
}

/// `AKID/date/region/service/aws4_request` from a SigV4 `Authorization` header.
fn credential_scope(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    // SDKs and the CLI put the credential first: skip the substring search for them.
    let rest = match value.strip_prefix("AWS4-HMAC-SHA256 Credential=") {
        Some(rest) => rest,
        None => value.split_once("Credential=")?.1,
    };
    rest.split([',', ' ']).next()
}

/// The SigV4 access key id, if the request was signed.
fn access_key_id(headers: &HeaderMap) -> Option<String> {
    credential_scope(headers)
        .and_then(|scope| scope.split('/').next())
        .filter(|akid| !akid.is_empty())
        .map(str::to_owned)
}

/// A fresh `x-amzn-RequestId`: a random-looking version 4 UUID, as AWS sends. Request ids
/// need to be unique, not secret, so they come from a per-thread generator (SplitMix64,
/// seeded from the OS once per thread) instead of a system call per request.
fn new_request_id() -> String {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(u64::from_le_bytes(crate::crypto::random_array()));
    }
    let next = || {
        STATE.with(|state| {
            let mut z = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            state.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        })
    };
    let bits = (u128::from(next()) << 64) | u128::from(next());
    let mut text = uuid::Uuid::encode_buffer();
    uuid::Builder::from_random_bytes(bits.to_le_bytes())
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut text)
        .to_owned()
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

#[cfg(test)]
mod tests;
