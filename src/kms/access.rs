//! Authorisation (`--enforce-policies`), as AWS describes it in "Determining access to a KMS
//! key" (<https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html>):
//! an explicit `Deny` in the key policy or the caller's identity policy wins; the key policy
//! allows the caller itself, or allows its account and so lets the account's IAM policy decide
//! (the account root needs none); another account's caller needs both; a grant allows its
//! operations to its grantee, within its constraints. Actions on no key (CreateKey, ListKeys,
//! ...) are the identity policy's alone. The policies are those `GetKeyPolicy` returns and
//! the grants those `ListGrants` lists: one model, stored once, evaluated here.

use std::collections::BTreeMap;

use super::encryption::Measurements;
use super::{Context, Denial, Enforcement, Error, Kms, Result};
use crate::iam::{Match, Policy, Request, Values};
use crate::model::{Grant, Key, KeyArn, Operation, Timestamp};

/// Why a call would be denied: the error, and the statement or missing permission behind it.
struct Denied {
    error: Error,
    why: String,
}

impl Kms {
    /// Whether calls are authorised at all.
    pub(super) fn enforcing(&self) -> bool {
        self.enforcement != Enforcement::Off
    }

    /// Authorises the call's own action (ReEncrypt's first key: `ReEncryptFrom`) on `key`.
    pub(super) fn authorize(&self, cx: &mut Context, key: &Key) -> Result<()> {
        self.authorize_action(cx, Some(key), default_action(cx.operation))
    }

    /// Authorises `action` (`Decrypt`, `ReEncryptTo`) on `key`, or on no key.
    pub(super) fn authorize_action(
        &self,
        cx: &mut Context,
        key: Option<&Key>,
        action: &str,
    ) -> Result<()> {
        if !self.enforcing() {
            return Ok(());
        }
        let aliases = key.map(|k| self.aliases_of(cx, &k.arn)).unwrap_or_default();
        let values = condition_values(cx, key, action, self.clock.now(), aliases);
        match decide(cx, key, action, &values) {
            None => Ok(()),
            Some(denied) => self.deny(cx, denied),
        }
    }

    /// RetireGrant's rule: the grant's retiring principal, its grantee when the grant allows
    /// RetireGrant, and the account that created it (its root, or a principal of it whose IAM
    /// policy allows `kms:RetireGrant`) may retire it.
    pub(super) fn authorize_retire(
        &self,
        cx: &mut Context,
        key: &Key,
        grant: &Grant,
    ) -> Result<()> {
        if !self.enforcing() {
            return Ok(());
        }
        let principal = &cx.caller.principal;
        let named = |entry: &Option<String>| {
            entry
                .as_deref()
                .is_some_and(|e| principal.is_named_by(e) && e != "*")
        };
        let grantee_may = principal.is_named_by(&grant.grantee)
            && grant.operations.iter().any(|o| o.as_str() == "RetireGrant");
        let issuer_may = principal.account == grant.issuing_account && {
            let values =
                condition_values(cx, Some(key), "RetireGrant", self.clock.now(), Vec::new());
            let request = Request {
                principal,
                action: "kms:RetireGrant",
                resource: &key.arn.to_string(),
                values: &values,
            };
            identity_allows(cx, &request)
        };
        if named(&grant.retiring) || grantee_may || issuer_may {
            return Ok(());
        }
        let denied = Denied {
            error: access_denied(
                cx,
                "RetireGrant",
                &key.arn.to_string(),
                Denial::NoResourcePolicy,
            ),
            why: format!(
                "the caller is neither the grant's retiring principal ({}), nor its grantee with \
                 RetireGrant, nor allowed kms:RetireGrant in the account that created it ({})",
                grant.retiring.as_deref().unwrap_or("none"),
                grant.issuing_account.as_str()
            ),
        };
        self.deny(cx, denied)
    }

