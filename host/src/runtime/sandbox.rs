//! The one entry to the sandbox. Every call of an area — a member's page, a
//! user's page, a message delivery (a due timer is delivered as one) — goes
//! through [`Sandbox::call`], which
//!
//! 1. takes a slot of the area ([`MAX_CALLS_PER_AREA`]), then one of the
//!    sandbox ([`MAX_CONCURRENT_CALLS`], or fewer with
//!    `--max-concurrent-calls`), waiting at most [`Call::wait`]; none free
//!    in time is [`AreaFailure::Busy`];
//! 2. builds the area's `context` and the host's [`CallScope`] from what the
//!    host knows (the session's user, the URL's structure and role, the
//!    queued message), in this one place;
//! 3. runs the export on the caller's own task, bounded by the area's
//!    wall-clock deadline, and commits its writes (see [`Runtime`]).
//!
//! The slots are held until the call, commit included, ends.

use super::{
    AreaFailure, CallScope, MAX_CALLS_PER_AREA, MAX_CONCURRENT_CALLS, Owner, Returned, Runtime,
    convert, types as wit,
};
use crate::catalog::{Catalog, CatalogArea};
use crate::config::Scope;
use crate::directory::Role;
use crate::store::{OutgoingMessage, Store, Structure, User};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What a call is for. The entry builds the area's context and scope from it.
pub enum CallKind<'a> {
    /// A member's page of a structure area (`/s/{structure}/{area}/…`).
    MemberPage {
        /// The signed-in member.
        user: &'a User,
        /// The structure of the URL.
        structure: &'a Structure,
        /// The member's role there, read on this request.
        role: Role,
        /// The tab bar the member sees.
        tabs: Vec<wit::Tab>,
        /// The HTTP request, as the area sees it.
        request: wit::Request,
    },
    /// A signed-in person's page of a user area (`/me/{area}/…`): storage
    /// is the person's own, no structure is given to the area.
    UserPage {
        /// The signed-in person.
        user: &'a User,
        /// The tab bar the person sees.
        tabs: Vec<wit::Tab>,
        /// The HTTP request, as the area sees it.
        request: wit::Request,
    },
    /// A queued message handed to the recipient structure's area
    /// (`on-message`). Accepting it takes it out of the outbox in the same
    /// transaction as the area's writes.
    Delivery {
        /// The recipient structure.
        structure: &'a Structure,
        /// The message, as queued.
        message: &'a OutgoingMessage,
    },
    // A due timer needs no kind of its own: the delivery worker moves it to
    // the outbox (`Store::promote_due_timers`) and it arrives here as a
    // `Delivery` of a message from its area to itself.
}

/// One call of one area.
pub struct Call<'a> {
    /// The request id (or `msg-…` for a delivery), for logs and the context.
    pub request_id: String,
    /// The catalog the caller started with; host imports describe its areas.
    pub catalog: &'a Arc<Catalog>,
    /// The area called; its plugin must have loaded.
    pub area: &'a CatalogArea,
    /// What the call is for.
    pub kind: CallKind<'a>,
    /// The time the area is told it is (ms since the Unix epoch).
    pub now_ms: u64,
    /// How long to wait for a free slot before answering `Busy`; zero for
    /// callers that retry later on their own (delivery).
    pub wait: Duration,
}

/// What the area answered.
#[derive(Debug)]
pub enum Answer {
    /// `handle`'s response (pages).
    Page(wit::Response),
    /// `on-message`'s verdict: accepted, or the area's reason for refusing.
    Message(Result<(), String>),
}

