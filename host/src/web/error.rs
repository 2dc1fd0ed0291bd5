//! One error type for every handler: people get a clear page (or JSON),
//! internal faults get a request id and a log line with the cause.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A request that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing here (also for structures the user does not belong to: 404, not 403).
    #[error("This page does not exist, or you do not have access to it.")]
    NotFound,
    /// Credentials are missing or wrong (401); the message says which.
    #[error("{0}")]
    Unauthorized(String),
    /// An area the structure has, closed to everyone there for now (its
    /// kind, `requires` or `when`): 404, with the reason for its members.
    #[error("{0}")]
    NotAvailable(String),
    /// The user may not do this; the reason is shown.
    #[error("{0}")]
    Forbidden(String),
    /// The form's CSRF token is missing or wrong.
    #[error(
        "This form has expired or did not come from Portico. Go back, reload the page and try again."
    )]
    Csrf,
    /// The request itself is malformed; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// The request body is over its limit (413); the message names it.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts; retry after the given seconds.
    #[error("Too many attempts. Wait {} and try again.", wait_words(.0))]
    TooMany(u64),
    /// Every sandbox slot is busy.
    #[error("Portico is busy. Try again in a moment.")]
    Busy,
    /// The storage cannot write now (full disk, I/O failure); the reason is
    /// in plain words, the system's are in the log.
    #[error(
        "Portico cannot save anything right now: {0}. What you just sent may not have been saved: check it, and try again in a few minutes."
    )]
    StorageUnavailable(&'static str),
    /// A fault of ours, logged with the request id.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

fn wait_words(secs: &u64) -> String {
    crate::auth::throttle::in_words(std::time::Duration::from_secs(*secs))
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::NotAvailable(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy | AppError::StorageUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl AppError {
    /// What the person is told, in `lang`. `Forbidden` and `BadRequest`
    /// texts may be `i18n:KEY {args}` references (see `crate::i18n`).
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::{host_text, translate_message};
        match self {
            AppError::NotFound => host_text(lang, "error.not-found", &[]),
            AppError::Forbidden(m)
            | AppError::BadRequest(m)
            | AppError::NotAvailable(m)
            | AppError::Unauthorized(m)
            | AppError::TooLarge(m) => translate_message(lang, None, m),
            AppError::Csrf => host_text(lang, "error.csrf", &[]),
            AppError::TooMany(secs) => {
                host_text(lang, "error.too-many", &[("seconds", &secs.to_string())])
            }
            AppError::Busy => host_text(lang, "error.busy", &[]),
            AppError::StorageUnavailable(reason) => {
                let key = match *reason {
                    "the server's disk is full" => "error.storage-disk-full",
                    _ => "error.storage-failing",
                };
                let reason = host_text(lang, key, &[]);
                host_text(lang, "error.storage-unavailable", &[("reason", &reason)])
            }
            AppError::Internal(_) => host_text(lang, "error.internal", &[]),
        }
    }
}

/// Seconds a client should wait before retrying when the storage cannot
/// write: freeing disk space takes an operator minutes, not milliseconds.
pub(crate) const STORAGE_RETRY_AFTER_SECS: u64 = 30;

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> AppError {
        match e.unavailable_reason() {
            Some(reason) => {
                tracing::error!(error = %e, "storage unavailable");
                AppError::StorageUnavailable(reason)
            }
            None => AppError::Internal(anyhow::Error::new(e).context("storage")),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The page itself is rendered by the edge middleware, which knows
        // the request id and whether the client wants JSON.
        let status = self.status();
        if let AppError::Internal(e) = &self {
            tracing::error!(error = %format!("{e:#}"), "internal error");
        }
        let message = self.message(crate::i18n::current());
        let retry_after = match &self {
            AppError::TooMany(secs) => Some(*secs),
            AppError::Busy => Some(1),
            AppError::StorageUnavailable(_) => Some(STORAGE_RETRY_AFTER_SECS),
            _ => None,
        };
        let mut response = status.into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response.extensions_mut().insert(ErrorPage { message });
        response
    }
}

/// Attached to error responses; the edge middleware renders it as a page
/// (with the request id) or as JSON.
#[derive(Clone, Debug)]
pub(crate) struct ErrorPage {
    pub(crate) message: String,
}
