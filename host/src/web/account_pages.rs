//! Sign-up, sign-in and sign-out.
//!
//! Forms shown before sign-in are protected by a double-submit token: a
//! random `SameSite=Strict` cookie that the form must echo. After sign-in the
//! token is bound to the server-side session, which is rotated at sign-in.

use super::forms::FormData;
use super::security::RequestId;
use super::session::cookie;
use super::templates::FormToken;
use super::{AppError, AppState, MAX_AUTH_BODY};
use crate::auth;
use crate::i18n::{localize, tr};
use crate::store::{NewUser, Session};
use axum::Extension;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// The query of `GET /login`.
#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
    /// Set after an outcome the page should explain (`confirmed`, `reset`,
    /// `email-changed`).
    done: Option<String>,
}

/// What the sign-in page says after a link did its work.
fn login_notice(done: Option<&str>) -> Option<String> {
    let key = match done? {
        "confirmed" => "account.notice-confirmed",
        "reset" => "account.notice-reset",
        "email-changed" => "account.notice-email-changed",
        _ => return None,
    };
    Some(tr(key, &[]))
}

/// Only same-site absolute paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 2048
    })
    .map(str::to_owned)
}

impl AppState {
    /// The pre-session token of this browser, and the Set-Cookie to send if new.
    pub(super) fn pre_session(&self, headers: &HeaderMap) -> (String, Option<String>) {
        match cookie(
            headers,
            auth::pre_session_cookie_name(self.secure_cookies()),
        ) {
            Some(t) if t.len() >= 16 => (t, None),
            _ => {
                let t = auth::new_csrf_token();
                let c = auth::pre_session_cookie(&t, self.secure_cookies());
                (t, Some(c))
            }
        }
    }

    pub(super) fn anonymous_page(
        &self,
        template: &str,
        title: &str,
        ctx: Value,
        token: &str,
        request_id: &str,
    ) -> Result<String, AppError> {
        let pages = &self.inner.pages;
        let content = pages
            .get_template(template)
            .and_then(|t| {
                t.render(context! { __portico_csrf => FormToken::value(token.into()), ..ctx })
            })
            .map_err(|e| AppError::Internal(e.into()))?;
        pages
            .get_template("layout.html")
            .and_then(|t| {
                t.render(context! {
                    title, request_id, __portico_csrf => FormToken::value(token.into()),
                    content => Value::from_safe_string(content),
                })
            })
            .map_err(|e| AppError::Internal(e.into()))
    }
}

pub(super) fn with_cookie(mut response: Response, set_cookie: Option<String>) -> Response {
    if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// The address throttling counts: the client's, seen through trusted proxies.
pub(crate) fn client_ip(state: &AppState, req: &Request) -> IpAddr {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    state.client_address(req.headers(), peer)
}

/// `GET /login`
pub(crate) async fn login_page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if state.signed_in(&headers)?.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let (token, set) = state.pre_session(&headers);
    let html = state.anonymous_page(
        "login.html",
        &tr("account.login-title", &[]),
        context! {
            next => safe_next(q.next.as_deref()), form => BTreeMap::<String, String>::new(),
            notice => login_notice(q.done.as_deref()),
        },
        &token,
        &rid.0,
    )?;
    Ok(with_cookie(Html(html).into_response(), set))
}

