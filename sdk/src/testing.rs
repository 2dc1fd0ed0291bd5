//! An in-memory host for native unit tests (not compiled for `wasm32`).
//!
//! [`TestHost::new`] installs a fresh fake host on the current thread (each
//! `#[test]` runs on its own thread, so tests never share state). Every host
//! import wrapper of the SDK ([`kv`](crate::kv), [`facts`](crate::facts),
//! [`messages`](crate::messages), [`timers`](crate::timers),
//! [`directory`](crate::directory), [`account`](crate::account),
//! [`log`](crate::log)) then reads and writes its state. Time is a fake
//! clock: [`TestHost::advance`] moves it and fires the timers due, so a test
//! of a 15-day delay takes no time. Like the real host, a capability that was not
//! [granted](TestHost::grant) answers [`HostError::CapabilityDenied`] naming
//! it.
//!
//! ```
//! use portico_sdk::testing::TestHost;
//! use portico_sdk::{Area, Context, Error, Request, Response, kv};
//!
//! struct Counter;
//! impl Area for Counter {
//!     fn templates() -> &'static [(&'static str, &'static str)] {
//!         &[("count.html", "{{ data.count }}")]
//!     }
//!     fn handle(_cx: &Context, _req: &Request) -> Result<Response, Error> {
//!         let count = kv::update_json("count", |n: Option<u32>| Some(n.unwrap_or(0) + 1))?;
//!         Ok(Response::view("count.html", "Count", &serde_json::json!({ "count": count })))
//!     }
//! }
//!
//! let host = TestHost::new().grant(&["kv"]);
//! host.handle::<Counter>(&Request::get("/"));
//! let page = host.handle::<Counter>(&Request::get("/"));
//! assert_eq!(page.as_view().unwrap().json()["count"], 2);
//!
//! // Without the capability, the call fails like on the real host.
//! let host = TestHost::new();
//! let Response::Failed(message) = host.handle::<Counter>(&Request::get("/")) else { panic!() };
//! assert!(message.contains("kv"));
//! ```
//!
//! The fake checks what the contract documents (capabilities, key and value
//! sizes, fact names, required fields); it does not model everything the
//! real host checks, so keep end-to-end tests against the real host too.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::account::{
    AreaSubscription, LinkRequest as MyLinkRequest, Membership, NewStructure, Profile,
    StructureMatch,
};
use crate::directory::{
    AreaOffer, AuditEntry, LinkRequest, Member, RecipientRule, Settings, Subscription,
};
use crate::log::Level;
use crate::{
    Area, Context, FieldError, HostError, Message, Request, RequestStatus, Response, Role, Service,
    Structure, StructureKind, SubscriptionMode, Tab, User,
};

/// Longest kv key, in bytes (the contract's limit, as the host applies it).
pub const MAX_KEY_BYTES: usize = portico_contract::limits::kv::MAX_KEY_BYTES;
/// Largest kv value, in bytes (the contract's limit, as the host applies it).
pub const MAX_VALUE_BYTES: usize = portico_contract::limits::kv::MAX_VALUE_BYTES;

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// A message an area sent through [`messages::send`](crate::messages::send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The id the host returned.
    pub id: String,
    /// Recipient structure identifier.
    pub to_structure: String,
    /// Recipient area id.
    pub to_area: String,
    /// Application-defined kind.
    pub kind: String,
    /// Application-defined payload.
    pub payload: String,
}

/// A timer an area scheduled through [`timers`](crate::timers), not fired yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledTimer {
    /// The id the host returned (also the delivered message's id).
    pub id: String,
    /// When it is due, ms since the Unix epoch.
    pub at_ms: u64,
    /// Application-defined kind.
    pub kind: String,
    /// Application-defined payload.
    pub payload: String,
}

/// A timer [`TestHost::advance`] delivered, with the area's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredTimer {
    /// The message `on_message` received.
    pub message: Message,
    /// Its answer; an error leaves the timer due, as the host retries it.
    pub result: Result<(), String>,
}

/// Timers one [`TestHost::advance`] fires at most: a timer that schedules
/// itself again at once would otherwise never let it return.
pub const MAX_TIMERS_PER_ADVANCE: usize = 10_000;

#[derive(Debug)]
struct State {
    request_id: String,
    area: String,
    base_path: Option<String>,
    user: User,
    structure: Option<Structure>,
    role: Option<Role>,
    locale: String,
    now_ms: u64,
    tabs: Vec<Tab>,
    capabilities: BTreeSet<String>,
    kv: BTreeMap<String, Vec<u8>>,
    facts: BTreeMap<(String, String), String>,
    sent: Vec<SentMessage>,
    /// Messages sent by the current `handle`/`deliver` call (the host's
    /// per-call limit counts these).
    sent_in_call: usize,
    /// Timers scheduled by the current `handle`/`deliver` call.
    timers_in_call: usize,
    /// Pending timers, in scheduling order (fired soonest first).
    timers: Vec<ScheduledTimer>,
    next_timer: u64,
    members: Vec<Member>,
    profile: Profile,
    memberships: Vec<Membership>,
    taken: BTreeSet<String>,
    logs: Vec<(Level, String)>,
    fail_next: Option<HostError>,
    next_message: u64,
    link_requests: Vec<LinkRequest>,
    services: Vec<Service>,
    settings: Settings,
    offers: Vec<AreaOffer>,
    subscriptions: Vec<Subscription>,
    history: Vec<AuditEntry>,
    searchable: Vec<StructureMatch>,
    my_link_requests: Vec<MyLinkRequest>,
    area_subscriptions: Vec<AreaSubscription>,
    /// Flows as `flows.get` answers them (report JSON), by id.
    flows: BTreeMap<String, String>,
    /// Flow files by (flow, `original` or index).
    flow_files: BTreeMap<(String, String), crate::Download>,
    /// Deposits made through `flows.deposit`: (file name, bytes, qualification).
    deposits: Vec<(String, Vec<u8>, bool)>,
    /// `api-clients`: the structure's clients and, per client, its secrets.
    api_clients: Vec<(crate::api_clients::Client, Vec<String>)>,
}

impl State {
    fn new() -> Self {
        let user = User {
            id: "user-1".to_owned(),
            first_name: "Ada".to_owned(),
            last_name: "Lovelace".to_owned(),
            email: "ada@example.com".to_owned(),
        };
        let structure = Structure {
            id: "73282932000074".to_owned(),
            identifier_type: "siret".to_owned(),
            name: "Acme Supplies".to_owned(),
            kind: StructureKind::Private,
        };
        Self {
            request_id: "test-request".to_owned(),
            area: "test-area".to_owned(),
            base_path: None,
            profile: Profile {
                email: user.email.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                contact_email: user.email.clone(),
                last_login_ms: None,
            },
            members: vec![Member {
                user_id: user.id.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                email: user.email.clone(),
                role: Role::PrimaryManager,
            }],
            memberships: vec![Membership {
                structure: structure.clone(),
                role: Role::PrimaryManager,
            }],
            user,
            structure: Some(structure),
            role: Some(Role::PrimaryManager),
            locale: "fr-FR".to_owned(),
            now_ms: 1_700_000_000_000,
            tabs: Vec::new(),
            capabilities: BTreeSet::new(),
            kv: BTreeMap::new(),
            facts: BTreeMap::new(),
            sent: Vec::new(),
            sent_in_call: 0,
            timers_in_call: 0,
            timers: Vec::new(),
            next_timer: 0,
            taken: BTreeSet::new(),
            logs: Vec::new(),
            fail_next: None,
            next_message: 0,
            link_requests: Vec::new(),
            services: Vec::new(),
            settings: Settings {
                kind: StructureKind::Private,
                active: true,
                recipient_rule: RecipientRule::None,
            },
            offers: Vec::new(),
            subscriptions: Vec::new(),
            history: Vec::new(),
            searchable: Vec::new(),
            my_link_requests: Vec::new(),
            area_subscriptions: Vec::new(),
            flows: BTreeMap::new(),
            flow_files: BTreeMap::new(),
            deposits: Vec::new(),
            api_clients: Vec::new(),
        }
    }

    /// Like the real host: a directory call from anyone but a manager of
    /// the current structure answers not-found.
    fn enter_manager(&mut self) -> Result<(), HostError> {
        self.enter("directory")?;
        self.current_structure("directory")?;
        if !self.role.is_some_and(Role::is_manager) {
            return Err(HostError::NotFound(
                "only a primary or secondary manager of this structure can do this".into(),
            ));
        }
        Ok(())
    }

