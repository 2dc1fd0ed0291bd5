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
    /// Too many attempts; retry after the given seconds.
    #[error("Too many attempts. Try again in {0} seconds.")]
    TooMany(u64),
    /// Every sandbox slot is busy.
    #[error("Portico is busy. Try again in a moment.")]
    Busy,
    /// A fault of ours, logged with the request id.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
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
            AppError::Forbidden(m) | AppError::BadRequest(m) => translate_message(lang, None, m),
            AppError::Csrf => host_text(lang, "error.csrf", &[]),
            AppError::TooMany(secs) => {
                host_text(lang, "error.too-many", &[("seconds", &secs.to_string())])
            }
            AppError::Busy => host_text(lang, "error.busy", &[]),
            AppError::Internal(_) => host_text(lang, "error.internal", &[]),
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> AppError {
        AppError::Internal(anyhow::Error::new(e).context("storage"))
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
