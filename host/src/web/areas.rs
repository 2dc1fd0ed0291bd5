//! Serving an area: who is asking, which tabs they see, one sandboxed call,
//! and the answer rendered inside the host layout (or as JSON).

use super::forms::FormData;
use super::security::{AreaTag, RequestId, wants_json};
use super::session::SignedIn;
use super::tabs::{Place, Tab, compose_tabs, verdict};
use super::{AppError, AppState, MAX_AREA_BODY};
use crate::access::{Reason, Verdict};
use crate::auth::FormScope;
use crate::catalog::{Catalog, Loaded};
use crate::config::Scope;
use crate::directory::Role;
use crate::runtime::{Answer, AreaFailure, Call, CallKind, wit};
use crate::store::{PageRead, Structure};
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// Largest JSON data of one view: a page is not a data dump.
pub(crate) const MAX_VIEW_DATA: usize = 4 << 20;

/// Largest file an area may hand out in one response.
pub(crate) const MAX_DOWNLOAD: usize = 32 << 20;

/// How long a request waits for a free sandbox slot before a 503.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// `GET /`: the current structure's first tab, or My account.
pub(crate) async fn root(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let Some(me) = state.signed_in(&headers)? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let memberships = state.store().memberships_of(&me.user.id)?;
    let current = me
        .session
        .current_structure
        .as_deref()
        .and_then(|c| memberships.iter().find(|(s, _)| s.id.as_str() == c))
        .or(memberships.first());
    let target = match current {
        Some((s, _)) => format!("/s/{}/", s.id),
        None => first_user_tab(&state.catalog()).unwrap_or_else(|| "/me/my-account".into()),
    };
    Ok(Redirect::to(&target).into_response())
}

fn first_user_tab(catalog: &Catalog) -> Option<String> {
    catalog
        .areas
        .iter()
        .find(|a| a.spec.scope == Scope::User && a.loaded.is_ok())
        .map(|a| format!("/me/{}", a.spec.id))
}

/// `GET /s/{structure}/`: the structure's first tab.
pub(crate) async fn structure_home(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let Some(me) = state.signed_in(&headers)? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let sid = params.get("structure").cloned().unwrap_or_default();
    let read = state.store().page_read(&me.user.id, Some(&sid))?;
    if read.current.is_none() {
        return Err(AppError::NotFound);
    }
    let catalog = state.catalog();
    let tabs = compose_tabs(&catalog, &place(&read));
    let first = tabs
        .iter()
        .find(|t| t.href.starts_with("/s/"))
        .or(tabs.first())
        .map(|t| t.href.clone())
        .unwrap_or_else(|| "/me/my-account".into());
    Ok(Redirect::to(&first).into_response())
}

/// `ANY /s/{structure}/{area}/{rest..}`
pub(crate) async fn structure_area(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(params): Path<HashMap<String, String>>,
    req: Request,
) -> Result<Response, AppError> {
    let sid = params.get("structure").cloned().unwrap_or_default();
    serve(state, rid, params, Some(sid), req).await
}

/// `ANY /me/{area}/{rest..}`
pub(crate) async fn user_area(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(params): Path<HashMap<String, String>>,
    req: Request,
) -> Result<Response, AppError> {
    serve(state, rid, params, None, req).await
}

/// `GET /bench/native/s/{structure}/homepage` (feature `bench-native` only):
/// the homepage served by [`crate::bench_native::homepage`] instead of the
/// wasm area, through the same session, membership, tab composition and
/// rendering path. For measuring the sandbox tax (BENCHMARKS.md).
#[cfg(feature = "bench-native")]
pub(crate) async fn bench_native_homepage(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Path(mut params): Path<HashMap<String, String>>,
    req: Request,
) -> Result<Response, AppError> {
    let sid = params.get("structure").cloned().unwrap_or_default();
    params.insert("area".into(), "homepage".into());
    params.insert("rest".into(), String::new());
    serve_with(state, rid, params, Some(sid), req, Logic::Native).await
}

/// Who answers the request: the area's sandboxed component, or (benchmarks
/// only) the native twin of the homepage.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Logic {
    Sandbox,
    #[cfg_attr(not(feature = "bench-native"), allow(dead_code))]
    Native,
}

/// Anything else.
pub(crate) async fn fallback() -> AppError {
    AppError::NotFound
}

