//! Seed files (kmsd's format and local-kms's), `kmsd seed`, `kmsd export`, `--seed`, and
//! LocalStack's `_custom_id_` / `_custom_key_material_` tags.

use std::path::Path;
use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};
use kmsd::crypto::asymmetric::{AsymmetricKey, KeyPairKind, to_pem};

use crate::support::keys::{create_alias, create_key_with, decrypt, encrypt, public_key, tag};
use crate::support::lifecycle::{list_rotations, rotation_status};
use crate::support::process::{KMSD, Running, run_to_exit};
use crate::support::tools::hex;
use crate::support::{TestServer, check_error, client_at, create_key, metadata};

const K_SYM: &str = "11111111-1111-4111-8111-111111111111";
const K_OFF: &str = "22222222-2222-4222-8222-222222222222";
const K_HMAC: &str = "33333333-3333-4333-8333-333333333333";
const K_OTHER: &str = "44444444-4444-4444-8444-444444444444";

/// Runs `kmsd seed FILE --data-dir DIR`; returns (exit code, stdout, stderr).
fn seed(file: &Path, data: &Path) -> (i32, String, String) {
    let out = Command::new(KMSD)
        .arg("seed")
        .arg(file)
        .arg("--data-dir")
        .arg(data)
        .env_remove("KMS_DATA_PATH")
        .env_remove("KMS_ACCOUNT_ID")
        .env_remove("KMS_REGION")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn serve(data: &Path) -> Running {
    Running::start(
        data.parent().unwrap(),
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--port",
            "0",
            "--rsa-pool-size",
            "0",
        ],
    )
}

fn indent(pem: &str, spaces: usize) -> String {
    pem.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(spaces)))
        .collect()
}

