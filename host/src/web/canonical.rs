//! One URL per area page: `/s/{structure}/{area}/…/` and `/me/{area}/…/`
//! are redirected to the same path without the trailing slash, query kept.
//!
//! Browsers submit a GET form to its `action` as written, so a template's
//! `action="…/"` or a person typing a slash must land on the page, not on a
//! 404. A 308 keeps the method and the body: a POST to a slashed URL is
//! posted again, unchanged, to the canonical one.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The canonical form of `path` when it differs: the trailing slashes of an
/// area path removed. `None` for paths that are canonical already or are
/// not area paths (`/`, `/ops`, static files…).
pub(crate) fn canonical_path(path: &str) -> Option<&str> {
    let area_path = path.starts_with("/s/") || path.starts_with("/me/");
    if !area_path || !path.ends_with('/') {
        return None;
    }
    let trimmed = path.trim_end_matches('/');
    // `/s/` or `/me/` alone have no canonical page; let the router 404 them.
    (trimmed != "/s" && trimmed != "/me").then_some(trimmed)
}

/// The middleware: a 308 to the canonical URL, or the request unchanged.
pub(crate) async fn trailing_slash(req: Request, next: Next) -> Response {
    let Some(path) = canonical_path(req.uri().path()) else {
        return next.run(req).await;
    };
    let location = match req.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    // The location starts with `/s/` or `/me/`: never another origin.
    match HeaderValue::try_from(location) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_path;

    #[test]
    fn area_paths_lose_their_trailing_slash() {
        assert_eq!(canonical_path("/me/my-account/"), Some("/me/my-account"));
        assert_eq!(
            canonical_path("/s/73282932000074/issued-invoices/"),
            Some("/s/73282932000074/issued-invoices")
        );
        assert_eq!(
            canonical_path("/s/73282932000074/issued-invoices/drafts//"),
            Some("/s/73282932000074/issued-invoices/drafts")
        );
        assert_eq!(
            canonical_path("/s/73282932000074/"),
            Some("/s/73282932000074")
        );
    }

    #[test]
    fn other_paths_are_left_alone() {
        for path in [
            "/",
            "/s/",
            "/me/",
            "/me//",
            "/ops/",
            "/login",
            "/me/my-account",
            "/static/",
        ] {
            assert_eq!(canonical_path(path), None, "{path}");
        }
    }
}
