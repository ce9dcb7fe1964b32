use super::*;

#[test]
fn every_enum_spelling_round_trips() {
    for v in KeySpec::ALL {
        assert_eq!(KeySpec::parse(v.as_str()), Some(*v));
    }
    for v in KeyUsage::ALL {
        assert_eq!(KeyUsage::parse(v.as_str()), Some(*v));
    }
    for v in KeyState::ALL {
        assert_eq!(KeyState::parse(v.as_str()), Some(*v));
    }
    for v in Origin::ALL {
        assert_eq!(Origin::parse(v.as_str()), Some(*v));
    }
    for v in EncryptionAlgorithm::ALL {
        assert_eq!(EncryptionAlgorithm::parse(v.as_str()), Some(*v));
    }
    assert_eq!(KeySpec::Rsa2048.as_str(), "RSA_2048");
    assert_eq!(KeySpec::EccSecgP256k1.as_str(), "ECC_SECG_P256K1");
    assert_eq!(KeySpec::parse("rsa_2048"), None);
    assert_eq!(KeySpec::ALL.len(), 20);
    assert_eq!(KeySpec::MlKem1024.as_str(), "ML_KEM_1024");
    assert_eq!(
        KeyUsage::EncapsulateDecapsulate.as_str(),
        "ENCAPSULATE_DECAPSULATE"
    );
    for v in DataKeyPairSpec::ALL {
        assert_eq!(DataKeyPairSpec::parse(v.as_str()), Some(*v));
    }
    assert_eq!(
        EncapsulationAlgorithm::parse("ML_KEM"),
        Some(EncapsulationAlgorithm::MlKem)
    );
}

#[test]
fn key_ref_parsing() {
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(KeyRef::parse(id), KeyRef::Id(id.into()));
    assert_eq!(KeyRef::parse("alias/x"), KeyRef::Alias("alias/x".into()));
    assert_eq!(
        KeyRef::parse(&format!("arn:aws:kms:eu-west-1:111122223333:key/{id}")),
        KeyRef::Arn {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "111122223333".into(),
            key_id: id.into()
        }
    );
    assert_eq!(
        KeyRef::parse("arn:aws:kms:eu-west-1:111122223333:alias/a/b"),
        KeyRef::AliasArn {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "111122223333".into(),
            name: "alias/a/b".into()
        }
    );
    assert_eq!(
        KeyRef::parse(&format!("arn:aws-cn:kms:cn-north-1:111122223333:key/{id}")),
        KeyRef::Arn {
            partition: "aws-cn".into(),
            region: "cn-north-1".into(),
            account: "111122223333".into(),
            key_id: id.into()
        }
    );
    assert_eq!(
        KeyArn::parse(&format!(
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/{id}"
        )),
        None
    );
    assert_eq!(
        KeyRef::parse("arn:aws:s3:::bucket"),
        KeyRef::Id("arn:aws:s3:::bucket".into())
    );
}

