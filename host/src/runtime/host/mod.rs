//! The host side of the imports an area may call. Each call is scoped by the
//! host to the request's area and owner (structure, or user for
//! `scope: user` areas) and checked against the area's `capabilities`.
//!
//! [`HostCall::capability`] is the whole permission model on one screen.

mod account;
mod api_clients;
mod directory;
mod facts;
mod flows;
mod kv;
pub(crate) mod log;
mod messages;
mod timers;

use super::bindings::types::{self, HostError};
use super::output::CappedOutput;
use crate::catalog::Catalog;
use crate::config::{AreaSpec, Capability};
use crate::store::{CallBatch, OutgoingMessage, Store, StoreError};
pub use crate::store::{Namespace, Owner};
use std::collections::BTreeSet;
use std::sync::Arc;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

/// Host calls one sandboxed call may make. Bounds the work a plugin can make
/// the host do (and the fsyncs it can cause) within its time limit.
pub const MAX_HOST_CALLS: u32 = 10_000;

/// Bytes of kv values and message payloads one call may buffer before its
/// commit: the batch lives in host memory until the call returns.
pub const MAX_CALL_WRITE_BYTES: usize = 32 << 20;

/// Every host function an area can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostCall {
    /// `kv.get`
    KvGet,
    /// `kv.set`
    KvSet,
    /// `kv.delete`
    KvDelete,
    /// `kv.list`
    KvList,
    /// `kv.compare-and-swap`
    KvCompareAndSwap,
    /// `facts.set`
    FactsSet,
    /// `facts.clear`
    FactsClear,
    /// `facts.get`
    FactsGet,
    /// `messages.send`
    MessagesSend,
    /// `messages.lookup`
    MessagesLookup,
    /// `directory.members`
    DirectoryMembers,
    /// `directory.link-requests`, `approve-link-requests`, `refuse-link-requests`
    DirectoryLinkRequests,
    /// `directory.add-member`, `set-role`, `transfer-primary`, `remove-member`
    DirectoryMembership,
    /// `directory.services`, `create-service`, `update-service`
    DirectoryServices,
    /// `directory.settings`, `update-settings`
    DirectorySettings,
    /// `directory.areas`, `install-area`, `uninstall-area`
    DirectoryAreas,
    /// `directory.subscriptions`, `decide-subscription`
    DirectorySubscriptions,
    /// `directory.history`
    DirectoryHistory,
    /// `account.profile`
    AccountProfile,
    /// `account.update-profile`
    AccountUpdateProfile,
    /// `account.memberships`
    AccountMemberships,
    /// `account.create-structure`
    AccountCreateStructure,
    /// `account.search-structures`, `request-link`, `link-requests`
    AccountLinks,
    /// `account.subscriptions`, `request-subscription`
    AccountSubscriptions,
    /// `log.write`
    LogWrite,
    /// `timers.schedule` (contract 1.1.0)
    TimersSchedule,
    /// `timers.cancel` (contract 1.1.0)
    TimersCancel,
    /// `flows.list`, `get`, `original`, `invoice-file`, `deliveries` (contract 1.2.0)
    FlowsRead,
    /// `flows.deposit` (contract 1.2.0)
    FlowsDeposit,
    /// `api-clients.*` (contract 1.2.0)
    ApiClients,
}

impl HostCall {
    /// The capability an area must hold in `areas.yaml` to make this call.
    pub fn capability(self) -> Capability {
        use HostCall::*;
        match self {
            KvGet | KvSet | KvDelete | KvList | KvCompareAndSwap => Capability::Kv,
            FactsSet | FactsClear | FactsGet => Capability::Facts,
            MessagesSend | MessagesLookup => Capability::Messages,
            DirectoryMembers
            | DirectoryLinkRequests
            | DirectoryMembership
            | DirectoryServices
            | DirectorySettings
            | DirectoryAreas
            | DirectorySubscriptions
            | DirectoryHistory => Capability::Directory,
            AccountProfile
            | AccountUpdateProfile
            | AccountMemberships
            | AccountCreateStructure
            | AccountLinks
            | AccountSubscriptions => Capability::Account,
            LogWrite => Capability::Log,
            TimersSchedule | TimersCancel => Capability::Timers,
            FlowsRead | FlowsDeposit => Capability::Flows,
            ApiClients => Capability::ApiClients,
        }
    }
}

