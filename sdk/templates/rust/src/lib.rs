//! __AREA_TITLE__: a Portico area, made by `portico new`.
//!
//! One page lists the structure's items (stored in `kv`), a form adds one
//! (with an error under each wrong field), a button marks one done, and the
//! number of open items is published as a fact that other areas' `when`
//! expressions can read: `fact('__AREA_ID__', 'open')`.

use portico_sdk::{Area, Context, Error, Form, Request, Response, View, facts, i18n, kv};
use serde::{Deserialize, Serialize};

/// The area: no state in memory (each call gets a fresh instance), all of
/// it lives in `kv`, private to this area and the current structure.
pub struct __AREA_TYPE__;

portico_sdk::export_area!(__AREA_TYPE__);

/// Items shown on one page; the page links to the next ones.
const PAGE_SIZE: u32 = 20;
/// Longest item text, in characters.
const MAX_WHAT: usize = 200;

/// One item, stored as JSON under `item/<sequence number>`.
#[derive(Serialize, Deserialize)]
struct Item {
    what: String,
    /// `YYYY-MM-DD`, shown with the host's `date` filter.
    due: Option<String>,
    /// Who added it (first name), for the record.
    by: String,
}

#[derive(Serialize)]
struct Row {
    key: String,
    what: String,
    due: Option<String>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<Row>,
    /// Where the next page starts (`?after=`), if there is one.
    next: Option<String>,
    count: u64,
}

/// The page: items in the order they were added, `PAGE_SIZE` at a time.
fn page(req: &Request) -> Result<View, Error> {
    let listed = kv::list_json::<Item>("item/", req.query_value("after"), PAGE_SIZE)?;
    let items = listed
        .items
        .into_iter()
        .map(|(key, item)| Row {
            key,
            what: item.what,
            due: item.due,
        })
        .collect();
    let count = kv::get_json::<u64>("open")?.unwrap_or(0);
    View::new(
        "page.html",
        &i18n::message("title", &[]),
        &Page {
            items,
            next: listed.next,
            count,
        },
    )
}

/// `YYYY-MM-DD` with a real month and day.
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let number = |p: &str, len: usize| {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse::<u32>().ok())?
    };
    match (number(y, 4), number(m, 2), number(d, 2)) {
        (Some(y), Some(m), Some(d)) => {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            (1..=12).contains(&m) && d >= 1 && d <= days[m as usize - 1]
        }
        _ => false,
    }
}

/// Adds `delta` to the open count and publishes it as the fact `open`.
fn count_open(delta: i64) -> Result<(), Error> {
    let open = kv::update_json("open", |n: Option<u64>| {
        Some(n.unwrap_or(0).saturating_add_signed(delta))
    })?;
    facts::set_json("open", &open.unwrap_or(0))
}

impl Area for __AREA_TYPE__ {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[("page.html", include_str!("../templates/page.html"))]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        match (req.is_post(), req.path.as_str()) {
            (false, "/") => Ok(Response::View(page(req)?)),
            (true, "/items") => {
                let mut form = Form::new(req);
                let what = form.field("what").required().max_chars(MAX_WHAT).value();
                let due = form
                    .field("due")
                    .check_with(|v| {
                        if is_date(v) {
                            Ok(())
                        } else {
                            Err(i18n::message("due-invalid", &[("value", v)]))
                        }
                    })
                    .optional();
                form.finish(|| page(req))?; // 422: the form again, with the errors
                let seq = kv::update_json("seq", |n: Option<u64>| Some(n.unwrap_or(0) + 1))?;
                let item = Item {
                    what,
                    due,
                    by: cx.user.first_name.clone(),
                };
                // Zero-padded, so keys sort in the order items were added.
                kv::set_json(&format!("item/{:012}", seq.unwrap_or(0)), &item)?;
                count_open(1)?;
                Ok(Response::redirect(cx.href("/")))
            }
            (true, "/done") => {
                let key = req.form_value("key").unwrap_or_default();
                if !key.starts_with("item/") || !kv::delete(key)? {
                    return Ok(Response::invalid(
                        i18n::message("not-found", &[]),
                        Vec::new(),
                        page(req)?,
                    ));
                }
                count_open(-1)?;
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

    /// A test host granting what areas.yaml grants this area, no more.
    fn host() -> TestHost {
        TestHost::from_areas_yaml(include_str!("../areas.yaml"), "__AREA_ID__")
    }

    #[test]
    fn an_item_is_added_listed_and_counted() {
        let host = host();
        let added = host.handle::<__AREA_TYPE__>(&Request::post(
            "/items",
            [("what", "Send the March invoice"), ("due", "2027-03-31")],
        ));
        assert_eq!(added.redirect_target(), Some("/s/73282932000074/__AREA_ID__"));
        let page = host.handle::<__AREA_TYPE__>(&Request::get("/"));
        let data = page.as_view().unwrap().json();
        assert_eq!(data["items"][0]["what"], "Send the March invoice");
        assert_eq!(data["items"][0]["due"], "2027-03-31");
        assert_eq!(data["count"], 1);
        assert_eq!(host.fact_value("__AREA_ID__", "open").as_deref(), Some("1"));
    }

    #[test]
    fn each_wrong_field_gets_its_own_error_and_nothing_is_saved() {
        let host = host();
        let refused = host.handle::<__AREA_TYPE__>(&Request::post(
            "/items",
            [("what", ""), ("due", "31/03/2027")],
        ));
        let invalid = refused.as_invalid().expect("a 422 with the form again");
        assert_eq!(invalid.field("what"), Some("This field is required."));
        assert!(
            invalid.field("due").unwrap().contains("31/03/2027"),
            "the error names what was typed: {:?}",
            invalid.field("due")
        );
        assert!(host.kv_keys().iter().all(|k| !k.starts_with("item/")));
    }

    #[test]
    fn done_removes_the_item_and_a_second_click_is_explained() {
        let host = host();
        host.handle::<__AREA_TYPE__>(&Request::post("/items", [("what", "Call the buyer")]));
        let done = host.handle::<__AREA_TYPE__>(&Request::post("/done", [("key", "item/000000000001")]));
        assert!(done.redirect_target().is_some());
        assert_eq!(host.fact_value("__AREA_ID__", "open").as_deref(), Some("0"));
        let again = host.handle::<__AREA_TYPE__>(&Request::post("/done", [("key", "item/000000000001")]));
        assert!(again.as_invalid().is_some(), "{again:?}");
    }

    #[test]
    fn dates_are_checked_for_real() {
        assert!(is_date("2028-02-29"));
        assert!(!is_date("2027-02-29"));
        assert!(!is_date("2027-13-01"));
        assert!(!is_date("27-01-01"));
    }
}