/// Where the person stands, as the page read it.
fn place(read: &PageRead) -> Place<'_> {
    Place {
        structure: read.structure(),
        installs: &read.installs,
        facts: &read.facts,
        subscriptions: &read.subscriptions,
    }
}

/// Everything known about the request before the sandbox call: read once
/// (session and user, then [`PageRead`]: memberships, installs, facts,
/// subscriptions — fresh on every request, so approvals, removals and new
/// facts show at once), and rendered from, never read again.
struct Prepared {
    request_id: String,
    me: SignedIn,
    catalog: Arc<Catalog>,
    area_index: usize,
    read: PageRead,
    tabs: Vec<Tab>,
    /// `tabs` as a template value, made once for the area's context and
    /// the layout (a shared value: cloning it copies nothing).
    tab_values: Value,
    base_path: String,
    /// What this area's forms are for: posts are checked against it, and
    /// `csrf_field()` prints its token.
    form_scope: FormScope,
}

impl Prepared {
    /// The current structure and the person's role there.
    fn structure(&self) -> Option<(&Structure, Role)> {
        self.read.structure()
    }
}

async fn serve(
    state: AppState,
    rid: RequestId,
    params: HashMap<String, String>,
    sid: Option<String>,
    req: Request,
) -> Result<Response, AppError> {
    serve_with(state, rid, params, sid, req, Logic::Sandbox).await
}

/// A page from the page cache when it holds one that is still true
/// (`page_cache.rs`), else [`serve_fresh`], kept if the area allows.
async fn serve_with(
    state: AppState,
    rid: RequestId,
    params: HashMap<String, String>,
    sid: Option<String>,
    req: Request,
    logic: Logic,
) -> Result<Response, AppError> {
    let cache = state.page_cache();
    let keep_s = match params.get("area") {
        Some(area) if req.method() == Method::GET && cache.enabled() => state
            .catalog()
            .areas
            .iter()
            .find(|a| a.spec.id.as_str() == area)
            .map_or(0, |a| a.spec.page_cache_s),
        _ => 0,
    };
    let session = (keep_s > 0)
        .then(|| super::session::cookie(req.headers(), state.session_cookie_name()))
        .flatten();
    let Some(session) = session else {
        return Ok(serve_fresh(state, rid, params, sid, req, logic).await?.0);
    };
    let key = super::page_cache::PageKey::new(
        &session,
        crate::i18n::current(),
        wants_json(req.headers()),
        logic == Logic::Native,
        req.uri().path_and_query().map_or("/", |p| p.as_str()),
    );
    let now_ms = state.clock().now_ms();
    if let Some(mut kept) = cache.serve(&key, now_ms, state.session_policy(), &rid.0) {
        let area = params.get("area").cloned().unwrap_or_default();
        kept.extensions_mut().insert(AreaTag(area));
        return Ok(kept);
    }
    let epoch = cache.epoch();
    let request_id = rid.0.clone();
    let (fresh, reads) =
        crate::store::watch::recording(serve_fresh(state.clone(), rid, params, sid, req, logic))
            .await;
    let (response, times) = fresh?;
    let Some((session_created_ms, session_last_seen_ms)) = times else {
        return Ok(response);
    };
    let built = super::page_cache::Built {
        reads,
        epoch,
        now_ms,
        keep_s,
        session_created_ms,
        session_last_seen_ms,
        request_id: &request_id,
    };
    cache
        .keep(key, response, built)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading a page to keep: {e}")))
}

