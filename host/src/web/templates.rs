//! minijinja environments: the host's pages (layout, sign-in, errors) and
//! one environment per area holding the templates its plugin shipped.
//!
//! Plugin templates always render with HTML autoescape on, whatever their
//! names (minijinja escapes only `.html` names by default), plugin data is
//! never marked safe, and rendering is bounded by fuel. An area has no way
//! to mark output safe: its environment has no `safe` filter, and a template
//! with an `{% autoescape %}` block is refused at load
//! ([`check_area_template`]). What the rendered HTML may contain (tags,
//! links) is checked by `web::area_html`.

use crate::i18n::{self, DateInput, Lang, Messages};
use minijinja::value::{Kwargs, Object, ObjectRepr};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, Value};
use std::fmt;
use std::sync::Arc;

/// Instructions one render may execute; a template that loops forever runs
/// out instead of hanging the host. Real pages use a few thousand.
pub const TEMPLATE_FUEL: u64 = 2_000_000;

/// The name of the render variable holding the form token (see
/// `auth::form_token`). Only `csrf_field()` reads it; plugins never receive
/// it in a call, and templates see an opaque value ([`FormToken`]).
pub(crate) const CSRF_VAR: &str = "__portico_csrf";

/// The form token of one render, as the template sees it: prints as nothing,
/// serializes as nothing, has no attributes, and hides itself from
/// `debug()`. Only [`csrf_field`] takes the token out.
pub(crate) struct FormToken(String);

impl FormToken {
    /// The render-context value holding `token`.
    pub(crate) fn value(token: String) -> Value {
        Value::from_object(FormToken(token))
    }
}

impl fmt::Debug for FormToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<form token>")
    }
}

impl Object for FormToken {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn render(self: &Arc<Self>, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

/// The name of the render variable holding the reader's language (`fr`,
/// `en`); `t()` and the locale filters read it, and so may templates
/// (`{{ lang }}` is also given to the layout).
pub(crate) const LANG_VAR: &str = "__portico_lang";

/// True for the entries of an area's `templates()` list that are its
/// message catalogues, not templates.
pub fn is_catalogue(name: &str) -> bool {
    name == i18n::AREA_CATALOGUE_FR || name == i18n::AREA_CATALOGUE_EN
}

/// The reader's language of this render (French when unset).
pub(crate) fn lang_of(state: &State) -> Lang {
    state
        .lookup(LANG_VAR)
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_else(i18n::current)
}

/// `{{ t("key", name=value) }}`: the message in the reader's language from
/// `messages` (the area's), then the host's catalogue. A missing key is a
/// render error naming it (the CI check keeps that from shipping).
fn translate(
    messages: &Messages,
    state: &State,
    key: &str,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let lang = lang_of(state);
    let arg = |name: &str| {
        kwargs
            .get::<Option<Value>>(name)
            .ok()
            .flatten()
            .map(|v| match v.as_str() {
                Some(s) => s.to_owned(),
                None => v.to_string(),
            })
    };
    let text = messages
        .format(lang, key, &arg)
        .or_else(|| i18n::host_messages().format(lang, key, &arg))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::UndefinedError,
                format!("message `{key}` is in neither the area's catalogue nor the host's"),
            )
        })?;
    // Every keyword is for the message; none is "unused" by mistake.
    let _ = kwargs.assert_all_used();
    Ok(text)
}

/// `{{ t_message(text) }}`: a text that may be a plugin's `i18n:KEY {args}`
/// reference (form errors, refusals), translated; plain text unchanged.
fn translate_message_fn(messages: &Messages, state: &State, text: &str) -> String {
    i18n::translate_message(lang_of(state), Some(messages), text)
}

fn date_input(value: &Value) -> Option<DateInput> {
    if let Some(s) = value.as_str() {
        return Some(DateInput::Text(s.to_owned()));
    }
    i64::try_from(value.clone()).ok().map(DateInput::Ms)
}

