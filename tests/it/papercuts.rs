//! What a new user runs into first: `--host localhost`, an empty `KMS_NO_ADMIN`, and log lines
//! that name the key of calls that name none.

use std::process::Command;

use aws_sdk_kms::primitives::Blob;

use crate::support::client_at;
use crate::support::logged;
use crate::support::process::{KMSD, Running, run_to_exit};

#[test]
fn host_takes_names_and_localhost_needs_no_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(
        dir.path(),
        &["--in-memory", "--host", "localhost", "--port", "0"],
    );
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    assert_eq!(logged::kms_call(&server.addr, "ListKeys", "{}"), 200);
    server.kill();

    let (code, stderr) = run_to_exit(
        dir.path(),
        &[
            "--in-memory",
            "--host",
            "no-such-host.invalid",
            "--port",
            "0",
        ],
    );
    assert_ne!(code, 0);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--host \"no-such-host.invalid\""),
        "{stderr}"
    );
}

#[test]
fn an_empty_kms_no_admin_is_unset_and_help_lists_the_accepted_values() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start_with_env(
        dir.path(),
        &["--in-memory", "--port", "0"],
        &[("KMS_NO_ADMIN", "")],
    );
    assert_eq!(
        logged::post_json(&server.addr, "/_kmsd/clock/advance", r#"{"seconds": 1}"#),
        200
    );
    server.kill();
    for (value, admin) in [("yes", false), ("ON", false), ("off", true), ("0", true)] {
        let server = Running::start_with_env(
            dir.path(),
            &["--in-memory", "--port", "0"],
            &[("KMS_NO_ADMIN", value)],
        );
        let status = logged::post_json(&server.addr, "/_kmsd/clock/advance", r#"{"seconds": 1}"#);
        server.kill();
        assert_eq!(status == 200, admin, "KMS_NO_ADMIN={value}");
    }
    let out = Command::new(KMSD)
        .args(["--in-memory", "--port", "0"])
        .env("KMS_NO_ADMIN", "maybe")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1, true, yes, on, or 0, false, no, off"),
        "{stderr}"
    );

    let help = Command::new(KMSD)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).replace(char::is_whitespace, " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("1, true, yes or on; 0, false, no, off or empty"),
        "{help}"
    );
    for flag in [
        "--admin-token",
        "KMS_ADMIN_TOKEN",
        "--allowed-hosts",
        "KMS_ALLOWED_HOSTS",
        "--header-timeout",
        "--body-timeout",
        "--idle-timeout",
        "--max-connections",
    ] {
        assert!(help.contains(flag), "{flag} missing from {help}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_line_names_the_key_createkey_made_and_decrypt_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(
        dir.path(),
        &["--in-memory", "--port", "0", "--log-format", "json"],
    );
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let key = crate::support::create_key(&client).await;
    let blob = client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    client.decrypt().ciphertext_blob(blob).send().await.unwrap();
    let created: serde_json::Value =
        serde_json::from_str(&server.wait_for("\"op\":\"CreateKey\"")).unwrap();
    let decrypted: serde_json::Value =
        serde_json::from_str(&server.wait_for("\"op\":\"Decrypt\"")).unwrap();
    server.kill();
    assert_eq!(created["fields"]["key_id"], key.as_str(), "{created}");
    assert_eq!(decrypted["fields"]["key_id"], key.as_str(), "{decrypted}");
}
