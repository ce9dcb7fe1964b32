//! Wire adapters for CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and
//! RevokeGrant.

use serde::{Deserialize, Serialize};

use super::keys::{key_ref, limit};
use super::wire::{EnumMember, EpochSeconds, Validate, Validator, known};
use super::{ApiError, Empty, Operation};
use crate::kms::Kms;
use crate::kms::grants::{GrantEntry, GrantFilter, GrantSelector, LIST_GRANTS_MAX_LIMIT, NewGrant};
use crate::kms::model::{EncryptionContext, GrantConstraints, GrantOperation, Scope};

/// The lists' page size when the request names none.
const LIST_GRANTS_DEFAULT_LIMIT: usize = 50;

/// `PrincipalIdType`: 1–256 characters of `[\w+=,.@:/-]`.
fn principal(v: &mut Validator, member: &str, value: Option<&str>, required: bool) {
    v.string(member, value, 1, 256, required);
    v.pattern(member, value, "^[\\w+=,.@:/-]+$", |c| {
        c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c)
    });
}

/// `GrantIdType`: 1–128 characters.
fn grant_id(v: &mut Validator, value: Option<&str>, required: bool) {
    v.string("grantId", value, 1, 128, required);
}

/// A page size: the model allows up to 1000, and grants lists return at most 100.
fn grants_limit(requested: Option<i64>) -> usize {
    limit(requested, LIST_GRANTS_DEFAULT_LIMIT).min(LIST_GRANTS_MAX_LIMIT)
}

/// `GrantConstraints` as the wire spells it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireConstraints {
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_context_subset: Option<EncryptionContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_context_equals: Option<EncryptionContext>,
}

/// CreateGrant.
pub(crate) struct CreateGrant;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateGrantRequest {
    key_id: Option<String>,
    grantee_principal: Option<String>,
    retiring_principal: Option<String>,
    operations: Option<Vec<EnumMember<GrantOperation>>>,
    constraints: Option<WireConstraints>,
    grant_tokens: Option<Vec<String>>,
    name: Option<String>,
    dry_run: Option<bool>,
}

impl Validate for CreateGrantRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        principal(
            v,
            "granteePrincipal",
            self.grantee_principal.as_deref(),
            true,
        );
        principal(
            v,
            "retiringPrincipal",
            self.retiring_principal.as_deref(),
            false,
        );
        v.count("operations", self.operations.as_ref(), 0, usize::MAX, true);
        for (i, operation) in self.operations.iter().flatten().enumerate() {
            v.enumeration(
                &format!("operations.{}.member", i + 1),
                Some(operation),
                true,
            );
        }
        v.grant_tokens(self.grant_tokens.as_ref());
        v.string("name", self.name.as_deref(), 1, 256, false);
        v.pattern("name", self.name.as_deref(), "^[a-zA-Z0-9:/_-]+$", |c| {
            c.is_ascii_alphanumeric() || ":/_-".contains(c)
        });
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateGrantResponse {
    grant_token: String,
    grant_id: String,
}

impl Operation for CreateGrant {
    type Request = CreateGrantRequest;
    type Response = CreateGrantResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: CreateGrantRequest,
    ) -> Result<CreateGrantResponse, ApiError> {
        let constraints = r.constraints.map(|c| GrantConstraints {
            subset: c.encryption_context_subset,
            equals: c.encryption_context_equals,
        });
        let request = NewGrant {
            grantee: r.grantee_principal.unwrap_or_default(),
            retiring: r.retiring_principal,
            operations: r
                .operations
                .iter()
                .flatten()
                .filter_map(|o| known(Some(o)))
                .collect(),
            // `{}` constrains nothing, as AWS treats it.
            constraints: constraints.filter(|c| c.subset.is_some() || c.equals.is_some()),
            name: r.name,
        };
        let created = kms.create_grant(
            caller,
            &key_ref(r.key_id.as_deref()),
            request,
            r.dry_run.unwrap_or(false),
        )?;
        Ok(CreateGrantResponse {
            grant_token: created.token,
            grant_id: created.id,
        })
    }
}

/// A `GrantListEntry`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireGrant {
    key_id: String,
    grant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    creation_date: EpochSeconds,
    grantee_principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retiring_principal: Option<String>,
    issuing_account: String,
    operations: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    constraints: Option<WireConstraints>,
}

