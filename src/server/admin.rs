//! The admin API: JSON over HTTP for tests and operators, under the reserved prefix `/_kmsd/`
//! (it cannot collide with KMS, where every call is `POST /`), plus `GET /health` and moto's
//! `POST /moto-api/reset`. `--no-admin` leaves only the health routes. Every route but health
//! passes `gate` first (same origin, JSON bodies, the token; see `access.rs`), and each call
//! writes a log line and an audit record. The KMS protocol itself is in `call.rs` and `api/`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};

use super::access::{self, AdminToken};
use super::audit::{AdminFacts, AuditLog, AuditRecord};
use super::console;
use super::faults::{Faults, RuleSpec};
use super::request_id::RequestIds;
use crate::kms::{self, Kms};
use crate::model::{AccountId, ConnectionErrorCode, Region};
use crate::seed::ExportFilter;

/// What the admin handlers share.
#[derive(Clone)]
pub(crate) struct AdminState {
    pub(crate) kms: Arc<Kms>,
    /// The fault rules the KMS route applies.
    pub(crate) faults: Arc<Faults>,
    /// Tells the background sweep that the clock or the schedules changed.
    pub(crate) wake: Arc<Notify>,
    pub(crate) started: Instant,
    /// Where admin calls are recorded, with the KMS calls.
    pub(crate) audit: Option<AuditLog>,
    pub(crate) request_ids: Arc<RequestIds>,
    /// `--admin-token`: when set, every route but health needs it.
    pub(crate) token: Option<AdminToken>,
    /// Turns true when the server begins to shut down, so that requests that wait for a
    /// change (`/_kmsd/revision?after=`) answer at once.
    pub(crate) closing: watch::Receiver<bool>,
    /// Held so that `serve` can wait until every copy of the state is gone (see `mod.rs`).
    pub(crate) _in_use: mpsc::Sender<()>,
}

/// What a handler tells `gate` about its call, for the audit record: attached to its response.
#[derive(Debug, Clone, Default)]
struct Outcome {
    /// The request's members.
    parameters: Option<Value>,
    /// What the call did.
    response: Option<Value>,
    /// Why the call failed.
    error: Option<String>,
}

/// The admin routes: always the health checks, the rest only when `enabled`.
pub(crate) fn routes(state: AdminState, enabled: bool) -> Router {
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/_kmsd/health", get(health));
    if enabled {
        let guarded = Router::new()
            .route("/_kmsd/clock", get(clock))
            .route("/_kmsd/clock/advance", post(advance))
            .route("/_kmsd/reset", post(reset))
            .route("/_kmsd/export", get(export))
            .route(
                "/_kmsd/faults",
                get(list_faults).post(add_fault).delete(clear_faults),
            )
            .route(
                "/_kmsd/key-stores/connection-error",
                post(set_connection_error),
            )
            .route("/moto-api/reset", post(moto_reset))
            .merge(console::routes())
            .route_layer(middleware::from_fn_with_state(state.clone(), gate));
        router = router.merge(guarded);
    }
    router.with_state(state)
}

/// Whether `path` belongs to the admin API (its refusals answer in its own JSON shape).
pub(crate) fn is_admin_path(path: &str) -> bool {
    path == "/health" || path.starts_with("/_kmsd/") || path.starts_with("/moto-api/")
}

/// The name an admin call has in the log and the audit trail.
fn event_name(method: &Method, path: &str) -> &'static str {
    match (method.as_str(), path) {
        ("GET", "/_kmsd/clock") => "kmsd:GetClock",
        ("POST", "/_kmsd/clock/advance") => "kmsd:AdvanceClock",
        ("POST", "/_kmsd/reset") | ("POST", "/moto-api/reset") => "kmsd:Reset",
        ("GET", "/_kmsd/export") => "kmsd:Export",
        ("GET", "/_kmsd/faults") => "kmsd:ListFaults",
        ("POST", "/_kmsd/faults") => "kmsd:AddFault",
        ("DELETE", "/_kmsd/faults") => "kmsd:ClearFaults",
        ("POST", "/_kmsd/key-stores/connection-error") => "kmsd:SetConnectionError",
        ("GET", path) => console::event_name(path).unwrap_or("kmsd:Unknown"),
        _ => "kmsd:Unknown",
    }
}

