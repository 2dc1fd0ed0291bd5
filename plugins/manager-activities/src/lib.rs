//! Manager activities: what the primary and secondary managers of a
//! structure do for it (scope `structure`, roles managers only, capability
//! `directory`). Written against the public SDK only.
//!
//! The host re-checks every `directory` call (the caller must be a manager
//! of the current structure), so this area only shapes pages; an object of
//! another structure answers `not-found` from the host, hence 404 here.
//!
//! - `GET /` or `/link-requests`: link requests; `POST /link-requests`
//!   approves or refuses the checked ones (`user` repeated, `decision`,
//!   `role`).
//! - `GET /subscriptions`; `POST /subscriptions` (`user`, `area`, `decision`).
//! - `GET /members`; `POST /members/add` (`email`, `role`), `/members/role`
//!   (`user`, `role`), `/members/remove` (`user`), `/members/transfer` (`user`).
//! - `GET /services`; `POST /services/create` (`code`, `name`),
//!   `/services/update` (`code`, `name`, `active`).
//! - `GET /areas`; `POST /areas/add`, `/areas/remove` (`area`).
//! - `GET /settings`; `POST /settings` (`kind`, `active`, `recipient-rule`).
//! - `GET /bank`; `POST /bank` (`holder`, `iban`, `bic`): the structure's
//!   bank details, published as the fact `bank-details` (see `bank.rs`).
//! - `GET /history`: the audit log of manager actions.

pub mod bank;

use portico_sdk::directory::{self, RecipientRule, Settings};
use portico_sdk::{
    Area, Context, Error, Form, HostError, Request, RequestStatus, Response, Role, Service,
    StructureKind, View, i18n,
};
use serde::Serialize;

/// The Manager activities area.
pub struct ManagerActivities;

portico_sdk::export_area!(ManagerActivities);

/// Audit entries shown on the history page.
const HISTORY_LIMIT: u32 = 200;
/// Longest service name accepted (the host's limit).
const MAX_SERVICE_NAME: usize = 100;
/// Longest service code accepted (the host's limit).
const MAX_SERVICE_CODE: usize = 30;

/// The pages, in the order of the sub-navigation (titles: `nav.<page>`).
const PAGES: [&str; 8] = [
    "link-requests",
    "subscriptions",
    "members",
    "services",
    "areas",
    "settings",
    "bank",
    "history",
];

/// The `done=` notices a redirect may ask for (texts: `notice.<what>`).
const NOTICES: [&str; 12] = [
    "approved",
    "refused",
    "subscription",
    "member-added",
    "role",
    "removed",
    "transferred",
    "service",
    "area-added",
    "area-removed",
    "settings",
    "bank",
];

impl Area for ManagerActivities {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("base.html", include_str!("../templates/base.html")),
            (
                "link-requests.html",
                include_str!("../templates/link-requests.html"),
            ),
            (
                "subscriptions.html",
                include_str!("../templates/subscriptions.html"),
            ),
            ("members.html", include_str!("../templates/members.html")),
            ("services.html", include_str!("../templates/services.html")),
            ("areas.html", include_str!("../templates/areas.html")),
            ("settings.html", include_str!("../templates/settings.html")),
            ("history.html", include_str!("../templates/history.html")),
            ("bank.html", include_str!("../templates/bank.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        // The host lists this area for managers only; say so plainly if a
        // misconfigured areas.yaml opens it to others.
        if !cx.is_manager() {
            return Ok(Response::forbidden(i18n::message("forbidden", &[])));
        }
        let done = req.query_value("done");
        let path = req.path.as_str();
        if req.is_get() {
            let page = match path {
                "/" | "/link-requests" => "link-requests",
                other => match PAGES.iter().find(|id| other == format!("/{id}")) {
                    Some(id) => *id,
                    None => return Ok(Response::not_found()),
                },
            };
            return Ok(Response::View(view(cx, page, done)?));
        }
        match path {
            "/link-requests" => decide_links(cx, req),
            "/subscriptions" => decide_subscription(cx, req),
            "/members/add" => add_member(cx, req),
            "/members/role" => set_role(cx, req),
            "/members/remove" => remove_member(cx, req),
            "/members/transfer" => transfer(cx, req),
            "/services/create" => save_service(cx, req, true),
            "/services/update" => save_service(cx, req, false),
            "/areas/add" => install(cx, req, true),
            "/areas/remove" => install(cx, req, false),
            "/settings" => update_settings(cx, req),
            "/bank" => bank::save(cx, req, || view(cx, "bank", None)),
            _ => Ok(Response::not_found()),
        }
    }
}

#[derive(Serialize)]
struct Nav {
    id: &'static str,
    href: String,
    current: bool,
}

/// Every page's data: the sub-navigation, a notice, and the page's lists.
#[derive(Serialize, Default)]
struct Page {
    nav: Vec<Nav>,
    /// Which `notice.*` message to show after a redirect.
    notice: Option<&'static str>,
    me: String,
    primary: bool,
    link_requests: Vec<serde_json::Value>,
    subscriptions: Vec<serde_json::Value>,
    members: Vec<serde_json::Value>,
    services: Vec<Service>,
    areas: Vec<directory::AreaOffer>,
    settings: Option<serde_json::Value>,
    bank: Option<bank::Bank>,
    history: Vec<serde_json::Value>,
    /// Codes; the templates show `roles.<code>`, `kinds.<code>`, `rules.<code>`.
    roles: Vec<&'static str>,
    kinds: Vec<&'static str>,
    rules: Vec<&'static str>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    NOTICES.iter().copied().find(|n| Some(*n) == done)
}

/// The badge class of a request's status: colour AND word (the word is the
/// `status.<code>` message beside it).
fn badge(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Pending => "waiting",
        RequestStatus::Approved => "done",
        RequestStatus::Refused => "problem",
    }
}

