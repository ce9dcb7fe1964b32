//! AWS managed keys: every account and region has AWS's predefined aliases (`alias/aws/s3`,
//! `alias/aws/ebs`, ...). Until a key is behind one, ListAliases shows it without a
//! `TargetKeyId`; the first DescribeKey or cryptographic operation that names it creates the
//! AWS managed key, as AWS does when a service first uses it: `KeyManager` `AWS`, AWS's policy
//! for managed keys, yearly rotation. AWS managed keys cannot be managed: their policy lets the
//! account read them and nothing more, so management operations are denied.
//! See <https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key>.

use std::sync::Arc;

use super::{Context, Kms, Result};
use crate::crypto::{self, KeyMaterial};
use crate::model::{
    Alias, AliasName, Key, KeyArn, KeyId, KeyManager, KeyPolicy, KeyRef, KeyRotation, KeySpec,
    KeyState, KeyUsage, Material, MaterialId, Origin, PARTITION, RotationSchedule, Scope,
    Timestamp,
};

/// Days between the automatic rotations of an AWS managed key (yearly since May 2022).
const MANAGED_ROTATION_DAYS: u32 = 365;

/// A service whose AWS managed key every account and region has an alias for.
#[derive(Debug)]
pub(super) struct ManagedService {
    /// The predefined alias, `alias/aws/<service>`.
    pub(super) alias: &'static str,
    /// What the key's description says it protects.
    pub(super) protects: &'static str,
    /// The service as the key policy names it ("Allow access through EBS ...").
    pub(super) name: &'static str,
    /// The host prefix of the service in `kms:ViaService` (`ec2` for EBS).
    pub(super) via: &'static str,
}

/// The predefined aliases of every account and region, in name order.
pub(super) const PREDEFINED: &[ManagedService] = &[
    service("alias/aws/acm", "ACM private keys", "ACM", "acm"),
    service(
        "alias/aws/dynamodb",
        "DynamoDB table",
        "DynamoDB",
        "dynamodb",
    ),
    service("alias/aws/ebs", "EBS volumes", "EBS", "ec2"),
    service(
        "alias/aws/elasticfilesystem",
        "EFS filesystems",
        "EFS",
        "elasticfilesystem",
    ),
    service("alias/aws/es", "Elasticsearch data", "Elasticsearch", "es"),
    service("alias/aws/glue", "Glue data", "Glue", "glue"),
    service(
        "alias/aws/kinesisvideo",
        "Kinesis Video Streams data",
        "Kinesis Video Streams",
        "kinesisvideo",
    ),
    service("alias/aws/lambda", "Lambda functions", "Lambda", "lambda"),
    service("alias/aws/rds", "RDS database volumes", "RDS", "rds"),
    service(
        "alias/aws/redshift",
        "Redshift data",
        "Redshift",
        "redshift",
    ),
    service("alias/aws/s3", "S3 objects", "S3", "s3"),
    service(
        "alias/aws/secretsmanager",
        "Secrets Manager data",
        "Secrets Manager",
        "secretsmanager",
    ),
    service("alias/aws/ssm", "SSM parameters", "SSM", "ssm"),
    service("alias/aws/xray", "X-Ray data", "X-Ray", "xray"),
];

const fn service(
    alias: &'static str,
    protects: &'static str,
    name: &'static str,
    via: &'static str,
) -> ManagedService {
    ManagedService {
        alias,
        protects,
        name,
        via,
    }
}

/// The predefined alias `name` is, if it is one.
pub(super) fn predefined(name: &str) -> Option<&'static ManagedService> {
    PREDEFINED.iter().find(|s| s.alias == name)
}

/// The predefined alias a reference names in the caller's own scope, if it does.
pub(super) fn predefined_ref(key_ref: &KeyRef, caller: &Scope) -> Option<&'static ManagedService> {
    match key_ref {
        KeyRef::Alias(name) => predefined(name),
        KeyRef::AliasArn {
            partition,
            region,
            account,
            name,
        } if partition == PARTITION
            && region == caller.region.as_str()
            && account == caller.account.as_str() =>
        {
            predefined(name)
        }
        _ => None,
    }
}

