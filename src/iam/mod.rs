//! IAM as kmsd knows it: who a caller is (an [`Identity`] from `--identities`) and the policy
//! language key policies and identity policies are written in (`policy.rs`: parsing,
//! `condition.rs`: condition operators). Pure functions over documents and values; the KMS
//! rules that decide which policies apply to a call live in `kms/access.rs`. No HTTP, no state.

mod condition;
mod policy;

pub use condition::Values;
pub use policy::{Effect, Match, Policy, PolicyError, Request, Statement};

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::AccountId;

/// One set of credentials from the identities file and the principal they stand for.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The access key id requests are signed with.
    pub access_key_id: String,
    /// Its secret (SigV4's key is derived from it).
    pub secret_access_key: String,
    /// The session token temporary credentials carry (`X-Amz-Security-Token`), if any.
    pub session_token: Option<String>,
    /// The account the principal belongs to.
    pub account: AccountId,
    /// The principal's ARN: the account root, an IAM user or role, or an assumed-role session.
    pub principal: String,
    /// `aws:PrincipalTag/<key>` values.
    pub tags: BTreeMap<String, String>,
    /// The principal's identity-based (IAM) policy; none allows nothing.
    pub policy: Option<Policy>,
    /// The AWS services (`ec2.us-east-1.amazonaws.com`) this identity calls through, as
    /// `kms:ViaService` reports them; locally no call comes through a service unless said so.
    pub via_service: Option<String>,
}

/// The identities of `--identities`, by access key id.
#[derive(Debug, Clone, Default)]
pub struct Identities(BTreeMap<String, Arc<Identity>>);

impl Identities {
    /// The identities, which have distinct access key ids.
    pub fn new(identities: impl IntoIterator<Item = Identity>) -> Identities {
        Identities(
            identities
                .into_iter()
                .map(|i| (i.access_key_id.clone(), Arc::new(i)))
                .collect(),
        )
    }

    /// The identity an access key id belongs to.
    pub fn get(&self, access_key_id: &str) -> Option<&Arc<Identity>> {
        self.0.get(access_key_id)
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Identity {
    /// The principal the identity stands for.
    pub fn as_principal(&self) -> Principal {
        Principal {
            arn: self.principal.clone(),
            account: self.account.clone(),
        }
    }
}

/// Who a principal ARN names, as policies match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The ARN as the caller is known (`aws:PrincipalArn` of an assumed-role session is its
    /// role's ARN, see [`Principal::principal_arn`]).
    pub arn: String,
    /// The account it belongs to.
    pub account: AccountId,
}

impl Principal {
    /// The root of `account`.
    pub fn root(account: &AccountId) -> Principal {
        Principal {
            arn: root_arn(account),
            account: account.clone(),
        }
    }

    /// Whether this is an account's root user, to which identity policies do not apply.
    pub fn is_root(&self) -> bool {
        self.arn == root_arn(&self.account)
    }

    /// `aws:PrincipalArn`: for an assumed-role session
    /// (`arn:aws:sts::111122223333:assumed-role/Role/session`) the role's ARN, else the ARN.
    pub fn principal_arn(&self) -> String {
        match self.role_of_session() {
            Some(role) => role,
            None => self.arn.clone(),
        }
    }

    /// The role ARN of an assumed-role session ARN.
    fn role_of_session(&self) -> Option<String> {
        let rest = self.arn.strip_prefix("arn:aws:sts::")?;
        let (account, resource) = rest.split_once(':')?;
        let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
        Some(format!("arn:aws:iam::{account}:role/{role}"))
    }

    /// Whether a policy's `AWS` principal entry names this principal: its ARN, its role's ARN
    /// for a session, or `*`. Entries naming the account (its root ARN or bare id) are not
    /// matched here; see [`Principal::is_account_entry`].
    pub fn is_named_by(&self, entry: &str) -> bool {
        entry == "*"
            || entry == self.arn
            || self.role_of_session().is_some_and(|role| role == entry)
    }

    /// Whether a policy's `AWS` principal entry names this principal's account (its root ARN or
    /// its 12-digit id): AWS then lets the account's IAM policies decide.
    pub fn is_account_entry(&self, entry: &str) -> bool {
        entry == self.account.as_str() || entry == root_arn(&self.account)
    }
}

/// `arn:aws:iam::<account>:root`.
pub fn root_arn(account: &AccountId) -> String {
    format!("arn:aws:iam::{}:root", account.as_str())
}

/// The account a principal ARN (`arn:aws:iam::<account>:...` or `arn:aws:sts::...`) names.
pub fn principal_account(arn: &str) -> Option<AccountId> {
    let rest = arn
        .strip_prefix("arn:aws:iam::")
        .or_else(|| arn.strip_prefix("arn:aws:sts::"))?;
    AccountId::parse(rest.split_once(':')?.0)
}

#[cfg(test)]
mod tests;
