use super::*;

#[test]
fn formats_are_told_apart_by_the_shape_of_keys() {
    let home = Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let native = "Keys:\n  - KeyId: 11111111-1111-4111-8111-111111111111\n    KeyMaterial: \
                  '0101010101010101010101010101010101010101010101010101010101010101'\n";
    assert_eq!(parse(native, &home).unwrap().keys.len(), 1);
    // Hex made only of digits is still hex, not a number, even unquoted.
    let unquoted = native.replace('\'', "");
    let plan = parse(&unquoted, &home).unwrap();
    let material = plan.keys[0].materials[0].1.to_stored_bytes().unwrap();
    assert_eq!(material, vec![1u8; 32]);
    let bad = unquoted.replace("KeyMaterial", "KeyMaterail");
    let problem = parse(&bad, &home).unwrap_err();
    assert!(problem.reason.contains("KeyMaterail"), "{}", problem.reason);
    assert_eq!(problem.line, Some(3));
    let local = "Keys:\n  Symmetric:\n    Aes:\n      - Metadata: {KeyId: \
                 11111111-1111-4111-8111-111111111111}\n        BackingKeys: \
                 ['0101010101010101010101010101010101010101010101010101010101010101']\n";
    assert_eq!(parse(local, &home).unwrap().keys.len(), 1);
    assert_eq!(parse("", &home).unwrap().keys.len(), 0);
}

#[test]
fn multi_region_entries_name_their_own_region() {
    let home = Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let entry = |id: &str, config: &str| {
        format!(
            "Keys:\n  - KeyId: {id}\n    KeyMaterial: \
             '0101010101010101010101010101010101010101010101010101010101010101'\n    \
             MultiRegion: {config}\n"
        )
    };
    let mrk = "mrk-0123456789abcdef0123456789abcdef";
    let plan = parse(
        &entry(
            mrk,
            "{PrimaryRegion: eu-west-1, ReplicaRegions: [us-east-1]}",
        ),
        &home,
    )
    .unwrap();
    let config = plan.keys[0].multi_region.as_ref().unwrap();
    assert_eq!(config.primary.as_str(), "eu-west-1");
    assert_eq!(config.replicas.len(), 1);
    let problem = parse(&entry(mrk, "{PrimaryRegion: eu-west-1}"), &home).unwrap_err();
    assert!(problem.reason.contains("us-east-1"), "{}", problem.reason);
    let single = "11111111-1111-4111-8111-111111111111";
    let problem = parse(&entry(single, "{PrimaryRegion: us-east-1}"), &home).unwrap_err();
    assert!(problem.reason.contains("mrk-"), "{}", problem.reason);
}

