//! minijinja environments: the host's pages (layout, sign-in, errors) and
//! one environment per area holding the templates its plugin shipped.
//!
//! Plugin templates always render with HTML autoescape on, whatever their
//! names (minijinja escapes only `.html` names by default), plugin data is
//! never marked safe, and rendering is bounded by fuel.

use minijinja::{AutoEscape, Environment, State, Value};

/// Instructions one render may execute; a template that loops forever runs
/// out instead of hanging the host. Real pages use a few thousand.
pub const TEMPLATE_FUEL: u64 = 2_000_000;

/// The name of the render variable holding the request's CSRF token. Only
/// `csrf_field()` reads it; plugins never receive it in a call.
pub(crate) const CSRF_VAR: &str = "__portico_csrf";

/// `{{ csrf_field() }}`: the hidden input every POST form must contain.
fn csrf_field(state: &State) -> Value {
    let token = state
        .lookup(CSRF_VAR)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    // Tokens are ours (hex); keep only safe characters all the same.
    let token: String = token.chars().filter(char::is_ascii_alphanumeric).collect();
    Value::from_safe_string(format!(
        r#"<input type="hidden" name="_csrf" value="{token}">"#
    ))
}

fn base(env: &mut Environment<'static>) {
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.add_function("csrf_field", csrf_field);
}

/// The environment for one area's templates.
pub fn area_environment(templates: &[(String, String)]) -> Environment<'static> {
    let mut env = Environment::new();
    base(&mut env);
    for (name, source) in templates {
        // A template that does not compile is reported by `Runtime::load`;
        // here it is simply absent.
        let _ = env.add_template_owned(name.clone(), source.clone());
    }
    env
}

/// The host's own pages.
pub fn host_environment() -> Environment<'static> {
    let mut env = Environment::new();
    base(&mut env);
    for (name, source) in [
        ("layout.html", include_str!("../../templates/layout.html")),
        ("login.html", include_str!("../../templates/login.html")),
        ("signup.html", include_str!("../../templates/signup.html")),
        ("error.html", include_str!("../../templates/error.html")),
        ("ops.html", include_str!("../../templates/ops.html")),
        ("notice.html", include_str!("../../templates/notice.html")),
        ("forgot.html", include_str!("../../templates/forgot.html")),
        ("reset.html", include_str!("../../templates/reset.html")),
        ("confirm.html", include_str!("../../templates/confirm.html")),
        (
            "security.html",
            include_str!("../../templates/security.html"),
        ),
    ] {
        env.add_template(name, source)
            .expect("host templates compile");
    }
    env
}
