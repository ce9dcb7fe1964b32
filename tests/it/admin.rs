//! The admin API: health, the clock, reset (kmsd's own and moto's), and `--no-admin`.

use aws_sdk_kms::types::KeyState;
use kmsd::ServeOptions;

use crate::support::keys::create_alias;
use crate::support::lifecycle::schedule_deletion;
use crate::support::{
    ACCOUNT, DAY, REGION, TestServer, aliases_with_keys, check_error, create_key, key_state,
    metadata,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_status_version_uptime_and_keys() {
    let server = TestServer::start().await;
    create_key(&server.client()).await;
    create_key(&server.client_for("eu-west-1", "210987654321")).await;
    for path in ["/health", "/_kmsd/health"] {
        let response = server.admin("GET", path, "").await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("application/json"));
        let body = response.json();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert!(body["uptimeSeconds"].as_u64().is_some(), "{body}");
        assert_eq!(body["keys"], 2, "keys of every account and region: {body}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_reads_and_moves_forward_and_kms_dates_follow_it() {
    let server = TestServer::start().await;
    let client = server.client();
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let clock = server.clock().await;
    assert_eq!(clock["offsetSeconds"], 0);
    assert!(
        (clock["now"].as_f64().unwrap() - system).abs() < 60.0,
        "{clock}"
    );

    let advanced = server.advance(30 * DAY).await;
    assert_eq!(advanced["offsetSeconds"], 30 * DAY);
    assert_eq!(advanced["rotated"], serde_json::json!([]));
    assert_eq!(advanced["deleted"], serde_json::json!([]));
    let now = advanced["now"].as_f64().unwrap();
    assert!(
        (now - (system + 30.0 * DAY as f64)).abs() < 60.0,
        "{advanced}"
    );
    assert_eq!(server.clock().await["offsetSeconds"], 30 * DAY);

    // KMS dates come from the same clock.
    let created = client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .creation_date
        .unwrap()
        .as_secs_f64();
    assert!((created - now).abs() < 60.0, "{created} vs {now}");
    let key_id = create_key(&client).await;
    let deletion = schedule_deletion(&client, &key_id, Some(7))
        .await
        .deletion_date
        .unwrap()
        .as_secs_f64();
    assert!((deletion - (now + 7.0 * DAY as f64)).abs() < 60.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_advance_is_a_400_and_changes_nothing() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    schedule_deletion(&client, &key_id, Some(7)).await;
    server.advance(DAY).await;

    let too_far = format!(r#"{{"seconds": {}}}"#, u64::MAX);
    for body in [
        r#"{"seconds": -604800}"#,
        r#"{"seconds": 0}"#,
        r#"{"seconds": 1.5}"#,
        r#"{"seconds": "604800"}"#,
        r#"{"seconds": null}"#,
        r#"{"second": 604800}"#,
        r#"[604800]"#,
        "604800",
        "{not json",
        "",
        too_far.as_str(),
    ] {
        let response = server.admin("POST", "/_kmsd/clock/advance", body).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        let error = response.json();
        assert!(
            error["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}: {error}"
        );
    }
    let message = server
        .admin("POST", "/_kmsd/clock/advance", r#"{"seconds": -5}"#)
        .await
        .json();
    assert_eq!(
        message["error"],
        "\"seconds\" must be a positive integer (the clock only moves forward), not -5."
    );

    // Nothing moved, nothing was deleted.
    assert_eq!(server.clock().await["offsetSeconds"], DAY);
    assert_eq!(key_state(&client, &key_id).await, "PendingDeletion");
    // GET is not how the clock moves.
    let get = server.admin("GET", "/_kmsd/clock/advance", "").await;
    assert_eq!(get.status, 405);
    assert_eq!(server.clock().await["offsetSeconds"], DAY);
    server.stop().await;
}

/// Keys and aliases in two accounts and two regions, one of them pending deletion.
async fn populate(server: &TestServer) -> Vec<String> {
    let mut ids = Vec::new();
    for client in [
        server.client(),
        server.client_for("eu-west-1", ACCOUNT),
        server.client_for(REGION, "210987654321"),
    ] {
        let key_id = create_key(&client).await;
        create_alias(&client, "alias/shared-name", &key_id).await;
        ids.push(key_id);
    }
    let pending = create_key(&server.client()).await;
    schedule_deletion(&server.client(), &pending, None).await;
    ids.push(pending);
    ids
}

async fn assert_empty(server: &TestServer, ids: &[String]) {
    for client in [
        server.client(),
        server.client_for("eu-west-1", ACCOUNT),
        server.client_for(REGION, "210987654321"),
    ] {
        assert!(client.list_keys().send().await.unwrap().keys().is_empty());
        assert!(aliases_with_keys(&client.list_aliases().send().await.unwrap()).is_empty());
        for id in ids {
            check_error(
                client.describe_key().key_id(id).send().await,
                "NotFoundException",
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_wipes_every_account_and_region_and_keeps_serving() {
    let server = TestServer::start().await;
    let ids = populate(&server).await;
    server.advance(3600).await;

    let response = server.admin("POST", "/_kmsd/reset", "").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), serde_json::json!({"status": "ok"}));
    assert_empty(&server, &ids).await;
    assert_eq!(server.admin("GET", "/health", "").await.json()["keys"], 0);
    // The clock is not part of the state a reset wipes: it never moves back.
    assert_eq!(server.clock().await["offsetSeconds"], 3600);

    // The server keeps working, and the old names are free again.
    let client = server.client();
    let fresh = create_key(&client).await;
    create_alias(&client, "alias/shared-name", &fresh).await;
    assert_eq!(client.list_keys().send().await.unwrap().keys().len(), 1);

    // The wipe reached the disk: a restart does not bring anything back.
    let server = server.restart().await;
    let keys = server.client().list_keys().send().await.unwrap();
    assert_eq!(keys.keys().len(), 1);
    assert_eq!(keys.keys()[0].key_id.as_deref(), Some(fresh.as_str()));
    for id in &ids {
        check_error(
            server.client().describe_key().key_id(id).send().await,
            "NotFoundException",
        );
    }
    let west = server.client_for("eu-west-1", ACCOUNT);
    assert!(west.list_keys().send().await.unwrap().keys().is_empty());
    assert!(aliases_with_keys(&west.list_aliases().send().await.unwrap()).is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_reset_does_the_same_with_motos_answer() {
    let server = TestServer::start().await;
    let ids = populate(&server).await;
    let response = server.admin("POST", "/moto-api/reset", "").await;
    assert_eq!(response.status, 200);
    // moto's server answers exactly this, and some suites compare the bytes.
    assert_eq!(response.body, br#"{"status": "ok"}"#);
    assert_empty(&server, &ids).await;
    let server = server.restart().await;
    assert_empty(&server, &ids).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_admin_turns_the_admin_routes_off_but_not_health() {
    let server = TestServer::start_with_options(ServeOptions {
        admin: false,
        ..ServeOptions::default()
    })
    .await;
    let client = server.client();
    let key_id = create_key(&client).await;
    schedule_deletion(&client, &key_id, Some(7)).await;
    for (method, path, body) in [
        ("GET", "/_kmsd/clock", ""),
        ("POST", "/_kmsd/clock/advance", r#"{"seconds": 864000}"#),
        ("POST", "/_kmsd/reset", ""),
        ("POST", "/moto-api/reset", ""),
    ] {
        let response = server.admin(method, path, body).await;
        // Like any other path that is not the KMS API.
        response.assert_error(400, "UnknownOperationException", None);
    }
    // Nothing was reset and the clock did not move.
    assert_eq!(key_state(&client, &key_id).await, "PendingDeletion");
    let meta = metadata(&client, &key_id).await;
    assert_eq!(meta.key_state, Some(KeyState::PendingDeletion));
    for path in ["/health", "/_kmsd/health"] {
        let response = server.admin("GET", path, "").await;
        assert_eq!(response.status, 200);
        assert_eq!(response.json()["keys"], 1);
    }
    server.stop().await;
}
