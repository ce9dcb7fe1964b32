//! Custom key stores, emulated: CreateCustomKeyStore, DescribeCustomKeyStores,
//! UpdateCustomKeyStore, DeleteCustomKeyStore, ConnectCustomKeyStore and
//! DisconnectCustomKeyStore. There is no HSM or proxy: a store is a record with AWS's
//! connection state machine on kmsd's clock, and kmsd holds its keys' material itself.

use super::{Context, Error, Kms, Page, Paging, Result, paginate};
use crate::kms::KeyStoreError as K;
use crate::model::{Connection, ConnectionState, CustomKeyStore, KeyStoreKind, XksProxy};

/// The most custom key stores an account may have in a region (AWS's quota).
pub const MAX_KEY_STORES: usize = 10;

/// CreateCustomKeyStore's input.
#[derive(Debug)]
pub struct CreateKeyStoreInput {
    /// `CustomKeyStoreName`.
    pub name: String,
    /// The type and its settings.
    pub kind: KeyStoreKind,
}

/// Which stores DescribeCustomKeyStores lists.
#[derive(Debug, Default)]
pub struct DescribeKeyStoresInput {
    /// `CustomKeyStoreId`.
    pub id: Option<String>,
    /// `CustomKeyStoreName`.
    pub name: Option<String>,
    /// `Limit` and `Marker`.
    pub paging: Option<Paging>,
}

/// UpdateCustomKeyStore's input: the settings to change.
#[derive(Debug, Default)]
pub struct UpdateKeyStoreInput {
    /// `CustomKeyStoreId`.
    pub id: String,
    /// `NewCustomKeyStoreName`.
    pub new_name: Option<String>,
    /// `KeyStorePassword`.
    pub password: Option<String>,
    /// `CloudHsmClusterId`.
    pub cluster_id: Option<String>,
    /// `XksProxyUriEndpoint`.
    pub uri_endpoint: Option<String>,
    /// `XksProxyUriPath`.
    pub uri_path: Option<String>,
    /// `XksProxyVpcEndpointServiceName`.
    pub vpc_endpoint_service_name: Option<String>,
    /// `XksProxyAuthenticationCredential` (access key id, secret).
    pub credential: Option<(String, String)>,
    /// `XksProxyConnectivity` (true for `VPC_ENDPOINT_SERVICE`).
    pub vpc: Option<bool>,
}

fn not_found(id: &str) -> Error {
    Error::KeyStore(
        K::NotFound,
        format!("Custom key store with ID '{id}' does not exist."),
    )
}

fn invalid_state(store: &CustomKeyStore, state: ConnectionState, operation: &str) -> Error {
    Error::KeyStore(
        K::InvalidState,
        format!(
            "{operation} is not valid for custom key store {} in connection state {}.",
            store.id,
            state.as_str()
        ),
    )
}

/// The rules that tie a store's settings to the other stores of its account and region:
/// unique name, cluster, proxy URI, VPC endpoint service.
fn check_unique<'a>(
    others: impl Iterator<Item = &'a CustomKeyStore>,
    store: &CustomKeyStore,
) -> Result<()> {
    for other in others.filter(|o| o.id != store.id) {
        if other.name == store.name {
            return Err(Error::KeyStore(
                K::NameInUse,
                format!("Custom key store name '{}' is already in use.", store.name),
            ));
        }
        match (&other.kind, &store.kind) {
            (
                KeyStoreKind::CloudHsm { cluster_id: a, .. },
                KeyStoreKind::CloudHsm { cluster_id: b, .. },
            ) if a == b => {
                return Err(Error::KeyStore(
                    K::ClusterInUse,
                    format!(
                        "CloudHSM cluster '{b}' is already associated with a custom key store."
                    ),
                ));
            }
            (KeyStoreKind::External(a), KeyStoreKind::External(b)) => check_proxy(a, b)?,
            _ => {}
        }
    }
    Ok(())
}

fn check_proxy(other: &XksProxy, new: &XksProxy) -> Result<()> {
    if new.vpc
        && new.vpc_endpoint_service_name.is_some()
        && other.vpc_endpoint_service_name == new.vpc_endpoint_service_name
    {
        return Err(Error::KeyStore(
            K::VpcEndpointServiceInUse,
            "The specified VPC endpoint service is already associated with an external key \
             store in this AWS account and Region."
                .into(),
        ));
    }
    if other.uri_endpoint == new.uri_endpoint {
        if new.vpc || other.vpc {
            return Err(Error::KeyStore(
                K::UriEndpointInUse,
                format!(
                    "The XKS proxy URI endpoint '{}' is already associated with an external key \
                     store in this AWS account and Region.",
                    new.uri_endpoint
                ),
            ));
        }
        if other.uri_path == new.uri_path {
            return Err(Error::KeyStore(
                K::UriInUse,
                format!(
                    "The XKS proxy URI '{}{}' is already associated with an external key store \
                     in this AWS account and Region.",
                    new.uri_endpoint, new.uri_path
                ),
            ));
        }
    }
    Ok(())
}