/// `{{ value|date }}`: "5 décembre 2026" / "December 5, 2026", from
/// milliseconds since the epoch or `YYYY-MM-DD…`. Anything else is shown as
/// it is (never an error page for a date).
fn date_filter(state: &State, value: Value) -> String {
    date_input(&value)
        .and_then(|d| i18n::format_date_value(lang_of(state), &d))
        .unwrap_or_else(|| value.to_string())
}

/// `{{ ms|datetime }}`: the date and its UTC time.
fn datetime_filter(state: &State, value: Value) -> String {
    i64::try_from(value.clone())
        .ok()
        .and_then(|ms| i18n::format_datetime_ms(lang_of(state), ms))
        .unwrap_or_else(|| value.to_string())
}

fn decimal_text(value: &Value) -> String {
    match value.as_str() {
        Some(s) => s.to_owned(),
        None => value.to_string(),
    }
}

/// `{{ value|number }}` or `{{ value|number(2) }}`: grouped and with the
/// language's decimal separator ("1 234,5" / "1,234.5").
fn number_filter(state: &State, value: Value, fraction: Option<i16>) -> String {
    let text = decimal_text(&value);
    i18n::format_number(lang_of(state), &text, fraction).unwrap_or(text)
}

/// `{{ value|amount }}` or `{{ value|amount("USD") }}` (euros by default):
/// "1 234,56 €" / "€1,234.56".
fn amount_filter(state: &State, value: Value, currency: Option<String>) -> String {
    let text = decimal_text(&value);
    i18n::format_amount(lang_of(state), &text, currency.as_deref().unwrap_or("EUR")).unwrap_or(text)
}

/// `{{ csrf_field() }}`: the hidden input every POST form must contain.
fn csrf_field(state: &State) -> Value {
    let token = state
        .lookup(CSRF_VAR)
        .and_then(|v| v.downcast_object_ref::<FormToken>().map(|t| t.0.clone()))
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
    env.add_function("lang", |state: &State| lang_of(state).as_str());
    env.add_filter("date", date_filter);
    env.add_filter("datetime", datetime_filter);
    env.add_filter("number", number_filter);
    env.add_filter("amount", amount_filter);
}

fn add_translation(env: &mut Environment<'static>, messages: Arc<Messages>) {
    let m = messages.clone();
    env.add_function("t", move |state: &State, key: &str, kwargs: Kwargs| {
        translate(&m, state, key, kwargs)
    });
    env.add_function("t_message", move |state: &State, text: &str| {
        translate_message_fn(&messages, state, text)
    });
}

/// Why an area's template is refused at load, if it is: an
/// `{% autoescape %}` block would let it print data unescaped.
pub fn check_area_template(source: &str) -> Result<(), String> {
    let mut rest = source;
    while let Some(at) = rest.find("{%") {
        rest = &rest[at + 2..];
        let tag = rest.trim_start_matches(['-', '+', '~']).trim_start();
        let word: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if word == "autoescape" {
            return Err(
                "`{% autoescape %}` blocks are not allowed: area templates always escape what they print"
                    .into(),
            );
        }
    }
    Ok(())
}

/// Everything wrong with one of an area's templates that can be seen
/// without rendering it, each as `line N: cause`: a syntax error (an
/// unclosed `{% for %}`…), an `{% autoescape %}` block, a filter the host
/// does not have (but `safe`, refused when rendered), a POST form without
/// `{{ csrf_field() }}`. `portico check`
/// and every reload refuse an area whose templates have any.
pub fn template_problems(env: &Environment<'static>, source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(reason) = check_area_template(source) {
        problems.push(reason);
    }
    if let Err(e) = env.template_from_str(source) {
        let line = e.line().map(|l| format!("line {l}: ")).unwrap_or_default();
        let cause = e.detail().unwrap_or_default();
        problems.push(format!("{line}{}: {cause}", e.kind()));
    }
    for (name, at) in filters_used(source) {
        // `safe` is refused where it runs, by design (the render fails
        // naming it, and the security tests probe exactly that).
        if name != "safe" && !has_filter(env, name) {
            problems.push(format!(
                "line {}: unknown filter `{name}`; the host's are date, datetime, number, amount and minijinja's built-in ones (no `safe`)",
                line_of(source, at)
            ));
        }
    }
    for at in post_forms_without_token(source) {
        problems.push(format!(
            "line {}: this POST form has no `{{{{ csrf_field() }}}}`; the host refuses its submissions (403): add it inside the form",
            line_of(source, at)
        ));
    }
    problems
}

