//! Whether an area is open to a structure and a person: the one place this
//! is decided. Tab composition and area URLs (`web`), message delivery, and
//! the `directory` and `account` imports all ask [`decide`] (or, for "could
//! it be added here", [`availability`]), so a rule changes in one place.
//!
//! A structure area is open when, in this order (the first that fails is
//! the reason):
//!
//! 1. it is a structure area;
//! 2. it is installed by default, or the structure added it;
//! 3. it is *available* to the structure: the structure's kind is offered,
//!    every `requires` area is loaded, added and available too, and `when`
//!    holds;
//! 4. its plugin loaded;
//! 5. for a member: their role is among its `roles`, and for an area added
//!    on request, they are a manager or hold an approved subscription.
//!
//! A message is addressed to the structure, not to a member: it stops at
//! step 4, with `when` evaluated as for the primary manager.

use crate::catalog::{Catalog, CatalogArea};
use crate::config::{Facts, Install, Scope};
use crate::directory::{Role, StructureKind};
use crate::i18n::{Lang, host_text};
use crate::store::Structure;
use std::collections::BTreeSet;

/// How deep `requires` chains are followed. `areas.yaml` validation refuses
/// cycles; the bound keeps a future validation bug from looping a request.
const MAX_REQUIRES_DEPTH: usize = 8;

/// The structure the question is about, as read on this request.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    /// The structure.
    pub structure: &'a Structure,
    /// Areas it added.
    pub installs: &'a BTreeSet<String>,
    /// Its facts.
    pub facts: &'a Facts,
}

/// Who is asking.
#[derive(Clone, Copy)]
pub enum Party<'a> {
    /// A member, with their role and the areas they hold an approved
    /// subscription to in this structure.
    Member {
        /// Their role in the structure.
        role: Role,
        /// Areas of approved subscriptions.
        subscriptions: &'a BTreeSet<String>,
    },
    /// The structure itself (a message addressed to it).
    Structure,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Shown as a tab; its URLs answer; messages reach it.
    Open,
    /// Closed, and why.
    Closed(Reason),
}

/// Why an area is closed. [`Reason::hidden`] tells whether it is as if the
/// area did not exist here (404), or open to others (403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A user area (My account): it belongs to people, not structures.
    UserArea,
    /// The plugin did not load.
    NotLoaded(String),
    /// Added on request, and the structure has not added it.
    NotAdded,
    /// The structure's kind is not offered.
    KindNotOffered(BTreeSet<StructureKind>),
    /// A required area is not loaded, added and available; its title.
    Requires(String),
    /// `when` does not hold; its `when-explained` (managers read it, never
    /// the expression).
    When(String),
    /// The member's role is not among the area's `roles`.
    Role {
        /// The roles it is open to.
        open_to: BTreeSet<Role>,
        /// The member's.
        role: Role,
    },
    /// Added on request; the member (not a manager) has no approved
    /// subscription.
    NotSubscribed,
}

impl Reason {
    /// Whether the area is, for this person, as if it did not exist here
    /// (404: its existence is not revealed), rather than existing but not
    /// open to them (403 with the reason).
    pub fn hidden(&self) -> bool {
        !matches!(self, Reason::Role { .. } | Reason::NotSubscribed)
    }

    /// Whether the area cannot be opened in this structure by anyone,
    /// whatever the role: its kind, `requires` or `when` (step 3).
    pub fn unavailable(&self) -> bool {
        matches!(
            self,
            Reason::KindNotOffered(_) | Reason::Requires(_) | Reason::When(_)
        )
    }
}

impl Reason {
    /// The reason in `lang`, in words a member reads.
    pub fn text(&self, lang: Lang) -> String {
        let roles = |roles: &mut dyn Iterator<Item = Role>| {
            roles
                .map(|r| host_text(lang, &format!("role.{}", r.as_str()), &[]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Reason::UserArea => host_text(lang, "access.user-area", &[]),
            Reason::NotLoaded(e) => host_text(lang, "access.not-loaded", &[("error", e)]),
            Reason::NotAdded => host_text(lang, "access.not-added", &[]),
            Reason::KindNotOffered(kinds) => {
                let kinds = kinds
                    .iter()
                    .map(|k| host_text(lang, &format!("access.kind-{}", k.as_str()), &[]))
                    .collect::<Vec<_>>()
                    .join(&host_text(lang, "access.and", &[]));
                host_text(lang, "access.kind-not-offered", &[("kinds", &kinds)])
            }
            Reason::Requires(title) => host_text(lang, "access.requires", &[("area", title)]),
            Reason::When(explained) => explained.clone(),
            Reason::Role { open_to, role } => host_text(
                lang,
                "access.role",
                &[
                    ("roles", &roles(&mut open_to.iter().copied())),
                    ("role", &roles(&mut std::iter::once(*role))),
                ],
            ),
            Reason::NotSubscribed => host_text(lang, "access.not-subscribed", &[]),
        }
    }
}

/// In the language of the request being served (French outside one).
impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(crate::i18n::current()))
    }
}