/// Runs before every admin route but health: refuses foreign origins (403), bodies that are
/// not JSON on routes that change state (403) and, with `--admin-token`, requests without it
/// (401). Then logs the call and records it in the audit trail, refused or not.
async fn gate(
    State(state): State<AdminState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = state.request_ids.next();
    let event = event_name(request.method(), request.uri().path());
    let headers = request.headers();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let checked = access::check_origin(headers)
        .and_then(|()| {
            if request.method() == Method::POST {
                access::check_json_body(headers)
            } else {
                Ok(())
            }
        })
        .map_err(|refusal| (StatusCode::FORBIDDEN, refusal.0))
        .and_then(|()| match &state.token {
            Some(token) if !token.accepts(headers.get(header::AUTHORIZATION)) => Err((
                StatusCode::UNAUTHORIZED,
                "The admin API needs Authorization: Bearer <token> (or Basic, with the token \
                 as the password), the token kmsd was started with (--admin-token, \
                 KMS_ADMIN_TOKEN)."
                    .to_owned(),
            )),
            _ => Ok(()),
        });
    let mut response = match checked {
        Ok(()) => next.run(request).await,
        Err((status, reason)) => error(status, &reason),
    };
    if response.status() == StatusCode::UNAUTHORIZED {
        // The console's page asks the browser to prompt for the token (as a password: the
        // browser then sends it with the page's own requests); every other route names the
        // scheme scripts use.
        let challenge = if event == "kmsd:Console" {
            "Basic realm=\"kmsd\", charset=\"UTF-8\""
        } else {
            "Bearer realm=\"kmsd\""
        };
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    let outcome = response
        .extensions_mut()
        .remove::<Outcome>()
        .unwrap_or_default();
    let status = response.status();
    tracing::info!(
        request_id = %request_id,
        op = event,
        status = status.as_u16(),
        error = outcome.error.as_deref(),
        // Whole microseconds, as on the KMS calls' line.
        ms = started.elapsed().as_micros() as f64 / 1000.0,
        "request"
    );
    if let Some(audit) = &state.audit {
        let facts = AdminFacts {
            time: state.kms.clock().now(),
            event_name: event,
            home: state.kms.home(),
            source_ip: peer.ip().to_string(),
            user_agent: &user_agent,
            request_id: &request_id,
            parameters: outcome.parameters,
            response: outcome.response,
            status: status.as_u16(),
            error: outcome.error.as_deref(),
        };
        audit.record(&AuditRecord::of_admin(facts, state.request_ids.next()));
    }
    response
}

/// `GET /health`: the server is up and its store is open (it is opened before the listener).
async fn health(State(state): State<AdminState>) -> Response {
    let keys = blocking(&state, |kms| Ok(kms.key_count())).await;
    match keys {
        Ok(keys) => json_response(
            StatusCode::OK,
            &json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "uptimeSeconds": state.started.elapsed().as_secs(),
                "keys": keys,
            }),
        ),
        Err(response) => response,
    }
}

/// `GET /_kmsd/clock`: the clock's time (epoch seconds, millisecond precision, like every KMS
/// date) and how far it runs ahead of system time.
async fn clock(State(state): State<AdminState>) -> Response {
    let clock = state.kms.clock();
    json_response(
        StatusCode::OK,
        &json!({
            "now": clock.now().as_epoch_seconds(),
            "offsetSeconds": clock.offset_seconds(),
        }),
    )
}

