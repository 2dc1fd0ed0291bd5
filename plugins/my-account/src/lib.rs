//! My account: the user's profile and structures (scope `user`, capability
//! `account`).
//!
//! - `GET /`: profile, structures with the user's role, a form to edit the
//!   profile and a form to create a structure. A user with no structure is
//!   invited to create one (or, later, to ask to be linked to one).
//! - `POST /profile`: updates the names and contact email.
//! - `POST /structures`: creates a structure (the user becomes its primary
//!   manager) and redirects to its homepage.
//! - `GET /?q=…`: finds structures to ask to join (the full identifier, or
//!   the start of a public body's name); `POST /link-requests` (`structure`,
//!   `service` repeated) asks their managers.
//! - `POST /subscriptions` (`structure`, `area`, `mode`): asks to use an area
//!   added to one of the user's structures.
//!
//! The page lists the user's link requests and area subscriptions with
//! their status.

use portico_sdk::account::{self, NewStructure};
use portico_sdk::{
    Area, Context, Error, Form, HostError, IdentifierType, Request, RequestStatus, Response,
    StructureKind, SubscriptionMode, View, i18n, siret,
};
use serde::Serialize;

/// The My account area.
pub struct MyAccount;

portico_sdk::export_area!(MyAccount);

/// Longest first or last name accepted.
const MAX_NAME_CHARS: usize = 100;
/// Longest structure name accepted.
const MAX_STRUCTURE_NAME_CHARS: usize = 200;
/// Longest non-SIRET identifier accepted.
const MAX_IDENTIFIER_CHARS: usize = 64;
/// Longest email address (RFC 5321 path limit).
const MAX_EMAIL_CHARS: usize = 254;

impl Area for MyAccount {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[("account.html", include_str!("../templates/account.html"))]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        match (req.is_post(), req.path.as_str()) {
            (false, "/") => Ok(Response::View(page_with(
                req.query_value("saved"),
                req.query_value("q"),
            )?)),
            (true, "/profile") => update_profile(cx, req),
            (true, "/structures") => create_structure(req),
            (true, "/link-requests") => request_link(cx, req),
            (true, "/subscriptions") => request_subscription(cx, req),
            _ => Ok(Response::not_found()),
        }
    }
}

#[derive(Debug, Serialize)]
struct Page {
    profile: ProfileView,
    memberships: Vec<MembershipView>,
    /// Codes; the template shows `identifier-types.<code>` and `kinds.<code>`.
    identifier_types: Vec<&'static str>,
    kinds: Vec<&'static str>,
    notice: Option<&'static str>,
    search: Option<SearchView>,
    link_requests: Vec<serde_json::Value>,
    subscriptions: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct SearchView {
    query: String,
    error: Option<String>,
    results: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct ProfileView {
    email: String,
    first_name: String,
    last_name: String,
    contact_email: String,
    last_login_ms: Option<u64>,
}

#[derive(Debug, Serialize)]
struct MembershipView {
    name: String,
    identifier: String,
    kind: &'static str,
    role: &'static str,
    href: String,
}

/// The badge class of a request's status (the word is `status.<code>`).
fn badge(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Pending => "progress",
        RequestStatus::Approved => "done",
        RequestStatus::Refused => "problem",
    }
}

/// The account page without a search.
fn page(saved: Option<&str>) -> Result<View, Error> {
    page_with(saved, None)
}

/// Runs a structure search; a refused query is shown beside the search box.
fn search(query: &str) -> Result<SearchView, Error> {
    let (results, error) = match account::search_structures(query) {
        Ok(found) => (found, None),
        Err(HostError::Invalid(fields)) => {
            (Vec::new(), fields.into_iter().next().map(|f| f.message))
        }
        Err(other) => return Err(other.into()),
    };
    Ok(SearchView {
        query: query.to_owned(),
        error,
        results: results
            .into_iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.structure.id,
                    "name": m.structure.name,
                    "kind": m.structure.kind.as_str(),
                    "member": m.member,
                    "pending": m.pending,
                    "services": m.services,
                })
            })
            .collect(),
    })
}

