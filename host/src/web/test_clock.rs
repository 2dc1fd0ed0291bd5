//! `POST /test/clock?advance-ms=N`: moves the host's clock forward, for
//! end-to-end tests that must see sessions expire or timers fire without
//! sleeping. The route exists only when the server was started with
//! `PORTICO_TEST_MOVABLE_CLOCK=1` (see `crate::clock`); on any other server
//! it is a plain 404.

use super::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::time::Duration;

/// The query of `POST /test/clock`.
#[derive(Deserialize)]
pub(crate) struct Advance {
    #[serde(rename = "advance-ms")]
    advance_ms: u64,
}

/// Moves the clock; answers the new time, ms since the epoch.
pub(crate) async fn advance(State(state): State<AppState>, Query(q): Query<Advance>) -> Response {
    match state.clock().advance(Duration::from_millis(q.advance_ms)) {
        Ok(now) => {
            tracing::warn!(
                advance_ms = q.advance_ms,
                now_ms = now,
                "test clock moved forward"
            );
            format!("{now}\n").into_response()
        }
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}
