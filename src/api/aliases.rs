//! Wire adapters for CreateAlias, UpdateAlias, DeleteAlias and ListAliases.

use serde::{Deserialize, Serialize};

use super::keys::{key_ref, limit};
use super::wire::{EpochSeconds, Validate, Validator};
use super::{ApiError, Empty, Operation};
use crate::kms::Kms;
use crate::kms::aliases::{LIST_ALIASES_DEFAULT_LIMIT, parse_alias_name};
use crate::kms::model::Scope;

/// The model's constraints on an `AliasName` member.
fn alias_name_constraints(v: &mut Validator, name: Option<&str>) {
    v.string("aliasName", name, 1, 256, true);
    v.pattern("aliasName", name, "^[a-zA-Z0-9:/_-]+$", |c| {
        c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-')
    });
}

/// CreateAlias and UpdateAlias take the same members.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AliasTargetRequest {
    alias_name: Option<String>,
    target_key_id: Option<String>,
}

impl Validate for AliasTargetRequest {
    fn key_id(&self) -> Option<&str> {
        self.target_key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        alias_name_constraints(v, self.alias_name.as_deref());
        v.key_id("targetKeyId", self.target_key_id.as_deref(), true);
    }
}

/// CreateAlias.
pub(crate) struct CreateAlias;

impl Operation for CreateAlias {
    type Request = AliasTargetRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: AliasTargetRequest) -> Result<Empty, ApiError> {
        let name = parse_alias_name(r.alias_name.as_deref().unwrap_or_default())?;
        kms.create_alias(caller, name, &key_ref(r.target_key_id.as_deref()))?;
        Ok(Empty {})
    }
}

/// UpdateAlias.
pub(crate) struct UpdateAlias;

impl Operation for UpdateAlias {
    type Request = AliasTargetRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: AliasTargetRequest) -> Result<Empty, ApiError> {
        let name = parse_alias_name(r.alias_name.as_deref().unwrap_or_default())?;
        kms.update_alias(caller, name, &key_ref(r.target_key_id.as_deref()))?;
        Ok(Empty {})
    }
}

/// DeleteAlias.
pub(crate) struct DeleteAlias;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteAliasRequest {
    alias_name: Option<String>,
}

impl Validate for DeleteAliasRequest {
    fn validate(&self, v: &mut Validator) {
        alias_name_constraints(v, self.alias_name.as_deref());
    }
}

impl Operation for DeleteAlias {
    type Request = DeleteAliasRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: DeleteAliasRequest) -> Result<Empty, ApiError> {
        let name = parse_alias_name(r.alias_name.as_deref().unwrap_or_default())?;
        kms.delete_alias(caller, name)?;
        Ok(Empty {})
    }
}

/// ListAliases.
pub(crate) struct ListAliases;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliasesRequest {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

impl Validate for ListAliasesRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), false);
        v.paging(self.limit, self.marker.as_deref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliasesResponse {
    aliases: Vec<AliasListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AliasListEntry {
    alias_name: String,
    alias_arn: String,
    target_key_id: String,
    creation_date: EpochSeconds,
    last_updated_date: EpochSeconds,
}

impl Operation for ListAliases {
    type Request = ListAliasesRequest;
    type Response = ListAliasesResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: ListAliasesRequest,
    ) -> Result<ListAliasesResponse, ApiError> {
        let key = r.key_id.as_deref().map(|k| key_ref(Some(k)));
        let page = kms.list_aliases(
            caller,
            key.as_ref(),
            limit(r.limit, LIST_ALIASES_DEFAULT_LIMIT),
            r.marker.as_deref(),
        )?;
        Ok(ListAliasesResponse {
            aliases: page
                .items
                .into_iter()
                .map(|entry| AliasListEntry {
                    alias_name: entry.alias.name.as_str().to_owned(),
                    alias_arn: entry.arn,
                    target_key_id: entry.alias.target.to_string(),
                    creation_date: entry.alias.creation_date.into(),
                    last_updated_date: entry.alias.last_updated.into(),
                })
                .collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        })
    }
}
