//! Wire adapters for GetKeyPolicy, PutKeyPolicy and ListKeyPolicies.

use serde::{Deserialize, Serialize};

use super::keys::policy_constraints;
use super::wire::{Validator, key_ref};
use super::{ApiError, Empty, Handler};
use crate::kms::policies::{GetKeyPolicyInput, POLICY_NAME, PutKeyPolicyInput};
use crate::kms::{Context, Kms};
use crate::model::KeyRef;

fn policy_name_constraints(v: &mut Validator, name: Option<&str>) {
    v.string("policyName", name, 1, 128, false);
    v.pattern("policyName", name, "[\\w]+", |c| {
        c.is_ascii_alphanumeric() || c == '_'
    });
}

/// GetKeyPolicy.
pub(crate) struct GetKeyPolicy;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyPolicyRequest {
    key_id: Option<String>,
    policy_name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyPolicyResponse {
    policy: String,
    policy_name: &'static str,
}

impl Handler for GetKeyPolicy {
    type Request = GetKeyPolicyRequest;
    type Input = GetKeyPolicyInput;
    type Response = GetKeyPolicyResponse;

    fn parse(r: GetKeyPolicyRequest, v: &mut Validator) -> Option<GetKeyPolicyInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        policy_name_constraints(v, r.policy_name.as_deref());
        v.names_key(r.key_id.as_deref());
        Some(GetKeyPolicyInput {
            key: key_ref(r.key_id)?,
            name: r.policy_name,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: GetKeyPolicyInput,
    ) -> Result<GetKeyPolicyResponse, ApiError> {
        Ok(GetKeyPolicyResponse {
            policy: kms.get_key_policy(cx, input)?,
            policy_name: POLICY_NAME,
        })
    }
}

/// PutKeyPolicy.
pub(crate) struct PutKeyPolicy;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutKeyPolicyRequest {
    key_id: Option<String>,
    policy_name: Option<String>,
    policy: Option<String>,
    /// Accepted; policies are not enforced, so there is no lockout to check.
    bypass_policy_lockout_safety_check: Option<bool>,
}

impl Handler for PutKeyPolicy {
    type Request = PutKeyPolicyRequest;
    type Input = PutKeyPolicyInput;
    type Response = Empty;

    fn parse(r: PutKeyPolicyRequest, v: &mut Validator) -> Option<PutKeyPolicyInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        policy_name_constraints(v, r.policy_name.as_deref());
        policy_constraints(v, r.policy.as_deref(), true);
        v.names_key(r.key_id.as_deref());
        Some(PutKeyPolicyInput {
            key: key_ref(r.key_id)?,
            name: r.policy_name,
            policy: r.policy?,
        })
    }

    fn handle(kms: &Kms, cx: &mut Context, input: PutKeyPolicyInput) -> Result<Empty, ApiError> {
        kms.put_key_policy(cx, input)?;
        Ok(Empty {})
    }
}

/// ListKeyPolicies.
pub(crate) struct ListKeyPolicies;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyPoliciesRequest {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyPoliciesResponse {
    policy_names: Vec<&'static str>,
    truncated: bool,
}

impl Handler for ListKeyPolicies {
    type Request = ListKeyPoliciesRequest;
    /// The key and the marker.
    type Input = (KeyRef, Option<String>);
    type Response = ListKeyPoliciesResponse;

    fn parse(r: ListKeyPoliciesRequest, v: &mut Validator) -> Option<(KeyRef, Option<String>)> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.paging(r.limit, r.marker.as_deref());
        v.names_key(r.key_id.as_deref());
        Some((key_ref(r.key_id)?, r.marker))
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        (key, marker): (KeyRef, Option<String>),
    ) -> Result<ListKeyPoliciesResponse, ApiError> {
        Ok(ListKeyPoliciesResponse {
            policy_names: kms.list_key_policies(cx, &key, marker.as_deref())?,
            truncated: false,
        })
    }
}
