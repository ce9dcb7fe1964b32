//! The bad-input matrix: for every operation of botocore's KMS model (read at test time from
//! the installed botocore; required under CI=true), requests that AWS refuses, generated from
//! the model's shapes: an empty body and `{}`, each required member missing, each member of
//! the wrong JSON type, strings, blobs and lists just outside their bounds, integers outside
//! their range, unknown enum values (also as list items), invalid base64; and for each operation that names a key,
//! keys that do not exist or live elsewhere and keys in states the operation refuses. Each
//! case checks the error type and status (and the message where AWS's is known), and that the
//! keys, aliases, tags and grants are what they were. One server, one keep-alive connection.

use std::collections::BTreeMap;
use std::process::Command;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use crate::support::errors::{alias_not_found, key_not_found};
use crate::support::keepalive::KeepAlive;
use crate::support::keys::{create_alias, create_key_with, encrypt, tag};
use crate::support::lifecycle::schedule_deletion;
use crate::support::{ACCOUNT, REGION, TestServer, create_key};

/// botocore's KMS model, or `None` (a skip) where botocore is not installed.
fn kms_model() -> Option<Value> {
    let script = "import botocore, gzip, json, os, sys\n\
                  d = os.path.join(os.path.dirname(botocore.__file__), 'data/kms/2014-11-01')\n\
                  p = os.path.join(d, 'service-2.json')\n\
                  text = gzip.open(p + '.gz').read() if os.path.exists(p + '.gz') else open(p, 'rb').read()\n\
                  sys.stdout.write(text.decode())";
    let out = Command::new("python3").args(["-c", script]).output();
    match out {
        Ok(out) if out.status.success() => Some(serde_json::from_slice(&out.stdout).unwrap()),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 with botocore is required under CI=true"
            );
            eprintln!("skipped: python3 with botocore is not installed");
            None
        }
    }
}

/// What a case expects: status, `__type`, and the message where AWS's is known.
#[derive(Debug, Clone)]
struct Expect {
    status: u16,
    error: &'static str,
    message: Option<String>,
}

fn expect(error: &'static str) -> Expect {
    Expect {
        status: 400,
        error,
        message: None,
    }
}

/// One request of the matrix.
struct Case {
    operation: String,
    what: String,
    body: Value,
    expect: Expect,
}

/// The keys every case runs against.
struct Keys {
    symmetric: String,
    sign: String,
    hmac: String,
    agreement: String,
    kem: String,
    disabled: String,
    pending: String,
    disabled_sign: String,
    pending_sign: String,
    /// Keys of origin EXTERNAL with no material imported (`PendingImport`).
    awaiting_import: String,
    awaiting_import_sign: String,
    /// A key in a disconnected custom key store (`Unavailable`).
    unavailable: String,
    /// A ciphertext of `symmetric`, base64.
    ciphertext: String,
}

impl Keys {
    fn all(&self) -> [&str; 11] {
        [
            &self.symmetric,
            &self.sign,
            &self.hmac,
            &self.agreement,
            &self.kem,
            &self.disabled,
            &self.pending,
            &self.disabled_sign,
            &self.pending_sign,
            &self.awaiting_import,
            &self.awaiting_import_sign,
        ]
    }

    /// The key whose type the operation needs, so that a case fails on its bad input only.
    fn for_operation(&self, operation: &str) -> &str {
        match operation {
            "Sign" | "Verify" | "GetPublicKey" => &self.sign,
            "GenerateMac" | "VerifyMac" => &self.hmac,
            "DeriveSharedSecret" => &self.agreement,
            "Encapsulate" | "Decapsulate" => &self.kem,
            _ => &self.symmetric,
        }
    }
}

/// Members that name a key, and so take the key cases.
const KEY_MEMBERS: [&str; 4] = ["KeyId", "TargetKeyId", "DestinationKeyId", "SourceKeyId"];

