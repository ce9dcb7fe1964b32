//! The KMS vocabulary as types: identifiers, references, enums and the key record.
//! Parsing lives here ("parse, don't validate"); rules that need state live in the
//! operation files. No HTTP or JSON here.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::crypto::KeyMaterial;

/// Milliseconds since the Unix epoch, as read from [`super::Clock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Seconds since the epoch with millisecond precision, as the wire shows dates.
    pub fn as_epoch_seconds(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// This time plus a number of whole days.
    pub fn plus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0 + u64::from(days) * 86_400_000)
    }
}

/// A 12-digit AWS account id. Kept inline (every key's ARN holds one).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId([u8; 12]);

impl AccountId {
    /// Parses an account id: exactly 12 ASCII digits.
    pub fn parse(s: &str) -> Option<AccountId> {
        let digits: [u8; 12] = s.as_bytes().try_into().ok()?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then_some(AccountId(digits))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        // Invariant: `parse` admits ASCII digits only, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccountId").field(&self.as_str()).finish()
    }
}

/// An AWS region name such as `eu-west-1`. Shared: the keys of one partition point to one
/// copy of their region's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(Arc<str>);

impl Region {
    /// Parses a region name: lowercase letters, digits and dashes, as AWS region names are.
    pub fn parse(s: &str) -> Option<Region> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| Region(Arc::from(s)))
    }

    /// The region name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The (account, region) pair that owns keys and aliases. All state is partitioned by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// Owning account.
    pub account: AccountId,
    /// Owning region.
    pub region: Region,
}

/// A key id: a lowercase UUID, or `mrk-` and 32 hex digits for multi-Region keys. Both are
/// 36 ASCII characters, kept inline (every key and every map entry holds one).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 36]);

impl KeyId {
    /// A fresh random key id.
    pub fn generate() -> KeyId {
        let mut text = [0u8; 36];
        uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
        KeyId(text)
    }

    /// Parses a key id in either form. Uppercase hex is not a key id AWS would issue.
    pub fn parse(s: &str) -> Option<KeyId> {
        let text: [u8; 36] = s.as_bytes().try_into().ok()?;
        let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        let is_uuid = text.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => hex(b),
        });
        let is_mrk = text.starts_with(b"mrk-") && text[4..].iter().all(hex);
        (is_uuid || is_mrk).then_some(KeyId(text))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Invariant: `parse` and `generate` admit ASCII only, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `arn:aws:kms:<region>:<account>:key/<key-id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyArn {
    /// Where the key lives.
    pub scope: Scope,
    /// The key's id.
    pub key_id: KeyId,
}

impl KeyArn {
    /// Parses `arn:<partition>:kms:<region>:<account>:key/<key-id>`.
    pub fn parse(s: &str) -> Option<KeyArn> {
        let KeyRef::Arn {
            region,
            account,
            key_id,
        } = KeyRef::parse(s)
        else {
            return None;
        };
        Some(KeyArn {
            scope: Scope {
                account: AccountId::parse(&account)?,
                region: Region::parse(&region)?,
            },
            key_id: KeyId::parse(&key_id)?,
        })
    }
}

impl fmt::Display for KeyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:aws:kms:{}:{}:key/{}",
            self.scope.region.as_str(),
            self.scope.account.as_str(),
            self.key_id
        )
    }
}

/// An alias name, always starting with `alias/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AliasName(String);

impl AliasName {
    /// Wraps a name that the caller has already checked against AWS's alias rules
    /// (see `aliases::parse_alias_name`) or that came from the store.
    pub(crate) fn new_unchecked(s: String) -> AliasName {
        AliasName(s)
    }

    /// The full name, including `alias/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `arn:aws:kms:<region>:<account>:alias/<name>`.
    pub fn arn(&self, scope: &Scope) -> String {
        format!(
            "arn:aws:kms:{}:{}:{}",
            scope.region.as_str(),
            scope.account.as_str(),
            self.0
        )
    }
}

/// How a request names a key: the `KeyId` member of most operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A bare key id. Kept as given, because an ill-formed id is still reported back as such.
    Id(String),
    /// A key ARN.
    Arn {
        /// Region named by the ARN.
        region: String,
        /// Account named by the ARN.
        account: String,
        /// Key id named by the ARN.
        key_id: String,
    },
    /// `alias/<name>`.
    Alias(String),
    /// An alias ARN.
    AliasArn {
        /// Region named by the ARN.
        region: String,
        /// Account named by the ARN.
        account: String,
        /// Alias name, including `alias/`.
        name: String,
    },
}

