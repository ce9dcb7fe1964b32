//! GetKeyPolicy, PutKeyPolicy and ListKeyPolicies. Policies are stored, not enforced.
//! Policy documents are JSON by definition, so this file parses JSON; nothing else in `kms` does.

use super::model::{AccountId, KeyPolicy, KeyRef, Scope};
use super::resolve::Access;
use super::{Error, Kms, Result};

/// The only policy name KMS has.
pub const POLICY_NAME: &str = "default";

/// The largest key policy KMS accepts, in bytes.
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

impl Kms {
    /// GetKeyPolicy. Works in every key state.
    pub fn get_key_policy(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        name: Option<&str>,
    ) -> Result<String> {
        check_policy_name(name)?;
        Ok(self
            .read()
            .resolve(caller, key_ref, Access::Own)?
            .policy_text()
            .into_owned())
    }

    /// PutKeyPolicy.
    pub fn put_key_policy(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        name: Option<&str>,
        policy: String,
    ) -> Result<()> {
        check_policy_name(name)?;
        check_policy(&policy)?;
        self.update_key(caller, key_ref, |key| {
            key.policy = KeyPolicy::new(&key.arn.scope.account, policy);
            Ok(())
        })
    }

    /// ListKeyPolicies: always `["default"]` for an existing key.
    pub fn list_key_policies(&self, caller: &Scope, key_ref: &KeyRef) -> Result<Vec<&'static str>> {
        self.read().resolve(caller, key_ref, Access::Own)?;
        Ok(vec![POLICY_NAME])
    }
}

fn check_policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(_) => Err(Error::PolicyNotFound),
    }
}

/// A policy must fit the quota and be a JSON object with a `Statement`.
pub(super) fn check_policy(policy: &str) -> Result<()> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(Error::LimitExceeded(format!(
            "The key policy is {} bytes; the quota is {MAX_POLICY_BYTES} bytes.",
            policy.len()
        )));
    }
    let document: serde_json::Value = serde_json::from_str(policy).map_err(|e| {
        Error::MalformedPolicy(format!("The policy document is not valid JSON: {e}."))
    })?;
    match document.get("Statement") {
        Some(serde_json::Value::Array(_) | serde_json::Value::Object(_)) => Ok(()),
        _ => Err(Error::MalformedPolicy(
            "The policy document must be a JSON object with a Statement.".into(),
        )),
    }
}

/// The policy AWS writes when CreateKey gets none: the account root may do everything. Its
/// exact formatting (two-space indent, `" : "`) is what GetKeyPolicy returns in AWS.
pub(super) fn default_policy(account: &AccountId) -> String {
    [DEFAULT_POLICY_HEAD, account.as_str(), DEFAULT_POLICY_TAIL].concat()
}

/// Whether `policy` is exactly [`default_policy`] of `account`.
pub(super) fn is_default_policy(account: &AccountId, policy: &str) -> bool {
    policy
        .strip_prefix(DEFAULT_POLICY_HEAD)
        .and_then(|rest| rest.strip_suffix(DEFAULT_POLICY_TAIL))
        == Some(account.as_str())
}

/// The default policy up to the account id...
const DEFAULT_POLICY_HEAD: &str = "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::";
/// ...and after it.
const DEFAULT_POLICY_TAIL: &str =
    ":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";

#[cfg(test)]
mod tests;