/// A valid-looking value of `shape` for the base request of `operation`: type-correct and
/// within the model's bounds, with real keys where a key is named.
fn sample(model: &Value, shape: &str, member: &str, operation: &str, keys: &Keys) -> Value {
    let s = &model["shapes"][shape];
    let min = s["min"].as_i64();
    match s["type"].as_str().unwrap() {
        "string" => {
            if let Some(values) = s["enum"].as_array() {
                return values[0].clone();
            }
            let text = match member {
                m if KEY_MEMBERS.contains(&m) => keys.for_operation(operation).to_owned(),
                "AliasName" => "alias/matrix".to_owned(),
                "GrantId" => "0".repeat(64),
                "GranteePrincipal" | "RetiringPrincipal" => {
                    format!("arn:aws:iam::{ACCOUNT}:role/matrix")
                }
                "Policy" => r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
                "PolicyName" => "default".to_owned(),
                // `RegionType` has a pattern that "a" does not match.
                "ReplicaRegion" | "PrimaryRegion" => "eu-west-1".to_owned(),
                _ => "a".repeat(min.unwrap_or(1).max(1) as usize),
            };
            Value::String(text)
        }
        "blob" => Value::String(B64.encode(vec![7u8; min.unwrap_or(1).max(4) as usize])),
        "integer" | "long" => json!(min.unwrap_or(1)),
        "boolean" => json!(false),
        "timestamp" => json!(1_700_000_000),
        "list" => {
            let item = s["member"]["shape"].as_str().unwrap();
            let n = min.unwrap_or(1).max(1) as usize;
            Value::Array(
                (0..n)
                    .map(|_| sample(model, item, "", operation, keys))
                    .collect(),
            )
        }
        "map" => json!({"k": "v"}),
        "structure" => structure(model, shape, operation, keys),
        other => panic!("shape type {other}"),
    }
}

/// A structure with its required members.
fn structure(model: &Value, shape: &str, operation: &str, keys: &Keys) -> Value {
    let s = &model["shapes"][shape];
    let mut members = Map::new();
    for name in s["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        let member_shape = s["members"][name]["shape"].as_str().unwrap();
        members.insert(
            name.to_owned(),
            sample(model, member_shape, name, operation, keys),
        );
    }
    Value::Object(members)
}

/// A key of origin EXTERNAL, `PendingImport` until material is imported into it.
async fn create_external(
    client: &aws_sdk_kms::Client,
    spec: KeySpec,
    usage: KeyUsageType,
) -> String {
    let created = client
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .origin(aws_sdk_kms::types::OriginType::External)
        .send()
        .await
        .unwrap();
    let metadata = created.key_metadata.unwrap();
    assert_eq!(
        metadata.key_state,
        Some(aws_sdk_kms::types::KeyState::PendingImport)
    );
    metadata.key_id
}

/// The request of `operation` that the cases change one thing of: its required members, and
/// what the operation's own rules need besides (so that a case fails on its change alone).
fn base_request(model: &Value, operation: &str, keys: &Keys) -> Value {
    let input = model["operations"][operation]["input"]["shape"]
        .as_str()
        .unwrap();
    let mut base = structure(model, input, operation, keys);
    let members = base.as_object_mut().unwrap();
    match operation {
        "Decrypt" | "ReEncrypt" => {
            members.insert("CiphertextBlob".into(), json!(keys.ciphertext));
        }
        "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
            members.insert("KeySpec".into(), json!("AES_256"));
        }
        "RetireGrant" => {
            members.insert("GrantId".into(), json!("0".repeat(64)));
        }
        "UpdateAlias" => {
            members.insert("AliasName".into(), json!("alias/matrix-kept"));
        }
        // The default ExpirationModel is KEY_MATERIAL_EXPIRES, which needs a ValidTo.
        "ImportKeyMaterial" => {
            members.insert(
                "ExpirationModel".into(),
                json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
            );
        }
        _ => {}
    }
    base
}

/// A value of the wrong JSON type for `shape`.
fn wrong_type(model: &Value, shape: &str) -> Value {
    match model["shapes"][shape]["type"].as_str().unwrap() {
        "string" | "blob" | "list" | "map" | "structure" => json!(12),
        "integer" | "long" | "timestamp" => json!("twelve"),
        "boolean" => json!("yes"),
        other => panic!("shape type {other}"),
    }
}

