//! GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial: the operations of
//! keys whose material is imported (origin `EXTERNAL`), and the expiry of imported material,
//! which falls due in `deadlines.rs` like deletions and rotations do.
//! See <https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html>. Related
//! multi-Region keys each import the material themselves: a replica takes only material its
//! primary has, and `multi_region::sync_replicas` keeps what they share in step.
//!
//! An import token is `1 ‖ token id (16 random bytes) ‖ ParametersValidTo (ms, u64 BE) ‖ key
//! id`. Only the key whose record holds the token id accepts it, with the wrapping key stored
//! next to it; 128 random bits cannot be guessed, so the token needs no signature. The key id
//! and date in it only tell a token of another key, and one whose parameters are gone because
//! they expired, from a mangled one.

use std::sync::Arc;

use super::resolve::Access;
use super::rules::{hmac_import_lengths, key_pair_kind};
use super::{Context, Error, Kms, Result, seed};
use crate::crypto::asymmetric::{AsymmetricKey, Hash, KeyPairKind};
use crate::crypto::{self, KeyMaterial, key_wrap};
use crate::model::{
    ImportParameters, ImportType, ImportedMaterial, Key, KeyMaterialState, KeyRef, KeySpec,
    KeyState, Material, MaterialId, Origin, Timestamp, WrappingAlgorithm, WrappingKeySpec,
};

/// How long import parameters stay valid: 24 hours.
pub const PARAMETERS_VALID_MS: u64 = 24 * 60 * 60 * 1000;
/// The latest `ValidTo` ImportKeyMaterial accepts: 365 days after the request.
pub const MAX_VALID_TO_DAYS: u32 = 365;
/// Outstanding parameters kept per key; the oldest go first.
const MAX_PARAMETERS: usize = 10;
const TOKEN_VERSION: u8 = 1;

/// GetParametersForImport's request.
#[derive(Debug)]
pub struct GetParametersForImportInput {
    /// The key.
    pub key: KeyRef,
    /// `WrappingAlgorithm`.
    pub algorithm: WrappingAlgorithm,
    /// `WrappingKeySpec`.
    pub spec: WrappingKeySpec,
}

/// What GetParametersForImport answers.
#[derive(Debug)]
pub struct ImportParametersOutput {
    /// The key.
    pub key: Arc<Key>,
    /// `ImportToken`.
    pub token: Vec<u8>,
    /// `PublicKey`: DER SubjectPublicKeyInfo of the wrapping key.
    pub public_key: Vec<u8>,
    /// `ParametersValidTo`.
    pub valid_to: Timestamp,
}

/// ImportKeyMaterial's request.
#[derive(Debug)]
pub struct ImportKeyMaterialInput {
    /// The key.
    pub key: KeyRef,
    /// `ImportToken`.
    pub token: Vec<u8>,
    /// `EncryptedKeyMaterial`.
    pub encrypted: Vec<u8>,
    /// `ValidTo`: set exactly when the material expires (`KEY_MATERIAL_EXPIRES`).
    pub valid_to: Option<Timestamp>,
    /// `ImportType`, when given.
    pub import_type: Option<ImportType>,
    /// `KeyMaterialDescription`, when given.
    pub description: Option<String>,
    /// `KeyMaterialId`, when given.
    pub material_id: Option<MaterialId>,
}

/// DeleteImportedKeyMaterial's request.
#[derive(Debug)]
pub struct DeleteImportedKeyMaterialInput {
    /// The key.
    pub key: KeyRef,
    /// `KeyMaterialId`: the current material when absent.
    pub material_id: Option<MaterialId>,
}

