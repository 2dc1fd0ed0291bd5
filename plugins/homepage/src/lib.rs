//! Logged-in homepage: the landing tab of every structure.
//!
//! Greets the user, shows the current structure's identity, what waits for
//! it (from the facts other areas publish), two pictures of its invoices and
//! what to do next according to its kind and the user's role:
//!
//! - a supplier: its invoices by status and its payment delays (days from
//!   deposit to payment) over the last twelve months, from Issued invoices'
//!   `overview` fact;
//! - a public structure: the invoices waiting for it, by status, and its
//!   processing delays (days from receipt to payment) over the last twelve
//!   months, from Received invoices' `overview` fact.
//!
//! Charts are drawn by the host (`bar_chart` in templates); every figure is
//! also printed as a table. Capability: `facts` (read what the other areas
//! publish). A user's own subscription requests are shown by My account
//! (the `account` capability is for user-scoped areas only), where a pending
//! one says it waits for a manager; the homepage's hint leads there.

use portico_sdk::{
    Area, Context, Error, IdentifierType, Request, Response, Role, StructureKind, facts, i18n,
};
use serde::Serialize;
use serde_json::Value;

/// The homepage area.
pub struct Homepage;

portico_sdk::export_area!(Homepage);

/// Months shown in the delay charts.
const MONTHS: usize = 12;

#[derive(Debug, Serialize)]
struct Page<'a> {
    first_name: &'a str,
    structure: Option<StructureCard<'a>>,
    /// Role code (`roles.<code>` in the catalogues).
    role: Option<&'static str>,
    tabs: Vec<TabLink<'a>>,
    /// What to do next: `hint.<key>` messages, with a link when the tab exists.
    hints: Vec<Hint>,
    /// Invoices returned to the structure (rejected, suspended, to recycle,
    /// undeliverable) and not yet acknowledged, from Issued invoices' fact.
    to_acknowledge: Vec<Returned>,
    /// Open requests, from Sent requests' fact.
    open_requests: u64,
    /// Whose turn it is on the pieces of Invoices to validate and Work
    /// invoices, from their `turns` facts, with the days left.
    turns: Vec<Turn>,
    /// The supplier's or the public structure's pictures, if it has the area.
    supplier: Option<SupplierCharts>,
    public: Option<PublicCharts>,
    /// What other areas publish as their `attention` fact (statuses that
    /// came back, work waiting), in the reader's language.
    attention: Vec<Attention>,
}

/// One line of an area's `attention` fact: `{"items": [{"href", "tone",
/// "fr", "en"}]}`, `href` inside the area.
#[derive(Debug, Serialize)]
struct Attention {
    area: String,
    text: String,
    tone: String,
    href: String,
}

/// Every tab's `attention` fact, in the reader's language.
fn attention(cx: &Context) -> Vec<Attention> {
    let lang = if cx.locale.starts_with("fr") {
        "fr"
    } else {
        "en"
    };
    let mut out = Vec::new();
    for tab in cx.tabs.iter().filter(|t| t.id != cx.area) {
        let Ok(Some(v)) = facts::get_json::<serde_json::Value>(&tab.id, "attention") else {
            continue;
        };
        for item in v["items"].as_array().into_iter().flatten() {
            let text = item[lang].as_str().or(item["en"].as_str()).unwrap_or("");
            if text.is_empty() {
                continue;
            }
            out.push(Attention {
                area: tab.title.clone(),
                text: text.to_owned(),
                tone: item["tone"].as_str().unwrap_or("").to_owned(),
                href: format!("{}{}", tab.href, item["href"].as_str().unwrap_or("")),
            });
        }
    }
    out
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
    status: String,
    href: String,
}

#[derive(Debug, Serialize, PartialEq)]
struct Hint {
    key: &'static str,
    href: Option<String>,
}

/// One status and how many invoices are in it.
#[derive(Debug, Serialize, PartialEq)]
struct StatusCount {
    status: String,
    count: u64,
    tone: &'static str,
}

