use super::*;
use crate::crypto::asymmetric::PublicKey;
use crate::kms::keys::CreateKeyInput;
use crate::kms::testing::{DAY, cx, decrypt, describe, encrypt, in_memory, kms_in, reference};
use crate::model::{KeyUsage, Operation};

fn create_external(kms: &Kms, spec: KeySpec, usage: KeyUsage) -> Arc<Key> {
    let input = CreateKeyInput {
        spec: Some(spec),
        usage: Some(usage),
        origin: Some(Origin::External),
        ..CreateKeyInput::default()
    };
    kms.create_key(&mut cx(Operation::CreateKey), input)
        .unwrap()
}

fn parameters(
    kms: &Kms,
    key: &Key,
    algorithm: WrappingAlgorithm,
) -> Result<ImportParametersOutput> {
    let input = GetParametersForImportInput {
        key: reference(key),
        algorithm,
        spec: WrappingKeySpec::Rsa2048,
    };
    kms.get_parameters_for_import(&mut cx(Operation::GetParametersForImport), input)
}

/// Wraps `material` as a client would, with the public key alone.
fn wrap(out: &ImportParametersOutput, algorithm: WrappingAlgorithm, material: &[u8]) -> Vec<u8> {
    let public = PublicKey::from_der(KeyPairKind::Rsa(2048), &out.public_key).unwrap();
    match algorithm {
        WrappingAlgorithm::RsaesOaepSha1 => public.encrypt_oaep(Hash::Sha1, material).unwrap(),
        WrappingAlgorithm::RsaesOaepSha256 => public.encrypt_oaep(Hash::Sha256, material).unwrap(),
        WrappingAlgorithm::RsaAesKeyWrapSha256 => {
            let aes: [u8; 32] = crypto::random_array();
            let mut wrapped = public.encrypt_oaep(Hash::Sha256, &aes).unwrap();
            wrapped.extend(key_wrap::wrap_with_padding(&aes, material).unwrap());
            wrapped
        }
        other => panic!("{other}"),
    }
}

fn import_input(
    key: &Key,
    out: &ImportParametersOutput,
    encrypted: Vec<u8>,
    valid_to: Option<Timestamp>,
) -> ImportKeyMaterialInput {
    ImportKeyMaterialInput {
        key: reference(key),
        token: out.token.clone(),
        encrypted,
        valid_to,
        import_type: None,
        description: None,
        material_id: None,
    }
}

fn import_material(kms: &Kms, input: ImportKeyMaterialInput) -> Result<(Arc<Key>, MaterialId)> {
    kms.import_key_material(&mut cx(Operation::ImportKeyMaterial), input)
}

/// Imports `material` into `key` with a fresh token, wrapped with `algorithm`.
fn import_with(
    kms: &Kms,
    key: &Key,
    algorithm: WrappingAlgorithm,
    material: &[u8],
    valid_to: Option<Timestamp>,
) -> Result<(Arc<Key>, MaterialId)> {
    let out = parameters(kms, key, algorithm).unwrap();
    let encrypted = wrap(&out, algorithm, material);
    import_material(kms, import_input(key, &out, encrypted, valid_to))
}

fn delete_material(kms: &Kms, key: &Key, id: Option<MaterialId>) -> Result<(Arc<Key>, MaterialId)> {
    let input = DeleteImportedKeyMaterialInput {
        key: reference(key),
        material_id: id,
    };
    kms.delete_imported_key_material(&mut cx(Operation::DeleteImportedKeyMaterial), input)
}

fn state(kms: &Kms, key: &Key) -> KeyState {
    describe(kms, key).unwrap().state
}

#[test]
fn an_external_key_waits_for_material_and_refuses_cryptography() {
    let kms = in_memory();
    let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    assert_eq!(key.state, KeyState::PendingImport);
    assert!(key.materials.is_empty());
    assert!(matches!(
        encrypt(&kms, &key, b"x"),
        Err(Error::InvalidState {
            state: KeyState::PendingImport,
            ..
        })
    ));
}

