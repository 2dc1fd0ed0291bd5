//! What an area's rendered HTML may contain, checked on every render before
//! it enters the host layout.
//!
//! Autoescape stops an area's *data* from becoming markup, but the template
//! text is the area author's own, so it could carry `<meta http-equiv=refresh
//! content="0;url=https://elsewhere/">` (which the CSP does not stop), a
//! link to a look-alike site, or an unterminated tag that swallows the rest
//! of the page ("dangling markup"). The rules:
//!
//! - no element that loads, runs or redirects on its own, or changes how the
//!   rest of the page is parsed: [`FORBIDDEN_TAGS`];
//! - no event-handler (`on…`) attribute, no `srcdoc`, no `http-equiv`;
//! - every URL attribute ([`URL_ATTRIBUTES`]) stays on the portal (a path, a
//!   relative reference, a `#fragment`, `mailto:`), unless its origin is
//!   granted by the area's `external-links` in areas.yaml;
//! - the HTML is complete: no tag, comment or `<textarea>`/`<title>` left
//!   open at the end.
//!
//! The tokenizer follows the HTML standard's rules for the places where an
//! attacker could make it disagree with a browser (comments, quoted and
//! unquoted attribute values, `/` between attributes, character
//! references); where the two could still differ it errs towards refusing.

/// Elements an area may not emit.
pub(crate) const FORBIDDEN_TAGS: &[&str] = &[
    "script",
    "style",
    "meta",
    "base",
    "link",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "portal",
    "fencedframe",
    "noscript",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
    "svg",
    "math",
    "template",
];

/// Attributes holding a URL the browser may load or navigate to.
pub(crate) const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "srcset",
    "imagesrcset",
    "poster",
    "data",
    "ping",
    "background",
    "cite",
    "longdesc",
    "manifest",
    "codebase",
    "xlink:href",
    "lowsrc",
    "dynsrc",
];

/// Checks `html`; the error says what was found and what is allowed.
/// `external` lists the origins (`https://host[:port]`) the area may link to.
pub(crate) fn check(html: &str, external: &[String]) -> Result<(), String> {
    let b = html.as_bytes();
    let mut i = 0;
    // An RCDATA element whose end tag must come before anything else counts.
    let mut open_text: Option<&'static str> = None;
    while let Some(off) = memchr(b'<', &b[i..]) {
        i += off;
        let rest = &b[i + 1..];
        if let Some(name) = open_text {
            // Inside <textarea>/<title>, only the matching end tag counts.
            if rest.first() == Some(&b'/') && starts_with_ci(&rest[1..], name.as_bytes()) {
                let after = rest.get(1 + name.len()).copied();
                if after.is_none_or(|c| is_space(c) || c == b'/' || c == b'>') {
                    open_text = None;
                }
            }
            i += 1;
            continue;
        }
        if rest.starts_with(b"!--") {
            i = comment_end(b, i + 4).ok_or("a comment is left open (`<!--` without `-->`)")?;
            continue;
        }
        if matches!(rest.first(), Some(b'!' | b'?')) {
            // Doctype or bogus comment: ends at the first `>`.
            let end = memchr(b'>', rest).ok_or("a `<!` or `<?` is left open")?;
            i += 1 + end + 1;
            continue;
        }
        let end_tag = rest.first() == Some(&b'/');
        let name_at = i + 1 + usize::from(end_tag);
        if !b.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            i += 1; // a literal `<`
            continue;
        }
        let tag = Tag::read(b, name_at)?;
        i = tag.end;
        if end_tag {
            continue;
        }
        let name = tag.name.to_ascii_lowercase();
        if FORBIDDEN_TAGS.contains(&name.as_str()) {
            return Err(format!(
                "it contains a <{name}> element, which areas may not use"
            ));
        }
        for (attr, value) in &tag.attributes {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") || attr == "srcdoc" || attr == "http-equiv" {
                return Err(format!(
                    "<{name}> has a `{attr}` attribute, which areas may not use"
                ));
            }
            if URL_ATTRIBUTES.contains(&attr.as_str()) {
                let url = decode(value).ok_or_else(|| {
                    format!("<{name} {attr}> holds an unknown character reference")
                })?;
                let urls: Vec<&str> = if attr.ends_with("srcset") {
                    url.split(',')
                        .filter_map(|c| c.split_whitespace().next())
                        .collect()
                } else {
                    vec![url.as_str()]
                };
                for url in urls {
                    if !stays_here(url, external) {
                        return Err(format!(
                            "<{name} {attr}=\"{}\"> leaves the portal; an area links only to the portal's own pages unless areas.yaml grants the origin in `external-links`",
                            shown(url)
                        ));
                    }
                }
            }
        }
        if !tag.self_closing && (name == "textarea" || name == "title") {
            open_text = Some(if name == "textarea" {
                "textarea"
            } else {
                "title"
            });
        }
    }
    match open_text {
        Some(name) => Err(format!("a <{name}> is left open")),
        None => Ok(()),
    }
}

