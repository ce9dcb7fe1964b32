//! The key record and what belongs to it: material versions, policy, rotation, grants, last
//! usage; and aliases. These are the values `kms` reasons about and `store` persists.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::crypto::KeyMaterial;
use crate::crypto::asymmetric::AsymmetricKey;

/// A grant: permission for a principal to use a key for some operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `GrantId`: 64 lowercase hex digits.
    pub id: String,
    /// `Name`, when the grant was given one.
    pub name: Option<String>,
    /// `CreationDate`.
    pub creation_date: Timestamp,
    /// `GranteePrincipal`.
    pub grantee: String,
    /// `RetiringPrincipal`.
    pub retiring: Option<String>,
    /// The account that created the grant (`IssuingAccount` is its root ARN).
    pub issuing_account: AccountId,
    /// `Operations`, in the order given, without repeats.
    pub operations: Vec<GrantOperation>,
    /// `Constraints`.
    pub constraints: Option<GrantConstraints>,
}

/// `GrantConstraints`: the encryption context a grant's operations must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantConstraints {
    /// `EncryptionContextSubset`: pairs the request's context must include.
    pub subset: Option<EncryptionContext>,
    /// `EncryptionContextEquals`: the exact context the request must have.
    pub equals: Option<EncryptionContext>,
}

/// The last successful cryptographic operation with a key (`KeyLastUsage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUsage {
    /// `Operation`.
    pub operation: UsageOperation,
    /// `Timestamp`.
    pub at: Timestamp,
    /// `KmsRequestId`: the `x-amzn-RequestId` of the call.
    pub request_id: String,
    /// `CloudTrailEventId`. kmsd has no CloudTrail; it makes one up, once per usage, when the
    /// usage is first read or written to disk (not on the hot path).
    pub event_id: Option<String>,
}

/// One version of a key's material.
#[derive(Debug, Clone)]
pub struct Material {
    /// Its id, recorded in every ciphertext it seals.
    pub id: MaterialId,
    /// The secret.
    pub secret: KeyMaterial,
    /// When it became the key's material.
    pub created: Timestamp,
}

/// A pending deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    /// When the key will be deleted.
    pub date: Timestamp,
    /// The waiting period that was requested.
    pub window_days: u32,
}

/// Automatic rotation of a key's material, when it is enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSchedule {
    /// Days between automatic rotations (`RotationPeriodInDays`, 90–2560).
    pub period_days: u32,
    /// When the material is next rotated automatically (`NextRotationDate`).
    pub next: Timestamp,
}

/// One completed rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationRecord {
    /// The material the rotation made current.
    pub material_id: MaterialId,
    /// When the rotation completed (`RotationDate`).
    pub date: Timestamp,
    /// Automatic or on demand.
    pub kind: RotationType,
}

/// A key's rotation settings and history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRotation {
    /// Set while automatic rotation is enabled.
    pub schedule: Option<RotationSchedule>,
    /// Every rotation so far, oldest first.
    pub history: Vec<RotationRecord>,
}

/// What a key with imported material (origin `EXTERNAL`) records about its imports. Empty for
/// every other key.
#[derive(Debug, Clone, Default)]
pub struct Imports {
    /// Every material associated with the key, in the order each was first imported. Those
    /// that are present have their secret in [`Key::materials`].
    pub materials: Vec<ImportedMaterial>,
    /// The wrapping keys and tokens GetParametersForImport handed out, oldest first.
    pub parameters: Vec<ImportParameters>,
}

/// One imported key material: its place in the key's rotations and its import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMaterial {
    /// `KeyMaterialId`: derived from the key id and the material, so a re-import can be told
    /// apart from different material.
    pub id: MaterialId,
    /// `CURRENT`, `NON_CURRENT`, `PENDING_ROTATION` or (related multi-Region keys)
    /// `PENDING_MULTI_REGION_IMPORT_AND_ROTATION`.
    pub state: KeyMaterialState,
    /// Whether it is present (`IMPORTED`) or expired or deleted (`PENDING_IMPORT`).
    pub imported: bool,
    /// `ValidTo` of its last import when that import expires; `None` when it does not.
    pub valid_to: Option<Timestamp>,
    /// `KeyMaterialDescription`, kept across re-imports that give none.
    pub description: Option<String>,
}

impl ImportedMaterial {
    /// Whether it waits for an on-demand rotation (`PENDING_ROTATION`, or
    /// `PENDING_MULTI_REGION_IMPORT_AND_ROTATION` while a related replica key lacks it): such
    /// material is not yet permanently associated with the key.
    pub fn pending_rotation(&self) -> bool {
        matches!(
            self.state,
            KeyMaterialState::PendingRotation
                | KeyMaterialState::PendingMultiRegionImportAndRotation
        )
    }
}

