//! Custom key stores (emulated): the record of an AWS CloudHSM key store or an external key
//! store, and its connection state on the clock. There is no HSM or proxy behind them; kmsd
//! holds their keys' material itself. No storage format here; see `store/records.rs`.

use super::Timestamp;
use std::fmt;

use super::enums::{AwsEnum, aws_enum};

/// Seconds a store is `CONNECTING` after ConnectCustomKeyStore, and `DISCONNECTING` after
/// DisconnectCustomKeyStore, on kmsd's clock.
pub const KEY_STORE_SETTLE_SECONDS: u64 = 5;

/// A custom key store's id: `cks-` and 17 hex digits.
pub fn is_key_store_id(id: &str) -> bool {
    id.strip_prefix("cks-")
        .is_some_and(|hex| hex.len() == 17 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

aws_enum! {
    /// `CustomKeyStoreType`.
    CustomKeyStoreType {
        /// Backed by an AWS CloudHSM cluster.
        AwsCloudhsm = "AWS_CLOUDHSM",
        /// Backed by an external key manager through an XKS proxy.
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}

aws_enum! {
    /// `XksProxyConnectivityType`.
    XksProxyConnectivity {
        /// A public endpoint.
        PublicEndpoint = "PUBLIC_ENDPOINT",
        /// An Amazon VPC endpoint service.
        VpcEndpointService = "VPC_ENDPOINT_SERVICE",
    }
}

aws_enum! {
    /// `ConnectionErrorCodeType`: why a store is `FAILED`.
    ConnectionErrorCode {
        /// `INVALID_CREDENTIALS`.
        InvalidCredentials = "INVALID_CREDENTIALS",
        /// `CLUSTER_NOT_FOUND`.
        ClusterNotFound = "CLUSTER_NOT_FOUND",
        /// `NETWORK_ERRORS`.
        NetworkErrors = "NETWORK_ERRORS",
        /// `INTERNAL_ERROR`.
        InternalError = "INTERNAL_ERROR",
        /// `INSUFFICIENT_CLOUDHSM_HSMS`.
        InsufficientCloudhsmHsms = "INSUFFICIENT_CLOUDHSM_HSMS",
        /// `USER_LOCKED_OUT`.
        UserLockedOut = "USER_LOCKED_OUT",
        /// `USER_NOT_FOUND`.
        UserNotFound = "USER_NOT_FOUND",
        /// `USER_LOGGED_IN`.
        UserLoggedIn = "USER_LOGGED_IN",
        /// `SUBNET_NOT_FOUND`.
        SubnetNotFound = "SUBNET_NOT_FOUND",
        /// `INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET`.
        InsufficientFreeAddressesInSubnet = "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET",
        /// `XKS_PROXY_ACCESS_DENIED`.
        XksProxyAccessDenied = "XKS_PROXY_ACCESS_DENIED",
        /// `XKS_PROXY_NOT_REACHABLE`.
        XksProxyNotReachable = "XKS_PROXY_NOT_REACHABLE",
        /// `XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND`.
        XksVpcEndpointServiceNotFound = "XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND",
        /// `XKS_PROXY_INVALID_RESPONSE`.
        XksProxyInvalidResponse = "XKS_PROXY_INVALID_RESPONSE",
        /// `XKS_PROXY_INVALID_CONFIGURATION`.
        XksProxyInvalidConfiguration = "XKS_PROXY_INVALID_CONFIGURATION",
        /// `XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION`.
        XksVpcEndpointServiceInvalidConfiguration =
            "XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION",
        /// `XKS_PROXY_TIMED_OUT`.
        XksProxyTimedOut = "XKS_PROXY_TIMED_OUT",
        /// `XKS_PROXY_INVALID_TLS_CONFIGURATION`.
        XksProxyInvalidTlsConfiguration = "XKS_PROXY_INVALID_TLS_CONFIGURATION",
    }
}

/// `cluster-[2-7a-zA-Z]{11,16}`
pub fn is_cluster_id(id: &str) -> bool {
    id.strip_prefix("cluster-").is_some_and(|rest| {
        (11..=16).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_alphabetic() || ('2'..='7').contains(&c))
    })
}

/// `^https://[a-zA-Z0-9.-]+$`
pub fn is_uri_endpoint(endpoint: &str) -> bool {
    endpoint.strip_prefix("https://").is_some_and(|host| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    })
}

/// `^(/[a-zA-Z0-9\/_-]+/kms/xks/v\d{1,2})$|^(/kms/xks/v\d{1,2})$`
pub fn is_uri_path(path: &str) -> bool {
    let Some((prefix, version)) = path.rsplit_once("/kms/xks/v") else {
        return false;
    };
    (prefix.is_empty() || (prefix.len() > 1 && prefix.starts_with('/')))
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
        && (1..=2).contains(&version.len())
        && version.bytes().all(|b| b.is_ascii_digit())
}

/// `^(com|eu)\.amazonaws\.vpce\.([a-z]+-){2,3}\d+\.vpce-svc-[0-9a-z]+$`
pub fn is_vpc_endpoint_service_name(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("com.amazonaws.vpce.")
        .or_else(|| name.strip_prefix("eu.amazonaws.vpce."))
    else {
        return false;
    };
    let Some((region, service)) = rest.split_once(".vpce-svc-") else {
        return false;
    };
    super::is_region_name(region)
        && !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}

impl KeyStoreKind {
    /// Checks every setting against the model's constraints and AWS's rules, as
    /// CreateCustomKeyStore does; the reason names the first setting that fails.
    pub fn check(&self) -> Result<(), String> {
        let length = |member: &str, value: &str, min: usize, max: usize| {
            let n = value.chars().count();
            if (min..=max).contains(&n) {
                Ok(())
            } else {
                Err(format!(
                    "{member} must be {min} to {max} characters long, not {n}"
                ))
            }
        };
        let pattern = |member: &str, ok: bool, pattern: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("{member} must match {pattern}"))
            }
        };
        match self {
            KeyStoreKind::CloudHsm {
                cluster_id,
                trust_anchor,
                password,
            } => {
                pattern(
                    "CloudHsmClusterId",
                    is_cluster_id(cluster_id),
                    "cluster-[2-7a-zA-Z]{11,16}",
                )?;
                length("TrustAnchorCertificate", trust_anchor, 1, 5000)?;
                length("KeyStorePassword", password, 7, 32)?;
            }
            KeyStoreKind::External(proxy) => {
                length("XksProxyUriEndpoint", &proxy.uri_endpoint, 10, 128)?;
                pattern(
                    "XksProxyUriEndpoint",
                    is_uri_endpoint(&proxy.uri_endpoint),
                    "^https://[a-zA-Z0-9.-]+$",
                )?;
                length("XksProxyUriPath", &proxy.uri_path, 10, 128)?;
                pattern(
                    "XksProxyUriPath",
                    is_uri_path(&proxy.uri_path),
                    "/kms/xks/v<1 or 2 digits>, optionally after a /prefix",
                )?;
                let vpc = proxy.connectivity == XksProxyConnectivity::VpcEndpointService;
                match &proxy.vpc_endpoint_service_name {
                    Some(name) => {
                        if !vpc {
                            return Err("XksProxyVpcEndpointServiceName is valid only when \
                                        XksProxyConnectivity is VPC_ENDPOINT_SERVICE"
                                .into());
                        }
                        length("XksProxyVpcEndpointServiceName", name, 20, 64)?;
                        pattern(
                            "XksProxyVpcEndpointServiceName",
                            is_vpc_endpoint_service_name(name),
                            "(com|eu).amazonaws.vpce.<region>.vpce-svc-<id>",
                        )?;
                    }
                    None if vpc => {
                        return Err("XksProxyVpcEndpointServiceName is required when \
                                    XksProxyConnectivity is VPC_ENDPOINT_SERVICE"
                            .into());
                    }
                    None => {}
                }
                if let Some(owner) = &proxy.vpc_endpoint_service_owner {
                    if !vpc {
                        return Err("XksProxyVpcEndpointServiceOwner is valid only when \
                                    XksProxyConnectivity is VPC_ENDPOINT_SERVICE"
                            .into());
                    }
                    pattern(
                        "XksProxyVpcEndpointServiceOwner",
                        owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()),
                        "[0-9]{12}",
                    )?;
                }
                length("AccessKeyId", &proxy.access_key_id, 20, 30)?;
                pattern(
                    "AccessKeyId",
                    proxy
                        .access_key_id
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
                    "^[A-Z2-7]+$",
                )?;
                length("RawSecretAccessKey", &proxy.secret_access_key, 43, 64)?;
                pattern(
                    "RawSecretAccessKey",
                    proxy
                        .secret_access_key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '=')),
                    "^[a-zA-Z0-9/+=]+$",
                )?;
            }
        }
        Ok(())
    }
}

