//! Safe by default: the `Host` rule against DNS rebinding, the admin API against drive-by
//! pages (same origin, JSON bodies, the token), and admin calls in the log and audit trail.

use kmsd::ServeOptions;
use kmsd::server::{AdminToken, AllowedHosts, AuditLog};

use crate::support::http::{kms_request, request, send};
use crate::support::process::Running;
use crate::support::{ACCOUNT, DAY, REGION, TestServer, create_key};

/// How many keys the server holds, through `ListKeys` with an allowed `Host`.
async fn key_count(server: &TestServer) -> usize {
    let listed = server.call("TrentService.ListKeys", "{}").await;
    assert_eq!(listed.status, 200);
    listed.json()["Keys"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_for_a_name_kmsd_does_not_answer_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    create_key(&server.client()).await;
    let port = server.addr.port();
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.evil.example:{port}"),
    ] {
        // The KMS API answers in its own error shape.
        let answer = send(server.addr, &kms_request(&host, "CreateKey", "{}")).await;
        assert_eq!(answer.status, 403, "{host}: {answer:?}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/x-amz-json-1.1")
        );
        assert!(answer.header("x-amzn-requestid").is_some());
        let body = answer.json();
        assert_eq!(body["__type"], "AccessDeniedException", "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&host), "{message}");
        assert!(message.contains("--allowed-hosts"), "{message}");

        // So do the admin API and health, in theirs.
        for (method, path) in [("POST", "/_kmsd/reset"), ("GET", "/health")] {
            let answer = send(
                server.addr,
                &request(
                    method,
                    path,
                    &[("Host", &host), ("Content-Type", "application/json")],
                    "",
                ),
            )
            .await;
            assert_eq!(answer.status, 403, "{method} {path} for {host}");
            assert!(
                answer.json()["error"]
                    .as_str()
                    .unwrap()
                    .contains("--allowed-hosts")
            );
        }
    }
    assert_eq!(
        key_count(&server).await,
        1,
        "a refused request changed something"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_names_ip_addresses_and_container_names_are_answered() {
    let server = TestServer::start().await;
    let port = server.addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("localhost:{port}"),
        // How other containers of a compose stack name kmsd.
        "kms:8080".to_owned(),
        "localstack:4566".to_owned(),
        "host.docker.internal:8080".to_owned(),
        "kms.default.svc.cluster.local".to_owned(),
        "kmsd.localhost".to_owned(),
        "kms.home.arpa".to_owned(),
    ] {
        let answer = send(server.addr, &kms_request(&host, "ListKeys", "{}")).await;
        assert_eq!(answer.status, 200, "{host}: {}", answer.body);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_hosts_adds_names_and_a_star_answers_every_name() {
    let server = TestServer::start_with_options(ServeOptions {
        allowed_hosts: AllowedHosts::parse("kms.example.com,other.example"),
        ..ServeOptions::default()
    })
    .await;
    for (host, status) in [
        ("kms.example.com:8080", 200),
        ("other.example", 200),
        ("kms:8080", 200),
        ("evil.example", 403),
        ("sub.kms.example.com", 403),
    ] {
        let answer = send(server.addr, &kms_request(host, "ListKeys", "{}")).await;
        assert_eq!(answer.status, status, "{host}");
    }
    server.stop().await;

    let server = TestServer::start_with_options(ServeOptions {
        allowed_hosts: AllowedHosts::any(),
        ..ServeOptions::default()
    })
    .await;
    let answer = send(server.addr, &kms_request("evil.example", "ListKeys", "{}")).await;
    assert_eq!(answer.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drive_by_page_can_neither_reset_nor_move_the_clock() {
    let server = TestServer::start().await;
    create_key(&server.client()).await;
    let host = server.addr.to_string();
    let own_origin = format!("http://{host}");
    let advance = r#"{"seconds": 31536000}"#;
    // What a page elsewhere can send without a preflight: a "simple" request, with its own
    // Origin and a text/plain, form or multipart body; and what it cannot (application/json)
    // from a foreign origin either.
    let drive_bys = [
        (
            "/_kmsd/reset",
            "text/plain",
            Some("http://evil.example"),
            "",
        ),
        ("/_kmsd/reset", "text/plain", None, ""),
        ("/moto-api/reset", "text/plain;charset=UTF-8", None, ""),
        (
            "/_kmsd/reset",
            "application/x-www-form-urlencoded",
            None,
            "a=b",
        ),
        (
            "/_kmsd/reset",
            "application/json",
            Some("http://evil.example"),
            "",
        ),
        ("/_kmsd/reset", "application/json", Some("null"), ""),
        (
            "/_kmsd/clock/advance",
            "text/plain",
            Some("http://evil.example"),
            advance,
        ),
        ("/_kmsd/clock/advance", "text/plain", None, advance),
        (
            "/_kmsd/clock/advance",
            "multipart/form-data; boundary=x",
            None,
            advance,
        ),
        (
            "/_kmsd/clock/advance",
            "application/json",
            Some("http://evil.example"),
            advance,
        ),
    ];
    for (path, content_type, origin, body) in drive_bys {
        let mut headers = vec![("Host", host.as_str()), ("Content-Type", content_type)];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        let answer = send(server.addr, &request("POST", path, &headers, body)).await;
        assert_eq!(answer.status, 403, "{path} {content_type} {origin:?}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert!(answer.header("access-control-allow-origin").is_none());
        let reason = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(!reason.contains('\n'), "{reason}");
    }
    assert_eq!(key_count(&server).await, 1, "a refused reset removed keys");
    assert_eq!(
        server.clock().await["offsetSeconds"],
        0,
        "a refused advance moved the clock"
    );

    // kmsd's own origin with JSON passes, and so does a request without a body or a type
    // (`curl -X POST`, moto's clients), which a browser would send with its Origin.
    let answer = send(
        server.addr,
        &request(
            "POST",
            "/_kmsd/clock/advance",
            &[
                ("Host", &host),
                ("Origin", &own_origin),
                ("Content-Type", "application/json"),
            ],
            r#"{"seconds": 60}"#,
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = send(
        server.addr,
        &request("POST", "/moto-api/reset", &[("Host", &host)], ""),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(key_count(&server).await, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_every_admin_route_but_health_needs_it() {
    let server = TestServer::start_with_options(ServeOptions {
        admin_token: AdminToken::new("s3cret-t0ken"),
        ..ServeOptions::default()
    })
    .await;
    create_key(&server.client()).await;
    let host = server.addr.to_string();
    let routes = [
        ("GET", "/_kmsd/clock", ""),
        ("POST", "/_kmsd/clock/advance", r#"{"seconds": 60}"#),
        ("GET", "/_kmsd/export", ""),
        ("POST", "/_kmsd/reset", ""),
        ("POST", "/moto-api/reset", ""),
    ];
    for authorization in [None, Some("Bearer wrong"), Some("s3cret-t0ken")] {
        for (method, path, body) in routes {
            let mut headers = vec![
                ("Host", host.as_str()),
                ("Content-Type", "application/json"),
            ];
            if let Some(value) = authorization {
                headers.push(("Authorization", value));
            }
            let answer = send(server.addr, &request(method, path, &headers, body)).await;
            assert_eq!(answer.status, 401, "{method} {path} {authorization:?}");
            assert_eq!(
                answer.header("www-authenticate"),
                Some("Bearer realm=\"kmsd\"")
            );
            assert!(
                answer.json()["error"]
                    .as_str()
                    .unwrap()
                    .contains("--admin-token")
            );
        }
    }
    assert_eq!(key_count(&server).await, 1);
    assert_eq!(server.admin("GET", "/health", "").await.status, 200);
    for (method, path, body) in routes {
        let answer = send(
            server.addr,
            &request(
                method,
                path,
                &[
                    ("Host", &host),
                    ("Content-Type", "application/json"),
                    ("Authorization", "Bearer s3cret-t0ken"),
                ],
                body,
            ),
        )
        .await;
        assert_eq!(answer.status, 200, "{method} {path}: {}", answer.body);
    }
    assert_eq!(key_count(&server).await, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_calls_are_in_the_audit_trail_with_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let server = TestServer::start_with_options(ServeOptions {
        audit: Some(AuditLog::open(&path).unwrap()),
        ..ServeOptions::default()
    })
    .await;
    let client = server.client();
    let key = create_key(&client).await;
    client
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let advanced = server.advance(8 * DAY).await;
    let deleted = advanced["deleted"].clone();
    assert_eq!(deleted.as_array().unwrap().len(), 1);
    let refused = server
        .raw(crate::support::RawRequest {
            method: "POST",
            path: "/_kmsd/reset",
            target: None,
            content_type: Some("text/plain"),
            body: b"",
            declared_length: None,
        })
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(server.admin("POST", "/_kmsd/reset", "").await.status, 200);
    server.stop().await;

    let records: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["eventSource"] == "kmsd")
        .collect();
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kmsd:AdvanceClock", "kmsd:Reset", "kmsd:Reset"]);
    let advance = &records[0];
    assert_eq!(advance["requestParameters"]["seconds"], 8 * DAY);
    assert_eq!(advance["responseElements"]["deleted"], deleted);
    assert_eq!(
        advance["responseElements"]["rotated"],
        serde_json::json!([])
    );
    assert_eq!(advance["responseElements"]["offsetSeconds"], 8 * DAY);
    assert_eq!(advance["recipientAccountId"], ACCOUNT);
    assert_eq!(advance["awsRegion"], REGION);
    assert_eq!(advance["sourceIPAddress"], "127.0.0.1");
    assert!(advance.get("errorCode").is_none(), "{advance}");
    assert_eq!(records[1]["errorCode"], "Forbidden");
    assert!(
        records[1]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    assert!(records[2].get("errorCode").is_none());
    for record in &records {
        assert!(uuid::Uuid::parse_str(record["requestID"].as_str().unwrap()).is_ok());
    }
}

#[test]
fn admin_calls_write_the_request_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(
        dir.path(),
        &["--in-memory", "--port", "0", "--log-format", "json"],
    );
    let status = crate::support::logged::post_json(
        &server.addr,
        "/_kmsd/clock/advance",
        r#"{"seconds": 60}"#,
    );
    assert_eq!(status, 200);
    let line: serde_json::Value =
        serde_json::from_str(&server.wait_for("\"op\":\"kmsd:AdvanceClock\"")).unwrap();
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["fields"]["status"], 200);
    assert!(line["fields"]["request_id"].as_str().is_some());
    assert!(line["fields"]["ms"].as_f64().is_some());
    server.kill();
}

#[test]
fn an_open_admin_api_on_a_public_address_is_one_warning_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = crate::support::logged::start(
        dir.path(),
        &["--in-memory", "--host", "0.0.0.0", "--port", "0"],
        &[],
    );
    let warning = lines.until("admin API");
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains("--admin-token"), "{warning}");
    lines.stop();

    // Neither on loopback nor with a token nor without the admin API.
    for args in [
        &["--in-memory", "--port", "0"][..],
        &[
            "--in-memory",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--admin-token",
            "t",
        ][..],
        &[
            "--in-memory",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--no-admin",
        ][..],
    ] {
        let mut lines = crate::support::logged::start(dir.path(), args, &[]);
        // A request's line comes after every startup line.
        let status = crate::support::logged::kms_call(&lines.addr, "ListKeys", "{}");
        assert_eq!(status, 200);
        lines.until_without("op=ListKeys", "admin API");
        lines.stop();
    }
}