/// A wrapping key pair and its import token, as GetParametersForImport made them.
#[derive(Debug, Clone)]
pub struct ImportParameters {
    /// The random id the import token carries; only the key that holds it accepts the token.
    pub token_id: [u8; 16],
    /// The private half of the wrapping key.
    pub wrapping_key: Arc<AsymmetricKey>,
    /// `WrappingKeySpec`.
    pub wrapping_spec: WrappingKeySpec,
    /// `WrappingAlgorithm`.
    pub algorithm: WrappingAlgorithm,
    /// `ParametersValidTo`.
    pub valid_to: Timestamp,
}

impl Imports {
    /// The bookkeeping of a key seeded with material (or stored before imports were recorded):
    /// every material imported and never expiring, the last one current.
    pub fn all_imported(materials: &[Material]) -> Imports {
        let last = materials.len().saturating_sub(1);
        Imports {
            materials: materials
                .iter()
                .enumerate()
                .map(|(i, m)| ImportedMaterial {
                    id: m.id,
                    state: if i == last {
                        KeyMaterialState::Current
                    } else {
                        KeyMaterialState::NonCurrent
                    },
                    imported: true,
                    valid_to: None,
                    description: None,
                })
                .collect(),
            parameters: Vec::new(),
        }
    }

    /// The material that seals new data, present or not.
    pub fn current(&self) -> Option<&ImportedMaterial> {
        self.materials
            .iter()
            .find(|m| m.state == KeyMaterialState::Current)
    }

    /// The material with this id.
    pub fn material(&self, id: &MaterialId) -> Option<&ImportedMaterial> {
        self.materials.iter().find(|m| &m.id == id)
    }

    /// Whether every material permanently associated with the key (all but one pending
    /// rotation) is present: only then can the key be used.
    pub fn complete(&self) -> bool {
        self.current().is_some()
            && self
                .materials
                .iter()
                .filter(|m| !m.pending_rotation())
                .all(|m| m.imported)
    }

    /// The earliest `ValidTo` of the permanently associated materials that are present
    /// (DescribeKey's `ValidTo`).
    pub fn earliest_valid_to(&self) -> Option<Timestamp> {
        self.materials
            .iter()
            .filter(|m| m.imported)
            .filter_map(|m| m.valid_to)
            .min()
    }
}

/// The encryption context: sorted, so its canonical encoding is order-independent.
pub type EncryptionContext = BTreeMap<String, String>;

/// A KMS key with everything that belongs to it except its aliases.
#[derive(Debug, Clone)]
pub struct Key {
    /// Identity and location.
    pub arn: KeyArn,
    /// When it was created.
    pub creation_date: Timestamp,
    /// Free text, `""` when unset.
    pub description: String,
    /// What it is for.
    pub usage: KeyUsage,
    /// What kind of key it is.
    pub spec: KeySpec,
    /// Where its material came from.
    pub origin: Origin,
    /// Who manages it: the customer, or AWS (the keys behind the `alias/aws/...` aliases).
    pub manager: KeyManager,
    /// Lifecycle state.
    pub state: KeyState,
    /// Set while the state is `PendingDeletion`.
    pub deletion: Option<Deletion>,
    /// Material versions, oldest first; the last one is current. Shared, because a key record
    /// is copied on every change and the material itself never changes.
    pub materials: Arc<[Material]>,
    /// Tags by key; ListResourceTags pages through them in this order.
    pub tags: BTreeMap<String, String>,
    /// The key policy document (name `default`); [`Key::policy_text`] is its text.
    pub policy: KeyPolicy,
    /// Automatic rotation and the rotations so far.
    pub rotation: KeyRotation,
    /// Grants, oldest first; ListGrants pages through them in this order.
    pub grants: Vec<Grant>,
    /// Imported materials and outstanding import parameters (origin `EXTERNAL` only; boxed,
    /// so that the many keys without any pay one pointer). [`Key::imports`] reads it.
    pub imports: Option<Box<Imports>>,
    /// Set for a multi-Region key: where its related keys are. Boxed, because most keys are
    /// single-Region and every key pays for the member.
    pub multi_region: Option<Box<MultiRegion>>,
    /// Set for a key in a custom key store (`Origin` `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`).
    /// Boxed, as most keys are not in one.
    pub custom_key_store: Option<Box<super::KeyStoreLink>>,
}

/// A multi-Region key's view of its related keys: the keys with the same id, material and
/// shared properties in other regions of the same account. Each related key holds the same
/// configuration; the operations that change it rewrite every copy in one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiRegion {
    /// The region of the primary key.
    pub primary: Region,
    /// The regions of the replica keys, in the order they were made.
    pub replicas: Vec<Region>,
    /// Set while the key is in a transient state (`Creating`, `Updating`).
    pub settles: Option<Settle>,
}

/// The end of a transient key state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settle {
    /// When the transient state ends.
    pub at: Timestamp,
    /// The state the key has then.
    pub state: KeyState,
}

