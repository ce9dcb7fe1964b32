//! CreateAlias, UpdateAlias, DeleteAlias and ListAliases. The alias name rules are
//! `AliasName::parse` (in `model`); an alias always points to a key in its own account and
//! region, never to another alias.

use std::collections::BTreeMap;

use super::{Context, Error, Kms, Page, Paging, Result, State, managed, paginate};
use crate::model::{Alias, AliasName, Key, KeyRef, KeyState, Scope};

/// CreateAlias's and UpdateAlias's request.
#[derive(Debug)]
pub struct AliasTargetInput {
    /// The alias.
    pub name: AliasName,
    /// The key it is to point to.
    pub target: KeyRef,
}

/// ListAliases's default and largest page size.
pub const LIST_ALIASES_DEFAULT_LIMIT: usize = 50;
/// The largest page ListAliases returns, whatever the request asks.
pub const LIST_ALIASES_MAX_LIMIT: usize = 100;

const PREFIX: &str = "alias/";

/// One ListAliases entry.
#[derive(Debug, Clone)]
pub struct AliasEntry {
    /// The alias's name.
    pub name: AliasName,
    /// Its ARN.
    pub arn: String,
    /// The alias itself; `None` for a predefined AWS alias with no key behind it yet.
    pub alias: Option<Alias>,
}

impl Kms {
    /// CreateAlias.
    pub fn create_alias(&self, cx: &mut Context, input: AliasTargetInput) -> Result<()> {
        if self.enforcing() {
            let key = self.read(cx).resolve_key_only(&cx.scope, &input.target)?;
            self.authorize(cx, &key)?;
        }
        let now = self.clock.now();
        let (caller, who, operation) = (&cx.scope, &cx.caller, cx.operation);
        self.mutate(&mut cx.seen, |state, changes| {
            let key = state.resolve_key_only(caller, &input.target)?;
            key.require_customer_managed(who, operation)?;
            if key.state == KeyState::PendingDeletion {
                return Err(key.invalid_state());
            }
            if state
                .partition(caller)
                .is_some_and(|p| p.aliases.contains_key(&input.name))
            {
                return Err(Error::AliasAlreadyExists(input.name.arn(caller)));
            }
            check_alias_quota(state, caller, &key, self.quotas.aliases_per_key)?;
            changes.put_alias(
                caller,
                Alias {
                    name: input.name,
                    target: key.arn.key_id.clone(),
                    creation_date: now,
                    last_updated: now,
                },
            );
            Ok(())
        })
    }

    /// UpdateAlias: points an existing alias at another key of the same type and usage.
    pub fn update_alias(&self, cx: &mut Context, input: AliasTargetInput) -> Result<()> {
        if self.enforcing() {
            // UpdateAlias needs permission on the key the alias leaves and the one it joins.
            let (current, target) = {
                let state = self.read(cx);
                let current = state
                    .partition(&cx.scope)
                    .and_then(|p| p.aliases.get(&input.name))
                    .and_then(|a| state.partition(&cx.scope)?.keys.get(&a.target).cloned());
                (current, state.resolve_key_only(&cx.scope, &input.target)?)
            };
            if let Some(current) = current {
                self.authorize(cx, &current)?;
            }
            self.authorize(cx, &target)?;
        }
        let now = self.clock.now();
        let (caller, who, operation) = (&cx.scope, &cx.caller, cx.operation);
        let name = input.name;
        self.mutate(&mut cx.seen, |state, changes| {
            let mut alias = state
                .partition(caller)
                .and_then(|p| p.aliases.get(&name))
                .cloned()
                .ok_or_else(|| Error::AliasNotFound(name.arn(caller)))?;
            let key = state.resolve_key_only(caller, &input.target)?;
            key.require_customer_managed(who, operation)?;
            if key.state == KeyState::PendingDeletion {
                return Err(key.invalid_state());
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
            if alias.target != key.arn.key_id {
                check_alias_quota(state, caller, &key, self.quotas.aliases_per_key)?;
            }
            alias.target = key.arn.key_id.clone();
            alias.last_updated = now;
            changes.put_alias(caller, alias);
            Ok(())
        })
    }

    /// DeleteAlias.
    pub fn delete_alias(&self, cx: &mut Context, name: AliasName) -> Result<()> {
        if self.enforcing() {
            let current = {
                let state = self.read(cx);
                state
                    .partition(&cx.scope)
                    .and_then(|p| p.keys.get(&p.aliases.get(&name)?.target).cloned())
            };
            if let Some(current) = current {
                self.authorize(cx, &current)?;
            }
        }
        let caller = &cx.scope;
        self.mutate(&mut cx.seen, |state, changes| {
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
        cx: &mut Context,
        key: Option<&KeyRef>,
        paging: Paging,
    ) -> Result<Page<AliasEntry>> {
        self.authorize_action(cx, None, "ListAliases")?;
        let state = self.read(cx);
        let caller = &cx.scope;
        let target = key
            .map(|k| state.resolve_key_only(caller, k))
            .transpose()?
            .map(|k| k.arn.key_id.clone());
        let after = paging
            .marker
            .map(|m| {
                if m.starts_with(PREFIX) {
                    Ok(AliasName::new_unchecked(m))
                } else {
                    Err(Error::InvalidMarker(m))
                }
            })
            .transpose()?;
        // The caller's aliases and, unless a key filters them out, AWS's predefined aliases
        // that have no key behind them yet.
        let mut listed: BTreeMap<AliasName, Option<&Alias>> = BTreeMap::new();
        if target.is_none() {
            for service in managed::PREDEFINED {
                listed.insert(AliasName::new_unchecked(service.alias.to_owned()), None);
            }
        }
        if let Some(partition) = state.partition(caller) {
            listed.extend(
                partition
                    .aliases
                    .iter()
                    .filter(|(_, alias)| target.as_ref().is_none_or(|t| *t == alias.target))
                    .map(|(name, alias)| (name.clone(), Some(alias))),
            );
        }
        Ok(paginate(
            &listed,
            after.as_ref(),
            paging.limit.min(LIST_ALIASES_MAX_LIMIT),
            |name| name.as_str().to_owned(),
            |name, alias| {
                Some(AliasEntry {
                    name: name.clone(),
                    arn: name.arn(caller),
                    alias: alias.cloned(),
                })
            },
        ))
    }
}

/// `LimitExceededException` when `key` already has the most aliases the quota allows
/// (customer-created aliases only: `alias/aws/` ones do not count).
fn check_alias_quota(state: &State, scope: &Scope, key: &Key, most: usize) -> Result<()> {
    // Counting walks every alias of the partition: only when there are that many in all.
    let count = state
        .partition(scope)
        .filter(|p| p.aliases.len() >= most)
        .map_or(0, |p| {
            p.aliases
                .values()
                .filter(|a| {
                    a.target == key.arn.key_id && !a.name.as_str().starts_with("alias/aws/")
                })
                .count()
        });
    if count >= most {
        return Err(Error::LimitExceeded(format!(
            "The KMS key {} has the most aliases allowed ({most}).",
            key.arn
        )));
    }
    Ok(())
}