/// One month of a delay chart.
#[derive(Debug, Serialize, PartialEq)]
struct MonthDelay {
    /// `01`…`12`, for the month's name (`month.<m>`).
    m: String,
    year: String,
    /// Invoices paid that month.
    count: u64,
    /// Average days, rounded; 0 when none was paid.
    days: u64,
}

#[derive(Debug, Serialize)]
struct SupplierCharts {
    href: String,
    by_status: Vec<StatusCount>,
    total: u64,
    delays: Vec<MonthDelay>,
    paid: u64,
}

#[derive(Debug, Serialize)]
struct PublicCharts {
    href: String,
    waiting: Vec<StatusCount>,
    total_waiting: u64,
    delays: Vec<MonthDelay>,
    paid: u64,
}

/// Issued invoices' statuses, in the order of the chain, with the tone a
/// supplier reads them in (the same as Issued invoices' badges).
const SUPPLIER_STATUSES: [(&str, &str); 16] = [
    ("BROUILLON", "waiting"),
    ("DEPOSEE", "progress"),
    ("MISE_A_DISPOSITION", "progress"),
    ("ECHEC_ACHEMINEMENT", "problem"),
    ("PRISE_EN_COMPTE_DESTINATAIRE", "progress"),
    ("SUSPENDUE", "problem"),
    ("COMPLETEE", "progress"),
    ("A_RECYCLER", "problem"),
    ("REJETEE", "problem"),
    ("SERVICE_FAIT", "progress"),
    ("MANDATEE", "progress"),
    ("MISE_A_DISPOSITION_COMPTABLE", "progress"),
    ("COMPTABILISEE", "progress"),
    ("MISE_EN_PAIEMENT", "done"),
    ("TRAITEE", "done"),
    ("RETIREE", "done"),
];

/// Statuses that wait for a public structure, in the order of the chain.
const PUBLIC_WAITING: [&str; 7] = [
    "MISE_A_DISPOSITION",
    "COMPLETEE",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
];

/// The fact `name` of `area`, if the structure has that tab and it is
/// readable (without the capability, or before the area publishes, none).
fn fact(cx: &Context, area: &str, name: &str) -> Option<Value> {
    cx.tabs.iter().find(|t| t.id == area)?;
    facts::get_json::<Value>(area, name).ok().flatten()
}

fn tab_href(cx: &Context, id: &str) -> Option<String> {
    cx.tabs.iter().find(|t| t.id == id).map(|t| t.href.clone())
}

/// The twelve months ending with the one of `now_ms`, oldest first, as
/// `YYYY-MM`.
fn last_months(now_ms: u64) -> Vec<String> {
    let today = portico_sdk::time::format_date(now_ms);
    let (mut year, mut month): (u32, u32) = (
        today[..4].parse().unwrap_or(1970),
        today[5..7].parse().unwrap_or(1),
    );
    let mut out = Vec::with_capacity(MONTHS);
    for _ in 0..MONTHS {
        out.push(format!("{year:04}-{month:02}"));
        if month == 1 {
            (year, month) = (year - 1, 12);
        } else {
            month -= 1;
        }
    }
    out.reverse();
    out
}

/// Per month of the last twelve: invoices paid and their average delay,
/// from an `overview` fact's `payments` (`month`, `count`, `days` summed).
fn delays(payments: &Value, now_ms: u64) -> (Vec<MonthDelay>, u64) {
    let mut paid = 0;
    let months = last_months(now_ms)
        .into_iter()
        .map(|month| {
            let found = payments
                .as_array()
                .and_then(|a| a.iter().find(|p| p["month"].as_str() == Some(&month)));
            let count = found.and_then(|p| p["count"].as_u64()).unwrap_or(0);
            let days = found.and_then(|p| p["days"].as_u64()).unwrap_or(0);
            paid += count;
            MonthDelay {
                m: month[5..7].to_owned(),
                year: month[..4].to_owned(),
                count,
                // Average, rounded; no payment that month reads 0.
                days: (days + count / 2).checked_div(count).unwrap_or(0),
            }
        })
        .collect();
    (months, paid)
}

