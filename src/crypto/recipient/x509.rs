//! The few parts of an X.509 certificate (RFC 5280, DER) that checking an attestation
//! document's chain needs: the signed `tbsCertificate`, its signature, the validity period and
//! the subject's P-384 public key. Parsing only; signatures are checked by aws-lc-rs.

use crate::calendar;
use aws_lc_rs::signature::{ECDSA_P384_SHA384_ASN1, ECDSA_P384_SHA384_FIXED, UnparsedPublicKey};

/// ecdsa-with-SHA384 (1.2.840.10045.4.3.3), the signature algorithm of the Nitro chain.
const ECDSA_WITH_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
/// id-ecPublicKey (1.2.840.10045.2.1).
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// secp384r1 (1.3.132.0.34).
const SECP384R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

/// A parsed certificate, borrowing from its DER.
pub(super) struct Certificate<'a> {
    /// `tbsCertificate` with its header: what the issuer signed.
    tbs: &'a [u8],
    /// The OID of `signatureAlgorithm`.
    algorithm: &'a [u8],
    /// `signatureValue`'s bits.
    signature: &'a [u8],
    /// The subject's uncompressed P-384 point, if its key is one.
    public_key: Option<&'a [u8]>,
    not_before: i64,
    not_after: i64,
}

impl<'a> Certificate<'a> {
    pub(super) fn parse(der: &'a [u8]) -> Result<Certificate<'a>, String> {
        let bad = |what: &str| format!("a certificate is malformed ({what})");
        let mut outer = Der(der);
        let mut certificate = Der(outer.element(0x30).map_err(|()| bad("not a SEQUENCE"))?);
        if !outer.0.is_empty() {
            return Err(bad("trailing data"));
        }
        let tbs = certificate.raw(0x30).map_err(|()| bad("tbsCertificate"))?;
        let mut algorithm = Der(certificate.element(0x30).map_err(|()| bad("algorithm"))?);
        let algorithm = algorithm.element(0x06).map_err(|()| bad("algorithm"))?;
        let signature = bits(certificate.element(0x03).map_err(|()| bad("signature"))?)
            .map_err(|()| bad("signature"))?;
        let mut fields = Der(Der(tbs).element(0x30).map_err(|()| bad("tbsCertificate"))?);
        let versioned = fields.0.first() == Some(&0xa0);
        let mut field = |tag: u8, what: &str| fields.element(tag).map_err(|()| bad(what));
        if versioned {
            field(0xa0, "version")?;
        }
        field(0x02, "serialNumber")?;
        field(0x30, "signature")?;
        field(0x30, "issuer")?;
        let mut validity = Der(field(0x30, "validity")?);
        let not_before = time(&mut validity).map_err(|()| bad("notBefore"))?;
        let not_after = time(&mut validity).map_err(|()| bad("notAfter"))?;
        field(0x30, "subject")?;
        let mut spki = Der(field(0x30, "subjectPublicKeyInfo")?);
        let mut key_algorithm = Der(spki.element(0x30).map_err(|()| bad("key algorithm"))?);
        let is_p384 = key_algorithm.element(0x06) == Ok(EC_PUBLIC_KEY)
            && key_algorithm.element(0x06) == Ok(SECP384R1);
        let point = bits(spki.element(0x03).map_err(|()| bad("public key"))?)
            .map_err(|()| bad("public key"))?;
        Ok(Certificate {
            tbs,
            algorithm,
            signature,
            public_key: is_p384.then_some(point),
            not_before,
            not_after,
        })
    }

    /// Whether the subject's key is a P-384 key.
    pub(super) fn has_p384_key(&self) -> bool {
        self.public_key.is_some()
    }

    /// Whether `now` (Unix seconds) is within the validity period.
    pub(super) fn valid_at(&self, now: i64) -> Result<(), String> {
        if (self.not_before..=self.not_after).contains(&now) {
            Ok(())
        } else {
            Err("a certificate of its chain is not valid at kmsd's current time".into())
        }
    }

    /// Whether `issuer`'s key signed this certificate with ECDSA P-384 and SHA-384.
    pub(super) fn signed_by(&self, issuer: &Certificate<'_>) -> Result<(), String> {
        if self.algorithm != ECDSA_WITH_SHA384 {
            return Err("a certificate of its chain is not signed with ecdsa-with-SHA384".into());
        }
        let key = issuer
            .public_key
            .ok_or("a certificate of its chain has no P-384 key")?;
        UnparsedPublicKey::new(&ECDSA_P384_SHA384_ASN1, key)
            .verify(self.tbs, self.signature)
            .map_err(|_| "a certificate of its chain is not signed by the one before it".into())
    }

    /// Verifies a fixed-size (r || s) ECDSA P-384 SHA-384 signature with this certificate's key.
    pub(super) fn verify_fixed(&self, message: &[u8], signature: &[u8]) -> Result<(), ()> {
        let key = self.public_key.ok_or(())?;
        UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, key)
            .verify(message, signature)
            .map_err(|_| ())
    }
}