impl KeyRef {
    /// Classifies a `KeyId` value. Never fails: what does not match a known form is a bare id
    /// that resolution will report as not found, as AWS does.
    pub fn parse(s: &str) -> KeyRef {
        if s.starts_with("alias/") {
            return KeyRef::Alias(s.to_owned());
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if let ["arn", partition, "kms", region, account, resource] = parts[..]
            && partition.starts_with("aws")
        {
            if let Some(id) = resource.strip_prefix("key/") {
                return KeyRef::Arn {
                    region: region.to_owned(),
                    account: account.to_owned(),
                    key_id: id.to_owned(),
                };
            }
            if resource.starts_with("alias/") {
                return KeyRef::AliasArn {
                    region: region.to_owned(),
                    account: account.to_owned(),
                    name: resource.to_owned(),
                };
            }
        }
        KeyRef::Id(s.to_owned())
    }

    /// Whether the reference names an alias rather than a key.
    pub fn is_alias(&self) -> bool {
        matches!(self, KeyRef::Alias(_) | KeyRef::AliasArn { .. })
    }
}

/// A KMS enum: a closed set of values with exact AWS spellings.
pub trait AwsEnum: Sized + Copy + 'static {
    /// Every value, in the order of AWS's model.
    const ALL: &'static [Self];
    /// The AWS spelling.
    fn as_str(self) -> &'static str;
    /// Parses the AWS spelling.
    fn parse(s: &str) -> Option<Self>;
}

