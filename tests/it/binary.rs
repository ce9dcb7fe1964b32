//! The `kmsd` binary itself: flags, startup failures, `--in-memory`.

use std::process::Command;

use crate::support::process::{KMSD, Running, run_to_exit};

#[test]
fn help_lists_every_option_and_its_environment_variable() {
    let out = Command::new(KMSD)
        .arg("serve")
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--host",
        "KMS_HOST",
        "--port",
        "KMS_PORT",
        "PORT",
        "--data-dir",
        "KMS_DATA_PATH",
        "--in-memory",
        "--account-id",
        "KMS_ACCOUNT_ID",
        "--region",
        "KMS_REGION",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn in_memory_serves_without_creating_a_data_dir() {
    let cwd = tempfile::tempdir().unwrap();
    let server = Running::start(cwd.path(), &["--in-memory", "--port", "0"]);
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    let listed = std::fs::read_dir(cwd.path()).unwrap().count();
    server.kill();
    assert_eq!(listed, 0, "--in-memory wrote to the working directory");

    // Without it, the default data dir appears in the working directory.
    let server = Running::start(cwd.path(), &["serve", "--port", "0"]);
    let exists = cwd.path().join("kmsd-data").is_dir();
    server.kill();
    assert!(exists);
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let cwd = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (code, stderr) = run_to_exit(cwd.path(), &["--in-memory", "--port", &port]);
    assert_ne!(code, 0);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("kmsd: cannot listen on 127.0.0.1:"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unusable_data_dir_is_one_clear_line() {
    let cwd = tempfile::tempdir().unwrap();
    let file = cwd.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let (code, stderr) = run_to_exit(
        cwd.path(),
        &["--port", "0", "--data-dir", file.to_str().unwrap()],
    );
    assert_ne!(code, 0);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("kmsd: cannot open data dir "),
        "{stderr}"
    );
    let (code, stderr) = run_to_exit(cwd.path(), &["--in-memory", "--account-id", "12"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--account-id"), "{stderr}");
}