/// A new store id: `cks-` and 17 hex digits.
fn new_id() -> String {
    let bytes = crate::crypto::random_bytes(9);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("cks-{}", &hex[..17])
}

impl Kms {
    /// CreateCustomKeyStore: a new store, `DISCONNECTED`.
    pub fn create_custom_key_store(
        &self,
        cx: &mut Context,
        input: CreateKeyStoreInput,
    ) -> Result<String> {
        self.authorize_action(cx, None, "CreateCustomKeyStore")?;
        let now = self.clock.now();
        let scope = cx.scope.clone();
        self.mutate(&mut cx.seen, |state, changes| {
            let existing = state.partition(&scope).map(|p| &p.key_stores);
            let count = existing.map_or(0, |s| s.len());
            let store = CustomKeyStore {
                id: new_id(),
                name: input.name,
                created: now,
                kind: input.kind,
                connection: Connection::Disconnected(None),
            };
            check_unique(existing.into_iter().flat_map(|s| s.values()), &store)?;
            if count >= MAX_KEY_STORES {
                return Err(Error::LimitExceeded(format!(
                    "An account can have at most {MAX_KEY_STORES} custom key stores in a Region."
                )));
            }
            let id = store.id.clone();
            changes
                .0
                .push(super::Change::PutKeyStore(scope.clone(), store));
            Ok(id)
        })
    }

    /// DescribeCustomKeyStores: one store by id or name, or a page of all of them.
    pub fn describe_custom_key_stores(
        &self,
        cx: &mut Context,
        input: DescribeKeyStoresInput,
    ) -> Result<Page<CustomKeyStore>> {
        self.authorize_action(cx, None, "DescribeCustomKeyStores")?;
        let state = self.read(cx);
        let stores = state.partition(&cx.scope).map(|p| &p.key_stores);
        if let Some(id) = &input.id {
            let store = stores
                .and_then(|s| s.get(id))
                .ok_or_else(|| not_found(id))?;
            return Ok(Page {
                items: vec![store.clone()],
                next_marker: None,
            });
        }
        if let Some(name) = &input.name {
            let store = stores
                .and_then(|s| s.values().find(|s| &s.name == name))
                .ok_or_else(|| {
                    Error::KeyStore(
                        K::NotFound,
                        format!("Custom key store with name '{name}' does not exist."),
                    )
                })?;
            return Ok(Page {
                items: vec![store.clone()],
                next_marker: None,
            });
        }
        let paging = input.paging.unwrap_or(Paging {
            limit: 1000,
            marker: None,
        });
        if let Some(marker) = &paging.marker
            && !crate::model::is_key_store_id(marker)
        {
            return Err(Error::InvalidMarker(marker.clone()));
        }
        let Some(stores) = stores else {
            return Ok(Page::empty());
        };
        Ok(paginate(
            stores,
            paging.marker.as_ref(),
            paging.limit,
            Clone::clone,
            |_, store| Some(store.clone()),
        ))
    }

    /// The store `id` of the caller's account and region, changed by `change` (which sees its
    /// state now) and stored; or removed when `change` answers `None`.
    fn change_key_store(
        &self,
        cx: &mut Context,
        id: &str,
        change: impl FnOnce(&CustomKeyStore, ConnectionState, bool) -> Result<Option<CustomKeyStore>>,
    ) -> Result<()> {
        let now = self.clock.now();
        let scope = cx.scope.clone();
        self.mutate(&mut cx.seen, |state, changes| {
            let partition = state.partition(&scope).ok_or_else(|| not_found(id))?;
            let store = partition.key_stores.get(id).ok_or_else(|| not_found(id))?;
            // kmsd creates no keys in custom key stores (yet), so none holds any.
            let holds_keys = false;
            match change(store, store.state(now), holds_keys)? {
                Some(changed) => {
                    check_unique(partition.key_stores.values(), &changed)?;
                    changes
                        .0
                        .push(super::Change::PutKeyStore(scope.clone(), changed));
                }
                None => changes
                    .0
                    .push(super::Change::DeleteKeyStore(scope.clone(), id.to_owned())),
            }
            Ok(())
        })
    }