impl ManagedService {
    /// The key AWS creates in `scope` for this service, at `now`.
    fn key(&self, scope: Scope, now: Timestamp) -> Key {
        let service = self.alias.trim_start_matches("alias/aws/");
        Key {
            policy: KeyPolicy::Document(policy(self, service, &scope)),
            arn: KeyArn {
                scope,
                key_id: KeyId::generate(),
            },
            creation_date: now,
            description: format!(
                "Default key that protects my {} when no other key is defined",
                self.protects
            ),
            usage: KeyUsage::EncryptDecrypt,
            spec: KeySpec::SymmetricDefault,
            origin: Origin::AwsKms,
            manager: KeyManager::Aws,
            state: KeyState::Enabled,
            deletion: None,
            materials: Arc::new([Material {
                id: MaterialId(crypto::random_array()),
                secret: KeyMaterial::generate_aes256(),
                created: now,
            }]),
            tags: Default::default(),
            rotation: KeyRotation {
                schedule: Some(RotationSchedule {
                    period_days: MANAGED_ROTATION_DAYS,
                    next: now.plus_days(MANAGED_ROTATION_DAYS),
                }),
                history: Vec::new(),
            },
            grants: Vec::new(),
            multi_region: None,
            imports: None,
            custom_key_store: None,
        }
    }
}

/// AWS's key policy for the managed key of `service`: principals of the account may use it
/// through the service, and the account may read its metadata (and revoke grants).
fn policy(service: &ManagedService, short: &str, scope: &Scope) -> String {
    let account = scope.account.as_str();
    let region = scope.region.as_str();
    let name = service.name;
    let via = service.via;
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-{short}-2\",\n  \"Statement\" : [ {{\n    \
         \"Sid\" : \"Allow access through {name} for all principals in the account that are \
         authorized to use {name}\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \
         \"AWS\" : \"*\"\n    }},\n    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \
         \"kms:ReEncrypt*\", \"kms:GenerateDataKey*\", \"kms:CreateGrant\", \"kms:DescribeKey\" \
         ],\n    \"Resource\" : \"*\",\n    \"Condition\" : {{\n      \"StringEquals\" : {{\n        \
         \"kms:ViaService\" : \"{via}.{region}.amazonaws.com\",\n        \"kms:CallerAccount\" : \
         \"{account}\"\n      }}\n    }}\n  }}, {{\n    \"Sid\" : \"Allow direct access to key \
         metadata to the account\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \
         \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : [ \"kms:Describe*\", \
         \"kms:Get*\", \"kms:List*\", \"kms:RevokeGrant\" ],\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

impl Kms {
    /// The AWS managed key behind the predefined alias of `service` in the caller's scope,
    /// created with its alias when nothing is behind it yet.
    pub(super) fn managed_key(
        &self,
        cx: &mut Context,
        service: &'static ManagedService,
    ) -> Result<Arc<Key>> {
        let now = self.clock.now();
        let name = AliasName::new_unchecked(service.alias.to_owned());
        let caller = &cx.scope;
        self.mutate(&mut cx.seen, |state, changes| {
            // Another call may have created it since this one looked.
            if let Some(alias) = state.partition(caller).and_then(|p| p.aliases.get(&name))
                && let Some(key) = state
                    .partition(caller)
                    .and_then(|p| p.keys.get(&alias.target))
            {
                return Ok(key.clone());
            }
            let key = service.key(state.shared_scope(caller), now);
            changes.put_alias(
                caller,
                Alias {
                    name,
                    target: key.arn.key_id.clone(),
                    creation_date: now,
                    last_updated: now,
                },
            );
            Ok(changes.put_key(key))
        })
    }
}
