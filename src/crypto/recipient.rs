//! Nitro Enclaves recipients: the public key and PCRs of an attestation document, and CMS
//! EnvelopedData (RFC 5652) sealed to it, as AWS KMS answers `CiphertextForRecipient`.
//!
//! The attestation document is a COSE_Sign1 structure (RFC 9052), CBOR (RFC 8949): an array
//! `[protected, unprotected, payload, signature]` whose payload is a CBOR map holding
//! `public_key` (DER `SubjectPublicKeyInfo`) among `module_id`, `digest`, `timestamp`, `pcrs`,
//! `certificate`, `cabundle`, `user_data` and `nonce`. kmsd reads that map with the minimal
//! CBOR reader below (parsing only) and does not verify the document's signature chain.
//!
//! The envelope: `KeyTransRecipientInfo` with RSAES-OAEP (SHA-256, MGF1 SHA-256) key transport
//! of a random AES-256 key, identified by a subject key identifier (SHA-256 of the recipient's
//! `SubjectPublicKeyInfo`), and `EncryptedContentInfo` with AES-256-CBC (PKCS #7 padding), in
//! the BER layout of AWS KMS's answers (see `envelope` below).

use std::collections::BTreeMap;

use aws_lc_rs::cipher::{AES_256, EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};

use super::{fill_random, random_array};

mod x509;

/// Deepest CBOR nesting the reader follows; attestation documents nest three levels.
const MAX_DEPTH: usize = 16;

/// The enclave's RSA public key, taken from a parsed attestation document, and the
/// document's measurements.
#[derive(Clone)]
pub struct RecipientKey {
    /// DER `SubjectPublicKeyInfo`, checked to load as an RSA public key.
    spki: Vec<u8>,
    measurements: Measurements,
    signed: Signed,
}

/// What the document's signature covers and the certificates that vouch for it, kept for
/// [`RecipientKey::verify`].
#[derive(Clone, Default)]
struct Signed {
    /// The COSE_Sign1 protected header, as its bytes.
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    /// `certificate`: the DER certificate whose key signed the document.
    certificate: Option<Vec<u8>>,
    /// `cabundle`: DER certificates from the root to the one that issued `certificate`.
    cabundle: Vec<Vec<u8>>,
}

/// The platform configuration registers of an attestation document, which policy conditions
/// (`kms:RecipientAttestation:*`) test. Measurements, not secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measurements {
    /// PCR index and value: a Nitro enclave's `pcrs`, or a NitroTPM's `nitrotpm_pcrs`.
    pub pcrs: BTreeMap<u64, Vec<u8>>,
    /// The document comes from NitroTPM (it holds `nitrotpm_pcrs`), not a Nitro enclave.
    pub nitro_tpm: bool,
    /// `module_id`: the enclave's (or the NitroTPM instance's) id.
    pub module_id: Option<String>,
}

impl std::fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecipientKey")
    }
}

impl RecipientKey {
    /// Reads an attestation document and takes its public key. The error says, for a
    /// `ValidationException`, what is wrong with the document.
    pub fn from_attestation_document(document: &[u8]) -> Result<RecipientKey, String> {
        let (spki, measurements, signed) = read(document)?;
        oaep_key(&spki)?;
        Ok(RecipientKey {
            spki,
            measurements,
            signed,
        })
    }

    /// Verifies the document as the Nitro Enclaves documentation describes
    /// (<https://docs.aws.amazon.com/enclaves/latest/user/verify-root.html>): its `cabundle`
    /// starts at `root` (DER), each
    /// certificate of the chain down to `certificate` is signed by the one before it
    /// (ECDSA P-384 with SHA-384) and valid at `now` (Unix seconds), and `certificate`'s key
    /// signed the COSE_Sign1 structure (ES384). The error says what failed.
    pub fn verify(&self, root: &[u8], now: i64) -> Result<(), String> {
        let s = &self.signed;
        let refuse =
            |what: &str| format!("The attestation document could not be verified: {what}.");
        if !protected_alg_is_es384(&s.protected) {
            return Err(refuse("its protected header does not name ES384"));
        }
        let leaf = s
            .certificate
            .as_deref()
            .ok_or_else(|| refuse("it has no certificate"))?;
        if s.cabundle.first().map(Vec::as_slice) != Some(root) {
            return Err(refuse(
                "its cabundle does not start at the configured root certificate",
            ));
        }
        let mut issuer = x509::Certificate::parse(root).map_err(|e| refuse(&e))?;
        issuer.valid_at(now).map_err(|e| refuse(&e))?;
        for der in s.cabundle[1..].iter().map(Vec::as_slice).chain([leaf]) {
            let certificate = x509::Certificate::parse(der).map_err(|e| refuse(&e))?;
            certificate.signed_by(&issuer).map_err(|e| refuse(&e))?;
            certificate.valid_at(now).map_err(|e| refuse(&e))?;
            issuer = certificate;
        }
        // Sig_structure (RFC 9052, section 4.4): ["Signature1", protected, h'', payload].
        let mut signed = vec![0x84];
        signed.extend(cbor_head(3, b"Signature1".len()));
        signed.extend_from_slice(b"Signature1");
        signed.extend(cbor_head(2, s.protected.len()));
        signed.extend_from_slice(&s.protected);
        signed.push(0x40);
        signed.extend(cbor_head(2, s.payload.len()));
        signed.extend_from_slice(&s.payload);
        issuer
            .verify_fixed(&signed, &s.signature)
            .map_err(|()| refuse("its signature does not verify with its certificate's key"))
    }

