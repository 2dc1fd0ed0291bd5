//! Hello: the SDK's minimal example area (its code is quoted in sdk/README.md).
//! It counts visits in `kv` and lets the user set the name it greets.

use portico_sdk::{Area, Context, Error, Form, Request, Response, View, i18n, kv};
use serde::Serialize;

/// The area: no state in memory, everything lives in `kv`.
pub struct Hello;

portico_sdk::export_area!(Hello);

#[derive(Serialize)]
struct Page {
    name: String,
    visits: u64,
}

/// The page, after counting this visit.
fn page(cx: &Context) -> Result<View, Error> {
    let visits = kv::update_json("visits", |n: Option<u64>| Some(n.unwrap_or(0) + 1))?;
    let name = kv::get_json::<String>("name")?.unwrap_or_else(|| cx.user.first_name.clone());
    View::new(
        "hello.html",
        &i18n::message("title", &[]),
        &Page {
            name,
            visits: visits.unwrap_or(0),
        },
    )
}

impl Area for Hello {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[("hello.html", include_str!("../templates/hello.html"))]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        match (req.is_post(), req.path.as_str()) {
            (false, "/") => Ok(Response::View(page(cx)?)),
            (true, "/name") => {
                let mut form = Form::new(req);
                let name = form.field("name").required().max_chars(40).value();
                if kv::get_json::<String>("name")?.as_deref() == Some(name.as_str()) {
                    // A translatable error: the key and its argument.
                    form.error("name", i18n::message("name-taken", &[("name", &name)]));
                }
                form.finish(|| page(cx))?; // 422: the form again, with the errors
                kv::set_json("name", &name)?;
                Ok(Response::redirect(cx.href("/")))
            }
            _ => Ok(Response::not_found()),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))] // the test host is native-only
mod tests {
    use super::*;
    use portico_sdk::testing::TestHost;

    #[test]
    fn counts_visits() {
        let host = TestHost::new().area("hello").grant(&["kv"]);
        host.handle::<Hello>(&Request::get("/"));
        let page = host.handle::<Hello>(&Request::get("/"));
        let data = page.as_view().unwrap().json();
        assert_eq!(
            (data["name"].as_str(), data["visits"].as_u64()),
            (Some("Ada"), Some(2))
        );
    }

    #[test]
    fn rejects_an_empty_name_and_saves_a_good_one() {
        let host = TestHost::new().area("hello").grant(&["kv"]);
        let bad = host.handle::<Hello>(&Request::post("/name", [("name", "  ")]));
        assert_eq!(
            bad.as_invalid().unwrap().field("name"),
            Some("This field is required.")
        );
        let good = host.handle::<Hello>(&Request::post("/name", [("name", "World")]));
        assert_eq!(good.redirect_target(), Some("/s/73282932000074/hello"));
        assert_eq!(host.kv_json("name"), Some(serde_json::json!("World")));
    }
}
