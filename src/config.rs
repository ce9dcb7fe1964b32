//! Command line and environment: `kmsd [serve] [--host ..] [--port ..] ...`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::kms::Enforcement;
use crate::kms::Quotas;
use crate::model::{AccountId, Region, Scope};
use crate::server::{AdminToken, AllowedHosts, Limits, ThrottleRates};

pub use crate::logging::LogFormat;

/// A local server that speaks the AWS KMS API.
#[derive(Debug, Parser)]
#[command(name = "kmsd", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// kmsd's subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // Parsed once at startup: its size does not matter.
pub enum Command {
    /// Run the KMS server (the default).
    Serve(ServeArgs),
    /// Ask a running kmsd for `GET /health`; exit 0 if it answers 200 (a container's HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
    /// Apply a seed file (kmsd's or local-kms's format) to a data dir, then exit.
    Seed(SeedArgs),
    /// Write the keys and aliases of a data dir, or of a running kmsd, as a seed file (it
    /// holds key material).
    Export(ExportArgs),
    /// Rewrite a data dir so that it holds nothing of deleted keys, then exit (kmsd does this
    /// itself when it stops cleanly after a deletion; run it after a crash).
    Compact(CompactArgs),
}

/// Options of `kmsd seed`.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// The seed file.
    pub file: PathBuf,
    /// The data dir and default scope.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Options of `kmsd export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Write the seed file here (readable by its owner only) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// The data dir to read; it must exist and not be in use by a running kmsd.
    #[arg(long, env = "KMS_DATA_PATH", default_value = "kmsd-data")]
    pub data_dir: PathBuf,
    /// Ask the kmsd running at this URL (`http://localhost:8080`) instead of reading a data
    /// dir: what to do while a server holds the data dir.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The admin token of the server at --endpoint, if it was started with one.
    #[arg(long, env = "KMS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Export only this account's keys and aliases [default: every account's].
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Export only this region's keys and aliases [default: every region's].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

impl ExportArgs {
    /// The account and region to export, checked.
    pub fn filter(&self) -> Result<crate::seed::ExportFilter, String> {
        let account = match &self.account_id {
            Some(text) => Some(
                AccountId::parse(text)
                    .ok_or_else(|| format!("invalid --account-id {text:?}: expected 12 digits"))?,
            ),
            None => None,
        };
        let region = match &self.region {
            Some(text) => {
                Some(Region::parse(text).ok_or_else(|| format!("invalid --region {text:?}"))?)
            }
            None => None,
        };
        Ok(crate::seed::ExportFilter { account, region })
    }
}

/// Options of `kmsd compact`.
#[derive(Debug, Clone, Args)]
pub struct CompactArgs {
    /// The data dir to compact; it must exist and not be in use by a running kmsd.
    #[arg(long, env = "KMS_DATA_PATH", default_value = "kmsd-data")]
    pub data_dir: PathBuf,
}

/// The account and region that `--account-id` and `--region` default to.
pub fn default_home() -> Scope {
    // Invariant: the defaults of the flags are a valid account id and region.
    #[allow(clippy::expect_used)]
    home("123456789012", "us-east-1").expect("the default account and region are valid")
}

/// Where the data is, and the default account and region, for `seed`.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory of the sled database.
    #[arg(long, env = "KMS_DATA_PATH", default_value = "kmsd-data")]
    pub data_dir: PathBuf,
    /// Account of keys that name none.
    #[arg(long, env = "KMS_ACCOUNT_ID", default_value = "123456789012")]
    pub account_id: String,
    /// Region of keys that name none.
    #[arg(long, env = "KMS_REGION", default_value = "us-east-1")]
    pub region: String,
}

impl StoreArgs {
    /// The default account and region.
    pub fn home(&self) -> Result<Scope, String> {
        home(&self.account_id, &self.region)
    }
}

fn home(account_id: &str, region: &str) -> Result<Scope, String> {
    let account = AccountId::parse(account_id)
        .ok_or_else(|| format!("invalid --account-id {account_id:?}: expected 12 digits"))?;
    let region = Region::parse(region).ok_or_else(|| format!("invalid --region {region:?}"))?;
    Ok(Scope { account, region })
}

