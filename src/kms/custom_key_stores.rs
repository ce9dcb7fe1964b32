//! Custom key stores, emulated: CreateCustomKeyStore, DescribeCustomKeyStores,
//! UpdateCustomKeyStore, DeleteCustomKeyStore, ConnectCustomKeyStore and
//! DisconnectCustomKeyStore. There is no HSM or proxy: a store is a record with AWS's
//! connection state machine on kmsd's clock, and kmsd holds its keys' material itself.

use super::{Change, Changes, Context, Error, Kms, Page, Paging, Result, State, paginate};
use crate::kms::KeyStoreError as K;
use crate::model::{
    Connection, ConnectionErrorCode, ConnectionState, CustomKeyStore, CustomKeyStoreType, Key,
    KeyBacking, KeySpec, KeyStoreKind, KeyStoreLink, KeyUsage, Origin, Scope, Timestamp, XksProxy,
    XksProxyConnectivity,
};

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
    /// `XksProxyVpcEndpointServiceOwner`.
    pub vpc_endpoint_service_owner: Option<String>,
    /// `XksProxyAuthenticationCredential` (access key id, secret).
    pub credential: Option<(String, String)>,
    /// `XksProxyConnectivity`.
    pub connectivity: Option<XksProxyConnectivity>,
}

impl UpdateKeyStoreInput {
    /// Whether it changes anything but the name: only the name changes while connected.
    fn changes_settings(&self) -> bool {
        self.password.is_some()
            || self.cluster_id.is_some()
            || self.uri_endpoint.is_some()
            || self.uri_path.is_some()
            || self.vpc_endpoint_service_name.is_some()
            || self.vpc_endpoint_service_owner.is_some()
            || self.credential.is_some()
            || self.connectivity.is_some()
    }
}

