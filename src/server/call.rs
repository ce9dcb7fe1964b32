//! The KMS API over HTTP: `POST /` with `X-Amz-Target: TrentService.<Operation>`. One call
//! goes: target → [`Operation`] (once) → content type → body → `api` decodes it → a
//! `kms::Context` → the call runs (in place; public-key work on the compute threads, key
//! generation on tokio's blocking pool: see [`Weight`]) → the server awaits the durability
//! of what the call saw → one log line, the audit record, the response.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::audit::{AuditRecord, CallFacts};
use super::faults::Effect;
use super::sigv4;
use super::throttle::Quota;
use crate::api::{self, ApiError, ErrorCode, Weight};
use crate::kms::{Context, Enforcement, Kms};
use crate::logging::RequestLine;
use crate::model::Operation;

/// The largest request body kmsd reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const JSON_1_1: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "TrentService.";

/// What the HTTP layer knows of one call once it has run (or failed to start).
struct Served {
    /// The response body, or the error.
    result: Result<Vec<u8>, ApiError>,
    /// The call's context, once its operation was known and its request decoded.
    cx: Option<Context>,
    /// The request's members for the audit trail, when the trail is on and the request was
    /// decoded.
    parameters: Option<serde_json::Value>,
    /// The fault a rule of `/_kmsd/faults` injected into the call, if one did.
    fault: Option<Effect>,
}

impl Served {
    /// A call that failed before its request was understood.
    fn failed(error: ApiError) -> Served {
        Served {
            result: Err(error),
            cx: None,
            parameters: None,
            fault: None,
        }
    }
}

/// Marks a response whose connection is to be closed without sending it (a `drop` fault);
/// the accept loop (`connections.rs`) does the closing.
#[derive(Debug, Clone, Copy)]
pub(super) struct DropConnection;

/// Serves one request to `/` (any method: all but `POST` are refused in the protocol's
/// words). `connections.rs` calls it directly, not through the router: the KMS API is one
/// route, and axum's extractors would copy the request's headers and the state for it.
pub(super) async fn kms_call(
    state: &AppState,
    peer: SocketAddr,
    request: axum::http::Request<Body>,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, &parts.uri, &parts.headers);
    state.kms.note_request();
    let request_id = state.request_ids.next();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = target.strip_prefix(TARGET_PREFIX).unwrap_or_default();
    tracing::debug!(request_id = %request_id, op = %name, "request received");
    let request = Request {
        method,
        uri,
        peer,
        headers,
        target,
        body,
        request_id: &request_id,
    };
    let served = serve(state, request).await;
    // A call that failed before it had a context acted nowhere yet: say where it would have.
    let fallback;
    let (scope, caller) = match &served.cx {
        Some(cx) => (&cx.scope, &cx.caller),
        None => {
            fallback = sigv4::claimed_caller(headers, state.kms.home(), &state.authentication);
            (&fallback.0, &fallback.1)
        }
    };
    let dropped = served.fault == Some(Effect::Drop);
    // A dropped connection gets no answer at all: status 0 in the log line.
    let status = match &served.result {
        _ if dropped => 0,
        Ok(_) => 200,
        Err(e) => e.status(),
    };
    let fault = served.fault.as_ref().map(Effect::describe);
    let named_key = served.cx.as_ref().and_then(|cx| cx.named_key.as_deref());
    // A call that names no key may still have used one: the key CreateKey made, the key a
    // ciphertext named for Decrypt without KeyId.
    let used_key = match named_key {
        Some(_) => None,
        None => served
            .cx
            .as_ref()
            .and_then(|cx| cx.used_keys().next())
            .map(|arn| arn.key_id.to_string()),
    };
    let fault_text = fault.as_ref().map(ToString::to_string);
    RequestLine {
        request_id: &request_id,
        operation: name,
        account: scope.account.as_str(),
        region: scope.region.as_str(),
        key_id: named_key.or(used_key.as_deref()),
        status,
        error: served.result.as_ref().err().map(|e| e.code.as_str()),
        fault: fault_text.as_deref(),
        micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    }
    .log();
    if let Some(audit) = &state.audit {
        let facts = CallFacts {
            time: state.kms.clock().now(),
            operation: name,
            scope,
            caller,
            source_ip: peer.ip().to_string(),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
            request_id: &request_id,
            parameters: served.parameters,
            used_keys: served
                .cx
                .as_ref()
                .map(|cx| cx.used_keys().collect())
                .unwrap_or_default(),
            named_key,
            error: served.result.as_ref().err(),
            would_deny: served
                .cx
                .as_ref()
                .map_or(&[][..], |cx| cx.would_deny.as_slice()),
            recipient: served.cx.as_ref().and_then(|cx| cx.recipient.as_ref()),
            fault,
        };
        audit.record(&AuditRecord::of_call(facts, state.request_ids.next()));
    }
    let mut response = match served.result {
        Ok(body) => json_response(StatusCode::OK, body, &request_id),
        Err(error) => error_response(&error, &request_id),
    };
    if dropped {
        response.extensions_mut().insert(DropConnection);
    }
    response
}

/// One HTTP request to the KMS API, as [`kms_call`] received it.
struct Request<'a> {
    method: Method,
    uri: &'a Uri,
    peer: SocketAddr,
    headers: &'a HeaderMap,
    target: &'a str,
    body: Body,
    request_id: &'a str,
}

