//! `Recipient` (Nitro Enclaves attestation): `CiphertextForRecipient` as CMS EnvelopedData
//! sealed to the public key of an attestation document the test builds, opened with
//! `openssl cms -decrypt` and compared with what kmsd answers without `Recipient`.

use std::path::Path;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, KeyAgreementAlgorithmSpec, KeyEncryptionMechanism, KeySpec, KeyUsageType,
    RecipientInfo,
};

use crate::support::keys::create_key_with;
use crate::support::tools::{openssl, tool_available};
use crate::support::{TestServer, check_error, create_key};

/// A CBOR head: major type and argument.
fn head(major: u8, n: usize) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => vec![m | 25, (n >> 8) as u8, n as u8],
        _ => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
    }
}

fn bytes(b: &[u8]) -> Vec<u8> {
    [head(2, b.len()), b.to_vec()].concat()
}

fn text(t: &str) -> Vec<u8> {
    [head(3, t.len()), t.as_bytes().to_vec()].concat()
}

/// An attestation document as the Nitro Secure Module shapes it (unsigned: kmsd does not
/// verify the chain), carrying `public_key`.
fn attestation_document(public_key: &[u8]) -> Vec<u8> {
    let mut payload = head(5, 9);
    payload.extend(text("module_id"));
    payload.extend(text("i-0123456789abcdef0-enc0123456789abcdef"));
    payload.extend(text("digest"));
    payload.extend(text("SHA384"));
    payload.extend(text("timestamp"));
    payload.extend([0x1b, 0, 0, 1, 0x8c, 0x12, 0x34, 0x56, 0x78]);
    payload.extend(text("pcrs"));
    payload.extend(head(5, 2));
    payload.extend([0x00]);
    payload.extend(bytes(&[0; 48]));
    payload.extend([0x01]);
    payload.extend(bytes(&[1; 48]));
    payload.extend(text("certificate"));
    payload.extend(bytes(b"not a certificate"));
    payload.extend(text("cabundle"));
    payload.extend(head(4, 1));
    payload.extend(bytes(b"not a root"));
    payload.extend(text("public_key"));
    payload.extend(bytes(public_key));
    payload.extend(text("user_data"));
    payload.push(0xf6);
    payload.extend(text("nonce"));
    payload.push(0xf6);
    // Protected header {1: -35} (ES384).
    let protected = [0xa1, 0x01, 0x38, 0x22];
    let mut doc = head(4, 4);
    doc.extend(bytes(&protected));
    doc.push(0xa0);
    doc.extend(bytes(&payload));
    doc.extend(bytes(&[7; 96]));
    doc
}

/// An enclave key pair (`key.pem`) in `dir`; returns the DER SubjectPublicKeyInfo.
fn enclave_key(dir: &Path) -> Vec<u8> {
    let key = dir.join("key.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key.to_str().unwrap(),
    ]);
    openssl(&[
        "pkey",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
    ])
}

/// Opens `CiphertextForRecipient` with the enclave key, as an enclave would.
fn open(dir: &Path, envelope: &[u8]) -> Vec<u8> {
    let path = dir.join("envelope.der");
    std::fs::write(&path, envelope).unwrap();
    openssl(&[
        "cms",
        "-decrypt",
        "-inform",
        "DER",
        "-in",
        path.to_str().unwrap(),
        "-inkey",
        dir.join("key.pem").to_str().unwrap(),
    ])
}

fn recipient(document: Vec<u8>) -> RecipientInfo {
    RecipientInfo::builder()
        .key_encryption_algorithm(KeyEncryptionMechanism::RsaesOaepSha256)
        .attestation_document(Blob::new(document))
        .build()
}

