//! Who is asking: the session cookie resolved to a signed-in user, with the
//! session policy (idle and absolute timeouts) applied on every request.

use super::{AppError, AppState};
use crate::auth::{self, SessionState};
use crate::store::{Session, User};
use axum::http::{HeaderMap, header};

/// A request from a signed-in user.
pub(crate) struct SignedIn {
    pub(crate) user: User,
    pub(crate) session_id: String,
    pub(crate) session: Session,
}

impl SignedIn {
    /// The render value of this session's token for the host's own forms
    /// (`{{ csrf_field() }}` in host templates: logout, account pages).
    pub(crate) fn host_form_token(&self) -> minijinja::Value {
        self.form_token(&auth::FormScope::Host)
    }

    /// The render value of this session's token for `scope`.
    pub(crate) fn form_token(&self, scope: &auth::FormScope) -> minijinja::Value {
        super::templates::FormToken::value(auth::form_token(&self.session.csrf, scope))
    }

    /// Whether `given` is this session's token for `scope`.
    pub(crate) fn form_token_ok(&self, scope: &auth::FormScope, given: Option<&str>) -> bool {
        given.is_some_and(|given| auth::form_token_ok(&self.session.csrf, scope, given))
    }
}

impl AppState {
    pub(crate) fn session_cookie_name(&self) -> &'static str {
        if self.inner.secure_cookies {
            auth::SECURE_SESSION_COOKIE
        } else {
            auth::SESSION_COOKIE
        }
    }

    /// How long sessions live, and when last-seen is written.
    pub(crate) fn session_policy(&self) -> &auth::SessionPolicy {
        &self.inner.policy
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    /// The signed-in user, if the request carries a live session.
    pub(crate) fn signed_in(&self, headers: &HeaderMap) -> Result<Option<SignedIn>, AppError> {
        let Some(id) = cookie(headers, self.session_cookie_name()) else {
            return Ok(None);
        };
        let store = self.store();
        let Some(session) = store.session(&id)? else {
            return Ok(None);
        };
        let now = self.clock().now_ms();
        match self
            .inner
            .policy
            .check(session.created_ms, session.last_seen_ms, now)
        {
            SessionState::Valid => {}
            SessionState::IdleExpired | SessionState::AbsoluteExpired => {
                store.delete_session(&id)?;
                return Ok(None);
            }
        }
        // A session from before the last password change or reset is over.
        let Some(user) = store
            .user(&session.user_id)?
            .filter(|u| u.credential_epoch == session.epoch)
        else {
            store.delete_session(&id)?;
            return Ok(None);
        };
        if self.inner.policy.should_touch(session.last_seen_ms, now) {
            store.touch_session(&id, now)?;
        }
        Ok(Some(SignedIn {
            user,
            session_id: id,
            session,
        }))
    }
}

/// A cookie's value from the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| auth::read_cookie(h, name).map(str::to_owned))
}
