//! Seeding: create keys and aliases with fixed ids and key material, all or nothing, and read
//! everything back for export. The file formats live in `crate::seed`; this is the domain side.
//!
//! Applying a plan twice changes nothing: a key that exists with the same material is left as
//! it is (its description, state and tags included), an alias that already points where the
//! plan says is left alone. A key that exists with other material is an error, so a seed never
//! silently replaces a key that data was encrypted under.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::custom_key_stores::{MAX_KEY_STORES, check_unique, new_key_in_store};
use super::rules::{check_spec_and_usage, hmac_import_lengths, key_pair_kind};
use super::{Change, Changes, Error, Kms, Quotas, Result, State, WriteSeq, policies, tags};
use crate::crypto::{self, KeyMaterial};
use crate::model::{
    Alias, AliasName, Connection, ConnectionState, CustomKeyStore, ImportedMaterial, Imports,
    KEY_STORE_SETTLE_SECONDS, Key, KeyArn, KeyBacking, KeyId, KeyManager, KeyMaterialState,
    KeyPolicy, KeyRotation, KeySpec, KeyState, KeyStoreKind, KeyStoreLink, KeyUsage, Material,
    MaterialId, MultiRegion, Origin, RotationRecord, RotationSchedule, RotationType, Scope,
    Timestamp,
};

/// One key to create.
#[derive(Debug)]
pub struct SeedKey {
    /// Its identity and location.
    pub arn: KeyArn,
    /// Its spec.
    pub spec: KeySpec,
    /// Its usage (the spec's only or first usage when absent).
    pub usage: Option<KeyUsage>,
    /// Its origin (`EXTERNAL` with no material: the key waits for imported material).
    pub origin: Origin,
    /// Who manages it (an AWS managed key comes with its `alias/aws/...` alias).
    pub manager: KeyManager,
    /// Its description.
    pub description: String,
    /// Enabled or disabled.
    pub enabled: bool,
    /// Material versions, oldest first; an id is derived from the material when absent.
    pub materials: Vec<(Option<MaterialId>, KeyMaterial)>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// The key policy (the default policy when absent).
    pub policy: Option<String>,
    /// Automatic rotation: the period in days and, optionally, the next date.
    pub rotation: Option<(u32, Option<Timestamp>)>,
    /// A multi-Region key's related keys (each is a seed key of its own region).
    pub multi_region: Option<MultiRegion>,
    /// For an `EXTERNAL` key, how each of its materials was imported, in import order. Empty:
    /// every material in `materials` imported, never expiring, the last one current.
    pub imports: Vec<SeedImport>,
    /// The custom key store it lives in (declared by the same seed, in the same scope) and,
    /// for an external key store, its `XksKeyId`.
    pub custom_key_store: Option<InKeyStore>,
}

/// A seeded key's custom key store.
#[derive(Debug, Clone)]
pub struct InKeyStore {
    /// `CustomKeyStoreId`.
    pub store_id: String,
    /// `XksKeyId`, for an external key store.
    pub xks_key_id: Option<String>,
}

/// One custom key store to create, with the connection state it comes up in. A store that
/// already exists with the same id and type is left as it is (its name, settings and
/// connection included), like a key with the same material.
#[derive(Debug)]
pub struct SeedKeyStore {
    /// Where it lives.
    pub scope: Scope,
    /// The store. Its `connection` is the state the seed declares; seeding replaces its time
    /// with one already settled, so the store is `CONNECTED`, `FAILED` or `DISCONNECTED` at once.
    pub store: CustomKeyStore,
    /// Its creation date; the time of seeding when absent (then `store.created` is ignored).
    pub created: Option<Timestamp>,
}

/// How one material of an `EXTERNAL` key was imported.
#[derive(Debug, Default)]
pub struct SeedImport {
    /// Its id; required when the material is absent, else derived from it when not given.
    pub id: Option<MaterialId>,
    /// The index of its secret in [`SeedKey::materials`]; `None` when it expired or was
    /// deleted and waits to be imported again.
    pub material: Option<usize>,
    /// `CURRENT`, `NON_CURRENT` or `PENDING_ROTATION`; by default `NON_CURRENT`, except for
    /// the last material without a state when none is `CURRENT`.
    pub state: Option<KeyMaterialState>,
    /// `ValidTo`, when the material expires.
    pub valid_to: Option<Timestamp>,
    /// `KeyMaterialDescription`.
    pub description: Option<String>,
}