/// The account page; `saved` names what was just saved, for a notice;
/// `query` is a structure search to show.
fn page_with(saved: Option<&str>, query: Option<&str>) -> Result<View, Error> {
    let profile = account::profile()?;
    let memberships = account::memberships()?;
    let page = Page {
        profile: ProfileView {
            last_login_ms: profile.last_login_ms,
            email: profile.email,
            first_name: profile.first_name,
            last_name: profile.last_name,
            contact_email: profile.contact_email,
        },
        memberships: memberships
            .into_iter()
            .map(|m| MembershipView {
                href: format!("/s/{}/homepage", m.structure.id),
                kind: m.structure.kind.as_str(),
                role: m.role.as_str(),
                name: m.structure.name,
                identifier: m.structure.id,
            })
            .collect(),
        identifier_types: IdentifierType::ALL.iter().map(|t| t.as_str()).collect(),
        kinds: StructureKind::ALL.iter().map(|k| k.as_str()).collect(),
        // Texts: `notice.<what>`.
        notice: match saved {
            Some("profile") => Some("profile"),
            Some("link") => Some("link"),
            Some("subscription") => Some("subscription"),
            _ => None,
        },
        search: query
            .filter(|q| !q.trim().is_empty())
            .map(search)
            .transpose()?,
        link_requests: account::link_requests()?
            .into_iter()
            .map(|r| {
                serde_json::json!({
                    "structure": r.structure.name,
                    "identifier": r.structure.id,
                    "services": r.services.join(", "),
                    "status": r.status.as_str(),
                    "badge": badge(r.status),
                    "asked_ms": r.created_ms,
                    "decided_ms": r.decided_ms,
                })
            })
            .collect(),
        subscriptions: account::subscriptions()?
            .into_iter()
            .map(|a| {
                serde_json::json!({
                    "structure": a.structure.name,
                    "structure_id": a.structure.id,
                    "area": a.area,
                    "title": a.area_title,
                    "description": a.description,
                    "included": a.included,
                    "mode": a.mode.map(SubscriptionMode::as_str),
                    "status": a.status.map(RequestStatus::as_str),
                    "badge": a.status.map(badge),
                    "can_ask": !a.included && a.status != Some(RequestStatus::Pending),
                })
            })
            .collect(),
    };
    View::new("account.html", &i18n::message("title", &[]), &page)
}

fn update_profile(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let first_name = form
        .field("first-name")
        .required()
        .max_chars(MAX_NAME_CHARS)
        .value();
    let last_name = form
        .field("last-name")
        .required()
        .max_chars(MAX_NAME_CHARS)
        .value();
    let contact_email = form
        .field("contact-email")
        .required()
        .max_chars(MAX_EMAIL_CHARS)
        .email()
        .value();
    form.finish(|| page(None))?;
    form.submit(
        account::update_profile(&first_name, &last_name, &contact_email),
        || page(None),
    )?;
    Ok(Response::redirect(format!(
        "{}?saved=profile",
        cx.base_path
    )))
}

fn create_structure(req: &Request) -> Result<Response, Error> {
    let type_names: Vec<&str> = IdentifierType::ALL.iter().map(|t| t.as_str()).collect();
    let kind_names: Vec<&str> = StructureKind::ALL.iter().map(|k| k.as_str()).collect();

    let mut form = Form::new(req);
    let identifier_type = form
        .field("identifier-type")
        .required()
        .one_of(&type_names)
        .value();
    let identifier_type = IdentifierType::parse(&identifier_type);
    let identifier = if identifier_type == Some(IdentifierType::Siret) {
        form.field("identifier")
            .required()
            .check_with(|v| siret::validate(v).map(drop).map_err(|e| e.message()))
            .value()
    } else {
        form.field("identifier")
            .required()
            .max_chars(MAX_IDENTIFIER_CHARS)
            .value()
    };
    let name = form
        .field("name")
        .required()
        .max_chars(MAX_STRUCTURE_NAME_CHARS)
        .value();
    let kind = form.field("kind").required().one_of(&kind_names).value();
    form.finish(|| page(None))?;

    // Both parse: `one_of` accepted them and the form has no error.
    let (Some(identifier_type), Some(kind)) = (identifier_type, StructureKind::parse(&kind)) else {
        return Err(Error::failed(
            "identifier type or kind accepted by the form but not parsed",
        ));
    };
    let identifier = match identifier_type {
        IdentifierType::Siret => siret::validate(&identifier).unwrap_or(identifier),
        _ => identifier,
    };
    let new = NewStructure {
        identifier_type,
        identifier,
        name,
        kind,
    };
    let structure = form.submit(account::create_structure(&new), || page(None))?;
    Ok(Response::redirect(format!("/s/{}/homepage", structure.id)))
}

fn request_link(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let structure = form.field("structure").required().value();
    let services: Vec<String> = req.form_values("service").map(str::to_owned).collect();
    let query = req.form_value("q").unwrap_or_default().to_owned();
    let again = || page_with(None, Some(&query));
    form.finish(again)?;
    match account::request_link(&structure, &services) {
        Err(HostError::NotFound(_)) => return Err(Error::NotFound),
        other => form.submit(other, again)?,
    }
    Ok(Response::redirect(format!("{}?saved=link", cx.base_path)))
}