impl Kms {
    /// GetParametersForImport: a fresh wrapping key pair and a token bound to it and to the
    /// key, valid for 24 hours on kmsd's clock. The key pair is generated (or taken from the
    /// pool) before the writer lock is taken.
    pub fn get_parameters_for_import(
        &self,
        cx: &mut Context,
        input: GetParametersForImportInput,
    ) -> Result<ImportParametersOutput> {
        let key = self.resolve(cx, &input.key, Access::Own)?;
        check_parameters_key(cx, &key)?;
        check_wrapping(&key, input.spec, input.algorithm)?;
        let bits = match input.spec {
            WrappingKeySpec::Rsa2048 => 2048,
            WrappingKeySpec::Rsa3072 => 3072,
            WrappingKeySpec::Rsa4096 => 4096,
            WrappingKeySpec::Sm2 => 0,
        };
        let wrapping_key = if bits == 0 {
            AsymmetricKey::generate(KeyPairKind::Sm2)
        } else {
            self.rsa_pool.take(bits)
        }
        .map_err(Error::Crypto)?;
        let public_key = wrapping_key.public_key_der().map_err(Error::Crypto)?;
        let token_id: [u8; 16] = crypto::random_array();
        let valid_to = Timestamp(self.clock.now().0 + PARAMETERS_VALID_MS);
        let parameters = ImportParameters {
            token_id,
            wrapping_key: Arc::new(wrapping_key),
            wrapping_spec: input.spec,
            algorithm: input.algorithm,
            valid_to,
        };
        let now = self.clock.now();
        let key = self.update_key_returning(cx, &input.key, |key| {
            check_parameters_key_state(key)?;
            let kept = &mut key.imports_mut().parameters;
            kept.retain(|p| p.valid_to > now);
            if kept.len() >= MAX_PARAMETERS {
                kept.drain(..=kept.len() - MAX_PARAMETERS);
            }
            kept.push(parameters);
            Ok(())
        })?;
        let token = encode_token(&token_id, valid_to, key.arn.key_id.as_str());
        Ok(ImportParametersOutput {
            key,
            token,
            public_key,
            valid_to,
        })
    }

    /// ImportKeyMaterial: unwraps the material with the token's wrapping key, checks that it
    /// suits the key, and imports it as new material or again. Returns the key and the
    /// material's id.
    pub fn import_key_material(
        &self,
        cx: &mut Context,
        input: ImportKeyMaterialInput,
    ) -> Result<(Arc<Key>, MaterialId)> {
        let now = self.clock.now();
        if let Some(valid_to) = input.valid_to {
            if valid_to <= now {
                return Err(Error::Validation(
                    "ValidTo must be a date and time in the future.".into(),
                ));
            }
            if valid_to > now.plus_days(MAX_VALID_TO_DAYS) {
                return Err(Error::Validation(format!(
                    "ValidTo must be at most {MAX_VALID_TO_DAYS} days after the request."
                )));
            }
        }
        let key = self.resolve(cx, &input.key, Access::Own)?;
        key.require_customer_managed(&cx.caller, cx.operation)?;
        key.require_origin(Origin::External)?;
        require_import_state(&key)?;
        check_symmetric_only(&key, &input)?;
        let parameters = find_parameters(&key, &input.token, now)?;
        let secret = unwrap_material(&parameters, &input.encrypted)?;
        let secret = parse_material(&key, secret)?;
        let id = seed::derived_material_id(key.arn.key_id.as_str(), &secret);
        let key = self.update_key_returning(cx, &input.key, |key| {
            require_import_state(key)?;
            // The parameters must still be the key's: a concurrent call may have replaced them.
            find_parameters(key, &input.token, now)?;
            import(key, &input, id, secret, now)
        })?;
        Ok((key, id))
    }

    /// DeleteImportedKeyMaterial: the named (or current) material goes; the key waits for it
    /// again (`PendingImport`) unless it is pending deletion, or the material was only pending
    /// rotation. Returns the key and the id of the material deleted.
    pub fn delete_imported_key_material(
        &self,
        cx: &mut Context,
        input: DeleteImportedKeyMaterialInput,
    ) -> Result<(Arc<Key>, MaterialId)> {
        let mut deleted = None;
        let key = self.update_key_returning(cx, &input.key, |key| {
            key.require_origin(Origin::External)?;
            if !matches!(
                key.state,
                KeyState::Enabled
                    | KeyState::Disabled
                    | KeyState::PendingImport
                    | KeyState::PendingDeletion
            ) {
                return Err(key.invalid_state());
            }
            let target = match input.material_id {
                Some(id) => key.imports().material(&id).cloned().ok_or_else(|| {
                    Error::Validation(format!(
                        "Key material {id} is not associated with {}.",
                        key.arn
                    ))
                })?,
                None => key
                    .imports()
                    .current()
                    .cloned()
                    .ok_or_else(|| key.invalid_state())?,
            };
            if !target.imported {
                return Err(key.invalid_state());
            }
            remove_material(key, &target.id);
            deleted = Some(target.id);
            Ok(())
        })?;
        // Invariant: the update succeeded, so it chose a material.
        let id = deleted.ok_or(Error::KeyNotFound(key.arn.to_string()))?;
        Ok((key, id))
    }
}