    /// The document's PCRs.
    pub fn measurements(&self) -> &Measurements {
        &self.measurements
    }

    /// `plaintext` as a CMS `ContentInfo` (EnvelopedData, in AWS's BER layout) that only the
    /// enclave can open.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let key = oaep_key(&self.spki).expect("checked when the document was read");
        let cek: [u8; 32] = random_array();
        let mut encrypted_key = vec![0u8; key.ciphertext_size()];
        let encrypted_key = key
            .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut encrypted_key, None)
            .expect("RSA-OAEP encryption of 32 bytes under a checked key")
            .to_vec();
        let mut iv = [0u8; 16];
        fill_random(&mut iv);
        let cipher = PaddedBlockEncryptingKey::cbc_pkcs7(
            UnboundCipherKey::new(&AES_256, &cek).expect("a 32-byte AES key"),
        )
        .expect("AES-256-CBC");
        let mut content = plaintext.to_vec();
        cipher
            .less_safe_encrypt(
                &mut content,
                EncryptionContext::Iv128(FixedLength::from(iv)),
            )
            .expect("AES-256-CBC encryption");
        let ski = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.spki);
        envelope(ski.as_ref(), &encrypted_key, &iv, &content)
    }
}

/// Checks that `der` is a certificate that can be the root of an attestation document's
/// chain (`--attestation-root`): X.509 with a P-384 key.
pub fn check_root(der: &[u8]) -> Result<(), String> {
    match x509::Certificate::parse(der) {
        Ok(root) if root.has_p384_key() => Ok(()),
        Ok(_) => Err("the root certificate's key is not an ECDSA P-384 key".into()),
        Err(why) => Err(why.replace("a certificate", "the root certificate")),
    }
}

/// The OAEP key of a DER `SubjectPublicKeyInfo`.
fn oaep_key(spki: &[u8]) -> Result<OaepPublicEncryptingKey, String> {
    let key = PublicEncryptingKey::from_der(spki).map_err(|_| {
        "The public key in the attestation document is not a supported RSA public key (DER SubjectPublicKeyInfo).".to_string()
    })?;
    OaepPublicEncryptingKey::new(key).map_err(|_| {
        "The public key in the attestation document is not usable with RSAES_OAEP_SHA_256."
            .to_string()
    })
}

// ---------------------------------------------------------------------------------------
// CBOR: the few items an attestation document holds.

