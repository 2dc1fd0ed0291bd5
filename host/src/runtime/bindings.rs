//! Host-side bindings generated from `sdk/wit` (package `portico:area`).

wasmtime::component::bindgen!({
    path: "../sdk/wit",
    world: "area",
    // Exports are called with `call_*_async` on the request's own task (the
    // epoch yields, and async WASI lets a sleeping guest be cancelled);
    // host imports stay synchronous: they are short store reads, and
    // writes are buffered until the commit.
    exports: { default: async },
});

pub(crate) use self::exports::portico::area::plugin as guest;
pub use self::portico::area::types;
