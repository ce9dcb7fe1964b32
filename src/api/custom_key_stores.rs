//! Wire adapters for the six custom key store operations (emulated: records and their
//! connection state machine; there is no HSM or proxy behind them).

use serde::{Deserialize, Serialize};

use super::wire::{EnumMember, EpochSeconds, Validator, known, limit};
use super::{ApiError, Empty, Handler};
use crate::kms::custom_key_stores::{
    CreateKeyStoreInput, DescribeKeyStoresInput, UpdateKeyStoreInput,
};
use crate::kms::{Context, Kms, Paging};
use crate::model::{
    CustomKeyStore, CustomKeyStoreType, KeyStoreKind, Timestamp, XksProxy, XksProxyConnectivity,
    is_cluster_id, is_uri_endpoint, is_uri_path, is_vpc_endpoint_service_name,
};

/// `XksProxyAuthenticationCredential`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct XksCredential {
    access_key_id: Option<String>,
    raw_secret_access_key: Option<String>,
}

/// The settings CreateCustomKeyStore and UpdateCustomKeyStore share.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Settings {
    cloud_hsm_cluster_id: Option<String>,
    key_store_password: Option<String>,
    xks_proxy_uri_endpoint: Option<String>,
    xks_proxy_uri_path: Option<String>,
    xks_proxy_vpc_endpoint_service_name: Option<String>,
    xks_proxy_vpc_endpoint_service_owner: Option<String>,
    xks_proxy_authentication_credential: Option<XksCredential>,
    xks_proxy_connectivity: Option<EnumMember<XksProxyConnectivity>>,
}

/// A member that must match `pattern` as a whole, which `matches` decides.
fn whole_pattern(
    v: &mut Validator,
    member: &str,
    value: Option<&str>,
    pattern: &str,
    matches: fn(&str) -> bool,
) {
    if let Some(text) = value
        && !matches(text)
    {
        v.pattern(member, Some(text), pattern, |_| false);
    }
}

impl Settings {
    /// Checks the model's constraints of every setting given.
    fn validate(&self, v: &mut Validator) {
        v.string(
            "cloudHsmClusterId",
            self.cloud_hsm_cluster_id.as_deref(),
            19,
            24,
            false,
        );
        whole_pattern(
            v,
            "cloudHsmClusterId",
            self.cloud_hsm_cluster_id.as_deref(),
            "cluster-[2-7a-zA-Z]{11,16}",
            is_cluster_id,
        );
        v.string(
            "keyStorePassword",
            self.key_store_password.as_deref(),
            7,
            32,
            false,
        );
        let endpoint = self.xks_proxy_uri_endpoint.as_deref();
        v.string("xksProxyUriEndpoint", endpoint, 10, 128, false);
        if let Some(e) = endpoint
            && !is_uri_endpoint(e)
        {
            v.pattern(
                "xksProxyUriEndpoint",
                Some(e),
                "^https://[a-zA-Z0-9.-]+$",
                |_| false,
            );
        }
        let path = self.xks_proxy_uri_path.as_deref();
        v.string("xksProxyUriPath", path, 10, 128, false);
        if let Some(p) = path
            && !is_uri_path(p)
        {
            v.pattern(
                "xksProxyUriPath",
                Some(p),
                "^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$",
                |_| false,
            );
        }
        v.string(
            "xksProxyVpcEndpointServiceName",
            self.xks_proxy_vpc_endpoint_service_name.as_deref(),
            20,
            64,
            false,
        );
        whole_pattern(
            v,
            "xksProxyVpcEndpointServiceName",
            self.xks_proxy_vpc_endpoint_service_name.as_deref(),
            "^(com|eu)\\.amazonaws\\.vpce\\.([a-z]+-){2,3}\\d+\\.vpce-svc-[0-9a-z]+$",
            is_vpc_endpoint_service_name,
        );
        let owner = self.xks_proxy_vpc_endpoint_service_owner.as_deref();
        v.string("xksProxyVpcEndpointServiceOwner", owner, 12, 12, false);
        v.pattern("xksProxyVpcEndpointServiceOwner", owner, "[0-9]{12}", |c| {
            c.is_ascii_digit()
        });
        if let Some(c) = &self.xks_proxy_authentication_credential {
            let id = c.access_key_id.as_deref();
            v.string(
                "xksProxyAuthenticationCredential.accessKeyId",
                id,
                20,
                30,
                true,
            );
            v.pattern(
                "xksProxyAuthenticationCredential.accessKeyId",
                id,
                "^[A-Z2-7]+$",
                |c| c.is_ascii_uppercase() || ('2'..='7').contains(&c),
            );
            let secret = c.raw_secret_access_key.as_deref();
            v.string(
                "xksProxyAuthenticationCredential.rawSecretAccessKey",
                secret,
                43,
                64,
                true,
            );
            v.pattern(
                "xksProxyAuthenticationCredential.rawSecretAccessKey",
                secret,
                "^[a-zA-Z0-9\\/+=]+$",
                |c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '='),
            );
        }
        v.enumeration(
            "xksProxyConnectivity",
            self.xks_proxy_connectivity.as_ref(),
            false,
        );
    }

    fn credential(&self) -> Option<(String, String)> {
        let c = self.xks_proxy_authentication_credential.as_ref()?;
        Some((c.access_key_id.clone()?, c.raw_secret_access_key.clone()?))
    }

    fn connectivity(&self) -> Option<XksProxyConnectivity> {
        known(self.xks_proxy_connectivity.as_ref())
    }

    fn has_xks(&self) -> bool {
        self.xks_proxy_uri_endpoint.is_some()
            || self.xks_proxy_uri_path.is_some()
            || self.xks_proxy_vpc_endpoint_service_name.is_some()
            || self.xks_proxy_vpc_endpoint_service_owner.is_some()
            || self.xks_proxy_authentication_credential.is_some()
            || self.xks_proxy_connectivity.is_some()
    }

    fn has_hsm(&self) -> bool {
        self.cloud_hsm_cluster_id.is_some() || self.key_store_password.is_some()
    }
}

