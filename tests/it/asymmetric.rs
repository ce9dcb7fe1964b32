//! Asymmetric and HMAC keys, checked by independent implementations: Python's `cryptography`
//! (tests/it/tools/crosscheck.py) and the `openssl` command line for SM2. Both are needed:
//! skipped when missing, except under `CI=true`. RSA_3072 and RSA_4096 keys come from the
//! committed fixtures (support/fixtures.rs), except in GenerateDataKeyPair, which generates.

use aws_sdk_kms::Client;
use aws_sdk_kms::error::SdkError;
use aws_sdk_kms::operation::sign::{SignError, SignOutput};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncryptionAlgorithmSpec as Enc, KeyAgreementAlgorithmSpec, KeySpec,
    KeyUsageType, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec as Alg,
};

use crate::support::errors::wrong_usage;
use crate::support::fixtures::{create_key_or_fixture, start_with_rsa_keys};
use crate::support::keys::{
    create_key_with, decrypt_with_context, encrypt_with_context, public_key,
};
use crate::support::tools::{crosscheck, digest, hex, openssl, public_pem, tools_available, write};
use crate::support::{TestServer, check_error, create_key, metadata};

/// Signs `message` (of `kind`) with `alg` and returns the signature, after checking that the
/// response names the algorithm.
async fn sign(
    client: &Client,
    key_id: &str,
    alg: Alg,
    message: &[u8],
    kind: MessageType,
) -> Vec<u8> {
    let out = try_sign(client, key_id, alg.clone(), message, Some(kind))
        .await
        .unwrap();
    assert_eq!(out.signing_algorithm, Some(alg));
    out.signature.unwrap().into_inner()
}

/// One Sign call as the SDK answers it, for the tests that expect a refusal; `kind: None`
/// leaves MessageType out of the request.
async fn try_sign(
    client: &Client,
    key_id: &str,
    alg: Alg,
    message: &[u8],
    kind: Option<MessageType>,
) -> Result<SignOutput, SdkError<SignError>> {
    client
        .sign()
        .key_id(key_id)
        .signing_algorithm(alg)
        .message(Blob::new(message))
        .set_message_type(kind)
        .send()
        .await
}