    /// Records a manager action the way the host's audit log does.
    fn audit(&mut self, action: &str, detail: serde_json::Value) {
        let actor = format!(
            "{} {} <{}>",
            self.user.first_name, self.user.last_name, self.user.email
        );
        self.history.insert(
            0,
            AuditEntry {
                at_ms: self.now_ms,
                actor,
                action: action.to_owned(),
                detail: detail.to_string(),
            },
        );
    }

    fn structure_path(&self, area: &str) -> String {
        match &self.structure {
            Some(s) => format!("/s/{}/{area}", s.id),
            None => format!("/me/{area}"),
        }
    }

    fn context(&self) -> Context {
        Context {
            request_id: self.request_id.clone(),
            area: self.area.clone(),
            base_path: self
                .base_path
                .clone()
                .unwrap_or_else(|| self.structure_path(&self.area)),
            user: self.user.clone(),
            structure: self.structure.clone(),
            role: if self.structure.is_some() {
                self.role
            } else {
                None
            },
            locale: self.locale.clone(),
            now_ms: self.now_ms,
            tabs: self.tabs.clone(),
        }
    }

    /// The gate every host call passes, like the real host's permission check.
    fn enter(&mut self, capability: &str) -> Result<(), HostError> {
        if !self.capabilities.contains(capability) {
            return Err(HostError::CapabilityDenied(format!(
                "area `{}` was not granted the `{capability}` capability (add it to `capabilities` in areas.yaml)",
                self.area
            )));
        }
        match self.fail_next.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn current_structure(&self, what: &str) -> Result<&Structure, HostError> {
        self.structure.as_ref().ok_or_else(|| {
            HostError::NotFound(format!(
                "{what} needs a current structure, and this request has none"
            ))
        })
    }
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|cell| {
        let mut state = cell.borrow_mut();
        let state = state.as_mut().expect(
            "no test host on this thread: create one first with `portico_sdk::testing::TestHost::new()`",
        );
        f(state)
    })
}

/// The fake host of the current thread: configure it with the builder
/// methods, run handlers with [`TestHost::handle`], then inspect its state.
///
/// Defaults: user Ada Lovelace (`ada@example.com`), structure
/// `73282932000074` "Acme Supplies" (private), role primary manager, area
/// `test-area` mounted at `/s/73282932000074/test-area`, locale `fr-FR`, no
/// tabs, **no capabilities**, empty kv and facts.
#[derive(Debug)]
pub struct TestHost {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Default for TestHost {
    fn default() -> Self {
        Self::new()
    }
}

impl TestHost {
    /// Installs a fresh fake host on this thread, replacing any previous one.
    pub fn new() -> Self {
        STATE.with(|cell| *cell.borrow_mut() = Some(State::new()));
        Self {
            _not_send: std::marker::PhantomData,
        }
    }

    /// A test host set up as the area's `areas.yaml` entry says, so the
    /// tests grant exactly what the portal will: the area id (and so the
    /// base path), its `capabilities`, `scope: user` (no structure), and,
    /// when `roles` leaves out the primary manager, the first role listed.
    ///
    /// ```
    /// use portico_sdk::testing::TestHost;
    /// let yaml = "areas:\n  - id: notes\n    title: Notes\n    plugin: notes.wasm\n    version: 0.1.0\n    capabilities: [kv, log]\n";
    /// let host = TestHost::from_areas_yaml(yaml, "notes"); // usually include_str!("../areas.yaml")
    /// assert_eq!(host.context().base_path, "/s/73282932000074/notes");
    /// assert_eq!(host.capabilities(), ["kv", "log"]);
    /// ```
    ///
    /// Panics, naming what is wrong, if the text is not YAML with an
    /// `areas:` list holding an entry with this `id`.
    pub fn from_areas_yaml(yaml: &str, id: &str) -> Self {
        let doc: serde_yaml::Value = serde_yaml::from_str(yaml)
            .unwrap_or_else(|e| panic!("areas.yaml is not valid YAML: {e}"));
        let areas = doc
            .get("areas")
            .and_then(|a| a.as_sequence())
            .unwrap_or_else(|| panic!("areas.yaml has no `areas:` list"));
        let entry = areas
            .iter()
            .find(|a| a.get("id").and_then(|v| v.as_str()) == Some(id))
            .unwrap_or_else(|| {
                let ids: Vec<&str> = areas
                    .iter()
                    .filter_map(|a| a.get("id").and_then(|v| v.as_str()))
                    .collect();
                panic!("areas.yaml has no area `{id}` (it has {ids:?})")
            });
        let words = |field: &str| -> Vec<String> {
            match entry.get(field) {
                None => Vec::new(),
                Some(v) => v
                    .as_sequence()
                    .unwrap_or_else(|| panic!("area `{id}`: `{field}` is not a list"))
                    .iter()
                    .map(|w| {
                        w.as_str()
                            .unwrap_or_else(|| panic!("area `{id}`: `{field}` holds a non-word"))
                            .to_owned()
                    })
                    .collect(),
            }
        };
        let capabilities = words("capabilities");
        let roles = words("roles");
        let mut host = Self::new().area(id);
        with_state(|s| s.capabilities.extend(capabilities));
        if entry.get("scope").and_then(|v| v.as_str()) == Some("user") {
            host = host.no_structure();
        }
        if !roles.is_empty() && !roles.iter().any(|r| r == "primary-manager") {
            let role = Role::parse(&roles[0])
                .unwrap_or_else(|| panic!("area `{id}`: unknown role `{}`", roles[0]));
            host = host.role(role);
        }
        host
    }

    /// The capabilities granted, sorted.
    pub fn capabilities(&self) -> Vec<String> {
        with_state(|s| s.capabilities.iter().cloned().collect())
    }

    /// Sets the area id (default `test-area`); the base path follows.
    pub fn area(self, id: &str) -> Self {
        with_state(|s| s.area = id.to_owned());
        self
    }

    /// Sets the base path explicitly (default: `/s/{structure}/{area}`, or
    /// `/me/{area}` without a structure).
    pub fn base_path(self, path: &str) -> Self {
        with_state(|s| s.base_path = Some(path.to_owned()));
        self
    }

    /// Grants capabilities, e.g. `&["kv", "facts"]`.
    pub fn grant(self, capabilities: &[&str]) -> Self {
        with_state(|s| {
            s.capabilities
                .extend(capabilities.iter().map(|c| (*c).to_owned()))
        });
        self
    }

    /// Sets the signed-in user (the profile and own membership follow).
    pub fn user(self, user: User) -> Self {
        with_state(|s| {
            s.profile.email = user.email.clone();
            s.profile.first_name = user.first_name.clone();
            s.profile.last_name = user.last_name.clone();
            s.profile.contact_email = user.email.clone();
            for m in s.members.iter_mut().filter(|m| m.user_id == s.user.id) {
                m.user_id = user.id.clone();
                m.first_name = user.first_name.clone();
                m.last_name = user.last_name.clone();
                m.email = user.email.clone();
            }
            s.user = user;
        });
        self
    }

    /// Sets the current structure (the user's memberships become just this one).
    pub fn structure(self, structure: Structure) -> Self {
        with_state(|s| {
            let role = s.role.unwrap_or(Role::User);
            s.memberships = vec![Membership {
                structure: structure.clone(),
                role,
            }];
            s.structure = Some(structure);
        });
        self
    }

    /// No current structure, as for a `scope: user` area (memberships are
    /// left as they are: see [`TestHost::memberships`]).
    pub fn no_structure(self) -> Self {
        with_state(|s| s.structure = None);
        self
    }

    /// Sets the user's role in the current structure (default primary manager).
    pub fn role(self, role: Role) -> Self {
        with_state(|s| {
            s.role = Some(role);
            if let Some(current) = &s.structure {
                for m in s
                    .memberships
                    .iter_mut()
                    .filter(|m| m.structure.id == current.id)
                {
                    m.role = role;
                }
            }
            for m in s.members.iter_mut().filter(|m| m.user_id == s.user.id) {
                m.role = role;
            }
        });
        self
    }

