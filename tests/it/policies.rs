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

/// The default policy exactly as AWS writes it (and as kmsd has always returned it), for `account`.
fn aws_default_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

async fn policy_of(client: &aws_sdk_kms::Client, key_id: &str) -> String {
    client
        .get_key_policy()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
}

/// kmsd keeps the default policy once, not with every key: what GetKeyPolicy returns must not
/// show it, before or after a restart, whatever the account and however the policy was set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_and_custom_policies_read_back_exactly_across_a_restart() {
    const OTHER: &str = "210987654321";
    let server = TestServer::start().await;
    let client = server.client();
    let west = server.client_for("eu-west-1", OTHER);

    let default = create_key(&client).await;
    let west_default = create_key(&west).await;
    let custom = client
        .create_key()
        .policy(POLICY)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    // The default policy of another account is an ordinary document here.
    let foreign = create_key(&client).await;
    client
        .put_key_policy()
        .key_id(&foreign)
        .policy(aws_default_policy(OTHER))
        .send()
        .await
        .unwrap();
    // Put back, the default text is the default policy again.
    let put_back = create_key(&client).await;
    for policy in [POLICY.to_owned(), aws_default_policy(ACCOUNT)] {
        client
            .put_key_policy()
            .key_id(&put_back)
            .policy(policy)
            .send()
            .await
            .unwrap();
    }
    // A near miss (one more space) is kept as it is.
    let near = create_key(&client).await;
    let near_policy = aws_default_policy(ACCOUNT).replace("\"Id\" :", "\"Id\"  :");
    client
        .put_key_policy()
        .key_id(&near)
        .policy(&near_policy)
        .send()
        .await
        .unwrap();

    let expected = [
        (ACCOUNT, default, aws_default_policy(ACCOUNT)),
        (OTHER, west_default, aws_default_policy(OTHER)),
        (ACCOUNT, custom, POLICY.to_owned()),
        (ACCOUNT, foreign, aws_default_policy(OTHER)),
        (ACCOUNT, put_back, aws_default_policy(ACCOUNT)),
        (ACCOUNT, near, near_policy),
    ];
    let check = async |server: &TestServer| {
        for (account, key_id, policy) in &expected {
            let client = match *account {
                OTHER => server.client_for("eu-west-1", OTHER),
                _ => server.client(),
            };
            assert_eq!(&policy_of(&client, key_id).await, policy, "key {key_id}");
        }
    };
    check(&server).await;
    let server = server.restart().await;
    check(&server).await;
    server.stop().await;
}