/// Who and what one sandboxed call acts for; built by [`super::Sandbox::call`]
/// from what the host knows (session, URL, queued message), never from
/// anything the plugin says.
#[derive(Clone)]
pub struct CallScope {
    /// The request id, for logs.
    pub request_id: String,
    /// The area being called.
    pub area: String,
    /// The owner of the area's storage: the structure, or the user for `scope: user`.
    pub owner: Option<Owner>,
    /// The signed-in user, if any.
    pub user_id: Option<String>,
    /// The current structure, if any.
    pub structure: Option<String>,
    /// What the area may call.
    pub capabilities: BTreeSet<Capability>,
    /// The data store; absent when loading (templates need no storage).
    pub store: Option<Store>,
    /// The catalog the request started with: `directory.areas` and
    /// `account.subscriptions` describe its areas. Absent when loading.
    pub catalog: Option<Arc<Catalog>>,
}

impl CallScope {
    /// The scope of the load-time `templates()` call: no user, no storage, no capability.
    pub(crate) fn for_load(spec: &AreaSpec) -> CallScope {
        CallScope {
            request_id: "load".into(),
            area: spec.id.to_string(),
            owner: None,
            user_id: None,
            structure: None,
            capabilities: BTreeSet::new(),
            store: None,
            catalog: None,
        }
    }
}

/// The data of one wasmtime `Store`: one sandboxed call.
///
/// Writes are buffered in `batch` (reads see them) and committed in one
/// store transaction when the call answers successfully: see
/// [`HostState::commit`] and ARCHITECTURE.md, "One call, one transaction".
pub struct HostState {
    scope: CallScope,
    host_calls: u32,
    batch: CallBatch,
    /// Bytes of values buffered in `batch`, against [`MAX_CALL_WRITE_BYTES`].
    buffered_bytes: usize,
    /// The namespace's storage quota (`limits.storage-mib`), bytes.
    storage_quota: u64,
    /// Bytes the namespace uses, as measured at this call's first write and
    /// counted up since (see `kv::reserve`).
    storage_used: Option<u64>,
    /// Set when this call was refused a write by the storage quota: bytes
    /// used then. A delivery refused this way is not retried (see
    /// [`crate::runtime::AreaFailure::StorageQuota`]).
    pub(crate) quota_refused: Option<u64>,
    /// Bytes this call has written through `log`, against `log::MAX_CALL_LOG`.
    pub(super) log_bytes: usize,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limits: StoreLimits,
}

impl HostState {
    pub(super) fn new(scope: CallScope, spec: &AreaSpec, output: CappedOutput) -> HostState {
        // No preopened directories, no environment, no arguments, no network:
        // the only way out of the sandbox is through the imports below.
        let wasi = WasiCtx::builder()
            .stdout(output.clone())
            .stderr(output)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(crate::runtime::clocks::CoarseWallClock(
                scope
                    .store
                    .as_ref()
                    .map_or_else(crate::clock::Clock::system, |s| s.clock().clone()),
            ))
            .monotonic_clock(crate::runtime::clocks::CoarseMonotonicClock::new())
            .build();
        let limits = StoreLimitsBuilder::new()
            .memory_size((spec.limits.memory_mib as usize) << 20)
            .trap_on_grow_failure(true)
            .build();
        HostState {
            batch: CallBatch {
                ns: scope.owner.clone().map(|owner| Namespace {
                    area: scope.area.clone(),
                    owner,
                }),
                ..CallBatch::default()
            },
            scope,
            buffered_bytes: 0,
            host_calls: 0,
            storage_quota: u64::from(spec.limits.storage_mib) << 20,
            storage_used: None,
            quota_refused: None,
            log_bytes: 0,
            wasi,
            table: ResourceTable::new(),
            limits,
        }
    }

    /// Marks this call as the delivery of `message`: committing takes it
    /// out of the outbox in the same transaction as the area's writes.
    pub(super) fn consume(&mut self, message: OutgoingMessage) {
        self.batch.consumed = Some(message);
    }

    /// Whether the call buffered anything to write.
    pub(super) fn has_writes(&self) -> bool {
        !self.batch.is_empty()
    }