/// Whether `area` is open at `place` to `party`, and if not, why.
pub fn decide(
    catalog: &Catalog,
    area: &CatalogArea,
    place: &Place<'_>,
    party: Party<'_>,
) -> Verdict {
    match closed_because(catalog, area, place, party) {
        None => Verdict::Open,
        Some(reason) => Verdict::Closed(reason),
    }
}

fn closed_because(
    catalog: &Catalog,
    area: &CatalogArea,
    place: &Place<'_>,
    party: Party<'_>,
) -> Option<Reason> {
    let spec = &area.spec;
    if spec.scope != Scope::Structure {
        return Some(Reason::UserArea);
    }
    if !added(area, place) {
        return Some(Reason::NotAdded);
    }
    let as_role = match party {
        Party::Member { role, .. } => role,
        Party::Structure => Role::PrimaryManager,
    };
    if let Some(reason) = availability(catalog, area, place, as_role) {
        return Some(reason);
    }
    // After the structure's own answers: a plugin that failed to load may
    // load again at the next reload, the other reasons are the structure's.
    if let Err(e) = &area.loaded {
        return Some(Reason::NotLoaded(e.clone()));
    }
    let Party::Member {
        role,
        subscriptions,
    } = party
    else {
        return None;
    };
    if !spec.roles.contains(&role) {
        return Some(Reason::Role {
            open_to: spec.roles.clone(),
            role,
        });
    }
    if spec.install == Install::OnRequest
        && !role.is_manager()
        && !subscriptions.contains(spec.id.as_str())
    {
        return Some(Reason::NotSubscribed);
    }
    None
}

fn added(area: &CatalogArea, place: &Place<'_>) -> bool {
    area.spec.install == Install::Default || place.installs.contains(area.spec.id.as_str())
}

/// Step 3 alone: why `area` cannot be opened at `place` by anyone with
/// `role` (its kind, a required area, `when`), or `None` when it could be,
/// once added. Installation and the area's own roles are not looked at:
/// this is what Manager activities shows beside an area to add.
pub fn availability(
    catalog: &Catalog,
    area: &CatalogArea,
    place: &Place<'_>,
    role: Role,
) -> Option<Reason> {
    availability_at(catalog, area, place, role, 0)
}

