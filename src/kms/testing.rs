//! Helpers for the unit tests of `kms`: a home scope, contexts, a `Kms` in memory or on a
//! directory, key references.

use std::sync::Arc;

use super::aliases::AliasTargetInput;
use super::encryption::{DecryptInput, Decrypted, EncryptInput, Encrypted};
use super::keys::{CreateKeyInput, ScheduleKeyDeletionInput};
use super::{Clock, Context, Kms, Paging, Result};
use crate::model::{
    AccountId, AliasName, EncryptionAlgorithm, EncryptionContext, Key, KeyArn, KeyRef, Operation,
    Region, Scope,
};
use crate::store::Store;

/// Seconds in a day.
pub(crate) const DAY: u64 = 86_400;

/// The account and region of every test `Kms`.
pub(crate) fn home() -> Scope {
    Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

/// A context for one call of `operation` in [`home`].
pub(crate) fn cx(operation: Operation) -> Context {
    Context::new(home(), operation, "request-id")
}

/// A `Kms` that keeps nothing on disk.
pub(crate) fn in_memory() -> Kms {
    Kms::open(Store::in_memory(), home(), Clock::system()).unwrap()
}

/// A `Kms` on `dir`, waiting for a just-dropped one to release it.
pub(crate) fn kms_in(dir: &std::path::Path) -> Kms {
    Kms::open(crate::store::tests::reopen(dir), home(), Clock::system()).unwrap()
}

/// A new symmetric key.
pub(crate) fn create_key(kms: &Kms) -> Arc<Key> {
    kms.create_key(&mut cx(Operation::CreateKey), CreateKeyInput::default())
        .unwrap()
}

/// A reference to `key` by its key id.
pub(crate) fn reference(key: &Key) -> KeyRef {
    KeyRef::parse(key.arn.key_id.as_str())
}

/// Records a successful `operation` with `key` by the request `request_id`, as `api` does
/// after a call.
pub(crate) fn record_use(kms: &Kms, key: &Key, operation: Operation, request_id: &str) {
    let mut cx = Context::new(home(), operation, request_id);
    cx.uses(key);
    kms.record_usage(&cx);
}

/// DescribeKey of `key`.
pub(crate) fn describe(kms: &Kms, key: &Key) -> Result<Arc<Key>> {
    kms.describe_key(&mut cx(Operation::DescribeKey), &reference(key))
}

/// ScheduleKeyDeletion of `key` with a waiting period of `days`.
pub(crate) fn schedule_deletion(kms: &Kms, key: &Key, days: u32) -> Result<Arc<Key>> {
    let input = ScheduleKeyDeletionInput {
        key: reference(key),
        pending_window_days: Some(days),
    };
    kms.schedule_key_deletion(&mut cx(Operation::ScheduleKeyDeletion), input)
}

/// CancelKeyDeletion of `key`.
pub(crate) fn cancel_deletion(kms: &Kms, key: &Key) -> Result<Arc<Key>> {
    kms.cancel_key_deletion(&mut cx(Operation::CancelKeyDeletion), &reference(key))
}

/// CreateAlias `name` for `key`.
pub(crate) fn create_alias(kms: &Kms, name: &str, key: &Key) -> Result<()> {
    let input = AliasTargetInput {
        name: AliasName::parse(name).unwrap(),
        target: reference(key),
    };
    kms.create_alias(&mut cx(Operation::CreateAlias), input)
}

/// The names of the aliases in [`home`] that point at a key (not AWS's predefined ones).
pub(crate) fn alias_names(kms: &Kms) -> Vec<String> {
    let paging = Paging {
        limit: 100,
        marker: None,
    };
    kms.list_aliases(&mut cx(Operation::ListAliases), None, paging)
        .unwrap()
        .items
        .into_iter()
        .filter(|entry| entry.alias.is_some())
        .map(|entry| entry.name.as_str().to_owned())
        .collect()
}

/// The keys in [`home`].
pub(crate) fn key_arns(kms: &Kms) -> Vec<KeyArn> {
    let paging = Paging {
        limit: 1000,
        marker: None,
    };
    kms.list_keys(&mut cx(Operation::ListKeys), paging)
        .unwrap()
        .items
}

/// Encrypt of `plaintext` under `key`, with no encryption context.
pub(crate) fn encrypt(kms: &Kms, key: &Key, plaintext: &[u8]) -> Result<Encrypted> {
    let input = EncryptInput {
        key: reference(key),
        plaintext: plaintext.to_vec(),
        context: EncryptionContext::new(),
        algorithm: EncryptionAlgorithm::SymmetricDefault,
    };
    kms.encrypt(&mut cx(Operation::Encrypt), input)
}

/// Decrypt of a symmetric ciphertext with no encryption context, naming no key.
pub(crate) fn decrypt(kms: &Kms, ciphertext: &[u8]) -> Result<Decrypted> {
    let input = DecryptInput {
        ciphertext: ciphertext.to_vec(),
        context: EncryptionContext::new(),
        key: None,
        algorithm: EncryptionAlgorithm::SymmetricDefault,
    };
    kms.decrypt(&mut cx(Operation::Decrypt), input)
}

/// A new symmetric key without material (origin `EXTERNAL`).
pub(crate) fn create_external_key(kms: &Kms) -> Arc<Key> {
    let input = CreateKeyInput {
        origin: Some(crate::model::Origin::External),
        ..CreateKeyInput::default()
    };
    kms.create_key(&mut cx(Operation::CreateKey), input)
        .unwrap()
}

/// Imports 32 bytes of `material` into the symmetric `key` as a client would: fresh
/// parameters, RSA-OAEP with SHA-256 under the public key alone. Expires at `valid_to`.
pub(crate) fn import_aes(
    kms: &Kms,
    key: &Key,
    material: &[u8; 32],
    valid_to: Option<crate::model::Timestamp>,
) -> Result<Arc<Key>> {
    use super::import::{GetParametersForImportInput, ImportKeyMaterialInput};
    use crate::crypto::asymmetric::{Hash, KeyPairKind, PublicKey};
    use crate::model::{WrappingAlgorithm, WrappingKeySpec};
    let input = GetParametersForImportInput {
        key: reference(key),
        algorithm: WrappingAlgorithm::RsaesOaepSha256,
        spec: WrappingKeySpec::Rsa2048,
    };
    let out = kms.get_parameters_for_import(&mut cx(Operation::GetParametersForImport), input)?;
    let public = PublicKey::from_der(KeyPairKind::Rsa(2048), &out.public_key).unwrap();
    let input = ImportKeyMaterialInput {
        key: reference(key),
        token: out.token,
        encrypted: public.encrypt_oaep(Hash::Sha256, material).unwrap(),
        valid_to,
        import_type: None,
        description: None,
        material_id: None,
    };
    kms.import_key_material(&mut cx(Operation::ImportKeyMaterial), input)
        .map(|(key, _)| key)
}
