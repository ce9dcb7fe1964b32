//! The `kmsd` binary: parse the command line, set up logging, open the store, bind, serve.

use std::process::ExitCode;
use std::sync::Arc;

use std::path::Path;

use clap::Parser;
use kmsd::config::{Cli, Command, CompactArgs, Config, ExportArgs, SeedArgs};
use kmsd::kms::{Clock, Kms};
use kmsd::rsa_pool::RsaPool;
use kmsd::server::{AuditLog, Limits};
use kmsd::store::{self, Store};

fn main() -> ExitCode {
    // Every file and directory kmsd creates (the data dir and its files, exports, the audit
    // log) holds key material or what was done with it: its owner's only.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let io_threads = match &cli.command {
        Some(Command::Serve(args)) => args.io_threads,
        None => cli.serve.io_threads,
        Some(_) => 1,
    };
    // One thread: every connection on the thread that runs `main` (tokio's current-thread
    // scheduler: no work stealing, no waking another thread for a request). Either way, calls
    // of `api::Weight::Compute` run on the server's compute threads and `KeyGeneration` on
    // tokio's blocking pool.
    let mut builder = if io_threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(usize::from(io_threads));
        builder
    };
    match builder.enable_all().build() {
        Ok(runtime) => runtime.block_on(run_command(cli)),
        Err(error) => finish(Err(
            anyhow::Error::new(error).context("cannot start the async runtime")
        )),
    }
}

async fn run_command(cli: Cli) -> ExitCode {
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::Seed(args)) => return finish(seed(args)),
        Some(Command::Export(args)) => return finish(export(args)),
        Some(Command::Compact(args)) => return finish(compact(args)),
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

/// Opens the data dir of a command other than `serve`; `existing` refuses one that does not
/// exist yet. A data dir in use is one line that says what to do instead (`instead`).
fn open_data_dir(dir: &Path, existing: bool, instead: &str) -> anyhow::Result<Store> {
    let opened = if existing {
        Store::open_existing(dir)
    } else {
        Store::open(dir)
    };
    opened.map_err(|error| match error {
        store::Error::InUse(_) => anyhow::anyhow!("{error}: {instead}"),
        store::Error::Missing(_) | store::Error::NotADataDir(_) => anyhow::anyhow!("{error}"),
        _ => anyhow::Error::new(error).context(format!("cannot open data dir {}", dir.display())),
    })
}

/// `kmsd seed FILE`. The file is read and checked before the data dir is touched, so a file
/// that cannot be applied creates nothing.
fn seed(args: SeedArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let home = args.store.home().map_err(|m| anyhow::anyhow!(m))?;
    let plan = kmsd::seed::load(&args.file, &home)?;
    let store = open_data_dir(
        &args.store.data_dir,
        false,
        "stop it first, or let it apply the file at startup (--seed)",
    )?;
    let kms = Kms::open(store, home, Clock::system()).context("cannot load the data dir")?;
    let report = kms
        .seed(plan)
        .map_err(|e| anyhow::anyhow!("seed file {}: {e}", args.file.display()))?;
    println!(
        "seeded {}: {} keys created, {} unchanged, {} aliases set",
        args.file.display(),
        report.keys_created,
        report.keys_unchanged,
        report.aliases_set
    );
    Ok(())
}

