//! Custom key stores (emulated) through the SDK: create both types, describe by id, name and
//! page, the connection state machine on kmsd's clock, update and delete rules, the uniqueness
//! errors, keys in stores (usable only while connected), GenerateRandom, the admin API's
//! connection failures, and persistence across a restart.

use aws_sdk_kms::Client;
use aws_sdk_kms::operation::create_custom_key_store::builders::CreateCustomKeyStoreFluentBuilder;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    ConnectionErrorCodeType, ConnectionStateType, CustomKeyStoreType, DataKeyPairSpec, KeySpec,
    KeyState, OriginType, XksProxyAuthenticationCredentialType, XksProxyConnectivityType,
};

use crate::support::{TestServer, check_error, metadata};

/// Seconds a store is `CONNECTING` or `DISCONNECTING`.
const SETTLE: u64 = 5;
const CLUSTER: &str = "cluster-2a23b4cdefg";
const PASSWORD: &str = "kmsPswd1";

fn credential() -> XksProxyAuthenticationCredentialType {
    XksProxyAuthenticationCredentialType::builder()
        .access_key_id("ABCDE23456723EXAMPLE")
        .raw_secret_access_key("DXjSUawnel2fr6SKC7G25CNxTyWKE5PF9XX6H/u9pSo=")
        .build()
        .unwrap()
}

const TRUST_ANCHOR: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

/// A CreateCustomKeyStore request for a CloudHSM key store with every setting it needs.
fn hsm_request(client: &Client, name: &str, cluster: &str) -> CreateCustomKeyStoreFluentBuilder {
    client
        .create_custom_key_store()
        .custom_key_store_name(name)
        .cloud_hsm_cluster_id(cluster)
        .trust_anchor_certificate(TRUST_ANCHOR)
        .key_store_password(PASSWORD)
}

/// A CreateCustomKeyStore request for an external key store on a public endpoint.
fn xks_request(
    client: &Client,
    name: &str,
    endpoint: &str,
    path: &str,
) -> CreateCustomKeyStoreFluentBuilder {
    client
        .create_custom_key_store()
        .custom_key_store_name(name)
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint(endpoint)
        .xks_proxy_uri_path(path)
        .xks_proxy_authentication_credential(credential())
        .xks_proxy_connectivity(XksProxyConnectivityType::PublicEndpoint)
}

async fn create_hsm(client: &Client, name: &str, cluster: &str) -> String {
    let created = hsm_request(client, name, cluster).send().await.unwrap();
    created.custom_key_store_id.unwrap()
}

