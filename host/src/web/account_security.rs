//! "Sign-in and security" (`/account/security`), linked from My account and
//! the header: where the account is signed in (ending any or all of those
//! sessions), the login email (changed through a link to the new address,
//! the old one warned) and the password.
//!
//! These are host pages, not an area's: sessions and credentials are the
//! host's business, and no area (not even one granted `account`) ever sees
//! a session, a password or a link. Every change asks for the current
//! password, is throttled like a sign-in, audited, and mailed to the owner.

use super::account_pages::client_ip;
use super::forms::FormData;
use super::security::RequestId;
use super::session::SignedIn;
use super::{AppError, AppState, MAX_AUTH_BODY};
use crate::auth::{self, tokens::Purpose};
use crate::i18n::{language_of, localize, tr};
use crate::mail::letters;
use crate::store::Store;
use axum::Extension;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Renders a host template inside the layout for a signed-in person.
pub(super) fn signed_in_page(
    state: &AppState,
    me: &SignedIn,
    rid: &RequestId,
    template: &str,
    title: &str,
    ctx: Value,
) -> Result<String, AppError> {
    let pages = &state.inner.pages;
    let csrf = me.host_form_token();
    let content = pages
        .get_template(template)
        .and_then(|t| t.render(context! { __portico_csrf => csrf.clone(), ..ctx }))
        .map_err(|e| AppError::Internal(e.into()))?;
    pages
        .get_template("layout.html")
        .and_then(|t| {
            t.render(context! {
                title,
                user => context! { first_name => me.user.first_name.clone() },
                last_login => me.user.previous_login_ms,
                unverified => (!me.user.email_verified).then(|| me.user.email.clone()),
                content => Value::from_safe_string(content),
                request_id => rid.0.clone(),
                __portico_csrf => csrf,
            })
        })
        .map_err(|e| AppError::Internal(e.into()))
}

/// The query of `GET /account/security`.
#[derive(Deserialize)]
pub(crate) struct PageQuery {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<String> {
    let key = match done? {
        "email-sent" => "security.notice-email-sent",
        "email" => "security.notice-email",
        "password" => "security.notice-password",
        "ended" => "security.notice-ended",
        "ended-others" => "security.notice-ended-others",
        _ => return None,
    };
    Some(tr(key, &[]))
}

fn page_html(
    state: &AppState,
    me: &SignedIn,
    rid: &RequestId,
    notice: Option<&str>,
    form: BTreeMap<String, String>,
    errors: BTreeMap<&str, String>,
) -> Result<String, AppError> {
    let current = Store::session_handle(&me.session_id);
    let sessions: Vec<Value> = state
        .store()
        .sessions_of(&me.user.id)?
        .into_iter()
        .map(|e| {
            context! {
                browser => super::user_agent::describe(&e.session.user_agent),
                ip => e.session.ip,
                created => e.session.created_ms,
                last_seen => e.session.last_seen_ms,
                current => e.handle == current,
                handle => e.handle,
            }
        })
        .collect();
    let pending_email = state
        .store()
        .pending_new_email(&me.user.id, state.clock().now_ms())?;
    signed_in_page(
        state,
        me,
        rid,
        "security.html",
        &tr("layout.security", &[]),
        context! {
            notice, sessions, form, pending_email,
            errors => errors.into_iter().map(|(k, v)| (k, localize(&v))).collect::<BTreeMap<_, _>>(),
            email => me.user.email.clone(),
            verified => me.user.email_verified,
        },
    )
}

fn sign_in_first() -> Response {
    Redirect::to("/login?next=%2Faccount%2Fsecurity").into_response()
}

/// `GET /account/security`
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(me) = state.signed_in(&headers)? else {
        return Ok(sign_in_first());
    };
    let html = page_html(
        &state,
        &me,
        &rid,
        notice(q.done.as_deref()).as_deref(),
        BTreeMap::new(),
        BTreeMap::new(),
    )?;
    Ok(Html(html).into_response())
}

/// A signed-in form post: the session, its CSRF token checked, the fields.
async fn signed_in_post(
    state: &AppState,
    req: Request,
) -> Result<Option<(SignedIn, FormData, IpAddr)>, AppError> {
    let headers = req.headers().clone();
    let ip = client_ip(state, &req);
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    let Some(me) = state.signed_in(&headers)? else {
        return Ok(None);
    };
    if !me.form_token_ok(&auth::FormScope::Host, form.csrf.as_deref()) {
        return Err(AppError::Csrf);
    }
    Ok(Some((me, form, ip)))
}

/// Checks the current password, throttled like a sign-in (a stolen session
/// must not become a password oracle). `Err(message)` for the field.
async fn current_password_ok(
    state: &AppState,
    me: &SignedIn,
    ip: IpAddr,
    password: String,
) -> Result<(), String> {
    let now = state.clock().now_ms();
    if let Err(wait) = state.inner.throttle.check(&me.user.email, ip, now) {
        return Err(tr(
            "security.too-many-passwords",
            &[("wait", &auth::rate::plain_wait(wait))],
        ));
    }
    if state
        .inner
        .passwords
        .verify(Some(&me.user.password_hash), password)
        .await
    {
        state.inner.throttle.record_success(&me.user.email, ip, now);
        Ok(())
    } else {
        state.inner.throttle.record_failure(&me.user.email, ip, now);
        Err(tr("security.wrong-password", &[]))
    }
}

fn audit(state: &AppState, me: &SignedIn, action: &str, detail: serde_json::Value) {
    if let Err(e) = state
        .store()
        .audit(&me.user.id, None, action, detail, state.clock().now_ms())
    {
        tracing::warn!(error = %e, "audit write failed");
    }
}