    /// The key policy lockout safety check: unless the request bypasses it, a new policy must
    /// let the caller change the policy again.
    pub(super) fn check_lockout(
        &self,
        cx: &mut Context,
        policy_text: &str,
        key: Option<&KeyArn>,
    ) -> Result<()> {
        if !self.enforcing() || cx.facts.bypass_lockout_check {
            return Ok(());
        }
        let Ok(policy) = Policy::parse_key_policy(policy_text) else {
            return Ok(());
        };
        let resource = key.map_or_else(|| "*".to_owned(), KeyArn::to_string);
        let values = condition_values(cx, None, "PutKeyPolicy", self.clock.now(), Vec::new());
        let request = Request {
            principal: &cx.caller.principal,
            action: "kms:PutKeyPolicy",
            resource: &resource,
            values: &values,
        };
        let allowed = policy.denying(&request).is_none()
            && match policy.allowing(&request) {
                Some((_, Match::Direct)) => true,
                Some((_, Match::Account)) => identity_allows(cx, &request),
                None => false,
            };
        if allowed {
            return Ok(());
        }
        let denied = Denied {
            error: Error::MalformedPolicy(
                "The new key policy will not allow you to update the key policy in the future."
                    .into(),
            ),
            why: "the lockout safety check: the new policy does not let the caller call \
                  kms:PutKeyPolicy"
                .into(),
        };
        self.deny(cx, denied)
    }

    /// Denies, or with `--enforce-policies=audit` records what would have been denied.
    fn deny(&self, cx: &mut Context, denied: Denied) -> Result<()> {
        if self.enforcement == Enforcement::Audit {
            let line = format!("{} ({})", denied.error, denied.why);
            if !cx.would_deny.contains(&line) {
                tracing::warn!(request_id = %cx.request_id, "would be denied: {line}");
                cx.would_deny.push(line);
            }
            return Ok(());
        }
        tracing::debug!(request_id = %cx.request_id, "denied: {}", denied.why);
        Err(denied.error)
    }

