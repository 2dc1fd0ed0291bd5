//! Errors: [`HostError`] from host calls, [`Error`] from an area's handlers.

use std::fmt;

use crate::{FieldError, Invalid, Response};

/// Why a host call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The area was not granted this capability in `areas.yaml`; the payload names it.
    CapabilityDenied(String),
    /// The call's arguments were refused; one message per faulty field.
    Invalid(Vec<FieldError>),
    /// A size or count limit was exceeded; the payload says which.
    LimitExceeded(String),
    /// The object exists already, or was changed concurrently.
    Conflict(String),
    /// The object does not exist, or is not visible to this caller.
    NotFound(String),
    /// A failure of the host; retrying later may succeed.
    Unavailable(String),
}

impl HostError {
    /// The kebab-case name of the variant, as in the WIT contract:
    /// `capability-denied`, `invalid`, `limit-exceeded`, `conflict`,
    /// `not-found` or `unavailable`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CapabilityDenied(_) => "capability-denied",
            Self::Invalid(_) => "invalid",
            Self::LimitExceeded(_) => "limit-exceeded",
            Self::Conflict(_) => "conflict",
            Self::NotFound(_) => "not-found",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CapabilityDenied(cap) => write!(f, "capability denied: {cap}"),
            Self::Invalid(fields) => {
                write!(f, "invalid arguments")?;
                for (i, field) in fields.iter().enumerate() {
                    let sep = if i == 0 { ": " } else { "; " };
                    write!(f, "{sep}{}: {}", field.field, field.message)?;
                }
                Ok(())
            }
            Self::LimitExceeded(what) => write!(f, "limit exceeded: {what}"),
            Self::Conflict(what) => write!(f, "conflict: {what}"),
            Self::NotFound(what) => write!(f, "not found: {what}"),
            Self::Unavailable(what) => write!(f, "host unavailable: {what}"),
        }
    }
}

impl std::error::Error for HostError {}

/// Why a handler did not produce its normal answer. Every variant becomes a
/// [`Response`] (see [`Error::into_response`]), so handlers can use `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A form to correct (422), usually built by [`Form::finish`](crate::Form::finish).
    Invalid(Invalid),
    /// 404 Not Found.
    NotFound,
    /// 403 Forbidden, with a reason.
    Forbidden(String),
    /// A host call failed: answered as [`Response::Failed`] with its message.
    Host(HostError),
    /// Any other failure: answered as [`Response::Failed`] with this message.
    Failed(String),
}

impl Error {
    /// A failure with a message (500).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// The response this error stands for.
    pub fn into_response(self) -> Response {
        match self {
            Self::Invalid(invalid) => Response::Invalid(invalid),
            Self::NotFound => Response::NotFound,
            Self::Forbidden(reason) => Response::Forbidden(reason),
            Self::Host(e) => Response::Failed(e.to_string()),
            Self::Failed(message) => Response::Failed(message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(i) => write!(f, "invalid form: {}", i.message),
            Self::NotFound => write!(f, "not found"),
            Self::Forbidden(reason) => write!(f, "forbidden: {reason}"),
            Self::Host(e) => e.fmt(f),
            Self::Failed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Host(e) => Some(e),
            _ => None,
        }
    }
}

impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        Self::Host(e)
    }
}

impl From<Error> for Response {
    fn from(e: Error) -> Self {
        e.into_response()
    }
}
