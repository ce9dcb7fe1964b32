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
        "--no-admin",
        "KMS_NO_ADMIN",
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

/// One HTTP/1.1 request to `addr`; returns the status code.
fn http_status(addr: &str, method: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn no_admin_turns_the_admin_api_off_and_keeps_health() {
    let cwd = tempfile::tempdir().unwrap();
    let server = Running::start(cwd.path(), &["--in-memory", "--port", "0"]);
    let on = (
        http_status(&server.addr, "GET", "/_kmsd/clock"),
        http_status(&server.addr, "GET", "/health"),
    );
    server.kill();
    assert_eq!(on, (200, 200));

    for (args, env) in [
        (&["--in-memory", "--port", "0", "--no-admin"][..], &[][..]),
        (
            &["--in-memory", "--port", "0"][..],
            &[("KMS_NO_ADMIN", "1")][..],
        ),
        (
            &["--in-memory", "--port", "0"][..],
            &[("KMS_NO_ADMIN", "true")][..],
        ),
    ] {
        let server = Running::start_with_env(cwd.path(), args, env);
        let statuses = [
            http_status(&server.addr, "GET", "/_kmsd/clock"),
            http_status(&server.addr, "POST", "/_kmsd/reset"),
            http_status(&server.addr, "POST", "/moto-api/reset"),
            http_status(&server.addr, "GET", "/health"),
        ];
        server.kill();
        assert_eq!(statuses, [400, 400, 400, 200], "{args:?} {env:?}");
    }

    // KMS_NO_ADMIN=false leaves it on.
    let server = Running::start_with_env(
        cwd.path(),
        &["--in-memory", "--port", "0"],
        &[("KMS_NO_ADMIN", "false")],
    );
    let status = http_status(&server.addr, "GET", "/_kmsd/clock");
    server.kill();
    assert_eq!(status, 200);
}
