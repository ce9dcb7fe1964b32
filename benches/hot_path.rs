//! Micro-benchmarks of kmsd's hot path, without HTTP: `api::dispatch` (the operation lookup,
//! JSON decode, parsing into a typed input, the `Kms` call, usage recording, JSON encode)
//! against an in-memory `Kms` with a fresh `kms::Context` per call, as the server makes one,
//! and the
//! cryptography underneath it (`crypto::symmetric`, `crypto::asymmetric`, `crypto::mac`).
//!
//! `cargo bench --bench hot_path` runs them all (about a minute of measuring);
//! `cargo bench --bench hot_path -- dispatch/` runs one group. Each benchmark measures for 2 s
//! after 0.5 s of warm-up, so numbers move by a few percent between runs on a shared machine.

// A benchmark panics on an unexpected answer: that is a broken setup, not a result.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kmsd::api::dispatch;
use kmsd::crypto::asymmetric::{AsymmetricKey, Hash, KeyPairKind, Message, Scheme};
use kmsd::crypto::{mac, random_array, random_bytes, symmetric};
use kmsd::kms::{Clock, Context, Kms};
use kmsd::model::{AccountId, Operation, Region, Scope};
use kmsd::store::Store;
use serde_json::{Value, json};

/// An in-memory `Kms` and the caller every request comes from.
struct Fixture {
    kms: Kms,
    caller: Scope,
}

impl Fixture {
    fn new() -> Fixture {
        let caller = Scope {
            account: AccountId::parse("123456789012").unwrap(),
            region: Region::parse("us-east-1").unwrap(),
        };
        let kms = Kms::open(Store::in_memory(), caller.clone(), Clock::system()).unwrap();
        Fixture { kms, caller }
    }

    /// A context for one call of `op`, as the server makes it.
    fn context(&self, op: &str) -> Context {
        let operation = Operation::parse(op).unwrap();
        Context::new(self.caller.clone(), operation, "bench-request")
    }

    /// Runs `op` through `dispatch` and returns its JSON answer; panics on an error.
    fn call(&self, op: &str, body: &[u8]) -> Value {
        let answer = dispatch(&self.kms, &mut self.context(op), body)
            .unwrap_or_else(|e| panic!("{op} failed: {e:?}"));
        serde_json::from_slice(&answer).unwrap()
    }

    /// Creates a key with these CreateKey members and returns its id.
    fn create_key(&self, request: Value) -> String {
        let answer = self.call("CreateKey", request.to_string().as_bytes());
        answer["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    }

    /// Benchmarks `dispatch` of one request body, checking once that it succeeds.
    fn bench(&self, c: &mut Criterion, name: &str, op: &str, request: &Value) {
        let body = request.to_string().into_bytes();
        self.call(op, &body);
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut cx = self.context(black_box(op));
                black_box(dispatch(&self.kms, &mut cx, black_box(&body)).is_ok())
            })
        });
    }
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// (a), (c), (d): whole operations through `api::dispatch`.
fn dispatch_benches(c: &mut Criterion) {
    let f = Fixture::new();
    let sym = f.create_key(json!({"Description": "bench symmetric"}));
    let ecc = f.create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}));
    let hmac = f.create_key(json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));

    let plaintext = b64(&random_bytes(32));
    let encrypt = json!({"KeyId": sym, "Plaintext": plaintext});
    let blob = f.call("Encrypt", encrypt.to_string().as_bytes())["CiphertextBlob"].clone();
    let message = b64(&random_bytes(32));
    let sign = json!({
        "KeyId": ecc, "Message": message, "MessageType": "RAW",
        "SigningAlgorithm": "ECDSA_SHA_256",
    });
    let signature = f.call("Sign", sign.to_string().as_bytes())["Signature"].clone();
    let mut verify = sign.clone();
    verify["Signature"] = signature;

    f.bench(c, "dispatch/encrypt_32", "Encrypt", &encrypt);
    f.bench(
        c,
        "dispatch/decrypt_32",
        "Decrypt",
        &json!({"CiphertextBlob": blob}),
    );
    f.bench(
        c,
        "dispatch/describe_key",
        "DescribeKey",
        &json!({"KeyId": sym}),
    );
    f.bench(
        c,
        "dispatch/generate_data_key",
        "GenerateDataKey",
        &json!({"KeyId": sym, "KeySpec": "AES_256"}),
    );
    f.bench(
        c,
        "dispatch/generate_mac",
        "GenerateMac",
        &json!({"KeyId": hmac, "Message": message, "MacAlgorithm": "HMAC_SHA_256"}),
    );
    f.bench(c, "dispatch/sign_p256", "Sign", &sign);
    f.bench(c, "dispatch/verify_p256", "Verify", &verify);
}

