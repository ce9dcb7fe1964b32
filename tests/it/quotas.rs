//! AWS's quotas: request rates with `--throttle` (ThrottlingException per account, region and
//! quota) and resource quotas (LimitExceededException), each with a small custom figure so
//! that a few calls reach it. Buckets never refill during a test: their rates are tiny.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, SigningAlgorithmSpec};
use kmsd::ServeOptions;
use kmsd::kms::Quotas;
use kmsd::server::ThrottleRates;

use crate::support::keys::{create_alias, create_key_with, encrypt, tag};
use crate::support::process::run_to_exit;
use crate::support::{TestServer, check_error, create_key};

/// Once per thousand seconds: a bucket holds one call, and a test never sees it refill.
const ONCE: &str = "0.001";

async fn throttled_server(rates: &str) -> TestServer {
    TestServer::start_with_options(ServeOptions {
        throttle: ThrottleRates::parse(rates).unwrap(),
        ..ServeOptions::default()
    })
    .await
}

async fn server_with(quotas: &str) -> TestServer {
    TestServer::start_with_quotas(ServeOptions::default(), Quotas::parse(quotas).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symmetric_operations_share_one_bucket_per_account_and_region() {
    let server = throttled_server(&format!("symmetric={ONCE}")).await;
    let client = server.client();
    let (first, second) = (create_key(&client).await, create_key(&client).await);
    encrypt(&client, &first, b"one").await;
    // Another key, another symmetric operation: the same quota, now used up.
    let error = client
        .encrypt()
        .key_id(&second)
        .plaintext(Blob::new(b"two".to_vec()))
        .send()
        .await;
    assert_eq!(check_error(error, "ThrottlingException"), "Rate exceeded");
    check_error(
        client.generate_random().number_of_bytes(8).send().await,
        "ThrottlingException",
    );
    // The raw answer: HTTP 400, as AWS sends it.
    let body = format!(r#"{{"KeyId": "{first}", "Plaintext": "AAAA"}}"#);
    server
        .call("TrentService.Encrypt", &body)
        .await
        .assert_error(400, "ThrottlingException", Some("Rate exceeded"));
    // Management operations have quotas of their own, not set here.
    client.describe_key().key_id(&first).send().await.unwrap();
    // Other accounts and regions have buckets of their own.
    let other_account = server.client_for("us-east-1", "111122223333");
    let key = create_key(&other_account).await;
    encrypt(&other_account, &key, b"mine").await;
    let other_region = server.client();
    let other_region = aws_sdk_kms::Client::from_conf(
        other_region
            .config()
            .to_builder()
            .region(aws_sdk_kms::config::Region::new("eu-west-1"))
            .build(),
    );
    let key = create_key(&other_region).await;
    encrypt(&other_region, &key, b"mine").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_key_type_has_its_own_quota() {
    let server = throttled_server(&format!("ecc={ONCE}")).await;
    let client = server.client();
    let ecc = create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let symmetric = create_key(&client).await;
    let sign = || {
        client
            .sign()
            .key_id(&ecc)
            .message(Blob::new(b"m".to_vec()))
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
    };
    sign().await.unwrap();
    check_error(sign().await, "ThrottlingException");
    // Symmetric calls are not held by the ECC quota.
    for _ in 0..3 {
        encrypt(&client, &symmetric, b"free").await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_call_changes_nothing() {
    let server = throttled_server(&format!("CreateKey={ONCE},CreateAlias={ONCE}")).await;
    let client = server.client();
    let key = create_key(&client).await;
    check_error(client.create_key().send().await, "ThrottlingException");
    create_alias(&client, "alias/first", &key).await;
    let refused = client
        .create_alias()
        .alias_name("alias/second")
        .target_key_id(&key)
        .send()
        .await;
    check_error(refused, "ThrottlingException");
    let keys = client.list_keys().send().await.unwrap().keys.unwrap();
    assert_eq!(keys.len(), 1);
    let aliases = client.list_aliases().send().await.unwrap().aliases.unwrap();
    assert!(
        aliases
            .iter()
            .any(|a| a.alias_name() == Some("alias/first"))
    );
    assert!(
        aliases
            .iter()
            .all(|a| a.alias_name() != Some("alias/second"))
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_throttle_nothing_is_throttled() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    // More than AWS's CreateKey figure (5 per second) and more than a tiny bucket holds.
    for _ in 0..8 {
        create_key(&client).await;
        encrypt(&client, &key, b"x").await;
    }
    server.stop().await;
}

#[test]
fn bad_throttle_and_quota_flags_stop_startup() {
    let cwd = tempfile::tempdir().unwrap();
    for (args, message) in [
        (["--throttle", "fast"], "invalid --throttle"),
        (
            ["--throttle", "Encrypt=5"],
            "shares the quota of its key type",
        ),
        (["--quotas", "keys=0"], "invalid --quotas"),
        (["--quotas", "aliases=1"], "unknown quota"),
    ] {
        let mut all = vec!["--in-memory", "--port", "0"];
        all.extend(args);
        let (code, stderr) = run_to_exit(cwd.path(), &all);
        assert_ne!(code, 0, "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_per_region_count_every_customer_key_and_no_other_region() {
    let server = server_with("keys=2").await;
    let client = server.client();
    let first = create_key(&client).await;
    create_key(&client).await;
    // A key pending deletion still counts, as in AWS.
    client
        .schedule_key_deletion()
        .key_id(&first)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let message = check_error(client.create_key().send().await, "LimitExceededException");
    assert!(message.contains("(2)"), "{message}");
    // AWS managed keys do not count: the first use of alias/aws/s3 still makes one.
    encrypt(&client, "alias/aws/s3", b"managed").await;
    let keys = client.list_keys().send().await.unwrap().keys.unwrap();
    assert_eq!(keys.len(), 3);
    create_key(&server.client_for("eu-west-1", "AKIDEXAMPLE")).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_per_key_on_create_and_update() {
    let server = server_with("aliases-per-key=1").await;
    let client = server.client();
    let (full, other) = (create_key(&client).await, create_key(&client).await);
    create_alias(&client, "alias/one", &full).await;
    create_alias(&client, "alias/two", &other).await;
    let refused = client
        .create_alias()
        .alias_name("alias/three")
        .target_key_id(&full)
        .send()
        .await;
    check_error(refused, "LimitExceededException");
    let refused = client
        .update_alias()
        .alias_name("alias/two")
        .target_key_id(&full)
        .send()
        .await;
    check_error(refused, "LimitExceededException");
    // Pointing an alias at the key it already names is no new alias.
    client
        .update_alias()
        .alias_name("alias/one")
        .target_key_id(&full)
        .send()
        .await
        .unwrap();
    let aliases = client.list_aliases().send().await.unwrap().aliases.unwrap();
    let target = |name: &str| {
        aliases
            .iter()
            .find(|a| a.alias_name() == Some(name))
            .and_then(|a| a.target_key_id().map(str::to_owned))
    };
    assert_eq!(target("alias/one"), Some(full));
    assert_eq!(target("alias/two"), Some(other));
    assert_eq!(target("alias/three"), None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_per_key_and_per_grantee() {
    let server = server_with("grants-per-key=2,grants-per-grantee=1").await;
    let client = server.client();
    let key = create_key(&client).await;
    let grant = |grantee: &'static str| {
        client
            .create_grant()
            .key_id(&key)
            .grantee_principal(grantee)
            .operations(aws_sdk_kms::types::GrantOperation::Decrypt)
            .send()
    };
    grant("arn:aws:iam::123456789012:role/a").await.unwrap();
    check_error(
        grant("arn:aws:iam::123456789012:role/a").await,
        "LimitExceededException",
    );
    grant("arn:aws:iam::123456789012:role/b").await.unwrap();
    check_error(
        grant("arn:aws:iam::123456789012:role/c").await,
        "LimitExceededException",
    );
    let grants = client.list_grants().key_id(&key).send().await.unwrap();
    assert_eq!(grants.grants.unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_per_key_and_policy_size() {
    let server = server_with("tags-per-key=2,key-policy-bytes=120").await;
    let client = server.client();
    let key = create_key(&client).await;
    client
        .tag_resource()
        .key_id(&key)
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .send()
        .await
        .unwrap();
    let refused = client
        .tag_resource()
        .key_id(&key)
        .tags(tag("c", "3"))
        .send()
        .await;
    check_error(refused, "TagException");
    let tags = client
        .list_resource_tags()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags.unwrap().len(), 2);

    let small = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let large = format!(
        r#"{{"Version":"2012-10-17","Statement":[],"Padding":"{}"}}"#,
        "x".repeat(100)
    );
    let put = |policy: String| {
        client
            .put_key_policy()
            .key_id(&key)
            .policy_name("default")
            .policy(policy)
            .send()
    };
    put(small.to_owned()).await.unwrap();
    let message = check_error(put(large).await, "LimitExceededException");
    assert!(message.contains("120 bytes"), "{message}");
    let policy = client.get_key_policy().key_id(&key).send().await.unwrap();
    assert_eq!(policy.policy(), Some(small));
    server.stop().await;
}
