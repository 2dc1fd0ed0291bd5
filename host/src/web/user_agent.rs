//! "Firefox 133 on Linux": a `User-Agent` header in words a person
//! recognises in the list of their sessions. Best effort: the header is the
//! client's own claim, shown to help, never trusted for anything.

/// Longest `User-Agent` kept with a session.
pub(crate) const MAX_USER_AGENT: usize = 256;

/// The header as stored: at most [`MAX_USER_AGENT`] bytes, printable only.
pub(crate) fn keep(header: Option<&str>) -> String {
    let mut out: String = header
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if out.len() > MAX_USER_AGENT {
        let mut cut = MAX_USER_AGENT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// The browser and system named by a `User-Agent`, e.g. "Chrome 131 on
/// Windows", in the language of the request being served.
pub(crate) fn describe(ua: &str) -> String {
    describe_in(crate::i18n::current(), ua)
}

/// [`describe`] in `lang`: "Chrome 131 sur Windows".
pub(crate) fn describe_in(lang: crate::i18n::Lang, ua: &str) -> String {
    let text = |key: &str, args: &[(&str, &str)]| {
        crate::i18n::host_text(lang, &format!("security.ua.{key}"), args)
    };
    if ua.trim().is_empty() {
        return text("unknown", &[]);
    }
    let version = |marker: &str| -> Option<String> {
        let at = ua.find(marker)? + marker.len();
        let major: String = ua[at..].chars().take_while(char::is_ascii_digit).collect();
        (!major.is_empty()).then_some(major)
    };
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "HeadlessChrome"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("FxiOS/", "Firefox"),
        ("curl/", "curl"),
    ]
    .iter()
    .find_map(|(marker, name)| {
        version(marker).map(|v| match *name {
            "HeadlessChrome" => text("headless-chrome", &[("version", &v)]),
            _ => format!("{name} {v}"),
        })
    })
    .or_else(|| {
        ua.contains("Safari/")
            .then(|| version("Version/").map_or("Safari".into(), |v| format!("Safari {v}")))
    })
    .unwrap_or_else(|| {
        let first: String = ua
            .split(['/', ' '])
            .next()
            .unwrap_or("")
            .chars()
            .take(40)
            .collect();
        if first.is_empty() {
            text("unknown", &[])
        } else {
            first
        }
    });
    let system = [
        ("Windows", "Windows"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| *name);
    match system {
        Some(system) => text("on", &[("browser", &browser), ("system", system)]),
        None => browser,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_are_named() {
        for (ua, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133 on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131 on Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge 131 on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari 18 on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari 18 on iOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
                "Chrome (headless) 156 on Linux",
            ),
            ("curl/8.5.0", "curl 8"),
            ("", "Unknown browser"),
            ("reqwest", "reqwest"),
        ] {
            assert_eq!(describe_in(crate::i18n::Lang::En, ua), expected, "{ua}");
        }
        for (ua, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133 sous Linux",
            ),
            ("", "Navigateur inconnu"),
        ] {
            assert_eq!(describe_in(crate::i18n::Lang::Fr, ua), expected, "{ua}");
        }
    }

    #[test]
    fn stored_headers_are_bounded_and_printable() {
        assert_eq!(keep(Some("a\u{0}b\nc")), "abc");
        assert_eq!(keep(None), "");
        let long = "é".repeat(300);
        let kept = keep(Some(&long));
        assert!(kept.len() <= MAX_USER_AGENT && kept.chars().all(|c| c == 'é'));
    }
}
