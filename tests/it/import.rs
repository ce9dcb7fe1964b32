//! Imported key material through the SDK: material wrapped outside kmsd as AWS's guide does it
//! (OpenSSL `pkeyutl` for RSA-OAEP, `openssl enc -id-aes256-wrap-pad` or Python's
//! `cryptography` for AES key wrap with padding), then proof that kmsd uses exactly that
//! material: what it produces opens offline, and what is made offline opens in kmsd. Errors,
//! expiry on the clock, re-import and restarts.

use std::path::Path;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, ImportType, KeySpec, KeyUsageType, MacAlgorithmSpec,
    MessageType, OriginType, SigningAlgorithmSpec, WrappingKeySpec,
};

use crate::support::keys::{decrypt, encrypt};
use crate::support::tools::{hex, openssl, tools_available, write};
use crate::support::{DAY, TestServer, check_error, key_state, metadata};

const IMPORTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/tools/imported.py");

/// Runs a tests/it/tools/imported.py command; returns its stdout.
pub fn imported_tool(args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg(IMPORTED)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "imported.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Creates a key without material (`Origin` `EXTERNAL`) and returns its id.
pub async fn create_external(client: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    client
        .create_key()
        .origin(OriginType::External)
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

/// GetParametersForImport: the wrapping public key (DER) and the import token.
pub async fn parameters(
    client: &Client,
    key: &str,
    algorithm: AlgorithmSpec,
    spec: WrappingKeySpec,
) -> (Vec<u8>, Vec<u8>) {
    let out = client
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(algorithm)
        .wrapping_key_spec(spec)
        .send()
        .await
        .unwrap();
    (
        out.public_key.unwrap().into_inner(),
        out.import_token.unwrap().into_inner(),
    )
}

/// Wraps `material` under the DER public key `public` as AWS's guide does with OpenSSL: RSA-OAEP
/// of the material itself, or of a fresh AES key that then wraps the material (RFC 5649), with
/// `openssl enc` (or Python's `cryptography` when `python_kwp`).
pub fn wrap(
    dir: &Path,
    public: &[u8],
    algorithm: &AlgorithmSpec,
    material: &[u8],
    python_kwp: bool,
) -> Vec<u8> {
    let public = write(dir, "wrapping.der", public);
    let material = write(dir, "material.bin", material);
    let oaep = |md: &str, input: &str, output: &str| {
        openssl(&[
            "pkeyutl",
            "-encrypt",
            "-in",
            input,
            "-out",
            output,
            "-inkey",
            &public,
            "-keyform",
            "DER",
            "-pubin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{md}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{md}"),
        ]);
        std::fs::read(output).unwrap()
    };
    let out = dir.join("wrapped.bin");
    let out = out.to_str().unwrap();
    match algorithm {
        AlgorithmSpec::RsaesOaepSha1 => oaep("sha1", &material, out),
        AlgorithmSpec::RsaesOaepSha256 => oaep("sha256", &material, out),
        AlgorithmSpec::RsaAesKeyWrapSha1 | AlgorithmSpec::RsaAesKeyWrapSha256 => {
            let md = if *algorithm == AlgorithmSpec::RsaAesKeyWrapSha1 {
                "sha1"
            } else {
                "sha256"
            };
            let aes_key = dir.join("aes-key.bin");
            let aes_key = aes_key.to_str().unwrap();
            openssl(&["rand", "-out", aes_key, "32"]);
            let kek = hex(&std::fs::read(aes_key).unwrap());
            let wrapped_material = dir.join("material-wrapped.bin");
            let wrapped_material = wrapped_material.to_str().unwrap();
            if python_kwp {
                imported_tool(&["kwp", &kek, &material, wrapped_material]);
            } else {
                openssl(&[
                    "enc",
                    "-id-aes256-wrap-pad",
                    "-K",
                    &kek,
                    "-iv",
                    "A65959A6",
                    "-in",
                    &material,
                    "-out",
                    wrapped_material,
                ]);
            }
            let mut wrapped = oaep(md, aes_key, out);
            wrapped.extend(std::fs::read(wrapped_material).unwrap());
            wrapped
        }
        other => panic!("{other:?}"),
    }
}

/// ImportKeyMaterial of `encrypted` with `token`; material that never expires unless
/// `valid_to` (epoch seconds) is given.
pub async fn import(
    client: &Client,
    key: &str,
    token: &[u8],
    encrypted: &[u8],
    valid_to: Option<f64>,
) -> Result<
    String,
    aws_sdk_kms::error::SdkError<
        aws_sdk_kms::operation::import_key_material::ImportKeyMaterialError,
    >,
> {
    let request = client
        .import_key_material()
        .key_id(key)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(encrypted));
    let request = match valid_to {
        Some(seconds) => request
            .expiration_model(ExpirationModelType::KeyMaterialExpires)
            .valid_to(DateTime::from_secs_f64(seconds)),
        None => request.expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire),
    };
    request
        .send()
        .await
        .map(|out| out.key_material_id.unwrap_or_default())
}

