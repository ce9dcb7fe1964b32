//! CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant.
//!
//! A grant lives in its key's record, so it is stored, copied and deleted with the key. With
//! `--enforce-policies` a grant allows its operations to its grantee (`access.rs`); a grant is
//! in effect as soon as CreateGrant returns, so its token is usable at once. Who may retire a
//! grant is `access.rs`'s too.
//!
//! A grant token names the grant it came from (its key ARN and grant id, plus random bytes so
//! that every CreateGrant returns a new one), base64-encoded: RetireGrant can find the grant
//! from the token alone, also after a restart.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::resolve::Access;
use super::{Context, Error, Kms, Page, Paging, Result};
use crate::crypto::random_array;
use crate::model::{
    Grant, GrantConstraints, GrantOperation, Key, KeyArn, KeyRef, KeySpec, KeyUsage, Operation,
    hex64,
};

/// ListGrants's and ListRetirableGrants's most items per page (their documented maximum).
pub const LIST_GRANTS_MAX_LIMIT: usize = 100;

/// CreateGrant's request.
#[derive(Debug, Clone)]
pub struct CreateGrantInput {
    /// The key.
    pub key: KeyRef,
    /// `GranteePrincipal`.
    pub grantee: String,
    /// `RetiringPrincipal`.
    pub retiring: Option<String>,
    /// `Operations`.
    pub operations: Vec<GrantOperation>,
    /// `Constraints`.
    pub constraints: Option<GrantConstraints>,
    /// `Name`.
    pub name: Option<String>,
}

/// A created (or, for a repeated named request, found) grant.
#[derive(Debug, Clone)]
pub struct CreatedGrant {
    /// `GrantToken`.
    pub token: String,
    /// `GrantId`.
    pub id: String,
}

/// A grant with the key it belongs to, as the list operations report it.
#[derive(Debug, Clone)]
pub struct GrantEntry {
    /// The key's ARN (`KeyId` of a `GrantListEntry`).
    pub key_arn: KeyArn,
    /// The grant.
    pub grant: Grant,
}

/// ListGrants's request.
#[derive(Debug, Clone)]
pub struct ListGrantsInput {
    /// The key.
    pub key: KeyRef,
    /// `GrantId`: only this grant.
    pub grant_id: Option<String>,
    /// `GranteePrincipal`: only grants for this principal.
    pub grantee: Option<String>,
    /// Which page.
    pub paging: Paging,
}

/// RevokeGrant's request.
#[derive(Debug, Clone)]
pub struct RevokeGrantInput {
    /// The key.
    pub key: KeyRef,
    /// The grant.
    pub grant_id: String,
}

/// Which grant RetireGrant retires.
#[derive(Debug, Clone)]
pub enum GrantSelector {
    /// By the token CreateGrant returned.
    Token(String),
    /// By key and grant id.
    Id {
        /// The key.
        key_ref: KeyRef,
        /// The grant id.
        grant_id: String,
    },
}

impl Kms {
    /// CreateGrant. A named request that repeats an existing grant's parameters returns that
    /// grant's id (and a new token) instead of creating another.
    pub fn create_grant(
        &self,
        cx: &mut Context,
        request: CreateGrantInput,
    ) -> Result<CreatedGrant> {
        self.authorize_ref(cx, &request.key, Access::CrossAccountKeyOnly)?;
        let now = self.clock.now();
        let (caller, dry_run, quotas) = (&cx.scope, cx.dry_run, self.quotas);
        let (key, created) = self.mutate(&mut cx.seen, |state, changes| {
            let stored = state.resolve(caller, &request.key, Access::CrossAccountKeyOnly)?;
            stored.require_enabled()?;
            check_operations(&stored, &request.operations)?;
            if request.constraints.is_some() && stored.spec != KeySpec::SymmetricDefault {
                return Err(Error::Validation(
                    "Grant constraints are supported only for symmetric encryption KMS keys."
                        .into(),
                ));
            }
            let mut operations = Vec::with_capacity(request.operations.len());
            for operation in request.operations {
                if !operations.contains(&operation) {
                    operations.push(operation);
                }
            }
            let grant = Grant {
                id: hex64(&random_array()),
                name: request.name,
                creation_date: now,
                grantee: request.grantee,
                retiring: request.retiring,
                issuing_account: caller.account.clone(),
                operations,
                constraints: request.constraints,
            };
            if grant.name.is_some()
                && let Some(same) = stored.grants.iter().find(|g| same_parameters(g, &grant))
            {
                if dry_run {
                    return Err(Error::DryRun);
                }
                let found = CreatedGrant {
                    token: token(&stored.arn, &same.id),
                    id: same.id.clone(),
                };
                return Ok((stored.clone(), found));
            }
            if stored.grants.len() >= quotas.grants_per_key {
                return Err(Error::LimitExceeded(format!(
                    "The KMS key {} has the most grants allowed ({}).",
                    stored.arn, quotas.grants_per_key
                )));
            }
            let for_grantee = stored
                .grants
                .iter()
                .filter(|g| g.grantee == grant.grantee)
                .count();
            if for_grantee >= quotas.grants_per_grantee {
                return Err(Error::LimitExceeded(format!(
                    "The KMS key {} has the most grants allowed for grantee principal {} \
                     ({}).",
                    stored.arn, grant.grantee, quotas.grants_per_grantee
                )));
            }
            if dry_run {
                return Err(Error::DryRun);
            }
            let created = CreatedGrant {
                token: token(&stored.arn, &grant.id),
                id: grant.id.clone(),
            };
            let mut key = Key::clone(&stored);
            key.grants.push(grant);
            Ok((changes.put_key(key), created))
        })?;
        cx.uses(&key);
        Ok(created)
    }

