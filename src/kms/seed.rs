//! Seeding: create keys and aliases with fixed ids and key material, all or nothing, and read
//! everything back for export. The file formats live in `crate::seed`; this is the domain side.
//!
//! Applying a plan twice changes nothing: a key that exists with the same material is left as
//! it is (its description, state and tags included), an alias that already points where the
//! plan says is left alone. A key that exists with other material is an error, so a seed never
//! silently replaces a key that data was encrypted under.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::rules::{check_spec_and_usage, hmac_import_lengths, key_pair_kind};
use super::{Changes, Error, Kms, Quotas, Result, State, WriteSeq, policies, tags};
use crate::crypto::{self, KeyMaterial};
use crate::model::{
    Alias, AliasName, ImportedMaterial, Imports, Key, KeyArn, KeyId, KeyManager, KeyMaterialState,
    KeyPolicy, KeyRotation, KeySpec, KeyState, KeyUsage, Material, MaterialId, MultiRegion, Origin,
    RotationRecord, RotationSchedule, RotationType, Scope, Timestamp,
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
}

/// A snapshot of every key and alias, for export.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every key.
    pub keys: Vec<Arc<Key>>,
    /// Every alias with its scope.
    pub aliases: Vec<(Scope, Alias)>,
}

impl Kms {
    /// Applies `plan` atomically: everything is checked first, then written in one batch.
    pub fn seed(&self, plan: SeedPlan) -> Result<SeedReport> {
        let now = self.clock.now();
        let mut built = Vec::new();
        for seed in plan.keys {
            built.push(build_key(seed, now)?);
        }
        self.durably(|seen| {
            let _writer = self.lock_writer();
            self.apply_due_locked(seen)?;
            self.commit_locked(seen, |state, changes| {
                seed_changes(state, changes, built, plan.aliases, now)
            })
        })
    }

    /// Every key and alias of every account and region.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.read_seeing(&mut WriteSeq::default());
        let mut snapshot = Snapshot::default();
        for (scope, partition) in &state.partitions {
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
    }
}

/// The changes that apply a seed's built keys and its aliases to `state`.
fn seed_changes(
    state: &State,
    changes: &mut Changes,
    built: Vec<Key>,
    aliases: Vec<SeedAlias>,
    now: Timestamp,
) -> Result<SeedReport> {
    let mut report = SeedReport::default();
    let mut planned: std::collections::BTreeSet<(Scope, String)> = Default::default();
    for key in built {
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
                name: alias.name,
                target: alias.target,
                creation_date: created,
                last_updated: now,
            },
        );
        report.aliases_set += 1;
    }
    Ok(report)
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