/// The model-driven cases of one operation.
fn model_cases(model: &Value, operation: &str, keys: &Keys, supported: bool) -> Vec<Case> {
    let input = model["operations"][operation]["input"]["shape"].as_str();
    let mut cases = Vec::new();
    let mut add = |what: String, body: Value, expected: Expect| {
        let expected = if supported {
            expected
        } else {
            expect("UnsupportedOperationException")
        };
        cases.push(Case {
            operation: operation.to_owned(),
            what,
            body,
            expect: expected,
        });
    };
    let Some(input) = input else {
        return cases;
    };
    let shape = &model["shapes"][input];
    let required: Vec<&str> = shape["required"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap())
        .collect();
    let base = base_request(model, operation, keys);
    if !required.is_empty() {
        add(
            "empty object".into(),
            json!({}),
            expect("ValidationException"),
        );
    }
    for name in &required {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(*name);
        add(
            format!("{name} missing"),
            body,
            expect("ValidationException"),
        );
    }
    let members = shape["members"].as_object().unwrap();
    for (name, member) in members {
        let member_shape = member["shape"].as_str().unwrap();
        let s = &model["shapes"][member_shape];
        let with = |value: Value| {
            let mut body = base.clone();
            body.as_object_mut().unwrap().insert(name.clone(), value);
            body
        };
        add(
            format!("{name} of the wrong JSON type"),
            with(wrong_type(model, member_shape)),
            expect("SerializationException"),
        );
        let (min, max) = (s["min"].as_i64(), s["max"].as_i64());
        match s["type"].as_str().unwrap() {
            "string" if s["enum"].is_array() => {
                add(
                    format!("{name} not in its enum"),
                    with(json!("NOT_A_VALUE")),
                    expect("ValidationException"),
                );
            }
            "string" => {
                if let Some(min) = min.filter(|m| *m > 0) {
                    add(
                        format!("{name} shorter than {min}"),
                        with(json!("a".repeat(min as usize - 1))),
                        expect("ValidationException"),
                    );
                }
                if let Some(max) = max {
                    add(
                        format!("{name} longer than {max}"),
                        with(json!("a".repeat(max as usize + 1))),
                        expect("ValidationException"),
                    );
                }
            }
            "blob" => {
                add(
                    format!("{name} not base64"),
                    with(json!("not base64!")),
                    expect("SerializationException"),
                );
                if let Some(min) = min.filter(|m| *m > 0) {
                    add(
                        format!("{name} shorter than {min} bytes"),
                        with(json!(B64.encode(vec![1u8; min as usize - 1]))),
                        expect("ValidationException"),
                    );
                }
                if let Some(max) = max {
                    add(
                        format!("{name} longer than {max} bytes"),
                        with(json!(B64.encode(vec![1u8; max as usize + 1]))),
                        expect("ValidationException"),
                    );
                }
            }
            "integer" | "long" => {
                if let Some(min) = min {
                    add(
                        format!("{name} below {min}"),
                        with(json!(min - 1)),
                        expect("ValidationException"),
                    );
                }
                if let Some(max) = max {
                    add(
                        format!("{name} above {max}"),
                        with(json!(max + 1)),
                        expect("ValidationException"),
                    );
                }
            }
            "list" => {
                let item = s["member"]["shape"].as_str().unwrap();
                if model["shapes"][item]["enum"].is_array() {
                    add(
                        format!("{name} with an item not in its enum"),
                        with(json!(["NOT_A_VALUE"])),
                        expect("ValidationException"),
                    );
                }
                if let Some(max) = max {
                    let one = sample(model, item, "", operation, keys);
                    add(
                        format!("{name} with more than {max} items"),
                        with(Value::Array(vec![one; max as usize + 1])),
                        expect("ValidationException"),
                    );
                }
            }
            _ => {}
        }
    }
    cases
}

