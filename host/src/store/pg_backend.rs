//! The PostgreSQL implementation of [`Backend`] (`--store postgres://…`):
//! the only file in Portico that speaks to PostgreSQL.
//!
//! **Layout.** One table per [`TreeId`] (`tree_<name>`, `k bytea primary
//! key, v bytea not null`), not one keyed table: each tree gets its own
//! B-tree, statistics and vacuuming, and — what matters most — PostgreSQL's
//! serializable isolation takes its predicate locks on index pages, so with
//! one shared table a session write and an unrelated kv read that happen to
//! share a page would abort each other; per-tree tables keep conflicts to
//! real ones. `bytea` sorts byte by byte (memcmp), the order [`Backend::scan`]
//! promises. Large values (over `INLINE_LIMIT`) are rows of their own table
//! (`tree_large_values`, content-addressed), written in the transaction of
//! the record that points to them (`blobs.rs`).
//!
//! **Migrations.** `portico_schema_version` lists the migrations applied;
//! [`PgBackend::open`] applies the missing ones under an advisory lock (so
//! several hosts starting at once migrate once) and refuses a database whose
//! schema is newer than this build. A tree added to [`TreeId`] later needs
//! no migration: every start creates the tables of trees it does not find.
//!
//! **Transactions.** `SERIALIZABLE`; a serialization failure (SQLSTATE
//! 40001) or a deadlock (40P01) rolls back and runs the body again, as the
//! [`Backend::transact`] contract allows. Writes are kept in the
//! transaction's own map (reads see them) and sent at commit, one statement
//! per tree, so a transaction costs BEGIN, its reads, one round trip of
//! writes and COMMIT.
//!
//! **Durability.** A COMMIT that returned is durable (PostgreSQL's default
//! `synchronous_commit = on` flushes the WAL before answering; with a
//! synchronous standby, it is on both). So [`Backend::sync`] is a no-op:
//! there is nothing left to flush by the time a transaction returned.
//! PostgreSQL groups concurrent commits' WAL flushes itself.
//!
//! **Threads.** [`Backend`] is synchronous and is called from tokio worker
//! threads (axum handlers) and from plain threads (CLI, tests). The client
//! (tokio-postgres, pooled by deadpool-postgres) is async. Nesting runtimes
//! panics ("Cannot start a runtime from within a runtime"), and
//! `block_in_place` panics on a current-thread runtime and needs a runtime to
//! exist at all. So the backend owns a small runtime of its own
//! ([`RUNTIME_THREADS`] threads) that no caller ever enters: each operation
//! is spawned onto it and the calling thread waits on a plain channel. The
//! caller blocks exactly as it blocks on sled's I/O; the runtime threads
//! only ever run the client's futures, so they never wait on a caller.

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::StoreError;
use super::backend::{Backend, Entry, TreeId, Tx};

/// Threads of the backend's own runtime: they only move bytes between
/// sockets and callers.
const RUNTIME_THREADS: usize = 2;

/// Connections per host. A transaction holds one from BEGIN to COMMIT; reads
/// outside transactions borrow one per statement. Three hosts use 48 of
/// PostgreSQL's default 100.
const POOL_SIZE: usize = 16;

/// How long connecting (or waiting for a free connection) may take before an
/// operation fails as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs of a transaction body before giving up on serialization failures.
const MAX_ATTEMPTS: u32 = 50;

/// The schema this build writes; [`MIGRATIONS`]`[n]` brings a database from
/// version `n` to `n + 1`.
pub(crate) const SCHEMA_VERSION: i32 = 1;

/// Serializes migrations between hosts starting at once (any constant
/// shared by every Portico build: "portico" in ASCII).
const MIGRATION_LOCK: i64 = 0x0070_6f72_7469_636f;

