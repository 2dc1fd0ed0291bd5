//! End to end: structures, people and areas per structure. Link requests
//! and their approval, roles that take effect on the next request, areas
//! added on request with subscriptions, and `when`-gated areas that follow
//! a fact published by another area. A real `portico` process, real
//! plugins, real HTTP; run `.ci/build-plugins` first.

mod support;

use support::{Client, Portal, directory_areas as areas};

const PASSWORD: &str = "correct horse battery staple";
const SUPPLIER: &str = "73282932000074";

fn ma(path: &str) -> String {
    format!("/s/{SUPPLIER}/manager-activities{path}")
}

/// Posts a manager form from its page; asserts the 303 back.
async fn manage(client: &Client, page: &str, action: &str, form: &[(&str, &str)]) {
    let r = client.submit(&ma(page), &ma(action), form).await;
    assert_eq!(r.status, 303, "{action}: {}", r.body);
}

/// The account id of `email`, read from the members page as JSON.
async fn user_id(manager: &Client, email: &str) -> String {
    let members = manager.get_json(&ma("/members")).await.json();
    members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} is not a member: {members}"))["user_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn primary_with_structure(portal: &Portal) -> Client {
    let claire = portal.client();
    claire
        .sign_up("Claire", "claire@example.com", PASSWORD)
        .await;
    let r = claire
        .create_structure(SUPPLIER, "Ateliers Dupont", "private")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    claire
}

