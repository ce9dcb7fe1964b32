//! Compatibility with what kmsd stored and produced before its cryptography moved to aws-lc-rs:
//! `fixtures/compat/` holds a seed file with a key of every spec and what those keys produced
//! (made at commit 123d66a by `examples/compat_fixture.rs`; never regenerated). Each test seeds
//! the file into a fresh server and checks the outputs through the KMS API, or reads the stored
//! form of the material back directly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec,
    MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use kmsd::ServeOptions;
use kmsd::crypto::KeyMaterial;
use kmsd::crypto::asymmetric::import_private_key;
use kmsd::kms::{Clock, Kms};
use kmsd::model::{AccountId, Region, Scope};
use kmsd::store::Store;
use serde::Deserialize;

use crate::support::{ACCOUNT, REGION, TestServer};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fixtures/compat");

/// A blob in the fixture: base64 text.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
struct Bytes(Vec<u8>);

impl TryFrom<String> for Bytes {
    type Error = base64::DecodeError;
    fn try_from(text: String) -> Result<Bytes, Self::Error> {
        B64.decode(text).map(Bytes)
    }
}

#[derive(Debug, Deserialize)]
struct Fixture {
    stored: Vec<Stored>,
    public_keys: Vec<PublicKey>,
    ciphertexts: Vec<Ciphertext>,
    signatures: Vec<Signature>,
    macs: Vec<Mac>,
    shared_secrets: Vec<SharedSecret>,
    decapsulations: Vec<Decapsulation>,
    data_key_pairs: Vec<DataKeyPair>,
}

/// One material version as a data dir seeded from the file by the old code stores it.
#[derive(Debug, Deserialize)]
struct Stored {
    key_id: String,
    material_id: String,
    kind: String,
    bytes: Bytes,
}

#[derive(Debug, Deserialize)]
struct PublicKey {
    key_id: String,
    public_key: Bytes,
}

#[derive(Debug, Deserialize)]
struct Ciphertext {
    key_id: String,
    algorithm: String,
    context: BTreeMap<String, String>,
    ciphertext: Bytes,
    plaintext: Bytes,
}

#[derive(Debug, Deserialize)]
struct Signature {
    key_id: String,
    algorithm: String,
    message_type: String,
    message: Bytes,
    signature: Bytes,
    deterministic: bool,
}

#[derive(Debug, Deserialize)]
struct Mac {
    key_id: String,
    algorithm: String,
    message: Bytes,
    mac: Bytes,
}

#[derive(Debug, Deserialize)]
struct SharedSecret {
    key_id: String,
    peer_public_key: Bytes,
    shared_secret: Bytes,
}

#[derive(Debug, Deserialize)]
struct Decapsulation {
    key_id: String,
    ciphertext: Bytes,
    shared_secret: Bytes,
}