/// The trees of schema version 1, frozen: later trees are created at start.
const V1_TREES: [&str; 32] = [
    "users",
    "users-by-email",
    "sessions",
    "sessions-by-user",
    "structures",
    "memberships",
    "memberships-by-user",
    "installs",
    "facts",
    "kv",
    "audit",
    "meta",
    "link-requests",
    "link-requests-by-user",
    "services",
    "subscriptions",
    "subscriptions-by-user",
    "outbox",
    "inbox",
    "flows",
    "timers",
    "kv-usage",
    "structures_by_name",
    "account-links",
    "api-clients",
    "api-clients-by-structure",
    "api-tokens",
    "api-rate",
    "leases",
    "hosts",
    "limits",
    "large-values",
];

/// The table of a tree: `tree_` and its name with `-` as `_`.
fn table_of(name: &str) -> String {
    format!("tree_{}", name.replace('-', "_"))
}

fn create_table_sql(name: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (k bytea PRIMARY KEY, v bytea NOT NULL)",
        table_of(name)
    )
}

/// Migration `n` (brings version `n` to `n + 1`), as SQL run in one transaction.
fn migration(n: i32) -> String {
    match n {
        0 => V1_TREES
            .iter()
            .map(|t| create_table_sql(t) + ";\n")
            .collect(),
        _ => unreachable!("no migration {n}"),
    }
}

/// A `--store postgres://…` value, parsed: the client's configuration, the
/// schema Portico's tables live in, and what to call the server in messages
/// (never the password).
#[derive(Clone)]
pub(crate) struct PgTarget {
    config: tokio_postgres::Config,
    schema: Option<String>,
    shown: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

const URL_FORM: &str = "postgres://USER:PASSWORD@HOST:PORT/DATABASE (optionally ?schema=NAME; a unix socket: postgres://USER@%2Frun%2Fpostgresql/DATABASE)";

impl PgTarget {
    /// Parses a `postgres://` (or `postgresql://`) URL. Portico reads one
    /// parameter of its own, `schema=NAME` (created if missing; default: the
    /// user's `search_path`, normally `public`), and hands the rest to the
    /// client (`sslmode`, `connect_timeout`, `options`…).
    pub(crate) fn parse(url: &str) -> Result<PgTarget, String> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(format!(
                "{url:?} is not a PostgreSQL URL; expected {URL_FORM}"
            ));
        }
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (url, None),
        };
        let mut schema = None;
        let mut rest = Vec::new();
        for param in query.into_iter().flat_map(|q| q.split('&')) {
            match param.strip_prefix("schema=") {
                Some(s) => schema = Some(s.to_string()),
                None if param.is_empty() => {}
                None => rest.push(param),
            }
        }
        if let Some(s) = &schema {
            let ok = !s.is_empty()
                && s.len() <= 63
                && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(format!(
                    "schema {s:?} in the PostgreSQL URL: a schema name is 1 to 63 lowercase letters, digits or _, not starting with a digit"
                ));
            }
        }
        let client_url = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config = tokio_postgres::Config::from_str(&client_url).map_err(|e| {
            format!(
                "{:?} is not a valid PostgreSQL URL ({e}); expected {URL_FORM}",
                redact(url)
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // Shown in pg_stat_activity: which portal a connection serves.
        config.application_name(&match &schema {
            Some(s) => format!("portico {s}"),
            None => "portico".to_string(),
        });
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
            .map(|(h, p)| match h {
                tokio_postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
                tokio_postgres::config::Host::Unix(path) => {
                    format!("{}/.s.PGSQL.{p}", path.display())
                }
            })
            .collect();
        let shown = format!(
            "PostgreSQL at {} (database {}, user {}{})",
            if hosts.is_empty() {
                "localhost:5432".to_string()
            } else {
                hosts.join(",")
            },
            config.get_dbname().unwrap_or("(the user's)"),
            config.get_user().unwrap_or("(none given)"),
            schema
                .as_deref()
                .map(|s| format!(", schema {s}"))
                .unwrap_or_default(),
        );
        if let Some(s) = &schema {
            // Every connection resolves unqualified names in that schema.
            let options = match config.get_options() {
                Some(o) => format!("{o} -c search_path={s}"),
                None => format!("-c search_path={s}"),
            };
            config.options(&options);
        }
        Ok(PgTarget {
            config,
            schema,
            shown,
        })
    }

    /// Where the store is, for logs and errors (no password).
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }
}

