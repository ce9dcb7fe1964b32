//! ML-KEM known answers and encapsulation properties. Other key pairs are checked against
//! independent implementations in `tests/it/asymmetric.rs`.

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