/// 1-based line of byte offset `at`.
fn line_of(source: &str, at: usize) -> usize {
    source[..at].matches('\n').count() + 1
}

/// Whether `name` is a filter of `env` (minijinja resolves filters only
/// when it runs them, so ask it to run one).
fn has_filter(env: &Environment<'static>, name: &str) -> bool {
    match env.compile_expression(&format!("none|{name}")) {
        Ok(expr) => !matches!(expr.eval(()), Err(e) if e.kind() == ErrorKind::UnknownFilter),
        Err(_) => true, // not a name minijinja parses; the syntax check reports it
    }
}

/// The filters a template names (`value|name`, `{% filter name %}`), with
/// their byte offsets, read from inside `{{ }}` and `{% %}` only, string
/// literals skipped.
fn filters_used(source: &str) -> Vec<(&str, usize)> {
    let mut found = Vec::new();
    let bytes = source.as_bytes();
    let ident_end = |mut j: usize| {
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            j += 1;
        }
        j
    };
    let mut i = 0;
    while i + 1 < bytes.len() {
        let close = match &bytes[i..i + 2] {
            b"{{" => "}}",
            b"{%" => "%}",
            b"{#" => {
                i = source[i..].find("#}").map_or(bytes.len(), |e| i + e + 2);
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        let start = i + 2;
        let end = source[start..]
            .find(close)
            .map_or(bytes.len(), |e| start + e);
        let inner = source[start..end]
            .trim_start_matches(['-', '+', '~'])
            .trim_start();
        if close == "%}"
            && let Some(rest) = inner.strip_prefix("filter ")
        {
            let at = end - rest.trim_start().len();
            let stop = ident_end(at);
            if stop > at {
                found.push((&source[at..stop], at));
            }
        }
        let mut j = start;
        let mut quote = None;
        while j < end {
            let b = bytes[j];
            match quote {
                Some(_) if b == b'\\' => j += 1,
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None if b == b'|' => {
                    let mut k = j + 1;
                    while k < end && bytes[k].is_ascii_whitespace() {
                        k += 1;
                    }
                    let stop = ident_end(k);
                    if stop > k {
                        found.push((&source[k..stop], k));
                    }
                }
                None => {}
            }
            j += 1;
        }
        i = end + 2;
    }
    found
}

/// Offsets of the `<form method="post">` tags whose form has no
/// `csrf_field()` before its `</form>`.
fn post_forms_without_token(source: &str) -> Vec<usize> {
    let lower = source.to_ascii_lowercase();
    let mut missing = Vec::new();
    let mut from = 0;
    while let Some(rel) = lower[from..].find("<form") {
        let at = from + rel;
        let tag_end = lower[at..].find('>').map_or(lower.len(), |e| at + e);
        let tag: String = lower[at..tag_end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let post = tag.contains("method=\"post\"")
            || tag.contains("method='post'")
            || tag.contains("method=post");
        let body_end = lower[tag_end..]
            .find("</form")
            .map_or(lower.len(), |e| tag_end + e);
        if post && !source[tag_end..body_end].contains("csrf_field()") {
            missing.push(at);
        }
        from = tag_end.max(at + 5);
    }
    missing
}

/// The environment for one area's templates. It has no `safe` filter: an
/// area cannot mark anything as HTML.
pub fn area_environment(
    templates: &[(String, String)],
    messages: Arc<Messages>,
) -> Environment<'static> {
    let mut env = Environment::new();
    base(&mut env);
    env.remove_filter("safe");
    env.add_function("bar_chart", super::charts::bar_chart);
    add_translation(&mut env, messages);
    for (name, source) in templates {
        if is_catalogue(name) {
            continue;
        }
        // A template that does not compile, or is refused, is reported by
        // `Runtime::load`; here it is simply absent.
        if check_area_template(source).is_err() {
            continue;
        }
        let _ = env.add_template_owned(name.clone(), source.clone());
    }
    env
}

/// The host's own pages.
pub fn host_environment() -> Environment<'static> {
    let mut env = Environment::new();
    base(&mut env);
    add_translation(&mut env, Arc::new(Messages::default()));
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

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    fn render(source: &str) -> Result<String, String> {
        check_area_template(source)?;
        let env = area_environment(
            &[("t.html".into(), source.into())],
            Arc::new(Messages::default()),
        );
        env.get_template("t.html")
            .and_then(|t| {
                t.render(minijinja::context! {
                    data => "<img src=x onerror=alert(1)>",
                    __portico_csrf => FormToken::value(TOKEN.into()),
                })
            })
            .map_err(|e| e.to_string())
    }

    fn problems(source: &str) -> Vec<String> {
        let env = area_environment(&[], Arc::new(Messages::default()));
        template_problems(&env, source)
    }

    #[test]
    fn a_syntax_error_is_reported_with_its_line_and_cause() {
        let found = problems("<ul>\n{% for x in data.items %}\n<li>{{ x }}</li>\n</ul>\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("line 3: ")
                && found[0].contains("syntax error")
                && found[0].contains("expected end of block"),
            "{found:?}"
        );
    }

    #[test]
    fn an_unknown_filter_is_reported_before_any_render() {
        let found = problems(
            "<p>{{ data.total|amount }}</p>\n<p>{% if data.x %}{{ data.when | dat }}{% endif %}</p>",
        );
        assert_eq!(
            found,
            vec!["line 2: unknown filter `dat`; the host's are date, datetime, number, amount and minijinja's built-in ones (no `safe`)".to_owned()]
        );
        assert_eq!(
            problems("{{ 'a|b' }} {{ x|upper|urlencode }} {{ ms|date }} {# y|nope #}"),
            Vec::<String>::new(),
            "strings, comments and known filters pass"
        );
        assert_eq!(problems("{% filter nope %}x{% endfilter %}").len(), 1);
    }

    #[test]
    fn a_post_form_without_its_token_is_named_by_line() {
        let source = "<form method=\"get\"><input name=q></form>\n<form method=\"post\" action=\"{{ ctx.base_path }}/x\">\n<button>Go</button></form>\n<form method=\"POST\">{{ csrf_field() }}</form>";
        let found = problems(source);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("line 2: this POST form has no `{{ csrf_field() }}`"),
            "{found:?}"
        );
    }

    #[test]
    fn an_area_template_cannot_read_the_form_token() {
        let field = render("{{ csrf_field() }}").unwrap();
        assert!(field.contains(TOKEN), "csrf_field prints it: {field}");
        for probe in [
            "{{ debug() }}",
            "{{ __portico_csrf }}",
            "{{ __portico_csrf|string }}",
            "{{ __portico_csrf|tojson }}",
            "{{ __portico_csrf|list }}",
            "{% for k in __portico_csrf %}{{ k }}{% endfor %}",
            "{{ __portico_csrf.0 }}{{ __portico_csrf[0] }}",
        ] {
            let out = render(probe).unwrap_or_else(|e| e);
            assert!(!out.contains(&TOKEN[..16]), "{probe} revealed it: {out}");
        }
    }

    #[test]
    fn an_area_template_cannot_print_raw_html() {
        let err = render("{{ data|safe }}").unwrap_err();
        assert!(err.contains("unknown filter"), "{err}");
        let err = render("{% filter safe %}{{ data }}{% endfilter %}").unwrap_err();
        assert!(err.contains("unknown filter"), "{err}");
        for source in [
            "{% autoescape false %}{{ data }}{% endautoescape %}",
            "{%- autoescape false -%}{{ data }}{% endautoescape %}",
            "{%   autoescape 'none' %}{{ data }}{% endautoescape %}",
        ] {
            let err = render(source).unwrap_err();
            assert!(err.contains("autoescape"), "{source}: {err}");
        }
        // What is left escapes.
        assert_eq!(
            render("{{ data }}").unwrap(),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
    }
}
