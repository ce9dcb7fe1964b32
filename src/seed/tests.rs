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
