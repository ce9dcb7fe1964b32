//! CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant.

use aws_sdk_kms::Client;
use aws_sdk_kms::types::{GrantConstraints, GrantListEntry, GrantOperation, KeySpec, KeyUsageType};

use crate::support::keys::create_key_with;
use crate::support::lifecycle::schedule_deletion;
use crate::support::{RawRequest, TestServer, check_error, create_key, metadata};

const APP: &str = "arn:aws:iam::111122223333:role/app";
const ADMIN: &str = "arn:aws:iam::111122223333:role/admin";

/// Every grant of a key, following the markers.
async fn all_grants(client: &Client, key_id: &str) -> Vec<GrantListEntry> {
    let mut grants = Vec::new();
    let mut marker = None;
    loop {
        let page = client
            .list_grants()
            .key_id(key_id)
            .limit(2)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        grants.extend(page.grants().iter().cloned());
        assert_eq!(page.truncated, page.next_marker.is_some());
        marker = page.next_marker;
        if marker.is_none() {
            return grants;
        }
    }
}

async fn grant(client: &Client, key_id: &str, operations: &[GrantOperation]) -> (String, String) {
    let created = client
        .create_grant()
        .key_id(key_id)
        .grantee_principal(APP)
        .retiring_principal(ADMIN)
        .set_operations(Some(operations.to_vec()))
        .send()
        .await
        .unwrap();
    (created.grant_id.unwrap(), created.grant_token.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_retire_and_revoke() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let arn = metadata(&client, &key_id).await.arn.unwrap();

    let constraints = GrantConstraints::builder()
        .encryption_context_subset("Department", "IT")
        .build();
    let first = client
        .create_grant()
        .key_id(&arn)
        .grantee_principal(APP)
        .retiring_principal(ADMIN)
        .operations(GrantOperation::Encrypt)
        .operations(GrantOperation::Decrypt)
        .constraints(constraints.clone())
        .name("first")
        .send()
        .await
        .unwrap();
    let first_id = first.grant_id.unwrap();
    assert_eq!(first_id.len(), 64);
    assert!(first.grant_token.is_some());
    let (second_id, second_token) =
        grant(&client, &key_id, &[GrantOperation::GenerateDataKey]).await;
    let (third_id, _) = grant(&client, &key_id, &[GrantOperation::DescribeKey]).await;
    assert_ne!(first_id, second_id);

    // Listed oldest first, in pages of two, with everything CreateGrant was told.
    let grants = all_grants(&client, &key_id).await;
    let ids: Vec<&str> = grants.iter().map(|g| g.grant_id().unwrap()).collect();
    assert_eq!(ids, [&first_id, &second_id, &third_id]);
    let listed = &grants[0];
    assert_eq!(listed.key_id(), Some(arn.as_str()));
    assert_eq!(listed.name(), Some("first"));
    assert_eq!(listed.grantee_principal(), Some(APP));
    assert_eq!(listed.retiring_principal(), Some(ADMIN));
    assert_eq!(
        listed.issuing_account(),
        Some("arn:aws:iam::123456789012:root")
    );
    assert_eq!(
        listed.operations(),
        [GrantOperation::Encrypt, GrantOperation::Decrypt]
    );
    assert_eq!(listed.constraints(), Some(&constraints));
    assert!(listed.creation_date().is_some());
    assert_eq!(grants[1].name(), None);

    // Filters.
    let by_id = client
        .list_grants()
        .key_id(&key_id)
        .grant_id(&second_id)
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.grants().len(), 1);
    assert_eq!(by_id.grants()[0].grant_id(), Some(second_id.as_str()));
    let by_grantee = client
        .list_grants()
        .key_id(&key_id)
        .grantee_principal("arn:aws:iam::111122223333:role/nobody")
        .send()
        .await
        .unwrap();
    assert!(by_grantee.grants().is_empty());
    assert!(!by_grantee.truncated);

    // Retire by token, by key and id; revoke by id.
    client
        .retire_grant()
        .grant_token(&second_token)
        .send()
        .await
        .unwrap();
    client
        .retire_grant()
        .key_id(&arn)
        .grant_id(&first_id)
        .send()
        .await
        .unwrap();
    let left = all_grants(&client, &key_id).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].grant_id(), Some(third_id.as_str()));
    client
        .revoke_grant()
        .key_id(&key_id)
        .grant_id(&third_id)
        .send()
        .await
        .unwrap();
    assert!(all_grants(&client, &key_id).await.is_empty());

    // Gone is gone: another retire or revoke finds nothing.
    check_error(
        client
            .retire_grant()
            .grant_token(&second_token)
            .send()
            .await,
        "NotFoundException",
    );
    check_error(
        client
            .revoke_grant()
            .key_id(&key_id)
            .grant_id(&third_id)
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_grant_repeated_is_the_same_grant() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let create = |name: &str, operations: Vec<GrantOperation>| {
        client
            .create_grant()
            .key_id(&key_id)
            .grantee_principal(APP)
            .set_operations(Some(operations))
            .name(name)
            .send()
    };
    let ops = vec![GrantOperation::Encrypt, GrantOperation::Decrypt];
    let first = create("repeat", ops.clone()).await.unwrap();
    // The same parameters (operations in another order): the same grant, a new token.
    let again = create("repeat", ops.iter().rev().cloned().collect())
        .await
        .unwrap();
    assert_eq!(again.grant_id, first.grant_id);
    assert_ne!(again.grant_token, first.grant_token);
    // Other operations under the same name make a new grant; no name never repeats.
    let other = create("repeat", vec![GrantOperation::Encrypt])
        .await
        .unwrap();
    assert_ne!(other.grant_id, first.grant_id);
    let (a, _) = grant(&client, &key_id, &[GrantOperation::Encrypt]).await;
    let (b, _) = grant(&client, &key_id, &[GrantOperation::Encrypt]).await;
    assert_ne!(a, b);
    assert_eq!(all_grants(&client, &key_id).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_follow_aws_rules() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let create = |key: &str, operations: Vec<GrantOperation>| {
        client
            .create_grant()
            .key_id(key)
            .grantee_principal(APP)
            .set_operations(Some(operations))
    };

    // Operations must fit the key.
    let message = check_error(
        create(&key_id, vec![GrantOperation::Sign]).send().await,
        "ValidationException",
    );
    assert!(message.contains("Sign"), "{message}");
    check_error(
        create(&key_id, vec![GrantOperation::CreateGrant])
            .send()
            .await,
        "ValidationException",
    );
    let signing = create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    create(
        &signing,
        vec![GrantOperation::Sign, GrantOperation::GetPublicKey],
    )
    .send()
    .await
    .unwrap();
    check_error(
        create(&signing, vec![GrantOperation::Encrypt]).send().await,
        "ValidationException",
    );
    // Encryption-context constraints only on symmetric keys.
    check_error(
        create(&signing, vec![GrantOperation::Sign])
            .constraints(
                GrantConstraints::builder()
                    .encryption_context_equals("a", "b")
                    .build(),
            )
            .send()
            .await,
        "ValidationException",
    );

    // Key states: a disabled key refuses new grants but lists and revokes them.
    let (id, _) = grant(&client, &key_id, &[GrantOperation::Encrypt]).await;
    client.disable_key().key_id(&key_id).send().await.unwrap();
    check_error(
        create(&key_id, vec![GrantOperation::Encrypt]).send().await,
        "DisabledException",
    );
    assert_eq!(all_grants(&client, &key_id).await.len(), 1);
    client.enable_key().key_id(&key_id).send().await.unwrap();
    schedule_deletion(&client, &key_id, Some(7)).await;
    check_error(
        create(&key_id, vec![GrantOperation::Encrypt]).send().await,
        "KMSInvalidStateException",
    );
    client
        .revoke_grant()
        .key_id(&key_id)
        .grant_id(&id)
        .send()
        .await
        .unwrap();

    // Dry runs change nothing.
    let live = create_key(&client).await;
    check_error(
        create(&live, vec![GrantOperation::Encrypt])
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    assert!(all_grants(&client, &live).await.is_empty());
    let (id, token) = grant(&client, &live, &[GrantOperation::Encrypt]).await;
    check_error(
        client
            .retire_grant()
            .grant_token(&token)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    check_error(
        client
            .revoke_grant()
            .key_id(&live)
            .grant_id(&id)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    assert_eq!(all_grants(&client, &live).await.len(), 1);

    // Ids, tokens and keys that name nothing.
    check_error(
        client
            .retire_grant()
            .grant_token("not a token")
            .send()
            .await,
        "InvalidGrantTokenException",
    );
    check_error(
        client
            .revoke_grant()
            .key_id(&live)
            .grant_id("not-a-grant-id")
            .send()
            .await,
        "InvalidGrantIdException",
    );
    check_error(
        client
            .list_grants()
            .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
            .send()
            .await,
        "NotFoundException",
    );
    check_error(
        client
            .list_grants()
            .key_id(&live)
            .marker("no-such-marker")
            .send()
            .await,
        "InvalidMarkerException",
    );
    check_error(
        client
            .list_grants()
            .key_id(&live)
            .grant_id("short")
            .send()
            .await,
        "InvalidGrantIdException",
    );
    let unknown = client
        .list_grants()
        .key_id(&live)
        .grant_id("0".repeat(64))
        .send()
        .await
        .unwrap();
    assert!(unknown.grants().is_empty());
    check_error(client.retire_grant().send().await, "ValidationException");
    assert_eq!(all_grants(&client, &live).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retirable_grants_span_keys_and_pages() {
    let server = TestServer::start().await;
    let client = server.client();
    let mut expected = Vec::new();
    for _ in 0..3 {
        let key_id = create_key(&client).await;
        for _ in 0..2 {
            expected.push(grant(&client, &key_id, &[GrantOperation::Decrypt]).await.0);
        }
        // A grant with another retiring principal is not listed.
        client
            .create_grant()
            .key_id(&key_id)
            .grantee_principal(APP)
            .retiring_principal(APP)
            .operations(GrantOperation::Decrypt)
            .send()
            .await
            .unwrap();
    }
    let mut listed = Vec::new();
    let mut marker = None;
    loop {
        let page = client
            .list_retirable_grants()
            .retiring_principal(ADMIN)
            .limit(4)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        assert!(page.grants().len() <= 4);
        listed.extend(
            page.grants()
                .iter()
                .map(|g| g.grant_id().unwrap().to_owned()),
        );
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);

    // Another region's grants are not this region's.
    let other = server.client_for("eu-west-1", "AKIDEXAMPLE");
    let none = other
        .list_retirable_grants()
        .retiring_principal(ADMIN)
        .send()
        .await
        .unwrap();
    assert!(none.grants().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_survive_a_restart_and_go_with_their_key() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let (_, token) = grant(&client, &key_id, &[GrantOperation::Encrypt]).await;
    let before = all_grants(&client, &key_id).await;

    let server = server.restart().await;
    let client = server.client();
    let after = all_grants(&client, &key_id).await;
    assert_eq!(after, before);
    // The token still names the grant.
    client
        .retire_grant()
        .grant_token(&token)
        .send()
        .await
        .unwrap();
    assert!(all_grants(&client, &key_id).await.is_empty());

    // Deleting the key deletes its grants.
    let (_, token) = grant(&client, &key_id, &[GrantOperation::Encrypt]).await;
    schedule_deletion(&client, &key_id, Some(7)).await;
    server.advance(8 * 86_400).await;
    check_error(
        client.retire_grant().grant_token(&token).send().await,
        "NotFoundException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_grant_requests_are_refused_by_the_model() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let cases = [
        (
            format!(r#"{{"KeyId":"{key_id}","GranteePrincipal":"a b","Operations":["Encrypt"]}}"#),
            "granteePrincipal",
        ),
        (
            format!(r#"{{"KeyId":"{key_id}","GranteePrincipal":"p","Operations":["Dance"]}}"#),
            "operations.1.member",
        ),
        (
            format!(r#"{{"KeyId":"{key_id}","GranteePrincipal":"p"}}"#),
            "operations",
        ),
        (
            format!(
                r#"{{"KeyId":"{key_id}","GranteePrincipal":"p","Operations":["Encrypt"],"Name":"bad name"}}"#
            ),
            "name",
        ),
        (
            format!(
                r#"{{"KeyId":"{key_id}","GranteePrincipal":"p","Operations":["Encrypt"],"GrantTokens":[{}]}}"#,
                [r#""t""#; 11].join(",")
            ),
            "grantTokens",
        ),
    ];
    for (body, member) in cases {
        let response = server
            .raw(RawRequest::kms("TrentService.CreateGrant", body.as_bytes()))
            .await;
        response.assert_error(400, "ValidationException", None);
        let message = response.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(&format!("'{member}'")), "{message}");
    }
    assert!(all_grants(&client, &key_id).await.is_empty());
    // The wire shape of an empty list.
    let response = server
        .raw(RawRequest::kms(
            "TrentService.ListGrants",
            format!(r#"{{"KeyId":"{key_id}"}}"#).as_bytes(),
        ))
        .await;
    assert_eq!(
        response.json(),
        serde_json::json!({"Grants": [], "Truncated": false})
    );
}