fn availability_at(
    catalog: &Catalog,
    area: &CatalogArea,
    place: &Place<'_>,
    role: Role,
    depth: usize,
) -> Option<Reason> {
    let spec = &area.spec;
    if !spec.structure_kinds.contains(&place.structure.kind) {
        return Some(Reason::KindNotOffered(spec.structure_kinds.clone()));
    }
    for required in spec.requires.keys() {
        let ready = depth < MAX_REQUIRES_DEPTH
            && catalog.area(required.as_str()).is_some_and(|r| {
                r.loaded.is_ok()
                    && added(r, place)
                    && availability_at(catalog, r, place, role, depth + 1).is_none()
            });
        if !ready {
            let title = catalog
                .area(required.as_str())
                .map_or(required.as_str(), |r| r.spec.title.current());
            return Some(Reason::Requires(title.to_string()));
        }
    }
    if let Some(when) = &spec.when
        && !when.eval(place.facts, place.structure.kind, role)
    {
        return Some(Reason::When(
            when.explanation(crate::i18n::current()).to_string(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Loaded;
    use crate::directory::{Identifier, IdentifierType};
    use crate::runtime::Runtime;
    use std::path::Path;

    /// A real catalog: every area is the Hello plugin under another spec;
    /// `broken` failed to load.
    fn catalog() -> Catalog {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let plugin = repo.join("plugins/hello.wasm");
        assert!(plugin.exists(), "run .ci/build-plugins first");
        let area = |id: &str, extra: &str| {
            format!(
                "  - id: {id}\n    title: T-{id}\n    plugin: {}\n    version: 1.0.0\n{extra}",
                plugin.display()
            )
        };
        let yaml = [
            "areas:\n".to_string(),
            area("home", ""),
            area("invoices", "    install: on-request\n"),
            area(
                "reports",
                "    install: on-request\n    requires: { invoices: \"^1\" }\n",
            ),
            area(
                "paid",
                "    install: on-request\n    when: \"fact('invoices', 'payment-reached')\"\n    when-explained: opens once an invoice reached Payment\n",
            ),
            area("after-paid", "    requires: { paid: \"^1\" }\n"),
            area("public-only", "    structure-kinds: [public]\n"),
            area(
                "managers",
                "    roles: [primary-manager, secondary-manager]\n",
            ),
            area(
                "managers-when",
                "    when: \"role == 'primary-manager'\"\n    when-explained: for the primary manager\n",
            ),
            area("broken", ""),
            area("account", "    scope: user\n"),
        ]
        .concat();
        let spec = crate::config::parse(&yaml, &repo.join("areas.yaml")).expect("valid");
        let cache = tempfile::tempdir().unwrap();
        let runtime = Runtime::new()
            .unwrap()
            .with_compile_cache(cache.path().to_path_buf());
        let areas = spec
            .areas
            .into_iter()
            .map(|spec| {
                let loaded = if spec.id.as_str() == "broken" {
                    Err("plugin broken.wasm is not a valid WebAssembly component".to_string())
                } else {
                    let area = runtime.load(&spec.plugin, &spec).expect("hello loads");
                    let messages = std::sync::Arc::new(crate::i18n::Messages::default());
                    let templates =
                        crate::web::templates::area_environment(&area.templates, messages.clone());
                    Ok(Loaded {
                        area,
                        templates,
                        messages,
                    })
                };
                CatalogArea { spec, loaded }
            })
            .collect();
        Catalog { areas }
    }

    fn structure(kind: StructureKind) -> Structure {
        Structure {
            id: Identifier::parse(IdentifierType::Siret, "73282932000074").unwrap(),
            identifier_type: IdentifierType::Siret,
            name: "Ateliers Dupont".into(),
            kind,
            active: true,
            created_ms: 0,
            recipient_rule: Default::default(),
        }
    }

    /// One row: the area, the structure's kind, what it added, whether the
    /// `payment-reached` fact is set, who asks (a role, subscribed or not,
    /// or the structure itself), and the verdict.
    struct Row {
        area: &'static str,
        kind: StructureKind,
        installs: &'static [&'static str],
        paid: bool,
        party: Option<(Role, bool)>,
        expect: Result<(), Reason>,
    }

    #[test]
    fn one_rule_over_install_kind_requires_when_role_and_subscription() {
        use Role::{PrimaryManager as Primary, SecondaryManager as Secondary, User};
        use StructureKind::{Private, Public};
        let catalog = catalog();
        let kinds = |k: &[StructureKind]| Reason::KindNotOffered(k.iter().copied().collect());
        let when = |s: &str| Reason::When(s.to_string());
        let role = |role: Role| Reason::Role {
            open_to: [Primary, Secondary].into_iter().collect(),
            role,
        };
        let paid_when = "opens once an invoice reached Payment";
        #[rustfmt::skip]
        let rows = [
            // install: default areas are open to all; on request, once added.
            Row { area: "home", kind: Private, installs: &[], paid: false, party: Some((User, false)), expect: Ok(()) },
            Row { area: "invoices", kind: Private, installs: &[], paid: false, party: Some((Primary, false)), expect: Err(Reason::NotAdded) },
            Row { area: "invoices", kind: Private, installs: &["invoices"], paid: false, party: Some((Primary, false)), expect: Ok(()) },
            Row { area: "invoices", kind: Private, installs: &[], paid: false, party: None, expect: Err(Reason::NotAdded) },
            // subscription: on request, a user needs an approved one; managers do not.
            Row { area: "invoices", kind: Private, installs: &["invoices"], paid: false, party: Some((User, false)), expect: Err(Reason::NotSubscribed) },
            Row { area: "invoices", kind: Private, installs: &["invoices"], paid: false, party: Some((User, true)), expect: Ok(()) },
            Row { area: "invoices", kind: Private, installs: &["invoices"], paid: false, party: Some((Secondary, false)), expect: Ok(()) },
            Row { area: "invoices", kind: Private, installs: &["invoices"], paid: false, party: None, expect: Ok(()) },
            // kind
            Row { area: "public-only", kind: Private, installs: &[], paid: false, party: Some((Primary, false)), expect: Err(kinds(&[Public])) },
            Row { area: "public-only", kind: Public, installs: &[], paid: false, party: Some((User, false)), expect: Ok(()) },
            Row { area: "public-only", kind: Private, installs: &[], paid: false, party: None, expect: Err(kinds(&[Public])) },
            // requires: the required area must be added (and available) too —
            // for a message as for a member.
            Row { area: "reports", kind: Private, installs: &["reports"], paid: false, party: Some((Primary, false)), expect: Err(Reason::Requires("T-invoices".into())) },
            Row { area: "reports", kind: Private, installs: &["reports"], paid: false, party: None, expect: Err(Reason::Requires("T-invoices".into())) },
            Row { area: "reports", kind: Private, installs: &["reports", "invoices"], paid: false, party: Some((Primary, false)), expect: Ok(()) },
            Row { area: "after-paid", kind: Private, installs: &["paid"], paid: false, party: Some((Primary, false)), expect: Err(Reason::Requires("T-paid".into())) },
            Row { area: "after-paid", kind: Private, installs: &["paid"], paid: true, party: Some((User, false)), expect: Ok(()) },
            // when: on the structure's facts, and on the role (a message asks as the primary manager).
            Row { area: "paid", kind: Private, installs: &["paid"], paid: false, party: Some((Primary, false)), expect: Err(when(paid_when)) },
            Row { area: "paid", kind: Private, installs: &["paid"], paid: true, party: Some((Primary, false)), expect: Ok(()) },
            Row { area: "paid", kind: Private, installs: &["paid"], paid: false, party: None, expect: Err(when(paid_when)) },
            Row { area: "managers-when", kind: Private, installs: &[], paid: false, party: Some((Secondary, false)), expect: Err(when("for the primary manager")) },
            Row { area: "managers-when", kind: Private, installs: &[], paid: false, party: None, expect: Ok(()) },
            // role
            Row { area: "managers", kind: Private, installs: &[], paid: false, party: Some((User, false)), expect: Err(role(User)) },
            Row { area: "managers", kind: Private, installs: &[], paid: false, party: Some((User, true)), expect: Err(role(User)) },
            Row { area: "managers", kind: Private, installs: &[], paid: false, party: Some((Secondary, false)), expect: Ok(()) },
            Row { area: "managers", kind: Private, installs: &[], paid: false, party: None, expect: Ok(()) },
            // a plugin that did not load; a user area.
            Row { area: "broken", kind: Private, installs: &[], paid: false, party: Some((Primary, false)), expect: Err(Reason::NotLoaded("plugin broken.wasm is not a valid WebAssembly component".into())) },
            Row { area: "account", kind: Private, installs: &[], paid: false, party: Some((Primary, false)), expect: Err(Reason::UserArea) },
            // precedence: the first failing step is the reason.
            Row { area: "reports", kind: Public, installs: &[], paid: false, party: Some((User, false)), expect: Err(Reason::NotAdded) },
            Row { area: "paid", kind: Private, installs: &["paid"], paid: false, party: Some((User, false)), expect: Err(when(paid_when)) },
            Row { area: "invoices", kind: Private, installs: &["invoices"], paid: false, party: Some((User, false)), expect: Err(Reason::NotSubscribed) },
        ];
        for (i, row) in rows.iter().enumerate() {
            let area = catalog.area(row.area).unwrap();
            let s = structure(row.kind);
            let installs: BTreeSet<String> = row.installs.iter().map(|a| a.to_string()).collect();
            let mut facts = Facts::new();
            if row.paid {
                facts
                    .entry("invoices".into())
                    .or_default()
                    .insert("payment-reached".into(), serde_json::Value::Bool(true));
            }
            let subscribed: BTreeSet<String> = [row.area.to_string()].into_iter().collect();
            let none = BTreeSet::new();
            let party = match row.party {
                Some((role, subscribed_here)) => Party::Member {
                    role,
                    subscriptions: if subscribed_here { &subscribed } else { &none },
                },
                None => Party::Structure,
            };
            let place = Place {
                structure: &s,
                installs: &installs,
                facts: &facts,
            };
            let expected = match &row.expect {
                Ok(()) => Verdict::Open,
                Err(reason) => Verdict::Closed(reason.clone()),
            };
            assert_eq!(
                decide(&catalog, area, &place, party),
                expected,
                "row {i}: {} for {:?} in a {:?} structure",
                row.area,
                row.party,
                row.kind
            );
        }
    }

    #[test]
    fn reasons_say_what_is_missing_and_whether_the_area_is_revealed() {
        let kinds = Reason::KindNotOffered([StructureKind::Public].into_iter().collect());
        assert_eq!(kinds.text(Lang::En), "offered to public structures only");
        assert_eq!(
            kinds.text(Lang::Fr),
            "proposé aux structures publiques uniquement"
        );
        assert!(kinds.hidden() && kinds.unavailable());
        let requires = Reason::Requires("Issued invoices".into());
        assert_eq!(
            requires.text(Lang::En),
            "needs Issued invoices to be available and added first"
        );
        let role = Reason::Role {
            open_to: [Role::PrimaryManager].into_iter().collect(),
            role: Role::User,
        };
        assert!(
            !role.hidden() && !role.unavailable(),
            "403, with the reason"
        );
        assert!(!Reason::NotSubscribed.hidden());
        assert!(Reason::NotAdded.hidden() && !Reason::NotAdded.unavailable());
    }
}
