//! TagResource, UntagResource and ListResourceTags, and the tag rules CreateKey shares.

use std::collections::BTreeMap;

use super::resolve::Access;
use super::{Context, Error, Kms, Page, Paging, Quotas, Result, paginate};
use crate::model::KeyRef;

/// TagResource's request.
#[derive(Debug)]
pub struct TagResourceInput {
    /// The key.
    pub key: KeyRef,
    /// The tags, in request order.
    pub tags: Vec<(String, String)>,
}

/// UntagResource's request.
#[derive(Debug)]
pub struct UntagResourceInput {
    /// The key.
    pub key: KeyRef,
    /// The tag keys to remove.
    pub tag_keys: Vec<String>,
}

impl Kms {
    /// TagResource: adds tags, replacing the value of keys that already exist.
    pub fn tag_resource(&self, cx: &mut Context, input: TagResourceInput) -> Result<()> {
        let quotas = self.quotas;
        self.update_key(cx, &input.key, |key| {
            key.require_manageable()?;
            merge_tags(&mut key.tags, input.tags, &quotas)
        })
    }

    /// UntagResource: removes tags; keys that are not there are ignored, as in AWS.
    pub fn untag_resource(&self, cx: &mut Context, input: UntagResourceInput) -> Result<()> {
        self.update_key(cx, &input.key, |key| {
            key.require_manageable()?;
            for tag_key in &input.tag_keys {
                key.tags.remove(tag_key);
            }
            Ok(())
        })
    }

    /// ListResourceTags: tags in key order. The marker is the last tag key returned.
    pub fn list_resource_tags(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        paging: Paging,
    ) -> Result<Page<(String, String)>> {
        let key = self.resolve(cx, key_ref, Access::Own)?;
        // A marker is the last tag key of the previous page: anything else kmsd did not issue.
        if let Some(marker) = &paging.marker
            && !key.tags.contains_key(marker)
        {
            return Err(Error::InvalidMarker(marker.clone()));
        }
        let page = paginate(
            &key.tags,
            paging.marker.as_ref(),
            paging.limit,
            String::clone,
            |k, v| Some((k.clone(), v.clone())),
        );
        cx.uses(&key);
        Ok(page)
    }
}

/// Adds `new` to `tags` under AWS's rules: no `aws:` prefix, no key twice in one request,
/// at most the quota's tags per key in all. Changes nothing on error.
pub(super) fn merge_tags(
    tags: &mut BTreeMap<String, String>,
    new: Vec<(String, String)>,
    quotas: &Quotas,
) -> Result<()> {
    let mut merged = tags.clone();
    for (i, (key, _)) in new.iter().enumerate() {
        if key.len() >= 4 && key[..4].eq_ignore_ascii_case("aws:") {
            return Err(Error::Tag("Tags beginning with aws: are reserved".into()));
        }
        if new[..i].iter().any(|(k, _)| k == key) {
            return Err(Error::Tag("Duplicate tag keys".into()));
        }
    }
    merged.extend(new);
    if merged.len() > quotas.tags_per_key {
        return Err(Error::Tag("Too many tags".into()));
    }
    *tags = merged;
    Ok(())
}
