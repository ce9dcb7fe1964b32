//! CreateAlias, UpdateAlias, DeleteAlias and ListAliases, and AWS's alias name rules.
//! An alias always points to a key in its own account and region, never to another alias.

use super::keys::invalid_state;
use super::model::{Alias, AliasName, KeyRef, KeyState, Scope};
use super::{Error, Kms, Page, Result, paginate};

/// ListAliases's default and largest page size.
pub const LIST_ALIASES_DEFAULT_LIMIT: usize = 50;
/// The largest page ListAliases returns, whatever the request asks.
pub const LIST_ALIASES_MAX_LIMIT: usize = 100;

const PREFIX: &str = "alias/";
const RESERVED_PREFIX: &str = "alias/aws/";

/// Parses an alias name that a caller wants to create, update or delete. The character set and
/// length are checked by the wire layer against the model; these are KMS's own rules.
pub fn parse_alias_name(name: &str) -> Result<AliasName> {
    if !name.starts_with(PREFIX) || name.len() == PREFIX.len() {
        return Err(Error::Validation(
            "Alias must start with the prefix \"alias/\". Please see \
             https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
                .into(),
        ));
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Err(Error::NotAuthorized(
            "The alias/aws/ prefix is reserved for AWS managed keys.",
        ));
    }
    Ok(AliasName::new_unchecked(name.to_owned()))
}

/// One ListAliases entry.
#[derive(Debug, Clone)]
pub struct AliasEntry {
    /// The alias.
    pub alias: Alias,
    /// Its ARN.
    pub arn: String,
}

impl Kms {
    /// CreateAlias.
    pub fn create_alias(&self, caller: &Scope, name: AliasName, target: &KeyRef) -> Result<()> {
        let now = self.clock.now();
        self.mutate(|state, changes| {
            let key = state.resolve_key_only(caller, target)?;
            if key.state == KeyState::PendingDeletion {
                return Err(invalid_state(&key));
            }
            if state
                .partition(caller)
                .is_some_and(|p| p.aliases.contains_key(&name))
            {
                return Err(Error::AliasAlreadyExists(name.arn(caller)));
            }
            changes.put_alias(
                caller,
                Alias {
                    name,
                    target: key.arn.key_id.clone(),
                    creation_date: now,
                    last_updated: now,
                },
            );
            Ok(())
        })
    }

    /// UpdateAlias: points an existing alias at another key of the same type and usage.
    pub fn update_alias(&self, caller: &Scope, name: AliasName, target: &KeyRef) -> Result<()> {
        let now = self.clock.now();
        self.mutate(|state, changes| {
            let mut alias = state
                .partition(caller)
                .and_then(|p| p.aliases.get(&name))
                .cloned()
                .ok_or_else(|| Error::AliasNotFound(name.arn(caller)))?;
            let key = state.resolve_key_only(caller, target)?;
            if key.state == KeyState::PendingDeletion {
                return Err(invalid_state(&key));
            }
            // The old key may be gone already (deleted keys leave no alias, but be defensive).
            if let Some(current) = state
                .partition(caller)
                .and_then(|p| p.keys.get(&alias.target))
                && (current.usage != key.usage || current.spec != key.spec)
            {
                return Err(Error::Validation(format!(
                    "Alias {} cannot be changed from a key with KeyUsage {} and KeySpec {} to a \
                     key with KeyUsage {} and KeySpec {}; they must be of the same type and usage.",
                    name.as_str(),
                    current.usage,
                    current.spec,
                    key.usage,
                    key.spec
                )));
            }
            alias.target = key.arn.key_id.clone();
            alias.last_updated = now;
            changes.put_alias(caller, alias);
            Ok(())
        })
    }

    /// DeleteAlias.
    pub fn delete_alias(&self, caller: &Scope, name: AliasName) -> Result<()> {
        self.mutate(|state, changes| {
            if !state
                .partition(caller)
                .is_some_and(|p| p.aliases.contains_key(&name))
            {
                return Err(Error::AliasNotFound(name.arn(caller)));
            }
            changes.delete_alias(caller, name);
            Ok(())
        })
    }

    /// ListAliases, optionally only those pointing at one key. The marker is the last alias
    /// name returned.
    pub fn list_aliases(
        &self,
        caller: &Scope,
        key: Option<&KeyRef>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<AliasEntry>> {
        let state = self.read();
        let target = key
            .map(|k| state.resolve_key_only(caller, k))
            .transpose()?
            .map(|k| k.arn.key_id.clone());
        let after = marker
            .map(|m| {
                m.starts_with(PREFIX)
                    .then(|| AliasName::new_unchecked(m.to_owned()))
                    .ok_or_else(|| Error::InvalidMarker(m.to_owned()))
            })
            .transpose()?;
        let Some(partition) = state.partition(caller) else {
            return Ok(Page {
                items: Vec::new(),
                next_marker: None,
            });
        };
        Ok(paginate(
            &partition.aliases,
            after.as_ref(),
            limit.min(LIST_ALIASES_MAX_LIMIT),
            |name| name.as_str().to_owned(),
            |name, alias| {
                let wanted = target.as_ref().is_none_or(|t| *t == alias.target);
                wanted.then(|| AliasEntry {
                    alias: alias.clone(),
                    arn: name.arn(caller),
                })
            },
        ))
    }
}