/// Options of `kmsd serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KMS_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on [env: KMS_PORT, then PORT] [default: 8080].
    #[arg(long)]
    pub port: Option<u16>,
    /// Directory of the sled database.
    #[arg(long, env = "KMS_DATA_PATH", default_value = "kmsd-data")]
    pub data_dir: PathBuf,
    /// Keep everything in memory and never touch the disk (state is lost on exit).
    #[arg(long)]
    pub in_memory: bool,
    /// Account for requests that do not name one (a 12-digit access key id names one).
    #[arg(long, env = "KMS_ACCOUNT_ID", default_value = "123456789012")]
    pub account_id: String,
    /// Region for requests that are not SigV4-signed.
    #[arg(long, env = "KMS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// RSA_2048 keys to keep pre-generated (of RSA_3072 and RSA_4096 an eighth as many,
    /// rounded up), filled at the lowest CPU priority; 0 turns the pool off.
    #[arg(long, env = "KMS_RSA_POOL_SIZE", default_value_t = 24)]
    pub rsa_pool_size: usize,
    /// Threads that serve connections. One is the fastest for the usual client on the same
    /// machine (no hand-offs between threads); public-key operations and key generation run
    /// on other threads whatever this is.
    #[arg(long, env = "KMS_IO_THREADS", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub io_threads: u16,
    /// Log line format on stderr (filter with RUST_LOG, e.g. RUST_LOG=debug).
    #[arg(long, env = "KMS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Append a CloudTrail-like JSON record of every call to this file.
    #[arg(long, env = "KMS_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Apply this seed file at startup (skipped, with a log line, when the file does not exist).
    #[arg(long, env = "KMS_SEED_PATH")]
    pub seed: Option<PathBuf>,
    /// Turn off the admin API (/_kmsd/ and /moto-api/: the clock, reset, export); /health
    /// stays. KMS_NO_ADMIN takes 1, true, yes or on; 0, false, no, off or empty leave it on.
    #[arg(
        long,
        env = "KMS_NO_ADMIN",
        value_parser = switch,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "false"
    )]
    pub no_admin: bool,
    /// Bearer token every admin request but /health must carry (`Authorization: Bearer
    /// TOKEN`); empty: none.
    #[arg(long, env = "KMS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Host names to answer besides IP addresses, localhost, single-label names (kms) and
    /// names under .localhost, .local, .internal and .home.arpa: comma-separated; * answers
    /// any name (no protection against DNS rebinding).
    #[arg(
        long,
        env = "KMS_ALLOWED_HOSTS",
        value_name = "NAMES",
        default_value = ""
    )]
    pub allowed_hosts: String,
    /// Seconds a client may take to send a request head: from connecting, or from its first
    /// byte after a keep-alive wait.
    #[arg(long, env = "KMS_HEADER_TIMEOUT", value_name = "SECONDS", value_parser = seconds, default_value = "30")]
    pub header_timeout: Duration,
    /// Seconds a client may take to send a request body, once its head has arrived.
    #[arg(long, env = "KMS_BODY_TIMEOUT", value_name = "SECONDS", value_parser = seconds, default_value = "30")]
    pub body_timeout: Duration,
    /// Seconds a keep-alive connection may wait for its next request.
    #[arg(long, env = "KMS_IDLE_TIMEOUT", value_name = "SECONDS", value_parser = seconds, default_value = "75")]
    pub idle_timeout: Duration,
    /// Connections served at once; more are answered 503 and closed [default: 1024, fewer
    /// when the open-files limit is low].
    #[arg(long, env = "KMS_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// AWS's request quotas: off; aws (the figures of AWS's documentation); or QUOTA=RATE
    /// pairs (symmetric, rsa, ecc or an operation name; requests per second), alone or after
    /// aws (aws,symmetric=100). Over its quota a call gets ThrottlingException.
    #[arg(
        long,
        env = "KMS_THROTTLE",
        value_name = "RATES",
        default_value = "off"
    )]
    pub throttle: String,
    /// Resource quotas other than AWS's: NAME=NUMBER pairs (keys, aliases-per-key,
    /// grants-per-key, grants-per-grantee, tags-per-key, key-policy-bytes).
    #[arg(long, env = "KMS_QUOTAS", value_name = "QUOTAS", default_value = "")]
    pub quotas: String,
    /// YAML file of identities: access key ids with their secret, account, principal ARN,
    /// principal tags and IAM policy (README, "Testing permissions"). Without it a 12-digit
    /// access key id is the account and the caller is its root.
    #[arg(long, env = "KMS_IDENTITIES_PATH", value_name = "FILE")]
    pub identities: Option<PathBuf>,
    /// Verify `Recipient` attestation documents (signature and certificate chain) against this
    /// root certificate, PEM or DER (the AWS Nitro Enclaves root); without it any well-formed
    /// document is accepted.
    #[arg(long, env = "KMS_ATTESTATION_ROOT", value_name = "FILE")]
    pub attestation_root: Option<PathBuf>,
    /// Check every request's SigV4 signature against the --identities secrets (unsigned
    /// requests, unknown keys and wrong signatures are refused as AWS refuses them).
    #[arg(
        long,
        env = "KMS_VERIFY_SIGNATURES",
        value_parser = switch,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "false"
    )]
    pub verify_signatures: bool,
    /// Authorise every call by its key policy, grants and the caller's IAM policy, as AWS does:
    /// on, off, or audit (allow everything, but log and audit what would be denied).
    #[arg(
        long,
        env = "KMS_ENFORCE_POLICIES",
        value_parser = enforcement,
        value_name = "MODE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on",
        default_value = "off"
    )]
    pub enforce_policies: Enforcement,
}

/// `--enforce-policies`'s value: a yes/no switch, or `audit`.
fn enforcement(text: &str) -> Result<Enforcement, String> {
    if text.trim().eq_ignore_ascii_case("audit") {
        return Ok(Enforcement::Audit);
    }
    match switch(text) {
        Ok(true) => Ok(Enforcement::On),
        Ok(false) => Ok(Enforcement::Off),
        Err(_) => Err("expected on, off or audit (or 1, true, yes, 0, false, no)".into()),
    }
}

