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