/// `POST /login`
pub(crate) async fn login(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let ip = client_ip(&state, &req);
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    let (token, _) = state.pre_session(&headers);
    check_pre_session(&state, &headers, &form)?;
    let email_input = form.get("email").unwrap_or("").trim().to_string();
    let email =
        auth::normalize_email(&email_input).unwrap_or_else(|_| email_input.to_ascii_lowercase());
    let password = form.get("password").unwrap_or("").to_string();
    let next = safe_next(form.get("next"));
    let now = state.clock().now_ms();

    let failed = |state: &AppState,
                  message: &str,
                  status: StatusCode|
     -> Result<Response, AppError> {
        let html = state.anonymous_page(
            "login.html",
            &tr("account.login-title", &[]),
            context! { error => message, next => next.clone(), form => context! { email => email_input.clone() } },
            &token,
            &rid.0,
        )?;
        Ok((status, Html(html)).into_response())
    };

    if let Err(wait) = state.inner.throttle.check(&email, ip, now) {
        // Same answer for known and unknown emails: no enumeration.
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut r = failed(
            &state,
            &tr(
                "account.too-many-logins",
                &[("wait", &auth::throttle::in_words(wait))],
            ),
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        r.headers_mut().insert(header::RETRY_AFTER, secs.into());
        return Ok(r);
    }

    let user = state.store().user_by_email(&email)?;
    // Unknown email and wrong password cost the same argon2 verification.
    let ok = state
        .inner
        .passwords
        .verify(user.as_ref().map(|u| u.password_hash.as_str()), password)
        .await;
    let Some(user) = user.filter(|_| ok) else {
        state.inner.throttle.record_failure(&email, ip, now);
        return failed(
            &state,
            &tr("account.login-wrong", &[]),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.inner.throttle.record_success(&email, ip, now);

    // Rotate: whatever session this browser had is ended, a new id is issued.
    if let Some(old) = cookie(&headers, state.session_cookie_name()) {
        state.store().delete_session(&old)?;
    }
    let set_cookie = start_session(&state, &user, &headers, ip).await?;
    let mut r = Redirect::to(next.as_deref().unwrap_or("/")).into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie);
    // The language saved in the profile follows the user to this browser.
    if let Some(lang) = user.language.as_deref().and_then(crate::i18n::Lang::parse) {
        with_cookie_value(&mut r, language_cookie(lang, state.secure_cookies()));
    }
    Ok(with_cookie(
        r,
        Some(auth::clear_pre_session_cookie(state.secure_cookies())),
    ))
}

/// Creates a session for `user`, records the sign-in, returns the Set-Cookie.
/// The browser and address are kept for the list of sessions in My account.
async fn start_session(
    state: &AppState,
    user: &crate::store::User,
    headers: &HeaderMap,
    ip: IpAddr,
) -> Result<HeaderValue, AppError> {
    let id = auth::new_session_id();
    let now = state.clock().now_ms();
    let session = Session {
        user_id: user.id.clone(),
        csrf: auth::new_csrf_token(),
        created_ms: now,
        last_seen_ms: now,
        current_structure: None,
        user_agent: super::user_agent::keep(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        ),
        ip: ip.to_string(),
        epoch: user.credential_epoch,
    };
    let store = state.store().clone();
    let (sid, uid) = (id.clone(), user.id.clone());
    tokio::task::spawn_blocking(move || -> Result<(), crate::store::StoreError> {
        store.create_session(&sid, &session)?;
        store.record_login(&uid, now)?;
        Ok(())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    let c = auth::session_cookie(
        &id,
        state.secure_cookies(),
        Some(state.inner.policy.absolute),
    );
    HeaderValue::from_str(&c).map_err(|e| AppError::Internal(e.into()))
}

pub(super) fn check_pre_session(
    state: &AppState,
    headers: &HeaderMap,
    form: &FormData,
) -> Result<(), AppError> {
    let cookie_token = cookie(
        headers,
        auth::pre_session_cookie_name(state.secure_cookies()),
    );
    let given = form.csrf.as_deref().unwrap_or("");
    if auth::pre_session_csrf_ok(cookie_token.as_deref(), given) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// The sign-up form's fields, in order.
fn signup_fields() -> Value {
    let f = |name: &str, label: &str, ty: &str, autocomplete: &str, hint: &str| {
        let hint = if hint.is_empty() {
            String::new()
        } else {
            tr(hint, &[])
        };
        context! { name, label => tr(label, &[]), type => ty, autocomplete, hint }
    };
    Value::from(vec![
        f("first-name", "account.first-name", "text", "given-name", ""),
        f("last-name", "account.last-name", "text", "family-name", ""),
        f(
            "email",
            "account.email",
            "email",
            "email",
            "account.email-hint",
        ),
        f(
            "password",
            "account.password",
            "password",
            "new-password",
            "account.password-hint",
        ),
    ])
}

/// `GET /signup`
pub(crate) async fn signup_page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if state.signed_in(&headers)?.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let (token, set) = state.pre_session(&headers);
    let empty = BTreeMap::<String, String>::new();
    let html = state.anonymous_page(
        "signup.html",
        "Create your account",
        context! { fields => signup_fields(), form => empty.clone(), errors => empty },
        &token,
        &rid.0,
    )?;
    Ok(with_cookie(Html(html).into_response(), set))
}

/// `POST /signup`
///
/// The answer never says whether the address already had an account: a new
/// address gets an account and a confirmation link, a known one gets a mail
/// saying so (with a way back in), and the page is the same for both. So the
/// person is not signed in here; they sign in once the link is opened (or
/// at once, unconfirmed, if they wish).
pub(crate) async fn signup(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let ip = client_ip(&state, &req);
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    check_pre_session(&state, &headers, &form)?;
    let (token, _) = state.pre_session(&headers);
    let value = |k: &str| form.get(k).unwrap_or("").to_string();
    let submitted = || -> BTreeMap<String, String> {
        form.fields
            .iter()
            .filter(|(k, _)| k != "password")
            .cloned()
            .collect()
    };
    let form_again = |status: StatusCode,
                      errors: BTreeMap<&str, String>,
                      error: String|
     -> Result<Response, AppError> {
        let html = state.anonymous_page(
            "signup.html",
            &tr("account.signup-title", &[]),
            context! {
                fields => signup_fields(), form => submitted(), error => error,
                errors => errors.into_iter().map(|(k, v)| (k, localize(&v))).collect::<BTreeMap<_, _>>(),
            },
            &token,
            &rid.0,
        )?;
        Ok((status, Html(html)).into_response())
    };
    let mut errors = BTreeMap::new();
    let first = auth::validate_name("first name", &value("first-name"))
        .map_err(|m| errors.insert("first-name", m))
        .ok();
    let last = auth::validate_name("last name", &value("last-name"))
        .map_err(|m| errors.insert("last-name", m))
        .ok();
    let email = auth::normalize_email(&value("email"))
        .map_err(|m| errors.insert("email", m))
        .ok();
    let password = value("password");
    if let Err(m) = auth::validate_new_password(&password) {
        errors.insert("password", m);
    }
    let (Some(first), Some(last), Some(email), true) = (first, last, email, errors.is_empty())
    else {
        return form_again(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            tr("form.correct-fields", &[]),
        );
    };
    let now = state.clock().now_ms();
    if let Err(wait) = state.inner.budgets.signup_per_ip.hit(&ip.to_string(), now) {
        return too_many(
            form_again(
                StatusCode::TOO_MANY_REQUESTS,
                BTreeMap::new(),
                tr(
                    "account.too-many-signups",
                    &[("wait", &auth::rate::plain_wait(wait))],
                ),
            )?,
            wait,
        );
    }
    if let Err(wait) = state.inner.budgets.per_recipient.hit(&email, now) {
        return too_many(
            form_again(
                StatusCode::TOO_MANY_REQUESTS,
                BTreeMap::new(),
                tr(
                    "account.too-many-mails",
                    &[("email", &email), ("wait", &auth::rate::plain_wait(wait))],
                ),
            )?,
            wait,
        );
    }
    // Hashed whether or not the address is taken: both answers cost the same.
    let password_hash = state
        .inner
        .passwords
        .hash(password)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let store = state.store().clone();
    let new = NewUser {
        contact_email: email.clone(),
        email: email.clone(),
        first_name: first.clone(),
        last_name: last,
        password_hash,
        operator: false,
        email_verified: false,
        created_ms: state.clock().now_ms(),
    };
    match tokio::task::spawn_blocking(move || store.create_user(new))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    {
        Ok(user) => {
            tracing::info!(user = %user.id, "account created");
            super::recovery::send_verification(&state, &user)?;
        }
        Err(crate::store::StoreError::Conflict(_)) => {
            let existing = state.store().user_by_email(&email)?;
            let lang = crate::i18n::language_of(
                existing.as_ref().and_then(|u| u.language.as_deref()),
                crate::i18n::current(),
            );
            let name = existing.map(|u| u.first_name).unwrap_or_default();
            state
                .mailer()
                .send(crate::mail::letters::already_registered(
                    lang,
                    &email,
                    &name,
                    &state.public_link("/login"),
                    &state.public_link("/password/forgot"),
                ));
        }
        Err(e) => return Err(e.into()),
    }
    let html = state.anonymous_page(
        "notice.html",
        &tr("account.mailbox-title", &[]),
        check_mailbox(&email),
        &token,
        &rid.0,
    )?;
    Ok(Html(html).into_response())
}

/// The page after a sign-up, the same whether the address had an account.
fn check_mailbox(email: &str) -> Value {
    context! {
        heading => tr("account.mailbox-title", &[]),
        paragraphs => vec![
            tr("account.signup-sent", &[("email", email)]),
            tr("account.signup-nothing", &[]),
        ],
        action => context! { href => "/login", label => tr("account.go-to-login", &[]) },
    }
}

/// A 429 page with its `Retry-After`.
pub(super) fn too_many(
    mut page: Response,
    wait: std::time::Duration,
) -> Result<Response, AppError> {
    page.headers_mut()
        .insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
    Ok(page)
}

/// `POST /logout`
pub(crate) async fn logout(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    if let Some(me) = state.signed_in(&headers)? {
        if !me.form_token_ok(&auth::FormScope::Host, form.csrf.as_deref()) {
            return Err(AppError::Csrf);
        }
        state.store().delete_session(&me.session_id)?;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_session_cookie(state.secure_cookies())) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The `Set-Cookie` remembering this browser's language for a year.
fn language_cookie(lang: crate::i18n::Lang, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}",
        crate::i18n::LANG_COOKIE,
        lang.as_str()
    )
}

/// The same-site path the switch was used on (from `Referer`, which our
/// `Referrer-Policy: same-origin` sends), else `/`.
fn back_to(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| {
            let rest = r.split_once("://")?.1;
            let (authority, path) = rest.split_at(rest.find('/')?);
            (Some(authority) == host).then(|| path.to_owned())
        })
        .and_then(|p| safe_next(Some(&p)))
        .unwrap_or_else(|| "/".to_owned())
}

/// `POST /language`: the header's switch. Saved in the profile of a
/// signed-in user and in a cookie for the browser; back to the same page.
pub(crate) async fn set_language(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    let me = state.signed_in(&headers)?;
    match &me {
        Some(me) => {
            if !me.form_token_ok(&auth::FormScope::Host, form.csrf.as_deref()) {
                return Err(AppError::Csrf);
            }
        }
        None => check_pre_session(&state, &headers, &form)?,
    }
    let value = form.get("lang").unwrap_or("").trim();
    let lang = crate::i18n::Lang::ALL
        .into_iter()
        .find(|l| l.as_str() == value)
        .ok_or_else(|| {
            let shown: String = value.chars().take(20).collect();
            AppError::BadRequest(format!(
                "{}language.unknown {}",
                crate::i18n::MESSAGE_PREFIX,
                serde_json::json!({ "value": shown })
            ))
        })?;
    if let Some(me) = &me {
        state
            .store()
            .set_language(&me.user.id, Some(lang.as_str()))?;
    }
    let mut r = Redirect::to(&back_to(&headers)).into_response();
    with_cookie_value(&mut r, language_cookie(lang, state.secure_cookies()));
    Ok(r)
}

fn with_cookie_value(r: &mut Response, cookie: String) {
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}
