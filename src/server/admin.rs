//! The admin API: JSON over HTTP for tests and operators, under the reserved prefix `/_kmsd/`
//! (it cannot collide with KMS, where every call is `POST /`), plus `GET /health` and moto's
//! `POST /moto-api/reset`. `--no-admin` leaves only the health routes. The KMS protocol itself
//! is in `server.rs` and `api/`.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

use crate::kms::{self, Kms};

/// What the admin handlers share.
#[derive(Clone)]
pub(crate) struct AdminState {
    pub(crate) kms: Arc<Kms>,
    /// Tells the background sweep that the clock or the schedules changed.
    pub(crate) wake: Arc<Notify>,
    pub(crate) started: Instant,
    /// Held so that `serve` can wait until every copy of the state is gone (see `server.rs`).
    pub(crate) _in_use: mpsc::Sender<()>,
}

/// The admin routes: always the health checks, the rest only when `enabled`.
pub(crate) fn routes(state: AdminState, enabled: bool) -> Router {
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/_kmsd/health", get(health));
    if enabled {
        router = router
            .route("/_kmsd/clock", get(clock))
            .route("/_kmsd/clock/advance", post(advance))
            .route("/_kmsd/reset", post(reset))
            .route("/moto-api/reset", post(moto_reset));
    }
    router.with_state(state)
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
    match advanced {
        Ok(advanced) => json_response(
            StatusCode::OK,
            &json!({
                "now": advanced.now.as_epoch_seconds(),
                "offsetSeconds": advanced.offset_seconds,
                "rotated": arns(&advanced.applied.rotated),
                "deleted": arns(&advanced.applied.deleted),
            }),
        ),
        Err(response) => response,
    }
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
async fn blocking<T: Send + 'static>(
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

fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    with_json_type((status, value.to_string()).into_response())
}

fn with_json_type(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
