//! ML-KEM keys (ML_KEM_512/768/1024, ENCAPSULATE_DECAPSULATE), checked against Python's
//! `cryptography` for ML-KEM-768 and ML-KEM-1024 and against the textbook FIPS 203 code in
//! tests/it/tools/crosscheck.py for ML-KEM-512, which `cryptography` lacks.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeyPairSpec, EncapsulationAlgorithmSpec, KeySpec, KeyUsageType};
use kmsd::crypto::asymmetric::{AsymmetricKey, KeyPairKind};

use crate::support::arns::{arn_of, key_arn};
use crate::support::errors::{alias_not_found, disabled, pending_deletion, wrong_usage};
use crate::support::keys::{create_alias, create_key_with, public_key};
use crate::support::lifecycle::schedule_deletion;
use crate::support::tools::{crosscheck, hex, tools_available, write};
use crate::support::{TestServer, check_error, create_key, metadata};

/// The ML-KEM key specs, their crosscheck names and their SubjectPublicKeyInfo lengths.
const ML_KEM: [(KeySpec, &str, usize); 3] = [
    (KeySpec::MlKem512, "ML-KEM-512", 822),
    (KeySpec::MlKem768, "ML-KEM-768", 1206),
    (KeySpec::MlKem1024, "ML-KEM-1024", 1590),
];

/// The ciphertext lengths AWS documents for each ML-KEM spec.
fn ciphertext_len(spec: &KeySpec) -> usize {
    match spec {
        KeySpec::MlKem512 => 768,
        KeySpec::MlKem768 => 1088,
        KeySpec::MlKem1024 => 1568,
        other => panic!("{other:?}"),
    }
}

/// Encapsulate through the SDK: (shared secret, ciphertext), after checking the response.
async fn encapsulate(client: &Client, key_id: &str) -> (Vec<u8>, Vec<u8>) {
    let out = client
        .encapsulate()
        .key_id(key_id)
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id.as_deref(), Some(arn_of(key_id).as_str()));
    assert_eq!(
        out.encapsulation_algorithm,
        Some(EncapsulationAlgorithmSpec::MlKem)
    );
    let secret = out.shared_secret.unwrap().into_inner();
    assert_eq!(secret.len(), 32);
    (
        secret,
        out.shared_secret_ciphertext_blob.unwrap().into_inner(),
    )
}