/// The key cases of one operation: keys that do not exist or live elsewhere.
fn key_cases(model: &Value, operation: &str, keys: &Keys) -> Vec<Case> {
    let input = model["operations"][operation]["input"]["shape"]
        .as_str()
        .unwrap();
    let members = &model["shapes"][input]["members"];
    let Some(member) = KEY_MEMBERS
        .iter()
        .find(|m| members.get(**m).is_some() && **m != "SourceKeyId")
    else {
        return Vec::new();
    };
    let base = base_request(model, operation, keys);
    let own = keys.for_operation(operation);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let mut cases = Vec::new();
    for (what, key_ref, message) in [
        (
            "unknown key",
            unknown.to_owned(),
            Some(key_not_found(unknown)),
        ),
        ("malformed key id", "not-a-key-id".to_owned(), None),
        (
            "alias that does not exist",
            "alias/no-such-alias".to_owned(),
            None,
        ),
        (
            "key ARN of another account",
            format!("arn:aws:kms:{REGION}:111122223333:key/{own}"),
            None,
        ),
        (
            "key ARN of another region",
            format!("arn:aws:kms:eu-west-3:{ACCOUNT}:key/{own}"),
            None,
        ),
        (
            "key ARN of another partition",
            format!("arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/{own}"),
            None,
        ),
    ] {
        let mut body = base.clone();
        body[*member] = json!(key_ref);
        let expected = match what {
            // Operations that take aliases say the alias is missing.
            "alias that does not exist" if takes_aliases(operation) => Expect {
                message: Some(alias_not_found("alias/no-such-alias")),
                ..expect("NotFoundException")
            },
            // Those that name a key to attach or look up refuse an alias as such.
            "alias that does not exist" if refuses_aliases(operation) => Expect {
                message: Some(
                    "Aliases are not supported for this operation; specify a key ID or key ARN."
                        .into(),
                ),
                ..expect("ValidationException")
            },
            _ => Expect {
                message,
                ..expect("NotFoundException")
            },
        };
        cases.push(Case {
            operation: operation.to_owned(),
            what: format!("{member}: {what}"),
            body,
            expect: expected,
        });
    }
    cases
}

/// Whether the operation refuses an alias in its key member with ValidationException (rather
/// than NotFoundException's "Invalid keyId").
fn refuses_aliases(operation: &str) -> bool {
    matches!(
        operation,
        "CreateAlias" | "UpdateAlias" | "GetKeyLastUsage" | "ListAliases"
    )
}

/// Whether the operation's `KeyId` may be an alias (AWS's API Reference).
fn takes_aliases(operation: &str) -> bool {
    matches!(
        operation,
        "Encrypt"
            | "Decrypt"
            | "ReEncrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext"
            | "Sign"
            | "Verify"
            | "GetPublicKey"
            | "GenerateMac"
            | "VerifyMac"
            | "DeriveSharedSecret"
            | "DescribeKey"
            | "Encapsulate"
            | "Decapsulate"
    )
}