fn supplier_charts(cx: &Context) -> Option<SupplierCharts> {
    let href = tab_href(cx, "issued-invoices")?;
    let overview = fact(cx, "issued-invoices", "overview").unwrap_or(Value::Null);
    let by_status: Vec<StatusCount> = SUPPLIER_STATUSES
        .iter()
        .filter_map(|(code, tone)| {
            let count = overview["by_status"][code].as_u64().unwrap_or(0);
            (count > 0).then(|| StatusCount {
                status: (*code).to_owned(),
                count,
                tone,
            })
        })
        .collect();
    let (delays, paid) = delays(&overview["payments"], cx.now_ms);
    Some(SupplierCharts {
        href,
        total: by_status.iter().map(|s| s.count).sum(),
        by_status,
        delays,
        paid,
    })
}

fn public_charts(cx: &Context) -> Option<PublicCharts> {
    let href = tab_href(cx, "received-invoices")?;
    let overview = fact(cx, "received-invoices", "overview").unwrap_or(Value::Null);
    let waiting: Vec<StatusCount> = PUBLIC_WAITING
        .iter()
        .filter_map(|code| {
            let count = overview["waiting"][code].as_u64().unwrap_or(0);
            (count > 0).then(|| StatusCount {
                status: (*code).to_owned(),
                count,
                tone: "waiting",
            })
        })
        .collect();
    let (delays, paid) = delays(&overview["payments"], cx.now_ms);
    Some(PublicCharts {
        href,
        total_waiting: waiting.iter().map(|s| s.count).sum(),
        waiting,
        delays,
        paid,
    })
}

/// What Issued invoices and Sent requests publish as facts.
fn work_to_do(cx: &Context) -> (Vec<Returned>, u64) {
    let returned = match (
        tab_href(cx, "issued-invoices"),
        fact(cx, "issued-invoices", "to-acknowledge"),
    ) {
        (Some(href), Some(v)) => v["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| Returned {
                        number: i["number"].as_str().unwrap_or("").to_owned(),
                        status: SUPPLIER_STATUSES
                            .iter()
                            .find(|(c, _)| Some(*c) == i["status"].as_str())
                            .map_or("REJETEE", |(c, _)| c)
                            .to_owned(),
                        href: format!("{href}/invoice/{}", i["id"].as_str().unwrap_or("")),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let open = fact(cx, "sent-requests", "open-requests")
        .and_then(|v| v["count"].as_u64())
        .unwrap_or(0);
    (returned, open)
}

#[derive(Debug, Serialize)]
struct StructureCard<'a> {
    name: &'a str,
    identifier: &'a str,
    /// Codes: `identifier-types.<code>`, `kinds.<code>`.
    identifier_type: &'static str,
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
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        if !req.is_get() || req.path != "/" {
            return Ok(Response::not_found());
        }
        let (to_acknowledge, open_requests) = work_to_do(cx);
        let kind = cx.structure.as_ref().map(|s| s.kind);
        let page = Page {
            first_name: &cx.user.first_name,
            structure: cx.structure.as_ref().map(|s| StructureCard {
                name: &s.name,
                identifier: &s.id,
                identifier_type: IdentifierType::parse(&s.identifier_type)
                    .map_or("other", IdentifierType::as_str),
                kind: s.kind.as_str(),
            }),
            role: cx.role.map(Role::as_str),
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
            attention: attention(cx),
            supplier: (kind == Some(StructureKind::Private))
                .then(|| supplier_charts(cx))
                .flatten(),
            public: (kind == Some(StructureKind::Public))
                .then(|| public_charts(cx))
                .flatten(),
        };
        let title = match &cx.structure {
            Some(s) => i18n::message("title-structure", &[("name", &s.name)]),
            None => i18n::message("title", &[]),
        };
        Ok(Response::view("home.html", &title, &page))
    }
}