/// Checks the request, reads and decodes its body and runs it.
async fn serve(state: &AppState, request: Request<'_>) -> Served {
    if request.method != Method::POST {
        let error = ApiError::new(
            ErrorCode::UnknownOperation,
            format!(
                "kmsd serves the KMS API at POST / only, not {}.",
                request.method
            ),
        );
        return Served::failed(error);
    }
    let Some(operation) = request
        .target
        .strip_prefix(TARGET_PREFIX)
        .and_then(Operation::parse)
    else {
        return Served::failed(ApiError::unknown_operation(request.target));
    };
    if let Err(error) = check_content_type(request.headers) {
        return Served::failed(error);
    }
    let Some(decode) = api::decoder(operation) else {
        return Served::failed(ApiError::not_supported(operation));
    };
    let body = match read_body(request.headers, request.body).await {
        Ok(body) => body,
        Err(error) => return Served::failed(error),
    };
    let signed = sigv4::Signed {
        method: &request.method,
        uri: request.uri,
        headers: request.headers,
        body: &body,
    };
    let (scope, mut caller) =
        match sigv4::authenticate(&signed, state.kms.home(), &state.authentication, || {
            state.kms.clock().now()
        }) {
            Ok(found) => found,
            Err(error) => return Served::failed(error),
        };
    caller.source_ip = Some(request.peer.ip());
    let mut call = match decode(&body) {
        Ok(call) => call,
        Err(error) => return Served::failed(error),
    };
    let parameters = state.audit.is_some().then(|| call.audit_parameters());
    let mut cx = Context::new(scope, operation, request.request_id);
    cx.caller = caller;
    cx.authorizing = state.kms.enforcement() != Enforcement::Off;
    let failed = |error, cx, fault| Served {
        result: Err(error),
        cx: Some(cx),
        parameters: parameters.clone(),
        fault,
    };
    if let Err(error) = call.parse(&mut cx) {
        return failed(error, cx, None);
    }
    // A fault rule answers before the call runs, so a faulted call changes nothing.
    let fault = state.faults.hit(operation, cx.named_key.as_deref());
    match fault.clone() {
        Some(Effect::Error(code)) => {
            return failed(Effect::error(code, operation), cx, fault);
        }
        Some(Effect::Drop) => {
            let error = ApiError::new(ErrorCode::KmsInternal, "kmsd dropped the connection.");
            return failed(error, cx, fault);
        }
        Some(Effect::Latency(latency)) => tokio::time::sleep(latency).await,
        None => {}
    }
    if let Some(throttle) = &state.throttle {
        // The quota depends on the type of the key the call names (none: symmetric).
        let spec = cx
            .named_key
            .as_deref()
            .and_then(|key| state.kms.key_spec(&cx.scope, key));
        if let Some(quota) = Quota::of(operation, spec)
            && !throttle.admit(&cx.scope, quota, Instant::now())
        {
            return failed(ApiError::throttled(), cx, fault);
        }
    }
    // When the next rotation or deletion falls due (u64::MAX: never).
    let next_due = |kms: &Kms| kms.next_deadline().map_or(u64::MAX, |due| due.0);
    let due_before = next_due(&state.kms);
    let (mut result, cx) = match call.weight() {
        Weight::Light => {
            let result = call.run(&state.kms, &mut cx);
            (result, cx)
        }
        weight @ (Weight::Compute | Weight::KeyGeneration) => {
            off_the_connection_thread(state, call, cx, weight).await
        }
    };
    if next_due(&state.kms) < due_before {
        // A write scheduled a deletion or rotation earlier than the sweeper is waiting for.
        state.wake.notify_one();
    }
    // The result may rest on a write that is not on disk yet (another client's, still in its
    // group flush): answer only once it is, so a crash cannot take back what was said.
    if !state.kms.is_durable(cx.seen())
        && let Err(error) = state.kms.durable(cx.seen()).await
    {
        result = Err(error.into());
    }
    Served {
        result,
        cx: Some(cx),
        parameters,
        fault,
    }
}

/// Runs a call on the compute threads, or (key generation) on tokio's blocking pool, and
/// waits for it. The job holds a copy of the state, so `serve` also waits for a job whose
/// client went away. A job that panics answers `KMSInternalException`.
async fn off_the_connection_thread(
    state: &AppState,
    call: Box<dyn api::Call>,
    cx: Context,
    weight: Weight,
) -> (Result<Vec<u8>, ApiError>, Context) {
    let task_state = state.clone();
    let (mut task_cx, fallback_cx) = (cx.clone(), cx);
    let job = move || {
        let result = call.run(&task_state.kms, &mut task_cx);
        (result, task_cx)
    };
    let ran = match weight {
        Weight::KeyGeneration => tokio::task::spawn_blocking(job)
            .await
            .inspect_err(|e| tracing::error!(error = %e, "operation task failed"))
            .ok(),
        _ => state.compute.run(job).await,
    };
    ran.unwrap_or_else(|| {
        let error = ApiError::new(
            ErrorCode::KmsInternal,
            "kmsd could not complete the request.",
        );
        (Err(error), fallback_cx)
    })
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
        .trim();
    let accepted = [JSON_1_1, "application/x-amz-json-1.0", "application/json"];
    if accepted.iter().any(|a| a.eq_ignore_ascii_case(media_type)) {
        return Ok(());
    }
    let media_type = media_type.to_ascii_lowercase();
    Err(ApiError::new(
        ErrorCode::UnsupportedMediaType,
        format!("Content-Type must be {JSON_1_1}, not {media_type:?}."),
    ))
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

fn json_response(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_1_1));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// An error response: its status, the JSON 1.1 content type and the request id.
pub(super) fn error_response(error: &ApiError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, error.to_body(), request_id)
}