/// `kmsd export`: from a data dir, or from a running server with `--endpoint`.
fn export(args: ExportArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let filter = args.filter().map_err(|m| anyhow::anyhow!(m))?;
    let text = match &args.endpoint {
        Some(endpoint) => {
            kmsd::remote::fetch_export(endpoint, &filter, args.admin_token.as_deref())
                .map_err(|m| anyhow::anyhow!(m))?
        }
        None => {
            let store = open_data_dir(
                &args.data_dir,
                true,
                "stop it, or export from it with `kmsd export --endpoint http://HOST:PORT`",
            )?;
            let kms = Kms::open(store, kmsd::config::default_home(), Clock::system())
                .context("cannot load the data dir")?;
            kmsd::seed::export(&kms, &filter).map_err(|m| anyhow::anyhow!(m))?
        }
    };
    match &args.output {
        Some(path) => write_private(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// Writes `bytes` to `path`, creating it readable by its owner only (an export holds key
/// material); an existing file keeps its permissions.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

/// `kmsd compact`.
fn compact(args: CompactArgs) -> anyhow::Result<()> {
    let store = open_data_dir(&args.data_dir, true, "stop it first")?;
    let (_, compacted) = store.compact()?;
    println!(
        "compacted {}: {} bytes before, {} after",
        args.data_dir.display(),
        compacted.bytes_before,
        compacted.bytes_after
    );
    Ok(())
}

async fn run(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    // AWS-LC seeds its generator on first use, gathering jitter entropy: some 30 ms of CPU.
    // Do it now, beside opening the store, rather than in the first request that needs it.
    let _ = std::thread::Builder::new()
        .name("kmsd-rand-init".into())
        .spawn(kmsd::crypto::random_array::<1>);
    let open_files = kmsd::server::raise_open_files_limit();
    let exposed = config.data_dir.as_deref().and_then(store::exposure);
    let store = match &config.data_dir {
        Some(dir) => open_data_dir(dir, false, "stop it, or give this one another --data-dir")?,
        None => Store::in_memory(),
    };
    let data = store.clone();
    let identities = match &config.identities {
        Some(path) => Some(Arc::new(kmsd::seed::load_identities(path)?)),
        None => None,
    };
    let mut kms = Kms::open(store, config.home.clone(), Clock::system())
        .context("cannot load the data dir")?
        .with_rsa_pool(RsaPool::new(config.rsa_pool_size))
        .with_quotas(config.quotas)
        .with_enforcement(config.enforcement);
    if let Some(path) = &config.attestation_root {
        let root = certificate_der(path)?;
        kmsd::crypto::recipient::check_root(&root)
            .map_err(|why| anyhow::anyhow!("--attestation-root {}: {why}", path.display()))?;
        kms = kms.with_attestation_root(root);
    }
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
        throttle = config.throttle_text.as_str(),
        identities = identities.as_ref().map(|i| i.len()),
        verify_signatures = config.verify_signatures,
        enforce_policies = ?config.enforcement,
        "kmsd listening"
    );
    if let Some(exposure) = exposed {
        tracing::warn!(
            "{exposure}, and it holds key material: kmsd leaves permissions as they are \
             (chmod -R go-rwx the data dir)"
        );
    }
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
        throttle: config.throttle,
        authentication: kmsd::server::Authentication {
            identities,
            verify_signatures: config.verify_signatures,
        },
    };
    kmsd::serve_with_options(listener, Arc::new(kms), options, shutdown_signal()).await?;
    // sled keeps deleted records in its log until it cleans the segment they are in, which
    // it does on its own schedule: rewrite the data dir so that deleted keys are gone.
    if data.deleted_since_open() {
        match tokio::task::spawn_blocking(move || data.compact()).await {
            Ok(Ok((_, compacted))) => tracing::info!(
                bytes_before = compacted.bytes_before,
                bytes_after = compacted.bytes_after,
                "compacted the data dir: nothing of deleted keys is left in it"
            ),
            Ok(Err(error)) => tracing::error!(%error, "compacting the data dir failed"),
            Err(error) => tracing::error!(%error, "compacting the data dir failed"),
        }
    }
    tracing::info!("kmsd stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed now, not when the server first
/// polls the future: a signal that arrives before that (once the server is already answering)
/// must end the server gracefully, not kill the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = signal(SignalKind::interrupt())
            .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)));
        async move {
            let Ok((mut interrupt, mut term)) = handlers else {
                let _ = tokio::signal::ctrl_c().await;
                return;
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("interrupted: finishing in-flight requests"),
                _ = term.recv() => tracing::info!("SIGTERM: finishing in-flight requests"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A certificate file's DER: the file itself, or the base64 between a PEM file's first
/// `-----BEGIN` and `-----END` lines.
fn certificate_der(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    use base64::Engine;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read --attestation-root {}", path.display()))?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(bytes);
    };
    if !text.contains("-----BEGIN") {
        return Ok(bytes);
    }
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .with_context(|| {
            format!(
                "--attestation-root {} is not a PEM certificate",
                path.display()
            )
        })
}
