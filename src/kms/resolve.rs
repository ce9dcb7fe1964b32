//! Turning a [`KeyRef`] into a key: the one place where NotFound, alias and cross-account
//! semantics live.
//!
//! Keys are regional: an ARN naming another region or partition is not found. An ARN naming
//! another account is looked up in that account when the operation allows cross-account use
//! (the cryptographic operations, DescribeKey, the grant operations, GetKeyRotationStatus);
//! management operations only see the caller's own keys. Operations whose `KeyId` the API
//! Reference documents as "key ID or key ARN" take no alias.

use std::sync::Arc;

use super::{Context, Error, Kms, Result, State, managed};
use crate::model::{AccountId, AliasName, Key, KeyArn, KeyId, KeyRef, KeySpec, PARTITION, Scope};

/// How an operation may name its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Key id or key ARN of the caller's own account (key management operations).
    Own,
    /// Key id, key ARN, alias name or alias ARN; a key of another account when an ARN names
    /// it (the cryptographic operations, DescribeKey).
    CrossAccount,
    /// Key id or key ARN; a key of another account when its ARN names it (the grant
    /// operations, GetKeyRotationStatus).
    CrossAccountKeyOnly,
}

impl Access {
    fn takes_aliases(self) -> bool {
        self == Access::CrossAccount
    }

    fn crosses_accounts(self) -> bool {
        self != Access::Own
    }
}

impl Kms {
    /// Finds the key `key_ref` names, as the call `cx` sees the state, and authorises the
    /// call's action on it (with `--enforce-policies`).
    pub(super) fn resolve(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        access: Access,
    ) -> Result<Arc<Key>> {
        let key = self.find(cx, key_ref, access)?;
        self.authorize(cx, &key)?;
        Ok(key)
    }

    /// [`Kms::resolve`], authorising `action` (ReEncrypt's `ReEncryptTo`).
    pub(super) fn resolve_for(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        access: Access,
        action: &str,
    ) -> Result<Arc<Key>> {
        let key = self.find(cx, key_ref, access)?;
        self.authorize_action(cx, Some(&key), action)?;
        Ok(key)
    }

    /// Authorises the call on the key `key_ref` names before a mutation that will find it
    /// again under the writer lock (nothing to do when policies are not enforced).
    pub(super) fn authorize_ref(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        access: Access,
    ) -> Result<()> {
        if self.enforcing() {
            self.resolve(cx, key_ref, access)?;
        }
        Ok(())
    }

    /// Finds the key `key_ref` names, without authorising anything.
    pub(super) fn find(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        access: Access,
    ) -> Result<Arc<Key>> {
        let found = self.read(cx).resolve(&cx.scope, key_ref, access);
        match found {
            // The first use of a predefined alias creates the AWS managed key behind it.
            Err(Error::AliasNotFound(_)) => match managed::predefined_ref(key_ref, &cx.scope) {
                Some(service) => self.managed_key(cx, service),
                None => found,
            },
            found => found,
        }
    }
}

impl Kms {
    /// The spec of the key that `key` (a key id, key ARN, alias name or alias ARN) names for a
    /// call in `scope`, if it exists: which request quota a call counts against. It applies
    /// nothing that fell due and records nothing; the call itself resolves the key again.
    pub fn key_spec(&self, scope: &Scope, key: &str) -> Option<KeySpec> {
        let state = self.state(&mut super::WriteSeq::default());
        state
            .resolve(scope, &KeyRef::parse(key), Access::CrossAccount)
            .ok()
            .map(|key| key.spec)
    }
}