/// Every asymmetric spec, with a freshly generated private key.
fn key_pairs() -> Vec<(&'static str, &'static str, String, AsymmetricKey)> {
    let kinds = [
        ("RSA_2048", "SIGN_VERIFY", KeyPairKind::Rsa(2048)),
        ("ECC_NIST_P256", "SIGN_VERIFY", KeyPairKind::P256),
        ("ECC_NIST_P384", "KEY_AGREEMENT", KeyPairKind::P384),
        ("ECC_NIST_P521", "SIGN_VERIFY", KeyPairKind::P521),
        ("ECC_SECG_P256K1", "SIGN_VERIFY", KeyPairKind::Secp256k1),
        ("SM2", "ENCRYPT_DECRYPT", KeyPairKind::Sm2),
        ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", KeyPairKind::Ed25519),
        ("ML_DSA_44", "SIGN_VERIFY", KeyPairKind::MlDsa44),
        (
            "ML_KEM_512",
            "ENCAPSULATE_DECAPSULATE",
            KeyPairKind::MlKem512,
        ),
    ];
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (spec, usage, kind))| {
            let key = AsymmetricKey::generate(kind).unwrap();
            let id = format!("aaaaaaaa-0000-4000-8000-{i:012}");
            (spec, usage, id, key)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_seed_files_declare_every_spec_and_apply_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let old_material = [0x11u8; 32];
    let current_material = [0x22u8; 32];
    let hmac_key = [0x33u8; 32];
    let pairs = key_pairs();
    let mut yaml = format!(
        "Keys:
  - KeyId: {K_SYM}
    Description: seeded app key
    KeyMaterials: [{{Material: {}}}, {{Material: {}}}]
    Tags: {{team: payments}}
    Rotation: {{RotationPeriodInDays: 90}}
  - KeyId: {K_OFF}
    Enabled: false
    KeyMaterial: \"{}\"
  - KeyId: {K_HMAC}
    KeySpec: HMAC_256
    KeyUsage: GENERATE_VERIFY_MAC
    KeyMaterial: \"{}\"
",
        hex(&old_material),
        hex(&current_material),
        B64.encode([0x44u8; 32]),
        hex(&hmac_key),
    );
    for (spec, usage, id, key) in &pairs {
        yaml.push_str(&format!(
            "  - KeyId: {id}\n    KeySpec: {spec}\n    KeyUsage: {usage}\n    PrivateKeyPem: |\n{}",
            indent(&to_pem(key).unwrap(), 6)
        ));
    }
    yaml.push_str(&format!(
        "Aliases:
  - {{AliasName: alias/app, TargetKeyId: {K_SYM}}}
Scopes:
  - Account: \"222233334444\"
    Region: eu-west-1
    Keys:
      - {{KeyId: {K_OTHER}, KeyMaterial: \"{}\"}}
    Aliases:
      - {{AliasName: alias/app, TargetKeyId: {K_OTHER}}}
",
        hex(&[0x55u8; 32])
    ));
    let file = dir.path().join("seed.yaml");
    std::fs::write(&file, &yaml).unwrap();

    let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));
    let total = 4 + pairs.len();
    let (code, stdout, stderr) = seed(&file, &data_a);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("{total} keys created, 0 unchanged, 2 aliases set")),
        "{stdout}"
    );
    // Seeding the same file again changes nothing.
    let (code, stdout, _) = seed(&file, &data_a);
    assert_eq!(code, 0);
    assert!(
        stdout.contains(&format!("0 keys created, {total} unchanged, 0 aliases set")),
        "{stdout}"
    );
    assert_eq!(seed(&file, &data_b).0, 0);

    // A ciphertext made on one seeded data dir decrypts on another seeded from the same file.
    let a = serve(&data_a);
    let client_a = client_at(&a.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let blob = encrypt(&client_a, "alias/app", b"seeded").await;
    let meta = metadata(&client_a, K_SYM).await;
    let created = meta.creation_date;
    assert_eq!(meta.description.as_deref(), Some("seeded app key"));
    let rotation = rotation_status(&client_a, K_SYM).await;
    assert!(rotation.key_rotation_enabled);
    assert_eq!(rotation.rotation_period_in_days, Some(90));
    let rotations = list_rotations(&client_a, K_SYM).await;
    assert_eq!(
        rotations.rotations().len(),
        1,
        "two material versions are one past rotation"
    );
    let off = metadata(&client_a, K_OFF).await;
    assert_eq!(off.key_state.unwrap().as_str(), "Disabled");
    let tags = client_a
        .list_resource_tags()
        .key_id(K_SYM)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].tag_key, "team");
    // The HMAC key computes the HMAC of its seeded key.
    let mac = client_a
        .generate_mac()
        .key_id(K_HMAC)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new(b"abc".to_vec()))
        .send()
        .await
        .unwrap()
        .mac
        .unwrap()
        .into_inner();
    let mut expected = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&hmac_key).unwrap();
    expected.update(b"abc");
    assert_eq!(mac, expected.finalize().into_bytes().to_vec());
    // Every key pair has the public key of its seeded private key.
    for (spec, _, id, key) in &pairs {
        let public = client_a.get_public_key().key_id(id).send().await.unwrap();
        assert_eq!(
            public.public_key.unwrap().into_inner(),
            key.public_key_der().unwrap(),
            "{spec}"
        );
        assert_eq!(public.key_spec.unwrap().as_str(), *spec);
    }
    // Other scopes are seeded too.
    let other = client_at(&a.endpoint(), "eu-west-1", "222233334444");
    assert_eq!(metadata(&other, "alias/app").await.key_id, K_OTHER);
    a.kill();

    let b = serve(&data_b);
    let client_b = client_at(&b.endpoint(), "us-east-1", "AKIDEXAMPLE");
    assert_eq!(decrypt(&client_b, blob).await, b"seeded");
    b.kill();

    // Re-seeding did not touch the keys: same creation date.
    let a = serve(&data_a);
    let client_a = client_at(&a.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let meta = metadata(&client_a, K_SYM).await;
    assert_eq!(meta.creation_date, created);
    a.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_kms_seed_files_work_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = to_pem(&AsymmetricKey::generate(KeyPairKind::Rsa(2048)).unwrap()).unwrap();
    let ec = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let sec1 = ec.to_sec1_pem(Default::default()).unwrap();
    let yaml = format!(
        "Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
          Description: Your first key
        NextKeyRotation: 2030-10-01T12:00:00Z
        BackingKeys:
          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9
          - 34743777f3a5b8e4b8b5b2b6f3a8a3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6
      - Metadata:
          KeyId: 49c5492b-b1bc-42a8-9a5c-b2015e810c1c
          Origin: EXTERNAL
  Asymmetric:
    Rsa:
      - Metadata:
          KeyId: ff275b92-0def-4dfc-b0f6-87c96b26c6c7
          KeyUsage: ENCRYPT_DECRYPT
          Description: RSA key
        PrivateKeyPem: |
{}    Ecc:
      - Metadata:
          KeyId: 800d5768-3fd7-4edd-a4b8-4c81c3e4c147
          KeyUsage: SIGN_VERIFY
        PrivateKeyPem: |
{}Aliases:
  - AliasName: alias/testing
    TargetKeyId: bc436485-5092-42b8-92a3-0aa8b93536dc
",
        indent(&rsa, 10),
        indent(&sec1, 10)
    );
    let file = dir.path().join("local-kms.yaml");
    std::fs::write(&file, yaml).unwrap();
    let data = dir.path().join("data");
    // Applied at startup through KMS_SEED_PATH, as in local-kms's image.
    let server = Running::start_with_env(
        dir.path(),
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--port",
            "0",
            "--rsa-pool-size",
            "0",
        ],
        &[("KMS_SEED_PATH", file.to_str().unwrap())],
    );
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let aes = metadata(&client, "alias/testing").await;
    assert_eq!(aes.key_id, "bc436485-5092-42b8-92a3-0aa8b93536dc");
    assert_eq!(aes.description.as_deref(), Some("Your first key"));
    let rotation = rotation_status(&client, &aes.key_id).await;
    assert!(rotation.key_rotation_enabled);
    assert_eq!(
        rotation.next_rotation_date.unwrap().secs(),
        1_917_086_400 // 2030-10-01T12:00:00Z
    );
    let external = metadata(&client, "49c5492b-b1bc-42a8-9a5c-b2015e810c1c").await;
    assert_eq!(external.key_state.unwrap().as_str(), "PendingImport");
    assert_eq!(external.origin.unwrap().as_str(), "EXTERNAL");
    let rsa_meta = metadata(&client, "ff275b92-0def-4dfc-b0f6-87c96b26c6c7").await;
    assert_eq!(rsa_meta.key_spec, Some(KeySpec::Rsa2048));
    assert_eq!(rsa_meta.key_usage, Some(KeyUsageType::EncryptDecrypt));
    let ecc = client
        .get_public_key()
        .key_id("800d5768-3fd7-4edd-a4b8-4c81c3e4c147")
        .send()
        .await
        .unwrap();
    assert_eq!(ecc.key_spec, Some(KeySpec::EccNistP256));
    use p256::pkcs8::EncodePublicKey;
    assert_eq!(
        ecc.public_key.unwrap().into_inner(),
        ec.public_key().to_public_key_der().unwrap().as_bytes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_seed_files_name_file_and_line_and_apply_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = format!(
        "  - KeyId: {K_SYM}\n    KeyMaterial: \"{}\"\n",
        hex(&[1u8; 32])
    );
    let cases = [
        (
            "syntax",
            format!("Keys:\n{good}  - KeyId: [unclosed\n"),
            None,
            "seed file",
        ),
        (
            "spec",
            format!("Keys:\n{good}  - KeyId: {K_OFF}\n    KeySpec: AES_512\n"),
            Some(4),
            "KeySpec \"AES_512\"",
        ),
        (
            "length",
            format!("Keys:\n{good}  - KeyId: {K_OFF}\n    KeyMaterial: abcd\n"),
            Some(4),
            "32 bytes",
        ),
        (
            "typo",
            format!("Keys:\n{good}  - KeyId: {K_OFF}\n    KeyMaterail: abcd\n"),
            None,
            "KeyMaterail",
        ),
        (
            "alias",
            format!("Keys:\n{good}Aliases:\n  - {{AliasName: alias/x, TargetKeyId: {K_HMAC}}}\n"),
            None,
            K_HMAC,
        ),
        (
            "pem",
            format!(
                "Keys:\n{good}  - KeyId: {K_OFF}\n    KeySpec: ECC_NIST_P256\n    KeyUsage: SIGN_VERIFY\n    PrivateKeyPem: not a key\n"
            ),
            None,
            "private key",
        ),
    ];
    for (name, yaml, line, reason) in cases {
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, yaml).unwrap();
        let data = dir.path().join(format!("data-{name}"));
        let (code, _, stderr) = seed(&file, &data);
        assert_ne!(code, 0, "{name}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains(&file.display().to_string()),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(reason), "{name}: {stderr}");
        if let Some(line) = line {
            assert!(
                stderr.contains(&format!("line {line}:")),
                "{name}: {stderr}"
            );
        }
        // Nothing was applied, not even the valid key before the broken one. A file that
        // does not parse creates no data dir at all.
        if !data.exists() {
            continue;
        }
        let export = Command::new(KMSD)
            .args(["export", "--data-dir", data.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(export.status.success());
        assert!(
            !String::from_utf8_lossy(&export.stdout).contains(K_SYM),
            "{name}"
        );
    }
    // A broken --seed stops startup with the same line.
    let file = dir.path().join("spec.yaml");
    let (code, stderr) = run_to_exit(
        dir.path(),
        &[
            "--in-memory",
            "--port",
            "0",
            "--seed",
            file.to_str().unwrap(),
        ],
    );
    assert_ne!(code, 0);
    assert!(
        stderr.lines().last().unwrap().contains("line 4:"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_seed_recreates_the_state_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));
    let a = serve(&data_a);
    let client_a = client_at(&a.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let sym = create_key(&client_a).await;
    let old_blob = encrypt(&client_a, &sym, b"before rotation").await;
    client_a
        .rotate_key_on_demand()
        .key_id(&sym)
        .send()
        .await
        .unwrap();
    let new_blob = encrypt(&client_a, &sym, b"after rotation").await;
    create_alias(&client_a, "alias/exported", &sym).await;
    let signer = client_a
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let public = public_key(&client_a, &signer).await;
    let hmac = create_key_with(&client_a, KeySpec::Hmac384, KeyUsageType::GenerateVerifyMac).await;
    let mac = client_a
        .generate_mac()
        .key_id(&hmac)
        .mac_algorithm(MacAlgorithmSpec::HmacSha384)
        .message(Blob::new(b"m".to_vec()))
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    client_a.disable_key().key_id(&hmac).send().await.unwrap();
    // The AWS managed key behind alias/aws/s3, made by its first use, goes along too.
    let managed_blob = client_a
        .encrypt()
        .key_id("alias/aws/s3")
        .plaintext(Blob::new(b"managed".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let managed = crate::support::metadata(&client_a, "alias/aws/s3").await;
    a.kill();

    let file = dir.path().join("export.yaml");
    let out = Command::new(KMSD)
        .args([
            "export",
            "--data-dir",
            data_a.to_str().unwrap(),
            "--output",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(seed(&file, &data_b).0, 0);

    let b = serve(&data_b);
    let client_b = client_at(&b.endpoint(), "us-east-1", "AKIDEXAMPLE");
    for (blob, text) in [
        (old_blob, &b"before rotation"[..]),
        (new_blob, &b"after rotation"[..]),
    ] {
        assert_eq!(decrypt(&client_b, blob).await, text);
    }
    assert_eq!(metadata(&client_b, "alias/exported").await.key_id, sym);
    assert_eq!(public_key(&client_b, &signer).await, public);
    let tags = client_b
        .list_resource_tags()
        .key_id(&signer)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].tag_value, "v");
    let state = metadata(&client_b, &hmac).await;
    assert_eq!(state.key_state.unwrap().as_str(), "Disabled");
    client_b.enable_key().key_id(&hmac).send().await.unwrap();
    let seeded = crate::support::metadata(&client_b, "alias/aws/s3").await;
    assert_eq!(seeded.key_id, managed.key_id);
    assert_eq!(seeded.key_manager.unwrap().as_str(), "AWS");
    assert_eq!(seeded.description, managed.description);
    let back = client_b
        .decrypt()
        .ciphertext_blob(managed_blob)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().into_inner(), b"managed");
    let ok = client_b
        .verify_mac()
        .key_id(&hmac)
        .mac_algorithm(MacAlgorithmSpec::HmacSha384)
        .message(Blob::new(b"m".to_vec()))
        .mac(mac)
        .send()
        .await
        .unwrap();
    assert!(ok.mac_valid);
    b.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localstack_custom_id_and_material_tags() {
    let material = B64.encode([0x5au8; 32]);
    let id = "00000000-0000-4000-8000-000000000001";
    let mut blobs = Vec::new();
    for _ in 0..2 {
        let server = TestServer::start().await;
        let client = server.client();
        let meta = client
            .create_key()
            .tags(tag("_custom_id_", id))
            .tags(tag("_custom_key_material_", &material))
            .tags(tag("team", "x"))
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(meta.key_id, id);
        let tags = client.list_resource_tags().key_id(id).send().await.unwrap();
        let keys: Vec<_> = tags.tags().iter().map(|t| t.tag_key.as_str()).collect();
        assert_eq!(keys, ["team"]);
        check_error(
            client
                .create_key()
                .tags(tag("_custom_id_", id))
                .send()
                .await,
            "ValidationException",
        );
        let blob = encrypt(&server.client(), id, b"custom").await;
        blobs.push((client, blob, server));
    }
    // Same id and material on two servers: each decrypts the other's ciphertext.
    let (first, second) = (&blobs[0], &blobs[1]);
    assert_eq!(decrypt(&first.0, second.1.clone()).await, b"custom");

    // HMAC keys take custom material too, and compute the HMAC of it.
    let server = TestServer::start().await;
    let client = server.client();
    let hmac_key = [9u8; 64];
    let key = client
        .create_key()
        .key_spec(KeySpec::Hmac512)
        .key_usage(KeyUsageType::GenerateVerifyMac)
        .tags(tag("_custom_key_material_", &B64.encode(hmac_key)))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let mac = client
        .generate_mac()
        .key_id(&key)
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .message(Blob::new(b"x".to_vec()))
        .send()
        .await
        .unwrap()
        .mac
        .unwrap()
        .into_inner();
    let mut expected = <hmac::Hmac<sha2::Sha512> as KeyInit>::new_from_slice(&hmac_key).unwrap();
    expected.update(b"x");
    assert_eq!(mac, expected.finalize().into_bytes().to_vec());
    check_error(
        client
            .create_key()
            .tags(tag("_custom_key_material_", "c2hvcnQ="))
            .send()
            .await,
        "ValidationException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_seed_files_in_docker_apply() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker");
    let dir = tempfile::tempdir().unwrap();
    for (name, keys, aliases) in [("seed.yaml", 5, 3), ("local-kms-seed.yaml", 4, 1)] {
        let data = dir.path().join(name);
        let (code, stdout, stderr) = seed(&root.join(name), &data);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(
            stdout.contains(&format!(
                "{keys} keys created, 0 unchanged, {aliases} aliases set"
            )),
            "{name}: {stdout}"
        );
    }
}
