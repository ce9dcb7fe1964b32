//! Command line and environment: `kmsd [serve] [--host ..] [--port ..] ...`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::model::{AccountId, Region, Scope};
use crate::server::{AdminToken, AllowedHosts, Limits};

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
pub enum Command {
    /// Run the KMS server (the default).
    Serve(ServeArgs),
    /// Ask a running kmsd for `GET /health`; exit 0 if it answers 200 (a container's HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
    /// Apply a seed file (kmsd's or local-kms's format) to a data dir, then exit.
    Seed(SeedArgs),
    /// Write every key and alias of a data dir as a seed file (it holds key material).
    Export(ExportArgs),
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
    /// Write the seed file here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// The data dir and default scope.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where the data is, and the default account and region, for `seed` and `export`.
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
    /// Log line format on stderr (filter with RUST_LOG, e.g. RUST_LOG=debug).
    #[arg(long, env = "KMS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Append a CloudTrail-like JSON record of every call to this file.
    #[arg(long, env = "KMS_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Apply this seed file at startup (skipped, with a log line, when the file does not exist).
    #[arg(long, env = "KMS_SEED_PATH")]
    pub seed: Option<PathBuf>,
    /// Turn off the admin API (/_kmsd/ and /moto-api/: the clock, reset); /health stays.
    #[arg(long, env = "KMS_NO_ADMIN", value_parser = clap::builder::BoolishValueParser::new())]
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

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
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
}

impl ServeArgs {
    /// Checks the options.
    pub fn into_config(self) -> Result<Config, String> {
        let port = port_or_env(self.port)?;
        let ip = self
            .host
            .parse()
            .map_err(|_| format!("invalid --host {:?}: expected an IP address", self.host))?;
        Ok(Config {
            listen: SocketAddr::new(ip, port),
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
        })
    }
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