/// Removes material `id` from `key`, as deletion or expiry does: material pending rotation is
/// forgotten (by a multi-Region primary key, for its replicas too: `multi_region::sync_replicas`
/// follows); other material waits to be imported again, and so does the key. A replica key
/// only lacks material pending rotation again, which stays its primary's: "If you delete any
/// key material of a replica Region key, the primary Region key and other replica Region keys
/// remain unchanged" (DeleteImportedKeyMaterial).
pub(super) fn remove_material(key: &mut Key, id: &MaterialId) {
    let Some(index) = key.imports().materials.iter().position(|m| &m.id == id) else {
        return;
    };
    let pending = key.imports().materials[index].pending_rotation();
    if pending && !key.is_replica() {
        key.imports_mut().materials.remove(index);
    } else {
        let entry = &mut key.imports_mut().materials[index];
        entry.imported = false;
        entry.valid_to = None;
        if !pending && key.state != KeyState::PendingDeletion {
            key.state = KeyState::PendingImport;
        }
    }
    key.materials = key
        .materials
        .iter()
        .filter(|m| &m.id != id)
        .cloned()
        .collect();
}

/// The earliest time imported material of `key` expires.
pub(super) fn next_expiry(key: &Key) -> Option<Timestamp> {
    key.imports()
        .materials
        .iter()
        .filter(|m| m.imported)
        .filter_map(|m| m.valid_to)
        .min()
}

/// Deletes every material of `key` whose `ValidTo` is at or before `now`. Returns whether any
/// expired.
pub(super) fn expire_due(key: &mut Key, now: Timestamp) -> bool {
    let due: Vec<MaterialId> = key
        .imports()
        .materials
        .iter()
        .filter(|m| m.imported && m.valid_to.is_some_and(|t| t <= now))
        .map(|m| m.id)
        .collect();
    for id in &due {
        remove_material(key, id);
    }
    !due.is_empty()
}

/// The key GetParametersForImport names: customer managed, origin `EXTERNAL`, and in a state
/// that takes an import.
fn check_parameters_key(cx: &Context, key: &Key) -> Result<()> {
    key.require_customer_managed(&cx.caller, cx.operation)?;
    key.require_origin(Origin::External)?;
    check_parameters_key_state(key)
}

fn check_parameters_key_state(key: &Key) -> Result<()> {
    key.require_origin(Origin::External)?;
    require_import_state(key)
}

/// ImportKeyMaterial and GetParametersForImport need an `Enabled`, `Disabled` or
/// `PendingImport` key (AWS's key state table).
fn require_import_state(key: &Key) -> Result<()> {
    match key.state {
        KeyState::Enabled | KeyState::Disabled | KeyState::PendingImport => Ok(()),
        _ => Err(key.invalid_state()),
    }
}

/// The wrapping key spec and algorithm must go together and suit the key's material: RSA
/// private keys are too large for RSA-OAEP alone, and so is a P-521 private key for RSA_2048.
fn check_wrapping(key: &Key, spec: WrappingKeySpec, algorithm: WrappingAlgorithm) -> Result<()> {
    use WrappingAlgorithm as A;
    if algorithm == A::RsaesPkcs1V15 {
        return Err(Error::Validation(
            "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported for importing key \
             material. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256."
                .into(),
        ));
    }
    if (spec == WrappingKeySpec::Sm2) != (algorithm == A::Sm2pke) {
        return Err(Error::Validation(format!(
            "WrappingAlgorithm {algorithm} is not compatible with WrappingKeySpec {spec}."
        )));
    }
    let direct = matches!(algorithm, A::RsaesOaepSha1 | A::RsaesOaepSha256);
    let rsa_material = matches!(
        key.spec,
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096
    );
    if direct && rsa_material {
        return Err(Error::Validation(format!(
            "{} key material cannot be wrapped with {algorithm}: it is too large for RSA-OAEP \
             alone. Use an RSA_AES_KEY_WRAP wrapping algorithm.",
            key.spec
        )));
    }
    if direct && key.spec == KeySpec::EccNistP521 && spec == WrappingKeySpec::Rsa2048 {
        return Err(Error::Validation(format!(
            "ECC_NIST_P521 key material cannot be wrapped with {algorithm} under an RSA_2048 \
             wrapping key. Use an RSA_AES_KEY_WRAP wrapping algorithm or a longer wrapping key."
        )));
    }
    Ok(())
}

/// `ImportType`, `KeyMaterialId` and `KeyMaterialDescription` are for symmetric encryption
/// keys only.
fn check_symmetric_only(key: &Key, input: &ImportKeyMaterialInput) -> Result<()> {
    if key.spec == KeySpec::SymmetricDefault {
        return Ok(());
    }
    let member = if input.import_type.is_some() {
        "ImportType"
    } else if input.material_id.is_some() {
        "KeyMaterialId"
    } else if input.description.is_some() {
        "KeyMaterialDescription"
    } else {
        return Ok(());
    };
    Err(Error::Validation(format!(
        "{member} is only supported for symmetric encryption keys; {} is a {} key.",
        key.arn, key.spec
    )))
}

