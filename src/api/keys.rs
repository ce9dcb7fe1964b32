//! Wire adapters for CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! UpdateKeyDescription, ScheduleKeyDeletion and CancelKeyDeletion.

use serde::{Deserialize, Serialize};

use super::wire::{
    EnumMember, EpochSeconds, Validator, WireTag, key_ref, known, limit, tag_pairs, validate_tags,
};
use super::{ApiError, Empty, Handler, Weight};
use crate::kms::keys::{
    CreateKeyInput, LIST_KEYS_DEFAULT_LIMIT, ScheduleKeyDeletionInput, UpdateKeyDescriptionInput,
};
use crate::kms::{self, Context, Kms, Paging};
use crate::model::{
    AwsEnum, ExpirationModel, Key, KeyArn, KeyBacking, KeyRef, KeySpec, KeyState, KeyUsage, Origin,
    Region, Scope,
};

/// `KeyMetadata` as DescribeKey, CreateKey and friends return it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyMetadata {
    #[serde(rename = "AWSAccountId")]
    aws_account_id: String,
    key_id: String,
    arn: String,
    creation_date: EpochSeconds,
    enabled: bool,
    description: String,
    key_usage: &'static str,
    key_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_date: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_deletion_window_in_days: Option<u32>,
    origin: &'static str,
    key_manager: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_master_key_spec: Option<&'static str>,
    key_spec: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    encryption_algorithms: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    signing_algorithms: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mac_algorithms: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    key_agreement_algorithms: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    encapsulation_algorithms: Vec<&'static str>,
    multi_region: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_region_configuration: Option<MultiRegionConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_to: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_key_material_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_key_store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_hsm_cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_key_configuration: Option<XksKeyConfiguration>,
}

/// `XksKeyConfigurationType`: the external key behind a key in an external key store.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct XksKeyConfiguration {
    id: String,
}

/// `MultiRegionConfiguration`: the key's type and its related keys.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MultiRegionConfiguration {
    multi_region_key_type: &'static str,
    primary_key: MultiRegionKey,
    replica_keys: Vec<MultiRegionKey>,
}

/// `MultiRegionKey`: one related key.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MultiRegionKey {
    arn: String,
    region: String,
}

impl MultiRegionConfiguration {
    fn of(key: &Key) -> Option<MultiRegionConfiguration> {
        let config = key.multi_region.as_ref()?;
        let related = |region: &Region| MultiRegionKey {
            arn: KeyArn {
                scope: Scope {
                    account: key.arn.scope.account.clone(),
                    region: region.clone(),
                },
                key_id: key.arn.key_id.clone(),
            }
            .to_string(),
            region: region.as_str().to_owned(),
        };
        Some(MultiRegionConfiguration {
            multi_region_key_type: if key.is_primary() {
                "PRIMARY"
            } else {
                "REPLICA"
            },
            primary_key: related(&config.primary),
            replica_keys: config.replicas.iter().map(related).collect(),
        })
    }
}

impl From<&Key> for KeyMetadata {
    fn from(key: &Key) -> KeyMetadata {
        KeyMetadata {
            aws_account_id: key.arn.scope.account.as_str().to_owned(),
            key_id: key.arn.key_id.to_string(),
            arn: key.arn.to_string(),
            creation_date: key.creation_date.into(),
            enabled: key.visible_state() == KeyState::Enabled,
            description: key.description.clone(),
            key_usage: key.usage.as_str(),
            key_state: key.visible_state().as_str(),
            // A primary waiting for its replicas' deletion has a window but no date yet.
            deletion_date: key
                .deletion
                .filter(|_| key.state != KeyState::PendingReplicaDeletion)
                .map(|d| d.date.into()),
            pending_deletion_window_in_days: key
                .deletion
                .filter(|_| key.state == KeyState::PendingReplicaDeletion)
                .map(|d| d.window_days),
            origin: key.origin.as_str(),
            key_manager: key.manager.as_str(),
            customer_master_key_spec: customer_master_key_spec(key.spec),
            key_spec: key.spec.as_str(),
            encryption_algorithms: names(key.encryption_algorithms()),
            signing_algorithms: names(key.signing_algorithms()),
            mac_algorithms: names(key.mac_algorithms()),
            key_agreement_algorithms: names(key.key_agreement_algorithms()),
            encapsulation_algorithms: names(key.encapsulation_algorithms()),
            multi_region: key.multi_region.is_some(),
            multi_region_configuration: MultiRegionConfiguration::of(key),
            expiration_model: expiration_model(key).map(ExpirationModel::as_str),
            valid_to: key.imports().earliest_valid_to().map(EpochSeconds::from),
            current_key_material_id: current_key_material_id(key),
            custom_key_store_id: key.custom_key_store.as_ref().map(|l| l.store_id.clone()),
            cloud_hsm_cluster_id: match key.custom_key_store.as_deref().map(|l| &l.backing) {
                Some(KeyBacking::CloudHsmCluster(id)) => Some(id.clone()),
                _ => None,
            },
            xks_key_configuration: match key.custom_key_store.as_deref().map(|l| &l.backing) {
                Some(KeyBacking::XksKey(id)) => Some(XksKeyConfiguration { id: id.clone() }),
                _ => None,
            },
        }
    }
}

