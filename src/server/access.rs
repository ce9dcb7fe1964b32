//! Who may use kmsd, from where: the `Host` rule every request passes, so that a page that
//! rebinds its own DNS name to kmsd's address cannot reach it, and the admin API's rules
//! (same-origin requests only, JSON bodies only, and the bearer token of `--admin-token`).
//! These are HTTP rules; nothing here knows KMS.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

/// Suffixes under which no one can register a name in public DNS, so no attacker can point
/// one at kmsd: `.localhost` (RFC 6761), `.local` (mDNS, and Kubernetes' `svc.cluster.local`),
/// `.internal` (reserved for private use; Docker's `host.docker.internal`) and `.home.arpa`
/// (RFC 8375).
const PRIVATE_SUFFIXES: [&str; 4] = [".localhost", ".local", ".internal", ".home.arpa"];

/// The `Host` names kmsd answers: IP literals, `localhost`, single-label names (how containers
/// call each other: `kms`, `localstack`), names under `.localhost`, `.local`, `.internal` and
/// `.home.arpa`, and the names of `--allowed-hosts`. `*` there turns the check off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    any: bool,
    /// Extra names, lowercase, without a trailing dot.
    names: Vec<String>,
}

/// Why a request was refused: the one-line reason a client sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal(pub(crate) String);

/// The token of `--admin-token`. Only its SHA-256 digest is kept, and `Debug` never shows it.
#[derive(Clone)]
pub struct AdminToken {
    digest: Arc<[u8; 32]>,
}

impl AllowedHosts {
    /// The built-in names and those of a comma-separated list (`--allowed-hosts`); a `*` in
    /// the list allows every name.
    pub fn parse(list: &str) -> AllowedHosts {
        let mut allowed = AllowedHosts::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "*" {
                allowed.any = true;
            } else {
                allowed
                    .names
                    .push(normalize(&name.to_ascii_lowercase()).to_owned());
            }
        }
        allowed
    }

    /// Every name, as `--allowed-hosts '*'` does.
    pub fn any() -> AllowedHosts {
        AllowedHosts {
            any: true,
            names: Vec::new(),
        }
    }

    /// Checks a request's `Host` header. A request without one cannot come from a browser
    /// (browsers always send it), so it passes.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        if self.any {
            return Ok(());
        }
        let Some(value) = headers.get(header::HOST) else {
            return Ok(());
        };
        let text = value.to_str().unwrap_or_default();
        if host_name(text).is_some_and(|name| self.allows(name)) {
            return Ok(());
        }
        Err(Refusal(format!(
            "kmsd does not answer requests for Host {text:?}: use localhost, an IP address or a \
             single-label name, or start kmsd with --allowed-hosts (KMS_ALLOWED_HOSTS) naming it."
        )))
    }

    fn allows(&self, name: &str) -> bool {
        if name.parse::<IpAddr>().is_ok() {
            return true;
        }
        let name = name.to_ascii_lowercase();
        let name = normalize(&name);
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return false;
        }
        !name.contains('.')
            || PRIVATE_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
            || self.names.iter().any(|allowed| *allowed == name)
    }
}

/// A name without its trailing dot (`localhost.` is `localhost`).
fn normalize(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// The name (or IP literal) of a `Host` value, without its port: `[::1]:8080` is `::1`,
/// `kms:8080` is `kms`. `None` when it is not of that form.
fn host_name(value: &str) -> Option<&str> {
    let is_port = |port: &str| port.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = value.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return (port_ok && ip.parse::<std::net::Ipv6Addr>().is_ok()).then_some(ip);
    }
    match value.rsplit_once(':') {
        Some((name, port)) if is_port(port) => Some(name),
        Some(_) => None,
        None => Some(value),
    }
}

/// The admin API's rule on `Origin`: none (every client but a browser), or kmsd's own, which
/// is `http://` and the request's `Host`. Browsers send `Origin` with every cross-origin
/// request that can change anything, so a page elsewhere is always refused; kmsd never grants
/// CORS, so none can read an answer either.
pub(crate) fn check_origin(headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let own = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            origin
                .strip_prefix("http://")
                .is_some_and(|o| o.eq_ignore_ascii_case(host))
        });
    if own {
        Ok(())
    } else {
        Err(Refusal(format!(
            "The admin API does not answer requests from other origins ({origin:?})."
        )))
    }
}

/// The admin API's rule on bodies of requests that change state: JSON, said so with
/// `Content-Type: application/json`. A request without a body may also come without a type
/// (`curl -X POST`, moto's clients): what a browser sends that way carries an `Origin`.
pub(crate) fn check_json_body(headers: &HeaderMap) -> Result<(), Refusal> {
    let media_type = headers.get(header::CONTENT_TYPE).map(|value| {
        value
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|n| n.trim() != "0");
    match media_type.as_deref() {
        Some("application/json") => Ok(()),
        None if !has_body => Ok(()),
        Some(other) => Err(Refusal(format!(
            "Admin requests that change state take Content-Type: application/json, not {other:?}."
        ))),
        None => Err(Refusal(
            "Admin requests that change state take Content-Type: application/json.".into(),
        )),
    }
}

impl AdminToken {
    /// The token, or `None` when it is empty (an empty `KMS_ADMIN_TOKEN` sets none).
    pub fn new(token: &str) -> Option<AdminToken> {
        (!token.is_empty()).then(|| AdminToken {
            digest: Arc::new(Sha256::digest(token.as_bytes()).into()),
        })
    }

    /// Whether `Authorization: Bearer <token>` names this token, or `Basic` credentials with
    /// it as the password (any user name): what a browser sends for the console once its user
    /// typed the token into the browser's prompt. Digests are compared, so the comparison's
    /// time tells nothing about the token.
    pub(crate) fn accepts(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some((scheme, credentials)) = authorization
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
        else {
            return false;
        };
        // The scheme's name is case-insensitive (RFC 9110, section 11.1).
        let given = if scheme.eq_ignore_ascii_case("bearer") {
            credentials.trim().as_bytes().to_vec()
        } else if scheme.eq_ignore_ascii_case("basic") {
            // RFC 7617: base64 of `user-id:password`; the user id holds no colon.
            let Ok(decoded) = B64.decode(credentials.trim()) else {
                return false;
            };
            let Some(colon) = decoded.iter().position(|b| *b == b':') else {
                return false;
            };
            decoded[colon + 1..].to_vec()
        } else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(&given).into();
        digest == *self.digest
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

#[cfg(test)]
mod tests;