/// The page, built: who asks, what they may see, the area's call, the
/// layout. With it, the session's (created, last seen) times when the
/// page is an area's answer (what the page cache checks a kept page by).
async fn serve_fresh(
    state: AppState,
    rid: RequestId,
    params: HashMap<String, String>,
    sid: Option<String>,
    req: Request,
    logic: Logic,
) -> Result<(Response, Option<(u64, u64)>), AppError> {
    let json = wants_json(req.headers());
    let Some(me) = state.signed_in(req.headers())? else {
        if json {
            return Err(AppError::Forbidden(crate::i18n::reference(
                "error.sign-in-first",
                &[],
            )));
        }
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let target = format!("/login?next={}", urlencode(next));
        return Ok((Redirect::to(&target).into_response(), None));
    };
    let times = (me.session.created_ms, me.session.last_seen_ms);
    let area_id = params.get("area").cloned().unwrap_or_default();
    let rest = format!("/{}", params.get("rest").map(String::as_str).unwrap_or(""));
    let catalog = state.catalog();
    let area_index = catalog
        .areas
        .iter()
        .position(|a| a.spec.id.as_str() == area_id)
        .ok_or(AppError::NotFound)?;
    let area = &catalog.areas[area_index];

    let (read, tabs, base_path, form_scope) = match &sid {
        Some(sid) => {
            if area.spec.scope != Scope::Structure {
                return Err(AppError::NotFound);
            }
            let read = state.store().page_read(&me.user.id, Some(sid))?;
            // Not a member: 404, so other structures' existence does not leak.
            let (structure, _) = read.structure().ok_or(AppError::NotFound)?;
            let place = place(&read);
            match verdict(&catalog, area, &place) {
                Verdict::Open => {}
                // Not added, not loaded, or not available to this structure:
                // it does not exist here.
                // Added but closed to everyone here for now: its members may
                // know why (the `when-explained`, never the expression).
                Verdict::Closed(reason) if reason.unavailable() => {
                    return Err(AppError::NotAvailable(crate::i18n::reference(
                        "access.page-not-available",
                        &[
                            ("area", area.spec.title.current()),
                            ("structure", &structure.name),
                            ("reason", &reason.to_string()),
                        ],
                    )));
                }
                Verdict::Closed(reason) if reason.hidden() => return Err(AppError::NotFound),
                Verdict::Closed(reason @ Reason::Role { .. }) => {
                    return Err(AppError::Forbidden(crate::i18n::reference(
                        "access.page-role",
                        &[
                            ("area", area.spec.title.current()),
                            ("structure", &structure.name),
                            ("reason", &reason.to_string()),
                        ],
                    )));
                }
                Verdict::Closed(_) => {
                    return Err(AppError::Forbidden(crate::i18n::reference(
                        "access.page-on-request",
                        &[
                            ("area", area.spec.title.current()),
                            ("structure", &structure.name),
                        ],
                    )));
                }
            }
            let tabs = compose_tabs(&catalog, &place);
            if me.session.current_structure.as_deref() != Some(structure.id.as_str()) {
                state
                    .store()
                    .set_session_structure(&me.session_id, Some(structure.id.as_str()))?;
            }
            let base = format!("/s/{}/{}", structure.id, area.spec.id);
            let scope = FormScope::Structure {
                area: area.spec.id.to_string(),
                structure: structure.id.to_string(),
            };
            (read, tabs, base, scope)
        }
        None => {
            if area.spec.scope != Scope::User || area.loaded.is_err() {
                return Err(AppError::NotFound);
            }
            let read = state
                .store()
                .page_read(&me.user.id, me.session.current_structure.as_deref())?;
            let tabs = compose_tabs(&catalog, &place(&read));
            let base = format!("/me/{}", area.spec.id);
            let scope = FormScope::User {
                area: area.spec.id.to_string(),
            };
            (read, tabs, base, scope)
        }
    };
    let tab_values = Value::from(
        tabs.iter()
            .map(|t| context! { id => t.id.as_str(), title => t.title.as_str(), href => t.href.as_str() })
            .collect::<Vec<_>>(),
    );
    let prepared = Prepared {
        request_id: rid.0.clone(),
        me,
        catalog: catalog.clone(),
        area_index,
        read,
        tabs,
        tab_values,
        base_path,
        form_scope,
    };
    let mut response = call_area(&state, &rid, prepared, rest, json, req, logic).await?;
    response.extensions_mut().insert(AreaTag(area_id));
    Ok((response, Some(times)))
}

