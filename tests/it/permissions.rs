//! `--enforce-policies`: every call authorised by its key policy, the caller's identity policy
//! and grants, as AWS does. One table of calls by several identities through the SDK, run with
//! enforcement on (each row allowed or denied with AWS's message), off (every row allowed) and
//! in audit mode (every row allowed, the denials recorded); then grants, retiring, the lockout
//! check and the audit trail's record.

use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantConstraints, GrantOperation, KeySpec, KeyUsageType};
use kmsd::kms::Enforcement;

use crate::support::identities::{HOME, OTHER, client_as, server};
use crate::support::{TestServer, check_error};

const ADMIN: &str = "AKIAADMIN00000000001";
const APP: &str = "ASIAAPP0000000000001";
const NOPOLICY: &str = "AKIANOPOLICY00000001";
const ROOT: &str = "AKIAROOT000000000001";
const PARTNER: &str = "AKIAOTHER00000000001";
const STRANGER: &str = "AKIAOTHERNOPOLICY001";

const ADMIN_ARN: &str = "arn:aws:iam::111122223333:role/Admin";
const APP_ARN: &str = "arn:aws:sts::111122223333:assumed-role/App/i-0abc";
const APP_ROLE: &str = "arn:aws:iam::111122223333:role/App";
const NOPOLICY_ARN: &str = "arn:aws:iam::111122223333:user/nopolicy";
const ROOT_ARN: &str = "arn:aws:iam::111122223333:root";
const PARTNER_ARN: &str = "arn:aws:iam::444455556666:role/Partner";
const STRANGER_ARN: &str = "arn:aws:iam::444455556666:role/Stranger";

/// The shared key's policy: the account delegates to IAM; the nopolicy user may encrypt and
/// decrypt with one encryption context and algorithm, and describe symmetric keys; nobody
/// but the platform team may schedule deletion; the partner account may use the key.
fn shared_policy() -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Sid":"Root","Effect":"Allow","Principal":{{"AWS":"{ROOT_ARN}"}},"Action":"kms:*","Resource":"*"}},
  {{"Sid":"UserUse","Effect":"Allow","Principal":{{"AWS":"{NOPOLICY_ARN}"}},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*",
    "Condition":{{"StringEquals":{{"kms:EncryptionContext:purpose":"payments","kms:EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}}}}}},
  {{"Sid":"UserDescribe","Effect":"Allow","Principal":{{"AWS":"{NOPOLICY_ARN}"}},"Action":"kms:DescribeKey","Resource":"*",
    "Condition":{{"StringEquals":{{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}}}}},
  {{"Sid":"NoDeletion","Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*",
    "Condition":{{"StringNotEquals":{{"aws:PrincipalTag/team":"platform"}}}}}},
  {{"Sid":"Partner","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey"],"Resource":"*"}}
]}}"#
    )
}

/// The private key's policy: only the admin role, by name. The account root is not named.
fn private_policy() -> String {
    format!(
        r#"{{"Statement":[{{"Sid":"AdminOnly","Effect":"Allow","Principal":{{"AWS":"{ADMIN_ARN}"}},"Action":"kms:*","Resource":"*"}}]}}"#
    )
}

/// The keys the table uses.
struct Keys {
    /// Symmetric, [`shared_policy`].
    shared: String,
    /// ECC_NIST_P256 signing key, [`shared_policy`].
    signing: String,
    /// Symmetric, [`private_policy`].
    private: String,
}

async fn create_keys(server: &TestServer) -> Keys {
    let admin = client_as(server, ADMIN);
    let create = |spec: KeySpec, usage: KeyUsageType, policy: String| {
        let admin = admin.clone();
        async move {
            admin
                .create_key()
                .key_spec(spec)
                .key_usage(usage)
                .policy(policy)
                .send()
                .await
                .unwrap()
                .key_metadata
                .unwrap()
                .arn
                .unwrap()
        }
    };
    Keys {
        shared: create(
            KeySpec::SymmetricDefault,
            KeyUsageType::EncryptDecrypt,
            shared_policy(),
        )
        .await,
        signing: create(
            KeySpec::EccNistP256,
            KeyUsageType::SignVerify,
            shared_policy(),
        )
        .await,
        private: create(
            KeySpec::SymmetricDefault,
            KeyUsageType::EncryptDecrypt,
            private_policy(),
        )
        .await,
    }
}

/// One call of the table.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// Encrypt with `{"purpose": <value>}`, or no context.
    Encrypt(Option<&'static str>),
    DescribeKey,
    DisableKey,
    ScheduleKeyDeletion,
    RotateKeyOnDemand,
    CreateKey,
}

impl Call {
    fn action(self) -> &'static str {
        match self {
            Call::Encrypt(_) => "Encrypt",
            Call::DescribeKey => "DescribeKey",
            Call::DisableKey => "DisableKey",
            Call::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Call::RotateKeyOnDemand => "RotateKeyOnDemand",
            Call::CreateKey => "CreateKey",
        }
    }

    /// Makes the call; a call that changed the key is undone by the admin, so that the rows
    /// stay independent.
    async fn run(self, client: &Client, admin: &Client, key: &str) -> Result<(), (String, String)> {
        let fail = |e: &dyn ProvideErrorMetadata| {
            (
                e.code().unwrap_or_default().to_owned(),
                e.message().unwrap_or_default().to_owned(),
            )
        };
        match self {
            Call::Encrypt(context) => {
                let mut request = client
                    .encrypt()
                    .key_id(key)
                    .plaintext(Blob::new(b"secret".to_vec()));
                if let Some(value) = context {
                    request = request.encryption_context("purpose", value);
                }
                request.send().await.map(drop).map_err(|e| fail(&e))
            }
            Call::DescribeKey => client
                .describe_key()
                .key_id(key)
                .send()
                .await
                .map(drop)
                .map_err(|e| fail(&e)),
            Call::DisableKey => {
                client
                    .disable_key()
                    .key_id(key)
                    .send()
                    .await
                    .map_err(|e| fail(&e))?;
                admin.enable_key().key_id(key).send().await.unwrap();
                Ok(())
            }
            Call::ScheduleKeyDeletion => {
                client
                    .schedule_key_deletion()
                    .key_id(key)
                    .send()
                    .await
                    .map_err(|e| fail(&e))?;
                admin
                    .cancel_key_deletion()
                    .key_id(key)
                    .send()
                    .await
                    .unwrap();
                admin.enable_key().key_id(key).send().await.unwrap();
                Ok(())
            }
            Call::RotateKeyOnDemand => client
                .rotate_key_on_demand()
                .key_id(key)
                .send()
                .await
                .map(drop)
                .map_err(|e| fail(&e)),
            Call::CreateKey => client
                .create_key()
                .send()
                .await
                .map(drop)
                .map_err(|e| fail(&e)),
        }
    }
}