/// The wasm runtime behind its slots: the sandbox every caller shares.
pub struct Sandbox {
    runtime: Arc<Runtime>,
    store: Store,
    slots: Arc<Semaphore>,
    /// Slots in force (`--max-concurrent-calls`).
    limit: AtomicUsize,
    /// Each area's own slots, made on its first call.
    per_area: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Sandbox {
    /// The sandbox with [`MAX_CONCURRENT_CALLS`] slots; calls read and
    /// write `store`.
    pub fn new(runtime: Arc<Runtime>, store: Store) -> Sandbox {
        Sandbox {
            runtime,
            store,
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT_CALLS as usize)),
            limit: AtomicUsize::new(MAX_CONCURRENT_CALLS as usize),
            per_area: Mutex::new(HashMap::new()),
        }
    }

    /// The wasm runtime (loading areas).
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Allows at most `n` (1 ≤ n ≤ [`MAX_CONCURRENT_CALLS`]) calls at once;
    /// call before serving. Returns the number in force.
    pub fn limit_concurrent_calls(&self, n: usize) -> usize {
        let n = n.clamp(1, MAX_CONCURRENT_CALLS as usize);
        let current = self.limit.load(Ordering::Relaxed);
        if n < current {
            self.slots.forget_permits(current - n);
            self.limit.store(n, Ordering::Relaxed);
        }
        self.limit.load(Ordering::Relaxed)
    }

    /// Slots in force.
    pub fn slots(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Calls running now.
    pub fn slots_in_use(&self) -> usize {
        self.slots().saturating_sub(self.slots.available_permits())
    }

    fn area_slots(&self, area: &str) -> Arc<Semaphore> {
        let mut per_area = self.per_area.lock().unwrap_or_else(PoisonError::into_inner);
        // Looked up by `&str` first: no allocation on the common path.
        if let Some(slots) = per_area.get(area) {
            return slots.clone();
        }
        per_area
            .entry(area.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(MAX_CALLS_PER_AREA as usize)))
            .clone()
    }

    /// Runs one call: slots, context and scope, the export, the commit.
    pub async fn call(&self, call: Call<'_>) -> Result<Answer, AreaFailure> {
        let spec = &call.area.spec;
        let Ok(loaded) = &call.area.loaded else {
            return Err(AreaFailure::Trap {
                reason: format!("area `{}` is not loaded", spec.id),
            });
        };
        let _slots = self.acquire(spec.id.as_str(), call.wait).await?;
        let (context, scope) = (call.context(), call.scope(&self.store));
        let runtime = &self.runtime;
        match call.kind {
            CallKind::MemberPage { request, .. } | CallKind::UserPage { request, .. } => runtime
                .call(
                    &loaded.area,
                    spec,
                    scope,
                    None,
                    super::Export::Handle(&context, &request),
                )
                .await
                .map(|r| match r {
                    Returned::Handle(r) => Answer::Page(r),
                    _ => unreachable!("handle answers a response"),
                }),
            CallKind::Delivery { message, .. } => {
                let m = wit::Message {
                    id: message.id.clone(),
                    from_structure: message.from_structure.clone(),
                    from_area: message.from_area.clone(),
                    kind: message.kind.clone(),
                    payload: message.payload.clone(),
                };
                runtime
                    .call(
                        &loaded.area,
                        spec,
                        scope,
                        Some(message),
                        super::Export::OnMessage(&context, &m),
                    )
                    .await
                    .map(|r| match r {
                        Returned::OnMessage(r) => Answer::Message(r),
                        _ => unreachable!("on-message answers a verdict"),
                    })
            }
        }
    }

    /// The area's slot, then the sandbox's, within `wait` in all. A free
    /// slot (the common case) is taken without arming a timer.
    async fn acquire(
        &self,
        area: &str,
        wait: Duration,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), AreaFailure> {
        let area_slots = self.area_slots(area);
        if let (Ok(a), Ok(s)) = (
            area_slots.clone().try_acquire_owned(),
            self.slots.clone().try_acquire_owned(),
        ) {
            return Ok((a, s));
        }
        if wait.is_zero() {
            return Err(AreaFailure::Busy);
        }
        let both = async {
            let a = area_slots.acquire_owned().await;
            let s = self.slots.clone().acquire_owned().await;
            (a, s)
        };
        match tokio::time::timeout(wait, both).await {
            Ok((Ok(a), Ok(s))) => Ok((a, s)),
            _ => Err(AreaFailure::Busy),
        }
    }
}

impl Call<'_> {
    /// The `context` the area is given: the same for every kind of call
    /// that has a user, a structure and tabs to tell.
    pub fn context(&self) -> wit::Context {
        let spec = &self.area.spec;
        let party = self.party();
        let base_path = match party.structure {
            Some(s) => format!("/s/{}/{}", s.id, spec.id),
            None => format!("/me/{}", spec.id),
        };
        wit::Context {
            request_id: self.request_id.clone(),
            area: spec.id.to_string(),
            base_path,
            user: party.user,
            structure: party.structure.map(convert::structure),
            role: party.role.map(convert::role),
            // The page's language, as the edge negotiated it for this
            // request (French outside a request: deliveries, timers).
            locale: crate::i18n::current().as_str().into(),
            now_ms: self.now_ms,
            tabs: party.tabs.to_vec(),
        }
    }

    /// The host's scope: whose storage the call may touch and what it may
    /// call, from the host's own knowledge only.
    fn scope(&self, store: &Store) -> CallScope {
        let spec = &self.area.spec;
        let party = self.party();
        debug_assert!(
            (spec.scope == Scope::User) == matches!(party.owner, Owner::User(_)),
            "a user area runs for a user, a structure area for a structure"
        );
        CallScope {
            request_id: self.request_id.clone(),
            area: spec.id.to_string(),
            owner: Some(party.owner),
            user_id: party.user_id,
            structure: party.structure.map(|s| s.id.to_string()),
            capabilities: spec.capabilities.clone(),
            store: Some(store.clone()),
            catalog: Some(self.catalog.clone()),
        }
    }

    fn party(&self) -> Party<'_> {
        let user = |u: &User| wit::User {
            id: u.id.to_string(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            email: u.email.clone(),
        };
        match &self.kind {
            CallKind::MemberPage {
                user: u,
                structure,
                role,
                tabs,
                ..
            } => Party {
                user: user(u),
                user_id: Some(u.id.to_string()),
                structure: Some(structure),
                role: Some(*role),
                tabs,
                owner: Owner::Structure(structure.id.to_string()),
            },
            CallKind::UserPage { user: u, tabs, .. } => Party {
                user: user(u),
                user_id: Some(u.id.to_string()),
                structure: None,
                role: None,
                tabs,
                owner: Owner::User(u.id.to_string()),
            },
            // A message is addressed to the structure, not to a member.
            CallKind::Delivery { structure, .. } => Party {
                user: wit::User {
                    id: "portico".into(),
                    first_name: "Portico".into(),
                    last_name: "delivery".into(),
                    email: String::new(),
                },
                user_id: None,
                structure: Some(structure),
                role: None,
                tabs: &[],
                owner: Owner::Structure(structure.id.to_string()),
            },
        }
    }
}

/// Who a call acts for.
struct Party<'a> {
    user: wit::User,
    user_id: Option<String>,
    structure: Option<&'a Structure>,
    role: Option<Role>,
    /// Borrowed: only the context copies them (the scope needs none).
    tabs: &'a [wit::Tab],
    owner: Owner,
}
