//! Writes the compatibility fixture that `tests/it/compat.rs` checks: a seed file with a key of
//! every spec (`seed.yaml`, as `kmsd export` writes it) and what those keys produced through the
//! KMS API (`expected.json`): ciphertexts, signatures, MACs, ECDH and ML-KEM shared secrets,
//! data key pairs, public keys, and the stored form of every key's material.
//!
//! The committed files were made at commit 123d66a, the last one whose RSA, ECDSA, ECDH,
//! Ed25519 and HMAC came from the RustCrypto crates and kmsd's own arithmetic, with
//!
//! ```text
//! cargo run --example compat_fixture -- tests/it/fixtures/compat
//! ```
//!
//! Do not regenerate them: their point is that they were made by the old code. A new engine
//! must read them, not rewrite them.

// A generator panics on an unexpected answer: there is nothing to recover.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_kms::Client;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec as Enc,
    KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType,
    SigningAlgorithmSpec as Alg,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use kmsd::crypto::asymmetric::{AsymmetricKey, KeyPairKind};
use kmsd::kms::{Clock, Kms};
use kmsd::model::{AccountId, Scope};
use kmsd::store::Store;
use serde_json::{Value, json};
use sha2::Digest;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
/// What every signature, MAC and RAW message covers.
const MESSAGE: &[u8] = b"kmsd compatibility fixture: made before the switch to aws-lc-rs";

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn home() -> Scope {
    Scope {
        account: AccountId::parse(ACCOUNT).unwrap(),
        region: kmsd::model::Region::parse(REGION).unwrap(),
    }
}

/// Everything recorded, section by section.
#[derive(Default)]
struct Record {
    public_keys: Vec<Value>,
    ciphertexts: Vec<Value>,
    signatures: Vec<Value>,
    macs: Vec<Value>,
    shared_secrets: Vec<Value>,
    decapsulations: Vec<Value>,
    data_key_pairs: Vec<Value>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out: PathBuf = std::env::args()
        .nth(1)
        .expect("usage: compat_fixture OUTPUT_DIR")
        .into();
    std::fs::create_dir_all(&out).unwrap();

    let kms = Arc::new(Kms::open(Store::in_memory(), home(), Clock::system()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kmsd::serve(listener, Arc::clone(&kms), async {
        let _ = stopped.await;
    }));
    let client = Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&endpoint)
            .credentials_provider(Credentials::new("AKIDEXAMPLE", "secret", None, None, "x"))
            .build(),
    );

    let mut record = Record::default();
    symmetric(&client, &mut record).await;
    hmac(&client, &mut record).await;
    rsa(&client, &mut record).await;
    elliptic(&client, &mut record).await;
    post_quantum(&client, &mut record).await;
    data_key_pairs(&client, &mut record).await;

    let _ = stop.send(());
    server.await.unwrap().unwrap();

    let seed_path = out.join("seed.yaml");
    std::fs::write(
        &seed_path,
        kmsd::seed::export(&kms, &kmsd::seed::ExportFilter::default()).unwrap(),
    )
    .unwrap();

    // Seed the file into a second, empty kmsd: what it stores is what a data dir seeded from
    // this file holds, with the material ids derived from the material.
    let seeded = Kms::open(Store::in_memory(), home(), Clock::system()).unwrap();
    kmsd::seed::apply(&seeded, &seed_path).unwrap();
    let mut stored = Vec::new();
    for key in seeded.snapshot().keys {
        for material in key.materials.iter() {
            stored.push(json!({
                "key_id": key.arn.key_id.to_string(),
                "material_id": material.id.to_string(),
                "kind": material.secret.kind(),
                "bytes": b64(&material.secret.to_stored_bytes().unwrap()),
            }));
        }
    }

    let fixture = json!({
        "made_by": "commit 123d66a: cargo run --example compat_fixture -- tests/it/fixtures/compat",
        "message": b64(MESSAGE),
        "stored": stored,
        "public_keys": record.public_keys,
        "ciphertexts": record.ciphertexts,
        "signatures": record.signatures,
        "macs": record.macs,
        "shared_secrets": record.shared_secrets,
        "decapsulations": record.decapsulations,
        "data_key_pairs": record.data_key_pairs,
    });
    let mut text = serde_json::to_string_pretty(&fixture).unwrap();
    text.push('\n');
    std::fs::write(out.join("expected.json"), text).unwrap();
}