/// `ExpirationModel`: for a key with imported material, whether any present material expires;
/// absent until material was imported, and for other origins.
fn expiration_model(key: &Key) -> Option<ExpirationModel> {
    if key.origin != Origin::External || key.imports().materials.iter().all(|m| !m.imported) {
        return None;
    }
    Some(if key.imports().earliest_valid_to().is_some() {
        ExpirationModel::KeyMaterialExpires
    } else {
        ExpirationModel::KeyMaterialDoesNotExpire
    })
}

/// `CurrentKeyMaterialId`: symmetric encryption keys only; for imported material, the current
/// one's id even while it waits to be imported again.
fn current_key_material_id(key: &Key) -> Option<String> {
    if key.spec != KeySpec::SymmetricDefault {
        return None;
    }
    if key.origin == Origin::External {
        return key.imports().current().map(|m| m.id.to_string());
    }
    key.current_material().map(|m| m.id.to_string())
}

/// The AWS spellings of a list of enum values.
pub(crate) fn names<E: AwsEnum>(values: &[E]) -> Vec<&'static str> {
    values.iter().map(|v| v.as_str()).collect()
}

/// The deprecated `CustomerMasterKeySpec`, which has no values for specs added after it was
/// deprecated (ML-DSA, ML-KEM, Ed25519).
pub(crate) fn customer_master_key_spec(spec: KeySpec) -> Option<&'static str> {
    match spec {
        KeySpec::MlDsa44
        | KeySpec::MlDsa65
        | KeySpec::MlDsa87
        | KeySpec::MlKem512
        | KeySpec::MlKem768
        | KeySpec::MlKem1024
        | KeySpec::EccNistEdwards25519 => None,
        other => Some(other.as_str()),
    }
}

/// A request whose only member is the required `KeyId`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyIdRequest {
    key_id: Option<String>,
}

impl KeyIdRequest {
    /// The key, after the model's constraints.
    pub(crate) fn parse(self, v: &mut Validator) -> Option<KeyRef> {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.names_key(self.key_id.as_deref());
        key_ref(self.key_id)
    }
}

/// CreateKey.
pub(crate) struct CreateKey;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateKeyRequest {
    policy: Option<String>,
    description: Option<String>,
    key_usage: Option<EnumMember<KeyUsage>>,
    customer_master_key_spec: Option<EnumMember<KeySpec>>,
    key_spec: Option<EnumMember<KeySpec>>,
    origin: Option<EnumMember<Origin>>,
    custom_key_store_id: Option<String>,
    /// Accepted; policies are not enforced, so there is no lockout to check.
    bypass_policy_lockout_safety_check: Option<bool>,
    tags: Option<Vec<WireTag>>,
    multi_region: Option<bool>,
    xks_key_id: Option<String>,
}