/// `POST /_kmsd/clock/advance` with `{"seconds": n}`: moves the clock and applies everything
/// that fell due, before answering.
async fn advance(State(state): State<AdminState>, body: Bytes) -> Response {
    let seconds = match parse_seconds(&body) {
        Ok(seconds) => seconds,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let advanced = blocking(&state, move |kms| kms.advance_clock(seconds)).await;
    state.wake.notify_one();
    let mut response = match advanced {
        Ok(advanced) => {
            let answer = json!({
                "now": advanced.now.as_epoch_seconds(),
                "offsetSeconds": advanced.offset_seconds,
                "rotated": arns(&advanced.applied.rotated),
                "deleted": arns(&advanced.applied.deleted),
                "expired": arns(&advanced.applied.expired),
            });
            let mut response = json_response(StatusCode::OK, &answer);
            response.extensions_mut().insert(Outcome {
                response: Some(answer),
                ..Outcome::default()
            });
            response
        }
        Err(response) => response,
    };
    with_parameters(&mut response, json!({ "seconds": seconds }));
    response
}

/// `POST /_kmsd/reset`: forgets every key and alias of every account and region.
async fn reset(State(state): State<AdminState>) -> Response {
    match do_reset(&state).await {
        Ok(()) => json_response(StatusCode::OK, &json!({"status": "ok"})),
        Err(response) => response,
    }
}

/// `POST /moto-api/reset`: the same, answered with the exact body moto's server sends, so
/// suites written against moto's server mode work unchanged.
async fn moto_reset(State(state): State<AdminState>) -> Response {
    match do_reset(&state).await {
        Ok(()) => with_json_type((StatusCode::OK, r#"{"status": "ok"}"#).into_response()),
        Err(response) => response,
    }
}

async fn do_reset(state: &AdminState) -> Result<(), Response> {
    let result = blocking(state, |kms| kms.reset()).await;
    state.wake.notify_one();
    result
}

/// `GET /_kmsd/export[?account=ID][&region=NAME]`: the seed file `kmsd export` writes, for a
/// server whose data dir is locked while it runs.
async fn export(State(state): State<AdminState>, uri: Uri) -> Response {
    let filter = match parse_filter(uri.query().unwrap_or_default()) {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let parameters = json!({
        "account": filter.account.as_ref().map(AccountId::as_str),
        "region": filter.region.as_ref().map(Region::as_str),
    });
    let exported = blocking(&state, move |kms| Ok(crate::seed::export(kms, &filter))).await;
    let mut response = match exported {
        Ok(Err(failure)) => {
            tracing::error!(error = %failure, "export failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "kmsd could not complete the request; see its log.",
            )
        }
        Ok(Ok(text)) => {
            let mut response = (StatusCode::OK, text).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/yaml"),
            );
            response
        }
        Err(response) => response,
    };
    with_parameters(&mut response, parameters);
    response
}

/// `GET /_kmsd/faults`: the fault rules in force, in the order they apply.
async fn list_faults(State(state): State<AdminState>) -> Response {
    json_response(StatusCode::OK, &json!({ "rules": state.faults.list() }))
}

/// `POST /_kmsd/faults` with one rule (see `faults.rs` for its shape): matching KMS calls
/// fail, slow down or lose their connection from now on.
async fn add_fault(State(state): State<AdminState>, body: Bytes) -> Response {
    let parameters: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let added = serde_json::from_slice::<RuleSpec>(&body)
        .map_err(|e| format!("The body must be one fault rule, such as {{\"operation\": \"Decrypt\", \"error\": \"KMSInternalException\", \"count\": 1}}: {e}."))
        .and_then(|spec| state.faults.add(spec));
    let mut response = match added {
        Ok(rule) => {
            let answer = json!({ "rule": rule });
            let mut response = json_response(StatusCode::OK, &answer);
            response.extensions_mut().insert(Outcome {
                response: Some(answer),
                ..Outcome::default()
            });
            response
        }
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    };
    with_parameters(&mut response, parameters);
    response
}

/// `POST /_kmsd/key-stores/connection-error` with `{"customKeyStoreId": "cks-...",
/// "connectionErrorCode": "NETWORK_ERRORS"}`: the store's next ConnectCustomKeyStore ends
/// `FAILED` with that `ConnectionErrorCode` (once); `null` clears it. The store id is unique
/// across accounts and regions, so none is named.
async fn set_connection_error(State(state): State<AdminState>, body: Bytes) -> Response {
    let parameters: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let usage = "The body must be {\"customKeyStoreId\": \"cks-...\", \"connectionErrorCode\": \
                 \"NETWORK_ERRORS\"} (a ConnectionErrorCode, or null to clear it).";
    let Some(id) = parameters["customKeyStoreId"].as_str().map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, usage);
    };
    let code = match &parameters["connectionErrorCode"] {
        Value::Null => None,
        Value::String(text) => match ConnectionErrorCode::parse(text) {
            Some(code) => Some(code),
            None => return error(StatusCode::BAD_REQUEST, usage),
        },
        _ => return error(StatusCode::BAD_REQUEST, usage),
    };
    let found = {
        let id = id.clone();
        blocking(&state, move |kms| kms.fail_next_connect(&id, code)).await
    };
    let mut response = match found {
        Ok(true) => {
            let answer = json!({
                "customKeyStoreId": id,
                "connectionErrorCode": code.map(ConnectionErrorCode::as_str),
            });
            let mut response = json_response(StatusCode::OK, &answer);
            response.extensions_mut().insert(Outcome {
                response: Some(answer),
                ..Outcome::default()
            });
            response
        }
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            &format!("Custom key store with ID '{id}' does not exist."),
        ),
        Err(response) => response,
    };
    with_parameters(&mut response, parameters);
    response
}

