//! Answers exactly as AWS gives them: error precedence, response forms, messages, alias rules
//! and AWS managed keys (issue 13). Each test names the item it pins.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;

use crate::support::{
    ACCOUNT, REGION, TestServer, aliases_with_keys, check_error, create_key, key_state, metadata,
};

async fn create(client: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    client
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

async fn encrypt(client: &Client, key_id: &str) -> Vec<u8> {
    client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(b"parity".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
        .into_inner()
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Item 1: a KeyId that is not the ciphertext's key is IncorrectKeyException, even when that
/// key could not decrypt anything anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wrong_key_for_a_ciphertext_comes_before_key_usage() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    let blob = encrypt(&client, &key).await;
    let hmac = create(&client, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let signing = create(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let incorrect = "The key ID in the request does not identify a CMK that can perform this \
                     operation.";
    for other in [&hmac, &signing] {
        let message = check_error(
            client
                .decrypt()
                .key_id(other)
                .ciphertext_blob(Blob::new(blob.clone()))
                .send()
                .await,
            "IncorrectKeyException",
        );
        assert_eq!(message, incorrect);
        let message = check_error(
            client
                .re_encrypt()
                .source_key_id(other)
                .destination_key_id(&key)
                .ciphertext_blob(Blob::new(blob.clone()))
                .send()
                .await,
            "IncorrectKeyException",
        );
        assert_eq!(message, incorrect);
    }
}

/// Item 2: DryRunOperationException is a 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_answers_400() {
    let server = TestServer::start().await;
    let key = create_key(&server.client()).await;
    let body = json!({"KeyId": key, "Plaintext": b64(b"x"), "DryRun": true}).to_string();
    server
        .call("TrentService.Encrypt", &body)
        .await
        .assert_error(
            400,
            "DryRunOperationException",
            Some("The request would have succeeded, but the DryRun option is set."),
        );
}

/// Item 3: a blob whose header names no well-formed key is InvalidCiphertextException, with no
/// message and nothing of the blob echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_header_is_an_invalid_ciphertext() {
    let server = TestServer::start().await;
    let key = create_key(&server.client()).await;
    let blob = encrypt(&server.client(), &key).await;
    // Version, account length, 12 account digits, key id length, then the key id.
    let at = 1 + 1 + 12 + 1;
    for damage in [[0x01u8, 0x02], *b"GG"] {
        let mut tampered = blob.clone();
        tampered[at..at + 2].copy_from_slice(&damage);
        let body = json!({"CiphertextBlob": b64(&tampered)}).to_string();
        let response = server.call("TrentService.Decrypt", &body).await;
        response.assert_error(400, "InvalidCiphertextException", None);
        assert!(
            response.json().get("message").is_none(),
            "{:?}",
            response.json()
        );
    }
}

/// Item 4: an ARN of another partition does not find the `aws` partition's key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_of_another_partition_do_not_resolve() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    for partition in ["aws-cn", "aws-us-gov"] {
        let arn = format!("arn:{partition}:kms:{REGION}:{ACCOUNT}:key/{key}");
        let message = check_error(
            client.describe_key().key_id(&arn).send().await,
            "NotFoundException",
        );
        assert_eq!(message, format!("Key '{arn}' does not exist"));
        check_error(
            client
                .encrypt()
                .key_id(&arn)
                .plaintext(Blob::new(b"x".to_vec()))
                .send()
                .await,
            "NotFoundException",
        );
    }
    // The `aws` partition's ARN still works.
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}");
    client.describe_key().key_id(&arn).send().await.unwrap();
}

