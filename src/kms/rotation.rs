//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand and ListKeyRotations, and `rotate`, which gives a key new material.
//! Automatic rotations fall due in `deadlines.rs`. A rotation appends a [`Material`]; older
//! ones stay, so every ciphertext (which names its material) still decrypts.
//! See <https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html>.

use std::sync::Arc;

use super::resolve::Access;
use super::{Context, Error, Kms, Page, Paging, Result};
use crate::crypto::{self, KeyMaterial};
use crate::model::{
    ImportedMaterial, Key, KeyMaterialState, KeyRef, KeySpec, KeyState, KeyUsage, Material,
    MaterialId, Origin, RotationRecord, RotationSchedule, RotationType, Timestamp,
};

/// `RotationPeriodInDays` when EnableKeyRotation does not say.
pub const ROTATION_PERIOD_DEFAULT: u32 = 365;
/// The periods AWS accepts.
pub const ROTATION_PERIOD_RANGE: std::ops::RangeInclusive<u32> = 90..=2560;
/// On-demand rotations per key: a KMS quota that cannot be raised.
pub const ON_DEMAND_ROTATION_LIMIT: usize = 25;
/// ListKeyRotations's default page size.
pub const LIST_KEY_ROTATIONS_DEFAULT_LIMIT: usize = 100;

/// RotateKeyOnDemand is refused this close to an automatic rotation (ConflictException).
const CONFLICT_WINDOW_MS: u64 = 20 * 60 * 1000;

/// What GetKeyRotationStatus reports.
#[derive(Debug, Clone)]
pub struct RotationStatus {
    /// The key.
    pub key: Arc<Key>,
    /// `KeyRotationEnabled`: false while the key is pending deletion, whatever its schedule.
    pub enabled: bool,
    /// The schedule, when `enabled`.
    pub schedule: Option<RotationSchedule>,
}

/// One ListKeyRotations entry: a material of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationEntry {
    /// `KeyMaterialId`.
    pub material_id: MaterialId,
    /// `KeyMaterialState`.
    pub state: KeyMaterialState,
    /// The rotation that created it; `None` for the key's first material, and for imported
    /// material pending rotation.
    pub rotation: Option<(Timestamp, RotationType)>,
    /// Its import, for a symmetric key with imported material.
    pub import: Option<ImportedMaterial>,
}

/// EnableKeyRotation's request.
#[derive(Debug)]
pub struct EnableKeyRotationInput {
    /// The key.
    pub key: KeyRef,
    /// `RotationPeriodInDays`, when given.
    pub period_days: Option<u32>,
}

/// ListKeyRotations's request.
#[derive(Debug)]
pub struct ListKeyRotationsInput {
    /// The key.
    pub key: KeyRef,
    /// `IncludeKeyMaterial` `ALL_KEY_MATERIAL`: list the key's first material too.
    pub include_first: bool,
    /// Which page.
    pub paging: Paging,
}

impl Kms {
    /// EnableKeyRotation: rotate automatically every `period_days` (default 365), first
    /// `period_days` after now. Changing the period of a key that already rotates keeps its
    /// rhythm: the next date becomes the last automatic rotation (or enable date) plus the new
    /// period, and falls due at once if that has passed.
    pub fn enable_key_rotation(
        &self,
        cx: &mut Context,
        input: EnableKeyRotationInput,
    ) -> Result<()> {
        let period_days = input.period_days.unwrap_or(ROTATION_PERIOD_DEFAULT);
        if !ROTATION_PERIOD_RANGE.contains(&period_days) {
            return Err(Error::Validation(format!(
                "RotationPeriodInDays must be between {} and {}",
                ROTATION_PERIOD_RANGE.start(),
                ROTATION_PERIOD_RANGE.end()
            )));
        }
        let now = self.clock.now();
        self.update_key(cx, &input.key, |key| {
            require_rotation_state(key)?;
            check_rotatable(key)?;
            let since = match key.rotation.schedule {
                Some(old) => Timestamp(old.next.0.saturating_sub(days_ms(old.period_days))),
                None => now,
            };
            key.rotation.schedule = Some(RotationSchedule {
                period_days,
                next: since.plus_days(period_days),
            });
            Ok(())
        })
    }