/// Keys in states the operation refuses, with AWS's error (the key state table of the AWS
/// KMS Developer Guide): cryptographic operations refuse a disabled key with
/// DisabledException and a key pending deletion with KMSInvalidStateException; management
/// operations that change a key refuse a key pending deletion.
fn state_cases(model: &Value, operation: &str, keys: &Keys) -> Vec<Case> {
    let cryptographic = [
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "Sign",
        "GetPublicKey",
    ];
    let refuse_pending = [
        "EnableKey",
        "DisableKey",
        "UpdateKeyDescription",
        "TagResource",
        "UntagResource",
        "EnableKeyRotation",
        "DisableKeyRotation",
        "RotateKeyOnDemand",
        "CreateGrant",
        "CreateAlias",
        "ScheduleKeyDeletion",
    ];
    let signing = matches!(operation, "Sign" | "GetPublicKey");
    let (disabled, pending, awaiting) = if signing {
        (
            &keys.disabled_sign,
            &keys.pending_sign,
            &keys.awaiting_import_sign,
        )
    } else {
        (&keys.disabled, &keys.pending, &keys.awaiting_import)
    };
    let mut states = Vec::new();
    if cryptographic.contains(&operation) {
        states.push((
            "disabled key",
            disabled,
            "DisabledException",
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{disabled} is disabled."),
        ));
    }
    if cryptographic.contains(&operation) || refuse_pending.contains(&operation) {
        states.push((
            "key pending deletion",
            pending,
            "KMSInvalidStateException",
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{pending} is pending deletion."),
        ));
    }
    // A key in a disconnected custom key store is Unavailable to cryptography (custom key
    // stores hold symmetric encryption keys only).
    if cryptographic.contains(&operation) && !signing {
        states.push((
            "unavailable key",
            &keys.unavailable,
            "KMSInvalidStateException",
            format!(
                "arn:aws:kms:{REGION}:{ACCOUNT}:key/{} is unavailable.",
                keys.unavailable
            ),
        ));
    }
    // A key still waiting for its material is KMSInvalidStateException to cryptography and
    // to EnableKey (the key state table's PendingImport column).
    if cryptographic.contains(&operation) || operation == "EnableKey" {
        states.push((
            "key pending import",
            awaiting,
            "KMSInvalidStateException",
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{awaiting} is pending import."),
        ));
    }
    if states.is_empty() {
        return Vec::new();
    }
    let base = base_request(model, operation, keys);
    let member = if operation == "CreateAlias" {
        "TargetKeyId"
    } else {
        "KeyId"
    };
    states
        .into_iter()
        .map(|(what, key, error, message)| {
            let mut body = base.clone();
            body[member] = json!(key);
            if operation == "CreateAlias" {
                body["AliasName"] = json!("alias/matrix-state");
            }
            Case {
                operation: operation.to_owned(),
                what: what.to_owned(),
                body,
                expect: Expect {
                    message: Some(message),
                    ..expect(error)
                },
            }
        })
        .collect()
}

/// A key in an AWS CloudHSM key store that was connected, then disconnected: `Unavailable`.
async fn unavailable_key(server: &TestServer) -> String {
    let client = server.client();
    let store = client
        .create_custom_key_store()
        .custom_key_store_name("matrix")
        .cloud_hsm_cluster_id("cluster-matrixabcdef")
        .trust_anchor_certificate("cert")
        .key_store_password("matrixPassword")
        .send()
        .await
        .unwrap()
        .custom_key_store_id
        .unwrap();
    let connect = client
        .connect_custom_key_store()
        .custom_key_store_id(&store);
    connect.send().await.unwrap();
    server.advance(5).await;
    let key = client
        .create_key()
        .custom_key_store_id(&store)
        .origin(aws_sdk_kms::types::OriginType::AwsCloudhsm)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let disconnect = client
        .disconnect_custom_key_store()
        .custom_key_store_id(&store);
    disconnect.send().await.unwrap();
    server.advance(5).await;
    key
}

