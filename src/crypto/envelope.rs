//! The ciphertext blob that symmetric Encrypt returns and Decrypt accepts.
//!
//! Byte layout (all lengths in bytes):
//!
//! ```text
//! offset  size   field
//! 0       1      format version, currently 1
//! 1       1      A = length of the owning account id
//! 2       A      account id, ASCII (e.g. "123456789012")
//! 2+A     1      K = length of the key id
//! 3+A     K      key id, ASCII (a UUID or an "mrk-" id)
//! 3+A+K   32     key material id: which version of the key's material sealed the data
//! 35+A+K  12     AES-GCM nonce
//! 47+A+K  n+16   AES-GCM ciphertext of the n-byte plaintext, then the 16-byte tag
//! ```
//!
//! Everything before the ciphertext is the header. The header, followed by the canonical
//! encryption context ([`super::symmetric::context_aad`]), is the AES-GCM additional data, so
//! neither the header nor the context can be changed without Decrypt failing. Symmetric
//! Decrypt needs no `KeyId` because the header names the key and its material version.

use super::Error;
use super::symmetric::{NONCE_LEN, TAG_LEN};

/// The only format version written today.
pub const VERSION: u8 = 1;

/// A parsed ciphertext blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Account that owns the key.
    pub account: String,
    /// Key id (not an ARN).
    pub key_id: String,
    /// Id of the key material version that sealed the data.
    pub material_id: [u8; 32],
    /// AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the tag.
    pub ciphertext: Vec<u8>,
}

impl Envelope {
    /// The header bytes, which are also the first part of the additional data.
    pub fn header(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + self.account.len() + self.key_id.len() + 44);
        out.push(VERSION);
        push_short(&mut out, self.account.as_bytes());
        push_short(&mut out, self.key_id.as_bytes());
        out.extend_from_slice(&self.material_id);
        out.extend_from_slice(&self.nonce);
        out
    }

    /// The whole blob.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses a blob. Fails on anything that [`Envelope::to_bytes`] could not have produced.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, Error> {
        let mut rest = bytes;
        let version = take(&mut rest, 1)?[0];
        if version != VERSION {
            return Err(Error::MalformedEnvelope("unknown format version"));
        }
        let account = take_short_str(&mut rest)?;
        let key_id = take_short_str(&mut rest)?;
        let material_id = take(&mut rest, 32)?
            .try_into()
            .map_err(|_| Error::MalformedEnvelope("material id"))?;
        let nonce = take(&mut rest, NONCE_LEN)?
            .try_into()
            .map_err(|_| Error::MalformedEnvelope("nonce"))?;
        if rest.len() < TAG_LEN {
            return Err(Error::MalformedEnvelope("truncated ciphertext"));
        }
        Ok(Envelope {
            account,
            key_id,
            material_id,
            nonce,
            ciphertext: rest.to_vec(),
        })
    }
}

fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    // Account and key ids are validated to be short ASCII strings before they get here.
    debug_assert!(bytes.len() <= usize::from(u8::MAX));
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], Error> {
    if rest.len() < n {
        return Err(Error::MalformedEnvelope("truncated header"));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn take_short_str(rest: &mut &[u8]) -> Result<String, Error> {
    let len = usize::from(take(rest, 1)?[0]);
    let bytes = take(rest, len)?;
    if bytes.is_empty() || !bytes.is_ascii() {
        return Err(Error::MalformedEnvelope("identifier"));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests;