    /// Adds a tab; its href is `/s/{structure}/{id}` (or `/me/{id}`).
    pub fn tab(self, id: &str, title: &str) -> Self {
        with_state(|s| {
            let href = s.structure_path(id);
            s.tabs.push(Tab {
                id: id.to_owned(),
                title: title.to_owned(),
                href,
            });
        });
        self
    }

    /// Sets the current time, milliseconds since the Unix epoch.
    pub fn now_ms(self, now_ms: u64) -> Self {
        with_state(|s| s.now_ms = now_ms);
        self
    }

    /// Sets the locale (default `fr-FR`).
    pub fn locale(self, locale: &str) -> Self {
        with_state(|s| s.locale = locale.to_owned());
        self
    }

    /// Sets the profile returned by [`account::profile`](crate::account::profile).
    pub fn profile(self, profile: Profile) -> Self {
        with_state(|s| s.profile = profile);
        self
    }

    /// Sets the user's memberships returned by
    /// [`account::memberships`](crate::account::memberships).
    pub fn memberships(self, memberships: Vec<Membership>) -> Self {
        with_state(|s| s.memberships = memberships);
        self
    }

    /// Sets the current structure's members returned by
    /// [`directory::members`](crate::directory::members).
    pub fn members(self, members: Vec<Member>) -> Self {
        with_state(|s| s.members = members);
        self
    }

    /// Adds a link request to the current structure, for
    /// [`directory::link_requests`](crate::directory::link_requests).
    pub fn link_request(self, request: LinkRequest) -> Self {
        with_state(|s| s.link_requests.push(request));
        self
    }

    /// Adds a service of the current structure.
    pub fn service(self, service: Service) -> Self {
        with_state(|s| s.services.push(service));
        self
    }

    /// Sets the current structure's settings.
    pub fn settings(self, settings: Settings) -> Self {
        with_state(|s| s.settings = settings);
        self
    }

    /// Offers an area to the current structure, for
    /// [`directory::areas`](crate::directory::areas).
    pub fn area_offer(self, offer: AreaOffer) -> Self {
        with_state(|s| s.offers.push(offer));
        self
    }

    /// Adds a subscription (or request) in the current structure, for
    /// [`directory::subscriptions`](crate::directory::subscriptions).
    pub fn subscription(self, subscription: Subscription) -> Self {
        with_state(|s| s.subscriptions.push(subscription));
        self
    }

    /// Makes a structure findable by
    /// [`account::search_structures`](crate::account::search_structures)
    /// (by ≥ 3 digits of its identifier or its exact name).
    pub fn searchable(self, found: StructureMatch) -> Self {
        with_state(|s| s.searchable.push(found));
        self
    }

    /// Lists an area added to one of the user's structures, for
    /// [`account::subscriptions`](crate::account::subscriptions).
    pub fn area_subscription(self, area: AreaSubscription) -> Self {
        with_state(|s| s.area_subscriptions.push(area));
        self
    }

    /// Marks an identifier as used by another structure:
    /// [`account::create_structure`](crate::account::create_structure) then
    /// answers [`HostError::Conflict`] for it.
    pub fn existing_structure(self, identifier: &str) -> Self {
        with_state(|s| s.taken.insert(identifier.to_owned()));
        self
    }

    /// A flow of the current structure, as `flows.get` answers it (`report`
    /// is its JSON: the host's report; `flows.list` answers every flow
    /// given, newest id first, unfiltered).
    pub fn flow(self, id: &str, report: serde_json::Value) -> Self {
        with_state(|s| s.flows.insert(id.to_owned(), report.to_string()));
        self
    }

    /// A file of a flow: `which` is `original` or an invoice's index.
    pub fn flow_file(self, id: &str, which: &str, filename: &str, bytes: &[u8]) -> Self {
        with_state(|s| {
            s.flow_files.insert(
                (id.to_owned(), which.to_owned()),
                crate::Download {
                    filename: filename.to_owned(),
                    content_type: "application/octet-stream".to_owned(),
                    bytes: bytes.to_vec(),
                },
            )
        });
        self
    }

    /// The deposits made through `flows.deposit`: (file name, bytes, qualification).
    pub fn deposits(&self) -> Vec<(String, Vec<u8>, bool)> {
        with_state(|s| s.deposits.clone())
    }

    /// Stores a raw kv entry.
    pub fn kv_entry(self, key: &str, value: &[u8]) -> Self {
        with_state(|s| s.kv.insert(key.to_owned(), value.to_vec()));
        self
    }

    /// Sets a fact of any area on the current structure (`json` is its JSON text).
    pub fn fact(self, area: &str, name: &str, json: &str) -> Self {
        with_state(|s| {
            s.facts
                .insert((area.to_owned(), name.to_owned()), json.to_owned())
        });
        self
    }

    /// Makes the next host call (any capability but `log`) fail with
    /// `error`, after its capability check; later calls succeed again.
    pub fn fail_next_call(&self, error: HostError) {
        with_state(|s| s.fail_next = Some(error));
    }

    /// The context handlers receive.
    pub fn context(&self) -> Context {
        with_state(|s| s.context())
    }

    /// Runs `A::handle` with [`TestHost::context`] and returns the response,
    /// errors converted exactly as the exported component converts them.
    ///
    /// Panics if a view (or an invalid form's view) names a template that
    /// `A::templates()` does not declare: the real host would fail too.
    pub fn handle<A: Area>(&self, request: &Request) -> Response {
        with_state(|s| {
            s.sent_in_call = 0;
            s.timers_in_call = 0;
        });
        let mut response = crate::dispatch::<A>(&self.context(), request);
        // Form errors as an English reader sees them (the host translates
        // `i18n::message` references with the area's catalogue).
        if let Response::Invalid(invalid) = &mut response {
            let en = A::messages()
                .iter()
                .find(|(lang, _)| *lang == "en")
                .map(|(_, source)| *source);
            invalid.message = crate::i18n::english(&invalid.message, en);
            for f in &mut invalid.fields {
                f.message = crate::i18n::english(&f.message, en);
            }
        }
        let template = match &response {
            Response::View(v) => Some(&v.template),
            Response::Invalid(i) => Some(&i.view.template),
            _ => None,
        };
        if let Some(template) = template {
            let declared: Vec<&str> = A::templates().iter().map(|(name, _)| *name).collect();
            assert!(
                declared.contains(&template.as_str()),
                "the response renders template `{template}`, which templates() does not declare (declared: {declared:?})"
            );
        }
        // Rendered as the host renders it: a template that does not compile
        // or render, or a POST form without `{{ csrf_field() }}`, fails here.
        if let Err(why) = self.try_render::<A>(request, &response) {
            panic!("{why}");
        }
        response
    }

    /// The HTML the host would show inside its layout for `response` (a
    /// view, or an invalid form's view with its errors and the values
    /// submitted by `request`), rendered with the area's templates like the
    /// host does (minijinja, `t()`, `csrf_field()`, the `date`, `number`,
    /// `amount` filters), in English. [`TestHost::handle`] renders every view
    /// this way and panics on a template error; this returns the HTML to
    /// assert on.
    ///
    /// Panics if `response` is not a view or an invalid form.
    pub fn html<A: Area>(&self, request: &Request, response: &Response) -> String {
        match self.try_render::<A>(request, response) {
            Ok(Some(html)) => html,
            Ok(None) => panic!("the response is not a page: {response:?}"),
            Err(why) => panic!("{why}"),
        }
    }

    fn try_render<A: Area>(
        &self,
        request: &Request,
        response: &Response,
    ) -> Result<Option<String>, String> {
        let en = A::messages()
            .iter()
            .find(|(lang, _)| *lang == "en")
            .map(|(_, source)| *source);
        crate::testing_html::render(A::templates(), en, &self.context(), &request.form, response)
    }

    /// Runs `A::on_message` with [`TestHost::context`]; the error is the
    /// text the host would log before retrying.
    pub fn deliver<A: Area>(&self, message: &Message) -> Result<(), String> {
        with_state(|s| {
            s.sent_in_call = 0;
            s.timers_in_call = 0;
        });
        A::on_message(&self.context(), message).map_err(|e| e.to_string())
    }

    /// The raw kv value under `key`.
    pub fn kv_value(&self, key: &str) -> Option<Vec<u8>> {
        with_state(|s| s.kv.get(key).cloned())
    }

