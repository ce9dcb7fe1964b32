//! The identities file (`--identities`): YAML that maps access key ids to their secret,
//! account, principal ARN, principal tags and IAM policy, read into [`Identities`]. Like seed
//! files, a broken file is refused with its line and the reason.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{FileError, Problem, read_file};
use crate::iam::{Identities, Identity, Policy, principal_account};
use crate::model::AccountId;

/// An identities file that cannot be used.
pub type IdentitiesError = FileError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    identities: Vec<Spanned<Entry>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    account: Spanned<String>,
    principal: Spanned<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    /// An IAM policy as YAML, or as a JSON string.
    policy: Option<Spanned<serde_json::Value>>,
    via_service: Option<String>,
}

/// Reads and checks an identities file.
pub fn load_identities(path: &Path) -> Result<Identities, IdentitiesError> {
    let text = read_file("identities", path)?;
    parse_identities(&text).map_err(|problem| problem.in_file("identities", path))
}

/// Parses the text of an identities file.
pub(crate) fn parse_identities(text: &str) -> Result<Identities, Problem> {
    let file: File = serde_saphyr::from_str(text).map_err(Problem::from_yaml)?;
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut identities = Vec::with_capacity(file.identities.len());
    for entry in file.identities {
        let line = entry.referenced.line();
        let entry = entry.value;
        if entry.access_key_id.is_empty() || entry.secret_access_key.is_empty() {
            return Err(Problem::at(
                line,
                "accessKeyId and secretAccessKey must not be empty",
            ));
        }
        if let Some(first) = seen.insert(entry.access_key_id.clone(), line) {
            return Err(Problem::at(
                line,
                format!(
                    "accessKeyId {} is already given on line {first}",
                    entry.access_key_id
                ),
            ));
        }
        let account = AccountId::parse(&entry.account.value).ok_or_else(|| {
            Problem::at(
                entry.account.referenced.line(),
                format!("account {:?} is not 12 digits", entry.account.value),
            )
        })?;
        check_principal(&entry.principal.value, &account)
            .map_err(|why| Problem::at(entry.principal.referenced.line(), why))?;
        let policy = match entry.policy {
            None => None,
            Some(spanned) => {
                let text = match spanned.value {
                    serde_json::Value::String(text) => text,
                    value => value.to_string(),
                };
                let policy = Policy::parse_identity_policy(&text)
                    .map_err(|e| Problem::at(spanned.referenced.line(), format!("policy: {e}")))?;
                Some(policy)
            }
        };
        identities.push(Identity {
            access_key_id: entry.access_key_id,
            secret_access_key: entry.secret_access_key,
            session_token: entry.session_token,
            account,
            principal: entry.principal.value,
            tags: entry.tags,
            policy,
            via_service: entry.via_service,
        });
    }
    Ok(Identities::new(identities))
}

/// A principal is the account's root, an IAM user or role, or an assumed-role session, in the
/// identity's account.
fn check_principal(arn: &str, account: &AccountId) -> Result<(), String> {
    let shape_ok = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, resource)| {
            resource == "root"
                || resource
                    .strip_prefix("user/")
                    .is_some_and(|n| !n.is_empty())
                || resource
                    .strip_prefix("role/")
                    .is_some_and(|n| !n.is_empty())
        })
        || arn
            .strip_prefix("arn:aws:sts::")
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(_, resource)| resource.strip_prefix("assumed-role/"))
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(role, session)| !role.is_empty() && !session.is_empty());
    if !shape_ok {
        return Err(format!(
            "principal {arn:?} is not an account root, IAM user, IAM role or assumed-role \
             session ARN (arn:aws:iam::111122223333:role/Name, \
             arn:aws:sts::111122223333:assumed-role/Name/session)"
        ));
    }
    if principal_account(arn).as_ref() != Some(account) {
        return Err(format!(
            "principal {arn:?} is not in account {}",
            account.as_str()
        ));
    }
    Ok(())
}