/// Declares a KMS enum with its exact AWS spelling, `as_str`, `parse` and the full value list.
macro_rules! aws_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order of AWS's model.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The AWS spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// Parses the AWS spelling (case-sensitive, as AWS is).
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl AwsEnum for $name {
            const ALL: &'static [$name] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn parse(s: &str) -> Option<$name> {
                $name::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

aws_enum! {
    /// `KeySpec` (and the deprecated `CustomerMasterKeySpec`).
    KeySpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// NIST P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// NIST P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// NIST P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// AES-256-GCM.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// HMAC with a 224-bit key.
        Hmac224 = "HMAC_224",
        /// HMAC with a 256-bit key.
        Hmac256 = "HMAC_256",
        /// HMAC with a 384-bit key.
        Hmac384 = "HMAC_384",
        /// HMAC with a 512-bit key.
        Hmac512 = "HMAC_512",
        /// SM2 (China Regions).
        Sm2 = "SM2",
        /// ML-DSA-44.
        MlDsa44 = "ML_DSA_44",
        /// ML-DSA-65.
        MlDsa65 = "ML_DSA_65",
        /// ML-DSA-87.
        MlDsa87 = "ML_DSA_87",
        /// Ed25519.
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
}

aws_enum! {
    /// `KeyUsage`.
    KeyUsage {
        /// Sign and verify.
        SignVerify = "SIGN_VERIFY",
        /// Encrypt and decrypt.
        EncryptDecrypt = "ENCRYPT_DECRYPT",
        /// Generate and verify MACs.
        GenerateVerifyMac = "GENERATE_VERIFY_MAC",
        /// Derive shared secrets.
        KeyAgreement = "KEY_AGREEMENT",
        /// Encapsulate and decapsulate shared secrets.
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
}

aws_enum! {
    /// `KeyState`.
    KeyState {
        /// Being created.
        Creating = "Creating",
        /// Usable.
        Enabled = "Enabled",
        /// Disabled by its owner.
        Disabled = "Disabled",
        /// Scheduled for deletion.
        PendingDeletion = "PendingDeletion",
        /// Waiting for imported key material.
        PendingImport = "PendingImport",
        /// A replica waiting for deletion.
        PendingReplicaDeletion = "PendingReplicaDeletion",
        /// Custom key store disconnected.
        Unavailable = "Unavailable",
        /// Being updated.
        Updating = "Updating",
    }
}

aws_enum! {
    /// `Origin`.
    Origin {
        /// Material generated by KMS.
        AwsKms = "AWS_KMS",
        /// Imported material.
        External = "EXTERNAL",
        /// CloudHSM key store.
        AwsCloudhsm = "AWS_CLOUDHSM",
        /// External key store.
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}

aws_enum! {
    /// `EncryptionAlgorithm`.
    EncryptionAlgorithm {
        /// AES-256-GCM.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA-OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA-OAEP with SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// SM2 public-key encryption.
        Sm2pke = "SM2PKE",
    }
}

aws_enum! {
    /// `SigningAlgorithm`.
    SigningAlgorithm {
        /// RSASSA-PSS with SHA-256.
        RsassaPssSha256 = "RSASSA_PSS_SHA_256",
        /// RSASSA-PSS with SHA-384.
        RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        /// RSASSA-PSS with SHA-512.
        RsassaPssSha512 = "RSASSA_PSS_SHA_512",
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        /// ECDSA with SHA-256.
        EcdsaSha256 = "ECDSA_SHA_256",
        /// ECDSA with SHA-384.
        EcdsaSha384 = "ECDSA_SHA_384",
        /// ECDSA with SHA-512.
        EcdsaSha512 = "ECDSA_SHA_512",
        /// SM2 digital signature.
        Sm2dsa = "SM2DSA",
        /// ML-DSA with SHAKE-256.
        MlDsaShake256 = "ML_DSA_SHAKE_256",
        /// Pure Ed25519.
        Ed25519Sha512 = "ED25519_SHA_512",
        /// Ed25519ph.
        Ed25519PhSha512 = "ED25519_PH_SHA_512",
    }
}

aws_enum! {
    /// `MacAlgorithm`.
    MacAlgorithm {
        /// HMAC-SHA-224.
        HmacSha224 = "HMAC_SHA_224",
        /// HMAC-SHA-256.
        HmacSha256 = "HMAC_SHA_256",
        /// HMAC-SHA-384.
        HmacSha384 = "HMAC_SHA_384",
        /// HMAC-SHA-512.
        HmacSha512 = "HMAC_SHA_512",
    }
}

aws_enum! {
    /// `KeyAgreementAlgorithm`.
    KeyAgreementAlgorithm {
        /// Elliptic-curve Diffie-Hellman.
        Ecdh = "ECDH",
    }
}

aws_enum! {
    /// `EncapsulationAlgorithmSpec`.
    EncapsulationAlgorithm {
        /// ML-KEM (FIPS 203).
        MlKem = "ML_KEM",
    }
}

aws_enum! {
    /// `MessageType` of Sign and Verify.
    MessageType {
        /// The message itself.
        Raw = "RAW",
        /// A digest of the message.
        Digest = "DIGEST",
        /// ML-DSA's external μ.
        ExternalMu = "EXTERNAL_MU",
    }
}

aws_enum! {
    /// `KeyPairSpec` of GenerateDataKeyPair.
    DataKeyPairSpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// NIST P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// NIST P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// NIST P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// SM2.
        Sm2 = "SM2",
        /// Ed25519.
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
}

aws_enum! {
    /// `KeySpec` of GenerateDataKey.
    DataKeySpec {
        /// 32 bytes.
        Aes256 = "AES_256",
        /// 16 bytes.
        Aes128 = "AES_128",
    }
}

impl KeySpec {
    /// The usages AWS allows for this spec.
    pub fn usages(self) -> &'static [KeyUsage] {
        use KeyUsage::*;
        match self {
            KeySpec::SymmetricDefault => &[EncryptDecrypt],
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[EncryptDecrypt, SignVerify],
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => {
                &[SignVerify, KeyAgreement]
            }
            KeySpec::EccSecgP256k1
            | KeySpec::EccNistEdwards25519
            | KeySpec::MlDsa44
            | KeySpec::MlDsa65
            | KeySpec::MlDsa87 => &[SignVerify],
            KeySpec::Sm2 => &[EncryptDecrypt, SignVerify, KeyAgreement],
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
                &[GenerateVerifyMac]
            }
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => &[EncapsulateDecapsulate],
        }
    }

    /// The encryption algorithms of an ENCRYPT_DECRYPT key of this spec.
    pub fn encryption_algorithms(self) -> &'static [EncryptionAlgorithm] {
        match self {
            KeySpec::SymmetricDefault => &[EncryptionAlgorithm::SymmetricDefault],
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[
                EncryptionAlgorithm::RsaesOaepSha1,
                EncryptionAlgorithm::RsaesOaepSha256,
            ],
            KeySpec::Sm2 => &[EncryptionAlgorithm::Sm2pke],
            _ => &[],
        }
    }

    /// The signing algorithms of a SIGN_VERIFY key of this spec.
    pub fn signing_algorithms(self) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm::*;
        match self {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[
                RsassaPssSha256,
                RsassaPssSha384,
                RsassaPssSha512,
                RsassaPkcs1V15Sha256,
                RsassaPkcs1V15Sha384,
                RsassaPkcs1V15Sha512,
            ],
            KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => &[EcdsaSha256],
            KeySpec::EccNistP384 => &[EcdsaSha384],
            KeySpec::EccNistP521 => &[EcdsaSha512],
            KeySpec::Sm2 => &[Sm2dsa],
            KeySpec::EccNistEdwards25519 => &[Ed25519Sha512, Ed25519PhSha512],
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => &[MlDsaShake256],
            _ => &[],
        }
    }

    /// The encapsulation algorithms of an ENCAPSULATE_DECAPSULATE key of this spec.
    pub fn encapsulation_algorithms(self) -> &'static [EncapsulationAlgorithm] {
        match self {
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
                &[EncapsulationAlgorithm::MlKem]
            }
            _ => &[],
        }
    }

    /// The MAC algorithm of an HMAC spec.
    pub fn mac_algorithm(self) -> Option<&'static MacAlgorithm> {
        match self {
            KeySpec::Hmac224 => Some(&MacAlgorithm::HmacSha224),
            KeySpec::Hmac256 => Some(&MacAlgorithm::HmacSha256),
            KeySpec::Hmac384 => Some(&MacAlgorithm::HmacSha384),
            KeySpec::Hmac512 => Some(&MacAlgorithm::HmacSha512),
            _ => None,
        }
    }

    /// The key length in bytes of an HMAC spec (AWS: the bits the spec names).
    pub fn hmac_key_len(self) -> Option<usize> {
        match self {
            KeySpec::Hmac224 => Some(28),
            KeySpec::Hmac256 => Some(32),
            KeySpec::Hmac384 => Some(48),
            KeySpec::Hmac512 => Some(64),
            _ => None,
        }
    }

    /// Whether keys of this spec hold a key pair.
    pub fn is_asymmetric(self) -> bool {
        !matches!(
            self,
            KeySpec::SymmetricDefault
                | KeySpec::Hmac224
                | KeySpec::Hmac256
                | KeySpec::Hmac384
                | KeySpec::Hmac512
        )
    }
}

