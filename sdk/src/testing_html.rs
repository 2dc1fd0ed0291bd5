//! The test host's template rendering: the area's templates compiled and
//! rendered with minijinja, the engine the host uses, with the same context
//! (`data`, `ctx`, `form`, `errors`, `error`), functions (`t`, `t_message`,
//! `csrf_field`, `lang`, `bar_chart`) and filters (`date`, `datetime`,
//! `number`, `amount`), in English, and without `safe` (the host removes
//! it too). So a template that does not compile (a missing `{% endfor %}`),
//! an unknown filter, or a POST form without `{{ csrf_field() }}` fails the
//! area's own tests, with the template, the line and the cause.
//!
//! The formats are English and simple (`March 31, 2027`, `1,234.5`,
//! `€1,234.56`); the host formats with ICU4X in the reader's language.

use crate::{Context, Response};
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, State};
use std::collections::BTreeMap;

/// Why a template could not be used; the message names the template, the
/// line and the cause.
pub(crate) fn describe(e: &Error) -> String {
    let mut text = match (e.name(), e.line()) {
        (Some(name), Some(line)) => format!("template `{name}`, line {line}: {}", e.kind()),
        (Some(name), None) => format!("template `{name}`: {}", e.kind()),
        _ => e.kind().to_string(),
    };
    if let Some(detail) = e.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    text
}

/// The area's templates in an environment like the host's.
fn environment(
    templates: &[(&'static str, &'static str)],
    en: Option<&'static str>,
) -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.remove_filter("safe");
    env.add_function("csrf_field", |_: &State| {
        Value::from_safe_string(r#"<input type="hidden" name="_csrf" value="test-token">"#.into())
    });
    env.add_function("lang", |_: &State| "en");
    // A key missing from the area's and the SDK's catalogues shows as
    // itself: it may be one of the host's (`role.*`…); `portico check`
    // and the catalogue test check keys against all of them.
    env.add_function(
        "t",
        move |key: &str, kwargs: Kwargs| -> Result<String, Error> {
            let mut args: Vec<(String, String)> = Vec::new();
            for name in kwargs.args() {
                let v: Value = kwargs.get(name)?;
                args.push((name.to_owned(), v.to_string()));
            }
            let refs: Vec<(&str, &str)> =
                args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Ok(crate::i18n::english(&crate::i18n::message(key, &refs), en))
        },
    );
    env.add_function("t_message", move |text: &str| {
        crate::i18n::english(text, en)
    });
    env.add_function(
        "bar_chart",
        |_bars: Value, kwargs: Kwargs| -> Result<Value, Error> {
            let _: Option<String> = kwargs.get("title")?;
            let _: Option<String> = kwargs.get("description")?;
            kwargs.assert_all_used()?;
            Ok(Value::from_safe_string(
                r#"<figure class="chart">(chart)</figure>"#.into(),
            ))
        },
    );
    env.add_filter("date", |v: Value| date(&v, false));
    env.add_filter("datetime", |v: Value| date(&v, true));
    env.add_filter("number", |v: Value| number(&v.to_string(), None));
    env.add_filter("amount", |v: Value, currency: Option<String>| {
        let text = number(&v.to_string(), Some(2));
        match currency.as_deref().unwrap_or("EUR") {
            "EUR" => format!("€{text}"),
            other => format!("{other} {text}"),
        }
    });
    for (name, source) in templates {
        if name.starts_with("i18n/") {
            continue;
        }
        env.add_template(name, source).map_err(|e| describe(&e))?;
    }
    Ok(env)
}

