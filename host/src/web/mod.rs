//! The HTTP face of Portico: axum routes, sessions and CSRF at the edge,
//! tab composition, and rendering of area views inside the host layout.
//!
//! Invariant: this module never touches sled; it goes through [`Store`].

mod account_pages;
mod account_security;
mod area_html;
pub(crate) mod areas;
mod canonical;
mod charts;
mod error;
pub(crate) mod forms;
mod ops;
mod page_cache;
mod recovery;
pub(crate) mod security;
pub(crate) mod session;
mod tabs;
pub mod templates;
mod test_clock;
mod user_agent;

pub use error::AppError;
pub use tabs::{Place, Tab, compose_tabs, verdict};

use crate::auth::{LoginThrottle, Passwords, RateLimit, SessionPolicy};
use crate::catalog::Catalog;
use crate::mail::{MailConfig, Mailer};
use crate::runtime::{MAX_CONCURRENT_CALLS, Runtime, Sandbox};
use crate::store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// Largest request body an area accepts: attachments are < 10 MB each in the
/// domain, plus form fields and multipart overhead.
pub const MAX_AREA_BODY: usize = 24 << 20;

/// Largest body of the sign-in and sign-up forms.
pub const MAX_AUTH_BODY: usize = 16 << 10;

/// What the edge enforces besides sessions, from `serve`'s flags.
#[derive(Clone, Debug, Default)]
pub struct EdgePolicy {
    /// `--metrics-token`: `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// `--trusted-proxy`: peers whose `X-Forwarded-For` / `Forwarded` header
    /// names the client (the address throttling counts). Others' are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Sign-ups one client address may make per [`SIGNUP_WINDOW`]: an office
/// signing up its staff fits, a script creating accounts does not.
pub const SIGNUP_PER_ADDRESS: usize = 20;
/// The window of [`SIGNUP_PER_ADDRESS`].
pub const SIGNUP_WINDOW: Duration = Duration::from_secs(60 * 60);
/// "Forgot password" requests one client address may make per
/// [`FORGOT_WINDOW`].
pub const FORGOT_PER_ADDRESS: usize = 10;
/// The window of [`FORGOT_PER_ADDRESS`].
pub const FORGOT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Messages Portico sends one email address per [`MAIL_WINDOW`], whatever
/// asks for them (sign-up, reset, new link): nobody's mailbox can be flooded
/// through Portico, and a person who lost a message can still ask again.
pub const MAIL_PER_RECIPIENT: usize = 3;
/// The window of [`MAIL_PER_RECIPIENT`].
pub const MAIL_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The request budgets of the pages that send mail.
struct MailBudgets {
    signup_per_ip: RateLimit,
    forgot_per_ip: RateLimit,
    per_recipient: RateLimit,
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: RwLock<Arc<Catalog>>,
    sandbox: Arc<Sandbox>,
    store: Store,
    passwords: Passwords,
    throttle: LoginThrottle,
    policy: SessionPolicy,
    secure_cookies: bool,
    pages: minijinja::Environment<'static>,
    ops: crate::ops::OpsState,
    edge: EdgePolicy,
    mailer: Mailer,
    budgets: MailBudgets,
    /// `https://portal.example.fr`: the start of every link in a mail. Set
    /// by configuration, or to the listening address once bound; never
    /// taken from a request's `Host` header (which an attacker chooses, and
    /// would then receive the reset link).
    public_url: OnceLock<String>,
    /// `portico dev` only: per area, why its newest build is not serving
    /// (compiler or load errors), shown above the area's page.
    dev_notices: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    /// Kept pages of areas that allow it (`page_cache.rs`).
    page_cache: page_cache::PageCache,
}

/// `--page-cache-mib`'s default.
pub const PAGE_CACHE_DEFAULT_MIB: usize = page_cache::DEFAULT_BUDGET_MIB;

impl AppState {
    /// Wires the state. `secure_cookies` when served over https (adds
    /// `Secure` and the `__Host-` cookie prefix).
    pub fn new(
        catalog: Catalog,
        runtime: Arc<Runtime>,
        store: Store,
        secure_cookies: bool,
    ) -> anyhow::Result<AppState> {
        Self::with_edge(
            catalog,
            runtime,
            store,
            secure_cookies,
            EdgePolicy::default(),
        )
    }

