//! The identities the permission tests sign with, as an `--identities` file, and servers that
//! know them.

use std::sync::Arc;

use aws_sdk_kms::Client;
use kmsd::ServeOptions;
use kmsd::kms::Enforcement;
use kmsd::server::Authentication;

use super::server::{TestServer, client_signing};

/// The home account's id in these tests, and another account's.
pub const HOME: &str = "111122223333";
/// Another account.
pub const OTHER: &str = "444455556666";

/// Every identity the tests use: an admin role (all of KMS but on-demand rotation), an app
/// role (as an assumed-role session with a session token), a user without a policy, the
/// account root, a role that calls through EC2 (`kms:ViaService`), and two roles of another
/// account.
pub const IDENTITIES: &str = r#"identities:
  - accessKeyId: AKIAADMIN00000000001
    secretAccessKey: admin-secret
    account: "111122223333"
    principal: arn:aws:iam::111122223333:role/Admin
    tags: {team: platform}
    policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Action: "kms:*", Resource: "*"}
        - {Sid: NoOnDemandRotation, Effect: Deny, Action: "kms:RotateKeyOnDemand", Resource: "*"}
  - accessKeyId: ASIAAPP0000000000001
    secretAccessKey: app-secret
    sessionToken: app-session-token
    account: "111122223333"
    principal: arn:aws:sts::111122223333:assumed-role/App/i-0abc
    tags: {team: payments}
    policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey","kms:GenerateDataKey"],"Resource":"*"}]}'
  - accessKeyId: AKIANOPOLICY00000001
    secretAccessKey: nopolicy-secret
    account: "111122223333"
    principal: arn:aws:iam::111122223333:user/nopolicy
  - accessKeyId: AKIAROOT000000000001
    secretAccessKey: root-secret
    account: "111122223333"
    principal: arn:aws:iam::111122223333:root
  - accessKeyId: AKIAVIAEC2000000001X
    secretAccessKey: via-secret
    account: "111122223333"
    principal: arn:aws:iam::111122223333:role/Volumes
    viaService: ec2.us-east-1.amazonaws.com
    policy: {Statement: [{Effect: Allow, Action: ["kms:Encrypt", "kms:DescribeKey"], Resource: "*"}]}
  - accessKeyId: AKIAOTHER00000000001
    secretAccessKey: other-secret
    account: "444455556666"
    principal: arn:aws:iam::444455556666:role/Partner
    policy:
      Statement:
        - {Effect: Allow, Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], Resource: "*"}
  - accessKeyId: AKIAOTHERNOPOLICY001
    secretAccessKey: othernp-secret
    account: "444455556666"
    principal: arn:aws:iam::444455556666:role/Stranger
"#;

/// The identities above, read as kmsd reads `--identities`.
pub fn identities() -> Arc<kmsd::iam::Identities> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identities.yaml");
    std::fs::write(&path, IDENTITIES).unwrap();
    Arc::new(kmsd::seed::load_identities(&path).unwrap())
}

/// A server that knows the identities, checks signatures when `verify` says so, and
/// authorises as `enforcement` says.
pub async fn server(verify: bool, enforcement: Enforcement) -> TestServer {
    let options = ServeOptions {
        authentication: Authentication {
            identities: Some(identities()),
            verify_signatures: verify,
        },
        ..ServeOptions::default()
    };
    TestServer::start_enforcing(options, enforcement).await
}

/// An SDK client that signs as the identity with this access key id (its secret and token
/// from [`IDENTITIES`]), in us-east-1.
pub fn client_as(server: &TestServer, access_key_id: &str) -> Client {
    let identities = identities();
    let identity = identities.get(access_key_id).expect("a known identity");
    client_signing(
        &server.endpoint(),
        "us-east-1",
        access_key_id,
        &identity.secret_access_key,
        identity.session_token.as_deref(),
    )
}
