//! The homepage area's logic written natively, for measuring the sandbox tax
//! (BENCHMARKS.md). Not a feature: a twin of `plugins/homepage/src/lib.rs`
//! that answers the same `wit::Response` from the same `wit::Context`, so a
//! benchmark can serve one page through the wasm area and through this
//! function and compare everything else being equal.
//!
//! The host serves it only when built with the `bench-native` feature (route
//! `/bench/native/s/{structure}/homepage`); the criterion benches call it
//! directly. Keep it in step with the plugin: `tests` below checks that both
//! produce the same data.

use crate::runtime::wit;
use serde::Serialize;

#[derive(Serialize)]
struct Page<'a> {
    first_name: &'a str,
    structure: Option<StructureCard<'a>>,
    role: Option<&'static str>,
    tabs: Vec<TabLink<'a>>,
    hints: Vec<&'static str>,
    // The homepage's work list comes from facts; the benchmarked call has
    // no store, so it is always empty.
    to_acknowledge: Vec<()>,
    open_requests: u64,
}

#[derive(Serialize)]
struct StructureCard<'a> {
    name: &'a str,
    identifier: &'a str,
    identifier_type: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct TabLink<'a> {
    title: &'a str,
    href: &'a str,
}

/// The homepage's `handle`, natively: same checks, same data, same template.
pub fn homepage(cx: &wit::Context, req: &wit::Request) -> wit::Response {
    if !matches!(req.method, wit::Method::Get) || req.path != "/" {
        return wit::Response::NotFound;
    }
    let page = Page {
        first_name: &cx.user.first_name,
        structure: cx.structure.as_ref().map(|s| StructureCard {
            name: &s.name,
            identifier: &s.id,
            identifier_type: identifier_type_label(&s.identifier_type),
            kind: match s.kind {
                wit::StructureKind::Private => "Private (supplier)",
                wit::StructureKind::Public => "Public (buyer)",
            },
        }),
        role: cx.role.map(role_label),
        tabs: cx
            .tabs
            .iter()
            .filter(|t| t.id != cx.area)
            .map(|t| TabLink {
                title: &t.title,
                href: &t.href,
            })
            .collect(),
        hints: hints(cx.role),
        to_acknowledge: Vec::new(),
        open_requests: 0,
    };
    let title = match &cx.structure {
        Some(s) => format!("Home – {}", s.name),
        None => "Home".to_owned(),
    };
    match serde_json::to_string(&page) {
        Ok(data) => wit::Response::View(wit::View {
            template: "home.html".into(),
            title,
            data,
        }),
        Err(e) => wit::Response::Failed(format!("cannot encode the page: {e}")),
    }
}

fn identifier_type_label(t: &str) -> &str {
    match t {
        "siret" => "SIRET (France)",
        "eu" => "European Union (outside France)",
        "outside-eu" => "Outside the European Union",
        "ridet" => "RIDET (New Caledonia)",
        "tahiti" => "TAHITI (French Polynesia)",
        "private-individual" => "Private individual",
        "other" => "Other",
        other => other,
    }
}

fn role_label(r: wit::Role) -> &'static str {
    match r {
        wit::Role::PrimaryManager => "Primary manager",
        wit::Role::SecondaryManager => "Secondary manager",
        wit::Role::User => "User",
    }
}

fn hints(role: Option<wit::Role>) -> Vec<&'static str> {
    match role {
        Some(wit::Role::PrimaryManager | wit::Role::SecondaryManager) => vec![
            "Invite your colleagues and give them a role (coming soon in Manager activities).",
            "Add the areas your structure needs, such as Issued invoices (coming soon in Manager activities).",
            "Open a tab above to start working.",
        ],
        Some(wit::Role::User) => vec![
            "Open a tab above to start working.",
            "Need another area? Ask one of your structure's managers to add it.",
        ],
        None => vec!["Go to My account to create your structure or ask to be linked to one."],
    }
}

/// A signed-in primary manager's context on a structure's homepage with
/// `tabs` tabs, as the web layer builds it; for benchmarks and tests.
pub fn sample_context(tabs: usize) -> wit::Context {
    let sid = "73282932000074";
    wit::Context {
        request_id: "bench".into(),
        area: "homepage".into(),
        base_path: format!("/s/{sid}/homepage"),
        user: wit::User {
            id: "u-bench".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            email: "ada@example.org".into(),
        },
        structure: Some(wit::Structure {
            id: sid.into(),
            identifier_type: "siret".into(),
            name: "Ateliers Dupont".into(),
            kind: wit::StructureKind::Private,
        }),
        role: Some(wit::Role::PrimaryManager),
        locale: "en".into(),
        now_ms: 1_795_955_400_000,
        tabs: (0..tabs)
            .map(|i| {
                let id = if i == 0 {
                    "homepage".to_string()
                } else {
                    format!("area-{i}")
                };
                wit::Tab {
                    title: format!("Area number {i}"),
                    href: format!("/s/{sid}/{id}"),
                    id,
                }
            })
            .collect(),
    }
}

/// `r` with a view's data parsed, so that two answers compare equal when
/// they carry the same JSON whatever the key order.
pub fn comparable(r: &wit::Response) -> String {
    match r {
        wit::Response::View(v) => format!(
            "view {} {} {}",
            v.template,
            v.title,
            serde_json::from_str::<serde_json::Value>(&v.data)
                .map(|d| d.to_string())
                .unwrap_or_else(|e| format!("not JSON ({e}): {}", v.data))
        ),
        other => format!("{other:?}"),
    }
}

/// `GET /` with nothing else: the homepage request.
pub fn sample_request() -> wit::Request {
    wit::Request {
        method: wit::Method::Get,
        path: "/".into(),
        query: Vec::new(),
        form: Vec::new(),
        files: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{CallScope, Runtime};
    use std::path::Path;

    /// The native twin answers exactly what the wasm homepage answers, for a
    /// manager with several tabs; otherwise the benchmark compares two
    /// different pages.
    #[test]
    fn the_native_twin_answers_like_the_homepage_area() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let plugin = repo.join("plugins/homepage.wasm");
        assert!(
            plugin.exists(),
            "{} is missing: run .ci/build-plugins",
            plugin.display()
        );
        let yaml = format!(
            "areas:\n  - id: homepage\n    title: Home\n    plugin: {}\n    version: 1.0.0\n    capabilities: [log]\n",
            plugin.display()
        );
        let spec = crate::config::parse(&yaml, &repo.join("areas.yaml"))
            .unwrap()
            .areas
            .remove(0);
        let runtime = Runtime::new().unwrap();
        let area = runtime.load(&plugin, &spec).unwrap();
        for (tabs, path) in [(3, "/"), (40, "/"), (3, "/other")] {
            let cx = sample_context(tabs);
            let mut req = sample_request();
            req.path = path.into();
            let scope = CallScope {
                request_id: "t".into(),
                area: "homepage".into(),
                owner: None,
                user_id: Some(cx.user.id.clone()),
                structure: cx.structure.as_ref().map(|s| s.id.clone()),
                capabilities: spec.capabilities.clone(),
                store: None,
                catalog: None,
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let wasm = rt
                .block_on(runtime.call_handle(&area, &spec, scope, &cx, &req))
                .unwrap();
            assert_eq!(
                comparable(&wasm),
                comparable(&homepage(&cx, &req)),
                "{tabs} tabs, path {path}"
            );
        }
    }
}
