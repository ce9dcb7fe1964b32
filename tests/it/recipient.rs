//! `Recipient` (Nitro Enclaves attestation): `CiphertextForRecipient` as CMS EnvelopedData
//! sealed to the public key of an attestation document the test builds, opened with
//! `openssl cms -decrypt` and compared with what kmsd answers without `Recipient`; malformed
//! documents refused with `ValidationException`; secrets kept out of logs and the audit trail.

use std::path::Path;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, KeyAgreementAlgorithmSpec, KeyEncryptionMechanism, KeySpec, KeyUsageType,
    RecipientInfo,
};
use tempfile::TempDir;

use crate::support::keys::{create_key_with, encrypt};
use crate::support::tools::{openssl, tool_available};
use crate::support::{TestServer, check_error, create_key};

/// A CBOR head: major type and argument.
fn head(major: u8, n: usize) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => vec![m | 25, (n >> 8) as u8, n as u8],
        _ => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
    }
}

fn bytes(b: &[u8]) -> Vec<u8> {
    [head(2, b.len()), b.to_vec()].concat()
}

fn text(t: &str) -> Vec<u8> {
    [head(3, t.len()), t.as_bytes().to_vec()].concat()
}

/// The payload map of an attestation document as the Nitro Secure Module shapes it, with
/// `public_key` holding `public_key` (a CBOR item, already encoded) or left out.
fn payload(public_key: Option<Vec<u8>>) -> Vec<u8> {
    measured_payload(public_key, "pcrs", 0)
}

/// [`payload`] with its PCRs (PCR0 all `pcr0`, PCR1 all 1) under `field`: `pcrs` for a Nitro
/// enclave, `nitrotpm_pcrs` for NitroTPM.
fn measured_payload(public_key: Option<Vec<u8>>, field: &str, pcr0: u8) -> Vec<u8> {
    certified_payload(
        public_key,
        field,
        pcr0,
        b"not a certificate",
        &[b"not a root"],
    )
}

/// [`measured_payload`] with its `certificate` and `cabundle`.
fn certified_payload(
    public_key: Option<Vec<u8>>,
    field: &str,
    pcr0: u8,
    certificate: &[u8],
    cabundle: &[&[u8]],
) -> Vec<u8> {
    let mut payload = head(5, if public_key.is_some() { 9 } else { 8 });
    payload.extend(text("module_id"));
    payload.extend(text("i-0123456789abcdef0-enc0123456789abcdef"));
    payload.extend(text("digest"));
    payload.extend(text("SHA384"));
    payload.extend(text("timestamp"));
    payload.extend([0x1b, 0, 0, 1, 0x8c, 0x12, 0x34, 0x56, 0x78]);
    payload.extend(text(field));
    payload.extend(head(5, 2));
    payload.extend([0x00]);
    payload.extend(bytes(&[pcr0; 48]));
    payload.extend([0x01]);
    payload.extend(bytes(&[1; 48]));
    payload.extend(text("certificate"));
    payload.extend(bytes(certificate));
    payload.extend(text("cabundle"));
    payload.extend(head(4, cabundle.len()));
    for der in cabundle {
        payload.extend(bytes(der));
    }
    if let Some(key) = public_key {
        payload.extend(text("public_key"));
        payload.extend(key);
    }
    payload.extend(text("user_data"));
    payload.push(0xf6);
    payload.extend(text("nonce"));
    payload.push(0xf6);
    payload
}

/// COSE_Sign1 `[protected, unprotected, payload, signature]` around `payload` (unsigned:
/// kmsd does not verify the chain).
fn cose_sign1(payload: &[u8]) -> Vec<u8> {
    // Protected header {1: -35} (ES384).
    let protected = [0xa1, 0x01, 0x38, 0x22];
    let mut doc = head(4, 4);
    doc.extend(bytes(&protected));
    doc.push(0xa0);
    doc.extend(bytes(payload));
    doc.extend(bytes(&[7; 96]));
    doc
}

/// An attestation document carrying `public_key` (DER SubjectPublicKeyInfo).
fn attestation_document(public_key: &[u8]) -> Vec<u8> {
    cose_sign1(&payload(Some(bytes(public_key))))
}

fn recipient(document: Vec<u8>) -> RecipientInfo {
    RecipientInfo::builder()
        .key_encryption_algorithm(KeyEncryptionMechanism::RsaesOaepSha256)
        .attestation_document(Blob::new(document))
        .build()
}