/// One audit entry as a sentence: which `history.<sentence>` message, and
/// its arguments, every code checked against the catalogue's lists so the
/// page never shows a raw code (an unknown action reads "Other action").
fn history_entry(e: &directory::AuditEntry, area_titles: &[(String, String)]) -> serde_json::Value {
    let d: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
    let text = |k: &str| d[k].as_str().unwrap_or("").to_owned();
    let known = |k: &str, all: &[&'static str], fallback: &'static str| {
        let v = text(k);
        all.iter().copied().find(|c| *c == v).unwrap_or(fallback)
    };
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let kinds: Vec<&str> = StructureKind::ALL.iter().map(|k| k.as_str()).collect();
    let rules: Vec<&str> = RecipientRule::ALL.iter().map(|r| r.as_str()).collect();
    let area_id = text("area");
    let area = area_titles
        .iter()
        .find(|(id, _)| *id == area_id)
        .map_or(area_id.clone(), |(_, title)| title.clone());
    let services = d["services"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let sentence = match e.action.as_str() {
        "link.request" if !services.is_empty() => "link-request-services".to_owned(),
        a @ ("link.approve"
        | "link.refuse"
        | "link.request"
        | "member.add"
        | "member.role"
        | "member.transfer-primary"
        | "member.remove"
        | "service.create"
        | "service.update"
        | "structure.settings"
        | "structure.create"
        | "area.add"
        | "area.remove"
        | "subscription.approve"
        | "subscription.refuse"
        | "subscription.request") => a.replace('.', "-"),
        _ => "other".to_owned(),
    };
    serde_json::json!({
        "at_ms": e.at_ms,
        "actor": e.actor,
        "action": e.action,
        "sentence": sentence,
        "member": text("member"),
        "to": text("to"),
        "name": text("name"),
        "code": text("code"),
        "area": area,
        "services": services,
        "role": known("role", &roles, "user"),
        "kind": known("kind", &kinds, "private"),
        "rule": known("recipient-rule", &rules, "none"),
        "mode": known("mode", &["consultation", "modification"], "consultation"),
        "state": if d["active"].as_bool().unwrap_or(false) { "active" } else { "inactive" },
    })
}

/// Renders `page` with the data it needs (only that page's host calls).
fn view(cx: &Context, page: &'static str, done: Option<&str>) -> Result<View, Error> {
    let mut data = Page {
        nav: PAGES
            .iter()
            .map(|id| Nav {
                id,
                href: cx.href(&format!("/{id}")),
                current: *id == page,
            })
            .collect(),
        notice: notice(done),
        me: cx.user.id.clone(),
        primary: cx.role == Some(Role::PrimaryManager),
        roles: [Role::SecondaryManager, Role::User]
            .into_iter()
            .map(Role::as_str)
            .collect(),
        ..Page::default()
    };
    match page {
        "link-requests" => {
            data.link_requests = directory::link_requests()?
                .into_iter()
                .map(|r| {
                    serde_json::json!({
                        "user_id": r.user_id,
                        "name": format!("{} {}", r.first_name, r.last_name),
                        "email": r.email,
                        "services": r.services.join(", "),
                        "pending": r.status == RequestStatus::Pending,
                        "status": r.status.as_str(),
                        "badge": badge(r.status),
                        "created_ms": r.created_ms,
                        "decided_ms": r.decided_ms,
                    })
                })
                .collect();
        }
        "subscriptions" => {
            data.subscriptions = directory::subscriptions()?
                .into_iter()
                .map(|s| {
                    serde_json::json!({
                        "user_id": s.user_id,
                        "name": format!("{} {}", s.first_name, s.last_name),
                        "email": s.email,
                        "area": s.area,
                        "area_title": s.area_title,
                        "mode": s.mode.as_str(),
                        "pending": s.status == RequestStatus::Pending,
                        "status": s.status.as_str(),
                        "badge": badge(s.status),
                        "created_ms": s.created_ms,
                    })
                })
                .collect();
        }
        "members" => {
            data.members = directory::members()?
                .into_iter()
                .map(|m| {
                    serde_json::json!({
                        "user_id": m.user_id,
                        "name": format!("{} {}", m.first_name, m.last_name),
                        "email": m.email,
                        "role": m.role.as_str(),
                        "primary": m.role == Role::PrimaryManager,
                        "me": m.user_id == cx.user.id,
                    })
                })
                .collect();
        }
        "services" => data.services = directory::services()?,
        "areas" => data.areas = directory::areas()?,
        "settings" => {
            let s = directory::settings()?;
            data.settings = Some(serde_json::json!({
                "kind": s.kind.as_str(),
                "active": s.active,
                "recipient_rule": s.recipient_rule.as_str(),
            }));
            data.kinds = StructureKind::ALL.iter().map(|k| k.as_str()).collect();
            data.rules = RecipientRule::ALL.iter().map(|r| r.as_str()).collect();
        }
        "bank" => data.bank = bank::current(cx)?,
        "history" => {
            // Area ids in the log read as their titles: the tabs, then the
            // optional areas the structure could add.
            let mut titles: Vec<(String, String)> = cx
                .tabs
                .iter()
                .map(|t| (t.id.clone(), t.title.clone()))
                .collect();
            titles.extend(directory::areas()?.into_iter().map(|a| (a.id, a.title)));
            data.history = directory::history(HISTORY_LIMIT)?
                .iter()
                .map(|e| history_entry(e, &titles))
                .collect();
        }
        _ => {}
    }
    View::new(
        &format!("{page}.html"),
        &i18n::message(&format!("nav.{page}"), &[]),
        &data,
    )
}

/// A host refusal to act on an object this structure does not have is a
/// 404, like the host's own answer for other structures' URLs; the rest
/// goes back to the form.
fn submit<T>(
    form: &mut Form<'_>,
    result: Result<T, HostError>,
    page_view: impl FnOnce() -> Result<View, Error>,
) -> Result<T, Error> {
    match result {
        Err(HostError::NotFound(_)) => Err(Error::NotFound),
        other => form.submit(other, page_view),
    }
}

fn done(cx: &Context, page: &str, what: &str) -> Result<Response, Error> {
    Ok(Response::redirect(cx.href(&format!("/{page}?done={what}"))))
}

fn role_field(form: &mut Form<'_>) -> Role {
    let role = form
        .field("role")
        .required()
        .one_of(&["secondary-manager", "user"])
        .value();
    Role::parse(&role).unwrap_or(Role::User)
}

fn decide_links(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let decision = form
        .field("decision")
        .required()
        .one_of(&["approve", "refuse"])
        .value();
    let users: Vec<String> = req.form_values("user").map(str::to_owned).collect();
    if users.is_empty() {
        form.error("user", i18n::message("links.select-one", &[]));
    }
    let approve = decision == "approve";
    let role = if approve {
        role_field(&mut form)
    } else {
        Role::User
    };
    let page = || view(cx, "link-requests", None);
    form.finish(page)?;
    if approve {
        submit(
            &mut form,
            directory::approve_link_requests(&users, role),
            page,
        )?;
        done(cx, "link-requests", "approved")
    } else {
        submit(&mut form, directory::refuse_link_requests(&users), page)?;
        done(cx, "link-requests", "refused")
    }
}

fn decide_subscription(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let user = form.field("user").required().value();
    let area = form.field("area").required().value();
    let decision = form
        .field("decision")
        .required()
        .one_of(&["approve", "refuse"])
        .value();
    let page = || view(cx, "subscriptions", None);
    form.finish(page)?;
    submit(
        &mut form,
        directory::decide_subscription(&user, &area, decision == "approve"),
        page,
    )?;
    done(cx, "subscriptions", "subscription")
}

fn add_member(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let email = form.field("email").required().email().value();
    let role = role_field(&mut form);
    let page = || view(cx, "members", None);
    form.finish(page)?;
    form.submit(directory::add_member(&email, role), page)?;
    done(cx, "members", "member-added")
}

fn set_role(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let user = form.field("user").required().value();
    let role = role_field(&mut form);
    let page = || view(cx, "members", None);
    form.finish(page)?;
    submit(&mut form, directory::set_role(&user, role), page)?;
    done(cx, "members", "role")
}

fn remove_member(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let user = form.field("user").required().value();
    let page = || view(cx, "members", None);
    form.finish(page)?;
    submit(&mut form, directory::remove_member(&user), page)?;
    done(cx, "members", "removed")
}

fn transfer(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let user = form.field("user").required().value();
    let page = || view(cx, "members", None);
    form.finish(page)?;
    submit(&mut form, directory::transfer_primary(&user), page)?;
    done(cx, "members", "transferred")
}

fn save_service(cx: &Context, req: &Request, create: bool) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let code = form
        .field("code")
        .required()
        .max_chars(MAX_SERVICE_CODE)
        .value();
    let name = form
        .field("name")
        .required()
        .max_chars(MAX_SERVICE_NAME)
        .value();
    // A new service is active; an edit says so with the checkbox.
    let active = create || req.form_value("active") == Some("on");
    let page = || view(cx, "services", None);
    form.finish(page)?;
    let service = Service { code, name, active };
    if create {
        form.submit(directory::create_service(&service), page)?;
    } else {
        submit(&mut form, directory::update_service(&service), page)?;
    }
    done(cx, "services", "service")
}

fn install(cx: &Context, req: &Request, add: bool) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let area = form.field("area").required().value();
    let page = || view(cx, "areas", None);
    form.finish(page)?;
    if add {
        submit(&mut form, directory::install_area(&area), page)?;
        done(cx, "areas", "area-added")
    } else {
        submit(&mut form, directory::uninstall_area(&area), page)?;
        done(cx, "areas", "area-removed")
    }
}

