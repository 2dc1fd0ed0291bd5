//! Form validation that collects one error per field, then becomes a 422
//! [`Response::Invalid`](crate::Response::Invalid) re-rendering the form.

use crate::i18n::message;
use crate::{Error, FieldError, HostError, Invalid, Request, View};

/// Reads and validates the fields of a submitted form.
///
/// Each check records at most one error per field (the first one), so the
/// user sees every faulty field at once. [`Form::finish`] then turns the
/// errors into [`Error::Invalid`], which the host renders as the form again
/// (422) with `errors`, `error` and the submitted values in `form`.
///
/// ```
/// use portico_sdk::{Form, Request, View};
///
/// let req = Request::post("/profile", [("first-name", " "), ("contact-email", "ada@example")]);
/// let mut form = Form::new(&req);
/// let first = form.field("first-name").required().max_chars(100).value();
/// let email = form.field("contact-email").required().email().value();
/// assert_eq!((first.as_str(), email.as_str()), ("", "ada@example"));
///
/// let err = form.finish(|| View::new("form.html", "Profile", &serde_json::json!({}))).unwrap_err();
/// let portico_sdk::Error::Invalid(invalid) = err else { panic!() };
/// assert_eq!(invalid.fields.len(), 2);
/// // Messages are translatable references; the host shows them in the
/// // reader's language (`i18n::english` shows the English).
/// let email_error = portico_sdk::i18n::english(invalid.field("contact-email").unwrap(), None);
/// assert!(email_error.contains("name@example.com"));
/// ```
#[derive(Debug)]
pub struct Form<'r> {
    request: &'r Request,
    errors: Vec<FieldError>,
    summary: Option<String>,
}

impl<'r> Form<'r> {
    /// Starts validating the form fields of `request`.
    pub fn new(request: &'r Request) -> Self {
        Self {
            request,
            errors: Vec::new(),
            summary: None,
        }
    }

    /// The submitted value of `name`, trimmed, ready for checks; an absent
    /// field reads as empty.
    pub fn field(&mut self, name: &str) -> Field<'_, 'r> {
        let value = self
            .request
            .form_value(name)
            .unwrap_or("")
            .trim()
            .to_owned();
        let failed = self.has_error(name);
        Field {
            form: self,
            name: name.to_owned(),
            value,
            failed,
        }
    }

    /// The submitted value of `name`, untrimmed and unchecked.
    pub fn raw(&self, name: &str) -> Option<&'r str> {
        self.request.form_value(name)
    }

    /// Records an error on `field`, unless it has one already.
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        if !self.has_error(field) {
            self.errors.push(FieldError::new(field, message));
        }
    }

    /// Records an error about the whole form, shown above it.
    pub fn fail(&mut self, message: impl Into<String>) {
        self.summary = Some(message.into());
    }

    /// True if `field` has an error.
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// True while no error has been recorded.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.summary.is_none()
    }

    /// The errors recorded so far.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// `Ok(())` if no error was recorded, else [`Error::Invalid`] with the
    /// view that `view` builds (called only then: usually the form's page).
    pub fn finish(&self, view: impl FnOnce() -> Result<View, Error>) -> Result<(), Error> {
        if self.is_valid() {
            return Ok(());
        }
        Err(Error::Invalid(Invalid {
            message: self.summary_message(),
            fields: self.errors.clone(),
            view: view()?,
        }))
    }

    /// Hands the result of a host call made with the form's values back to
    /// the form: [`HostError::Invalid`] field errors become this form's field
    /// errors and [`HostError::Conflict`] its summary (both a 422 with `view`);
    /// any other host error becomes [`Error::Host`] (a 500 "failed" answer).
    pub fn submit<T>(
        &mut self,
        result: Result<T, HostError>,
        view: impl FnOnce() -> Result<View, Error>,
    ) -> Result<T, Error> {
        match result {
            Ok(value) => Ok(value),
            Err(HostError::Invalid(fields)) => {
                for f in fields {
                    self.error(&f.field, f.message);
                }
                if self.is_valid() {
                    // The host said "invalid" without naming a field.
                    self.fail(message("form.refused", &[]));
                }
                self.finish(view)?;
                Err(Error::failed("unreachable: the form has errors"))
            }
            Err(HostError::Conflict(message)) => {
                self.fail(message);
                self.finish(view)?;
                Err(Error::failed("unreachable: the form has errors"))
            }
            Err(other) => Err(Error::Host(other)),
        }
    }

    fn summary_message(&self) -> String {
        if let Some(summary) = &self.summary {
            return summary.clone();
        }
        match self.errors.len() {
            1 => message("form.fix-one", &[]),
            n => message("form.fix-many", &[("count", &n.to_string())]),
        }
    }
}

/// One field being checked; see [`Form::field`].
///
/// Checks run in order and stop at the first failure. Every check but
/// [`Field::required`] accepts an empty value: chain `required()` first for
/// mandatory fields.
#[must_use = "call .value() to read the field"]
#[derive(Debug)]
pub struct Field<'f, 'r> {
    form: &'f mut Form<'r>,
    name: String,
    value: String,
    failed: bool,
}