/// Which key a row names: by ARN, so that the partner account can name it too.
#[derive(Debug, Clone, Copy)]
enum Which {
    Shared,
    Signing,
    Private,
    /// No key (CreateKey).
    None,
}

/// What enforcement answers: allowed, or denied with the message's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    NoResourcePolicy,
    NoIdentityPolicy,
    ResourceDeny,
    IdentityDeny,
}

/// (who, principal ARN, call, key, expected) — the table.
fn table() -> Vec<(&'static str, &'static str, Call, Which, Expect)> {
    use Call::*;
    use Expect::*;
    vec![
        // Allow and deny by action: the app role's IAM policy allows Encrypt, not DisableKey.
        (APP, APP_ARN, Encrypt(None), Which::Shared, Allowed),
        (APP, APP_ARN, DisableKey, Which::Shared, NoIdentityPolicy),
        (ADMIN, ADMIN_ARN, DisableKey, Which::Shared, Allowed),
        // Explicit deny over allow: in the key policy (principal tag), in the identity policy.
        (
            APP,
            APP_ARN,
            ScheduleKeyDeletion,
            Which::Shared,
            ResourceDeny,
        ),
        (
            ADMIN,
            ADMIN_ARN,
            ScheduleKeyDeletion,
            Which::Shared,
            Allowed,
        ),
        (
            ADMIN,
            ADMIN_ARN,
            RotateKeyOnDemand,
            Which::Shared,
            IdentityDeny,
        ),
        // Root delegation: the root needs no IAM policy, a user without one gets nothing.
        (ROOT, ROOT_ARN, DisableKey, Which::Shared, Allowed),
        (
            NOPOLICY,
            NOPOLICY_ARN,
            DisableKey,
            Which::Shared,
            NoIdentityPolicy,
        ),
        (APP, APP_ARN, DescribeKey, Which::Shared, Allowed),
        // A key policy that does not name the account: its IAM policies do not count.
        (
            ROOT,
            ROOT_ARN,
            Encrypt(None),
            Which::Private,
            NoResourcePolicy,
        ),
        (
            APP,
            APP_ARN,
            Encrypt(None),
            Which::Private,
            NoResourcePolicy,
        ),
        (ADMIN, ADMIN_ARN, Encrypt(None), Which::Private, Allowed),
        // Conditions: encryption context (and algorithm), key spec.
        (
            NOPOLICY,
            NOPOLICY_ARN,
            Encrypt(Some("payments")),
            Which::Shared,
            Allowed,
        ),
        (
            NOPOLICY,
            NOPOLICY_ARN,
            Encrypt(Some("billing")),
            Which::Shared,
            NoIdentityPolicy,
        ),
        (
            NOPOLICY,
            NOPOLICY_ARN,
            Encrypt(None),
            Which::Shared,
            NoIdentityPolicy,
        ),
        (NOPOLICY, NOPOLICY_ARN, DescribeKey, Which::Shared, Allowed),
        (
            NOPOLICY,
            NOPOLICY_ARN,
            DescribeKey,
            Which::Signing,
            NoIdentityPolicy,
        ),
        // Cross-account: the key policy allows the account and its IAM policy the caller.
        (PARTNER, PARTNER_ARN, Encrypt(None), Which::Shared, Allowed),
        (PARTNER, PARTNER_ARN, DescribeKey, Which::Shared, Allowed),
        (
            STRANGER,
            STRANGER_ARN,
            Encrypt(None),
            Which::Shared,
            NoIdentityPolicy,
        ),
        (
            PARTNER,
            PARTNER_ARN,
            Encrypt(None),
            Which::Private,
            NoResourcePolicy,
        ),
        // Actions on no key are the identity policy's alone.
        (ADMIN, ADMIN_ARN, CreateKey, Which::None, Allowed),
        (
            NOPOLICY,
            NOPOLICY_ARN,
            CreateKey,
            Which::None,
            NoIdentityPolicy,
        ),
    ]
}