/// Item 5: operations documented as taking a key ID or key ARN refuse aliases, and change
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_id_only_operations_refuse_aliases() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    client
        .create_alias()
        .alias_name("alias/mine")
        .target_key_id(&key)
        .send()
        .await
        .unwrap();
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/mine");
    let grant_id = "0".repeat(64);
    let policy = r#"{"Statement": []}"#;
    for alias in ["alias/mine", alias_arn.as_str()] {
        for (operation, extra) in [
            ("EnableKey", json!({})),
            ("DisableKey", json!({})),
            ("EnableKeyRotation", json!({})),
            ("DisableKeyRotation", json!({})),
            ("GetKeyRotationStatus", json!({})),
            ("RotateKeyOnDemand", json!({})),
            ("ListKeyRotations", json!({})),
            ("GetKeyPolicy", json!({"PolicyName": "default"})),
            (
                "PutKeyPolicy",
                json!({"PolicyName": "default", "Policy": policy}),
            ),
            ("ListKeyPolicies", json!({})),
            ("UpdateKeyDescription", json!({"Description": "changed"})),
            (
                "TagResource",
                json!({"Tags": [{"TagKey": "a", "TagValue": "b"}]}),
            ),
            ("UntagResource", json!({"TagKeys": ["a"]})),
            ("ListResourceTags", json!({})),
            (
                "CreateGrant",
                json!({"GranteePrincipal": "arn:aws:iam::111122223333:role/x",
                       "Operations": ["Encrypt"]}),
            ),
            ("ListGrants", json!({})),
            ("RevokeGrant", json!({"GrantId": grant_id})),
            ("ScheduleKeyDeletion", json!({"PendingWindowInDays": 7})),
            ("CancelKeyDeletion", json!({})),
        ] {
            let mut body = extra;
            body["KeyId"] = json!(alias);
            server
                .call(&format!("TrentService.{operation}"), &body.to_string())
                .await
                .assert_error(
                    400,
                    "NotFoundException",
                    Some(&format!("Invalid keyId '{alias}'")),
                );
        }
    }
    let meta = metadata(&client, &key).await;
    assert_eq!(meta.description.as_deref(), Some(""));
    assert_eq!(key_state(&client, &key).await, "Enabled");
    let tags = client
        .list_resource_tags()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
}

/// Item 6: ListResourceTags and ListKeyPolicies refuse markers they did not issue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_markers_are_invalid_markers() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    for i in 0..3 {
        client
            .tag_resource()
            .key_id(&key)
            .tags(
                aws_sdk_kms::types::Tag::builder()
                    .tag_key(format!("k{i}"))
                    .tag_value("v")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let page = client
        .list_resource_tags()
        .key_id(&key)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert!(page.truncated);
    let rest = client
        .list_resource_tags()
        .key_id(&key)
        .marker(page.next_marker.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.tags().len(), 1);
    check_error(
        client
            .list_resource_tags()
            .key_id(&key)
            .marker("nonsense")
            .send()
            .await,
        "InvalidMarkerException",
    );
    check_error(
        client
            .list_key_policies()
            .key_id(&key)
            .marker("nonsense")
            .send()
            .await,
        "InvalidMarkerException",
    );
    let policies = client
        .list_key_policies()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names(), ["default"]);
}

/// Item 7: alias names take letters, digits, `/`, `_` and `-` only; the reserved prefix is
/// `alias/aws/` exactly as the reference spells it (names are case-sensitive).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_names_follow_the_service_rules() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    let message = check_error(
        client
            .create_alias()
            .alias_name("alias/with:colon")
            .target_key_id(&key)
            .send()
            .await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value 'alias/with:colon' at 'aliasName' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_-]+$"
    );
    check_error(
        client
            .create_alias()
            .alias_name("alias/aws/mine")
            .target_key_id(&key)
            .send()
            .await,
        "NotAuthorizedException",
    );
    client
        .create_alias()
        .alias_name("alias/AWS/mine")
        .target_key_id(&key)
        .send()
        .await
        .unwrap();
    let names: Vec<String> = aliases_with_keys(&client.list_aliases().send().await.unwrap())
        .iter()
        .filter_map(|a| a.alias_name.clone())
        .collect();
    assert_eq!(names, ["alias/AWS/mine"]);
}

