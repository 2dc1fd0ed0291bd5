//! The authorization matrix (`tests/authz.csv`, kept as data) run against a
//! real server: every route × every kind of person × own or other
//! structure → the expected status. See the CSV's header for the actors.

mod support;

use std::collections::BTreeMap;

use support::{Client, Portal, directory_areas};

const PASSWORD: &str = "correct horse battery staple";
/// Structure A: the actors' own structure (private supplier).
const OWN: &str = "73282932000074";
/// Structure B: another structure (public body).
const OTHER: &str = "13000165200010";
/// The matrix's actor columns, in order.
const ACTORS: [&str; 5] = ["anonymous", "user", "secondary", "primary", "outsider"];

struct Row {
    line: usize,
    method: String,
    path: String,
    target: String,
    expected: Vec<u16>,
    form: Vec<(String, String)>,
}

fn matrix() -> Vec<Row> {
    let text = std::fs::read_to_string(support::repo().join("tests/authz.csv")).unwrap();
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            header_seen = true;
            assert_eq!(
                line,
                "method,path,target,anonymous,user,secondary,primary,outsider,form"
            );
            continue;
        }
        let cells: Vec<&str> = line.splitn(9, ',').collect();
        assert_eq!(cells.len(), 9, "authz.csv:{}: 9 cells expected", i + 1);
        let expected = cells[3..8]
            .iter()
            .map(|c| {
                c.parse()
                    .unwrap_or_else(|_| panic!("authz.csv:{}: status `{c}`", i + 1))
            })
            .collect();
        let form = cells[8]
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        rows.push(Row {
            line: i + 1,
            method: cells[0].to_string(),
            path: cells[1].to_string(),
            target: cells[2].to_string(),
            expected,
            form,
        });
    }
    rows
}

async fn signed_up(portal: &Portal, name: &str) -> Client {
    let c = portal.client();
    c.sign_up(
        name,
        &format!("{}@example.com", name.to_lowercase()),
        PASSWORD,
    )
    .await;
    c
}

async fn ask(c: &Client, structure: &str) {
    let r = c
        .submit(
            "/me/my-account",
            "/me/my-account/link-requests",
            &[("structure", structure)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// The user id of `email` among the link requests `manager` sees.
async fn requester(manager: &Client, sid: &str, email: &str) -> String {
    let requests = manager
        .get_json(&format!("/s/{sid}/manager-activities/link-requests"))
        .await
        .json();
    requests["link_requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == email)
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn approve(manager: &Client, sid: &str, user: &str, role: &str) {
    let base = format!("/s/{sid}/manager-activities");
    let r = manager
        .submit(
            &format!("{base}/link-requests"),
            &format!("{base}/link-requests"),
            &[("user", user), ("decision", "approve"), ("role", role)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

async fn install(manager: &Client, sid: &str, area: &str) {
    let base = format!("/s/{sid}/manager-activities");
    let r = manager
        .submit(
            &format!("{base}/areas"),
            &format!("{base}/areas/add"),
            &[("area", area)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn every_route_answers_every_person_as_the_matrix_says() {
    let portal = Portal::start(&directory_areas());
    let primary = signed_up(&portal, "Pat").await;
    assert_eq!(
        primary
            .create_structure(OWN, "Structure A", "private")
            .await
            .status,
        303
    );
    let outsider = signed_up(&portal, "Olga").await;
    assert_eq!(
        outsider
            .create_structure(OTHER, "Structure B", "public")
            .await
            .status,
        303
    );
    let user = signed_up(&portal, "Ursula").await;
    let secondary = signed_up(&portal, "Sam").await;
    let user_b = signed_up(&portal, "Ugo").await;
    ask(&user, OWN).await;
    ask(&secondary, OWN).await;
    ask(&user_b, OTHER).await;
    let ursula = requester(&primary, OWN, "ursula@example.com").await;
    let sam = requester(&primary, OWN, "sam@example.com").await;
    let ugo = requester(&outsider, OTHER, "ugo@example.com").await;
    approve(&primary, OWN, &ursula, "user").await;
    approve(&primary, OWN, &sam, "secondary-manager").await;
    approve(&outsider, OTHER, &ugo, "user").await;
    install(&primary, OWN, "invoices").await;
    install(&outsider, OTHER, "invoices").await;

    let anonymous = portal.client();
    let actors: [&Client; 5] = [&anonymous, &user, &secondary, &primary, &outsider];
    // The CSRF token of each signed-in actor's session.
    let mut tokens = BTreeMap::new();
    for (name, client) in ACTORS.iter().zip(actors) {
        if *name != "anonymous" {
            tokens.insert(*name, client.get("/me/my-account").await.csrf());
        }
    }

    let mut failures = Vec::new();
    let rows = matrix();
    assert!(rows.len() > 30, "the matrix covers every route");
    for row in &rows {
        let (sid, member, foreign) = match row.target.as_str() {
            "own" => (OWN, ursula.as_str(), ugo.as_str()),
            "other" => (OTHER, ugo.as_str(), ursula.as_str()),
            _ => ("", "", ""),
        };
        let fill = |s: &str| {
            s.replace("{s}", sid)
                .replace("{member}", member)
                .replace("{foreign}", foreign)
        };
        let path = fill(&row.path);
        for ((name, client), expected) in ACTORS.iter().zip(actors).zip(&row.expected) {
            let page = match row.method.as_str() {
                "GET" => client.get(&path).await,
                "POST" => {
                    let mut form: Vec<(String, String)> =
                        row.form.iter().map(|(k, v)| (k.clone(), fill(v))).collect();
                    if let Some(fallback) = tokens.get(name) {
                        // Form tokens belong to one area of one structure:
                        // take the one the area's own page gives this actor
                        // (an actor without access gets none, and is
                        // refused before the token is looked at).
                        let token = area_token(client, &path)
                            .await
                            .unwrap_or_else(|| fallback.clone());
                        form.push(("_csrf".into(), token));
                    }
                    let form: Vec<(&str, &str)> =
                        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    client.post(&path, &form).await
                }
                m => panic!("authz.csv:{}: method {m}", row.line),
            };
            if page.status != *expected {
                failures.push(format!(
                    "authz.csv:{} {} {path} as {name}: expected {expected}, got {}",
                    row.line, row.method, page.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The form token `client` gets on the page of the area `path` belongs to
/// (`/s/{s}/{area}` or `/me/{area}`), if it can open that page.
async fn area_token(client: &Client, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let base = match parts.get(1) {
        Some(&"s") if parts.len() >= 4 => parts[..4].join("/"),
        Some(&"me") if parts.len() >= 3 => parts[..3].join("/"),
        _ => return None,
    };
    // Any page of the area with a form will do: the path itself, its
    // parents, the area's first page, then the pages it links to.
    let mut candidates = vec![path.to_string()];
    while let Some(cut) = candidates.last().unwrap().rfind('/') {
        if cut < base.len() {
            break;
        }
        let parent = candidates.last().unwrap()[..cut].to_string();
        candidates.push(parent);
    }
    let first = client.follow(client.get(&base).await).await;
    let first = first.body.replace("&#x2f;", "/");
    let prefix = format!(r#"href="{base}/"#);
    candidates.extend(first.match_indices(&prefix).map(|(at, _)| {
        let link = &first[at + 6..];
        link[..link.find('"').unwrap_or(0)].to_string()
    }));
    for candidate in candidates {
        let page = client.follow(client.get(&candidate).await).await;
        if page.status == 200
            && let Some(token) = page.area_csrf()
        {
            return Some(token);
        }
    }
    None
}
