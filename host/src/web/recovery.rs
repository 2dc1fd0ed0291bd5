//! The pages behind emailed links, and the forgotten-password request.
//!
//! - `GET/POST /password/forgot`: asks for a reset link. The answer is the
//!   same whether the address has an account or not, and as fast: the link
//!   is made and mailed after the response, by a task.
//! - `GET/POST /password/reset?t=…`: the link's page; posting a new
//!   password uses the link, ends every session of the account.
//! - `GET/POST /email/confirm?t=…`: confirms a new account's address.
//! - `POST /email/resend`: a new confirmation link (signed in).
//! - `GET/POST /email/change/confirm?t=…`: confirms a new login email.
//!
//! A link's `GET` only shows a page with a button; the `POST` uses it. Mail
//! scanners that open every link therefore use none up.
//!
//! Pages reached from a link are forms shown before (or without) sign-in:
//! they use the pre-session double-submit token of the sign-in page.

use super::account_pages::{check_pre_session, client_ip, too_many, with_cookie};
use super::forms::FormData;
use super::security::RequestId;
use super::{AppError, AppState, MAX_AUTH_BODY};
use crate::auth::tokens::{self, Purpose};
use crate::auth::{self, rate::plain_wait};
use crate::i18n::{language_of, tr, translate_message};
use crate::mail::letters;
use crate::store::{LinkProblem, User, UserId};
use axum::Extension;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

/// The query of a link's page.
#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    t: Option<String>,
    email: Option<String>,
}

fn hours(purpose: Purpose) -> u64 {
    purpose.lifetime().as_secs() / 3600
}

fn minutes(purpose: Purpose) -> u64 {
    purpose.lifetime().as_secs() / 60
}

/// Runs a blocking store operation off the async workers.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(crate::store::Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, AppError> {
    let store = state.store().clone();
    Ok(tokio::task::spawn_blocking(move || f(store))
        .await
        .map_err(|e| AppError::Internal(e.into()))??)
}

/// Makes a link for `purpose`, stores its hash (replacing the previous
/// link), and returns the absolute URL to mail.
fn issue_link(
    state: &AppState,
    user: &User,
    purpose: Purpose,
    path: &str,
    new_email: Option<String>,
) -> Result<String, crate::store::StoreError> {
    let link = tokens::new_link(user.id.as_str());
    state.store().put_account_link(
        &user.id,
        purpose,
        &link.secret_hash,
        state.clock().now_ms(),
        new_email,
    )?;
    Ok(state.public_link(&format!("{path}?t={}", link.token)))
}

/// Mails a new account's confirmation link (replacing any earlier one).
pub(super) fn send_verification(state: &AppState, user: &User) -> Result<(), AppError> {
    let link = issue_link(state, user, Purpose::VerifyEmail, "/email/confirm", None)?;
    state.mailer().send(letters::verify_email(
        language_of(user.language.as_deref(), crate::i18n::current()),
        &user.email,
        &user.first_name,
        &link,
        hours(Purpose::VerifyEmail),
    ));
    Ok(())
}

/// The page of a link that does nothing any more.
fn dead_link(
    state: &AppState,
    rid: &RequestId,
    token: &str,
    problem: LinkProblem,
    again: (&str, &str),
) -> Result<Response, AppError> {
    let why = match problem {
        LinkProblem::Expired => tr("recovery.link-expired", &[]),
        _ => tr("recovery.link-used", &[]),
    };
    let heading = tr("recovery.link-dead-title", &[]);
    let html = state.anonymous_page(
        "notice.html",
        &heading,
        context! {
            heading => &heading,
            paragraphs => vec![why, tr("recovery.link-once", &[])],
            action => context! { href => again.0, label => tr(again.1, &[]) },
        },
        token,
        &rid.0,
    )?;
    Ok((StatusCode::GONE, Html(html)).into_response())
}

/// Splits a link token; a malformed one is a dead link.
fn split(t: Option<&str>) -> Option<(UserId, String)> {
    let (user, secret) = tokens::parse_link(t?)?;
    Some((UserId::new(user), secret.to_string()))
}

// --- Forgotten password ---------------------------------------------------

/// `GET /password/forgot`
pub(crate) async fn forgot_page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (token, set) = state.pre_session(&headers);
    let html = state.anonymous_page(
        "forgot.html",
        &tr("account.forgot-link", &[]),
        context! { form => context! { email => q.email.unwrap_or_default() } },
        &token,
        &rid.0,
    )?;
    Ok(with_cookie(Html(html).into_response(), set))
}