/// Items 8 and 9: RotateKeyOnDemand names the key by its ARN; errors AWS sends without a
/// message have no `message` member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_forms() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    let rotated = client
        .rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        rotated.key_id,
        Some(format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"))
    );

    let rsa = create(&client, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let response = server
        .call(
            "TrentService.RotateKeyOnDemand",
            &json!({"KeyId": rsa}).to_string(),
        )
        .await;
    response.assert_error(400, "UnsupportedOperationException", None);
    assert!(
        response.json().get("message").is_none(),
        "{:?}",
        response.json()
    );

    let ecdh = create(&client, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let body = json!({
        "KeyId": ecdh, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(b"not a key"),
    });
    let response = server
        .call("TrentService.DeriveSharedSecret", &body.to_string())
        .await;
    response.assert_error(400, "ValidationException", None);
    assert!(
        response.json().get("message").is_none(),
        "{:?}",
        response.json()
    );
}

/// Items 10 to 12: AWS's words for a MAC algorithm that does not fit, a usage that does not
/// fit the spec, and the MAC algorithms in AWS's order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_aws_words() {
    let server = TestServer::start().await;
    let client = server.client();
    let hmac = create(&client, KeySpec::Hmac224, KeyUsageType::GenerateVerifyMac).await;
    let message = check_error(
        client
            .generate_mac()
            .key_id(&hmac)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(b"m".to_vec()))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    assert_eq!(
        message,
        "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."
    );
    let message = check_error(
        client
            .verify_mac()
            .key_id(&hmac)
            .mac_algorithm(MacAlgorithmSpec::HmacSha512)
            .message(Blob::new(b"m".to_vec()))
            .mac(Blob::new(vec![0; 64]))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    assert_eq!(
        message,
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_224."
    );

    for (spec, usage) in [
        ("RSA_2048", "KEY_AGREEMENT"),
        ("SYMMETRIC_DEFAULT", "SIGN_VERIFY"),
        ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
        ("HMAC_256", "ENCRYPT_DECRYPT"),
        ("ML_KEM_768", "SIGN_VERIFY"),
    ] {
        let body = json!({"KeySpec": spec, "KeyUsage": usage}).to_string();
        server
            .call("TrentService.CreateKey", &body)
            .await
            .assert_error(
                400,
                "ValidationException",
                Some(&format!(
                    "KeyUsage {usage} is not compatible with KeySpec {spec}"
                )),
            );
    }

    let body = json!({"KeyId": hmac, "Message": b64(b"m"), "MacAlgorithm": "HMAC_MD5"});
    server
        .call("TrentService.GenerateMac", &body.to_string())
        .await
        .assert_error(
            400,
            "ValidationException",
            Some(
                "1 validation error detected: Value 'HMAC_MD5' at 'macAlgorithm' failed to \
                 satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, \
                 HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]",
            ),
        );
}

/// Item 14: the import operations on a key whose material KMS made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_operations_refuse_keys_kms_made() {
    let server = TestServer::start().await;
    let key = create_key(&server.client()).await;
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}");
    let expected = format!("{arn} origin is AWS_KMS which is not valid for this operation.");
    for (operation, body) in [
        (
            "GetParametersForImport",
            json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                   "WrappingKeySpec": "RSA_2048"}),
        ),
        (
            "ImportKeyMaterial",
            json!({"KeyId": key, "ImportToken": b64(b"token"),
                   "EncryptedKeyMaterial": b64(b"material"),
                   "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
        ),
        ("DeleteImportedKeyMaterial", json!({"KeyId": key})),
    ] {
        server
            .call(&format!("TrentService.{operation}"), &body.to_string())
            .await
            .assert_error(400, "UnsupportedOperationException", Some(&expected));
    }
}

