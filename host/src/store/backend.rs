//! The storage seam: a small ordered key-value interface with named trees and
//! multi-tree transactions. Everything above it (users, sessions, kv…) speaks
//! only this: sled (`sled_backend.rs`, the default) and PostgreSQL
//! (`pg_backend.rs`: a table per tree, serializable transactions); a
//! FoundationDB/TiKV backend (a key prefix per tree) would fit too.
//!
//! Deliberately small: no range scan inside a transaction (sled's
//! transactional trees cannot do one), no reverse scan (keys that must read
//! newest-first are stored inverted), and object safe so the store holds a
//! `Box<dyn Backend>`.

use super::StoreError;

/// The named trees. Each maps to a sled tree, a SQL table or a key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TreeId {
    /// User id → user record.
    Users,
    /// Normalised e-mail → user id; makes "e-mail taken" atomic.
    UsersByEmail,
    /// sha256(session id) → session record.
    Sessions,
    /// (user, sha256(session id)) → empty; lets logout-everywhere avoid a full scan.
    SessionsByUser,
    /// Structure identifier → structure record.
    Structures,
    /// (structure, user) → membership record.
    Memberships,
    /// (user, structure) → empty; the reverse index of `Memberships`.
    MembershipsByUser,
    /// (structure, area) → empty.
    Installs,
    /// (structure, area, name) → JSON value (tagged, see `blobs`).
    Facts,
    /// (area, owner, key) → plugin value (tagged, see `blobs`).
    Kv,
    /// Audit entries, stored newest-first (inverted sequence numbers).
    Audit,
    /// Store metadata: format version, counters.
    Meta,
    /// (structure, user) → link request record: one request per person and
    /// structure, a new request replaces a decided one (the audit log keeps
    /// the history).
    LinkRequests,
    /// (user, structure) → empty; the reverse index of `LinkRequests`.
    LinkRequestsByUser,
    /// (structure, service code) → service record.
    Services,
    /// (structure, user, area) → area subscription record.
    Subscriptions,
    /// (user, structure, area) → empty; the reverse index of `Subscriptions`.
    SubscriptionsByUser,
    /// Message id → message waiting for delivery (see `outbox.rs`).
    Outbox,
    /// (structure, area, message id) → delivery time: messages already handed
    /// to that area, so a redelivery is recognised.
    Inbox,
    /// Message id → flow log record (sender, recipient, kind, state, attempts).
    Flows,
    /// Timer id (due time first, so keys sort by due time) → a message an
    /// area scheduled for itself, moved to `Outbox` once due (`timers.rs`).
    Timers,
    /// kv namespace prefix → bytes it uses (u64, big-endian): the quota's
    /// counter, changed in the same transaction as every kv write.
    KvUsage,
    /// (normalised name, structure) → empty: the name index structure search
    /// reads by prefix instead of walking every structure.
    StructuresByName,
    /// (user, purpose) → the one live emailed link of that purpose (hash of
    /// its secret, expiry): confirm an email, reset a password.
    AccountLinks,
    /// API client id → client record (hashed secrets, grants, mode, expiry).
    ApiClients,
    /// (structure, client id) → empty; a structure's clients.
    ApiClientsByStructure,
    /// sha256(bearer token) → token record (client, grants, mode, expiry).
    ApiTokens,
    /// Request bucket (`token:{client}`, `call:{client}`) → its window's count.
    ApiRate,
    /// (structure, inverted deposit time, flow id) → data flow record: files
    /// deposited by programs and people, followed to the last invoice
    /// (`dataflows.rs`; not the message log `Flows`).
    DataFlows,
    /// (flow id, `original` or invoice index) → the file (tagged, see `blobs`).
    DataFlowFiles,
    /// (structure, webhook id) → a client's webhook registration.
    Webhooks,
    /// Queue id (due time first) → a webhook event or delivery waiting to be sent.
    WebhookQueue,
    /// (structure, inverted time, id) → one webhook delivery attempt, for the log.
    WebhookLog,
    /// (structure, area) → the delivery lease of that destination: which
    /// host delivers its messages now, until when (`leases.rs`).
    Leases,
    /// Host id → that host's heartbeat (address, version, catalogue
    /// generation, last seen): the hosts serving this portal (`hosts.rs`).
    Hosts,
    /// (budget, key digest) → a throttling or rate counter shared by every
    /// host (`limits.rs`): sign-in failures, mail budgets, search budgets.
    Limits,
    /// sha256 of a value → the value, for values over `INLINE_LIMIT` on a
    /// backend without a file store of its own (PostgreSQL, `blobs.rs`);
    /// empty on sled, whose large values are files.
    LargeValues,
}