    /// [`AppState::new`] with the edge's policy (metrics token, trusted proxies).
    pub fn with_edge(
        catalog: Catalog,
        runtime: Arc<Runtime>,
        store: Store,
        secure_cookies: bool,
        edge: EdgePolicy,
    ) -> anyhow::Result<AppState> {
        Ok(AppState {
            inner: Arc::new(Inner {
                catalog: RwLock::new(Arc::new(catalog)),
                sandbox: Arc::new(Sandbox::new(runtime, store.clone())),
                passwords: Passwords::new()?,
                throttle: LoginThrottle::new(store.clone()),
                policy: SessionPolicy::default(),
                secure_cookies,
                pages: templates::host_environment(),
                ops: crate::ops::OpsState::new(MAX_CONCURRENT_CALLS as usize),
                edge,
                mailer: Mailer::new(&MailConfig::default(), store.data_dir())?,
                budgets: MailBudgets {
                    signup_per_ip: RateLimit::new(
                        store.clone(),
                        "signup-address",
                        SIGNUP_PER_ADDRESS,
                        SIGNUP_WINDOW,
                    ),
                    forgot_per_ip: RateLimit::new(
                        store.clone(),
                        "forgot-address",
                        FORGOT_PER_ADDRESS,
                        FORGOT_WINDOW,
                    ),
                    per_recipient: RateLimit::new(
                        store.clone(),
                        "mail-recipient",
                        MAIL_PER_RECIPIENT,
                        MAIL_WINDOW,
                    ),
                },
                public_url: OnceLock::new(),
                dev_notices: Default::default(),
                page_cache: page_cache::PageCache::new(
                    PAGE_CACHE_DEFAULT_MIB,
                    store.generations().cloned(),
                ),
                store,
            }),
        })
    }

    /// Replaces the default mailer (the mailbox under the data directory).
    /// Call before serving: it needs the only handle on the state.
    pub fn with_mailer(mut self, mailer: Mailer) -> anyhow::Result<AppState> {
        Arc::get_mut(&mut self.inner)
            .ok_or_else(|| anyhow::anyhow!("the mailer is set before the state is shared"))?
            .mailer = mailer;
        Ok(self)
    }

    /// Gives the page cache `mib` of memory (0: off). Call before serving.
    pub fn with_page_cache_mib(mut self, mib: usize) -> anyhow::Result<AppState> {
        let inner = Arc::get_mut(&mut self.inner)
            .ok_or_else(|| anyhow::anyhow!("the page cache is sized before the state is shared"))?;
        inner.page_cache = page_cache::PageCache::new(mib, inner.store.generations().cloned());
        Ok(self)
    }

    /// The page cache.
    pub(crate) fn page_cache(&self) -> &page_cache::PageCache {
        &self.inner.page_cache
    }

    /// `portico dev`: shows `text` (a build's or a load's errors) above
    /// `area`'s page, or clears it (`None`).
    pub fn set_dev_notice(&self, area: &str, text: Option<String>) {
        let mut notices = self
            .inner
            .dev_notices
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match text {
            Some(t) => notices.insert(area.to_owned(), t),
            None => notices.remove(area),
        };
        drop(notices);
        self.inner.page_cache.bump();
    }

    /// The `portico dev` notice of `area`, if any.
    pub(crate) fn dev_notice(&self, area: &str) -> Option<String> {
        self.inner
            .dev_notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(area)
            .cloned()
    }

    /// Sets the public address links in mail start with (first call wins).
    pub fn set_public_url(&self, url: &str) {
        let _ = self
            .inner
            .public_url
            .set(url.trim_end_matches('/').to_string());
    }

    /// An absolute link to `path` (which starts with `/`) for a mail.
    pub(crate) fn public_link(&self, path: &str) -> String {
        let base = self
            .inner
            .public_url
            .get()
            .map_or("http://localhost", String::as_str);
        format!("{base}{path}")
    }

    /// Outgoing mail.
    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    /// The catalog as of now; a request keeps the one it started with.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner
            .catalog
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the catalog atomically; in-flight requests finish on the old one.
    pub fn swap_catalog(&self, catalog: Catalog) {
        drop(self.swap_catalog_returning(catalog));
    }

    /// Replaces the catalog and hands back the previous one, so that the
    /// caller (the reload thread) frees it, not the lock holder.
    pub fn swap_catalog_returning(&self, catalog: Catalog) -> Arc<Catalog> {
        let new = Arc::new(catalog);
        let mut current = self
            .inner
            .catalog
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let old = std::mem::replace(&mut *current, new);
        drop(current);
        // After the swap: a page that read the old catalogue is older.
        self.inner.page_cache.bump();
        old
    }

    /// Operations state: metrics and reload history.
    pub fn ops(&self) -> &crate::ops::OpsState {
        &self.inner.ops
    }

    /// Allows at most `n` (1 ≤ n ≤ [`MAX_CONCURRENT_CALLS`]) sandboxed calls
    /// at once; call before serving. Returns the number in force.
    pub fn limit_concurrent_calls(&self, n: usize) -> usize {
        let n = self.inner.sandbox.limit_concurrent_calls(n);
        self.inner.ops.set_sandbox_slots(n);
        n
    }

    /// Sandboxed calls running now.
    pub fn sandbox_slots_in_use(&self) -> usize {
        self.inner.sandbox.slots_in_use()
    }

    /// The host's one clock (the store's): sessions, throttling, delivery,
    /// timers and audit all read the time here.
    pub fn clock(&self) -> &crate::clock::Clock {
        self.inner.store.clock()
    }