#[test]
fn imported_symmetric_material_is_the_material_used() {
    let kms = in_memory();
    for algorithm in [
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
    ] {
        let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
        let material = [7u8; 32];
        let (imported, id) = import_with(&kms, &key, algorithm, &material, None).unwrap();
        assert_eq!(imported.state, KeyState::Enabled);
        assert_eq!(
            id,
            seed::derived_material_id(key.arn.key_id.as_str(), &KeyMaterial::Aes256(material))
        );
        let sealed = encrypt(&kms, &key, b"secret").unwrap();
        assert_eq!(
            decrypt(&kms, &sealed.ciphertext).unwrap().plaintext,
            b"secret"
        );
        let crypto::KeyMaterial::Aes256(secret) = &imported.current_material().unwrap().secret
        else {
            panic!("not AES");
        };
        assert_eq!(secret, &material);
    }
}

#[test]
fn tokens_are_bound_to_their_key_and_expire_on_the_clock() {
    let kms = in_memory();
    let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let other = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let algorithm = WrappingAlgorithm::RsaesOaepSha256;
    let before = kms.clock().now().0;
    let out = parameters(&kms, &key, algorithm).unwrap();
    let issued = out.valid_to.0 - PARAMETERS_VALID_MS;
    assert!((before..=kms.clock().now().0).contains(&issued));
    let encrypted = wrap(&out, algorithm, &[1; 32]);

    let foreign = import_material(&kms, import_input(&other, &out, encrypted.clone(), None));
    assert!(matches!(foreign, Err(Error::InvalidImportToken(_))));
    let mut mangled = import_input(&key, &out, encrypted.clone(), None);
    mangled.token[5] ^= 1;
    assert!(matches!(
        import_material(&kms, mangled),
        Err(Error::InvalidImportToken(_))
    ));
    let mut wrong = import_input(&key, &out, encrypted.clone(), None);
    wrong.encrypted[0] ^= 1;
    assert!(matches!(
        import_material(&kms, wrong),
        Err(Error::InvalidCiphertext)
    ));
    assert_eq!(state(&kms, &key), KeyState::PendingImport);

    kms.advance_clock(DAY).unwrap();
    assert!(matches!(
        import_material(&kms, import_input(&key, &out, encrypted, None)),
        Err(Error::ExpiredImportToken)
    ));
    assert_eq!(state(&kms, &key), KeyState::PendingImport);
}

#[test]
fn material_expires_on_the_clock_and_the_same_material_comes_back() {
    let kms = in_memory();
    let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let algorithm = WrappingAlgorithm::RsaesOaepSha256;
    let valid_to = kms.clock().now().plus_days(2);
    import_with(&kms, &key, algorithm, &[3; 32], Some(valid_to)).unwrap();
    assert_eq!(kms.next_deadline(), Some(valid_to));
    let sealed = encrypt(&kms, &key, b"kept").unwrap();

    let advanced = kms.advance_clock(2 * DAY).unwrap();
    assert_eq!(advanced.applied.expired, vec![key.arn.clone()]);
    assert_eq!(state(&kms, &key), KeyState::PendingImport);
    assert!(decrypt(&kms, &sealed.ciphertext).is_err());

    let different = import_with(&kms, &key, algorithm, &[4; 32], None);
    assert!(matches!(different, Err(Error::IncorrectKeyMaterial(_))));
    import_with(&kms, &key, algorithm, &[3; 32], None).unwrap();
    assert_eq!(state(&kms, &key), KeyState::Enabled);
    assert_eq!(
        decrypt(&kms, &sealed.ciphertext).unwrap().plaintext,
        b"kept"
    );
}

#[test]
fn deleting_material_makes_the_key_wait_for_it() {
    let kms = in_memory();
    let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let algorithm = WrappingAlgorithm::RsaesOaepSha1;
    let (_, id) = import_with(&kms, &key, algorithm, &[5; 32], None).unwrap();
    let (_, deleted) = delete_material(&kms, &key, None).unwrap();
    assert_eq!(deleted, id);
    assert_eq!(state(&kms, &key), KeyState::PendingImport);
    assert!(matches!(
        delete_material(&kms, &key, None),
        Err(Error::InvalidState { .. })
    ));
    import_with(&kms, &key, algorithm, &[5; 32], None).unwrap();
    assert_eq!(state(&kms, &key), KeyState::Enabled);
}

