//! `when:` eligibility expressions: minijinja expressions compiled once, at
//! load, against one process-wide environment, then evaluated per request
//! with the structure's facts, its kind and the member's role.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use minijinja::{Environment, Expression, State, Value, context};

use crate::directory::{Role, StructureKind};

/// Facts set by areas on one structure: area id → fact name → value.
pub type Facts = BTreeMap<String, BTreeMap<String, serde_json::Value>>;

/// Instruction budget for one evaluation. An eligibility test is a handful
/// of comparisons (tens of instructions); the budget only exists so that
/// `range(…)`-style expressions cannot burn a request thread.
pub const WHEN_FUEL: u64 = 10_000;

/// Context variable holding the facts. Internal: authors call `fact()`, and
/// validation rejects any other use of the name.
const FACTS_VAR: &str = "__facts";

/// Names an expression may use besides minijinja's global functions.
const VARIABLES: [&str; 3] = ["role", "structure", "structure.kind"];

/// The environment every `when` expression is compiled against.
fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_fuel(Some(WHEN_FUEL));
        env.add_function("fact", fact);
        env
    })
}

/// `fact(area, name)`: the fact's value, or none (falsy) if that area never
/// set it on this structure.
fn fact(state: &State, area: &str, name: &str) -> Value {
    state
        .lookup(FACTS_VAR)
        .and_then(|facts| facts.get_item(&Value::from(area)).ok())
        .and_then(|facts| facts.get_item(&Value::from(name)).ok())
        .filter(|value| !value.is_undefined())
        .unwrap_or(Value::from(()))
}

/// Why a `when` expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    /// minijinja could not compile it.
    #[error("does not compile: {0}")]
    Syntax(String),
    /// It names a variable or function that will never exist at evaluation.
    #[error(
        "unknown name `{name}`; an expression can use fact(area, name), role, structure.kind and minijinja's functions and filters"
    )]
    UnknownName {
        /// The name, dotted if it is an attribute (`structure.name`).
        name: String,
    },
}

/// A compiled `when:` expression, with the plain-words explanation that
/// managers read instead of it (`when-explained`). Cheap to clone.
#[derive(Clone)]
pub struct WhenExpr {
    source: Arc<str>,
    expr: Arc<Expression<'static, 'static>>,
    explained: Option<Arc<WhenExplained>>,
}

/// `when-explained`: why the area is not available yet, in plain words for
/// the structure's managers, per language (English always; French when
/// written). Shown instead of the expression, e.g. after "Not available
/// yet: ".
pub type WhenExplained = super::Localized;

/// Longest `when-explained`, in characters: one line of a page.
pub(super) const MAX_EXPLAINED_CHARS: usize = 200;

impl WhenExpr {
    /// Compiles `source`, and refuses names that can only be typos (`fcat`,
    /// `structure.knd`): they would evaluate to undefined, silently false.
    pub fn compile(source: &str) -> Result<WhenExpr, WhenError> {
        let env = environment();
        let expr = env
            .compile_expression_owned(source.to_owned())
            .map_err(|e| WhenError::Syntax(describe(&e)))?;
        let mut unknown: Vec<String> = expr
            .undeclared_variables(true)
            .into_iter()
            .filter(|name| !is_known(env, name))
            .collect();
        unknown.sort();
        if let Some(name) = unknown.into_iter().next() {
            return Err(WhenError::UnknownName { name });
        }
        Ok(WhenExpr {
            source: Arc::from(source),
            expr: Arc::new(expr),
            explained: None,
        })
    }

    /// The same expression with its `when-explained`.
    pub fn explained_by(mut self, explained: WhenExplained) -> WhenExpr {
        self.explained = Some(Arc::new(explained));
        self
    }

    /// The expression as written in `areas.yaml`: for operators (`/ops`,
    /// logs), never shown to managers.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Why the area is not available while the expression is false, in
    /// `lang` (else English), for people: `when-explained` (required by validation
    /// wherever `when` is written), never the expression.
    pub fn explanation(&self, lang: crate::i18n::Lang) -> &str {
        self.explained.as_deref().map_or("", |e| e.in_lang(lang))
    }

    /// Whether the area is eligible for this structure and member. An
    /// evaluation error (out of fuel, a filter applied to the wrong type)
    /// counts as false and is logged: a broken expression hides a tab, it
    /// never breaks the page.
    pub fn eval(&self, facts: &Facts, structure_kind: StructureKind, role: Role) -> bool {
        let ctx = context! {
            __facts => Value::from(minijinja::value::Serde(facts)),
            structure => context! { kind => structure_kind.as_str() },
            role => role.as_str(),
        };
        match self.expr.eval(ctx) {
            Ok(value) => value.is_true(),
            Err(error) => {
                tracing::warn!(when = %self.source, error = %describe(&error), "`when` expression failed; treating it as false");
                false
            }
        }
    }
}