impl DataKeySpec {
    /// Length of the data key in bytes.
    pub fn byte_len(self) -> usize {
        match self {
            DataKeySpec::Aes256 => 32,
            DataKeySpec::Aes128 => 16,
        }
    }
}

aws_enum! {
    /// `RotationType`: why a key's material was rotated.
    RotationType {
        /// On the key's automatic rotation schedule.
        Automatic = "AUTOMATIC",
        /// By RotateKeyOnDemand.
        OnDemand = "ON_DEMAND",
    }
}

aws_enum! {
    /// `IncludeKeyMaterial` of ListKeyRotations.
    IncludeKeyMaterial {
        /// The first material too, not only those that rotations created.
        AllKeyMaterial = "ALL_KEY_MATERIAL",
        /// Only the materials that rotations created (the default).
        RotationsOnly = "ROTATIONS_ONLY",
    }
}

aws_enum! {
    /// `KeyLastUsageTrackingOperation`: the cryptographic operations GetKeyLastUsage reports.
    UsageOperation {
        /// Decapsulate.
        Decapsulate = "Decapsulate",
        /// Decrypt.
        Decrypt = "Decrypt",
        /// DeriveSharedSecret.
        DeriveSharedSecret = "DeriveSharedSecret",
        /// Encapsulate.
        Encapsulate = "Encapsulate",
        /// Encrypt.
        Encrypt = "Encrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyPair.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// GenerateMac.
        GenerateMac = "GenerateMac",
        /// ReEncrypt (recorded for both keys).
        ReEncrypt = "ReEncrypt",
        /// Sign.
        Sign = "Sign",
        /// Verify.
        Verify = "Verify",
        /// VerifyMac.
        VerifyMac = "VerifyMac",
    }
}