#[derive(Debug, Deserialize)]
struct DataKeyPair {
    key_id: String,
    spec: String,
    context: BTreeMap<String, String>,
    private_key_ciphertext: Bytes,
    public_key: Bytes,
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string(Path::new(FIXTURE).join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn seed_file() -> PathBuf {
    Path::new(FIXTURE).join("seed.yaml")
}

fn home() -> Scope {
    Scope {
        account: AccountId::parse(ACCOUNT).unwrap(),
        region: Region::parse(REGION).unwrap(),
    }
}

/// Seeds the fixture into a fresh data dir and serves it.
async fn seeded_server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    {
        let kms = Kms::open(Store::open(dir.path()).unwrap(), home(), Clock::system()).unwrap();
        kmsd::seed::apply(&kms, &seed_file()).unwrap();
    }
    let server = TestServer::start_in(dir.path(), ServeOptions::default()).await;
    (server, dir)
}

/// Every record kind is in the fixture, so a check below that finds nothing to check is a
/// broken fixture, not a pass.
#[test]
fn the_fixture_covers_every_kind_of_output() {
    let f = fixture();
    // 30 keys: 3 symmetric (one rotated twice, so 3 material versions), 4 HMAC, 6 RSA,
    // 5 ECDSA/SM2DSA, 4 ECDH, SM2PKE, Ed25519, 3 ML-DSA and 3 ML-KEM.
    let keys: BTreeSet<&str> = f.stored.iter().map(|s| s.key_id.as_str()).collect();
    assert_eq!((keys.len(), f.stored.len()), (30, 32));
    assert_eq!(f.public_keys.len(), 23);
    assert_eq!(f.ciphertexts.len(), 3 + 2 + 6 + 1);
    // RSA: 3 sizes x 6 algorithms x RAW/DIGEST; ECDSA and SM2DSA: 5 x 2; Ed25519: 2; ML-DSA: 6.
    assert_eq!(f.signatures.len(), 36 + 10 + 2 + 6);
    assert_eq!(f.macs.len(), 4);
    assert_eq!(f.shared_secrets.len(), 4);
    assert_eq!(f.decapsulations.len(), 3);
    assert_eq!(f.data_key_pairs.len(), 12);
}

/// What the old code stored reads back as the same key, re-encodes to the same bytes (the
/// material ids of seeded keys are derived from those bytes, and re-seeding compares them),
/// and seeding the file gives the material ids the old code gave.
#[test]
fn stored_material_reads_back_unchanged() {
    let f = fixture();
    let public: BTreeMap<&str, &[u8]> = f
        .public_keys
        .iter()
        .map(|p| (p.key_id.as_str(), p.public_key.0.as_slice()))
        .collect();
    for stored in &f.stored {
        let material = KeyMaterial::from_stored(&stored.kind, &stored.bytes.0)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", stored.key_id, stored.kind));
        assert_eq!(material.kind(), stored.kind);
        assert_eq!(
            material.to_stored_bytes().unwrap(),
            stored.bytes.0,
            "{} ({}) re-encodes differently",
            stored.key_id,
            stored.kind
        );
        if let Some(pair) = material.asymmetric() {
            assert_eq!(
                pair.public_key_der().unwrap(),
                public[stored.key_id.as_str()],
                "{}",
                stored.key_id
            );
        }
    }

    let kms = Kms::open(Store::in_memory(), home(), Clock::system()).unwrap();
    let report = kmsd::seed::apply(&kms, &seed_file()).unwrap();
    let keys = f
        .stored
        .iter()
        .map(|s| &s.key_id)
        .collect::<BTreeSet<_>>()
        .len();
    assert_eq!(report.keys_created, keys);
    let mut now: Vec<(String, String, Vec<u8>)> = Vec::new();
    for key in kms.snapshot().keys {
        for m in key.materials.iter() {
            now.push((
                key.arn.key_id.to_string(),
                m.id.to_string(),
                m.secret.to_stored_bytes().unwrap(),
            ));
        }
    }
    let then: Vec<(String, String, Vec<u8>)> = f
        .stored
        .iter()
        .map(|s| (s.key_id.clone(), s.material_id.clone(), s.bytes.0.clone()))
        .collect();
    assert_eq!(now, then);
    // Seeding it again changes nothing.
    let again = kmsd::seed::apply(&kms, &seed_file()).unwrap();
    assert_eq!((again.keys_created, again.keys_unchanged), (0, keys));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_ciphertexts_decrypt_and_public_keys_are_unchanged() {
    let f = fixture();
    let (server, _dir) = seeded_server().await;
    let client = server.client();
    for expected in &f.public_keys {
        let public = client
            .get_public_key()
            .key_id(&expected.key_id)
            .send()
            .await
            .unwrap()
            .public_key
            .unwrap()
            .into_inner();
        assert_eq!(public, expected.public_key.0, "{}", expected.key_id);
    }
    for c in &f.ciphertexts {
        let algorithm = EncryptionAlgorithmSpec::from(c.algorithm.as_str());
        let mut request = client
            .decrypt()
            .ciphertext_blob(Blob::new(c.ciphertext.0.clone()))
            .encryption_algorithm(algorithm);
        // Symmetric ciphertexts name their key; asymmetric ones need it.
        if c.algorithm != "SYMMETRIC_DEFAULT" {
            request = request.key_id(&c.key_id);
        }
        for (k, v) in &c.context {
            request = request.encryption_context(k, v);
        }
        let out = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} {}: {e:?}", c.key_id, c.algorithm));
        assert_eq!(
            out.plaintext.unwrap().into_inner(),
            c.plaintext.0,
            "{} {}",
            c.key_id,
            c.algorithm
        );
        assert!(out.key_id.unwrap().ends_with(&c.key_id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_signatures_and_macs_verify() {
    let f = fixture();
    let (server, _dir) = seeded_server().await;
    let client = server.client();
    for s in &f.signatures {
        let what = format!("{} {} {}", s.key_id, s.algorithm, s.message_type);
        let algorithm = SigningAlgorithmSpec::from(s.algorithm.as_str());
        let message_type = MessageType::from(s.message_type.as_str());
        let valid = client
            .verify()
            .key_id(&s.key_id)
            .signing_algorithm(algorithm.clone())
            .message_type(message_type.clone())
            .message(Blob::new(s.message.0.clone()))
            .signature(Blob::new(s.signature.0.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"))
            .signature_valid;
        assert!(valid, "{what}");
        if s.deterministic {
            let again = client
                .sign()
                .key_id(&s.key_id)
                .signing_algorithm(algorithm)
                .message_type(message_type)
                .message(Blob::new(s.message.0.clone()))
                .send()
                .await
                .unwrap()
                .signature
                .unwrap()
                .into_inner();
            assert_eq!(again, s.signature.0, "{what} signs differently now");
        }
    }
    for m in &f.macs {
        let algorithm = MacAlgorithmSpec::from(m.algorithm.as_str());
        let valid = client
            .verify_mac()
            .key_id(&m.key_id)
            .mac_algorithm(algorithm.clone())
            .message(Blob::new(m.message.0.clone()))
            .mac(Blob::new(m.mac.0.clone()))
            .send()
            .await
            .unwrap()
            .mac_valid;
        assert!(valid, "{}", m.algorithm);
        let again = client
            .generate_mac()
            .key_id(&m.key_id)
            .mac_algorithm(algorithm)
            .message(Blob::new(m.message.0.clone()))
            .send()
            .await
            .unwrap()
            .mac
            .unwrap()
            .into_inner();
        assert_eq!(again, m.mac.0, "{}", m.algorithm);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_shared_secrets_derive_and_decapsulate_again() {
    let f = fixture();
    let (server, _dir) = seeded_server().await;
    let client = server.client();
    for s in &f.shared_secrets {
        let secret = client
            .derive_shared_secret()
            .key_id(&s.key_id)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(s.peer_public_key.0.clone()))
            .send()
            .await
            .unwrap()
            .shared_secret
            .unwrap()
            .into_inner();
        assert_eq!(secret, s.shared_secret.0, "{}", s.key_id);
    }
    for d in &f.decapsulations {
        let secret = client
            .decapsulate()
            .key_id(&d.key_id)
            .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
            .shared_secret_ciphertext_blob(Blob::new(d.ciphertext.0.clone()))
            .send()
            .await
            .unwrap()
            .shared_secret
            .unwrap()
            .into_inner();
        assert_eq!(secret, d.shared_secret.0, "{}", d.key_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_data_key_pairs_decrypt_to_private_keys_that_match_their_public_keys() {
    let f = fixture();
    let (server, _dir) = seeded_server().await;
    let client = server.client();
    for pair in &f.data_key_pairs {
        let mut request = client
            .decrypt()
            .ciphertext_blob(Blob::new(pair.private_key_ciphertext.0.clone()));
        for (k, v) in &pair.context {
            request = request.encryption_context(k, v);
        }
        let out = request.send().await.unwrap();
        assert!(out.key_id.unwrap().ends_with(&pair.key_id));
        let private = out.plaintext.unwrap().into_inner();
        let key = import_private_key(&private).unwrap_or_else(|e| panic!("{}: {e}", pair.spec));
        assert_eq!(
            key.public_key_der().unwrap(),
            pair.public_key.0,
            "{}",
            pair.spec
        );
    }
}
