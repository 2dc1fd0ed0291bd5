//! Just enough HTML reading for tests: the links and the forms of a page the
//! host rendered (its own templates and the areas'), as a browser sees them.
//! Not a general parser: tags are found by name, attributes read with their
//! quotes, and the five entities minijinja's autoescape writes are decoded.

/// One `<form>`: where and how it submits, and what a browser would send if
/// the person submitted it untouched (first submit button included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// `action` as written (empty: the page's own URL).
    pub action: String,
    /// `get` or `post`, lower case (`get` when absent, as in browsers).
    pub method: String,
    /// The successful controls' (name, value) pairs, in document order.
    pub fields: Vec<(String, String)>,
}

/// The attributes of the tag starting at `html[at]` (`<name …>`), and the
/// index just past its `>`.
fn attributes(html: &str, at: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut i = at + 1;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
        i += 1;
    }
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (attrs, i);
        }
        if bytes[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < bytes.len() && !b"= \t\n\r>/".contains(&bytes[i]) {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let end = html[i + 1..]
                    .bytes()
                    .position(|b| b == quote)
                    .map_or(bytes.len(), |p| i + 1 + p);
                value = decode(&html[i + 1..end]);
                i = (end + 1).min(bytes.len());
            } else {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = decode(&html[start..i]);
            }
        }
        attrs.push((name, value));
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Decodes the entities autoescape writes (and numeric ones).
pub fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every tag named `name` (`<name` followed by a space, `>` or `/`): its
/// start index, attributes and end index.
fn tags<'a>(
    html: &'a str,
    name: &'a str,
) -> impl Iterator<Item = (usize, Vec<(String, String)>, usize)> + 'a {
    let open = format!("<{name}");
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let at = from + lower[from..].find(&open)?;
            from = at + open.len();
            let next = lower.as_bytes().get(from).copied().unwrap_or(b'>');
            if next.is_ascii_whitespace() || next == b'>' || next == b'/' {
                let (attrs, end) = attributes(html, at);
                from = end;
                return Some((at, attrs, end));
            }
        }
    })
}

/// The `href` of every `<a>`, decoded, in document order.
pub fn links(html: &str) -> Vec<String> {
    tags(html, "a")
        .filter_map(|(_, attrs, _)| attr(&attrs, "href").map(str::to_owned))
        .collect()
}

/// Every form of the page.
pub fn forms(html: &str) -> Vec<Form> {
    let lower = html.to_ascii_lowercase();
    tags(html, "form")
        .map(|(_, attrs, body_start)| {
            let body_end = lower[body_start..]
                .find("</form")
                .map_or(html.len(), |p| body_start + p);
            let body = &html[body_start..body_end];
            Form {
                action: attr(&attrs, "action").unwrap_or("").to_owned(),
                method: attr(&attrs, "method").unwrap_or("get").to_ascii_lowercase(),
                fields: controls(body),
            }
        })
        .collect()
}

/// What a browser sends for a form body left as rendered.
fn controls(body: &str) -> Vec<(String, String)> {
    let lower = body.to_ascii_lowercase();
    // (position, name, value) of every successful control, sorted by position.
    let mut found: Vec<(usize, String, String)> = Vec::new();
    let mut submitted = false;
    for (at, attrs, _) in tags(body, "input") {
        let Some(name) = attr(&attrs, "name").filter(|n| !n.is_empty()) else {
            continue;
        };
        if attr(&attrs, "disabled").is_some() {
            continue;
        }
        let ty = attr(&attrs, "type").unwrap_or("text").to_ascii_lowercase();
        let value = attr(&attrs, "value").unwrap_or("").to_owned();
        match ty.as_str() {
            "checkbox" | "radio" => {
                if attr(&attrs, "checked").is_some() {
                    let value = if value.is_empty() { "on".into() } else { value };
                    found.push((at, name.to_owned(), value));
                }
            }
            "submit" | "image" => {
                if !submitted {
                    submitted = true;
                    found.push((at, name.to_owned(), value));
                }
            }
            "file" | "reset" | "button" => {}
            _ => found.push((at, name.to_owned(), value)),
        }
    }
    for (at, attrs, start) in tags(body, "select") {
        let Some(name) = attr(&attrs, "name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let end = lower[start..]
            .find("</select")
            .map_or(body.len(), |p| start + p);
        let options: Vec<(bool, String)> = tags(&body[start..end], "option")
            .map(|(_, o, o_end)| {
                let text_end = body[start + o_end..end]
                    .find('<')
                    .map_or(end, |p| start + o_end + p);
                let value = attr(&o, "value")
                    .map(str::to_owned)
                    .unwrap_or_else(|| decode(body[start + o_end..text_end].trim()));
                (attr(&o, "selected").is_some(), value)
            })
            .collect();
        let chosen = options
            .iter()
            .find(|(selected, _)| *selected)
            .or(options.first());
        if let Some((_, value)) = chosen {
            found.push((at, name.to_owned(), value.clone()));
        }
    }
    for (at, attrs, start) in tags(body, "textarea") {
        if let Some(name) = attr(&attrs, "name").filter(|n| !n.is_empty()) {
            let end = lower[start..]
                .find("</textarea")
                .map_or(body.len(), |p| start + p);
            found.push((at, name.to_owned(), decode(&body[start..end])));
        }
    }
    for (at, attrs, _) in tags(body, "button") {
        let ty = attr(&attrs, "type")
            .unwrap_or("submit")
            .to_ascii_lowercase();
        if ty == "submit" && !submitted {
            submitted = true;
            if let Some(name) = attr(&attrs, "name").filter(|n| !n.is_empty()) {
                found.push((
                    at,
                    name.to_owned(),
                    attr(&attrs, "value").unwrap_or("").to_owned(),
                ));
            }
        }
    }
    found.sort_by_key(|(at, _, _)| *at);
    found.into_iter().map(|(_, n, v)| (n, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forms_like_a_browser() {
        let html = r#"<p><a href="/s/1/x?a=1&amp;b=2">x</a></p>
<form method="get" action="/me/my-account/" role="search">
  <input type="search" name="q" value="">
  <input type="checkbox" name="c" value="1">
  <select name="status"><option value="">All</option><option value="paid" selected>Paid</option></select>
  <button type="submit" name="go" value="yes">Go</button>
  <button type="submit" name="other" value="no">No</button>
</form>
<FORM action=/x METHOD=POST><input name=a value=b></FORM>"#;
        assert_eq!(links(html), ["/s/1/x?a=1&b=2"]);
        let forms = forms(html);
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].action, "/me/my-account/");
        assert_eq!(forms[0].method, "get");
        assert_eq!(
            forms[0].fields,
            [
                ("q".to_string(), String::new()),
                ("status".into(), "paid".into()),
                ("go".into(), "yes".into())
            ]
        );
        assert_eq!(forms[1].method, "post");
        assert_eq!(forms[1].fields, [("a".to_string(), "b".to_string())]);
    }
}
