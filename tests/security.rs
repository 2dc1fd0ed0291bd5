//! The holes an outside security trial found (issue 10), each reproduced
//! against a real `portico` process with a hostile area (`plugins/hostile`,
//! written only against the SDK) and shown to do no harm now.

mod support;

use support::{METRICS_TOKEN, Portal, plugin};

const PASSWORD: &str = "correct horse battery staple";
const A: &str = "73282932000074";

fn areas() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [log]
  - id: manager-activities
    title: Manager activities
    plugin: {manager}
    version: 1.0.0
    order: 20
    roles: [primary-manager, secondary-manager]
    capabilities: [directory, log]
  - id: hostile
    title: Hostile
    plugin: {hostile}
    version: 1.0.0
    order: 30
    capabilities: [kv, log]
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = plugin("homepage").display(),
        manager = plugin("manager-activities").display(),
        hostile = plugin("hostile").display(),
        account = plugin("my-account").display(),
    )
}

/// Hole 1: a form printed by the hostile area, aimed at Manager activities'
/// "add member", is refused when the primary manager clicks it; the same
/// form with Manager activities' own token works (so the check is what
/// stops it), and no template can print the token.
#[tokio::test]
async fn a_form_printed_by_one_area_is_refused_by_another() {
    let portal = Portal::start(&areas());
    let mallory = portal.client();
    mallory
        .sign_up("Mallory", "mallory@example.com", PASSWORD)
        .await;
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let r = alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    let add = format!("/s/{A}/manager-activities/members/add");
    let bait = alice
        .get(&format!("/s/{A}/hostile/forge?action={add}"))
        .await;
    assert_eq!(bait.status, 200, "{}\n{}", bait.body, portal.log());
    let hostile_token = bait.csrf();
    let forged = alice
        .post(
            &add,
            &[
                ("_csrf", hostile_token.as_str()),
                ("email", "mallory@example.com"),
                ("role", "secondary-manager"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(
        forged.body.contains("did not come from Portico"),
        "{}",
        forged.body
    );
    let members = alice
        .get_json(&format!("/s/{A}/manager-activities/members"))
        .await
        .json();
    let emails: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["email"].as_str())
        .collect();
    assert_eq!(emails, ["alice@example.com"], "nobody was added");

    // The host's own forms (logout) refuse it too.
    let logout = alice
        .post("/logout", &[("_csrf", hostile_token.as_str())])
        .await;
    assert_eq!(logout.status, 403, "{}", logout.body);

    // debug() and every other way of printing the context shows no token.
    let debug = alice.get(&format!("/s/{A}/hostile/debug")).await;
    assert_eq!(debug.status, 200, "{}", debug.body);
    assert!(
        debug.body.contains("ctx"),
        "debug() did print: {}",
        debug.body
    );
    let logout_token = debug.host_csrf(); // the layout's logout form
    let (start, end) = (
        debug.body.find(r#"<pre id="debug">"#).unwrap(),
        debug.body.find("</pre>").unwrap(),
    );
    let printed = &debug.body[start..end];
    for token in [&hostile_token, &logout_token] {
        assert!(
            !printed.contains(token.as_str()),
            "debug() shows {token}: {printed}"
        );
    }

    // Control: Manager activities' own form, same fields, is accepted.
    let r = alice
        .submit(
            &format!("/s/{A}/manager-activities/members"),
            &add,
            &[("email", "mallory@example.com"), ("role", "user")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Hole 2: raw HTML, a meta refresh, off-site links and dangling markup
/// from an area's template are refused with a clear panel; a link within
/// the portal renders.
#[tokio::test]
async fn area_templates_cannot_emit_raw_html_or_send_people_elsewhere() {
    let portal = Portal::start(&areas());
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    let h = format!("/s/{A}/hostile");

    let raw = alice.get(&format!("{h}/raw")).await;
    assert_eq!(raw.status, 500, "{}", raw.body);
    assert!(raw.body.contains("unknown filter"), "{}", raw.body);
    assert!(!raw.body.contains("<script"), "{}", raw.body);

    let refresh = alice.get(&format!("{h}/refresh")).await;
    assert_eq!(refresh.status, 500, "{}", refresh.body);
    assert!(!refresh.body.contains("http-equiv"), "{}", refresh.body);
    assert!(
        refresh.body.contains("&lt;meta&gt;"),
        "names the element: {}",
        refresh.body
    );

    for to in [
        "https://elsewhere.example/login",
        "//elsewhere.example",
        "javascript:alert(1)",
    ] {
        let page = alice.get(&format!("{h}/link?to={}", urlencode(to))).await;
        assert_eq!(page.status, 500, "{to}: {}", page.body);
        assert!(
            page.body.contains("leaves the portal"),
            "{to}: {}",
            page.body
        );
        assert!(!page.body.contains(r#"id="link""#), "{to}: {}", page.body);
    }
    let inside = alice
        .get(&format!(
            "{h}/link?to={}",
            urlencode(&format!("/s/{A}/homepage"))
        ))
        .await;
    assert_eq!(inside.status, 200, "{}", inside.body);
    assert!(inside.body.contains(r#"id="link""#));

    let dangling = alice.get(&format!("{h}/dangling")).await;
    assert_eq!(dangling.status, 500, "{}", dangling.body);
    assert!(dangling.body.contains("left open"), "{}", dangling.body);
}

/// Hole 5: one call's 40 MiB of log with a forged line becomes at most the
/// per-call cap, one line per message, each marked with the area.
#[tokio::test]
async fn an_area_cannot_flood_or_forge_the_log() {
    let portal = Portal::start(&areas());
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    let page = alice.get(&format!("/s/{A}/hostile/log-flood")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let rid = page.headers["x-request-id"].to_str().unwrap().to_string();
    // The access line is written after the response: wait for it.
    let mut log = String::new();
    for _ in 0..100 {
        log = portal.log();
        if log
            .lines()
            .any(|l| l.contains(&rid) && l.contains("status=200"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(&format!("request_id={rid}")))
        .collect();
    let area_bytes: usize = lines
        .iter()
        .filter(|l| l.contains("area hostile:"))
        .map(|l| l.len())
        .sum();
    assert!(
        area_bytes > 8_000,
        "the area's lines are there: {area_bytes}"
    );
    assert!(
        area_bytes < 24 << 10,
        "capped near 16 KiB per call, got {area_bytes} bytes"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("log cap of 16384 bytes per call reached"))
    );
    for line in log.lines() {
        if line.contains("login ok user=admin") {
            assert!(line.contains("area hostile:"), "a forged line: {line}");
        }
    }
}

/// Hole 8: CR/LF in a redirect, a panic's text, the clock's resolution.
#[tokio::test]
async fn smaller_points_hold() {
    let portal = Portal::start(&areas());
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    let h = format!("/s/{A}/hostile");

    let crlf = alice.get(&format!("{h}/redirect-crlf")).await;
    assert_eq!(crlf.status, 500, "{}", crlf.body);
    assert!(
        crlf.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(crlf.body.contains("control characters"), "{}", crlf.body);
    assert!(
        crlf.body.contains("could not answer"),
        "an error panel: {}",
        crlf.body
    );
    assert!(
        crlf.headers
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().contains("stolen"))
    );

    let clock = alice.get_json(&format!("{h}/clock")).await.json();
    let clock = clock["ok"]
        .as_object()
        .map(|_| clock["ok"].clone())
        .unwrap_or_else(|| panic!("{clock}"));
    assert_eq!(
        clock["wall_sub_ms_ns"], 0,
        "wall clock in whole ms: {clock}"
    );
    assert_eq!(
        clock["mono_sub_ms_ns"], 0,
        "monotonic clock in whole ms: {clock}"
    );
    let step = clock["mono_finest_step_ns"].as_u64().unwrap();
    assert!(step == 0 || step >= 1_000_000, "{clock}");

    // /metrics: not without the bearer token; with it, yes.
    let anonymous = portal.client().get("/metrics").await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert!(anonymous.headers.contains_key("www-authenticate"));
    let signed_in = alice.get("/metrics").await;
    assert_eq!(signed_in.status, 401, "a session is not a scraper");
    let scraper = alice.metrics().await;
    assert_eq!(scraper.status, 200);
    assert!(
        scraper
            .body
            .contains("portico_area_calls_total{area=\"hostile\"}")
    );

    // Hole 4: structure search is throttled per account.
    for i in 0..20 {
        let page = alice.get(&format!("/me/my-account?q={A}")).await;
        assert!(
            page.body.contains("Ateliers Dupont"),
            "search {i}: {}",
            page.body
        );
    }
    let page = alice.get(&format!("/me/my-account?q={A}")).await;
    assert!(
        page.body
            .contains("You searched many times in a short while. Wait 6 seconds"),
        "{}",
        page.body
    );

    // Over the body limit: 413, in words.
    let big = "x".repeat(20 << 10);
    let r = portal
        .client()
        .post("/login", &[("email", big.as_str())])
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(
        r.body.contains("larger than the 16 KiB allowed"),
        "{}",
        r.body
    );
    assert!(
        !portal
            .client()
            .get("/login")
            .await
            .headers
            .contains_key("strict-transport-security")
    );
}

/// HSTS with --secure-cookies; /metrics on a separate address.
#[tokio::test]
async fn https_deployments_get_hsts_and_metrics_can_live_elsewhere() {
    let portal = Portal::start_in(
        tempfile::tempdir().unwrap(),
        &areas(),
        &["--secure-cookies", "--metrics-listen", "127.0.0.1:0"],
    );
    let login = portal.client().get("/login").await;
    assert_eq!(
        login.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let metrics_url = portal
        .startup
        .iter()
        .find_map(|l| l.strip_prefix("Metrics on "))
        .expect("the metrics address is printed")
        .trim()
        .to_string();
    let body = reqwest::get(&metrics_url).await.unwrap();
    assert_eq!(body.status(), 200);
    assert!(
        body.text()
            .await
            .unwrap()
            .contains("portico_catalog_generation 1")
    );
    let _ = METRICS_TOKEN;
}

/// Hole 3: behind a trusted proxy each client is counted on its own, the
/// owner is not locked out by someone else's guesses, and the wait is said
/// in words; a client that is not a trusted proxy cannot pick its address.
#[tokio::test]
async fn throttling_counts_clients_behind_a_trusted_proxy_and_spares_the_owner() {
    let portal = Portal::start_in(
        tempfile::tempdir().unwrap(),
        &areas(),
        &["--trusted-proxy", "127.0.0.1/32,::1"],
    );
    let carol = portal.client();
    carol.sign_up("Carol", "carol@example.com", PASSWORD).await;
    let via = |client: &support::Client, ip: &str, email: &str, password: &str| {
        let form_page = client
            .http
            .get(format!("{}/login", client.base))
            .header("x-forwarded-for", ip.to_string());
        let (ip, email, password) = (ip.to_string(), email.to_string(), password.to_string());
        let base = client.base.clone();
        let http = client.http.clone();
        async move {
            let page = form_page.send().await.unwrap().text().await.unwrap();
            let at =
                page.find(r#"name="_csrf" value=""#).unwrap() + r#"name="_csrf" value=""#.len();
            let token = page[at..at + page[at..].find('"').unwrap()].to_string();
            let r = http
                .post(format!("{base}/login"))
                .header("x-forwarded-for", ip)
                .form(&[
                    ("_csrf", token.as_str()),
                    ("email", &email),
                    ("password", &password),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // Carol signs in from home once: her address becomes known.
    let home = portal.client();
    assert_eq!(
        via(&home, "192.0.2.50", "carol@example.com", PASSWORD)
            .await
            .0,
        303
    );

    // An attacker behind the same proxy guesses 25 accounts, then Carol's.
    let attacker = portal.client();
    for i in 0..25 {
        let (status, _) = via(
            &attacker,
            "203.0.113.7",
            &format!("u{i}@example.com"),
            "wrong password!",
        )
        .await;
        assert!(status == 401 || status == 429, "{status}");
    }
    let (status, body) = via(&attacker, "203.0.113.7", "carol@example.com", PASSWORD).await;
    assert_eq!(status, 429, "the guessing client waits: {body}");
    assert!(
        body.contains("wait 30 seconds and try again"),
        "in words: {body}"
    );
    // …but another client of the same proxy does not.
    let colleague = portal.client();
    assert_eq!(
        via(&colleague, "198.51.100.9", "carol@example.com", PASSWORD)
            .await
            .0,
        303
    );

    // Carol's account guessed from many addresses: new addresses wait, Carol at home does not.
    let botnet = portal.client();
    for i in 0..30 {
        let _ = via(
            &botnet,
            &format!("198.18.0.{i}"),
            "carol@example.com",
            "wrong password!",
        )
        .await;
    }
    assert_eq!(
        via(&botnet, "198.18.1.1", "carol@example.com", PASSWORD)
            .await
            .0,
        429
    );
    let home_again = portal.client();
    assert_eq!(
        via(&home_again, "192.0.2.50", "carol@example.com", PASSWORD)
            .await
            .0,
        303
    );
}

/// Without --trusted-proxy, X-Forwarded-For is the client's word and is
/// ignored: changing it on each attempt does not escape the count.
#[tokio::test]
async fn a_client_cannot_choose_its_address() {
    let portal = Portal::start(&areas());
    let carol = portal.client();
    carol.sign_up("Carol", "carol@example.com", PASSWORD).await;
    let mallory = portal.client();
    let mut statuses = Vec::new();
    for i in 0..7 {
        let page = mallory.get("/login").await;
        let r = mallory
            .http
            .post(format!("{}/login", mallory.base))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .form(&[
                ("_csrf", page.csrf().as_str()),
                ("email", "carol@example.com"),
                ("password", "guess guess guess"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses[6], 429, "{statuses:?}");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