    /// The data store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The sandbox: the one entry through which every area is called.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.inner.sandbox
    }
}

/// The router of `serve --metrics-listen`: `/metrics` alone, open to
/// whoever reaches that address (bind it where only the scraper can).
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}

/// `/healthz`: `ok` while the server serves and its storage can write;
/// 503 with the reason (and `Retry-After`) while it cannot, e.g. a full
/// disk. A failed storage is reopened from here too, once space is back.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let store = state.store().clone();
    let health = tokio::task::spawn_blocking(move || store.health()).await;
    match health {
        Ok(Ok(())) => "ok\n".into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: storage cannot write");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [(
                    axum::http::header::RETRY_AFTER,
                    error::STORAGE_RETRY_AFTER_SECS.to_string(),
                )],
                format!(
                    "unavailable: {}\n",
                    e.unavailable_reason().unwrap_or("the storage cannot write")
                ),
            )
                .into_response()
        }
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("unavailable: the health check failed ({e})\n"),
        )
            .into_response(),
    }
}

/// The router, with every route of ARCHITECTURE.md's "Interfaces".
pub fn app(state: AppState) -> Router {
    let auth_routes = Router::new()
        .route(
            "/login",
            get(account_pages::login_page).post(account_pages::login),
        )
        .route(
            "/signup",
            get(account_pages::signup_page).post(account_pages::signup),
        )
        .route("/logout", post(account_pages::logout))
        .route("/language", post(account_pages::set_language))
        .route(
            "/password/forgot",
            get(recovery::forgot_page).post(recovery::forgot),
        )
        .route(
            "/password/reset",
            get(recovery::reset_page).post(recovery::reset),
        )
        .route(
            "/email/confirm",
            get(recovery::confirm_page).post(recovery::confirm),
        )
        .route("/email/resend", post(recovery::resend))
        .route(
            "/email/change/confirm",
            get(recovery::change_page).post(recovery::change),
        )
        .route("/account/security", get(account_security::page))
        .route(
            "/account/security/email",
            post(account_security::change_email),
        )
        .route(
            "/account/security/password",
            post(account_security::change_password),
        )
        .route(
            "/account/security/sessions/end",
            post(account_security::end_session),
        )
        .route(
            "/account/security/sessions/end-others",
            post(account_security::end_other_sessions),
        )
        .layer(DefaultBodyLimit::max(MAX_AUTH_BODY));
    let area_routes = Router::new()
        .route("/s/{structure}", get(areas::structure_home))
        .route(
            "/s/{structure}/{area}",
            get(areas::structure_area).post(areas::structure_area),
        )
        .route(
            "/s/{structure}/{area}/{*rest}",
            get(areas::structure_area).post(areas::structure_area),
        )
        .route("/me/{area}", get(areas::user_area).post(areas::user_area))
        .route(
            "/me/{area}/{*rest}",
            get(areas::user_area).post(areas::user_area),
        )
        .layer(DefaultBodyLimit::max(MAX_AREA_BODY));
    #[cfg(feature = "bench-native")]
    let area_routes = area_routes.route(
        "/bench/native/s/{structure}/homepage",
        get(areas::bench_native_homepage),
    );
    // Tests only: exists when the clock is movable (PORTICO_TEST_MOVABLE_CLOCK=1).
    let area_routes = if state.clock().is_movable() {
        area_routes.route("/test/clock", post(test_clock::advance))
    } else {
        area_routes
    };
    let api_routes = Router::new()
        .route("/oauth/token", post(crate::api::token::issue))
        .route("/api/openapi.json", get(crate::api::openapi::serve))
        .layer(DefaultBodyLimit::max(crate::api::token::MAX_TOKEN_BODY))
        .merge(
            Router::new()
                .route(
                    "/api/v1/s/{structure}/{area}",
                    axum::routing::any(crate::api::calls::area_call),
                )
                .route(
                    "/api/v1/s/{structure}/{area}/",
                    axum::routing::any(crate::api::calls::area_call),
                )
                .route(
                    "/api/v1/s/{structure}/{area}/{*rest}",
                    axum::routing::any(crate::api::calls::area_call),
                )
                .layer(DefaultBodyLimit::max(MAX_AREA_BODY)),
        )
        .merge(crate::dataflows::api::routes());
    Router::new()
        .route("/", get(areas::root))
        .route("/healthz", get(healthz))
        .route("/metrics", get(ops::guarded_metrics))
        .route("/ops", get(ops::console))
        .route("/static/portico.css", get(security::stylesheet))
        .merge(auth_routes)
        .merge(area_routes)
        .merge(api_routes)
        .fallback(areas::fallback)
        // Bearer authentication, counting and history of `/api/v1/…`.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::api::guard,
        ))
        .layer(axum::middleware::from_fn(canonical::trailing_slash))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::edge,
        ))
        .with_state(state)
}
