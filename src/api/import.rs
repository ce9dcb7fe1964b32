//! Wire adapters for GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial.

use serde::{Deserialize, Serialize};

use super::wire::{Base64Blob, EnumMember, EpochSeconds, Validator, key_ref, known};
use super::{ApiError, ErrorCode, Handler, Weight};
use crate::kms::import::{
    DeleteImportedKeyMaterialInput, GetParametersForImportInput, ImportKeyMaterialInput,
};
use crate::kms::{Context, Kms};
use crate::model::{
    ExpirationModel, ImportType, MaterialId, Timestamp, WrappingAlgorithm, WrappingKeySpec,
};

/// A `KeyMaterialId` that passed the model's constraints.
fn material_id(id: Option<&str>) -> Option<MaterialId> {
    let id = id?;
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(id.as_bytes().chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    (id.len() == 64).then_some(MaterialId(out))
}

/// The response of ImportKeyMaterial and DeleteImportedKeyMaterial.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyMaterialResponse {
    key_id: String,
    key_material_id: String,
}

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

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetParametersForImportResponse {
    key_id: String,
    import_token: Base64Blob,
    public_key: Base64Blob,
    parameters_valid_to: EpochSeconds,
}

impl Handler for GetParametersForImport {
    type Request = GetParametersForImportRequest;
    type Input = GetParametersForImportInput;
    type Response = GetParametersForImportResponse;

    fn parse(
        r: GetParametersForImportRequest,
        v: &mut Validator,
    ) -> Option<GetParametersForImportInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.enumeration("wrappingAlgorithm", r.wrapping_algorithm.as_ref(), true);
        v.enumeration("wrappingKeySpec", r.wrapping_key_spec.as_ref(), true);
        v.names_key(r.key_id.as_deref());
        Some(GetParametersForImportInput {
            key: key_ref(r.key_id)?,
            algorithm: known(r.wrapping_algorithm.as_ref())?,
            spec: known(r.wrapping_key_spec.as_ref())?,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: GetParametersForImportInput,
    ) -> Result<GetParametersForImportResponse, ApiError> {
        let out = kms.get_parameters_for_import(cx, input)?;
        Ok(GetParametersForImportResponse {
            key_id: out.key.arn.to_string(),
            import_token: Base64Blob(out.token),
            public_key: Base64Blob(out.public_key),
            parameters_valid_to: out.valid_to.into(),
        })
    }

    /// A wrapping key pair may have to be generated (RSA: up to seconds).
    fn weight(_request: &GetParametersForImportRequest) -> Weight {
        Weight::KeyGeneration
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
    type Input = ImportKeyMaterialInput;
    type Response = KeyMaterialResponse;

    fn weight(_: &ImportKeyMaterialRequest) -> Weight {
        // Unwrapping the material is an RSA private-key operation.
        Weight::Compute
    }

    fn parse(r: ImportKeyMaterialRequest, v: &mut Validator) -> Option<ImportKeyMaterialInput> {
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
        // "The default is KEY_MATERIAL_EXPIRES", which needs a ValidTo.
        let expiration =
            known(r.expiration_model.as_ref()).unwrap_or(ExpirationModel::KeyMaterialExpires);
        let valid_to = match (expiration, r.valid_to) {
            (ExpirationModel::KeyMaterialExpires, None) => {
                v.reject(ApiError::new(
                    ErrorCode::Validation,
                    "A ValidTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES.",
                ));
                None
            }
            (ExpirationModel::KeyMaterialDoesNotExpire, Some(_)) => {
                v.reject(ApiError::new(
                    ErrorCode::Validation,
                    "A ValidTo date must not be set if the ExpirationModel is \
                     KEY_MATERIAL_DOES_NOT_EXPIRE.",
                ));
                None
            }
            (ExpirationModel::KeyMaterialExpires, Some(seconds)) => {
                if !seconds.is_finite() || seconds < 0.0 {
                    v.reject(ApiError::new(
                        ErrorCode::Validation,
                        "ValidTo must be a date and time in the future.",
                    ));
                }
                // Saturating float-to-integer conversion; the range was checked above.
                Some(Timestamp((seconds * 1000.0) as u64))
            }
            (ExpirationModel::KeyMaterialDoesNotExpire, None) => None,
        };
        let import_type = known(r.import_type.as_ref());
        if import_type == Some(ImportType::NewKeyMaterial) && r.key_material_id.is_some() {
            v.reject(ApiError::new(
                ErrorCode::Validation,
                "You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.",
            ));
        }
        Some(ImportKeyMaterialInput {
            key: key_ref(r.key_id)?,
            token: r.import_token?.0,
            encrypted: r.encrypted_key_material?.0,
            valid_to,
            import_type,
            description: r.key_material_description,
            material_id: material_id(r.key_material_id.as_deref()),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ImportKeyMaterialInput,
    ) -> Result<KeyMaterialResponse, ApiError> {
        let (key, id) = kms.import_key_material(cx, input)?;
        Ok(KeyMaterialResponse {
            key_id: key.arn.to_string(),
            key_material_id: id.to_string(),
        })
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
    type Input = DeleteImportedKeyMaterialInput;
    type Response = KeyMaterialResponse;

    fn parse(
        r: DeleteImportedKeyMaterialRequest,
        v: &mut Validator,
    ) -> Option<DeleteImportedKeyMaterialInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        key_material_id(v, r.key_material_id.as_deref());
        v.names_key(r.key_id.as_deref());
        Some(DeleteImportedKeyMaterialInput {
            key: key_ref(r.key_id)?,
            material_id: material_id(r.key_material_id.as_deref()),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: DeleteImportedKeyMaterialInput,
    ) -> Result<KeyMaterialResponse, ApiError> {
        let (key, id) = kms.delete_imported_key_material(cx, input)?;
        Ok(KeyMaterialResponse {
            key_id: key.arn.to_string(),
            key_material_id: id.to_string(),
        })
    }
}