/// `1234.5` → `1,234.5`; with `places`, that many decimals.
fn number(text: &str, places: Option<usize>) -> String {
    let text = text.trim_matches('"');
    let Ok(n) = text.parse::<f64>() else {
        return text.to_owned();
    };
    let fixed = match places {
        Some(p) => format!("{n:.p$}"),
        None => text.to_owned(),
    };
    let (sign, digits) = fixed
        .strip_prefix('-')
        .map_or(("", fixed.as_str()), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `2027-03-31` or milliseconds since the epoch → `March 31, 2027`.
fn date(value: &Value, with_time: bool) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m, d, hm) = if let Some(ms) = value.as_i64() {
        let secs = ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let (y, m, d) = civil(days);
        let s = secs.rem_euclid(86_400);
        (y, m, d, Some((s / 3600, s % 3600 / 60)))
    } else {
        let text = value.to_string();
        let parts: Vec<i64> = text
            .get(..10)
            .unwrap_or("")
            .split('-')
            .filter_map(|p| p.parse().ok())
            .collect();
        match parts.as_slice() {
            [y, m, d] if (1..=12).contains(m) => (*y, *m, *d, None),
            _ => return text,
        }
    };
    let day = format!("{} {d}, {y}", MONTHS[(m - 1) as usize]);
    match (with_time, hm) {
        (true, Some((h, min))) => format!("{day}, {h:02}:{min:02}"),
        _ => day,
    }
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Every `<form method="post">` of `html` holds the CSRF field; else which
/// one does not (by its action).
fn post_form_without_csrf(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<form").map(|i| at + i) {
        let tag_end = lower[start..].find('>').map_or(lower.len(), |i| start + i);
        let tag = &lower[start..tag_end];
        let end = lower[tag_end..]
            .find("</form")
            .map_or(lower.len(), |i| tag_end + i);
        let is_post = tag.contains("method=\"post\"") || tag.contains("method='post'");
        if is_post && !lower[tag_end..end].contains("name=\"_csrf\"") {
            let action = html[start..tag_end]
                .split("action=\"")
                .nth(1)
                .and_then(|a| a.split('"').next())
                .unwrap_or("(no action)");
            return Some(action.to_owned());
        }
        at = end.max(start + 5);
    }
    None
}

/// The HTML the host would put inside its layout for `response` (a view,
/// or an invalid form's view), rendered with `templates` and the English
/// catalogue `en`; `Ok(None)` for other answers.
pub(crate) fn render(
    templates: &'static [(&'static str, &'static str)],
    en: Option<&'static str>,
    cx: &Context,
    form: &[(String, String)],
    response: &Response,
) -> Result<Option<String>, String> {
    let (view, errors, error, form) = match response {
        Response::View(v) => (v, BTreeMap::new(), None, BTreeMap::new()),
        Response::Invalid(i) => (
            &i.view,
            i.fields
                .iter()
                .map(|f| (f.field.clone(), crate::i18n::english(&f.message, en)))
                .collect(),
            Some(crate::i18n::english(&i.message, en)),
            form.iter().cloned().collect::<BTreeMap<_, _>>(),
        ),
        _ => return Ok(None),
    };
    let env = environment(templates, en)?;
    let template = env.get_template(&view.template).map_err(|e| describe(&e))?;
    let data: Value = if view.data.is_empty() {
        Value::from(BTreeMap::<String, Value>::new())
    } else {
        serde_json::from_str(&view.data).map_err(|e| format!("the view's data is not JSON: {e}"))?
    };
    let structure = cx.structure.as_ref().map(|s| {
        serde_json::json!({
            "id": s.id, "name": s.name, "kind": s.kind.as_str(), "identifier_type": s.identifier_type,
        })
    });
    let ctx = serde_json::json!({
        "base_path": cx.base_path,
        "area": cx.area,
        "user": { "id": cx.user.id, "first_name": cx.user.first_name, "last_name": cx.user.last_name, "email": cx.user.email },
        "structure": structure,
        "role": cx.role.map(|r| r.as_str()),
        "tabs": cx.tabs.iter().map(|t| serde_json::json!({ "id": t.id, "title": t.title, "href": t.href })).collect::<Vec<_>>(),
    });
    let ctx: Value = serde_json::from_value(ctx).map_err(|e| format!("the context: {e}"))?;
    let html = template
        .render(minijinja::context! {
            data => data,
            ctx => ctx,
            errors => errors,
            error => error,
            form => form,
        })
        .map_err(|e| describe(&e))?;
    if let Some(action) = post_form_without_csrf(&html) {
        return Err(format!(
            "template `{}`: the POST form to {action} has no {{{{ csrf_field() }}}}; the host refuses its submissions",
            view.template
        ));
    }
    Ok(Some(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dates_and_forms() {
        assert_eq!(number("1234567.5", None), "1,234,567.5");
        assert_eq!(number("-1234", Some(2)), "-1,234.00");
        assert_eq!(date(&Value::from("2027-03-31"), false), "March 31, 2027");
        assert_eq!(
            date(&Value::from(1_700_000_000_000_i64), true),
            "November 14, 2023, 22:13"
        );
        assert_eq!(
            post_form_without_csrf(r#"<form method="post" action="/a"><input name="_csrf"></form><form method="post" action="/b"></form>"#).as_deref(),
            Some("/b")
        );
        assert_eq!(
            post_form_without_csrf(r#"<form method="get"></form>"#),
            None
        );
    }
}