impl From<GrantEntry> for WireGrant {
    fn from(entry: GrantEntry) -> WireGrant {
        let grant = entry.grant;
        WireGrant {
            key_id: entry.key_arn.to_string(),
            grant_id: grant.id,
            name: grant.name,
            creation_date: grant.creation_date.into(),
            grantee_principal: grant.grantee,
            retiring_principal: grant.retiring,
            issuing_account: format!("arn:aws:iam::{}:root", grant.issuing_account.as_str()),
            operations: grant.operations.iter().map(|o| o.as_str()).collect(),
            constraints: grant.constraints.map(|c| WireConstraints {
                encryption_context_subset: c.subset,
                encryption_context_equals: c.equals,
            }),
        }
    }
}

/// The answer of both list operations.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListGrantsResponse {
    grants: Vec<WireGrant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

impl From<crate::kms::Page<GrantEntry>> for ListGrantsResponse {
    fn from(page: crate::kms::Page<GrantEntry>) -> ListGrantsResponse {
        ListGrantsResponse {
            grants: page.items.into_iter().map(WireGrant::from).collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        }
    }
}

/// ListGrants.
pub(crate) struct ListGrants;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListGrantsRequest {
    limit: Option<i64>,
    marker: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    grantee_principal: Option<String>,
}

impl Validate for ListGrantsRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.paging(self.limit, self.marker.as_deref());
        v.key_id("keyId", self.key_id.as_deref(), true);
        grant_id(v, self.grant_id.as_deref(), false);
        principal(
            v,
            "granteePrincipal",
            self.grantee_principal.as_deref(),
            false,
        );
    }
}

impl Operation for ListGrants {
    type Request = ListGrantsRequest;
    type Response = ListGrantsResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: ListGrantsRequest,
    ) -> Result<ListGrantsResponse, ApiError> {
        let filter = GrantFilter {
            grant_id: r.grant_id.as_deref(),
            grantee: r.grantee_principal.as_deref(),
        };
        let page = kms.list_grants(
            caller,
            &key_ref(r.key_id.as_deref()),
            filter,
            grants_limit(r.limit),
            r.marker.as_deref(),
        )?;
        Ok(page.into())
    }
}

/// ListRetirableGrants.
pub(crate) struct ListRetirableGrants;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListRetirableGrantsRequest {
    limit: Option<i64>,
    marker: Option<String>,
    retiring_principal: Option<String>,
}

impl Validate for ListRetirableGrantsRequest {
    fn validate(&self, v: &mut Validator) {
        v.paging(self.limit, self.marker.as_deref());
        principal(
            v,
            "retiringPrincipal",
            self.retiring_principal.as_deref(),
            true,
        );
    }
}

impl Operation for ListRetirableGrants {
    type Request = ListRetirableGrantsRequest;
    type Response = ListGrantsResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: ListRetirableGrantsRequest,
    ) -> Result<ListGrantsResponse, ApiError> {
        let page = kms.list_retirable_grants(
            caller,
            r.retiring_principal.as_deref().unwrap_or_default(),
            grants_limit(r.limit),
            r.marker.as_deref(),
        )?;
        Ok(page.into())
    }
}

/// RetireGrant.
pub(crate) struct RetireGrant;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RetireGrantRequest {
    grant_token: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

impl Validate for RetireGrantRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.string("grantToken", self.grant_token.as_deref(), 1, 8192, false);
        v.key_id("keyId", self.key_id.as_deref(), false);
        grant_id(v, self.grant_id.as_deref(), false);
    }
}

impl Operation for RetireGrant {
    type Request = RetireGrantRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: RetireGrantRequest) -> Result<Empty, ApiError> {
        let selector = match (r.grant_token, r.key_id, r.grant_id) {
            (Some(token), _, _) => GrantSelector::Token(token),
            (None, Some(key_id), Some(grant_id)) => GrantSelector::Id {
                key_ref: key_ref(Some(&key_id)),
                grant_id,
            },
            _ => {
                return Err(ApiError::new(
                    super::ErrorCode::Validation,
                    "Either GrantToken, or both KeyId and GrantId, must be specified.",
                ));
            }
        };
        kms.retire_grant(caller, &selector, r.dry_run.unwrap_or(false))?;
        Ok(Empty {})
    }
}

/// RevokeGrant.
pub(crate) struct RevokeGrant;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RevokeGrantRequest {
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

impl Validate for RevokeGrantRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        grant_id(v, self.grant_id.as_deref(), true);
    }
}

impl Operation for RevokeGrant {
    type Request = RevokeGrantRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: RevokeGrantRequest) -> Result<Empty, ApiError> {
        kms.revoke_grant(
            caller,
            &key_ref(r.key_id.as_deref()),
            r.grant_id.as_deref().unwrap_or_default(),
            r.dry_run.unwrap_or(false),
        )?;
        Ok(Empty {})
    }
}
