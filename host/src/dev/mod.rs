//! Tools for area developers, outside the serving path:
//! - [`new`]: `portico new ID`, a complete area project from the templates
//!   under `sdk/templates/<language>/`.
//! - [`run`]: `portico dev [DIR]`, the demo portal with the area being
//!   written, rebuilt and reloaded on every save.
pub mod new;
pub mod run;

/// Called once the portal serves, with its state and its reloader: how
/// `portico dev` joins the running server.
pub type OnReady =
    Box<dyn FnOnce(crate::web::AppState, crate::ops::Reloader) -> std::io::Result<()> + Send>;
