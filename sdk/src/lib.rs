//! Write [Portico](https://github.com/) areas in Rust.
//!
//! An area is a WebAssembly component (`wasm32-wasip2`) that the Portico host
//! calls once per HTTP request, in a fresh sandbox. This crate hides the
//! `portico:area@1.1.0` WIT contract behind plain Rust: implement [`Area`],
//! export it with [`export_area!`], call the host through [`kv`], [`facts`],
//! [`messages`], [`timers`], [`directory`], [`account`] and [`log`], and unit-test it
//! natively with [`testing::TestHost`].
//!
//! An area answers with data, not HTML: [`Response::view`] names one of the
//! area's templates (minijinja, rendered by the host inside its layout with
//! autoescape on) and gives it a serializable value, read as `data`.
//!
//! # Example
//!
//! ```
//! use portico_sdk::{Area, Context, Error, Form, Request, Response, View, kv};
//! use serde::Serialize;
//!
//! struct Notes;
//!
//! #[derive(Serialize)]
//! struct Page {
//!     notes: Vec<String>,
//! }
//!
//! fn page() -> Result<View, Error> {
//!     let notes = kv::list_json::<String>("note/", None, 100)?;
//!     let notes = notes.items.into_iter().map(|(_, note)| note).collect();
//!     View::new("notes.html", "Notes", &Page { notes })
//! }
//!
//! impl Area for Notes {
//!     fn templates() -> &'static [(&'static str, &'static str)] {
//!         // Usually: ("notes.html", include_str!("../templates/notes.html"))
//!         &[("notes.html", "{% for n in data.notes %}<p>{{ n }}</p>{% endfor %}")]
//!     }
//!
//!     fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
//!         match (req.is_post(), req.path.as_str()) {
//!             (false, "/") => Ok(Response::View(page()?)),
//!             (true, "/notes") => {
//!                 let mut form = Form::new(req);
//!                 let note = form.field("note").required().max_chars(200).value();
//!                 form.finish(page)?; // 422 with the field errors if any
//!                 kv::set_json(&format!("note/{}", cx.now_ms), &note)?;
//!                 Ok(Response::redirect(cx.href("/")))
//!             }
//!             _ => Ok(Response::not_found()),
//!         }
//!     }
//! }
//!
//! portico_sdk::export_area!(Notes);
//!
//! // A native unit test, no server needed:
//! use portico_sdk::testing::TestHost;
//! let host = TestHost::new().grant(&["kv"]);
//! let empty = host.handle::<Notes>(&Request::post("/notes", [("note", "")]));
//! assert_eq!(empty.as_invalid().unwrap().field("note"), Some("This field is required."));
//! let saved = host.handle::<Notes>(&Request::post("/notes", [("note", "Call Bob")]));
//! assert_eq!(saved.redirect_target(), Some("/s/73282932000074/test-area"));
//! let shown = host.handle::<Notes>(&Request::get("/"));
//! assert_eq!(shown.as_view().unwrap().json()["notes"][0], "Call Bob");
//! ```
//!
//! # Module map
//! - [`Area`], [`export_area!`]: what an area implements and how it is exported.
//! - `types` ([`Context`], [`Request`], [`Message`]…): what the host tells the area.
//! - `response` ([`Response`], [`View`]…): what the area answers.
//! - `error` ([`Error`], [`HostError`]): failures, each mapped to a response.
//! - [`form`]: field-by-field validation that becomes a 422 re-rendering the form.
//! - [`kv`], [`facts`], [`messages`], [`timers`], [`directory`], [`account`],
//!   [`log`]: the host imports, one module per capability.
//! - [`siret`]: the SIRET checksum.
//! - [`testing`] (native only): the in-memory host for unit tests.

#![deny(missing_docs)]

// The export macro names this crate as `::portico_sdk`; make that path work
// inside the crate too (the generated bindings live here).
extern crate self as portico_sdk;

pub mod account;
pub mod api_clients;
pub mod attachments;
pub mod attention;
pub mod directory;
mod error;
mod export;
pub mod facts;
pub mod flows;
pub mod form;
mod host;
pub mod i18n;
pub mod kv;
pub mod log;
pub mod messages;
mod response;
pub mod siret;
pub mod tally;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
#[cfg(not(target_arch = "wasm32"))]
mod testing_html;
pub mod time;
pub mod timers;
mod types;

pub use error::{Error, HostError};
pub use form::{Field, Form};
pub use response::{Download, FieldError, Invalid, Response, View};
pub use types::{
    Context, IdentifierType, Message, Method, Request, RequestStatus, Role, Service, Structure,
    StructureKind, SubscriptionMode, Tab, Upload, User,
};

/// The semver of the WIT contract this SDK implements (`portico:area@…`).
/// An area built with this SDK needs a host implementing 1.2 or a later 1.x
/// (1.1.0 added [`timers`] and `messages.lookup`, 1.2.0 [`api_clients`] and [`flows`]).
pub const API_VERSION: &str = "1.2.0";

/// What an area implements. The host creates a fresh instance per call, so
/// there is no `self`: state lives in [`kv`] or in the host's directory.
pub trait Area {
    /// The area's minijinja templates as `(name, source)` pairs, read once
    /// when the host loads the area. Use `include_str!` to ship files from
    /// the crate's `templates/` directory.
    fn templates() -> &'static [(&'static str, &'static str)];

    /// The area's message catalogues as `(language, JSON source)` pairs:
    /// `("fr", …)` and `("en", …)`, usually [`messages!()`](crate::messages)
    /// (the crate's `i18n/fr.json` and `i18n/en.json`). Templates then write
    /// `{{ t("key", name=value) }}` and are rendered in the reader's
    /// language; [`i18n::message`] makes translatable form errors. The host
    /// refuses to load an area whose two catalogues differ in keys or
    /// placeholders. The default ships none.
    fn messages() -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Answers one HTTP request. An `Err` becomes its response through
    /// [`Error::into_response`]: `?` on a host call answers "failed" (500),
    /// [`Form::finish`] errors answer 422 with the form.
    fn handle(cx: &Context, req: &Request) -> Result<Response, Error>;

    /// Receives one message sent to this area of the current structure.
    /// Delivery is at least once: ignore a [`Message::id`] already seen. An
    /// error asks the host to retry later. The default ignores messages.
    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        let _ = (cx, msg);
        Ok(())
    }
}

/// Runs a handler and maps its error to a response: the one place both the
/// exported component and [`testing::TestHost`] go through.
pub(crate) fn dispatch<A: Area>(cx: &Context, req: &Request) -> Response {
    A::handle(cx, req).unwrap_or_else(Error::into_response)
}

/// Not public API: what [`export_area!`] expands to needs these paths.
#[doc(hidden)]
pub mod __private {
    pub use crate::export::{Adapter, assert_area, bindings};
    pub use wit_bindgen;
}