/// One CBOR data item, borrowed from the input; containers are skipped, not built.
enum Item<'a> {
    Uint(u64),
    /// A negative integer, -1 - n.
    Negative(u64),
    Bytes(&'a [u8]),
    Text(&'a [u8]),
    Array(u64),
    Map(u64),
    Other,
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

fn malformed(what: &str) -> String {
    format!("The attestation document is malformed: {what}.")
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .input
            .get(self.pos)
            .ok_or_else(|| malformed("unexpected end of CBOR data"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], String> {
        let len = usize::try_from(len).map_err(|_| malformed("CBOR length too large"))?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.input.len())
            .ok_or_else(|| malformed("CBOR length past the end of the data"))?;
        let slice = &self.input[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// The head of the next item: major type and argument. Indefinite lengths are refused.
    fn head(&mut self) -> Result<(u8, u64), String> {
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let bytes = self.take(1 << (info - 24))?;
                bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b))
            }
            _ => return Err(malformed("indefinite or reserved CBOR length")),
        };
        Ok((major, arg))
    }

    /// The next item; tags are stepped over.
    fn item(&mut self, depth: usize) -> Result<Item<'a>, String> {
        if depth > MAX_DEPTH {
            return Err(malformed("CBOR nested too deeply"));
        }
        let (major, arg) = self.head()?;
        Ok(match major {
            0 => Item::Uint(arg),
            1 => Item::Negative(arg),
            2 => Item::Bytes(self.take(arg)?),
            3 => Item::Text(self.take(arg)?),
            4 => Item::Array(arg),
            5 => Item::Map(arg),
            6 => return self.item(depth + 1),
            _ => Item::Other,
        })
    }

    /// Skips the contents of an item just read (the members of an array or map).
    fn skip_contents(&mut self, item: &Item<'a>, depth: usize) -> Result<(), String> {
        let count = match *item {
            Item::Array(n) => n,
            Item::Map(n) => n
                .checked_mul(2)
                .ok_or_else(|| malformed("CBOR map too large"))?,
            _ => 0,
        };
        for _ in 0..count {
            self.skip(depth + 1)?;
        }
        Ok(())
    }

    fn skip(&mut self, depth: usize) -> Result<(), String> {
        let item = self.item(depth)?;
        self.skip_contents(&item, depth)
    }
}

/// The DER `SubjectPublicKeyInfo` in an attestation document's `public_key`, its PCRs, and
/// what its signature covers.
fn read(document: &[u8]) -> Result<(Vec<u8>, Measurements, Signed), String> {
    let mut r = Reader {
        input: document,
        pos: 0,
    };
    let Item::Array(4) = r.item(0)? else {
        return Err(malformed("not a COSE_Sign1 array of four items"));
    };
    let Item::Bytes(protected) = r.item(1)? else {
        return Err(malformed(
            "the COSE_Sign1 protected header is not a byte string",
        ));
    };
    let Item::Map(n) = r.item(1)? else {
        return Err(malformed("the COSE_Sign1 unprotected header is not a map"));
    };
    r.skip_contents(&Item::Map(n), 1)?;
    let Item::Bytes(payload) = r.item(1)? else {
        return Err(malformed("the COSE_Sign1 payload is not a byte string"));
    };
    let Item::Bytes(signature) = r.item(1)? else {
        return Err(malformed("the COSE_Sign1 signature is not a byte string"));
    };
    let mut signed = Signed {
        protected: protected.to_vec(),
        payload: payload.to_vec(),
        signature: signature.to_vec(),
        ..Signed::default()
    };
    if r.pos != document.len() {
        return Err(malformed("trailing data after the COSE_Sign1 structure"));
    }

    let mut p = Reader {
        input: payload,
        pos: 0,
    };
    let Item::Map(n) = p.item(0)? else {
        return Err(malformed("the payload is not a CBOR map"));
    };
    let mut key = None;
    let mut measurements = Measurements::default();
    for _ in 0..n {
        let name = p.item(1)?;
        let value = p.item(1)?;
        match (&name, &value) {
            (Item::Text(b"public_key"), Item::Bytes(spki)) => key = Some(spki.to_vec()),
            (Item::Text(b"public_key"), _) => {
                return Err("The attestation document does not contain a public key.".to_string());
            }
            (Item::Text(field @ (b"pcrs" | b"nitrotpm_pcrs")), Item::Map(count)) => {
                measurements.nitro_tpm = *field == b"nitrotpm_pcrs";
                measurements.pcrs = pcrs(&mut p, *count)?;
            }
            (Item::Text(b"pcrs" | b"nitrotpm_pcrs"), _) => {
                return Err(malformed("the PCRs are not a map"));
            }
            (Item::Text(b"module_id"), Item::Text(id)) => {
                measurements.module_id = Some(String::from_utf8_lossy(id).into_owned());
            }
            (Item::Text(b"certificate"), Item::Bytes(der)) => {
                signed.certificate = Some(der.to_vec());
            }
            (Item::Text(b"cabundle"), Item::Array(count)) => {
                for _ in 0..*count {
                    match p.item(2)? {
                        Item::Bytes(der) => signed.cabundle.push(der.to_vec()),
                        _ => return Err(malformed("a cabundle entry is not a byte string")),
                    }
                }
            }
            (Item::Text(_), _) => p.skip_contents(&value, 1)?,
            (
                Item::Uint(_)
                | Item::Negative(_)
                | Item::Bytes(_)
                | Item::Array(_)
                | Item::Map(_)
                | Item::Other,
                _,
            ) => {
                return Err(malformed("a payload key is not a text string"));
            }
        }
    }
    if p.pos != payload.len() {
        return Err(malformed("trailing data after the payload map"));
    }
    let key =
        key.ok_or_else(|| "The attestation document does not contain a public key.".to_string())?;
    Ok((key, measurements, signed))
}