/// One alias to create or point.
#[derive(Debug)]
pub struct SeedAlias {
    /// Where it lives.
    pub scope: Scope,
    /// Its name.
    pub name: AliasName,
    /// The key it points to (in the same scope).
    pub target: KeyId,
}

/// Everything a seed file declares.
#[derive(Debug, Default)]
pub struct SeedPlan {
    /// Custom key stores, in file order.
    pub key_stores: Vec<SeedKeyStore>,
    /// Keys, in file order.
    pub keys: Vec<SeedKey>,
    /// Aliases, in file order.
    pub aliases: Vec<SeedAlias>,
}

/// What applying a plan did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Keys created.
    pub keys_created: usize,
    /// Keys that were already there with the same material.
    pub keys_unchanged: usize,
    /// Aliases created or pointed at a new key.
    pub aliases_set: usize,
    /// Custom key stores created.
    pub key_stores_created: usize,
}

/// A snapshot of every key and alias, for export.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every key.
    pub keys: Vec<Arc<Key>>,
    /// Every alias with its scope.
    pub aliases: Vec<(Scope, Alias)>,
    /// Every custom key store with its scope and its connection state at `now`.
    pub key_stores: Vec<(Scope, CustomKeyStore, ConnectionState)>,
}

impl Kms {
    /// Applies `plan` atomically: everything is checked first, then written in one batch.
    pub fn seed(&self, mut plan: SeedPlan) -> Result<SeedReport> {
        let now = self.clock.now();
        let settled = Timestamp(now.0.saturating_sub(KEY_STORE_SETTLE_SECONDS * 1000));
        for seed in &mut plan.key_stores {
            seed.store.created = seed.created.unwrap_or(now);
            seed.store.connection = match seed.store.connection {
                Connection::Disconnected(_) => Connection::Disconnected(None),
                Connection::Connected { failure, .. } => Connection::Connected {
                    since: settled,
                    failure,
                },
            };
        }
        let mut built = Vec::new();
        for seed in plan.keys {
            let link = seed.custom_key_store.clone();
            built.push((build_key(seed, now)?, link));
        }
        self.durably(|seen| {
            let _writer = self.lock_writer();
            self.apply_due_locked(seen)?;
            self.commit_locked(seen, |state, changes| {
                let stores = seed_key_stores(state, changes, &plan.key_stores)?;
                let mut report = seed_changes(state, changes, built, &plan.aliases, now)?;
                report.key_stores_created = stores;
                Ok(report)
            })
        })
    }

    /// Every key and alias of every account and region.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.read_seeing(&mut WriteSeq::default());
        let now = self.clock.now();
        let mut snapshot = Snapshot::default();
        for (scope, partition) in &state.partitions {
            snapshot.key_stores.extend(
                partition
                    .key_stores
                    .values()
                    .map(|s| (scope.clone(), s.clone(), s.state(now))),
            );
            snapshot.keys.extend(partition.keys.values().cloned());
            snapshot.aliases.extend(
                partition
                    .aliases
                    .values()
                    .map(|a| (scope.clone(), a.clone())),
            );
        }
        snapshot
            .keys
            .sort_by(|a, b| (&a.arn.scope, &a.arn.key_id).cmp(&(&b.arn.scope, &b.arn.key_id)));
        snapshot
            .aliases
            .sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
        snapshot
            .key_stores
            .sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
        snapshot
    }
}

