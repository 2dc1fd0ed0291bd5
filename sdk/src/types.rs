//! The SDK's domain types: what an area receives from the host.

use serde::{Deserialize, Serialize};

/// The contract's closed sets of words, shared with the host (one
/// definition in `portico-contract`, so the two cannot drift).
pub use portico_contract::{IdentifierType, RequestStatus, Role, StructureKind, SubscriptionMode};

/// The signed-in person making the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable opaque id of the account.
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Login email.
    pub email: String,
}

/// A structure (legal entity) as areas see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Structure {
    /// The identifier used in URLs: a SIRET for French entities.
    pub id: String,
    /// The identifier type's wire name, e.g. `siret` (see [`IdentifierType`];
    /// kept as text so that a newer host's types still reach the area).
    pub identifier_type: String,
    /// The registered name.
    pub name: String,
    /// Private supplier or public body.
    pub kind: StructureKind,
}

/// A tab the current user can open in the current structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tab {
    /// The area id.
    pub id: String,
    /// The tab label.
    pub title: String,
    /// Absolute path of the tab.
    pub href: String,
}

/// Everything the host tells an area about the current request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Unique id of this request, shown on error pages and in the host log.
    pub request_id: String,
    /// This area's id, as declared in `areas.yaml`.
    pub area: String,
    /// Absolute path under which the area is mounted, without a trailing
    /// slash, e.g. `/s/73282932000074/homepage` or `/me/my-account`.
    pub base_path: String,
    /// The signed-in user.
    pub user: User,
    /// The current structure; `None` for `scope: user` areas.
    pub structure: Option<Structure>,
    /// The user's role in the current structure; `None` without a structure.
    pub role: Option<Role>,
    /// BCP 47 language tag the page should use, e.g. `fr-FR`.
    pub locale: String,
    /// Current time, milliseconds since the Unix epoch (UTC).
    pub now_ms: u64,
    /// The tabs this user sees in this structure, in order.
    pub tabs: Vec<Tab>,
}

impl Context {
    /// An absolute path inside this area: `cx.href("/profile")` is
    /// `/me/my-account/profile` when mounted at `/me/my-account`.
    pub fn href(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            self.base_path.clone()
        } else {
            format!("{}/{}", self.base_path, path)
        }
    }

    /// True when the user is a primary or secondary manager of the current structure.
    pub fn is_manager(&self) -> bool {
        self.role.is_some_and(Role::is_manager)
    }
}

/// HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// A read.
    Get,
    /// A form submission, already checked for CSRF by the host.
    Post,
}

/// A file uploaded with a multipart form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Name of the form field.
    pub field: String,
    /// File name given by the browser (not trusted).
    pub filename: String,
    /// Media type given by the browser (not trusted).
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// An HTTP request addressed to this area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// Path below the area's base path, always starting with `/`.
    pub path: String,
    /// Query string pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Form fields, decoded, in order (without the host's CSRF field).
    pub form: Vec<(String, String)>,
    /// Uploaded files.
    pub files: Vec<Upload>,
}

impl Request {
    /// A GET of `path` (query string after `?` decoded into [`Request::query`]).
    ///
    /// Mostly for tests; the host builds the real requests.
    pub fn get(path: &str) -> Self {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, parse_query(q)),
            None => (path, Vec::new()),
        };
        Self {
            method: Method::Get,
            path: normalize_path(path),
            query,
            form: Vec::new(),
            files: Vec::new(),
        }
    }

    /// A POST of `form` fields to `path`. Mostly for tests.
    pub fn post<K, V>(path: &str, form: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut req = Self::get(path);
        req.method = Method::Post;
        req.form = form
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        req
    }

    /// Adds an uploaded file to the request. Mostly for tests.
    pub fn with_file(
        mut self,
        field: &str,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Self {
        self.files.push(Upload {
            field: field.to_owned(),
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
        });
        self
    }

    /// True for a GET.
    pub fn is_get(&self) -> bool {
        self.method == Method::Get
    }

    /// True for a POST.
    pub fn is_post(&self) -> bool {
        self.method == Method::Post
    }

    /// The first query parameter named `name`.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// The first form field named `name`.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        first(&self.form, name)
    }

    /// Every value of form field `name` (checkboxes, multiple selects).
    pub fn form_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.form
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first uploaded file of field `name`.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files.iter().find(|f| f.field == name)
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn normalize_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// Decodes `a=1&b=x+y%21` (application/x-www-form-urlencoded); invalid
/// percent escapes are kept verbatim.
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A message delivered to this area by another structure's area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Unique id: delivery is at least once, so ignore an id already seen.
    pub id: String,
    /// Identifier of the sending structure.
    pub from_structure: String,
    /// Id of the sending area.
    pub from_area: String,
    /// Application-defined kind, e.g. `invoice-sent`.
    pub kind: String,
    /// Application-defined payload, usually JSON.
    pub payload: String,
}

impl Message {
    /// Whether this message is one of this area's own timers (see
    /// [`timers`](crate::timers)): sent by this area, in this structure.
    pub fn is_timer(&self, cx: &Context) -> bool {
        self.from_area == cx.area
            && cx
                .structure
                .as_ref()
                .is_some_and(|s| s.id == self.from_structure)
    }
}

/// A sub-unit of a structure that invoices are addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Code written on invoices; unique in the structure, never changed.
    pub code: String,
    /// Label.
    pub name: String,
    /// Inactive services are kept but not offered.
    pub active: bool,
}

#[cfg(all(test, not(target_arch = "wasm32")))] // the test host is native-only
mod tests {
    use super::*;

    #[test]
    fn get_decodes_the_query_string() {
        let req = Request::get("/kv/set?key=a%2Fb&value=x+y&flag");
        assert_eq!(req.path, "/kv/set");
        assert_eq!(req.query_value("key"), Some("a/b"));
        assert_eq!(req.query_value("value"), Some("x y"));
        assert_eq!(req.query_value("flag"), Some(""));
        assert_eq!(req.query_value("none"), None);
    }

    #[test]
    fn bad_percent_escapes_are_kept() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn href_joins_base_path() {
        let cx = crate::testing::TestHost::new().context();
        assert_eq!(cx.href("/profile"), format!("{}/profile", cx.base_path));
        assert_eq!(cx.href(""), cx.base_path);
    }
}
