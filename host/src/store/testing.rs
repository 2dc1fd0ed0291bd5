//! For tests (in this crate and in `tests/`): which backend the shared suites
//! run on, and a store location of its own for each test.
//!
//! - `PORTICO_TEST_POSTGRES=postgres://…`: a PostgreSQL server tests may use
//!   (`.ci/postgres` starts one and prints its URL). Tests that exist only for
//!   PostgreSQL skip, saying so, when it is unset.
//! - `PORTICO_TEST_STORE=postgres` runs the shared suites (store unit tests,
//!   the chosen end-to-end files) on that server instead of sled; `.ci/test`
//!   runs them once on each.
//!
//! Each test gets a schema of its own (`?schema=t_<hash of its directory>`),
//! so test files and tests run in parallel on one database, and a host
//! restarted on the same directory finds its data again.

use std::hash::{Hash, Hasher};
use std::path::Path;

use super::Location;

/// The variable naming the test server.
pub const POSTGRES_VAR: &str = "PORTICO_TEST_POSTGRES";
/// The variable choosing the shared suites' backend.
pub const STORE_VAR: &str = "PORTICO_TEST_STORE";

/// The test server's URL, if one is configured.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_VAR).ok().filter(|u| !u.is_empty())
}

/// Whether the shared suites run on PostgreSQL (`PORTICO_TEST_STORE=postgres`).
/// Panics if that is asked without a server: a run that meant PostgreSQL must
/// not quietly test sled.
pub fn on_postgres() -> bool {
    match std::env::var(STORE_VAR).as_deref() {
        Ok("postgres") => {
            assert!(
                postgres_url().is_some(),
                "{STORE_VAR}=postgres needs {POSTGRES_VAR}=postgres://… (start one with .ci/postgres)"
            );
            true
        }
        Ok("sled") | Ok("") | Err(_) => false,
        Ok(other) => panic!("{STORE_VAR}={other:?}: expected sled or postgres"),
    }
}

/// The schema of the test whose files are in `dir`.
fn schema_for(dir: &Path) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    format!("t_{:016x}", h.finish())
}

/// `url` with `?schema=NAME` added.
pub fn with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema={schema}")
}

/// The `--store` URL for a host whose data directory is `dir` on the test
/// server, or `None` to use sled (the shared suites' backend).
pub fn store_url(dir: &Path) -> Option<String> {
    on_postgres().then(|| {
        let url = postgres_url().expect("checked by on_postgres");
        with_schema(&url, &schema_for(dir))
    })
}

/// The PostgreSQL location for `dir` whatever the shared suites use, for
/// tests of PostgreSQL itself; `None` (the caller says "skipped") without a
/// server.
pub fn postgres_location(dir: &Path) -> Option<Location> {
    let url = with_schema(&postgres_url()?, &schema_for(dir));
    Some(Location::parse(Some(&url)).expect("PORTICO_TEST_POSTGRES is a valid URL"))
}

/// Where a test store whose directory is `dir` lives: sled in `dir`, or a
/// schema of its own on the test server.
pub fn location(dir: &Path) -> Location {
    match store_url(dir) {
        Some(url) => Location::parse(Some(&url)).expect("PORTICO_TEST_POSTGRES is a valid URL"),
        None => Location::Sled,
    }
}

/// What a test that needs the server prints when there is none.
pub fn skipped() {
    eprintln!("skipped: set {POSTGRES_VAR}=postgres://… (start one with .ci/postgres)");
}
