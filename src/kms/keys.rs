//! Key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! UpdateKeyDescription, ScheduleKeyDeletion and CancelKeyDeletion.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::resolve::Access;
use super::rules::key_pair_kind;
use super::{Context, Error, Kms, Page, Paging, Result, paginate, policies, rotation, seed, tags};
use crate::crypto::asymmetric::{AsymmetricKey, KeyPairKind};
use crate::crypto::{self, KeyMaterial};
use crate::model::{
    Deletion, Imports, Key, KeyArn, KeyId, KeyManager, KeyPolicy, KeyRef, KeyRotation, KeySpec,
    KeyState, KeyUsage, Material, MaterialId, MultiRegion, Origin,
};

/// CreateKey's request.
#[derive(Debug, Default)]
pub struct CreateKeyInput {
    /// `Description`.
    pub description: Option<String>,
    /// `KeyUsage`.
    pub usage: Option<KeyUsage>,
    /// `KeySpec` (or the deprecated `CustomerMasterKeySpec`).
    pub spec: Option<KeySpec>,
    /// `Origin`.
    pub origin: Option<Origin>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `Tags`, in request order.
    pub tags: Vec<(String, String)>,
    /// `MultiRegion`.
    pub multi_region: bool,
    /// `CustomKeyStoreId`.
    pub custom_key_store_id: Option<String>,
    /// `XksKeyId`.
    pub xks_key_id: Option<String>,
}

/// UpdateKeyDescription's request.
#[derive(Debug)]
pub struct UpdateKeyDescriptionInput {
    /// The key.
    pub key: KeyRef,
    /// The new description.
    pub description: String,
}

/// ScheduleKeyDeletion's request.
#[derive(Debug)]
pub struct ScheduleKeyDeletionInput {
    /// The key.
    pub key: KeyRef,
    /// `PendingWindowInDays`, when the request gives one.
    pub pending_window_days: Option<u32>,
}

/// Default and bounds of ScheduleKeyDeletion's `PendingWindowInDays`.
const PENDING_WINDOW_DEFAULT: u32 = 30;
const PENDING_WINDOW_RANGE: std::ops::RangeInclusive<u32> = 7..=30;

/// ListKeys's default page size.
pub const LIST_KEYS_DEFAULT_LIMIT: usize = 100;

impl Kms {
    /// CreateKey.
    pub fn create_key(&self, cx: &mut Context, input: CreateKeyInput) -> Result<Arc<Key>> {
        let spec = input.spec.unwrap_or(KeySpec::SymmetricDefault);
        let usage = match (input.usage, spec) {
            (Some(usage), _) => usage,
            (None, KeySpec::SymmetricDefault) => KeyUsage::EncryptDecrypt,
            (None, _) => {
                return Err(Error::Validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric \
                     encryption keys."
                        .into(),
                ));
            }
        };
        super::rules::check_spec_and_usage(spec, usage)?;
        let origin = input.origin.unwrap_or(Origin::AwsKms);
        let external = origin == Origin::External;
        let in_store = super::custom_key_stores::new_key_in_store(
            input.custom_key_store_id.as_deref(),
            origin,
            spec,
            usage,
            input.multi_region,
            input.xks_key_id.as_deref(),
        )?;
        if external && !supports_import(spec) {
            return Err(Error::Unsupported(format!(
                "KeySpec {spec} does not support imported key material (Origin EXTERNAL)."
            )));
        }
        if let Some(policy) = &input.policy {
            policies::check_policy(policy, &self.quotas)?;
        }
        self.authorize_action(cx, None, "CreateKey")?;
        if let Some(policy) = &input.policy {
            self.check_lockout(cx, policy, None)?;
        }
        let mut input = input;
        let custom = LocalStackTags::take(&mut input.tags);
        let mut key_tags = BTreeMap::new();
        tags::merge_tags(&mut key_tags, input.tags, &self.quotas)?;