/// The changes that apply a seed's built keys and its aliases to `state`.
fn seed_changes(
    state: &State,
    changes: &mut Changes,
    built: Vec<(Key, Option<InKeyStore>)>,
    aliases: &[SeedAlias],
    now: Timestamp,
) -> Result<SeedReport> {
    let mut report = SeedReport::default();
    let mut planned: std::collections::BTreeSet<(Scope, String)> = Default::default();
    for (mut key, link) in built {
        let scope = key.arn.scope.clone();
        if !planned.insert((scope.clone(), key.arn.key_id.to_string())) {
            return Err(Error::Validation(format!(
                "The seed declares key {} twice.",
                key.arn.key_id
            )));
        }
        match state
            .partition(&scope)
            .and_then(|p| p.keys.get(&key.arn.key_id))
        {
            Some(existing) if same_material(existing, &key) => report.keys_unchanged += 1,
            Some(_) => {
                return Err(Error::Validation(format!(
                    "Key {} already exists with different key material; kmsd will not \
                     replace it.",
                    key.arn
                )));
            }
            None => {
                if let Some(link) = link {
                    key.custom_key_store = Some(Box::new(link_key(
                        state,
                        changes,
                        &key,
                        &link.store_id,
                        link.xks_key_id,
                        now,
                    )?));
                }
                changes.put_key(key);
                report.keys_created += 1;
            }
        }
    }
    for alias in aliases {
        if alias.name.as_str().starts_with("alias/aws/") {
            let managed = |key: &Key| key.manager == KeyManager::Aws;
            let target = seeded_or_stored(state, changes, &alias.scope, &alias.target);
            if !target.is_some_and(managed) {
                return Err(Error::Validation(format!(
                    "Alias {} is reserved for AWS managed keys; key {} is not one.",
                    alias.name.as_str(),
                    alias.target
                )));
            }
        }
        let target_exists = planned.contains(&(alias.scope.clone(), alias.target.to_string()))
            || state
                .partition(&alias.scope)
                .is_some_and(|p| p.keys.contains_key(&alias.target));
        if !target_exists {
            return Err(Error::Validation(format!(
                "Alias {} points to key {}, which the seed does not declare and which \
                 does not exist.",
                alias.name.as_str(),
                alias.target
            )));
        }
        let current = state
            .partition(&alias.scope)
            .and_then(|p| p.aliases.get(&alias.name));
        if current.is_some_and(|a| a.target == alias.target) {
            continue;
        }
        let created = current.map_or(now, |a| a.creation_date);
        changes.put_alias(
            &alias.scope,
            Alias {
                name: alias.name.clone(),
                target: alias.target.clone(),
                creation_date: created,
                last_updated: now,
            },
        );
        report.aliases_set += 1;
    }
    Ok(report)
}

/// The changes that create a seed's custom key stores: a store that exists with the same id
/// and type is left as it is; a new one must be unique in its account and region by name,
/// cluster, proxy URI and VPC endpoint service, and fit the quota. Answers how many it creates.
fn seed_key_stores(state: &State, changes: &mut Changes, seeded: &[SeedKeyStore]) -> Result<usize> {
    let mut created: Vec<&SeedKeyStore> = Vec::new();
    for seed in seeded {
        let invalid =
            |why: String| Error::Validation(format!("Custom key store {}: {why}", seed.store.id));
        if created
            .iter()
            .any(|c| c.scope == seed.scope && c.store.id == seed.store.id)
        {
            return Err(invalid("the seed declares it twice.".into()));
        }
        let existing = state.partition(&seed.scope).map(|p| &p.key_stores);
        if let Some(store) = existing.and_then(|s| s.get(&seed.store.id)) {
            if store.store_type() != seed.store.store_type() {
                return Err(invalid(format!(
                    "it already exists with type {}; kmsd will not replace it.",
                    store.store_type()
                )));
            }
            continue;
        }
        let others = existing.into_iter().flat_map(|s| s.values()).chain(
            created
                .iter()
                .filter(|c| c.scope == seed.scope)
                .map(|c| &c.store),
        );
        check_unique(others, &seed.store).map_err(|e| invalid(e.to_string()))?;
        let count = existing.map_or(0, |s| s.len())
            + created.iter().filter(|c| c.scope == seed.scope).count();
        if count >= MAX_KEY_STORES {
            return Err(invalid(format!(
                "an account can have at most {MAX_KEY_STORES} custom key stores in a Region."
            )));
        }
        created.push(seed);
    }
    for seed in &created {
        changes
            .0
            .push(Change::PutKeyStore(seed.scope.clone(), seed.store.clone()));
    }
    Ok(created.len())
}

