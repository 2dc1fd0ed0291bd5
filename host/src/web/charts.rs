//! Bar charts for area pages, drawn by the host as inline SVG.
//!
//! An area may not emit `<svg>` (see [`super::area_html`]): SVG is a second
//! markup language with its own links and scripts. So a template asks the
//! host instead: `{{ bar_chart(bars, title="…", description="…") }}` prints a
//! placeholder element carrying the chart's data, the rendered page is
//! checked as usual, and [`expand`] then replaces each placeholder with an
//! SVG the host draws from that data alone: numbers become lengths, texts
//! are escaped, colours are CSS classes of the host's stylesheet. No script,
//! no `style` attribute (strict CSP). Whoever writes the placeholder, the
//! SVG can only be one of these charts.
//!
//! Each chart is `role="img"` with a `<title>` and a `<desc>` listing every
//! bar in words: the text alternative; areas print the figures as a table
//! beside it as well.

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind};
use serde::{Deserialize, Serialize};

/// The placeholder's tag: not an HTML element, never left in a page.
const TAG: &str = "portico-chart";
/// Most bars in one chart (twelve months, sixteen statuses).
pub(crate) const MAX_BARS: usize = 24;
/// Longest label or value text, in characters.
const MAX_TEXT: usize = 80;
/// Tones a bar may take: the badge classes of the stylesheet.
const TONES: &[&str] = &["waiting", "progress", "done", "problem"];

/// Drawing geometry, in SVG user units (the chart scales to its panel).
const WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 230;
const VALUE_WIDTH: u32 = 110;
const ROW: u32 = 30;
const BAR: u32 = 20;

/// One bar: its label, its value (a length), the value as the reader
/// should read it (formatted by the template, e.g. `12 jours`), a tone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    #[serde(default)]
    pub tone: String,
}

/// A chart as carried by the placeholder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Spec {
    pub title: String,
    pub description: String,
    pub bars: Vec<Bar>,
}

fn text(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_owned(),
        None if v.is_undefined() || v.is_none() => String::new(),
        None => v.to_string(),
    }
}

fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect()
}

/// `bar_chart(bars, title=…, description=…)`: `bars` is a list of maps with
/// `label`, `value` (a number), `text` (how to read the value; defaults to
/// the value) and optionally `tone` (`waiting`, `progress`, `done`,
/// `problem`).
pub(crate) fn bar_chart(bars: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let title: String = kwargs.get::<Option<String>>("title")?.unwrap_or_default();
    let description: String = kwargs
        .get::<Option<String>>("description")?
        .unwrap_or_default();
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    for bar in bars.try_iter()? {
        if out.len() == MAX_BARS {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("bar_chart: at most {MAX_BARS} bars"),
            ));
        }
        let value = bar.get_attr("value")?;
        let number = f64::try_from(value.clone()).map_err(|_| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("bar_chart: `value` must be a number, got `{value}`"),
            )
        })?;
        let shown = text(&bar.get_attr("text")?);
        out.push(Bar {
            label: clip(&text(&bar.get_attr("label")?)),
            value: if number.is_finite() {
                number.max(0.0)
            } else {
                0.0
            },
            text: clip(&if shown.is_empty() {
                value.to_string()
            } else {
                shown
            }),
            tone: text(&bar.get_attr("tone")?),
        });
    }
    let spec = Spec {
        title: clip(&title),
        description: description
            .chars()
            .filter(|c| !c.is_control())
            .take(400)
            .collect(),
        bars: out,
    };
    let json = serde_json::to_string(&spec)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("bar_chart: {e}")))?;
    Ok(Value::from_safe_string(format!(
        r#"<{TAG} data-spec="{}"></{TAG}>"#,
        escape(&json)
    )))
}

