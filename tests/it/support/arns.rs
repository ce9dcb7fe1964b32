//! ARNs as kmsd writes them, for the default scope ([`ACCOUNT`], [`REGION`]) or another.

use super::{ACCOUNT, REGION};

/// The ARN of key `key_id` in the default account and region.
pub fn key_arn(key_id: &str) -> String {
    key_arn_in(REGION, ACCOUNT, key_id)
}

/// The ARN of key `key_id` in `region` and `account`.
pub fn key_arn_in(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

/// The key ARN for a key id in the default scope, or the ARN itself.
pub fn arn_of(key: &str) -> String {
    if key.starts_with("arn:") {
        key.to_owned()
    } else {
        key_arn(key)
    }
}

/// The ARN of alias `alias_name` (`alias/...`) in the default account and region.
pub fn alias_arn(alias_name: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:{alias_name}")
}