    /// The kv value under `key`, parsed as JSON.
    pub fn kv_json(&self, key: &str) -> Option<serde_json::Value> {
        self.kv_value(key)
            .and_then(|v| serde_json::from_slice(&v).ok())
    }

    /// Every kv key, in order.
    pub fn kv_keys(&self) -> Vec<String> {
        with_state(|s| s.kv.keys().cloned().collect())
    }

    /// The JSON text of fact `name` of `area`.
    pub fn fact_value(&self, area: &str, name: &str) -> Option<String> {
        with_state(|s| s.facts.get(&(area.to_owned(), name.to_owned())).cloned())
    }

    /// The messages sent so far, in order.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        with_state(|s| s.sent.clone())
    }

    /// The timers scheduled and not fired nor cancelled, soonest first.
    pub fn scheduled_timers(&self) -> Vec<ScheduledTimer> {
        with_state(|s| {
            let mut timers = s.timers.clone();
            timers.sort_by_key(|t| t.at_ms);
            timers
        })
    }

    /// Moves the fake clock forward by `by` (what [`Context::now_ms`] says
    /// from now on) and delivers every timer due by then to `A::on_message`,
    /// soonest first, like the host's delivery worker — including timers
    /// scheduled by those deliveries if they are due too. A delivery that
    /// fails leaves its timer due (the host would retry it); it is tried
    /// again on the next `advance`. Returns what was delivered, in order.
    pub fn advance<A: Area>(&self, by: std::time::Duration) -> Vec<FiredTimer> {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        with_state(|s| s.now_ms = s.now_ms.saturating_add(by));
        let mut fired = Vec::new();
        let mut failed = Vec::new();
        loop {
            let next = with_state(|s| {
                let now = s.now_ms;
                let at = s
                    .timers
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.at_ms <= now)
                    .min_by_key(|(_, t)| t.at_ms)
                    .map(|(i, _)| i)?;
                let timer = s.timers.remove(at);
                let structure = s
                    .structure
                    .as_ref()
                    .map(|st| st.id.clone())
                    .unwrap_or_default();
                Some((timer, structure, s.area.clone()))
            });
            let Some((timer, structure, area)) = next else {
                break;
            };
            assert!(
                fired.len() < MAX_TIMERS_PER_ADVANCE,
                "more than {MAX_TIMERS_PER_ADVANCE} timers fired in one advance: does a timer schedule itself again at once?"
            );
            let message = Message {
                id: timer.id.clone(),
                from_structure: structure,
                from_area: area,
                kind: timer.kind.clone(),
                payload: timer.payload.clone(),
            };
            let result = self.deliver::<A>(&message);
            if result.is_err() {
                failed.push(timer);
            }
            fired.push(FiredTimer { message, result });
        }
        with_state(|s| s.timers.extend(failed));
        fired
    }

    /// The log lines written so far, in order.
    pub fn logs(&self) -> Vec<(Level, String)> {
        with_state(|s| s.logs.clone())
    }

    /// The profile as it is now (after updates).
    pub fn current_profile(&self) -> Profile {
        with_state(|s| s.profile.clone())
    }

    /// The memberships as they are now (after structures were created).
    pub fn current_memberships(&self) -> Vec<Membership> {
        with_state(|s| s.memberships.clone())
    }

    /// The current structure's members as they are now.
    pub fn current_members(&self) -> Vec<Member> {
        with_state(|s| s.members.clone())
    }

    /// The current structure's link requests as they are now.
    pub fn current_link_requests(&self) -> Vec<LinkRequest> {
        with_state(|s| s.link_requests.clone())
    }

    /// The current structure's services as they are now.
    pub fn current_services(&self) -> Vec<Service> {
        with_state(|s| s.services.clone())
    }

    /// The current structure's settings as they are now.
    pub fn current_settings(&self) -> Settings {
        with_state(|s| s.settings.clone())
    }

    /// The areas offered to the current structure, with their install state.
    pub fn current_area_offers(&self) -> Vec<AreaOffer> {
        with_state(|s| s.offers.clone())
    }

    /// The current structure's subscriptions as they are now.
    pub fn current_subscriptions(&self) -> Vec<Subscription> {
        with_state(|s| s.subscriptions.clone())
    }

    /// The audit entries written so far, newest first.
    pub fn current_history(&self) -> Vec<AuditEntry> {
        with_state(|s| s.history.clone())
    }

    /// The user's link requests as they are now.
    pub fn current_my_link_requests(&self) -> Vec<MyLinkRequest> {
        with_state(|s| s.my_link_requests.clone())
    }

    /// The user's area subscriptions as they are now.
    pub fn current_area_subscriptions(&self) -> Vec<AreaSubscription> {
        with_state(|s| s.area_subscriptions.clone())
    }
}

/// The fake side of `crate::host`: same functions as its wasm side.
pub(crate) mod imports {
    use super::*;

    fn invalid(field: &str, message: impl Into<String>) -> HostError {
        HostError::Invalid(vec![FieldError::new(field, message)])
    }

    /// The contract's refusal, as the host answers it.
    fn refused(refusal: portico_contract::Refusal) -> HostError {
        refused_all([refusal])
    }

    /// Several refusals of one call as the host answers them: a limit if
    /// any was exceeded, else every malformed field together.
    fn refused_all(refusals: impl IntoIterator<Item = portico_contract::Refusal>) -> HostError {
        let mut fields = Vec::new();
        for refusal in refusals {
            match refusal {
                portico_contract::Refusal::LimitExceeded(m) => return HostError::LimitExceeded(m),
                portico_contract::Refusal::Invalid { field, message } => {
                    fields.push(FieldError::new(field, message));
                }
            }
        }
        HostError::Invalid(fields)
    }

    fn check_key(key: &str) -> Result<(), HostError> {
        portico_contract::limits::kv::check_key("key", key).map_err(refused)
    }

    fn check_value(value: &[u8]) -> Result<(), HostError> {
        portico_contract::limits::kv::check_value(value.len()).map_err(refused)
    }