async fn call_area(
    state: &AppState,
    rid: &RequestId,
    p: Prepared,
    rest: String,
    json: bool,
    req: Request,
    logic: Logic,
) -> Result<Response, AppError> {
    let area = &p.catalog.areas[p.area_index];
    let Ok(loaded) = &area.loaded else {
        return Err(AppError::NotFound);
    };
    let method = req.method().clone();
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let form = if method == Method::POST {
        let form = FormData::parse(req, MAX_AREA_BODY).await?;
        // The token must be this area's, for this structure: a form that
        // another area printed is refused here.
        if !p.me.form_token_ok(&p.form_scope, form.csrf.as_deref()) {
            return Err(AppError::Csrf);
        }
        form
    } else if method == Method::GET || method == Method::HEAD {
        FormData::default()
    } else {
        return Err(AppError::BadRequest(format!(
            "method {method} is not supported; use GET or POST"
        )));
    };

    let form_values: BTreeMap<String, String> = form.fields.iter().cloned().collect();
    let request = wit::Request {
        method: if method == Method::POST {
            wit::Method::Post
        } else {
            wit::Method::Get
        },
        path: rest,
        query,
        form: form.fields,
        files: form
            .files
            .into_iter()
            .map(|f| wit::Upload {
                field: f.field,
                filename: f.filename,
                content_type: f.content_type,
                bytes: f.bytes,
            })
            .collect(),
    };
    let tabs = p
        .tabs
        .iter()
        .map(|t| wit::Tab {
            id: t.id.clone(),
            title: t.title.clone(),
            href: t.href.clone(),
        })
        .collect();
    let kind = match (area.spec.scope, p.structure()) {
        (Scope::Structure, Some((structure, role))) => CallKind::MemberPage {
            user: &p.me.user,
            structure,
            role,
            tabs,
            request,
        },
        (Scope::Structure, None) => return Err(AppError::NotFound),
        (Scope::User, _) => CallKind::UserPage {
            user: &p.me.user,
            tabs,
            request,
        },
    };
    let call = Call {
        request_id: rid.0.clone(),
        catalog: &p.catalog,
        area,
        kind,
        now_ms: state.clock().now_ms(),
        wait: SLOT_WAIT,
    };

    if logic == Logic::Native {
        let context = call.context();
        let CallKind::MemberPage { request, .. } = &call.kind else {
            return Err(AppError::NotFound);
        };
        let response = crate::bench_native::homepage(&context, request);
        return answer(state, rid, &p, loaded, response, json, form_values);
    }
    let started = std::time::Instant::now();
    // On the request's own task: no thread hand-off (BENCHMARKS.md).
    let outcome = state.sandbox().call(call).await;
    state
        .ops()
        .metrics()
        .call(area.spec.id.as_str(), started.elapsed());

    let response = match outcome {
        Ok(Answer::Page(r)) => r,
        Ok(Answer::Message(_)) => unreachable!("a page call answers a page"),
        Err(failure) => {
            return Ok(failure_page(state, rid, &p, failure, json));
        }
    };
    answer(state, rid, &p, loaded, response, json, form_values)
}