#[test]
fn parameters_and_material_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let algorithm = WrappingAlgorithm::RsaesOaepSha256;
    let (key, out, sealed) = {
        let kms = kms_in(dir.path());
        let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
        let first = parameters(&kms, &key, algorithm).unwrap();
        let encrypted = wrap(&first, algorithm, &[9; 32]);
        import_material(&kms, import_input(&key, &first, encrypted, None)).unwrap();
        let sealed = encrypt(&kms, &key, b"durable").unwrap();
        delete_material(&kms, &key, None).unwrap();
        (key, first, sealed)
    };
    let kms = kms_in(dir.path());
    assert_eq!(state(&kms, &key), KeyState::PendingImport);
    let encrypted = wrap(&out, algorithm, &[9; 32]);
    import_material(&kms, import_input(&key, &out, encrypted, None)).unwrap();
    assert_eq!(
        decrypt(&kms, &sealed.ciphertext).unwrap().plaintext,
        b"durable"
    );
}

#[test]
fn rsa_material_needs_an_aes_key_wrap_algorithm() {
    let kms = in_memory();
    let key = create_external(&kms, KeySpec::Rsa2048, KeyUsage::SignVerify);
    assert!(matches!(
        parameters(&kms, &key, WrappingAlgorithm::RsaesOaepSha256),
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        parameters(&kms, &key, WrappingAlgorithm::RsaesPkcs1V15),
        Err(Error::Validation(_))
    ));
    parameters(&kms, &key, WrappingAlgorithm::RsaAesKeyWrapSha256).unwrap();
}

#[test]
fn symmetric_material_must_be_32_bytes() {
    let kms = in_memory();
    let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let short = import_with(
        &kms,
        &key,
        WrappingAlgorithm::RsaesOaepSha256,
        &[1; 16],
        None,
    );
    assert!(matches!(short, Err(Error::IncorrectKeyMaterial(_))));
}

#[test]
fn sm2_wrapping_keys_go_with_sm2pke() {
    let kms = in_memory();
    let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let ask = |spec, algorithm| {
        let input = GetParametersForImportInput {
            key: reference(&key),
            algorithm,
            spec,
        };
        kms.get_parameters_for_import(&mut cx(Operation::GetParametersForImport), input)
    };
    for (spec, algorithm) in [
        (WrappingKeySpec::Sm2, WrappingAlgorithm::RsaesOaepSha256),
        (WrappingKeySpec::Rsa2048, WrappingAlgorithm::Sm2pke),
    ] {
        assert!(matches!(ask(spec, algorithm), Err(Error::Validation(_))));
    }
    let out = ask(WrappingKeySpec::Sm2, WrappingAlgorithm::Sm2pke).unwrap();
    // The public key is an SM2 one; SM2PKE to it, as a client would, imports the material.
    PublicKey::from_der(KeyPairKind::Sm2, &out.public_key).unwrap();
    let wrapping = &out.key.imports().parameters.last().unwrap().wrapping_key;
    let encrypted = wrapping.encrypt_sm2(&[8; 32]).unwrap();
    import_material(&kms, import_input(&key, &out, encrypted, None)).unwrap();
    assert_eq!(state(&kms, &key), KeyState::Enabled);
}

#[test]
fn expired_material_is_never_used_even_before_a_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = create_external(&kms, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
    let valid_to = kms.clock().now().plus_days(1);
    let algorithm = WrappingAlgorithm::RsaesOaepSha256;
    import_with(&kms, &key, algorithm, &[6; 32], Some(valid_to)).unwrap();
    let sealed = encrypt(&kms, &key, b"x").unwrap();
    // Time passes without advance_clock (which would sweep) and without any background task.
    kms.clock().raise_offset(DAY + 60);
    assert!(matches!(
        decrypt(&kms, &sealed.ciphertext),
        Err(Error::InvalidState {
            state: KeyState::PendingImport,
            ..
        })
    ));
    // The expiry was written through, material gone from the record.
    let stored = kms.store.load().unwrap();
    let stored = stored.keys.iter().find(|k| k.arn == key.arn).unwrap();
    assert_eq!(stored.state, KeyState::PendingImport);
    assert!(stored.materials.is_empty());
    assert!(!stored.imports().materials[0].imported);
}

