//! The AWS CLI against a live kmsd: the README's walk-through, run exactly as written, and grants.
//! Needs `aws` (v1 or v2): skipped when it is missing, except under `CI=true`.

use crate::support::{TestServer, metadata, tool_available};

/// The first ```sh block after the README heading `heading`.
fn readme_block(heading: &str) -> String {
    let readme = include_str!("../../README.md");
    let section = readme
        .split(heading)
        .nth(1)
        .expect("README has the section");
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    block.split("```").next().unwrap().to_owned()
}

/// Runs a README block with bash against `server`, in a fresh directory and without the
/// user's AWS configuration; returns stdout, or fails with both outputs.
async fn run_readme_block(server: &TestServer, heading: &str) -> String {
    let script = readme_block(heading);
    assert!(script.contains("http://localhost:8080"));
    let script = script.replace("http://localhost:8080", &server.endpoint());
    let workdir = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(&script)
        .current_dir(workdir.path())
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", workdir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            workdir.path().join("no-credentials"),
        )
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{heading} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_walkthrough_works_as_written() {
    if !tool_available("aws", "--version") {
        return;
    }
    let server = TestServer::start().await;
    let stdout = run_readme_block(&server, "## Try it with the AWS CLI").await;
    assert_eq!(stdout, "hello, kmsd");

    // And the state it left is what the walk-through says it made.
    let client = server.client();
    let meta = metadata(&client, "alias/my-app").await;
    assert_eq!(meta.description.as_deref(), Some("my first key"));
}

/// The README's import flow (CreateKey EXTERNAL, GetParametersForImport, OpenSSL wrapping,
/// ImportKeyMaterial, Encrypt and Decrypt), run as written: the flow of infrastructure code
/// such as Terraform's external key resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_import_flow_works_as_written() {
    if !tool_available("aws", "--version") || !tool_available("openssl", "version") {
        return;
    }
    let server = TestServer::start().await;
    let stdout = run_readme_block(&server, "## Importing key material").await;
    assert!(stdout.ends_with("my key, my data"), "{stdout}");

    let client = server.client();
    let keys = client.list_keys().send().await.unwrap();
    let key = keys.keys()[0].key_id().unwrap();
    let meta = metadata(&client, key).await;
    assert_eq!(meta.origin.unwrap().as_str(), "EXTERNAL");
    assert_eq!(meta.key_state.unwrap().as_str(), "Enabled");
    assert_eq!(
        meta.expiration_model.unwrap().as_str(),
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    );
}