fn redisplay(
    state: &AppState,
    me: &SignedIn,
    rid: &RequestId,
    form: &FormData,
    errors: BTreeMap<&str, String>,
) -> Result<Response, AppError> {
    let kept = form
        .fields
        .iter()
        .filter(|(k, _)| !k.contains("password"))
        .cloned()
        .collect();
    let html = page_html(state, me, rid, None, kept, errors)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

/// `POST /account/security/email`: asks to sign in with another address.
pub(crate) async fn change_email(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let Some((me, form, ip)) = signed_in_post(&state, req).await? else {
        return Ok(sign_in_first());
    };
    let mut errors = BTreeMap::new();
    let new_email = match auth::normalize_email(form.get("new-email").unwrap_or("")) {
        Ok(e) if e == me.user.email => {
            errors.insert("new-email", tr("security.same-email", &[]));
            None
        }
        Ok(e) => Some(e),
        Err(m) => {
            errors.insert("new-email", m);
            None
        }
    };
    let password = form.get("password").unwrap_or("").to_string();
    if let Err(m) = current_password_ok(&state, &me, ip, password).await {
        errors.insert("email-password", m);
    }
    let Some(new_email) = new_email.filter(|_| errors.is_empty()) else {
        return redisplay(&state, &me, &rid, &form, errors);
    };
    if let Err(wait) = state
        .inner
        .budgets
        .per_recipient
        .hit(&new_email, state.clock().now_ms())
    {
        return Err(AppError::TooMany(wait.as_secs().max(1)));
    }
    // The link is stored even when the address is taken (it will then fail
    // when used): the page shows the same pending change either way, so a
    // signed-in person cannot probe which addresses have accounts.
    let link = auth::tokens::new_link(me.user.id.as_str());
    state.store().put_account_link(
        &me.user.id,
        Purpose::ChangeEmail,
        &link.secret_hash,
        state.clock().now_ms(),
        Some(new_email.clone()),
    )?;
    let taken = state.store().user_by_email(&new_email)?;
    let hours = Purpose::ChangeEmail.lifetime().as_secs() / 3600;
    let lang = crate::i18n::current();
    let mine = language_of(me.user.language.as_deref(), lang);
    state.mailer().send(if let Some(other) = taken {
        letters::email_in_use(language_of(other.language.as_deref(), lang), &new_email)
    } else {
        letters::confirm_new_email(
            mine,
            &new_email,
            &me.user.first_name,
            &state.public_link(&format!("/email/change/confirm?t={}", link.token)),
            hours,
        )
    });
    state.mailer().send(letters::email_change_requested(
        mine,
        &me.user.email,
        &me.user.first_name,
        &new_email,
        &state.public_link("/password/forgot"),
    ));
    audit(
        &state,
        &me,
        "account.email-change-requested",
        serde_json::json!({}),
    );
    Ok(Redirect::to("/account/security?done=email-sent").into_response())
}

/// `POST /account/security/password`
pub(crate) async fn change_password(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let Some((me, form, ip)) = signed_in_post(&state, req).await? else {
        return Ok(sign_in_first());
    };
    let mut errors = BTreeMap::new();
    let new = form.get("new-password").unwrap_or("").to_string();
    if let Err(m) = auth::validate_new_password(&new) {
        errors.insert("new-password", m);
    }
    let current = form.get("current-password").unwrap_or("").to_string();
    if let Err(m) = current_password_ok(&state, &me, ip, current).await {
        errors.insert("current-password", m);
    }
    if !errors.is_empty() {
        return redisplay(&state, &me, &rid, &form, errors);
    }
    let hash = state
        .inner
        .passwords
        .hash(new)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let store = state.store().clone();
    let (uid, keep) = (me.user.id.clone(), me.session_id.clone());
    let ended = tokio::task::spawn_blocking(move || store.change_password(&uid, &hash, &keep))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    audit(
        &state,
        &me,
        "account.password-changed",
        serde_json::json!({ "other_sessions_ended": ended }),
    );
    state.mailer().send(letters::password_changed(
        language_of(me.user.language.as_deref(), crate::i18n::current()),
        &me.user.email,
        &me.user.first_name,
        letters::ChangedBy::SecurityPage,
        &state.public_link("/password/forgot"),
    ));
    Ok(Redirect::to("/account/security?done=password").into_response())
}

/// `POST /account/security/sessions/end` (`session`: a handle from the list).
pub(crate) async fn end_session(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, AppError> {
    let Some((me, form, _)) = signed_in_post(&state, req).await? else {
        return Ok(sign_in_first());
    };
    let handle = form.get("session").unwrap_or("").to_string();
    if handle == Store::session_handle(&me.session_id) {
        // Ending this browser's own session is signing out.
        state.store().delete_session(&me.session_id)?;
        let mut r = Redirect::to("/login").into_response();
        if let Ok(v) = HeaderValue::from_str(&auth::clear_session_cookie(state.secure_cookies())) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        return Ok(r);
    }
    // Another person's handle ends nothing: the store checks the owner.
    if state.store().end_session(&me.user.id, &handle)? {
        audit(&state, &me, "account.session-ended", serde_json::json!({}));
    }
    Ok(Redirect::to("/account/security?done=ended").into_response())
}

/// `POST /account/security/sessions/end-others`
pub(crate) async fn end_other_sessions(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, AppError> {
    let Some((me, _, _)) = signed_in_post(&state, req).await? else {
        return Ok(sign_in_first());
    };
    let ended = state
        .store()
        .end_other_sessions(&me.user.id, &me.session_id)?;
    audit(
        &state,
        &me,
        "account.other-sessions-ended",
        serde_json::json!({ "ended": ended }),
    );
    Ok(Redirect::to("/account/security?done=ended-others").into_response())
}