/// The token as GetParametersForImport hands it out.
fn encode_token(token_id: &[u8; 16], valid_to: Timestamp, key_id: &str) -> Vec<u8> {
    let mut token = Vec::with_capacity(25 + key_id.len());
    token.push(TOKEN_VERSION);
    token.extend_from_slice(token_id);
    token.extend_from_slice(&valid_to.0.to_be_bytes());
    token.extend_from_slice(key_id.as_bytes());
    token
}

/// The parameters `token` names on `key`, if they are still valid.
fn find_parameters(key: &Key, token: &[u8], now: Timestamp) -> Result<ImportParameters> {
    let invalid = || {
        Error::InvalidImportToken(
            "The import token is not valid: it is malformed, or it was issued for another key."
                .into(),
        )
    };
    if token.len() < 25 || token[0] != TOKEN_VERSION {
        return Err(invalid());
    }
    let token_id = &token[1..17];
    let found = key
        .imports()
        .parameters
        .iter()
        .find(|p| p.token_id == token_id);
    match found {
        Some(p) if p.valid_to <= now => Err(Error::ExpiredImportToken),
        Some(p) => Ok(p.clone()),
        None => {
            let mut date = [0u8; 8];
            date.copy_from_slice(&token[17..25]);
            let same_key = &token[25..] == key.arn.key_id.as_str().as_bytes();
            if same_key && Timestamp(u64::from_be_bytes(date)) <= now {
                Err(Error::ExpiredImportToken)
            } else {
                Err(invalid())
            }
        }
    }
}

/// Unwraps `EncryptedKeyMaterial` as `parameters.algorithm` says. Any failure is an invalid
/// ciphertext, as in AWS.
fn unwrap_material(parameters: &ImportParameters, encrypted: &[u8]) -> Result<Vec<u8>> {
    use WrappingAlgorithm as A;
    let key = &parameters.wrapping_key;
    let invalid = |_| Error::InvalidCiphertext;
    match parameters.algorithm {
        A::RsaesOaepSha1 => key.decrypt_oaep(Hash::Sha1, encrypted).map_err(invalid),
        A::RsaesOaepSha256 => key.decrypt_oaep(Hash::Sha256, encrypted).map_err(invalid),
        A::RsaAesKeyWrapSha1 | A::RsaAesKeyWrapSha256 => {
            let hash = if parameters.algorithm == A::RsaAesKeyWrapSha1 {
                Hash::Sha1
            } else {
                Hash::Sha256
            };
            // The RSA-OAEP ciphertext of the AES key is as long as the modulus; the AES key
            // wrap of the material follows it.
            let modulus = match parameters.wrapping_spec {
                WrappingKeySpec::Rsa2048 => 256,
                WrappingKeySpec::Rsa3072 => 384,
                WrappingKeySpec::Rsa4096 => 512,
                WrappingKeySpec::Sm2 => return Err(Error::InvalidCiphertext),
            };
            if encrypted.len() <= modulus {
                return Err(Error::InvalidCiphertext);
            }
            let (wrapped_key, wrapped_material) = encrypted.split_at(modulus);
            let aes_key = key.decrypt_oaep(hash, wrapped_key).map_err(invalid)?;
            let aes_key: [u8; 32] = aes_key
                .as_slice()
                .try_into()
                .map_err(|_| Error::InvalidCiphertext)?;
            key_wrap::unwrap_with_padding(&aes_key, wrapped_material).map_err(invalid)
        }
        A::Sm2pke => key.decrypt_sm2(encrypted).map_err(invalid),
        A::RsaesPkcs1V15 => Err(Error::InvalidCiphertext),
    }
}

