//! TagResource, UntagResource and ListResourceTags, and the tag rules CreateKey shares.

use std::collections::BTreeMap;

use super::keys::require_manageable;
use super::model::{KeyRef, Scope};
use super::resolve::Access;
use super::{Error, Kms, Page, Result, paginate};

/// The most tags one key can carry (a KMS quota).
pub const MAX_TAGS_PER_KEY: usize = 50;

impl Kms {
    /// TagResource: adds tags, replacing the value of keys that already exist.
    pub fn tag_resource(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        self.update_key(caller, key_ref, |key| {
            require_manageable(key)?;
            merge_tags(&mut key.tags, tags)
        })
    }

    /// UntagResource: removes tags; keys that are not there are ignored, as in AWS.
    pub fn untag_resource(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        tag_keys: &[String],
    ) -> Result<()> {
        self.update_key(caller, key_ref, |key| {
            require_manageable(key)?;
            for tag_key in tag_keys {
                key.tags.remove(tag_key);
            }
            Ok(())
        })
    }

    /// ListResourceTags: tags in key order. The marker is the last tag key returned.
    pub fn list_resource_tags(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<(String, String)>> {
        let key = self.read().resolve(caller, key_ref, Access::Own)?;
        let after = marker.map(str::to_owned);
        Ok(paginate(
            &key.tags,
            after.as_ref(),
            limit,
            String::clone,
            |k, v| Some((k.clone(), v.clone())),
        ))
    }
}

/// Adds `new` to `tags` under AWS's rules: no `aws:` prefix, no key twice in one request,
/// at most [`MAX_TAGS_PER_KEY`] in all. Changes nothing on error.
pub(super) fn merge_tags(
    tags: &mut BTreeMap<String, String>,
    new: Vec<(String, String)>,
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
    if merged.len() > MAX_TAGS_PER_KEY {
        return Err(Error::Tag("Too many tags".into()));
    }
    *tags = merged;
    Ok(())
}