/// Wraps and imports `material` into `key` with fresh parameters; returns the material id.
pub async fn import_fresh(
    client: &Client,
    dir: &Path,
    key: &str,
    material: &[u8],
    valid_to: Option<f64>,
) -> String {
    let algorithm = AlgorithmSpec::RsaesOaepSha256;
    let (public, token) =
        parameters(client, key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let encrypted = wrap(dir, &public, &algorithm, material, false);
    import(client, key, &token, &encrypted, valid_to)
        .await
        .unwrap()
}

/// Proves that `key` seals with `material`: kmsd's ciphertext opens offline, and one made
/// offline under `material_id` opens in kmsd.
pub async fn check_symmetric_material(
    client: &Client,
    key: &str,
    material: &[u8],
    material_id: &str,
) {
    let sealed = encrypt(client, key, b"made by kmsd").await.into_inner();
    let opened = imported_tool(&["open", &hex(material), &hex(&sealed)]);
    assert_eq!(unhex(&opened), b"made by kmsd");
    let offline = imported_tool(&[
        "seal",
        &hex(material),
        crate::support::ACCOUNT,
        key,
        material_id,
        &hex(b"made offline"),
    ]);
    assert_eq!(decrypt(client, unhex(&offline)).await, b"made offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symmetric_material_wrapped_offline_is_the_key_material() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            AlgorithmSpec::RsaesOaepSha1,
            WrappingKeySpec::Rsa2048,
            false,
        ),
        (
            AlgorithmSpec::RsaesOaepSha256,
            WrappingKeySpec::Rsa3072,
            false,
        ),
        (
            AlgorithmSpec::RsaAesKeyWrapSha1,
            WrappingKeySpec::Rsa2048,
            false,
        ),
        (
            AlgorithmSpec::RsaAesKeyWrapSha256,
            WrappingKeySpec::Rsa4096,
            false,
        ),
        (
            AlgorithmSpec::RsaAesKeyWrapSha256,
            WrappingKeySpec::Rsa2048,
            true,
        ),
    ];
    for (algorithm, spec, python_kwp) in cases {
        let key = create_external(
            &client,
            KeySpec::SymmetricDefault,
            KeyUsageType::EncryptDecrypt,
        )
        .await;
        let before = metadata(&client, &key).await;
        assert_eq!(before.key_state.unwrap().as_str(), "PendingImport");
        assert_eq!(before.origin.unwrap().as_str(), "EXTERNAL");
        assert_eq!(before.expiration_model, None);
        assert_eq!(before.current_key_material_id, None);

        let (public, token) = parameters(&client, &key, algorithm.clone(), spec.clone()).await;
        let material: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0x5a);
        let encrypted = wrap(dir.path(), &public, &algorithm, &material, python_kwp);
        let material_id = import(&client, &key, &token, &encrypted, None)
            .await
            .unwrap_or_else(|e| panic!("{algorithm:?} {spec:?}: {e:?}"));
        assert_eq!(material_id.len(), 64);

        let after = metadata(&client, &key).await;
        assert_eq!(after.key_state.unwrap().as_str(), "Enabled");
        assert_eq!(
            after.expiration_model,
            Some(ExpirationModelType::KeyMaterialDoesNotExpire)
        );
        assert_eq!(after.valid_to, None);
        assert_eq!(
            after.current_key_material_id.as_deref(),
            Some(material_id.as_str())
        );
        check_symmetric_material(&client, &key, &material, &material_id).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_errors_are_aws_errors() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let key = create_external(
        &client,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let other = create_external(
        &client,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;

    // A key waiting for material is no use yet.
    let message = check_error(
        client
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert!(message.ends_with("is pending import."), "{message}");

    let algorithm = AlgorithmSpec::RsaesOaepSha256;
    let (public, token) =
        parameters(&client, &key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let material = [0x11u8; 32];
    let encrypted = wrap(dir.path(), &public, &algorithm, &material, false);

    // The default expiration model wants a ValidTo; DOES_NOT_EXPIRE refuses one.
    check_error(
        client
            .import_key_material()
            .key_id(&key)
            .import_token(Blob::new(token.clone()))
            .encrypted_key_material(Blob::new(encrypted.clone()))
            .send()
            .await,
        "ValidationException",
    );
    check_error(
        client
            .import_key_material()
            .key_id(&key)
            .import_token(Blob::new(token.clone()))
            .encrypted_key_material(Blob::new(encrypted.clone()))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .valid_to(DateTime::from_secs(4_000_000_000))
            .send()
            .await,
        "ValidationException",
    );
    let now = server.clock().await["now"].as_f64().unwrap();
    for valid_to in [now - 60.0, now + 366.0 * DAY as f64] {
        check_error(
            import(&client, &key, &token, &encrypted, Some(valid_to)).await,
            "ValidationException",
        );
    }
    // Another key's token, a mangled token, material wrapped for another key.
    check_error(
        import(&client, &other, &token, &encrypted, None).await,
        "InvalidImportTokenException",
    );
    let mut mangled = token.clone();
    mangled[3] ^= 0x40;
    check_error(
        import(&client, &key, &mangled, &encrypted, None).await,
        "InvalidImportTokenException",
    );
    let (other_public, _) =
        parameters(&client, &key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let foreign = wrap(dir.path(), &other_public, &algorithm, &material, false);
    check_error(
        import(&client, &key, &token, &foreign, None).await,
        "InvalidCiphertextException",
    );
    // Material of the wrong size.
    let short = wrap(dir.path(), &public, &algorithm, &[1; 16], false);
    check_error(
        import(&client, &key, &token, &short, None).await,
        "IncorrectKeyMaterialException",
    );
    assert_eq!(key_state(&client, &key).await, "PendingImport");

    // The token can be used until it expires, on kmsd's clock.
    import(&client, &key, &token, &encrypted, None)
        .await
        .unwrap();
    let different = wrap(dir.path(), &public, &algorithm, &[0x22; 32], false);
    check_error(
        import(&client, &key, &token, &different, None).await,
        "IncorrectKeyMaterialException",
    );
    server.advance(DAY).await;
    check_error(
        import(&client, &key, &token, &encrypted, None).await,
        "ExpiredImportTokenException",
    );

    // Keys whose material KMS made, and algorithms AWS refuses.
    let made = crate::support::create_key(&client).await;
    check_error(
        client
            .get_parameters_for_import()
            .key_id(&made)
            .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    check_error(
        client
            .get_parameters_for_import()
            .key_id(&key)
            .wrapping_algorithm(AlgorithmSpec::RsaesPkcs1V15)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await,
        "ValidationException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn material_expires_on_the_clock_and_can_be_imported_again() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let key = create_external(
        &client,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let material = [0x33u8; 32];
    let now = server.clock().await["now"].as_f64().unwrap();
    let valid_to = (now + 2.0 * DAY as f64).floor();
    let material_id = import_fresh(&client, dir.path(), &key, &material, Some(valid_to)).await;
    let meta = metadata(&client, &key).await;
    assert_eq!(
        meta.expiration_model,
        Some(ExpirationModelType::KeyMaterialExpires)
    );
    assert_eq!(meta.valid_to.unwrap().secs() as f64, valid_to);
    let sealed = encrypt(&client, &key, b"before expiry").await.into_inner();

    let advanced = server.advance(DAY).await;
    assert_eq!(advanced["expired"].as_array().unwrap().len(), 0);
    assert_eq!(key_state(&client, &key).await, "Enabled");
    let advanced = server.advance(DAY).await;
    assert_eq!(advanced["expired"].as_array().unwrap().len(), 1);
    assert_eq!(key_state(&client, &key).await, "PendingImport");
    check_error(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(sealed.clone()))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    let meta = metadata(&client, &key).await;
    assert_eq!(meta.valid_to, None);
    assert_eq!(
        meta.current_key_material_id.as_deref(),
        Some(material_id.as_str())
    );

    // Only the same material comes back; then old ciphertexts decrypt again.
    let (public, token) = parameters(
        &client,
        &key,
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    )
    .await;
    let different = wrap(
        dir.path(),
        &public,
        &AlgorithmSpec::RsaesOaepSha256,
        &[0x44; 32],
        false,
    );
    check_error(
        import(&client, &key, &token, &different, None).await,
        "IncorrectKeyMaterialException",
    );
    assert_eq!(
        import_fresh(&client, dir.path(), &key, &material, None).await,
        material_id
    );
    assert_eq!(decrypt(&client, sealed.as_slice()).await, b"before expiry");

    // DeleteImportedKeyMaterial does what expiry does, at once.
    let deleted = client
        .delete_imported_key_material()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.key_material_id.as_deref(),
        Some(material_id.as_str())
    );
    assert_eq!(key_state(&client, &key).await, "PendingImport");
    check_error(
        client
            .delete_imported_key_material()
            .key_id(&key)
            .send()
            .await,
        "KMSInvalidStateException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_state_survives_a_restart() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let key = create_external(
        &client,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let algorithm = AlgorithmSpec::RsaAesKeyWrapSha256;
    let (public, token) =
        parameters(&client, &key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;

    // The wrapping key and token outlive the server that made them.
    let server = server.restart().await;
    let client = server.client();
    let material = [0x55u8; 32];
    let encrypted = wrap(dir.path(), &public, &algorithm, &material, false);
    let material_id = import(&client, &key, &token, &encrypted, None)
        .await
        .unwrap();
    let sealed = encrypt(&client, &key, b"across restarts")
        .await
        .into_inner();

    let server = server.restart().await;
    let client = server.client();
    assert_eq!(key_state(&client, &key).await, "Enabled");
    assert_eq!(
        decrypt(&client, sealed.as_slice()).await,
        b"across restarts"
    );
    client
        .delete_imported_key_material()
        .key_id(&key)
        .send()
        .await
        .unwrap();

    let server = server.restart().await;
    let client = server.client();
    assert_eq!(key_state(&client, &key).await, "PendingImport");
    assert_eq!(
        import(&client, &key, &token, &encrypted, None)
            .await
            .unwrap(),
        material_id
    );
    check_symmetric_material(&client, &key, &material, &material_id).await;
}

/// GenerateMac of `message` with `key`.
async fn mac(client: &Client, key: &str, algorithm: MacAlgorithmSpec, message: &[u8]) -> Vec<u8> {
    client
        .generate_mac()
        .key_id(key)
        .mac_algorithm(algorithm)
        .message(Blob::new(message))
        .send()
        .await
        .unwrap()
        .mac
        .unwrap()
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hmac_material_of_every_size_is_the_key_material() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            KeySpec::Hmac224,
            MacAlgorithmSpec::HmacSha224,
            "sha224",
            [28, 64],
        ),
        (
            KeySpec::Hmac256,
            MacAlgorithmSpec::HmacSha256,
            "sha256",
            [32, 45],
        ),
        (
            KeySpec::Hmac384,
            MacAlgorithmSpec::HmacSha384,
            "sha384",
            [48, 128],
        ),
        (
            KeySpec::Hmac512,
            MacAlgorithmSpec::HmacSha512,
            "sha512",
            [64, 100],
        ),
    ];
    for (spec, algorithm, hash, lengths) in cases {
        for len in lengths {
            let key = create_external(&client, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
            let material: Vec<u8> = (0..len)
                .map(|i| (i as u8).wrapping_mul(13) ^ 0xa5)
                .collect();
            import_fresh(&client, dir.path(), &key, &material, None).await;
            assert_eq!(key_state(&client, &key).await, "Enabled");
            let message = b"message to authenticate";
            let offline = unhex(&imported_tool(&[
                "hmac",
                hash,
                &hex(&material),
                &hex(message),
            ]));
            assert_eq!(
                mac(&client, &key, algorithm.clone(), message).await,
                offline,
                "{spec:?} {len}"
            );
            let verified = client
                .verify_mac()
                .key_id(&key)
                .mac_algorithm(algorithm.clone())
                .message(Blob::new(&message[..]))
                .mac(Blob::new(offline))
                .send()
                .await
                .unwrap();
            assert!(verified.mac_valid);
        }
    }
    // Too short for its spec, or too long; and the symmetric-only members.
    let key = create_external(&client, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let algorithm = AlgorithmSpec::RsaesOaepSha256;
    for len in [31, 65] {
        let (public, token) =
            parameters(&client, &key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
        let encrypted = wrap(dir.path(), &public, &algorithm, &vec![7; len], false);
        check_error(
            import(&client, &key, &token, &encrypted, None).await,
            "IncorrectKeyMaterialException",
        );
    }
    let (public, token) =
        parameters(&client, &key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let encrypted = wrap(dir.path(), &public, &algorithm, &[7; 32], false);
    check_error(
        client
            .import_key_material()
            .key_id(&key)
            .import_token(Blob::new(token))
            .encrypted_key_material(Blob::new(encrypted))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .import_type(aws_sdk_kms::types::ImportType::NewKeyMaterial)
            .send()
            .await,
        "ValidationException",
    );
}

/// A fresh private key from `openssl genpkey` with `args`: its DER PKCS#8 and its PEM path.
pub fn openssl_key(dir: &Path, name: &str, args: &[&str]) -> (Vec<u8>, String) {
    let pem = dir.join(format!("{name}.pem"));
    let pem = pem.to_str().unwrap().to_owned();
    let mut genpkey = vec!["genpkey"];
    genpkey.extend_from_slice(args);
    genpkey.extend_from_slice(&["-out", &pem]);
    openssl(&genpkey);
    let der = dir.join(format!("{name}.der"));
    let der = der.to_str().unwrap().to_owned();
    openssl(&[
        "pkcs8", "-topk8", "-nocrypt", "-in", &pem, "-outform", "DER", "-out", &der,
    ]);
    (std::fs::read(&der).unwrap(), pem)
}

/// Signs `message` offline with the PEM private key: `openssl dgst`, or for SM2 `pkeyutl`
/// with SM3 and the default distinguishing id.
fn sign_offline(dir: &Path, pem: &str, digest: &str, message: &[u8]) -> Vec<u8> {
    let message = write(dir, "message.bin", message);
    let signature = dir.join("signature.bin");
    let signature = signature.to_str().unwrap();
    if digest == "sm3" {
        openssl(&[
            "pkeyutl",
            "-sign",
            "-in",
            &message,
            "-inkey",
            pem,
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-out",
            signature,
        ]);
    } else {
        openssl(&[
            "dgst",
            &format!("-{digest}"),
            "-sign",
            pem,
            "-out",
            signature,
            &message,
        ]);
    }
    std::fs::read(signature).unwrap()
}

/// Verifies `signature` of `message` offline with the DER public key.
fn verify_offline(dir: &Path, public: &[u8], digest: &str, message: &[u8], signature: &[u8]) {
    let public = write(dir, "public.der", public);
    let message = write(dir, "message.bin", message);
    let signature = write(dir, "signature.bin", signature);
    if digest == "sm3" {
        openssl(&[
            "pkeyutl",
            "-verify",
            "-in",
            &message,
            "-sigfile",
            &signature,
            "-pubin",
            "-inkey",
            &public,
            "-keyform",
            "DER",
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ]);
    } else {
        let pem = dir.join("public.pem");
        let pem = pem.to_str().unwrap();
        openssl(&[
            "pkey", "-pubin", "-inform", "DER", "-in", &public, "-out", pem,
        ]);
        openssl(&[
            "dgst",
            &format!("-{digest}"),
            "-verify",
            pem,
            "-signature",
            &signature,
            &message,
        ]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_pair_material_signs_and_verifies_offline() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(KeySpec, &[&str], SigningAlgorithmSpec, &str, AlgorithmSpec); 7] = [
        (
            KeySpec::Rsa2048,
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
            "sha256",
            AlgorithmSpec::RsaAesKeyWrapSha256,
        ),
        (
            KeySpec::Rsa4096,
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
            SigningAlgorithmSpec::RsassaPkcs1V15Sha512,
            "sha512",
            AlgorithmSpec::RsaAesKeyWrapSha1,
        ),
        (
            KeySpec::EccNistP256,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            SigningAlgorithmSpec::EcdsaSha256,
            "sha256",
            AlgorithmSpec::RsaesOaepSha256,
        ),
        (
            KeySpec::EccNistP384,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            SigningAlgorithmSpec::EcdsaSha384,
            "sha384",
            AlgorithmSpec::RsaesOaepSha1,
        ),
        (
            KeySpec::EccNistP521,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
            SigningAlgorithmSpec::EcdsaSha512,
            "sha512",
            AlgorithmSpec::RsaAesKeyWrapSha256,
        ),
        (
            KeySpec::EccSecgP256K1,
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:secp256k1",
            ],
            SigningAlgorithmSpec::EcdsaSha256,
            "sha256",
            AlgorithmSpec::RsaesOaepSha256,
        ),
        (
            KeySpec::Sm2,
            &["-algorithm", "SM2"],
            SigningAlgorithmSpec::Sm2Dsa,
            "sm3",
            AlgorithmSpec::RsaesOaepSha256,
        ),
    ];
    for (spec, genpkey, signing, digest, wrapping) in cases {
        let key = create_external(&client, spec.clone(), KeyUsageType::SignVerify).await;
        let (der, pem) = openssl_key(dir.path(), "imported", genpkey);
        let (public, token) =
            parameters(&client, &key, wrapping.clone(), WrappingKeySpec::Rsa2048).await;
        let encrypted = wrap(dir.path(), &public, &wrapping, &der, false);
        import(&client, &key, &token, &encrypted, None)
            .await
            .unwrap_or_else(|e| panic!("{spec:?}: {e:?}"));
        assert_eq!(key_state(&client, &key).await, "Enabled");

        // The public key is the imported key's.
        let expected_public = openssl(&["pkey", "-in", &pem, "-pubout", "-outform", "DER"]);
        assert_eq!(
            crate::support::keys::public_key(&client, &key).await,
            expected_public,
            "{spec:?}"
        );
        // A signature made offline verifies in kmsd, and kmsd's verifies offline.
        let message = b"signed with imported material";
        let offline = sign_offline(dir.path(), &pem, digest, message);
        let verified = client
            .verify()
            .key_id(&key)
            .message(Blob::new(&message[..]))
            .message_type(MessageType::Raw)
            .signing_algorithm(signing.clone())
            .signature(Blob::new(offline))
            .send()
            .await
            .unwrap();
        assert!(verified.signature_valid, "{spec:?}");
        let signature = client
            .sign()
            .key_id(&key)
            .message(Blob::new(&message[..]))
            .message_type(MessageType::Raw)
            .signing_algorithm(signing)
            .send()
            .await
            .unwrap()
            .signature
            .unwrap()
            .into_inner();
        verify_offline(dir.path(), &expected_public, digest, message, &signature);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_pair_material_must_fit_the_key_and_its_wrapping() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let refused = |key: &str, algorithm: AlgorithmSpec, spec: WrappingKeySpec| {
        client
            .get_parameters_for_import()
            .key_id(key)
            .wrapping_algorithm(algorithm)
            .wrapping_key_spec(spec)
            .send()
    };
    // RSA private keys are too large for RSA-OAEP alone; so is P-521 for RSA_2048.
    let rsa = create_external(&client, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    check_error(
        refused(
            &rsa,
            AlgorithmSpec::RsaesOaepSha256,
            WrappingKeySpec::Rsa4096,
        )
        .await,
        "ValidationException",
    );
    let p521 = create_external(&client, KeySpec::EccNistP521, KeyUsageType::SignVerify).await;
    check_error(
        refused(
            &p521,
            AlgorithmSpec::RsaesOaepSha1,
            WrappingKeySpec::Rsa2048,
        )
        .await,
        "ValidationException",
    );
    // P-256 material for a P-384 key, and PEM instead of DER.
    let p384 = create_external(&client, KeySpec::EccNistP384, KeyUsageType::SignVerify).await;
    let (der, pem) = openssl_key(
        dir.path(),
        "p256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let algorithm = AlgorithmSpec::RsaAesKeyWrapSha256;
    for material in [der, std::fs::read(&pem).unwrap()] {
        let (public, token) =
            parameters(&client, &p384, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
        let encrypted = wrap(dir.path(), &public, &algorithm, &material, false);
        check_error(
            import(&client, &p384, &token, &encrypted, None).await,
            "IncorrectKeyMaterialException",
        );
    }
    assert_eq!(key_state(&client, &p384).await, "PendingImport");
}

/// One ListKeyRotations entry, reduced to what these tests compare: material id, state,
/// import state, description, rotation type.
pub type Listed = (String, String, String, Option<String>, Option<String>);

pub async fn rotations(client: &Client, key: &str, all: bool) -> Vec<Listed> {
    let mut request = client.list_key_rotations().key_id(key);
    if all {
        request =
            request.include_key_material(aws_sdk_kms::types::IncludeKeyMaterial::AllKeyMaterial);
    }
    request
        .send()
        .await
        .unwrap()
        .rotations()
        .iter()
        .map(|r| {
            (
                r.key_material_id().unwrap().to_owned(),
                r.key_material_state().unwrap().as_str().to_owned(),
                r.import_state().unwrap().as_str().to_owned(),
                r.key_material_description().map(str::to_owned),
                r.rotation_type().map(|t| t.as_str().to_owned()),
            )
        })
        .collect()
}

/// ImportKeyMaterial of `material` with fresh parameters, as `import_type`, naming
/// `material_id` and `description` when given.
pub async fn import_as(
    client: &Client,
    dir: &Path,
    key: &str,
    material: &[u8],
    import_type: ImportType,
    material_id: Option<&str>,
    description: Option<&str>,
) -> Result<
    String,
    aws_sdk_kms::error::SdkError<
        aws_sdk_kms::operation::import_key_material::ImportKeyMaterialError,
    >,
> {
    let algorithm = AlgorithmSpec::RsaesOaepSha256;
    let (public, token) =
        parameters(client, key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let encrypted = wrap(dir, &public, &algorithm, material, false);
    client
        .import_key_material()
        .key_id(key)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(encrypted))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .import_type(import_type)
        .set_key_material_id(material_id.map(str::to_owned))
        .set_key_material_description(description.map(str::to_owned))
        .send()
        .await
        .map(|out| out.key_material_id.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_material_rotates_in_on_demand_and_old_material_still_decrypts() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let key = create_external(
        &client,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let (m1, m2, m3) = ([0x61u8; 32], [0x62u8; 32], [0x63u8; 32]);
    let new = ImportType::NewKeyMaterial;
    let existing = ImportType::ExistingKeyMaterial;

    let id1 = import_as(
        &client,
        dir.path(),
        &key,
        &m1,
        new.clone(),
        None,
        Some("first"),
    )
    .await
    .unwrap();
    assert_eq!(
        rotations(&client, &key, true).await,
        [(
            id1.clone(),
            "CURRENT".into(),
            "IMPORTED".into(),
            Some("first".into()),
            None
        )]
    );
    assert!(rotations(&client, &key, false).await.is_empty());
    let c1 = encrypt(&client, &key, b"under the first")
        .await
        .into_inner();

    // New material waits for a rotation; the key keeps sealing with the first.
    let id2 = import_as(
        &client,
        dir.path(),
        &key,
        &m2,
        new.clone(),
        None,
        Some("second"),
    )
    .await
    .unwrap();
    assert_ne!(id1, id2);
    assert_eq!(key_state(&client, &key).await, "Enabled");
    assert_eq!(
        metadata(&client, &key)
            .await
            .current_key_material_id
            .as_deref(),
        Some(id1.as_str())
    );
    assert_eq!(
        rotations(&client, &key, true).await[1],
        (
            id2.clone(),
            "PENDING_ROTATION".into(),
            "IMPORTED".into(),
            Some("second".into()),
            None
        )
    );
    // Known material is not new; new material takes no id; one rotation waits at a time.
    for (material, import_type, id) in [
        (&m1, new.clone(), None),
        (&m3, new.clone(), Some(id1.as_str())),
        (&m3, new.clone(), None),
        (&m3, existing.clone(), None),
        (&m2, existing.clone(), Some(id1.as_str())),
    ] {
        let result = import_as(&client, dir.path(), &key, material, import_type, id, None).await;
        let error = result.expect_err("refused");
        let code = aws_sdk_kms::error::ProvideErrorMetadata::code(&error)
            .unwrap()
            .to_owned();
        assert!(
            ["IncorrectKeyMaterialException", "ValidationException"].contains(&code.as_str()),
            "{code}"
        );
    }

    let rotated = client
        .rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(rotated.key_id().unwrap().ends_with(&key));
    assert_eq!(
        metadata(&client, &key)
            .await
            .current_key_material_id
            .as_deref(),
        Some(id2.as_str())
    );
    assert_eq!(
        rotations(&client, &key, false).await,
        [(
            id2.clone(),
            "CURRENT".into(),
            "IMPORTED".into(),
            Some("second".into()),
            Some("ON_DEMAND".into())
        )]
    );
    let all = rotations(&client, &key, true).await;
    assert_eq!(all[0].1, "NON_CURRENT");
    let c2 = encrypt(&client, &key, b"under the second")
        .await
        .into_inner();
    check_symmetric_material(&client, &key, &m2, &id2).await;
    assert_eq!(decrypt(&client, c1.as_slice()).await, b"under the first");
    // Nothing waits for a rotation now.
    check_error(
        client.rotate_key_on_demand().key_id(&key).send().await,
        "ValidationException",
    );
    // Automatic rotation stays unavailable.
    check_error(
        client.enable_key_rotation().key_id(&key).send().await,
        "UnsupportedOperationException",
    );

    // Deleting any permanent material makes the key wait for it; the same material by its id
    // brings it back.
    let deleted = client
        .delete_imported_key_material()
        .key_id(&key)
        .key_material_id(&id1)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.key_material_id.as_deref(), Some(id1.as_str()));
    assert_eq!(key_state(&client, &key).await, "PendingImport");
    assert_eq!(rotations(&client, &key, true).await[0].2, "PENDING_IMPORT");
    check_error(
        client
            .decrypt()
            .ciphertext_blob(Blob::new(c2.clone()))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    import_as(
        &client,
        dir.path(),
        &key,
        &m1,
        existing.clone(),
        Some(&id1),
        None,
    )
    .await
    .unwrap();
    assert_eq!(key_state(&client, &key).await, "Enabled");
    assert_eq!(
        rotations(&client, &key, true).await[0],
        (
            id1.clone(),
            "NON_CURRENT".into(),
            "IMPORTED".into(),
            Some("first".into()),
            None
        )
    );
    assert_eq!(decrypt(&client, c1.as_slice()).await, b"under the first");
    assert_eq!(decrypt(&client, c2.as_slice()).await, b"under the second");

    // Material pending rotation can go without the key waiting for it.
    let id3 = import_as(&client, dir.path(), &key, &m3, new, None, None)
        .await
        .unwrap();
    client
        .delete_imported_key_material()
        .key_id(&key)
        .key_material_id(&id3)
        .send()
        .await
        .unwrap();
    assert_eq!(key_state(&client, &key).await, "Enabled");
    assert_eq!(rotations(&client, &key, true).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_keys_round_trip_through_export_and_seed() {
    if !tools_available() {
        return;
    }
    let a = TestServer::start().await;
    let client = a.client();
    let dir = tempfile::tempdir().unwrap();
    // A symmetric key with two materials (one current, one pending rotation), one expiring.
    let sym = create_external(
        &client,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let (m1, m2) = ([0x71u8; 32], [0x72u8; 32]);
    let now = a.clock().await["now"].as_f64().unwrap();
    let valid_to = (now + 30.0 * DAY as f64).floor();
    let id1 = import_fresh(&client, dir.path(), &sym, &m1, Some(valid_to)).await;
    let id2 = import_as(
        &client,
        dir.path(),
        &sym,
        &m2,
        ImportType::NewKeyMaterial,
        None,
        Some("next one"),
    )
    .await
    .unwrap();
    let sealed = encrypt(&client, &sym, b"exported").await.into_inner();
    // An ECC key whose material was deleted, and one never imported.
    let ecc = create_external(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let (der, _) = openssl_key(
        dir.path(),
        "ecc",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let algorithm = AlgorithmSpec::RsaAesKeyWrapSha256;
    let (public, token) =
        parameters(&client, &ecc, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let encrypted = wrap(dir.path(), &public, &algorithm, &der, false);
    import(&client, &ecc, &token, &encrypted, None)
        .await
        .unwrap();
    let ecc_public = crate::support::keys::public_key(&client, &ecc).await;
    client
        .delete_imported_key_material()
        .key_id(&ecc)
        .send()
        .await
        .unwrap();
    let waiting = create_external(&client, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    let exported = a.admin("GET", "/_kmsd/export", "").await;
    assert_eq!(exported.status, 200);
    let file = dir.path().join("export.yaml");
    std::fs::write(&file, &exported.body).unwrap();
    let b = TestServer::start_seeded(&file).await;
    let client = b.client();

    let meta = metadata(&client, &sym).await;
    assert_eq!(meta.key_state.unwrap().as_str(), "Enabled");
    assert_eq!(meta.current_key_material_id.as_deref(), Some(id1.as_str()));
    assert_eq!(meta.valid_to.unwrap().secs() as f64, valid_to);
    assert_eq!(decrypt(&client, sealed.as_slice()).await, b"exported");
    assert_eq!(
        rotations(&client, &sym, true).await,
        [
            (id1.clone(), "CURRENT".into(), "IMPORTED".into(), None, None),
            (
                id2.clone(),
                "PENDING_ROTATION".into(),
                "IMPORTED".into(),
                Some("next one".into()),
                None
            ),
        ]
    );
    client
        .rotate_key_on_demand()
        .key_id(&sym)
        .send()
        .await
        .unwrap();
    check_symmetric_material(&client, &sym, &m2, &id2).await;

    // The deleted material comes back by import, and it is the same key pair.
    assert_eq!(key_state(&client, &ecc).await, "PendingImport");
    let (public, token) =
        parameters(&client, &ecc, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let encrypted = wrap(dir.path(), &public, &algorithm, &der, false);
    import(&client, &ecc, &token, &encrypted, None)
        .await
        .unwrap();
    assert_eq!(
        crate::support::keys::public_key(&client, &ecc).await,
        ecc_public
    );
    assert_eq!(key_state(&client, &waiting).await, "PendingImport");
    import_fresh(&client, dir.path(), &waiting, &[9; 32], None).await;
    assert_eq!(key_state(&client, &waiting).await, "Enabled");

    // The expiry came along: it falls due on the new server's clock too.
    let advanced = b.advance(30 * DAY).await;
    assert_eq!(advanced["expired"].as_array().unwrap().len(), 1);
    assert_eq!(key_state(&client, &sym).await, "PendingImport");
}

/// Whether `text` holds `secret`, raw (as UTF-8 when it is) or in base64 as the wire carries it.
fn holds(text: &str, secret: &[u8]) -> bool {
    use base64::Engine;
    text.contains(&base64::engine::general_purpose::STANDARD.encode(secret))
        || text.contains(&hex(secret))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_calls_are_logged_and_audited_without_secrets_and_are_no_key_use() {
    if !tools_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let mut server = crate::support::process::Running::start(
        dir.path(),
        &[
            "--in-memory",
            "--port",
            "0",
            "--rsa-pool-size",
            "0",
            "--log-format",
            "json",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    let client = crate::support::client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let key = create_external(
        &client,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let algorithm = AlgorithmSpec::RsaesOaepSha256;
    let (public, token) =
        parameters(&client, &key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    let material = [0x5eu8; 32];
    let encrypted = wrap(dir.path(), &public, &algorithm, &material, false);
    import(&client, &key, &token, &encrypted, None)
        .await
        .unwrap();
    // Importing is not a use of the key (GetKeyLastUsage counts cryptographic operations).
    let usage = client
        .get_key_last_usage()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(usage.key_last_usage.unwrap().operation, None);
    client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    client
        .delete_imported_key_material()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    let usage = client
        .get_key_last_usage()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        usage.key_last_usage.unwrap().operation.unwrap().as_str(),
        "Encrypt"
    );

    let mut lines = Vec::new();
    for op in [
        "GetParametersForImport",
        "ImportKeyMaterial",
        "DeleteImportedKeyMaterial",
    ] {
        lines.push(server.wait_for(&format!("\"op\":\"{op}\"")));
    }
    let text = std::fs::read_to_string(&audit).unwrap();
    server.kill();
    for secret in [&material[..], &token, &encrypted, &public] {
        assert!(!holds(&text, secret), "the audit trail holds a secret");
        for line in &lines {
            assert!(!holds(line, secret), "{line}");
        }
    }
    for line in &lines {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["fields"]["status"], 200);
        assert_eq!(line["fields"]["key_id"], key.as_str());
    }
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for op in [
        "GetParametersForImport",
        "ImportKeyMaterial",
        "DeleteImportedKeyMaterial",
    ] {
        let record = records
            .iter()
            .find(|r| r["eventName"] == op)
            .unwrap_or_else(|| panic!("no {op} record"));
        assert!(
            record["resources"][0]["ARN"]
                .as_str()
                .unwrap()
                .ends_with(&key)
        );
        assert_eq!(record["requestParameters"]["keyId"], key.as_str());
    }
    let imported = records
        .iter()
        .find(|r| r["eventName"] == "ImportKeyMaterial")
        .unwrap();
    assert_eq!(
        imported["requestParameters"]["expirationModel"],
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    );
    assert!(imported["requestParameters"].get("importToken").is_none());
    assert!(
        imported["requestParameters"]
            .get("encryptedKeyMaterial")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_without_material_refuse_every_cryptographic_operation() {
    let server = TestServer::start().await;
    let client = server.client();
    let cases = [
        (KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt),
        (KeySpec::Hmac224, KeyUsageType::GenerateVerifyMac),
        (KeySpec::Hmac512, KeyUsageType::GenerateVerifyMac),
        (KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt),
        (KeySpec::Rsa3072, KeyUsageType::SignVerify),
        (KeySpec::Rsa4096, KeyUsageType::SignVerify),
        (KeySpec::EccNistP256, KeyUsageType::SignVerify),
        (KeySpec::EccNistP384, KeyUsageType::KeyAgreement),
        (KeySpec::EccNistP521, KeyUsageType::SignVerify),
        (KeySpec::EccSecgP256K1, KeyUsageType::SignVerify),
        (KeySpec::Sm2, KeyUsageType::EncryptDecrypt),
    ];
    for (spec, usage) in cases {
        let key = create_external(&client, spec.clone(), usage.clone()).await;
        let meta = metadata(&client, &key).await;
        assert_eq!(
            meta.key_state.as_ref().unwrap().as_str(),
            "PendingImport",
            "{spec:?}"
        );
        assert!(!meta.enabled);
        assert_eq!(meta.origin.as_ref().unwrap().as_str(), "EXTERNAL");
        assert_eq!(meta.expiration_model, None);
        assert_eq!(meta.valid_to, None);
        assert_eq!(meta.key_spec, Some(spec.clone()));
        let pending = |message: String| {
            assert!(
                message.ends_with("is pending import."),
                "{spec:?}: {message}"
            );
        };
        let message = match usage {
            KeyUsageType::EncryptDecrypt => check_error(
                client
                    .encrypt()
                    .key_id(&key)
                    .plaintext(Blob::new("x"))
                    .set_encryption_algorithm((spec != KeySpec::SymmetricDefault).then(|| {
                        if spec == KeySpec::Sm2 {
                            aws_sdk_kms::types::EncryptionAlgorithmSpec::Sm2Pke
                        } else {
                            aws_sdk_kms::types::EncryptionAlgorithmSpec::RsaesOaepSha256
                        }
                    }))
                    .send()
                    .await,
                "KMSInvalidStateException",
            ),
            KeyUsageType::GenerateVerifyMac => check_error(
                client
                    .generate_mac()
                    .key_id(&key)
                    .mac_algorithm(meta.mac_algorithms()[0].clone())
                    .message(Blob::new("x"))
                    .send()
                    .await,
                "KMSInvalidStateException",
            ),
            KeyUsageType::SignVerify => check_error(
                client
                    .sign()
                    .key_id(&key)
                    .signing_algorithm(meta.signing_algorithms()[0].clone())
                    .message(Blob::new("x"))
                    .send()
                    .await,
                "KMSInvalidStateException",
            ),
            _ => check_error(
                client.get_public_key().key_id(&key).send().await,
                "KMSInvalidStateException",
            ),
        };
        pending(message);
        if spec != KeySpec::SymmetricDefault && !spec.as_str().starts_with("HMAC") {
            pending(check_error(
                client.get_public_key().key_id(&key).send().await,
                "KMSInvalidStateException",
            ));
        }
        pending(check_error(
            client.enable_key().key_id(&key).send().await,
            "KMSInvalidStateException",
        ));
    }
    // Ed25519, ML-DSA and ML-KEM keys cannot take imported material.
    for (spec, usage) in [
        (KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify),
        (KeySpec::MlDsa65, KeyUsageType::SignVerify),
        (KeySpec::MlKem768, KeyUsageType::EncapsulateDecapsulate),
    ] {
        check_error(
            client
                .create_key()
                .origin(OriginType::External)
                .key_spec(spec)
                .key_usage(usage)
                .send()
                .await,
            "UnsupportedOperationException",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_encryption_and_key_agreement_pairs_work_offline() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let wrapping = AlgorithmSpec::RsaAesKeyWrapSha256;
    let import_pair = |spec: KeySpec, usage: KeyUsageType, genpkey: &'static [&'static str]| {
        let client = client.clone();
        let dir = dir.path().to_owned();
        let wrapping = wrapping.clone();
        async move {
            let key = create_external(&client, spec, usage).await;
            let (der, pem) = openssl_key(&dir, "pair", genpkey);
            let (public, token) =
                parameters(&client, &key, wrapping.clone(), WrappingKeySpec::Rsa2048).await;
            let encrypted = wrap(&dir, &public, &wrapping, &der, false);
            import(&client, &key, &token, &encrypted, None)
                .await
                .unwrap();
            (key, pem)
        }
    };

    // RSA-OAEP: kmsd's ciphertext opens with openssl and the imported private key.
    let (rsa, pem) = import_pair(
        KeySpec::Rsa2048,
        KeyUsageType::EncryptDecrypt,
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    )
    .await;
    let sealed = client
        .encrypt()
        .key_id(&rsa)
        .plaintext(Blob::new("sealed by kmsd"))
        .encryption_algorithm(aws_sdk_kms::types::EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
        .into_inner();
    let sealed = write(dir.path(), "sealed.bin", &sealed);
    let opened = openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        &pem,
        "-in",
        &sealed,
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
    ]);
    assert_eq!(opened, b"sealed by kmsd");

    // ECDH: the shared secret kmsd derives is the one openssl derives from the other side.
    let (ecdh, _) = import_pair(
        KeySpec::EccNistP384,
        KeyUsageType::KeyAgreement,
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    )
    .await;
    let (_, peer_pem) = openssl_key(
        dir.path(),
        "peer",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let peer_public = openssl(&["pkey", "-in", &peer_pem, "-pubout", "-outform", "DER"]);
    let derived = client
        .derive_shared_secret()
        .key_id(&ecdh)
        .key_agreement_algorithm(aws_sdk_kms::types::KeyAgreementAlgorithmSpec::Ecdh)
        .public_key(Blob::new(peer_public))
        .send()
        .await
        .unwrap()
        .shared_secret
        .unwrap()
        .into_inner();
    let ours = crate::support::keys::public_key(&client, &ecdh).await;
    let ours = write(dir.path(), "ours.der", &ours);
    let offline = openssl(&[
        "pkeyutl",
        "-derive",
        "-inkey",
        &peer_pem,
        "-peerkey",
        &ours,
        "-peerform",
        "DER",
    ]);
    assert_eq!(derived, offline);
}