/// Turns the area's response into HTTP.
fn answer(
    state: &AppState,
    rid: &RequestId,
    p: &Prepared,
    loaded: &Loaded,
    response: wit::Response,
    json: bool,
    form: BTreeMap<String, String>,
) -> Result<Response, AppError> {
    let fail = |f: AreaFailure| Ok(failure_page(state, rid, p, f, json));
    match response {
        wit::Response::View(view) => {
            if json {
                // The area's JSON goes out as it came, once checked.
                return match checked_json(&view.data) {
                    Ok(body) => Ok(json_response(body)),
                    Err(f) => fail(f),
                };
            }
            let data = match parse_data(&view.data) {
                Ok(d) => d,
                Err(f) => return fail(f),
            };
            match render_view(
                state,
                p,
                loaded,
                &view,
                data,
                BTreeMap::new(),
                None,
                BTreeMap::new(),
            ) {
                Ok(html) => Ok(Html(html).into_response()),
                Err(f) => fail(f),
            }
        }
        wit::Response::Invalid(invalid) => {
            let lang = crate::i18n::current();
            let tr = |m: &str| crate::i18n::translate_message(lang, Some(&loaded.messages), m);
            let errors: BTreeMap<String, String> = invalid
                .fields
                .iter()
                .map(|f| (f.field.clone(), tr(&f.message)))
                .collect();
            let summary = tr(&invalid.message);
            if json {
                let body = serde_json::json!({ "message": summary, "fields": errors });
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response());
            }
            let data = match parse_data(&invalid.view.data) {
                Ok(d) => d,
                Err(f) => return fail(f),
            };
            match render_view(
                state,
                p,
                loaded,
                &invalid.view,
                data,
                errors,
                Some(summary),
                form,
            ) {
                Ok(html) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response()),
                Err(f) => fail(f),
            }
        }
        wit::Response::Redirect(to) => {
            let target = resolve_redirect(&p.base_path, &to);
            match HeaderValue::from_str(&target) {
                Ok(location) if !target.chars().any(char::is_control) => Ok((
                    StatusCode::SEE_OTHER,
                    [(header::LOCATION, location)],
                )
                    .into_response()),
                _ => fail(AreaFailure::BadAnswer {
                    reason: "the area redirected to an address with control characters (such as a line break); a redirect is one path".into(),
                }),
            }
        }
        wit::Response::Download(d) => {
            if d.bytes.len() > MAX_DOWNLOAD {
                return fail(AreaFailure::BadAnswer {
                    reason: format!(
                        "a download is at most {} MiB; this one is {} bytes",
                        MAX_DOWNLOAD >> 20,
                        d.bytes.len()
                    ),
                });
            }
            let mut r = d.bytes.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                super::forms::download_content_type(&d.content_type),
            );
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                super::forms::attachment(&d.filename),
            );
            Ok(r)
        }
        wit::Response::NotFound => {
            let lang = crate::i18n::current();
            Ok(message_page(
                state,
                rid,
                p,
                StatusCode::NOT_FOUND,
                &crate::i18n::host_text(lang, "error.not-found-title", &[]),
                &crate::i18n::host_text(lang, "error.not-found-in-area", &[]),
                json,
            ))
        }
        wit::Response::Forbidden(reason) => {
            let lang = crate::i18n::current();
            Ok(message_page(
                state,
                rid,
                p,
                StatusCode::FORBIDDEN,
                &crate::i18n::host_text(lang, "error.forbidden-title", &[]),
                &crate::i18n::translate_message(lang, Some(&loaded.messages), &reason),
                json,
            ))
        }
        wit::Response::Failed(message) => fail(AreaFailure::Reported { message }),
    }
}

fn check_size(data: &str) -> Result<(), AreaFailure> {
    if data.len() > MAX_VIEW_DATA {
        return Err(AreaFailure::BadAnswer {
            reason: format!(
                "a view's data is at most {} MiB; got {} bytes",
                MAX_VIEW_DATA >> 20,
                data.len()
            ),
        });
    }
    Ok(())
}

fn not_json(e: serde_json::Error) -> AreaFailure {
    AreaFailure::BadAnswer {
        reason: format!("the view's data is not JSON: {e}"),
    }
}

/// A view's data, text straight into a template value (no intermediate
/// `serde_json::Value`). Empty data is an empty object.
fn parse_data(data: &str) -> Result<Value, AreaFailure> {
    check_size(data)?;
    if data.is_empty() {
        return Ok(Value::from(BTreeMap::<String, Value>::new()));
    }
    serde_json::from_str(data).map_err(not_json)
}

/// A view's data for a JSON client: the area's own text, checked to be one
/// JSON value (without building it) and otherwise passed through untouched.
pub(crate) fn checked_json(data: &str) -> Result<String, AreaFailure> {
    check_size(data)?;
    if data.is_empty() {
        return Ok("{}".into());
    }
    serde_json::from_str::<serde::de::IgnoredAny>(data).map_err(not_json)?;
    Ok(data.to_owned())
}

