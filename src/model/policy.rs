//! The key policy AWS writes when CreateKey gets none. `kms` compares against it and `store`
//! leaves it out of key records, so it lives here where both can reach it.

use super::AccountId;

/// The policy AWS writes when CreateKey gets none: the account root may do everything. Its
/// exact formatting (two-space indent, `" : "`) is what GetKeyPolicy returns in AWS.
pub fn default_policy(account: &AccountId) -> String {
    [DEFAULT_POLICY_HEAD, account.as_str(), DEFAULT_POLICY_TAIL].concat()
}

/// Whether `policy` is exactly [`default_policy`] of `account`.
pub fn is_default_policy(account: &AccountId, policy: &str) -> bool {
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
