//! Identifiers and references: account ids, regions, scopes, key ids, ARNs, alias names, the
//! `KeyRef` a request names a key with, timestamps and material ids. Parsing lives here
//! ("parse, don't validate"); nothing here knows about state.

use std::fmt;
use std::sync::Arc;

/// A 12-digit AWS account id. Kept inline (every key's ARN holds one).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId([u8; 12]);

impl AccountId {
    /// Parses an account id: exactly 12 ASCII digits.
    pub fn parse(s: &str) -> Option<AccountId> {
        let digits: [u8; 12] = s.as_bytes().try_into().ok()?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then_some(AccountId(digits))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        // Invariant: `parse` admits ASCII digits only, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccountId").field(&self.as_str()).finish()
    }
}

/// An AWS region name such as `eu-west-1`. Shared: the keys of one partition point to one
/// copy of their region's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(Arc<str>);

/// Whether `text` matches `RegionType`'s pattern `^([a-z]+-){2,3}\d+$`: two or three runs of
/// lowercase letters, each followed by a dash, then digits.
pub fn is_region_name(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    (2..=3).contains(&words.len())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

impl Region {
    /// Parses a region name: lowercase letters, digits and dashes, as AWS region names are.
    pub fn parse(s: &str) -> Option<Region> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Region(Arc::from(s)))
    }

    /// The region name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The (account, region) pair that owns keys and aliases. All state is partitioned by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// Owning account.
    pub account: AccountId,
    /// Owning region.
    pub region: Region,
}

/// A key id: a lowercase UUID, or `mrk-` and 32 hex digits for multi-Region keys. Both are
/// 36 ASCII characters, kept inline (every key and every map entry holds one).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 36]);

impl KeyId {
    /// A fresh random key id.
    pub fn generate() -> KeyId {
        let mut text = [0u8; 36];
        uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
        KeyId(text)
    }

    /// A fresh random multi-Region key id: `mrk-` and 32 lowercase hex digits.
    pub fn generate_multi_region() -> KeyId {
        let mut text = [0u8; 36];
        text[..4].copy_from_slice(b"mrk-");
        uuid::Uuid::new_v4().simple().encode_lower(&mut text[4..]);
        KeyId(text)
    }

    /// Whether this is a multi-Region key id (`mrk-...`).
    pub fn is_multi_region(&self) -> bool {
        self.0.starts_with(b"mrk-")
    }

    /// Parses a key id in either form. Uppercase hex is not a key id AWS would issue.
    pub fn parse(s: &str) -> Option<KeyId> {
        let text: [u8; 36] = s.as_bytes().try_into().ok()?;
        let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        let is_uuid = text.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => hex(b),
        });
        let is_mrk = text.starts_with(b"mrk-") && text[4..].iter().all(hex);
        (is_uuid || is_mrk).then_some(KeyId(text))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Invariant: `parse` and `generate` admit ASCII only, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The partition of every ARN kmsd issues.
pub const PARTITION: &str = "aws";

/// `arn:aws:kms:<region>:<account>:key/<key-id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyArn {
    /// Where the key lives.
    pub scope: Scope,
    /// The key's id.
    pub key_id: KeyId,
}

impl KeyArn {
    /// Parses `arn:<partition>:kms:<region>:<account>:key/<key-id>`.
    pub fn parse(s: &str) -> Option<KeyArn> {
        let KeyRef::Arn {
            partition,
            region,
            account,
            key_id,
        } = KeyRef::parse(s)
        else {
            return None;
        };
        if partition != PARTITION {
            return None;
        }
        Some(KeyArn {
            scope: Scope {
                account: AccountId::parse(&account)?,
                region: Region::parse(&region)?,
            },
            key_id: KeyId::parse(&key_id)?,
        })
    }
}

impl fmt::Display for KeyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:aws:kms:{}:{}:key/{}",
            self.scope.region.as_str(),
            self.scope.account.as_str(),
            self.key_id
        )
    }
}

/// An alias name, always starting with `alias/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AliasName(String);

/// Why a name cannot be an alias that a caller creates, updates or deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasNameError {
    /// It does not start with `alias/`, or is nothing more.
    MissingPrefix,
    /// It starts with `alias/aws/`, which AWS reserves for AWS managed keys.
    Reserved,
}