/// Decapsulate through the SDK, after checking the response.
async fn decapsulate(client: &Client, key_id: &str, ciphertext: &[u8]) -> Vec<u8> {
    let out = client
        .decapsulate()
        .key_id(key_id)
        .shared_secret_ciphertext_blob(Blob::new(ciphertext))
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id.as_deref(), Some(arn_of(key_id).as_str()));
    assert_eq!(
        out.encapsulation_algorithm,
        Some(EncapsulationAlgorithmSpec::MlKem)
    );
    let secret = out.shared_secret.unwrap().into_inner();
    assert_eq!(secret.len(), 32);
    secret
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(deprecated)] // To check that the deprecated CustomerMasterKeySpec is absent.
async fn ml_kem_keys_show_their_encapsulation_algorithm() {
    let server = TestServer::start().await;
    let client = server.client();
    for (spec, name, spki_len) in ML_KEM {
        let created = client
            .create_key()
            .key_spec(spec.clone())
            .key_usage(KeyUsageType::EncapsulateDecapsulate)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        let described = metadata(&client, &created.key_id).await;
        for meta in [&created, &described] {
            assert_eq!(meta.key_spec, Some(spec.clone()));
            assert_eq!(meta.key_usage, Some(KeyUsageType::EncapsulateDecapsulate));
            assert_eq!(
                meta.encapsulation_algorithms(),
                [EncapsulationAlgorithmSpec::MlKem]
            );
            assert!(meta.encryption_algorithms().is_empty());
            assert!(meta.signing_algorithms().is_empty());
            assert!(meta.mac_algorithms().is_empty());
            assert!(meta.key_agreement_algorithms().is_empty());
            // CustomerMasterKeySpec was deprecated before ML-KEM and has no value for it.
            assert_eq!(meta.customer_master_key_spec, None);
        }
        let public = client
            .get_public_key()
            .key_id(&created.key_id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            public.key_id.as_deref(),
            Some(key_arn(&created.key_id).as_str())
        );
        assert_eq!(public.key_spec, Some(spec.clone()));
        assert_eq!(public.key_usage, Some(KeyUsageType::EncapsulateDecapsulate));
        assert_eq!(
            public.encapsulation_algorithms(),
            [EncapsulationAlgorithmSpec::MlKem]
        );
        assert!(public.encryption_algorithms().is_empty());
        assert!(public.signing_algorithms().is_empty());
        assert!(public.key_agreement_algorithms().is_empty());
        assert_eq!(public.customer_master_key_spec, None);
        let der = public.public_key.unwrap().into_inner();
        assert_eq!(der.len(), spki_len, "{spec:?}");
        if tools_available() {
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "pub.der", &der);
            assert_eq!(crosscheck(&["describe", &path]), name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ml_kem_specs_go_only_with_encapsulate_decapsulate() {
    let server = TestServer::start().await;
    let client = server.client();
    for spec in [KeySpec::MlKem512, KeySpec::MlKem768, KeySpec::MlKem1024] {
        for usage in [
            KeyUsageType::EncryptDecrypt,
            KeyUsageType::SignVerify,
            KeyUsageType::GenerateVerifyMac,
            KeyUsageType::KeyAgreement,
        ] {
            let message = check_error(
                client
                    .create_key()
                    .key_spec(spec.clone())
                    .key_usage(usage.clone())
                    .send()
                    .await,
                "ValidationException",
            );
            assert_eq!(
                message,
                format!(
                    "KeyUsage {} is not compatible with KeySpec {}",
                    usage.as_str(),
                    spec.as_str()
                )
            );
        }
        let message = check_error(
            client.create_key().key_spec(spec).send().await,
            "ValidationException",
        );
        assert_eq!(
            message,
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption \
             keys."
        );
    }
    for spec in [
        None,
        Some(KeySpec::SymmetricDefault),
        Some(KeySpec::Rsa2048),
        Some(KeySpec::EccNistP256),
        Some(KeySpec::EccNistEdwards25519),
        Some(KeySpec::MlDsa65),
        Some(KeySpec::Hmac256),
        Some(KeySpec::Sm2),
    ] {
        check_error(
            client
                .create_key()
                .set_key_spec(spec)
                .key_usage(KeyUsageType::EncapsulateDecapsulate)
                .send()
                .await,
            "ValidationException",
        );
    }
    // Other operations refuse ML-KEM keys by their usage, with AWS's message.
    let key = create_key_with(
        &client,
        KeySpec::MlKem768,
        KeyUsageType::EncapsulateDecapsulate,
    )
    .await;
    let message = check_error(
        client
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    assert_eq!(
        message,
        wrong_usage(&key, "ENCAPSULATE_DECAPSULATE", "Encrypt")
    );
    let message = check_error(
        client
            .sign()
            .key_id(&key)
            .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::MlDsaShake256)
            .message(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    assert_eq!(
        message,
        wrong_usage(&key, "ENCAPSULATE_DECAPSULATE", "Sign")
    );
    check_error(
        client
            .derive_shared_secret()
            .key_id(&key)
            .key_agreement_algorithm(aws_sdk_kms::types::KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(public_key(&client, &key).await))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    check_error(
        client
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(aws_sdk_kms::types::DataKeyPairSpec::MlKem768)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encapsulation_agrees_with_an_independent_ml_kem() {
    if !tools_available() {
        return;
    }
    // The textbook ML-KEM that stands in for ML-KEM-512 agrees with cryptography first.
    crosscheck(&["mlkem-selftest"]);
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = Vec::new();
    for (spec, _, _) in ML_KEM {
        let key =
            create_key_with(&client, spec.clone(), KeyUsageType::EncapsulateDecapsulate).await;
        let public = write(dir.path(), "pub.der", &public_key(&client, &key).await);

        // kmsd encapsulates, kmsd decapsulates.
        let (secret, ciphertext) = encapsulate(&client, &key).await;
        assert_eq!(ciphertext.len(), ciphertext_len(&spec), "{spec:?}");
        assert_eq!(decapsulate(&client, &key, &ciphertext).await, secret);
        let (again, _) = encapsulate(&client, &key).await;
        assert_ne!(again, secret, "every Encapsulate makes a fresh secret");

        // Encapsulated offline to the public key from GetPublicKey, decapsulated by kmsd.
        let ciphertext_path = dir.path().join("ct");
        let expected = crosscheck(&["mlkem-encap", &public, ciphertext_path.to_str().unwrap()]);
        let offline = std::fs::read(&ciphertext_path).unwrap();
        assert_eq!(
            hex(&decapsulate(&client, &key, &offline).await),
            expected,
            "{spec:?}"
        );

        // Implicit rejection: an altered ciphertext still yields 32 bytes, not the secret.
        let mut altered = ciphertext.clone();
        altered[100] ^= 0x40;
        let rejected = decapsulate(&client, &key, &altered).await;
        assert_ne!(rejected, secret);
        assert_eq!(decapsulate(&client, &key, &altered).await, rejected);
        keys.push((spec, key, ciphertext, secret));
    }
    // A ciphertext of another key of the same spec also decapsulates, to another secret.
    let other = create_key_with(
        &client,
        KeySpec::MlKem768,
        KeyUsageType::EncapsulateDecapsulate,
    )
    .await;
    let (_, _, ciphertext, secret) = &keys[1];
    assert_ne!(decapsulate(&client, &other, ciphertext).await, *secret);
    // Only the length is checked: the ciphertext of another spec is refused.
    for (spec, key, _, _) in &keys {
        for (other_spec, _, ciphertext, _) in &keys {
            if spec == other_spec {
                continue;
            }
            let message = check_error(
                client
                    .decapsulate()
                    .key_id(key)
                    .shared_secret_ciphertext_blob(Blob::new(ciphertext.clone()))
                    .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
                    .send()
                    .await,
                "InvalidCiphertextException",
            );
            assert!(
                message.contains(&format!("are {} bytes", ciphertext_len(spec))),
                "{message}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ml_kem_data_key_pairs_work_outside_kmsd() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let wrapping = create_key(&client).await;
    let dir = tempfile::tempdir().unwrap();
    for (spec, kind, oid_arc, len) in [
        (DataKeyPairSpec::MlKem512, KeyPairKind::MlKem512, 1, 768),
        (DataKeyPairSpec::MlKem768, KeyPairKind::MlKem768, 2, 1088),
        (DataKeyPairSpec::MlKem1024, KeyPairKind::MlKem1024, 3, 1568),
    ] {
        let out = client
            .generate_data_key_pair()
            .key_id(&wrapping)
            .key_pair_spec(spec.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_pair_spec, Some(spec.clone()));
        let private = out.private_key_plaintext.unwrap().into_inner();
        let public = out.public_key.unwrap().into_inner();
        // Seed-form PKCS#8: PrivateKeyInfo { v1, id-alg-ml-kem-N, [0] IMPLICIT seed (64) }.
        let prefix = format!("3054020100300b06096086480165030404{oid_arc:02x}04428040");
        assert_eq!(hex(&private[..22]), prefix, "{spec:?}");
        let private_path = write(dir.path(), "priv.der", &private);
        let public_path = write(dir.path(), "pub.der", &public);
        crosscheck(&["pair", &private_path, &public_path]);

        // Offline encapsulation to the public key; offline decapsulation with the private key.
        let ciphertext_path = dir.path().join("ct");
        let ciphertext = ciphertext_path.to_str().unwrap();
        let secret = crosscheck(&["mlkem-encap", &public_path, ciphertext]);
        assert_eq!(
            crosscheck(&["mlkem-decap", &private_path, ciphertext]),
            secret
        );

        // The encapsulation code behind kmsd's Encapsulate, run on this key pair, makes a
        // ciphertext that the independent implementation decapsulates to the same secret.
        let pair = AsymmetricKey::from_private_bytes(kind, &private[22..]).unwrap();
        assert_eq!(pair.public_key_der().unwrap(), public);
        let sent = pair.encapsulate().unwrap();
        assert_eq!(sent.ciphertext.len(), len);
        std::fs::write(&ciphertext_path, &sent.ciphertext).unwrap();
        assert_eq!(
            crosscheck(&["mlkem-decap", &private_path, ciphertext]),
            hex(&sent.shared_secret),
            "{spec:?}"
        );
    }
    let without = client
        .generate_data_key_pair_without_plaintext()
        .key_id(&wrapping)
        .key_pair_spec(DataKeyPairSpec::MlKem1024)
        .encryption_context("use", "kem")
        .send()
        .await
        .unwrap();
    let private = client
        .decrypt()
        .ciphertext_blob(without.private_key_ciphertext_blob.unwrap())
        .encryption_context("use", "kem")
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner();
    assert_eq!(private.len(), 86);
    crosscheck(&[
        "pair",
        &write(dir.path(), "priv.der", &private),
        &write(
            dir.path(),
            "pub.der",
            &without.public_key.unwrap().into_inner(),
        ),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encapsulation_errors() {
    let server = TestServer::start().await;
    let client = server.client();
    let kem = create_key_with(
        &client,
        KeySpec::MlKem512,
        KeyUsageType::EncapsulateDecapsulate,
    )
    .await;
    let (_, ciphertext) = encapsulate(&client, &kem).await;

    // Keys of any other usage, with AWS's message.
    let symmetric = create_key(&client).await;
    let ml_dsa = create_key_with(&client, KeySpec::MlDsa65, KeyUsageType::SignVerify).await;
    let rsa = create_key_with(&client, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let ecdh = create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    for (key, usage) in [
        (&symmetric, "ENCRYPT_DECRYPT"),
        (&ml_dsa, "SIGN_VERIFY"),
        (&rsa, "ENCRYPT_DECRYPT"),
        (&ecdh, "KEY_AGREEMENT"),
    ] {
        let message = check_error(
            client
                .encapsulate()
                .key_id(key)
                .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
                .send()
                .await,
            "InvalidKeyUsageException",
        );
        assert_eq!(message, wrong_usage(key, usage, "Encapsulate"));
        let message = check_error(
            client
                .decapsulate()
                .key_id(key)
                .shared_secret_ciphertext_blob(Blob::new(ciphertext.clone()))
                .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
                .send()
                .await,
            "InvalidKeyUsageException",
        );
        assert_eq!(message, wrong_usage(key, usage, "Decapsulate"));
    }

    // Aliases and ARNs name ML-KEM keys like any other.
    create_alias(&client, "alias/kem", &kem).await;
    let out = client
        .encapsulate()
        .key_id("alias/kem")
        .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id, Some(key_arn(&kem)));
    let by_alias = out.shared_secret_ciphertext_blob.unwrap().into_inner();
    assert_eq!(
        decapsulate(&client, &key_arn(&kem), &by_alias).await,
        out.shared_secret.unwrap().into_inner()
    );
    let message = check_error(
        client
            .encapsulate()
            .key_id("alias/none")
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await,
        "NotFoundException",
    );
    assert_eq!(message, alias_not_found("alias/none"));

    // A ciphertext whose length is not the spec's; an empty one breaks the model's constraint.
    for len in [1, 767, 769, 1088] {
        let message = check_error(
            client
                .decapsulate()
                .key_id(&kem)
                .shared_secret_ciphertext_blob(Blob::new(vec![7; len]))
                .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
                .send()
                .await,
            "InvalidCiphertextException",
        );
        assert_eq!(
            message,
            format!(
                "SharedSecretCiphertextBlob is {len} bytes, but ciphertexts of {} (KeySpec \
                 ML_KEM_512) are 768 bytes.",
                key_arn(&kem)
            )
        );
    }

    // DryRun: the checks run, nothing is computed.
    check_error(
        client
            .encapsulate()
            .key_id(&kem)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    check_error(
        client
            .decapsulate()
            .key_id(&kem)
            .shared_secret_ciphertext_blob(Blob::new(ciphertext.clone()))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    check_error(
        client
            .decapsulate()
            .key_id(&kem)
            .shared_secret_ciphertext_blob(Blob::new(vec![0; 10]))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .dry_run(true)
            .send()
            .await,
        "InvalidCiphertextException",
    );

    // Disabled, then pending deletion.
    client.disable_key().key_id(&kem).send().await.unwrap();
    let message = check_error(
        client
            .encapsulate()
            .key_id(&kem)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await,
        "DisabledException",
    );
    assert_eq!(message, disabled(&kem));
    let message = check_error(
        client
            .decapsulate()
            .key_id(&kem)
            .shared_secret_ciphertext_blob(Blob::new(ciphertext.clone()))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await,
        "DisabledException",
    );
    assert_eq!(message, disabled(&kem));
    schedule_deletion(&client, &kem, Some(7)).await;
    let message = check_error(
        client
            .decapsulate()
            .key_id(&kem)
            .shared_secret_ciphertext_blob(Blob::new(ciphertext))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, pending_deletion(&kem));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encapsulation_requests_are_validated() {
    let server = TestServer::start().await;
    let client = server.client();
    let kem = create_key_with(
        &client,
        KeySpec::MlKem768,
        KeyUsageType::EncapsulateDecapsulate,
    )
    .await;
    server
        .call("TrentService.Encapsulate", "{}")
        .await
        .assert_error(
            400,
            "ValidationException",
            Some(
                "2 validation errors detected: Value null at 'keyId' failed to satisfy \
                 constraint: Member must not be null; Value null at 'encapsulationAlgorithm' \
                 failed to satisfy constraint: Member must not be null",
            ),
        );
    server
        .call(
            "TrentService.Encapsulate",
            &format!(r#"{{"KeyId":"{kem}","EncapsulationAlgorithm":"ML_KEM_768"}}"#),
        )
        .await
        .assert_error(
            400,
            "ValidationException",
            Some(
                "1 validation error detected: Value 'ML_KEM_768' at 'encapsulationAlgorithm' \
                 failed to satisfy constraint: Member must satisfy enum value set: [ML_KEM]",
            ),
        );
    server
        .call("TrentService.Decapsulate", "{}")
        .await
        .assert_error(
            400,
            "ValidationException",
            Some(
                "3 validation errors detected: Value null at 'keyId' failed to satisfy \
                 constraint: Member must not be null; Value null at \
                 'sharedSecretCiphertextBlob' failed to satisfy constraint: Member must not be \
                 null; Value null at 'encapsulationAlgorithm' failed to satisfy constraint: \
                 Member must not be null",
            ),
        );
    let message = check_error(
        client
            .decapsulate()
            .key_id(&kem)
            .shared_secret_ciphertext_blob(Blob::new(vec![0; 6145]))
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await,
        "ValidationException",
    );
    assert!(
        message.contains("'sharedSecretCiphertextBlob' failed to satisfy constraint"),
        "{message}"
    );
    // A response is JSON 1.1 with base64 blobs, as the SDK parsed above; check the raw names.
    let raw = server
        .call(
            "TrentService.Encapsulate",
            &format!(r#"{{"KeyId":"{kem}","EncapsulationAlgorithm":"ML_KEM"}}"#),
        )
        .await
        .json();
    let mut names: Vec<&str> = raw
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "EncapsulationAlgorithm",
            "KeyId",
            "SharedSecret",
            "SharedSecretCiphertextBlob"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ml_kem_keys_decapsulate_after_a_restart() {
    let server = TestServer::start().await;
    let client = server.client();
    let mut before = Vec::new();
    for (spec, _, _) in ML_KEM {
        let key = create_key_with(&client, spec, KeyUsageType::EncapsulateDecapsulate).await;
        let public = public_key(&client, &key).await;
        let (secret, ciphertext) = encapsulate(&client, &key).await;
        before.push((key, public, secret, ciphertext));
    }
    let server = server.restart().await;
    let client = server.client();
    for (key, public, secret, ciphertext) in before {
        assert_eq!(public_key(&client, &key).await, public);
        assert_eq!(decapsulate(&client, &key, &ciphertext).await, secret);
    }
}