fn request_subscription(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut form = Form::new(req);
    let structure = form.field("structure").required().value();
    let area = form.field("area").required().value();
    let mode = form
        .field("mode")
        .required()
        .one_of(&["consultation", "modification"])
        .value();
    form.finish(|| page(None))?;
    let mode = SubscriptionMode::parse(&mode).unwrap_or(SubscriptionMode::Consultation);
    match account::request_subscription(&structure, &area, mode) {
        Err(HostError::NotFound(_)) => return Err(Error::NotFound),
        other => form.submit(other, || page(None))?,
    }
    Ok(Response::redirect(format!(
        "{}?saved=subscription",
        cx.base_path
    )))
}

#[cfg(all(test, not(target_arch = "wasm32")))] // the test host is native-only
mod tests {
    use super::*;
    use portico_sdk::account::Profile;
    use portico_sdk::testing::TestHost;
    use portico_sdk::{HostError, Role};

    fn host() -> TestHost {
        TestHost::new()
            .area("my-account")
            .no_structure()
            .grant(&["account"])
    }

    fn structure_form(identifier: &str) -> Request {
        Request::post(
            "/structures",
            [
                ("identifier-type", "siret"),
                ("identifier", identifier),
                ("name", "Acme Paris"),
                ("kind", "private"),
            ],
        )
    }

    #[test]
    fn shows_profile_and_structures() {
        let host = host().profile(Profile {
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            contact_email: "billing@example.com".into(),
            last_login_ms: Some(1_700_000_000_000),
        });
        let data = host
            .handle::<MyAccount>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        assert_eq!(data["profile"]["contact_email"], "billing@example.com");
        assert_eq!(data["profile"]["last_login_ms"], 1_700_000_000_000u64);
        assert_eq!(data["memberships"][0]["href"], "/s/73282932000074/homepage");
        assert_eq!(data["memberships"][0]["role"], "primary-manager");
        assert_eq!(data["identifier_types"].as_array().unwrap().len(), 7);
    }

    #[test]
    fn without_structure_the_page_has_no_memberships() {
        let host = host().memberships(vec![]);
        let data = host
            .handle::<MyAccount>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        assert_eq!(data["memberships"], serde_json::json!([]));
    }

    #[test]
    fn profile_errors_are_reported_per_field() {
        let host = host();
        let req = Request::post(
            "/profile",
            [
                ("first-name", " "),
                ("last-name", "L".repeat(101).as_str()),
                ("contact-email", "nope"),
            ],
        );
        let response = host.handle::<MyAccount>(&req);
        let invalid = response.as_invalid().expect("422");
        assert_eq!(invalid.field("first-name"), Some("This field is required."));
        assert!(invalid.field("last-name").unwrap().contains("at most 100"));
        assert!(
            invalid
                .field("contact-email")
                .unwrap()
                .contains("name@example.com")
        );
        assert_eq!(invalid.view.template, "account.html");
        assert_eq!(host.current_profile().first_name, "Ada", "nothing saved");
    }

    #[test]
    fn profile_update_saves_and_redirects() {
        let host = host();
        let req = Request::post(
            "/profile",
            [
                ("first-name", "Augusta"),
                ("last-name", "King"),
                ("contact-email", "ak@example.org"),
            ],
        );
        let response = host.handle::<MyAccount>(&req);
        assert_eq!(
            response.redirect_target(),
            Some("/me/my-account?saved=profile")
        );
        assert_eq!(host.current_profile().contact_email, "ak@example.org");
        let data = host
            .handle::<MyAccount>(&Request::get("/?saved=profile"))
            .as_view()
            .unwrap()
            .json();
        assert_eq!(data["notice"], "profile");
    }

    #[test]
    fn invalid_siret_is_a_field_error_with_the_expected_format() {
        let host = host();
        let response = host.handle::<MyAccount>(&structure_form("12345678912345"));
        let invalid = response.as_invalid().expect("422");
        assert!(
            invalid
                .field("identifier")
                .unwrap()
                .contains("not a valid SIRET")
        );
        let response = host.handle::<MyAccount>(&structure_form("1234"));
        let message = response
            .as_invalid()
            .unwrap()
            .field("identifier")
            .unwrap()
            .to_owned();
        assert!(message.contains("14 digits"), "{message}");
        assert_eq!(host.current_memberships().len(), 1, "nothing created");
    }

