//! RSA on aws-lc-rs: key generation, PKCS#8, RSA-OAEP with SHA-1 or SHA-256 (empty label, MGF1
//! with the same hash) and RSASSA-PSS (salt as long as the hash) or PKCS#1 v1.5 signatures with
//! SHA-256/384/512, over a message or a digest the caller computed.

use std::sync::OnceLock;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeyPair, KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaEncoding, RsaParameters};

use super::{Hash, Message, Scheme, digest};
use crate::crypto::Error;

/// An RSA private key. It signs or decrypts (a KMS key has one usage), so the OAEP context is
/// only built the first time it decrypts.
pub struct RsaKey {
    pair: KeyPair,
    public: RsaPublicKey,
    decrypting: OnceLock<Option<OaepPrivateDecryptingKey>>,
}

/// An RSA public key: what anyone holding GetPublicKey's answer can do with it.
pub struct RsaPublicKey {
    spki: Vec<u8>,
    modulus_len: usize,
    encrypting: OaepPublicEncryptingKey,
    /// Parsed per signature scheme on first use, in the order of [`verifying_parameters`].
    verifiers: [OnceLock<Option<ParsedPublicKey>>; 6],
}

impl RsaKey {
    /// A fresh key of 2048, 3072 or 4096 bits.
    pub(super) fn generate(bits: usize) -> Result<RsaKey, Error> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => return Err(Error::KeyGeneration),
        };
        RsaKey::new(KeyPair::generate(size).map_err(|_| Error::KeyGeneration)?)
    }

    /// Reads a PKCS#8 `PrivateKeyInfo`.
    pub(super) fn from_pkcs8(der: &[u8]) -> Result<RsaKey, Error> {
        RsaKey::new(KeyPair::from_pkcs8(der).map_err(|_| Error::MalformedKey)?)
    }

    /// Reads a PKCS#1 `RSAPrivateKey`.
    pub(super) fn from_pkcs1(der: &[u8]) -> Result<RsaKey, Error> {
        RsaKey::new(KeyPair::from_der(der).map_err(|_| Error::MalformedKey)?)
    }

    fn new(pair: KeyPair) -> Result<RsaKey, Error> {
        let spki: PublicKeyX509Der<'static> = pair
            .public_key()
            .as_der()
            .map_err(|_| Error::MalformedKey)?;
        Ok(RsaKey {
            public: RsaPublicKey::from_der(spki.as_ref())?,
            pair,
            decrypting: OnceLock::new(),
        })
    }

    /// The modulus size in bits.
    pub(super) fn bits(&self) -> usize {
        self.public.bits()
    }

    /// The public half.
    pub(super) fn public(&self) -> &RsaPublicKey {
        &self.public
    }

    /// PKCS#8 DER.
    pub(super) fn to_pkcs8(&self) -> Result<Vec<u8>, Error> {
        let der: Pkcs8V1Der<'static> = self.pair.as_der().map_err(|_| Error::MalformedKey)?;
        Ok(der.as_ref().to_vec())
    }

    /// Signs with PSS or PKCS#1 v1.5 (`scheme`), over the message or the caller's digest.
    pub(super) fn sign(&self, scheme: Scheme, message: Message<'_>) -> Result<Vec<u8>, Error> {
        let (encoding, hash) = signing_encoding(scheme)?;
        let mut signature = vec![0; self.pair.public_modulus_len()];
        match message {
            Message::Raw(m) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                self.pair.sign(encoding, &rng, m, &mut signature)
            }
            Message::Digest(d) => {
                self.pair
                    .sign_digest(encoding, &digest(hash, d)?, &mut signature)
            }
            Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
        }
        .map_err(|_| Error::Signing)?;
        Ok(signature)
    }

    /// RSA-OAEP decryption; every invalid ciphertext fails alike, with
    /// [`Error::Authentication`].
    pub(super) fn decrypt_oaep(&self, hash: Hash, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let algorithm = oaep(hash)?;
        let key = self
            .decrypting
            .get_or_init(|| {
                let der: Pkcs8V1Der<'static> = self.pair.as_der().ok()?;
                let private = PrivateDecryptingKey::from_pkcs8(der.as_ref()).ok()?;
                OaepPrivateDecryptingKey::new(private).ok()
            })
            .as_ref()
            .ok_or(Error::MalformedKey)?;
        let mut plaintext = vec![0; key.min_output_size()];
        let len = key
            .decrypt(algorithm, ciphertext, &mut plaintext, None)
            .map_err(|_| Error::Authentication)?
            .len();
        plaintext.truncate(len);
        Ok(plaintext)
    }
}