aws_enum! {
    /// `GrantOperation`: what a grant allows.
    GrantOperation {
        /// Decrypt.
        Decrypt = "Decrypt",
        /// Encrypt.
        Encrypt = "Encrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// ReEncrypt with this key as the source.
        ReEncryptFrom = "ReEncryptFrom",
        /// ReEncrypt with this key as the destination.
        ReEncryptTo = "ReEncryptTo",
        /// Sign.
        Sign = "Sign",
        /// Verify.
        Verify = "Verify",
        /// GetPublicKey.
        GetPublicKey = "GetPublicKey",
        /// CreateGrant.
        CreateGrant = "CreateGrant",
        /// RetireGrant.
        RetireGrant = "RetireGrant",
        /// DescribeKey.
        DescribeKey = "DescribeKey",
        /// GenerateDataKeyPair.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// GenerateMac.
        GenerateMac = "GenerateMac",
        /// VerifyMac.
        VerifyMac = "VerifyMac",
        /// DeriveSharedSecret.
        DeriveSharedSecret = "DeriveSharedSecret",
    }
}

/// A grant: permission for a principal to use a key for some operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `GrantId`: 64 lowercase hex digits.
    pub id: String,
    /// `Name`, when the grant was given one.
    pub name: Option<String>,
    /// `CreationDate`.
    pub creation_date: Timestamp,
    /// `GranteePrincipal`.
    pub grantee: String,
    /// `RetiringPrincipal`.
    pub retiring: Option<String>,
    /// The account that created the grant (`IssuingAccount` is its root ARN).
    pub issuing_account: AccountId,
    /// `Operations`, in the order given, without repeats.
    pub operations: Vec<GrantOperation>,
    /// `Constraints`.
    pub constraints: Option<GrantConstraints>,
}

/// `GrantConstraints`: the encryption context a grant's operations must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantConstraints {
    /// `EncryptionContextSubset`: pairs the request's context must include.
    pub subset: Option<EncryptionContext>,
    /// `EncryptionContextEquals`: the exact context the request must have.
    pub equals: Option<EncryptionContext>,
}

/// The last successful cryptographic operation with a key (`KeyLastUsage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUsage {
    /// `Operation`.
    pub operation: UsageOperation,
    /// `Timestamp`.
    pub at: Timestamp,
    /// `KmsRequestId`: the `x-amzn-RequestId` of the call.
    pub request_id: String,
    /// `CloudTrailEventId`. kmsd has no CloudTrail; it makes one up, once per usage, when the
    /// usage is first read or written to disk (not on the hot path).
    pub event_id: Option<String>,
}

/// The 32-byte id of one version of a key's material, shown as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaterialId(pub [u8; 32]);

impl fmt::Display for MaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every Decrypt answer carries one: encode into a buffer and write it once, rather
        // than 32 formatted writes of two digits each.
        f.write_str(std::str::from_utf8(&hex64_bytes(&self.0)).map_err(|_| fmt::Error)?)
    }
}

/// 32 bytes as 64 lowercase hex digits (material ids, grant ids).
pub fn hex64(bytes: &[u8; 32]) -> String {
    hex64_bytes(bytes).iter().map(|&b| char::from(b)).collect()
}

fn hex64_bytes(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 64];
    for (pair, &byte) in text.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    text
}

/// One version of a key's material.
#[derive(Debug, Clone)]
pub struct Material {
    /// Its id, recorded in every ciphertext it seals.
    pub id: MaterialId,
    /// The secret.
    pub secret: KeyMaterial,
    /// When it became the key's material.
    pub created: Timestamp,
}

/// A pending deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    /// When the key will be deleted.
    pub date: Timestamp,
    /// The waiting period that was requested.
    pub window_days: u32,
}

/// Automatic rotation of a key's material, when it is enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSchedule {
    /// Days between automatic rotations (`RotationPeriodInDays`, 90–2560).
    pub period_days: u32,
    /// When the material is next rotated automatically (`NextRotationDate`).
    pub next: Timestamp,
}

/// One completed rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationRecord {
    /// The material the rotation made current.
    pub material_id: MaterialId,
    /// When the rotation completed (`RotationDate`).
    pub date: Timestamp,
    /// Automatic or on demand.
    pub kind: RotationType,
}

/// A key's rotation settings and history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRotation {
    /// Set while automatic rotation is enabled.
    pub schedule: Option<RotationSchedule>,
    /// Every rotation so far, oldest first.
    pub history: Vec<RotationRecord>,
}

/// The encryption context: sorted, so its canonical encoding is order-independent.
pub type EncryptionContext = BTreeMap<String, String>;