/// Item 15: AWS's predefined aliases, and the AWS managed key the first use of one creates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_managed_keys_appear_on_first_use() {
    let server = TestServer::start().await;
    let client = server.client();
    let listed = client.list_aliases().send().await.unwrap();
    let s3 = listed
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/aws/s3"))
        .expect("alias/aws/s3 is predefined");
    assert_eq!(s3.target_key_id, None);
    assert_eq!(
        s3.alias_arn.as_deref(),
        Some(format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3").as_str())
    );
    assert!(listed.aliases().len() >= 14);

    let meta = metadata(&client, "alias/aws/s3").await;
    assert_eq!(meta.key_manager.as_ref().unwrap().as_str(), "AWS");
    assert_eq!(meta.key_state.unwrap().as_str(), "Enabled");
    assert_eq!(
        meta.description.as_deref(),
        Some("Default key that protects my S3 objects when no other key is defined")
    );
    let key = meta.key_id.clone();
    // The same key every time after, by alias or by id.
    assert_eq!(metadata(&client, "alias/aws/s3").await.key_id, key);
    assert_eq!(metadata(&client, &key).await.key_manager, meta.key_manager);
    let listed = client.list_aliases().send().await.unwrap();
    let s3 = listed
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/aws/s3"))
        .unwrap();
    assert_eq!(s3.target_key_id.as_deref(), Some(key.as_str()));

    let status = client
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(365));
    let policy = client.get_key_policy().key_id(&key).send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(
        statements[0]["Condition"]["StringEquals"]["kms:ViaService"],
        format!("s3.{REGION}.amazonaws.com")
    );
    assert_eq!(
        statements[1]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT}:root")
    );

    // A cryptographic operation creates one too, and round trips.
    let blob = encrypt(&client, "alias/aws/ebs").await;
    let opened = client
        .decrypt()
        .ciphertext_blob(Blob::new(blob))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().into_inner(), b"parity");
    assert_eq!(
        metadata(&client, "alias/aws/ebs")
            .await
            .key_manager
            .unwrap()
            .as_str(),
        "AWS"
    );

    // Managing an AWS managed key is denied by its policy.
    let denied = |operation: &str| {
        format!(
            "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:{operation} on \
             resource: arn:aws:kms:{REGION}:{ACCOUNT}:key/{key} because no resource-based \
             policy allows the kms:{operation} action"
        )
    };
    for (operation, extra) in [
        ("DisableKey", json!({})),
        ("ScheduleKeyDeletion", json!({})),
        (
            "PutKeyPolicy",
            json!({"PolicyName": "default", "Policy": r#"{"Statement":[]}"#}),
        ),
        (
            "TagResource",
            json!({"Tags": [{"TagKey": "a", "TagValue": "b"}]}),
        ),
        ("UpdateKeyDescription", json!({"Description": "mine"})),
        ("EnableKeyRotation", json!({})),
        ("RotateKeyOnDemand", json!({})),
    ] {
        let mut body = extra;
        body["KeyId"] = json!(key);
        server
            .call(&format!("TrentService.{operation}"), &body.to_string())
            .await
            .assert_error(400, "AccessDeniedException", Some(&denied(operation)));
    }
    let body = json!({"AliasName": "alias/my-s3", "TargetKeyId": key});
    server
        .call("TrentService.CreateAlias", &body.to_string())
        .await
        .assert_error(400, "AccessDeniedException", Some(&denied("CreateAlias")));
    check_error(
        client
            .update_alias()
            .alias_name("alias/aws/s3")
            .target_key_id(create_key(&client).await)
            .send()
            .await,
        "NotAuthorizedException",
    );
    check_error(
        client
            .delete_alias()
            .alias_name("alias/aws/s3")
            .send()
            .await,
        "NotAuthorizedException",
    );
    assert_eq!(
        metadata(&client, &key).await.key_state.unwrap().as_str(),
        "Enabled"
    );

    // It survives a restart, and a reset takes it away again.
    let server = server.restart().await;
    let client = server.client();
    assert_eq!(metadata(&client, "alias/aws/s3").await.key_id, key);
    server.admin("POST", "/_kmsd/reset", "{}").await;
    let listed = client.list_aliases().send().await.unwrap();
    assert!(aliases_with_keys(&listed).is_empty());
    assert!(
        listed
            .aliases()
            .iter()
            .any(|a| a.alias_name() == Some("alias/aws/s3"))
    );
    assert_ne!(metadata(&client, "alias/aws/s3").await.key_id, key);
}
