//! API clients of a structure, their secrets and their bearer tokens
//! (issue 14; the HTTP side is `crate::api`).
//!
//! - A client belongs to one structure; its record holds the grants (area →
//!   read or read-write), the mode (qualification or production), the expiry,
//!   and its secrets as **SHA-256 hashes only**. A secret is 256 random bits
//!   shown once, so a fast hash is enough: nobody can guess it, and a copy of
//!   the database gives no usable secret.
//! - Rotation adds a new secret and gives the old ones an end (`valid_until`)
//!   the manager chose: both work until then. Revocation marks the client
//!   revoked: every secret and every token stops at once.
//! - A bearer token is 256 random bits, stored under its hash with the
//!   client, the secret that obtained it, the grants and mode it carries and
//!   its expiry. Checking a token re-reads the client: revoked, expired, or
//!   whose secret's overlap ended, the token is dead.
//! - The per-client request counters live here too (`ApiRate`), so several
//!   hosts on one database share them. They are written without waiting for
//!   an fsync: a counter lost in a crash only lets a few more requests in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::backend::TreeId;
use super::keys::KeyBuf;
use super::{Result, Store, StoreError, tx_read, tx_write};

/// Random bytes of a client secret and of a bearer token.
const SECRET_BYTES: usize = 32;
/// Prefix of client ids (they appear in logs and Basic credentials).
pub const CLIENT_ID_PREFIX: &str = "pc_";
/// Prefix of client secrets: secret scanners can recognise a leaked one.
pub(super) const SECRET_PREFIX: &str = "pcs_";
/// Prefix of bearer tokens.
pub(super) const TOKEN_PREFIX: &str = "pat_";

/// What a client may do in one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// GET only.
    Read,
    /// GET and POST: everything a person's forms do.
    ReadWrite,
}

impl Access {
    /// `read` or `read-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::ReadWrite => "read-write",
        }
    }

    /// Parses [`Access::as_str`].
    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "read-write" => Some(Access::ReadWrite),
            _ => None,
        }
    }
}

/// Whether what a client does reaches anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Everything is checked and reported; nothing reaches a recipient.
    Qualification,
    /// For real.
    Production,
}

impl Mode {
    /// `qualification` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Qualification => "qualification",
            Mode::Production => "production",
        }
    }

    /// Parses [`Mode::as_str`].
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "qualification" => Some(Mode::Qualification),
            "production" => Some(Mode::Production),
            _ => None,
        }
    }
}

/// One secret of a client, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSecret {
    /// Hex SHA-256 of the secret.
    pub hash: String,
    /// When it was made.
    pub created_ms: u64,
    /// When a rotation ends it (exclusive); `None`: until the client expires.
    pub valid_until_ms: Option<u64>,
}

impl StoredSecret {
    fn live(&self, now_ms: u64) -> bool {
        self.valid_until_ms.is_none_or(|end| now_ms < end)
    }
}

/// An API client, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiClient {
    /// `pc_` + 32 hex digits: the OAuth `client_id`.
    pub id: String,
    /// The structure it acts for.
    pub structure: String,
    /// Its name, as the manager gave it (shown in the history).
    pub name: String,
    /// Area id → what it may do there.
    pub grants: BTreeMap<String, Access>,
    /// Qualification or production.
    pub mode: Mode,
    /// When it stops working (exclusive), ms since the Unix epoch.
    pub expires_ms: u64,
    /// Its secrets, newest last; at least one.
    pub secrets: Vec<StoredSecret>,
    /// When a manager revoked it.
    pub revoked_ms: Option<u64>,
    /// Who created it (a user id).
    pub created_by: String,
    /// When.
    pub created_ms: u64,
}

impl ApiClient {
    /// Whether it can still obtain and use tokens at `now_ms`.
    pub fn active(&self, now_ms: u64) -> bool {
        self.revoked_ms.is_none() && now_ms < self.expires_ms
    }

    /// Whether `hash` is one of its secrets still valid at `now_ms`.
    fn secret_live(&self, hash: &str, now_ms: u64) -> bool {
        self.secrets
            .iter()
            .any(|s| s.hash == hash && s.live(now_ms))
    }

    /// The live secret matching `secret` (constant-time compare), if any.
    fn matching_secret(&self, secret: &str, now_ms: u64) -> Option<&StoredSecret> {
        let given = hash(secret);
        self.secrets
            .iter()
            .filter(|s| s.live(now_ms))
            .find(|s| bool::from(s.hash.as_bytes().ct_eq(given.as_bytes())))
    }
}