/// `POST /password/forgot`
pub(crate) async fn forgot(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let ip = client_ip(&state, &req);
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    check_pre_session(&state, &headers, &form)?;
    let (token, _) = state.pre_session(&headers);
    let typed = form.get("email").unwrap_or("").trim().to_string();
    let again = |status: StatusCode, error: Option<String>, field_error: Option<String>| {
        let html = state.anonymous_page(
            "forgot.html",
            &tr("account.forgot-link", &[]),
            context! { form => context! { email => typed.clone() }, error, field_error },
            &token,
            &rid.0,
        )?;
        Ok::<_, AppError>((status, Html(html)).into_response())
    };
    let email = match auth::normalize_email(&typed) {
        Ok(email) => email,
        Err(message) => {
            return again(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(translate_message(crate::i18n::current(), None, &message)),
            );
        }
    };
    let now = state.clock().now_ms();
    if let Err(wait) = state.inner.budgets.forgot_per_ip.hit(&ip.to_string(), now) {
        let page = again(
            StatusCode::TOO_MANY_REQUESTS,
            Some(tr(
                "recovery.too-many-network",
                &[("wait", &plain_wait(wait))],
            )),
            None,
        )?;
        return too_many(page, wait);
    }
    if let Err(wait) = state.inner.budgets.per_recipient.hit(&email, now) {
        let page = again(
            StatusCode::TOO_MANY_REQUESTS,
            Some(tr(
                "account.too-many-mails",
                &[("email", &email), ("wait", &plain_wait(wait))],
            )),
            None,
        )?;
        return too_many(page, wait);
    }
    // The link is made and mailed by a task: the answer below leaves at the
    // same time whether or not there is an account to write to.
    let task_state = state.clone();
    let to = email.clone();
    let lang = crate::i18n::current();
    tokio::task::spawn_blocking(move || {
        let state = task_state;
        let user = match state.store().user_by_email(&to) {
            Ok(Some(user)) => user,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "password reset: reading the account failed");
                return;
            }
        };
        match issue_link(
            &state,
            &user,
            Purpose::ResetPassword,
            "/password/reset",
            None,
        ) {
            Ok(link) => state.mailer().send(letters::reset_password(
                language_of(user.language.as_deref(), lang),
                &user.email,
                &user.first_name,
                &link,
                minutes(Purpose::ResetPassword),
            )),
            Err(e) => tracing::error!(error = %e, "password reset: storing the link failed"),
        }
    });
    let heading = tr("account.mailbox-title", &[]);
    let html = state.anonymous_page(
        "notice.html",
        &heading,
        context! {
            heading => &heading,
            paragraphs => vec![
                tr("recovery.forgot-sent", &[("email", &email), ("minutes", &minutes(Purpose::ResetPassword).to_string())]),
                tr("recovery.forgot-nothing", &[]),
            ],
            action => context! { href => "/login", label => tr("recovery.back-to-login", &[]) },
        },
        &token,
        &rid.0,
    )?;
    Ok(Html(html).into_response())
}

/// The email of the account an emailed link (`{user}.{secret}`) is for,
/// while the link is live for `purpose`; else why it is not. Only looks:
/// the link is used up by the form it leads to.
fn live_link_email(
    state: &AppState,
    t: Option<&str>,
    purpose: Purpose,
) -> Result<Result<String, LinkProblem>, AppError> {
    let Some((user, secret)) = split(t) else {
        return Ok(Err(LinkProblem::Unknown));
    };
    Ok(
        match state
            .store()
            .check_account_link(&user, purpose, &secret, state.clock().now_ms())?
        {
            Err(problem) => Err(problem),
            Ok(_) => Ok(state
                .store()
                .user(&user)?
                .map(|u| u.email)
                .unwrap_or_default()),
        },
    )
}

/// `GET /password/reset?t=…`
pub(crate) async fn reset_page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (token, set) = state.pre_session(&headers);
    let again = ("/password/forgot", "recovery.ask-new-link");
    let page = match live_link_email(&state, q.t.as_deref(), Purpose::ResetPassword)? {
        Err(problem) => dead_link(&state, &rid, &token, problem, again)?,
        Ok(email) => {
            let html = state.anonymous_page(
                "reset.html",
                &tr("recovery.reset-title", &[]),
                context! { token => q.t.unwrap_or_default(), email },
                &token,
                &rid.0,
            )?;
            Html(html).into_response()
        }
    };
    Ok(with_cookie(page, set))
}