/// A new seeded key's place in its custom key store, which the seed creates or which exists:
/// the store's type must match the key's origin, an external key backs one KMS key of its
/// store, and the key is `Unavailable` unless the store is connected.
fn link_key(
    state: &State,
    changes: &Changes,
    key: &Key,
    store_id: &str,
    xks_key_id: Option<String>,
    now: Timestamp,
) -> Result<KeyStoreLink> {
    let scope = &key.arn.scope;
    let invalid = |why: String| Error::Validation(format!("Key {}: {why}", key.arn.key_id));
    let seeded = changes.0.iter().rev().find_map(|change| match change {
        Change::PutKeyStore(s, store) if s == scope && store.id == store_id => Some(store),
        _ => None,
    });
    let store = seeded
        .or_else(|| {
            state
                .partition(scope)
                .and_then(|p| p.key_stores.get(store_id))
        })
        .ok_or_else(|| invalid(format!("custom key store {store_id} does not exist.")))?;
    let backing = match (&store.kind, key.origin, xks_key_id) {
        (KeyStoreKind::CloudHsm { cluster_id, .. }, Origin::AwsCloudhsm, None) => {
            KeyBacking::CloudHsmCluster(cluster_id.clone())
        }
        (KeyStoreKind::External(_), Origin::ExternalKeyStore, Some(xks)) => KeyBacking::XksKey(xks),
        _ => {
            return Err(invalid(format!(
                "Origin {} does not match custom key store {store_id}, whose type is {}.",
                key.origin,
                store.store_type()
            )));
        }
    };
    if let KeyBacking::XksKey(xks) = &backing {
        let stored = state
            .partition(scope)
            .into_iter()
            .flat_map(|p| p.keys.values());
        let in_use = stored.map(|k| &**k).chain(changes.keys()).any(|k| {
            k.arn != key.arn
                && k.custom_key_store
                    .as_ref()
                    .is_some_and(|l| l.store_id == store_id && l.backing == backing)
        });
        if in_use {
            return Err(invalid(format!(
                "the external key {xks} is already associated with a KMS key in custom key \
                 store {store_id}."
            )));
        }
    }
    Ok(KeyStoreLink {
        store_id: store_id.to_owned(),
        backing,
        unavailable: store.state(now) != ConnectionState::Connected,
        available_at: None,
    })
}

/// The key `key_id` of `scope` as the seed leaves it: one it puts, or one already stored.
fn seeded_or_stored<'a>(
    state: &'a State,
    changes: &'a Changes,
    scope: &Scope,
    key_id: &KeyId,
) -> Option<&'a Key> {
    changes
        .keys()
        .find(|key| key.arn.scope == *scope && key.arn.key_id == *key_id)
        .or_else(|| {
            state
                .partition(scope)
                .and_then(|p| p.keys.get(key_id))
                .map(|key| &**key)
        })
}

/// The id of seeded material that names none: derived from the key id and the material, so
/// that seeding the same file anywhere gives ciphertexts that decrypt everywhere.
pub fn derived_material_id(key_id: &str, material: &KeyMaterial) -> MaterialId {
    let bytes = material.to_stored_bytes().unwrap_or_default();
    MaterialId(crypto::derive_id(&[
        b"kmsd seed material",
        key_id.as_bytes(),
        &bytes,
    ]))
}

