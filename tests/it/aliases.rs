//! CreateAlias, UpdateAlias, DeleteAlias and ListAliases, and AWS's alias rules.

use crate::support::arns::{alias_arn, key_arn};
use crate::support::errors::{alias_not_found, pending_deletion};
use crate::support::keys::create_alias;
use crate::support::lifecycle::schedule_deletion;
use crate::support::{TestServer, aliases_with_keys, check_error, create_key, metadata};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_lifecycle() {
    let server = TestServer::start().await;
    let client = server.client();
    let first = create_key(&client).await;
    let second = create_key(&client).await;

    create_alias(&client, "alias/app/main", &first).await;
    let listed = client.list_aliases().send().await.unwrap();
    let [entry] = aliases_with_keys(&listed)[..] else {
        panic!("one alias expected: {listed:?}")
    };
    assert_eq!(entry.alias_name.as_deref(), Some("alias/app/main"));
    assert_eq!(
        entry.alias_arn.as_deref(),
        Some(alias_arn("alias/app/main").as_str())
    );
    assert_eq!(entry.target_key_id.as_deref(), Some(first.as_str()));
    let created = entry.creation_date.unwrap();
    assert_eq!(entry.last_updated_date, Some(created));
    assert!(!listed.truncated);

    // UpdateAlias moves it; the key behind "alias/app/main" changes.
    client
        .update_alias()
        .alias_name("alias/app/main")
        .target_key_id(key_arn(&second))
        .send()
        .await
        .unwrap();
    let meta = metadata(&client, "alias/app/main").await;
    assert_eq!(meta.key_id, second);
    let listed = client.list_aliases().send().await.unwrap();
    let entry = aliases_with_keys(&listed)[0];
    assert_eq!(entry.creation_date, Some(created));
    assert!(entry.last_updated_date.unwrap().as_secs_f64() >= created.as_secs_f64());

    client
        .delete_alias()
        .alias_name("alias/app/main")
        .send()
        .await
        .unwrap();
    assert!(aliases_with_keys(&client.list_aliases().send().await.unwrap()).is_empty());
    let message = check_error(
        client
            .delete_alias()
            .alias_name("alias/app/main")
            .send()
            .await,
        "NotFoundException",
    );
    assert_eq!(message, alias_not_found("alias/app/main"));
    check_error(
        client
            .update_alias()
            .alias_name("alias/app/main")
            .target_key_id(&first)
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_rules() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    create_alias(&client, "alias/taken", &key).await;

    let message = check_error(
        client
            .create_alias()
            .alias_name("alias/taken")
            .target_key_id(&key)
            .send()
            .await,
        "AlreadyExistsException",
    );
    assert_eq!(
        message,
        format!(
            "An alias with the name {} already exists",
            alias_arn("alias/taken")
        )
    );
    let message = check_error(
        client
            .create_alias()
            .alias_name("no-prefix")
            .target_key_id(&key)
            .send()
            .await,
        "ValidationException",
    );
    assert!(
        message.starts_with("Alias must start with the prefix \"alias/\""),
        "{message}"
    );
    check_error(
        client
            .create_alias()
            .alias_name("alias/aws/s3")
            .target_key_id(&key)
            .send()
            .await,
        "NotAuthorizedException",
    );
    check_error(
        client
            .delete_alias()
            .alias_name("alias/aws/s3")
            .send()
            .await,
        "NotAuthorizedException",
    );
    let message = check_error(
        client
            .create_alias()
            .alias_name("alias/bad name!")
            .target_key_id(&key)
            .send()
            .await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value 'alias/bad name!' at 'aliasName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_-]+$"
    );
    check_error(
        client
            .create_alias()
            .alias_name(format!("alias/{}", "a".repeat(251)))
            .target_key_id(&key)
            .send()
            .await,
        "ValidationException",
    );
    // An alias points to a key, never to another alias.
    check_error(
        client
            .create_alias()
            .alias_name("alias/second")
            .target_key_id("alias/taken")
            .send()
            .await,
        "ValidationException",
    );
    check_error(
        client
            .create_alias()
            .alias_name("alias/ghost")
            .target_key_id("0b7fb8d4-5b1f-4a8e-9b43-9d0c3f6c1a11")
            .send()
            .await,
        "NotFoundException",
    );
    // A key pending deletion cannot get a new alias.
    let doomed = create_key(&client).await;
    schedule_deletion(&client, &doomed, None).await;
    let message = check_error(
        client
            .create_alias()
            .alias_name("alias/doomed")
            .target_key_id(&doomed)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, pending_deletion(&doomed));
    check_error(
        client
            .update_alias()
            .alias_name("alias/taken")
            .target_key_id(&doomed)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    // Only the one good alias exists after all of that.
    let listed = client.list_aliases().send().await.unwrap();
    assert_eq!(aliases_with_keys(&listed).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_aliases_filters_by_key_and_paginates() {
    let server = TestServer::start().await;
    let client = server.client();
    let a = create_key(&client).await;
    let b = create_key(&client).await;
    for i in 0..5 {
        create_alias(&client, &format!("alias/a{i}"), &a).await;
    }
    create_alias(&client, "alias/b", &b).await;

    let for_b = client.list_aliases().key_id(&b).send().await.unwrap();
    let names: Vec<_> = for_b
        .aliases()
        .iter()
        .filter_map(|a| a.alias_name.clone())
        .collect();
    assert_eq!(names, ["alias/b"]);

    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = client
            .list_aliases()
            .key_id(key_arn(&a))
            .limit(2)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        assert!(page.aliases().len() <= 2);
        names.extend(page.aliases().iter().filter_map(|a| a.alias_name.clone()));
        if !page.truncated {
            assert!(page.next_marker.is_none());
            break;
        }
        marker = page.next_marker;
    }
    assert_eq!(
        names,
        ["alias/a0", "alias/a1", "alias/a2", "alias/a3", "alias/a4"]
    );

    check_error(
        client
            .list_aliases()
            .key_id("0b7fb8d4-5b1f-4a8e-9b43-9d0c3f6c1a11")
            .send()
            .await,
        "NotFoundException",
    );
    check_error(
        client.list_aliases().marker("nonsense").send().await,
        "InvalidMarkerException",
    );
}