/// The model's constraints on a `Policy` member.
pub(crate) fn policy_constraints(v: &mut Validator, policy: Option<&str>, required: bool) {
    v.string("policy", policy, 1, 131_072, required);
    v.pattern(
        "policy",
        policy,
        "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        |c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'),
    );
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyMetadataResponse {
    key_metadata: KeyMetadata,
}

impl Handler for CreateKey {
    type Request = CreateKeyRequest;
    type Input = CreateKeyInput;
    type Response = KeyMetadataResponse;

    fn weight(r: &CreateKeyRequest) -> Weight {
        // Only a key pair takes long to generate; symmetric and HMAC keys are random bytes.
        let pair = known(r.key_spec.as_ref())
            .or(known(r.customer_master_key_spec.as_ref()))
            .is_some_and(KeySpec::is_asymmetric);
        if pair {
            Weight::KeyGeneration
        } else {
            Weight::Light
        }
    }

    fn parse(r: CreateKeyRequest, v: &mut Validator) -> Option<CreateKeyInput> {
        policy_constraints(v, r.policy.as_deref(), false);
        v.string("description", r.description.as_deref(), 0, 8192, false);
        v.enumeration("keyUsage", r.key_usage.as_ref(), false);
        v.enumeration(
            "customerMasterKeySpec",
            r.customer_master_key_spec.as_ref(),
            false,
        );
        v.enumeration("keySpec", r.key_spec.as_ref(), false);
        v.enumeration("origin", r.origin.as_ref(), false);
        v.string(
            "customKeyStoreId",
            r.custom_key_store_id.as_deref(),
            1,
            64,
            false,
        );
        validate_tags(v, "tags", r.tags.as_ref());
        v.string("xksKeyId", r.xks_key_id.as_deref(), 1, 128, false);
        let key_spec = known(r.key_spec.as_ref());
        let cmk_spec = known(r.customer_master_key_spec.as_ref());
        if key_spec.is_some() && cmk_spec.is_some() {
            v.reject(kms::Error::Validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. \
                 CustomerMasterKeySpec is deprecated."
                    .into(),
            ));
        }
        v.pattern(
            "xksKeyId",
            r.xks_key_id.as_deref(),
            "^[a-zA-Z0-9-_.]+$",
            |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'),
        );
        Some(CreateKeyInput {
            description: r.description,
            usage: known(r.key_usage.as_ref()),
            spec: key_spec.or(cmk_spec),
            origin: known(r.origin.as_ref()),
            policy: r.policy,
            tags: tag_pairs(r.tags)?,
            multi_region: r.multi_region.unwrap_or(false),
            custom_key_store_id: r.custom_key_store_id,
            xks_key_id: r.xks_key_id,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: CreateKeyInput,
    ) -> Result<KeyMetadataResponse, ApiError> {
        let key = kms.create_key(cx, input)?;
        Ok(KeyMetadataResponse {
            key_metadata: KeyMetadata::from(&*key),
        })
    }
}

/// DescribeKey.
pub(crate) struct DescribeKey;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeKeyRequest {
    key_id: Option<String>,
    grant_tokens: Option<Vec<String>>,
}

impl Handler for DescribeKey {
    type Request = DescribeKeyRequest;
    type Input = KeyRef;
    type Response = KeyMetadataResponse;

    fn parse(r: DescribeKeyRequest, v: &mut Validator) -> Option<KeyRef> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.grant_tokens(r.grant_tokens.as_ref());
        v.names_key(r.key_id.as_deref());
        key_ref(r.key_id)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<KeyMetadataResponse, ApiError> {
        let key = kms.describe_key(cx, &key)?;
        Ok(KeyMetadataResponse {
            key_metadata: KeyMetadata::from(&*key),
        })
    }
}

/// ListKeys.
pub(crate) struct ListKeys;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeysRequest {
    limit: Option<i64>,
    marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeysResponse {
    keys: Vec<KeyListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyListEntry {
    key_id: String,
    key_arn: String,
}

impl Handler for ListKeys {
    type Request = ListKeysRequest;
    type Input = Paging;
    type Response = ListKeysResponse;

    fn parse(r: ListKeysRequest, v: &mut Validator) -> Option<Paging> {
        v.paging(r.limit, r.marker.as_deref());
        Some(Paging {
            limit: limit(r.limit, LIST_KEYS_DEFAULT_LIMIT),
            marker: r.marker,
        })
    }

    fn handle(kms: &Kms, cx: &mut Context, paging: Paging) -> Result<ListKeysResponse, ApiError> {
        let page = kms.list_keys(cx, paging)?;
        Ok(ListKeysResponse {
            keys: page
                .items
                .into_iter()
                .map(|arn| KeyListEntry {
                    key_id: arn.key_id.to_string(),
                    key_arn: arn.to_string(),
                })
                .collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        })
    }
}

/// EnableKey.
pub(crate) struct EnableKey;

impl Handler for EnableKey {
    type Request = KeyIdRequest;
    type Input = KeyRef;
    type Response = Empty;

    fn parse(r: KeyIdRequest, v: &mut Validator) -> Option<KeyRef> {
        r.parse(v)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<Empty, ApiError> {
        kms.enable_key(cx, &key)?;
        Ok(Empty {})
    }
}

/// DisableKey.
pub(crate) struct DisableKey;

impl Handler for DisableKey {
    type Request = KeyIdRequest;
    type Input = KeyRef;
    type Response = Empty;

    fn parse(r: KeyIdRequest, v: &mut Validator) -> Option<KeyRef> {
        r.parse(v)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<Empty, ApiError> {
        kms.disable_key(cx, &key)?;
        Ok(Empty {})
    }
}

/// UpdateKeyDescription.
pub(crate) struct UpdateKeyDescription;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateKeyDescriptionRequest {
    key_id: Option<String>,
    description: Option<String>,
}

impl Handler for UpdateKeyDescription {
    type Request = UpdateKeyDescriptionRequest;
    type Input = UpdateKeyDescriptionInput;
    type Response = Empty;

    fn parse(
        r: UpdateKeyDescriptionRequest,
        v: &mut Validator,
    ) -> Option<UpdateKeyDescriptionInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.string("description", r.description.as_deref(), 0, 8192, true);
        v.names_key(r.key_id.as_deref());
        Some(UpdateKeyDescriptionInput {
            key: key_ref(r.key_id)?,
            description: r.description?,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: UpdateKeyDescriptionInput,
    ) -> Result<Empty, ApiError> {
        kms.update_key_description(cx, input)?;
        Ok(Empty {})
    }
}

/// ScheduleKeyDeletion.
pub(crate) struct ScheduleKeyDeletion;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScheduleKeyDeletionRequest {
    key_id: Option<String>,
    pending_window_in_days: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScheduleKeyDeletionResponse {
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_date: Option<EpochSeconds>,
    key_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_window_in_days: Option<u32>,
}

impl Handler for ScheduleKeyDeletion {
    type Request = ScheduleKeyDeletionRequest;
    type Input = ScheduleKeyDeletionInput;
    type Response = ScheduleKeyDeletionResponse;

    fn parse(r: ScheduleKeyDeletionRequest, v: &mut Validator) -> Option<ScheduleKeyDeletionInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.range(
            "pendingWindowInDays",
            r.pending_window_in_days,
            1,
            365,
            false,
        );
        v.names_key(r.key_id.as_deref());
        Some(ScheduleKeyDeletionInput {
            key: key_ref(r.key_id)?,
            pending_window_days: r.pending_window_in_days.and_then(|d| u32::try_from(d).ok()),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ScheduleKeyDeletionInput,
    ) -> Result<ScheduleKeyDeletionResponse, ApiError> {
        let key = kms.schedule_key_deletion(cx, input)?;
        let waits_for_replicas = key.state == KeyState::PendingReplicaDeletion;
        Ok(ScheduleKeyDeletionResponse {
            key_id: key.arn.to_string(),
            deletion_date: key
                .deletion
                .filter(|_| !waits_for_replicas)
                .map(|d| d.date.into()),
            key_state: key.state.as_str(),
            pending_window_in_days: key.deletion.map(|d| d.window_days),
        })
    }
}

/// CancelKeyDeletion.
pub(crate) struct CancelKeyDeletion;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CancelKeyDeletionResponse {
    key_id: String,
}

impl Handler for CancelKeyDeletion {
    type Request = KeyIdRequest;
    type Input = KeyRef;
    type Response = CancelKeyDeletionResponse;

    fn parse(r: KeyIdRequest, v: &mut Validator) -> Option<KeyRef> {
        r.parse(v)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        key: KeyRef,
    ) -> Result<CancelKeyDeletionResponse, ApiError> {
        let key = kms.cancel_key_deletion(cx, &key)?;
        Ok(CancelKeyDeletionResponse {
            key_id: key.arn.to_string(),
        })
    }
}