/// A KMS key with everything that belongs to it except its aliases.
#[derive(Debug, Clone)]
pub struct Key {
    /// Identity and location.
    pub arn: KeyArn,
    /// When it was created.
    pub creation_date: Timestamp,
    /// Free text, `""` when unset.
    pub description: String,
    /// What it is for.
    pub usage: KeyUsage,
    /// What kind of key it is.
    pub spec: KeySpec,
    /// Where its material came from.
    pub origin: Origin,
    /// Lifecycle state.
    pub state: KeyState,
    /// Set while the state is `PendingDeletion`.
    pub deletion: Option<Deletion>,
    /// Material versions, oldest first; the last one is current. Shared, because a key record
    /// is copied on every change and the material itself never changes.
    pub materials: Arc<[Material]>,
    /// Tags by key; ListResourceTags pages through them in this order.
    pub tags: BTreeMap<String, String>,
    /// The key policy document (name `default`); [`Key::policy_text`] is its text.
    pub policy: KeyPolicy,
    /// Automatic rotation and the rotations so far.
    pub rotation: KeyRotation,
    /// Grants, oldest first; ListGrants pages through them in this order.
    pub grants: Vec<Grant>,
}

/// A key policy (name `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPolicy {
    /// The policy AWS writes when a key gets none. Its text names the key's account, so it is
    /// written out when asked for, not kept with every key.
    Default,
    /// Any other document, exactly as it was given.
    Document(String),
}

impl KeyPolicy {
    /// The policy with this text for a key of `account`: [`KeyPolicy::Default`] when the text
    /// is exactly the default policy's, so that both ways of getting it are one value.
    pub fn new(account: &AccountId, text: String) -> KeyPolicy {
        if super::policies::is_default_policy(account, &text) {
            KeyPolicy::Default
        } else {
            KeyPolicy::Document(text)
        }
    }
}

impl Key {
    /// The text of the key policy, as GetKeyPolicy returns it.
    pub fn policy_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.policy {
            KeyPolicy::Default => super::policies::default_policy(&self.arn.scope.account).into(),
            KeyPolicy::Document(text) => text.as_str().into(),
        }
    }

    /// The material that seals new data.
    pub fn current_material(&self) -> Option<&Material> {
        self.materials.last()
    }

    /// The material version with this id.
    pub fn material(&self, id: &MaterialId) -> Option<&Material> {
        self.materials.iter().find(|m| &m.id == id)
    }

    /// The encryption algorithms this key supports (none unless its usage is ENCRYPT_DECRYPT).
    pub fn encryption_algorithms(&self) -> &'static [EncryptionAlgorithm] {
        if self.usage != KeyUsage::EncryptDecrypt {
            return &[];
        }
        self.spec.encryption_algorithms()
    }

    /// The signing algorithms this key supports (none unless its usage is SIGN_VERIFY).
    pub fn signing_algorithms(&self) -> &'static [SigningAlgorithm] {
        if self.usage != KeyUsage::SignVerify {
            return &[];
        }
        self.spec.signing_algorithms()
    }

    /// The MAC algorithms this key supports.
    pub fn mac_algorithms(&self) -> &'static [MacAlgorithm] {
        if self.usage != KeyUsage::GenerateVerifyMac {
            return &[];
        }
        self.spec.mac_algorithm().map_or(&[], std::slice::from_ref)
    }

    /// The key agreement algorithms this key supports.
    pub fn key_agreement_algorithms(&self) -> &'static [KeyAgreementAlgorithm] {
        if self.usage != KeyUsage::KeyAgreement {
            return &[];
        }
        &[KeyAgreementAlgorithm::Ecdh]
    }

    /// The key encapsulation algorithms this key supports (none unless its usage is
    /// ENCAPSULATE_DECAPSULATE).
    pub fn encapsulation_algorithms(&self) -> &'static [EncapsulationAlgorithm] {
        if self.usage != KeyUsage::EncapsulateDecapsulate {
            return &[];
        }
        self.spec.encapsulation_algorithms()
    }
}

/// An alias and the key it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// `alias/...`.
    pub name: AliasName,
    /// The key it points to, always in the alias's own account and region.
    pub target: KeyId,
    /// When it was created.
    pub creation_date: Timestamp,
    /// When it was last pointed at a key.
    pub last_updated: Timestamp,
}

#[cfg(test)]
mod tests;
