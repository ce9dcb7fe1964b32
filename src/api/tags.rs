//! Wire adapters for TagResource, UntagResource and ListResourceTags.

use serde::{Deserialize, Serialize};

use super::wire::{Validator, WireTag, key_ref, limit, tag_pairs, validate_tags};
use super::{ApiError, Empty, Handler};
use crate::kms::tags::{TagResourceInput, UntagResourceInput};
use crate::kms::{Context, Kms, Paging};
use crate::model::KeyRef;

/// ListResourceTags's default page size.
const LIST_TAGS_DEFAULT_LIMIT: usize = 50;

/// TagResource.
pub(crate) struct TagResource;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagResourceRequest {
    key_id: Option<String>,
    tags: Option<Vec<WireTag>>,
}

impl Handler for TagResource {
    type Request = TagResourceRequest;
    type Input = TagResourceInput;
    type Response = Empty;

    fn parse(r: TagResourceRequest, v: &mut Validator) -> Option<TagResourceInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.count("tags", r.tags.as_ref(), 0, usize::MAX, true);
        validate_tags(v, "tags", r.tags.as_ref());
        v.names_key(r.key_id.as_deref());
        let tags = r.tags?;
        Some(TagResourceInput {
            key: key_ref(r.key_id)?,
            tags: tag_pairs(Some(tags))?,
        })
    }

    fn handle(kms: &Kms, cx: &mut Context, input: TagResourceInput) -> Result<Empty, ApiError> {
        kms.tag_resource(cx, input)?;
        Ok(Empty {})
    }
}

/// UntagResource.
pub(crate) struct UntagResource;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UntagResourceRequest {
    key_id: Option<String>,
    tag_keys: Option<Vec<String>>,
}

impl Handler for UntagResource {
    type Request = UntagResourceRequest;
    type Input = UntagResourceInput;
    type Response = Empty;

    fn parse(r: UntagResourceRequest, v: &mut Validator) -> Option<UntagResourceInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.count("tagKeys", r.tag_keys.as_ref(), 0, usize::MAX, true);
        for (i, key) in r.tag_keys.iter().flatten().enumerate() {
            v.string(
                &format!("tagKeys.{}.member", i + 1),
                Some(key),
                1,
                128,
                true,
            );
        }
        v.names_key(r.key_id.as_deref());
        Some(UntagResourceInput {
            key: key_ref(r.key_id)?,
            tag_keys: r.tag_keys?,
        })
    }

    fn handle(kms: &Kms, cx: &mut Context, input: UntagResourceInput) -> Result<Empty, ApiError> {
        kms.untag_resource(cx, input)?;
        Ok(Empty {})
    }
}

/// ListResourceTags.
pub(crate) struct ListResourceTags;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListResourceTagsRequest {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

/// ListResourceTags's request in domain terms.
#[derive(Debug)]
pub(crate) struct ListResourceTagsInput {
    key: KeyRef,
    paging: Paging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListResourceTagsResponse {
    tags: Vec<WireTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

impl Handler for ListResourceTags {
    type Request = ListResourceTagsRequest;
    type Input = ListResourceTagsInput;
    type Response = ListResourceTagsResponse;

    fn parse(r: ListResourceTagsRequest, v: &mut Validator) -> Option<ListResourceTagsInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.paging(r.limit, r.marker.as_deref());
        v.names_key(r.key_id.as_deref());
        Some(ListResourceTagsInput {
            key: key_ref(r.key_id)?,
            paging: Paging {
                limit: limit(r.limit, LIST_TAGS_DEFAULT_LIMIT),
                marker: r.marker,
            },
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ListResourceTagsInput,
    ) -> Result<ListResourceTagsResponse, ApiError> {
        let page = kms.list_resource_tags(cx, &input.key, input.paging)?;
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