/// HTML-escapes text for element content and quoted attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The reverse of [`escape`] (only what it produces).
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `html` with every chart placeholder replaced by its SVG; a placeholder
/// whose data does not parse is dropped (it could only be hand-written).
/// A page without a chart (most pages) is returned as it came, uncopied.
pub(crate) fn expand(html: String) -> String {
    let open = format!(r#"<{TAG} data-spec=""#);
    let close = format!(r#""></{TAG}>"#);
    if !html.contains(&open) {
        return html;
    }
    let html = html.as_str();
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut n = 0;
    while let Some(at) = rest.find(&open) {
        out.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        let Some(end) = after.find(&close) else {
            rest = after;
            continue;
        };
        if let Ok(spec) = serde_json::from_str::<Spec>(&unescape(&after[..end])) {
            n += 1;
            out.push_str(&svg(&spec, n));
        }
        rest = &after[end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// The SVG of one chart; `n` makes its ids unique in the page.
pub(crate) fn svg(spec: &Spec, n: usize) -> String {
    let bars = &spec.bars[..spec.bars.len().min(MAX_BARS)];
    let height = ROW * (bars.len() as u32).max(1) + 10;
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let room = f64::from(WIDTH - LABEL_WIDTH - VALUE_WIDTH);
    let desc = if spec.description.is_empty() {
        bars.iter()
            .map(|b| format!("{}: {}", b.label, b.text))
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        spec.description.clone()
    };
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="chart-{n}-title chart-{n}-desc" focusable="false"><title id="chart-{n}-title">{}</title><desc id="chart-{n}-desc">{}</desc>"#,
        escape(&spec.title),
        escape(&desc)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = ROW * i as u32 + 5;
        let w = if max > 0.0 {
            (b.value / max * room)
                .round()
                .max(if b.value > 0.0 { 2.0 } else { 0.0 })
        } else {
            0.0
        };
        let tone = if TONES.contains(&b.tone.as_str()) {
            b.tone.as_str()
        } else {
            "neutral"
        };
        let text_y = y + BAR / 2 + 5;
        s.push_str(&format!(
            r#"<text class="chart-label" x="{}" y="{text_y}" text-anchor="end">{}</text><rect class="chart-bar {tone}" x="{}" y="{y}" width="{w}" height="{BAR}" rx="3"></rect><text class="chart-value" x="{}" y="{text_y}">{}</text>"#,
            LABEL_WIDTH - 8,
            escape(&b.label),
            LABEL_WIDTH,
            f64::from(LABEL_WIDTH) + w + 6.0,
            escape(&b.text),
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec {
            title: "Délais <de> paiement".into(),
            description: String::new(),
            bars: vec![
                Bar {
                    label: "janv. 2026".into(),
                    value: 30.0,
                    text: "30 jours".into(),
                    tone: "done".into(),
                },
                Bar {
                    label: "\"><script>".into(),
                    value: 15.0,
                    text: "15 jours".into(),
                    tone: "evil\" onload=\"x".into(),
                },
            ],
        }
    }

    #[test]
    fn a_placeholder_becomes_an_svg_with_its_text_alternative() {
        let json = serde_json::to_string(&spec()).unwrap();
        let html = format!(
            r#"<p>a</p><{TAG} data-spec="{}"></{TAG}><p>b</p>"#,
            escape(&json)
        );
        let out = expand(html.clone());
        assert!(out.starts_with("<p>a</p><svg class=\"chart\""), "{out}");
        assert!(out.ends_with("</svg><p>b</p>"), "{out}");
        assert!(out.contains("<title id=\"chart-1-title\">Délais &lt;de&gt; paiement</title>"));
        assert!(out.contains("janv. 2026: 30 jours; &quot;&gt;&lt;script&gt;: 15 jours"));
        // The longest bar fills the room; the other is half of it.
        assert!(out.contains(r#"width="300" height="20""#), "{out}");
        assert!(out.contains(r#"width="150" height="20""#), "{out}");
        // Nothing from the data becomes markup or an attribute.
        assert!(!out.contains("<script"));
        assert!(!out.contains("onload"));
        assert!(out.contains("chart-bar neutral"));
        assert!(!out.contains("style="));
    }

    #[test]
    fn a_broken_placeholder_is_dropped() {
        let out = expand(format!(r#"x<{TAG} data-spec="{{nope"></{TAG}>y"#));
        assert_eq!(out, "xy");
    }

    #[test]
    fn the_template_function_makes_a_placeholder_that_passes_the_page_check() {
        let mut env = minijinja::Environment::new();
        env.add_function("bar_chart", bar_chart);
        let html = env
            .render_str(
                r#"{{ bar_chart([{"label": "Payée", "value": 3, "text": "3"}, {"label": "Rejetée", "value": 1, "tone": "problem"}], title="Mes factures") }}"#,
                (),
            )
            .unwrap();
        super::super::area_html::check(&html, &[]).expect("the placeholder is allowed");
        let out = expand(html.clone());
        assert!(out.contains("<svg"), "{out}");
        assert!(out.contains("Payée: 3; Rejetée: 1"), "{out}");
        assert!(out.contains("chart-bar problem"), "{out}");
        let err = env
            .render_str(r#"{{ bar_chart([{"label": "x", "value": "a lot"}]) }}"#, ())
            .unwrap_err();
        assert!(err.to_string().contains("must be a number"), "{err}");
    }
}