/// `url` with its password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// The SQL of one tree, built once.
struct TreeSql {
    get: String,
    upsert: String,
    delete: String,
    /// `[lower is "k > after"][has an upper bound]`.
    scan: [[String; 2]; 2],
}

impl TreeSql {
    fn of(tree: TreeId) -> TreeSql {
        let t = table_of(tree.name());
        let scan = |lower: &str, upper: bool| {
            format!(
                "SELECT k, v FROM {t} WHERE k {lower} $1{} ORDER BY k LIMIT $2",
                if upper { " AND k < $3" } else { "" }
            )
        };
        TreeSql {
            get: format!("SELECT v FROM {t} WHERE k = $1"),
            upsert: format!(
                "INSERT INTO {t} (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
                 ON CONFLICT (k) DO UPDATE SET v = excluded.v"
            ),
            delete: format!("DELETE FROM {t} WHERE k = ANY($1::bytea[])"),
            scan: [
                [scan(">=", false), scan(">=", true)],
                [scan(">", false), scan(">", true)],
            ],
        }
    }
}

/// The smallest byte string greater than every string starting with
/// `prefix`; `None` if there is none (empty or all `0xff`).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A PostgreSQL database holding every tree.
pub(crate) struct PgBackend {
    /// `None` only while dropping (see `Drop`).
    rt: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    sql: Arc<Vec<TreeSql>>,
    target: PgTarget,
}

/// How a failed statement is handled.
enum Failure {
    /// Serialization failure or deadlock: run the transaction again.
    Retry(String),
    /// Any other failure, as the store reports it.
    Fail(StoreError),
}

impl PgBackend {
    /// Connects (failing clearly if the server cannot be reached), applies
    /// the missing migrations and creates missing tree tables.
    pub(crate) fn open(target: &PgTarget) -> Result<PgBackend, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_THREADS)
            .thread_name("portico-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(format!("starting the PostgreSQL client: {e}")))?;
        let manager = Manager::from_config(
            target.config.clone(),
            NoTls,
            ManagerConfig {
                // Checks `is_closed()` on checkout: a connection the server
                // dropped is discarded and a new one made (reconnecting).
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Backend(format!("PostgreSQL pool: {e}")))?;
        let backend = PgBackend {
            handle: rt.handle().clone(),
            rt: Some(rt),
            pool,
            sql: Arc::new(TreeId::ALL.iter().map(|t| TreeSql::of(*t)).collect()),
            target: target.clone(),
        };
        backend.migrate()?;
        Ok(backend)
    }

    /// Runs `fut` on the backend's runtime and waits for it on this thread.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| StoreError::Unavailable {
            disk_full: false,
            cause: "the PostgreSQL client stopped".into(),
        })
    }

    fn pool_error(&self, e: deadpool_postgres::PoolError) -> StoreError {
        StoreError::Unavailable {
            disk_full: false,
            cause: format!("cannot reach {}: {e}", self.target.shown),
        }
    }

    fn connection(&self) -> Result<Object, StoreError> {
        let pool = self.pool.clone();
        self.run(async move { pool.get().await })?
            .map_err(|e| self.pool_error(e))
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let client = self.pool.clone();
        let schema = self.target.schema.clone();
        let shown = self.target.shown.clone();
        self.run(async move {
            let client = client.get().await.map_err(|e| StoreError::Unavailable {
                disk_full: false,
                cause: format!("cannot reach {shown}: {}", pool_cause(&e)),
            })?;
            let err = |e: tokio_postgres::Error| pg_error(&shown, &e);
            if let Some(s) = &schema {
                client
                    .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
                    .await
                    .map_err(err)?;
            }
            client
                .query_one("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(err)?;
            let migrated = migrate_locked(&client, &shown).await;
            let unlocked = client
                .query_one("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
                .await;
            migrated?;
            unlocked.map_err(err)?;
            Ok(())
        })?
    }
}

/// The cause of a pool error, in words (the connection error's own).
fn pool_cause(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                s = format!("{s}: {inner}");
                source = inner.source();
            }
            s
        }
        other => other.to_string(),
    }
}