fn update_settings(cx: &Context, req: &Request) -> Result<Response, Error> {
    let kinds: Vec<&str> = StructureKind::ALL.iter().map(|k| k.as_str()).collect();
    let rules: Vec<&str> = RecipientRule::ALL.iter().map(|r| r.as_str()).collect();
    let mut form = Form::new(req);
    let kind = form.field("kind").required().one_of(&kinds).value();
    let rule = form
        .field("recipient-rule")
        .required()
        .one_of(&rules)
        .value();
    let active = req.form_value("active") == Some("on");
    let page = || view(cx, "settings", None);
    form.finish(page)?;
    let (Some(kind), Some(recipient_rule)) =
        (StructureKind::parse(&kind), RecipientRule::parse(&rule))
    else {
        return Err(Error::failed("a value accepted by the form did not parse"));
    };
    let settings = Settings {
        kind,
        active,
        recipient_rule,
    };
    form.submit(directory::update_settings(&settings), page)?;
    done(cx, "settings", "settings")
}

#[cfg(all(test, not(target_arch = "wasm32")))] // the test host is native-only
mod tests {
    use super::*;
    use portico_sdk::directory::{AreaOffer, LinkRequest, Member};
    use portico_sdk::testing::TestHost;

    fn host() -> TestHost {
        TestHost::new()
            .area("manager-activities")
            .grant(&["directory"])
            .members(vec![
                Member {
                    user_id: "user-1".into(),
                    first_name: "Ada".into(),
                    last_name: "Lovelace".into(),
                    email: "ada@example.com".into(),
                    role: Role::PrimaryManager,
                },
                Member {
                    user_id: "u-bob".into(),
                    first_name: "Bob".into(),
                    last_name: "Martin".into(),
                    email: "bob@example.com".into(),
                    role: Role::User,
                },
            ])
    }