/// `DELETE /_kmsd/faults`: removes every rule.
async fn clear_faults(State(state): State<AdminState>) -> Response {
    let answer = json!({ "cleared": state.faults.clear() });
    let mut response = json_response(StatusCode::OK, &answer);
    response.extensions_mut().insert(Outcome {
        response: Some(answer),
        ..Outcome::default()
    });
    response
}

/// The `account` and `region` of an export's query string.
fn parse_filter(query: &str) -> Result<ExportFilter, String> {
    let mut filter = ExportFilter::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "account" => {
                filter.account = Some(
                    AccountId::parse(value)
                        .ok_or_else(|| format!("account must be 12 digits, not {value:?}."))?,
                );
            }
            "region" => {
                filter.region = Some(
                    Region::parse(value)
                        .ok_or_else(|| format!("{value:?} is not a region name."))?,
                );
            }
            _ => {
                return Err(format!(
                    "Unknown query parameter {name:?}: use account, region."
                ));
            }
        }
    }
    Ok(filter)
}

/// The `seconds` member of an advance request: a JSON integer greater than zero.
fn parse_seconds(body: &[u8]) -> Result<u64, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        format!("The body must be a JSON object such as {{\"seconds\": 3600}}: {e}.")
    })?;
    let Some(seconds) = value.as_object().and_then(|o| o.get("seconds")) else {
        return Err(
            "The body must be a JSON object with a \"seconds\" member, such as {\"seconds\": 3600}."
                .into(),
        );
    };
    match seconds.as_u64() {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "\"seconds\" must be a positive integer (the clock only moves forward), not {seconds}."
        )),
    }
}

/// Runs `work` off the async workers (it may wait for a disk flush) and maps its failure to an
/// admin error: a rule the request broke is a 400, anything else a 500.
pub(super) async fn blocking<T: Send + 'static>(
    state: &AdminState,
    work: impl FnOnce(&Kms) -> kms::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let kms = state.kms.clone();
    match tokio::task::spawn_blocking(move || work(&kms)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(kms::Error::Validation(message))) => Err(error(StatusCode::BAD_REQUEST, &message)),
        Ok(Err(failure)) => {
            tracing::error!(error = %failure, "admin request failed");
            Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "kmsd could not complete the request; see its log.",
            ))
        }
        Err(failure) => {
            tracing::error!(error = %failure, "admin task failed");
            Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "kmsd could not complete the request; see its log.",
            ))
        }
    }
}

fn arns(arns: &[crate::model::KeyArn]) -> Vec<String> {
    arns.iter().map(ToString::to_string).collect()
}

/// Adds the request's members to the audit outcome of `response`.
pub(super) fn with_parameters(response: &mut Response, parameters: Value) {
    let mut outcome = response
        .extensions_mut()
        .remove::<Outcome>()
        .unwrap_or_default();
    outcome.parameters = Some(parameters);
    response.extensions_mut().insert(outcome);
}

/// An admin error: `{"error": message}`, and the message for the audit trail.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let mut response = json_response(status, &json!({ "error": message }));
    response.extensions_mut().insert(Outcome {
        error: Some(message.to_owned()),
        ..Outcome::default()
    });
    response
}

pub(super) fn json_response(status: StatusCode, value: &Value) -> Response {
    with_json_type((status, value.to_string()).into_response())
}

fn with_json_type(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