/// An enclave: its RSA key pair (`key.pem` in its directory) and its attestation document.
struct Enclave {
    dir: TempDir,
    /// The DER SubjectPublicKeyInfo of `key.pem`.
    spki: Vec<u8>,
    document: Vec<u8>,
}

impl Enclave {
    /// A new enclave, or `None` (the test skips) without openssl.
    fn new() -> Option<Enclave> {
        if !tool_available("openssl", "version") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let spki = rsa_key(dir.path(), "key.pem");
        Some(Enclave {
            dir,
            document: attestation_document(&spki),
            spki,
        })
    }

    fn recipient(&self) -> RecipientInfo {
        recipient(self.document.clone())
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// Opens `CiphertextForRecipient` with the enclave key, as an enclave would.
    fn open(&self, envelope: &Blob) -> Vec<u8> {
        std::fs::write(self.path("envelope.der"), envelope.as_ref()).unwrap();
        openssl(&[
            "cms",
            "-decrypt",
            "-inform",
            "DER",
            "-in",
            &self.path("envelope.der"),
            "-inkey",
            &self.path("key.pem"),
        ])
    }
}

/// A 2048-bit RSA key pair in `dir/name`; returns the DER SubjectPublicKeyInfo.
fn rsa_key(dir: &Path, name: &str) -> Vec<u8> {
    let key = dir.join(name);
    let key = key.to_str().unwrap();
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key,
    ]);
    openssl(&["pkey", "-in", key, "-pubout", "-outform", "DER"])
}