#[test]
fn imported_materials_are_seeded_with_their_states() {
    use crate::kms::testing::{describe, home as kms_home, in_memory};
    use crate::model::{KeyMaterialState, KeyState};
    let kms = in_memory();
    let absent = "2b".repeat(32);
    let yaml = format!(
        "Keys:
  - KeyId: 11111111-1111-4111-8111-111111111111
    Origin: EXTERNAL
    KeyMaterials:
      - {{Material: '{}', ValidTo: '2099-01-31T00:00:00Z', Description: first}}
      - {{Id: '{absent}', State: NON_CURRENT}}
      - {{Material: '{}', State: PENDING_ROTATION}}
  - KeyId: 22222222-2222-4222-8222-222222222222
    Origin: EXTERNAL
    KeyMaterials:
      - {{Material: '{}', ValidTo: '2099-01-31T00:00:00Z'}}
",
        "01".repeat(32),
        "02".repeat(32),
        "03".repeat(32)
    );
    let plan = parse(&yaml, &kms_home()).unwrap();
    kms.seed(plan).unwrap();
    let keys = kms.snapshot().keys;
    let (waiting, complete) = (&keys[0], &keys[1]);
    let states: Vec<_> = waiting
        .imports()
        .materials
        .iter()
        .map(|m| m.state)
        .collect();
    assert_eq!(
        states,
        [
            KeyMaterialState::Current,
            KeyMaterialState::NonCurrent,
            KeyMaterialState::PendingRotation
        ]
    );
    assert_eq!(waiting.imports().materials[1].id.to_string(), absent);
    assert!(!waiting.imports().materials[1].imported);
    assert_eq!(
        waiting.imports().materials[0].description.as_deref(),
        Some("first")
    );
    // A permanent material is missing: the key waits for it.
    assert_eq!(
        describe(&kms, waiting).unwrap().state,
        KeyState::PendingImport
    );
    assert_eq!(complete.state, KeyState::Enabled);
    assert_eq!(
        complete.imports().earliest_valid_to(),
        Timestamp::parse_rfc3339("2099-01-31T00:00:00Z")
    );

    // Only multi-Region keys wait for material in other regions.
    let single_region = format!(
        "Keys:\n  - KeyId: 33333333-3333-4333-8333-333333333333\n    Origin: EXTERNAL\n    \
         KeyMaterials: [{{Material: '{}'}}, {{Material: '{}', State: \
         PENDING_MULTI_REGION_IMPORT_AND_ROTATION}}]\n",
        "01".repeat(32),
        "02".repeat(32)
    );
    let plan = parse(&single_region, &kms_home()).unwrap();
    let refused = kms.seed(plan).unwrap_err().to_string();
    assert!(refused.contains("only a multi-Region key"), "{refused}");

    // Material without its Id cannot be absent, and only EXTERNAL keys take import fields.
    for broken in [
        "Keys:\n  - KeyId: 33333333-3333-4333-8333-333333333333\n    Origin: EXTERNAL\n    \
         KeyMaterials: [{State: CURRENT}]\n",
        "Keys:\n  - KeyId: 33333333-3333-4333-8333-333333333333\n    KeyMaterials: \
         [{Material: '0101010101010101010101010101010101010101010101010101010101010101', \
         State: CURRENT}]\n",
    ] {
        let failed = parse(broken, &kms_home()).map(|plan| kms.seed(plan));
        assert!(!matches!(failed, Ok(Ok(_))), "{broken}");
    }
}

const IDENTITIES: &str = r#"identities:
  - accessKeyId: AKIAEXAMPLEADMIN0001
    secretAccessKey: admin-secret
    account: 111122223333
    principal: arn:aws:iam::111122223333:role/Admin
    tags: {team: platform}
    policy:
      Version: "2012-10-17"
      Statement: [{Effect: Allow, Action: "kms:*", Resource: "*"}]
  - accessKeyId: ASIAEXAMPLESESSION01
    secretAccessKey: session-secret
    sessionToken: optional-token
    account: "111122223333"
    principal: arn:aws:sts::111122223333:assumed-role/App/i-0abc
    policy: '{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}'
  - accessKeyId: AKIAEXAMPLEROOT00001
    secretAccessKey: root-secret
    account: "444455556666"
    principal: arn:aws:iam::444455556666:root
"#;

#[test]
fn identities_files_are_read_with_policies_as_yaml_or_json() {
    let identities = identities::parse_identities(IDENTITIES).unwrap();
    assert_eq!(identities.len(), 3);
    let admin = identities.get("AKIAEXAMPLEADMIN0001").unwrap();
    assert_eq!(admin.account.as_str(), "111122223333");
    assert_eq!(admin.tags.get("team").map(String::as_str), Some("platform"));
    assert_eq!(admin.policy.as_ref().unwrap().statements.len(), 1);
    let session = identities.get("ASIAEXAMPLESESSION01").unwrap();
    assert_eq!(session.session_token.as_deref(), Some("optional-token"));
    assert!(session.policy.is_some());
    let root = identities.get("AKIAEXAMPLEROOT00001").unwrap();
    assert!(root.policy.is_none());
    assert!(root.as_principal().is_root());
    assert!(identities.get("AKIAUNKNOWN").is_none());
}

#[test]
fn broken_identities_files_name_the_line_and_the_reason() {
    for (change, line, why) in [
        (("role/Admin", "group/Admin"), 5, "not an account root"),
        (
            ("account: 111122223333", "account: 1111"),
            4,
            "not 12 digits",
        ),
        (
            ("ASIAEXAMPLESESSION01", "AKIAEXAMPLEADMIN0001"),
            10,
            "already given on line 2",
        ),
        (("Action: \"kms:*\"", "Acton: \"kms:*\""), 8, "Acton"),
        (
            ("assumed-role/App/i-0abc", "assumed-role/App"),
            14,
            "assumed-role session",
        ),
        (
            (
                "arn:aws:iam::444455556666:root",
                "arn:aws:iam::111122223333:root",
            ),
            19,
            "not in account 444455556666",
        ),
        (("sessionToken", "sesionToken"), 12, "sesionToken"),
    ] {
        let text = IDENTITIES.replacen(change.0, change.1, 1);
        let problem = identities::parse_identities(&text).unwrap_err();
        assert!(
            problem.reason.contains(why),
            "{change:?}: {}",
            problem.reason
        );
        assert_eq!(problem.line, Some(line), "{change:?}: {}", problem.reason);
    }
}

