//! The console's admin endpoints through raw HTTP: keys, one key, aliases and grants per
//! account and region, the clock's preview, the revision, and the admin guards on all of them.
//! They never show key material.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantOperation, KeySpec, KeyUsageType, Tag};
use base64::Engine;
use kmsd::ServeOptions;
use kmsd::server::AdminToken;
use serde_json::{Value, json};

use crate::support::arns::{key_arn, key_arn_in};
use crate::support::http::{self, PATIENCE};
use crate::support::keys::{create_alias, create_key_with};
use crate::support::lifecycle::{enable_rotation, schedule_deletion};
use crate::support::{ACCOUNT, DAY, REGION, TestServer, create_key, key_state, metadata};

const OTHER_ACCOUNT: &str = "210987654321";

/// `GET path` on the admin API; asserts a 200 and returns the JSON.
async fn get(server: &TestServer, path: &str) -> Value {
    let response = server.admin("GET", path, "").await;
    assert_eq!(
        response.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.json()
}

/// The values of `member` in the objects of `list`.
fn column<'a>(list: &'a Value, member: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[member].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_aliases_and_grants_are_listed_per_account_and_region() {
    let server = TestServer::start().await;
    let client = server.client();
    let plain = create_key(&client).await;
    let described = client
        .create_key()
        .description("orders")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("payments")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let signing = create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    create_alias(&client, "alias/orders", &described).await;
    create_alias(&client, "alias/orders-too", &described).await;
    enable_rotation(&client, &described, Some(90)).await;
    let deletion = schedule_deletion(&client, &plain, Some(7)).await;
    client.disable_key().key_id(&signing).send().await.unwrap();
    let grant_id = client
        .create_grant()
        .key_id(&described)
        .grantee_principal("arn:aws:iam::123456789012:role/app")
        .operations(GrantOperation::Encrypt)
        .name("app")
        .send()
        .await
        .unwrap()
        .grant_id
        .unwrap();
    let west = server.client_for("eu-west-1", OTHER_ACCOUNT);
    let far = create_key(&west).await;
    create_alias(&west, "alias/far", &far).await;

    let scopes = get(&server, "/_kmsd/scopes").await;
    assert_eq!(
        scopes["home"],
        json!({"account": ACCOUNT, "region": REGION})
    );
    assert_eq!(
        scopes["scopes"],
        json!([
            {"account": ACCOUNT, "region": REGION, "keys": 3, "aliases": 2},
            {"account": OTHER_ACCOUNT, "region": "eu-west-1", "keys": 1, "aliases": 1},
        ])
    );

    // The server's own account and region unless the query names others.
    for path in [
        "/_kmsd/keys",
        "/_kmsd/keys?account=123456789012&region=us-east-1",
    ] {
        let keys = get(&server, path).await;
        assert_eq!(keys["account"], ACCOUNT);
        assert_eq!(keys["region"], REGION);
        let mut ids = vec![plain.as_str(), described.as_str(), signing.as_str()];
        ids.sort_unstable();
        assert_eq!(column(&keys["keys"], "keyId"), ids, "in key id order");
        let row = |id: &str| {
            keys["keys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["keyId"] == id)
                .unwrap()
                .clone()
        };
        let orders = row(&described);
        let meta = metadata(&client, &described).await;
        assert_eq!(orders["arn"], key_arn(&described));
        assert_eq!(
            orders["aliases"],
            json!(["alias/orders", "alias/orders-too"])
        );
        assert_eq!(orders["description"], "orders");
        assert_eq!(orders["keySpec"], "SYMMETRIC_DEFAULT");
        assert_eq!(orders["keyUsage"], "ENCRYPT_DECRYPT");
        assert_eq!(orders["keyState"], "Enabled");
        assert_eq!(orders["origin"], "AWS_KMS");
        assert_eq!(orders["keyManager"], "CUSTOMER");
        assert_eq!(orders["multiRegion"], false);
        assert_eq!(
            orders["creationDate"].as_f64().unwrap(),
            meta.creation_date.unwrap().as_secs_f64()
        );
        let status = client
            .get_key_rotation_status()
            .key_id(&described)
            .send()
            .await
            .unwrap();
        assert_eq!(orders["rotation"]["enabled"], true);
        assert_eq!(orders["rotation"]["periodDays"], 90);
        assert_eq!(
            orders["rotation"]["nextRotationDate"].as_f64().unwrap(),
            status.next_rotation_date.unwrap().as_secs_f64()
        );
        let pending = row(&plain);
        assert_eq!(pending["keyState"], "PendingDeletion");
        assert_eq!(
            pending["deletionDate"].as_f64().unwrap(),
            deletion.deletion_date.unwrap().as_secs_f64()
        );
        assert_eq!(pending["aliases"], json!([]));
        assert_eq!(pending["rotation"]["enabled"], false);
        let disabled = row(&signing);
        assert_eq!(disabled["keyState"], "Disabled");
        assert_eq!(disabled["keySpec"], "ECC_NIST_P256");
        assert_eq!(disabled["keyUsage"], "SIGN_VERIFY");
        assert_eq!(disabled["deletionDate"], Value::Null);
    }
    let keys = get(&server, "/_kmsd/keys?account=210987654321&region=eu-west-1").await;
    assert_eq!(column(&keys["keys"], "keyId"), [far.as_str()]);
    assert_eq!(
        keys["keys"][0]["arn"],
        key_arn_in("eu-west-1", OTHER_ACCOUNT, &far)
    );
    // An account and region with nothing in it is empty, not an error.
    let empty = get(&server, "/_kmsd/keys?region=ap-south-1").await;
    assert_eq!(empty["keys"], json!([]));

    let aliases = get(&server, "/_kmsd/aliases").await;
    assert_eq!(
        column(&aliases["aliases"], "aliasName"),
        ["alias/orders", "alias/orders-too"]
    );
    let first = &aliases["aliases"][0];
    assert_eq!(first["targetKeyId"], described);
    assert_eq!(
        first["aliasArn"],
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/orders")
    );
    let listed = client.list_aliases().send().await.unwrap();
    let sdk = listed
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/orders"))
        .unwrap();
    assert_eq!(
        first["creationDate"].as_f64().unwrap(),
        sdk.creation_date.unwrap().as_secs_f64()
    );
    let far_aliases = get(
        &server,
        "/_kmsd/aliases?account=210987654321&region=eu-west-1",
    )
    .await;
    assert_eq!(column(&far_aliases["aliases"], "aliasName"), ["alias/far"]);

    // Grants as ListGrants shows them.
    let grants = get(&server, "/_kmsd/grants").await;
    let listed = client
        .list_grants()
        .key_id(&described)
        .send()
        .await
        .unwrap();
    let sdk = &listed.grants()[0];
    assert_eq!(grants["grants"].as_array().unwrap().len(), 1);
    let grant = &grants["grants"][0];
    assert_eq!(grant["GrantId"], grant_id);
    assert_eq!(grant["KeyId"], key_arn(&described));
    assert_eq!(grant["Name"], "app");
    assert_eq!(grant["GranteePrincipal"], sdk.grantee_principal().unwrap());
    assert_eq!(grant["Operations"], json!(["Encrypt"]));
    assert_eq!(grant["IssuingAccount"], sdk.issuing_account().unwrap());
    let none = get(
        &server,
        "/_kmsd/grants?account=210987654321&region=eu-west-1",
    )
    .await;
    assert_eq!(none["grants"], json!([]));
    server.stop().await;
}

/// A seed file with one symmetric key of known material, whose hex is returned.
fn seed_file(dir: &std::path::Path, key_id: &str) -> (std::path::PathBuf, String) {
    let material = "5ec12e75ec12e75ec12e75ec12e75ec12e75ec12e75ec12e75ec12e75ec12e75";
    let path = dir.join("seed.yaml");
    std::fs::write(
        &path,
        format!(
            "Keys:\n  - KeyId: {key_id}\n    Description: seeded\n    KeyMaterial: {material}\n    \
             Tags: {{team: payments, env: test}}\n"
        ),
    )
    .unwrap();
    (path, material.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_details_show_everything_but_its_material() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = "0c0ffee0-0000-4000-8000-000000000019";
    let (seed, material) = seed_file(dir.path(), key_id);
    let server = TestServer::start_seeded(&seed).await;
    let client = server.client();
    create_alias(&client, "alias/seeded", key_id).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"all","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}"#;
    client
        .put_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .policy(policy)
        .send()
        .await
        .unwrap();
    client
        .rotate_key_on_demand()
        .key_id(key_id)
        .send()
        .await
        .unwrap();
    client
        .create_grant()
        .key_id(key_id)
        .grantee_principal("arn:aws:iam::123456789012:role/app")
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let encrypted = client
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(b"hello".to_vec()))
        .send()
        .await
        .unwrap();
    let request_id = aws_sdk_kms::operation::RequestId::request_id(&encrypted)
        .unwrap()
        .to_owned();

    let details = get(&server, &format!("/_kmsd/keys/{key_id}")).await;
    // DescribeKey's metadata, member for member.
    let described = server
        .call(
            "TrentService.DescribeKey",
            &format!(r#"{{"KeyId": "{key_id}"}}"#),
        )
        .await
        .json();
    assert_eq!(details["keyMetadata"], described["KeyMetadata"]);
    assert_eq!(column(&details["aliases"], "aliasName"), ["alias/seeded"]);
    assert_eq!(
        details["tags"],
        json!([{"TagKey": "env", "TagValue": "test"}, {"TagKey": "team", "TagValue": "payments"}])
    );
    // The policy, indented.
    let shown = details["policy"].as_str().unwrap();
    assert!(shown.contains("\n  \"Statement\": ["), "{shown}");
    assert_eq!(
        serde_json::from_str::<Value>(shown).unwrap(),
        serde_json::from_str::<Value>(policy).unwrap()
    );
    assert_eq!(details["grants"].as_array().unwrap().len(), 1);
    assert_eq!(details["grants"][0]["Operations"], json!(["Decrypt"]));
    // Both material versions, as ListKeyRotations names them, and which one is current.
    let rotations = client
        .list_key_rotations()
        .key_id(key_id)
        .include_key_material(aws_sdk_kms::types::IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap();
    let materials = details["materials"].as_array().unwrap();
    assert_eq!(materials.len(), 2);
    let ids: Vec<&str> = rotations
        .rotations()
        .iter()
        .map(|r| r.key_material_id().unwrap())
        .collect();
    assert_eq!(column(&details["materials"], "keyMaterialId"), ids);
    assert_eq!(materials[0]["keyMaterialState"], "NON_CURRENT");
    assert_eq!(materials[0]["rotationType"], Value::Null);
    assert_eq!(materials[1]["keyMaterialState"], "CURRENT");
    assert_eq!(materials[1]["rotationType"], "ON_DEMAND");
    assert_eq!(
        materials[1]["rotationDate"].as_f64().unwrap(),
        rotations.rotations()[1]
            .rotation_date
            .unwrap()
            .as_secs_f64()
    );
    assert_eq!(
        details["keyMetadata"]["CurrentKeyMaterialId"],
        materials[1]["keyMaterialId"]
    );
    assert_eq!(materials[0]["importState"], Value::Null);
    // The last use, as GetKeyLastUsage reports it.
    assert_eq!(details["lastUsage"]["operation"], "Encrypt");
    assert_eq!(details["lastUsage"]["kmsRequestId"], request_id);

    // Nowhere the material itself, in any spelling.
    let secret = (0..material.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&material[i..i + 2], 16).unwrap())
        .collect::<Vec<u8>>();
    let spellings = [
        material.clone(),
        material.to_ascii_uppercase(),
        base64::engine::general_purpose::STANDARD.encode(&secret),
        base64::engine::general_purpose::STANDARD.encode(&secret[..12]),
    ];
    for path in [
        format!("/_kmsd/keys/{key_id}"),
        "/_kmsd/keys".to_owned(),
        "/_kmsd/aliases".to_owned(),
        "/_kmsd/grants".to_owned(),
        "/_kmsd/scopes".to_owned(),
    ] {
        let body = String::from_utf8(server.admin("GET", &path, "").await.body).unwrap();
        for spelling in &spellings {
            assert!(
                !body.contains(spelling.as_str()),
                "{path} shows the material"
            );
        }
    }

    // A key id that does not exist here, in this or another scope, is a 404.
    let missing = server
        .admin(
            "GET",
            "/_kmsd/keys/0c0ffee0-0000-4000-8000-000000000000",
            "",
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json()["error"],
        "There is no key 0c0ffee0-0000-4000-8000-000000000000 in account 123456789012 and \
         region us-east-1."
    );
    let elsewhere = server
        .admin("GET", &format!("/_kmsd/keys/{key_id}?region=eu-west-1"), "")
        .await;
    assert_eq!(elsewhere.status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_materials_show_their_state_and_import_state() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = "0c0ffee0-0000-4000-8000-000000000020";
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        format!(
            "Keys:\n  - KeyId: {key_id}\n    Origin: EXTERNAL\n    KeyMaterials:\n      \
             - {{Material: '{}', ValidTo: '2099-01-31T00:00:00Z'}}\n      \
             - {{Material: '{}', State: PENDING_ROTATION}}\n",
            "01".repeat(32),
            "02".repeat(32)
        ),
    )
    .unwrap();
    let server = TestServer::start_seeded(&seed).await;
    let details = get(&server, &format!("/_kmsd/keys/{key_id}")).await;
    let materials = details["materials"].as_array().unwrap();
    let states: Vec<(&str, &str)> = materials
        .iter()
        .map(|m| {
            (
                m["keyMaterialState"].as_str().unwrap(),
                m["importState"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [("CURRENT", "IMPORTED"), ("PENDING_ROTATION", "IMPORTED")],
        "{details:#}"
    );
    // The current one expires on the clock; its version then shows as waiting for import.
    server.advance(80 * 365 * DAY).await;
    let details = get(&server, &format!("/_kmsd/keys/{key_id}")).await;
    assert_eq!(details["keyMetadata"]["KeyState"], "PendingImport");
    let current = details["keyMetadata"]["CurrentKeyMaterialId"]
        .as_str()
        .unwrap();
    let states: Vec<(&str, &str, &str)> = details["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["keyMaterialId"].as_str().unwrap(),
                m["keyMaterialState"].as_str().unwrap(),
                m["importState"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        states.contains(&(current, "CURRENT", "PENDING_IMPORT")),
        "{details:#}"
    );
    assert!(
        states
            .iter()
            .any(|(_, state, import)| (*state, *import) == ("PENDING_ROTATION", "IMPORTED")),
        "{details:#}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_tells_what_an_advance_would_do_and_changes_nothing() {
    let server = TestServer::start().await;
    let client = server.client();
    let rotating = create_key(&client).await;
    enable_rotation(&client, &rotating, Some(90)).await;
    let doomed = create_key(&client).await;
    schedule_deletion(&client, &doomed, Some(7)).await;
    let before = get(&server, "/_kmsd/revision").await["revision"].clone();
    let clock = server.clock().await;

    let week = get(
        &server,
        &format!("/_kmsd/clock/preview?seconds={}", 8 * DAY),
    )
    .await;
    assert_eq!(week["wouldDelete"], json!([key_arn(&doomed)]));
    assert_eq!(week["wouldRotate"], json!([]));
    assert_eq!(week["offsetSeconds"], 0);
    assert_eq!(week["offsetSecondsAfter"], 8 * DAY);
    let at = week["at"].as_f64().unwrap();
    let now = clock["now"].as_f64().unwrap();
    assert!((at - now - (8 * DAY) as f64).abs() < 60.0, "{week}");
    let quarter = get(
        &server,
        &format!("/_kmsd/clock/preview?seconds={}", 91 * DAY),
    )
    .await;
    assert_eq!(quarter["wouldDelete"], json!([key_arn(&doomed)]));
    assert_eq!(quarter["wouldRotate"], json!([key_arn(&rotating)]));
    let day = get(&server, &format!("/_kmsd/clock/preview?seconds={DAY}")).await;
    assert_eq!(day["wouldDelete"], json!([]));

    // Nothing moved.
    assert_eq!(server.clock().await["offsetSeconds"], 0);
    assert_eq!(key_state(&client, &doomed).await, "PendingDeletion");
    assert_eq!(get(&server, "/_kmsd/revision").await["revision"], before);

    // The advance does what the preview said.
    let advanced = server.advance(91 * DAY).await;
    assert_eq!(advanced["deleted"], quarter["wouldDelete"]);
    assert_eq!(advanced["rotated"], quarter["wouldRotate"]);

    for query in [
        "seconds=0",
        "seconds=-5",
        "seconds=1.5",
        "seconds=abc",
        "",
        "days=1",
    ] {
        let response = server
            .admin("GET", &format!("/_kmsd/clock/preview?{query}"), "")
            .await;
        assert_eq!(response.status, 400, "{query}");
        assert!(response.json()["error"].as_str().is_some(), "{query}");
    }
    let too_far = server
        .admin("GET", "/_kmsd/clock/preview?seconds=99999999999999", "")
        .await;
    assert_eq!(too_far.status, 400);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revision_moves_with_every_change_and_can_be_awaited() {
    let server = TestServer::start().await;
    let client = server.client();
    let revision = |v: &Value| v["revision"].as_u64().unwrap();
    let first = revision(&get(&server, "/_kmsd/revision").await);
    // Reading changes nothing.
    get(&server, "/_kmsd/keys").await;
    assert_eq!(revision(&get(&server, "/_kmsd/revision").await), first);

    // A request that waits for a change answers once one happens.
    let path = format!("/_kmsd/revision?after={first}");
    let waiting = {
        let addr = server.addr;
        let host = addr.to_string();
        tokio::spawn(async move {
            http::send(addr, &http::request("GET", &path, &[("Host", &host)], "")).await
        })
    };
    let key_id = create_key(&client).await;
    let answer = tokio::time::timeout(PATIENCE, waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.status, 200);
    let second = revision(&answer.json());
    assert!(second > first);
    assert_eq!(get(&server, "/_kmsd/keys").await["revision"], second);

    // An advance and a reset are changes too; a stale `after` answers at once.
    server.advance(DAY).await;
    let third = revision(&get(&server, &format!("/_kmsd/revision?after={first}")).await);
    assert!(third > second);
    assert_eq!(server.admin("POST", "/_kmsd/reset", "").await.status, 200);
    assert!(revision(&get(&server, "/_kmsd/revision").await) > third);
    assert!(client.describe_key().key_id(&key_id).send().await.is_err());

    // A waiting request does not hold up shutdown: the server stops well within the ten
    // seconds such a request may wait, and answers it if it had begun to serve it.
    let now = revision(&get(&server, "/_kmsd/revision").await);
    let request = http::request(
        "GET",
        &format!("/_kmsd/revision?after={now}"),
        &[("Host", &server.addr.to_string())],
        "",
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&request).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("the server stops without waiting out the revision request");
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut raw)).await;
    if !raw.is_empty() {
        let answer = http::Answer::parse(&raw);
        assert_eq!(answer.status, 200);
        assert_eq!(revision(&answer.json()), now);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_400s() {
    let server = TestServer::start().await;
    for (path, message) in [
        (
            "/_kmsd/keys?account=12345",
            "account must be 12 digits, not \"12345\".",
        ),
        (
            "/_kmsd/aliases?region=Mars!",
            "\"Mars!\" is not a region name.",
        ),
        (
            "/_kmsd/grants?acount=123456789012",
            "Unknown query parameter \"acount\": use account, region.",
        ),
        ("/_kmsd/keys/not-a-key", "\"not-a-key\" is not a key id."),
        (
            "/_kmsd/revision?after=soon",
            "after must be a revision number, not \"soon\".",
        ),
    ] {
        let response = server.admin("GET", path, "").await;
        assert_eq!(response.status, 400, "{path}");
        assert_eq!(response.json()["error"], message, "{path}");
    }
    server.stop().await;
}

/// Every read-only endpoint of the console.
const READS: [&str; 7] = [
    "/_kmsd/scopes",
    "/_kmsd/keys",
    "/_kmsd/keys/0c0ffee0-0000-4000-8000-000000000000",
    "/_kmsd/aliases",
    "/_kmsd/grants",
    "/_kmsd/clock/preview?seconds=60",
    "/_kmsd/revision",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_endpoints_pass_the_admin_guards() {
    let token = "console-s3cret";
    let server = TestServer::start_with_options(ServeOptions {
        admin_token: AdminToken::new(token),
        ..ServeOptions::default()
    })
    .await;
    let host = server.addr.to_string();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("me:{token}"))
    );
    let bearer = format!("Bearer {token}");
    for path in READS {
        let plain = http::send(
            server.addr,
            &http::request("GET", path, &[("Host", &host)], ""),
        )
        .await;
        assert_eq!(plain.status, 401, "{path}");
        assert_eq!(
            plain.header("www-authenticate"),
            Some("Bearer realm=\"kmsd\"")
        );
        for authorization in [&bearer, &basic] {
            let allowed = http::send(
                server.addr,
                &http::request(
                    "GET",
                    path,
                    &[("Host", &host), ("Authorization", authorization)],
                    "",
                ),
            )
            .await;
            let expected = if path.starts_with("/_kmsd/keys/") {
                404
            } else {
                200
            };
            assert_eq!(allowed.status, expected, "{path}: {}", allowed.body);
        }
        // A page of another origin is refused, token or not.
        let foreign = http::send(
            server.addr,
            &http::request(
                "GET",
                path,
                &[
                    ("Host", &host),
                    ("Origin", "http://evil.example"),
                    ("Authorization", &bearer),
                ],
                "",
            ),
        )
        .await;
        assert_eq!(foreign.status, 403, "{path}");
    }
    server.stop().await;

    let server = TestServer::start_with_options(ServeOptions {
        admin: false,
        ..ServeOptions::default()
    })
    .await;
    for path in READS {
        let response = server.admin("GET", path, "").await;
        response.assert_error(400, "UnknownOperationException", None);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_an_admin_route_that_asks_browsers_for_the_token() {
    let server = TestServer::start().await;
    let page = server.admin("GET", "/_kmsd/ui", "").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<title>kmsd console</title>"));
    server.stop().await;

    let token = "console-s3cret";
    let server = TestServer::start_with_options(ServeOptions {
        admin_token: AdminToken::new(token),
        ..ServeOptions::default()
    })
    .await;
    let host = server.addr.to_string();
    let asked = http::send(
        server.addr,
        &http::request("GET", "/_kmsd/ui", &[("Host", &host)], ""),
    )
    .await;
    assert_eq!(asked.status, 401);
    // A browser prompts for Basic credentials, and then sends them with the page's requests.
    assert_eq!(
        asked.header("www-authenticate"),
        Some("Basic realm=\"kmsd\", charset=\"UTF-8\"")
    );
    assert!(!asked.body.contains("kmsd console"));
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(":{token}"))
    );
    let shown = http::send(
        server.addr,
        &http::request(
            "GET",
            "/_kmsd/ui",
            &[("Host", &host), ("Authorization", &basic)],
            "",
        ),
    )
    .await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("<title>kmsd console</title>"));
    server.stop().await;

    let server = TestServer::start_with_options(ServeOptions {
        admin: false,
        ..ServeOptions::default()
    })
    .await;
    let off = server.admin("GET", "/_kmsd/ui", "").await;
    off.assert_error(400, "UnknownOperationException", None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_asset_of_the_page_comes_from_the_binary() {
    let server = TestServer::start().await;
    let page = server.admin("GET", "/_kmsd/ui", "").await;
    let html = String::from_utf8(page.body).unwrap();
    // The page is the file in the source tree, embedded: nothing is read at run time.
    assert_eq!(html, include_str!("../../src/server/console.html"));
    // No address of anything elsewhere: no scheme, no protocol-relative URL.
    assert!(!html.contains("://"), "the page names an address elsewhere");
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "@import",
        "@font-face",
    ] {
        assert!(!lower.contains(forbidden), "the page has {forbidden}");
    }
    // Every reference the page makes: in-page fragments, the admin API, or inline data.
    let mut references = Vec::new();
    for opener in [
        "src=\"",
        "href=\"",
        "action=\"",
        "url(",
        "fetch(",
        "api(\"",
        "post(\"",
    ] {
        for (at, _) in lower.match_indices(opener) {
            let rest = &html[at + opener.len()..];
            let value: String = rest
                .trim_start_matches(['"', '\''])
                .chars()
                .take_while(|c| !matches!(c, '"' | '\'' | ')' | ' '))
                .collect();
            references.push((opener, value));
        }
    }
    assert!(
        references.iter().any(|(o, _)| *o == "api(\""),
        "the scan found nothing"
    );
    for (opener, value) in &references {
        let fine = value.starts_with('#')
            || value.starts_with("/_kmsd/")
            || value.starts_with("data:")
            // The fetch helper's own argument, `fetch(path, ...)`.
            || (*opener == "fetch(" && value.starts_with("path,"));
        assert!(
            fine,
            "{opener}{value} is not part of the page or kmsd's admin API"
        );
    }
    // Every admin path the page reads is one kmsd serves.
    for (_, value) in references.iter().filter(|(_, v)| v.starts_with("/_kmsd/")) {
        let path = value.split('?').next().unwrap();
        let path = if path == "/_kmsd/keys/" {
            "/_kmsd/keys/0c0ffee0-0000-4000-8000-000000000000"
        } else {
            path
        };
        let (method, body) = match path {
            "/_kmsd/clock/advance" | "/_kmsd/reset" => ("POST", "{\"seconds\": 1}"),
            _ => ("GET", ""),
        };
        let response = server.admin(method, path, body).await;
        // Served by the admin API: an answer, or one of its own refusals of this request
        // (a missing query parameter, a key that is not there), never the fallback's.
        let answer = response.json();
        assert!(
            response.status == 200
                || ([400, 404].contains(&response.status) && answer["error"].is_string()),
            "{method} {path}: {answer}"
        );
    }
    server.stop().await;
}
