//! Seed files: YAML that declares keys (fixed ids, fixed material) and aliases, applied at
//! startup (`--seed`) or by `kmsd seed`, and written by `kmsd export`. Two formats are read:
//! kmsd's own (`native.rs`) and local-kms's (`local_kms.rs`), told apart by the shape of `Keys`.
//! Like `api`, this is an adapter: text in, a `kms::seed::SeedPlan` out. No HTTP here.

mod identities;
mod local_kms;
mod native;

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::crypto::KeyMaterial;
use crate::crypto::asymmetric;
use crate::kms::Kms;
use crate::kms::seed::SeedPlan;
use crate::model::{AccountId, KeyArn, KeyId, Region, Scope, Timestamp};

pub use identities::{IdentitiesError, load_identities};
pub use native::{ExportFilter, export};

/// A seed or identities file that cannot be used: which kind of file, where, and why.
#[derive(Debug)]
pub struct FileError {
    /// What the file is to kmsd ("seed", "identities"), which starts the message.
    pub kind: &'static str,
    /// The file.
    pub path: String,
    /// The 1-based line the problem is on, when known.
    pub line: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

/// A seed file that cannot be applied.
pub type SeedError = FileError;

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, path) = (self.kind, &self.path);
        match self.line {
            Some(line) => write!(f, "{kind} file {path}, line {line}: {}", self.reason),
            None => write!(f, "{kind} file {path}: {}", self.reason),
        }
    }
}

impl std::error::Error for FileError {}

/// A problem found while reading the text, before the file name is known.
#[derive(Debug)]
pub(crate) struct Problem {
    line: Option<u64>,
    reason: String,
}

impl Problem {
    fn at(line: u64, reason: impl Into<String>) -> Problem {
        Problem {
            line: Some(line),
            reason: reason.into(),
        }
    }

    /// The YAML library's error as a line and a reason. Some errors carry their location only
    /// in their text (`error: line 3 column 5: ...`), so it is read from there too.
    fn from_yaml(error: serde_saphyr::Error) -> Problem {
        let text = error.to_string();
        let first = text.lines().next().unwrap_or("invalid YAML").trim();
        let mut reason = first.strip_prefix("error:").unwrap_or(first).trim();
        let mut line = error.location().map(|l| l.line()).filter(|l| *l > 0);
        if let Some(rest) = reason.strip_prefix("line ") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            line = line.or(digits.parse().ok());
            reason = rest.split_once(": ").map_or(reason, |(_, why)| why);
        }
        Problem {
            line,
            reason: reason.to_owned(),
        }
    }

    /// This problem, in the `kind` file at `path`.
    fn in_file(self, kind: &'static str, path: &Path) -> FileError {
        FileError {
            kind,
            path: path.display().to_string(),
            line: self.line,
            reason: self.reason,
        }
    }
}

/// The text of the `kind` file at `path`.
fn read_file(kind: &'static str, path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|e| {
        Problem {
            line: None,
            reason: format!("cannot read it: {e}"),
        }
        .in_file(kind, path)
    })
}

/// Reads and checks a seed file; `home` is the account and region of keys that name none.
pub fn load(path: &Path, home: &Scope) -> Result<SeedPlan, SeedError> {
    let text = read_file("seed", path)?;
    parse(&text, home).map_err(|problem| problem.in_file("seed", path))
}

/// Applies a seed file to `kms`, all or nothing.
pub fn apply(kms: &Kms, path: &Path) -> Result<crate::kms::seed::SeedReport, SeedError> {
    let plan = load(path, kms.home())?;
    kms.seed(plan).map_err(|e| {
        Problem {
            line: None,
            reason: e.to_string(),
        }
        .in_file("seed", path)
    })
}

/// Parses seed text in either format.
pub(crate) fn parse(text: &str, home: &Scope) -> Result<SeedPlan, Problem> {
    let probe: Probe = serde_saphyr::from_str(text).map_err(Problem::from_yaml)?;
    match probe.keys {
        Some(Shape::Map) => local_kms::parse(text, home),
        _ => native::parse(text, home),
    }
}

/// Just enough of a file to tell the formats apart: local-kms's `Keys` is a mapping
/// (`Symmetric`, `Asymmetric`), kmsd's a list.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "Keys")]
    keys: Option<Shape>,
}

enum Shape {
    List,
    Map,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shape, D::Error> {
        struct ShapeVisitor;
        impl<'de> Visitor<'de> for ShapeVisitor {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of keys or a local-kms Keys mapping")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Shape::List)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Shape::Map)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
                Ok(Shape::List)
            }
        }
        deserializer.deserialize_any(ShapeVisitor)
    }
}

/// The scope named by optional account and region fields, defaulting to `home`.
fn scope(
    home: &Scope,
    account: Option<&str>,
    region: Option<&str>,
    line: u64,
) -> Result<Scope, Problem> {
    Ok(Scope {
        account: match account {
            Some(a) => AccountId::parse(a)
                .ok_or_else(|| Problem::at(line, format!("Account {a:?} is not 12 digits")))?,
            None => home.account.clone(),
        },
        region: match region {
            Some(r) => Region::parse(r)
                .ok_or_else(|| Problem::at(line, format!("Region {r:?} is not a region name")))?,
            None => home.region.clone(),
        },
    })
}

fn key_arn(scope: &Scope, key_id: &str, line: u64) -> Result<KeyArn, Problem> {
    let key_id = KeyId::parse(key_id).ok_or_else(|| {
        Problem::at(
            line,
            format!("KeyId {key_id:?} must be a lowercase UUID or an mrk- id"),
        )
    })?;
    Ok(KeyArn {
        scope: scope.clone(),
        key_id,
    })
}

/// Symmetric or HMAC material given as hex (any even number of hex digits) or base64.
fn symmetric_bytes(text: &str, line: u64) -> Result<Vec<u8>, Problem> {
    let text = text.trim();
    if text.len().is_multiple_of(2)
        && !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Ok((0..text.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
            .collect());
    }
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| Problem::at(line, "key material must be hex or base64"))
}

fn aes_material(text: &str, line: u64) -> Result<KeyMaterial, Problem> {
    let bytes = symmetric_bytes(text, line)?;
    let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        Problem::at(
            line,
            format!("symmetric key material must be 32 bytes, not {}", b.len()),
        )
    })?;
    Ok(KeyMaterial::Aes256(key))
}

fn private_key(bytes: &[u8], line: u64) -> Result<KeyMaterial, Problem> {
    asymmetric::import_private_key(bytes)
        .map(|key| KeyMaterial::Asymmetric(std::sync::Arc::new(key)))
        .map_err(|_| {
            Problem::at(
                line,
                "the private key is not PEM or DER PKCS#8 (or SEC1 / PKCS#1 PEM) of a kind kmsd \
                 supports",
            )
        })
}

/// An ISO-8601 / RFC 3339 date-time (`2026-01-31T12:00:00Z`, offsets allowed) as a timestamp.
fn timestamp(text: &str, line: u64) -> Result<Timestamp, Problem> {
    Timestamp::parse_rfc3339(text.trim()).ok_or_else(|| {
        Problem::at(
            line,
            format!("{text:?} is not an ISO-8601 date-time like 2026-01-31T12:00:00Z"),
        )
    })
}

#[cfg(test)]
mod tests;