async fn create(client: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    client
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .description("compatibility fixture")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

/// Records the key's public key, and returns it.
async fn public_key(client: &Client, record: &mut Record, key_id: &str) -> Vec<u8> {
    let public = client
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .public_key
        .unwrap()
        .into_inner();
    record
        .public_keys
        .push(json!({"key_id": key_id, "public_key": b64(&public)}));
    public
}

async fn encrypt(
    client: &Client,
    record: &mut Record,
    key_id: &str,
    algorithm: Enc,
    context: &BTreeMap<&str, &str>,
    plaintext: &[u8],
) {
    let mut request = client
        .encrypt()
        .key_id(key_id)
        .encryption_algorithm(algorithm.clone())
        .plaintext(Blob::new(plaintext));
    for (k, v) in context {
        request = request.encryption_context(*k, *v);
    }
    let ciphertext = request
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
        .into_inner();
    record.ciphertexts.push(json!({
        "key_id": key_id,
        "algorithm": algorithm.as_str(),
        "context": context,
        "ciphertext": b64(&ciphertext),
        "plaintext": b64(plaintext),
    }));
}

/// Signs `message` as `message_type` and records the signature. `deterministic`: the scheme
/// gives the same signature every time, so a new engine must give the same bytes.
async fn sign(
    client: &Client,
    record: &mut Record,
    key_id: &str,
    algorithm: Alg,
    message_type: MessageType,
    message: &[u8],
    deterministic: bool,
) {
    let signature = client
        .sign()
        .key_id(key_id)
        .signing_algorithm(algorithm.clone())
        .message_type(message_type.clone())
        .message(Blob::new(message))
        .send()
        .await
        .unwrap()
        .signature
        .unwrap()
        .into_inner();
    record.signatures.push(json!({
        "key_id": key_id,
        "algorithm": algorithm.as_str(),
        "message_type": message_type.as_str(),
        "message": b64(message),
        "signature": b64(&signature),
        "deterministic": deterministic,
    }));
}

async fn symmetric(client: &Client, record: &mut Record) {
    // One key with three material versions, each sealing a ciphertext under a context.
    let rotated = client
        .create_key()
        .description("rotated")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    for version in ["1", "2", "3"] {
        let context = BTreeMap::from([("purpose", "compat"), ("version", version)]);
        let plaintext = format!("sealed under material version {version}");
        encrypt(
            client,
            record,
            &rotated,
            Enc::SymmetricDefault,
            &context,
            plaintext.as_bytes(),
        )
        .await;
        if version != "3" {
            client
                .rotate_key_on_demand()
                .key_id(&rotated)
                .send()
                .await
                .unwrap();
        }
    }
    // A key that never rotated, without a context, and a data key under it.
    let plain = client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    encrypt(
        client,
        record,
        &plain,
        Enc::SymmetricDefault,
        &BTreeMap::new(),
        b"no context",
    )
    .await;
    let data_key = client
        .generate_data_key()
        .key_id(&plain)
        .number_of_bytes(32)
        .encryption_context("use", "data key")
        .send()
        .await
        .unwrap();
    record.ciphertexts.push(json!({
        "key_id": plain,
        "algorithm": "SYMMETRIC_DEFAULT",
        "context": {"use": "data key"},
        "ciphertext": b64(data_key.ciphertext_blob.unwrap().as_ref()),
        "plaintext": b64(data_key.plaintext.unwrap().as_ref()),
    }));
}

async fn hmac(client: &Client, record: &mut Record) {
    for (spec, algorithm) in [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512),
    ] {
        let key = create(client, spec, KeyUsageType::GenerateVerifyMac).await;
        let mac = client
            .generate_mac()
            .key_id(&key)
            .mac_algorithm(algorithm.clone())
            .message(Blob::new(MESSAGE))
            .send()
            .await
            .unwrap()
            .mac
            .unwrap()
            .into_inner();
        record.macs.push(json!({
            "key_id": key,
            "algorithm": algorithm.as_str(),
            "message": b64(MESSAGE),
            "mac": b64(&mac),
        }));
    }
}