fn build_key(seed: SeedKey, now: Timestamp) -> Result<Key> {
    let usage = seed.usage.unwrap_or(seed.spec.usages()[0]);
    check_spec_and_usage(seed.spec, usage)?;
    let arn = seed.arn;
    let (store_id, xks_key_id) = match &seed.custom_key_store {
        Some(link) => (Some(link.store_id.as_str()), link.xks_key_id.as_deref()),
        None => (None, None),
    };
    new_key_in_store(
        store_id,
        seed.origin,
        seed.spec,
        usage,
        seed.multi_region.is_some(),
        xks_key_id,
    )
    .map_err(|e| Error::Validation(format!("Key {}: {e}", arn.key_id)))?;
    for (_, material) in &seed.materials {
        check_material(seed.spec, seed.origin, material)
            .map_err(|why| Error::Validation(format!("Key {}: {why}", arn.key_id)))?;
    }
    if seed.materials.len() > 1 && seed.spec != KeySpec::SymmetricDefault {
        return Err(Error::Validation(format!(
            "Key {}: only symmetric encryption keys can have several material versions.",
            arn.key_id
        )));
    }
    if !seed.imports.is_empty() && seed.origin != Origin::External {
        return Err(Error::Validation(format!(
            "Key {}: only keys with Origin EXTERNAL have imported materials.",
            arn.key_id
        )));
    }
    let state = match (seed.materials.is_empty(), seed.origin) {
        (true, Origin::External) => KeyState::PendingImport,
        (true, _) => {
            return Err(Error::Validation(format!(
                "Key {} has no key material.",
                arn.key_id
            )));
        }
        (false, _) if seed.enabled => KeyState::Enabled,
        (false, _) => KeyState::Disabled,
    };
    let materials: Vec<Material> = seed
        .materials
        .into_iter()
        .map(|(id, secret)| Material {
            id: id.unwrap_or_else(|| derived_material_id(arn.key_id.as_str(), &secret)),
            secret,
            created: now,
        })
        .collect();
    let mut key_tags = BTreeMap::new();
    // A seed file is held to AWS's quotas, whatever the server's are.
    let quotas = Quotas::default();
    tags::merge_tags(&mut key_tags, seed.tags, &quotas)?;
    if let Some(policy) = &seed.policy {
        policies::check_policy(policy, &quotas)?;
    }
    let imports = match seed.origin {
        Origin::External if seed.imports.is_empty() => Imports::all_imported(&materials),
        Origin::External => seeded_imports(
            &arn,
            seed.spec,
            seed.multi_region.is_some(),
            seed.imports,
            &materials,
        )?,
        _ => Imports::default(),
    };
    let state = if seed.origin == Origin::External && !imports.complete() {
        KeyState::PendingImport
    } else {
        state
    };
    let history = match seed.origin {
        // Imported material rotates in on demand, in the order it was imported.
        Origin::External => imports
            .materials
            .iter()
            .filter(|m| !m.pending_rotation())
            .skip(1)
            .map(|m| RotationRecord {
                material_id: m.id,
                date: now,
                kind: RotationType::OnDemand,
            })
            .collect(),
        _ => materials
            .iter()
            .skip(1)
            .map(|m| RotationRecord {
                material_id: m.id,
                date: now,
                kind: RotationType::Automatic,
            })
            .collect(),
    };
    let schedule = match seed.rotation {
        Some((period_days, next)) => {
            if seed.spec != KeySpec::SymmetricDefault || seed.origin != Origin::AwsKms {
                return Err(Error::Validation(format!(
                    "Key {}: only symmetric keys with AWS_KMS origin rotate automatically.",
                    arn.key_id
                )));
            }
            Some(RotationSchedule {
                period_days,
                next: next.unwrap_or_else(|| now.plus_days(period_days)),
            })
        }
        None => None,
    };
    Ok(Key {
        policy: seed.policy.map_or(KeyPolicy::Default, |text| {
            KeyPolicy::new(&arn.scope.account, text)
        }),
        creation_date: now,
        description: seed.description,
        usage,
        spec: seed.spec,
        origin: seed.origin,
        manager: seed.manager,
        state,
        deletion: None,
        tags: key_tags,
        rotation: KeyRotation { schedule, history },
        imports: (!imports.materials.is_empty()).then(|| Box::new(imports)),
        materials: materials.into(),
        arn,
        grants: Vec::new(),
        multi_region: seed.multi_region.map(Box::new),
        custom_key_store: None,
    })
}