        let key_id = match &custom.key_id {
            Some(id) => KeyId::parse(id)
                .filter(|id| id.is_multi_region() == input.multi_region)
                .ok_or_else(|| {
                    Error::Validation(format!(
                        "The _custom_id_ tag {id:?} must be a lowercase UUID, or an mrk- key id \
                         for a multi-Region key."
                    ))
                })?,
            None if input.multi_region => KeyId::generate_multi_region(),
            None => KeyId::generate(),
        };
        let material = match &custom.key_material {
            // An EXTERNAL key waits for its material to be imported.
            None if external => None,
            Some(encoded) => {
                let secret = custom_material(spec, encoded)?;
                let id = seed::derived_material_id(key_id.as_str(), &secret);
                Some((secret, id))
            }
            None => Some((
                self.generate_material(spec)?,
                MaterialId(crypto::random_array()),
            )),
        };
        let now = self.clock.now();
        let arn = KeyArn {
            scope: self.state(&mut cx.seen).shared_scope(&cx.scope),
            key_id,
        };
        let multi_region = input.multi_region.then(|| {
            Box::new(MultiRegion {
                primary: arn.scope.region.clone(),
                replicas: Vec::new(),
                settles: None,
            })
        });
        let key = Key {
            policy: input.policy.map_or(KeyPolicy::Default, |text| {
                KeyPolicy::new(&cx.scope.account, text)
            }),
            creation_date: now,
            description: input.description.unwrap_or_default(),
            usage,
            spec,
            origin,
            manager: KeyManager::Customer,
            state: if material.is_some() {
                KeyState::Enabled
            } else {
                KeyState::PendingImport
            },
            deletion: None,
            materials: material
                .into_iter()
                .map(|(secret, id)| Material {
                    id,
                    secret,
                    created: now,
                })
                .collect(),
            tags: key_tags,
            arn,
            rotation: KeyRotation::default(),
            grants: Vec::new(),
            multi_region,
            imports: None,
            custom_key_store: None,
        };
        let mut key = key;
        if external {
            // LocalStack's `_custom_key_material_` on an EXTERNAL key: imported at creation.
            key.imports = Some(Box::new(Imports::all_imported(&key.materials)));
        }
        let key = self.mutate(&mut cx.seen, |state, changes| {
            let mut key = key;
            if let Some(new) = &in_store {
                let link = super::custom_key_stores::link_new_key(state, &cx.scope, new, now)?;
                key.custom_key_store = Some(Box::new(link));
            }
            let partition = state.partition(&cx.scope);
            if partition.is_some_and(|p| p.keys.contains_key(&key.arn.key_id)) {
                return Err(Error::Validation(format!(
                    "A key with the id {} already exists.",
                    key.arn.key_id
                )));
            }
            // AWS managed keys do not count against the quota. Counting walks every key, so
            // it happens only when the partition holds as many keys as the quota in all.
            let total = partition.map_or(0, |p| p.keys.len());
            let customer_keys = match partition {
                Some(p) if total >= self.quotas.keys => p
                    .keys
                    .values()
                    .filter(|k| k.manager == KeyManager::Customer)
                    .count(),
                _ => total,
            };
            if customer_keys >= self.quotas.keys {
                return Err(Error::LimitExceeded(format!(
                    "The account {} has the most KMS keys allowed in {} ({}).",
                    cx.scope.account.as_str(),
                    cx.scope.region.as_str(),
                    self.quotas.keys
                )));
            }
            Ok(changes.put_key(key))
        })?;
        cx.uses(&key);
        Ok(key)
    }

    /// Fresh key material for a new key of `spec`. RSA keys come from the pool when it has one.
    fn generate_material(&self, spec: KeySpec) -> Result<KeyMaterial> {
        if let Some(len) = spec.hmac_key_len() {
            return Ok(KeyMaterial::generate_hmac(len));
        }
        Ok(match spec {
            KeySpec::SymmetricDefault => KeyMaterial::generate_aes256(),
            _ => {
                let kind = key_pair_kind(spec).ok_or_else(|| {
                    Error::Unsupported(format!("KeySpec {spec} is not supported by kmsd."))
                })?;
                let key = match kind {
                    KeyPairKind::Rsa(bits) => self.rsa_pool.take(bits),
                    _ => AsymmetricKey::generate(kind),
                }
                .map_err(Error::Crypto)?;
                KeyMaterial::Asymmetric(Arc::new(key))
            }
        })
    }

    /// DescribeKey. Works in every key state and across accounts.
    pub fn describe_key(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<Arc<Key>> {
        let key = self.resolve(cx, key_ref, Access::CrossAccount)?;
        cx.uses(&key);
        Ok(key)
    }

    /// ListKeys: the caller's keys in key id order. The marker is the last key id returned.
    pub fn list_keys(&self, cx: &mut Context, paging: Paging) -> Result<Page<KeyArn>> {
        let after = paging
            .marker
            .map(|m| KeyId::parse(&m).ok_or(Error::InvalidMarker(m)))
            .transpose()?;
        self.authorize_action(cx, None, "ListKeys")?;
        let state = self.read(cx);
        let Some(partition) = state.partition(&cx.scope) else {
            return Ok(Page::empty());
        };
        Ok(paginate(
            &partition.keys,
            after.as_ref(),
            paging.limit,
            |id| id.to_string(),
            |_, key| Some(key.arn.clone()),
        ))
    }

    /// EnableKey. A key whose automatic rotation fell due while it was disabled rotates now.
    pub fn enable_key(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<()> {
        let now = self.clock.now();
        self.update_key(cx, key_ref, |key| {
            key.require_manageable()?;
            key.state = KeyState::Enabled;
            rotation::catch_up_after_enable(key, now);
            Ok(())
        })
    }

    /// DisableKey.
    pub fn disable_key(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<()> {
        self.update_key(cx, key_ref, |key| {
            key.require_manageable()?;
            key.state = KeyState::Disabled;
            Ok(())
        })
    }

    /// UpdateKeyDescription.
    pub fn update_key_description(
        &self,
        cx: &mut Context,
        input: UpdateKeyDescriptionInput,
    ) -> Result<()> {
        self.update_key(cx, &input.key, |key| {
            key.require_editable()?;
            key.description = input.description;
            Ok(())
        })
    }

    /// ScheduleKeyDeletion: the key becomes `PendingDeletion` for 7–30 days (default 30). A
    /// multi-Region primary key with replicas becomes `PendingReplicaDeletion` instead, and
    /// its waiting period starts when its last replica is deleted.
    pub fn schedule_key_deletion(
        &self,
        cx: &mut Context,
        input: ScheduleKeyDeletionInput,
    ) -> Result<Arc<Key>> {
        let window_days = input.pending_window_days.unwrap_or(PENDING_WINDOW_DEFAULT);
        if !PENDING_WINDOW_RANGE.contains(&window_days) {
            return Err(Error::Validation(format!(
                "PendingWindowInDays must be between {} and {}",
                PENDING_WINDOW_RANGE.start(),
                PENDING_WINDOW_RANGE.end()
            )));
        }
        let now = self.clock.now();
        self.update_key_returning(cx, &input.key, |key| {
            if matches!(
                key.state,
                KeyState::PendingDeletion
                    | KeyState::PendingReplicaDeletion
                    | KeyState::Creating
                    | KeyState::Updating
            ) {
                return Err(key.invalid_state());
            }
            let has_replicas = key.is_primary()
                && key
                    .multi_region
                    .as_ref()
                    .is_some_and(|m| !m.replicas.is_empty());
            if has_replicas {
                // The date is not known yet: it is set when the last replica goes.
                key.state = KeyState::PendingReplicaDeletion;
                key.deletion = Some(Deletion {
                    date: now,
                    window_days,
                });
            } else {
                key.state = KeyState::PendingDeletion;
                key.deletion = Some(Deletion {
                    date: now.plus_days(window_days),
                    window_days,
                });
            }
            Ok(())
        })
    }

    /// CancelKeyDeletion: the key goes back to `Disabled`, as in AWS.
    pub fn cancel_key_deletion(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<Arc<Key>> {
        self.update_key_returning(cx, key_ref, |key| {
            if !matches!(
                key.state,
                KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
            ) {
                return Err(Error::NotPendingDeletion(key.arn.clone()));
            }
            // A key whose imported material expired or was deleted meanwhile waits for it.
            key.state = if key.origin == Origin::External && !key.imports().complete() {
                KeyState::PendingImport
            } else {
                KeyState::Disabled
            };
            key.deletion = None;
            Ok(())
        })
    }
}

/// Whether AWS lets a key of `spec` have imported material: symmetric, HMAC, RSA, ECC and SM2
/// keys can; Ed25519, ML-DSA and ML-KEM keys cannot.
fn supports_import(spec: KeySpec) -> bool {
    !matches!(
        spec,
        KeySpec::EccNistEdwards25519
            | KeySpec::MlDsa44
            | KeySpec::MlDsa65
            | KeySpec::MlDsa87
            | KeySpec::MlKem512
            | KeySpec::MlKem768
            | KeySpec::MlKem1024
    )
}

/// LocalStack's CreateKey tags: `_custom_id_` fixes the key id and `_custom_key_material_`
/// (base64) the key material. They configure the key and are not stored as tags.
#[derive(Debug, Default)]
struct LocalStackTags {
    key_id: Option<String>,
    key_material: Option<String>,
}

impl LocalStackTags {
    fn take(tags: &mut Vec<(String, String)>) -> LocalStackTags {
        let mut custom = LocalStackTags::default();
        tags.retain(|(key, value)| match key.as_str() {
            "_custom_id_" => {
                custom.key_id = Some(value.clone());
                false
            }
            "_custom_key_material_" => {
                custom.key_material = Some(value.clone());
                false
            }
            _ => true,
        });
        custom
    }
}

/// Key material from a `_custom_key_material_` tag: base64 of the raw key (symmetric, HMAC)
/// or of a DER PKCS#8 private key (key pairs).
fn custom_material(spec: KeySpec, encoded: &str) -> Result<KeyMaterial> {
    use base64::Engine;
    let invalid = |why: &str| {
        Error::Validation(format!(
            "The _custom_key_material_ tag is not valid: {why}."
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid("it must be base64"))?;
    let expected = match spec {
        KeySpec::SymmetricDefault => Some(32),
        _ => spec.hmac_key_len(),
    };
    match expected {
        Some(len) if bytes.len() != len => Err(invalid(&format!(
            "{spec} key material is {len} bytes, not {}",
            bytes.len()
        ))),
        Some(_) if spec == KeySpec::SymmetricDefault => Ok(KeyMaterial::Aes256(
            bytes.try_into().map_err(|_| invalid("wrong length"))?,
        )),
        Some(_) => Ok(KeyMaterial::Hmac(bytes)),
        None => {
            let pair = crate::crypto::asymmetric::import_private_key(&bytes)
                .map_err(|_| invalid("it must be a DER PKCS#8 private key"))?;
            if key_pair_kind(spec) != Some(pair.kind()) {
                return Err(invalid(&format!("the private key is not a {spec} key")));
            }
            Ok(KeyMaterial::Asymmetric(Arc::new(pair)))
        }
    }
}
