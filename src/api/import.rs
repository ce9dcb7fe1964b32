//! Wire adapters for GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial.

use serde::{Deserialize, Serialize};

use super::wire::{Base64Blob, EnumMember, Validator, key_ref};
use super::{ApiError, Empty, Handler};
use crate::kms::{Context, Kms};
use crate::model::{ExpirationModel, ImportType, KeyRef, WrappingAlgorithm, WrappingKeySpec};

/// The model's constraints on a `KeyMaterialId` (`BackingKeyIdType`): 64 lowercase hex digits.
fn key_material_id(v: &mut Validator, id: Option<&str>) {
    v.string("keyMaterialId", id, 64, 64, false);
    v.pattern("keyMaterialId", id, "^[a-f0-9]+$", |c| {
        c.is_ascii_digit() || ('a'..='f').contains(&c)
    });
}

/// GetParametersForImport.
pub(crate) struct GetParametersForImport;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetParametersForImportRequest {
    key_id: Option<String>,
    wrapping_algorithm: Option<EnumMember<WrappingAlgorithm>>,
    wrapping_key_spec: Option<EnumMember<WrappingKeySpec>>,
}

impl Handler for GetParametersForImport {
    type Request = GetParametersForImportRequest;
    type Input = KeyRef;
    type Response = Empty;

    fn parse(r: GetParametersForImportRequest, v: &mut Validator) -> Option<KeyRef> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.enumeration("wrappingAlgorithm", r.wrapping_algorithm.as_ref(), true);
        v.enumeration("wrappingKeySpec", r.wrapping_key_spec.as_ref(), true);
        v.names_key(r.key_id.as_deref());
        key_ref(r.key_id)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<Empty, ApiError> {
        kms.check_import_key(cx, &key)?;
        Ok(Empty {})
    }
}

/// ImportKeyMaterial.
pub(crate) struct ImportKeyMaterial;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ImportKeyMaterialRequest {
    key_id: Option<String>,
    import_token: Option<Base64Blob>,
    encrypted_key_material: Option<Base64Blob>,
    valid_to: Option<f64>,
    expiration_model: Option<EnumMember<ExpirationModel>>,
    import_type: Option<EnumMember<ImportType>>,
    key_material_description: Option<String>,
    key_material_id: Option<String>,
}

impl Handler for ImportKeyMaterial {
    type Request = ImportKeyMaterialRequest;
    type Input = KeyRef;
    type Response = Empty;

    fn parse(r: ImportKeyMaterialRequest, v: &mut Validator) -> Option<KeyRef> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.blob("importToken", r.import_token.as_ref(), 1, 6144, true);
        v.blob(
            "encryptedKeyMaterial",
            r.encrypted_key_material.as_ref(),
            1,
            6144,
            true,
        );
        v.enumeration("expirationModel", r.expiration_model.as_ref(), false);
        v.enumeration("importType", r.import_type.as_ref(), false);
        v.string(
            "keyMaterialDescription",
            r.key_material_description.as_deref(),
            0,
            256,
            false,
        );
        v.pattern(
            "keyMaterialDescription",
            r.key_material_description.as_deref(),
            "^[a-zA-Z0-9:/_\\s.-]+$",
            |c| c.is_ascii_alphanumeric() || c.is_whitespace() || ":/_.-".contains(c),
        );
        key_material_id(v, r.key_material_id.as_deref());
        v.names_key(r.key_id.as_deref());
        key_ref(r.key_id)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<Empty, ApiError> {
        kms.check_import_key(cx, &key)?;
        Ok(Empty {})
    }
}

/// DeleteImportedKeyMaterial.
pub(crate) struct DeleteImportedKeyMaterial;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteImportedKeyMaterialRequest {
    key_id: Option<String>,
    key_material_id: Option<String>,
}

impl Handler for DeleteImportedKeyMaterial {
    type Request = DeleteImportedKeyMaterialRequest;
    type Input = KeyRef;
    type Response = Empty;

    fn parse(r: DeleteImportedKeyMaterialRequest, v: &mut Validator) -> Option<KeyRef> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        key_material_id(v, r.key_material_id.as_deref());
        v.names_key(r.key_id.as_deref());
        key_ref(r.key_id)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<Empty, ApiError> {
        kms.check_import_key(cx, &key)?;
        Ok(Empty {})
    }
}