    /// ListGrants: a key's grants, oldest first, optionally only the one with `grant_id` or
    /// those for `grantee`. The marker is the id of the last grant returned. A `grant_id`
    /// that is not a grant id's form is refused; a well-formed one that names nothing lists
    /// nothing.
    pub fn list_grants(
        &self,
        cx: &mut Context,
        input: ListGrantsInput,
    ) -> Result<Page<GrantEntry>> {
        if let Some(id) = &input.grant_id
            && !is_grant_id(id)
        {
            return Err(Error::InvalidGrantId(id.clone()));
        }
        let key = self.resolve(cx, &input.key, Access::CrossAccountKeyOnly)?;
        let start = match input.paging.marker {
            None => 0,
            Some(m) => {
                key.grants
                    .iter()
                    .position(|g| g.id == m)
                    .ok_or(Error::InvalidMarker(m))?
                    + 1
            }
        };
        let matching = key.grants[start..].iter().filter(|g| {
            input.grant_id.as_ref().is_none_or(|id| g.id == *id)
                && input.grantee.as_ref().is_none_or(|p| g.grantee == *p)
        });
        let page = page_of(
            matching.map(|g| (g.id.clone(), g.clone())),
            input.paging.limit,
            |grant| GrantEntry {
                key_arn: key.arn.clone(),
                grant,
            },
        );
        cx.uses(&key);
        Ok(page)
    }

    /// ListRetirableGrants: the grants of every key in the caller's account and region that
    /// name `retiring` as their retiring principal, by key id and then oldest first. The
    /// marker is `<key id>/<grant id>` of the last grant returned.
    pub fn list_retirable_grants(
        &self,
        cx: &mut Context,
        retiring: &str,
        paging: Paging,
    ) -> Result<Page<GrantEntry>> {
        self.authorize_action(cx, None, "ListRetirableGrants")?;
        let state = self.read(cx);
        let Some(partition) = state.partition(&cx.scope) else {
            return Ok(Page::empty());
        };
        let all = partition.keys.values().flat_map(|key| {
            key.grants
                .iter()
                .filter(|g| g.retiring.as_deref() == Some(retiring))
                .map(move |g| (format!("{}/{}", key.arn.key_id, g.id), (key, g)))
        });
        let mut all = all.peekable();
        if let Some(m) = paging.marker {
            // Skip up to and including the marker; a marker that names nothing is invalid.
            loop {
                match all.next() {
                    Some((position, _)) if position == m => break,
                    Some(_) => {}
                    None => return Err(Error::InvalidMarker(m)),
                }
            }
        }
        Ok(page_of(all, paging.limit, |(key, grant)| GrantEntry {
            key_arn: key.arn.clone(),
            grant: grant.clone(),
        }))
    }

    /// RetireGrant: removes the grant a token or a key and grant id name.
    pub fn retire_grant(&self, cx: &mut Context, selector: GrantSelector) -> Result<()> {
        let input = match selector {
            GrantSelector::Token(token) => {
                let (arn, grant_id) = parse_token(&token).ok_or(Error::InvalidGrantToken)?;
                RevokeGrantInput {
                    key: KeyRef::to_key(&arn),
                    grant_id,
                }
            }
            GrantSelector::Id { key_ref, grant_id } => RevokeGrantInput {
                key: key_ref,
                grant_id,
            },
        };
        self.revoke_grant(cx, input)
    }

    /// RevokeGrant: removes a key's grant by id. RetireGrant ends here too.
    pub fn revoke_grant(&self, cx: &mut Context, input: RevokeGrantInput) -> Result<()> {
        let grant_id = input.grant_id;
        if !is_grant_id(&grant_id) {
            return Err(Error::InvalidGrantId(grant_id));
        }
        if self.enforcing() {
            let key = self.find(cx, &input.key, Access::CrossAccountKeyOnly)?;
            match key.grants.iter().find(|g| g.id == grant_id) {
                Some(grant) if cx.operation == Operation::RetireGrant => {
                    self.authorize_retire(cx, &key, grant)?
                }
                _ => self.authorize(cx, &key)?,
            }
        }
        let (caller, dry_run) = (&cx.scope, cx.dry_run);
        let key = self.mutate(&mut cx.seen, |state, changes| {
            let stored = state.resolve(caller, &input.key, Access::CrossAccountKeyOnly)?;
            let position = stored
                .grants
                .iter()
                .position(|g| g.id == grant_id)
                .ok_or_else(|| Error::GrantNotFound(grant_id.clone()))?;
            if dry_run {
                return Err(Error::DryRun);
            }
            let mut key = Key::clone(&stored);
            key.grants.remove(position);
            Ok(changes.put_key(key))
        })?;
        cx.uses(&key);
        Ok(())
    }
}