    #[test]
    fn missing_fields_are_each_reported() {
        let host = host();
        let response = host.handle::<MyAccount>(&Request::post(
            "/structures",
            [("identifier-type", "martian")],
        ));
        let invalid = response.as_invalid().expect("422");
        let fields: Vec<&str> = invalid.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["identifier-type", "identifier", "name", "kind"]);
    }

    #[test]
    fn creating_a_structure_redirects_to_its_homepage() {
        let host = host().memberships(vec![]);
        let response = host.handle::<MyAccount>(&structure_form("356 000 000 49837"));
        assert_eq!(
            response.redirect_target(),
            Some("/s/35600000049837/homepage")
        );
        let created = host.current_memberships();
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].structure.name, "Acme Paris");
        assert_eq!(created[0].role, Role::PrimaryManager);
    }

    #[test]
    fn host_field_errors_and_conflicts_come_back_on_the_form() {
        let host = host()
            .existing_structure("73282932000074")
            .memberships(vec![]);
        let response = host.handle::<MyAccount>(&structure_form("73282932000074"));
        let invalid = response.as_invalid().expect("422");
        assert!(
            invalid.message.contains("exists already"),
            "{}",
            invalid.message
        );

        host.fail_next_call(HostError::Invalid(vec![portico_sdk::FieldError::new(
            "name",
            "Name refused by the registry.",
        )]));
        // The first account call of the request (create-structure) fails with the field error.
        let response = host.handle::<MyAccount>(&structure_form("73282932000074"));
        assert_eq!(
            response.as_invalid().unwrap().field("name"),
            Some("Name refused by the registry.")
        );
    }

    #[test]
    fn other_host_errors_fail_the_request() {
        let host = host();
        host.fail_next_call(HostError::Unavailable("database is restarting".into()));
        let Response::Failed(message) = host.handle::<MyAccount>(&Request::get("/")) else {
            panic!("expected failed")
        };
        assert!(message.contains("database is restarting"));
    }

    #[test]
    fn without_the_account_capability_the_page_fails_and_says_why() {
        let host = TestHost::new().area("my-account").no_structure();
        let Response::Failed(message) = host.handle::<MyAccount>(&Request::get("/")) else {
            panic!("expected failed")
        };
        assert!(message.contains("`account`"), "{message}");
    }

    fn acme() -> portico_sdk::Structure {
        portico_sdk::Structure {
            id: "35600000049837".into(),
            identifier_type: "siret".into(),
            name: "La Poste Test".into(),
            kind: StructureKind::Private,
        }
    }

    #[test]
    fn search_then_ask_to_join_then_see_the_request() {
        let host = host().searchable(account::StructureMatch {
            structure: acme(),
            services: vec![portico_sdk::Service {
                code: "ACC".into(),
                name: "Accounting".into(),
                active: true,
            }],
            member: false,
            pending: false,
        });
        let short = host
            .handle::<MyAccount>(&Request::get("/?q=356"))
            .as_view()
            .unwrap()
            .json();
        assert!(
            short["search"]["error"]
                .as_str()
                .unwrap()
                .contains("full identifier")
        );
        let found = host
            .handle::<MyAccount>(&Request::get("/?q=356000000%2049837"))
            .as_view()
            .unwrap()
            .json();
        assert_eq!(found["search"]["results"][0]["id"], "35600000049837");
        let unknown = host.handle::<MyAccount>(&Request::post(
            "/link-requests",
            [("structure", "35600000049837"), ("service", "NOPE")],
        ));
        assert!(unknown.as_invalid().unwrap().field("services").is_some());
        let asked = host.handle::<MyAccount>(&Request::post(
            "/link-requests",
            [("structure", "35600000049837"), ("service", "ACC")],
        ));
        assert_eq!(asked.redirect_target(), Some("/me/my-account?saved=link"));
        let data = host
            .handle::<MyAccount>(&Request::get("/"))
            .as_view()
            .unwrap()
            .json();
        assert_eq!(data["link_requests"][0]["status"], "pending");
        assert_eq!(data["link_requests"][0]["services"], "ACC");
    }

    #[test]
    fn ask_to_use_an_added_area() {
        let host = host().area_subscription(account::AreaSubscription {
            structure: acme(),
            area: "commitments".into(),
            area_title: "Commitments".into(),
            description: "Orders.".into(),
            mode: None,
            status: None,
            included: false,
        });
        let r = host.handle::<MyAccount>(&Request::post(
            "/subscriptions",
            [
                ("structure", "35600000049837"),
                ("area", "commitments"),
                ("mode", "modification"),
            ],
        ));
        assert_eq!(
            r.redirect_target(),
            Some("/me/my-account?saved=subscription")
        );
        let a = &host.current_area_subscriptions()[0];
        assert_eq!(a.status, Some(RequestStatus::Pending));
        assert_eq!(a.mode, Some(SubscriptionMode::Modification));
        let other = host.handle::<MyAccount>(&Request::post(
            "/subscriptions",
            [
                ("structure", "73282932000074"),
                ("area", "commitments"),
                ("mode", "consultation"),
            ],
        ));
        assert_eq!(other, Response::not_found());
    }
}