fn expected_message(principal: &str, action: &str, resource: &str, expect: Expect) -> String {
    let tail = match expect {
        Expect::NoResourcePolicy => {
            format!("because no resource-based policy allows the kms:{action} action")
        }
        Expect::NoIdentityPolicy => {
            format!("because no identity-based policy allows the kms:{action} action")
        }
        Expect::ResourceDeny => "with an explicit deny in a resource-based policy".into(),
        Expect::IdentityDeny => "with an explicit deny in an identity-based policy".into(),
        Expect::Allowed => unreachable!(),
    };
    format!(
        "User: {principal} is not authorized to perform: kms:{action} on resource: {resource} {tail}"
    )
}

/// Runs the table on a server with `enforcement`; with it off or in audit mode every row is
/// allowed.
async fn run_table(enforcement: Enforcement) -> TestServer {
    let server = server(true, enforcement).await;
    let keys = create_keys(&server).await;
    let admin = client_as(&server, ADMIN);
    for (who, principal, call, which, expect) in table() {
        let key = match which {
            Which::Shared => keys.shared.as_str(),
            Which::Signing => keys.signing.as_str(),
            Which::Private => keys.private.as_str(),
            Which::None => "*",
        };
        let client = client_as(&server, who);
        let result = call.run(&client, &admin, key).await;
        let row = format!("{who} {call:?} on {which:?}");
        if enforcement == Enforcement::On && expect != Expect::Allowed {
            let (code, message) = result.expect_err(&row);
            assert_eq!(code, "AccessDeniedException", "{row}: {message}");
            assert_eq!(
                message,
                expected_message(principal, call.action(), key, expect),
                "{row}"
            );
        } else {
            result.unwrap_or_else(|e| panic!("{row}: {e:?}"));
        }
    }
    server
}

#[tokio::test]
async fn the_permission_table_with_enforcement_on() {
    run_table(Enforcement::On).await;
}

#[tokio::test]
async fn the_permission_table_with_enforcement_off_allows_every_call() {
    run_table(Enforcement::Off).await;
}