fn digest(algorithm: &Alg, message: &[u8]) -> Vec<u8> {
    let name = algorithm.as_str();
    if name.ends_with("SHA_256") {
        sha2::Sha256::digest(message).to_vec()
    } else if name.ends_with("SHA_384") {
        sha2::Sha384::digest(message).to_vec()
    } else {
        sha2::Sha512::digest(message).to_vec()
    }
}

async fn rsa(client: &Client, record: &mut Record) {
    for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
        let key = create(client, spec.clone(), KeyUsageType::EncryptDecrypt).await;
        public_key(client, record, &key).await;
        for algorithm in [Enc::RsaesOaepSha1, Enc::RsaesOaepSha256] {
            let plaintext = format!("{} under {}", algorithm.as_str(), spec.as_str());
            encrypt(
                client,
                record,
                &key,
                algorithm,
                &BTreeMap::new(),
                plaintext.as_bytes(),
            )
            .await;
        }
        let key = create(client, spec, KeyUsageType::SignVerify).await;
        public_key(client, record, &key).await;
        for algorithm in [
            Alg::RsassaPssSha256,
            Alg::RsassaPssSha384,
            Alg::RsassaPssSha512,
            Alg::RsassaPkcs1V15Sha256,
            Alg::RsassaPkcs1V15Sha384,
            Alg::RsassaPkcs1V15Sha512,
        ] {
            let deterministic = algorithm.as_str().contains("PKCS1");
            sign_raw_and_digest(client, record, &key, algorithm, deterministic).await;
        }
    }
}

async fn sign_raw_and_digest(
    client: &Client,
    record: &mut Record,
    key: &str,
    algorithm: Alg,
    deterministic: bool,
) {
    sign(
        client,
        record,
        key,
        algorithm.clone(),
        MessageType::Raw,
        MESSAGE,
        deterministic,
    )
    .await;
    let digest = match algorithm {
        // SM3(Z ‖ M) in real use; any 32 bytes sign and verify the same way.
        Alg::Sm2Dsa => sha2::Sha256::digest(MESSAGE).to_vec(),
        _ => digest(&algorithm, MESSAGE),
    };
    sign(
        client,
        record,
        key,
        algorithm,
        MessageType::Digest,
        &digest,
        deterministic,
    )
    .await;
}