/// The first `limit` of `items` (each with its marker), and the marker of the last one when
/// more follow.
fn page_of<S, T>(
    items: impl Iterator<Item = (String, S)>,
    limit: usize,
    make: impl Fn(S) -> T,
) -> Page<T> {
    let mut items = items.peekable();
    let mut page = Vec::new();
    let mut last = None;
    while page.len() < limit {
        let Some((marker, item)) = items.next() else {
            break;
        };
        page.push(make(item));
        last = Some(marker);
    }
    Page {
        items: page,
        next_marker: if items.peek().is_some() { last } else { None },
    }
}

/// The grant operations that apply to a key of this usage and spec: what it can do, plus
/// CreateGrant, RetireGrant and DescribeKey for every key.
fn allowed_operations(key: &Key) -> &'static [GrantOperation] {
    use GrantOperation as G;
    match (key.usage, key.spec) {
        (KeyUsage::EncryptDecrypt, KeySpec::SymmetricDefault) => &[
            G::Decrypt,
            G::Encrypt,
            G::GenerateDataKey,
            G::GenerateDataKeyWithoutPlaintext,
            G::ReEncryptFrom,
            G::ReEncryptTo,
            G::GenerateDataKeyPair,
            G::GenerateDataKeyPairWithoutPlaintext,
            G::CreateGrant,
            G::RetireGrant,
            G::DescribeKey,
        ],
        (KeyUsage::EncryptDecrypt, _) => &[
            G::Decrypt,
            G::Encrypt,
            G::ReEncryptFrom,
            G::ReEncryptTo,
            G::GetPublicKey,
            G::CreateGrant,
            G::RetireGrant,
            G::DescribeKey,
        ],
        (KeyUsage::SignVerify, _) => &[
            G::Sign,
            G::Verify,
            G::GetPublicKey,
            G::CreateGrant,
            G::RetireGrant,
            G::DescribeKey,
        ],
        (KeyUsage::GenerateVerifyMac, _) => &[
            G::GenerateMac,
            G::VerifyMac,
            G::CreateGrant,
            G::RetireGrant,
            G::DescribeKey,
        ],
        (KeyUsage::KeyAgreement, _) => &[
            G::DeriveSharedSecret,
            G::GetPublicKey,
            G::CreateGrant,
            G::RetireGrant,
            G::DescribeKey,
        ],
        _ => &[
            G::GetPublicKey,
            G::CreateGrant,
            G::RetireGrant,
            G::DescribeKey,
        ],
    }
}

/// The operations must apply to the key, and may not be CreateGrant alone.
fn check_operations(key: &Key, operations: &[GrantOperation]) -> Result<()> {
    if operations.is_empty() {
        return Err(Error::Validation(
            "A grant must allow at least one operation.".into(),
        ));
    }
    if operations.iter().all(|&o| o == GrantOperation::CreateGrant) {
        return Err(Error::Validation(
            "Grants must not contain only the CreateGrant operation.".into(),
        ));
    }
    let allowed = allowed_operations(key);
    let invalid: Vec<&str> = operations
        .iter()
        .filter(|o| !allowed.contains(o))
        .map(|o| o.as_str())
        .collect();
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(format!(
            "Grant operations {} are not valid for a KMS key with KeyUsage {} and KeySpec {}.",
            invalid.join(", "),
            key.usage,
            key.spec
        )))
    }
}

/// Whether `new` repeats `existing`: same name, principals, operations (in any order) and
/// constraints.
fn same_parameters(existing: &Grant, new: &Grant) -> bool {
    let same_operations = existing.operations.len() == new.operations.len()
        && new
            .operations
            .iter()
            .all(|o| existing.operations.contains(o));
    existing.name == new.name
        && existing.grantee == new.grantee
        && existing.retiring == new.retiring
        && existing.constraints == new.constraints
        && same_operations
}

/// What a token starts with before base64, to tell kmsd's tokens from anything else.
const TOKEN_PREFIX: &str = "kmsd-grant-1\n";

/// A new token for the grant `grant_id` of the key `arn`.
fn token(arn: &KeyArn, grant_id: &str) -> String {
    let nonce = hex64(&random_array());
    B64.encode(format!("{TOKEN_PREFIX}{arn}\n{grant_id}\n{nonce}"))
}

/// The key ARN and grant id a token names, `None` for anything kmsd did not issue.
fn parse_token(token: &str) -> Option<(KeyArn, String)> {
    let bytes = B64.decode(token).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let mut parts = text.strip_prefix(TOKEN_PREFIX)?.split('\n');
    let (arn, id, _nonce) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_grant_id(id) {
        return None;
    }
    Some((KeyArn::parse(arn)?, id.to_owned()))
}

/// Whether `id` has the form of a grant id: 64 lowercase hex digits.
fn is_grant_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests;