#[tokio::test]
async fn grants_allow_their_operations_within_their_constraints() {
    let server = server(true, Enforcement::On).await;
    let keys = create_keys(&server).await;
    let (admin, app, user) = (
        client_as(&server, ADMIN),
        client_as(&server, APP),
        client_as(&server, NOPOLICY),
    );
    let encrypt = |client: &Client, context: Option<&str>, token: Option<&str>| {
        let mut request = client
            .encrypt()
            .key_id(&keys.private)
            .plaintext(Blob::new(b"x".to_vec()));
        if let Some(value) = context {
            request = request.encryption_context("purpose", value);
        }
        if let Some(token) = token {
            request = request.grant_tokens(token);
        }
        request.send()
    };
    // Before a grant the user may not use the private key; a fresh grant is usable at once,
    // with its token and without.
    check_error(encrypt(&user, None, None).await, "AccessDeniedException");
    let grant = admin
        .create_grant()
        .key_id(&keys.private)
        .grantee_principal(NOPOLICY_ARN)
        .operations(GrantOperation::Encrypt)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let token = grant.grant_token.unwrap();
    encrypt(&user, None, Some(&token)).await.unwrap();
    let ciphertext = encrypt(&user, None, None)
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    user.decrypt()
        .ciphertext_blob(ciphertext)
        .send()
        .await
        .unwrap();
    // The grant allows only its operations.
    check_error(
        user.describe_key().key_id(&keys.private).send().await,
        "AccessDeniedException",
    );
    // A grant to a role covers its sessions, within the grant's encryption context constraint.
    admin
        .create_grant()
        .key_id(&keys.private)
        .grantee_principal(APP_ROLE)
        .operations(GrantOperation::Encrypt)
        .constraints(
            GrantConstraints::builder()
                .encryption_context_subset("purpose", "payments")
                .build(),
        )
        .send()
        .await
        .unwrap();
    encrypt(&app, Some("payments"), None).await.unwrap();
    let message = check_error(
        encrypt(&app, Some("billing"), None).await,
        "AccessDeniedException",
    );
    assert_eq!(
        message,
        expected_message(APP_ARN, "Encrypt", &keys.private, Expect::NoResourcePolicy)
    );
    check_error(encrypt(&app, None, None).await, "AccessDeniedException");
    // Revoking takes the grant away again; the app may not revoke (the key policy does not
    // allow it), the admin may.
    let message = check_error(
        app.revoke_grant()
            .key_id(&keys.private)
            .grant_id(grant.grant_id.as_deref().unwrap())
            .send()
            .await,
        "AccessDeniedException",
    );
    assert_eq!(
        message,
        expected_message(
            APP_ARN,
            "RevokeGrant",
            &keys.private,
            Expect::NoResourcePolicy
        )
    );
    admin
        .revoke_grant()
        .key_id(&keys.private)
        .grant_id(grant.grant_id.unwrap())
        .send()
        .await
        .unwrap();
    check_error(encrypt(&user, None, None).await, "AccessDeniedException");
}