#[tokio::test]
async fn decrypt_with_recipient_seals_the_plaintext_to_the_enclave_key() {
    let Some(enclave) = Enclave::new() else {
        return;
    };
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    let sealed = encrypt(&client, &key, b"enclave secret").await;
    let decrypt = || {
        client
            .decrypt()
            .key_id(&key)
            .ciphertext_blob(sealed.clone())
            .recipient(enclave.recipient())
    };
    let out = decrypt().send().await.unwrap();
    assert!(out.plaintext.is_none());
    assert!(out.key_id.unwrap().ends_with(&key));
    assert_eq!(
        out.encryption_algorithm.unwrap().as_str(),
        "SYMMETRIC_DEFAULT"
    );
    let envelope = out.ciphertext_for_recipient.unwrap();
    assert_eq!(enclave.open(&envelope), b"enclave secret");

    // The envelope is what AWS's enclave documentation describes.
    let printed = String::from_utf8(openssl(&[
        "cms",
        "-cmsout",
        "-print",
        "-inform",
        "DER",
        "-in",
        &enclave.path("envelope.der"),
    ]))
    .unwrap();
    for part in ["pkcs7-envelopedData", "rsaesOaep", "mgf1", "aes-256-cbc"] {
        assert!(printed.contains(part), "{part} not in\n{printed}");
    }
    assert!(printed.matches("sha256").count() >= 2, "{printed}");

    // Each call seals under a fresh content key, and only the enclave's key opens it.
    let again = decrypt()
        .send()
        .await
        .unwrap()
        .ciphertext_for_recipient
        .unwrap();
    assert_ne!(again.as_ref(), envelope.as_ref());
    assert_eq!(enclave.open(&again), b"enclave secret");
    rsa_key(enclave.dir.path(), "other.pem");
    let refused = std::process::Command::new("openssl")
        .args(["cms", "-decrypt", "-inform", "DER", "-in"])
        .arg(enclave.path("envelope.der"))
        .arg("-inkey")
        .arg(enclave.path("other.pem"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert_ne!(refused.stdout, b"enclave secret");
}

#[tokio::test]
async fn generate_data_key_with_recipient_seals_the_key_its_ciphertext_blob_holds() {
    let Some(enclave) = Enclave::new() else {
        return;
    };
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    for (bytes, spec) in [(Some(32), None), (Some(1), None), (None, Some("AES_128"))] {
        let out = client
            .generate_data_key()
            .key_id(&key)
            .set_number_of_bytes(bytes)
            .set_key_spec(spec.map(Into::into))
            .encryption_context("purpose", "enclave")
            .recipient(enclave.recipient())
            .send()
            .await
            .unwrap();
        assert!(out.plaintext.is_none());
        let data_key = enclave.open(&out.ciphertext_for_recipient.unwrap());
        assert_eq!(data_key.len(), bytes.unwrap_or(16) as usize);
        let plain = client
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob.unwrap())
            .encryption_context("purpose", "enclave")
            .send()
            .await
            .unwrap()
            .plaintext
            .unwrap();
        assert_eq!(data_key, plain.as_ref());
    }
}

#[tokio::test]
async fn generate_data_key_pair_with_recipient_seals_the_private_key() {
    let Some(enclave) = Enclave::new() else {
        return;
    };
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    let out = client
        .generate_data_key_pair()
        .key_id(&key)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .recipient(enclave.recipient())
        .send()
        .await
        .unwrap();
    assert!(out.private_key_plaintext.is_none());
    let private = enclave.open(&out.ciphertext_for_recipient.unwrap());
    // The sealed private key is the one the encrypted copy holds, and the public key's pair.
    let plain = client
        .decrypt()
        .ciphertext_blob(out.private_key_ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap();
    assert_eq!(private, plain.as_ref());
    std::fs::write(enclave.path("private.der"), &private).unwrap();
    let public = openssl(&[
        "pkey",
        "-inform",
        "DER",
        "-in",
        &enclave.path("private.der"),
        "-pubout",
        "-outform",
        "DER",
    ]);
    assert_eq!(public, out.public_key.unwrap().as_ref());
}

#[tokio::test]
async fn generate_random_with_recipient_seals_the_bytes() {
    let Some(enclave) = Enclave::new() else {
        return;
    };
    let server = TestServer::start().await;
    let client = server.client();
    let mut seen = Vec::new();
    for len in [1, 1024] {
        let out = client
            .generate_random()
            .number_of_bytes(len)
            .recipient(enclave.recipient())
            .send()
            .await
            .unwrap();
        assert!(out.plaintext.is_none());
        let random = enclave.open(&out.ciphertext_for_recipient.unwrap());
        assert_eq!(random.len(), len as usize);
        seen.push(random);
    }
    let out = client
        .generate_random()
        .number_of_bytes(1024)
        .recipient(enclave.recipient())
        .send()
        .await
        .unwrap();
    assert_ne!(
        enclave.open(&out.ciphertext_for_recipient.unwrap()),
        seen[1]
    );
}

#[tokio::test]
async fn derive_shared_secret_with_recipient_seals_the_secret() {
    let Some(enclave) = Enclave::new() else {
        return;
    };
    let server = TestServer::start().await;
    let client = server.client();
    let agreement =
        create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let peer = enclave.path("peer.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        &peer,
    ]);
    let peer_public = openssl(&["pkey", "-in", &peer, "-pubout", "-outform", "DER"]);
    let derive = || {
        client
            .derive_shared_secret()
            .key_id(&agreement)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer_public.clone()))
    };
    let clear = derive().send().await.unwrap().shared_secret.unwrap();
    let out = derive()
        .recipient(enclave.recipient())
        .send()
        .await
        .unwrap();
    assert!(out.shared_secret.is_none());
    assert!(out.key_id.unwrap().ends_with(&agreement));
    assert_eq!(out.key_agreement_algorithm.unwrap().as_str(), "ECDH");
    assert_eq!(
        enclave.open(&out.ciphertext_for_recipient.unwrap()),
        clear.as_ref()
    );
}

/// The five operations with `Recipient`, on keys made in `client`; each result's error code
/// and message (or `None` when the call succeeded).
struct Five {
    key: String,
    agreement: String,
    sealed: Blob,
    peer_public: Vec<u8>,
}

impl Five {
    async fn new(client: &Client) -> Five {
        let key = create_key(client).await;
        let agreement =
            create_key_with(client, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
        let sealed = encrypt(client, &key, b"secret").await;
        let peer =
            aws_lc_rs::agreement::PrivateKey::generate(&aws_lc_rs::agreement::ECDH_P256).unwrap();
        let peer_public =
            aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
                &peer.compute_public_key().unwrap(),
            )
            .unwrap()
            .as_ref()
            .to_vec();
        Five {
            key,
            agreement,
            sealed,
            peer_public,
        }
    }