pub(crate) fn json_response(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Relative paths resolve under the area; absolute paths stay on this site.
pub(crate) fn resolve_redirect(base: &str, to: &str) -> String {
    if to.starts_with("//") || to.contains("://") || to.contains('\\') {
        return base.to_string();
    }
    if to.starts_with('/') {
        to.to_string()
    } else if to.is_empty() || to == "." {
        base.to_string()
    } else {
        format!("{base}/{to}")
    }
}

#[allow(clippy::too_many_arguments)]
fn render_view(
    state: &AppState,
    p: &Prepared,
    loaded: &Loaded,
    view: &wit::View,
    data: Value,
    errors: BTreeMap<String, String>,
    error: Option<String>,
    form: BTreeMap<String, String>,
) -> Result<String, AreaFailure> {
    let template =
        loaded
            .templates
            .get_template(&view.template)
            .map_err(|_| AreaFailure::BadAnswer {
                reason: format!("the area has no template named `{}`", view.template),
            })?;
    let ctx = area_ctx(p);
    let content = template
        .render(context! {
            data,
            errors, error, form, ctx,
            __portico_csrf => p.me.form_token(&p.form_scope),
        })
        .map_err(|e| AreaFailure::BadAnswer {
            reason: format!("template `{}` failed to render: {e}", view.template),
        })?;
    super::area_html::check(&content, &[]).map_err(|why| AreaFailure::BadAnswer {
        reason: format!(
            "the page from template `{}` was refused: {why}",
            view.template
        ),
    })?;
    // Charts are drawn by the host, after the check (see `charts`).
    let content = super::charts::expand(content);
    let title =
        crate::i18n::translate_message(crate::i18n::current(), Some(&loaded.messages), &view.title);
    Ok(layout(state, p, &title, content))
}

fn area_ctx(p: &Prepared) -> Value {
    let area = &p.catalog.areas[p.area_index];
    let (structure, role) = match (&area.spec.scope, p.structure()) {
        (Scope::Structure, Some((s, r))) => (
            Some(
                context! { id => s.id.as_str(), name => s.name.clone(), kind => s.kind.as_str(), identifier_type => s.identifier_type.as_str() },
            ),
            Some(r.as_str()),
        ),
        _ => (None, None),
    };
    context! {
        base_path => p.base_path.clone(),
        area => area.spec.id.as_str(),
        user => context! {
            id => p.me.user.id.to_string(),
            first_name => p.me.user.first_name.clone(),
            last_name => p.me.user.last_name.clone(),
            email => p.me.user.email.clone(),
        },
        structure, role,
        tabs => p.tab_values.clone(),
    }
}

/// The host layout around `content`.
fn layout(state: &AppState, p: &Prepared, title: &str, content: String) -> String {
    let memberships: Vec<Value> = p
        .read
        .memberships
        .iter()
        .map(|(s, r)| context! { id => s.id.as_str(), name => s.name.as_str(), role => r.as_str() })
        .collect();
    let area = &p.catalog.areas[p.area_index];
    let structure = p
        .structure()
        .map(|(s, _)| context! { id => s.id.as_str(), name => s.name.as_str() });
    let ctx = context! {
        title,
        user => context! { first_name => p.me.user.first_name.clone() },
        last_login => p.me.user.previous_login_ms,
        memberships,
        structure,
        invitation => p.read.memberships.is_empty(),
        unverified => (!p.me.user.email_verified).then(|| p.me.user.email.clone()),
        tabs => p.tab_values.clone(),
        current_area => area.spec.id.as_str(),
        dev_notice => state.dev_notice(area.spec.id.as_str()),
        content => Value::from_safe_string(content),
        request_id => p.request_id.clone(),
        __portico_csrf => p.me.host_form_token(),
    };
    state
        .inner
        .pages
        .get_template("layout.html")
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| format!("layout failed: {e}"))
}

/// The layout's header and tab bar for an error page of a signed-in
/// person (a 403 on an area, a 404 in a structure): they keep their way
/// around. The structure is the one in `path` (`/s/{structure}/…`) if they
/// belong to it, else their current one. `None` when not signed in. A
/// second read in a request that failed, and only then.
pub(crate) fn error_chrome(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    path: &str,
) -> Option<Value> {
    let me = state.signed_in(headers).ok()??;
    let mut parts = path.trim_start_matches('/').split('/');
    let (sid, area) = match (parts.next(), parts.next(), parts.next()) {
        (Some("s"), Some(sid), area) => (Some(sid.to_owned()), area),
        (Some("me"), Some(area), _) => (me.session.current_structure.clone(), Some(area)),
        _ => (me.session.current_structure.clone(), None),
    };
    let read = state.store().page_read(&me.user.id, sid.as_deref()).ok()?;
    let catalog = state.catalog();
    let tabs: Vec<Value> = compose_tabs(&catalog, &place(&read))
        .iter()
        .map(|t| context! { id => t.id.as_str(), title => t.title.as_str(), href => t.href.as_str() })
        .collect();
    let memberships: Vec<Value> = read
        .memberships
        .iter()
        .map(|(s, r)| context! { id => s.id.as_str(), name => s.name.as_str(), role => r.as_str() })
        .collect();
    let structure = read
        .structure()
        .map(|(s, _)| context! { id => s.id.as_str(), name => s.name.as_str() });
    Some(context! {
        user => context! { first_name => me.user.first_name.clone() },
        last_login => me.user.previous_login_ms,
        memberships,
        structure,
        unverified => (!me.user.email_verified).then(|| me.user.email.clone()),
        tabs,
        current_area => area.unwrap_or(""),
        __portico_csrf => me.host_form_token(),
    })
}