#[test]
fn key_id_forms() {
    assert!(KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab").is_some());
    assert!(KeyId::parse("mrk-1234abcd12ab34cd56ef1234567890ab").is_some());
    assert!(KeyId::parse("1234ABCD-12ab-34cd-56ef-1234567890ab").is_none());
    assert!(KeyId::parse("1234abcd-12ab-34cd-56ef1234567890ab-").is_none());
    assert!(KeyId::parse("not-a-key").is_none());
    assert!(KeyId::parse(KeyId::generate().as_str()).is_some());
    // Dashes only where a UUID has them; mrk- ids have none after the prefix.
    assert!(KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890a-").is_none());
    assert!(KeyId::parse("1234abcd-12ab-34cd-56e-f1234567890ab").is_none());
    assert!(KeyId::parse("mrk-1234abcd12ab34cd56ef12345678-0ab").is_none());
    assert!(KeyId::parse("mrk-1234abcd12ab34cd56ef1234567890a").is_none());
    assert!(KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab\u{e9}").is_none());
}

#[test]
fn ids_kept_inline_read_as_the_text_they_were_parsed_from() {
    let text = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let id = KeyId::parse(text).unwrap();
    assert_eq!(id.as_str(), text);
    assert_eq!(id.to_string(), text);
    assert_eq!(format!("{id:?}"), format!("KeyId({text:?})"));
    let generated = KeyId::generate();
    assert_eq!(
        uuid::Uuid::parse_str(generated.as_str())
            .unwrap()
            .get_version_num(),
        4
    );
    assert_ne!(generated, KeyId::generate());
    // Ordered as their text is (ListKeys pages in this order).
    let mut texts = vec![
        "ffffffff-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "0000abcd-12ab-34cd-56ef-1234567890ab",
        "1234abcd-12ab-34cd-56ef-1234567890aa",
    ];
    let mut ids: Vec<KeyId> = texts.iter().map(|t| KeyId::parse(t).unwrap()).collect();
    ids.sort();
    texts.sort();
    assert_eq!(ids.iter().map(KeyId::as_str).collect::<Vec<_>>(), texts);

    let account = AccountId::parse("123456789012").unwrap();
    assert_eq!(account.as_str(), "123456789012");
    assert_eq!(format!("{account:?}"), "AccountId(\"123456789012\")");
    let region = Region::parse("eu-west-1").unwrap();
    assert_eq!(region.as_str(), "eu-west-1");
    assert_eq!(region.clone(), region);
}

#[test]
fn account_and_region_parsing() {
    assert!(AccountId::parse("123456789012").is_some());
    assert!(AccountId::parse("12345678901").is_none());
    assert!(AccountId::parse("AKIDEXAMPLE1").is_none());
    assert!(Region::parse("eu-west-1").is_some());
    assert!(Region::parse("EU").is_none());
    assert!(Region::parse("").is_none());
}

#[test]
fn material_id_is_64_lowercase_hex_digits_in_byte_order() {
    let text = MaterialId([0xab; 32]).to_string();
    assert_eq!(text.len(), 64);
    assert!(
        text.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    // Every nibble value in both positions, in order.
    let bytes: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(0x3b) ^ 0xf0);
    let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(MaterialId(bytes).to_string(), expected);
    assert_eq!(
        MaterialId(std::array::from_fn(|i| i as u8)).to_string(),
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    );
}

#[test]
fn key_arn_parsing_round_trips() {
    let text = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let arn = KeyArn::parse(text).unwrap();
    assert_eq!(arn.scope.region.as_str(), "eu-west-1");
    assert_eq!(arn.scope.account.as_str(), "111122223333");
    assert_eq!(arn.to_string(), text);
    for bad in [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:111122223333:alias/x",
        "arn:aws:kms:eu-west-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:111122223333:key/not-a-key-id",
        "arn:aws:kms:EU:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ] {
        assert_eq!(KeyArn::parse(bad), None, "{bad}");
    }
}

#[test]
fn new_enum_spellings_round_trip() {
    for v in RotationType::ALL {
        assert_eq!(RotationType::parse(v.as_str()), Some(*v));
    }
    for v in IncludeKeyMaterial::ALL {
        assert_eq!(IncludeKeyMaterial::parse(v.as_str()), Some(*v));
    }
    for v in UsageOperation::ALL {
        assert_eq!(UsageOperation::parse(v.as_str()), Some(*v));
    }
    assert_eq!(RotationType::OnDemand.as_str(), "ON_DEMAND");
    assert_eq!(
        IncludeKeyMaterial::AllKeyMaterial.as_str(),
        "ALL_KEY_MATERIAL"
    );
    assert_eq!(UsageOperation::ALL.len(), 14);
    assert_eq!(
        UsageOperation::GenerateDataKeyPairWithoutPlaintext.as_str(),
        "GenerateDataKeyPairWithoutPlaintext"
    );
}

#[test]
fn rfc3339_dates_parse_with_offsets_and_fractions() {
    assert_eq!(
        Timestamp::parse_rfc3339("1970-01-01T00:00:00Z"),
        Some(Timestamp(0))
    );
    assert_eq!(
        Timestamp::parse_rfc3339("2030-10-01T12:00:00Z"),
        Some(Timestamp(1_917_086_400_000))
    );
    assert_eq!(
        Timestamp::parse_rfc3339("2030-10-01T14:00:00+02:00"),
        Some(Timestamp(1_917_086_400_000))
    );
    assert_eq!(
        Timestamp::parse_rfc3339("2000-02-29T00:00:00.5Z"),
        Some(Timestamp(951_782_400_500))
    );
    assert_eq!(Timestamp::parse_rfc3339("2030-13-01T00:00:00Z"), None);
    assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
}

#[test]
fn rfc3339_formats_known_instants() {
    assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        Timestamp(951_782_400_000).rfc3339(),
        "2000-02-29T00:00:00.000Z"
    );
    assert_eq!(
        Timestamp(1_795_926_692_396).rfc3339(),
        "2026-11-29T04:31:32.396Z"
    );
    assert_eq!(
        Timestamp(4_102_444_799_999).rfc3339(),
        "2099-12-31T23:59:59.999Z"
    );
}

fn key_store(connection: Connection) -> CustomKeyStore {
    CustomKeyStore {
        id: "cks-0123456789abcdef0".into(),
        name: "store".into(),
        created: Timestamp(0),
        kind: KeyStoreKind::CloudHsm {
            cluster_id: "cluster-abcdefghijk".into(),
            trust_anchor: "cert".into(),
            password: "hunter2-password".into(),
        },
        connection,
        fail_next_connect: None,
    }
}

#[test]
fn a_key_store_settles_five_seconds_after_a_connect_or_disconnect() {
    let at = Timestamp(1_000_000);
    let before_settled = Timestamp(at.0 + KEY_STORE_SETTLE_SECONDS * 1000 - 1);
    let settled = Timestamp(at.0 + KEY_STORE_SETTLE_SECONDS * 1000);
    let connected = key_store(Connection::Connected {
        since: at,
        failure: None,
    });
    assert_eq!(connected.state(before_settled), ConnectionState::Connecting);
    assert_eq!(connected.state(settled), ConnectionState::Connected);
    assert_eq!(connected.connection_error(settled), None);
    let failing = key_store(Connection::Connected {
        since: at,
        failure: Some(ConnectionErrorCode::NetworkErrors),
    });
    assert_eq!(failing.state(before_settled), ConnectionState::Connecting);
    assert_eq!(failing.connection_error(before_settled), None);
    assert_eq!(failing.state(settled), ConnectionState::Failed);
    assert_eq!(
        failing.connection_error(settled),
        Some(ConnectionErrorCode::NetworkErrors)
    );
    let disconnected = key_store(Connection::Disconnected(Some(at)));
    assert_eq!(
        disconnected.state(before_settled),
        ConnectionState::Disconnecting
    );
    assert_eq!(disconnected.state(settled), ConnectionState::Disconnected);
    let new = key_store(Connection::Disconnected(None));
    assert_eq!(new.state(Timestamp(0)), ConnectionState::Disconnected);
    for v in ConnectionErrorCode::ALL {
        assert_eq!(ConnectionErrorCode::parse(v.as_str()), Some(*v));
    }
    assert!(is_key_store_id("cks-0123456789abcdef0"));
    assert!(!is_key_store_id("cks-0123456789abcdef"));
}

#[test]
fn key_store_secrets_stay_out_of_debug_output() {
    let store = key_store(Connection::Disconnected(None));
    assert!(!format!("{store:?}").contains("hunter2"));
    let proxy = XksProxy {
        uri_endpoint: "https://proxy.example.com".into(),
        uri_path: "/kms/xks/v1".into(),
        connectivity: XksProxyConnectivity::PublicEndpoint,
        vpc_endpoint_service_name: None,
        vpc_endpoint_service_owner: None,
        access_key_id: "ABCDE23456723EXAMPLE".into(),
        secret_access_key: "proxy-secret-value".into(),
    };
    assert!(!format!("{proxy:?}").contains("proxy-secret"));
}
