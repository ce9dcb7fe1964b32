//! The console: a page at `/_kmsd/ui` (one HTML file with its styles and script inline,
//! embedded in the binary) and the read-only JSON it reads, which is documented in README and
//! as usable with curl: `/_kmsd/scopes`, `/_kmsd/keys`, `/_kmsd/keys/<key-id>`,
//! `/_kmsd/aliases`, `/_kmsd/grants`, `/_kmsd/clock/preview` and `/_kmsd/revision`. These
//! routes sit behind `admin.rs`'s `gate` like every admin route; they call `kms::inspect`,
//! whose views hold no key material, and name material versions by id only.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::admin::{AdminState, blocking, error, json_response, with_parameters};
use crate::api::grants::WireGrant;
use crate::api::keys::KeyMetadata;
use crate::kms::deadlines::Advanced;
use crate::kms::inspect::{KeyDetails, KeyView};
use crate::model::{AccountId, Alias, ImportState, Key, KeyId, KeyState, Region, Scope};

/// The page, as written in `console.html`: markup, styles and script in one file.
const PAGE: &str = include_str!("console.html");

/// The page's policy: nothing but itself (inline styles and script) and requests to its own
/// origin, so that it can load nothing from elsewhere even by mistake.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// How long `GET /_kmsd/revision?after=N` waits for a change before it answers anyway.
const LONGEST_WAIT: Duration = Duration::from_secs(10);
/// How often a waiting revision request looks at the revision (one atomic load).
const WAIT_STEP: Duration = Duration::from_millis(100);

/// The console's routes; `admin.rs` puts them behind its gate.
pub(super) fn routes() -> Router<AdminState> {
    Router::new()
        .route("/_kmsd/ui", get(page))
        .route("/_kmsd/scopes", get(scopes))
        .route("/_kmsd/keys", get(keys))
        .route("/_kmsd/keys/{key_id}", get(key))
        .route("/_kmsd/aliases", get(aliases))
        .route("/_kmsd/grants", get(grants))
        .route("/_kmsd/clock/preview", get(preview))
        .route("/_kmsd/revision", get(revision))
}

/// The name a console call has in the log and the audit trail, if `path` is one.
pub(super) fn event_name(path: &str) -> Option<&'static str> {
    Some(match path {
        "/_kmsd/ui" => "kmsd:Console",
        "/_kmsd/scopes" => "kmsd:ListScopes",
        "/_kmsd/keys" => "kmsd:ListKeys",
        "/_kmsd/aliases" => "kmsd:ListAliases",
        "/_kmsd/grants" => "kmsd:ListGrants",
        "/_kmsd/clock/preview" => "kmsd:PreviewAdvance",
        "/_kmsd/revision" => "kmsd:GetRevision",
        p if p.starts_with("/_kmsd/keys/") => "kmsd:DescribeKey",
        _ => return None,
    })
}

