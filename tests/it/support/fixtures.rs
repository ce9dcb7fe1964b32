//! Committed RSA test keys. kmsd takes seconds to generate an RSA_4096 key, and the test
//! runner (nextest) starts every test in a process of its own, so a key generated once per
//! process would still be generated once per test. Instead tests/data/rsa_keys.yaml, a seed
//! file, holds one RSA_3072 and one RSA_4096 key (made once with openssl), each under a fixed
//! key id per usage. A test that needs keys of these sizes, but not freshly generated ones,
//! starts its server with [`start_with_rsa_keys`]; tests of generation itself (GenerateDataKeyPair
//! in asymmetric.rs) still generate.

use std::path::Path;

use aws_sdk_kms::Client;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};

use super::keys::{create_key_with, metadata};
use super::server::TestServer;

/// The seed file with the RSA_3072 and RSA_4096 fixture keys.
const RSA_KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rsa_keys.yaml");

/// A server on a fresh data dir that holds the RSA fixture keys.
pub async fn start_with_rsa_keys() -> TestServer {
    TestServer::start_seeded(Path::new(RSA_KEYS)).await
}

/// A key of `spec` for `usage`, by id: for RSA_3072 and RSA_4096 the fixture key (the server
/// must come from [`start_with_rsa_keys`]), checked by DescribeKey to be of that spec and
/// usage; for any other spec a new key from CreateKey.
pub async fn create_key_or_fixture(client: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let Some(key) = fixture_id(&spec, &usage) else {
        return create_key_with(client, spec, usage).await;
    };
    let meta = metadata(client, key).await;
    assert_eq!(
        (meta.key_spec, meta.key_usage),
        (Some(spec), Some(usage)),
        "{key} in {RSA_KEYS}"
    );
    key.to_owned()
}

/// The key id of the fixture key of `spec` for `usage` in tests/data/rsa_keys.yaml.
fn fixture_id(spec: &KeySpec, usage: &KeyUsageType) -> Option<&'static str> {
    Some(match (spec, usage) {
        (KeySpec::Rsa3072, KeyUsageType::SignVerify) => "00003072-0000-4000-8000-000000000001",
        (KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt) => "00003072-0000-4000-8000-000000000002",
        (KeySpec::Rsa4096, KeyUsageType::SignVerify) => "00004096-0000-4000-8000-000000000001",
        (KeySpec::Rsa4096, KeyUsageType::EncryptDecrypt) => "00004096-0000-4000-8000-000000000002",
        _ => return None,
    })
}
