//! Accounts people can trust, against a real `portico serve`: sign-up that
//! reveals no account, a confirmed email before joining or creating a
//! structure, a password reset by emailed link, the sessions a person can
//! see and end, a change of login email, and mail over real SMTP.
//!
//! Without SMTP configured the portal writes its mail to `<data>/mailbox`;
//! these tests read it to follow the links, as a person reads their mail.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use support::{Client, Page, Portal, mails_to, standard_areas, wait_for_mail};

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "another long passphrase, 2026";
const SIRET: &str = "73282932000074";

/// The page with what differs between two requests of the same page
/// blanked out: the request id and the form token.
fn comparable(page: &Page) -> String {
    let mut body = page.body.clone();
    for marker in ["request ", r#"name="_csrf" value=""#] {
        let mut from = 0;
        while let Some(at) = body[from..].find(marker) {
            let start = from + at + marker.len();
            let end = body[start..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .map_or(body.len(), |e| start + e);
            body.replace_range(start..end, "…");
            from = start;
        }
    }
    body
}

/// The `session` handles of the sessions page, the current one first.
fn session_handles(page: &Page) -> (String, Vec<String>) {
    let mut current = String::new();
    let mut others = Vec::new();
    for row in page.body.split("<tr").skip(2) {
        let Some(at) = row.find(r#"name="session" value=""#) else {
            continue;
        };
        let rest = &row[at + r#"name="session" value=""#.len()..];
        let handle = rest[..rest.find('"').unwrap()].to_string();
        if row.starts_with(r#" aria-current="true""#) {
            current = handle;
        } else {
            others.push(handle);
        }
    }
    (current, others)
}

async fn signed_out(c: &Client) -> bool {
    let page = c.get("/account/security").await;
    page.status == 303
        && page
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login"))
}

#[tokio::test]
async fn sign_up_reveals_no_account_and_a_confirmed_email_opens_structures() {
    let portal = Portal::start(&standard_areas());
    let mailbox = portal.mailbox();
    let alice = portal.client();
    let first = alice
        .sign_up_unconfirmed("Alice", "alice@example.com", PASSWORD)
        .await;
    let confirm = wait_for_mail(&mailbox, "alice@example.com", "Confirm your email", 1).await;

    // Someone else signs up with the same address: same page, same status,
    // and the owner is told by mail rather than the stranger on screen.
    let mallory = portal.client();
    let again = mallory
        .sign_up_unconfirmed("Mallory", "alice@example.com", "a different passphrase")
        .await;
    assert_eq!(comparable(&first), comparable(&again));
    let told = wait_for_mail(
        &mailbox,
        "alice@example.com",
        "already have a Portico account",
        1,
    )
    .await;
    assert!(told.text.contains("/password/forgot"), "{}", told.text);
    assert_eq!(
        mallory
            .log_in("alice@example.com", "a different passphrase")
            .await
            .status,
        401,
        "the second sign-up changed nothing"
    );

    // Unconfirmed, Alice may sign in but not create or join a structure.
    let landing = alice
        .follow(alice.log_in("alice@example.com", PASSWORD).await)
        .await;
    assert!(
        landing.body.contains("Confirm your email address"),
        "{}",
        landing.body
    );
    assert!(landing.body.contains("Send the link again"));
    let refused = alice
        .create_structure(SIRET, "Ateliers Dupont", "private")
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Confirm your email address before creating a structure"),
        "{}",
        refused.body
    );

    // The link's page only shows a button: opening it uses nothing up.
    let link = confirm.link("/email/confirm");
    assert_eq!(alice.get(&link).await.status, 200);
    let confirmed = alice.open_link(&link).await;
    assert_eq!(
        confirmed.location.as_deref(),
        Some("/"),
        "{}",
        confirmed.body
    );
    let home = alice.follow(alice.get("/").await).await;
    assert!(!home.body.contains("Confirm your email address"));
    let created = alice
        .create_structure(SIRET, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);

    // Single use: the same link now does nothing.
    let used = alice.get(&link).await;
    assert_eq!(used.status, 410, "{}", used.body);
    assert!(used.body.contains("This link no longer works"));
    // A forged token is refused the same way, before any lookup.
    assert_eq!(alice.get("/email/confirm?t=../../etc").await.status, 410);
}

#[tokio::test]
async fn a_password_reset_link_works_once_only_the_newest_and_ends_every_session() {
    let portal = Portal::start(&standard_areas());
    let mailbox = portal.mailbox();
    let bob = portal.client();
    bob.sign_up("Bob", "bob@example.com", PASSWORD).await;
    let laptop = portal.client();
    assert_eq!(laptop.log_in("bob@example.com", PASSWORD).await.status, 303);

    // The request page answers the same for an account and for nobody.
    let stranger = portal.client();
    let known = stranger
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "bob@example.com")],
        )
        .await;
    let unknown = stranger
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!((known.status, unknown.status), (200, 200));
    assert_eq!(
        comparable(&known).replace("bob@example.com", "X"),
        comparable(&unknown).replace("nobody@example.com", "X")
    );
    let older = wait_for_mail(&mailbox, "bob@example.com", "new Portico password", 1).await;
    stranger
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "bob@example.com")],
        )
        .await;
    let newer = wait_for_mail(&mailbox, "bob@example.com", "new Portico password", 2).await;

    // Three messages to Bob in a few minutes: a fourth request is refused,
    // in plain words, whether or not the address has an account.
    let flood = stranger
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "bob@example.com")],
        )
        .await;
    assert_eq!(flood.status, 429, "{}", flood.body);
    assert!(flood.body.contains("try again in"), "{}", flood.body);
    assert!(flood.headers.contains_key("retry-after"));

    // The older link was replaced by the newer one.
    let replaced = stranger.get(&older.link("/password/reset")).await;
    assert_eq!(replaced.status, 410, "{}", replaced.body);

    let link = newer.link("/password/reset");
    let form = stranger.get(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("bob@example.com"));
    let t = link.split_once("?t=").unwrap().1;
    let short = stranger
        .post(
            "/password/reset",
            &[("_csrf", &form.csrf()), ("t", t), ("password", "short")],
        )
        .await;
    assert_eq!(short.status, 422, "{}", short.body);
    assert!(short.body.contains("12 characters"), "{}", short.body);
    let done = stranger
        .post(
            "/password/reset",
            &[
                ("_csrf", &form.csrf()),
                ("t", t),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/login?done=reset"),
        "{}",
        done.body
    );

    // Every session of the account ended; only the new password works.
    assert!(signed_out(&bob).await, "the first browser is signed out");
    assert!(
        signed_out(&laptop).await,
        "the second browser is signed out"
    );
    assert_eq!(bob.log_in("bob@example.com", PASSWORD).await.status, 401);
    assert_eq!(
        bob.log_in("bob@example.com", NEW_PASSWORD).await.status,
        303
    );
    let reuse = stranger
        .post(
            "/password/reset",
            &[
                ("_csrf", &form.csrf()),
                ("t", t),
                ("password", "yet another passphrase"),
            ],
        )
        .await;
    assert_eq!(reuse.status, 410, "single use: {}", reuse.body);
    assert_eq!(
        portal
            .client()
            .log_in("bob@example.com", NEW_PASSWORD)
            .await
            .status,
        303
    );
    wait_for_mail(&mailbox, "bob@example.com", "password was changed", 1).await;
    assert!(mails_to(&mailbox, "nobody@example.com", "").is_empty());
}

