//! Wire adapters for CreateAlias, UpdateAlias, DeleteAlias and ListAliases.

use serde::{Deserialize, Serialize};

use super::wire::{EpochSeconds, Validator, key_ref, limit};
use super::{ApiError, Empty, Handler};
use crate::kms::aliases::{AliasTargetInput, LIST_ALIASES_DEFAULT_LIMIT};
use crate::kms::{self, Context, Kms, Paging};
use crate::model::{AliasName, KeyRef};

/// The constraints on an `AliasName` member, then KMS's own alias name rules (which AWS
/// reports only when every constraint holds). The model's pattern lets `:` through; the
/// service does not ("It can contain only alphanumeric characters, forward slashes (/),
/// underscores (_), and dashes (-)"), and says so with the stricter pattern.
fn alias_name(v: &mut Validator, name: Option<String>) -> Option<AliasName> {
    v.string("aliasName", name.as_deref(), 1, 256, true);
    v.pattern("aliasName", name.as_deref(), "^[a-zA-Z0-9/_-]+$", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')
    });
    match AliasName::parse(&name?) {
        Ok(name) => Some(name),
        Err(error) => {
            v.reject(kms::Error::from(error));
            None
        }
    }
}

/// CreateAlias and UpdateAlias take the same members.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AliasTargetRequest {
    alias_name: Option<String>,
    target_key_id: Option<String>,
}

impl AliasTargetRequest {
    fn parse(self, v: &mut Validator) -> Option<AliasTargetInput> {
        let name = alias_name(v, self.alias_name);
        v.key_id("targetKeyId", self.target_key_id.as_deref(), true);
        v.names_key(self.target_key_id.as_deref());
        Some(AliasTargetInput {
            name: name?,
            target: key_ref(self.target_key_id)?,
        })
    }
}

/// CreateAlias.
pub(crate) struct CreateAlias;

impl Handler for CreateAlias {
    type Request = AliasTargetRequest;
    type Input = AliasTargetInput;
    type Response = Empty;

    fn parse(r: AliasTargetRequest, v: &mut Validator) -> Option<AliasTargetInput> {
        r.parse(v)
    }

    fn handle(kms: &Kms, cx: &mut Context, input: AliasTargetInput) -> Result<Empty, ApiError> {
        kms.create_alias(cx, input)?;
        Ok(Empty {})
    }
}

/// UpdateAlias.
pub(crate) struct UpdateAlias;

impl Handler for UpdateAlias {
    type Request = AliasTargetRequest;
    type Input = AliasTargetInput;
    type Response = Empty;

    fn parse(r: AliasTargetRequest, v: &mut Validator) -> Option<AliasTargetInput> {
        r.parse(v)
    }

    fn handle(kms: &Kms, cx: &mut Context, input: AliasTargetInput) -> Result<Empty, ApiError> {
        kms.update_alias(cx, input)?;
        Ok(Empty {})
    }
}

/// DeleteAlias.
pub(crate) struct DeleteAlias;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteAliasRequest {
    alias_name: Option<String>,
}

impl Handler for DeleteAlias {
    type Request = DeleteAliasRequest;
    type Input = AliasName;
    type Response = Empty;

    fn parse(r: DeleteAliasRequest, v: &mut Validator) -> Option<AliasName> {
        alias_name(v, r.alias_name)
    }

    fn handle(kms: &Kms, cx: &mut Context, name: AliasName) -> Result<Empty, ApiError> {
        kms.delete_alias(cx, name)?;
        Ok(Empty {})
    }
}

/// ListAliases.
pub(crate) struct ListAliases;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliasesRequest {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

/// ListAliases's request in domain terms.
#[derive(Debug)]
pub(crate) struct ListAliasesInput {
    key: Option<KeyRef>,
    paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliasesResponse {
    aliases: Vec<AliasListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

/// An `AliasListEntry`; a predefined AWS alias with no key behind it yet has only its name and
/// ARN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AliasListEntry {
    alias_name: String,
    alias_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_date: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_updated_date: Option<EpochSeconds>,
}

impl Handler for ListAliases {
    type Request = ListAliasesRequest;
    type Input = ListAliasesInput;
    type Response = ListAliasesResponse;

    fn parse(r: ListAliasesRequest, v: &mut Validator) -> Option<ListAliasesInput> {
        v.key_id("keyId", r.key_id.as_deref(), false);
        v.paging(r.limit, r.marker.as_deref());
        v.names_key(r.key_id.as_deref());
        Some(ListAliasesInput {
            key: key_ref(r.key_id),
            paging: Paging {
                limit: limit(r.limit, LIST_ALIASES_DEFAULT_LIMIT),
                marker: r.marker,
            },
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ListAliasesInput,
    ) -> Result<ListAliasesResponse, ApiError> {
        let page = kms.list_aliases(cx, input.key.as_ref(), input.paging)?;
        Ok(ListAliasesResponse {
            aliases: page
                .items
                .into_iter()
                .map(|entry| AliasListEntry {
                    alias_name: entry.name.as_str().to_owned(),
                    alias_arn: entry.arn,
                    target_key_id: entry.alias.as_ref().map(|a| a.target.to_string()),
                    creation_date: entry.alias.as_ref().map(|a| a.creation_date.into()),
                    last_updated_date: entry.alias.as_ref().map(|a| a.last_updated.into()),
                })
                .collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        })
    }
}