/// Imports `material` into the key `key_id` of `region` with that region's parameters.
fn import_in(
    kms: &Kms,
    region: &str,
    key_id: &str,
    material: &[u8; 32],
    import_type: Option<ImportType>,
) -> Result<MaterialId> {
    let scope = crate::model::Scope {
        region: crate::model::Region::parse(region).unwrap(),
        ..crate::kms::testing::home()
    };
    let call = |operation| Context::new(scope.clone(), operation, "request-id");
    let out = kms.get_parameters_for_import(
        &mut call(Operation::GetParametersForImport),
        GetParametersForImportInput {
            key: KeyRef::parse(key_id),
            algorithm: WrappingAlgorithm::RsaesOaepSha256,
            spec: WrappingKeySpec::Rsa2048,
        },
    )?;
    let input = ImportKeyMaterialInput {
        import_type,
        ..import_input(
            &out.key,
            &out,
            wrap(&out, WrappingAlgorithm::RsaesOaepSha256, material),
            None,
        )
    };
    kms.import_key_material(&mut call(Operation::ImportKeyMaterial), input)
        .map(|(_, id)| id)
}

/// The states of the materials of the key `key_id` in `region`.
fn states_in(kms: &Kms, region: &str, key_id: &str) -> Vec<(KeyMaterialState, bool)> {
    let scope = crate::model::Scope {
        region: crate::model::Region::parse(region).unwrap(),
        ..crate::kms::testing::home()
    };
    let mut cx = Context::new(scope, Operation::DescribeKey, "request-id");
    let key = kms.describe_key(&mut cx, &KeyRef::parse(key_id)).unwrap();
    key.imports()
        .materials
        .iter()
        .map(|m| (m.state, m.imported))
        .collect()
}

#[test]
fn related_keys_import_the_same_material_each_and_rotate_together() {
    use crate::kms::multi_region::ReplicateKeyInput;
    let kms = in_memory();
    let primary = kms
        .create_key(
            &mut cx(Operation::CreateKey),
            CreateKeyInput {
                origin: Some(Origin::External),
                multi_region: true,
                ..CreateKeyInput::default()
            },
        )
        .unwrap();
    assert_eq!(primary.state, KeyState::PendingImport);
    let id = primary.arn.key_id.to_string();
    let replica = kms
        .replicate_key(
            &mut cx(Operation::ReplicateKey),
            ReplicateKeyInput {
                key: reference(&primary),
                region: crate::model::Region::parse("eu-west-1").unwrap(),
                policy: None,
                description: None,
                tags: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(replica.state, KeyState::Creating);
    assert!(replica.materials.is_empty());
    kms.advance_clock(3).unwrap();

    // Material goes into the primary first, then the same material into the replica.
    let (m1, m2) = ([1u8; 32], [2u8; 32]);
    assert!(matches!(
        import_in(&kms, "eu-west-1", &id, &m1, None),
        Err(Error::IncorrectKeyMaterial(_))
    ));
    let id1 = import_in(&kms, "us-east-1", &id, &m1, None).unwrap();
    assert_eq!(
        states_in(&kms, "eu-west-1", &id),
        [(KeyMaterialState::Current, false)]
    );
    assert!(matches!(
        import_in(&kms, "eu-west-1", &id, &m2, None),
        Err(Error::IncorrectKeyMaterial(_))
    ));
    assert_eq!(import_in(&kms, "eu-west-1", &id, &m1, None).unwrap(), id1);
    let sealed = encrypt(&kms, &primary, b"either region")
        .unwrap()
        .ciphertext;

    // New material waits for the replica before the primary rotates.
    import_in(
        &kms,
        "us-east-1",
        &id,
        &m2,
        Some(ImportType::NewKeyMaterial),
    )
    .unwrap();
    let waiting = KeyMaterialState::PendingMultiRegionImportAndRotation;
    assert_eq!(states_in(&kms, "us-east-1", &id)[1], (waiting, true));
    assert_eq!(states_in(&kms, "eu-west-1", &id)[1], (waiting, false));
    let rotate =
        || kms.rotate_key_on_demand(&mut cx(Operation::RotateKeyOnDemand), &reference(&primary));
    assert!(matches!(rotate(), Err(Error::Validation(_))));
    import_in(&kms, "eu-west-1", &id, &m2, None).unwrap();
    assert_eq!(
        states_in(&kms, "us-east-1", &id)[1],
        (KeyMaterialState::PendingRotation, true)
    );
    rotate().unwrap();
    for region in ["us-east-1", "eu-west-1"] {
        assert_eq!(
            states_in(&kms, region, &id),
            [
                (KeyMaterialState::NonCurrent, true),
                (KeyMaterialState::Current, true)
            ]
        );
    }
    assert_eq!(decrypt(&kms, &sealed).unwrap().plaintext, b"either region");
}