    fn request(user: &str) -> LinkRequest {
        LinkRequest {
            user_id: user.into(),
            first_name: "Req".into(),
            last_name: user.into(),
            email: format!("{user}@example.com"),
            services: vec![],
            status: RequestStatus::Pending,
            created_ms: 1,
            decided_ms: None,
        }
    }

    #[test]
    fn bulk_approval_makes_members_and_is_audited() {
        let host = host()
            .link_request(request("u-1"))
            .link_request(request("u-2"));
        let page = host.handle::<ManagerActivities>(&Request::get("/"));
        assert_eq!(
            page.as_view().unwrap().json()["link_requests"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let r = host.handle::<ManagerActivities>(&Request::post(
            "/link-requests",
            [
                ("user", "u-1"),
                ("user", "u-2"),
                ("decision", "approve"),
                ("role", "user"),
            ],
        ));
        assert_eq!(
            r.redirect_target(),
            Some("/s/73282932000074/manager-activities/link-requests?done=approved")
        );
        assert_eq!(host.current_members().len(), 4);
        assert_eq!(host.current_history().len(), 2);
        assert_eq!(host.current_history()[0].action, "link.approve");
    }

    #[test]
    fn a_request_of_another_structure_is_not_found() {
        let host = host().link_request(request("u-1"));
        let r = host.handle::<ManagerActivities>(&Request::post(
            "/link-requests",
            [("user", "u-other"), ("decision", "refuse")],
        ));
        assert_eq!(r, Response::not_found());
        assert_eq!(
            host.current_link_requests()[0].status,
            RequestStatus::Pending
        );
    }

    #[test]
    fn nothing_selected_is_a_field_error() {
        let host = host();
        let r = host.handle::<ManagerActivities>(&Request::post(
            "/link-requests",
            [("decision", "refuse")],
        ));
        assert_eq!(
            r.as_invalid().unwrap().field("user"),
            Some("Select at least one request.")
        );
    }

    #[test]
    fn the_primary_manager_cannot_be_demoted_but_a_user_can_be_promoted() {
        let host = host();
        let r = host.handle::<ManagerActivities>(&Request::post(
            "/members/role",
            [("user", "user-1"), ("role", "user")],
        ));
        assert!(r.as_invalid().unwrap().message.contains("primary manager"));
        let r = host.handle::<ManagerActivities>(&Request::post(
            "/members/role",
            [("user", "u-bob"), ("role", "secondary-manager")],
        ));
        assert!(r.redirect_target().is_some());
        assert_eq!(host.current_members()[1].role, Role::SecondaryManager);
    }

    #[test]
    fn areas_page_says_why_an_area_is_not_available() {
        let host = host().area_offer(AreaOffer {
            id: "commitments".into(),
            title: "Commitments".into(),
            description: "Orders from public buyers.".into(),
            installed: false,
            unavailable_because: Some("its condition is not met yet".into()),
        });
        let data = host
            .handle::<ManagerActivities>(&Request::get("/areas"))
            .as_view()
            .unwrap()
            .json();
        assert_eq!(
            data["areas"][0]["unavailable_because"],
            "its condition is not met yet"
        );
        let r = host
            .handle::<ManagerActivities>(&Request::post("/areas/add", [("area", "commitments")]));
        assert!(r.redirect_target().is_some());
        assert!(host.current_area_offers()[0].installed);
        let r = host.handle::<ManagerActivities>(&Request::post("/areas/add", [("area", "nope")]));
        assert_eq!(r, Response::not_found());
    }

    #[test]
    fn services_and_settings_are_saved() {
        let host = host();
        let bad = host.handle::<ManagerActivities>(&Request::post(
            "/services/create",
            [("code", "a b"), ("name", "Accounting")],
        ));
        assert!(bad.as_invalid().unwrap().field("code").is_some());
        host.handle::<ManagerActivities>(&Request::post(
            "/services/create",
            [("code", "ACC"), ("name", "Accounting")],
        ));
        host.handle::<ManagerActivities>(&Request::post(
            "/services/update",
            [("code", "ACC"), ("name", "Accounting")],
        ));
        assert!(
            !host.current_services()[0].active,
            "unchecked box deactivates"
        );
        host.handle::<ManagerActivities>(&Request::post(
            "/settings",
            [
                ("kind", "public"),
                ("active", "on"),
                ("recipient-rule", "either"),
            ],
        ));
        assert_eq!(
            host.current_settings().recipient_rule,
            RecipientRule::Either
        );
        assert_eq!(host.current_settings().kind, StructureKind::Public);
    }

    #[test]
    fn a_user_is_refused() {
        let host = host().role(Role::User);
        let r = host.handle::<ManagerActivities>(&Request::get("/members"));
        assert!(matches!(r, Response::Forbidden(_)));
    }
}