/// A seed with a connected CloudHSM key store and a disconnected external key store, each
/// with one key.
fn key_store_seed() -> String {
    format!(
        "CustomKeyStores:
  - CustomKeyStoreId: cks-0123456789abcdef0
    CustomKeyStoreName: hsm
    CloudHsmClusterId: cluster-2a23b4cdefg
    TrustAnchorCertificate: anchor
    KeyStorePassword: kmsPswd1
    ConnectionState: CONNECTED
  - CustomKeyStoreId: cks-0123456789abcdef1
    CustomKeyStoreName: xks
    CustomKeyStoreType: EXTERNAL_KEY_STORE
    XksProxyUriEndpoint: https://xks.example.com
    XksProxyUriPath: /kms/xks/v1
    XksProxyConnectivity: PUBLIC_ENDPOINT
    XksProxyAuthenticationCredential:
      AccessKeyId: ABCDE23456723EXAMPLE
      RawSecretAccessKey: DXjSUawnel2fr6SKC7G25CNxTyWKE5PF9XX6H/u9pSo=
Keys:
  - KeyId: 11111111-1111-4111-8111-111111111111
    Origin: AWS_CLOUDHSM
    CustomKeyStoreId: cks-0123456789abcdef0
    KeyMaterial: '{}'
  - KeyId: 22222222-2222-4222-8222-222222222222
    Origin: EXTERNAL_KEY_STORE
    CustomKeyStoreId: cks-0123456789abcdef1
    XksKeyId: external-key-1
    KeyMaterial: '{}'
",
        "01".repeat(32),
        "02".repeat(32)
    )
}

#[test]
fn custom_key_stores_are_seeded_in_their_state_with_their_keys_idempotently() {
    use crate::kms::testing::{describe, encrypt, home as kms_home, in_memory};
    use crate::model::{ConnectionState, KeyBacking, KeyState};
    let kms = in_memory();
    let report = kms
        .seed(parse(&key_store_seed(), &kms_home()).unwrap())
        .unwrap();
    assert_eq!((report.key_stores_created, report.keys_created), (2, 2));
    let snapshot = kms.snapshot();
    let states: Vec<_> = snapshot.key_stores.iter().map(|(_, _, s)| *s).collect();
    assert_eq!(
        states,
        [ConnectionState::Connected, ConnectionState::Disconnected]
    );
    let (hsm_key, xks_key) = (&snapshot.keys[0], &snapshot.keys[1]);
    let link = hsm_key.custom_key_store.as_ref().unwrap();
    assert_eq!(
        link.backing,
        KeyBacking::CloudHsmCluster("cluster-2a23b4cdefg".into())
    );
    assert_eq!(
        describe(&kms, hsm_key).unwrap().visible_state(),
        KeyState::Enabled
    );
    encrypt(&kms, hsm_key, b"in the HSM").unwrap();
    let link = xks_key.custom_key_store.as_ref().unwrap();
    assert_eq!(link.backing, KeyBacking::XksKey("external-key-1".into()));
    assert_eq!(
        describe(&kms, xks_key).unwrap().visible_state(),
        KeyState::Unavailable
    );
    assert!(encrypt(&kms, xks_key, b"refused").is_err());

    let again = kms
        .seed(parse(&key_store_seed(), &kms_home()).unwrap())
        .unwrap();
    assert_eq!((again.key_stores_created, again.keys_unchanged), (0, 2));
    assert_eq!(kms.snapshot().key_stores.len(), 2);

    // A FAILED store keeps its error code through export and seed, as do the others their
    // settings, secrets and dates.
    let failed = in_memory();
    let seed = key_store_seed().replace(
        "ConnectionState: CONNECTED",
        "ConnectionState: FAILED\n    ConnectionErrorCode: USER_LOCKED_OUT",
    );
    failed.seed(parse(&seed, &kms_home()).unwrap()).unwrap();
    let text = export(&failed, &ExportFilter::default()).unwrap();
    assert!(
        text.contains("ConnectionErrorCode: USER_LOCKED_OUT"),
        "{text}"
    );
    let copy = in_memory();
    copy.seed(parse(&text, &kms_home()).unwrap()).unwrap();
    // Everything but the time the connection settled.
    let stores = |kms: &crate::kms::Kms| -> Vec<_> {
        kms.snapshot()
            .key_stores
            .into_iter()
            .map(|(_, s, state)| (s.id, s.name, s.created, s.kind, state))
            .collect()
    };
    assert_eq!(stores(&copy), stores(&failed));
    assert_eq!(stores(&copy)[0].4, ConnectionState::Failed);
}

