//! Portico: a portal host whose features ("areas") are sandboxed WebAssembly
//! components declared in `areas.yaml`.
//!
//! Module map, one responsibility each:
//! - [`config`]: `areas.yaml` → a validated [`config::AreasSpec`] (parse, then validate).
//! - [`runtime`]: wasmtime engine, compiled areas, the host imports, sandbox limits,
//!   and [`runtime::Sandbox`], the one entry every area call goes through.
//! - [`api`]: API clients' bearer tokens (`/oauth/token`) and JSON area calls (`/api/v1/`).
//! - [`access`]: the one rule deciding whether an area is open to a structure and a person.
//! - [`catalog`]: the live catalog: config + loaded plugins + compiled `when` expressions.
//! - [`store`]: every sled tree, behind a small ordered key-value seam; durability.
//! - [`auth`]: passwords, sessions, CSRF tokens, emailed links, throttling.
//! - [`directory`]: structures, identifiers (SIRET), roles.
//! - [`mail`]: outgoing mail: SMTP when configured, else a mailbox directory.
//! - [`ops`]: hot reload (file watch, SIGHUP), reload history, per-area metrics, pid file.
//! - [`web`]: axum routes, tab composition, minijinja layout, security headers.
//! - [`delivery`]: the worker that hands queued messages to recipient areas.
//! - [`clock`]: the host's one clock (movable in tests).
//! - [`cli`]: the `portico` command line; [`demo`]: its demo data.
//! - [`dev`]: tools for area developers (`portico new`).

pub mod access;
pub mod api;
pub mod auth;
#[doc(hidden)]
pub mod bench_native;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dataflows;
pub mod delivery;
pub mod demo;
pub mod dev;
pub mod directory;
pub mod hosts;
pub mod i18n;
pub mod mail;
pub mod ops;
pub mod runtime;
pub mod store;
pub mod web;