impl TreeId {
    /// Every tree; a backend creates them all at open.
    pub const ALL: [TreeId; 37] = [
        TreeId::Users,
        TreeId::UsersByEmail,
        TreeId::Sessions,
        TreeId::SessionsByUser,
        TreeId::Structures,
        TreeId::Memberships,
        TreeId::MembershipsByUser,
        TreeId::Installs,
        TreeId::Facts,
        TreeId::Kv,
        TreeId::Audit,
        TreeId::Meta,
        TreeId::LinkRequests,
        TreeId::LinkRequestsByUser,
        TreeId::Services,
        TreeId::Subscriptions,
        TreeId::SubscriptionsByUser,
        TreeId::Outbox,
        TreeId::Inbox,
        TreeId::Flows,
        TreeId::Timers,
        TreeId::KvUsage,
        TreeId::StructuresByName,
        TreeId::AccountLinks,
        TreeId::ApiClients,
        TreeId::ApiClientsByStructure,
        TreeId::ApiTokens,
        TreeId::ApiRate,
        TreeId::DataFlows,
        TreeId::DataFlowFiles,
        TreeId::Webhooks,
        TreeId::WebhookQueue,
        TreeId::WebhookLog,
        TreeId::Leases,
        TreeId::Hosts,
        TreeId::Limits,
        TreeId::LargeValues,
    ];

    /// The stable on-disk name (sled tree name, table name). Never rename one:
    /// existing data directories would silently look empty.
    pub fn name(self) -> &'static str {
        match self {
            TreeId::Users => "users",
            TreeId::UsersByEmail => "users-by-email",
            TreeId::Sessions => "sessions",
            TreeId::SessionsByUser => "sessions-by-user",
            TreeId::Structures => "structures",
            TreeId::Memberships => "memberships",
            TreeId::MembershipsByUser => "memberships-by-user",
            TreeId::Installs => "installs",
            TreeId::Facts => "facts",
            TreeId::Kv => "kv",
            TreeId::Audit => "audit",
            TreeId::Meta => "meta",
            TreeId::LinkRequests => "link-requests",
            TreeId::LinkRequestsByUser => "link-requests-by-user",
            TreeId::Services => "services",
            TreeId::Subscriptions => "subscriptions",
            TreeId::SubscriptionsByUser => "subscriptions-by-user",
            TreeId::Outbox => "outbox",
            TreeId::Inbox => "inbox",
            TreeId::Flows => "flows",
            TreeId::Timers => "timers",
            TreeId::KvUsage => "kv-usage",
            TreeId::StructuresByName => "structures_by_name",
            TreeId::AccountLinks => "account-links",
            TreeId::ApiClients => "api-clients",
            TreeId::ApiClientsByStructure => "api-clients-by-structure",
            TreeId::ApiTokens => "api-tokens",
            TreeId::ApiRate => "api-rate",
            TreeId::DataFlows => "data-flows",
            TreeId::DataFlowFiles => "data-flow-files",
            TreeId::Webhooks => "webhooks",
            TreeId::WebhookQueue => "webhook-queue",
            TreeId::WebhookLog => "webhook-log",
            TreeId::Leases => "leases",
            TreeId::Hosts => "hosts",
            TreeId::Limits => "limits",
            TreeId::LargeValues => "large-values",
        }
    }

    /// Position in [`TreeId::ALL`], for backends that keep trees in a `Vec`.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One key and its value, as returned by a scan.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The operations available inside a write transaction. Reads see the
/// transaction's own earlier writes.
pub trait Tx {
    /// Reads `key` from `tree`.
    fn get(&mut self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes `key` in `tree`, replacing any value.
    fn put(&mut self, tree: TreeId, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key` from `tree`; true if it was there.
    fn delete(&mut self, tree: TreeId, key: &[u8]) -> Result<bool, StoreError>;
}

/// An ordered key-value store with named trees. Implementations must be
/// serializable for [`Backend::transact`] and make [`Backend::sync`] mean
/// "on stable storage", not "handed to the kernel".
pub trait Backend: Send + Sync {
    /// Reads one key outside any transaction.
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// The entries of `tree` whose keys start with `prefix` and, if `after` is
    /// given, sort strictly after it; ascending by key, at most `limit`.
    fn scan(
        &self,
        tree: TreeId,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError>;

    /// Runs `body` as one atomic, serializable transaction over all trees.
    /// `body` may run more than once (the backend retries on conflict), so it
    /// must not have side effects beyond the [`Tx`] and overwriting its own
    /// captured outputs. An `Err` from `body` aborts and is returned as is.
    fn transact(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Makes every transaction that returned before this call durable.
    fn sync(&self) -> Result<(), StoreError>;

    /// `Err(StoreError::Unavailable)` while the backend cannot write (a full
    /// disk, an I/O failure) and could not recover yet; trying to recover
    /// is part of the call.
    fn health(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