    /// Each operation's error (code, message) with `recipient`, `None` for a success.
    async fn call(
        &self,
        client: &Client,
        recipient: &RecipientInfo,
    ) -> Vec<Option<(String, String)>> {
        use aws_sdk_kms::error::ProvideErrorMetadata;
        fn outcome<T, E: ProvideErrorMetadata>(r: Result<T, E>) -> Option<(String, String)> {
            r.err().map(|e| {
                (
                    e.code().unwrap_or_default().to_owned(),
                    e.message().unwrap_or_default().to_owned(),
                )
            })
        }
        let r = || recipient.clone();
        vec![
            outcome(
                client
                    .decrypt()
                    .ciphertext_blob(self.sealed.clone())
                    .recipient(r())
                    .send()
                    .await,
            ),
            outcome(
                client
                    .generate_data_key()
                    .key_id(&self.key)
                    .number_of_bytes(32)
                    .recipient(r())
                    .send()
                    .await,
            ),
            outcome(
                client
                    .generate_data_key_pair()
                    .key_id(&self.key)
                    .key_pair_spec(DataKeyPairSpec::EccNistP256)
                    .recipient(r())
                    .send()
                    .await,
            ),
            outcome(
                client
                    .generate_random()
                    .number_of_bytes(16)
                    .recipient(r())
                    .send()
                    .await,
            ),
            outcome(
                client
                    .derive_shared_secret()
                    .key_id(&self.agreement)
                    .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
                    .public_key(Blob::new(self.peer_public.clone()))
                    .recipient(r())
                    .send()
                    .await,
            ),
        ]
    }
}

#[tokio::test]
async fn malformed_attestation_documents_are_refused_by_every_operation_and_change_nothing() {
    let server = TestServer::start().await;
    let client = server.client();
    let five = Five::new(&client).await;
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let rsa_spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        aws_lc_rs::signature::KeyPair::public_key(&rsa),
    )
    .unwrap()
    .as_ref()
    .to_vec();
    let ec_spki = five.peer_public.clone();
    let malformed = "The attestation document is malformed";
    let no_key = "The attestation document does not contain a public key.";
    let not_rsa = "The public key in the attestation document is not a supported RSA public key";
    let cases: Vec<(&str, RecipientInfo, &str)> = vec![
        ("not CBOR", recipient(b"not cbor".to_vec()), malformed),
        ("a break byte", recipient(vec![0xff]), malformed),
        (
            "a CBOR map, not COSE_Sign1",
            recipient(payload(Some(bytes(&rsa_spki)))),
            "not a COSE_Sign1 array",
        ),
        (
            "COSE_Sign1 of three items",
            recipient([&[0x83, 0x40, 0xa0][..], &bytes(&payload(None))].concat()),
            "not a COSE_Sign1 array",
        ),
        (
            "the payload not a map",
            recipient(cose_sign1(&text("public_key"))),
            "the payload is not a CBOR map",
        ),
        (
            "trailing bytes",
            recipient([attestation_document(&rsa_spki), vec![0]].concat()),
            "trailing data",
        ),
        (
            "no public_key",
            recipient(cose_sign1(&payload(None))),
            no_key,
        ),
        (
            "public_key null",
            recipient(cose_sign1(&payload(Some(vec![0xf6])))),
            no_key,
        ),
        (
            "an EC public key",
            recipient(attestation_document(&ec_spki)),
            not_rsa,
        ),
        (
            "not a key",
            recipient(attestation_document(b"not a key")),
            not_rsa,
        ),
        (
            "KeyEncryptionAlgorithm RSAES_OAEP_SHA_1",
            RecipientInfo::builder()
                .key_encryption_algorithm(KeyEncryptionMechanism::from("RSAES_OAEP_SHA_1"))
                .attestation_document(Blob::new(attestation_document(&rsa_spki)))
                .build(),
            "1 validation error detected: Value 'RSAES_OAEP_SHA_1' at \
             'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: Member must \
             satisfy enum value set: [RSAES_OAEP_SHA_256]",
        ),
        (
            "an empty document",
            recipient(Vec::new()),
            "'recipient.attestationDocument' failed to satisfy constraint: Member must have \
             length greater than or equal to 1",
        ),
        (
            "no document",
            RecipientInfo::builder()
                .key_encryption_algorithm(KeyEncryptionMechanism::RsaesOaepSha256)
                .build(),
            "Recipient must include an AttestationDocument.",
        ),
    ];
    for (what, recipient, message) in &cases {
        for (i, result) in five.call(&client, recipient).await.into_iter().enumerate() {
            let (code, text) = result.unwrap_or_else(|| panic!("{what}: operation {i} succeeded"));
            assert_eq!(code, "ValidationException", "{what}: operation {i}: {text}");
            assert!(text.contains(message), "{what}: operation {i}: {text}");
        }
    }
    // Refused calls are no use of the keys: the last use is still the Encrypt of the setup.
    for (key, last) in [(&five.key, Some("Encrypt")), (&five.agreement, None)] {
        let usage = client
            .get_key_last_usage()
            .key_id(key)
            .send()
            .await
            .unwrap()
            .key_last_usage
            .unwrap();
        assert_eq!(usage.operation.as_ref().map(|o| o.as_str()), last);
    }
    // The same calls with the well-formed document succeed: the refusals were the document's.
    let good = recipient(attestation_document(&rsa_spki));
    assert!(
        five.call(&client, &good).await.iter().all(Option::is_none),
        "a well-formed document was refused"
    );
}

