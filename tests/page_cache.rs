//! The page cache (`host/src/web/page_cache.rs`), as people would notice
//! it: a page kept for an area that allows it is served again only while
//! it is what a fresh call would show. Every change a person or the host
//! makes — their own write, a logout, a reload, time passing — shows on
//! the next request; one person's page never reaches another session.

mod support;

use support::{Client, Page, Portal, standard_areas};

const SIRET: &str = "73282932000074";
const KEPT: &str = "x-portico-page-cache";

/// The tests' usual areas, the fixture allowing kept pages for 30 s (the
/// homepage and the bare fixture do not).
fn areas() -> String {
    let limits = "    limits: { memory-mib: 32, timeout-ms: 300 }\n";
    let areas = standard_areas();
    assert!(areas.contains(limits), "the fixture's limits line moved");
    areas.replace(limits, &format!("{limits}    page-cache-s: 30\n"))
}

fn kept(page: &Page) -> bool {
    page.headers.get(KEPT).is_some_and(|v| v == "hit")
}

/// The fixture's answer (`{"ok": …}`) to a JSON client, as text.
async fn value(c: &Client, path: &str) -> String {
    let page = c.get_json(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.json()["ok"].as_str().unwrap_or_default().to_string()
}

fn footer_request_id(page: &Page) -> String {
    let at = page.body.find("<footer").expect("a footer");
    page.body[at..]
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 16)
        .expect("a request id")
        .to_string()
}

async fn signed_up(portal: &Portal, email: &str) -> Client {
    let c = portal.client();
    c.sign_up("Alice", email, "correct horse battery").await;
    c
}

#[tokio::test]
async fn a_kept_page_is_served_only_while_it_is_what_a_fresh_call_would_show() {
    let portal = Portal::start_movable(&areas());
    let alice = signed_up(&portal, "alice@example.fr").await;
    let made = alice
        .create_structure(SIRET, "Ateliers Dupont", "private")
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let base = format!("/s/{SIRET}/fixture");
    let read = format!("{base}/kv/get?key=counter");
    // Each page below is first built, then (where allowed) kept.

    // A page that writes acts every time: never kept.
    for expected in [1, 2] {
        let page = alice.get_json(&format!("{base}/kv/incr?key=counter")).await;
        assert!(!kept(&page), "a page that wrote was served from the cache");
        assert_eq!(value(&alice, &read).await, expected.to_string());
    }
    let html = alice.get(&format!("{base}/kv/incr?key=counter")).await;
    assert!(!kept(&html), "a page that wrote was served from the cache");
    assert_eq!(value(&alice, &read).await, "3");

    // A page that only reads is built once, then served from the cache,
    // with this request's id in the footer (not the first one's).
    let first = alice.get(&read).await;
    assert!(!kept(&first));
    let again = alice.get(&read).await;
    assert!(kept(&again), "the second read was built again");
    assert_eq!(
        again.headers["content-length"].to_str().unwrap(),
        again.body.len().to_string(),
        "a kept page says its length"
    );
    assert_eq!(
        again.body.replace(&footer_request_id(&again), ""),
        first.body.replace(&footer_request_id(&first), "")
    );
    assert_ne!(footer_request_id(&again), footer_request_id(&first));
    assert_eq!(
        footer_request_id(&again),
        again.headers["x-request-id"].to_str().unwrap()
    );

    // A write to something else does not drop it; a write to what it read
    // does, and the next page shows the new value.
    alice.get(&format!("{base}/kv/set?key=other&value=x")).await;
    assert!(
        kept(&alice.get(&read).await),
        "an unrelated key's write dropped the page"
    );
    alice.get(&format!("{base}/kv/incr?key=counter")).await;
    let after = alice.get(&read).await;
    assert!(
        !kept(&after),
        "a page whose value changed was served from the cache"
    );
    assert!(kept(&alice.get(&read).await));
    assert_eq!(
        value(&alice, &read).await,
        "4",
        "the JSON page shows the new value"
    );

    // An area without `page-cache-s` is never kept.
    let other = alice.get(&format!("/s/{SIRET}/homepage")).await;
    let other_again = alice.get(&format!("/s/{SIRET}/homepage")).await;
    assert!(
        other.status == 200 && !kept(&other) && !kept(&other_again),
        "an area that did not allow it was kept"
    );

    // An answer showing the request id (the context) cannot be replayed.
    for _ in 0..2 {
        assert!(!kept(&alice.get(&format!("{base}/context")).await));
    }

    // JSON is kept apart from HTML, and is the same answer.
    let json_again = alice.get_json(&read).await;
    assert!(kept(&json_again) && json_again.json()["ok"] == "4");

    // Time: the area was told the time; past `page-cache-s` it is asked again.
    assert!(kept(&alice.get(&read).await));
    portal.advance_clock(31_000).await;
    assert!(
        !kept(&alice.get(&read).await),
        "a page older than page-cache-s was served"
    );
    assert!(kept(&alice.get(&read).await));

    // Another session of the same person, and another person: never
    // someone else's kept page.
    let second = portal.client();
    second
        .log_in("alice@example.fr", "correct horse battery")
        .await;
    assert!(
        !kept(&second.get(&read).await),
        "another session got this one's page"
    );
    let bob = signed_up(&portal, "bob@example.fr").await;
    let bobs = bob.get(&read).await;
    assert!(
        !kept(&bobs) && bobs.status == 404,
        "a non-member saw the page: {}",
        bobs.status
    );

    // Signing in again wrote the person's last sign-in, which the header
    // shows: the page is built once more. A logout then ends it at once.
    assert!(
        !kept(&alice.get(&read).await),
        "the new last sign-in is not shown"
    );
    assert!(kept(&alice.get(&read).await));
    let token = alice.get(&read).await.host_csrf();
    assert_eq!(
        alice.post("/logout", &[("_csrf", &token)]).await.status,
        303
    );
    let out = alice.get(&read).await;
    assert!(
        !kept(&out) && out.status == 303,
        "after logout: {} {:?}",
        out.status,
        out.location
    );

    // The operator sees it work.
    let metrics = bob.metrics().await.body;
    let hits: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("portico_page_cache_hits_total "))
        .and_then(|n| n.parse().ok())
        .expect("the hits counter");
    assert!(hits >= 8, "{metrics}");
}

