//! Custom key stores (emulated): the record of an AWS CloudHSM key store or an external key
//! store. There is no HSM or proxy behind them; kmsd holds their keys' material itself.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Seconds a store is `CONNECTING` after ConnectCustomKeyStore, and `DISCONNECTING` after
/// DisconnectCustomKeyStore, on kmsd's clock.
pub const KEY_STORE_SETTLE_SECONDS: u64 = 5;

/// A custom key store's id: `cks-` and 17 hex digits.
pub fn is_key_store_id(id: &str) -> bool {
    id.strip_prefix("cks-")
        .is_some_and(|hex| hex.len() == 17 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One custom key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomKeyStore {
    /// `cks-` and 17 hex digits.
    pub id: String,
    /// The friendly name, unique in its account and region.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// What backs it.
    pub kind: KeyStoreKind,
    /// The connection as last requested.
    pub connection: Connection,
}

/// The type of a custom key store and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStoreKind {
    /// `AWS_CLOUDHSM`.
    CloudHsm {
        /// `CloudHsmClusterId`.
        cluster_id: String,
        /// `TrustAnchorCertificate`.
        trust_anchor: String,
        /// `KeyStorePassword` (of the `kmsuser` crypto user); never shown.
        password: String,
    },
    /// `EXTERNAL_KEY_STORE`.
    External(XksProxy),
}

/// An external key store's proxy settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XksProxy {
    /// `XksProxyUriEndpoint`.
    pub uri_endpoint: String,
    /// `XksProxyUriPath`.
    pub uri_path: String,
    /// `XksProxyVpcEndpointServiceName`, for `VPC_ENDPOINT_SERVICE`.
    pub vpc_endpoint_service_name: Option<String>,
    /// Whether it is reached through a VPC endpoint service (else a public endpoint).
    pub vpc: bool,
    /// The authentication credential's access key id.
    pub access_key_id: String,
    /// The authentication credential's secret; never shown.
    pub secret_access_key: String,
}

/// The connection as last requested, with when: the wire's `ConnectionState` follows from it
/// and the clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Connection {
    /// Never connected, or disconnected at this time (`DISCONNECTING` for a while after).
    Disconnected(Option<Timestamp>),
    /// Connected at this time (`CONNECTING` for a while after).
    Connected(Timestamp),
    /// Connecting failed with this `ConnectionErrorCode`.
    Failed(String),
}

/// The wire's `ConnectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// `CONNECTED`.
    Connected,
    /// `CONNECTING`.
    Connecting,
    /// `DISCONNECTED`.
    Disconnected,
    /// `DISCONNECTING`.
    Disconnecting,
    /// `FAILED`.
    Failed,
}

impl ConnectionState {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Connected => "CONNECTED",
            ConnectionState::Connecting => "CONNECTING",
            ConnectionState::Disconnected => "DISCONNECTED",
            ConnectionState::Disconnecting => "DISCONNECTING",
            ConnectionState::Failed => "FAILED",
        }
    }
}

impl CustomKeyStore {
    /// The connection state at `now`.
    pub fn state(&self, now: Timestamp) -> ConnectionState {
        let settled = |at: Timestamp| now.0 >= at.0 + KEY_STORE_SETTLE_SECONDS * 1000;
        match self.connection {
            Connection::Disconnected(None) => ConnectionState::Disconnected,
            Connection::Disconnected(Some(at)) if settled(at) => ConnectionState::Disconnected,
            Connection::Disconnected(Some(_)) => ConnectionState::Disconnecting,
            Connection::Connected(at) if settled(at) => ConnectionState::Connected,
            Connection::Connected(_) => ConnectionState::Connecting,
            Connection::Failed(_) => ConnectionState::Failed,
        }
    }

    /// `CUSTOM_KEY_STORE_TYPE`'s wire spelling.
    pub fn type_str(&self) -> &'static str {
        match self.kind {
            KeyStoreKind::CloudHsm { .. } => "AWS_CLOUDHSM",
            KeyStoreKind::External(_) => "EXTERNAL_KEY_STORE",
        }
    }
}