impl RsaPublicKey {
    /// Reads a DER SubjectPublicKeyInfo of 2048 to 8192 bits.
    pub(super) fn from_der(spki: &[u8]) -> Result<RsaPublicKey, Error> {
        let public = PublicEncryptingKey::from_der(spki).map_err(|_| Error::MalformedPublicKey)?;
        let modulus_len = public.key_size_bytes();
        Ok(RsaPublicKey {
            spki: spki.to_vec(),
            modulus_len,
            encrypting: OaepPublicEncryptingKey::new(public)
                .map_err(|_| Error::MalformedPublicKey)?,
            verifiers: Default::default(),
        })
    }

    /// DER SubjectPublicKeyInfo.
    pub(super) fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The modulus size in bits.
    pub(super) fn bits(&self) -> usize {
        self.modulus_len * 8
    }

    /// Whether `signature` is a PSS or PKCS#1 v1.5 (`scheme`) signature over the message or
    /// digest.
    pub(super) fn verify(
        &self,
        scheme: Scheme,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<bool, Error> {
        let (parameters, hash, index) = verifying_parameters(scheme)?;
        let Some(key) = self.verifiers[index]
            .get_or_init(|| ParsedPublicKey::new(parameters, &self.spki).ok())
            .as_ref()
        else {
            return Err(Error::MalformedPublicKey);
        };
        Ok(match message {
            Message::Raw(m) => key.verify_sig(m, signature).is_ok(),
            Message::Digest(d) => key.verify_digest_sig(&digest(hash, d)?, signature).is_ok(),
            Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
        })
    }

    /// RSA-OAEP encryption (fresh random padding each time).
    pub(super) fn encrypt_oaep(&self, hash: Hash, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let algorithm = oaep(hash)?;
        if plaintext.len() > self.oaep_max_plaintext(hash) {
            return Err(Error::PlaintextTooLarge);
        }
        let mut ciphertext = vec![0; self.encrypting.ciphertext_size()];
        let len = self
            .encrypting
            .encrypt(algorithm, plaintext, &mut ciphertext, None)
            .map_err(|_| Error::PlaintextTooLarge)?
            .len();
        ciphertext.truncate(len);
        Ok(ciphertext)
    }

    /// The largest plaintext RSA-OAEP with `hash` encrypts: the modulus length less twice the
    /// hash length less 2.
    pub(super) fn oaep_max_plaintext(&self, hash: Hash) -> usize {
        self.modulus_len.saturating_sub(2 * hash.len() + 2)
    }
}

fn oaep(hash: Hash) -> Result<&'static OaepAlgorithm, Error> {
    match hash {
        Hash::Sha1 => Ok(&OAEP_SHA1_MGF1SHA1),
        Hash::Sha256 => Ok(&OAEP_SHA256_MGF1SHA256),
        Hash::Sha384 | Hash::Sha512 => Err(Error::WrongKeyType),
    }
}

fn signing_encoding(scheme: Scheme) -> Result<(&'static dyn RsaEncoding, Hash), Error> {
    Ok(match scheme {
        Scheme::RsaPss(Hash::Sha256) => (&signature::RSA_PSS_SHA256, Hash::Sha256),
        Scheme::RsaPss(Hash::Sha384) => (&signature::RSA_PSS_SHA384, Hash::Sha384),
        Scheme::RsaPss(Hash::Sha512) => (&signature::RSA_PSS_SHA512, Hash::Sha512),
        Scheme::RsaPkcs1(Hash::Sha256) => (&signature::RSA_PKCS1_SHA256, Hash::Sha256),
        Scheme::RsaPkcs1(Hash::Sha384) => (&signature::RSA_PKCS1_SHA384, Hash::Sha384),
        Scheme::RsaPkcs1(Hash::Sha512) => (&signature::RSA_PKCS1_SHA512, Hash::Sha512),
        _ => return Err(Error::WrongKeyType),
    })
}

/// The verification parameters of a scheme, its hash, and its slot in
/// [`RsaPublicKey::verifiers`].
fn verifying_parameters(scheme: Scheme) -> Result<(&'static RsaParameters, Hash, usize), Error> {
    Ok(match scheme {
        Scheme::RsaPss(Hash::Sha256) => (&signature::RSA_PSS_2048_8192_SHA256, Hash::Sha256, 0),
        Scheme::RsaPss(Hash::Sha384) => (&signature::RSA_PSS_2048_8192_SHA384, Hash::Sha384, 1),
        Scheme::RsaPss(Hash::Sha512) => (&signature::RSA_PSS_2048_8192_SHA512, Hash::Sha512, 2),
        Scheme::RsaPkcs1(Hash::Sha256) => (&signature::RSA_PKCS1_2048_8192_SHA256, Hash::Sha256, 3),
        Scheme::RsaPkcs1(Hash::Sha384) => (&signature::RSA_PKCS1_2048_8192_SHA384, Hash::Sha384, 4),
        Scheme::RsaPkcs1(Hash::Sha512) => (&signature::RSA_PKCS1_2048_8192_SHA512, Hash::Sha512, 5),
        _ => return Err(Error::WrongKeyType),
    })
}
