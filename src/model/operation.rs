//! Every operation of the KMS API, by its wire name: what `X-Amz-Target` names, parsed once
//! per request. Whether kmsd implements an operation is the api layer's business (its dispatch
//! table matches this enum without a wildcard); what an operation means for key usage is here.

use std::fmt;

use super::enums::{AwsEnum, UsageOperation, aws_enum};

aws_enum! {
    /// An operation of the KMS API (`TrentService.<Operation>`), implemented or not.
    Operation {
        /// `CancelKeyDeletion`.
        CancelKeyDeletion = "CancelKeyDeletion",
        /// `ConnectCustomKeyStore`.
        ConnectCustomKeyStore = "ConnectCustomKeyStore",
        /// `CreateAlias`.
        CreateAlias = "CreateAlias",
        /// `CreateCustomKeyStore`.
        CreateCustomKeyStore = "CreateCustomKeyStore",
        /// `CreateGrant`.
        CreateGrant = "CreateGrant",
        /// `CreateKey`.
        CreateKey = "CreateKey",
        /// `Decapsulate`.
        Decapsulate = "Decapsulate",
        /// `Decrypt`.
        Decrypt = "Decrypt",
        /// `DeleteAlias`.
        DeleteAlias = "DeleteAlias",
        /// `DeleteCustomKeyStore`.
        DeleteCustomKeyStore = "DeleteCustomKeyStore",
        /// `DeleteImportedKeyMaterial`.
        DeleteImportedKeyMaterial = "DeleteImportedKeyMaterial",
        /// `DeriveSharedSecret`.
        DeriveSharedSecret = "DeriveSharedSecret",
        /// `DescribeCustomKeyStores`.
        DescribeCustomKeyStores = "DescribeCustomKeyStores",
        /// `DescribeKey`.
        DescribeKey = "DescribeKey",
        /// `DisableKey`.
        DisableKey = "DisableKey",
        /// `DisableKeyRotation`.
        DisableKeyRotation = "DisableKeyRotation",
        /// `DisconnectCustomKeyStore`.
        DisconnectCustomKeyStore = "DisconnectCustomKeyStore",
        /// `EnableKey`.
        EnableKey = "EnableKey",
        /// `EnableKeyRotation`.
        EnableKeyRotation = "EnableKeyRotation",
        /// `Encapsulate`.
        Encapsulate = "Encapsulate",
        /// `Encrypt`.
        Encrypt = "Encrypt",
        /// `GenerateDataKey`.
        GenerateDataKey = "GenerateDataKey",
        /// `GenerateDataKeyPair`.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// `GenerateDataKeyPairWithoutPlaintext`.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// `GenerateDataKeyWithoutPlaintext`.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// `GenerateMac`.
        GenerateMac = "GenerateMac",
        /// `GenerateRandom`.
        GenerateRandom = "GenerateRandom",
        /// `GetKeyLastUsage`.
        GetKeyLastUsage = "GetKeyLastUsage",
        /// `GetKeyPolicy`.
        GetKeyPolicy = "GetKeyPolicy",
        /// `GetKeyRotationStatus`.
        GetKeyRotationStatus = "GetKeyRotationStatus",
        /// `GetParametersForImport`.
        GetParametersForImport = "GetParametersForImport",
        /// `GetPublicKey`.
        GetPublicKey = "GetPublicKey",
        /// `ImportKeyMaterial`.
        ImportKeyMaterial = "ImportKeyMaterial",
        /// `ListAliases`.
        ListAliases = "ListAliases",
        /// `ListGrants`.
        ListGrants = "ListGrants",
        /// `ListKeyPolicies`.
        ListKeyPolicies = "ListKeyPolicies",
        /// `ListKeyRotations`.
        ListKeyRotations = "ListKeyRotations",
        /// `ListKeys`.
        ListKeys = "ListKeys",
        /// `ListResourceTags`.
        ListResourceTags = "ListResourceTags",
        /// `ListRetirableGrants`.
        ListRetirableGrants = "ListRetirableGrants",
        /// `PutKeyPolicy`.
        PutKeyPolicy = "PutKeyPolicy",
        /// `ReEncrypt`.
        ReEncrypt = "ReEncrypt",
        /// `ReplicateKey`.
        ReplicateKey = "ReplicateKey",
        /// `RetireGrant`.
        RetireGrant = "RetireGrant",
        /// `RevokeGrant`.
        RevokeGrant = "RevokeGrant",
        /// `RotateKeyOnDemand`.
        RotateKeyOnDemand = "RotateKeyOnDemand",
        /// `ScheduleKeyDeletion`.
        ScheduleKeyDeletion = "ScheduleKeyDeletion",
        /// `Sign`.
        Sign = "Sign",
        /// `TagResource`.
        TagResource = "TagResource",
        /// `UntagResource`.
        UntagResource = "UntagResource",
        /// `UpdateAlias`.
        UpdateAlias = "UpdateAlias",
        /// `UpdateCustomKeyStore`.
        UpdateCustomKeyStore = "UpdateCustomKeyStore",
        /// `UpdateKeyDescription`.
        UpdateKeyDescription = "UpdateKeyDescription",
        /// `UpdatePrimaryRegion`.
        UpdatePrimaryRegion = "UpdatePrimaryRegion",
        /// `Verify`.
        Verify = "Verify",
        /// `VerifyMac`.
        VerifyMac = "VerifyMac",
    }
}

impl Operation {
    /// How GetKeyLastUsage reports a successful call of this operation, if it counts as a use
    /// of its key (the cryptographic operations; ReEncrypt uses two keys).
    pub fn usage(self) -> Option<UsageOperation> {
        use Operation as O;
        use UsageOperation as U;
        Some(match self {
            O::Decapsulate => U::Decapsulate,
            O::Decrypt => U::Decrypt,
            O::DeriveSharedSecret => U::DeriveSharedSecret,
            O::Encapsulate => U::Encapsulate,
            O::Encrypt => U::Encrypt,
            O::GenerateDataKey => U::GenerateDataKey,
            O::GenerateDataKeyPair => U::GenerateDataKeyPair,
            O::GenerateDataKeyPairWithoutPlaintext => U::GenerateDataKeyPairWithoutPlaintext,
            O::GenerateDataKeyWithoutPlaintext => U::GenerateDataKeyWithoutPlaintext,
            O::GenerateMac => U::GenerateMac,
            O::ReEncrypt => U::ReEncrypt,
            O::Sign => U::Sign,
            O::Verify => U::Verify,
            O::VerifyMac => U::VerifyMac,
            _ => return None,
        })
    }
}
