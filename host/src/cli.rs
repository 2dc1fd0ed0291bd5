//! The `portico` command line: serve, demo, check, reload, operator, and
//! for area developers new (and dev).

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::ops::pidfile::PidFile;
use crate::ops::{Reloader, Trigger};
use crate::runtime::Runtime;
use crate::store::{Location, Store};
use crate::web::{AppState, app};
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Portico: a portal whose areas are sandboxed WebAssembly components.
#[derive(Parser)]
#[command(name = "portico", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal.
    Serve {
        /// The catalog of areas.
        #[arg(long, default_value = "areas.yaml")]
        config: PathBuf,
        /// Where data is kept (created if missing).
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Mark cookies Secure and use the `__Host-` prefix (when served over https).
        #[arg(long, env = "PORTICO_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Sandboxed calls allowed at once (1 to 32); more wait, then get 503.
        #[arg(long, env = "PORTICO_MAX_CONCURRENT_CALLS", default_value_t = crate::runtime::MAX_CONCURRENT_CALLS as usize)]
        max_concurrent_calls: usize,
        /// Memory for kept pages of areas that allow it (`page-cache-s` in
        /// areas.yaml), MiB; 0 turns the page cache off.
        #[arg(long, env = "PORTICO_PAGE_CACHE_MIB", default_value_t = crate::web::PAGE_CACHE_DEFAULT_MIB)]
        page_cache_mib: usize,
        #[command(flatten)]
        edge: EdgeArgs,
        /// Also allow plugins under DIR (repeatable); by default they must
        /// be under areas.yaml's directory.
        #[arg(
            long = "plugin-dir",
            env = "PORTICO_PLUGIN_DIRS",
            value_delimiter = ','
        )]
        plugin_dirs: Vec<PathBuf>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Seed demo data (a supplier and a public body with their managers), then serve.
    Demo {
        /// The catalog of areas.
        #[arg(long, default_value = "areas.yaml")]
        config: PathBuf,
        /// Where the demo's data is kept.
        #[arg(long, default_value = "./demo-data")]
        data: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Metrics and proxy options, as `serve` (the browser suite names its
        /// loopback proxy with --trusted-proxy).
        #[command(flatten)]
        edge: EdgeArgs,
    },
    /// Validate areas.yaml fully: fields, plugins (compiled and linked), templates.
    Check {
        /// The catalog to check.
        #[arg(default_value = "areas.yaml")]
        config: PathBuf,
        /// Also allow plugins under DIR (repeatable), as `serve --plugin-dir`.
        #[arg(
            long = "plugin-dir",
            env = "PORTICO_PLUGIN_DIRS",
            value_delimiter = ','
        )]
        plugin_dirs: Vec<PathBuf>,
        /// Keep compiled plugins in DIR/cache, as `serve --data DIR` does (so a
        /// check warms the server's cache). Default: the user's cache
        /// directory ($XDG_CACHE_HOME/portico or ~/.cache/portico).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Also open the store (as `serve` would, applying its migrations)
        /// and say where it is: checks that PostgreSQL is reachable.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Start a new area project: code, template, catalogues, tests, its
    /// areas.yaml entry and a README with the next commands.
    New {
        /// The area's id (used in URLs): e.g. `supplier-notes`.
        id: String,
        /// The language to write it in.
        #[arg(long, value_enum, default_value_t = crate::dev::new::Lang::Rust)]
        lang: crate::dev::new::Lang,
        /// The project directory (created; must be absent or empty). Default: ./ID.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Where the project takes the SDK from: a checkout's `sdk/` directory,
        /// or a published version such as `0.1`. Default: the checkout this
        /// portico was built from, if it is still there, else its version.
        #[arg(long)]
        sdk: Option<String>,
    },
    /// Serve the demo portal with the area project in DIR added to it;
    /// rebuild and reload it on every save.
    Dev {
        /// The area project (made by `portico new`).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The portal to add the area to. Default: the demo's areas.yaml of
        /// the checkout this portico was built from.
        #[arg(long)]
        portal: Option<PathBuf>,
    },
    /// Ask the running server to reload areas.yaml (sends it SIGHUP) and
    /// report the outcome.
    Reload {
        /// The running server's data directory (holds its pid file).
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        /// Seconds to wait for the outcome; without one by then, exit non-zero.
        #[arg(long, default_value_t = crate::ops::pidfile::RELOAD_WAIT.as_secs())]
        wait: u64,
    },
    /// Write every record of a portal's store (and its large values) to one
    /// file, with per-tree counts and hashes; the servers on it should be
    /// stopped (on sled they must be).
    Export {
        /// The store to read: a data directory.
        #[arg(long, default_value = "./data")]
        store: String,
        /// The file to write (refused if it exists).
        #[arg(long)]
        to: PathBuf,
    },
    /// Load a `portico export` file into a store, then recount and rehash
    /// the store and compare with the file.
    Import {
        /// The store to write: a data directory.
        #[arg(long, default_value = "./data")]
        store: String,
        /// The file `portico export` wrote.
        #[arg(long)]
        from: PathBuf,
        /// Delete what the store holds first (without it, a store that
        /// already holds a portal is refused).
        #[arg(long)]
        replace: bool,
    },
    /// Manage operator accounts (who may open /ops).
    Operator {
        #[command(subcommand)]
        action: OperatorAction,
    },
}