#[tokio::test]
async fn a_person_sees_their_sessions_ends_them_and_changes_email_and_password() {
    let portal = Portal::start(&standard_areas());
    let mailbox = portal.mailbox();
    let desk =
        portal.client_as("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
    desk.sign_up("Carol", "carol@example.com", PASSWORD).await;
    let phone = portal.client_as(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    );
    assert_eq!(
        phone.log_in("carol@example.com", PASSWORD).await.status,
        303
    );
    let dave = portal.client();
    dave.sign_up("Dave", "dave@example.com", PASSWORD).await;

    let page = desk.get("/account/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Firefox 133 on Linux"), "{}", page.body);
    assert!(page.body.contains("Safari 18 on iOS"), "{}", page.body);
    assert!(page.body.contains("127.0.0.1"));
    assert!(page.body.contains("this browser"));
    let (mine, others) = session_handles(&page);
    assert_eq!(others.len(), 1, "{}", page.body);
    assert!(
        !page.body.contains("Dave"),
        "only Carol's sessions are listed"
    );

    // Another account's session cannot be ended from here.
    let (daves, _) = session_handles(&dave.get("/account/security").await);
    let r = desk
        .post(
            "/account/security/sessions/end",
            &[("_csrf", &page.csrf()), ("session", &daves)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(!signed_out(&dave).await, "Dave is still signed in");

    // Ending the phone's session signs it out, and only it.
    let r = desk
        .post(
            "/account/security/sessions/end",
            &[("_csrf", &page.csrf()), ("session", &others[0])],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/account/security?done=ended"));
    assert!(signed_out(&phone).await);
    assert!(!signed_out(&desk).await);

    // "End all other sessions".
    assert_eq!(
        phone.log_in("carol@example.com", PASSWORD).await.status,
        303
    );
    let r = desk
        .post(
            "/account/security/sessions/end-others",
            &[("_csrf", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(signed_out(&phone).await);
    let page = desk.get("/account/security").await;
    assert_eq!(session_handles(&page), (mine.clone(), vec![]));

    // A new login email: the current password is asked, the new address
    // confirms, the old one is warned.
    let wrong = desk
        .submit(
            "/account/security",
            "/account/security/email",
            &[
                ("new-email", "carol@new.example.com"),
                ("password", "not my password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("This is not your current password."),
        "{}",
        wrong.body
    );
    let asked = desk
        .submit(
            "/account/security",
            "/account/security/email",
            &[
                ("new-email", "carol@new.example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        asked.location.as_deref(),
        Some("/account/security?done=email-sent")
    );
    let warned = wait_for_mail(&mailbox, "carol@example.com", "about to change", 1).await;
    assert!(warned.text.contains("carol@new.example.com"));
    let confirm = wait_for_mail(&mailbox, "carol@new.example.com", "Confirm your new", 1).await;
    assert_eq!(
        portal
            .client()
            .log_in("carol@new.example.com", PASSWORD)
            .await
            .status,
        401,
        "not before the link is opened"
    );
    let done = desk.open_link(&confirm.link("/email/change/confirm")).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/account/security?done=email")
    );
    wait_for_mail(&mailbox, "carol@example.com", "login email was changed", 1).await;
    let other = portal.client();
    assert_eq!(
        other.log_in("carol@example.com", PASSWORD).await.status,
        401
    );
    assert_eq!(
        other.log_in("carol@new.example.com", PASSWORD).await.status,
        303
    );

    // Changing the password keeps this browser and ends the others.
    let r = desk
        .submit(
            "/account/security",
            "/account/security/password",
            &[
                ("current-password", PASSWORD),
                ("new-password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/account/security?done=password"),
        "{}",
        r.body
    );
    assert!(signed_out(&other).await);
    assert!(!signed_out(&desk).await);

    // Ending this browser's own session is signing out.
    let page = desk.get("/account/security").await;
    let (mine, _) = session_handles(&page);
    desk.post(
        "/account/security/sessions/end",
        &[("_csrf", &page.csrf()), ("session", &mine)],
    )
    .await;
    assert!(signed_out(&desk).await);
}

/// A minimal SMTP server: accepts one message and hands back its DATA.
fn smtp_sink() -> (u16, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        // Bounded wait: a message that never comes fails the test, not hangs it.
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "no SMTP connection within a minute"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        let mut say = |s: &str| out.write_all(s.as_bytes()).unwrap();
        say("220 sink.test ESMTP\r\n");
        let mut data = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => say("250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"),
                "MAIL" | "RCPT" | "RSET" | "NOOP" => say("250 OK\r\n"),
                "DATA" => {
                    say("354 go ahead\r\n");
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).unwrap() == 0 || line == ".\r\n" {
                            break;
                        }
                        data.push_str(&line);
                    }
                    say("250 queued\r\n");
                }
                "QUIT" => {
                    say("221 bye\r\n");
                    break;
                }
                _ => say("502 not here\r\n"),
            }
        }
        data
    });
    (port, handle)
}

#[tokio::test]
async fn mail_goes_out_over_smtp_when_configured() {
    let (port, sink) = smtp_sink();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let portal = Portal::start_in(
        tempfile::tempdir().unwrap(),
        &standard_areas(),
        &[
            "--smtp",
            &smtp,
            "--mail-from",
            "Portico <no-reply@portal.test>",
        ],
    );
    let erin = portal.client();
    erin.sign_up_unconfirmed("Érin", "erin@example.com", PASSWORD)
        .await;
    // Bounded: a message that never comes fails the test instead of hanging it.
    let data = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::task::spawn_blocking(move || sink.join().unwrap()),
    )
    .await
    .expect("the SMTP server received a message within a minute")
    .unwrap();
    assert!(
        data.contains("From: Portico <no-reply@portal.test>"),
        "{data}"
    );
    let (to, subject, text) = portico::mail::read_message(data.as_bytes());
    assert_eq!(to, "erin@example.com");
    assert_eq!(subject, "Confirm your email address for Portico");
    assert!(
        text.contains("Hello Érin,"),
        "UTF-8 text arrives intact: {text}"
    );
    assert!(
        support::mails(&portal.mailbox()).is_empty(),
        "with SMTP, nothing is written to the mailbox"
    );
    // The link in the mail works.
    let mail = support::Mail { to, subject, text };
    let confirmed = erin.open_link(&mail.link("/email/confirm")).await;
    assert_eq!(confirmed.location.as_deref(), Some("/login?done=confirmed"));
}

async fn advance(c: &Client, ms: u64) {
    let r = c
        .http
        .post(format!("{}/test/clock?advance-ms={ms}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn links_expire_on_the_host_clock_and_a_new_one_can_be_asked() {
    let portal = Portal::start_movable(&standard_areas());
    let mailbox = portal.mailbox();
    let ann = portal.client();
    ann.sign_up_unconfirmed("Ann", "ann@example.com", PASSWORD)
        .await;
    let first = wait_for_mail(&mailbox, "ann@example.com", "Confirm your email", 1).await;
    advance(&ann, 24 * 3_600_000).await;
    let expired = ann.get(&first.link("/email/confirm")).await;
    assert_eq!(expired.status, 410);
    assert!(
        expired.body.contains("This link has expired."),
        "{}",
        expired.body
    );

    // Signed in, the notice's button sends a new link, which works.
    let home = ann
        .follow(ann.log_in("ann@example.com", PASSWORD).await)
        .await;
    let at = home
        .body
        .find(r#"action="/email/resend""#)
        .expect("the notice's form");
    let token = Page {
        body: home.body[at..].to_string(),
        ..home
    }
    .csrf();
    let sent = ann.post("/email/resend", &[("_csrf", &token)]).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let second = wait_for_mail(&mailbox, "ann@example.com", "Confirm your email", 2).await;
    assert_eq!(
        ann.open_link(&second.link("/email/confirm"))
            .await
            .location
            .as_deref(),
        Some("/")
    );

    // A reset link lives 30 minutes.
    let stranger = portal.client();
    stranger
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "ann@example.com")],
        )
        .await;
    let reset = wait_for_mail(&mailbox, "ann@example.com", "new Portico password", 1).await;
    advance(&ann, 29 * 60_000).await;
    assert_eq!(
        stranger.get(&reset.link("/password/reset")).await.status,
        200
    );
    advance(&ann, 60_000).await;
    let late = stranger.get(&reset.link("/password/reset")).await;
    assert_eq!(late.status, 410);
    assert!(late.body.contains("This link has expired."));
}