fn missing(member: &str, store_type: CustomKeyStoreType) -> ApiError {
    ApiError::new(
        super::ErrorCode::Validation,
        format!("{member} is required for a custom key store of type {store_type}."),
    )
}

fn not_allowed(member: &str, store_type: CustomKeyStoreType) -> ApiError {
    ApiError::new(
        super::ErrorCode::Validation,
        format!("{member} is not valid for a custom key store of type {store_type}."),
    )
}

/// CreateCustomKeyStore.
pub(crate) struct CreateCustomKeyStore;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateCustomKeyStoreRequest {
    custom_key_store_name: Option<String>,
    trust_anchor_certificate: Option<String>,
    custom_key_store_type: Option<EnumMember<CustomKeyStoreType>>,
    #[serde(flatten)]
    settings: Settings,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateCustomKeyStoreResponse {
    custom_key_store_id: String,
}

impl Handler for CreateCustomKeyStore {
    type Request = CreateCustomKeyStoreRequest;
    type Input = CreateKeyStoreInput;
    type Response = CreateCustomKeyStoreResponse;

    fn parse(r: CreateCustomKeyStoreRequest, v: &mut Validator) -> Option<CreateKeyStoreInput> {
        v.string(
            "customKeyStoreName",
            r.custom_key_store_name.as_deref(),
            1,
            256,
            true,
        );
        v.string(
            "trustAnchorCertificate",
            r.trust_anchor_certificate.as_deref(),
            1,
            5000,
            false,
        );
        v.enumeration(
            "customKeyStoreType",
            r.custom_key_store_type.as_ref(),
            false,
        );
        let store_type = match &r.custom_key_store_type {
            None => CustomKeyStoreType::AwsCloudhsm,
            Some(member) => member.value()?,
        };
        let s = &r.settings;
        s.validate(v);
        let name = r.custom_key_store_name.clone()?;
        let kind = if store_type == CustomKeyStoreType::ExternalKeyStore {
            if s.has_hsm() || r.trust_anchor_certificate.is_some() {
                v.reject(not_allowed(
                    "CloudHsmClusterId, TrustAnchorCertificate or KeyStorePassword",
                    store_type,
                ));
            }
            let connectivity = s.connectivity();
            let vpc = connectivity == Some(XksProxyConnectivity::VpcEndpointService);
            for (member, present) in [
                ("XksProxyUriEndpoint", s.xks_proxy_uri_endpoint.is_some()),
                ("XksProxyUriPath", s.xks_proxy_uri_path.is_some()),
                (
                    "XksProxyAuthenticationCredential",
                    s.xks_proxy_authentication_credential.is_some(),
                ),
                ("XksProxyConnectivity", s.xks_proxy_connectivity.is_some()),
            ] {
                if !present {
                    v.reject(missing(member, store_type));
                }
            }
            if vpc && s.xks_proxy_vpc_endpoint_service_name.is_none() {
                v.reject(missing("XksProxyVpcEndpointServiceName", store_type));
            }
            if !vpc
                && (s.xks_proxy_vpc_endpoint_service_name.is_some()
                    || s.xks_proxy_vpc_endpoint_service_owner.is_some())
            {
                v.reject(crate::kms::custom_key_stores::vpc_only());
            }
            let (access_key_id, secret_access_key) = s.credential()?;
            KeyStoreKind::External(XksProxy {
                uri_endpoint: s.xks_proxy_uri_endpoint.clone()?,
                uri_path: s.xks_proxy_uri_path.clone()?,
                connectivity: connectivity?,
                vpc_endpoint_service_name: s.xks_proxy_vpc_endpoint_service_name.clone(),
                vpc_endpoint_service_owner: s.xks_proxy_vpc_endpoint_service_owner.clone(),
                access_key_id,
                secret_access_key,
            })
        } else {
            if s.has_xks() {
                v.reject(not_allowed("XksProxy settings", store_type));
            }
            for (member, present) in [
                ("CloudHsmClusterId", s.cloud_hsm_cluster_id.is_some()),
                (
                    "TrustAnchorCertificate",
                    r.trust_anchor_certificate.is_some(),
                ),
                ("KeyStorePassword", s.key_store_password.is_some()),
            ] {
                if !present {
                    v.reject(missing(member, store_type));
                }
            }
            KeyStoreKind::CloudHsm {
                cluster_id: s.cloud_hsm_cluster_id.clone()?,
                trust_anchor: r.trust_anchor_certificate.clone()?,
                password: s.key_store_password.clone()?,
            }
        };
        Some(CreateKeyStoreInput { name, kind })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: CreateKeyStoreInput,
    ) -> Result<CreateCustomKeyStoreResponse, ApiError> {
        Ok(CreateCustomKeyStoreResponse {
            custom_key_store_id: kms.create_custom_key_store(cx, input)?,
        })
    }
}

/// DescribeCustomKeyStores.
pub(crate) struct DescribeCustomKeyStores;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeCustomKeyStoresRequest {
    custom_key_store_id: Option<String>,
    custom_key_store_name: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeCustomKeyStoresResponse {
    custom_key_stores: Vec<CustomKeyStoresListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

/// A `CustomKeyStoresListEntry`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CustomKeyStoresListEntry {
    custom_key_store_id: String,
    custom_key_store_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_hsm_cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trust_anchor_certificate: Option<String>,
    connection_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_error_code: Option<&'static str>,
    creation_date: EpochSeconds,
    custom_key_store_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_proxy_configuration: Option<XksProxyConfiguration>,
}

/// An `XksProxyConfigurationType` (without the secret).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct XksProxyConfiguration {
    connectivity: &'static str,
    access_key_id: String,
    uri_endpoint: String,
    uri_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    vpc_endpoint_service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vpc_endpoint_service_owner: Option<String>,
}

impl CustomKeyStoresListEntry {
    fn new(store: CustomKeyStore, now: Timestamp) -> CustomKeyStoresListEntry {
        let state = store.state(now);
        let error_code = store.connection_error(now).map(|c| c.as_str());
        let store_type = store.store_type().as_str();
        let (cluster, anchor, proxy) = match store.kind {
            KeyStoreKind::CloudHsm {
                cluster_id,
                trust_anchor,
                ..
            } => (Some(cluster_id), Some(trust_anchor), None),
            KeyStoreKind::External(p) => (
                None,
                None,
                Some(XksProxyConfiguration {
                    connectivity: p.connectivity.as_str(),
                    access_key_id: p.access_key_id,
                    uri_endpoint: p.uri_endpoint,
                    uri_path: p.uri_path,
                    vpc_endpoint_service_name: p.vpc_endpoint_service_name,
                    vpc_endpoint_service_owner: p.vpc_endpoint_service_owner,
                }),
            ),
        };
        CustomKeyStoresListEntry {
            custom_key_store_id: store.id,
            custom_key_store_name: store.name,
            cloud_hsm_cluster_id: cluster,
            trust_anchor_certificate: anchor,
            connection_state: state.as_str(),
            connection_error_code: error_code,
            creation_date: store.created.into(),
            custom_key_store_type: store_type,
            xks_proxy_configuration: proxy,
        }
    }
}

impl Handler for DescribeCustomKeyStores {
    type Request = DescribeCustomKeyStoresRequest;
    type Input = DescribeKeyStoresInput;
    type Response = DescribeCustomKeyStoresResponse;

