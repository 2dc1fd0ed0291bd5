//! What an area answers: [`Response`] and its parts.

use serde::Serialize;

use crate::Error;

/// A page to render: one of the area's templates and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Name of a template returned by [`Area::templates`](crate::Area::templates).
    pub template: String,
    /// Page title (shown in the browser tab).
    pub title: String,
    /// The view's data, a JSON object: templates read it as `data`, and
    /// `Accept: application/json` clients receive it as is.
    pub data: String,
}

impl View {
    /// A view of `template` with `data` serialized to JSON.
    ///
    /// Fails only if `data` cannot be serialized (for instance a map with
    /// non-string keys), or does not serialize to a JSON object.
    pub fn new(template: &str, title: &str, data: &impl Serialize) -> Result<Self, Error> {
        // Straight to text: going through `serde_json::Value` first built a
        // tree of every string and map of the page only to print it (measured
        // in BENCHMARKS.md). An object is exactly what prints as `{…}`.
        let text = serde_json::to_string(data).map_err(|e| {
            Error::Failed(format!("view `{template}`: cannot serialize its data: {e}"))
        })?;
        if !text.starts_with('{') {
            return Err(Error::Failed(format!(
                "view `{template}`: its data must serialize to a JSON object (a struct or a map), not {}",
                json_kind(&text)
            )));
        }
        Ok(Self {
            template: template.to_owned(),
            title: title.to_owned(),
            data: text,
        })
    }

    /// The data parsed back as JSON: handy in tests.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null)
    }
}

/// What kind of JSON value `text` (valid JSON, not an object) is.
fn json_kind(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        _ => "a number",
    }
}

/// A file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// File name proposed to the browser.
    pub filename: String,
    /// Media type, e.g. `text/csv`.
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A message attached to one form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Name of the form field.
    pub field: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl FieldError {
    /// An error on `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A rejected form: the host answers 422 and renders `view` again with
/// `errors` (field → message), `error` (the summary) and `form` (the
/// submitted values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// A summary shown above the form.
    pub message: String,
    /// One message per faulty field.
    pub fields: Vec<FieldError>,
    /// The page to render again, usually the form itself.
    pub view: View,
}

impl Invalid {
    /// The message for `field`, if it has one.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }
}

/// What an area answers to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Render a template (200).
    View(View),
    /// Redirect (303) to a path; relative paths resolve against the base path.
    Redirect(String),
    /// Send a file.
    Download(Download),
    /// 404 with the host's page.
    NotFound,
    /// 403 with a reason.
    Forbidden(String),
    /// 422: the form must be corrected.
    Invalid(Invalid),
    /// 500: the area could not answer. The host shows its error panel with
    /// this message and the request id, and logs it.
    Failed(String),
}

impl Response {
    /// Renders `template` with `data` (any [`Serialize`] struct or map).
    ///
    /// If `data` cannot be serialized to a JSON object, the answer is
    /// [`Response::Failed`] naming the template.
    pub fn view(template: &str, title: &str, data: &impl Serialize) -> Self {
        match View::new(template, title, data) {
            Ok(view) => Self::View(view),
            Err(e) => e.into_response(),
        }
    }

    /// Redirects (303) to `path`, e.g. an absolute `/s/{id}/homepage` or a
    /// path relative to the area's base path.
    pub fn redirect(path: impl Into<String>) -> Self {
        Self::Redirect(path.into())
    }

    /// Sends `bytes` as a file named `filename`.
    pub fn download(
        filename: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
    ) -> Self {
        Self::Download(Download {
            filename: filename.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        })
    }

    /// 404 Not Found.
    pub fn not_found() -> Self {
        Self::NotFound
    }

    /// 403 Forbidden, with a reason shown to the user.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::Forbidden(reason.into())
    }

    /// 500: the area failed; `message` is shown with the request id and logged.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// 422: `view` is rendered again with `message` and the field errors.
    pub fn invalid(message: impl Into<String>, fields: Vec<FieldError>, view: View) -> Self {
        Self::Invalid(Invalid {
            message: message.into(),
            fields,
            view,
        })
    }

    /// The view, if this is [`Response::View`]: handy in tests.
    pub fn as_view(&self) -> Option<&View> {
        match self {
            Self::View(v) => Some(v),
            _ => None,
        }
    }

    /// The rejected form, if this is [`Response::Invalid`]: handy in tests.
    pub fn as_invalid(&self) -> Option<&Invalid> {
        match self {
            Self::Invalid(i) => Some(i),
            _ => None,
        }
    }

    /// The target, if this is [`Response::Redirect`]: handy in tests.
    pub fn redirect_target(&self) -> Option<&str> {
        match self {
            Self::Redirect(path) => Some(path),
            _ => None,
        }
    }
}
