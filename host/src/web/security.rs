//! The edge every request passes: request id, security headers, error pages,
//! and one log line per request.

use super::AppState;
use super::error::ErrorPage;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::time::Instant;

/// Strict CSP: no inline script or style, nothing from elsewhere, no framing,
/// forms post only to us.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The request's id, in request and response extensions.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

/// The area a response came from, for the access log.
#[derive(Clone, Debug)]
pub(crate) struct AreaTag(pub(crate) String);

/// Whether the client asked for JSON (`Accept: application/json`).
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A request id: 16 hex digits, unique within this process and unlike
/// another process's. Not a secret (it is printed on error pages), so no
/// system call per request: a random key drawn once, plus a counter, mixed
/// by splitmix64's finalizer (a bijection, so no two requests share an id).
fn new_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEY: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let key = *KEY.get_or_init(|| {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).unwrap_or_default();
        u64::from_le_bytes(b)
    });
    let mut z = key.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{:016x}", z ^ (z >> 31))
}

/// The middleware wrapping every route.
pub(crate) async fn edge(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = new_request_id();
    let method = req.method().clone();
    // A shared handle on the request's bytes, not a copy of its path.
    let uri = req.uri().clone();
    let path = uri.path();
    let json = wants_json(req.headers());
    let lang = crate::i18n::negotiate(
        super::session::cookie(req.headers(), crate::i18n::LANG_COOKIE).as_deref(),
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(lang);
    // Kept to draw the header and tabs of an error page (HTML only): the
    // session cookie is all that needs, so only the `Cookie` values are
    // kept (shared bytes, no copy), not every header of every request.
    let cookies: Vec<HeaderValue> = if json {
        Vec::new()
    } else {
        req.headers()
            .get_all(header::COOKIE)
            .iter()
            .cloned()
            .collect()
    };

    let mut response = crate::i18n::REQUEST_LANG.scope(lang, next.run(req)).await;

    if let Some(page) = response.extensions().get::<ErrorPage>().cloned() {
        let status = response.status();
        let mut rendered = if json {
            axum::Json(serde_json::json!({ "error": page.message, "request_id": id }))
                .into_response()
        } else {
            let heading = crate::i18n::host_text(lang, status_heading_key(status.as_u16()), &[]);
            let html = crate::i18n::REQUEST_LANG.sync_scope(lang, || {
                let mut request_headers = HeaderMap::new();
                for value in cookies {
                    request_headers.append(header::COOKIE, value);
                }
                let chrome = super::areas::error_chrome(&state, &request_headers, path);
                render_error_page(&state, &heading, &page.message, &id, chrome)
            });
            axum::response::Html(html).into_response()
        };
        *rendered.status_mut() = status;
        for (name, value) in response.headers() {
            if name == header::RETRY_AFTER
                || name == header::SET_COOKIE
                || name == header::WWW_AUTHENTICATE
            {
                rendered.headers_mut().append(name, value.clone());
            }
        }
        response = rendered;
    }

    let headers = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    if !headers.contains_key(header::CONTENT_LANGUAGE) {
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.as_str()),
        );
    }
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(
        headers,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if state.secure_cookies() {
        // Served over https (behind the proxy): browsers must never try
        // plain http again for a year (ASVS 3.4.1).
        set(
            headers,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert("x-request-id", v);
    }

    let area = response
        .extensions()
        .get::<AreaTag>()
        .map_or("-", |a| a.0.as_str());
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        area = %area,
        status = response.status().as_u16(),
        ms = %format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    response
}

/// The catalogue key of an error page's heading for an HTTP status.
pub(crate) fn status_heading_key(status: u16) -> &'static str {
    match status {
        400 => "error.bad-request-title",
        403 => "error.forbidden-title",
        404 => "error.not-found-title",
        405 => "error.method-title",
        413 => "error.payload-too-large-title",
        429 => "error.too-many-title",
        503 => "error.busy-title",
        500 => "error.internal-title",
        _ => "error.title",
    }
}

