//! This process as one host among several on one store.
//!
//! Each `portico serve` has an id ([`id`]: `PORTICO_HOST_ID`, else the
//! machine's name and the process id) that marks its delivery leases
//! (`store/leases.rs`), and writes a heartbeat every
//! [`HEARTBEAT_MS`](crate::store::HEARTBEAT_MS): its address, version,
//! catalogue generation and a digest of the catalogue it serves. `/ops`
//! lists every host seen within [`HOST_LIVE_MS`](crate::store::HOST_LIVE_MS),
//! so an operator sees at once whether a reload reached every machine.
//!
//! The catalogue itself is not in the store: each host watches its own
//! `areas.yaml` and plugin files (`ops::reload`), which a deployment ships
//! identically to every machine (the plugins must be there anyway, and
//! each host compiles them into its local cache). The heartbeat's digest
//! is how the operator checks that they agree.
//!
//! The heartbeat loop also purges expired throttling counters
//! (`store/limits.rs`) now and then.

use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::catalog::Catalog;
use crate::store::{HEARTBEAT_MS, HostBeat};
use crate::web::AppState;

/// Names this host in leases and on `/ops` (default: machine name and
/// process id). Give each host a stable, unique one in a deployment.
pub const HOST_ID_ENV: &str = "PORTICO_HOST_ID";

/// How often expired throttling counters are purged (by every host; the
/// purge is idempotent).
const PURGE_EVERY: u32 = 60;

/// How often the loop looks at the catalogue generation.
const LOOK_EVERY_MS: u64 = 1_000;

static ID: OnceLock<String> = OnceLock::new();

/// This process's host id.
pub fn id() -> &'static str {
    ID.get_or_init(|| match std::env::var(HOST_ID_ENV) {
        Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => {
            let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_else(|| "host".into());
            format!("{name}-{}", std::process::id())
        }
    })
}

/// A short digest of what a catalogue serves: each area's id, version,
/// plugin digest, scope, capabilities and limits. Two hosts with the same
/// `areas.yaml` and plugins show the same one.
pub fn catalogue_digest(catalog: &Catalog) -> String {
    let mut h = Sha256::new();
    for a in &catalog.areas {
        let plugin = match &a.loaded {
            Ok(l) => l.area.digest.clone(),
            Err(e) => format!("failed: {e}"),
        };
        h.update(
            format!(
                "{}|{}|{}|{:?}|{:?}|{:?}\n",
                a.spec.id, a.spec.version, plugin, a.spec.scope, a.spec.capabilities, a.spec.limits
            )
            .as_bytes(),
        );
    }
    hex::encode(&h.finalize()[..6])
}

/// This host's heartbeat now.
pub fn beat(state: &AppState, address: &str, started_ms: u64) -> HostBeat {
    let catalog = state.catalog();
    HostBeat {
        id: id().to_owned(),
        address: address.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        generation: state.ops().reloads().generation(),
        catalogue: catalogue_digest(&catalog),
        areas: u32::try_from(catalog.areas.len()).unwrap_or(u32::MAX),
        started_ms,
        last_seen_ms: state.clock().now_ms(),
    }
}

/// Writes the heartbeat now, then every [`HEARTBEAT_MS`] and as soon as
/// the catalogue generation changes (a reload shows on `/ops` within a
/// second); returns once the first one is written.
pub async fn start_heartbeat(state: AppState, address: String) {
    let started_ms = state.clock().now_ms();
    write(&state, &address, started_ms, false).await;
    tokio::spawn(async move {
        let mut written = state.ops().reloads().generation();
        let mut since = 0u64;
        let mut beats: u32 = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(LOOK_EVERY_MS)).await;
            since += LOOK_EVERY_MS;
            let generation = state.ops().reloads().generation();
            if generation == written && since < HEARTBEAT_MS {
                continue;
            }
            (written, since) = (generation, 0);
            beats = beats.wrapping_add(1);
            write(
                &state,
                &address,
                started_ms,
                beats.is_multiple_of(PURGE_EVERY),
            )
            .await;
        }
    });
}

async fn write(state: &AppState, address: &str, started_ms: u64, purge: bool) {
    let beat = beat(state, address, started_ms);
    let store = state.store().clone();
    let done = tokio::task::spawn_blocking(move || {
        store.heartbeat(&beat)?;
        if purge {
            let n = store.purge_limits(store.clock().now_ms())?;
            if n > 0 {
                tracing::debug!(records = n, "expired throttling counters purged");
            }
        }
        Ok::<_, crate::store::StoreError>(())
    })
    .await;
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "writing this host's heartbeat failed"),
        Err(e) => tracing::warn!(error = %e, "the heartbeat task failed"),
    }
}

/// A clean stop: this host leaves the list at once.
pub fn stopped(state: &AppState) {
    if let Err(e) = state.store().host_stopped(id()) {
        tracing::warn!(error = %e, "removing this host from the host list failed");
    }
}
