//! The audit log: who did what, when, to which structure. Append-only.
//!
//! Each entry gets the next sequence number (a counter in the meta tree,
//! incremented in the entry's transaction) and is written twice: under the
//! global log and under its structure's log, both keyed by the *inverted*
//! number so a forward scan reads newest first.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::backend::TreeId;
use super::keys::KeyBuf;
use super::{Result, Store, StoreError, UserId, check_list_limit, decode, tx_write};

const SEQ_KEY: &[u8] = b"audit-seq";
const GLOBAL: u8 = b'a';
const BY_STRUCTURE: u8 = b's';

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Order of recording, from 1.
    pub seq: u64,
    /// Who acted.
    pub actor: UserId,
    /// The structure acted on, if any.
    pub structure: Option<String>,
    /// What was done, e.g. `member.add`.
    pub action: String,
    /// Free-form details.
    pub detail: Value,
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
}

fn structure_prefix(structure: &str) -> Vec<u8> {
    KeyBuf::new()
        .tag(BY_STRUCTURE)
        .part(structure.as_bytes())
        .finish()
}

impl Store {
    /// Records an action.
    pub fn audit(
        &self,
        actor: &UserId,
        structure: Option<&str>,
        action: &str,
        detail: Value,
        now_ms: u64,
    ) -> Result<()> {
        self.write(|tx| {
            let seq = match tx.get(TreeId::Meta, SEQ_KEY)? {
                None => 1,
                Some(v) => {
                    let bytes: [u8; 8] = v
                        .as_slice()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("audit sequence counter".into()))?;
                    u64::from_be_bytes(bytes) + 1
                }
            };
            tx.put(TreeId::Meta, SEQ_KEY, &seq.to_be_bytes())?;
            let entry = AuditEntry {
                seq,
                actor: actor.clone(),
                structure: structure.map(str::to_string),
                action: action.to_string(),
                detail: detail.clone(),
                at_ms: now_ms,
            };
            let inverted = (u64::MAX - seq).to_be_bytes();
            tx_write(
                tx,
                TreeId::Audit,
                &KeyBuf::new().tag(GLOBAL).raw(&inverted).finish(),
                &entry,
            )?;
            if let Some(s) = structure {
                let mut key = structure_prefix(s);
                key.extend_from_slice(&inverted);
                tx_write(tx, TreeId::Audit, &key, &entry)?;
            }
            Ok(())
        })
    }

    /// The newest `limit` (≤ [`super::MAX_LIST`]) entries about `structure`,
    /// or of the whole deployment if `None`; newest first.
    pub fn audit_log(&self, structure: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        check_list_limit(limit)?;
        let prefix = match structure {
            Some(s) => structure_prefix(s),
            None => vec![GLOBAL],
        };
        self.backend()
            .scan(TreeId::Audit, &prefix, None, limit)?
            .into_iter()
            .map(|(k, v)| decode(TreeId::Audit, &k, &v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;
    use serde_json::json;

    #[test]
    fn newest_first_per_structure_and_globally() {
        let (_dir, store) = temp_store();
        let ada = UserId::new("ada");
        store
            .audit(&ada, Some("S1"), "member.add", json!({"who": "bob"}), 10)
            .unwrap();
        store
            .audit(&ada, None, "operator.login", json!(null), 11)
            .unwrap();
        store
            .audit(&ada, Some("S2"), "area.install", json!("x"), 12)
            .unwrap();
        store
            .audit(&ada, Some("S1"), "area.install", json!("y"), 13)
            .unwrap();

        let s1: Vec<_> = store
            .audit_log(Some("S1"), 10)
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.action))
            .collect();
        assert_eq!(
            s1,
            [
                (4, "area.install".to_string()),
                (1, "member.add".to_string())
            ]
        );
        let all: Vec<_> = store
            .audit_log(None, 3)
            .unwrap()
            .into_iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(all, [4, 3, 2]);
        assert_eq!(
            store.audit_log(Some("S1"), 10).unwrap()[1].detail,
            json!({"who": "bob"})
        );
        assert!(store.audit_log(Some("S3"), 10).unwrap().is_empty());
        assert!(matches!(
            store.audit_log(None, MAX + 1),
            Err(StoreError::LimitExceeded(_))
        ));
    }

    const MAX: usize = crate::store::MAX_LIST;
}