async fn elliptic(client: &Client, record: &mut Record) {
    for (spec, algorithm) in [
        (KeySpec::EccNistP256, Alg::EcdsaSha256),
        (KeySpec::EccNistP384, Alg::EcdsaSha384),
        (KeySpec::EccNistP521, Alg::EcdsaSha512),
        (KeySpec::EccSecgP256K1, Alg::EcdsaSha256),
        (KeySpec::Sm2, Alg::Sm2Dsa),
    ] {
        let key = create(client, spec, KeyUsageType::SignVerify).await;
        public_key(client, record, &key).await;
        sign_raw_and_digest(client, record, &key, algorithm, false).await;
    }
    // ECDH with a fixed peer, whose public key is recorded with the secret. ECC_SECG_P256K1
    // has no KEY_AGREEMENT usage in KMS.
    for (spec, peer_kind) in [
        (KeySpec::EccNistP256, KeyPairKind::P256),
        (KeySpec::EccNistP384, KeyPairKind::P384),
        (KeySpec::EccNistP521, KeyPairKind::P521),
        (KeySpec::Sm2, KeyPairKind::Sm2),
    ] {
        let key = create(client, spec, KeyUsageType::KeyAgreement).await;
        public_key(client, record, &key).await;
        let peer = AsymmetricKey::generate(peer_kind)
            .unwrap()
            .public_key_der()
            .unwrap();
        let secret = client
            .derive_shared_secret()
            .key_id(&key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer.clone()))
            .send()
            .await
            .unwrap()
            .shared_secret
            .unwrap()
            .into_inner();
        record.shared_secrets.push(json!({
            "key_id": key,
            "peer_public_key": b64(&peer),
            "shared_secret": b64(&secret),
        }));
    }
    // SM2PKE.
    let key = create(client, KeySpec::Sm2, KeyUsageType::EncryptDecrypt).await;
    public_key(client, record, &key).await;
    encrypt(
        client,
        record,
        &key,
        Enc::Sm2Pke,
        &BTreeMap::new(),
        b"SM2PKE plaintext",
    )
    .await;
    // Ed25519 (RAW) and Ed25519ph (DIGEST: the SHA-512 of the message), both deterministic.
    let key = create(
        client,
        KeySpec::EccNistEdwards25519,
        KeyUsageType::SignVerify,
    )
    .await;
    public_key(client, record, &key).await;
    sign(
        client,
        record,
        &key,
        Alg::Ed25519Sha512,
        MessageType::Raw,
        MESSAGE,
        true,
    )
    .await;
    sign(
        client,
        record,
        &key,
        Alg::Ed25519PhSha512,
        MessageType::Digest,
        &sha2::Sha512::digest(MESSAGE),
        true,
    )
    .await;
}

async fn post_quantum(client: &Client, record: &mut Record) {
    for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
        let key = create(client, spec, KeyUsageType::SignVerify).await;
        public_key(client, record, &key).await;
        // kmsd signs ML-DSA deterministically. Any 64 bytes serve as an external μ.
        sign(
            client,
            record,
            &key,
            Alg::MlDsaShake256,
            MessageType::Raw,
            MESSAGE,
            true,
        )
        .await;
        sign(
            client,
            record,
            &key,
            Alg::MlDsaShake256,
            MessageType::ExternalMu,
            &sha2::Sha512::digest(MESSAGE),
            true,
        )
        .await;
    }
    for spec in [KeySpec::MlKem512, KeySpec::MlKem768, KeySpec::MlKem1024] {
        let key = create(client, spec, KeyUsageType::EncapsulateDecapsulate).await;
        public_key(client, record, &key).await;
        let out = client
            .encapsulate()
            .key_id(&key)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .send()
            .await
            .unwrap();
        record.decapsulations.push(json!({
            "key_id": key,
            "ciphertext": b64(out.shared_secret_ciphertext_blob.unwrap().as_ref()),
            "shared_secret": b64(out.shared_secret.unwrap().as_ref()),
        }));
    }
}

async fn data_key_pairs(client: &Client, record: &mut Record) {
    let wrapping = client
        .create_key()
        .description("wraps data key pairs")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::Rsa3072,
        DataKeyPairSpec::Rsa4096,
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP384,
        DataKeyPairSpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256K1,
        DataKeyPairSpec::Sm2,
        DataKeyPairSpec::EccNistEdwards25519,
        DataKeyPairSpec::MlKem512,
        DataKeyPairSpec::MlKem768,
        DataKeyPairSpec::MlKem1024,
    ] {
        let out = client
            .generate_data_key_pair_without_plaintext()
            .key_id(&wrapping)
            .key_pair_spec(spec.clone())
            .encryption_context("pair", spec.as_str())
            .send()
            .await
            .unwrap();
        record.data_key_pairs.push(json!({
            "key_id": wrapping,
            "spec": spec.as_str(),
            "context": {"pair": spec.as_str()},
            "private_key_ciphertext": b64(out.private_key_ciphertext_blob.unwrap().as_ref()),
            "public_key": b64(out.public_key.unwrap().as_ref()),
        }));
    }
}
