//! The `kmsd` binary: parse the command line, set up logging, open the store, bind, serve.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use kmsd::config::{Cli, Command, Config, ExportArgs, SeedArgs, StoreArgs};
use kmsd::kms::{Clock, Kms};
use kmsd::rsa_pool::RsaPool;
use kmsd::server::{AuditLog, Limits};
use kmsd::store::Store;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::Seed(args)) => return finish(seed(args)),
        Some(Command::Export(args)) => return finish(export(args)),
        Some(Command::Healthcheck(args)) => return kmsd::healthcheck::run(&args),
        None => cli.serve,
    };
    let log = kmsd::logging::init(args.log_format);
    let result = match args.into_config() {
        Ok(config) => run(config).await,
        Err(message) => Err(anyhow::anyhow!(message)),
    };
    log.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kmsd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// One line on stderr and a failure exit code for an error; success otherwise.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kmsd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the data dir of `seed` and `export`.
fn open_store(args: &StoreArgs) -> anyhow::Result<Kms> {
    use anyhow::Context;
    let home = args.home().map_err(|m| anyhow::anyhow!(m))?;
    let store = Store::open(&args.data_dir)
        .with_context(|| format!("cannot open data dir {}", args.data_dir.display()))?;
    Kms::open(store, home, Clock::system()).context("cannot load the data dir")
}

/// `kmsd seed FILE`.
fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let kms = open_store(&args.store)?;
    let report = kmsd::seed::apply(&kms, &args.file)?;
    println!(
        "seeded {}: {} keys created, {} unchanged, {} aliases set",
        args.file.display(),
        report.keys_created,
        report.keys_unchanged,
        report.aliases_set
    );
    Ok(())
}

/// `kmsd export`.
fn export(args: ExportArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let kms = open_store(&args.store)?;
    let text = kmsd::seed::export(&kms, &kmsd::seed::ExportFilter::default())
        .map_err(|m| anyhow::anyhow!(m))?;
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

async fn run(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let open_files = kmsd::server::raise_open_files_limit();
    let store = match &config.data_dir {
        Some(dir) => {
            Store::open(dir).with_context(|| format!("cannot open data dir {}", dir.display()))?
        }
        None => Store::in_memory(),
    };
    let kms = Kms::open(store, config.home.clone(), Clock::system())
        .context("cannot load the data dir")?
        .with_rsa_pool(RsaPool::new(config.rsa_pool_size));
    match &config.seed {
        Some(path) if path.exists() => {
            let report = kmsd::seed::apply(&kms, path)?;
            tracing::info!(
                seed = %path.display(),
                created = report.keys_created,
                unchanged = report.keys_unchanged,
                aliases = report.aliases_set,
                "seed applied"
            );
        }
        Some(path) => {
            tracing::info!(seed = %path.display(), "no seed file there; starting without one")
        }
        None => {}
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let limits = Limits {
        max_connections: config
            .max_connections
            .unwrap_or_else(|| Limits::max_connections_for(open_files)),
        ..config.limits
    };
    tracing::info!(
        address = %listener.local_addr()?,
        data_dir = %config.data_dir.as_ref().map_or("(in memory)".into(), |d| d.display().to_string()),
        keys = kms.key_count(),
        admin = config.admin,
        max_connections = limits.max_connections,
        "kmsd listening"
    );
    if config.admin && config.admin_token.is_none() && !config.listen.ip().is_loopback() {
        tracing::warn!(
            address = %config.listen,
            "the admin API (reset, clock, export) is open to anyone who can reach this \
             address: set --admin-token (KMS_ADMIN_TOKEN) or --no-admin"
        );
    }
    let audit = match &config.audit_log {
        Some(path) => Some(
            AuditLog::open(path)
                .with_context(|| format!("cannot open audit log {}", path.display()))?,
        ),
        None => None,
    };
    let options = kmsd::ServeOptions {
        admin: config.admin,
        audit,
        allowed_hosts: config.allowed_hosts,
        admin_token: config.admin_token,
        limits,
    };
    kmsd::serve_with_options(listener, Arc::new(kms), options, shutdown_signal()).await?;
    tracing::info!("kmsd stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => tracing::info!("interrupted: finishing in-flight requests"),
            _ = term.recv() => tracing::info!("SIGTERM: finishing in-flight requests"),
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
