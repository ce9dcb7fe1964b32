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

/// What the header of a blob says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Account that owns the key.
    pub account: &'a str,
    /// Key id (not an ARN).
    pub key_id: &'a str,
    /// Id of the key material version that sealed the data.
    pub material_id: &'a [u8; 32],
    /// AES-GCM nonce.
    pub nonce: &'a [u8; NONCE_LEN],
}

impl Header<'_> {
    /// Appends the header's bytes to `out`: the start of the blob, and also the start of the
    /// additional data. Account and key ids are short ASCII strings (at most 255 bytes).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(VERSION);
        push_short(out, self.account.as_bytes());
        push_short(out, self.key_id.as_bytes());
        out.extend_from_slice(self.material_id);
        out.extend_from_slice(self.nonce);
    }
}

/// A parsed ciphertext blob, borrowing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// What the header says.
    pub header: Header<'a>,
    /// The header's bytes, as they start the additional data.
    pub header_bytes: &'a [u8],
    /// Ciphertext followed by the tag.
    pub ciphertext: &'a [u8],
}

impl<'a> Envelope<'a> {
    /// Parses a blob. Fails on anything that a header followed by a sealed message could not
    /// be.
    pub fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>, Error> {
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
            header: Header {
                account,
                key_id,
                material_id,
                nonce,
            },
            header_bytes: &bytes[..bytes.len() - rest.len()],
            ciphertext: rest,
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

fn take_short_str<'a>(rest: &mut &'a [u8]) -> Result<&'a str, Error> {
    let len = usize::from(take(rest, 1)?[0]);
    let bytes = take(rest, len)?;
    if bytes.is_empty() || !bytes.is_ascii() {
        return Err(Error::MalformedEnvelope("identifier"));
    }
    std::str::from_utf8(bytes).map_err(|_| Error::MalformedEnvelope("identifier"))
}

#[cfg(test)]
mod tests;
