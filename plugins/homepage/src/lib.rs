//! Logged-in homepage: the landing tab of every structure.
//!
//! Greets the user, shows the current structure's identity, links to the
//! other tabs and suggests what to do next according to the user's role.
//! Needs no capability: everything comes from the request context.

use portico_sdk::{Area, Context, Error, IdentifierType, Request, Response, Role, facts};
use serde::Serialize;

/// The homepage area.
pub struct Homepage;

portico_sdk::export_area!(Homepage);

#[derive(Debug, Serialize)]
struct Page<'a> {
    first_name: &'a str,
    structure: Option<StructureCard<'a>>,
    role: Option<&'static str>,
    tabs: Vec<TabLink<'a>>,
    hints: Vec<&'static str>,
    /// Invoices returned to the structure (rejected, suspended, to recycle,
    /// undeliverable) and not yet acknowledged, from Issued invoices' fact.
    to_acknowledge: Vec<Returned>,
    /// Open requests, from Sent requests' fact.
    open_requests: u64,
    /// Whose turn it is on the pieces of Invoices to validate and Work
    /// invoices, from their `turns` facts, with the days left.
    turns: Vec<Turn>,
}

/// One piece waiting for someone, as its area published it.
#[derive(Debug, Serialize)]
struct Turn {
    area: String,
    number: String,
    href: String,
    /// Whose turn: empty when it is this structure's.
    with: String,
    days_left: Option<i64>,
    due_ms: Option<u64>,
    overdue: bool,
}

/// Areas that publish a `turns` fact.
const TURN_AREAS: [&str; 2] = ["invoices-to-validate", "work-invoices"];

/// The pieces waiting, this structure's turn first, from each visible
/// area's `turns` fact; days left counted from the request's time.
fn turns(cx: &Context) -> Vec<Turn> {
    const DAY_MS: i64 = 86_400_000;
    let mut out = Vec::new();
    for area in TURN_AREAS {
        let Some(tab) = cx.tabs.iter().find(|t| t.id == area) else {
            continue;
        };
        let Ok(Some(v)) = facts::get_json::<serde_json::Value>(area, "turns") else {
            continue;
        };
        for i in v["items"].as_array().into_iter().flatten() {
            let due_ms = i["due_ms"].as_u64();
            let days_left = due_ms.map(|due| {
                let diff = due as i64 - cx.now_ms as i64;
                if diff >= 0 {
                    (diff + DAY_MS - 1) / DAY_MS
                } else {
                    -((-diff + DAY_MS - 1) / DAY_MS)
                }
            });
            out.push(Turn {
                area: tab.title.clone(),
                number: i["number"].as_str().unwrap_or("").to_owned(),
                href: format!("{}{}", tab.href, i["path"].as_str().unwrap_or("")),
                with: i["with"].as_str().unwrap_or("").to_owned(),
                overdue: i["overdue"].as_bool().unwrap_or(false)
                    || days_left.is_some_and(|d| d < 0),
                days_left,
                due_ms,
            });
        }
    }
    out.sort_by_key(|t| (!t.with.is_empty(), t.due_ms.unwrap_or(u64::MAX)));
    out
}

#[derive(Debug, Serialize)]
struct Returned {
    number: String,
    label: String,
    href: String,
}

/// What Issued invoices and Sent requests publish as facts. Read with the
/// `facts` capability; without it (or before they publish) the lists are
/// simply empty.
fn work_to_do(cx: &Context) -> (Vec<Returned>, u64) {
    let issued = cx.tabs.iter().find(|t| t.id == "issued-invoices");
    let returned = match (
        issued,
        facts::get_json::<serde_json::Value>("issued-invoices", "to-acknowledge"),
    ) {
        (Some(tab), Ok(Some(v))) => v["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| Returned {
                        number: i["number"].as_str().unwrap_or("").to_owned(),
                        label: i["label"].as_str().unwrap_or("").to_owned(),
                        href: format!("{}/invoice/{}", tab.href, i["id"].as_str().unwrap_or("")),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let open = match facts::get_json::<serde_json::Value>("sent-requests", "open-requests") {
        Ok(Some(v)) if cx.tabs.iter().any(|t| t.id == "sent-requests") => {
            v["count"].as_u64().unwrap_or(0)
        }
        _ => 0,
    };
    (returned, open)
}

#[derive(Debug, Serialize)]
struct StructureCard<'a> {
    name: &'a str,
    identifier: &'a str,
    identifier_type: &'a str,
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct TabLink<'a> {
    title: &'a str,
    href: &'a str,
}

impl Area for Homepage {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[("home.html", include_str!("../templates/home.html"))]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!()
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        if !req.is_get() || req.path != "/" {
            return Ok(Response::not_found());
        }
        let (to_acknowledge, open_requests) = work_to_do(cx);
        let page = Page {
            first_name: &cx.user.first_name,
            structure: cx.structure.as_ref().map(|s| StructureCard {
                name: &s.name,
                identifier: &s.id,
                identifier_type: IdentifierType::parse(&s.identifier_type)
                    .map_or(s.identifier_type.as_str(), |t| t.label()),
                kind: s.kind.label(),
            }),
            role: cx.role.map(Role::label),
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
            to_acknowledge,
            open_requests,
            turns: turns(cx),
        };
        let title = match &cx.structure {
            Some(s) => format!("Home – {}", s.name),
            None => "Home".to_owned(),
        };
        Ok(Response::view("home.html", &title, &page))
    }
}

/// What to do next, by role.
fn hints(cx: &Context) -> Vec<&'static str> {
    match cx.role {
        Some(role) if role.is_manager() => vec![
            "Invite your colleagues and give them a role (coming soon in Manager activities).",
            "Add the areas your structure needs, such as Issued invoices (coming soon in Manager activities).",
            "Open a tab above to start working.",
        ],
        Some(_) => vec![
            "Open a tab above to start working.",
            "Need another area? Ask one of your structure's managers to add it.",
        ],
        None => vec!["Go to My account to create your structure or ask to be linked to one."],
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))] // the test host is native-only
mod tests {
    use super::*;
    use portico_sdk::testing::TestHost;

    fn home() -> TestHost {
        TestHost::new()
            .area("homepage")
            .tab("homepage", "Home")
            .tab("issued-invoices", "Issued invoices")
            .tab("my-account", "My account")
    }

    #[test]
    fn greets_and_lists_other_tabs() {
        let host = home();
        let page = host.handle::<Homepage>(&Request::get("/"));
        let data = page.as_view().expect("a view").json();
        assert_eq!(data["first_name"], "Ada");
        assert_eq!(data["structure"]["identifier"], "73282932000074");
        assert_eq!(data["structure"]["identifier_type"], "SIRET (France)");
        assert_eq!(data["structure"]["kind"], "Private (supplier)");
        let titles: Vec<_> = data["tabs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].clone())
            .collect();
        assert_eq!(titles, ["Issued invoices", "My account"]);
        assert_eq!(data["tabs"][0]["href"], "/s/73282932000074/issued-invoices");
    }

    #[test]
    fn hints_depend_on_the_role() {
        let manager = home().role(Role::SecondaryManager);
        let data = manager
            .handle::<Homepage>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        assert!(data["hints"][0].as_str().unwrap().contains("Invite"));

        let user = home().role(Role::User);
        let data = user
            .handle::<Homepage>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        assert!(!data.to_string().contains("Invite"));
        assert_eq!(data["role"], "User");
    }

    #[test]
    fn other_paths_are_not_found() {
        let host = home();
        assert_eq!(
            host.handle::<Homepage>(&Request::get("/nope")),
            Response::NotFound
        );
    }
}