/// Whether `url` (character references decoded) stays on the portal.
fn stays_here(url: &str, external: &[String]) -> bool {
    // Browsers drop ASCII tab and newlines anywhere in a URL, and leading
    // and trailing C0 controls and spaces.
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let url = url.trim_matches(|c: char| c <= ' ');
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("mailto:") {
        return true;
    }
    let scheme_end = url.find(':').filter(|&at| {
        let scheme = &url[..at];
        scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && !url[..at].contains(['/', '?', '#'])
    });
    let network_path = url.starts_with("//")
        || url.starts_with("\\\\")
        || url.starts_with("/\\")
        || url.starts_with("\\/");
    if scheme_end.is_none() && !network_path {
        return true; // a path, a relative reference, a query or a fragment
    }
    external.iter().any(|origin| {
        let origin = origin.to_ascii_lowercase();
        lower == origin
            || lower
                .strip_prefix(&origin)
                .is_some_and(|rest| rest.starts_with(['/', '?', '#']))
    })
}

/// A URL for a message: short, one line.
fn shown(url: &str) -> String {
    let one_line: String = url.chars().filter(|c| !c.is_control()).take(80).collect();
    one_line
}

/// One start or end tag, read per the HTML tokenizer.
struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
    self_closing: bool,
    /// Index just past the closing `>`.
    end: usize,
}

impl Tag {
    fn read(b: &[u8], name_at: usize) -> Result<Tag, String> {
        let open = || "a tag is left open (no closing `>`)".to_string();
        let mut i = name_at;
        while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = String::from_utf8_lossy(&b[name_at..i]).into_owned();
        let mut attributes = Vec::new();
        let mut self_closing = false;
        loop {
            while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
                self_closing = b[i] == b'/';
                i += 1;
            }
            match b.get(i) {
                None => return Err(open()),
                Some(b'>') => {
                    return Ok(Tag {
                        name,
                        attributes,
                        self_closing,
                        end: i + 1,
                    });
                }
                Some(_) => self_closing = false,
            }
            // Attribute name: up to space, `/`, `>` or `=` (a leading `=` is
            // part of the name, as in the standard).
            let start = i;
            i += 1;
            while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let attr = String::from_utf8_lossy(&b[start..i]).into_owned();
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            let mut value = String::new();
            if b.get(i) == Some(&b'=') {
                i += 1;
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                match b.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = memchr(q, &b[i + 1..]).ok_or_else(open)?;
                        value = String::from_utf8_lossy(&b[i + 1..i + 1 + end]).into_owned();
                        i += end + 2;
                    }
                    Some(_) => {
                        let start = i;
                        while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                            i += 1;
                        }
                        value = String::from_utf8_lossy(&b[start..i]).into_owned();
                    }
                    None => return Err(open()),
                }
            }
            attributes.push((attr, value));
        }
    }
}

/// Where a comment opened at `i - 4` ends (index past it), per the standard:
/// `<!-->` and `<!--->` are whole comments; otherwise at `-->` or `--!>`.
fn comment_end(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i..];
    if rest.starts_with(b">") {
        return Some(i + 1);
    }
    if rest.starts_with(b"->") {
        return Some(i + 2);
    }
    (0..rest.len()).find_map(|k| {
        if rest[k..].starts_with(b"-->") {
            Some(i + k + 3)
        } else if rest[k..].starts_with(b"--!>") {
            Some(i + k + 4)
        } else {
            None
        }
    })
}

