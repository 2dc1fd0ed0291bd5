//! Host-side bindings generated from `sdk/wit` (package `portico:area`).

wasmtime::component::bindgen!({
    path: "../sdk/wit",
    world: "area",
});

pub(crate) use self::exports::portico::area::plugin as guest;
pub use self::portico::area::types;
