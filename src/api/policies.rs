//! Wire adapters for GetKeyPolicy, PutKeyPolicy and ListKeyPolicies.

use serde::{Deserialize, Serialize};

use super::keys::{key_ref, policy_constraints};
use super::wire::{Validate, Validator};
use super::{ApiError, Empty, Operation};
use crate::kms::Kms;
use crate::kms::model::Scope;
use crate::kms::policies::POLICY_NAME;

fn policy_name_constraints(v: &mut Validator, name: Option<&str>) {
    v.string("policyName", name, 1, 128, false);
    v.pattern("policyName", name, "[\\w]+", |c| {
        c.is_ascii_alphanumeric() || c == '_'
    });
}

/// GetKeyPolicy.
pub(crate) struct GetKeyPolicy;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyPolicyRequest {
    key_id: Option<String>,
    policy_name: Option<String>,
}

impl Validate for GetKeyPolicyRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        policy_name_constraints(v, self.policy_name.as_deref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyPolicyResponse {
    policy: String,
    policy_name: &'static str,
}

impl Operation for GetKeyPolicy {
    type Request = GetKeyPolicyRequest;
    type Response = GetKeyPolicyResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: GetKeyPolicyRequest,
    ) -> Result<GetKeyPolicyResponse, ApiError> {
        let policy = kms.get_key_policy(
            caller,
            &key_ref(r.key_id.as_deref()),
            r.policy_name.as_deref(),
        )?;
        Ok(GetKeyPolicyResponse {
            policy,
            policy_name: POLICY_NAME,
        })
    }
}

/// PutKeyPolicy.
pub(crate) struct PutKeyPolicy;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutKeyPolicyRequest {
    key_id: Option<String>,
    policy_name: Option<String>,
    policy: Option<String>,
    #[allow(dead_code)] // Accepted; policies are not enforced, so there is no lockout to check.
    bypass_policy_lockout_safety_check: Option<bool>,
}

impl Validate for PutKeyPolicyRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        policy_name_constraints(v, self.policy_name.as_deref());
        policy_constraints(v, self.policy.as_deref(), true);
    }
}

impl Operation for PutKeyPolicy {
    type Request = PutKeyPolicyRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: PutKeyPolicyRequest) -> Result<Empty, ApiError> {
        kms.put_key_policy(
            caller,
            &key_ref(r.key_id.as_deref()),
            r.policy_name.as_deref(),
            r.policy.unwrap_or_default(),
        )?;
        Ok(Empty {})
    }
}

/// ListKeyPolicies.
pub(crate) struct ListKeyPolicies;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyPoliciesRequest {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

impl Validate for ListKeyPoliciesRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.paging(self.limit, self.marker.as_deref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyPoliciesResponse {
    policy_names: Vec<&'static str>,
    truncated: bool,
}

impl Operation for ListKeyPolicies {
    type Request = ListKeyPoliciesRequest;
    type Response = ListKeyPoliciesResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: ListKeyPoliciesRequest,
    ) -> Result<ListKeyPoliciesResponse, ApiError> {
        let policy_names = kms.list_key_policies(caller, &key_ref(r.key_id.as_deref()))?;
        Ok(ListKeyPoliciesResponse {
            policy_names,
            truncated: false,
        })
    }
}
