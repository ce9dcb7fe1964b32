//! Wire shapes shared by every operation group: blobs, timestamps, enums, tags, and the
//! [`Validator`] that checks a request against the model's constraints with AWS's messages.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::error::{ApiError, ErrorCode};
use crate::kms;
use crate::kms::encryption::RecipientKey;
use crate::model::{AwsEnum, KeyRef, Timestamp, is_region_name};

/// A blob: base64 text on the wire, bytes here. `Debug` shows only the length, so plaintext
/// and key material never reach a log.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Base64Blob(pub Vec<u8>);

impl fmt::Debug for Base64Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base64Blob(<{} bytes>)", self.0.len())
    }
}

impl Serialize for Base64Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Base64 never needs escaping in JSON: written as a raw value, the encoded text goes
        // into the output as it is, instead of through serde_json's byte-by-byte escape
        // check (9 % of an Encrypt of 4 KiB).
        let encoded = base64_simd::STANDARD.encoded_length(self.0.len());
        let mut text = String::with_capacity(encoded + 2);
        text.push('"');
        base64_simd::STANDARD.encode_append(&self.0, &mut text);
        text.push('"');
        serde_json::value::RawValue::from_string(text)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Base64Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BlobVisitor;
        impl Visitor<'_> for BlobVisitor {
            type Value = Base64Blob;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64-encoded string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Base64Blob, E> {
                self.visit_bytes(v.as_bytes())
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Base64Blob, E> {
                base64_simd::STANDARD
                    .decode_to_vec(v)
                    .map(Base64Blob)
                    .map_err(|_| E::custom("a blob member is not valid base64"))
            }
        }
        // As bytes: serde_json then hands over the string's bytes without checking that they
        // are UTF-8 (base64 decoding refuses anything else anyway).
        deserializer.deserialize_bytes(BlobVisitor)
    }
}

/// A timestamp: epoch seconds as a JSON number, with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochSeconds(pub f64);

impl From<Timestamp> for EpochSeconds {
    fn from(t: Timestamp) -> EpochSeconds {
        EpochSeconds(t.as_epoch_seconds())
    }
}

impl Serialize for EpochSeconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

/// An enum member of a request. An unknown spelling is kept, so that it becomes AWS's
/// enum-constraint `ValidationException` rather than a `SerializationException`.
#[derive(Debug, Clone)]
pub struct EnumMember<E> {
    text: String,
    value: Option<E>,
}

impl<E: AwsEnum> EnumMember<E> {
    /// The value, `None` when it was not one of the enum's spellings.
    pub fn value(&self) -> Option<E> {
        self.value
    }
}

/// The value of an enum member, `None` when it is absent or not one of the enum's spellings
/// (which [`Validator::enumeration`] reports).
pub fn known<E: AwsEnum>(member: Option<&EnumMember<E>>) -> Option<E> {
    member.and_then(EnumMember::value)
}

impl<E> Serialize for EnumMember<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de, E: AwsEnum> Deserialize<'de> for EnumMember<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let value = E::parse(&text);
        Ok(EnumMember { text, value })
    }
}

/// `Recipient`: a Nitro Enclaves attestation document and the algorithm to encrypt for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireRecipient {
    /// `KeyEncryptionAlgorithm`.
    key_encryption_algorithm: Option<String>,
    /// `AttestationDocument`.
    attestation_document: Option<Base64Blob>,
}

/// A `Tag` as the wire spells it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireTag {
    /// `TagKey`.
    pub tag_key: Option<String>,
    /// `TagValue`.
    pub tag_value: Option<String>,
}

/// Checks tags against the model: both members present, key 1–128 and value 0–256 characters.
pub fn validate_tags(v: &mut Validator, member: &str, tags: Option<&Vec<WireTag>>) {
    for (i, tag) in tags.into_iter().flatten().enumerate() {
        let n = i + 1;
        v.string(
            &format!("{member}.{n}.member.tagKey"),
            tag.tag_key.as_deref(),
            1,
            128,
            true,
        );
        v.string(
            &format!("{member}.{n}.member.tagValue"),
            tag.tag_value.as_deref(),
            0,
            256,
            true,
        );
    }
}

/// Tags as (key, value) pairs; `None` when a tag lacks a member (which [`validate_tags`]
/// reports).
pub fn tag_pairs(tags: Option<Vec<WireTag>>) -> Option<Vec<(String, String)>> {
    tags.into_iter()
        .flatten()
        .map(|t| Some((t.tag_key?, t.tag_value?)))
        .collect()
}

/// A `KeyId`-typed member as a key reference.
pub fn key_ref(key_id: Option<String>) -> Option<KeyRef> {
    key_id.as_deref().map(KeyRef::parse)
}

/// A validated `Limit`, or the operation's default.
pub fn limit(limit: Option<i64>, default: usize) -> usize {
    limit
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(default)
}