/// "29 Nov 2026 at 12:30 UTC".
pub(crate) fn format_time(ms: u64) -> String {
    let fmt = time::macros::format_description!(
        "[day padding:none] [month repr:short] [year] at [hour]:[minute] UTC"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

/// Longest failure cause written to the log, in bytes.
const MAX_LOGGED_CAUSE: usize = 2048;

/// The tab's error panel: the layout and the other tabs stay usable.
fn failure_page(
    state: &AppState,
    rid: &RequestId,
    p: &Prepared,
    failure: AreaFailure,
    json: bool,
) -> Response {
    let status =
        StatusCode::from_u16(failure.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let area = &p.catalog.areas[p.area_index];
    // The cause, whatever it is (a trap, a refused answer, the area's own
    // `failed` message), with the request id the person sees on the panel.
    // Escaped and capped: an area's words never reach the log raw.
    let mut cause = crate::runtime::host::log::escape(&crate::i18n::translate_embedded(
        crate::i18n::Lang::En,
        &failure.to_string(),
    ));
    if cause.len() > MAX_LOGGED_CAUSE {
        let cut = cause.floor_char_boundary(MAX_LOGGED_CAUSE);
        cause.truncate(cut);
        cause.push('…');
    }
    tracing::warn!(request_id = %rid.0, area = %area.spec.id, status = status.as_u16(), %cause, "area call failed");
    state
        .ops()
        .metrics()
        .failure(area.spec.id.as_str(), &failure, state.clock().now_ms());
    if json {
        let body = serde_json::json!({ "error": failure.public_message(), "area": area.spec.id.as_str(), "request_id": rid.0 });
        let mut r = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after(&failure) {
            r.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        return r;
    }
    let content = state
        .inner
        .pages
        .get_template("error.html")
        .and_then(|t| {
            t.render(context! {
                heading => crate::i18n::host_text(crate::i18n::current(), "error.could-not-answer", &[("area", area.spec.title.current())]),
                message => failure.public_message(),
                detail => crate::i18n::host_text(crate::i18n::current(), "error.logged", &[]),
                request_id => rid.0.clone(),
                other_tabs => true,
            })
        })
        .unwrap_or_default();
    let title = crate::i18n::host_text(crate::i18n::current(), "error.title", &[]);
    let mut r = (status, Html(layout(state, p, &title, content))).into_response();
    if let Some(secs) = retry_after(&failure) {
        r.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    r
}

/// When to retry a call that failed for want of a resource: a sandbox slot
/// (soon) or a storage that cannot write (an operator must free space).
fn retry_after(failure: &AreaFailure) -> Option<u64> {
    match failure {
        AreaFailure::Busy => Some(1),
        AreaFailure::Storage { .. } => Some(super::error::STORAGE_RETRY_AFTER_SECS),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn message_page(
    state: &AppState,
    rid: &RequestId,
    p: &Prepared,
    status: StatusCode,
    heading: &str,
    message: &str,
    json: bool,
) -> Response {
    if json {
        return (
            status,
            axum::Json(serde_json::json!({ "error": message, "request_id": rid.0 })),
        )
            .into_response();
    }
    let content = state
        .inner
        .pages
        .get_template("error.html")
        .and_then(|t| {
            t.render(
                context! { heading, message, request_id => rid.0.clone(), other_tabs => false },
            )
        })
        .unwrap_or_default();
    (status, Html(layout(state, p, heading, content))).into_response()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_site() {
        assert_eq!(resolve_redirect("/s/1/a", "/s/1/b"), "/s/1/b");
        assert_eq!(resolve_redirect("/s/1/a", "edit"), "/s/1/a/edit");
        assert_eq!(resolve_redirect("/s/1/a", "//evil.example"), "/s/1/a");
        assert_eq!(resolve_redirect("/s/1/a", "https://evil.example"), "/s/1/a");
    }

    #[test]
    fn time_is_readable() {
        assert_eq!(format_time(1_795_955_400_000), "29 Nov 2026 at 12:30 UTC");
    }
}