    fn parse(
        r: DescribeCustomKeyStoresRequest,
        v: &mut Validator,
    ) -> Option<DescribeKeyStoresInput> {
        v.string(
            "customKeyStoreId",
            r.custom_key_store_id.as_deref(),
            1,
            64,
            false,
        );
        v.string(
            "customKeyStoreName",
            r.custom_key_store_name.as_deref(),
            1,
            256,
            false,
        );
        v.paging(r.limit, r.marker.as_deref());
        if r.custom_key_store_id.is_some() && r.custom_key_store_name.is_some() {
            v.reject(ApiError::new(
                super::ErrorCode::Validation,
                "Specify either CustomKeyStoreId or CustomKeyStoreName, not both.",
            ));
        }
        Some(DescribeKeyStoresInput {
            id: r.custom_key_store_id,
            name: r.custom_key_store_name,
            paging: Some(Paging {
                limit: limit(r.limit, 1000),
                marker: r.marker,
            }),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: DescribeKeyStoresInput,
    ) -> Result<DescribeCustomKeyStoresResponse, ApiError> {
        let page = kms.describe_custom_key_stores(cx, input)?;
        let now = kms.clock().now();
        Ok(DescribeCustomKeyStoresResponse {
            custom_key_stores: page
                .items
                .into_iter()
                .map(|s| CustomKeyStoresListEntry::new(s, now))
                .collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        })
    }
}

/// UpdateCustomKeyStore.
pub(crate) struct UpdateCustomKeyStore;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateCustomKeyStoreRequest {
    custom_key_store_id: Option<String>,
    new_custom_key_store_name: Option<String>,
    #[serde(flatten)]
    settings: Settings,
}

impl Handler for UpdateCustomKeyStore {
    type Request = UpdateCustomKeyStoreRequest;
    type Input = UpdateKeyStoreInput;
    type Response = Empty;

    fn parse(r: UpdateCustomKeyStoreRequest, v: &mut Validator) -> Option<UpdateKeyStoreInput> {
        v.string(
            "customKeyStoreId",
            r.custom_key_store_id.as_deref(),
            1,
            64,
            true,
        );
        v.string(
            "newCustomKeyStoreName",
            r.new_custom_key_store_name.as_deref(),
            1,
            256,
            false,
        );
        let s = r.settings;
        s.validate(v);
        Some(UpdateKeyStoreInput {
            id: r.custom_key_store_id?,
            new_name: r.new_custom_key_store_name,
            credential: s.credential(),
            connectivity: s.connectivity(),
            vpc_endpoint_service_owner: s.xks_proxy_vpc_endpoint_service_owner,
            password: s.key_store_password,
            cluster_id: s.cloud_hsm_cluster_id,
            uri_endpoint: s.xks_proxy_uri_endpoint,
            uri_path: s.xks_proxy_uri_path,
            vpc_endpoint_service_name: s.xks_proxy_vpc_endpoint_service_name,
        })
    }

    fn handle(kms: &Kms, cx: &mut Context, input: UpdateKeyStoreInput) -> Result<Empty, ApiError> {
        kms.update_custom_key_store(cx, input)?;
        Ok(Empty {})
    }
}

/// The request of DeleteCustomKeyStore, ConnectCustomKeyStore and DisconnectCustomKeyStore.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyStoreIdRequest {
    custom_key_store_id: Option<String>,
}

fn parse_id(r: KeyStoreIdRequest, v: &mut Validator) -> Option<String> {
    v.string(
        "customKeyStoreId",
        r.custom_key_store_id.as_deref(),
        1,
        64,
        true,
    );
    r.custom_key_store_id
}

/// Declares an operation that takes only `CustomKeyStoreId` and answers nothing.
macro_rules! by_id {
    ($($(#[$doc:meta])* $op:ident => $method:ident,)+) => {$(
        $(#[$doc])*
        pub(crate) struct $op;

        impl Handler for $op {
            type Request = KeyStoreIdRequest;
            type Input = String;
            type Response = Empty;

            fn parse(r: KeyStoreIdRequest, v: &mut Validator) -> Option<String> {
                parse_id(r, v)
            }

            fn handle(kms: &Kms, cx: &mut Context, id: String) -> Result<Empty, ApiError> {
                kms.$method(cx, &id)?;
                Ok(Empty {})
            }
        }
    )+};
}

by_id! {
    /// DeleteCustomKeyStore.
    DeleteCustomKeyStore => delete_custom_key_store,
    /// ConnectCustomKeyStore.
    ConnectCustomKeyStore => connect_custom_key_store,
    /// DisconnectCustomKeyStore.
    DisconnectCustomKeyStore => disconnect_custom_key_store,
}