/// The import records of an `EXTERNAL` key from its seed: each names present material (by
/// index) or an absent one by id; one is current unless none is present, at most one (of a
/// symmetric key) waits for a rotation: `PENDING_ROTATION`, or for a multi-Region key
/// `PENDING_MULTI_REGION_IMPORT_AND_ROTATION` (absent from replicas that have not imported it).
fn seeded_imports(
    arn: &KeyArn,
    spec: KeySpec,
    multi_region: bool,
    seeded: Vec<SeedImport>,
    materials: &[Material],
) -> Result<Imports> {
    let invalid = |why: &str| Error::Validation(format!("Key {}: {why}", arn.key_id));
    let mut imports = Imports::default();
    let mut stated = Vec::new();
    for entry in seeded {
        stated.push(entry.state.is_some());
        let present = entry
            .material
            .map(|i| materials.get(i).ok_or_else(|| invalid("no such material")))
            .transpose()?;
        let id = match (present, entry.id) {
            (Some(m), Some(id)) if m.id != id => {
                return Err(invalid("a material's Id does not match the material"));
            }
            (Some(m), _) => m.id,
            (None, Some(id)) => id,
            (None, None) => return Err(invalid("a material that is not present needs its Id")),
        };
        if imports.material(&id).is_some() {
            return Err(invalid("the same material appears twice"));
        }
        imports.materials.push(ImportedMaterial {
            id,
            state: entry.state.unwrap_or(KeyMaterialState::NonCurrent),
            imported: present.is_some(),
            valid_to: entry.valid_to.filter(|_| present.is_some()),
            description: entry.description,
        });
    }
    let count = |imports: &Imports, state| {
        imports
            .materials
            .iter()
            .filter(|m| m.state == state)
            .count()
    };
    if count(&imports, KeyMaterialState::Current) == 0 {
        // By default the last material whose state the seed does not give is current.
        if let Some((last, _)) = imports
            .materials
            .iter_mut()
            .zip(&stated)
            .rev()
            .find(|(_, stated)| !**stated)
        {
            last.state = KeyMaterialState::Current;
        }
    }
    if count(&imports, KeyMaterialState::Current) > 1 {
        return Err(invalid("only one material can be CURRENT"));
    }
    let waiting = count(
        &imports,
        KeyMaterialState::PendingMultiRegionImportAndRotation,
    );
    if waiting > 0 && !multi_region {
        return Err(invalid(
            "only a multi-Region key can have material PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
        ));
    }
    let pending = count(&imports, KeyMaterialState::PendingRotation) + waiting;
    if pending > 1 || (pending == 1 && spec != KeySpec::SymmetricDefault) {
        return Err(invalid(
            "only a symmetric key can have material pending rotation, and only one",
        ));
    }
    if imports
        .materials
        .iter()
        .any(|m| m.state == KeyMaterialState::PendingRotation && !m.imported)
    {
        return Err(invalid("material PENDING_ROTATION must be present"));
    }
    Ok(imports)
}

/// The material must be the kind the spec needs. Imported HMAC material may have any length
/// AWS accepts for the spec.
fn check_material(
    spec: KeySpec,
    origin: Origin,
    material: &KeyMaterial,
) -> std::result::Result<(), String> {
    let expected_hmac = spec.hmac_key_len();
    match (spec, material) {
        (KeySpec::SymmetricDefault, KeyMaterial::Aes256(_)) => Ok(()),
        (_, KeyMaterial::Hmac(bytes))
            if origin == Origin::External
                && hmac_import_lengths(spec)
                    .is_some_and(|lengths| lengths.contains(&bytes.len())) =>
        {
            Ok(())
        }
        (_, KeyMaterial::Hmac(bytes)) if expected_hmac.is_some() => {
            if Some(bytes.len()) == expected_hmac {
                Ok(())
            } else {
                Err(format!(
                    "{spec} key material must be {} bytes, not {}.",
                    expected_hmac.unwrap_or_default(),
                    bytes.len()
                ))
            }
        }
        (_, KeyMaterial::Asymmetric(pair)) if key_pair_kind(spec) == Some(pair.kind()) => Ok(()),
        (_, KeyMaterial::Asymmetric(pair)) => Err(format!(
            "the private key is a {:?} key, not a {spec} key.",
            pair.kind()
        )),
        _ => Err(format!("the key material does not suit KeySpec {spec}.")),
    }
}

fn same_material(existing: &Key, seeded: &Key) -> bool {
    existing.materials.len() == seeded.materials.len()
        && existing
            .materials
            .iter()
            .zip(seeded.materials.iter())
            .all(|(a, b)| {
                a.id == b.id && a.secret.to_stored_bytes().ok() == b.secret.to_stored_bytes().ok()
            })
}