/// Bob signs up, finds the structure by 3 digits, asks to join naming a
/// service; Claire approves; Bob sees the structure's tabs at once.
async fn bob_joins(portal: &Portal, claire: &Client) -> Client {
    manage(
        claire,
        "/services",
        "/services/create",
        &[("code", "ACC"), ("name", "Accounting")],
    )
    .await;
    let bob = portal.client();
    let landing = bob.sign_up("Bob", "bob@example.com", PASSWORD).await;
    assert_eq!(landing.tabs(), ["My account"]);

    let short = bob.get("/me/my-account?q=73").await;
    assert!(short.body.contains("at least 3 digits"), "{}", short.body);
    let found = bob.get("/me/my-account?q=829").await;
    assert!(found.body.contains("Ateliers Dupont"), "{}", found.body);
    assert!(found.body.contains("Accounting (ACC)"), "services offered");
    let asked = bob
        .submit(
            "/me/my-account?q=829",
            "/me/my-account/link-requests",
            &[("structure", SUPPLIER), ("service", "ACC")],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let mine = bob.follow(asked).await;
    assert!(mine.body.contains("Waiting for a manager"), "{}", mine.body);
    assert_eq!(
        bob.get(&format!("/s/{SUPPLIER}/homepage")).await.status,
        404,
        "not a member yet"
    );

    let requests = claire.get_json(&ma("/link-requests")).await.json();
    assert_eq!(requests["link_requests"][0]["email"], "bob@example.com");
    assert_eq!(requests["link_requests"][0]["services"], "ACC");
    let bob_id = requests["link_requests"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    manage(
        claire,
        "/link-requests",
        "/link-requests",
        &[("user", &bob_id), ("decision", "approve"), ("role", "user")],
    )
    .await;

    let home = bob.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert_eq!(home.status, 200, "approved: member on the next request");
    assert_eq!(
        home.tabs(),
        ["Logged-in homepage", "Fixture", "My account"],
        "a user sees neither manager activities nor areas not subscribed"
    );
    let account = bob.get("/me/my-account").await;
    assert!(account.body.contains("Approved"), "{}", account.body);
    bob
}

#[tokio::test]
async fn link_request_approval_then_role_changes_apply_on_the_next_request() {
    let portal = Portal::start(&areas());
    let claire = primary_with_structure(&portal).await;
    let bob = bob_joins(&portal, &claire).await;
    let bob_id = user_id(&claire, "bob@example.com").await;

    // Promotion: Manager activities appears on Bob's very next page.
    manage(
        &claire,
        "/members",
        "/members/role",
        &[("user", &bob_id), ("role", "secondary-manager")],
    )
    .await;
    let home = bob.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert!(home.tabs().contains(&"Manager activities".to_string()));
    assert_eq!(bob.get(&ma("/members")).await.status, 200);

    // A secondary manager cannot demote or remove the primary manager.
    let claire_id = user_id(&claire, "claire@example.com").await;
    let refused = bob
        .submit(
            &ma("/members"),
            &ma("/members/role"),
            &[("user", &claire_id), ("role", "user")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("primary manager"), "{}", refused.body);
    let refused = bob
        .submit(
            &ma("/members"),
            &ma("/members/remove"),
            &[("user", &claire_id)],
        )
        .await;
    assert_eq!(refused.status, 422);
    // Nor take the primary role: only the current primary transfers it.
    let refused = bob
        .submit(
            &ma("/members"),
            &ma("/members/transfer"),
            &[("user", &bob_id)],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);

    // Demotion: the next request is refused, no sign-out needed.
    manage(
        &claire,
        "/members",
        "/members/role",
        &[("user", &bob_id), ("role", "user")],
    )
    .await;
    assert_eq!(bob.get(&ma("/members")).await.status, 403);

    // Removal: the structure is gone for Bob on the next request.
    manage(&claire, "/members", "/members/remove", &[("user", &bob_id)]).await;
    assert_eq!(
        bob.get(&format!("/s/{SUPPLIER}/homepage")).await.status,
        404
    );

    // Every action is in the history, with who did it.
    let history = claire.get_json(&ma("/history")).await.json();
    let actions: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "member.remove",
        "member.role",
        "link.approve",
        "link.request",
        "service.create",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(
        history["history"][0]["actor"]
            .as_str()
            .unwrap()
            .contains("claire@example.com")
    );
}

#[tokio::test]
async fn a_transfer_makes_another_member_primary_and_the_old_one_secondary() {
    let portal = Portal::start(&areas());
    let claire = primary_with_structure(&portal).await;
    let bob = bob_joins(&portal, &claire).await;
    let bob_id = user_id(&claire, "bob@example.com").await;
    manage(
        &claire,
        "/members",
        "/members/transfer",
        &[("user", &bob_id)],
    )
    .await;
    let members = claire.get_json(&ma("/members")).await.json();
    let roles: Vec<(&str, &str)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("bob@example.com", "primary-manager"),
            ("claire@example.com", "secondary-manager")
        ]
    );
    assert_eq!(bob.get(&ma("/history")).await.status, 200);
}

#[tokio::test]
async fn an_added_area_appears_once_the_subscription_is_approved() {
    let portal = Portal::start(&areas());
    let claire = primary_with_structure(&portal).await;
    let bob = bob_joins(&portal, &claire).await;
    let invoices = format!("/s/{SUPPLIER}/invoices/echo");
    assert_eq!(bob.get(&invoices).await.status, 404, "not added yet");

    // `reports` requires `invoices`: the add-area page says so.
    let offers = claire.get(&ma("/areas")).await;
    assert!(
        offers
            .body
            .contains("needs Issued invoices to be available and added first"),
        "{}",
        offers.body
    );
    manage(&claire, "/areas", "/areas/add", &[("area", "invoices")]).await;
    let home = claire.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert!(
        home.tabs().contains(&"Issued invoices".to_string()),
        "managers see every added area: {:?}",
        home.tabs()
    );
    let offers = claire.get(&ma("/areas")).await;
    assert!(!offers.body.contains("needs Issued invoices"));

    // Bob is a user: added is not enough, he must subscribe.
    assert_eq!(bob.get(&invoices).await.status, 403);
    let account = bob.get("/me/my-account").await;
    assert!(account.body.contains("Issued invoices"), "{}", account.body);
    let asked = bob
        .submit(
            "/me/my-account",
            "/me/my-account/subscriptions",
            &[
                ("structure", SUPPLIER),
                ("area", "invoices"),
                ("mode", "modification"),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert_eq!(bob.get(&invoices).await.status, 403, "pending");

    let subs = claire.get_json(&ma("/subscriptions")).await.json();
    assert_eq!(subs["subscriptions"][0]["mode"], "modification");
    let bob_id = subs["subscriptions"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    manage(
        &claire,
        "/subscriptions",
        "/subscriptions",
        &[
            ("user", &bob_id),
            ("area", "invoices"),
            ("decision", "approve"),
        ],
    )
    .await;

    // Same session, next page: the tab is there.
    let home = bob.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert!(
        home.tabs().contains(&"Issued invoices".to_string()),
        "{:?}",
        home.tabs()
    );
    assert_eq!(bob.get(&invoices).await.status, 200);

    // Removing the area closes it for everyone at once.
    manage(&claire, "/areas", "/areas/remove", &[("area", "invoices")]).await;
    assert_eq!(bob.get(&invoices).await.status, 404);
    assert_eq!(claire.get(&invoices).await.status, 404);
}

#[tokio::test]
async fn a_fact_opens_a_when_gated_area_and_clearing_it_closes_it() {
    let portal = Portal::start(&areas());
    let claire = primary_with_structure(&portal).await;
    manage(&claire, "/areas", "/areas/add", &[("area", "commitments")]).await;
    let commitments = format!("/s/{SUPPLIER}/commitments/echo");

    let offers = claire.get(&ma("/areas")).await;
    // The manager reads `when-explained`, never the expression.
    assert!(
        offers
            .body
            .contains("Not available yet: opens once one of the structure"),
        "{}",
        offers.body
    );
    assert!(!offers.body.contains("fact("), "{}", offers.body);
    let closed = claire.get(&commitments).await;
    assert_eq!(closed.status, 404);
    assert!(
        closed.body.contains(
            "Commitments is not available to Ateliers Dupont yet: opens once one of the structure"
        ),
        "the 404 says why, in the explanation's words: {}",
        closed.body
    );
    let home = claire.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert!(!home.tabs().contains(&"Commitments".to_string()));

    let set = claire
        .get(&format!(
            "/s/{SUPPLIER}/fixture/facts/set?name=payment-reached&value=true"
        ))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let home = claire.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert!(
        home.tabs().contains(&"Commitments".to_string()),
        "{:?}",
        home.tabs()
    );
    assert_eq!(claire.get(&commitments).await.status, 200);

    let cleared = claire
        .get(&format!(
            "/s/{SUPPLIER}/fixture/facts/clear?name=payment-reached"
        ))
        .await;
    assert_eq!(cleared.status, 200);
    let home = claire.get(&format!("/s/{SUPPLIER}/homepage")).await;
    assert!(!home.tabs().contains(&"Commitments".to_string()));
    assert_eq!(claire.get(&commitments).await.status, 404);
}

#[tokio::test]
async fn refused_requests_show_in_my_account_and_can_be_made_again() {
    let portal = Portal::start(&areas());
    let claire = primary_with_structure(&portal).await;
    let people: Vec<Client> = (0..3).map(|_| portal.client()).collect();
    for (i, p) in people.iter().enumerate() {
        p.sign_up("Ann", &format!("ann{i}@example.com"), PASSWORD)
            .await;
        let r = p
            .submit(
                "/me/my-account?q=Ateliers%20Dupont",
                "/me/my-account/link-requests",
                &[("structure", SUPPLIER)],
            )
            .await;
        assert_eq!(r.status, 303, "exact name finds it: {}", r.body);
    }
    let requests = claire.get_json(&ma("/link-requests")).await.json();
    let ids: Vec<String> = requests["link_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    let mut form: Vec<(&str, &str)> = ids.iter().map(|id| ("user", id.as_str())).collect();
    form.push(("decision", "refuse"));
    manage(&claire, "/link-requests", "/link-requests", &form).await;
    for p in &people {
        let account = p.get("/me/my-account").await;
        assert!(account.body.contains("Refused"), "{}", account.body);
        assert_eq!(p.get(&format!("/s/{SUPPLIER}/homepage")).await.status, 404);
    }
    let again = people[0]
        .submit(
            "/me/my-account",
            "/me/my-account/link-requests",
            &[("structure", SUPPLIER)],
        )
        .await;
    assert_eq!(again.status, 303, "a refused person may ask again");
}
