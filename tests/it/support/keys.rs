//! Keys, and the calls most tests start from: CreateKey of any spec and usage, DescribeKey,
//! GetPublicKey, CreateAlias, Encrypt and Decrypt. Each panics when its call fails; a test
//! that expects a failure makes the call itself and hands the result to `check_error`.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyMetadata, KeySpec, KeyUsageType, Tag};

/// Creates a symmetric encryption key and returns its id.
pub async fn create_key(client: &Client) -> String {
    client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

/// Creates a key of `spec` for `usage` and returns its id.
pub async fn create_key_with(client: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    client
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

/// The key's metadata as DescribeKey reports it.
pub async fn metadata(client: &Client, key: &str) -> KeyMetadata {
    client
        .describe_key()
        .key_id(key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
}

/// The key's state as DescribeKey reports it.
pub async fn key_state(client: &Client, key: &str) -> String {
    metadata(client, key)
        .await
        .key_state
        .unwrap()
        .as_str()
        .to_owned()
}

/// The key's public key (DER SubjectPublicKeyInfo) from GetPublicKey.
pub async fn public_key(client: &Client, key: &str) -> Vec<u8> {
    client
        .get_public_key()
        .key_id(key)
        .send()
        .await
        .unwrap()
        .public_key
        .unwrap()
        .into_inner()
}

/// Creates alias `alias_name` (`alias/...`) for `key`.
pub async fn create_alias(client: &Client, alias_name: &str, key: &str) {
    client
        .create_alias()
        .alias_name(alias_name)
        .target_key_id(key)
        .send()
        .await
        .unwrap();
}

/// A tag to give CreateKey or TagResource.
pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

/// Encrypts `plaintext` under `key` (no encryption context); returns the ciphertext.
pub async fn encrypt(client: &Client, key: &str, plaintext: &[u8]) -> Blob {
    encrypt_with_context(client, key, plaintext, &[]).await
}

/// Encrypts `plaintext` under `key` with an encryption context; returns the ciphertext.
pub async fn encrypt_with_context(
    client: &Client,
    key: &str,
    plaintext: &[u8],
    context: &[(&str, &str)],
) -> Blob {
    let mut request = client.encrypt().key_id(key).plaintext(Blob::new(plaintext));
    for (k, v) in context {
        request = request.encryption_context(*k, *v);
    }
    request.send().await.unwrap().ciphertext_blob.unwrap()
}

/// Decrypts a symmetric ciphertext (no KeyId, no encryption context); returns the plaintext.
pub async fn decrypt(client: &Client, ciphertext: impl Into<Blob>) -> Vec<u8> {
    decrypt_with_context(client, ciphertext, &[]).await
}

/// Decrypts a symmetric ciphertext under an encryption context; returns the plaintext.
pub async fn decrypt_with_context(
    client: &Client,
    ciphertext: impl Into<Blob>,
    context: &[(&str, &str)],
) -> Vec<u8> {
    let mut request = client.decrypt().ciphertext_blob(ciphertext.into());
    for (k, v) in context {
        request = request.encryption_context(*k, *v);
    }
    request
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner()
}

/// The aliases of a ListAliases answer that point at a key: all but AWS's predefined aliases
/// that no AWS managed key is behind yet.
pub fn aliases_with_keys(
    listed: &aws_sdk_kms::operation::list_aliases::ListAliasesOutput,
) -> Vec<&aws_sdk_kms::types::AliasListEntry> {
    listed
        .aliases()
        .iter()
        .filter(|a| a.target_key_id.is_some())
        .collect()
}