/// What creating a client needs.
#[derive(Debug, Clone)]
pub struct NewApiClient {
    /// The structure.
    pub structure: String,
    /// 1–80 characters.
    pub name: String,
    /// Area → access; at least one.
    pub grants: BTreeMap<String, Access>,
    /// The mode.
    pub mode: Mode,
    /// Expiry, in the future.
    pub expires_ms: u64,
    /// The manager creating it.
    pub created_by: String,
}

/// A bearer token, as stored under the hash of its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    /// The client that obtained it.
    pub client_id: String,
    /// The client's structure.
    pub structure: String,
    /// Hash of the secret that obtained it: when that secret's overlap ends,
    /// the token dies with it.
    pub secret_hash: String,
    /// The grants it carries (the client's, or fewer if a scope was asked).
    pub grants: BTreeMap<String, Access>,
    /// The client's mode when it was issued.
    pub mode: Mode,
    /// When it stops working (exclusive).
    pub expires_ms: u64,
}

/// Why the token endpoint refuses client credentials (all answer
/// `invalid_client`; the distinction is for the log and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialProblem {
    /// No such client, or a wrong secret, or a secret whose overlap ended.
    Unknown,
    /// A manager revoked the client.
    Revoked,
    /// The client expired.
    Expired,
}

/// A random secret with `prefix`.
fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).expect("the operating system random source failed");
    format!("{prefix}{}", hex::encode(bytes))
}

/// Hex SHA-256 of a secret or token.
fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn by_structure_key(structure: &str, client: &str) -> Vec<u8> {
    KeyBuf::new()
        .part(structure.as_bytes())
        .raw(client.as_bytes())
        .finish()
}

fn by_structure_prefix(structure: &str) -> Vec<u8> {
    KeyBuf::new().part(structure.as_bytes()).finish()
}

/// One fixed-window request counter.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Window {
    start_ms: u64,
    count: u32,
}