/// Serializes a response body.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Invariant: response types hold only strings, numbers, booleans, blobs and lists or maps of
    // them, for which serde_json cannot fail.
    #[allow(clippy::expect_used)]
    {
        // Room for the usual answer (an envelope of a short plaintext, a key's metadata of
        // some 800 bytes), so that it is written without growing the buffer again and again.
        let mut body = Vec::with_capacity(RESPONSE_CAPACITY);
        serde_json::to_writer(&mut body, value).expect("responses always serialize");
        body
    }
}

/// The capacity a response body starts with.
const RESPONSE_CAPACITY: usize = 1024;

/// What parsing a request learns besides its typed input: every constraint it breaks, reported
/// the way AWS does (`2 validation errors detected: Value null at 'keyId' failed to satisfy
/// constraint: Member must not be null; Value '0' at 'limit' failed to satisfy constraint:
/// ...`), then the first KMS rule it breaks that needs no state; and the key it names and its
/// `DryRun`, which the call's context takes over.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<String>,
    /// The first rule broken, reported only when every constraint holds.
    rule: Option<ApiError>,
    /// The key the request names, as given.
    pub(super) named_key: Option<String>,
    /// The request's `DryRun`.
    pub(super) dry_run: bool,
    /// The request's `Recipient`, read: its measurements go to policy conditions and the
    /// audit trail, its signature to verification (`--attestation-root`).
    pub(super) recipient: Option<RecipientKey>,
}

impl Validator {
    /// Notes the key the request names (its `KeyId`, or `DestinationKeyId` / `TargetKeyId`),
    /// as given, for the log line and the audit trail.
    pub fn names_key(&mut self, key_id: Option<&str>) {
        if self.named_key.is_none() {
            self.named_key = key_id.map(str::to_owned);
        }
    }

    /// Notes the request's `DryRun` member.
    pub fn dry_run(&mut self, dry_run: Option<bool>) {
        self.dry_run = dry_run.unwrap_or(false);
    }

    /// Records a broken rule that needs no state (a member the operation cannot take, two
    /// members that exclude each other). Only the first counts, and only when every
    /// constraint holds: AWS checks the model first.
    pub fn reject(&mut self, error: impl Into<ApiError>) {
        if self.rule.is_none() {
            self.rule = Some(error.into());
        }
    }

    fn fail(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = match value {
            Some(text) => format!("Value '{text}' at"),
            None => "Value null at".to_owned(),
        };
        self.errors.push(format!(
            "{value} '{member}' failed to satisfy constraint: Member {constraint}"
        ));
    }

    /// A string member: present when `required`, length in `min..=max` characters.
    pub fn string(
        &mut self,
        member: &str,
        value: Option<&str>,
        min: usize,
        max: usize,
        required: bool,
    ) {
        match value {
            None if required => self.fail(None, member, "must not be null"),
            None => {}
            Some(text) => {
                let len = text.chars().count();
                if len < min {
                    self.fail(
                        Some(text),
                        member,
                        &format!("must have length greater than or equal to {min}"),
                    );
                } else if len > max {
                    self.fail(
                        Some(text),
                        member,
                        &format!("must have length less than or equal to {max}"),
                    );
                }
            }
        }
    }

    /// `GrantTokens`: at most 10 tokens (the `GrantTokenList` shape), optional everywhere.
    pub fn grant_tokens(&mut self, tokens: Option<&Vec<String>>) {
        self.count("grantTokens", tokens, 0, 10, false);
    }

    /// A `KeyId`-typed member: 1–2048 characters.
    pub fn key_id(&mut self, member: &str, value: Option<&str>, required: bool) {
        self.string(member, value, 1, 2048, required);
    }

    /// A `RegionType` member: 1–32 characters matching `^([a-z]+-){2,3}\d+$`.
    pub fn region(&mut self, member: &str, value: Option<&str>, required: bool) {
        self.string(member, value, 1, 32, required);
        if let Some(text) = value
            && !is_region_name(text)
        {
            self.fail(
                Some(text),
                member,
                "must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$",
            );
        }
    }

