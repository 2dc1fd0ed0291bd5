//! Host heartbeats: every `portico serve` on a database says, every
//! [`HEARTBEAT_MS`], who it is, where it listens, which build and which
//! catalogue it serves. `/ops` lists them (`crate::hosts`).

use serde::{Deserialize, Serialize};

use super::backend::TreeId;
use super::{Result, Store, decode, tx_write};

/// How often a serving host writes its heartbeat.
pub const HEARTBEAT_MS: u64 = 5_000;

/// A host not seen for this long is shown as gone (three missed heartbeats).
pub const HOST_LIVE_MS: u64 = 3 * HEARTBEAT_MS;

/// Gone hosts are forgotten after this long.
pub const HOST_FORGET_MS: u64 = 24 * 60 * 60 * 1000;

/// One host's heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostBeat {
    /// The host's id (`serve --host-id`, default: machine name and process id).
    pub id: String,
    /// Where it listens, as it sees it (`http://10.0.0.5:8080`).
    pub address: String,
    /// The Portico version it runs.
    pub version: String,
    /// Its catalogue generation (1 = the catalogue it started with; +1 per
    /// successful reload).
    pub generation: u64,
    /// A digest of the catalogue it serves (areas.yaml and each plugin), so
    /// hosts serving the same catalogue show the same one.
    pub catalogue: String,
    /// Areas it serves.
    pub areas: u32,
    /// When it started, ms since the epoch.
    pub started_ms: u64,
    /// Its last heartbeat, ms since the epoch (its own clock).
    pub last_seen_ms: u64,
}

impl Store {
    /// Writes `beat` (not waiting for durability: the next one replaces it),
    /// and forgets hosts gone for [`HOST_FORGET_MS`].
    pub fn heartbeat(&self, beat: &HostBeat) -> Result<()> {
        let stale: Vec<String> = self
            .hosts()?
            .into_iter()
            .filter(|h| h.last_seen_ms + HOST_FORGET_MS < beat.last_seen_ms)
            .map(|h| h.id)
            .collect();
        self.transact(|tx| {
            tx_write(tx, TreeId::Hosts, beat.id.as_bytes(), beat)?;
            for id in &stale {
                tx.delete(TreeId::Hosts, id.as_bytes())?;
            }
            Ok(())
        })
    }

    /// A host stopping cleanly says so: it leaves the list at once.
    pub fn host_stopped(&self, id: &str) -> Result<()> {
        self.write(|tx| tx.delete(TreeId::Hosts, id.as_bytes()).map(|_| ()))
    }

    /// Every host's last heartbeat, by id.
    pub fn hosts(&self) -> Result<Vec<HostBeat>> {
        let mut out = Vec::new();
        self.walk(TreeId::Hosts, b"", |(k, v)| {
            out.push(decode(TreeId::Hosts, k, v)?);
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    fn beat(id: &str, seen: u64) -> HostBeat {
        HostBeat {
            id: id.into(),
            address: "http://127.0.0.1:1".into(),
            version: "0.1.0".into(),
            generation: 1,
            catalogue: "abc".into(),
            areas: 3,
            started_ms: 0,
            last_seen_ms: seen,
        }
    }

    #[test]
    fn heartbeats_replace_each_other_and_long_gone_hosts_are_forgotten() {
        let (_dir, store) = temp_store();
        store.heartbeat(&beat("a", 1)).unwrap();
        store.heartbeat(&beat("b", 2)).unwrap();
        store.heartbeat(&beat("a", 3)).unwrap();
        let seen: Vec<_> = store
            .hosts()
            .unwrap()
            .into_iter()
            .map(|h| (h.id, h.last_seen_ms))
            .collect();
        assert_eq!(seen, [("a".into(), 3), ("b".into(), 2)]);
        store.heartbeat(&beat("a", 3 + HOST_FORGET_MS)).unwrap();
        let ids: Vec<_> = store.hosts().unwrap().into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ["a"], "b was gone for a day");
        store.host_stopped("a").unwrap();
        assert!(store.hosts().unwrap().is_empty());
    }
}
