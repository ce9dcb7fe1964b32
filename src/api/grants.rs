//! Wire adapters for CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and
//! RevokeGrant.

use serde::{Deserialize, Serialize};

use super::wire::{EnumMember, EpochSeconds, Validator, key_ref, known, limit};
use super::{ApiError, Empty, ErrorCode, Handler};
use crate::kms::grants::{
    CreateGrantInput, GrantEntry, GrantSelector, LIST_GRANTS_MAX_LIMIT, ListGrantsInput,
    RevokeGrantInput,
};
use crate::kms::{Context, Kms, Page, Paging};
use crate::model::{EncryptionContext, GrantConstraints, GrantOperation};

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

/// A page of a grants list: the model allows up to 1000 items, and grants lists return at
/// most 100.
fn grants_paging(limit_member: Option<i64>, marker: Option<String>) -> Paging {
    Paging {
        limit: limit(limit_member, LIST_GRANTS_DEFAULT_LIMIT).min(LIST_GRANTS_MAX_LIMIT),
        marker,
    }
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

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateGrantResponse {
    grant_token: String,
    grant_id: String,
}

impl Handler for CreateGrant {
    type Request = CreateGrantRequest;
    type Input = CreateGrantInput;
    type Response = CreateGrantResponse;

    fn parse(r: CreateGrantRequest, v: &mut Validator) -> Option<CreateGrantInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        principal(v, "granteePrincipal", r.grantee_principal.as_deref(), true);
        principal(
            v,
            "retiringPrincipal",
            r.retiring_principal.as_deref(),
            false,
        );
        v.count("operations", r.operations.as_ref(), 0, usize::MAX, true);
        for (i, operation) in r.operations.iter().flatten().enumerate() {
            v.enumeration(
                &format!("operations.{}.member", i + 1),
                Some(operation),
                true,
            );
        }
        v.grant_tokens(r.grant_tokens.as_ref());
        v.string("name", r.name.as_deref(), 1, 256, false);
        v.pattern("name", r.name.as_deref(), "^[a-zA-Z0-9:/_-]+$", |c| {
            c.is_ascii_alphanumeric() || ":/_-".contains(c)
        });
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        let constraints = r.constraints.map(|c| GrantConstraints {
            subset: c.encryption_context_subset,
            equals: c.encryption_context_equals,
        });
        Some(CreateGrantInput {
            key: key_ref(r.key_id)?,
            grantee: r.grantee_principal?,
            retiring: r.retiring_principal,
            operations: r
                .operations?
                .iter()
                .map(|o| known(Some(o)))
                .collect::<Option<_>>()?,
            // `{}` constrains nothing, as AWS treats it.
            constraints: constraints.filter(|c| c.subset.is_some() || c.equals.is_some()),
            name: r.name,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: CreateGrantInput,
    ) -> Result<CreateGrantResponse, ApiError> {
        let created = kms.create_grant(cx, input)?;
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

impl From<Page<GrantEntry>> for ListGrantsResponse {
    fn from(page: Page<GrantEntry>) -> ListGrantsResponse {
        ListGrantsResponse {
            grants: page.items.into_iter().map(WireGrant::from).collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        }
    }
}

/// ListGrants.
pub(crate) struct ListGrants;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListGrantsRequest {
    limit: Option<i64>,
    marker: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    grantee_principal: Option<String>,
}

impl Handler for ListGrants {
    type Request = ListGrantsRequest;
    type Input = ListGrantsInput;
    type Response = ListGrantsResponse;

    fn parse(r: ListGrantsRequest, v: &mut Validator) -> Option<ListGrantsInput> {
        v.paging(r.limit, r.marker.as_deref());
        v.key_id("keyId", r.key_id.as_deref(), true);
        grant_id(v, r.grant_id.as_deref(), false);
        principal(v, "granteePrincipal", r.grantee_principal.as_deref(), false);
        v.names_key(r.key_id.as_deref());
        Some(ListGrantsInput {
            key: key_ref(r.key_id)?,
            grant_id: r.grant_id,
            grantee: r.grantee_principal,
            paging: grants_paging(r.limit, r.marker),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ListGrantsInput,
    ) -> Result<ListGrantsResponse, ApiError> {
        Ok(kms.list_grants(cx, input)?.into())
    }
}

/// ListRetirableGrants.
pub(crate) struct ListRetirableGrants;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListRetirableGrantsRequest {
    limit: Option<i64>,
    marker: Option<String>,
    retiring_principal: Option<String>,
}

/// ListRetirableGrants's request in domain terms.
#[derive(Debug)]
pub(crate) struct ListRetirableGrantsInput {
    retiring: String,
    paging: Paging,
}

impl Handler for ListRetirableGrants {
    type Request = ListRetirableGrantsRequest;
    type Input = ListRetirableGrantsInput;
    type Response = ListGrantsResponse;

    fn parse(r: ListRetirableGrantsRequest, v: &mut Validator) -> Option<ListRetirableGrantsInput> {
        v.paging(r.limit, r.marker.as_deref());
        principal(
            v,
            "retiringPrincipal",
            r.retiring_principal.as_deref(),
            true,
        );
        Some(ListRetirableGrantsInput {
            retiring: r.retiring_principal?,
            paging: grants_paging(r.limit, r.marker),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ListRetirableGrantsInput,
    ) -> Result<ListGrantsResponse, ApiError> {
        Ok(kms
            .list_retirable_grants(cx, &input.retiring, input.paging)?
            .into())
    }
}

/// RetireGrant.
pub(crate) struct RetireGrant;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RetireGrantRequest {
    grant_token: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

impl Handler for RetireGrant {
    type Request = RetireGrantRequest;
    type Input = GrantSelector;
    type Response = Empty;

    fn parse(r: RetireGrantRequest, v: &mut Validator) -> Option<GrantSelector> {
        v.string("grantToken", r.grant_token.as_deref(), 1, 8192, false);
        v.key_id("keyId", r.key_id.as_deref(), false);
        grant_id(v, r.grant_id.as_deref(), false);
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        match (r.grant_token, key_ref(r.key_id), r.grant_id) {
            (Some(token), _, _) => Some(GrantSelector::Token(token)),
            (None, Some(key_ref), Some(grant_id)) => Some(GrantSelector::Id { key_ref, grant_id }),
            _ => {
                v.reject(ApiError::new(
                    ErrorCode::Validation,
                    "Either GrantToken, or both KeyId and GrantId, must be specified.",
                ));
                None
            }
        }
    }

    fn handle(kms: &Kms, cx: &mut Context, selector: GrantSelector) -> Result<Empty, ApiError> {
        kms.retire_grant(cx, selector)?;
        Ok(Empty {})
    }
}

/// RevokeGrant.
pub(crate) struct RevokeGrant;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RevokeGrantRequest {
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

impl Handler for RevokeGrant {
    type Request = RevokeGrantRequest;
    type Input = RevokeGrantInput;
    type Response = Empty;

    fn parse(r: RevokeGrantRequest, v: &mut Validator) -> Option<RevokeGrantInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        grant_id(v, r.grant_id.as_deref(), true);
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        Some(RevokeGrantInput {
            key: key_ref(r.key_id)?,
            grant_id: r.grant_id?,
        })
    }

    fn handle(kms: &Kms, cx: &mut Context, input: RevokeGrantInput) -> Result<Empty, ApiError> {
        kms.revoke_grant(cx, input)?;
        Ok(Empty {})
    }
}
