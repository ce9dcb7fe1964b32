//! GetKeyPolicy, PutKeyPolicy and ListKeyPolicies. A policy is checked by parsing it as
//! `iam` does for enforcement (`access.rs`), so what is accepted is what is evaluated.

use super::resolve::Access;
use super::{Context, Error, Kms, Quotas, Result};
use crate::iam::Policy;
use crate::model::{KeyPolicy, KeyRef};

/// The only policy name KMS has.
pub const POLICY_NAME: &str = "default";

/// GetKeyPolicy's request.
#[derive(Debug)]
pub struct GetKeyPolicyInput {
    /// The key.
    pub key: KeyRef,
    /// `PolicyName`, when given.
    pub name: Option<String>,
}

/// PutKeyPolicy's request.
#[derive(Debug)]
pub struct PutKeyPolicyInput {
    /// The key.
    pub key: KeyRef,
    /// `PolicyName`, when given.
    pub name: Option<String>,
    /// The policy document.
    pub policy: String,
}

impl Kms {
    /// GetKeyPolicy. Works in every key state.
    pub fn get_key_policy(&self, cx: &mut Context, input: GetKeyPolicyInput) -> Result<String> {
        check_policy_name(input.name.as_deref())?;
        let key = self.resolve(cx, &input.key, Access::Own)?;
        cx.uses(&key);
        Ok(key.policy_text().into_owned())
    }

    /// PutKeyPolicy.
    pub fn put_key_policy(&self, cx: &mut Context, input: PutKeyPolicyInput) -> Result<()> {
        check_policy_name(input.name.as_deref())?;
        check_policy(&input.policy, &self.quotas)?;
        if self.enforcing() {
            let key = self.resolve(cx, &input.key, Access::Own)?;
            self.check_lockout(cx, &input.policy, Some(&key.arn))?;
        }
        self.update_key(cx, &input.key, |key| {
            key.policy = KeyPolicy::new(&key.arn.scope.account, input.policy);
            Ok(())
        })
    }

    /// ListKeyPolicies: always `["default"]` for an existing key, on one page, so no marker is
    /// one kmsd issued.
    pub fn list_key_policies(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        marker: Option<&str>,
    ) -> Result<Vec<&'static str>> {
        let key = self.resolve(cx, key_ref, Access::Own)?;
        if let Some(marker) = marker {
            return Err(Error::InvalidMarker(marker.to_owned()));
        }
        cx.uses(&key);
        Ok(vec![POLICY_NAME])
    }
}

fn check_policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(_) => Err(Error::PolicyNotFound),
    }
}

/// A policy must fit the quota and be a key policy in IAM's grammar.
pub(super) fn check_policy(policy: &str, quotas: &Quotas) -> Result<()> {
    if policy.len() > quotas.key_policy_bytes {
        return Err(Error::LimitExceeded(format!(
            "The key policy is {} bytes; the quota is {} bytes.",
            policy.len(),
            quotas.key_policy_bytes
        )));
    }
    Policy::parse_key_policy(policy)
        .map(drop)
        .map_err(|e| Error::MalformedPolicy(e.0))
}

#[cfg(test)]
mod tests;