/// `POST /password/reset`
pub(crate) async fn reset(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let ip = client_ip(&state, &req);
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    check_pre_session(&state, &headers, &form)?;
    let (token, _) = state.pre_session(&headers);
    let t = form.get("t").unwrap_or("").to_string();
    let again = ("/password/forgot", "recovery.ask-new-link");
    let Some((user_id, secret)) = split(Some(&t)) else {
        return dead_link(&state, &rid, &token, LinkProblem::Unknown, again);
    };
    let password = form.get("password").unwrap_or("").to_string();
    if let Err(message) = auth::validate_new_password(&password) {
        let email = state
            .store()
            .user(&user_id)?
            .map(|u| u.email)
            .unwrap_or_default();
        let html = state.anonymous_page(
            "reset.html",
            &tr("recovery.reset-title", &[]),
            context! {
                token => t, email,
                field_error => translate_message(crate::i18n::current(), None, &message),
                error => tr("form.correct-field", &[]),
            },
            &token,
            &rid.0,
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    // A dead link must not cost an argon2 hash: check it before hashing.
    if let Err(problem) = state.store().check_account_link(
        &user_id,
        Purpose::ResetPassword,
        &secret,
        state.clock().now_ms(),
    )? {
        return dead_link(&state, &rid, &token, problem, again);
    }
    let hash = state
        .inner
        .passwords
        .hash(password)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let uid = user_id.clone();
    let outcome = blocking(&state, move |store| {
        store.reset_password(&uid, &secret, &hash, store.clock().now_ms())
    })
    .await?;
    let user = match outcome {
        Ok(user) => user,
        Err(problem) => return dead_link(&state, &rid, &token, problem, again),
    };
    tracing::info!(user = %user.id, "password reset; every session ended");
    // A person locked out by failed sign-ins gets back in with the new password.
    state
        .inner
        .throttle
        .record_success(&user.email, ip, state.clock().now_ms());
    audit(&state, &user.id, "account.password-reset");
    state.mailer().send(letters::password_changed(
        language_of(user.language.as_deref(), crate::i18n::current()),
        &user.email,
        &user.first_name,
        letters::ChangedBy::ResetLink,
        &state.public_link("/password/forgot"),
    ));
    let mut r = Redirect::to("/login?done=reset").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_session_cookie(state.secure_cookies())) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

fn audit(state: &AppState, user: &UserId, action: &str) {
    if let Err(e) = state.store().audit(
        user,
        None,
        action,
        serde_json::json!({}),
        state.clock().now_ms(),
    ) {
        tracing::warn!(error = %e, "audit write failed");
    }
}

// --- Confirming a new account's address -------------------------------------

/// A page with one button that posts the link's token to `action`.
fn confirm_form(
    state: &AppState,
    rid: &RequestId,
    token: &str,
    t: &str,
    (heading, message, action, button): (String, String, &str, String),
) -> Result<Response, AppError> {
    let html = state.anonymous_page(
        "confirm.html",
        &heading,
        context! { heading => &heading, message, action, button, token => t },
        token,
        &rid.0,
    )?;
    Ok(Html(html).into_response())
}

/// `GET /email/confirm?t=…`
pub(crate) async fn confirm_page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (token, set) = state.pre_session(&headers);
    let again = ("/login", "recovery.login-for-new-link");
    let page = match live_link_email(&state, q.t.as_deref(), Purpose::VerifyEmail)? {
        Err(problem) => dead_link(&state, &rid, &token, problem, again)?,
        Ok(email) => confirm_form(
            &state,
            &rid,
            &token,
            q.t.as_deref().unwrap_or(""),
            (
                tr("recovery.confirm-title", &[]),
                tr("recovery.confirm-text", &[("email", &email)]),
                "/email/confirm",
                tr("recovery.confirm-button", &[]),
            ),
        )?,
    };
    Ok(with_cookie(page, set))
}

/// `POST /email/confirm`
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    check_pre_session(&state, &headers, &form)?;
    let (token, _) = state.pre_session(&headers);
    let again = ("/login", "recovery.login-for-new-link");
    let Some((user_id, secret)) = split(form.get("t")) else {
        return dead_link(&state, &rid, &token, LinkProblem::Unknown, again);
    };
    let outcome = blocking(&state, move |store| {
        store.confirm_email(&user_id, &secret, store.clock().now_ms())
    })
    .await?;
    match outcome {
        Err(problem) => dead_link(&state, &rid, &token, problem, again),
        Ok(user) => {
            tracing::info!(user = %user.id, "email confirmed");
            audit(&state, &user.id, "account.email-confirmed");
            let signed_in = state.signed_in(&headers)?.is_some();
            Ok(Redirect::to(if signed_in {
                "/"
            } else {
                "/login?done=confirmed"
            })
            .into_response())
        }
    }
}