    /// Writes everything the call buffered in one durable transaction.
    /// `Conflict` when a value the call read changed meanwhile: nothing was
    /// written, and re-running the call is safe.
    pub(super) fn commit(&mut self) -> Result<(), StoreError> {
        let batch = std::mem::take(&mut self.batch);
        match &self.scope.store {
            Some(store) => store.commit_call(&batch, store.clock().now_ms()),
            None if batch.is_empty() => Ok(()),
            None => Err(StoreError::Invalid(
                "a call without storage tried to write".into(),
            )),
        }
    }

    /// Checks the capability and the call budget before any host call.
    fn authorize(&mut self, call: HostCall) -> Result<&CallScope, HostError> {
        let capability = call.capability();
        if !self.scope.capabilities.contains(&capability) {
            return Err(HostError::CapabilityDenied(format!(
                "area `{}` was not granted the `{}` capability; add it to `capabilities` in areas.yaml",
                self.scope.area,
                capability.as_str()
            )));
        }
        self.host_calls += 1;
        if self.host_calls > MAX_HOST_CALLS {
            return Err(HostError::LimitExceeded(format!(
                "more than {MAX_HOST_CALLS} host calls in one request"
            )));
        }
        Ok(&self.scope)
    }

    /// The store and the storage namespace of this call.
    fn namespace(&self) -> Result<(&Store, Namespace), HostError> {
        let store = self.store()?;
        let owner = self.scope.owner.clone().ok_or_else(|| {
            HostError::Unavailable("storage is not available while the area loads".into())
        })?;
        Ok((
            store,
            Namespace {
                area: self.scope.area.clone(),
                owner,
            },
        ))
    }

    /// Now, from the host's one clock (the store's).
    fn now_ms(&self) -> u64 {
        self.scope.store.as_ref().map_or_else(
            || crate::clock::Clock::system().now_ms(),
            |s| s.clock().now_ms(),
        )
    }

    fn store(&self) -> Result<&Store, HostError> {
        self.scope.store.as_ref().ok_or_else(|| {
            HostError::Unavailable("storage is not available while the area loads".into())
        })
    }

    fn structure(&self) -> Result<&str, HostError> {
        self.scope.structure.as_deref().ok_or_else(|| {
            HostError::NotFound("this call needs a current structure; this area has none".into())
        })
    }

    fn catalog(&self) -> Result<Arc<Catalog>, HostError> {
        self.scope.catalog.clone().ok_or_else(|| {
            HostError::Unavailable("the catalog is not available while the area loads".into())
        })
    }

    fn user(&self) -> Result<&str, HostError> {
        self.scope
            .user_id
            .as_deref()
            .ok_or_else(|| HostError::NotFound("this call needs a signed-in user".into()))
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for HostState {}

/// Maps a storage error to what the plugin sees; internal causes are logged,
/// not shown to the plugin.
fn store_error(scope: &CallScope, err: crate::store::StoreError) -> HostError {
    use crate::store::StoreError as E;
    match err {
        E::Conflict(m) => HostError::Conflict(m),
        E::NotFound(m) => HostError::NotFound(m),
        E::LimitExceeded(m) => HostError::LimitExceeded(m),
        other if other.unavailable_reason().is_some() => {
            tracing::error!(request_id = %scope.request_id, area = %scope.area, error = %other, "storage unavailable in a host call");
            HostError::Unavailable(format!(
                "{}; try again later (request {})",
                other.unavailable_reason().unwrap_or_default(),
                scope.request_id
            ))
        }
        other => {
            tracing::error!(request_id = %scope.request_id, area = %scope.area, error = %other, "storage failure in a host call");
            HostError::Unavailable(format!("storage failure (request {})", scope.request_id))
        }
    }
}

/// The contract's refusal of a call's arguments, as the plugin sees it.
fn refused(refusal: portico_contract::Refusal) -> HostError {
    refused_all([refusal])
}

/// Several refusals of one call as one answer: a limit if any was exceeded,
/// else every malformed field together (a form shows them all at once).
fn refused_all(refusals: impl IntoIterator<Item = portico_contract::Refusal>) -> HostError {
    use portico_contract::Refusal;
    let mut fields = Vec::new();
    for refusal in refusals {
        match refusal {
            Refusal::LimitExceeded(message) => return HostError::LimitExceeded(message),
            Refusal::Invalid { field, message } => fields.push(types::FieldError {
                field: field.into(),
                message,
            }),
        }
    }
    HostError::Invalid(fields)
}