/// kmsd's own Verify accepts the signature and rejects a tampered one.
async fn check_verify(
    client: &Client,
    key_id: &str,
    alg: Alg,
    message: &[u8],
    kind: MessageType,
    signature: &[u8],
) {
    let ok = client
        .verify()
        .key_id(key_id)
        .signing_algorithm(alg.clone())
        .message(Blob::new(message))
        .message_type(kind.clone())
        .signature(Blob::new(signature))
        .send()
        .await
        .unwrap();
    assert!(ok.signature_valid);
    let mut bad = signature.to_vec();
    let last = bad.len() - 1;
    bad[last / 2] ^= 0x10;
    let message_text = check_error(
        client
            .verify()
            .key_id(key_id)
            .signing_algorithm(alg)
            .message(Blob::new(message))
            .message_type(kind)
            .signature(Blob::new(bad))
            .send()
            .await,
        "KMSInvalidSignatureException",
    );
    assert_eq!(message_text, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_verify_outside_kmsd() {
    if !tools_available() {
        return;
    }
    let server = start_with_rsa_keys().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let message = b"the quick brown fox signs a message";
    let msg_path = write(dir.path(), "msg", message);

    // (spec, algorithm, crosscheck scheme, hash)
    let cases = [
        (KeySpec::Rsa2048, Alg::RsassaPssSha256, "pss", "sha256"),
        (KeySpec::Rsa2048, Alg::RsassaPssSha384, "pss", "sha384"),
        (KeySpec::Rsa2048, Alg::RsassaPssSha512, "pss", "sha512"),
        (
            KeySpec::Rsa2048,
            Alg::RsassaPkcs1V15Sha256,
            "pkcs1",
            "sha256",
        ),
        (
            KeySpec::Rsa2048,
            Alg::RsassaPkcs1V15Sha384,
            "pkcs1",
            "sha384",
        ),
        (
            KeySpec::Rsa2048,
            Alg::RsassaPkcs1V15Sha512,
            "pkcs1",
            "sha512",
        ),
        (KeySpec::Rsa3072, Alg::RsassaPssSha384, "pss", "sha384"),
        (
            KeySpec::Rsa4096,
            Alg::RsassaPkcs1V15Sha512,
            "pkcs1",
            "sha512",
        ),
        (KeySpec::EccNistP256, Alg::EcdsaSha256, "ecdsa", "sha256"),
        (KeySpec::EccNistP384, Alg::EcdsaSha384, "ecdsa", "sha384"),
        (KeySpec::EccNistP521, Alg::EcdsaSha512, "ecdsa", "sha512"),
        (KeySpec::EccSecgP256K1, Alg::EcdsaSha256, "ecdsa", "sha256"),
    ];
    let mut keys = std::collections::HashMap::new();
    for (spec, alg, scheme, hash) in cases {
        let key_id = match keys.get(&spec) {
            Some(id) => String::clone(id),
            None => {
                let id =
                    create_key_or_fixture(&client, spec.clone(), KeyUsageType::SignVerify).await;
                keys.insert(spec.clone(), id.clone());
                id
            }
        };
        let public = write(dir.path(), "pub.der", &public_key(&client, &key_id).await);
        // RAW: kmsd hashes.
        let signature = sign(&client, &key_id, alg.clone(), message, MessageType::Raw).await;
        let sig_path = write(dir.path(), "sig", &signature);
        crosscheck(&["verify", scheme, hash, &public, &msg_path, &sig_path]);
        check_verify(
            &client,
            &key_id,
            alg.clone(),
            message,
            MessageType::Raw,
            &signature,
        )
        .await;
        // DIGEST: the caller hashes.
        let prehashed = digest(hash, message);
        let digest_path = write(dir.path(), "digest", &prehashed);
        let signature = sign(
            &client,
            &key_id,
            alg.clone(),
            &prehashed,
            MessageType::Digest,
        )
        .await;
        let sig_path = write(dir.path(), "sig", &signature);
        crosscheck(&[
            "verify",
            scheme,
            hash,
            &public,
            &digest_path,
            &sig_path,
            "digest",
        ]);
        check_verify(
            &client,
            &key_id,
            alg.clone(),
            &prehashed,
            MessageType::Digest,
            &signature,
        )
        .await;
        // A digest of the wrong length is refused.
        let message_text = check_error(
            try_sign(
                &client,
                &key_id,
                alg.clone(),
                &prehashed[1..],
                Some(MessageType::Digest),
            )
            .await,
            "ValidationException",
        );
        assert_eq!(
            message_text,
            format!("Digest is invalid length for algorithm {}.", alg.as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eddsa_ml_dsa_and_sm2_signatures_verify_outside_kmsd() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let message = b"post-quantum and friends";
    let msg_path = write(dir.path(), "msg", message);

    // Ed25519: pure over the message (RAW); Ed25519ph over a 64-byte digest (DIGEST).
    let ed = create_key_with(
        &client,
        KeySpec::EccNistEdwards25519,
        KeyUsageType::SignVerify,
    )
    .await;
    let public = write(dir.path(), "ed.der", &public_key(&client, &ed).await);
    let signature = sign(&client, &ed, Alg::Ed25519Sha512, message, MessageType::Raw).await;
    crosscheck(&[
        "verify",
        "ed25519",
        "sha512",
        &public,
        &msg_path,
        &write(dir.path(), "sig", &signature),
    ]);
    check_verify(
        &client,
        &ed,
        Alg::Ed25519Sha512,
        message,
        MessageType::Raw,
        &signature,
    )
    .await;
    let prehashed = digest("sha512", message);
    let digest_path = write(dir.path(), "digest", &prehashed);
    let signature = sign(
        &client,
        &ed,
        Alg::Ed25519PhSha512,
        &prehashed,
        MessageType::Digest,
    )
    .await;
    crosscheck(&[
        "verify",
        "ed25519ph",
        "sha512",
        &public,
        &digest_path,
        &write(dir.path(), "sig", &signature),
    ]);
    check_verify(
        &client,
        &ed,
        Alg::Ed25519PhSha512,
        &prehashed,
        MessageType::Digest,
        &signature,
    )
    .await;
    for (alg, kind) in [
        (Alg::Ed25519Sha512, MessageType::Digest),
        (Alg::Ed25519PhSha512, MessageType::Raw),
    ] {
        check_error(
            try_sign(&client, &ed, alg, &prehashed, Some(kind)).await,
            "ValidationException",
        );
    }

    // ML-DSA: RAW, and EXTERNAL_MU with a mu computed outside kmsd.
    for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
        let key = create_key_with(&client, spec.clone(), KeyUsageType::SignVerify).await;
        let meta = metadata(&client, &key).await;
        assert_eq!(meta.signing_algorithms(), [Alg::MlDsaShake256]);
        let public = write(dir.path(), "ml.der", &public_key(&client, &key).await);
        let signature = sign(&client, &key, Alg::MlDsaShake256, message, MessageType::Raw).await;
        crosscheck(&[
            "verify",
            "mldsa",
            "sha256",
            &public,
            &msg_path,
            &write(dir.path(), "sig", &signature),
        ]);
        check_verify(
            &client,
            &key,
            Alg::MlDsaShake256,
            message,
            MessageType::Raw,
            &signature,
        )
        .await;
        let mu_path = dir.path().join("mu");
        crosscheck(&["mldsa-mu", &public, &msg_path, mu_path.to_str().unwrap()]);
        let mu = std::fs::read(&mu_path).unwrap();
        let signature = sign(
            &client,
            &key,
            Alg::MlDsaShake256,
            &mu,
            MessageType::ExternalMu,
        )
        .await;
        // A signature over mu is a signature over the message.
        crosscheck(&[
            "verify",
            "mldsa",
            "sha256",
            &public,
            &msg_path,
            &write(dir.path(), "sig", &signature),
        ]);
        check_verify(
            &client,
            &key,
            Alg::MlDsaShake256,
            &mu,
            MessageType::ExternalMu,
            &signature,
        )
        .await;
        check_error(
            try_sign(
                &client,
                &key,
                Alg::MlDsaShake256,
                &mu[..32],
                Some(MessageType::ExternalMu),
            )
            .await,
            "ValidationException",
        );
    }

    // SM2DSA, verified by OpenSSL with the default distinguishing id.
    let sm2 = create_key_with(&client, KeySpec::Sm2, KeyUsageType::SignVerify).await;
    let pem = public_pem(dir.path(), "sm2.pem", &public_key(&client, &sm2).await);
    let signature = sign(&client, &sm2, Alg::Sm2Dsa, message, MessageType::Raw).await;
    let sig_path = write(dir.path(), "sm2.sig", &signature);
    openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pem.to_str().unwrap(),
        "-rawin",
        "-in",
        &msg_path,
        "-sigfile",
        &sig_path,
        "-digest",
        "sm3",
        "-pkeyopt",
        "distid:1234567812345678",
    ]);
    check_verify(
        &client,
        &sm2,
        Alg::Sm2Dsa,
        message,
        MessageType::Raw,
        &signature,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_and_sm2_encryption_interoperates_with_offline_encryption() {
    if !tools_available() {
        return;
    }
    let server = start_with_rsa_keys().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();

    // (spec, max plaintext for SHA-1, for SHA-256), as AWS documents.
    for (spec, max_sha1, max_sha256) in [
        (KeySpec::Rsa2048, 214, 190),
        (KeySpec::Rsa3072, 342, 318),
        (KeySpec::Rsa4096, 470, 446),
    ] {
        let key = create_key_or_fixture(&client, spec.clone(), KeyUsageType::EncryptDecrypt).await;
        let info = client.get_public_key().key_id(&key).send().await.unwrap();
        assert_eq!(
            info.encryption_algorithms(),
            [Enc::RsaesOaepSha1, Enc::RsaesOaepSha256]
        );
        assert!(info.signing_algorithms().is_empty());
        let public = write(
            dir.path(),
            "rsa.der",
            &info.public_key.unwrap().into_inner(),
        );
        for (alg, hash, max) in [
            (Enc::RsaesOaepSha1, "sha1", max_sha1),
            (Enc::RsaesOaepSha256, "sha256", max_sha256),
        ] {
            // Offline encryption with the public key decrypts in kmsd.
            let plaintext = vec![0x5a; max];
            let pt_path = write(dir.path(), "pt", &plaintext);
            let ct_path = dir.path().join("ct");
            crosscheck(&[
                "oaep-encrypt",
                hash,
                &public,
                &pt_path,
                ct_path.to_str().unwrap(),
            ]);
            let back = client
                .decrypt()
                .key_id(&key)
                .encryption_algorithm(alg.clone())
                .ciphertext_blob(Blob::new(std::fs::read(&ct_path).unwrap()))
                .send()
                .await
                .unwrap();
            assert_eq!(back.plaintext.unwrap().into_inner(), plaintext);
            assert_eq!(back.encryption_algorithm, Some(alg.clone()));
            assert!(back.key_material_id.is_none());
            // kmsd's own Encrypt is raw RSA-OAEP of the modulus size.
            let out = client
                .encrypt()
                .key_id(&key)
                .encryption_algorithm(alg.clone())
                .plaintext(Blob::new(plaintext.clone()))
                .send()
                .await
                .unwrap();
            let blob = out.ciphertext_blob.unwrap().into_inner();
            let modulus_bits = spec.as_str()[4..].parse::<usize>().unwrap();
            assert_eq!(blob.len(), modulus_bits / 8);
            let back = client
                .decrypt()
                .key_id(&key)
                .encryption_algorithm(alg.clone())
                .ciphertext_blob(Blob::new(blob.clone()))
                .send()
                .await
                .unwrap();
            assert_eq!(back.plaintext.unwrap().into_inner(), plaintext);
            // One byte over the limit is refused with AWS's message.
            let message = check_error(
                client
                    .encrypt()
                    .key_id(&key)
                    .encryption_algorithm(alg.clone())
                    .plaintext(Blob::new(vec![1; max + 1]))
                    .send()
                    .await,
                "ValidationException",
            );
            assert_eq!(
                message,
                format!(
                    "Algorithm {} and key spec {} cannot encrypt data larger than {max} bytes.",
                    alg.as_str(),
                    spec.as_str()
                )
            );
            // Without the KeyId, or with the wrong algorithm, it does not decrypt.
            check_error(
                client
                    .decrypt()
                    .encryption_algorithm(alg.clone())
                    .ciphertext_blob(Blob::new(blob.clone()))
                    .send()
                    .await,
                "InvalidCiphertextException",
            );
            let other = if alg == Enc::RsaesOaepSha1 {
                Enc::RsaesOaepSha256
            } else {
                Enc::RsaesOaepSha1
            };
            check_error(
                client
                    .decrypt()
                    .key_id(&key)
                    .encryption_algorithm(other)
                    .ciphertext_blob(Blob::new(blob))
                    .send()
                    .await,
                "InvalidCiphertextException",
            );
        }
        // SYMMETRIC_DEFAULT is not an algorithm of an RSA key.
        check_error(
            client
                .encrypt()
                .key_id(&key)
                .plaintext(Blob::new(b"x".to_vec()))
                .send()
                .await,
            "InvalidKeyUsageException",
        );
    }

    // SM2PKE: OpenSSL encrypts with the public key, kmsd decrypts; and back.
    let sm2 = create_key_with(&client, KeySpec::Sm2, KeyUsageType::EncryptDecrypt).await;
    let pem = public_pem(dir.path(), "sm2.pem", &public_key(&client, &sm2).await);
    let pt_path = write(dir.path(), "sm2.pt", b"sm2 offline");
    let ct_path = dir.path().join("sm2.ct");
    openssl(&[
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        pem.to_str().unwrap(),
        "-in",
        &pt_path,
        "-out",
        ct_path.to_str().unwrap(),
    ]);
    let back = client
        .decrypt()
        .key_id(&sm2)
        .encryption_algorithm(Enc::Sm2Pke)
        .ciphertext_blob(Blob::new(std::fs::read(&ct_path).unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().into_inner(), b"sm2 offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_encrypt_between_symmetric_and_rsa_keys() {
    let server = TestServer::start().await;
    let client = server.client();
    let symmetric = create_key(&client).await;
    let rsa = create_key_with(&client, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let blob = encrypt_with_context(&client, &symmetric, b"hop", &[("a", "b")]).await;
    let to_rsa = client
        .re_encrypt()
        .ciphertext_blob(blob)
        .source_encryption_context("a", "b")
        .destination_key_id(&rsa)
        .destination_encryption_algorithm(Enc::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    assert_eq!(
        to_rsa.destination_encryption_algorithm,
        Some(Enc::RsaesOaepSha256)
    );
    assert_eq!(
        to_rsa.source_encryption_algorithm,
        Some(Enc::SymmetricDefault)
    );
    assert!(to_rsa.destination_key_material_id.is_none());
    assert_eq!(
        to_rsa.source_key_material_id.as_ref().map(String::len),
        Some(64)
    );
    let back = client
        .re_encrypt()
        .ciphertext_blob(to_rsa.ciphertext_blob.unwrap())
        .source_key_id(&rsa)
        .source_encryption_algorithm(Enc::RsaesOaepSha256)
        .destination_key_id(&symmetric)
        .destination_encryption_context("c", "d")
        .send()
        .await
        .unwrap();
    let plain = decrypt_with_context(&client, back.ciphertext_blob.unwrap(), &[("c", "d")]).await;
    assert_eq!(plain, b"hop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_secrets_match_an_independent_ecdh() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    for (spec, command) in [
        (KeySpec::EccNistP256, "ecdh"),
        (KeySpec::EccNistP384, "ecdh"),
        (KeySpec::EccNistP521, "ecdh"),
        (KeySpec::Sm2, "sm2-ecdh"),
    ] {
        let key = create_key_with(&client, spec.clone(), KeyUsageType::KeyAgreement).await;
        let info = client.get_public_key().key_id(&key).send().await.unwrap();
        assert_eq!(
            info.key_agreement_algorithms(),
            [KeyAgreementAlgorithmSpec::Ecdh]
        );
        let public = write(
            dir.path(),
            "kms.der",
            &info.public_key.unwrap().into_inner(),
        );
        let peer_path = dir.path().join("peer.der");
        let expected = crosscheck(&[command, &public, peer_path.to_str().unwrap()]);
        let out = client
            .derive_shared_secret()
            .key_id(&key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(std::fs::read(&peer_path).unwrap()))
            .send()
            .await
            .unwrap();
        let secret = out.shared_secret.unwrap().into_inner();
        assert_eq!(hex(&secret), expected, "{spec:?}");
        assert_eq!(
            out.key_agreement_algorithm,
            Some(KeyAgreementAlgorithmSpec::Ecdh)
        );
        // Garbage, or a key on another curve, is refused.
        check_error(
            client
                .derive_shared_secret()
                .key_id(&key)
                .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
                .public_key(Blob::new(b"not a key".to_vec()))
                .send()
                .await,
            "ValidationException",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_key_pairs_of_every_spec() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let wrapping = create_key(&client).await;
    let dir = tempfile::tempdir().unwrap();
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::Rsa3072,
        DataKeyPairSpec::Rsa4096,
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP384,
        DataKeyPairSpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256K1,
        DataKeyPairSpec::Sm2,
        DataKeyPairSpec::EccNistEdwards25519,
        DataKeyPairSpec::MlKem512,
        DataKeyPairSpec::MlKem768,
        DataKeyPairSpec::MlKem1024,
    ] {
        let out = client
            .generate_data_key_pair()
            .key_id(&wrapping)
            .key_pair_spec(spec.clone())
            .encryption_context("purpose", "pair")
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_pair_spec, Some(spec.clone()));
        let private = out.private_key_plaintext.unwrap().into_inner();
        let public = out.public_key.unwrap().into_inner();
        let private_path = write(dir.path(), "priv.der", &private);
        let public_path = write(dir.path(), "pub.der", &public);
        if spec.as_str().starts_with("ML_KEM_") {
            // AWS: "the DER-encoded PKCS8 PrivateKeyInfo contains the private key in seed
            // format", so it is as long for every ML-KEM spec.
            assert_eq!(private.len(), 86, "{spec:?}");
        }
        if spec == DataKeyPairSpec::Sm2 {
            // cryptography has no SM2: let OpenSSL derive the public key from the PKCS#8 key.
            let derived = openssl(&[
                "pkey",
                "-inform",
                "DER",
                "-in",
                &private_path,
                "-pubout",
                "-outform",
                "DER",
            ]);
            assert_eq!(derived, public);
        } else {
            crosscheck(&["pair", &private_path, &public_path]);
        }
        // The encrypted copy decrypts, under the same context, to the same private key.
        let back = client
            .decrypt()
            .ciphertext_blob(out.private_key_ciphertext_blob.unwrap())
            .encryption_context("purpose", "pair")
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap().into_inner(), private, "{spec:?}");
    }
    let without = client
        .generate_data_key_pair_without_plaintext()
        .key_id(&wrapping)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await
        .unwrap();
    assert!(without.public_key.is_some());
    let private = client
        .decrypt()
        .ciphertext_blob(without.private_key_ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner();
    crosscheck(&[
        "pair",
        &write(dir.path(), "priv.der", &private),
        &write(
            dir.path(),
            "pub.der",
            &without.public_key.unwrap().into_inner(),
        ),
    ]);
    // Data key pairs are wrapped by symmetric encryption keys only.
    let rsa = create_key_with(&client, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    check_error(
        client
            .generate_data_key_pair()
            .key_id(&rsa)
            .key_pair_spec(DataKeyPairSpec::EccNistP256)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hmac_keys_generate_and_verify_macs() {
    let server = TestServer::start().await;
    let client = server.client();
    for (spec, alg, len) in [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, 28),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, 32),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, 48),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512, 64),
    ] {
        let key = create_key_with(&client, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
        let meta = metadata(&client, &key).await;
        assert_eq!(meta.mac_algorithms(), std::slice::from_ref(&alg));
        assert!(meta.encryption_algorithms().is_empty());
        let mac = client
            .generate_mac()
            .key_id(&key)
            .mac_algorithm(alg.clone())
            .message(Blob::new(b"authenticate me".to_vec()))
            .send()
            .await
            .unwrap();
        assert_eq!(mac.mac_algorithm, Some(alg.clone()));
        let tag = mac.mac.unwrap().into_inner();
        assert_eq!(tag.len(), len);
        let ok = client
            .verify_mac()
            .key_id(&key)
            .mac_algorithm(alg.clone())
            .message(Blob::new(b"authenticate me".to_vec()))
            .mac(Blob::new(tag.clone()))
            .send()
            .await
            .unwrap();
        assert!(ok.mac_valid);
        let message = check_error(
            client
                .verify_mac()
                .key_id(&key)
                .mac_algorithm(alg.clone())
                .message(Blob::new(b"authenticate mE".to_vec()))
                .mac(Blob::new(tag))
                .send()
                .await,
            "KMSInvalidMacException",
        );
        assert_eq!(message, "");
        let wrong = if alg == MacAlgorithmSpec::HmacSha256 {
            MacAlgorithmSpec::HmacSha512
        } else {
            MacAlgorithmSpec::HmacSha256
        };
        check_error(
            client
                .generate_mac()
                .key_id(&key)
                .mac_algorithm(wrong)
                .message(Blob::new(b"x".to_vec()))
                .send()
                .await,
            "InvalidKeyUsageException",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_usage_and_algorithm_errors() {
    let server = TestServer::start().await;
    let client = server.client();
    let symmetric = create_key(&client).await;
    let rsa_sign = create_key_with(&client, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let p256 = create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let hmac = create_key_with(&client, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    let message = check_error(
        try_sign(&client, &symmetric, Alg::EcdsaSha256, b"x", None).await,
        "InvalidKeyUsageException",
    );
    assert_eq!(message, wrong_usage(&symmetric, "ENCRYPT_DECRYPT", "Sign"));
    let message = check_error(
        client
            .encrypt()
            .key_id(&hmac)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    assert_eq!(
        message,
        wrong_usage(&hmac, "GENERATE_VERIFY_MAC", "Encrypt")
    );
    check_error(
        client
            .encrypt()
            .key_id(&rsa_sign)
            .encryption_algorithm(Enc::RsaesOaepSha256)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    check_error(
        client
            .generate_mac()
            .key_id(&p256)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    check_error(
        client
            .derive_shared_secret()
            .key_id(&p256)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    check_error(
        client
            .generate_data_key()
            .key_id(&rsa_sign)
            .number_of_bytes(16)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    // The algorithm must suit the key.
    check_error(
        try_sign(&client, &p256, Alg::EcdsaSha384, b"x", None).await,
        "InvalidKeyUsageException",
    );
    check_error(
        try_sign(&client, &rsa_sign, Alg::EcdsaSha256, b"x", None).await,
        "InvalidKeyUsageException",
    );
    check_error(
        try_sign(
            &client,
            &p256,
            Alg::EcdsaSha256,
            &[0; 64],
            Some(MessageType::ExternalMu),
        )
        .await,
        "ValidationException",
    );
    check_error(
        try_sign(&client, &p256, Alg::EcdsaSha256, &[0; 4097], None).await,
        "ValidationException",
    );
    // No public key for symmetric or HMAC keys.
    for key in [&symmetric, &hmac] {
        check_error(
            client.get_public_key().key_id(key).send().await,
            "UnsupportedOperationException",
        );
    }
    // Spec and usage must go together; non-symmetric specs need a KeyUsage.
    for (spec, usage) in [
        (KeySpec::EccSecgP256K1, Some(KeyUsageType::KeyAgreement)),
        (KeySpec::MlDsa65, Some(KeyUsageType::EncryptDecrypt)),
        (KeySpec::Hmac256, Some(KeyUsageType::SignVerify)),
        (
            KeySpec::EccNistEdwards25519,
            Some(KeyUsageType::KeyAgreement),
        ),
        (KeySpec::Rsa2048, Some(KeyUsageType::KeyAgreement)),
        (KeySpec::Hmac384, None),
    ] {
        check_error(
            client
                .create_key()
                .key_spec(spec)
                .set_key_usage(usage)
                .send()
                .await,
            "ValidationException",
        );
    }
    // A disabled signing key is refused like any other.
    client.disable_key().key_id(&p256).send().await.unwrap();
    check_error(
        try_sign(&client, &p256, Alg::EcdsaSha256, b"x", None).await,
        "DisabledException",
    );
    check_error(
        client.get_public_key().key_id(&p256).send().await,
        "DisabledException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asymmetric_and_hmac_keys_survive_a_restart() {
    let server = start_with_rsa_keys().await;
    let client = server.client();
    let specs = [
        (
            KeySpec::Rsa2048,
            KeyUsageType::SignVerify,
            Some(Alg::RsassaPssSha256),
        ),
        (
            KeySpec::EccNistP384,
            KeyUsageType::SignVerify,
            Some(Alg::EcdsaSha384),
        ),
        (
            KeySpec::EccSecgP256K1,
            KeyUsageType::SignVerify,
            Some(Alg::EcdsaSha256),
        ),
        (
            KeySpec::EccNistEdwards25519,
            KeyUsageType::SignVerify,
            Some(Alg::Ed25519Sha512),
        ),
        (
            KeySpec::MlDsa44,
            KeyUsageType::SignVerify,
            Some(Alg::MlDsaShake256),
        ),
        (KeySpec::Sm2, KeyUsageType::SignVerify, Some(Alg::Sm2Dsa)),
        (KeySpec::EccNistP256, KeyUsageType::KeyAgreement, None),
        (
            KeySpec::MlKem1024,
            KeyUsageType::EncapsulateDecapsulate,
            None,
        ),
    ];
    let mut before = Vec::new();
    for (spec, usage, alg) in &specs {
        let key = create_key_with(&client, spec.clone(), usage.clone()).await;
        let public = public_key(&client, &key).await;
        let signature = match alg {
            Some(alg) => Some(sign(&client, &key, alg.clone(), b"persist", MessageType::Raw).await),
            None => None,
        };
        before.push((key, public, signature));
    }
    let rsa_enc =
        create_key_or_fixture(&client, KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt).await;
    let rsa_blob = client
        .encrypt()
        .key_id(&rsa_enc)
        .encryption_algorithm(Enc::RsaesOaepSha1)
        .plaintext(Blob::new(b"old rsa".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let hmac = create_key_with(&client, KeySpec::Hmac512, KeyUsageType::GenerateVerifyMac).await;
    let tag = client
        .generate_mac()
        .key_id(&hmac)
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .message(Blob::new(b"persist".to_vec()))
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();

    let server = server.restart().await;
    let client = server.client();
    for ((_, _, alg), (key, public, signature)) in specs.iter().zip(&before) {
        assert_eq!(&public_key(&client, key).await, public);
        if let (Some(alg), Some(signature)) = (alg, signature) {
            check_verify(
                &client,
                key,
                alg.clone(),
                b"persist",
                MessageType::Raw,
                signature,
            )
            .await;
        }
    }
    let back = client
        .decrypt()
        .key_id(&rsa_enc)
        .encryption_algorithm(Enc::RsaesOaepSha1)
        .ciphertext_blob(rsa_blob)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().into_inner(), b"old rsa");
    let ok = client
        .verify_mac()
        .key_id(&hmac)
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .message(Blob::new(b"persist".to_vec()))
        .mac(tag)
        .send()
        .await
        .unwrap();
    assert!(ok.mac_valid);
}
