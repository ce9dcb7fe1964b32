//! The checks every operation makes on the key it resolved, in one place: key state, key
//! usage, and what a key spec allows. Each is a method on [`Key`] (or a function of a spec)
//! that returns AWS's error, so that the operation files share them without importing each
//! other.

use std::sync::Arc;

use super::{Caller, Denial, Error, Result};
use crate::crypto::KeyMaterial;
use crate::crypto::asymmetric::{AsymmetricKey, KeyPairKind};
use crate::model::{Key, KeyManager, KeySpec, KeyState, KeyUsage, Operation, Origin};

impl Key {
    /// Cryptographic operations need an enabled key: `DisabledException` for a disabled one,
    /// `KMSInvalidStateException` for every other state. A multi-Region key that is `Updating`
    /// (its primary Region is changing, which needs it enabled) still works, as in AWS.
    /// A key in a disconnected custom key store is `Unavailable`.
    pub(super) fn require_enabled(&self) -> Result<()> {
        match self.visible_state() {
            KeyState::Enabled | KeyState::Updating => Ok(()),
            KeyState::Disabled => Err(Error::Disabled(self.arn.clone())),
            state => Err(Error::InvalidState {
                arn: self.arn.clone(),
                state,
            }),
        }
    }

    /// Management operations (enable, disable, describe, tag) are refused while the key waits
    /// for deletion or for imported material.
    pub(super) fn require_manageable(&self) -> Result<()> {
        match self.state {
            KeyState::Enabled | KeyState::Disabled => Ok(()),
            _ => Err(self.invalid_state()),
        }
    }

    /// Changes to a key's own metadata (tags, description) work where management operations
    /// do, and also while a multi-Region key is `Creating` or `Updating`: AWS lets you manage
    /// a replica that is still being created, and refuses only enabling and disabling while
    /// the primary Region changes.
    pub(super) fn require_editable(&self) -> Result<()> {
        match self.state {
            KeyState::Creating | KeyState::Updating => Ok(()),
            _ => self.require_manageable(),
        }
    }

    /// The usage check every cryptographic operation makes, with AWS's message.
    pub(super) fn require_usage(&self, usage: KeyUsage, operation: &str) -> Result<()> {
        if self.usage == usage {
            Ok(())
        } else {
            Err(self.invalid_usage(operation))
        }
    }

    /// The state error for a key whose state forbids the operation.
    pub(super) fn invalid_state(&self) -> Error {
        Error::InvalidState {
            arn: self.arn.clone(),
            state: self.state,
        }
    }

    /// `<arn> key usage is X which is not valid for <Operation>.`
    pub(super) fn invalid_usage(&self, operation: &str) -> Error {
        Error::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for {operation}.",
            self.arn, self.usage
        ))
    }

    /// Operations that only keys of one origin support: "<arn> origin is AWS_KMS which is not
    /// valid for this operation."
    pub(super) fn require_origin(&self, origin: Origin) -> Result<()> {
        if self.origin == origin {
            return Ok(());
        }
        Err(Error::Unsupported(format!(
            "{} origin is {} which is not valid for this operation.",
            self.arn, self.origin
        )))
    }

    /// Management operations are denied on AWS managed keys: their policy lets the account
    /// read them and nothing more.
    pub(super) fn require_customer_managed(
        &self,
        caller: &Caller,
        operation: Operation,
    ) -> Result<()> {
        if self.manager == KeyManager::Customer {
            return Ok(());
        }
        Err(Error::AccessDenied {
            principal: caller.principal.arn.clone(),
            action: operation.as_str().to_owned(),
            resource: self.arn.to_string(),
            reason: Denial::NoResourcePolicy,
        })
    }

    /// The key pair of an asymmetric key.
    pub(super) fn key_pair(&self) -> Option<&Arc<AsymmetricKey>> {
        match &self.current_material()?.secret {
            KeyMaterial::Asymmetric(pair) => Some(pair),
            _ => None,
        }
    }
}

/// The kind of key pair behind an asymmetric key spec.
pub(super) fn key_pair_kind(spec: KeySpec) -> Option<KeyPairKind> {
    Some(match spec {
        KeySpec::Rsa2048 => KeyPairKind::Rsa(2048),
        KeySpec::Rsa3072 => KeyPairKind::Rsa(3072),
        KeySpec::Rsa4096 => KeyPairKind::Rsa(4096),
        KeySpec::EccNistP256 => KeyPairKind::P256,
        KeySpec::EccNistP384 => KeyPairKind::P384,
        KeySpec::EccNistP521 => KeyPairKind::P521,
        KeySpec::EccSecgP256k1 => KeyPairKind::Secp256k1,
        KeySpec::Sm2 => KeyPairKind::Sm2,
        KeySpec::EccNistEdwards25519 => KeyPairKind::Ed25519,
        KeySpec::MlDsa44 => KeyPairKind::MlDsa44,
        KeySpec::MlDsa65 => KeyPairKind::MlDsa65,
        KeySpec::MlDsa87 => KeyPairKind::MlDsa87,
        KeySpec::MlKem512 => KeyPairKind::MlKem512,
        KeySpec::MlKem768 => KeyPairKind::MlKem768,
        KeySpec::MlKem1024 => KeyPairKind::MlKem1024,
        _ => return None,
    })
}

/// AWS allows each key spec a fixed set of usages.
pub(super) fn check_spec_and_usage(spec: KeySpec, usage: KeyUsage) -> Result<()> {
    if spec.usages().contains(&usage) {
        return Ok(());
    }
    Err(Error::Validation(format!(
        "KeyUsage {usage} is not compatible with KeySpec {spec}"
    )))
}

/// The HMAC key lengths AWS accepts for imported material of `spec`, in bytes.
pub(super) fn hmac_import_lengths(spec: KeySpec) -> Option<std::ops::RangeInclusive<usize>> {
    Some(match spec {
        KeySpec::Hmac224 => 28..=64,
        KeySpec::Hmac256 => 32..=64,
        KeySpec::Hmac384 => 48..=128,
        KeySpec::Hmac512 => 64..=128,
        _ => return None,
    })
}