#[tokio::test]
async fn mutated_attestation_documents_never_fail_the_server() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        aws_lc_rs::signature::KeyPair::public_key(&key),
    )
    .unwrap();
    let good = attestation_document(spki.as_ref());
    // Every truncation, and bit flips: a document is taken or refused, never a 5xx.
    let mut docs: Vec<Vec<u8>> = (1..good.len())
        .step_by(37)
        .map(|end| good[..end].to_vec())
        .collect();
    let mut seed = 0x2545_f491_u32;
    for _ in 0..64 {
        let mut doc = good.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let i = seed as usize % doc.len();
            doc[i] ^= (seed >> 8) as u8 | 1;
        }
        docs.push(doc);
    }
    for doc in docs {
        let truncated = good.starts_with(&doc);
        let result = client
            .generate_random()
            .number_of_bytes(16)
            .recipient(recipient(doc))
            .send()
            .await;
        match result {
            Ok(out) => {
                assert!(!truncated, "a truncated document was taken");
                assert!(out.plaintext.is_none() && out.ciphertext_for_recipient.is_some());
            }
            Err(error) => {
                let code = aws_sdk_kms::error::ProvideErrorMetadata::code(&error);
                assert_eq!(code, Some("ValidationException"), "{error:?}");
            }
        }
    }
}