    /// A string member that must also match a pattern, checked character by character.
    pub fn pattern(
        &mut self,
        member: &str,
        value: Option<&str>,
        pattern: &str,
        allowed: impl Fn(char) -> bool,
    ) {
        if let Some(text) = value
            && !text.chars().all(allowed)
        {
            self.fail(
                Some(text),
                member,
                &format!("must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// A sensitive blob member (`Plaintext`): the value is never echoed, as in AWS.
    pub fn sensitive_blob(
        &mut self,
        member: &str,
        value: Option<&Base64Blob>,
        min: usize,
        max: usize,
        required: bool,
    ) {
        match value {
            None if required => self.fail(None, member, "must not be null"),
            None => {}
            Some(blob) if blob.0.len() < min => self.errors.push(format!(
                "Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            )),
            Some(blob) if blob.0.len() > max => self.errors.push(format!(
                "Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            )),
            Some(_) => {}
        }
    }

    /// A non-sensitive blob member (`CiphertextBlob`).
    pub fn blob(
        &mut self,
        member: &str,
        value: Option<&Base64Blob>,
        min: usize,
        max: usize,
        required: bool,
    ) {
        match value {
            None if required => self.fail(None, member, "must not be null"),
            None => {}
            Some(blob) => {
                let shown = format!(
                    "java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]",
                    blob.0.len()
                );
                if blob.0.len() < min {
                    self.fail(
                        Some(&shown),
                        member,
                        &format!("must have length greater than or equal to {min}"),
                    );
                } else if blob.0.len() > max {
                    self.fail(
                        Some(&shown),
                        member,
                        &format!("must have length less than or equal to {max}"),
                    );
                }
            }
        }
    }

    /// An integer member in `min..=max`.
    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64, required: bool) {
        match value {
            None if required => self.fail(None, member, "must not be null"),
            None => {}
            Some(n) if n < min => self.fail(
                Some(&n.to_string()),
                member,
                &format!("must have value greater than or equal to {min}"),
            ),
            Some(n) if n > max => self.fail(
                Some(&n.to_string()),
                member,
                &format!("must have value less than or equal to {max}"),
            ),
            Some(_) => {}
        }
    }

    /// A list member with `min..=max` items.
    pub fn count<T: fmt::Debug>(
        &mut self,
        member: &str,
        value: Option<&Vec<T>>,
        min: usize,
        max: usize,
        required: bool,
    ) {
        match value {
            None if required => self.fail(None, member, "must not be null"),
            None => {}
            Some(list) if list.len() < min => self.fail(
                Some("[...]"),
                member,
                &format!("must have length greater than or equal to {min}"),
            ),
            Some(list) if list.len() > max => self.fail(
                Some("[...]"),
                member,
                &format!("must have length less than or equal to {max}"),
            ),
            Some(_) => {}
        }
    }

    /// An enum member: one of the model's values.
    pub fn enumeration<E: AwsEnum>(
        &mut self,
        member: &str,
        value: Option<&EnumMember<E>>,
        required: bool,
    ) {
        match value {
            None if required => self.fail(None, member, "must not be null"),
            None => {}
            Some(m) if m.value.is_none() => {
                let set: Vec<&str> = E::LISTED.iter().map(|e| e.as_str()).collect();
                self.fail(
                    Some(&m.text),
                    member,
                    &format!("must satisfy enum value set: [{}]", set.join(", ")),
                );
            }
            Some(_) => {}
        }
    }

    /// A `Recipient` member: its constraints, then its attestation document, whose public key
    /// it returns (`None` when absent, or when invalid, which `self` then reports).
    pub fn recipient(&mut self, recipient: Option<&WireRecipient>) -> Option<RecipientKey> {
        let r = recipient?;
        if let Some(algorithm) = r.key_encryption_algorithm.as_deref()
            && algorithm != "RSAES_OAEP_SHA_256"
        {
            self.fail(
                Some(algorithm),
                "recipient.keyEncryptionAlgorithm",
                "must satisfy enum value set: [RSAES_OAEP_SHA_256]",
            );
        }
        self.blob(
            "recipient.attestationDocument",
            r.attestation_document.as_ref(),
            1,
            262_144,
            false,
        );
        if !self.errors.is_empty() {
            return None;
        }
        let Some(document) = r.attestation_document.as_ref() else {
            self.reject(kms::Error::Validation(
                "Recipient must include an AttestationDocument.".into(),
            ));
            return None;
        };
        match RecipientKey::from_attestation_document(&document.0) {
            Ok(key) => {
                self.recipient = Some(key.clone());
                Some(key)
            }
            Err(message) => {
                self.reject(kms::Error::Validation(message));
                None
            }
        }
    }

    /// A pagination `Limit` (1–1000) and `Marker` (1–1024 printable Latin-1 characters).
    pub fn paging(&mut self, limit: Option<i64>, marker: Option<&str>) {
        self.range("limit", limit, 1, 1000, false);
        self.string("marker", marker, 1, 1024, false);
        self.pattern("marker", marker, "[\\u0020-\\u00FF]*", |c| {
            ('\u{20}'..='\u{ff}').contains(&c)
        });
    }

    /// Ends validation: `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => self.rule.map_or(Ok(()), Err),
            n => Err(ApiError::new(
                ErrorCode::Validation,
                format!(
                    "{n} validation error{} detected: {}",
                    if n == 1 { "" } else { "s" },
                    self.errors.join("; ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