impl Field<'_, '_> {
    /// Fails with `message` unless `ok(value)`; skipped on an empty value.
    pub fn check(self, ok: impl FnOnce(&str) -> bool, message: impl Into<String>) -> Self {
        self.check_with(|v| if ok(v) { Ok(()) } else { Err(message.into()) })
    }

    /// Fails with the returned message if `check(value)` is an `Err`;
    /// skipped on an empty value.
    pub fn check_with(mut self, check: impl FnOnce(&str) -> Result<(), String>) -> Self {
        if !self.failed
            && !self.value.is_empty()
            && let Err(message) = check(&self.value)
        {
            self.fail(message);
        }
        self
    }

    /// The field must not be empty (after trimming).
    pub fn required(mut self) -> Self {
        if !self.failed && self.value.is_empty() {
            self.fail(message("form.required", &[]));
        }
        self
    }

    /// At least `min` characters.
    pub fn min_chars(self, min: usize) -> Self {
        self.check_with(|v| {
            let n = v.chars().count();
            if n >= min {
                Ok(())
            } else {
                Err(message(
                    "form.min-chars",
                    &[("min", &min.to_string()), ("count", &n.to_string())],
                ))
            }
        })
    }

    /// At most `max` characters.
    pub fn max_chars(self, max: usize) -> Self {
        self.check_with(|v| {
            let n = v.chars().count();
            if n <= max {
                Ok(())
            } else {
                Err(message(
                    "form.max-chars",
                    &[("max", &max.to_string()), ("count", &n.to_string())],
                ))
            }
        })
    }

    /// An email address such as `name@example.com`.
    pub fn email(self) -> Self {
        self.check(is_email, message("form.email", &[]))
    }

    /// One of `choices` (the `value`s of a select or radio group).
    pub fn one_of(self, choices: &[&str]) -> Self {
        self.check_with(|v| {
            if choices.contains(&v) {
                Ok(())
            } else {
                Err(message("form.one-of", &[("choices", &choices.join(", "))]))
            }
        })
    }

    /// The value, trimmed (empty if absent or invalid-and-empty).
    pub fn value(self) -> String {
        self.value
    }

    /// The value if the field is not empty, else `None`.
    pub fn optional(self) -> Option<String> {
        (!self.value.is_empty()).then_some(self.value)
    }

    fn fail(&mut self, message: String) {
        self.failed = true;
        self.form.error(&self.name, message);
    }
}

/// A pragmatic email check: one `@`, a non-empty local part, a dotted
/// domain, no spaces, at most 254 characters. The host checks further.
pub fn is_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page() -> Result<View, Error> {
        View::new("form.html", "Form", &json!({}))
    }

    #[test]
    fn collects_one_error_per_field() {
        let req = Request::post("/", [("a", ""), ("b", "xxxxxx"), ("c", "maybe")]);
        let mut form = Form::new(&req);
        form.field("a").required().max_chars(3).value();
        form.field("b")
            .required()
            .max_chars(3)
            .min_chars(10)
            .value();
        form.field("c").one_of(&["yes", "no"]).value();
        form.field("d").max_chars(3).value(); // absent and optional: fine
        let Err(Error::Invalid(invalid)) = form.finish(page) else {
            panic!("expected invalid")
        };
        assert_eq!(invalid.fields.len(), 3);
        let en = |f: &str| crate::i18n::english(invalid.field(f).unwrap(), None);
        assert_eq!(en("a"), "This field is required.");
        assert!(en("b").contains("at most 3"), "{}", en("b"));
        assert_eq!(en("c"), "Choose one of: yes, no.");
        assert_eq!(
            crate::i18n::english(&invalid.message, None),
            "Please correct the 3 fields marked below."
        );
    }

    #[test]
    fn valid_form_finishes_without_building_the_view() {
        let req = Request::post("/", [("email", " ada@example.com ")]);
        let mut form = Form::new(&req);
        assert_eq!(
            form.field("email").required().email().value(),
            "ada@example.com"
        );
        assert!(
            form.finish(|| panic!("view built for a valid form"))
                .is_ok()
        );
    }

    #[test]
    fn email_check() {
        for ok in ["a@b.fr", "first.last+tag@sub.example.com"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "a@b", "@b.fr", "a@.fr", "a@b.", "a b@c.fr", "a@b@c.fr", "a@b..fr",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn host_field_errors_become_form_errors() {
        let req = Request::post("/", [("name", "Acme")]);
        let mut form = Form::new(&req);
        let result: Result<(), HostError> =
            Err(HostError::Invalid(vec![FieldError::new("name", "taken")]));
        let Err(Error::Invalid(invalid)) = form.submit(result, page) else {
            panic!("expected invalid")
        };
        assert_eq!(invalid.field("name"), Some("taken"));

        let mut form = Form::new(&req);
        let conflict: Result<(), HostError> = Err(HostError::Conflict("exists".into()));
        let Err(Error::Invalid(invalid)) = form.submit(conflict, page) else {
            panic!("expected invalid")
        };
        assert_eq!(invalid.message, "exists");

        let mut form = Form::new(&req);
        let down: Result<(), HostError> = Err(HostError::Unavailable("db".into()));
        assert_eq!(
            form.submit(down, page),
            Err(Error::Host(HostError::Unavailable("db".into())))
        );
    }
}