/// (b), (c): the cryptography alone, as `kms` calls it.
fn crypto_benches(c: &mut Criterion) {
    let key: [u8; 32] = random_array();
    let nonce: [u8; symmetric::NONCE_LEN] = random_array();
    // About the size of a real envelope header, which is the additional data.
    let aad = random_bytes(100);

    let mut group = c.benchmark_group("crypto/aes_gcm");
    for size in [32usize, 4096] {
        let plaintext = random_bytes(size);
        let sealed = symmetric::seal(&key, &nonce, &aad, &plaintext);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("seal", size), &plaintext, |b, pt| {
            b.iter(|| symmetric::seal(&key, &nonce, black_box(&aad), black_box(pt)))
        });
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, ct| {
            b.iter(|| symmetric::open(&key, &nonce, black_box(&aad), black_box(ct)).unwrap())
        });
    }
    group.finish();

    let p256 = AsymmetricKey::generate(KeyPairKind::P256).unwrap();
    let scheme = Scheme::Ecdsa(Hash::Sha256);
    let message = random_bytes(32);
    let signature = p256.sign(scheme, Message::Raw(&message)).unwrap();
    assert!(
        p256.verify(scheme, Message::Raw(&message), &signature)
            .unwrap()
    );
    c.bench_function("crypto/ecdsa_p256/sign", |b| {
        b.iter(|| {
            p256.sign(scheme, Message::Raw(black_box(&message)))
                .unwrap()
        })
    });
    c.bench_function("crypto/ecdsa_p256/verify", |b| {
        b.iter(|| {
            p256.verify(
                scheme,
                Message::Raw(black_box(&message)),
                black_box(&signature),
            )
            .unwrap()
        })
    });

    let p384 = AsymmetricKey::generate(KeyPairKind::P384).unwrap();
    let scheme = Scheme::Ecdsa(Hash::Sha384);
    let signature = p384.sign(scheme, Message::Raw(&message)).unwrap();
    assert!(
        p384.verify(scheme, Message::Raw(&message), &signature)
            .unwrap()
    );
    c.bench_function("crypto/ecdsa_p384/sign", |b| {
        b.iter(|| {
            p384.sign(scheme, Message::Raw(black_box(&message)))
                .unwrap()
        })
    });
    c.bench_function("crypto/ecdsa_p384/verify", |b| {
        b.iter(|| {
            p384.verify(
                scheme,
                Message::Raw(black_box(&message)),
                black_box(&signature),
            )
            .unwrap()
        })
    });

    // RSA-OAEP as Encrypt and Decrypt with an RSA_2048 key and RSAES_OAEP_SHA_256 run it:
    // the public-key operation and the private (CRT) one, 32 bytes of plaintext.
    let rsa = AsymmetricKey::generate(KeyPairKind::Rsa(2048)).unwrap();
    let plaintext = random_bytes(32);
    let ciphertext = rsa.encrypt_oaep(Hash::Sha256, &plaintext).unwrap();
    assert_eq!(
        rsa.decrypt_oaep(Hash::Sha256, &ciphertext).unwrap(),
        plaintext
    );
    c.bench_function("crypto/rsa2048_oaep_sha256/encrypt", |b| {
        b.iter(|| {
            rsa.encrypt_oaep(Hash::Sha256, black_box(&plaintext))
                .unwrap()
        })
    });
    c.bench_function("crypto/rsa2048_oaep_sha256/decrypt", |b| {
        b.iter(|| {
            rsa.decrypt_oaep(Hash::Sha256, black_box(&ciphertext))
                .unwrap()
        })
    });

    // Sign with RSASSA_PSS_SHA_256 and an RSA_2048 key, over 32 bytes.
    let scheme = Scheme::RsaPss(Hash::Sha256);
    let signature = rsa.sign(scheme, Message::Raw(&message)).unwrap();
    assert!(
        rsa.verify(scheme, Message::Raw(&message), &signature)
            .unwrap()
    );
    c.bench_function("crypto/rsa2048_pss_sha256/sign", |b| {
        b.iter(|| rsa.sign(scheme, Message::Raw(black_box(&message))).unwrap())
    });

    let hmac_key = random_bytes(32);
    c.bench_function("crypto/hmac_sha256/32", |b| {
        b.iter(|| mac::generate(mac::MacHash::Sha256, &hmac_key, black_box(&message)))
    });
}

/// Short runs: these numbers are for spotting large changes, not for a paper.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = dispatch_benches, crypto_benches
}
criterion_main!(benches);
