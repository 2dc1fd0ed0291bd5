//! `portico export` and `portico import`: moving a portal between stores
//! (sled ↔ PostgreSQL), each side counted and hashed (`store/transfer.rs`).

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::store::{Location, Store, StoreError};

/// Opens the store named on the command line (a sled data directory, or a
/// `postgres://` URL), saying what to do when a server holds it.
fn open(store: &str, command: &str) -> anyhow::Result<Store> {
    if store.starts_with("postgres://") || store.starts_with("postgresql://") {
        let location = Location::parse(Some(store)).map_err(|e| anyhow::anyhow!("--store: {e}"))?;
        // Nothing local is written for a PostgreSQL store.
        return Store::open_at(
            &std::env::temp_dir(),
            &location,
            crate::clock::Clock::system(),
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open the store {}: {e}",
                location.describe(Path::new("."))
            )
        });
    }
    Store::open(Path::new(store)).map_err(|e| match e {
        StoreError::InUse(_) => {
            anyhow::anyhow!("{e}; stop the server, run `portico {command}`, then start it again")
        }
        e => anyhow::anyhow!("cannot open the store {store}: {e}"),
    })
}

/// `portico export --store S --to FILE`.
pub fn export(store: &str, to: &Path) -> anyhow::Result<()> {
    let source = open(store, "export")?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .with_context(|| {
            format!(
                "cannot create {} (an existing file is never overwritten: give a new name)",
                to.display()
            )
        })?;
    let mut out = std::io::BufWriter::new(file);
    let summary = source
        .export(&mut out)
        .with_context(|| format!("exporting {store}"))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("writing {}", to.display()))?;
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "exported {} records from {store} to {}:",
        summary.records(),
        to.display()
    )?;
    write!(w, "{}", summary.table())?;
    Ok(())
}

/// `portico import --store S --from FILE [--replace]`.
pub fn import(store: &str, from: &Path, replace: bool) -> anyhow::Result<()> {
    let dest = open(store, "import")?;
    let (file, here) = dest
        .import(from, replace)
        .with_context(|| format!("importing {} into {store}", from.display()))?;
    let mut w = std::io::stdout().lock();
    writeln!(w, "the file {} holds:", from.display())?;
    write!(w, "{}", file.table())?;
    writeln!(w, "the store {store} now holds, recounted:")?;
    write!(w, "{}", here.table())?;
    writeln!(
        w,
        "imported {} records: every count and hash matches",
        here.records()
    )?;
    Ok(())
}