    pub(crate) fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
        with_state(|s| {
            s.enter("kv")?;
            check_key(key)?;
            Ok(s.kv.get(key).cloned())
        })
    }

    pub(crate) fn kv_set(key: &str, value: &[u8]) -> Result<(), HostError> {
        with_state(|s| {
            s.enter("kv")?;
            check_key(key)?;
            check_value(value)?;
            s.kv.insert(key.to_owned(), value.to_vec());
            Ok(())
        })
    }

    pub(crate) fn kv_delete(key: &str) -> Result<bool, HostError> {
        with_state(|s| {
            s.enter("kv")?;
            check_key(key)?;
            Ok(s.kv.remove(key).is_some())
        })
    }

    pub(crate) fn kv_list(
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Vec<u8>)>, HostError> {
        with_state(|s| {
            s.enter("kv")?;
            portico_contract::limits::kv::check_key("prefix", prefix).map_err(refused)?;
            portico_contract::limits::kv::check_list_limit(limit).map_err(refused)?;
            let limit = limit as usize;
            Ok(s.kv
                .range(prefix.to_owned()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .filter(|(k, _)| after.is_none_or(|a| k.as_str() > a))
                .take(limit)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        })
    }

    pub(crate) fn kv_compare_and_swap(
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, HostError> {
        with_state(|s| {
            s.enter("kv")?;
            check_key(key)?;
            if let Some(new) = new {
                check_value(new)?;
            }
            if s.kv.get(key).map(Vec::as_slice) != expected {
                return Ok(false);
            }
            match new {
                Some(new) => s.kv.insert(key.to_owned(), new.to_vec()),
                None => s.kv.remove(key),
            };
            Ok(true)
        })
    }

    fn check_fact_name(name: &str) -> Result<(), HostError> {
        portico_contract::limits::facts::check_name(name).map_err(refused)
    }

    pub(crate) fn facts_set(name: &str, value: &str) -> Result<(), HostError> {
        with_state(|s| {
            s.enter("facts")?;
            s.current_structure("facts")?;
            check_fact_name(name)?;
            portico_contract::limits::facts::check_value(value).map_err(refused)?;
            let area = s.area.clone();
            s.facts.insert((area, name.to_owned()), value.to_owned());
            Ok(())
        })
    }

    pub(crate) fn facts_clear(name: &str) -> Result<(), HostError> {
        with_state(|s| {
            s.enter("facts")?;
            s.current_structure("facts")?;
            check_fact_name(name)?;
            let area = s.area.clone();
            s.facts.remove(&(area, name.to_owned()));
            Ok(())
        })
    }

    pub(crate) fn facts_get(area: &str, name: &str) -> Result<Option<String>, HostError> {
        with_state(|s| {
            s.enter("facts")?;
            s.current_structure("facts")?;
            Ok(s.facts.get(&(area.to_owned(), name.to_owned())).cloned())
        })
    }

    pub(crate) fn messages_send(
        to_structure: &str,
        to_area: &str,
        kind: &str,
        payload: &str,
    ) -> Result<String, HostError> {
        with_state(|s| {
            s.enter("messages")?;
            s.current_structure("messages")?;
            use portico_contract::limits::messages::{check_count, check_name, check_payload};
            let names = [
                check_name("to-structure", to_structure),
                check_name("to-area", to_area),
                check_name("kind", kind),
            ];
            if names.iter().any(Result::is_err) {
                return Err(refused_all(names.into_iter().filter_map(Result::err)));
            }
            check_payload(payload.len()).map_err(refused)?;
            check_count(s.sent_in_call).map_err(refused)?;
            s.sent_in_call += 1;
            s.next_message += 1;
            let id = format!("message-{}", s.next_message);
            s.sent.push(SentMessage {
                id: id.clone(),
                to_structure: to_structure.to_owned(),
                to_area: to_area.to_owned(),
                kind: kind.to_owned(),
                payload: payload.to_owned(),
            });
            Ok(id)
        })
    }

    pub(crate) fn timers_schedule(
        at_ms: u64,
        kind: &str,
        payload: &str,
    ) -> Result<String, HostError> {
        with_state(|s| {
            s.enter("timers")?;
            s.current_structure("timers")?;
            // The host's checks, counted per `handle`/`deliver` call.
            let limits = portico_contract::limits::timers::check_schedule;
            limits(at_ms, s.now_ms, kind, payload.len()).map_err(refused)?;
            portico_contract::limits::timers::check_count(s.timers_in_call, s.timers.len() as u64)
                .map_err(refused)?;
            s.timers_in_call += 1;
            s.next_timer += 1;
            let id = format!("{at_ms:013}-timer-{}", s.next_timer);
            s.timers.push(ScheduledTimer {
                id: id.clone(),
                at_ms,
                kind: kind.to_owned(),
                payload: payload.to_owned(),
            });
            Ok(id)
        })
    }

    pub(crate) fn timers_cancel(id: &str) -> Result<bool, HostError> {
        with_state(|s| {
            s.enter("timers")?;
            s.current_structure("timers")?;
            let before = s.timers.len();
            s.timers.retain(|t| t.id != id);
            Ok(s.timers.len() < before)
        })
    }

    pub(crate) fn flows_list(
        _from_ms: u64,
        _to_ms: u64,
        _status: Option<&str>,
        _client: Option<&str>,
        limit: u32,
    ) -> Result<String, HostError> {
        with_state(|s| {
            s.enter("flows")?;
            s.current_structure("flows")?;
            let list: Vec<serde_json::Value> = s
                .flows
                .values()
                .rev()
                .take(limit as usize)
                .filter_map(|t| serde_json::from_str(t).ok())
                .collect();
            Ok(serde_json::Value::Array(list).to_string())
        })
    }

    pub(crate) fn flows_get(id: &str) -> Result<Option<String>, HostError> {
        with_state(|s| {
            s.enter("flows")?;
            s.current_structure("flows")?;
            Ok(s.flows.get(id).cloned())
        })
    }

    pub(crate) fn flows_original(id: &str) -> Result<Option<crate::Download>, HostError> {
        with_state(|s| {
            s.enter("flows")?;
            s.current_structure("flows")?;
            Ok(s.flow_files
                .get(&(id.to_owned(), "original".to_owned()))
                .cloned())
        })
    }

    pub(crate) fn flows_invoice_file(
        id: &str,
        index: u32,
    ) -> Result<Option<crate::Download>, HostError> {
        with_state(|s| {
            s.enter("flows")?;
            s.current_structure("flows")?;
            Ok(s.flow_files
                .get(&(id.to_owned(), index.to_string()))
                .cloned())
        })
    }

    pub(crate) fn flows_deposit(
        filename: &str,
        bytes: &[u8],
        qualification: bool,
    ) -> Result<String, HostError> {
        with_state(|s| {
            s.enter("flows")?;
            s.current_structure("flows")?;
            s.deposits
                .push((filename.to_owned(), bytes.to_vec(), qualification));
            // The host's flow numbers: deposit time, then random hex.
            Ok(format!("{:013}-{:08x}", s.now_ms, s.deposits.len()))
        })
    }

    pub(crate) fn flows_deliveries(_limit: u32) -> Result<String, HostError> {
        with_state(|s| {
            s.enter("flows")?;
            s.current_structure("flows")?;
            Ok("[]".to_owned())
        })
    }

    pub(crate) fn directory_members() -> Result<Vec<Member>, HostError> {
        with_state(|s| {
            s.enter("directory")?;
            s.current_structure("directory")?;
            Ok(s.members.clone())
        })
    }

    pub(crate) fn account_profile() -> Result<Profile, HostError> {
        with_state(|s| {
            s.enter("account")?;
            Ok(s.profile.clone())
        })
    }

    pub(crate) fn account_update_profile(
        first_name: &str,
        last_name: &str,
        contact_email: &str,
    ) -> Result<(), HostError> {
        with_state(|s| {
            s.enter("account")?;
            // The host's rules: the contract's for names.
            let mut fields = Vec::new();
            let first = portico_contract::names::person_name("first name", first_name)
                .map_err(|m| fields.push(FieldError::new("first-name", m)));
            let last = portico_contract::names::person_name("last name", last_name)
                .map_err(|m| fields.push(FieldError::new("last-name", m)));
            if !crate::form::is_email(contact_email) {
                fields.push(FieldError::new(
                    "contact-email",
                    "Enter an email address such as name@example.com.",
                ));
            }
            let (Ok(first_name), Ok(last_name), true) = (first, last, fields.is_empty()) else {
                return Err(HostError::Invalid(fields));
            };
            let (first_name, last_name) = (first_name.as_str(), last_name.as_str());
            s.profile.first_name = first_name.to_owned();
            s.profile.last_name = last_name.to_owned();
            s.profile.contact_email = contact_email.to_owned();
            s.user.first_name = first_name.to_owned();
            s.user.last_name = last_name.to_owned();
            Ok(())
        })
    }

    pub(crate) fn account_memberships() -> Result<Vec<Membership>, HostError> {
        with_state(|s| {
            s.enter("account")?;
            Ok(s.memberships.clone())
        })
    }

    pub(crate) fn account_create_structure(new: &NewStructure) -> Result<Structure, HostError> {
        with_state(|s| {
            s.enter("account")?;
            // The host's rules, from the contract: every identifier type's
            // syntax (SIRET included) and the structure name.
            let identifier =
                portico_contract::identifier::parse(new.identifier_type, &new.identifier)
                    .map_err(|e| FieldError::new("identifier", e.message()));
            let name = portico_contract::names::structure_name(&new.name).map_err(|r| match r {
                portico_contract::Refusal::Invalid { field, message } => {
                    FieldError::new(field, message)
                }
                portico_contract::Refusal::LimitExceeded(m) => FieldError::new("name", m),
            });
            let (identifier, name) = match (identifier, name) {
                (Ok(identifier), Ok(name)) => (identifier, name),
                (identifier, name) => {
                    return Err(HostError::Invalid(
                        [identifier.err(), name.err()]
                            .into_iter()
                            .flatten()
                            .collect(),
                    ));
                }
            };
            let exists = s.taken.contains(&identifier)
                || s.memberships.iter().any(|m| m.structure.id == identifier);
            if exists {
                return Err(HostError::Conflict(format!(
                    "A structure with identifier {identifier} exists already: ask its managers to link you to it."
                )));
            }
            let structure = Structure {
                id: identifier,
                identifier_type: new.identifier_type.as_str().to_owned(),
                name,
                kind: new.kind,
            };
            s.memberships.push(Membership {
                structure: structure.clone(),
                role: Role::PrimaryManager,
            });
            Ok(structure)
        })
    }

    fn not_found(what: impl Into<String>) -> HostError {
        HostError::NotFound(what.into())
    }

    pub(crate) fn directory_link_requests() -> Result<Vec<LinkRequest>, HostError> {
        with_state(|s| {
            s.enter_manager()?;
            Ok(s.link_requests.clone())
        })
    }

    pub(crate) fn directory_decide_link_requests(
        user_ids: &[String],
        approve_as: Option<Role>,
    ) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            if approve_as == Some(Role::PrimaryManager) {
                return Err(invalid("role", "choose secondary manager or user"));
            }
            if user_ids.is_empty() {
                return Err(invalid("user-ids", "select at least one request"));
            }
            for id in user_ids {
                let pending = s
                    .link_requests
                    .iter()
                    .any(|r| &r.user_id == id && r.status == RequestStatus::Pending);
                if !pending {
                    return Err(not_found(format!("no pending link request from {id}")));
                }
            }
            let now = s.now_ms;
            for id in user_ids {
                let r = s
                    .link_requests
                    .iter_mut()
                    .find(|r| &r.user_id == id)
                    .expect("checked above");
                r.decided_ms = Some(now);
                let email = r.email.clone();
                match approve_as {
                    Some(role) => {
                        r.status = RequestStatus::Approved;
                        let member = Member {
                            user_id: r.user_id.clone(),
                            first_name: r.first_name.clone(),
                            last_name: r.last_name.clone(),
                            email: r.email.clone(),
                            role,
                        };
                        s.members.push(member);
                        s.audit(
                            "link.approve",
                            serde_json::json!({ "member": email, "role": role.as_str() }),
                        );
                    }
                    None => {
                        r.status = RequestStatus::Refused;
                        s.audit("link.refuse", serde_json::json!({ "member": email }));
                    }
                }
            }
            Ok(())
        })
    }

    pub(crate) fn directory_add_member(email: &str, role: Role) -> Result<Member, HostError> {
        with_state(|s| {
            s.enter_manager()?;
            if role == Role::PrimaryManager {
                return Err(invalid("role", "choose secondary manager or user"));
            }
            if !crate::form::is_email(email) {
                return Err(invalid(
                    "email",
                    "Enter an email address such as name@example.com.",
                ));
            }
            if s.members.iter().any(|m| m.email == email) {
                return Err(invalid("email", format!("{email} is already a member")));
            }
            let member = Member {
                user_id: format!("user-{}", s.members.len() + 100),
                first_name: "New".into(),
                last_name: "Member".into(),
                email: email.to_owned(),
                role,
            };
            s.members.push(member.clone());
            s.audit(
                "member.add",
                serde_json::json!({ "member": email, "role": role.as_str() }),
            );
            Ok(member)
        })
    }

    pub(crate) fn directory_set_role(user_id: &str, role: Role) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            if role == Role::PrimaryManager {
                return Err(invalid("role", "choose secondary manager or user"));
            }
            let m = s
                .members
                .iter_mut()
                .find(|m| m.user_id == user_id)
                .ok_or_else(|| not_found(format!("no member {user_id}")))?;
            if m.role == Role::PrimaryManager {
                return Err(HostError::Conflict(
                    "the primary manager keeps the role until they transfer it".into(),
                ));
            }
            m.role = role;
            let email = m.email.clone();
            s.audit(
                "member.role",
                serde_json::json!({ "member": email, "role": role.as_str() }),
            );
            Ok(())
        })
    }

    pub(crate) fn directory_transfer_primary(user_id: &str) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            if s.role != Some(Role::PrimaryManager) {
                return Err(HostError::Conflict(
                    "only the primary manager can transfer the role".into(),
                ));
            }
            if user_id == s.user.id {
                return Err(HostError::Conflict("choose another member".into()));
            }
            let to = s
                .members
                .iter()
                .position(|m| m.user_id == user_id)
                .ok_or_else(|| not_found(format!("no member {user_id}")))?;
            let me = s.user.id.clone();
            for m in &mut s.members {
                if m.user_id == me {
                    m.role = Role::SecondaryManager;
                }
            }
            s.members[to].role = Role::PrimaryManager;
            s.role = Some(Role::SecondaryManager);
            let email = s.members[to].email.clone();
            s.audit(
                "member.transfer-primary",
                serde_json::json!({ "to": email }),
            );
            Ok(())
        })
    }

    pub(crate) fn directory_remove_member(user_id: &str) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            let i = s
                .members
                .iter()
                .position(|m| m.user_id == user_id)
                .ok_or_else(|| not_found(format!("no member {user_id}")))?;
            if s.members[i].role == Role::PrimaryManager {
                return Err(HostError::Conflict(
                    "the primary manager cannot be removed".into(),
                ));
            }
            let m = s.members.remove(i);
            s.audit("member.remove", serde_json::json!({ "member": m.email }));
            Ok(())
        })
    }

    pub(crate) fn directory_services() -> Result<Vec<Service>, HostError> {
        with_state(|s| {
            s.enter("directory")?;
            s.current_structure("directory")?;
            Ok(s.services.clone())
        })
    }

    pub(crate) fn directory_save_service(service: &Service, create: bool) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            use portico_contract::names::{service_code, service_name};
            let service = match (service_code(&service.code), service_name(&service.name)) {
                (Ok(code), Ok(name)) => Service {
                    code,
                    name,
                    active: service.active,
                },
                (code, name) => {
                    return Err(refused_all([code.err(), name.err()].into_iter().flatten()));
                }
            };
            let service = &service;
            let existing = s.services.iter().position(|x| x.code == service.code);
            match (create, existing) {
                (true, Some(_)) => {
                    return Err(invalid(
                        "code",
                        format!("service code {} is already used", service.code),
                    ));
                }
                (true, None) => s.services.push(service.clone()),
                (false, Some(i)) => s.services[i] = service.clone(),
                (false, None) => return Err(not_found(format!("service {}", service.code))),
            }
            s.services.sort_by(|a, b| a.code.cmp(&b.code));
            s.audit(
                if create { "service.create" } else { "service.update" },
                serde_json::json!({ "code": service.code, "name": service.name, "active": service.active }),
            );
            Ok(())
        })
    }

    pub(crate) fn directory_settings() -> Result<Settings, HostError> {
        with_state(|s| {
            s.enter_manager()?;
            Ok(s.settings.clone())
        })
    }

    pub(crate) fn directory_update_settings(settings: &Settings) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            s.settings = settings.clone();
            s.audit(
                "structure.settings",
                serde_json::json!({
                    "kind": settings.kind.as_str(),
                    "active": settings.active,
                    "recipient-rule": settings.recipient_rule.as_str(),
                }),
            );
            Ok(())
        })
    }

    pub(crate) fn directory_areas() -> Result<Vec<AreaOffer>, HostError> {
        with_state(|s| {
            s.enter_manager()?;
            Ok(s.offers.clone())
        })
    }

    pub(crate) fn directory_install_area(area: &str, install: bool) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            let offer = s
                .offers
                .iter_mut()
                .find(|o| o.id == area)
                .ok_or_else(|| not_found(format!("no area `{area}` can be added")))?;
            if !install && !offer.installed {
                return Err(not_found(format!("area `{area}` is not added")));
            }
            let changed = offer.installed != install;
            offer.installed = install;
            if changed {
                s.audit(
                    if install { "area.add" } else { "area.remove" },
                    serde_json::json!({ "area": area }),
                );
            }
            Ok(())
        })
    }

    pub(crate) fn directory_subscriptions() -> Result<Vec<Subscription>, HostError> {
        with_state(|s| {
            s.enter_manager()?;
            Ok(s.subscriptions.clone())
        })
    }

    pub(crate) fn directory_decide_subscription(
        user_id: &str,
        area: &str,
        approve: bool,
    ) -> Result<(), HostError> {
        with_state(|s| {
            s.enter_manager()?;
            let sub = s
                .subscriptions
                .iter_mut()
                .find(|x| {
                    x.user_id == user_id && x.area == area && x.status == RequestStatus::Pending
                })
                .ok_or_else(|| not_found(format!("pending subscription of {user_id} to {area}")))?;
            sub.status = if approve {
                RequestStatus::Approved
            } else {
                RequestStatus::Refused
            };
            let detail =
                serde_json::json!({ "member": sub.email, "area": area, "mode": sub.mode.as_str() });
            s.audit(
                if approve {
                    "subscription.approve"
                } else {
                    "subscription.refuse"
                },
                detail,
            );
            Ok(())
        })
    }

    // ---- api-clients: the host's rules (host/src/runtime/host/api_clients.rs) ----

    fn enter_api_clients(s: &mut State) -> Result<(), HostError> {
        s.enter("api-clients")?;
        s.current_structure("api-clients")?;
        if !s.role.is_some_and(Role::is_manager) {
            return Err(HostError::NotFound(
                "only a primary or secondary manager of this structure can do this".into(),
            ));
        }
        Ok(())
    }

    /// The fake's grantable areas: the tabs, except this area.
    fn grantable_in(s: &State) -> Vec<crate::api_clients::GrantableArea> {
        s.tabs
            .iter()
            .filter(|t| t.id != s.area)
            .map(|t| crate::api_clients::GrantableArea {
                id: t.id.clone(),
                title: t.title.clone(),
            })
            .collect()
    }

    fn fake_secret(s: &mut State) -> String {
        s.next_message += 1;
        format!("pcs_test{:056}", s.next_message)
    }

    pub(crate) fn api_clients_list() -> Result<Vec<crate::api_clients::Client>, HostError> {
        with_state(|s| {
            enter_api_clients(s)?;
            Ok(s.api_clients.iter().map(|(c, _)| c.clone()).collect())
        })
    }

    pub(crate) fn api_clients_grantable()
    -> Result<Vec<crate::api_clients::GrantableArea>, HostError> {
        with_state(|s| {
            enter_api_clients(s)?;
            Ok(grantable_in(s))
        })
    }

    pub(crate) fn api_clients_create(
        new: &crate::api_clients::NewClient,
    ) -> Result<crate::api_clients::Issued, HostError> {
        with_state(|s| {
            enter_api_clients(s)?;
            let mut errors = Vec::new();
            let name = new.name.trim();
            if name.is_empty() || name.chars().count() > 80 {
                errors.push(FieldError::new("name", "1 to 80 characters"));
            }
            let open = grantable_in(s);
            if new.grants.is_empty()
                || new
                    .grants
                    .iter()
                    .any(|g| !open.iter().any(|a| a.id == g.area))
            {
                errors.push(FieldError::new(
                    "grants",
                    "at least one area, among grantable()",
                ));
            }
            if new.expires_ms <= s.now_ms || new.expires_ms > s.now_ms + 2 * 365 * 86_400_000 {
                errors.push(FieldError::new(
                    "expires",
                    "after now, at most two years ahead",
                ));
            }
            if !errors.is_empty() {
                return Err(HostError::Invalid(errors));
            }
            s.next_message += 1;
            let client = crate::api_clients::Client {
                id: format!("pc_test{:025}", s.next_message),
                name: name.to_owned(),
                grants: new.grants.clone(),
                mode: new.mode,
                expires_ms: new.expires_ms,
                created_ms: s.now_ms,
                revoked_ms: None,
                overlap_until_ms: None,
            };
            let secret = fake_secret(s);
            s.api_clients.push((client.clone(), vec![secret.clone()]));
            s.audit(
                "api-client.create",
                serde_json::json!({ "client": client.name, "client_id": client.id }),
            );
            Ok(crate::api_clients::Issued { client, secret })
        })
    }

    pub(crate) fn api_clients_rotate(
        id: &str,
        overlap_until_ms: u64,
    ) -> Result<crate::api_clients::Issued, HostError> {
        with_state(|s| {
            enter_api_clients(s)?;
            if overlap_until_ms > s.now_ms + 30 * 86_400_000 {
                return Err(invalid("overlap", "at most 30 days ahead"));
            }
            let now = s.now_ms;
            let secret = fake_secret(s);
            let Some((client, secrets)) = s
                .api_clients
                .iter_mut()
                .find(|(c, _)| c.id == id && c.active(now))
            else {
                return Err(HostError::NotFound(format!("no API client {id}")));
            };
            client.overlap_until_ms = (overlap_until_ms > now).then_some(overlap_until_ms);
            secrets.push(secret.clone());
            let client = client.clone();
            s.audit(
                "api-client.rotate",
                serde_json::json!({ "client": client.name, "client_id": client.id }),
            );
            Ok(crate::api_clients::Issued { client, secret })
        })
    }

    pub(crate) fn api_clients_revoke(id: &str) -> Result<crate::api_clients::Client, HostError> {
        with_state(|s| {
            enter_api_clients(s)?;
            let now = s.now_ms;
            let Some((client, _)) = s.api_clients.iter_mut().find(|(c, _)| c.id == id) else {
                return Err(HostError::NotFound(format!("no API client {id}")));
            };
            client.revoked_ms.get_or_insert(now);
            let client = client.clone();
            s.audit(
                "api-client.revoke",
                serde_json::json!({ "client": client.name, "client_id": client.id }),
            );
            Ok(client)
        })
    }

    pub(crate) fn directory_history(limit: u32) -> Result<Vec<AuditEntry>, HostError> {
        with_state(|s| {
            s.enter_manager()?;
            Ok(s.history.iter().take(limit as usize).cloned().collect())
        })
    }

    pub(crate) fn account_search_structures(query: &str) -> Result<Vec<StructureMatch>, HostError> {
        with_state(|s| {
            s.enter("account")?;
            // The host's rules (host/src/store/structures.rs): the full
            // identifier finds any structure; a name prefix of at least 4
            // characters finds public ones only.
            let compact: String = query.chars().filter(|c| !c.is_whitespace()).collect();
            if compact.chars().count() < 4 {
                return Err(invalid(
                    "query",
                    "enter the structure's full identifier (14 digits for a SIRET), or at least 4 letters of a public body's name; suppliers are found by their identifier only",
                ));
            }
            let words = |t: &str| {
                t.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase()
            };
            let prefix = words(query);
            Ok(s.searchable
                .iter()
                .filter(|m| {
                    m.structure.id == compact
                        || (m.structure.kind == crate::StructureKind::Public
                            && words(&m.structure.name).starts_with(&prefix))
                })
                .cloned()
                .collect())
        })
    }

    pub(crate) fn account_request_link(
        structure_id: &str,
        services: &[String],
    ) -> Result<(), HostError> {
        with_state(|s| {
            s.enter("account")?;
            let found = s
                .searchable
                .iter_mut()
                .find(|m| m.structure.id == structure_id)
                .ok_or_else(|| not_found(format!("no active structure {structure_id}")))?;
            if found.member || found.pending {
                return Err(HostError::Conflict(format!(
                    "you are already a member of {structure_id} or your request is waiting"
                )));
            }
            for code in services {
                if !found.services.iter().any(|x| x.active && &x.code == code) {
                    return Err(invalid(
                        "services",
                        format!("{} has no active service `{code}`", found.structure.name),
                    ));
                }
            }
            found.pending = true;
            let request = MyLinkRequest {
                structure: found.structure.clone(),
                services: services.to_vec(),
                status: RequestStatus::Pending,
                created_ms: s.now_ms,
                decided_ms: None,
            };
            s.my_link_requests.insert(0, request);
            Ok(())
        })
    }

    pub(crate) fn account_link_requests() -> Result<Vec<MyLinkRequest>, HostError> {
        with_state(|s| {
            s.enter("account")?;
            Ok(s.my_link_requests.clone())
        })
    }

    pub(crate) fn account_subscriptions() -> Result<Vec<AreaSubscription>, HostError> {
        with_state(|s| {
            s.enter("account")?;
            Ok(s.area_subscriptions.clone())
        })
    }

    pub(crate) fn account_request_subscription(
        structure_id: &str,
        area: &str,
        mode: SubscriptionMode,
    ) -> Result<(), HostError> {
        with_state(|s| {
            s.enter("account")?;
            let a = s
                .area_subscriptions
                .iter_mut()
                .find(|a| a.structure.id == structure_id && a.area == area)
                .ok_or_else(|| {
                    not_found(format!(
                        "area `{area}` is not added to a structure you belong to"
                    ))
                })?;
            let same = a.status == Some(RequestStatus::Approved) && a.mode == Some(mode);
            if a.status == Some(RequestStatus::Pending) || same {
                return Err(HostError::Conflict(
                    "you already asked for this subscription".into(),
                ));
            }
            a.mode = Some(mode);
            a.status = Some(RequestStatus::Pending);
            Ok(())
        })
    }

    /// Logging needs no test host: without one, lines go to stderr.
    pub(crate) fn log_write(level: Level, message: &str) {
        let logged = STATE.with(|cell| match cell.borrow_mut().as_mut() {
            Some(s) => {
                s.logs.push((level, message.to_owned()));
                true
            }
            None => false,
        });
        if !logged {
            eprintln!("[{level:?}] {message}");
        }
    }
}