/// `POST /email/resend`: a new confirmation link for the signed-in account.
pub(crate) async fn resend(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    let Some(me) = state.signed_in(&headers)? else {
        return Ok(Redirect::to("/login").into_response());
    };
    if !me.form_token_ok(&auth::FormScope::Host, form.csrf.as_deref()) {
        return Err(AppError::Csrf);
    }
    if me.user.email_verified {
        return Ok(Redirect::to("/").into_response());
    }
    if let Err(wait) = state
        .inner
        .budgets
        .per_recipient
        .hit(&me.user.email, state.clock().now_ms())
    {
        return Err(AppError::TooMany(wait.as_secs().max(1)));
    }
    send_verification(&state, &me.user)?;
    let html = super::account_security::signed_in_page(
        &state,
        &me,
        &rid,
        "notice.html",
        &tr("account.mailbox-title", &[]),
        context! {
            heading => tr("account.mailbox-title", &[]),
            paragraphs => vec![
                tr("recovery.resent", &[("email", &me.user.email), ("hours", &hours(Purpose::VerifyEmail).to_string())]),
            ],
            action => context! { href => "/me/my-account", label => tr("security.back-to-account", &[]) },
        },
    )?;
    Ok(Html(html).into_response())
}

// --- Confirming a new login email -----------------------------------------

/// `GET /email/change/confirm?t=…`
pub(crate) async fn change_page(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (token, set) = state.pre_session(&headers);
    let again = ("/account/security", "recovery.login-to-ask-again");
    let Some((user, secret)) = split(q.t.as_deref()) else {
        return Ok(with_cookie(
            dead_link(&state, &rid, &token, LinkProblem::Unknown, again)?,
            set,
        ));
    };
    let page = match state.store().check_account_link(
        &user,
        Purpose::ChangeEmail,
        &secret,
        state.clock().now_ms(),
    )? {
        Err(problem) => dead_link(&state, &rid, &token, problem, again)?,
        Ok(link) => {
            let old = state
                .store()
                .user(&user)?
                .map(|u| u.email)
                .unwrap_or_default();
            let new = link.new_email.unwrap_or_default();
            confirm_form(
                &state,
                &rid,
                &token,
                q.t.as_deref().unwrap_or(""),
                (
                    tr("recovery.change-title", &[]),
                    tr("recovery.change-text", &[("new", &new), ("old", &old)]),
                    "/email/change/confirm",
                    tr("recovery.change-button", &[]),
                ),
            )?
        }
    };
    Ok(with_cookie(page, set))
}

/// `POST /email/change/confirm`
pub(crate) async fn change(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let form = FormData::parse(req, MAX_AUTH_BODY).await?;
    check_pre_session(&state, &headers, &form)?;
    let (token, _) = state.pre_session(&headers);
    let again = ("/account/security", "recovery.login-to-ask-again");
    let Some((user_id, secret)) = split(form.get("t")) else {
        return dead_link(&state, &rid, &token, LinkProblem::Unknown, again);
    };
    let outcome = blocking(&state, move |store| {
        store.confirm_email_change(&user_id, &secret, store.clock().now_ms())
    })
    .await?;
    match outcome {
        Err(LinkProblem::EmailTaken) => {
            let heading = tr("recovery.change-taken-title", &[]);
            let html = state.anonymous_page(
                "notice.html",
                &heading,
                context! {
                    heading => &heading,
                    paragraphs => vec![tr("recovery.change-taken", &[])],
                    action => context! { href => "/account/security", label => tr("layout.security", &[]) },
                },
                &token,
                &rid.0,
            )?;
            Ok((StatusCode::CONFLICT, Html(html)).into_response())
        }
        Err(problem) => dead_link(&state, &rid, &token, problem, again),
        Ok((user, old)) => {
            tracing::info!(user = %user.id, "login email changed");
            audit(&state, &user.id, "account.email-changed");
            state.mailer().send(letters::email_changed(
                language_of(user.language.as_deref(), crate::i18n::current()),
                &old,
                &user.first_name,
                &user.email,
            ));
            let signed_in = state
                .signed_in(&headers)?
                .is_some_and(|me| me.user.id == user.id);
            Ok(Redirect::to(if signed_in {
                "/account/security?done=email"
            } else {
                "/login?done=email-changed"
            })
            .into_response())
        }
    }
}