    /// DisableKeyRotation. On-demand rotation stays possible.
    pub fn disable_key_rotation(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<()> {
        self.update_key(cx, key_ref, |key| {
            require_rotation_state(key)?;
            check_rotatable(key)?;
            key.rotation.schedule = None;
            Ok(())
        })
    }

    /// GetKeyRotationStatus. Works in every state and across accounts; asymmetric and HMAC
    /// keys simply do not rotate.
    pub fn get_key_rotation_status(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
    ) -> Result<RotationStatus> {
        let key = self.resolve(cx, key_ref, Access::CrossAccountKeyOnly)?;
        let status = match check_rotatable(&key) {
            Ok(()) => {
                // While a key is pending deletion its rotation status is false; cancelling the
                // deletion brings the schedule back.
                let schedule = key
                    .rotation
                    .schedule
                    .filter(|_| key.state != KeyState::PendingDeletion);
                RotationStatus {
                    enabled: schedule.is_some(),
                    schedule,
                    key,
                }
            }
            Err(Error::NotRotatable) => RotationStatus {
                key,
                enabled: false,
                schedule: None,
            },
            Err(other) => return Err(other),
        };
        cx.uses(&status.key);
        Ok(status)
    }

    /// RotateKeyOnDemand: new material now (for imported material, the material imported
    /// for it, `PENDING_ROTATION`, becomes current). It completes at once, so
    /// GetKeyRotationStatus never shows an `OnDemandRotationStartDate`. The automatic schedule
    /// does not change.
    pub fn rotate_key_on_demand(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<Arc<Key>> {
        let now = self.clock.now();
        self.update_key_returning(cx, key_ref, |key| {
            require_rotation_state(key)?;
            check_on_demand_rotatable(key)?;
            let done = key
                .rotation
                .history
                .iter()
                .filter(|r| r.kind == RotationType::OnDemand)
                .count();
            if done >= ON_DEMAND_ROTATION_LIMIT {
                return Err(Error::LimitExceeded(format!(
                    "The on-demand rotations limit has been reached for the given keyId. No more \
                     on-demand rotations can be performed for this key: {}",
                    key.arn
                )));
            }
            if key
                .rotation
                .schedule
                .is_some_and(|s| s.next.0 <= now.0.saturating_add(CONFLICT_WINDOW_MS))
            {
                return Err(Error::Conflict(
                    "The request was rejected because an automatic rotation of this key is \
                     currently in progress or scheduled to begin within the next 20 minutes."
                        .into(),
                ));
            }
            if key.origin == Origin::External {
                return rotate_imported(key, now);
            }
            rotate(key, now, RotationType::OnDemand);
            Ok(())
        })
    }

    /// ListKeyRotations: the materials rotations created, oldest first, and with
    /// `include_first` the key's first material before them. The marker is the last
    /// `KeyMaterialId` returned.
    pub fn list_key_rotations(
        &self,
        cx: &mut Context,
        input: ListKeyRotationsInput,
    ) -> Result<(Arc<Key>, Page<RotationEntry>)> {
        let key = self.resolve(cx, &input.key, Access::Own)?;
        let include_first = input.include_first;
        let Paging { limit, marker } = input.paging;
        if include_first {
            // "This parameter can only be used with KMS keys that support automatic or
            // on-demand key rotation."
            check_on_demand_rotatable(&key)?;
        }
        let entries = rotation_entries(&key, include_first);
        let start = match marker {
            None => 0,
            Some(m) => {
                entries
                    .iter()
                    .position(|e| e.material_id.to_string() == m)
                    .ok_or(Error::InvalidMarker(m))?
                    + 1
            }
        };
        let items: Vec<RotationEntry> = entries.iter().skip(start).take(limit).cloned().collect();
        let next_marker = (start + items.len() < entries.len())
            .then(|| items.last().map(|e| e.material_id.to_string()))
            .flatten();
        cx.uses(&key);
        Ok((key, Page { items, next_marker }))
    }
}

/// The materials ListKeyRotations lists: those rotations made current, oldest first, and with
/// `include_first` the key's first material before them and imported material pending
/// rotation after them.
fn rotation_entries(key: &Key, include_first: bool) -> Vec<RotationEntry> {
    if key.origin == Origin::External {
        let symmetric = key.spec == KeySpec::SymmetricDefault;
        let entry = |m: &ImportedMaterial| RotationEntry {
            material_id: m.id,
            state: m.state,
            rotation: key
                .rotation
                .history
                .iter()
                .find(|r| r.material_id == m.id)
                .map(|r| (r.date, r.kind)),
            import: symmetric.then(|| m.clone()),
        };
        return key
            .imports()
            .materials
            .iter()
            .map(entry)
            .filter(|e| include_first || e.rotation.is_some())
            .collect();
    }
    let current = key.current_material().map(|m| m.id);
    let state = |id: MaterialId| {
        if Some(id) == current {
            KeyMaterialState::Current
        } else {
            KeyMaterialState::NonCurrent
        }
    };
    let first = key
        .materials
        .first()
        .filter(|_| include_first)
        .map(|m| RotationEntry {
            material_id: m.id,
            state: state(m.id),
            rotation: None,
            import: None,
        });
    first
        .into_iter()
        .chain(key.rotation.history.iter().map(|r| RotationEntry {
            material_id: r.material_id,
            state: state(r.material_id),
            rotation: Some((r.date, r.kind)),
            import: None,
        }))
        .collect()
}

/// On-demand rotation of imported material: the material imported for it becomes current. A
/// multi-Region primary key rotates once every replica key has that material too (it is
/// `PENDING_ROTATION`, no longer `PENDING_MULTI_REGION_IMPORT_AND_ROTATION`); the replicas
/// follow in the same batch (`multi_region::sync_replicas`).
fn rotate_imported(key: &mut Key, date: Timestamp) -> Result<()> {
    if let Some(waiting) = key
        .imports()
        .materials
        .iter()
        .find(|m| m.state == KeyMaterialState::PendingMultiRegionImportAndRotation)
    {
        return Err(Error::Validation(format!(
            "Key material {} of {} is in PENDING_MULTI_REGION_IMPORT_AND_ROTATION state: import \
             it into every replica key (ImportType EXISTING_KEY_MATERIAL) before rotating the \
             key on demand.",
            waiting.id, key.arn
        )));
    }
    let Some(pending) = key
        .imports()
        .materials
        .iter()
        .position(|m| m.state == KeyMaterialState::PendingRotation)
    else {
        return Err(Error::Validation(format!(
            "{} has no imported key material in PENDING_ROTATION state. Import new key \
             material (ImportType NEW_KEY_MATERIAL) before rotating the key on demand.",
            key.arn
        )));
    };
    if !key.imports().materials[pending].imported {
        return Err(key.invalid_state());
    }
    for material in &mut key.imports_mut().materials {
        if material.state == KeyMaterialState::Current {
            material.state = KeyMaterialState::NonCurrent;
        }
    }
    let material = &mut key.imports_mut().materials[pending];
    material.state = KeyMaterialState::Current;
    let material_id = material.id;
    key.rotation.history.push(RotationRecord {
        material_id,
        date,
        kind: RotationType::OnDemand,
    });
    Ok(())
}

/// Gives `key` new AES-256 material, current from `date` on, and records the rotation.
pub(super) fn rotate(key: &mut Key, date: Timestamp, kind: RotationType) {
    let material = Material {
        id: MaterialId(crypto::random_array()),
        secret: KeyMaterial::generate_aes256(),
        created: date,
    };
    key.rotation.history.push(RotationRecord {
        material_id: material.id,
        date,
        kind,
    });
    key.materials = key
        .materials
        .iter()
        .cloned()
        .chain(std::iter::once(material))
        .collect();
}

/// Applies every automatic rotation of `key` due at `now`, each dated when it was due, and
/// moves the schedule on by the period each time. Returns whether it rotated.
pub(super) fn rotate_due(key: &mut Key, now: Timestamp) -> bool {
    let mut rotated = false;
    while let Some(schedule) = key.rotation.schedule.filter(|s| s.next <= now) {
        rotate(key, schedule.next, RotationType::Automatic);
        key.rotation.schedule = Some(RotationSchedule {
            next: schedule.next.plus_days(schedule.period_days),
            ..schedule
        });
        rotated = true;
    }
    rotated
}

/// A key that was not rotated while disabled catches up when it is enabled again: if its
/// rotation date has passed, it rotates at once and then every period from now. Otherwise it
/// keeps its schedule. (AWS: "If the key material in the re-enabled KMS key hasn't been
/// rotated in one year, KMS rotates it immediately, and every year thereafter.")
pub(super) fn catch_up_after_enable(key: &mut Key, now: Timestamp) {
    if key.is_replica() {
        // A replica's material follows its primary's rotations.
        return;
    }
    if let Some(schedule) = key.rotation.schedule.filter(|s| s.next <= now) {
        rotate(key, now, RotationType::Automatic);
        key.rotation.schedule = Some(RotationSchedule {
            next: now.plus_days(schedule.period_days),
            ..schedule
        });
    }
}

/// Only symmetric encryption keys whose material KMS generated rotate automatically. Keys
/// with other origins get AWS's origin message; asymmetric and HMAC keys get AWS's (empty) one.
pub(super) fn check_rotatable(key: &Key) -> Result<()> {
    key.require_origin(Origin::AwsKms)?;
    check_symmetric(key)
}

/// Symmetric encryption keys rotate on demand whether KMS generated their material or it was
/// imported (then the rotation makes imported material current).
fn check_on_demand_rotatable(key: &Key) -> Result<()> {
    if key.origin != Origin::External {
        key.require_origin(Origin::AwsKms)?;
    }
    check_symmetric(key)
}

fn check_symmetric(key: &Key) -> Result<()> {
    if key.spec != KeySpec::SymmetricDefault || key.usage != KeyUsage::EncryptDecrypt {
        return Err(Error::NotRotatable);
    }
    Ok(())
}

/// Enable/DisableKeyRotation and RotateKeyOnDemand need an enabled key, as in AWS's key state
/// table: Disabled is a DisabledException, PendingDeletion a KMSInvalidStateException. A
/// multi-Region replica rotates with its primary and refuses them.
fn require_rotation_state(key: &Key) -> Result<()> {
    if key.is_replica() {
        return Err(Error::NotMultiRegionPrimary(key.arn.clone()));
    }
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(Error::Disabled(key.arn.clone())),
        KeyState::PendingDeletion => Err(key.invalid_state()),
        _ => {
            check_on_demand_rotatable(key)?;
            Err(key.invalid_state())
        }
    }
}

fn days_ms(days: u32) -> u64 {
    u64::from(days) * 86_400_000
}

#[cfg(test)]
mod tests;