#[tokio::test]
async fn ciphertext_for_recipient_opens_with_openssl_cms() {
    if !tool_available("openssl", "version") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spki = enclave_key(dir.path());
    let to_enclave = recipient(attestation_document(&spki));
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;

    // Decrypt: the plaintext only inside the envelope.
    let sealed = client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"enclave secret".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let out = client
        .decrypt()
        .ciphertext_blob(sealed.clone())
        .recipient(to_enclave.clone())
        .send()
        .await
        .unwrap();
    assert!(out.plaintext.is_none());
    let envelope = out.ciphertext_for_recipient.unwrap().into_inner();
    assert_eq!(open(dir.path(), &envelope), b"enclave secret");

    // GenerateDataKey: the data key in the envelope decrypts the same as CiphertextBlob.
    let out = client
        .generate_data_key()
        .key_id(&key)
        .number_of_bytes(32)
        .recipient(to_enclave.clone())
        .send()
        .await
        .unwrap();
    assert!(out.plaintext.is_none());
    let data_key = open(
        dir.path(),
        &out.ciphertext_for_recipient.unwrap().into_inner(),
    );
    let plain = client
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner();
    assert_eq!(data_key, plain);

    // GenerateRandom.
    let out = client
        .generate_random()
        .number_of_bytes(1024)
        .recipient(to_enclave.clone())
        .send()
        .await
        .unwrap();
    assert!(out.plaintext.is_none());
    assert_eq!(
        open(
            dir.path(),
            &out.ciphertext_for_recipient.unwrap().into_inner()
        )
        .len(),
        1024
    );

    // GenerateDataKeyPair: public key and encrypted private key as usual.
    let out = client
        .generate_data_key_pair()
        .key_id(&key)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .recipient(to_enclave.clone())
        .send()
        .await
        .unwrap();
    assert!(out.private_key_plaintext.is_none());
    assert!(out.public_key.is_some());
    let private = open(
        dir.path(),
        &out.ciphertext_for_recipient.unwrap().into_inner(),
    );
    let plain = client
        .decrypt()
        .ciphertext_blob(out.private_key_ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner();
    assert_eq!(private, plain);

    // DeriveSharedSecret: the same secret as without Recipient.
    let agreement =
        create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let peer = dir.path().join("peer.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        peer.to_str().unwrap(),
    ]);
    let peer_public = openssl(&[
        "pkey",
        "-in",
        peer.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
    ]);
    let derive = || {
        client
            .derive_shared_secret()
            .key_id(&agreement)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer_public.clone()))
    };
    let clear = derive().send().await.unwrap().shared_secret.unwrap();
    let out = derive().recipient(to_enclave).send().await.unwrap();
    assert!(out.shared_secret.is_none());
    assert_eq!(
        open(
            dir.path(),
            &out.ciphertext_for_recipient.unwrap().into_inner()
        ),
        clear.into_inner()
    );
}

#[tokio::test]
async fn malformed_attestation_documents_are_refused() {
    let server = TestServer::start().await;
    let client = server.client();
    // A document without a usable RSA key, garbage, and every truncation of a good document
    // (with a 2048-bit key made here) answer ValidationException, never a panic.
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        aws_lc_rs::signature::KeyPair::public_key(&key),
    )
    .unwrap();
    let good = attestation_document(spki.as_ref());
    let mut bad: Vec<Vec<u8>> = vec![
        b"not cbor".to_vec(),
        attestation_document(b"not a key"),
        vec![0x84; 64],
        vec![0x9f, 0xff],
    ];
    bad.extend((1..good.len()).step_by(37).map(|end| good[..end].to_vec()));
    let mut seed = 0x2545_f491_u32;
    for _ in 0..64 {
        let mut doc = good.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let i = seed as usize % doc.len();
            doc[i] ^= (seed >> 8) as u8 | 1;
        }
        let result = client
            .generate_random()
            .number_of_bytes(16)
            .recipient(recipient(doc))
            .send()
            .await;
        if let Err(error) = result {
            let code = aws_sdk_kms::error::ProvideErrorMetadata::code(&error);
            assert_eq!(code, Some("ValidationException"), "{error:?}");
        }
    }
    for doc in bad {
        check_error(
            client
                .generate_random()
                .number_of_bytes(16)
                .recipient(recipient(doc))
                .send()
                .await,
            "ValidationException",
        );
    }
    // The good document works.
    client
        .generate_random()
        .number_of_bytes(16)
        .recipient(recipient(good))
        .send()
        .await
        .unwrap();
}