/// A whole page for an error that happened outside any area.
pub(crate) fn render_error_page(
    state: &AppState,
    heading: &str,
    message: &str,
    request_id: &str,
    chrome: Option<minijinja::Value>,
) -> String {
    let pages = &state.inner.pages;
    let content = pages
        .get_template("error.html")
        .and_then(|t| {
            t.render(minijinja::context! { heading, message, request_id, other_tabs => false })
        })
        .unwrap_or_else(|_| message.to_string());
    pages
        .get_template("layout.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                title => heading,
                content => minijinja::Value::from_safe_string(content.clone()),
                request_id,
                ..chrome.unwrap_or_else(|| minijinja::context! {})
            })
        })
        .unwrap_or(content)
}

/// `GET /static/portico.css`.
pub(crate) async fn stylesheet() -> Response {
    let mut r = Body::from(include_str!("../../static/portico.css")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

impl AppState {
    /// The client's address: the TCP peer, or — when the peer is a trusted
    /// proxy (`serve --trusted-proxy`) — the nearest address in its
    /// `Forwarded` / `X-Forwarded-For` chain that is not itself a trusted
    /// proxy. Headers from any other peer are ignored, so a client cannot
    /// pick the address it is throttled under.
    pub(crate) fn client_address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> IpAddr {
        let peer = peer.unwrap_or(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST));
        let trusted = |ip: &IpAddr| {
            let ip = canonical(*ip);
            self.inner
                .edge
                .trusted_proxies
                .iter()
                .any(|n| n.contains(&ip))
        };
        if !trusted(&peer) {
            return canonical(peer);
        }
        let chain = forwarded_chain(headers);
        chain
            .iter()
            .rev()
            .find(|ip| !trusted(ip))
            .or(chain.first())
            .map_or(canonical(peer), |ip| canonical(*ip))
    }
}

/// IPv4-mapped IPv6 addresses as IPv4, so `10.0.0.0/8` matches them.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The hops a proxy chain recorded, oldest first: RFC 7239 `Forwarded`
/// (`for=` parameters) when present, else `X-Forwarded-For`. A hop that is
/// not an address (`unknown`, an obfuscated name) ends the chain there.
pub(crate) fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .collect()
    };
    let forwarded = values("forwarded");
    let hops: Vec<String> = if forwarded.is_empty() {
        values("x-forwarded-for")
    } else {
        forwarded
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| v.trim().trim_matches('"').to_string())
                })
            })
            .collect()
    };
    let mut out = Vec::new();
    for hop in hops {
        match parse_hop(&hop) {
            Some(ip) => out.push(ip),
            None => {
                // Keep only what follows: those hops were added by proxies
                // nearer to us, which a client cannot forge past.
                out.clear();
            }
        }
    }
    out
}

/// `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`, `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn request_ids_are_16_hex_digits_and_never_repeat() {
        let ids: std::collections::BTreeSet<String> =
            (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| {
            id.len() == 16
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }));
    }

    #[test]
    fn forwarded_chains_are_read_oldest_first() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.7, 10.0.0.2"),
            ("x-forwarded-for", "10.0.0.3"),
        ]);
        assert_eq!(
            forwarded_chain(&h),
            ["203.0.113.7", "10.0.0.2", "10.0.0.3"].map(|s| s.parse::<IpAddr>().unwrap())
        );
        let h = headers(&[(
            "forwarded",
            r#"for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711""#,
        )]);
        assert_eq!(
            forwarded_chain(&h),
            ["192.0.2.60", "2001:db8:cafe::17"].map(|s| s.parse::<IpAddr>().unwrap())
        );
        // A hop that is not an address cuts off what came before it.
        let h = headers(&[("x-forwarded-for", "198.51.100.1, unknown, 203.0.113.9")]);
        assert_eq!(
            forwarded_chain(&h),
            ["203.0.113.9".parse::<IpAddr>().unwrap()]
        );
    }
}
