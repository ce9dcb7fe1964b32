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