impl fmt::Debug for WhenExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WhenExpr").field(&self.source).finish()
    }
}

impl fmt::Display for WhenExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq for WhenExpr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.explained == other.explained
    }
}

impl Eq for WhenExpr {}

/// A name the expression may use: ours, or a minijinja global (`range`…).
fn is_known(env: &Environment<'_>, name: &str) -> bool {
    VARIABLES.contains(&name) || env.globals().any(|(global, _)| global == name)
}

/// minijinja's message with its detail, without the `<expression>` location
/// noise (the expression is one line of `areas.yaml`).
fn describe(error: &minijinja::Error) -> String {
    let mut message = error.kind().to_string();
    if let Some(detail) = error.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(area: &str, name: &str, value: serde_json::Value) -> Facts {
        let mut facts = Facts::new();
        facts
            .entry(area.to_owned())
            .or_default()
            .insert(name.to_owned(), value);
        facts
    }

    fn eval(source: &str, facts: &Facts, kind: StructureKind, role: Role) -> bool {
        WhenExpr::compile(source)
            .expect("compiles")
            .eval(facts, kind, role)
    }

    const PRIVATE: StructureKind = StructureKind::Private;
    const USER: Role = Role::User;

    #[test]
    fn fact_true_false_and_missing() {
        let expr = "fact('issued-invoices', 'payment-reached')";
        let yes = facts("issued-invoices", "payment-reached", true.into());
        let no = facts("issued-invoices", "payment-reached", false.into());
        let other_area = facts("commitments", "payment-reached", true.into());
        assert!(eval(expr, &yes, PRIVATE, USER));
        assert!(!eval(expr, &no, PRIVATE, USER));
        assert!(!eval(expr, &Facts::new(), PRIVATE, USER));
        assert!(!eval(expr, &other_area, PRIVATE, USER));
    }

    #[test]
    fn fact_values_compare() {
        let f = facts("invoices", "count", 12.into());
        assert!(eval("fact('invoices', 'count') > 10", &f, PRIVATE, USER));
        assert!(!eval("fact('invoices', 'count') > 20", &f, PRIVATE, USER));
        assert!(eval(
            "fact('invoices', 'missing') is none",
            &f,
            PRIVATE,
            USER
        ));
    }

    #[test]
    fn role_and_structure_kind() {
        let none = Facts::new();
        let expr = "structure.kind == 'public' and role != 'user'";
        assert!(eval(
            expr,
            &none,
            StructureKind::Public,
            Role::PrimaryManager
        ));
        assert!(!eval(expr, &none, StructureKind::Public, Role::User));
        assert!(!eval(expr, &none, PRIVATE, Role::SecondaryManager));
    }

    #[test]
    fn compile_errors_carry_minijinja_message() {
        let err = WhenExpr::compile("fact('a', 'b') and").expect_err("incomplete");
        let WhenError::Syntax(message) = &err else {
            panic!("expected a syntax error, got {err:?}");
        };
        assert!(message.starts_with("syntax error"), "{message}");
        assert!(
            err.to_string()
                .starts_with("does not compile: syntax error")
        );
    }

    #[test]
    fn unknown_names_are_refused() {
        for (source, name) in [
            ("fcat('a', 'b')", "fcat"),
            ("structure.knd == 'public'", "structure.knd"),
            ("__facts", "__facts"),
        ] {
            assert_eq!(
                WhenExpr::compile(source),
                Err(WhenError::UnknownName { name: name.into() }),
                "{source}"
            );
        }
        assert!(WhenExpr::compile("role in ['user'] and range(3) | length == 3").is_ok());
    }

    #[test]
    fn runaway_expressions_run_out_of_fuel() {
        let expr = "range(10000) | map('string') | join | length > 0";
        // True without a budget: the false below is the fuel running out.
        let unbounded = Environment::new();
        let value = unbounded
            .compile_expression(expr)
            .and_then(|e| e.eval(context! {}));
        assert!(value.is_ok_and(|v| v.is_true()));
        assert!(!eval(expr, &Facts::new(), PRIVATE, USER));
    }

    #[test]
    fn provided_names_are_known() {
        for name in VARIABLES.into_iter().chain(["fact"]) {
            assert!(is_known(environment(), name), "{name}");
        }
    }

    #[test]
    fn shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<WhenExpr>();
    }
}
