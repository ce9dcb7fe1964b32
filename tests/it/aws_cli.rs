//! The README's AWS CLI walk-through, run exactly as written against a live kmsd.
//! Needs `aws` (v1 or v2): skipped when it is missing, except under `CI=true`.

use crate::support::{TestServer, tool_available};

/// The first ```sh block after the "Try it with the AWS CLI" heading.
fn walkthrough() -> String {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Try it with the AWS CLI")
        .nth(1)
        .expect("README has the walk-through section");
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    block.split("```").next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_walkthrough_works_as_written() {
    if !tool_available("aws", "--version") {
        return;
    }
    let server = TestServer::start().await;
    let script = walkthrough();
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
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "walk-through failed:\n{stdout}\n{stderr}"
    );
    assert_eq!(stdout, "hello, kmsd", "stderr: {stderr}");

    // And the state it left is what the walk-through says it made.
    let client = server.client();
    let meta = client
        .describe_key()
        .key_id("alias/my-app")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.description.as_deref(), Some("my first key"));
}
