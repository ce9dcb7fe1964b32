//! ML-KEM keys (ML_KEM_512/768/1024, ENCAPSULATE_DECAPSULATE), checked against Python's
//! `cryptography` for ML-KEM-768 and ML-KEM-1024 and against the textbook FIPS 203 code in
//! tests/it/tools/crosscheck.py for ML-KEM-512, which `cryptography` lacks.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncapsulationAlgorithmSpec, KeySpec, KeyUsageType};

use crate::asymmetric::{create, crosscheck, public_key, tools_available, write};
use crate::support::{TestServer, check_error};

/// The ML-KEM key specs, their crosscheck names and their SubjectPublicKeyInfo lengths.
const ML_KEM: [(KeySpec, &str, usize); 3] = [
    (KeySpec::MlKem512, "ML-KEM-512", 822),
    (KeySpec::MlKem768, "ML-KEM-768", 1206),
    (KeySpec::MlKem1024, "ML-KEM-1024", 1590),
];

fn arn(id: &str) -> String {
    format!("arn:aws:kms:us-east-1:123456789012:key/{id}")
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
        let described = client
            .describe_key()
            .key_id(&created.key_id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
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
            Some(arn(&created.key_id).as_str())
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
                    .key_usage(usage)
                    .send()
                    .await,
                "ValidationException",
            );
            assert!(message.contains("ENCAPSULATE_DECAPSULATE"), "{message}");
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
    let key = create(
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
        format!(
            "{} key usage is ENCAPSULATE_DECAPSULATE which is not valid for Encrypt.",
            arn(&key)
        )
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
        format!(
            "{} key usage is ENCAPSULATE_DECAPSULATE which is not valid for Sign.",
            arn(&key)
        )
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
