//! The `kmsd` binary itself: flags, startup failures, `--in-memory`, `kmsd healthcheck`.

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
        "--identities",
        "KMS_IDENTITIES_PATH",
        "--verify-signatures",
        "KMS_VERIFY_SIGNATURES",
        "--enforce-policies",
        "KMS_ENFORCE_POLICIES",
        "--io-threads",
        "KMS_IO_THREADS",
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

#[test]
fn a_broken_identities_file_or_a_lone_verify_signatures_is_one_clear_line() {
    let cwd = tempfile::tempdir().unwrap();
    let file = cwd.path().join("identities.yaml");
    std::fs::write(
        &file,
        "identities:\n  - accessKeyId: AKIA1\n    secretAccessKey: s\n    account: \"1\"\n    \
         principal: arn:aws:iam::111122223333:root\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (code, stderr) = run_to_exit(cwd.path(), &["--in-memory", "--identities", path]);
    assert_ne!(code, 0);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "identities file {path}, line 4: account \"1\" is not 12 digits"
        )),
        "{stderr}"
    );
    let (code, stderr) = run_to_exit(cwd.path(), &["--in-memory", "--verify-signatures"]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("--verify-signatures needs --identities"),
        "{stderr}"
    );
    let (code, stderr) = run_to_exit(cwd.path(), &["--in-memory", "--enforce-policies=maybe"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("on, off or audit"), "{stderr}");
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

/// Runs `kmsd healthcheck` with `args` and `env`; returns its exit code, stdout and stderr.
fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(KMSD)
        .arg("healthcheck")
        .args(args)
        .env_remove("KMS_PORT")
        .env_remove("PORT")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A port that nothing listens on (bound, then released).
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

#[test]
fn healthcheck_passes_on_a_healthy_server() {
    let cwd = tempfile::tempdir().unwrap();
    let server = Running::start(cwd.path(), &["--in-memory", "--port", "0"]);
    let port = server.addr.rsplit(':').next().unwrap().to_owned();
    let by_flag = healthcheck(&["--port", &port], &[]);
    let by_kms_port = healthcheck(&[], &[("KMS_PORT", &port)]);
    let by_port = healthcheck(&["--host", "127.0.0.1"], &[("PORT", &port)]);
    server.kill();
    for (code, stdout, stderr) in [by_flag, by_kms_port, by_port] {
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(
            stdout.starts_with(&format!(
                "kmsd healthcheck: http://127.0.0.1:{port}/health answered 200 {{"
            )),
            "{stdout}"
        );
        assert!(stdout.contains(r#""status":"ok""#), "{stdout}");
        assert_eq!(stderr, "");
    }
}

#[test]
fn healthcheck_fails_with_one_line_when_nothing_listens() {
    let port = closed_port();
    let (code, stdout, stderr) = healthcheck(&["--port", &port], &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "kmsd healthcheck: http://127.0.0.1:{port}/health: Connection refused"
        )),
        "{stderr}"
    );

    let (code, _, stderr) = healthcheck(&["--host", "localhost"], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kmsd healthcheck: invalid --host \"localhost\": expected an IP address\n"
    );
    let (code, _, stderr) = healthcheck(&[], &[("KMS_PORT", "eighty")]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kmsd healthcheck: invalid port \"eighty\" in KMS_PORT/PORT\n"
    );
}

#[test]
fn healthcheck_fails_on_a_non_200_answer_and_on_silence() {
    use std::io::{Read, Write};
    // A server that answers 503 to one request.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let answer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buffer = [0; 1024];
        while !request.ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut buffer).unwrap();
            assert_ne!(n, 0, "the request ended early");
            request.extend_from_slice(&buffer[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 8\r\n\r\nstarting")
            .unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    let (code, _, stderr) = healthcheck(&["--port", &port], &[]);
    let request = answer.join().unwrap();
    assert!(request.starts_with("GET /health HTTP/1.1\r\n"), "{request}");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!("kmsd healthcheck: http://127.0.0.1:{port}/health answered 503 starting\n")
    );

    // A listener that never answers: the kernel accepts the connection, nobody reads it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let started = std::time::Instant::now();
    let (code, _, stderr) = healthcheck(&["--port", &port], &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(silent);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!("kmsd healthcheck: http://127.0.0.1:{port}/health: no answer within 2 s\n")
    );
}

/// With one thread serving connections (the default) or several, symmetric calls are answered
/// while key pairs are being generated: key generation runs on threads of its own, never on
/// the thread that serves the connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn symmetric_calls_are_answered_while_key_pairs_are_generated() {
    use aws_sdk_kms::primitives::Blob;
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    for io_threads in ["1", "3"] {
        let cwd = tempfile::tempdir().unwrap();
        let server = Running::start(
            cwd.path(),
            &[
                "--in-memory",
                "--port",
                "0",
                "--rsa-pool-size",
                "0",
                "--io-threads",
                io_threads,
            ],
        );
        let client = crate::support::server::client_at(&server.endpoint(), "us-east-1", "AKID");
        let key = crate::support::keys::create_key(&client).await;
        // Three RSA_4096 key pairs at once, generated on demand (no pool): seconds of CPU.
        let generating: Vec<_> = (0..3)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .create_key()
                        .key_spec(KeySpec::Rsa4096)
                        .key_usage(KeyUsageType::SignVerify)
                        .send()
                        .await
                })
            })
            .collect();
        for n in 0..20_u8 {
            let sealed = client
                .encrypt()
                .key_id(&key)
                .plaintext(Blob::new(vec![n; 32]))
                .send()
                .await
                .unwrap();
            let opened = client
                .decrypt()
                .ciphertext_blob(sealed.ciphertext_blob.unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(opened.plaintext.unwrap().into_inner(), vec![n; 32]);
        }
        let pending = generating.iter().filter(|g| !g.is_finished()).count();
        for created in generating {
            let metadata = created.await.unwrap().unwrap().key_metadata.unwrap();
            assert_eq!(metadata.key_spec, Some(KeySpec::Rsa4096));
        }
        server.kill();
        assert!(
            pending > 0,
            "--io-threads {io_threads}: all three RSA_4096 keys were made before 20 Encrypt \
             and Decrypt calls were answered"
        );
    }
}

#[test]
fn io_threads_outside_1_to_256_is_refused_with_the_option_named() {
    for bad in ["0", "257", "many"] {
        let out = Command::new(KMSD)
            .args(["--in-memory", "--port", "0", "--io-threads", bad])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--io-threads {bad} was accepted");
        assert!(stderr.contains("--io-threads"), "{bad}: {stderr}");
    }
}