#[test]
fn broken_custom_key_store_entries_name_their_line() {
    use crate::kms::testing::{home as kms_home, in_memory};
    let seed = key_store_seed();
    let problem = |text: String| parse(&text, &kms_home()).unwrap_err();

    // A key names a store the file does not declare.
    let unknown = problem(seed.replace(
        "CustomKeyStoreId: cks-0123456789abcdef0\n    KeyMaterial",
        "CustomKeyStoreId: cks-0123456789abcdef9\n    KeyMaterial",
    ));
    assert_eq!(unknown.line, Some(18), "{}", unknown.reason);
    assert!(
        unknown.reason.contains("cks-0123456789abcdef9"),
        "{}",
        unknown.reason
    );
    // Invalid settings: the cluster id, a password too short, a proxy path, a store id.
    for (from, to, reason) in [
        ("cluster-2a23b4cdefg", "cluster-1", "CloudHsmClusterId"),
        ("kmsPswd1", "short", "KeyStorePassword"),
        ("/kms/xks/v1", "/kms/xks/v123", "XksProxyUriPath"),
        ("https://xks", "http://xks", "XksProxyUriEndpoint"),
        (
            "- CustomKeyStoreId: cks-0123456789abcdef0",
            "- CustomKeyStoreId: cks-1",
            "cks-",
        ),
        (
            "ConnectionState: CONNECTED",
            "ConnectionState: FAILED",
            "ConnectionErrorCode",
        ),
        (
            "ConnectionState: CONNECTED",
            "ConnectionState: CONNECTING",
            "CONNECTING",
        ),
        ("    KeyStorePassword: kmsPswd1\n", "", "KeyStorePassword"),
    ] {
        let broken = problem(seed.replacen(from, to, 1));
        let line = if from.contains("xks") { 8 } else { 2 };
        assert_eq!(broken.line, Some(line), "{from}: {}", broken.reason);
        assert!(broken.reason.contains(reason), "{from}: {}", broken.reason);
    }
    // A key in a store has the store's origin, and a key with a store's origin has a store.
    let mismatch = problem(seed.replacen("Origin: AWS_CLOUDHSM", "Origin: EXTERNAL_KEY_STORE", 1));
    assert!(
        mismatch.reason.contains("AWS_CLOUDHSM"),
        "{}",
        mismatch.reason
    );
    let storeless = problem(seed.replacen(
        "    CustomKeyStoreId: cks-0123456789abcdef0\n    KeyMaterial",
        "    KeyMaterial",
        1,
    ));
    assert_eq!(storeless.line, Some(18), "{}", storeless.reason);
    assert!(
        storeless.reason.contains("CustomKeyStoreId"),
        "{}",
        storeless.reason
    );

    // Rules that need the server's state: a store whose name is taken, and one external key
    // behind two KMS keys.
    let kms = in_memory();
    kms.seed(parse(&seed, &kms_home()).unwrap()).unwrap();
    let renamed = seed.replace("cks-0123456789abcdef1", "cks-0123456789abcdef2");
    let refused = kms
        .seed(parse(&renamed, &kms_home()).unwrap())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("xks"), "{refused}");
    let twice = seed
        + &format!(
            "  - KeyId: 33333333-3333-4333-8333-333333333333\n    Origin: EXTERNAL_KEY_STORE\n    \
         CustomKeyStoreId: cks-0123456789abcdef1\n    XksKeyId: external-key-1\n    \
         KeyMaterial: '{}'\n",
            "03".repeat(32)
        );
    let refused = in_memory()
        .seed(parse(&twice, &kms_home()).unwrap())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("external-key-1"), "{refused}");
}
