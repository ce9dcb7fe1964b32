//! ML-KEM known answers and encapsulation properties, verification with a public key alone,
//! ECDH and RSA-OAEP edge cases. Independent implementations check key pairs in
//! `tests/it/asymmetric.rs`, Wycheproof's vectors in `tests/it/wycheproof.rs`.

use sha2::{Digest, Sha256};

use super::*;

const ML_KEM: [KeyPairKind; 3] = [
    KeyPairKind::MlKem512,
    KeyPairKind::MlKem768,
    KeyPairKind::MlKem1024,
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The example keys of draft-ietf-lamps-kyber-certificates (as the ml-kem crate's tests carry
/// them), whose seed is the bytes 0, 1, ..., 63: the seed-only PKCS#8 encoding, and the
/// length and SHA-256 of the SubjectPublicKeyInfo. Python's `cryptography` derives the same
/// keys for ML-KEM-768 and ML-KEM-1024; it has no ML-KEM-512.
#[test]
fn ml_kem_keys_from_the_ietf_example_seed() {
    let seed: Vec<u8> = (0..64).collect();
    let cases = [
        (
            KeyPairKind::MlKem512,
            1,
            822,
            "0e3c8b89b54202d2545f7aba2e2aaa3cffa7b6191919ad738fab35b4f313cf71",
        ),
        (
            KeyPairKind::MlKem768,
            2,
            1206,
            "c23e23dd3d485a9256cda09358a4a286e00b373db10761eadf99f710649ca31c",
        ),
        (
            KeyPairKind::MlKem1024,
            3,
            1590,
            "d2b7480ae006a14b37c1e8a8e45ea39022e32a9b1a7b90d594c84d869c6ac420",
        ),
    ];
    for (kind, oid_arc, spki_len, spki_sha256) in cases {
        let key = AsymmetricKey::from_private_bytes(kind, &seed).unwrap();
        assert_eq!(key.kind(), kind);
        // PrivateKeyInfo { v1, id-alg-ml-kem-N (2.16.840.1.101.3.4.4.x), [0] seed }.
        let pkcs8 = key.to_pkcs8_der().unwrap();
        assert_eq!(
            hex(&pkcs8),
            format!(
                "3054020100300b06096086480165030404{oid_arc:02x}04428040{}",
                hex(&seed)
            ),
            "{kind:?}"
        );
        let spki = key.public_key_der().unwrap();
        assert_eq!(spki.len(), spki_len, "{kind:?}");
        assert_eq!(hex(&Sha256::digest(&spki)), spki_sha256, "{kind:?}");
        assert_eq!(key.to_private_bytes().unwrap(), seed);
    }
}

#[test]
fn ml_kem_decapsulation_recovers_the_encapsulated_secret() {
    for (kind, len) in ML_KEM.into_iter().zip([768, 1088, 1568]) {
        let key = AsymmetricKey::generate(kind).unwrap();
        let sent = key.encapsulate().unwrap();
        assert_eq!(sent.ciphertext.len(), len);
        assert_eq!(key.ml_kem_ciphertext_len(), Some(len));
        assert_eq!(sent.shared_secret.len(), 32);
        assert_eq!(
            key.decapsulate(&sent.ciphertext).unwrap(),
            sent.shared_secret
        );
        // The stored seed rebuilds the same key.
        let stored = key.to_private_bytes().unwrap();
        assert_eq!(stored.len(), 64);
        let again = AsymmetricKey::from_private_bytes(kind, &stored).unwrap();
        assert_eq!(again.public_key_der(), key.public_key_der());
        assert_eq!(
            again.decapsulate(&sent.ciphertext).unwrap(),
            sent.shared_secret
        );
        // Fresh randomness every time.
        assert_ne!(key.encapsulate().unwrap().shared_secret, sent.shared_secret);
    }
}

#[test]
fn ml_kem_rejects_implicitly_except_for_the_length() {
    for kind in ML_KEM {
        let key = AsymmetricKey::generate(kind).unwrap();
        let sent = key.encapsulate().unwrap();
        let mut altered = sent.ciphertext.clone();
        altered[10] ^= 1;
        let rejected = key.decapsulate(&altered).unwrap();
        assert_eq!(rejected.len(), 32);
        assert_ne!(rejected, sent.shared_secret);
        // Implicit rejection is deterministic: J(z ‖ c).
        assert_eq!(key.decapsulate(&altered).unwrap(), rejected);
        let other = AsymmetricKey::generate(kind).unwrap();
        assert_ne!(
            other.decapsulate(&sent.ciphertext).unwrap(),
            sent.shared_secret
        );
        for len in [0, 1, sent.ciphertext.len() - 1, sent.ciphertext.len() + 1] {
            assert_eq!(
                key.decapsulate(&vec![0; len]),
                Err(Error::CiphertextLength),
                "{kind:?} {len}"
            );
        }
    }
}

#[test]
fn ml_kem_operations_need_an_ml_kem_key() {
    let ed = AsymmetricKey::generate(KeyPairKind::Ed25519).unwrap();
    assert!(matches!(ed.encapsulate(), Err(Error::WrongKeyType)));
    assert_eq!(ed.decapsulate(&[0; 768]), Err(Error::WrongKeyType));
    assert_eq!(ed.ml_kem_ciphertext_len(), None);
    let kem = AsymmetricKey::generate(KeyPairKind::MlKem768).unwrap();
    assert_eq!(
        kem.sign(Scheme::MlDsa, Message::Raw(b"x")),
        Err(Error::WrongKeyType)
    );
    assert_eq!(
        AsymmetricKey::from_private_bytes(KeyPairKind::MlKem768, &[0; 32]).err(),
        Some(Error::MalformedKey)
    );
}

/// Every signing kind with each of its schemes, and a digest of the right length for it.
fn signing_cases() -> Vec<(KeyPairKind, Scheme)> {
    vec![
        (KeyPairKind::Rsa(2048), Scheme::RsaPss(Hash::Sha256)),
        (KeyPairKind::Rsa(2048), Scheme::RsaPss(Hash::Sha384)),
        (KeyPairKind::Rsa(2048), Scheme::RsaPss(Hash::Sha512)),
        (KeyPairKind::Rsa(2048), Scheme::RsaPkcs1(Hash::Sha256)),
        (KeyPairKind::Rsa(2048), Scheme::RsaPkcs1(Hash::Sha384)),
        (KeyPairKind::Rsa(2048), Scheme::RsaPkcs1(Hash::Sha512)),
        (KeyPairKind::P256, Scheme::Ecdsa(Hash::Sha256)),
        (KeyPairKind::P384, Scheme::Ecdsa(Hash::Sha384)),
        (KeyPairKind::P521, Scheme::Ecdsa(Hash::Sha512)),
        (KeyPairKind::Secp256k1, Scheme::Ecdsa(Hash::Sha256)),
        (KeyPairKind::Sm2, Scheme::Sm2Dsa),
        (KeyPairKind::Ed25519, Scheme::Ed25519),
        (KeyPairKind::Ed25519, Scheme::Ed25519Ph),
        (KeyPairKind::MlDsa44, Scheme::MlDsa),
    ]
}

/// What the private key signs, its public key alone (as GetPublicKey gives it) verifies, in
/// every message mode the scheme has; a changed message or signature does not verify.
#[test]
fn public_keys_verify_what_their_private_keys_sign() {
    let mut keys: Vec<(KeyPairKind, AsymmetricKey)> = Vec::new();
    for (kind, scheme) in signing_cases() {
        if !keys.iter().any(|(k, _)| *k == kind) {
            keys.push((kind, AsymmetricKey::generate(kind).unwrap()));
        }
        let key = &keys.iter().find(|(k, _)| *k == kind).unwrap().1;
        let public = PublicKey::from_der(kind, &key.public_key_der().unwrap()).unwrap();
        let digest = vec![
            0x5a;
            match scheme {
                Scheme::RsaPss(h) | Scheme::RsaPkcs1(h) | Scheme::Ecdsa(h) => h.len(),
                Scheme::Ed25519Ph => 64,
                _ => 32,
            }
        ];
        let mut messages = vec![Message::Raw(b"signed by kmsd")];
        if !matches!(scheme, Scheme::Ed25519 | Scheme::MlDsa) {
            messages.push(Message::Digest(&digest));
        }
        for message in messages {
            let signature = key.sign(scheme, message).unwrap();
            assert_eq!(key.verify(scheme, message, &signature), Ok(true));
            assert_eq!(
                public.verify(scheme, message, &signature),
                Ok(true),
                "{scheme:?}"
            );
            let mut altered = signature.clone();
            let middle = altered.len() / 2;
            altered[middle] ^= 1;
            assert_eq!(
                public.verify(scheme, message, &altered),
                Ok(false),
                "{scheme:?}"
            );
            let other = match message {
                Message::Raw(_) => Message::Raw(b"signed by someone else"),
                _ => Message::Digest(&[0xa5; 64][..digest.len()]),
            };
            assert_eq!(
                public.verify(scheme, other, &signature),
                Ok(false),
                "{scheme:?}"
            );
        }
    }
}

#[test]
fn ecdsa_keys_sign_with_their_curves_hash_only() {
    let p384 = AsymmetricKey::generate(KeyPairKind::P384).unwrap();
    assert_eq!(
        p384.sign(Scheme::Ecdsa(Hash::Sha256), Message::Raw(b"x")),
        Err(Error::WrongKeyType)
    );
    assert_eq!(
        p384.sign(Scheme::Ecdsa(Hash::Sha384), Message::Digest(&[0; 32])),
        Err(Error::DigestLength)
    );
}

/// ECDH is symmetric, and the peer's key is a SubjectPublicKeyInfo on the same curve, never a
/// bare point (aws-lc-rs would read one; KMS does not).
#[test]
fn ecdh_takes_a_subject_public_key_info_on_the_same_curve() {
    for kind in [KeyPairKind::P256, KeyPairKind::P384, KeyPairKind::P521] {
        let (a, b) = (
            AsymmetricKey::generate(kind).unwrap(),
            AsymmetricKey::generate(kind).unwrap(),
        );
        let (a_spki, b_spki) = (a.public_key_der().unwrap(), b.public_key_der().unwrap());
        let secret = a.derive_shared_secret(&b_spki).unwrap();
        assert_eq!(secret, b.derive_shared_secret(&a_spki).unwrap(), "{kind:?}");
        // The uncompressed point is the tail of the SubjectPublicKeyInfo.
        let point_len = 1 + 2 * secret.len();
        let point = &b_spki[b_spki.len() - point_len..];
        assert_eq!(point[0], 0x04);
        assert_eq!(
            a.derive_shared_secret(point),
            Err(Error::MalformedPublicKey),
            "{kind:?}"
        );
        assert!(PublicKey::from_der(kind, point).is_err());
        let other_curve = if kind == KeyPairKind::P256 {
            KeyPairKind::P384
        } else {
            KeyPairKind::P256
        };
        let other = AsymmetricKey::generate(other_curve).unwrap();
        assert_eq!(
            a.derive_shared_secret(&other.public_key_der().unwrap()),
            Err(Error::MalformedPublicKey)
        );
    }
    let k1 = AsymmetricKey::generate(KeyPairKind::Secp256k1).unwrap();
    assert_eq!(
        k1.derive_shared_secret(&k1.public_key_der().unwrap()),
        Err(Error::WrongKeyType)
    );
}

#[test]
fn rsa_oaep_round_trips_at_the_size_limit_and_refuses_beyond_it() {
    let key = AsymmetricKey::generate(KeyPairKind::Rsa(2048)).unwrap();
    let public =
        PublicKey::from_der(KeyPairKind::Rsa(2048), &key.public_key_der().unwrap()).unwrap();
    for (hash, max) in [(Hash::Sha1, 214), (Hash::Sha256, 190)] {
        assert_eq!(key.oaep_max_plaintext(hash), Some(max));
        let plaintext = vec![7u8; max];
        let ciphertext = public.encrypt_oaep(hash, &plaintext).unwrap();
        assert_eq!(ciphertext.len(), 256);
        assert_eq!(key.decrypt_oaep(hash, &ciphertext).unwrap(), plaintext);
        // Fresh padding every time, and the other hash does not decrypt it.
        assert_ne!(key.encrypt_oaep(hash, &plaintext).unwrap(), ciphertext);
        let other = if hash == Hash::Sha1 {
            Hash::Sha256
        } else {
            Hash::Sha1
        };
        assert_eq!(
            key.decrypt_oaep(other, &ciphertext),
            Err(Error::Authentication)
        );
        assert_eq!(
            key.encrypt_oaep(hash, &vec![7u8; max + 1]),
            Err(Error::PlaintextTooLarge)
        );
    }
    assert_eq!(
        key.encrypt_oaep(Hash::Sha512, b"x"),
        Err(Error::WrongKeyType)
    );
    // Another key size than the kind says is not that kind.
    assert!(PublicKey::from_der(KeyPairKind::Rsa(3072), &key.public_key_der().unwrap()).is_err());
}