/// What to do next, by role and kind of structure; an area is suggested
/// only to a structure that can have it, and only while it lacks it.
fn hints(cx: &Context) -> Vec<Hint> {
    let has = |id: &str| cx.tabs.iter().any(|t| t.id == id);
    let manager = |path: &str| tab_href(cx, "manager-activities").map(|h| format!("{h}{path}"));
    let account = tab_href(cx, "my-account");
    let kind = cx.structure.as_ref().map(|s| s.kind);
    match cx.role {
        Some(role) if role.is_manager() => {
            let mut out = vec![Hint {
                key: "invite",
                href: manager("/members"),
            }];
            match kind {
                Some(StructureKind::Private) if !has("issued-invoices") => out.push(Hint {
                    key: "add-issued-invoices",
                    href: manager("/areas"),
                }),
                Some(StructureKind::Public) if !has("commitments") => out.push(Hint {
                    key: "add-commitments",
                    href: manager("/areas"),
                }),
                _ => {}
            }
            if kind == Some(StructureKind::Public) {
                out.push(Hint {
                    key: "services",
                    href: manager("/services"),
                });
            }
            out
        }
        Some(_) => vec![Hint {
            key: "ask-area",
            href: account,
        }],
        None => vec![Hint {
            key: "no-structure",
            href: account,
        }],
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
            .grant(&["facts"])
    }

    #[test]
    fn greets_and_lists_other_tabs() {
        let host = home();
        let page = host.handle::<Homepage>(&Request::get("/"));
        let data = page.as_view().expect("a view").json();
        assert_eq!(data["first_name"], "Ada");
        assert_eq!(data["structure"]["identifier"], "73282932000074");
        assert_eq!(data["structure"]["identifier_type"], "siret");
        assert_eq!(data["structure"]["kind"], "private");
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
    fn hints_depend_on_the_role_and_never_suggest_what_the_structure_cannot_have() {
        let manager = TestHost::new()
            .area("homepage")
            .tab("manager-activities", "Manager activities")
            .role(Role::SecondaryManager);
        let data = manager
            .handle::<Homepage>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        let keys: Vec<_> = data["hints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["key"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(keys, ["invite", "add-issued-invoices"]);
        assert_eq!(
            data["hints"][0]["href"],
            "/s/73282932000074/manager-activities/members"
        );

        let public = TestHost::new()
            .area("homepage")
            .structure(portico_sdk::Structure {
                id: "21750001600019".into(),
                identifier_type: "siret".into(),
                name: "Ville de Paris".into(),
                kind: StructureKind::Public,
            })
            .tab("manager-activities", "Manager activities")
            .role(Role::PrimaryManager);
        let data = public
            .handle::<Homepage>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        assert!(!data.to_string().contains("issued-invoices"), "{data}");
        assert!(data.to_string().contains("add-commitments"), "{data}");

        let user = home().role(Role::User);
        let data = user
            .handle::<Homepage>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        assert!(!data.to_string().contains("invite"));
        assert_eq!(data["role"], "user");
    }

    #[test]
    fn a_supplier_sees_its_invoices_by_status_and_its_payment_delays() {
        // 2026-12-05; payments in November and in July, one a year old.
        let overview = serde_json::json!({
            "by_status": {"MISE_EN_PAIEMENT": 3, "REJETEE": 1, "BROUILLON": 2},
            "payments": [
                {"month": "2025-11", "count": 1, "days": 90},
                {"month": "2026-07", "count": 1, "days": 40},
                {"month": "2026-11", "count": 2, "days": 61},
            ],
        });
        let host = home().now_ms(1_796_428_800_000).fact(
            "issued-invoices",
            "overview",
            &overview.to_string(),
        );
        let data = host
            .handle::<Homepage>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        let s = &data["supplier"];
        assert_eq!(s["total"], 6);
        assert_eq!(s["by_status"][0]["status"], "BROUILLON");
        assert_eq!(s["by_status"][1]["status"], "REJETEE");
        assert_eq!(s["by_status"][1]["tone"], "problem");
        assert_eq!(s["by_status"][2]["count"], 3);
        let months = s["delays"].as_array().unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(
            (&months[0]["year"], &months[0]["m"]),
            (&"2026".into(), &"01".into())
        );
        assert_eq!(months[6]["days"], 40, "July");
        assert_eq!(
            months[10]["days"], 31,
            "November: 61 days over two, rounded"
        );
        assert_eq!(s["paid"], 3, "a year-old payment is out of the window");
        assert!(data["public"].is_null());
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