/// Whether a COSE protected header (a CBOR map) names algorithm ES384 (label 1, value -35).
fn protected_alg_is_es384(protected: &[u8]) -> bool {
    let mut r = Reader {
        input: protected,
        pos: 0,
    };
    let Ok(Item::Map(n)) = r.item(0) else {
        return false;
    };
    for _ in 0..n {
        let (Ok(label), Ok(value)) = (r.item(1), r.item(1)) else {
            return false;
        };
        if let (Item::Uint(1), Item::Negative(34)) = (&label, &value) {
            return true;
        }
        if r.skip_contents(&value, 1).is_err() {
            return false;
        }
    }
    false
}

/// A CBOR head: major type and length.
fn cbor_head(major: u8, len: usize) -> Vec<u8> {
    let m = major << 5;
    match u64::try_from(len).unwrap_or(u64::MAX) {
        n @ 0..=23 => vec![m | n as u8],
        n @ 24..=0xff => vec![m | 24, n as u8],
        n @ 0x100..=0xffff => [&[m | 25][..], &(n as u16).to_be_bytes()].concat(),
        n @ 0x1_0000..=0xffff_ffff => [&[m | 26][..], &(n as u32).to_be_bytes()].concat(),
        n => [&[m | 27][..], &n.to_be_bytes()].concat(),
    }
}

/// The `count` entries of a PCR map: index (an unsigned integer) to value (a byte string).
fn pcrs(p: &mut Reader<'_>, count: u64) -> Result<BTreeMap<u64, Vec<u8>>, String> {
    let mut pcrs = BTreeMap::new();
    for _ in 0..count {
        match (p.item(2)?, p.item(2)?) {
            (Item::Uint(index), Item::Bytes(value)) => {
                pcrs.insert(index, value.to_vec());
            }
            _ => return Err(malformed("a PCR is not an index and a byte string")),
        }
    }
    Ok(pcrs)
}

// ---------------------------------------------------------------------------------------
// DER: the CMS structures.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

const OID_ENVELOPED_DATA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03,
];
const OID_DATA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
];
const OID_RSAES_OAEP: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07,
];
const OID_MGF1: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
];
const OID_SHA256: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];
const OID_AES256_CBC: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a,
];
const NULL: &[u8] = &[0x05, 0x00];

/// BER `ContentInfo { envelopedData, EnvelopedData }` in the layout AWS KMS answers: the
/// constructed outer elements (`ContentInfo`, its `[0]`, `EnvelopedData`,
/// `EncryptedContentInfo` and its `[0]` encrypted content, one OCTET STRING) with indefinite
/// lengths, everything inside them DER. The Nitro Enclaves SDK's CMS reader
/// (aws-nitro-enclaves-sdk-c, `aws_cms_parse_enveloped_data`) steps into those elements by
/// their headers alone, so it reads this layout and not an all-definite DER one.
fn envelope(ski: &[u8], encrypted_key: &[u8], iv: &[u8], content: &[u8]) -> Vec<u8> {
    let sha256 = seq(&[OID_SHA256, NULL]);
    let mgf1 = seq(&[OID_MGF1, &sha256]);
    let oaep_params = seq(&[&tlv(0xa0, &sha256), &tlv(0xa1, &mgf1)]);
    let key_encryption_algorithm = seq(&[OID_RSAES_OAEP, &oaep_params]);
    // KeyTransRecipientInfo, version 2: rid is [0] IMPLICIT SubjectKeyIdentifier.
    let ktri = seq(&[
        &tlv(0x02, &[2]),
        &tlv(0x80, ski),
        &key_encryption_algorithm,
        &tlv(0x04, encrypted_key),
    ]);
    let recipient_infos = tlv(0x31, &ktri);
    let encrypted_content_info = indefinite(
        0x30,
        &[
            OID_DATA,
            &seq(&[OID_AES256_CBC, &tlv(0x04, iv)]),
            &indefinite(0xa0, &[&tlv(0x04, content)]),
        ],
    );
    // EnvelopedData version 2: a recipient info of version 2 (RFC 5652, section 6.1).
    let enveloped_data = indefinite(
        0x30,
        &[&tlv(0x02, &[2]), &recipient_infos, &encrypted_content_info],
    );
    indefinite(
        0x30,
        &[OID_ENVELOPED_DATA, &indefinite(0xa0, &[&enveloped_data])],
    )
}

