//! The AWS KMS enums, each with its exact AWS spellings, and what a key spec allows.

use std::fmt;

/// A KMS enum: a closed set of values with exact AWS spellings.
pub trait AwsEnum: Sized + Copy + 'static {
    /// Every value, in the order of AWS's model.
    const ALL: &'static [Self];
    /// Every value, in the order AWS lists them in a validation message ("Member must satisfy
    /// enum value set: [...]"): the model's order unless AWS's is known to differ.
    const LISTED: &'static [Self];
    /// The AWS spelling.
    fn as_str(self) -> &'static str;
    /// Parses the AWS spelling.
    fn parse(s: &str) -> Option<Self>;
}

/// Declares a KMS enum with its exact AWS spelling, `as_str`, `parse` and the full value list;
/// `listed [A, B, ...]` before the name gives the order of AWS's validation messages.
macro_rules! aws_enum {
    ($(#[$meta:meta])* $name:ident { $($body:tt)+ }) => {
        aws_enum!(@define ($name::ALL) $(#[$meta])* $name { $($body)+ });
    };
    (listed [$($listed:ident),+] $(#[$meta:meta])* $name:ident { $($body:tt)+ }) => {
        aws_enum!(@define (&[$($name::$listed),+]) $(#[$meta])* $name { $($body)+ });
    };
    (@define ($listed:expr) $(#[$meta:meta])* $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+
    }) => {
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
            const LISTED: &'static [$name] = $listed;

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

pub(super) use aws_enum;

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
    /// `DryRunModifierType`: what a dry run of Decrypt or ReEncrypt leaves out. kmsd reads it
    /// (so that a malformed one is refused) but checks the ciphertext of a dry run anyway.
    DryRunModifier {
        /// Check authorization only, not the ciphertext.
        IgnoreCiphertext = "IGNORE_CIPHERTEXT",
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
    listed [HmacSha384, HmacSha256, HmacSha224, HmacSha512]
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

aws_enum! {
    /// `KeyManagerType`.
    KeyManager {
        /// An AWS managed key: AWS creates it for a service, manages and rotates it.
        Aws = "AWS",
        /// A customer managed key.
        Customer = "CUSTOMER",
    }
}

aws_enum! {
    /// `AlgorithmSpec`: how material to import is wrapped.
    WrappingAlgorithm {
        /// RSAES-PKCS1-v1_5 (no longer accepted for new imports).
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5",
        /// RSA-OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA-OAEP with SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// An AES key wrapped with RSA-OAEP (SHA-1), then the material with it (RFC 5649).
        RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
        /// An AES key wrapped with RSA-OAEP (SHA-256), then the material with it (RFC 5649).
        RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256",
        /// SM2 public-key encryption (China Regions).
        Sm2pke = "SM2PKE",
    }
}

aws_enum! {
    /// `WrappingKeySpec`: the public key GetParametersForImport returns.
    WrappingKeySpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// SM2 (China Regions).
        Sm2 = "SM2",
    }
}

aws_enum! {
    /// `ExpirationModelType`: whether imported material expires.
    ExpirationModel {
        /// It expires at `ValidTo`.
        KeyMaterialExpires = "KEY_MATERIAL_EXPIRES",
        /// It does not expire.
        KeyMaterialDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
}

aws_enum! {
    /// `ImportType`: whether ImportKeyMaterial brings new material or re-imports known material.
    ImportType {
        /// New material (for a key that has none yet, or a rotation).
        NewKeyMaterial = "NEW_KEY_MATERIAL",
        /// Material the key had before.
        ExistingKeyMaterial = "EXISTING_KEY_MATERIAL",
    }
}

aws_enum! {
    /// `KeyMaterialState`: what a key material is for (ListKeyRotations).
    KeyMaterialState {
        /// Decrypts only.
        NonCurrent = "NON_CURRENT",
        /// Encrypts and decrypts.
        Current = "CURRENT",
        /// Imported for an on-demand rotation that has not happened yet.
        PendingRotation = "PENDING_ROTATION",
        /// Imported into a multi-Region primary key for an on-demand rotation, and not yet into
        /// every replica key.
        PendingMultiRegionImportAndRotation = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
    }
}

aws_enum! {
    /// `ImportState`: whether an imported key material is present (ListKeyRotations).
    ImportState {
        /// It is present.
        Imported = "IMPORTED",
        /// It expired or was deleted, and waits to be imported again.
        PendingImport = "PENDING_IMPORT",
    }
}