async fn create_xks(client: &Client, name: &str, endpoint: &str, path: &str) -> String {
    let created = xks_request(client, name, endpoint, path)
        .send()
        .await
        .unwrap();
    created.custom_key_store_id.unwrap()
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

async fn connect(server: &TestServer, client: &Client, id: &str) {
    client
        .connect_custom_key_store()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap();
    server.advance(SETTLE).await;
    assert_eq!(state(client, id).await, ConnectionStateType::Connected);
}

async fn disconnect(server: &TestServer, client: &Client, id: &str) {
    client
        .disconnect_custom_key_store()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap();
    server.advance(SETTLE).await;
    assert_eq!(state(client, id).await, ConnectionStateType::Disconnected);
}

async fn key_state(client: &Client, key: &str) -> KeyState {
    metadata(client, key).await.key_state.unwrap()
}

async fn round_trip(client: &Client, key: &str) {
    let sealed = client
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new(b"in a custom key store".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let opened = client
        .decrypt()
        .ciphertext_blob(sealed)
        .send()
        .await
        .unwrap();
    assert!(opened.key_id.unwrap().ends_with(key));
    assert_eq!(
        opened.plaintext.unwrap().into_inner(),
        b"in a custom key store"
    );
}

async fn set_connection_error(server: &TestServer, id: &str, code: Option<&str>) -> u16 {
    let body = serde_json::json!({ "customKeyStoreId": id, "connectionErrorCode": code });
    server
        .admin(
            "POST",
            "/_kmsd/key-stores/connection-error",
            &body.to_string(),
        )
        .await
        .status
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

    let same_name = hsm_request(&client, "one", "cluster-7z77z7zzzzz")
        .send()
        .await;
    check_error(same_name, "CustomKeyStoreNameInUseException");
    let same_cluster = hsm_request(&client, "three", CLUSTER).send().await;
    check_error(same_cluster, "CloudHsmClusterInUseException");
    let same_uri = xks_request(&client, "four", endpoint, path).send().await;
    check_error(same_uri, "XksProxyUriInUseException");
    // Another path on the same public endpoint is fine.
    create_xks(&client, "five", endpoint, "/b/kms/xks/v1").await;
    let vpc_same_endpoint = xks_request(&client, "six", endpoint, "/c/kms/xks/v1")
        .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
        .xks_proxy_vpc_endpoint_service_name("com.amazonaws.vpce.us-east-1.vpce-svc-example1")
        .send()
        .await;
    check_error(vpc_same_endpoint, "XksProxyUriEndpointInUseException");

    // Missing settings and a bad path are ValidationExceptions.
    let no_password = hsm_request(&client, "seven", "cluster-6y66y6yyyyy")
        .set_key_store_password(None)
        .send()
        .await;
    check_error(no_password, "ValidationException");
    let vpc_without_service = xks_request(
        &client,
        "eight",
        "https://other.example.com",
        "/a/kms/xks/v1",
    )
    .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
    .send()
    .await;
    check_error(vpc_without_service, "ValidationException");
    let bad_path = xks_request(
        &client,
        "nine",
        "https://other.example.com",
        "/not/an/xks/path",
    )
    .send()
    .await;
    check_error(bad_path, "ValidationException");
    // The model's patterns: a cluster id of base32-like characters, a VPC endpoint service
    // name of AWS's form.
    let bad_cluster = hsm_request(&client, "ten", "cluster-1a23b4cdefg")
        .send()
        .await;
    check_error(bad_cluster, "ValidationException");
    let bad_service = xks_request(
        &client,
        "eleven",
        "https://private.example.com",
        "/kms/xks/v1",
    )
    .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
    .xks_proxy_vpc_endpoint_service_name("com.example.vpce-svc-123456")
    .send()
    .await;
    check_error(bad_service, "ValidationException");
    let vpc_store = xks_request(
        &client,
        "twelve",
        "https://private.example.com",
        "/kms/xks/v1",
    )
    .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
    .xks_proxy_vpc_endpoint_service_name("com.amazonaws.vpce.us-east-1.vpce-svc-0123abcd")
    .xks_proxy_vpc_endpoint_service_owner("111122223333")
    .send()
    .await;
    assert!(vpc_store.is_ok(), "{vpc_store:?}");
    let same_service = xks_request(
        &client,
        "thirteen",
        "https://private2.example.com",
        "/kms/xks/v1",
    )
    .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
    .xks_proxy_vpc_endpoint_service_name("com.amazonaws.vpce.us-east-1.vpce-svc-0123abcd")
    .send()
    .await;
    check_error(same_service, "XksProxyVpcEndpointServiceInUseException");
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

    // A connected store changes only its name, and cannot be deleted.
    check_error(
        client
            .update_custom_key_store()
            .custom_key_store_id(&id)
            .new_custom_key_store_name("renamed")
            .key_store_password("newPassword")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_in_a_cloudhsm_store_work_only_while_it_is_connected() {
    let server = TestServer::start().await;
    let client = server.client();
    let store = create_hsm(&client, "hsm", CLUSTER).await;

    // A store that is not connected takes no keys.
    let early = client
        .create_key()
        .custom_key_store_id(&store)
        .origin(OriginType::AwsCloudhsm)
        .send()
        .await;
    check_error(early, "CustomKeyStoreInvalidStateException");
    check_error(
        client
            .generate_random()
            .number_of_bytes(16)
            .custom_key_store_id(&store)
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );
    connect(&server, &client, &store).await;

    let metadata = client
        .create_key()
        .custom_key_store_id(&store)
        .origin(OriginType::AwsCloudhsm)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(metadata.origin, Some(OriginType::AwsCloudhsm));
    assert_eq!(
        metadata.custom_key_store_id.as_deref(),
        Some(store.as_str())
    );
    assert_eq!(metadata.cloud_hsm_cluster_id.as_deref(), Some(CLUSTER));
    assert_eq!(metadata.key_state, Some(KeyState::Enabled));
    let key = metadata.key_id;
    round_trip(&client, &key).await;
    let random = client
        .generate_random()
        .number_of_bytes(32)
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap();
    assert_eq!(random.plaintext.unwrap().into_inner().len(), 32);

    // What AWS refuses for keys in a custom key store.
    for refused in [
        client
            .create_key()
            .custom_key_store_id(&store)
            .origin(OriginType::AwsCloudhsm)
            .key_spec(KeySpec::EccNistP256)
            .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
            .send()
            .await
            .map(|_| ()),
        client
            .create_key()
            .custom_key_store_id(&store)
            .origin(OriginType::AwsCloudhsm)
            .multi_region(true)
            .send()
            .await
            .map(|_| ()),
        client
            .create_key()
            .custom_key_store_id(&store)
            .send()
            .await
            .map(|_| ()),
        client
            .create_key()
            .custom_key_store_id(&store)
            .origin(OriginType::ExternalKeyStore)
            .xks_key_id("key-1")
            .send()
            .await
            .map(|_| ()),
    ] {
        check_error(refused, "UnsupportedOperationException");
    }
    check_error(
        client
            .create_key()
            .origin(OriginType::AwsCloudhsm)
            .send()
            .await,
        "ValidationException",
    );
    check_error(
        client
            .create_key()
            .custom_key_store_id("cks-0123456789abcdef0")
            .origin(OriginType::AwsCloudhsm)
            .send()
            .await,
        "CustomKeyStoreNotFoundException",
    );
    check_error(
        client
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(DataKeyPairSpec::EccNistP256)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    check_error(
        client.enable_key_rotation().key_id(&key).send().await,
        "UnsupportedOperationException",
    );

    // Disconnected: the key is Unavailable at once, refuses cryptographic operations and can
    // still be managed.
    let sealed = client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"before".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    client
        .disconnect_custom_key_store()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap();
    assert_eq!(key_state(&client, &key).await, KeyState::Unavailable);
    check_error(
        client
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    check_error(
        client
            .decrypt()
            .ciphertext_blob(sealed.clone())
            .send()
            .await,
        "KMSInvalidStateException",
    );
    client
        .update_key_description()
        .key_id(&key)
        .description("still manageable")
        .send()
        .await
        .unwrap();
    client.disable_key().key_id(&key).send().await.unwrap();
    assert_eq!(key_state(&client, &key).await, KeyState::Unavailable);
    server.advance(SETTLE).await;
    // A store with keys cannot be deleted.
    check_error(
        client
            .delete_custom_key_store()
            .custom_key_store_id(&store)
            .send()
            .await,
        "CustomKeyStoreHasCMKsException",
    );

    // Connecting: still Unavailable until the store is connected, then usable again, and the
    // state survives a restart.
    client
        .connect_custom_key_store()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap();
    assert_eq!(key_state(&client, &key).await, KeyState::Unavailable);
    let server = server.restart().await;
    let client = server.client();
    assert_eq!(key_state(&client, &key).await, KeyState::Unavailable);
    server.advance(SETTLE).await;
    assert_eq!(key_state(&client, &key).await, KeyState::Disabled);
    client.enable_key().key_id(&key).send().await.unwrap();
    assert_eq!(key_state(&client, &key).await, KeyState::Enabled);
    let opened = client
        .decrypt()
        .ciphertext_blob(sealed)
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().into_inner(), b"before");

    // Once its keys are deleted, the disconnected store can be deleted.
    client
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    disconnect(&server, &client, &store).await;
    assert_eq!(key_state(&client, &key).await, KeyState::PendingDeletion);
    check_error(
        client
            .delete_custom_key_store()
            .custom_key_store_id(&store)
            .send()
            .await,
        "CustomKeyStoreHasCMKsException",
    );
    server.advance(7 * 86_400).await;
    client
        .delete_custom_key_store()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_in_an_external_key_store_name_their_external_key() {
    let server = TestServer::start().await;
    let client = server.client();
    let store = create_xks(&client, "xks", "https://xks.example.com", "/kms/xks/v1").await;
    connect(&server, &client, &store).await;
    check_error(
        client
            .create_key()
            .custom_key_store_id(&store)
            .origin(OriginType::ExternalKeyStore)
            .send()
            .await,
        "ValidationException",
    );
    let metadata = client
        .create_key()
        .custom_key_store_id(&store)
        .origin(OriginType::ExternalKeyStore)
        .xks_key_id("external-key-1")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(metadata.origin, Some(OriginType::ExternalKeyStore));
    assert_eq!(
        metadata.xks_key_configuration.unwrap().id.as_deref(),
        Some("external-key-1")
    );
    assert!(metadata.cloud_hsm_cluster_id.is_none());
    round_trip(&client, &metadata.key_id).await;
    check_error(
        client
            .create_key()
            .custom_key_store_id(&store)
            .origin(OriginType::ExternalKeyStore)
            .xks_key_id("external-key-1")
            .send()
            .await,
        "XksKeyAlreadyInUseException",
    );
    check_error(
        client
            .create_key()
            .custom_key_store_id(&store)
            .origin(OriginType::AwsCloudhsm)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    check_error(
        client
            .generate_random()
            .number_of_bytes(8)
            .custom_key_store_id("cks-0123456789abcdef0")
            .send()
            .await,
        "CustomKeyStoreNotFoundException",
    );
    // External key stores generate no random bytes.
    check_error(
        client
            .generate_random()
            .number_of_bytes(8)
            .custom_key_store_id(&store)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    // A connected store changes only its name.
    client
        .update_custom_key_store()
        .custom_key_store_id(&store)
        .new_custom_key_store_name("xks-renamed")
        .send()
        .await
        .unwrap();
    check_error(
        client
            .update_custom_key_store()
            .custom_key_store_id(&store)
            .xks_proxy_uri_path("/other/kms/xks/v1")
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );
    disconnect(&server, &client, &store).await;
    client
        .update_custom_key_store()
        .custom_key_store_id(&store)
        .xks_proxy_connectivity(XksProxyConnectivityType::VpcEndpointService)
        .xks_proxy_vpc_endpoint_service_name("com.amazonaws.vpce.us-east-1.vpce-svc-example1")
        .send()
        .await
        .unwrap();
    let proxy = client
        .describe_custom_key_stores()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap()
        .custom_key_stores
        .unwrap()
        .remove(0)
        .xks_proxy_configuration
        .unwrap();
    assert_eq!(
        proxy.connectivity,
        Some(XksProxyConnectivityType::VpcEndpointService)
    );
    assert_eq!(
        proxy.vpc_endpoint_service_name.as_deref(),
        Some("com.amazonaws.vpce.us-east-1.vpce-svc-example1")
    );
    // Every setting, and the key's store, survive a restart.
    let before = client.describe_custom_key_stores().send().await.unwrap();
    let key_before = client
        .describe_key()
        .key_id(&metadata.key_id)
        .send()
        .await
        .unwrap();
    let server = server.restart().await;
    let client = server.client();
    let after = client.describe_custom_key_stores().send().await.unwrap();
    assert_eq!(
        format!("{:?}", before.custom_key_stores),
        format!("{:?}", after.custom_key_stores)
    );
    let key_after = client
        .describe_key()
        .key_id(&metadata.key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        format!("{:?}", key_before.key_metadata),
        format!("{:?}", key_after.key_metadata)
    );
    assert_eq!(
        key_after.key_metadata.unwrap().key_state,
        Some(KeyState::Unavailable)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_makes_the_next_connection_fail() {
    let server = TestServer::start().await;
    let client = server.client();
    let store = create_hsm(&client, "failing", CLUSTER).await;
    assert_eq!(
        set_connection_error(&server, &store, Some("NETWORK_ERRORS")).await,
        200
    );
    assert_eq!(
        set_connection_error(&server, "cks-0123456789abcdef0", Some("NETWORK_ERRORS")).await,
        404
    );
    assert_eq!(
        set_connection_error(&server, &store, Some("NOT_A_CODE")).await,
        400
    );
    // The planned failure survives a restart.
    let server = server.restart().await;
    let client = server.client();
    client
        .connect_custom_key_store()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state(&client, &store).await,
        ConnectionStateType::Connecting
    );
    server.advance(SETTLE).await;
    let entry = client
        .describe_custom_key_stores()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap()
        .custom_key_stores
        .unwrap()
        .remove(0);
    assert_eq!(entry.connection_state, Some(ConnectionStateType::Failed));
    assert_eq!(
        entry.connection_error_code,
        Some(ConnectionErrorCodeType::NetworkErrors)
    );
    let server = server.restart().await;
    let client = server.client();
    assert_eq!(state(&client, &store).await, ConnectionStateType::Failed);
    // A failed store must be disconnected before it connects again; the failure was once.
    check_error(
        client
            .connect_custom_key_store()
            .custom_key_store_id(&store)
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );
    check_error(
        client
            .create_key()
            .custom_key_store_id(&store)
            .origin(OriginType::AwsCloudhsm)
            .send()
            .await,
        "CustomKeyStoreInvalidStateException",
    );
    disconnect(&server, &client, &store).await;
    connect(&server, &client, &store).await;
    let entry = client
        .describe_custom_key_stores()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap()
        .custom_key_stores
        .unwrap()
        .remove(0);
    assert!(entry.connection_error_code.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_has_at_most_ten_custom_key_stores_in_a_region() {
    let server = TestServer::start().await;
    let client = server.client();
    for n in 0..10 {
        create_hsm(
            &client,
            &format!("store-{n}"),
            &format!("cluster-abcdefghij{}", (b'k' + n) as char),
        )
        .await;
    }
    check_error(
        hsm_request(&client, "eleventh", "cluster-zzzzzzzzzzz")
            .send()
            .await,
        "LimitExceededException",
    );
    // Another region has its own.
    create_hsm(
        &server.client_for("eu-west-1", "AKIDEXAMPLE"),
        "elsewhere",
        "cluster-zzzzzzzzzzz",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_proxy_secrets_stay_out_of_the_audit_trail() {
    const PASSWORD_SECRET: &str = "Hsm-Secret-9f2c";
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let server = crate::support::process::Running::start(
        dir.path(),
        &[
            "--in-memory",
            "--port",
            "0",
            "--rsa-pool-size",
            "0",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    let client = crate::support::client_at(&server.endpoint(), "eu-west-1", "111122223333");
    client
        .create_custom_key_store()
        .custom_key_store_name("audited")
        .cloud_hsm_cluster_id(CLUSTER)
        .trust_anchor_certificate("cert")
        .key_store_password(PASSWORD_SECRET)
        .send()
        .await
        .unwrap();
    create_xks(
        &client,
        "audited-xks",
        "https://audited.example.com",
        "/kms/xks/v1",
    )
    .await;
    let text = std::fs::read_to_string(&audit).unwrap();
    server.kill();
    assert!(!text.contains(PASSWORD_SECRET), "{text}");
    assert!(
        !text.contains("DXjSUawnel2fr6SKC7G25CNxTyWKE5PF9XX6H"),
        "{text}"
    );
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["eventName"], "CreateCustomKeyStore");
    assert_eq!(first["requestParameters"]["customKeyStoreName"], "audited");
    assert!(first["requestParameters"].get("keyStorePassword").is_none());
}

/// A key created in the custom key store `store` (with `xks_key_id` for an external one).
async fn create_key_in(client: &Client, store: &str, xks_key_id: Option<&str>) -> String {
    let origin = match xks_key_id {
        Some(_) => OriginType::ExternalKeyStore,
        None => OriginType::AwsCloudhsm,
    };
    client
        .create_key()
        .custom_key_store_id(store)
        .origin(origin)
        .set_xks_key_id(xks_key_id.map(str::to_owned))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_seed_carry_stores_and_their_keys() {
    use crate::support::keys::decrypt;
    use crate::support::process::KMSD;
    use kmsd::ServeOptions;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(&dir.path().join("a"), ServeOptions::default()).await;
    let client = server.client();
    // A connected CloudHSM key store, an external key store disconnected after a key was made
    // in it, and a store that was never connected.
    let hsm = create_hsm(&client, "hsm", CLUSTER).await;
    connect(&server, &client, &hsm).await;
    let hsm_key = create_key_in(&client, &hsm, None).await;
    let xks = create_xks(&client, "xks", "https://xks.example.com", "/kms/xks/v1").await;
    connect(&server, &client, &xks).await;
    let xks_key = create_key_in(&client, &xks, Some("external-key-1")).await;
    let idle = create_hsm(&client, "idle", "cluster-3b34c5defgh").await;
    let mut blobs = Vec::new();
    for key in [&hsm_key, &xks_key] {
        let sealed = client
            .encrypt()
            .key_id(key)
            .plaintext(Blob::new(key.as_bytes().to_vec()))
            .send()
            .await
            .unwrap()
            .ciphertext_blob
            .unwrap();
        blobs.push((key.clone(), sealed));
    }
    disconnect(&server, &client, &xks).await;
    assert_eq!(key_state(&client, &xks_key).await, KeyState::Unavailable);
    let stores_before = client
        .describe_custom_key_stores()
        .send()
        .await
        .unwrap()
        .custom_key_stores
        .unwrap();
    assert_eq!(stores_before.len(), 3);
    let mut keys_before = Vec::new();
    for key in [&hsm_key, &xks_key] {
        keys_before.push(metadata(&client, key).await);
    }
    server.stop().await;

    let file = dir.path().join("export.yaml");
    let out = std::process::Command::new(KMSD)
        .args(["export", "--data-dir"])
        .arg(dir.path().join("a"))
        .arg("--output")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The secrets are in the export: without them a store cannot be re-created.
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(PASSWORD), "{text}");

    let seeded = TestServer::start_seeded(&file).await;
    let client = seeded.client();
    let stores_after = client
        .describe_custom_key_stores()
        .send()
        .await
        .unwrap()
        .custom_key_stores
        .unwrap();
    assert_eq!(stores_after, stores_before);
    for before in &keys_before {
        let after = metadata(&client, &before.key_id).await;
        assert_eq!(after.custom_key_store_id, before.custom_key_store_id);
        assert_eq!(after.cloud_hsm_cluster_id, before.cloud_hsm_cluster_id);
        assert_eq!(after.xks_key_configuration, before.xks_key_configuration);
        assert_eq!(after.origin, before.origin);
        assert_eq!(after.key_state, before.key_state);
    }
    // The connected store's key decrypts at once; the disconnected one's once it connects.
    let (hsm_blob, xks_blob) = (blobs[0].1.clone(), blobs[1].1.clone());
    assert_eq!(decrypt(&client, hsm_blob).await, hsm_key.as_bytes());
    check_error(
        client
            .decrypt()
            .ciphertext_blob(xks_blob.clone())
            .send()
            .await,
        "KMSInvalidStateException",
    );
    connect(&seeded, &client, &xks).await;
    assert_eq!(key_state(&client, &xks_key).await, KeyState::Enabled);
    assert_eq!(decrypt(&client, xks_blob).await, xks_key.as_bytes());
    round_trip(&client, &xks_key).await;
    // The seeded password and proxy secret work: the stores update and delete as before.
    disconnect(&seeded, &client, &hsm).await;
    client
        .delete_custom_key_store()
        .custom_key_store_id(&idle)
        .send()
        .await
        .unwrap();
    seeded.stop().await;
}
