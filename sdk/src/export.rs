//! The edge between the SDK and the generated WIT bindings: the glue behind
//! [`export_area!`](crate::export_area), and every conversion from and to the
//! generated types. Nothing generated leaves this module (and [`crate::host`]).

use std::marker::PhantomData;

use crate::{Area, Context, Message, Request, Response};

/// The bindings generated from `sdk/wit/area.wit`.
///
/// `pub` only so that the code [`export_area!`](crate::export_area) expands to
/// in the author's crate can name it; not part of the public API.
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, unreachable_pub, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "area",
        path: "wit",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "::portico_sdk::__private::bindings",
        runtime_path: "::portico_sdk::__private::wit_bindgen::rt",
    });
}

use bindings::exports::portico::area::plugin as wit_plugin;
use bindings::portico::area::types as wit;

/// Implements the generated `Guest` trait for any [`Area`].
#[doc(hidden)]
pub struct Adapter<A>(PhantomData<A>);

impl<A: Area> wit_plugin::Guest for Adapter<A> {
    fn templates() -> Vec<(String, String)> {
        A::templates()
            .iter()
            .map(|(name, source)| ((*name).to_owned(), (*source).to_owned()))
            .chain(
                A::messages()
                    .iter()
                    .map(|(lang, source)| (format!("i18n/{lang}.json"), (*source).to_owned())),
            )
            .collect()
    }

    fn handle(context: wit::Context, request: wit::Request) -> wit::Response {
        let cx = Context::from(context);
        let req = Request::from(request);
        crate::dispatch::<A>(&cx, &req).into()
    }

    fn on_message(context: wit::Context, message: wit::Message) -> Result<(), String> {
        let cx = Context::from(context);
        let msg = Message::from(message);
        A::on_message(&cx, &msg).map_err(|e| e.to_string())
    }
}

// ---- generated → SDK ---------------------------------------------------------

impl From<wit::StructureKind> for crate::StructureKind {
    fn from(kind: wit::StructureKind) -> Self {
        match kind {
            wit::StructureKind::Private => Self::Private,
            wit::StructureKind::Public => Self::Public,
        }
    }
}

impl From<crate::StructureKind> for wit::StructureKind {
    fn from(kind: crate::StructureKind) -> Self {
        match kind {
            crate::StructureKind::Private => Self::Private,
            crate::StructureKind::Public => Self::Public,
        }
    }
}

impl From<wit::Role> for crate::Role {
    fn from(role: wit::Role) -> Self {
        match role {
            wit::Role::PrimaryManager => Self::PrimaryManager,
            wit::Role::SecondaryManager => Self::SecondaryManager,
            wit::Role::User => Self::User,
        }
    }
}

impl From<wit::Structure> for crate::Structure {
    fn from(s: wit::Structure) -> Self {
        Self {
            id: s.id,
            identifier_type: s.identifier_type,
            name: s.name,
            kind: s.kind.into(),
        }
    }
}

impl From<wit::Context> for Context {
    fn from(c: wit::Context) -> Self {
        Self {
            request_id: c.request_id,
            area: c.area,
            base_path: c.base_path,
            user: crate::User {
                id: c.user.id,
                first_name: c.user.first_name,
                last_name: c.user.last_name,
                email: c.user.email,
            },
            structure: c.structure.map(Into::into),
            role: c.role.map(Into::into),
            locale: c.locale,
            now_ms: c.now_ms,
            tabs: c
                .tabs
                .into_iter()
                .map(|t| crate::Tab {
                    id: t.id,
                    title: t.title,
                    href: t.href,
                })
                .collect(),
        }
    }
}

impl From<wit::Request> for Request {
    fn from(r: wit::Request) -> Self {
        Self {
            method: match r.method {
                wit::Method::Get => crate::Method::Get,
                wit::Method::Post => crate::Method::Post,
            },
            path: r.path,
            query: r.query,
            form: r.form,
            files: r
                .files
                .into_iter()
                .map(|u| crate::Upload {
                    field: u.field,
                    filename: u.filename,
                    content_type: u.content_type,
                    bytes: u.bytes,
                })
                .collect(),
        }
    }
}

impl From<wit::Message> for Message {
    fn from(m: wit::Message) -> Self {
        Self {
            id: m.id,
            from_structure: m.from_structure,
            from_area: m.from_area,
            kind: m.kind,
            payload: m.payload,
        }
    }
}

impl From<wit::HostError> for crate::HostError {
    fn from(e: wit::HostError) -> Self {
        match e {
            wit::HostError::CapabilityDenied(m) => Self::CapabilityDenied(m),
            wit::HostError::Invalid(fields) => Self::Invalid(
                fields
                    .into_iter()
                    .map(|f| crate::FieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            ),
            wit::HostError::LimitExceeded(m) => Self::LimitExceeded(m),
            wit::HostError::Conflict(m) => Self::Conflict(m),
            wit::HostError::NotFound(m) => Self::NotFound(m),
            wit::HostError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

// ---- SDK → generated ---------------------------------------------------------

impl From<crate::View> for wit::View {
    fn from(v: crate::View) -> Self {
        Self {
            template: v.template,
            title: v.title,
            data: v.data,
        }
    }
}

impl From<Response> for wit::Response {
    fn from(r: Response) -> Self {
        match r {
            Response::View(v) => Self::View(v.into()),
            Response::Redirect(path) => Self::Redirect(path),
            Response::Download(d) => Self::Download(wit::Download {
                filename: d.filename,
                content_type: d.content_type,
                bytes: d.bytes,
            }),
            Response::NotFound => Self::NotFound,
            Response::Forbidden(reason) => Self::Forbidden(reason),
            Response::Invalid(i) => Self::Invalid(wit::Invalid {
                message: i.message,
                fields: i
                    .fields
                    .into_iter()
                    .map(|f| wit::FieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
                view: i.view.into(),
            }),
            Response::Failed(message) => Self::Failed(message),
        }
    }
}

/// Exports an [`Area`](crate::Area) implementation as this crate's WebAssembly
/// component: call it once, at the root of the area's crate.
///
/// ```ignore
/// struct Hello;
/// impl portico_sdk::Area for Hello { /* … */ }
/// portico_sdk::export_area!(Hello);
/// ```
///
/// On native targets (unit tests) it only checks that the type implements
/// [`Area`](crate::Area): native linkers refuse the component model's export
/// names, and tests call the area through
/// [`testing::TestHost`](crate::testing) anyway.
#[macro_export]
macro_rules! export_area {
    ($area:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type PorticoAreaExport = $crate::__private::Adapter<$area>;
            $crate::__private::bindings::export!(
                PorticoAreaExport with_types_in $crate::__private::bindings
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_area::<$area>;
    };
}

/// Compiles only for types implementing [`Area`]: the native expansion of
/// [`export_area!`](crate::export_area).
#[doc(hidden)]
pub fn assert_area<A: Area>() {}