/// Reads unwrapped material as the key's spec needs it: 32 bytes for a symmetric key, a length
/// within the spec's range for HMAC, DER PKCS#8 of the spec's kind for a key pair.
fn parse_material(key: &Key, bytes: Vec<u8>) -> Result<KeyMaterial> {
    let incorrect = |why: String| Error::IncorrectKeyMaterial(why);
    if key.spec == KeySpec::SymmetricDefault {
        let len = bytes.len();
        return <[u8; 32]>::try_from(bytes)
            .map(KeyMaterial::Aes256)
            .map_err(|_| {
                incorrect(format!(
                    "Key material for a SYMMETRIC_DEFAULT key must be 256 bits (32 bytes); this \
                     is {len} bytes."
                ))
            });
    }
    if let Some(lengths) = hmac_import_lengths(key.spec) {
        if !lengths.contains(&bytes.len()) {
            return Err(incorrect(format!(
                "Key material for a {} key must be {} to {} bytes; this is {} bytes.",
                key.spec,
                lengths.start(),
                lengths.end(),
                bytes.len()
            )));
        }
        return Ok(KeyMaterial::Hmac(bytes));
    }
    let Some(kind) = key_pair_kind(key.spec) else {
        return Err(Error::Unsupported(format!(
            "Importing {} key material is not supported.",
            key.spec
        )));
    };
    if bytes.starts_with(b"-----") {
        return Err(incorrect(
            "Key material for an asymmetric key must be a DER-encoded PKCS #8 private key, \
             not PEM."
                .into(),
        ));
    }
    let pair = AsymmetricKey::from_private_bytes(kind, &bytes).map_err(|_| {
        incorrect(format!(
            "The key material is not a DER-encoded PKCS #8 {} private key.",
            key.spec
        ))
    })?;
    Ok(KeyMaterial::Asymmetric(Arc::new(pair)))
}

/// Applies one import to `key` (under the writer lock).
fn import(
    key: &mut Key,
    input: &ImportKeyMaterialInput,
    id: MaterialId,
    secret: KeyMaterial,
    now: Timestamp,
) -> Result<()> {
    let known = key.imports().material(&id).cloned();
    if known.is_none()
        && let Some(config) = key.multi_region.as_ref().filter(|_| key.is_replica())
    {
        // A replica takes only material its primary has: new material goes into the primary
        // first ("You cannot directly import new key material into the replica Region keys").
        return Err(Error::IncorrectKeyMaterial(format!(
            "The key material is not key material of the multi-Region primary key in {}. \
             Import new key material into the primary key first, then the same key material \
             into each replica key.",
            config.primary.as_str()
        )));
    }
    let first = key.imports().materials.is_empty();
    let import_type = input.import_type.unwrap_or(if first {
        ImportType::NewKeyMaterial
    } else {
        ImportType::ExistingKeyMaterial
    });
    if let Some(named) = input.material_id
        && named != id
    {
        return Err(Error::IncorrectKeyMaterial(format!(
            "The key material does not match key material ID {named}."
        )));
    }
    match (import_type, &known) {
        (ImportType::NewKeyMaterial, Some(_)) => {
            return Err(Error::IncorrectKeyMaterial(format!(
                "This key material is already associated with {} (key material ID {id}); \
                 import it with ImportType EXISTING_KEY_MATERIAL.",
                key.arn
            )));
        }
        (ImportType::NewKeyMaterial, None) => {
            let state = if first {
                KeyMaterialState::Current
            } else {
                if key.spec != KeySpec::SymmetricDefault {
                    return Err(Error::IncorrectKeyMaterial(format!(
                        "{} already has key material; the material of a {} key cannot change.",
                        key.arn, key.spec
                    )));
                }
                if let Some(pending) = key
                    .imports()
                    .materials
                    .iter()
                    .find(|m| m.pending_rotation())
                {
                    return Err(Error::IncorrectKeyMaterial(format!(
                        "{} already has new key material pending rotation (key material ID \
                         {}). Rotate the key with RotateKeyOnDemand, or delete that material, \
                         before importing more.",
                        key.arn, pending.id
                    )));
                }
                KeyMaterialState::PendingRotation
            };
            key.imports_mut().materials.push(ImportedMaterial {
                id,
                state,
                imported: false,
                valid_to: None,
                description: None,
            });
        }
        (ImportType::ExistingKeyMaterial, None) => {
            return Err(Error::IncorrectKeyMaterial(if first {
                format!(
                    "{} has no key material yet; import it with ImportType NEW_KEY_MATERIAL.",
                    key.arn
                )
            } else {
                format!(
                    "The key material is not the key material previously imported into {}.",
                    key.arn
                )
            }));
        }
        (ImportType::ExistingKeyMaterial, Some(_)) => {}
    }
    let entry = key
        .imports_mut()
        .materials
        .iter_mut()
        .find(|m| m.id == id)
        .ok_or(Error::IncorrectKeyMaterial(String::new()))?;
    entry.imported = true;
    entry.valid_to = input.valid_to;
    if input.description.is_some() {
        entry.description.clone_from(&input.description);
    }
    if key.material(&id).is_none() {
        key.materials = key
            .materials
            .iter()
            .cloned()
            .chain(std::iter::once(Material {
                id,
                secret,
                created: now,
            }))
            .collect();
    }
    if key.state == KeyState::PendingImport && key.imports().complete() {
        key.state = KeyState::Enabled;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