/// One custom key store.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Set through the admin API: the next ConnectCustomKeyStore fails with this code.
    pub fail_next_connect: Option<ConnectionErrorCode>,
}

/// The type of a custom key store and its settings. `Debug` leaves the password out.
#[derive(Clone, PartialEq, Eq)]
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

/// An external key store's proxy settings. `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct XksProxy {
    /// `XksProxyUriEndpoint`.
    pub uri_endpoint: String,
    /// `XksProxyUriPath`.
    pub uri_path: String,
    /// `XksProxyConnectivity`.
    pub connectivity: XksProxyConnectivity,
    /// `XksProxyVpcEndpointServiceName`, for `VPC_ENDPOINT_SERVICE`.
    pub vpc_endpoint_service_name: Option<String>,
    /// `XksProxyVpcEndpointServiceOwner`, for a VPC endpoint service of another account.
    pub vpc_endpoint_service_owner: Option<String>,
    /// The authentication credential's access key id.
    pub access_key_id: String,
    /// The authentication credential's secret; never shown.
    pub secret_access_key: String,
}

impl fmt::Debug for KeyStoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyStoreKind::CloudHsm { cluster_id, .. } => f
                .debug_struct("CloudHsm")
                .field("cluster_id", cluster_id)
                .finish_non_exhaustive(),
            KeyStoreKind::External(proxy) => f.debug_tuple("External").field(proxy).finish(),
        }
    }
}