#[tokio::test]
async fn a_reload_and_a_new_member_show_at_once_and_the_cache_can_be_turned_off() {
    let portal = Portal::start_movable(&areas());
    let alice = signed_up(&portal, "alice@example.fr").await;
    alice
        .create_structure(SIRET, "Ateliers Dupont", "private")
        .await;
    let read = format!("/s/{SIRET}/fixture/kv/get?key=k");
    // The first visit records the structure as the session's current one
    // (a write: not kept); the second is kept; the third is served from it.
    assert!(!kept(&alice.get(&read).await));
    assert!(!kept(&alice.get(&read).await));
    let before = alice.get(&read).await;
    assert!(kept(&before));
    assert!(!before.tabs().iter().any(|t| t == "Renamed fixture"));

    // A reload renames the other tab: the kept page (its tab bar) is not
    // served again.
    portal.write_areas(&areas().replace("title: Bare fixture", "title: Renamed fixture"));
    let mut shown = false;
    for _ in 0..100 {
        let page = alice.get(&read).await;
        if page.tabs().iter().any(|t| t == "Renamed fixture") {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(shown, "the reload never showed on the kept page");

    // A manager action elsewhere in the structure that the page shows
    // (a new structure for the same person: the switcher) shows at once.
    assert!(kept(&alice.get(&read).await));
    alice
        .create_structure("35600000049837", "La Poste Exemple", "private")
        .await;
    let page = alice.get(&read).await;
    assert!(
        !kept(&page) && page.body.contains("La Poste Exemple"),
        "the new membership is not in the switcher"
    );

    // --page-cache-mib 0: nothing is kept.
    let off = Portal::start_in(
        tempfile::tempdir().unwrap(),
        &areas(),
        &["--page-cache-mib", "0"],
    );
    let c = signed_up(&off, "carol@example.fr").await;
    c.create_structure(SIRET, "Ateliers Dupont", "private")
        .await;
    for _ in 0..4 {
        assert!(!kept(&c.get(&read).await));
    }
}
