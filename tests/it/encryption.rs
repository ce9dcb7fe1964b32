//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom, and the key
//! state rules of cryptographic operations.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};

use crate::support::arns::key_arn as arn;
use crate::support::errors::{disabled, key_not_found, pending_deletion};
use crate::support::keys::{decrypt, encrypt, encrypt_with_context};
use crate::support::lifecycle::schedule_deletion;
use crate::support::{TestServer, check_error, create_key, metadata};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_decrypt_round_trip() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let material = metadata(&client, &key_id)
        .await
        .current_key_material_id
        .unwrap();

    for plaintext in [vec![0u8], b"hello kmsd".to_vec(), vec![0xab; 4096]] {
        let out = client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(plaintext.clone()))
            .encryption_context("purpose", "test")
            .encryption_context("tenant", "42")
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_id.as_deref(), Some(arn(&key_id).as_str()));
        assert_eq!(
            out.encryption_algorithm,
            Some(EncryptionAlgorithmSpec::SymmetricDefault)
        );
        let blob = out.ciphertext_blob.unwrap();
        assert!(blob.as_ref().len() <= 6144);
        assert_ne!(blob.as_ref(), plaintext.as_slice());

        // Decrypt needs no KeyId: the blob names its key.
        let back = client
            .decrypt()
            .ciphertext_blob(blob.clone())
            .encryption_context("tenant", "42")
            .encryption_context("purpose", "test")
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap().into_inner(), plaintext);
        assert_eq!(back.key_id.as_deref(), Some(arn(&key_id).as_str()));
        assert_eq!(
            back.encryption_algorithm,
            Some(EncryptionAlgorithmSpec::SymmetricDefault)
        );
        assert_eq!(back.key_material_id.as_deref(), Some(material.as_str()));

        // With the right KeyId, in any form, it works too.
        let back = client
            .decrypt()
            .key_id(arn(&key_id))
            .ciphertext_blob(blob)
            .encryption_context("tenant", "42")
            .encryption_context("purpose", "test")
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap().into_inner(), plaintext);
    }

    // Two encryptions of the same plaintext differ (fresh nonce).
    let a = encrypt(&client, &key_id, b"same").await;
    let b = encrypt(&client, &key_id, b"same").await;
    assert_ne!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decrypt_failures() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let other = create_key(&client).await;
    let blob = encrypt_with_context(&client, &key_id, b"secret", &[("a", "bc")])
        .await
        .into_inner();

    // Another key named explicitly.
    let message = check_error(
        client
            .decrypt()
            .key_id(&other)
            .ciphertext_blob(Blob::new(blob.clone()))
            .encryption_context("a", "bc")
            .send()
            .await,
        "IncorrectKeyException",
    );
    assert_eq!(
        message,
        "The key ID in the request does not identify a CMK that can perform this operation."
    );
    // A different context, or none, or one that only differs in how it is split.
    for context in [
        vec![],
        vec![("a", "bd")],
        vec![("ab", "c")],
        vec![("a", "bc"), ("x", "y")],
    ] {
        let mut request = client.decrypt().ciphertext_blob(Blob::new(blob.clone()));
        for (k, v) in &context {
            request = request.encryption_context(*k, *v);
        }
        let message = check_error(request.send().await, "InvalidCiphertextException");
        assert_eq!(message, "", "{context:?}");
    }
    // Every single-bit flip is caught, in the header as well as the ciphertext.
    for i in (0..blob.len()).step_by(7) {
        let mut tampered = blob.clone();
        tampered[i] ^= 0x01;
        let result = client
            .decrypt()
            .ciphertext_blob(Blob::new(tampered))
            .encryption_context("a", "bc")
            .send()
            .await;
        let error = result.expect_err("tampered blob must not decrypt");
        let code = aws_sdk_kms::error::ProvideErrorMetadata::code(&error)
            .unwrap()
            .to_owned();
        assert!(
            code == "InvalidCiphertextException" || code == "NotFoundException",
            "byte {i}: {code}"
        );
    }
    check_error(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(b"not a kmsd ciphertext".to_vec()))
            .send()
            .await,
        "InvalidCiphertextException",
    );
    // Symmetric keys only take SYMMETRIC_DEFAULT.
    check_error(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(blob.clone()))
            .encryption_context("a", "bc")
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    check_error(
        client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"x".to_vec()))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_limits() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let message = check_error(
        client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(vec![1u8; 4097]))
            .send()
            .await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: \
         Member must have length less than or equal to 4096"
    );
    let message = check_error(
        client.encrypt().key_id(&key_id).send().await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value null at 'plaintext' failed to satisfy constraint: \
         Member must not be null"
    );
    let message = check_error(client.encrypt().send().await, "ValidationException");
    assert!(
        message.starts_with("2 validation errors detected: "),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_state_rules_for_cryptographic_operations() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let blob = encrypt(&client, &key_id, b"data").await;

    client.disable_key().key_id(&key_id).send().await.unwrap();
    let disabled = disabled(&key_id);
    let message = check_error(
        client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "DisabledException",
    );
    assert_eq!(message, disabled);
    let message = check_error(
        client.decrypt().ciphertext_blob(blob.clone()).send().await,
        "DisabledException",
    );
    assert_eq!(message, disabled);
    check_error(
        client
            .generate_data_key()
            .key_id(&key_id)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await,
        "DisabledException",
    );

    client.enable_key().key_id(&key_id).send().await.unwrap();
    schedule_deletion(&client, &key_id, None).await;
    let pending = pending_deletion(&key_id);
    let message = check_error(
        client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, pending);
    let message = check_error(
        client.decrypt().ciphertext_blob(blob.clone()).send().await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, pending);
    check_error(
        client
            .generate_data_key_without_plaintext()
            .key_id(&key_id)
            .number_of_bytes(8)
            .send()
            .await,
        "KMSInvalidStateException",
    );

    // After cancelling, the key is Disabled; after enabling, old ciphertexts decrypt again.
    client
        .cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    check_error(
        client.decrypt().ciphertext_blob(blob.clone()).send().await,
        "DisabledException",
    );
    client.enable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(decrypt(&client, blob).await, b"data");

    let missing = "0b7fb8d4-5b1f-4a8e-9b43-9d0c3f6c1a11";
    let message = check_error(
        client
            .encrypt()
            .key_id(missing)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "NotFoundException",
    );
    assert_eq!(message, key_not_found(missing));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_encrypt_moves_ciphertext_between_keys() {
    let server = TestServer::start().await;
    let client = server.client();
    let source = create_key(&client).await;
    let destination = create_key(&client).await;
    let blob = encrypt_with_context(&client, &source, b"moving", &[("from", "a")]).await;

    let out = client
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_encryption_context("from", "a")
        .destination_key_id(&destination)
        .destination_encryption_context("to", "b")
        .send()
        .await
        .unwrap();
    assert_eq!(out.source_key_id.as_deref(), Some(arn(&source).as_str()));
    assert_eq!(out.key_id.as_deref(), Some(arn(&destination).as_str()));
    assert_eq!(
        out.source_encryption_algorithm,
        Some(EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(
        out.destination_encryption_algorithm,
        Some(EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(
        out.source_key_material_id.as_ref().map(String::len),
        Some(64)
    );
    assert_eq!(
        out.destination_key_material_id.as_ref().map(String::len),
        Some(64)
    );
    let moved = out.ciphertext_blob.unwrap();

    let back = client
        .decrypt()
        .ciphertext_blob(moved.clone())
        .encryption_context("to", "b")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().into_inner(), b"moving");
    assert_eq!(back.key_id.as_deref(), Some(arn(&destination).as_str()));

    check_error(
        client
            .re_encrypt()
            .ciphertext_blob(blob.clone())
            .destination_key_id(&destination)
            .send()
            .await,
        "InvalidCiphertextException",
    );
    check_error(
        client
            .re_encrypt()
            .ciphertext_blob(blob.clone())
            .source_encryption_context("from", "a")
            .source_key_id(&destination)
            .destination_key_id(&destination)
            .send()
            .await,
        "IncorrectKeyException",
    );
    let message = check_error(
        client.re_encrypt().ciphertext_blob(blob).send().await,
        "ValidationException",
    );
    assert!(message.contains("'destinationKeyId'"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_data_keys() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;

    for (spec, len) in [(DataKeySpec::Aes256, 32), (DataKeySpec::Aes128, 16)] {
        let out = client
            .generate_data_key()
            .key_id(&key_id)
            .key_spec(spec)
            .encryption_context("k", "v")
            .send()
            .await
            .unwrap();
        let plaintext = out.plaintext.unwrap().into_inner();
        assert_eq!(plaintext.len(), len);
        assert_eq!(out.key_id.as_deref(), Some(arn(&key_id).as_str()));
        let back = client
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob.unwrap())
            .encryption_context("k", "v")
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap().into_inner(), plaintext);
    }
    for n in [1, 1024] {
        let out = client
            .generate_data_key()
            .key_id(&key_id)
            .number_of_bytes(n)
            .send()
            .await
            .unwrap();
        assert_eq!(out.plaintext.unwrap().as_ref().len(), n as usize);
    }
    let without = client
        .generate_data_key_without_plaintext()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    let back = client
        .decrypt()
        .ciphertext_blob(without.ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref().len(), 32);

    for request in [
        client.generate_data_key().key_id(&key_id),
        client
            .generate_data_key()
            .key_id(&key_id)
            .number_of_bytes(32)
            .key_spec(DataKeySpec::Aes256),
    ] {
        let message = check_error(request.send().await, "ValidationException");
        assert_eq!(
            message,
            "Please specify either number of bytes or key spec."
        );
    }
    for (n, bound) in [
        (0, "greater than or equal to 1"),
        (1025, "less than or equal to 1024"),
    ] {
        let message = check_error(
            client
                .generate_data_key()
                .key_id(&key_id)
                .number_of_bytes(n)
                .send()
                .await,
            "ValidationException",
        );
        assert_eq!(
            message,
            format!(
                "1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy \
                 constraint: Member must have value {bound}"
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_random_and_dry_run() {
    let server = TestServer::start().await;
    let client = server.client();
    let a = client
        .generate_random()
        .number_of_bytes(1024)
        .send()
        .await
        .unwrap();
    let b = client
        .generate_random()
        .number_of_bytes(1024)
        .send()
        .await
        .unwrap();
    let (a, b) = (
        a.plaintext.unwrap().into_inner(),
        b.plaintext.unwrap().into_inner(),
    );
    assert_eq!(a.len(), 1024);
    assert_ne!(a, b);
    check_error(
        client.generate_random().number_of_bytes(1025).send().await,
        "ValidationException",
    );
    let message = check_error(client.generate_random().send().await, "ValidationException");
    assert_eq!(message, "NumberOfBytes is required.");

    let key_id = create_key(&client).await;
    let message = check_error(
        client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"x".to_vec()))
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    assert_eq!(
        message,
        "The request would have succeeded, but the DryRun option is set."
    );
    // A dry run of a request that would fail reports the real failure.
    client.disable_key().key_id(&key_id).send().await.unwrap();
    check_error(
        client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"x".to_vec()))
            .dry_run(true)
            .send()
            .await,
        "DisabledException",
    );
}