#[tokio::test]
async fn recipient_members_of_the_wrong_type_are_serialization_errors() {
    let server = TestServer::start().await;
    let bodies = [
        r#"{"NumberOfBytes":16,"Recipient":"attestation"}"#,
        r#"{"NumberOfBytes":16,"Recipient":{"AttestationDocument":5}}"#,
        r#"{"NumberOfBytes":16,"Recipient":{"AttestationDocument":["AA=="]}}"#,
        r#"{"NumberOfBytes":16,"Recipient":{"KeyEncryptionAlgorithm":7,"AttestationDocument":"AA=="}}"#,
        r#"{"NumberOfBytes":16,"Recipient":[]}"#,
    ];
    for body in bodies {
        server
            .call("TrentService.GenerateRandom", body)
            .await
            .assert_error(400, "SerializationException", None);
    }
    // A document that is not base64 is refused, whatever the code, as a client error.
    let response = server
        .call(
            "TrentService.GenerateRandom",
            r#"{"NumberOfBytes":16,"Recipient":{"AttestationDocument":"@@@@"}}"#,
        )
        .await;
    assert_eq!(response.status, 400, "{}", response.json());
    // Recipient is not a member of the WithoutPlaintext operations: ignored there, as AWS
    // ignores a member it does not know.
    let client = server.client();
    let key = create_key(&client).await;
    let bad = r#""Recipient":{"KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256","AttestationDocument":"bm90IGNib3I="}"#;
    for (target, body) in [
        (
            "TrentService.GenerateDataKeyWithoutPlaintext",
            format!(r#"{{"KeyId":"{key}","NumberOfBytes":32,{bad}}}"#),
        ),
        (
            "TrentService.GenerateDataKeyPairWithoutPlaintext",
            format!(r#"{{"KeyId":"{key}","KeyPairSpec":"ECC_NIST_P256",{bad}}}"#),
        ),
    ] {
        let response = server.call(target, &body).await;
        assert_eq!(response.status, 200, "{target}: {}", response.json());
        let json = response.json();
        assert!(json.get("CiphertextForRecipient").is_none(), "{json}");
        assert!(json.get("Plaintext").is_none(), "{json}");
        assert!(json.get("PrivateKeyPlaintext").is_none(), "{json}");
    }
}

#[tokio::test]
async fn dry_run_with_recipient_answers_dry_run_operation() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        aws_lc_rs::signature::KeyPair::public_key(&rsa),
    )
    .unwrap();
    let to_enclave = recipient(attestation_document(spki.as_ref()));
    check_error(
        client
            .generate_data_key()
            .key_id(&key)
            .number_of_bytes(32)
            .recipient(to_enclave.clone())
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    // A malformed document is found before the dry run's answer, as every validation error.
    check_error(
        client
            .generate_data_key()
            .key_id(&key)
            .number_of_bytes(32)
            .recipient(recipient(b"x".to_vec()))
            .dry_run(true)
            .send()
            .await,
        "ValidationException",
    );
}

/// Whether `text` holds `secret` in base64 (as the wire carries it) or in hex.
fn holds(text: &str, secret: &[u8]) -> bool {
    use base64::Engine;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    text.contains(&base64::engine::general_purpose::STANDARD.encode(secret)) || text.contains(&hex)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipient_calls_keep_secrets_out_of_logs_and_the_audit_trail() {
    let Some(enclave) = Enclave::new() else {
        return;
    };
    let audit = enclave.dir.path().join("audit.jsonl");
    let mut server = crate::support::process::Running::start_logging(
        enclave.dir.path(),
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
        "trace",
    );
    let client = crate::support::client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let key = create_key(&client).await;
    let plaintext = b"enclave secret, never logged";
    let sealed = encrypt(&client, &key, plaintext).await;
    let decrypted = client
        .decrypt()
        .ciphertext_blob(sealed)
        .recipient(enclave.recipient())
        .send()
        .await
        .unwrap();
    let generated = client
        .generate_data_key()
        .key_id(&key)
        .number_of_bytes(32)
        .recipient(enclave.recipient())
        .send()
        .await
        .unwrap();
    let data_key = enclave.open(generated.ciphertext_for_recipient.as_ref().unwrap());
    let random = client
        .generate_random()
        .number_of_bytes(64)
        .recipient(enclave.recipient())
        .send()
        .await
        .unwrap();
    let random_bytes = enclave.open(random.ciphertext_for_recipient.as_ref().unwrap());
    client.list_keys().send().await.unwrap();
    let lines = server.lines_until("\"op\":\"ListKeys\"");
    server.kill();
    let text = std::fs::read_to_string(&audit).unwrap();
    let secrets: [&[u8]; 6] = [
        plaintext,
        &data_key,
        &random_bytes,
        decrypted
            .ciphertext_for_recipient
            .as_ref()
            .unwrap()
            .as_ref(),
        generated
            .ciphertext_for_recipient
            .as_ref()
            .unwrap()
            .as_ref(),
        &enclave.document,
    ];
    for secret in secrets {
        assert!(!holds(&text, secret), "the audit trail holds a secret");
        for line in &lines {
            assert!(!holds(line, secret), "{line}");
        }
    }
    assert!(lines.iter().any(|l| l.contains("\"op\":\"Decrypt\"")));
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for op in ["Decrypt", "GenerateDataKey", "GenerateRandom"] {
        let record = records
            .iter()
            .find(|r| r["eventName"] == op)
            .unwrap_or_else(|| panic!("no {op} record"));
        // As CloudTrail: the document's module id and PCRs, not the request's Recipient.
        assert!(
            record["requestParameters"].get("recipient").is_none(),
            "{record}"
        );
        assert_eq!(
            record["additionalEventData"]["recipient"],
            serde_json::json!({
                "attestationDocumentModuleId": "i-0123456789abcdef0-enc0123456789abcdef",
                "attestationDocumentEnclaveImageDigest": "00".repeat(48),
                "attestationDocumentEnclavePCR1": "01".repeat(48),
            }),
            "{record}"
        );
    }
    let encrypt = records
        .iter()
        .find(|r| r["eventName"] == "Encrypt")
        .unwrap();
    assert!(encrypt.get("additionalEventData").is_none(), "{encrypt}");
}

#[tokio::test]
async fn key_policies_test_the_pcrs_of_the_attestation_document() {
    let server =
        TestServer::start_enforcing(kmsd::ServeOptions::default(), kmsd::kms::Enforcement::On)
            .await;
    let client = server.client();
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        aws_lc_rs::signature::KeyPair::public_key(&rsa),
    )
    .unwrap()
    .as_ref()
    .to_vec();
    let document = |field: &str, pcr0: u8| {
        recipient(cose_sign1(&measured_payload(
            Some(bytes(&spki)),
            field,
            pcr0,
        )))
    };
    let image = "00".repeat(48);
    let pcr1 = "01".repeat(48);
    // As AWS's examples: the enclave image (PCR0, any case) and PCR1 for Decrypt and
    // GenerateDataKey; NitroTPM's PCR1 for GenerateDataKeyPair; the rest to the account.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "NotAction": ["kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair"],
                "Resource": "*"
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEqualsIgnoreCase": {
                        "kms:RecipientAttestation:ImageSha384": image.to_uppercase()
                    },
                    "StringEquals": {"kms:RecipientAttestation:PCR1": pcr1}
                }
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:GenerateDataKeyPair",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:RecipientAttestation:NitroTPMPCR1": pcr1}}
            }
        ]
    });
    let key = client
        .create_key()
        .policy(policy.to_string())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let sealed = encrypt(&client, &key, b"for the enclave only").await;
    let decrypt = |recipient: Option<RecipientInfo>| {
        client
            .decrypt()
            .ciphertext_blob(sealed.clone())
            .set_recipient(recipient)
            .send()
    };
    let out = decrypt(Some(document("pcrs", 0))).await.unwrap();
    assert!(out.ciphertext_for_recipient.is_some());
    for (what, recipient) in [
        ("no Recipient", None),
        ("another image", Some(document("pcrs", 0xaa))),
        ("a NitroTPM document", Some(document("nitrotpm_pcrs", 0))),
    ] {
        let message = check_error(decrypt(recipient).await, "AccessDeniedException");
        assert!(message.contains("kms:Decrypt"), "{what}: {message}");
    }
    let data_key = |recipient: RecipientInfo| {
        client
            .generate_data_key()
            .key_id(&key)
            .number_of_bytes(32)
            .recipient(recipient)
            .send()
    };
    assert!(data_key(document("pcrs", 0)).await.is_ok());
    check_error(
        data_key(document("pcrs", 0x01)).await,
        "AccessDeniedException",
    );
    let pair = |recipient: RecipientInfo| {
        client
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(DataKeyPairSpec::EccNistP256)
            .recipient(recipient)
            .send()
    };
    assert!(pair(document("nitrotpm_pcrs", 0)).await.is_ok());
    check_error(pair(document("pcrs", 0)).await, "AccessDeniedException");
}