impl State {
    /// Finds the key `key_ref` names, as seen by `caller`.
    pub(super) fn resolve(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        access: Access,
    ) -> Result<Arc<Key>> {
        if !access.takes_aliases() {
            // "Specify the key ID or key ARN of the KMS key": an alias is no key id.
            let alias = match key_ref {
                KeyRef::Alias(name) => Some(name.clone()),
                KeyRef::AliasArn {
                    partition,
                    region,
                    account,
                    name,
                } => Some(arn_text(partition, region, account, "", name)),
                KeyRef::Id(_) | KeyRef::Arn { .. } => None,
            };
            if let Some(text) = alias {
                return Err(Error::InvalidKeyId(text));
            }
        }
        match key_ref {
            KeyRef::Id(id) => {
                let key_id = KeyId::parse(id).ok_or_else(|| Error::InvalidKeyId(id.clone()))?;
                self.key_in(caller, &key_id)
            }
            KeyRef::Arn {
                partition,
                region,
                account,
                key_id,
            } => {
                let not_found =
                    || Error::KeyNotFound(arn_text(partition, region, account, "key/", key_id));
                let scope = self
                    .foreign_scope(caller, partition, region, account, access)?
                    .ok_or_else(not_found)?;
                let key_id = KeyId::parse(key_id).ok_or_else(not_found)?;
                self.key_in(&scope, &key_id)
            }
            KeyRef::Alias(name) => self.key_by_alias(caller, name),
            KeyRef::AliasArn {
                partition,
                region,
                account,
                name,
            } => {
                let scope = self
                    .foreign_scope(caller, partition, region, account, access)?
                    .ok_or_else(|| {
                        Error::AliasNotFound(arn_text(partition, region, account, "", name))
                    })?;
                self.key_by_alias(&scope, name)
            }
        }
    }

    /// Finds a key by id or key ARN only, as CreateAlias's `TargetKeyId` and ListAliases's
    /// `KeyId` require.
    pub(super) fn resolve_key_only(&self, caller: &Scope, key_ref: &KeyRef) -> Result<Arc<Key>> {
        if key_ref.is_alias() {
            return Err(Error::Validation(
                "Aliases are not supported for this operation; specify a key ID or key ARN.".into(),
            ));
        }
        self.resolve(caller, key_ref, Access::Own)
    }

    /// The key a ciphertext envelope names by its account and key id (as the envelope holds
    /// them), in the caller's region: keys are regional, and the envelope does not say.
    pub(super) fn resolve_named_in_blob(
        &self,
        caller: &Scope,
        account: &str,
        key_id: &str,
    ) -> Result<Arc<Key>> {
        // A header that does not name a well-formed key is a damaged ciphertext, whatever its
        // bytes spell.
        let (Some(account), Some(key_id)) = (AccountId::parse(account), KeyId::parse(key_id))
        else {
            return Err(Error::InvalidCiphertext);
        };
        let scope = Scope {
            account,
            region: caller.region.clone(),
        };
        self.key_in(&scope, &key_id)
    }

    fn key_in(&self, scope: &Scope, key_id: &KeyId) -> Result<Arc<Key>> {
        self.partition(scope)
            .and_then(|p| p.keys.get(key_id))
            .cloned()
            .ok_or_else(|| {
                Error::KeyNotFound(
                    KeyArn {
                        scope: scope.clone(),
                        key_id: key_id.clone(),
                    }
                    .to_string(),
                )
            })
    }

    fn key_by_alias(&self, scope: &Scope, name: &str) -> Result<Arc<Key>> {
        let alias_name = AliasName::new_unchecked(name.to_owned());
        let alias = self
            .partition(scope)
            .and_then(|p| p.aliases.get(&alias_name))
            .ok_or_else(|| Error::AliasNotFound(alias_name.arn(scope)))?;
        self.key_in(scope, &alias.target)
    }

    /// The scope an ARN names, `None` if the caller may not look there (another partition,
    /// another account when the operation does not cross accounts). An ARN for another region
    /// is an error of its own, as in AWS.
    fn foreign_scope(
        &self,
        caller: &Scope,
        partition: &str,
        region: &str,
        account: &str,
        access: Access,
    ) -> Result<Option<Scope>> {
        if partition != PARTITION {
            return Ok(None);
        }
        if region != caller.region.as_str() {
            return Err(Error::OtherRegion(region.to_owned()));
        }
        let Some(account) = AccountId::parse(account) else {
            return Ok(None);
        };
        if account != caller.account && !access.crosses_accounts() {
            return Ok(None);
        }
        Ok(Some(Scope {
            account,
            region: caller.region.clone(),
        }))
    }
}

fn arn_text(partition: &str, region: &str, account: &str, kind: &str, rest: &str) -> String {
    format!("arn:{partition}:kms:{region}:{account}:{kind}{rest}")
}