/// `GET /_kmsd/ui`: the page.
async fn page() -> Response {
    let mut response = (StatusCode::OK, PAGE).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `GET /_kmsd/scopes`: the home account and region, and every account and region that holds
/// anything.
async fn scopes(State(state): State<AdminState>) -> Response {
    let home = state.kms.home().clone();
    let found = blocking(&state, |kms| Ok(kms.inspect_scopes())).await;
    match found {
        Ok(scopes) => json_response(
            StatusCode::OK,
            &json!({
                "home": scope_json(&home),
                "scopes": scopes.iter().map(|s| json!({
                    "account": s.scope.account.as_str(),
                    "region": s.scope.region.as_str(),
                    "keys": s.keys,
                    "aliases": s.aliases,
                })).collect::<Vec<_>>(),
                "revision": state.kms.revision(),
            }),
        ),
        Err(response) => response,
    }
}

/// `GET /_kmsd/keys[?account=ID][&region=NAME]`: every key of one account and region (by
/// default the server's), with its aliases and rotation.
async fn keys(State(state): State<AdminState>, uri: Uri) -> Response {
    let scope = match Query::parse(&uri, &["account", "region"]).and_then(|q| q.scope(&state)) {
        Ok(scope) => scope,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let revision = state.kms.revision();
    let asked = scope.clone();
    let found = blocking(&state, move |kms| Ok(kms.inspect_keys(&asked))).await;
    let mut response = match found {
        Ok(views) => json_response(
            StatusCode::OK,
            &json!({
                "account": scope.account.as_str(),
                "region": scope.region.as_str(),
                "revision": revision,
                "keys": views.iter().map(key_summary).collect::<Vec<_>>(),
            }),
        ),
        Err(response) => response,
    };
    with_parameters(&mut response, scope_json(&scope));
    response
}

/// `GET /_kmsd/keys/<key-id>[?account=ID][&region=NAME]`: one key with everything that
/// belongs to it: its DescribeKey metadata, aliases, tags, policy, grants, material versions
/// (ids and dates), rotation and last usage.
async fn key(State(state): State<AdminState>, uri: Uri) -> Response {
    let id_text = uri.path().trim_start_matches("/_kmsd/keys/").to_owned();
    let parsed = Query::parse(&uri, &["account", "region"])
        .and_then(|q| q.scope(&state))
        .and_then(|scope| match KeyId::parse(&id_text) {
            Some(id) => Ok((scope, id)),
            None => Err(format!("{id_text:?} is not a key id.")),
        });
    let (scope, key_id) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let parameters = json!({
        "account": scope.account.as_str(),
        "region": scope.region.as_str(),
        "keyId": key_id.as_str(),
    });
    let asked = scope.clone();
    let found = blocking(&state, move |kms| Ok(kms.inspect_key(&asked, &key_id))).await;
    let mut response = match found {
        Ok(Some(details)) => json_response(StatusCode::OK, &key_details(&scope, &details)),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            &format!(
                "There is no key {id_text} in account {} and region {}.",
                scope.account.as_str(),
                scope.region.as_str()
            ),
        ),
        Err(response) => response,
    };
    with_parameters(&mut response, parameters);
    response
}

/// `GET /_kmsd/aliases[?account=ID][&region=NAME]`: every alias of one account and region,
/// with the key it points to.
async fn aliases(State(state): State<AdminState>, uri: Uri) -> Response {
    let scope = match Query::parse(&uri, &["account", "region"]).and_then(|q| q.scope(&state)) {
        Ok(scope) => scope,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let asked = scope.clone();
    let found = blocking(&state, move |kms| Ok(kms.inspect_aliases(&asked))).await;
    let mut response = match found {
        Ok(aliases) => json_response(
            StatusCode::OK,
            &json!({
                "account": scope.account.as_str(),
                "region": scope.region.as_str(),
                "aliases": aliases.iter().map(|a| alias_json(&scope, a)).collect::<Vec<_>>(),
            }),
        ),
        Err(response) => response,
    };
    with_parameters(&mut response, scope_json(&scope));
    response
}

/// `GET /_kmsd/grants[?account=ID][&region=NAME]`: every grant on the keys of one account
/// and region, as ListGrants shows each (`GrantListEntry`).
async fn grants(State(state): State<AdminState>, uri: Uri) -> Response {
    let scope = match Query::parse(&uri, &["account", "region"]).and_then(|q| q.scope(&state)) {
        Ok(scope) => scope,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let asked = scope.clone();
    let found = blocking(&state, move |kms| Ok(kms.inspect_grants(&asked))).await;
    let mut response = match found {
        Ok(grants) => json_response(
            StatusCode::OK,
            &json!({
                "account": scope.account.as_str(),
                "region": scope.region.as_str(),
                "grants": grants.into_iter().map(WireGrant::from).collect::<Vec<_>>(),
            }),
        ),
        Err(response) => response,
    };
    with_parameters(&mut response, scope_json(&scope));
    response
}

/// `GET /_kmsd/clock/preview?seconds=N`: what `POST /_kmsd/clock/advance` with the same
/// seconds would do now (the time it would show, the keys it would rotate and delete),
/// without doing it.
async fn preview(State(state): State<AdminState>, uri: Uri) -> Response {
    let seconds = match Query::parse(&uri, &["seconds"]).and_then(|q| {
        let text = q.get("seconds").unwrap_or_default();
        text.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("seconds must be a positive integer, not {text:?}."))
    }) {
        Ok(seconds) => seconds,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let clock = state.kms.clock();
    let (now, offset) = (clock.now(), clock.offset_seconds());
    let previewed = blocking(&state, move |kms| kms.preview_advance(seconds)).await;
    let mut response = match previewed {
        Ok(Advanced {
            now: at,
            offset_seconds,
            applied,
        }) => json_response(
            StatusCode::OK,
            &json!({
                "now": now.as_epoch_seconds(),
                "offsetSeconds": offset,
                "at": at.as_epoch_seconds(),
                "offsetSecondsAfter": offset_seconds,
                "wouldRotate": applied.rotated.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "wouldDelete": applied.deleted.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }),
        ),
        Err(response) => response,
    };
    with_parameters(&mut response, json!({ "seconds": seconds }));
    response
}

/// `GET /_kmsd/revision[?after=N]`: a number that changes whenever kmsd's state does. With
/// `after`, the answer waits (up to ten seconds, or until the server stops) for a revision
/// other than `after`, so a page can follow changes with one request at a time.
async fn revision(State(state): State<AdminState>, uri: Uri) -> Response {
    let after = match Query::parse(&uri, &["after"]).and_then(|q| match q.get("after") {
        None => Ok(None),
        Some(text) => text
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("after must be a revision number, not {text:?}.")),
    }) {
        Ok(after) => after,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if let Some(after) = after {
        let mut closing = state.closing.clone();
        let deadline = tokio::time::Instant::now() + LONGEST_WAIT;
        while state.kms.revision() == after
            && !*closing.borrow()
            && tokio::time::Instant::now() < deadline
        {
            tokio::select! {
                () = tokio::time::sleep(WAIT_STEP) => {}
                _ = closing.changed() => break,
            }
        }
    }
    json_response(StatusCode::OK, &json!({ "revision": state.kms.revision() }))
}

/// A key as a row of the keys table.
fn key_summary(view: &KeyView) -> Value {
    let key = &view.key;
    json!({
        "keyId": key.arn.key_id.as_str(),
        "arn": key.arn.to_string(),
        "aliases": view.aliases.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        "description": key.description,
        "keySpec": key.spec.as_str(),
        "keyUsage": key.usage.as_str(),
        "keyState": key.visible_state().as_str(),
        "deletionDate": key.deletion.map(|d| d.date.as_epoch_seconds()),
        "origin": key.origin.as_str(),
        "keyManager": key.manager.as_str(),
        "multiRegion": key.multi_region.is_some(),
        "multiRegionRole": match (key.is_primary(), key.is_replica()) {
            (true, _) => Value::from("PRIMARY"),
            (_, true) => Value::from("REPLICA"),
            _ => Value::Null,
        },
        "creationDate": key.creation_date.as_epoch_seconds(),
        "rotation": rotation_json(key),
    })
}

/// A key's automatic rotation, as GetKeyRotationStatus reports it.
fn rotation_json(key: &Key) -> Value {
    // GetKeyRotationStatus says disabled while a key is pending deletion.
    let schedule = key
        .rotation
        .schedule
        .filter(|_| key.state != KeyState::PendingDeletion);
    json!({
        "enabled": schedule.is_some(),
        "periodDays": schedule.map(|s| s.period_days),
        "nextRotationDate": schedule.map(|s| s.next.as_epoch_seconds()),
    })
}

/// Everything the key page shows.
fn key_details(scope: &Scope, details: &KeyDetails) -> Value {
    let key = &details.view.key;
    let policy = key.policy_text();
    // Policies are kept as given; shown indented when they are JSON (they always are).
    let policy = serde_json::from_str::<Value>(&policy)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| policy.into_owned());
    // An imported material's state and import state are in its import record.
    let import_of = |id| key.imports().materials.iter().find(|m| m.id == id);
    json!({
        "keyMetadata": KeyMetadata::from(&**key),
        "aliases": details.view.aliases.iter().map(|a| alias_json(scope, a)).collect::<Vec<_>>(),
        "tags": key.tags.iter().map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>(),
        "policy": policy,
        "grants": key.grants.iter().map(|grant| WireGrant::from(crate::kms::grants::GrantEntry {
            key_arn: key.arn.clone(),
            grant: grant.clone(),
        })).collect::<Vec<_>>(),
        "rotation": rotation_json(key),
        "materials": details.versions.iter().map(|v| json!({
            "keyMaterialId": v.id.to_string(),
            "createdDate": v.created.as_epoch_seconds(),
            "keyMaterialState": match import_of(v.id) {
                Some(import) => import.state.as_str(),
                None if v.current => "CURRENT",
                None => "NON_CURRENT",
            },
            "rotationType": v.rotation.map(|r| r.kind.as_str()),
            "rotationDate": v.rotation.map(|r| r.date.as_epoch_seconds()),
            "importState": import_of(v.id).map(|import| if import.imported {
                ImportState::Imported.as_str()
            } else {
                ImportState::PendingImport.as_str()
            }),
        }))
        // Imported material that expired or was deleted has no version left, but is still
        // the key's (waiting to be imported again).
        .chain(key.imports().materials.iter().filter(|m| !m.imported).map(|m| json!({
            "keyMaterialId": m.id.to_string(),
            "createdDate": null,
            "keyMaterialState": m.state.as_str(),
            "rotationType": null,
            "rotationDate": null,
            "importState": ImportState::PendingImport.as_str(),
        })))
        .collect::<Vec<_>>(),
        "lastUsage": details.last_usage.as_ref().map(|u| json!({
            "operation": u.operation.as_str(),
            "timestamp": u.at.as_epoch_seconds(),
            "kmsRequestId": u.request_id,
        })),
        "trackingStartDate": details.tracking_start.as_epoch_seconds(),
    })
}

fn alias_json(scope: &Scope, alias: &Alias) -> Value {
    json!({
        "aliasName": alias.name.as_str(),
        "aliasArn": alias.name.arn(scope),
        "targetKeyId": alias.target.as_str(),
        "creationDate": alias.creation_date.as_epoch_seconds(),
        "lastUpdatedDate": alias.last_updated.as_epoch_seconds(),
    })
}

fn scope_json(scope: &Scope) -> Value {
    json!({ "account": scope.account.as_str(), "region": scope.region.as_str() })
}

/// A query string's parameters; names outside the route's list are refused.
struct Query<'a>(HashMap<&'a str, &'a str>);

impl<'a> Query<'a> {
    fn parse(uri: &'a Uri, known: &[&str]) -> Result<Query<'a>, String> {
        let mut pairs = HashMap::new();
        for pair in uri.query().unwrap_or_default().split('&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !known.contains(&name) {
                return Err(format!(
                    "Unknown query parameter {name:?}: use {}.",
                    known.join(", ")
                ));
            }
            pairs.insert(name, value);
        }
        Ok(Query(pairs))
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).copied()
    }

    /// The `account` and `region` parameters, each defaulting to the server's own.
    fn scope(&self, state: &AdminState) -> Result<Scope, String> {
        let home = state.kms.home();
        let account = match self.get("account").filter(|a| !a.is_empty()) {
            None => home.account.clone(),
            Some(text) => AccountId::parse(text)
                .ok_or_else(|| format!("account must be 12 digits, not {text:?}."))?,
        };
        let region = match self.get("region").filter(|r| !r.is_empty()) {
            None => home.region.clone(),
            Some(text) => {
                Region::parse(text).ok_or_else(|| format!("{text:?} is not a region name."))?
            }
        };
        Ok(Scope { account, region })
    }
}