    /// The names of the aliases that point at `key` (`kms:ResourceAliases`).
    fn aliases_of(&self, cx: &mut Context, key: &KeyArn) -> Vec<String> {
        let state = self.read(cx);
        state
            .partition(&key.scope)
            .map(|p| {
                p.aliases
                    .values()
                    .filter(|a| a.target == key.key_id)
                    .map(|a| a.name.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The action an operation asks for: its own name, but ReEncrypt asks for `ReEncryptFrom` on
/// its source key (and `ReEncryptTo` on its destination, which `re_encrypt` names).
fn default_action(operation: Operation) -> &'static str {
    match operation {
        Operation::ReEncrypt => "ReEncryptFrom",
        other => other.as_str(),
    }
}

fn access_denied(cx: &Context, action: &str, resource: &str, reason: Denial) -> Error {
    Error::AccessDenied {
        principal: cx.caller.principal.arn.clone(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        reason,
    }
}

/// Whether the caller's identity policy allows the request: always for an account root,
/// never for an identity without a policy.
fn identity_allows(cx: &Context, request: &Request<'_>) -> bool {
    let principal = &cx.caller.principal;
    if principal.is_root() {
        return true;
    }
    cx.caller
        .identity
        .as_ref()
        .and_then(|i| i.policy.as_ref())
        .is_some_and(|p| p.denying(request).is_none() && p.allowing(request).is_some())
}

/// AWS's decision for `action` on `key` (or on no key): `None` when it is allowed.
fn decide(cx: &Context, key: Option<&Key>, action: &str, values: &Values) -> Option<Denied> {
    let principal = &cx.caller.principal;
    let resource = key.map_or_else(|| "*".to_owned(), |k| k.arn.to_string());
    let full_action = format!("kms:{action}");
    let request = Request {
        principal,
        action: &full_action,
        resource: &resource,
        values,
    };
    let identity_policy = cx.caller.identity.as_ref().and_then(|i| i.policy.as_ref());
    let denied = |reason: Denial, why: String| {
        Some(Denied {
            error: access_denied(cx, action, &resource, reason),
            why,
        })
    };
    let key_policy = key.map(|k| Policy::parse_key_policy(&k.policy_text()));
    if let Some(Ok(policy)) = &key_policy
        && let Some(statement) = policy.denying(&request)
    {
        let index = position(policy, statement);
        return denied(
            Denial::ResourcePolicyDeny,
            format!(
                "{} of the key policy denies {full_action}",
                statement.describe(index)
            ),
        );
    }
    if let Some(policy) = identity_policy
        && let Some(statement) = policy.denying(&request)
    {
        let index = position(policy, statement);
        return denied(
            Denial::IdentityPolicyDeny,
            format!(
                "{} of the identity policy of {} denies {full_action}",
                statement.describe(index),
                principal.arn
            ),
        );
    }
    let identity_allows = identity_allows(cx, &request);
    let Some(key) = key else {
        if identity_allows {
            return None;
        }
        return denied(
            Denial::NoIdentityPolicy,
            format!("no statement of the identity policy allows {full_action}"),
        );
    };
    let matched = match &key_policy {
        Some(Ok(policy)) => policy.allowing(&request).map(|(_, m)| m),
        _ => None,
    };
    let same_account = principal.account == key.arn.scope.account;
    let allowed = match matched {
        Some(Match::Direct) => same_account || identity_allows,
        Some(Match::Account) => identity_allows,
        None => false,
    };
    if allowed || grant_allows(cx, key, action) {
        return None;
    }
    match matched {
        None => denied(
            Denial::NoResourcePolicy,
            format!(
                "no statement of the key policy allows {full_action} to {} or its account, and \
                 no grant does",
                principal.arn
            ),
        ),
        Some(_) => denied(
            Denial::NoIdentityPolicy,
            format!(
                "the key policy leaves {full_action} to the IAM policies of account {}, and \
                 none allows it",
                principal.account.as_str()
            ),
        ),
    }
}

fn position(policy: &Policy, statement: &crate::iam::Statement) -> usize {
    policy
        .statements
        .iter()
        .position(|s| std::ptr::eq(s, statement))
        .unwrap_or_default()
}

/// Whether a grant of `key` allows `action` to the caller: its grantee is the caller, its
/// operations include the action, and the request's encryption context meets its constraints
/// (which bind only the operations that take an encryption context).
fn grant_allows(cx: &Context, key: &Key, action: &str) -> bool {
    let principal = &cx.caller.principal;
    let context = if action == "ReEncryptTo" {
        cx.facts.destination_encryption_context.as_ref()
    } else {
        cx.facts.encryption_context.as_ref()
    };
    let takes_context = takes_encryption_context(action);
    let empty = BTreeMap::new();
    let context = context.unwrap_or(&empty);
    key.grants.iter().any(|grant| {
        grant.grantee != "*"
            && principal.is_named_by(&grant.grantee)
            && grant.operations.iter().any(|o| o.as_str() == action)
            && (!takes_context
                || grant.constraints.as_ref().is_none_or(|c| {
                    c.equals.as_ref().is_none_or(|e| e == context)
                        && c.subset
                            .as_ref()
                            .is_none_or(|s| s.iter().all(|(k, v)| context.get(k) == Some(v)))
                }))
    })
}

fn takes_encryption_context(action: &str) -> bool {
    matches!(
        action,
        "Encrypt"
            | "Decrypt"
            | "ReEncryptFrom"
            | "ReEncryptTo"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext"
    )
}

/// The condition keys kmsd knows for this call; keys it cannot know (`aws:SourceVpc`, ...)
/// are absent, as AWS treats a key the request lacks.
fn condition_values(
    cx: &Context,
    key: Option<&Key>,
    action: &str,
    now: Timestamp,
    aliases: Vec<String>,
) -> Values {
    let mut v = Values::default();
    let principal = &cx.caller.principal;
    let facts = &cx.facts;
    v.set("aws:PrincipalArn", principal.principal_arn());
    v.set("aws:PrincipalAccount", principal.account.as_str());
    v.set("kms:CallerAccount", principal.account.as_str());
    v.set("aws:CurrentTime", now.rfc3339());
    v.set("aws:EpochTime", (now.0 / 1000).to_string());
    if let Some(ip) = cx.caller.source_ip {
        v.set("aws:SourceIp", ip.to_string());
    }
    let identity = cx.caller.identity.as_deref();
    if let Some(identity) = identity {
        for (tag, value) in &identity.tags {
            v.set(&format!("aws:PrincipalTag/{tag}"), value.clone());
        }
    }
    let via_service = identity.and_then(|i| i.via_service.clone());
    if let Some(service) = &via_service {
        v.set("kms:ViaService", service.clone());
    }
    let (context, algorithm) = if action == "ReEncryptTo" {
        (
            facts.destination_encryption_context.as_ref(),
            facts.destination_encryption_algorithm.as_ref(),
        )
    } else {
        (
            facts.encryption_context.as_ref(),
            facts.encryption_algorithm.as_ref(),
        )
    };
    if let Some(context) = context {
        for (k, value) in context {
            v.set(&format!("kms:EncryptionContext:{k}"), value.clone());
        }
        v.set_many("kms:EncryptionContextKeys", context.keys().cloned());
    }
    // A request that names no algorithm uses SYMMETRIC_DEFAULT, and the key says so.
    let default_algorithm = "SYMMETRIC_DEFAULT".to_owned();
    let algorithm = algorithm.or(takes_encryption_context(action).then_some(&default_algorithm));
    let optional = [
        ("kms:EncryptionAlgorithm", algorithm),
        ("kms:SigningAlgorithm", facts.signing_algorithm.as_ref()),
        ("kms:MacAlgorithm", facts.mac_algorithm.as_ref()),
        ("kms:GranteePrincipal", facts.grantee.as_ref()),
        ("kms:RetiringPrincipal", facts.retiring.as_ref()),
        ("kms:DataKeyPairSpec", facts.data_key_pair_spec.as_ref()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            v.set(name, value.clone());
        }
    }
    if !facts.grant_operations.is_empty() {
        v.set_many(
            "kms:GrantOperations",
            facts.grant_operations.iter().cloned(),
        );
    }
    if matches!(action, "CreateGrant" | "ListGrants" | "RevokeGrant") {
        v.set(
            "kms:GrantIsForAWSResource",
            via_service.is_some().to_string(),
        );
    }
    if let Some(attestation) = &cx.recipient {
        recipient_attestation(&mut v, attestation);
    }
    if let Some(days) = facts.rotation_period_days {
        v.set("kms:RotationPeriodInDays", days.to_string());
    }
    if let Some(days) = facts.pending_window_days {
        v.set(
            "kms:ScheduleKeyDeletionPendingWindowInDays",
            days.to_string(),
        );
    }
    if let Some(named) = &cx.named_key
        && let Some(alias) = alias_name(named)
    {
        v.set("kms:RequestAlias", alias);
    }
    match key {
        Some(key) => {
            v.set("kms:KeySpec", key.spec.as_str());
            v.set("kms:KeyUsage", key.usage.as_str());
            v.set("kms:KeyOrigin", key.origin.as_str());
            v.set("kms:MultiRegion", "false");
            if !aliases.is_empty() {
                v.set_many("kms:ResourceAliases", aliases);
            }
        }
        None => {
            let spec = facts.key_spec.as_deref().unwrap_or("SYMMETRIC_DEFAULT");
            v.set("kms:KeySpec", spec);
            if let Some(usage) = &facts.key_usage {
                v.set("kms:KeyUsage", usage.clone());
            } else if spec == "SYMMETRIC_DEFAULT" {
                v.set("kms:KeyUsage", "ENCRYPT_DECRYPT");
            }
            v.set(
                "kms:KeyOrigin",
                facts.origin.clone().unwrap_or_else(|| "AWS_KMS".into()),
            );
            v.set(
                "kms:MultiRegion",
                facts.multi_region.unwrap_or(false).to_string(),
            );
        }
    }
    v
}

/// The alias name a key reference names (`alias/x`, or the name in an alias ARN).
fn alias_name(named: &str) -> Option<String> {
    if named.starts_with("alias/") {
        return Some(named.to_owned());
    }
    let (_, resource) = named.strip_prefix("arn:")?.rsplit_once(':')?;
    resource.starts_with("alias/").then(|| resource.to_owned())
}

/// `kms:RecipientAttestation:*` from the PCRs of a `Recipient` attestation document, in
/// lower-case hex: `ImageSha384` (PCR0) and `PCR<n>` for a Nitro enclave, `NitroTPMPCR<n>` for
/// NitroTPM
/// ([enclaves](https://docs.aws.amazon.com/kms/latest/developerguide/conditions-nitro-enclave.html),
/// [NitroTPM](https://docs.aws.amazon.com/kms/latest/developerguide/conditions-nitro-tpm.html)).
fn recipient_attestation(v: &mut Values, attestation: &Measurements) {
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    let prefix = if attestation.nitro_tpm {
        "kms:RecipientAttestation:NitroTPMPCR"
    } else {
        if let Some(image) = attestation.pcrs.get(&0) {
            v.set("kms:RecipientAttestation:ImageSha384", hex(image));
        }
        "kms:RecipientAttestation:PCR"
    };
    for (index, value) in &attestation.pcrs {
        v.set(&format!("{prefix}{index}"), hex(value));
    }
}