impl Store {
    /// Creates a client; returns it and its secret (the only time the secret
    /// exists outside the caller's memory is in the answer to the manager).
    pub fn create_api_client(&self, new: NewApiClient, now_ms: u64) -> Result<(ApiClient, String)> {
        let id = {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes)
                .map_err(|e| StoreError::Backend(format!("no randomness for a client id: {e}")))?;
            format!("{CLIENT_ID_PREFIX}{}", hex::encode(bytes))
        };
        let secret = new_secret(SECRET_PREFIX);
        let client = ApiClient {
            id: id.clone(),
            structure: new.structure.clone(),
            name: new.name,
            grants: new.grants,
            mode: new.mode,
            expires_ms: new.expires_ms,
            secrets: vec![StoredSecret {
                hash: hash(&secret),
                created_ms: now_ms,
                valid_until_ms: None,
            }],
            revoked_ms: None,
            created_by: new.created_by,
            created_ms: now_ms,
        };
        self.write(|tx| {
            tx_write(tx, TreeId::ApiClients, id.as_bytes(), &client)?;
            tx.put(
                TreeId::ApiClientsByStructure,
                &by_structure_key(&client.structure, &id),
                b"",
            )
        })?;
        Ok((client, secret))
    }

    /// The client `id`, whatever its state.
    pub fn api_client(&self, id: &str) -> Result<Option<ApiClient>> {
        self.read(TreeId::ApiClients, id.as_bytes())
    }

    /// The client `id` of `structure` (another structure's does not exist).
    pub fn api_client_of(&self, structure: &str, id: &str) -> Result<Option<ApiClient>> {
        Ok(self.api_client(id)?.filter(|c| c.structure == structure))
    }

    /// Every client of `structure`, revoked ones included, oldest first.
    pub fn api_clients(&self, structure: &str) -> Result<Vec<ApiClient>> {
        let prefix = by_structure_prefix(structure);
        let mut ids = Vec::new();
        self.walk(TreeId::ApiClientsByStructure, &prefix, |(k, _)| {
            ids.push(super::utf8("client id", &k[prefix.len()..])?);
            Ok(())
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(c) = self.api_client(&id)? {
                out.push(c);
            }
        }
        out.sort_by_key(|c| c.created_ms);
        Ok(out)
    }

    /// Gives `structure`'s client a new secret; every older live secret keeps
    /// working until `overlap_until_ms` (now: at once). Returns the new secret.
    pub fn rotate_api_client(
        &self,
        structure: &str,
        id: &str,
        overlap_until_ms: u64,
        now_ms: u64,
    ) -> Result<Option<(ApiClient, String)>> {
        let secret = new_secret(SECRET_PREFIX);
        let new_hash = hash(&secret);
        let updated = self.write(|tx| {
            let Some(mut client) = tx_read::<ApiClient>(tx, TreeId::ApiClients, id.as_bytes())?
            else {
                return Ok(None);
            };
            if client.structure != structure || !client.active(now_ms) {
                return Ok(None);
            }
            // Secrets already ended are forgotten; live ones end at the overlap.
            client.secrets.retain(|s| s.live(now_ms));
            for s in &mut client.secrets {
                let end = overlap_until_ms.max(now_ms);
                s.valid_until_ms = Some(s.valid_until_ms.map_or(end, |e| e.min(end)));
            }
            client.secrets.push(StoredSecret {
                hash: new_hash.clone(),
                created_ms: now_ms,
                valid_until_ms: None,
            });
            tx_write(tx, TreeId::ApiClients, id.as_bytes(), &client)?;
            Ok(Some(client))
        })?;
        Ok(updated.map(|c| (c, secret)))
    }

    /// Revokes `structure`'s client: its secrets and tokens stop at once.
    /// `None` if there is no such client; revoking twice keeps the first time.
    pub fn revoke_api_client(
        &self,
        structure: &str,
        id: &str,
        now_ms: u64,
    ) -> Result<Option<ApiClient>> {
        self.write(|tx| {
            let Some(mut client) = tx_read::<ApiClient>(tx, TreeId::ApiClients, id.as_bytes())?
            else {
                return Ok(None);
            };
            if client.structure != structure {
                return Ok(None);
            }
            client.revoked_ms.get_or_insert(now_ms);
            tx_write(tx, TreeId::ApiClients, id.as_bytes(), &client)?;
            Ok(Some(client))
        })
    }

    /// Checks client credentials: the client, and the hash of the secret
    /// that matched.
    pub fn check_api_credentials(
        &self,
        id: &str,
        secret: &str,
        now_ms: u64,
    ) -> Result<std::result::Result<(ApiClient, String), CredentialProblem>> {
        let Some(client) = self.api_client(id)? else {
            return Ok(Err(CredentialProblem::Unknown));
        };
        let Some(matched) = client
            .matching_secret(secret, now_ms)
            .map(|s| s.hash.clone())
        else {
            return Ok(Err(CredentialProblem::Unknown));
        };
        if client.revoked_ms.is_some() {
            return Ok(Err(CredentialProblem::Revoked));
        }
        if now_ms >= client.expires_ms {
            return Ok(Err(CredentialProblem::Expired));
        }
        Ok(Ok((client, matched)))
    }

    /// Issues a bearer token; returns its value (stored only hashed). The
    /// token never outlives the client.
    pub fn issue_api_token(
        &self,
        client: &ApiClient,
        secret_hash: &str,
        grants: BTreeMap<String, Access>,
        lifetime_ms: u64,
        now_ms: u64,
    ) -> Result<(String, ApiToken)> {
        let value = new_secret(TOKEN_PREFIX);
        let token = ApiToken {
            client_id: client.id.clone(),
            structure: client.structure.clone(),
            secret_hash: secret_hash.to_owned(),
            grants,
            mode: client.mode,
            expires_ms: now_ms.saturating_add(lifetime_ms).min(client.expires_ms),
        };
        let key = hash(&value);
        self.write(|tx| tx_write(tx, TreeId::ApiTokens, key.as_bytes(), &token))?;
        Ok((value, token))
    }

    /// The live token `value` and its client: `None` when unknown, expired,
    /// or killed by its client's revocation, expiry or rotation. A dead
    /// token found here is deleted.
    pub fn api_token(&self, value: &str, now_ms: u64) -> Result<Option<(ApiToken, ApiClient)>> {
        if !value.starts_with(TOKEN_PREFIX) || value.len() != TOKEN_PREFIX.len() + 2 * SECRET_BYTES
        {
            return Ok(None);
        }
        let key = hash(value);
        let Some(token) = self.read::<ApiToken>(TreeId::ApiTokens, key.as_bytes())? else {
            return Ok(None);
        };
        let client = self.api_client(&token.client_id)?;
        let live = client.as_ref().is_some_and(|c| {
            now_ms < token.expires_ms
                && c.active(now_ms)
                && c.structure == token.structure
                && c.secret_live(&token.secret_hash, now_ms)
        });
        if !live {
            // Not waiting for durability: a dead token that survives a crash
            // is still dead on the next check.
            self.transact(|tx| tx.delete(TreeId::ApiTokens, key.as_bytes()))?;
            return Ok(None);
        }
        Ok(client.map(|c| (token, c)))
    }

    /// Counts one request of `bucket` (e.g. `token:{client}`) in a fixed
    /// window of `window_ms`: `Ok(None)` if within `limit`, else
    /// `Ok(Some(ms until the window ends))`. Shared by every host on the
    /// store; not fsynced (see the module doc).
    pub fn count_api_request(
        &self,
        bucket: &str,
        limit: u32,
        window_ms: u64,
        now_ms: u64,
    ) -> Result<Option<u64>> {
        self.transact(|tx| {
            let current = tx_read::<Window>(tx, TreeId::ApiRate, bucket.as_bytes())?;
            let mut w = match current {
                Some(w) if now_ms < w.start_ms.saturating_add(window_ms) => w,
                _ => Window {
                    start_ms: now_ms,
                    count: 0,
                },
            };
            if w.count >= limit {
                return Ok(Some(w.start_ms + window_ms - now_ms));
            }
            w.count += 1;
            tx_write(tx, TreeId::ApiRate, bucket.as_bytes(), &w)?;
            Ok(None)
        })
    }

    /// Clients of `structure` still active whose expiry falls before
    /// `before_ms`: what the homepage warns about.
    pub fn api_clients_expiring(
        &self,
        structure: &str,
        now_ms: u64,
        before_ms: u64,
    ) -> Result<Vec<ApiClient>> {
        Ok(self
            .api_clients(structure)?
            .into_iter()
            .filter(|c| c.active(now_ms) && c.expires_ms < before_ms)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    fn new_client(structure: &str) -> NewApiClient {
        NewApiClient {
            structure: structure.into(),
            name: "Compta".into(),
            grants: [("issued-invoices".to_string(), Access::ReadWrite)]
                .into_iter()
                .collect(),
            mode: Mode::Qualification,
            expires_ms: 1_000_000,
            created_by: "u1".into(),
        }
    }

    #[test]
    fn secrets_are_stored_hashed_and_rotation_overlaps_then_ends() {
        let (_dir, store) = temp_store();
        let (client, secret) = store.create_api_client(new_client("S1"), 10).unwrap();
        let raw = serde_json::to_string(&store.api_client(&client.id).unwrap().unwrap()).unwrap();
        assert!(!raw.contains(&secret), "the secret itself is never stored");
        assert!(
            store
                .check_api_credentials(&client.id, &secret, 20)
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            store
                .check_api_credentials(&client.id, "pcs_wrong", 20)
                .unwrap()
                .unwrap_err(),
            CredentialProblem::Unknown
        );
        let (_, matched) = store
            .check_api_credentials(&client.id, &secret, 20)
            .unwrap()
            .unwrap();
        let (token, _) = store
            .issue_api_token(&client, &matched, client.grants.clone(), 500, 20)
            .unwrap();
        assert!(store.api_token(&token, 30).unwrap().is_some());

        let (_, new_secret) = store
            .rotate_api_client("S1", &client.id, 100, 40)
            .unwrap()
            .unwrap();
        assert!(
            store
                .check_api_credentials(&client.id, &secret, 99)
                .unwrap()
                .is_ok()
        );
        assert!(
            store
                .check_api_credentials(&client.id, &new_secret, 99)
                .unwrap()
                .is_ok()
        );
        assert!(
            store.api_token(&token, 99).unwrap().is_some(),
            "during the overlap"
        );
        assert!(
            store
                .check_api_credentials(&client.id, &secret, 100)
                .unwrap()
                .is_err()
        );
        assert!(
            store
                .check_api_credentials(&client.id, &new_secret, 100)
                .unwrap()
                .is_ok()
        );
        assert!(
            store.api_token(&token, 100).unwrap().is_none(),
            "the overlap killed it"
        );
        assert!(
            store
                .rotate_api_client("S2", &client.id, 0, 40)
                .unwrap()
                .is_none(),
            "another structure's client does not exist"
        );
    }

    #[test]
    fn revocation_and_expiry_kill_tokens_and_windows_count() {
        let (_dir, store) = temp_store();
        let (client, secret) = store.create_api_client(new_client("S1"), 10).unwrap();
        let (_, matched) = store
            .check_api_credentials(&client.id, &secret, 20)
            .unwrap()
            .unwrap();
        let (token, stored) = store
            .issue_api_token(&client, &matched, client.grants.clone(), 10_000_000, 20)
            .unwrap();
        assert_eq!(stored.expires_ms, 1_000_000, "never outlives its client");
        store
            .revoke_api_client("S1", &client.id, 30)
            .unwrap()
            .unwrap();
        assert!(store.api_token(&token, 31).unwrap().is_none());
        assert_eq!(
            store
                .check_api_credentials(&client.id, &secret, 31)
                .unwrap()
                .unwrap_err(),
            CredentialProblem::Revoked
        );
        assert_eq!(store.api_clients("S1").unwrap().len(), 1);
        assert!(store.api_clients("S2").unwrap().is_empty());

        for _ in 0..3 {
            assert_eq!(store.count_api_request("b", 3, 1000, 5).unwrap(), None);
        }
        assert_eq!(
            store.count_api_request("b", 3, 1000, 400).unwrap(),
            Some(605)
        );
        assert_eq!(store.count_api_request("b", 3, 1000, 1005).unwrap(), None);
    }
}