/// A certificate chain like the Nitro one, made with openssl: a self-signed P-384 root and a
/// leaf it signed (valid for a day), both ecdsa-with-SHA384.
struct Chain {
    root_pem: String,
    root: Vec<u8>,
    leaf: Vec<u8>,
    leaf_key: String,
}

fn chain(dir: &Path, name: &str) -> Chain {
    let path = |file: &str| {
        dir.join(format!("{name}-{file}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    for key in ["root.key", "leaf.key"] {
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            &path(key),
        ]);
    }
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &path("root.key"),
        "-sha384",
        "-days",
        "30",
        "-subj",
        &format!("/CN={name} root"),
        "-out",
        &path("root.pem"),
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        &path("leaf.key"),
        "-subj",
        "/CN=enclave",
        "-out",
        &path("leaf.csr"),
    ]);
    let leaf = openssl(&[
        "x509",
        "-req",
        "-in",
        &path("leaf.csr"),
        "-CA",
        &path("root.pem"),
        "-CAkey",
        &path("root.key"),
        "-set_serial",
        "7",
        "-sha384",
        "-days",
        "1",
        "-outform",
        "DER",
    ]);
    let root = openssl(&["x509", "-in", &path("root.pem"), "-outform", "DER"]);
    Chain {
        root_pem: path("root.pem"),
        root,
        leaf,
        leaf_key: path("leaf.key"),
    }
}