impl AliasNameError {
    /// AWS's message for it.
    pub fn message(self) -> &'static str {
        match self {
            AliasNameError::MissingPrefix => {
                "Alias must start with the prefix \"alias/\". Please see \
                 https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
            }
            AliasNameError::Reserved => "The alias/aws/ prefix is reserved for AWS managed keys.",
        }
    }
}

impl fmt::Display for AliasNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl AliasName {
    /// Parses an alias name that a caller wants to create, update or delete, under KMS's own
    /// rules. (The character set and length are the model's constraints, which the wire layer
    /// checks first.)
    pub fn parse(name: &str) -> Result<AliasName, AliasNameError> {
        const PREFIX: &str = "alias/";
        if !name.starts_with(PREFIX) || name.len() == PREFIX.len() {
            return Err(AliasNameError::MissingPrefix);
        }
        if name.starts_with("alias/aws/") {
            return Err(AliasNameError::Reserved);
        }
        Ok(AliasName(name.to_owned()))
    }

    /// Wraps a name that came from the store, or that only looks an alias up (a lookup of a
    /// name that breaks the rules simply finds nothing).
    pub(crate) fn new_unchecked(s: String) -> AliasName {
        AliasName(s)
    }

    /// The full name, including `alias/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `arn:aws:kms:<region>:<account>:alias/<name>`.
    pub fn arn(&self, scope: &Scope) -> String {
        format!(
            "arn:aws:kms:{}:{}:{}",
            scope.region.as_str(),
            scope.account.as_str(),
            self.0
        )
    }
}

/// How a request names a key: the `KeyId` member of most operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A bare key id. Kept as given, because an ill-formed id is still reported back as such.
    Id(String),
    /// A key ARN.
    Arn {
        /// Partition named by the ARN (`aws`, `aws-cn`, `aws-us-gov`, ...); kmsd's keys are
        /// all in `aws`.
        partition: String,
        /// Region named by the ARN.
        region: String,
        /// Account named by the ARN.
        account: String,
        /// Key id named by the ARN.
        key_id: String,
    },
    /// `alias/<name>`.
    Alias(String),
    /// An alias ARN.
    AliasArn {
        /// Partition named by the ARN.
        partition: String,
        /// Region named by the ARN.
        region: String,
        /// Account named by the ARN.
        account: String,
        /// Alias name, including `alias/`.
        name: String,
    },
}

impl KeyRef {
    /// Classifies a `KeyId` value. Never fails: what does not match a known form is a bare id
    /// that resolution will report as not found, as AWS does.
    pub fn parse(s: &str) -> KeyRef {
        if s.starts_with("alias/") {
            return KeyRef::Alias(s.to_owned());
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if let ["arn", partition, "kms", region, account, resource] = parts[..]
            && partition.starts_with("aws")
        {
            if let Some(id) = resource.strip_prefix("key/") {
                return KeyRef::Arn {
                    partition: partition.to_owned(),
                    region: region.to_owned(),
                    account: account.to_owned(),
                    key_id: id.to_owned(),
                };
            }
            if resource.starts_with("alias/") {
                return KeyRef::AliasArn {
                    partition: partition.to_owned(),
                    region: region.to_owned(),
                    account: account.to_owned(),
                    name: resource.to_owned(),
                };
            }
        }
        KeyRef::Id(s.to_owned())
    }

    /// A reference to the key `arn`, as a key ARN.
    pub fn to_key(arn: &KeyArn) -> KeyRef {
        KeyRef::Arn {
            partition: PARTITION.to_owned(),
            region: arn.scope.region.as_str().to_owned(),
            account: arn.scope.account.as_str().to_owned(),
            key_id: arn.key_id.as_str().to_owned(),
        }
    }

    /// Whether the reference names an alias rather than a key.
    pub fn is_alias(&self) -> bool {
        matches!(self, KeyRef::Alias(_) | KeyRef::AliasArn { .. })
    }
}

/// The 32-byte id of one version of a key's material, shown as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaterialId(pub [u8; 32]);

impl fmt::Display for MaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every Decrypt answer carries one: encode into a buffer and write it once, rather
        // than 32 formatted writes of two digits each.
        f.write_str(std::str::from_utf8(&hex64_bytes(&self.0)).map_err(|_| fmt::Error)?)
    }
}

/// 32 bytes as 64 lowercase hex digits (material ids, grant ids).
pub fn hex64(bytes: &[u8; 32]) -> String {
    hex64_bytes(bytes).iter().map(|&b| char::from(b)).collect()
}

fn hex64_bytes(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 64];
    for (pair, &byte) in text.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    text
}