/// What CreateKey asks of a custom key store: the store, and the external key for an
/// external key store.
#[derive(Debug)]
pub(super) struct NewKeyInStore {
    store_id: String,
    origin: Origin,
    xks_key_id: Option<String>,
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
pub(super) fn check_unique<'a>(
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
    let vpc = |p: &XksProxy| p.connectivity == XksProxyConnectivity::VpcEndpointService;
    if vpc(new)
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
        if vpc(new) || vpc(other) {
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
                fail_next_connect: None,
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

    /// The store `id` of the caller's account and region, changed by `change` (which sees it,
    /// its state now, and its keys, and records the changes to them) and stored; or removed
    /// when `change` answers `None`.
    fn change_key_store(
        &self,
        cx: &mut Context,
        id: &str,
        change: impl FnOnce(&StoreView<'_>, &mut Changes) -> Result<Option<CustomKeyStore>>,
    ) -> Result<()> {
        let now = self.clock.now();
        let scope = cx.scope.clone();
        self.mutate(&mut cx.seen, |state, changes| {
            let partition = state.partition(&scope).ok_or_else(|| not_found(id))?;
            let store = partition.key_stores.get(id).ok_or_else(|| not_found(id))?;
            let view = StoreView {
                store,
                state: store.state(now),
                keys: partition
                    .keys
                    .values()
                    .filter(|k| k.is_in_key_store(id))
                    .map(|k| &**k)
                    .collect(),
                now,
            };
            match change(&view, changes)? {
                Some(changed) => {
                    check_unique(partition.key_stores.values(), &changed)?;
                    changes.0.push(Change::PutKeyStore(scope.clone(), changed));
                }
                None => changes
                    .0
                    .push(Change::DeleteKeyStore(scope.clone(), id.to_owned())),
            }
            Ok(())
        })
    }

    /// UpdateCustomKeyStore: a `DISCONNECTED` store changes any setting, a `CONNECTED` one
    /// only its name.
    pub fn update_custom_key_store(
        &self,
        cx: &mut Context,
        input: UpdateKeyStoreInput,
    ) -> Result<()> {
        self.authorize_action(cx, None, "UpdateCustomKeyStore")?;
        let id = input.id.clone();
        self.change_key_store(cx, &id, |view, _| {
            let store = view.store;
            let allowed = match view.state {
                ConnectionState::Disconnected => true,
                ConnectionState::Connected => !input.changes_settings(),
                _ => false,
            };
            if !allowed {
                return Err(invalid_state(store, view.state, "UpdateCustomKeyStore"));
            }
            let mut changed = store.clone();
            if let Some(name) = &input.new_name {
                changed.name = name.clone();
            }
            update_settings(&mut changed.kind, input)?;
            Ok(Some(changed))
        })
    }

    /// DeleteCustomKeyStore: only a `DISCONNECTED` store that holds no keys (keys pending
    /// deletion count until they are deleted).
    pub fn delete_custom_key_store(&self, cx: &mut Context, id: &str) -> Result<()> {
        self.authorize_action(cx, None, "DeleteCustomKeyStore")?;
        self.change_key_store(cx, id, |view, _| {
            if !view.keys.is_empty() {
                return Err(Error::KeyStore(
                    K::HasKeys,
                    format!(
                        "Custom key store {} contains {} KMS keys. Delete them \
                         (ScheduleKeyDeletion) and wait for their deletion before deleting the \
                         custom key store.",
                        view.store.id,
                        view.keys.len()
                    ),
                ));
            }
            if view.state != ConnectionState::Disconnected {
                return Err(invalid_state(
                    view.store,
                    view.state,
                    "DeleteCustomKeyStore",
                ));
            }
            Ok(None)
        })
    }

    /// ConnectCustomKeyStore: `CONNECTING`, then `CONNECTED` (its keys usable again) a few
    /// seconds later on the clock, or `FAILED` when the admin API asked for a failure. Valid
    /// unless the store is `DISCONNECTING` or `FAILED`; connecting a store that is connected or
    /// connecting changes nothing.
    pub fn connect_custom_key_store(&self, cx: &mut Context, id: &str) -> Result<()> {
        self.authorize_action(cx, None, "ConnectCustomKeyStore")?;
        self.change_key_store(cx, id, |view, changes| match view.state {
            ConnectionState::Disconnecting | ConnectionState::Failed => Err(invalid_state(
                view.store,
                view.state,
                "ConnectCustomKeyStore",
            )),
            ConnectionState::Connected | ConnectionState::Connecting => {
                Ok(Some(view.store.clone()))
            }
            ConnectionState::Disconnected => {
                let mut changed = view.store.clone();
                let failure = changed.fail_next_connect.take();
                changed.connection = Connection::Connected {
                    since: view.now,
                    failure,
                };
                if failure.is_none() {
                    let at = Connection::settles_at(view.now);
                    for key in &view.keys {
                        let mut next = Key::clone(key);
                        if let Some(link) = next.custom_key_store.as_mut() {
                            link.available_at = Some(at);
                        }
                        changes.put_key(next);
                    }
                }
                Ok(Some(changed))
            }
        })
    }

    /// DisconnectCustomKeyStore: `DISCONNECTING`, then `DISCONNECTED` a few seconds later; its
    /// keys are `Unavailable` at once. Valid unless the store is `DISCONNECTING` or
    /// `DISCONNECTED`.
    pub fn disconnect_custom_key_store(&self, cx: &mut Context, id: &str) -> Result<()> {
        self.authorize_action(cx, None, "DisconnectCustomKeyStore")?;
        self.change_key_store(cx, id, |view, changes| match view.state {
            ConnectionState::Disconnecting | ConnectionState::Disconnected => Err(invalid_state(
                view.store,
                view.state,
                "DisconnectCustomKeyStore",
            )),
            _ => {
                let mut changed = view.store.clone();
                changed.connection = Connection::Disconnected(Some(view.now));
                for key in &view.keys {
                    let mut next = Key::clone(key);
                    if let Some(link) = next.custom_key_store.as_mut() {
                        link.unavailable = true;
                        link.available_at = None;
                    }
                    changes.put_key(next);
                }
                Ok(Some(changed))
            }
        })
    }

    /// The admin API's way to make a store fail to connect: the next ConnectCustomKeyStore
    /// of the store `id` (in any account and region) ends `FAILED` with `code`; `None`
    /// clears it. Answers whether the store exists.
    pub fn fail_next_connect(&self, id: &str, code: Option<ConnectionErrorCode>) -> Result<bool> {
        self.durably(|seen| {
            self.mutate(seen, |state, changes| {
                let found = state.partitions.iter().find_map(|(scope, partition)| {
                    partition.key_stores.get(id).map(|store| (scope, store))
                });
                let Some((scope, store)) = found else {
                    return Ok(false);
                };
                let mut changed = store.clone();
                changed.fail_next_connect = code;
                changes.0.push(Change::PutKeyStore(scope.clone(), changed));
                Ok(true)
            })
        })
    }

    /// GenerateRandom's `CustomKeyStoreId`: random bytes come from an AWS CloudHSM key store's
    /// cluster, which must be connected; external key stores cannot generate them.
    pub fn check_random_source(&self, cx: &mut Context, id: &str) -> Result<()> {
        let now = self.clock.now();
        let state = self.read(cx);
        let store = state
            .partition(&cx.scope)
            .and_then(|p| p.key_stores.get(id))
            .ok_or_else(|| not_found(id))?;
        if store.store_type() == CustomKeyStoreType::ExternalKeyStore {
            return Err(Error::Unsupported(format!(
                "GenerateRandom is not supported for external key store {id}."
            )));
        }
        let connection = store.state(now);
        if connection != ConnectionState::Connected {
            return Err(invalid_state(store, connection, "GenerateRandom"));
        }
        Ok(())
    }
}

/// A store as a change sees it.
struct StoreView<'a> {
    store: &'a CustomKeyStore,
    state: ConnectionState,
    /// Its KMS keys, in every key state.
    keys: Vec<&'a Key>,
    now: Timestamp,
}

/// Applies UpdateCustomKeyStore's settings to a store's type-specific settings.
fn update_settings(kind: &mut KeyStoreKind, input: UpdateKeyStoreInput) -> Result<()> {
    match kind {
        KeyStoreKind::CloudHsm {
            cluster_id,
            password,
            ..
        } => {
            if input.uri_endpoint.is_some()
                || input.uri_path.is_some()
                || input.vpc_endpoint_service_name.is_some()
                || input.vpc_endpoint_service_owner.is_some()
                || input.credential.is_some()
                || input.connectivity.is_some()
            {
                return Err(Error::Validation(
                    "XksProxy settings apply only to an external key store \
                     (EXTERNAL_KEY_STORE)."
                        .into(),
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
            if input.password.is_some() || input.cluster_id.is_some() {
                return Err(Error::Validation(
                    "CloudHsmClusterId and KeyStorePassword apply only to an AWS CloudHSM key \
                     store (AWS_CLOUDHSM)."
                        .into(),
                ));
            }
            if let Some(new) = input.uri_endpoint {
                proxy.uri_endpoint = new;
            }
            if let Some(new) = input.uri_path {
                proxy.uri_path = new;
            }
            if let Some((access, secret)) = input.credential {
                proxy.access_key_id = access;
                proxy.secret_access_key = secret;
            }
            if let Some(connectivity) = input.connectivity {
                proxy.connectivity = connectivity;
            }
            if proxy.connectivity == XksProxyConnectivity::PublicEndpoint {
                if input.vpc_endpoint_service_name.is_some()
                    || input.vpc_endpoint_service_owner.is_some()
                {
                    return Err(vpc_only());
                }
                proxy.vpc_endpoint_service_name = None;
                proxy.vpc_endpoint_service_owner = None;
            }
            if let Some(new) = input.vpc_endpoint_service_name {
                proxy.vpc_endpoint_service_name = Some(new);
            }
            if let Some(new) = input.vpc_endpoint_service_owner {
                proxy.vpc_endpoint_service_owner = Some(new);
            }
            if proxy.connectivity == XksProxyConnectivity::VpcEndpointService
                && proxy.vpc_endpoint_service_name.is_none()
            {
                return Err(Error::Validation(
                    "XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is \
                     VPC_ENDPOINT_SERVICE."
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

/// The error for VPC endpoint service settings on a store with a public endpoint.
pub(crate) fn vpc_only() -> Error {
    Error::Validation(
        "XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are valid only when \
         XksProxyConnectivity is VPC_ENDPOINT_SERVICE."
            .into(),
    )
}

/// CreateKey's rules for a key in a custom key store that need no state: `None` for a key
/// outside any store. Only symmetric encryption keys of a single Region, with the origin that
/// matches the store's type, live in one; an external key store's keys name their external
/// key.
pub(super) fn new_key_in_store(
    store_id: Option<&str>,
    origin: Origin,
    spec: KeySpec,
    usage: KeyUsage,
    multi_region: bool,
    xks_key_id: Option<&str>,
) -> Result<Option<NewKeyInStore>> {
    let in_store = matches!(origin, Origin::AwsCloudhsm | Origin::ExternalKeyStore);
    if xks_key_id.is_some() && origin != Origin::ExternalKeyStore {
        return Err(Error::Validation(
            "XksKeyId is valid only when Origin is EXTERNAL_KEY_STORE.".into(),
        ));
    }
    let Some(store_id) = store_id else {
        if in_store {
            return Err(Error::Validation(format!(
                "A CustomKeyStoreId is required when Origin is {origin}."
            )));
        }
        return Ok(None);
    };
    if !in_store {
        return Err(Error::Unsupported(format!(
            "Origin {origin} is not valid with a CustomKeyStoreId; use AWS_CLOUDHSM for an AWS \
             CloudHSM key store or EXTERNAL_KEY_STORE for an external key store."
        )));
    }
    if spec != KeySpec::SymmetricDefault || usage != KeyUsage::EncryptDecrypt || multi_region {
        return Err(Error::Unsupported(
            "Custom key stores hold only symmetric encryption KMS keys in a single Region \
             (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT)."
                .into(),
        ));
    }
    if origin == Origin::ExternalKeyStore && xks_key_id.is_none() {
        return Err(Error::Validation(
            "XksKeyId is required when Origin is EXTERNAL_KEY_STORE.".into(),
        ));
    }
    Ok(Some(NewKeyInStore {
        store_id: store_id.to_owned(),
        origin,
        xks_key_id: xks_key_id.map(str::to_owned),
    }))
}

/// Where a new key in a custom key store lives: the store must exist in `scope`, match the
/// origin and be `CONNECTED`; an external key backs at most one KMS key of its store.
pub(super) fn link_new_key(
    state: &State,
    scope: &Scope,
    new: &NewKeyInStore,
    now: Timestamp,
) -> Result<KeyStoreLink> {
    let partition = state.partition(scope);
    let store = partition
        .and_then(|p| p.key_stores.get(&new.store_id))
        .ok_or_else(|| not_found(&new.store_id))?;
    let backing = match (&store.kind, new.origin, &new.xks_key_id) {
        (KeyStoreKind::CloudHsm { cluster_id, .. }, Origin::AwsCloudhsm, _) => {
            KeyBacking::CloudHsmCluster(cluster_id.clone())
        }
        (KeyStoreKind::External(_), Origin::ExternalKeyStore, Some(xks_key_id)) => {
            KeyBacking::XksKey(xks_key_id.clone())
        }
        _ => {
            return Err(Error::Unsupported(format!(
                "Origin {} does not match custom key store {}, whose type is {}.",
                new.origin,
                store.id,
                store.store_type()
            )));
        }
    };
    let connection = store.state(now);
    if connection != ConnectionState::Connected {
        return Err(invalid_state(store, connection, "CreateKey"));
    }
    if let KeyBacking::XksKey(xks_key_id) = &backing {
        let in_use = partition
            .into_iter()
            .flat_map(|p| p.keys.values())
            .any(|k| {
                k.custom_key_store.as_ref().is_some_and(|link| {
                    link.store_id == store.id
                        && link.backing == KeyBacking::XksKey(xks_key_id.clone())
                })
            });
        if in_use {
            return Err(Error::KeyStore(
                K::XksKeyInUse,
                format!(
                    "The external key {xks_key_id} is already associated with a KMS key in \
                     custom key store {}.",
                    store.id
                ),
            ));
        }
    }
    Ok(KeyStoreLink {
        store_id: store.id.clone(),
        backing,
        unavailable: false,
        available_at: None,
    })
}

/// Makes a key usable again once its store has finished connecting. Answers whether it
/// changed the key.
pub(super) fn settle_due(key: &mut Key, now: Timestamp) -> bool {
    let Some(link) = key.custom_key_store.as_mut() else {
        return false;
    };
    if link.available_at.is_none_or(|at| at > now) {
        return false;
    }
    link.available_at = None;
    link.unavailable = false;
    true
}