/// A COSE_Sign1 attestation document over `payload`, signed (ES384) with `key` (PEM).
fn signed_document(dir: &Path, payload: &[u8], key: &str) -> Vec<u8> {
    let protected = [0xa1, 0x01, 0x38, 0x22];
    let to_sign = [
        &[0x84][..],
        &text("Signature1"),
        &bytes(&protected),
        &[0x40],
        &bytes(payload),
    ]
    .concat();
    let input = dir.join("to-sign.bin");
    std::fs::write(&input, &to_sign).unwrap();
    let der = openssl(&["dgst", "-sha384", "-sign", key, input.to_str().unwrap()]);
    // ECDSA-Sig-Value (DER: SEQUENCE of two INTEGERs) to COSE's fixed r || s.
    let mut signature = Vec::new();
    let mut rest = &der[2..];
    if der[1] == 0x81 {
        rest = &der[3..];
    }
    for _ in 0..2 {
        let len = usize::from(rest[1]);
        let int = &rest[2..2 + len];
        let int = &int[int.len().saturating_sub(48)..];
        signature.extend(std::iter::repeat_n(0, 48 - int.len()));
        signature.extend_from_slice(int);
        rest = &rest[2 + len..];
    }
    let mut doc = head(4, 4);
    doc.extend(bytes(&protected));
    doc.push(0xa0);
    doc.extend(bytes(payload));
    doc.extend(bytes(&signature));
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_attestation_root_only_documents_it_vouches_for_are_taken() {
    let Some(enclave) = Enclave::new() else {
        return;
    };
    let dir = enclave.dir.path();
    let trusted = chain(dir, "trusted");
    let other = chain(dir, "other");
    let server = crate::support::process::Running::start(
        dir,
        &[
            "--in-memory",
            "--port",
            "0",
            "--rsa-pool-size",
            "0",
            "--attestation-root",
            &trusted.root_pem,
        ],
    );
    let client = crate::support::client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let key = Some(bytes(&enclave.spki));
    let payload = |pcr0: u8, leaf: &[u8], root: &[u8]| {
        certified_payload(key.clone(), "pcrs", pcr0, leaf, &[root])
    };
    let good = signed_document(
        dir,
        &payload(0, &trusted.leaf, &trusted.root),
        &trusted.leaf_key,
    );
    let random = |document: Vec<u8>| {
        client
            .generate_random()
            .number_of_bytes(32)
            .recipient(recipient(document))
            .send()
    };
    let out = random(good.clone()).await.unwrap();
    assert_eq!(
        enclave.open(&out.ciphertext_for_recipient.unwrap()).len(),
        32
    );

    let mut tampered = good.clone();
    let at = tampered.windows(48).position(|w| w == [0; 48]).unwrap();
    tampered[at] = 0xaa;
    let cases = [
        (
            "a changed payload",
            tampered,
            "its signature does not verify",
        ),
        (
            "another key's signature",
            signed_document(
                dir,
                &payload(0, &trusted.leaf, &trusted.root),
                &other.leaf_key,
            ),
            "its signature does not verify",
        ),
        (
            "another root",
            signed_document(dir, &payload(0, &other.leaf, &other.root), &other.leaf_key),
            "does not start at the configured root",
        ),
        (
            "a leaf the root did not sign",
            signed_document(
                dir,
                &payload(0, &other.leaf, &trusted.root),
                &other.leaf_key,
            ),
            "not signed by the one before it",
        ),
        (
            "an unsigned document",
            enclave.document.clone(),
            "does not start at the configured root",
        ),
    ];
    for (what, document, reason) in cases {
        let message = check_error(random(document).await, "ValidationException");
        assert!(
            message.starts_with("The attestation document could not be verified")
                && message.contains(reason),
            "{what}: {message}"
        );
    }
    // Two days on kmsd's clock: the leaf certificate has expired.
    let status = crate::support::logged::post_json(
        &server.addr,
        "/_kmsd/clock/advance",
        r#"{"seconds": 172800}"#,
    );
    assert_eq!(status, 200);
    let message = check_error(random(good).await, "ValidationException");
    assert!(
        message.contains("not valid at kmsd's current time"),
        "{message}"
    );
    server.kill();
}

#[test]
fn an_attestation_root_that_is_no_p384_certificate_stops_kmsd_at_startup() {
    if !tool_available("openssl", "version") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let rsa_key = dir.path().join("rsa.key");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-out",
        rsa_key.to_str().unwrap(),
    ]);
    let rsa_root = dir.path().join("rsa.pem");
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        rsa_key.to_str().unwrap(),
        "-days",
        "1",
        "-subj",
        "/CN=rsa",
        "-out",
        rsa_root.to_str().unwrap(),
    ]);
    for (root, reason) in [
        (garbage, "the root certificate is malformed"),
        (rsa_root, "not an ECDSA P-384 key"),
        (
            dir.path().join("missing.pem"),
            "cannot read --attestation-root",
        ),
    ] {
        let args = [
            "--in-memory",
            "--port",
            "0",
            "--attestation-root",
            root.to_str().unwrap(),
        ];
        let Err(exit) = crate::support::process::Running::try_start(dir.path(), &args) else {
            panic!("kmsd started with --attestation-root {}", root.display());
        };
        assert!(!exit.status.success());
        let stderr = exit.stderr.join("\n");
        assert!(stderr.contains(reason), "{stderr}");
    }
}
