//! End to end: a real `portico` process, real plugins, real HTTP.
//!
//! Run `.ci/build-plugins` first (`.ci/test` does).

mod support;

use support::{Portal, standard_areas};

const PASSWORD: &str = "correct horse battery staple";
const SUPPLIER: &str = "73282932000074";

/// Alice, signed up, primary manager of Ateliers Dupont (SUPPLIER).
async fn alice_with_structure(portal: &Portal) -> support::Client {
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(SUPPLIER, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    alice
}

#[tokio::test]
async fn sign_up_create_a_structure_see_the_tabs_and_log_out() {
    let portal = Portal::start(&standard_areas());
    let alice = portal.client();

    let landing = alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(landing.status, 200);
    assert!(landing.body.contains("Hello Alice"), "{}", landing.body);
    assert!(
        landing
            .body
            .contains("You are not linked to any structure yet"),
        "a newcomer is invited to create or join a structure"
    );
    assert_eq!(
        landing.tabs(),
        vec!["My account"],
        "no structure: only user-scoped areas"
    );

    let created = alice
        .create_structure("732 829 320 00074", "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/s/{SUPPLIER}/homepage").as_str())
    );
    let home = alice.follow(created).await;
    assert_eq!(home.status, 200);
    assert_eq!(
        home.tabs(),
        vec![
            "Logged-in homepage",
            "Fixture",
            "Bare fixture",
            "My account"
        ]
    );
    assert!(home.body.contains("Ateliers Dupont"));

    // The primary manager's structure is listed in My account with the role.
    let account = alice.get("/me/my-account").await;
    assert!(
        account.body.contains("Ateliers Dupont") && account.body.contains("rimary manager"),
        "{}",
        account.body
    );

    // `/` goes to the current structure's first tab.
    let root = alice.get("/").await;
    assert_eq!(
        root.location.as_deref(),
        Some(format!("/s/{SUPPLIER}/").as_str())
    );

    let token = home.csrf();
    let out = alice.post("/logout", &[("_csrf", &token)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/login"));
    let after = alice.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert_eq!(after.status, 303, "signed out: back to the login page");
    assert!(after.location.unwrap().starts_with("/login"));

    // And back in, with the last connection shown.
    let back = alice.log_in("alice@example.com", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let page = alice.follow(back).await;
    assert!(page.body.contains("Last connection:"), "{}", page.body);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let portal = Portal::start(&standard_areas());
    let bob = portal.client();
    bob.sign_up("Bob", "bob@example.com", PASSWORD).await;
    let stranger = portal.client();
    let wrong = stranger
        .log_in("bob@example.com", "not the right password")
        .await;
    let unknown = stranger
        .log_in("nobody@example.com", "not the right password")
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.body.contains("Email or password is incorrect."));
    assert!(unknown.body.contains("Email or password is incorrect."));
    // No session cookie was handed out.
    assert_eq!(stranger.get("/me/my-account").await.status, 303);
}

#[tokio::test]
async fn repeated_failures_are_throttled() {
    let portal = Portal::start(&standard_areas());
    let c = portal.client();
    c.sign_up("Carol", "carol@example.com", PASSWORD).await;
    let mallory = portal.client();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            mallory
                .log_in("carol@example.com", "guessing-password")
                .await
                .status,
        );
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert_eq!(statuses[6], 429, "{statuses:?}");
    // Even the right password is refused while locked.
    assert_eq!(
        mallory.log_in("carol@example.com", PASSWORD).await.status,
        429
    );
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let portal = Portal::start(&standard_areas());
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;

    let forged = alice
        .post(
            "/me/my-account/structures",
            &[
                ("identifier-type", "siret"),
                ("identifier", SUPPLIER),
                ("name", "Forged"),
                ("kind", "private"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        forged.body.contains("This form has expired"),
        "{}",
        forged.body
    );
    let wrong = alice
        .post(
            "/me/my-account/structures",
            &[("_csrf", "0123456789abcdef0123456789abcdef"), ("name", "x")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    // Nothing was created.
    assert_eq!(
        alice.get(&format!("/s/{SUPPLIER}/homepage")).await.status,
        404
    );

    let anonymous = portal.client();
    let login = anonymous
        .post(
            "/login",
            &[("email", "alice@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, 403, "sign-in form needs its token too");
}

#[tokio::test]
async fn another_user_cannot_open_the_structure() {
    let portal = Portal::start(&standard_areas());
    let alice = alice_with_structure(&portal).await;
    assert_eq!(
        alice
            .get_json(&format!("/s/{SUPPLIER}/fixture/kv/set?key=secret&value=42"))
            .await
            .status,
        200
    );

    let eve = portal.client();
    eve.sign_up("Eve", "eve@example.com", PASSWORD).await;
    for path in [
        "homepage",
        "fixture",
        "fixture/kv/get?key=secret",
        "bare",
        "nope",
    ] {
        let page = eve.get(&format!("/s/{SUPPLIER}/{path}")).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("Ateliers Dupont"));
    }
    assert_eq!(eve.get(&format!("/s/{SUPPLIER}/")).await.status, 404);
    // Eve's own structure has its own storage: the same key is empty there.
    eve.create_structure("35600000049837", "La Poste Exemple", "private")
        .await;
    let theirs = eve
        .get_json("/s/35600000049837/fixture/kv/get?key=secret")
        .await;
    assert_eq!(
        theirs.json()["ok"],
        serde_json::Value::Null,
        "{}",
        theirs.body
    );
    let mine = alice
        .get_json(&format!("/s/{SUPPLIER}/fixture/kv/get?key=secret"))
        .await;
    assert_eq!(mine.json()["ok"], "42", "{}", mine.body);
}

#[tokio::test]
async fn bad_siret_gets_a_field_error_and_creates_nothing() {
    let portal = Portal::start(&standard_areas());
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let page = alice
        .create_structure("12345678912345", "Bad", "private")
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("check digit"),
        "the message says what is wrong: {}",
        page.body
    );
    assert!(page.body.contains("14 digits"), "and what would be right");
    assert!(
        page.body.contains(r#"value="Bad""#),
        "the entered name is kept"
    );
    assert_eq!(alice.get("/s/12345678912345/homepage").await.status, 404);
}

#[tokio::test]
async fn signup_rules_are_explained() {
    let portal = Portal::start(&standard_areas());
    let c = portal.client();
    let page = c
        .submit(
            "/signup",
            "/signup",
            &[
                ("first-name", "Dan"),
                ("last-name", "D"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("12 characters"), "{}", page.body);
    assert!(page.body.contains(r#"id="email-error""#));
    assert!(
        page.body.contains(r#"value="Dan""#),
        "entered values are kept"
    );
    assert!(!page.body.contains("short"), "the password is never echoed");
}

#[tokio::test]
async fn json_clients_get_the_view_data() {
    let portal = Portal::start(&standard_areas());
    let alice = alice_with_structure(&portal).await;
    let ctx = alice
        .get_json(&format!("/s/{SUPPLIER}/fixture/context"))
        .await;
    assert_eq!(ctx.status, 200);
    assert!(
        ctx.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = ctx.body;
    assert!(
        body.contains(SUPPLIER) && body.contains("Alice") && body.contains("primary-manager"),
        "{body}"
    );
    assert!(
        !body.contains("csrf"),
        "the plugin never sees the CSRF token"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let portal = Portal::start(&standard_areas());
    let c = portal.client();
    for path in ["/login", "/signup", "/nope", "/healthz"] {
        let page = c.get(path).await;
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert!(page.headers.contains_key("referrer-policy"));
        assert!(page.headers.contains_key("x-request-id"));
    }
    let login = c.get("/login").await;
    assert!(!login.body.contains("<script"), "no script at all");
    assert!(!login.body.contains("style="), "no inline style");
}

#[tokio::test]
async fn session_cookie_is_httponly_and_strict_and_rotated() {
    let portal = Portal::start(&standard_areas());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let c = portal.client();
    c.sign_up("Alice", "alice@example.com", PASSWORD).await;
    // Log in twice from a fresh jar: two different session ids.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let page = http
            .get(format!("{}/login", portal.url))
            .send()
            .await
            .unwrap();
        let pre = page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let body = page.text().await.unwrap();
        let at = body.find(r#"name="_csrf" value=""#).unwrap() + 20;
        let token = &body[at..at + body[at..].find('"').unwrap()];
        let r = http
            .post(format!("{}/login", portal.url))
            .header("cookie", &pre)
            .form(&[
                ("_csrf", token),
                ("email", "alice@example.com"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
            "{set}"
        );
        ids.push(set.split(';').next().unwrap().to_string());
    }
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn a_failing_area_shows_an_error_panel_and_the_others_keep_working() {
    let portal = Portal::start(&standard_areas());
    let alice = alice_with_structure(&portal).await;
    let base = format!("/s/{SUPPLIER}/fixture");

    let trap = alice.get(&format!("{base}/trap")).await;
    assert_eq!(trap.status, 500);
    assert!(
        trap.body.contains("Fixture could not answer") && trap.body.contains("crashed"),
        "{}",
        trap.body
    );
    assert!(
        trap.body.contains("Request id"),
        "the panel quotes the request id"
    );
    assert_eq!(trap.tabs().len(), 4, "the layout and tabs are still there");

    let slow = alice.get(&format!("{base}/loop")).await;
    assert_eq!(slow.status, 504, "{}", slow.body);
    assert!(slow.body.contains("300 ms"), "{}", slow.body);

    let bomb = alice.get(&format!("{base}/memory")).await;
    assert_eq!(bomb.status, 500);
    assert!(bomb.body.contains("32 MiB"), "{}", bomb.body);

    let deep = alice.get(&format!("{base}/recurse")).await;
    assert_eq!(deep.status, 500);
    assert!(deep.body.contains("stack"), "{}", deep.body);

    // Printing, HashMap and the clock work inside the sandbox.
    assert_eq!(alice.get(&format!("{base}/print")).await.status, 200);
    assert_eq!(alice.get(&format!("{base}/std")).await.status, 200);
    // And the host is still fine.
    assert_eq!(
        alice.get(&format!("/s/{SUPPLIER}/homepage")).await.status,
        200
    );
    assert_eq!(alice.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn imports_without_the_capability_are_refused_by_name() {
    let portal = Portal::start(&standard_areas());
    let alice = alice_with_structure(&portal).await;
    // `bare` is the fixture plugin declared without capabilities.
    for (route, cap) in [
        ("kv/get?key=a", "kv"),
        ("kv/set?key=a&value=b", "kv"),
        ("facts/set?name=x&value=true", "facts"),
        ("messages/send?to=1&area=a&kind=k&payload=p", "messages"),
        ("directory/members", "directory"),
        ("account/profile", "account"),
    ] {
        let r = alice.get_json(&format!("/s/{SUPPLIER}/bare/{route}")).await;
        assert_eq!(r.status, 200, "{route}: {}", r.body);
        let err = &r.json()["error"];
        assert_eq!(err["kind"], "capability-denied", "{route}: {}", r.body);
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{cap}`")),
            "{route}: {}",
            r.body
        );
    }
    // With the capability, the same call works.
    let ok = alice
        .get_json(&format!("/s/{SUPPLIER}/fixture/kv/set?key=a&value=b"))
        .await;
    assert_eq!(ok.json()["error"], serde_json::Value::Null, "{}", ok.body);
}

#[tokio::test]
async fn role_restricted_areas_are_hidden_and_refused() {
    // `bare` is for primary managers only; a user-only portal hides it.
    let yaml = standard_areas().replace("roles: [primary-manager]", "roles: [user]");
    let portal = Portal::start(&yaml);
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let home = alice
        .follow(
            alice
                .create_structure(SUPPLIER, "Ateliers Dupont", "private")
                .await,
        )
        .await;
    assert!(
        !home.tabs().contains(&"Bare fixture".to_string()),
        "{:?}",
        home.tabs()
    );
    let refused = alice.get(&format!("/s/{SUPPLIER}/bare")).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("user only"),
        "the page says why: {}",
        refused.body
    );
}

/// Sixteen people open the Hello tab at once: each visit is a read, an
/// increment and a write of the same `visits` key. Every request answers
/// 200 and every visit is counted: a call whose commit finds the counter
/// changed is re-run (with a jittered pause) until it commits, within its
/// deadline, never answered "nothing was saved".
#[tokio::test]
async fn sixteen_concurrent_writers_to_one_key_lose_no_request() {
    const WRITERS: u64 = 16;
    // The deadline bounds the re-runs; this one leaves room for a debug
    // build on a shared machine.
    let yaml = format!(
        "{}  - id: hello\n    title: Hello\n    plugin: {}\n    version: 1.0.0\n    order: 70\n    capabilities: [kv]\n    limits: {{ timeout-ms: 10000 }}\n",
        standard_areas(),
        support::plugin("hello").display()
    );
    let portal = Portal::start(&yaml);
    let alice = alice_with_structure(&portal).await;
    let page = format!("/s/{SUPPLIER}/hello");
    let visits: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (client, page) = (alice.clone(), page.clone());
            tokio::spawn(async move { client.get_json(&page).await })
        })
        .collect();
    let mut seen = Vec::new();
    for visit in visits {
        let answer = visit.await.unwrap();
        assert_eq!(answer.status, 200, "a visit was lost: {}", answer.body);
        seen.push(answer.json()["visits"].as_u64().unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=WRITERS).collect::<Vec<_>>(),
        "each visit saw the one before it"
    );
    let after = alice.get_json(&page).await;
    assert_eq!(after.json()["visits"], WRITERS + 1, "{}", after.body);
}

/// Issue 11: the language is the one saved in the profile (by the header's
/// switch), else the browser's `Accept-Language`, else French; `<html
/// lang>`, the host's pages, an area's own catalogue, its translatable form
/// errors and the JSON errors all follow it.
#[tokio::test]
async fn pages_and_errors_follow_the_language_of_the_reader() {
    let yaml = format!(
        "{}  - id: hello\n    title: Hello\n    plugin: {}\n    version: 1.0.0\n    order: 70\n    capabilities: [kv]\n",
        standard_areas(),
        support::plugin("hello").display()
    );
    let portal = Portal::start(&yaml);

    // A browser that states no language gets French.
    let bare = portal.client_in("");
    let login = bare.get("/login").await;
    assert!(login.body.contains(r#"<html lang="fr">"#), "{}", login.body);
    assert_eq!(login.headers["content-language"], "fr");
    let missing = bare.get_json("/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json()["error"],
        "Cette page n'existe pas, ou vous n'y avez pas accès."
    );
    // One that prefers English (over French) gets English.
    let english = portal.client_in("de-DE, en-GB;q=0.9, fr;q=0.5");
    let missing = english.get_json("/no-such-page").await;
    assert_eq!(
        missing.json()["error"],
        "This page does not exist, or you do not have access to it."
    );

    // Alice's browser asks for English: the host and the area speak it.
    let alice = alice_with_structure(&portal).await;
    let hello = format!("/s/{SUPPLIER}/hello");
    let page = alice.get(&hello).await;
    assert!(page.body.contains(r#"<html lang="en">"#), "{}", page.body);
    assert!(page.body.contains("Hello, Alice!"), "{}", page.body);
    assert!(page.body.contains("Log out"), "{}", page.body);

    // The switch: French, saved in her profile, back where she was.
    let token = page.csrf();
    let switched = alice
        .http
        .post(format!("{}/language", alice.base))
        .header("referer", format!("{}{hello}", alice.base))
        .form(&[("_csrf", token.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    assert_eq!(switched.headers()["location"], hello.as_str());
    let page = alice.get(&hello).await;
    assert!(page.body.contains(r#"<html lang="fr">"#), "{}", page.body);
    assert!(page.body.contains("Bonjour, Alice !"), "{}", page.body);
    assert!(page.body.contains("Se déconnecter"), "{}", page.body);

    // A form error made by the plugin's code, in her language.
    let saved = alice
        .submit(&hello, &format!("{hello}/name"), &[("name", "Zoé")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let again = alice
        .submit(&hello, &format!("{hello}/name"), &[("name", "Zoé")])
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again.body.contains("« Zoé » est déjà le nom salué."),
        "{}",
        again.body
    );

    // An unknown language is refused, saying what would be right.
    let token = alice.get(&hello).await.csrf();
    let refused = alice
        .post("/language", &[("_csrf", token.as_str()), ("lang", "de")])
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("Langue inconnue « de »"),
        "{}",
        refused.body
    );

    // Her choice follows her to another (English) browser at sign-in.
    let elsewhere = portal.client();
    let landing = elsewhere
        .follow(elsewhere.log_in("alice@example.com", PASSWORD).await)
        .await;
    assert!(
        landing.body.contains(r#"<html lang="fr">"#),
        "{}",
        landing.body
    );
    assert!(landing.body.contains("Se déconnecter"), "{}", landing.body);
}