#[tokio::test]
async fn a_grant_is_retired_by_its_retiring_principal_and_not_by_others() {
    let server = server(true, Enforcement::On).await;
    let keys = create_keys(&server).await;
    let (admin, app, user, partner) = (
        client_as(&server, ADMIN),
        client_as(&server, APP),
        client_as(&server, NOPOLICY),
        client_as(&server, PARTNER),
    );
    let grant = admin
        .create_grant()
        .key_id(&keys.shared)
        .grantee_principal(PARTNER_ARN)
        .retiring_principal(NOPOLICY_ARN)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let token = grant.grant_token.unwrap();
    // The app is neither retiring principal nor grantee, and its IAM policy does not allow
    // RetireGrant; the grantee may not either, as the grant does not include RetireGrant.
    for client in [&app, &partner] {
        check_error(
            client.retire_grant().grant_token(&token).send().await,
            "AccessDeniedException",
        );
    }
    user.retire_grant()
        .grant_token(&token)
        .send()
        .await
        .unwrap();
    let grants = admin
        .list_grants()
        .key_id(&keys.shared)
        .send()
        .await
        .unwrap();
    assert!(grants.grants.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn the_lockout_safety_check_keeps_the_caller_able_to_change_the_policy() {
    let server = server(true, Enforcement::On).await;
    let admin = client_as(&server, ADMIN);
    let locks_out = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{APP_ROLE}"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let message = check_error(
        admin.create_key().policy(&locks_out).send().await,
        "MalformedPolicyDocumentException",
    );
    assert_eq!(
        message,
        "The new key policy will not allow you to update the key policy in the future."
    );
    let key = admin
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    check_error(
        admin
            .put_key_policy()
            .key_id(&key)
            .policy(&locks_out)
            .send()
            .await,
        "MalformedPolicyDocumentException",
    );
    admin
        .put_key_policy()
        .key_id(&key)
        .policy(&locks_out)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap();
    // Locked out indeed: the admin may no longer read the key.
    check_error(
        admin.describe_key().key_id(&key).send().await,
        "AccessDeniedException",
    );
    // Policy syntax is checked whatever the options.
    check_error(
        admin
            .create_key()
            .policy(r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#)
            .send()
            .await,
        "MalformedPolicyDocumentException",
    );
}

#[tokio::test]
async fn audit_mode_allows_every_call_and_records_what_would_be_denied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let options = kmsd::ServeOptions {
        audit: Some(kmsd::server::AuditLog::open(&path).unwrap()),
        authentication: kmsd::server::Authentication {
            identities: Some(crate::support::identities::identities()),
            verify_signatures: true,
        },
        ..kmsd::ServeOptions::default()
    };
    let server = TestServer::start_enforcing(options, Enforcement::Audit).await;
    let keys = create_keys(&server).await;
    let app = client_as(&server, APP);
    app.disable_key().key_id(&keys.shared).send().await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let disable = records
        .iter()
        .find(|r| r["eventName"] == "DisableKey")
        .unwrap();
    assert_eq!(disable["userIdentity"]["arn"], APP_ARN);
    assert_eq!(disable["userIdentity"]["type"], "AssumedRole");
    assert_eq!(disable["userIdentity"]["accountId"], HOME);
    let would = disable["additionalEventData"]["wouldBeDenied"][0]
        .as_str()
        .unwrap();
    assert!(
        would.starts_with(&expected_message(
            APP_ARN,
            "DisableKey",
            &keys.shared,
            Expect::NoIdentityPolicy
        )),
        "{would}"
    );
    assert!(
        would.contains("IAM policies of account 111122223333"),
        "{would}"
    );
    let create = records
        .iter()
        .find(|r| r["eventName"] == "CreateKey")
        .unwrap();
    assert!(create.get("additionalEventData").is_none());
    // The rest of the table passes too.
    drop(server);
    run_table(Enforcement::Audit).await;
}

/// The fenced block after `fence` in README's "Testing permissions" section.
fn readme_block(fence: &str) -> String {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Testing permissions")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has the Testing permissions section");
    let start = section.find(fence).expect("the block") + fence.len();
    let end = section[start..].find("```").unwrap();
    section[start..start + end].to_owned()
}

#[tokio::test]
async fn the_readme_identities_file_and_policy_work_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identities.yaml");
    std::fs::write(&path, readme_block("```yaml\n")).unwrap();
    let identities = std::sync::Arc::new(kmsd::seed::load_identities(&path).unwrap());
    let options = kmsd::ServeOptions {
        authentication: kmsd::server::Authentication {
            identities: Some(identities),
            verify_signatures: true,
        },
        ..kmsd::ServeOptions::default()
    };
    let server = TestServer::start_enforcing(options, Enforcement::On).await;
    let endpoint = server.endpoint();
    let admin = crate::support::client_signing(
        &endpoint,
        "us-east-1",
        "AKIAEXAMPLEADMIN0001",
        "admin-secret",
        None,
    );
    let app = crate::support::client_signing(
        &endpoint,
        "us-east-1",
        "ASIAEXAMPLEAPP000001",
        "app-secret",
        Some("app-session-token"),
    );
    let key = admin
        .create_key()
        .policy(readme_block("```json\n"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let message = check_error(
        app.schedule_key_deletion().key_id(&key).send().await,
        "AccessDeniedException",
    );
    assert_eq!(
        message,
        expected_message(
            "arn:aws:sts::111122223333:assumed-role/App/i-0abc",
            "ScheduleKeyDeletion",
            &key,
            Expect::ResourceDeny
        )
    );
    let sealed = admin
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"card".to_vec()))
        .encryption_context("purpose", "payments")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    app.decrypt()
        .ciphertext_blob(sealed)
        .encryption_context("purpose", "payments")
        .send()
        .await
        .unwrap();
    admin
        .schedule_key_deletion()
        .key_id(&key)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_default_policy_and_aws_managed_key_policies_are_the_ones_enforced() {
    let server = server(true, Enforcement::On).await;
    let (admin, app, user, volumes) = (
        client_as(&server, ADMIN),
        client_as(&server, APP),
        client_as(&server, NOPOLICY),
        client_as(&server, "AKIAVIAEC2000000001X"),
    );
    // The default key policy (as GetKeyPolicy shows it) lets the account's IAM policies decide.
    let key = admin
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let policy = admin
        .get_key_policy()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert!(policy.contains(ROOT_ARN), "{policy}");
    Call::Encrypt(None).run(&app, &admin, &key).await.unwrap();
    let (code, message) = Call::Encrypt(None)
        .run(&user, &admin, &key)
        .await
        .unwrap_err();
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        expected_message(NOPOLICY_ARN, "Encrypt", &key, Expect::NoIdentityPolicy)
    );
    // An AWS managed key is used through its service only (kms:ViaService), and its metadata
    // is readable by the account.
    let (code, message) = Call::Encrypt(None)
        .run(&app, &admin, "alias/aws/ebs")
        .await
        .unwrap_err();
    assert_eq!(code, "AccessDeniedException");
    assert!(
        message.starts_with(&format!(
            "User: {APP_ARN} is not authorized to perform: kms:Encrypt on resource: \
             arn:aws:kms:us-east-1:{HOME}:key/"
        )) && message.ends_with("because no resource-based policy allows the kms:Encrypt action"),
        "{message}"
    );
    Call::Encrypt(None)
        .run(&volumes, &admin, "alias/aws/ebs")
        .await
        .unwrap();
    Call::DescribeKey
        .run(&app, &admin, "alias/aws/ebs")
        .await
        .unwrap();
}

