//! TagResource, UntagResource, ListResourceTags and the tag rules.

use crate::support::keys::tag;
use crate::support::lifecycle::schedule_deletion;
use crate::support::{TestServer, check_error, create_key};

async fn tags_of(client: &aws_sdk_kms::Client, key_id: &str) -> Vec<(String, String)> {
    client
        .list_resource_tags()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.tag_key.clone(), t.tag_value.clone()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_untag_and_list() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = client
        .create_key()
        .tags(tag("team", "payments"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    assert_eq!(
        tags_of(&client, &key_id).await,
        pairs(&[("team", "payments")])
    );

    client
        .tag_resource()
        .key_id(&key_id)
        .tags(tag("env", "dev"))
        .tags(tag("team", "platform"))
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, &key_id).await,
        pairs(&[("empty", ""), ("env", "dev"), ("team", "platform")])
    );

    // Removing a tag that is not there is not an error.
    client
        .untag_resource()
        .key_id(&key_id)
        .tag_keys("env")
        .tag_keys("never-set")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&client, &key_id).await,
        pairs(&[("empty", ""), ("team", "platform")])
    );

    let page = client
        .list_resource_tags()
        .key_id(&key_id)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert!(page.truncated);
    let rest = client
        .list_resource_tags()
        .key_id(&key_id)
        .marker(page.next_marker.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.tags().len(), 1);
    assert_eq!(rest.tags()[0].tag_key, "team");
    assert!(!rest.truncated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_rules_and_limits() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;

    let message = check_error(
        client
            .tag_resource()
            .key_id(&key_id)
            .tags(tag("AWS:owner", "x"))
            .send()
            .await,
        "TagException",
    );
    assert_eq!(message, "Tags beginning with aws: are reserved");
    let message = check_error(
        client
            .tag_resource()
            .key_id(&key_id)
            .tags(tag("a", "1"))
            .tags(tag("a", "2"))
            .send()
            .await,
        "TagException",
    );
    assert_eq!(message, "Duplicate tag keys");
    let message = check_error(
        client
            .tag_resource()
            .key_id(&key_id)
            .tags(tag(&"k".repeat(129), "v"))
            .send()
            .await,
        "ValidationException",
    );
    assert!(
        message.contains("at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"),
        "{message}"
    );
    check_error(
        client
            .tag_resource()
            .key_id(&key_id)
            .tags(tag("k", &"v".repeat(257)))
            .send()
            .await,
        "ValidationException",
    );

    let mut request = client.tag_resource().key_id(&key_id);
    for i in 0..50 {
        request = request.tags(tag(&format!("k{i:02}"), "v"));
    }
    request.send().await.unwrap();
    let message = check_error(
        client
            .tag_resource()
            .key_id(&key_id)
            .tags(tag("one-too-many", "v"))
            .send()
            .await,
        "TagException",
    );
    assert_eq!(message, "Too many tags");
    // Replacing an existing tag's value does not count against the limit.
    client
        .tag_resource()
        .key_id(&key_id)
        .tags(tag("k00", "new"))
        .send()
        .await
        .unwrap();
    let all = client
        .list_resource_tags()
        .key_id(&key_id)
        .limit(100)
        .send()
        .await
        .unwrap();
    assert_eq!(all.tags().len(), 50);
    assert!(all.tags().iter().all(|t| t.tag_key != "one-too-many"));

    // A key pending deletion cannot be tagged, but its tags can still be listed.
    schedule_deletion(&client, &key_id, None).await;
    check_error(
        client
            .tag_resource()
            .key_id(&key_id)
            .tags(tag("late", "x"))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    check_error(
        client
            .untag_resource()
            .key_id(&key_id)
            .tag_keys("k00")
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert_eq!(tags_of(&client, &key_id).await.len(), 50);
}