/// A key policy (name `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPolicy {
    /// The policy AWS writes when a key gets none. Its text names the key's account, so it is
    /// written out when asked for, not kept with every key.
    Default,
    /// Any other document, exactly as it was given.
    Document(String),
}

impl KeyPolicy {
    /// The policy with this text for a key of `account`: [`KeyPolicy::Default`] when the text
    /// is exactly the default policy's, so that both ways of getting it are one value.
    pub fn new(account: &AccountId, text: String) -> KeyPolicy {
        if super::is_default_policy(account, &text) {
            KeyPolicy::Default
        } else {
            KeyPolicy::Document(text)
        }
    }
}

/// The imports of a key that has none.
static NO_IMPORTS: Imports = Imports {
    materials: Vec::new(),
    parameters: Vec::new(),
};

impl Key {
    /// Whether this is a multi-Region replica key (whose shared properties follow its primary).
    pub fn is_replica(&self) -> bool {
        self.multi_region
            .as_ref()
            .is_some_and(|m| m.primary != self.arn.scope.region)
    }

    /// Whether this is a multi-Region primary key.
    pub fn is_primary(&self) -> bool {
        self.multi_region
            .as_ref()
            .is_some_and(|m| m.primary == self.arn.scope.region)
    }

    /// The ARNs of the related multi-Region keys in other regions (none for a single-Region
    /// key).
    pub fn related_keys(&self) -> Vec<KeyArn> {
        let Some(config) = &self.multi_region else {
            return Vec::new();
        };
        std::iter::once(&config.primary)
            .chain(&config.replicas)
            .filter(|region| **region != self.arn.scope.region)
            .map(|region| KeyArn {
                scope: Scope {
                    account: self.arn.scope.account.clone(),
                    region: region.clone(),
                },
                key_id: self.arn.key_id.clone(),
            })
            .collect()
    }

    /// Its imported materials and outstanding import parameters (none for most keys).
    pub fn imports(&self) -> &Imports {
        self.imports.as_deref().unwrap_or(&NO_IMPORTS)
    }

    /// [`Key::imports`], to change.
    pub fn imports_mut(&mut self) -> &mut Imports {
        self.imports.get_or_insert_with(Box::default)
    }

    /// The text of the key policy, as GetKeyPolicy returns it.
    pub fn policy_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.policy {
            KeyPolicy::Default => super::default_policy(&self.arn.scope.account).into(),
            KeyPolicy::Document(text) => text.as_str().into(),
        }
    }

    /// The material that seals new data: the last one, or for imported material the one
    /// whose state is `CURRENT`, when it is present.
    pub fn current_material(&self) -> Option<&Material> {
        if self.origin == Origin::External && !self.imports().materials.is_empty() {
            return self.material(&self.imports().current()?.id);
        }
        self.materials.last()
    }

    /// The material version with this id.
    pub fn material(&self, id: &MaterialId) -> Option<&Material> {
        self.materials.iter().find(|m| &m.id == id)
    }

    /// The encryption algorithms this key supports (none unless its usage is ENCRYPT_DECRYPT).
    pub fn encryption_algorithms(&self) -> &'static [EncryptionAlgorithm] {
        if self.usage != KeyUsage::EncryptDecrypt {
            return &[];
        }
        self.spec.encryption_algorithms()
    }

    /// The signing algorithms this key supports (none unless its usage is SIGN_VERIFY).
    pub fn signing_algorithms(&self) -> &'static [SigningAlgorithm] {
        if self.usage != KeyUsage::SignVerify {
            return &[];
        }
        self.spec.signing_algorithms()
    }

    /// The MAC algorithms this key supports.
    pub fn mac_algorithms(&self) -> &'static [MacAlgorithm] {
        if self.usage != KeyUsage::GenerateVerifyMac {
            return &[];
        }
        self.spec.mac_algorithm().map_or(&[], std::slice::from_ref)
    }

    /// The key agreement algorithms this key supports.
    pub fn key_agreement_algorithms(&self) -> &'static [KeyAgreementAlgorithm] {
        if self.usage != KeyUsage::KeyAgreement {
            return &[];
        }
        &[KeyAgreementAlgorithm::Ecdh]
    }

    /// The key encapsulation algorithms this key supports (none unless its usage is
    /// ENCAPSULATE_DECAPSULATE).
    pub fn encapsulation_algorithms(&self) -> &'static [EncapsulationAlgorithm] {
        if self.usage != KeyUsage::EncapsulateDecapsulate {
            return &[];
        }
        self.spec.encapsulation_algorithms()
    }
}

/// An alias and the key it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// `alias/...`.
    pub name: AliasName,
    /// The key it points to, always in the alias's own account and region.
    pub target: KeyId,
    /// When it was created.
    pub creation_date: Timestamp,
    /// When it was last pointed at a key.
    pub last_updated: Timestamp,
}
