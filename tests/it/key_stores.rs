//! Custom key stores (emulated) through the SDK: create both types, describe by id, name and
//! page, the connection state machine on kmsd's clock, update and delete rules, the uniqueness
//! errors, and persistence across a restart.

use aws_sdk_kms::Client;
use aws_sdk_kms::types::{
    ConnectionStateType, CustomKeyStoreType, XksProxyAuthenticationCredentialType,
    XksProxyConnectivityType,
};

use crate::support::{TestServer, check_error};

/// Seconds a store is `CONNECTING` or `DISCONNECTING`.
const SETTLE: u64 = 5;
const CLUSTER: &str = "cluster-1a23b4cdefg";
const PASSWORD: &str = "kmsPswd1";

fn credential() -> XksProxyAuthenticationCredentialType {
    XksProxyAuthenticationCredentialType::builder()
        .access_key_id("ABCDE23456723EXAMPLE")
        .raw_secret_access_key("DXjSUawnel2fr6SKC7G25CNxTyWKE5PF9XX6H/u9pSo=")
        .build()
        .unwrap()
}

async fn create_hsm(client: &Client, name: &str, cluster: &str) -> String {
    client
        .create_custom_key_store()
        .custom_key_store_name(name)
        .cloud_hsm_cluster_id(cluster)
        .trust_anchor_certificate("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
        .key_store_password(PASSWORD)
        .send()
        .await
        .unwrap()
        .custom_key_store_id
        .unwrap()
}

async fn create_xks(client: &Client, name: &str, endpoint: &str, path: &str) -> String {
    client
        .create_custom_key_store()
        .custom_key_store_name(name)
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint(endpoint)
        .xks_proxy_uri_path(path)
        .xks_proxy_authentication_credential(credential())
        .xks_proxy_connectivity(XksProxyConnectivityType::PublicEndpoint)
        .send()
        .await
        .unwrap()
        .custom_key_store_id
        .unwrap()
}

async fn state(client: &Client, id: &str) -> ConnectionStateType {
    let described = client
        .describe_custom_key_stores()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap();
    let stores = described.custom_key_stores.unwrap();
    assert_eq!(stores.len(), 1);
    stores[0].connection_state.clone().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_of_both_types_are_created_and_described() {
    let server = TestServer::start().await;
    let client = server.client();
    let hsm = create_hsm(&client, "hsm-store", CLUSTER).await;
    assert!(hsm.starts_with("cks-") && hsm.len() == 21, "{hsm}");
    let xks = create_xks(
        &client,
        "xks-store",
        "https://myproxy.xks.example.com",
        "/example-prefix/kms/xks/v1",
    )
    .await;

    let by_name = client
        .describe_custom_key_stores()
        .custom_key_store_name("xks-store")
        .send()
        .await
        .unwrap()
        .custom_key_stores
        .unwrap();
    let entry = &by_name[0];
    assert_eq!(entry.custom_key_store_id.as_deref(), Some(xks.as_str()));
    assert_eq!(
        entry.custom_key_store_type,
        Some(CustomKeyStoreType::ExternalKeyStore)
    );
    assert_eq!(
        entry.connection_state,
        Some(ConnectionStateType::Disconnected)
    );
    let proxy = entry.xks_proxy_configuration.as_ref().unwrap();
    assert_eq!(
        proxy.connectivity,
        Some(XksProxyConnectivityType::PublicEndpoint)
    );
    assert_eq!(proxy.access_key_id.as_deref(), Some("ABCDE23456723EXAMPLE"));
    assert_eq!(
        proxy.uri_endpoint.as_deref(),
        Some("https://myproxy.xks.example.com")
    );
    assert!(entry.creation_date.is_some());

    let hsm_entry = client
        .describe_custom_key_stores()
        .custom_key_store_id(&hsm)
        .send()
        .await
        .unwrap()
        .custom_key_stores
        .unwrap()
        .remove(0);
    assert_eq!(hsm_entry.cloud_hsm_cluster_id.as_deref(), Some(CLUSTER));
    assert_eq!(
        hsm_entry.custom_key_store_type,
        Some(CustomKeyStoreType::AwsCloudhsm)
    );
    assert!(hsm_entry.xks_proxy_configuration.is_none());

    // Paging: one at a time, in id order.
    let first = client
        .describe_custom_key_stores()
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first.custom_key_stores.unwrap().len(), 1);
    assert!(first.truncated);
    let second = client
        .describe_custom_key_stores()
        .limit(1)
        .marker(first.next_marker.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.custom_key_stores.unwrap().len(), 1);
    assert!(!second.truncated);

    check_error(
        client
            .describe_custom_key_stores()
            .custom_key_store_id("cks-0123456789abcdef0")
            .send()
            .await,
        "CustomKeyStoreNotFoundException",
    );
    check_error(
        client
            .describe_custom_key_stores()
            .custom_key_store_name("nope")
            .send()
            .await,
        "CustomKeyStoreNotFoundException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_clusters_and_proxy_uris_are_unique() {
    let server = TestServer::start().await;
    let client = server.client();
    create_hsm(&client, "one", CLUSTER).await;
    let endpoint = "https://proxy.example.com";
    let path = "/a/kms/xks/v1";
    create_xks(&client, "two", endpoint, path).await;

    let same_name = client
        .create_custom_key_store()
        .custom_key_store_name("one")
        .cloud_hsm_cluster_id("cluster-9z99z9zzzzz")
        .trust_anchor_certificate("cert")
        .key_store_password(PASSWORD)
        .send()
        .await;
    check_error(same_name, "CustomKeyStoreNameInUseException");
    let same_cluster = client
        .create_custom_key_store()
        .custom_key_store_name("three")
        .cloud_hsm_cluster_id(CLUSTER)
        .trust_anchor_certificate("cert")
        .key_store_password(PASSWORD)
        .send()
        .await;
    check_error(same_cluster, "CloudHsmClusterInUseException");
    let same_uri = client
        .create_custom_key_store()
        .custom_key_store_name("four")
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint(endpoint)
        .xks_proxy_uri_path(path)
        .xks_proxy_authentication_credential(credential())
        .xks_proxy_connectivity(XksProxyConnectivityType::PublicEndpoint)
        .send()
        .await;
    check_error(same_uri, "XksProxyUriInUseException");
    // Another path on the same public endpoint is fine.
    create_xks(&client, "five", endpoint, "/b/kms/xks/v1").await;
    let vpc_same_endpoint = client
        .create_custom_key_store()
        .custom_key_store_name("six")
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint(endpoint)
        .xks_proxy_uri_path("/c/kms/xks/v1")
        .xks_proxy_authentication_credential(credential())
        .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
        .xks_proxy_vpc_endpoint_service_name("com.amazonaws.vpce.us-east-1.vpce-svc-example1")
        .send()
        .await;
    check_error(vpc_same_endpoint, "XksProxyUriEndpointInUseException");

    // Missing settings and a bad path are ValidationExceptions.
    let no_password = client
        .create_custom_key_store()
        .custom_key_store_name("seven")
        .cloud_hsm_cluster_id("cluster-8y88y8yyyyy")
        .trust_anchor_certificate("cert")
        .send()
        .await;
    check_error(no_password, "ValidationException");
    let vpc_without_service = client
        .create_custom_key_store()
        .custom_key_store_name("eight")
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint("https://other.example.com")
        .xks_proxy_uri_path("/a/kms/xks/v1")
        .xks_proxy_authentication_credential(credential())
        .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
        .send()
        .await;
    check_error(vpc_without_service, "ValidationException");
    let bad_path = client
        .create_custom_key_store()
        .custom_key_store_name("nine")
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint("https://other.example.com")
        .xks_proxy_uri_path("/not/an/xks/path")
        .xks_proxy_authentication_credential(credential())
        .xks_proxy_connectivity(XksProxyConnectivityType::PublicEndpoint)
        .send()
        .await;
    check_error(bad_path, "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_and_disconnecting_move_on_the_clock() {
    let server = TestServer::start().await;
    let client = server.client();
    let id = create_hsm(&client, "store", CLUSTER).await;
    check_error(
        client
            .disconnect_custom_key_store()
            .custom_key_store_id(&id)
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );

    client
        .connect_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(state(&client, &id).await, ConnectionStateType::Connecting);
    server.advance(SETTLE).await;
    assert_eq!(state(&client, &id).await, ConnectionStateType::Connected);
    // Connecting a connected store succeeds and changes nothing.
    client
        .connect_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(state(&client, &id).await, ConnectionStateType::Connected);

    // A store that is not disconnected can be neither updated nor deleted.
    check_error(
        client
            .update_custom_key_store()
            .custom_key_store_id(&id)
            .new_custom_key_store_name("renamed")
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );
    check_error(
        client
            .delete_custom_key_store()
            .custom_key_store_id(&id)
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );

    client
        .disconnect_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state(&client, &id).await,
        ConnectionStateType::Disconnecting
    );
    check_error(
        client
            .connect_custom_key_store()
            .custom_key_store_id(&id)
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );
    server.advance(SETTLE).await;
    assert_eq!(state(&client, &id).await, ConnectionStateType::Disconnected);

    client
        .update_custom_key_store()
        .custom_key_store_id(&id)
        .new_custom_key_store_name("renamed")
        .key_store_password("newPassword")
        .send()
        .await
        .unwrap();
    let renamed = client
        .describe_custom_key_stores()
        .custom_key_store_name("renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.custom_key_stores.unwrap().len(), 1);
    check_error(
        client
            .update_custom_key_store()
            .custom_key_store_id(&id)
            .xks_proxy_uri_path("/a/kms/xks/v2")
            .send()
            .await,
        "ValidationException",
    );

    // The state survives a restart.
    client
        .connect_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    server.advance(SETTLE).await;
    let server = server.restart().await;
    let client = server.client();
    assert_eq!(state(&client, &id).await, ConnectionStateType::Connected);
    client
        .disconnect_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    server.advance(SETTLE).await;

    client
        .delete_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    check_error(
        client
            .connect_custom_key_store()
            .custom_key_store_id(&id)
            .send()
            .await,
        "CustomKeyStoreNotFoundException",
    );
    let all = client.describe_custom_key_stores().send().await.unwrap();
    assert!(all.custom_key_stores.unwrap_or_default().is_empty());
}
