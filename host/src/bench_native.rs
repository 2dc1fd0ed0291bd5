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
    /// Role code (`roles.<code>` in the area's catalogues).
    role: Option<&'static str>,
    tabs: Vec<TabLink<'a>>,
    hints: Vec<Hint>,
    // The homepage's work lists, pictures and attention lines come from
    // facts; the benchmarked call has no store, so they are always empty
    // (the wasm area's fact reads fail fast the same way).
    to_acknowledge: Vec<()>,
    open_requests: u64,
    turns: Vec<()>,
    attention: Vec<()>,
    supplier: Option<()>,
    public: Option<()>,
}

#[derive(Serialize)]
struct StructureCard<'a> {
    name: &'a str,
    identifier: &'a str,
    /// Codes: `identifier-types.<code>`, `kinds.<code>`.
    identifier_type: &'static str,
    kind: &'static str,
}

#[derive(Serialize)]
struct TabLink<'a> {
    title: &'a str,
    href: &'a str,
}

/// What to do next: a `hint.<key>` message, with a link when the tab exists.
#[derive(Serialize)]
struct Hint {
    key: &'static str,
    href: Option<String>,
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
            identifier_type: portico_contract::IdentifierType::parse(&s.identifier_type)
                .map_or("other", portico_contract::IdentifierType::as_str),
            kind: match s.kind {
                wit::StructureKind::Private => "private",
                wit::StructureKind::Public => "public",
            },
        }),
        role: cx.role.map(|r| match r {
            wit::Role::PrimaryManager => "primary-manager",
            wit::Role::SecondaryManager => "secondary-manager",
            wit::Role::User => "user",
        }),
        tabs: cx
            .tabs
            .iter()
            .filter(|t| t.id != cx.area)
            .map(|t| TabLink {
                title: &t.title,
                href: &t.href,
            })
            .collect(),
        hints: hints(cx),
        to_acknowledge: Vec::new(),
        open_requests: 0,
        turns: Vec::new(),
        attention: Vec::new(),
        supplier: None,
        public: None,
    };
    // The area's title is a message reference the host translates.
    let title = match &cx.structure {
        Some(s) => format!(
            "i18n:title-structure {}",
            serde_json::json!({ "name": s.name })
        ),
        None => "i18n:title".to_owned(),
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

fn tab_href(cx: &wit::Context, id: &str) -> Option<String> {
    cx.tabs.iter().find(|t| t.id == id).map(|t| t.href.clone())
}

/// The plugin's hints: by role and kind, an area suggested only to a
/// structure that can have it and lacks it.
fn hints(cx: &wit::Context) -> Vec<Hint> {
    let has = |id: &str| cx.tabs.iter().any(|t| t.id == id);
    let manager = |path: &str| tab_href(cx, "manager-activities").map(|h| format!("{h}{path}"));
    let kind = cx.structure.as_ref().map(|s| s.kind);
    match cx.role {
        Some(wit::Role::PrimaryManager | wit::Role::SecondaryManager) => {
            let mut out = vec![Hint {
                key: "invite",
                href: manager("/members"),
            }];
            match kind {
                Some(wit::StructureKind::Private) if !has("issued-invoices") => out.push(Hint {
                    key: "add-issued-invoices",
                    href: manager("/areas"),
                }),
                Some(wit::StructureKind::Public) if !has("commitments") => out.push(Hint {
                    key: "add-commitments",
                    href: manager("/areas"),
                }),
                _ => {}
            }
            if matches!(kind, Some(wit::StructureKind::Public)) {
                out.push(Hint {
                    key: "services",
                    href: manager("/services"),
                });
            }
            out
        }
        Some(wit::Role::User) => vec![Hint {
            key: "ask-area",
            href: tab_href(cx, "my-account"),
        }],
        None => vec![Hint {
            key: "no-structure",
            href: tab_href(cx, "my-account"),
        }],
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