#[tokio::test]
async fn re_encrypt_and_create_grant_are_authorised_by_their_own_actions_and_keys() {
    let server = server(true, Enforcement::On).await;
    let (admin, user) = (client_as(&server, ADMIN), client_as(&server, NOPOLICY));
    let policy = |statement: &str| {
        format!(
            r#"{{"Statement":[
  {{"Effect":"Allow","Principal":{{"AWS":"{ROOT_ARN}"}},"Action":"kms:*","Resource":"*"}},
  {{"Effect":"Allow","Principal":{{"AWS":"{NOPOLICY_ARN}"}},"Resource":"*",{statement}}}]}}"#
        )
    };
    let create = |policy: String| {
        let admin = admin.clone();
        async move {
            admin
                .create_key()
                .policy(policy)
                .send()
                .await
                .unwrap()
                .key_metadata
                .unwrap()
                .arn
                .unwrap()
        }
    };
    let source = create(policy(
        r#""Action":["kms:Encrypt","kms:ReEncryptFrom"]},
  {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/nopolicy"},
   "Resource":"*","Action":"kms:CreateGrant",
   "Condition":{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]},
                "Bool":{"kms:GrantIsForAWSResource":"false"}}"#,
    ))
    .await;
    let destination = create(policy(r#""Action":"kms:ReEncryptTo""#)).await;
    let sealed = user
        .encrypt()
        .key_id(&source)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let moved = user
        .re_encrypt()
        .ciphertext_blob(sealed)
        .destination_key_id(&destination)
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    // Back again needs ReEncryptFrom on the destination key, which the user does not have.
    let message = check_error(
        user.re_encrypt()
            .ciphertext_blob(moved)
            .destination_key_id(&source)
            .send()
            .await,
        "AccessDeniedException",
    );
    assert_eq!(
        message,
        expected_message(
            NOPOLICY_ARN,
            "ReEncryptFrom",
            &destination,
            Expect::NoIdentityPolicy
        )
    );
    // kms:GrantOperations: a grant of Encrypt and Decrypt only.
    let grant = |operations: &[GrantOperation]| {
        let mut request = user
            .create_grant()
            .key_id(&source)
            .grantee_principal(APP_ROLE);
        for operation in operations {
            request = request.operations(operation.clone());
        }
        request.send()
    };
    grant(&[GrantOperation::Decrypt]).await.unwrap();
    let message = check_error(
        grant(&[GrantOperation::Decrypt, GrantOperation::GenerateDataKey]).await,
        "AccessDeniedException",
    );
    assert_eq!(
        message,
        expected_message(
            NOPOLICY_ARN,
            "CreateGrant",
            &source,
            Expect::NoIdentityPolicy
        )
    );
}