impl fmt::Debug for XksProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XksProxy")
            .field("uri_endpoint", &self.uri_endpoint)
            .field("uri_path", &self.uri_path)
            .field("connectivity", &self.connectivity)
            .field("vpc_endpoint_service_name", &self.vpc_endpoint_service_name)
            .field(
                "vpc_endpoint_service_owner",
                &self.vpc_endpoint_service_owner,
            )
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The connection as last requested, with when: the wire's `ConnectionState` follows from it
/// and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// Never connected, or disconnected at this time (`DISCONNECTING` for a while after).
    Disconnected(Option<Timestamp>),
    /// Connecting began at `since` (`CONNECTING` for a while after), then `CONNECTED`, or
    /// `FAILED` with `failure`.
    Connected {
        /// When ConnectCustomKeyStore was called.
        since: Timestamp,
        /// Why the connection fails, when it does.
        failure: Option<ConnectionErrorCode>,
    },
}

aws_enum! {
    /// `ConnectionStateType`.
    ConnectionState {
        /// Connected: its keys work.
        Connected = "CONNECTED",
        /// Connecting, for a few seconds of the clock.
        Connecting = "CONNECTING",
        /// Connecting failed; see the `ConnectionErrorCode`.
        Failed = "FAILED",
        /// Disconnected: its keys are `Unavailable`.
        Disconnected = "DISCONNECTED",
        /// Disconnecting, for a few seconds of the clock.
        Disconnecting = "DISCONNECTING",
    }
}

impl Connection {
    /// When a connection begun at `since` settles (`CONNECTED` or `FAILED`).
    pub fn settles_at(since: Timestamp) -> Timestamp {
        Timestamp(since.0 + KEY_STORE_SETTLE_SECONDS * 1000)
    }
}

impl CustomKeyStore {
    /// The connection state at `now`.
    pub fn state(&self, now: Timestamp) -> ConnectionState {
        let settled = |at: Timestamp| now >= Connection::settles_at(at);
        match self.connection {
            Connection::Disconnected(None) => ConnectionState::Disconnected,
            Connection::Disconnected(Some(at)) if settled(at) => ConnectionState::Disconnected,
            Connection::Disconnected(Some(_)) => ConnectionState::Disconnecting,
            Connection::Connected { since, .. } if !settled(since) => ConnectionState::Connecting,
            Connection::Connected { failure: None, .. } => ConnectionState::Connected,
            Connection::Connected {
                failure: Some(_), ..
            } => ConnectionState::Failed,
        }
    }

    /// The `ConnectionErrorCode` at `now`: only while `FAILED`, as AWS shows it.
    pub fn connection_error(&self, now: Timestamp) -> Option<ConnectionErrorCode> {
        match self.connection {
            Connection::Connected { failure, .. } if self.state(now) == ConnectionState::Failed => {
                failure
            }
            _ => None,
        }
    }

    /// Its `CustomKeyStoreType`.
    pub fn store_type(&self) -> CustomKeyStoreType {
        match self.kind {
            KeyStoreKind::CloudHsm { .. } => CustomKeyStoreType::AwsCloudhsm,
            KeyStoreKind::External(_) => CustomKeyStoreType::ExternalKeyStore,
        }
    }
}

/// Where a KMS key in a custom key store keeps its material, as AWS shows it, and whether its
/// store lets it be used. kmsd holds the material itself, as for any other key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStoreLink {
    /// `CustomKeyStoreId`.
    pub store_id: String,
    /// The cluster or the external key behind it.
    pub backing: KeyBacking,
    /// Set while its store is not connected: the key shows `Unavailable` (unless it is
    /// pending deletion) and refuses cryptographic operations.
    pub unavailable: bool,
    /// When an unavailable key becomes usable again: the end of its store's `CONNECTING`.
    pub available_at: Option<Timestamp>,
}

/// What backs a key in a custom key store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyBacking {
    /// `CloudHsmClusterId`, for `Origin` `AWS_CLOUDHSM`.
    CloudHsmCluster(String),
    /// `XksKeyConfiguration.Id`, for `Origin` `EXTERNAL_KEY_STORE`.
    XksKey(String),
}

impl super::Key {
    /// The key state AWS shows: `Unavailable` for an enabled or disabled key whose custom key
    /// store is disconnected, else the key's own state.
    pub fn visible_state(&self) -> super::KeyState {
        use super::KeyState;
        match (&self.custom_key_store, self.state) {
            (Some(link), KeyState::Enabled | KeyState::Disabled) if link.unavailable => {
                KeyState::Unavailable
            }
            (_, state) => state,
        }
    }

    /// Whether it lives in the custom key store `id`.
    pub fn is_in_key_store(&self, id: &str) -> bool {
        self.custom_key_store
            .as_ref()
            .is_some_and(|link| link.store_id == id)
    }
}