/// Decodes character references; `None` for a named one it does not know
/// (so an unknown reference cannot hide a `:` or a `/`).
fn decode(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(num) = rest.strip_prefix('#') {
            let (digits, radix) = match num.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (num, 10),
            };
            let len = digits
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits.len());
            let code = u32::from_str_radix(&digits[..len], radix).ok()?;
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            let consumed = num.len() - digits.len() + len;
            rest = &num[consumed..];
            rest = rest.strip_prefix(';').unwrap_or(rest);
            continue;
        }
        let len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        if len == 0 {
            out.push('&');
            continue;
        }
        let name = &rest[..len];
        let ch = match name {
            "amp" | "AMP" => '&',
            "lt" | "LT" => '<',
            "gt" | "GT" => '>',
            "quot" | "QUOT" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            _ => return None,
        };
        out.push(ch);
        rest = &rest[len..];
        rest = rest.strip_prefix(';').unwrap_or(rest);
    }
    out.push_str(rest);
    Some(out)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(html: &str) {
        assert_eq!(check(html, &[]), Ok(()), "{html}");
    }

    fn refused(html: &str, why: &str) {
        let err = check(html, &[]).expect_err(html);
        assert!(err.contains(why), "{html}: {err}");
    }

    #[test]
    fn ordinary_area_pages_pass() {
        ok(r##"<section class="panel"><h1>Invoices</h1>
            <a href="/s/73282932000074/issued-invoices/new">New</a>
            <a href="edit?x=1&amp;y=2">Edit</a> <a href="#top">Top</a>
            <form method="post" action="/s/1/a/deposit" enctype="multipart/form-data">
            <input type="hidden" name="_csrf" value="ab"><textarea name=t>a < b </p></textarea>
            <img src="/static/logo.png" alt=""><a href="mailto:support@example.fr">Mail</a>
            <!-- a comment with <meta> inside --> 3 < 4 <br/>
            <input required disabled value='x>y'></form></section>"##);
    }

    #[test]
    fn elements_that_act_on_their_own_are_refused() {
        refused(
            r#"<meta http-equiv=refresh content="0;url=https://elsewhere.example/?t">"#,
            "<meta>",
        );
        refused("<SCRIPT>alert(1)</SCRIPT>", "<script>");
        refused("<base href=//evil.example/>", "<base>");
        refused("<svg><a xlink:href=x></a></svg>", "<svg>");
        refused("<iframe/src=/x>", "<iframe>");
        refused("<img src=x onerror=alert(1)>", "`onerror`");
        refused("<img src=x /onerror=alert(1)>", "`onerror`");
        ok("<img src=x/onerror=alert(1)>"); // one unquoted src value, no handler
    }

    #[test]
    fn links_leave_only_to_the_portal() {
        for url in [
            "https://elsewhere.example/",
            "//elsewhere.example",
            "\\\\elsewhere.example",
            "/\\elsewhere.example",
            "javascript:alert(1)",
            "java\tscript:alert(1)",
            " https://e.example",
            "&#x2f;&#x2f;elsewhere.example",
            "&#47;/elsewhere.example",
            "https&#x3a;//e.example",
            "https&colon;//e.example",
            "data:text/html,x",
        ] {
            for html in [
                format!(r#"<a href="{url}">x</a>"#),
                format!("<form action='{url}'></form>"),
                format!(r#"<button formaction="{url}">x</button>"#),
                format!(r#"<img srcset="/a.png 1x, {url} 2x">"#),
            ] {
                if html.contains("srcset") && url.contains('\t') {
                    continue; // in srcset, whitespace ends the URL: `java` is relative
                }
                refused(&html, "");
            }
        }
        let granted = ["https://www.chorus-pro.gouv.fr".to_string()];
        assert!(check(r#"<a href="https://www.chorus-pro.gouv.fr/faq">"#, &granted).is_ok());
        assert!(
            check(
                r#"<a href="https://www.chorus-pro.gouv.fr.evil.example/">"#,
                &granted
            )
            .is_err()
        );
    }

    #[test]
    fn dangling_markup_is_refused() {
        refused(r#"<a href="/s/1/a/steal?page="#, "left open");
        refused("<img src='/x?", "left open");
        refused("<textarea name=x>", "<textarea> is left open");
        refused("<!-- open", "comment is left open");
        refused("<div", "left open");
        ok("<!--> <p>after an empty comment</p>");
        ok("<!-- x --!> <p>bang-closed</p>");
    }
}