fn pg_error(shown: &str, e: &tokio_postgres::Error) -> StoreError {
    match classify(shown, e) {
        Failure::Retry(why) => StoreError::Backend(format!("{shown}: {why}")),
        Failure::Fail(e) => e,
    }
}

/// Sorts a client error: retry, storage unavailable, or another failure.
fn classify(shown: &str, e: &tokio_postgres::Error) -> Failure {
    let code = e.code();
    if code == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
        || code == Some(&SqlState::T_R_DEADLOCK_DETECTED)
    {
        return Failure::Retry(e.to_string());
    }
    let detail = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut s = e.to_string();
            if let Some(inner) = std::error::Error::source(e) {
                s = format!("{s}: {inner}");
            }
            s
        }
    };
    let cause = format!("{shown}: {detail}");
    let disk_full = code == Some(&SqlState::DISK_FULL);
    // No SQLSTATE: the connection failed (closed, reset, timed out); class
    // 08 is a connection exception, 57P0x the server shutting down, 53 out
    // of resources: the storage is unavailable, not the data wrong.
    let unavailable = code.is_none()
        || e.is_closed()
        || code.is_some_and(|c| {
            let c = c.code();
            c.starts_with("08") || c.starts_with("57P") || c.starts_with("53")
        });
    Failure::Fail(if unavailable {
        StoreError::Unavailable { disk_full, cause }
    } else {
        StoreError::Backend(cause)
    })
}

/// Applies the missing migrations; runs under the migration lock.
async fn migrate_locked(client: &Object, shown: &str) -> Result<(), StoreError> {
    let err = |e: tokio_postgres::Error| pg_error(shown, &e);
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS portico_schema_version (\
               version integer PRIMARY KEY, \
               applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .map_err(err)?;
    let found: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM portico_schema_version",
            &[],
        )
        .await
        .map_err(err)?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "{shown} has Portico schema version {found}, newer than this build's {SCHEMA_VERSION}: \
             it was written by a newer Portico; run that version (or a newer one), \
             or point --store at another database"
        )));
    }
    for n in found..SCHEMA_VERSION {
        let sql = format!(
            "BEGIN; {} INSERT INTO portico_schema_version (version) VALUES ({}); COMMIT;",
            migration(n),
            n + 1
        );
        if let Err(e) = client.batch_execute(&sql).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(err(e));
        }
        tracing::info!(store = shown, version = n + 1, "PostgreSQL schema migrated");
    }
    // Trees added since the schema's version: their tables, empty.
    let mut missing = String::new();
    for tree in TreeId::ALL {
        if !V1_TREES.contains(&tree.name()) {
            missing.push_str(&create_table_sql(tree.name()));
            missing.push_str(";\n");
        }
    }
    if !missing.is_empty() {
        client.batch_execute(&missing).await.map_err(err)?;
    }
    Ok(())
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        // A store may be dropped on a tokio worker, where dropping a runtime
        // (which waits for its threads) panics; this one is only told to stop.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A transaction in progress: one connection, `BEGIN` sent; the writes it
/// made so far (`None`: deleted), sent at commit.
struct PgTx<'a> {
    backend: &'a PgBackend,
    client: Arc<Object>,
    writes: BTreeMap<(TreeId, Vec<u8>), Option<Vec<u8>>>,
    /// A read failed in a way that means "run again" (the body may have
    /// swallowed the error).
    retry: Option<String>,
    /// A read failed because the connection did: the transaction is lost.
    failed: Option<StoreError>,
}

impl PgTx<'_> {
    fn read(&mut self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(w) = self.writes.get(&(tree, key.to_vec())) {
            return Ok(w.clone());
        }
        if let Some(why) = &self.retry {
            return Err(StoreError::Backend(format!(
                "transaction conflict (will retry): {why}"
            )));
        }
        let client = self.client.clone();
        let sql = self.backend.sql.clone();
        let key = key.to_vec();
        let r = self.backend.run(async move {
            let stmt = client.prepare_cached(&sql[tree.index()].get).await?;
            let row = client.query_opt(&stmt, &[&key]).await?;
            Ok::<_, tokio_postgres::Error>(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })?;
        r.map_err(|e| match classify(&self.backend.target.shown, &e) {
            Failure::Retry(why) => {
                self.retry = Some(why.clone());
                StoreError::Backend(format!("transaction conflict (will retry): {why}"))
            }
            Failure::Fail(err) => {
                self.failed = Some(pg_error(&self.backend.target.shown, &e));
                err
            }
        })
    }
}