/// A constructed BER element of indefinite length: tag, `0x80`, the parts, end-of-contents.
fn indefinite(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    [&[tag, 0x80][..], &parts.concat(), &[0, 0]].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncations_of_a_document_never_panic() {
        let doc = [0x84, 0x40, 0xa0, 0x45, 0xa1, 0x61, 0x61, 0x01, 0x02, 0x40];
        for end in 0..doc.len() {
            let _ = read(&doc[..end]);
        }
        assert!(read(&doc).is_err());
    }

    /// Reads BER the way the Nitro Enclaves SDK's CMS reader does: into constructed elements
    /// by their indefinite-length headers, over definite elements whole.
    struct Ber<'a>(&'a [u8]);

    impl<'a> Ber<'a> {
        fn byte(&mut self) -> u8 {
            let (first, rest) = self.0.split_first().expect("more BER");
            self.0 = rest;
            *first
        }

        fn enter(&mut self, tag: u8) {
            assert_eq!(
                (self.byte(), self.byte()),
                (tag, 0x80),
                "indefinite {tag:#x}"
            );
        }

        fn element(&mut self, tag: u8) -> &'a [u8] {
            assert_eq!(self.byte(), tag);
            let len = match self.byte() {
                n @ 0..=0x7f => usize::from(n),
                0x81 => usize::from(self.byte()),
                0x82 => usize::from(self.byte()) << 8 | usize::from(self.byte()),
                other => panic!("length {other:#x}"),
            };
            let (contents, rest) = self.0.split_at(len);
            self.0 = rest;
            contents
        }
    }

    #[test]
    fn the_envelope_has_the_layout_aws_answers_and_opens_with_the_private_key() {
        use aws_lc_rs::cipher::{DecryptionContext, PaddedBlockDecryptingKey};
        use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
        use aws_lc_rs::rsa::{KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey};

        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
        let spki = AsDer::<PublicKeyX509Der>::as_der(&private.public_key())
            .unwrap()
            .as_ref()
            .to_vec();
        let recipient = RecipientKey {
            spki: spki.clone(),
            measurements: Measurements::default(),
            signed: Signed::default(),
        };
        let plaintext = vec![0x5a; 1000];
        let sealed = recipient.seal(&plaintext);

        let mut ber = Ber(&sealed);
        ber.enter(0x30);
        assert_eq!(ber.element(0x06), &OID_ENVELOPED_DATA[2..]);
        ber.enter(0xa0);
        ber.enter(0x30);
        assert_eq!(ber.element(0x02), [2]);
        let mut infos = Ber(ber.element(0x31));
        let mut ktri = Ber(infos.element(0x30));
        assert!(infos.0.is_empty(), "one recipient");
        assert_eq!(ktri.element(0x02), [2]);
        let ski = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &spki);
        assert_eq!(ktri.element(0x80), ski.as_ref());
        let mut algorithm = Ber(ktri.element(0x30));
        assert_eq!(algorithm.element(0x06), &OID_RSAES_OAEP[2..]);
        let encrypted_key = ktri.element(0x04);
        assert!(ktri.0.is_empty());
        ber.enter(0x30);
        assert_eq!(ber.element(0x06), &OID_DATA[2..]);
        let mut cipher = Ber(ber.element(0x30));
        assert_eq!(cipher.element(0x06), &OID_AES256_CBC[2..]);
        let iv: [u8; 16] = cipher.element(0x04).try_into().unwrap();
        ber.enter(0xa0);
        let mut content = ber.element(0x04).to_vec();
        // End-of-contents of the encrypted content, EncryptedContentInfo, EnvelopedData, [0]
        // and ContentInfo.
        assert_eq!(ber.0, [0; 10]);

        let oaep = OaepPrivateDecryptingKey::new(private).unwrap();
        let mut cek = vec![0; oaep.min_output_size()];
        let cek = oaep
            .decrypt(&OAEP_SHA256_MGF1SHA256, encrypted_key, &mut cek, None)
            .unwrap();
        assert_eq!(cek.len(), 32);
        let key =
            PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_256, cek).unwrap())
                .unwrap();
        let opened = key
            .decrypt(
                &mut content,
                DecryptionContext::Iv128(FixedLength::from(iv)),
            )
            .unwrap();
        assert_eq!(opened, plaintext);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let doc = vec![0x81; 10_000];
        assert!(read(&doc).is_err());
    }
}
