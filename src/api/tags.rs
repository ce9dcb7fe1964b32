//! Wire adapters for TagResource, UntagResource and ListResourceTags.

use serde::{Deserialize, Serialize};

use super::keys::{key_ref, limit};
use super::wire::{Validate, Validator, WireTag, tag_pairs, validate_tags};
use super::{ApiError, Empty, Operation};
use crate::kms::Kms;
use crate::kms::model::Scope;

/// ListResourceTags's default page size.
const LIST_TAGS_DEFAULT_LIMIT: usize = 50;

/// TagResource.
pub(crate) struct TagResource;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagResourceRequest {
    key_id: Option<String>,
    tags: Option<Vec<WireTag>>,
}

impl Validate for TagResourceRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.count("tags", self.tags.as_ref(), 0, usize::MAX, true);
        validate_tags(v, "tags", self.tags.as_ref());
    }
}

impl Operation for TagResource {
    type Request = TagResourceRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: TagResourceRequest) -> Result<Empty, ApiError> {
        kms.tag_resource(caller, &key_ref(r.key_id.as_deref()), tag_pairs(r.tags))?;
        Ok(Empty {})
    }
}

/// UntagResource.
pub(crate) struct UntagResource;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UntagResourceRequest {
    key_id: Option<String>,
    tag_keys: Option<Vec<String>>,
}

impl Validate for UntagResourceRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.count("tagKeys", self.tag_keys.as_ref(), 0, usize::MAX, true);
        for (i, key) in self.tag_keys.iter().flatten().enumerate() {
            v.string(
                &format!("tagKeys.{}.member", i + 1),
                Some(key),
                1,
                128,
                true,
            );
        }
    }
}

impl Operation for UntagResource {
    type Request = UntagResourceRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: UntagResourceRequest) -> Result<Empty, ApiError> {
        let tag_keys = r.tag_keys.unwrap_or_default();
        kms.untag_resource(caller, &key_ref(r.key_id.as_deref()), &tag_keys)?;
        Ok(Empty {})
    }
}

/// ListResourceTags.
pub(crate) struct ListResourceTags;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListResourceTagsRequest {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

impl Validate for ListResourceTagsRequest {
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
pub(crate) struct ListResourceTagsResponse {
    tags: Vec<WireTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

impl Operation for ListResourceTags {
    type Request = ListResourceTagsRequest;
    type Response = ListResourceTagsResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: ListResourceTagsRequest,
    ) -> Result<ListResourceTagsResponse, ApiError> {
        let page = kms.list_resource_tags(
            caller,
            &key_ref(r.key_id.as_deref()),
            limit(r.limit, LIST_TAGS_DEFAULT_LIMIT),
            r.marker.as_deref(),
        )?;
        Ok(ListResourceTagsResponse {
            tags: page
                .items
                .into_iter()
                .map(|(k, v)| WireTag {
                    tag_key: Some(k),
                    tag_value: Some(v),
                })
                .collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        })
    }
}