impl Tx for PgTx<'_> {
    fn get(&mut self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(tree, key)
    }

    fn put(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.writes
            .insert((tree, key.to_vec()), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, tree: TreeId, key: &[u8]) -> Result<bool, StoreError> {
        let existed = self.read(tree, key)?.is_some();
        self.writes.insert((tree, key.to_vec()), None);
        Ok(existed)
    }
}

/// Ends a transaction's connection: rolled back unless committed, then back
/// to the pool. The rollback runs on the backend's runtime; the connection
/// returns to the pool only after it, so nobody inherits an open transaction.
struct Session<'a> {
    backend: &'a PgBackend,
    client: Option<Arc<Object>>,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.backend.handle.spawn(async move {
                if client.batch_execute("ROLLBACK").await.is_err() {
                    // A connection that cannot even roll back is not reused.
                    if let Ok(object) = Arc::try_unwrap(client) {
                        let _ = Object::take(object);
                    }
                }
            });
        }
    }
}

/// The writes of a transaction, grouped per tree for one statement each.
type Batches = Vec<(TreeId, Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>)>;

fn batches(writes: BTreeMap<(TreeId, Vec<u8>), Option<Vec<u8>>>) -> Batches {
    let mut out: Batches = Vec::new();
    for ((tree, key), value) in writes {
        if out.last().is_none_or(|b| b.0 != tree) {
            out.push((tree, Vec::new(), Vec::new(), Vec::new()));
        }
        let b = out.last_mut().expect("just pushed");
        match value {
            Some(v) => {
                b.1.push(key);
                b.2.push(v);
            }
            None => b.3.push(key),
        }
    }
    out
}

impl PgBackend {
    /// One attempt of a transaction: `Ok(true)` committed, `Ok(false)` to
    /// run again (a serialization failure).
    fn attempt(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
        last_retry: &mut String,
    ) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        let client = self
            .run(async move {
                let client = pool.get().await?;
                client
                    .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
                    .await
                    .map_err(deadpool_postgres::PoolError::Backend)?;
                Ok::<_, deadpool_postgres::PoolError>(client)
            })?
            .map_err(|e| self.pool_error(e))?;
        let client = Arc::new(client);
        let mut session = Session {
            backend: self,
            client: Some(client.clone()),
        };
        let mut tx = PgTx {
            backend: self,
            client,
            writes: BTreeMap::new(),
            retry: None,
            failed: None,
        };
        let result = body(&mut tx);
        if let Some(why) = tx.retry.take() {
            *last_retry = why;
            return Ok(false);
        }
        if let Some(e) = tx.failed.take() {
            return Err(e);
        }
        result?;
        let writes = batches(std::mem::take(&mut tx.writes));
        let client = tx.client.clone();
        drop(tx);
        let sql = self.sql.clone();
        let committed = self.run(async move {
            for (tree, keys, values, deleted) in &writes {
                let sql = &sql[tree.index()];
                if !keys.is_empty() {
                    let stmt = client.prepare_cached(&sql.upsert).await?;
                    client.execute(&stmt, &[keys, values]).await?;
                }
                if !deleted.is_empty() {
                    let stmt = client.prepare_cached(&sql.delete).await?;
                    client.execute(&stmt, &[deleted]).await?;
                }
            }
            client.batch_execute("COMMIT").await
        })?;
        match committed {
            Ok(()) => {
                // Committed: the connection goes back to the pool as is.
                session.client = None;
                Ok(true)
            }
            Err(e) => match classify(&self.target.shown, &e) {
                Failure::Retry(why) => {
                    *last_retry = why;
                    Ok(false)
                }
                Failure::Fail(err) => Err(err),
            },
        }
    }
}