/// A DER reader over definite-length elements.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The next element, header included, if its tag is `tag`.
    fn raw(&mut self, tag: u8) -> Result<&'a [u8], ()> {
        let (&found, rest) = self.0.split_first().ok_or(())?;
        let (&first, rest) = rest.split_first().ok_or(())?;
        let (len, rest) = match first {
            0..=0x7f => (usize::from(first), rest),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7f);
                let (bytes, rest) = rest.split_at_checked(n).ok_or(())?;
                (
                    bytes.iter().fold(0usize, |l, &b| l << 8 | usize::from(b)),
                    rest,
                )
            }
            _ => return Err(()),
        };
        if found != tag || len > rest.len() {
            return Err(());
        }
        let header = self.0.len() - rest.len();
        let (element, remaining) = self.0.split_at(header + len);
        self.0 = remaining;
        Ok(element)
    }

    /// The contents of the next element, if its tag is `tag`.
    fn element(&mut self, tag: u8) -> Result<&'a [u8], ()> {
        let raw = self.raw(tag)?;
        // `raw` checked the header: two bytes, then as many length bytes as the second says.
        let skip = match raw[1] {
            0..=0x7f => 2,
            b => 2 + usize::from(b & 0x7f),
        };
        Ok(&raw[skip..])
    }
}

/// A BIT STRING's bits, which must fill whole bytes.
fn bits(contents: &[u8]) -> Result<&[u8], ()> {
    match contents.split_first() {
        Some((0, bits)) => Ok(bits),
        _ => Err(()),
    }
}

/// A UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as Unix seconds.
fn time(der: &mut Der<'_>) -> Result<i64, ()> {
    let (digits, generalized) = match der.0.first() {
        Some(0x17) => (der.element(0x17)?, false),
        Some(0x18) => (der.element(0x18)?, true),
        _ => return Err(()),
    };
    let text = std::str::from_utf8(digits).map_err(|_| ())?;
    let text = text.strip_suffix('Z').ok_or(())?;
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    let number = |range: std::ops::Range<usize>| -> Result<i64, ()> {
        text.get(range).ok_or(())?.parse().map_err(|_| ())
    };
    let (year, rest) = match (generalized, text.len()) {
        (false, 12) => {
            // RFC 5280, section 4.1.2.5.1: YY of 50 or more is 19YY.
            let yy = number(0..2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        (true, 14) => (number(0..4)?, 4),
        _ => return Err(()),
    };
    let field = |i: usize| number(rest + 2 * i..rest + 2 * i + 2);
    let (month, day) = (field(0)?, field(1)?);
    let (hour, minute, second) = (field(2)?, field(3)?, field(4)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return Err(());
    }
    Ok(calendar::days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_unix_seconds() {
        let utc = b"\x17\x0d491231235959Z";
        assert_eq!(time(&mut Der(utc)), Ok(2_524_607_999));
        let generalized = b"\x18\x0f19700101000000Z";
        assert_eq!(time(&mut Der(generalized)), Ok(0));
        let old = b"\x17\x0d500101000000Z";
        assert_eq!(time(&mut Der(old)), Ok(-631_152_000));
        assert_eq!(time(&mut Der(b"\x17\x0d491331235959Z")), Err(()));
        assert_eq!(time(&mut Der(b"\x17\x0b4912312359Z")), Err(()));
    }
}