/// A yes/no value from the environment: `1`, `true`, `yes`, `on`, or `0`, `false`, `no`,
/// `off`, any case; empty means no, as if the variable were not set.
fn switch(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "" | "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected 1, true, yes, on, or 0, false, no, off (or empty)".into()),
    }
}

/// A duration in seconds, fractions allowed (`0.5`), greater than zero.
fn seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| "expected a number of seconds greater than 0, at most 86400".into())
}

/// The server's settings, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The sled directory, or `None` for `--in-memory`.
    pub data_dir: Option<PathBuf>,
    /// Default account and region.
    pub home: Scope,
    /// Pre-generated RSA_2048 keys (and an eighth as many of the larger sizes).
    pub rsa_pool_size: usize,
    /// Where the audit trail goes, if anywhere.
    pub audit_log: Option<PathBuf>,
    /// A seed file to apply at startup.
    pub seed: Option<PathBuf>,
    /// Whether the admin API is served.
    pub admin: bool,
    /// The admin API's token, if any.
    pub admin_token: Option<AdminToken>,
    /// The `Host` names answered.
    pub allowed_hosts: AllowedHosts,
    /// Timeouts; `max_connections` is the default unless `max_connections` below is set.
    pub limits: Limits,
    /// `--max-connections`, when given.
    pub max_connections: Option<usize>,
    /// The request quotas applied (`--throttle`).
    pub throttle: ThrottleRates,
    /// `--throttle` as given, for the startup line.
    pub throttle_text: String,
    /// The resource quotas (`--quotas` over AWS's).
    pub quotas: Quotas,
    /// `--identities`, when given.
    pub identities: Option<PathBuf>,
    /// `--attestation-root`, when given.
    pub attestation_root: Option<PathBuf>,
    /// `--verify-signatures`.
    pub verify_signatures: bool,
    /// `--enforce-policies`.
    pub enforcement: Enforcement,
}

impl ServeArgs {
    /// Checks the options.
    pub fn into_config(self) -> Result<Config, String> {
        let port = port_or_env(self.port)?;
        if self.verify_signatures && self.identities.is_none() {
            return Err(
                "--verify-signatures needs --identities (KMS_IDENTITIES_PATH): the secrets to \
                 check signatures with"
                    .into(),
            );
        }
        Ok(Config {
            listen: listen_address(&self.host, port)?,
            home: home(&self.account_id, &self.region)?,
            data_dir: (!self.in_memory).then_some(self.data_dir),
            rsa_pool_size: self.rsa_pool_size,
            audit_log: self.audit_log,
            seed: self.seed,
            admin: !self.no_admin,
            admin_token: self.admin_token.as_deref().and_then(AdminToken::new),
            allowed_hosts: AllowedHosts::parse(&self.allowed_hosts),
            limits: Limits {
                header_timeout: self.header_timeout,
                body_timeout: self.body_timeout,
                idle_timeout: self.idle_timeout,
                ..Limits::default()
            },
            max_connections: self.max_connections.map(|n| n as usize),
            throttle: ThrottleRates::parse(&self.throttle)
                .map_err(|e| format!("invalid --throttle {:?}: {e}", self.throttle))?,
            throttle_text: self.throttle,
            quotas: Quotas::parse(&self.quotas)
                .map_err(|e| format!("invalid --quotas {:?}: {e}", self.quotas))?,
            identities: self.identities,
            attestation_root: self.attestation_root,
            verify_signatures: self.verify_signatures,
            enforcement: self.enforce_policies,
        })
    }
}

/// Where `--host` and the port say to listen. An IP address is used as it is; `localhost` is
/// the IPv4 loopback address without asking a resolver (a static binary in a scratch image has
/// none); any other name is resolved, and its first address used.
fn listen_address(host: &str, port: u16) -> Result<SocketAddr, String> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if bare.eq_ignore_ascii_case("localhost") || bare.eq_ignore_ascii_case("localhost.") {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    (bare, port)
        .to_socket_addrs()
        .map_err(|e| format!("invalid --host {host:?}: cannot resolve it: {e}"))?
        .next()
        .ok_or_else(|| format!("invalid --host {host:?}: it resolves to no address"))
}

/// Options of `kmsd healthcheck`.
#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// Address of the server to ask (not `KMS_HOST`: a server on 0.0.0.0 answers on loopback).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the server to ask [env: KMS_PORT, then PORT] [default: 8080].
    #[arg(long)]
    pub port: Option<u16>,
}

/// `--port`, else `KMS_PORT`, else `PORT`, else 8080. `PORT` is read here because clap takes
/// one variable per option.
pub fn port_or_env(flag: Option<u16>) -> Result<u16, String> {
    if let Some(port) = flag {
        return Ok(port);
    }
    match std::env::var("KMS_PORT").or_else(|_| std::env::var("PORT")) {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("invalid port {text:?} in KMS_PORT/PORT")),
        Err(_) => Ok(8080),
    }
}