/// The test host refuses what the host refuses, with the same words: both
/// take their rules from `portico-contract`.
#[cfg(test)]
mod contract_tests {
    use super::TestHost;
    use crate::account::{self, NewStructure};
    use crate::{
        HostError, IdentifierType, Service, StructureKind, directory, facts, kv, messages,
    };

    /// Issue 9, defect 4: `kv_list` capped a limit over 1000 where the host
    /// refuses it, so an area tested natively read a short page as the end.
    #[test]
    fn a_listing_over_the_limit_is_refused_not_capped() {
        let _host = TestHost::new().grant(&["kv"]);
        for i in 0..1001 {
            kv::set(&format!("k{i:04}"), b"v").unwrap();
        }
        match kv::list("", None, 1001) {
            Err(HostError::LimitExceeded(m)) => {
                assert!(m.contains("at most 1000") && m.contains("1001"), "{m}");
            }
            other => panic!("expected limit-exceeded, got {other:?}"),
        }
        assert_eq!(kv::list("", None, 1000).unwrap().len(), 1000);
        assert!(matches!(
            kv::list(&"p".repeat(257), None, 10),
            Err(HostError::LimitExceeded(_))
        ));
        // The empty key is a key on the host: so it is here.
        kv::set("", b"empty").unwrap();
        assert_eq!(kv::get("").unwrap().as_deref(), Some(&b"empty"[..]));
    }