    /// UpdateCustomKeyStore: only a `DISCONNECTED` store changes.
    pub fn update_custom_key_store(
        &self,
        cx: &mut Context,
        input: UpdateKeyStoreInput,
    ) -> Result<()> {
        self.authorize_action(cx, None, "UpdateCustomKeyStore")?;
        let id = input.id.clone();
        self.change_key_store(cx, &id, |store, state, _| {
            if state != ConnectionState::Disconnected {
                return Err(invalid_state(store, state, "UpdateCustomKeyStore"));
            }
            let mut changed = store.clone();
            if let Some(name) = input.new_name {
                changed.name = name;
            }
            let hsm_only = input.password.is_some() || input.cluster_id.is_some();
            let xks_only = input.uri_endpoint.is_some()
                || input.uri_path.is_some()
                || input.vpc_endpoint_service_name.is_some()
                || input.credential.is_some()
                || input.vpc.is_some();
            match &mut changed.kind {
                KeyStoreKind::CloudHsm {
                    cluster_id,
                    password,
                    ..
                } => {
                    if xks_only {
                        return Err(Error::Validation(
                            "XKS proxy settings apply only to an external key store.".into(),
                        ));
                    }
                    if let Some(new) = input.cluster_id {
                        *cluster_id = new;
                    }
                    if let Some(new) = input.password {
                        *password = new;
                    }
                }
                KeyStoreKind::External(proxy) => {
                    if hsm_only {
                        return Err(Error::Validation(
                            "CloudHsmClusterId and KeyStorePassword apply only to an AWS \
                             CloudHSM key store."
                                .into(),
                        ));
                    }
                    if let Some(new) = input.uri_endpoint {
                        proxy.uri_endpoint = new;
                    }
                    if let Some(new) = input.uri_path {
                        proxy.uri_path = new;
                    }
                    if let Some(new) = input.vpc_endpoint_service_name {
                        proxy.vpc_endpoint_service_name = Some(new);
                    }
                    if let Some((access, secret)) = input.credential {
                        proxy.access_key_id = access;
                        proxy.secret_access_key = secret;
                    }
                    if let Some(vpc) = input.vpc {
                        proxy.vpc = vpc;
                        if !vpc {
                            proxy.vpc_endpoint_service_name = None;
                        }
                    }
                    if proxy.vpc && proxy.vpc_endpoint_service_name.is_none() {
                        return Err(Error::Validation(
                            "XksProxyVpcEndpointServiceName is required when \
                             XksProxyConnectivity is VPC_ENDPOINT_SERVICE."
                                .into(),
                        ));
                    }
                }
            }
            Ok(Some(changed))
        })
    }

    /// DeleteCustomKeyStore: only a `DISCONNECTED` store that holds no keys.
    pub fn delete_custom_key_store(&self, cx: &mut Context, id: &str) -> Result<()> {
        self.authorize_action(cx, None, "DeleteCustomKeyStore")?;
        self.change_key_store(cx, id, |store, state, holds_keys| {
            if holds_keys {
                return Err(Error::KeyStore(
                    K::HasKeys,
                    format!(
                        "Custom key store {} contains KMS keys; delete them before deleting the \
                         custom key store.",
                        store.id
                    ),
                ));
            }
            if state != ConnectionState::Disconnected {
                return Err(invalid_state(store, state, "DeleteCustomKeyStore"));
            }
            Ok(None)
        })
    }

    /// ConnectCustomKeyStore: `CONNECTING`, then `CONNECTED` a few seconds later on the clock.
    /// Valid unless the store is `DISCONNECTING` or `FAILED`; a store that is connected (or
    /// connecting) stays as it is.
    pub fn connect_custom_key_store(&self, cx: &mut Context, id: &str) -> Result<()> {
        self.authorize_action(cx, None, "ConnectCustomKeyStore")?;
        let now = self.clock.now();
        self.change_key_store(cx, id, |store, state, _| match state {
            ConnectionState::Disconnecting | ConnectionState::Failed => {
                Err(invalid_state(store, state, "ConnectCustomKeyStore"))
            }
            ConnectionState::Connected | ConnectionState::Connecting => Ok(Some(store.clone())),
            ConnectionState::Disconnected => {
                let mut changed = store.clone();
                changed.connection = Connection::Connected(now);
                Ok(Some(changed))
            }
        })
    }

    /// DisconnectCustomKeyStore: `DISCONNECTING`, then `DISCONNECTED` a few seconds later.
    /// Valid unless the store is `DISCONNECTING` or `DISCONNECTED`.
    pub fn disconnect_custom_key_store(&self, cx: &mut Context, id: &str) -> Result<()> {
        self.authorize_action(cx, None, "DisconnectCustomKeyStore")?;
        let now = self.clock.now();
        self.change_key_store(cx, id, |store, state, _| match state {
            ConnectionState::Disconnecting | ConnectionState::Disconnected => {
                Err(invalid_state(store, state, "DisconnectCustomKeyStore"))
            }
            _ => {
                let mut changed = store.clone();
                changed.connection = Connection::Disconnected(Some(now));
                Ok(Some(changed))
            }
        })
    }
}
