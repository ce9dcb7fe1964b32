//! The `kmsd` binary: parse the command line, set up logging, open the store, bind, serve.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use kmsd::audit::AuditLog;
use kmsd::config::{Cli, Command, Config, LogFormat};
use kmsd::crypto::rsa_pool::RsaPool;
use kmsd::kms::{Clock, Kms};
use kmsd::store::Store;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::Healthcheck(args)) => return kmsd::healthcheck::run(&args),
        None => cli.serve,
    };
    init_tracing(args.log_format);
    let result = match args.into_config() {
        Ok(config) => run(config).await,
        Err(message) => Err(anyhow::anyhow!(message)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kmsd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let store = match &config.data_dir {
        Some(dir) => {
            Store::open(dir).with_context(|| format!("cannot open data dir {}", dir.display()))?
        }
        None => Store::in_memory(),
    };
    let kms = Kms::open(store, config.home.clone(), Clock::system())
        .context("cannot load the data dir")?
        .with_rsa_pool(RsaPool::new(config.rsa_pool_size));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(
        address = %listener.local_addr()?,
        data_dir = %config.data_dir.as_ref().map_or("(in memory)".into(), |d| d.display().to_string()),
        keys = kms.key_count(),
        admin = config.admin,
        "kmsd listening"
    );
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

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}