impl Backend for PgBackend {
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let pool = self.pool.clone();
        let sql = self.sql.clone();
        let key = key.to_vec();
        let shown = self.target.shown.clone();
        self.run(async move {
            let client = pool.get().await.map_err(|e| StoreError::Unavailable {
                disk_full: false,
                cause: format!("cannot reach {shown}: {}", pool_cause(&e)),
            })?;
            let stmt = client
                .prepare_cached(&sql[tree.index()].get)
                .await
                .map_err(|e| pg_error(&shown, &e))?;
            let row = client
                .query_opt(&stmt, &[&key])
                .await
                .map_err(|e| pg_error(&shown, &e))?;
            Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })?
    }

    fn scan(
        &self,
        tree: TreeId,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (strict, lower) = match after {
            Some(after) if after >= prefix => (1, after.to_vec()),
            _ => (0, prefix.to_vec()),
        };
        let end = prefix_end(prefix);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let pool = self.pool.clone();
        let sql = self.sql.clone();
        let shown = self.target.shown.clone();
        self.run(async move {
            let client = pool.get().await.map_err(|e| StoreError::Unavailable {
                disk_full: false,
                cause: format!("cannot reach {shown}: {}", pool_cause(&e)),
            })?;
            let text = &sql[tree.index()].scan[strict][usize::from(end.is_some())];
            let stmt = client
                .prepare_cached(text)
                .await
                .map_err(|e| pg_error(&shown, &e))?;
            let rows = match &end {
                Some(end) => client.query(&stmt, &[&lower, &limit, end]).await,
                None => client.query(&stmt, &[&lower, &limit]).await,
            }
            .map_err(|e| pg_error(&shown, &e))?;
            Ok(rows
                .into_iter()
                .map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1)))
                .collect())
        })?
    }

    fn transact(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut last_retry = String::new();
        for attempt in 0..MAX_ATTEMPTS {
            if self.attempt(body, &mut last_retry)? {
                return Ok(());
            }
            // Back off a little, randomly, so the transactions that
            // collided do not collide again.
            let mut r = [0u8; 2];
            let _ = getrandom::fill(&mut r);
            let cap_us = 500u64 << attempt.min(5);
            std::thread::sleep(Duration::from_micros(
                u64::from(u16::from_le_bytes(r)) % cap_us,
            ));
        }
        Err(StoreError::Backend(format!(
            "{}: gave up after {MAX_ATTEMPTS} serialization failures in a row: {last_retry}",
            self.target.shown
        )))
    }

    /// Nothing to do: every transaction returned by [`Backend::transact`]
    /// was committed, and a PostgreSQL COMMIT returns only once its WAL is
    /// flushed (`synchronous_commit = on`, the default, which Portico's
    /// deployment page requires).
    fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Checks that a connection works (`SELECT 1`); the pool discards
    /// closed connections and makes new ones, so this also reconnects.
    fn health(&self) -> Result<(), StoreError> {
        let client = self.connection()?;
        let shown = self.target.shown.clone();
        self.run(async move {
            client
                .simple_query("SELECT 1")
                .await
                .map(|_| ())
                .map_err(|e| pg_error(&shown, &e))
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_before_the_next_byte_string() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        let t =
            PgTarget::parse("postgres://portico:secret@db.example:6543/portal?schema=p1").unwrap();
        assert_eq!(
            t.shown(),
            "PostgreSQL at db.example:6543 (database portal, user portico, schema p1)"
        );
        assert!(!format!("{t:?}").contains("secret"));
        let err = PgTarget::parse("mysql://x@y/z").unwrap_err();
        assert!(
            err.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
            "{err}"
        );
        let err = PgTarget::parse("postgres://u:secret@h/db?schema=Bad-Name").unwrap_err();
        assert!(err.contains("lowercase letters"), "{err}");
        let err = PgTarget::parse("postgres://u:secret@h:notaport/db").unwrap_err();
        assert!(!err.contains("secret") && err.contains("u:***@"), "{err}");
    }

    #[test]
    fn writes_are_grouped_per_tree_with_deletes_apart() {
        let mut w = BTreeMap::new();
        w.insert((TreeId::Kv, b"b".to_vec()), None);
        w.insert((TreeId::Kv, b"a".to_vec()), Some(b"1".to_vec()));
        w.insert((TreeId::Users, b"u".to_vec()), Some(b"2".to_vec()));
        let b = batches(w);
        assert_eq!(b.len(), 2);
        let kv = b.iter().find(|b| b.0 == TreeId::Kv).unwrap();
        assert_eq!(kv.1, vec![b"a".to_vec()]);
        assert_eq!(kv.3, vec![b"b".to_vec()]);
    }

    /// A backend on a fresh schema of the test server, or `None` (skipped).
    fn test_backend() -> Option<(tempfile::TempDir, PgTarget, PgBackend)> {
        let dir = tempfile::tempdir().unwrap();
        let Some(crate::store::Location::Postgres(loc)) =
            crate::store::testing::postgres_location(dir.path())
        else {
            crate::store::testing::skipped();
            return None;
        };
        let target = (*loc.0).clone();
        let backend = PgBackend::open(&target).expect("the test server answers");
        Some((dir, target, backend))
    }

    #[test]
    fn a_database_with_a_newer_schema_is_refused_clearly() {
        let Some((_dir, target, backend)) = test_backend() else {
            return;
        };
        let client = backend.connection().unwrap();
        backend
            .run(async move {
                client
                    .batch_execute("INSERT INTO portico_schema_version (version) VALUES (99)")
                    .await
            })
            .unwrap()
            .unwrap();
        drop(backend);
        let err = PgBackend::open(&target).err().expect("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("schema version 99")
                && msg.contains(&format!("this build's {SCHEMA_VERSION}")),
            "{msg}"
        );
    }

    #[test]
    fn migrations_are_recorded_once_and_a_second_open_changes_nothing() {
        let Some((_dir, target, backend)) = test_backend() else {
            return;
        };
        drop(PgBackend::open(&target).unwrap());
        let client = backend.connection().unwrap();
        let versions: Vec<i32> = backend
            .run(async move {
                client
                    .query(
                        "SELECT version FROM portico_schema_version ORDER BY version",
                        &[],
                    )
                    .await
                    .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            })
            .unwrap()
            .unwrap();
        assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    }

    #[test]
    fn an_unreachable_server_is_unavailable_and_named() {
        // A port nobody listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target =
            PgTarget::parse(&format!("postgres://portico:pw@127.0.0.1:{port}/portal")).unwrap();
        match PgBackend::open(&target) {
            Err(StoreError::Unavailable { cause, .. }) => {
                assert!(cause.contains(&format!("127.0.0.1:{port}")), "{cause}");
                assert!(!cause.contains("pw"), "{cause}");
            }
            Err(other) => panic!("expected Unavailable, got {other}"),
            Ok(_) => panic!("nothing listens there"),
        }
    }

    /// The server drops every connection (a restart, a failover): the next
    /// operations reconnect by themselves.
    #[test]
    fn lost_connections_are_replaced() {
        let Some((_dir, target, backend)) = test_backend() else {
            return;
        };
        let schema = target.schema.clone().expect("tests use a schema");
        backend
            .transact(&mut |tx| tx.put(TreeId::Meta, b"k", b"v"))
            .unwrap();
        let admin = backend.connection().unwrap();
        // This backend's connections only: other tests run beside it.
        let name = format!("portico {schema}");
        backend
            .run(async move {
                admin
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = $1 AND pid <> pg_backend_pid()",
                        &[&name],
                    )
                    .await
            })
            .unwrap()
            .unwrap();
        // Connections in the pool are now closed; an operation on one fails
        // as unavailable at most once per connection, then they are replaced.
        let mut answered = false;
        for _ in 0..=POOL_SIZE {
            if backend.health().is_ok() {
                answered = true;
                break;
            }
        }
        assert!(answered, "health never reconnected");
        assert_eq!(
            backend.get(TreeId::Meta, b"k").unwrap().as_deref(),
            Some(&b"v"[..])
        );
    }
}