/// Everything a bad request must not change: keys and their metadata, aliases, tags, grants,
/// custom key stores.
async fn snapshot(conn: &mut KeepAlive, keys: &Keys) -> BTreeMap<String, Value> {
    let mut seen = BTreeMap::new();
    seen.insert("ListKeys".into(), conn.kms("ListKeys", &json!({})).await.1);
    seen.insert(
        "DescribeCustomKeyStores".into(),
        conn.kms("DescribeCustomKeyStores", &json!({})).await.1,
    );
    seen.insert(
        "ListAliases".into(),
        conn.kms("ListAliases", &json!({})).await.1,
    );
    for key in keys.all() {
        let body = json!({"KeyId": key});
        for op in [
            "DescribeKey",
            "ListResourceTags",
            "ListGrants",
            "GetKeyPolicy",
        ] {
            let body = if op == "GetKeyPolicy" {
                json!({"KeyId": key, "PolicyName": "default"})
            } else {
                body.clone()
            };
            seen.insert(format!("{op} {key}"), conn.kms(op, &body).await.1);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_refuses_bad_input_and_changes_nothing() {
    let Some(model) = kms_model() else {
        return;
    };
    let server = TestServer::start().await;
    let client = server.client();
    let symmetric = create_key(&client).await;
    create_alias(&client, "alias/matrix-kept", &symmetric).await;
    client
        .tag_resource()
        .key_id(&symmetric)
        .tags(tag("team", "matrix"))
        .send()
        .await
        .unwrap();
    client
        .create_grant()
        .key_id(&symmetric)
        .grantee_principal(format!("arn:aws:iam::{ACCOUNT}:role/kept"))
        .operations(aws_sdk_kms::types::GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let sign = create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let keys = Keys {
        symmetric,
        sign,
        hmac: create_key_with(&client, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await,
        agreement: create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await,
        kem: create_key_with(
            &client,
            KeySpec::MlKem768,
            KeyUsageType::EncapsulateDecapsulate,
        )
        .await,
        disabled: create_key(&client).await,
        pending: create_key(&client).await,
        disabled_sign: create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify)
            .await,
        pending_sign: create_key_with(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify)
            .await,
        awaiting_import: create_external(
            &client,
            KeySpec::SymmetricDefault,
            KeyUsageType::EncryptDecrypt,
        )
        .await,
        awaiting_import_sign: create_external(
            &client,
            KeySpec::EccNistP256,
            KeyUsageType::SignVerify,
        )
        .await,
        unavailable: unavailable_key(&server).await,
        ciphertext: String::new(),
    };
    let keys = Keys {
        ciphertext: B64.encode(
            encrypt(&client, &keys.symmetric, b"matrix")
                .await
                .into_inner(),
        ),
        ..keys
    };
    for key in [&keys.disabled, &keys.disabled_sign] {
        client.disable_key().key_id(key).send().await.unwrap();
    }
    for key in [&keys.pending, &keys.pending_sign] {
        schedule_deletion(&client, key, Some(7)).await;
    }

    let supported: Vec<String> = {
        // The operations kmsd implements: those that do not answer UnsupportedOperation to a
        // request without members.
        let mut conn = KeepAlive::open(server.addr).await;
        let mut names = Vec::new();
        for op in model["operations"].as_object().unwrap().keys() {
            let (_, answer) = conn.kms(op, &json!({})).await;
            if answer["__type"] != "UnsupportedOperationException" {
                names.push(op.clone());
            }
        }
        names
    };
    assert!(supported.len() >= 40, "{supported:?}");

    let mut cases = Vec::new();
    for operation in model["operations"].as_object().unwrap().keys() {
        let is_supported = supported.contains(operation);
        let empty = if is_supported {
            let required = model["operations"][operation]["input"]["shape"]
                .as_str()
                .is_some_and(|s| {
                    model["shapes"][s]["required"]
                        .as_array()
                        .is_some_and(|r| !r.is_empty())
                });
            required.then(|| expect("ValidationException"))
        } else {
            Some(expect("UnsupportedOperationException"))
        };
        if let Some(expected) = empty {
            cases.push(Case {
                operation: operation.clone(),
                what: "empty body".into(),
                body: Value::Null,
                expect: expected,
            });
        }
        cases.extend(model_cases(&model, operation, &keys, is_supported));
        if is_supported {
            cases.extend(key_cases(&model, operation, &keys));
            cases.extend(state_cases(&model, operation, &keys));
        }
    }

    let mut conn = KeepAlive::open(server.addr).await;
    let before = snapshot(&mut conn, &keys).await;
    let mut failures = Vec::new();
    for case in &cases {
        let body = match &case.body {
            Value::Null => String::new(),
            body => body.to_string(),
        };
        let (status, answer) = conn.call(&case.operation, &body, &[]).await;
        let e = &case.expect;
        let message_ok = e
            .message
            .as_ref()
            .is_none_or(|m| answer["message"].as_str() == Some(m.as_str()));
        if status != e.status || answer["__type"] != e.error || !message_ok {
            failures.push(format!(
                "{} / {}: expected {} {}{}, got {status} {answer}",
                case.operation,
                case.what,
                e.status,
                e.error,
                e.message
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ));
        }
        let after = snapshot(&mut conn, &keys).await;
        if after != before {
            let changed: Vec<_> = after
                .iter()
                .filter(|(k, v)| before.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .collect();
            panic!(
                "{} / {} changed {changed:?} (answer {status} {answer})",
                case.operation, case.what
            );
        }
    }
    eprintln!(
        "matrix: {} cases over {} operations",
        cases.len(),
        model["operations"].as_object().unwrap().len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases answered otherwise:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    server.stop().await;
}