/// Grants through the AWS CLI: its own request shapes (lists, maps, tokens) and its paging of
/// ListGrants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_through_the_cli() {
    if !tool_available("aws", "--version") {
        return;
    }
    let server = TestServer::start().await;
    let workdir = tempfile::tempdir().unwrap();
    let endpoint = server.endpoint();
    let aws = |args: &[&str]| {
        let output = std::process::Command::new("aws")
            .args(["--endpoint-url", &endpoint, "--output", "json", "kms"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", workdir.path().join("no-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                workdir.path().join("no-credentials"),
            )
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // Operations without output (RetireGrant) print nothing.
        if output.stdout.is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let key_id = aws(&["create-key"])["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let grant = |name: &str| {
        aws(&[
            "create-grant",
            "--key-id",
            &key_id,
            "--grantee-principal",
            "arn:aws:iam::111122223333:role/app",
            "--operations",
            "Encrypt",
            "Decrypt",
            "--constraints",
            "EncryptionContextSubset={Department=IT}",
            "--name",
            name,
        ])
    };
    let first = grant("one");
    for i in 0..4 {
        grant(&format!("more-{i}"));
    }
    // The CLI follows NextMarker itself; a page size of 2 makes it page.
    let listed = aws(&["list-grants", "--key-id", &key_id, "--page-size", "2"]);
    let grants = listed["Grants"].as_array().unwrap();
    assert_eq!(grants.len(), 5);
    assert_eq!(grants[0]["GrantId"], first["GrantId"]);
    assert_eq!(
        grants[0]["Constraints"]["EncryptionContextSubset"]["Department"],
        "IT"
    );
    aws(&[
        "retire-grant",
        "--grant-token",
        first["GrantToken"].as_str().unwrap(),
    ]);
    let listed = aws(&["list-grants", "--key-id", &key_id]);
    assert_eq!(listed["Grants"].as_array().unwrap().len(), 4);
}

/// A multi-Region key through the AWS CLI: create in us-east-1, replicate to eu-west-1,
/// encrypt in one region and decrypt in the other, move the primary, delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_region_flow_through_the_cli() {
    if !tool_available("aws", "--version") {
        return;
    }
    let server = TestServer::start().await;
    let workdir = tempfile::tempdir().unwrap();
    let endpoint = server.endpoint();
    let aws = |region: &str, args: &[&str]| {
        let output = std::process::Command::new("aws")
            .args(["--endpoint-url", &endpoint, "--output", "json", "kms"])
            .args(args)
            .current_dir(workdir.path())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", region)
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", workdir.path().join("no-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                workdir.path().join("no-credentials"),
            )
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if output.stdout.is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let created = aws("us-east-1", &["create-key", "--multi-region"]);
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    assert!(key_id.starts_with("mrk-"), "{key_id}");
    let replica = aws(
        "us-east-1",
        &[
            "replicate-key",
            "--key-id",
            &key_id,
            "--replica-region",
            "eu-west-1",
            "--description",
            "replica in Ireland",
        ],
    );
    assert_eq!(replica["ReplicaKeyMetadata"]["KeyState"], "Creating");
    server.advance(3).await;

    std::fs::write(workdir.path().join("message.txt"), "across regions").unwrap();
    let sealed = aws(
        "us-east-1",
        &[
            "encrypt",
            "--key-id",
            &key_id,
            "--plaintext",
            "fileb://message.txt",
            "--query",
            "CiphertextBlob",
        ],
    );
    use base64::Engine;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(sealed.as_str().unwrap())
        .unwrap();
    std::fs::write(workdir.path().join("sealed.bin"), blob).unwrap();
    let opened = aws(
        "eu-west-1",
        &[
            "decrypt",
            "--ciphertext-blob",
            "fileb://sealed.bin",
            "--query",
            "Plaintext",
        ],
    );
    let plaintext = base64::engine::general_purpose::STANDARD
        .decode(opened.as_str().unwrap())
        .unwrap();
    assert_eq!(plaintext, b"across regions");

    aws(
        "us-east-1",
        &[
            "update-primary-region",
            "--key-id",
            &key_id,
            "--primary-region",
            "eu-west-1",
        ],
    );
    let west = aws("eu-west-1", &["describe-key", "--key-id", &key_id]);
    let config = &west["KeyMetadata"]["MultiRegionConfiguration"];
    assert_eq!(config["MultiRegionKeyType"], "PRIMARY");
    assert_eq!(config["ReplicaKeys"][0]["Region"], "us-east-1");
    server.advance(3).await;

    // The new primary waits for its replica, which goes first.
    let scheduled = aws(
        "eu-west-1",
        &[
            "schedule-key-deletion",
            "--key-id",
            &key_id,
            "--pending-window-in-days",
            "7",
        ],
    );
    assert_eq!(scheduled["KeyState"], "PendingReplicaDeletion");
    aws(
        "us-east-1",
        &[
            "schedule-key-deletion",
            "--key-id",
            &key_id,
            "--pending-window-in-days",
            "7",
        ],
    );
    server.advance(7 * 86_400).await;
    let west = aws("eu-west-1", &["describe-key", "--key-id", &key_id]);
    assert_eq!(west["KeyMetadata"]["KeyState"], "PendingDeletion");
    server.advance(7 * 86_400).await;
    let listed = aws("eu-west-1", &["list-keys"]);
    assert_eq!(listed["Keys"].as_array().unwrap().len(), 0);
}
