//! GetKeyPolicy, PutKeyPolicy and ListKeyPolicies.

use crate::support::{ACCOUNT, TestServer, check_error, create_key};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_policy_then_put_and_get() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;

    let got = client
        .get_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let policy = got.policy.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(doc["Id"], "key-default-1");
    assert_eq!(doc["Statement"][0]["Sid"], "Enable IAM User Permissions");
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT}:root")
    );
    assert!(
        policy.contains("\"Version\" : \"2012-10-17\""),
        "AWS's formatting: {policy}"
    );
    assert_eq!(got.policy_name.as_deref(), Some("default"));

    let names = client
        .list_key_policies()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["default"]);
    assert!(!names.truncated);

    client
        .put_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .policy(POLICY)
        .send()
        .await
        .unwrap();
    // PolicyName is optional in GetKeyPolicy and defaults to "default".
    let got = client
        .get_key_policy()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy.as_deref(), Some(POLICY));

    // A policy can be given at creation too.
    let with_policy = client
        .create_key()
        .policy(POLICY)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let got = client
        .get_key_policy()
        .key_id(&with_policy)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy.as_deref(), Some(POLICY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_policies_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let before = client
        .get_key_policy()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .policy;

    for bad in ["{not json", "[1,2]", r#"{"Version":"2012-10-17"}"#] {
        check_error(
            client
                .put_key_policy()
                .key_id(&key_id)
                .policy(bad)
                .send()
                .await,
            "MalformedPolicyDocumentException",
        );
    }
    let huge = format!(
        r#"{{"Statement":[],"Padding":"{}"}}"#,
        "x".repeat(32 * 1024)
    );
    check_error(
        client
            .put_key_policy()
            .key_id(&key_id)
            .policy(huge)
            .send()
            .await,
        "LimitExceededException",
    );
    check_error(
        client
            .put_key_policy()
            .key_id(&key_id)
            .policy_name("other")
            .policy(POLICY)
            .send()
            .await,
        "NotFoundException",
    );
    check_error(
        client
            .get_key_policy()
            .key_id(&key_id)
            .policy_name("other")
            .send()
            .await,
        "NotFoundException",
    );
    check_error(
        client
            .put_key_policy()
            .key_id(&key_id)
            .policy("{\"Statement\":[\"\u{4e2d}\"]}")
            .send()
            .await,
        "ValidationException",
    );
    let after = client
        .get_key_policy()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .policy;
    assert_eq!(before, after);
}