/// Who may reach what at the edge: `serve`'s security flags.
#[derive(clap::Args)]
struct EdgeArgs {
    /// Serve /metrics on the main address only to `Authorization: Bearer TOKEN`.
    #[arg(long, env = "PORTICO_METRICS_TOKEN")]
    metrics_token: Option<String>,
    /// Serve /metrics, unauthenticated, on this separate address (e.g. a
    /// private interface only the scraper reaches) instead.
    #[arg(long, env = "PORTICO_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// A proxy (address or CIDR, repeatable or comma-separated) whose
    /// X-Forwarded-For / Forwarded header names the client; others' are ignored.
    #[arg(long = "trusted-proxy", env = "PORTICO_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
}

/// `10.0.0.0/8`, `192.0.2.7` (one address), `2001:db8::/32`.
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            format!("`{s}` is not an address or a CIDR block; write e.g. 10.0.0.0/8 or 192.0.2.7")
        })
}

impl EdgeArgs {
    /// The demo's: no metrics, no proxy.
    fn none() -> EdgeArgs {
        EdgeArgs {
            metrics_token: None,
            metrics_listen: None,
            trusted_proxies: Vec::new(),
        }
    }

    fn policy(&self) -> crate::web::EdgePolicy {
        crate::web::EdgePolicy {
            metrics_token: self.metrics_token.clone().filter(|t| !t.is_empty()),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

/// Where mail goes and what its links point to: one place for both.
#[derive(clap::Args)]
struct MailArgs {
    /// The portal's address as people reach it, e.g. https://portal.example.fr:
    /// links in mail start with it. Default: the listening address.
    #[arg(long, env = "PORTICO_PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP server for outgoing mail: smtps://user:password@host (TLS),
    /// smtp://host:587?tls=required (STARTTLS) or smtp://localhost:25.
    /// Prefer the environment variable: a password on the command line shows
    /// in `ps`. Without it, mail is written to <data>/mailbox and listed in /ops.
    #[arg(long = "smtp", env = "PORTICO_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From address of outgoing mail, e.g. "Portico <no-reply@portal.example.fr>"
    /// (required with --smtp).
    #[arg(long, env = "PORTICO_MAIL_FROM")]
    mail_from: Option<String>,
}

impl MailArgs {
    /// The demo's: the mailbox directory, links to the listening address.
    fn none() -> MailArgs {
        MailArgs {
            public_url: None,
            smtp_url: None,
            mail_from: None,
        }
    }
}

#[derive(Subcommand)]
enum OperatorAction {
    /// Make an account an operator; creates it with a generated password if needed.
    Add {
        /// The account's e-mail.
        email: String,
        /// The data directory (on sled the server must be stopped: the store is locked while it runs).
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Where the records are: `--store`.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct StoreArgs {
    /// Where records are kept: absent (or `sled`) for sled inside --data
    /// (one machine); postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME]
    /// for PostgreSQL, shared by several hosts (--data then keeps only this
    /// host's compile cache, pid file and mailbox). Prefer the environment
    /// variable: a password on the command line shows in `ps`.
    #[arg(long = "store", env = "PORTICO_STORE", hide_env_values = true)]
    store: Option<String>,
}

impl StoreArgs {
    fn location(&self) -> anyhow::Result<Location> {
        Location::parse(self.store.as_deref()).map_err(|e| anyhow::anyhow!("--store: {e}"))
    }

    /// Opens the store, or says in one line what was tried and what would be right.
    pub(crate) fn open(&self, data: &Path, clock: Clock) -> anyhow::Result<Store> {
        let location = self.location()?;
        Store::open_at(data, &location, clock).map_err(|e| match (&location, e) {
            // Says which directory and what to do already.
            (_, e @ crate::store::StoreError::InUse(_)) => anyhow::Error::new(e),
            (Location::Sled, e) => anyhow::anyhow!(
                "opening the data directory {}: {e}",
                data.display()
            ),
            (Location::Postgres(_), e @ crate::store::StoreError::Unavailable { .. }) => {
                anyhow::anyhow!(
                    "cannot open the store: {e}; check that PostgreSQL runs there and that --store is postgres://USER:PASSWORD@HOST:PORT/DATABASE"
                )
            }
            (Location::Postgres(_), e) => anyhow::anyhow!(
                "opening the store {}: {e}",
                location.describe(data)
            ),
        })
    }
}

/// Entry point of the `portico` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_log(&cli.command);
    let plugin_dirs = match &cli.command {
        Command::Serve { plugin_dirs, .. } | Command::Check { plugin_dirs, .. } => {
            plugin_dirs.as_slice()
        }
        _ => &[],
    };
    if let Err(e) = crate::config::allow_plugin_dirs(plugin_dirs) {
        eprintln!("portico: --plugin-dir: {e}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Check {
            config,
            data,
            store,
            ..
        } => return check(&config, data.as_deref(), &store),
        Command::New { id, lang, dir, sdk } => new(&id, lang, dir.as_deref(), sdk.as_deref()),
        Command::Dev {
            dir,
            listen,
            portal,
        } => crate::dev::run::run(crate::dev::run::DevOptions {
            dir,
            listen,
            portal,
        }),
        Command::Serve {
            config,
            data,
            store,
            listen,
            secure_cookies,
            max_concurrent_calls,
            page_cache_mib,
            edge,
            mail,
            ..
        } => serve(
            &config,
            &data,
            &store,
            listen,
            secure_cookies,
            false,
            Capacity {
                max_concurrent_calls,
                page_cache_mib,
            },
            edge,
            mail,
            None,
        ),
        Command::Demo {
            config,
            data,
            store,
            listen,
            edge,
        } => serve(
            &config,
            &data,
            &store,
            listen,
            false,
            true,
            Capacity::default(),
            edge,
            MailArgs::none(),
            None,
        ),
        Command::Reload { data, wait } => {
            crate::ops::pidfile::signal_reload(&data, std::time::Duration::from_secs(wait))
                .map(|message| println!("{message}"))
        }
        Command::Export { store, to } => crate::ops::transfer::export(&store, &to),
        Command::Import {
            store,
            from,
            replace,
        } => crate::ops::transfer::import(&store, &from, replace),
        Command::Operator {
            action: OperatorAction::Add { email, data, store },
        } => store.location().and_then(|location| {
            crate::ops::operator::add(&email, &data, &location).map(|message| println!("{message}"))
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portico: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The log: `serve` and `demo` write it to stdout (one line per request;
/// tests and scripts read it there); the tools (`check`, `new`…) to stderr,
/// so their stdout is only their answer. Colours only on a terminal.
fn init_log(command: &Command) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,cranelift=warn,wasmtime=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if matches!(command, Command::Serve { .. } | Command::Demo { .. }) {
        builder.with_ansi(std::io::stdout().is_terminal()).init();
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init();
    }
}

/// Where `check` keeps compiled plugins: `<data>/cache` like `serve`, else
/// the user's cache directory; `None` if there is no such directory.
fn check_cache_dir(data: Option<&Path>) -> Option<PathBuf> {
    if let Some(data) = data {
        return Some(data.join(COMPILE_CACHE_DIR));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("portico").join(COMPILE_CACHE_DIR))
}

fn new(
    id: &str,
    lang: crate::dev::new::Lang,
    dir: Option<&Path>,
    sdk: Option<&str>,
) -> anyhow::Result<()> {
    use crate::dev::new::{Sdk, create};
    let sdk = match sdk {
        None => Sdk::default_for_this_build(),
        Some(v) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
            Sdk::Version(v.to_owned())
        }
        Some(path) => {
            let manifest = Path::new(path).join("Cargo.toml");
            let root = manifest
                .canonicalize()
                .ok()
                .and_then(|m| m.parent().map(Path::to_path_buf))
                .with_context(|| {
                    format!(
                        "--sdk {path}: no Cargo.toml there; give a checkout's sdk/ directory (e.g. ~/portico/sdk) or a published version (e.g. 0.1)"
                    )
                })?;
            Sdk::Path(root)
        }
    };
    let created = create(id, lang, dir, &sdk)?;
    let shown = created.dir.display();
    println!("Created the {lang} area `{id}` in {shown}:");
    for file in &created.files {
        println!("  {file}");
    }
    println!();
    println!("Next:");
    println!("  cd {shown}");
    match lang {
        crate::dev::new::Lang::Rust => {
            println!("  cargo test      # its tests, on the native test host");
            println!("  portico dev     # the demo portal with this area, rebuilt on every save");
            println!("  cargo build --release --target wasm32-wasip2 && portico check areas.yaml");
        }
        crate::dev::new::Lang::Python => {
            println!(
                "  python3 -m venv .venv && .venv/bin/pip install -r requirements.txt   # once"
            );
            println!("  .venv/bin/pytest   # its tests, on the SDK's fake host");
            println!(
                "  portico dev        # the demo portal with this area, rebuilt on every save"
            );
            println!(
                "  .venv/bin/python -m portico_sdk.build . -o build/{id}.wasm && portico check areas.yaml"
            );
        }
    }
    if let Sdk::Version(v) = &sdk {
        let index = match lang {
            crate::dev::new::Lang::Rust => "crates.io",
            crate::dev::new::Lang::Python => "PyPI",
        };
        println!(
            "(The SDK comes from {index}, portico-sdk {v}; pass --sdk DIR to use a checkout.)"
        );
    }
    Ok(())
}

fn check(config: &Path, data: Option<&Path>, store: &StoreArgs) -> ExitCode {
    if store.store.is_some() {
        let dir = data
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        match store.open(&dir, Clock::system()) {
            Ok(s) => println!("ok  store: {}", s.location()),
            Err(e) => {
                eprintln!("portico: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    let runtime = match Runtime::new() {
        Ok(r) => match check_cache_dir(data) {
            Some(dir) => r.with_compile_cache(dir),
            None => r,
        },
        Err(e) => {
            eprintln!("portico: cannot start the wasm runtime: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match Catalog::build(config, &runtime, true) {
        Ok(catalog) => {
            for a in &catalog.areas {
                let api = a
                    .loaded
                    .as_ref()
                    .map(|l| l.area.api_version.to_string())
                    .unwrap_or_default();
                println!(
                    "ok  {:<20} {:<8} portico:area@{api}  {}",
                    a.spec.id,
                    a.spec.version,
                    a.spec.plugin.display()
                );
            }
            println!(
                "{}: {} area(s), no errors",
                config.display(),
                catalog.areas.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("{}: {} error(s)", config.display(), errors.0.len());
            ExitCode::FAILURE
        }
    }
}

/// How much the server may take on at once.
struct Capacity {
    /// `--max-concurrent-calls`.
    max_concurrent_calls: usize,
    /// `--page-cache-mib`.
    page_cache_mib: usize,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            max_concurrent_calls: crate::runtime::MAX_CONCURRENT_CALLS as usize,
            page_cache_mib: crate::web::PAGE_CACHE_DEFAULT_MIB,
        }
    }
}

#[allow(clippy::too_many_arguments)] // one per `serve` flag group; a struct would only rename them
fn serve(
    config: &Path,
    data: &Path,
    store: &StoreArgs,
    listen: SocketAddr,
    secure_cookies: bool,
    demo: bool,
    capacity: Capacity,
    edge: EdgeArgs,
    mail: MailArgs,
    on_ready: Option<crate::dev::OnReady>,
) -> anyhow::Result<()> {
    if edge.metrics_token.as_deref().is_some_and(|t| t.len() < 16) {
        anyhow::bail!(
            "--metrics-token must be at least 16 characters (a random one: `openssl rand -hex 16`)"
        );
    }
    if secure_cookies && edge.trusted_proxies.is_empty() {
        tracing::warn!(
            "--secure-cookies without --trusted-proxy: every client is counted as the proxy's address by sign-in throttling; name your proxy with --trusted-proxy"
        );
    }
    let clock = host_clock(secure_cookies)?;
    let store = store.open(data, clock)?;
    tracing::info!(store = store.location(), "store open");
    let mailer = crate::mail::Mailer::new(
        &crate::mail::MailConfig {
            smtp_url: mail.smtp_url,
            from: mail.mail_from,
        },
        data,
    )
    .context("configuring mail")?;
    let public_url = mail.public_url;
    if let Some(url) = &public_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        anyhow::bail!(
            "--public-url {url:?} must start with https:// (or http:// for local use), e.g. https://portal.example.fr"
        );
    }
    let runtime = Arc::new(
        Runtime::new()
            .context("starting the wasm runtime")?
            .with_compile_cache(compile_cache_dir(data)),
    );
    // Plugins are compiled before the async runtime starts: no request waits on it.
    let catalog = Catalog::build(config, &runtime, false).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if store.over_network() {
        // Store calls are synchronous and block their worker for a round
        // trip to PostgreSQL (pg_backend.rs, "Threads"): with one worker per
        // core, two requests would be in flight on two cores. More workers
        // keep the cores busy while some wait (BENCHMARKS.md, §7).
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        builder.worker_threads((cores * PG_WORKERS_PER_CORE).max(PG_MIN_WORKERS));
    }
    builder.enable_all().build()?.block_on(async move {
        if demo {
            crate::demo::seed(&store)
                .await
                .context("seeding demo data")?;
        }
        let state = AppState::with_edge(
            catalog,
            runtime.clone(),
            store,
            secure_cookies,
            edge.policy(),
        )?
        .with_mailer(mailer)?
        .with_page_cache_mib(capacity.page_cache_mib)?;
        if let Some(url) = &public_url {
            state.set_public_url(url);
        }
        let slots = state.limit_concurrent_calls(capacity.max_concurrent_calls);
        if slots != crate::runtime::MAX_CONCURRENT_CALLS as usize {
            tracing::info!(slots, "sandboxed calls limited");
        }
        let reloader = Reloader::start(config, runtime, state.clone())
            .context("starting the reload watcher")?;
        if let Some(on_ready) = on_ready {
            on_ready(state.clone(), reloader.clone()).context("starting portico dev")?;
        }
        tokio::spawn(reload_on_sighup(reloader));
        let _pid = PidFile::create(data)
            .with_context(|| format!("writing the pid file in {}", data.display()))?;
        crate::delivery::spawn(state.clone());
        crate::dataflows::webhooks::spawn(state.store().clone());
        if demo {
            // Made through the areas themselves, with delivery running.
            if let Err(e) = crate::demo::seed_invoices(&state).await {
                tracing::warn!(error = %format!("{e:#}"), "demo invoices were not seeded");
            }
            if let Err(e) = crate::demo::justice::seed(&state).await {
                tracing::warn!(error = %format!("{e:#}"), "demo justice costs were not seeded");
            }
            if let Err(e) = crate::demo::ict::seed(&state).await {
                tracing::warn!(error = %format!("{e:#}"), "demo ICT refunds were not seeded");
            }
        }
        // Before the main address's line, which tests and scripts wait for.
        if let Some(metrics_addr) = edge.metrics_listen {
            let listener = tokio::net::TcpListener::bind(metrics_addr)
                .await
                .with_context(|| format!("listening for /metrics on {metrics_addr}"))?;
            println!("Metrics on http://{}/metrics", listener.local_addr()?);
            let metrics = crate::web::metrics_app(state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, metrics).await {
                    tracing::error!(error = %e, "the /metrics listener stopped");
                }
            });
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        state.set_public_url(&format!("http://{addr}"));
        tracing::info!(to = %state.mailer().describe(), "mail");
        crate::hosts::start_heartbeat(state.clone(), format!("http://{addr}")).await;
        let host_state = state.clone();
        // Tests and scripts read this line to find the port.
        println!("Portico listening on http://{addr}");
        if demo {
            crate::demo::print_credentials(addr);
        }
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
        crate::hosts::stopped(&host_state);
        tracing::info!("stopped");
        Ok(())
    })
}

/// `portico dev`'s portal: the demo on `config`, with `on_ready` called
/// once it serves.
pub(crate) fn serve_dev(
    config: &Path,
    data: &Path,
    listen: SocketAddr,
    on_ready: crate::dev::OnReady,
) -> anyhow::Result<()> {
    serve(
        config,
        data,
        &StoreArgs::default(),
        listen,
        false,
        true,
        Capacity::default(),
        EdgeArgs::none(),
        MailArgs::none(),
        Some(on_ready),
    )
}

/// The system clock, or the movable test clock when
/// [`TEST_CLOCK_ENV`](crate::clock::TEST_CLOCK_ENV)`=1` — refused together
/// with `--secure-cookies`, which only a real deployment sets.
fn host_clock(secure_cookies: bool) -> anyhow::Result<Clock> {
    let env = crate::clock::TEST_CLOCK_ENV;
    match std::env::var(env).as_deref() {
        Ok("1") if secure_cookies => anyhow::bail!(
            "{env}=1 gives this server a clock anyone can move forward (tests only); it cannot be combined with --secure-cookies. Unset {env} in production."
        ),
        Ok("1") => {
            tracing::warn!(
                "{env}=1: the clock is movable through POST /test/clock — a test setting, never for production"
            );
            Ok(Clock::movable())
        }
        Ok(other) if !other.is_empty() && other != "0" => {
            anyhow::bail!("{env} must be 1 (tests only) or unset; got {other:?}")
        }
        _ => Ok(Clock::system()),
    }
}

/// Tokio workers per core when the store is PostgreSQL (see `serve`).
const PG_WORKERS_PER_CORE: usize = 8;
/// The fewest tokio workers when the store is PostgreSQL.
const PG_MIN_WORKERS: usize = 16;

/// Where compiled plugins are cached, under the data directory.
const COMPILE_CACHE_DIR: &str = "cache";

/// The compile cache: `PORTICO_COMPILE_CACHE` when set (several data
/// directories may share one: entries are keyed by the plugin's SHA-256 and
/// wasmtime's compatibility hash, and written atomically), else
/// `<data>/cache`. The tests share one so that each plugin — a Python one
/// takes seconds — is compiled once per run, not once per portal.
fn compile_cache_dir(data: &Path) -> PathBuf {
    match std::env::var_os("PORTICO_COMPILE_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => data.join(COMPILE_CACHE_DIR),
    }
}

async fn reload_on_sighup(reloader: Reloader) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP ({e}); reload by editing areas.yaml");
            return;
        }
    };
    while hup.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading areas.yaml");
        reloader.request(Trigger::Signal);
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