    #[test]
    fn fact_and_message_limits_are_the_hosts() {
        let host = TestHost::new().grant(&["facts", "messages"]);
        let big = format!("\"{}\"", "x".repeat(4096));
        assert!(matches!(
            facts::set("big", &big),
            Err(HostError::LimitExceeded(_))
        ));
        assert!(matches!(
            messages::send("73282932000074", "x", "kind", &"p".repeat(256 * 1024 + 1)),
            Err(HostError::LimitExceeded(_))
        ));
        match messages::send("73282932000074", " ", "", "{}") {
            Err(HostError::Invalid(fields)) => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["to-area", "kind"]);
            }
            other => panic!("expected invalid, got {other:?}"),
        }
        // At most 100 messages per call, counted per call.
        struct Chatty;
        impl crate::Area for Chatty {
            fn templates() -> &'static [(&'static str, &'static str)] {
                &[]
            }
            fn handle(
                _: &crate::Context,
                _: &crate::Request,
            ) -> Result<crate::Response, crate::Error> {
                for _ in 0..101 {
                    messages::send("73282932000074", "x", "ping", "{}")?;
                }
                Ok(crate::Response::not_found())
            }
        }
        let answer = host.handle::<Chatty>(&crate::Request::get("/"));
        assert!(
            matches!(&answer, crate::Response::Failed(m) if m.contains("100 messages")),
            "{answer:?}"
        );
    }

    #[test]
    fn timers_are_counted_per_call_as_on_the_host() {
        let host = TestHost::new().grant(&["timers"]);
        struct Busy;
        impl crate::Area for Busy {
            fn templates() -> &'static [(&'static str, &'static str)] {
                &[]
            }
            fn handle(
                cx: &crate::Context,
                _: &crate::Request,
            ) -> Result<crate::Response, crate::Error> {
                for _ in 0..101 {
                    crate::timers::at(cx.now_ms + 1000, "remind", "")?;
                }
                Ok(crate::Response::not_found())
            }
        }
        let answer = host.handle::<Busy>(&crate::Request::get("/"));
        assert!(
            matches!(&answer, crate::Response::Failed(m) if m.contains("100 timers")),
            "{answer:?}"
        );
    }

    /// An area answering `page.html` (the source given) with some data.
    macro_rules! one_page_area {
        ($name:ident, $source:expr) => {
            struct $name;
            impl crate::Area for $name {
                fn templates() -> &'static [(&'static str, &'static str)] {
                    &[("page.html", $source)]
                }
                fn messages() -> &'static [(&'static str, &'static str)] {
                    &[("en", r#"{"hi": "Hello, {name}!"}"#), ("fr", r#"{"hi": "Bonjour, {name} !"}"#)]
                }
                fn handle(
                    _: &crate::Context,
                    _: &crate::Request,
                ) -> Result<crate::Response, crate::Error> {
                    let data = serde_json::json!({ "total": "1234.5", "on": "2027-03-31", "list": [1] });
                    Ok(crate::Response::View(crate::View::new("page.html", "t", &data)?))
                }
            }
        };
    }
    one_page_area!(
        Good,
        "<h1>{{ t(\"hi\", name=ctx.user.first_name) }}</h1><p>{{ data.total|amount }} on {{ data.on|date }}</p><form method=\"post\" action=\"{{ ctx.base_path }}/x\">{{ csrf_field() }}</form>"
    );
    one_page_area!(
        Unclosed,
        "<ul>\n{% for x in data.list %}\n<li>{{ x }}</li>\n"
    );
    one_page_area!(UnknownFilter, "<p>\n{{ data.total|money }}</p>");
    one_page_area!(
        NoCsrf,
        "<form method=\"post\" action=\"/s/1/pages/pay\"><button>Pay</button></form>"
    );

    fn render_panic<A: crate::Area>() -> String {
        let host = TestHost::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            host.handle::<A>(&crate::Request::get("/"))
        }));
        let payload = caught.expect_err("the mistake fails the test");
        payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn the_test_host_renders_templates_and_reports_their_mistakes_with_the_line() {
        let host = TestHost::new();
        let request = crate::Request::get("/");
        let page = host.handle::<Good>(&request);
        let html = host.html::<Good>(&request, &page);
        assert!(html.contains("<h1>Hello, Ada!</h1>"), "{html}");
        assert!(html.contains("€1,234.50 on March 31, 2027"), "{html}");
        let unclosed = render_panic::<Unclosed>();
        assert!(
            unclosed.contains("template `page.html`, line 3: syntax error"),
            "{unclosed}"
        );
        let filter = render_panic::<UnknownFilter>();
        assert!(filter.contains("template `page.html`, line 2"), "{filter}");
        assert!(
            filter.contains("money"),
            "names the unknown filter: {filter}"
        );
        let csrf = render_panic::<NoCsrf>();
        assert!(
            csrf.contains("the POST form to /s/1/pages/pay has no {{ csrf_field() }}"),
            "{csrf}"
        );
    }

    #[test]
    fn identifiers_and_names_follow_the_contract() {
        let _host = TestHost::new().grant(&["account", "directory"]);
        let new = |identifier: &str, identifier_type| NewStructure {
            identifier_type,
            identifier: identifier.into(),
            name: "La Poste".into(),
            kind: StructureKind::Public,
        };
        // La Poste's head office passes Luhn: the SDK used to refuse it.
        let created = account::create_structure(&new("356 000 000 00048", IdentifierType::Siret));
        assert_eq!(created.unwrap().id, "35600000000048");
        for (bad, ty) in [
            ("00000000000000", IdentifierType::Siret),
            ("12345678912345", IdentifierType::Siret),
            ("FR12345678901", IdentifierType::Eu),
            ("AAAAAéAA", IdentifierType::Tahiti),
        ] {
            match account::create_structure(&new(bad, ty)) {
                Err(HostError::Invalid(fields)) => assert_eq!(fields[0].field, "identifier"),
                other => panic!("{bad}: expected invalid, got {other:?}"),
            }
        }
        let service = |code: &str, name: &str| Service {
            code: code.into(),
            name: name.into(),
            active: true,
        };
        directory::create_service(&service(" SRV-1 ", "Accounting")).unwrap();
        assert_eq!(directory::services().unwrap()[0].code, "SRV-1");
        match directory::create_service(&service("a b", " ")) {
            Err(HostError::Invalid(fields)) => assert_eq!(fields.len(), 2),
            other => panic!("expected invalid, got {other:?}"),
        }
    }
}
