//! Key-value storage private to this area and the current structure (or the
//! current user, for `scope: user` areas). Capability: `kv`.
//!
//! The host chooses the namespace: an area cannot read or write another
//! area's keys. Keys are at most 256 bytes of UTF-8 and values at most 1 MiB.
//! Keys sort bytewise, so prefixes such as `invoice/` make [`list`] walk one
//! kind of record in order.
//!
//! The `_json` helpers store values as JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, HostError, host};

/// Most entries [`list`] returns in one call; a larger `limit` is refused
/// with [`HostError::LimitExceeded`] (the contract's limit).
pub const MAX_LIST_LIMIT: u32 = portico_contract::limits::kv::MAX_LIST;
/// Longest key, in bytes (the contract's limit).
pub const MAX_KEY_BYTES: usize = portico_contract::limits::kv::MAX_KEY_BYTES;
/// Largest value, in bytes (the contract's limit).
pub const MAX_VALUE_BYTES: usize = portico_contract::limits::kv::MAX_VALUE_BYTES;

/// How many times [`update_json`] retries when another request changed the
/// value between its read and its write.
pub const UPDATE_ATTEMPTS: usize = 16;

/// The raw value under `key`, if any.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
    host::kv_get(key)
}

/// Stores `value` under `key`, replacing any previous value. Durable on return.
pub fn set(key: &str, value: &[u8]) -> Result<(), HostError> {
    host::kv_set(key, value)
}

/// Removes `key`; `true` if it existed. Durable on return.
pub fn delete(key: &str) -> Result<bool, HostError> {
    host::kv_delete(key)
}

/// Up to `limit` (at most [`MAX_LIST_LIMIT`], else the host refuses) raw
/// entries whose key starts with `prefix`, in key order, strictly after
/// `after` when given.
pub fn list(
    prefix: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<(String, Vec<u8>)>, HostError> {
    host::kv_list(prefix, after, limit)
}

/// Sets `key` to `new` (deletes it when `None`) only if its current value is
/// `expected` (`None`: absent). `true` if the swap happened.
pub fn compare_and_swap(
    key: &str,
    expected: Option<&[u8]>,
    new: Option<&[u8]>,
) -> Result<bool, HostError> {
    host::kv_compare_and_swap(key, expected, new)
}

/// The JSON value under `key`, if any.
///
/// A stored value that does not decode as `T` is an [`Error::Failed`] naming
/// the key.
pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, Error> {
    match get(key)? {
        Some(bytes) => decode(key, &bytes).map(Some),
        None => Ok(None),
    }
}

/// Stores `value` as JSON under `key`. Durable on return.
pub fn set_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), Error> {
    set(key, &encode(key, value)?)?;
    Ok(())
}

/// Reads the JSON value under `key`, passes it to `change`, and stores what
/// `change` returns (or deletes the key on `None`), atomically: if another
/// request changes the value in between, it starts again (at most
/// [`UPDATE_ATTEMPTS`] times, then [`HostError::Conflict`]). Returns the
/// stored value.
///
/// ```
/// # let _host = portico_sdk::testing::TestHost::new().grant(&["kv"]);
/// use portico_sdk::kv;
/// let visits = kv::update_json("visits", |n: Option<u64>| Some(n.unwrap_or(0) + 1))?;
/// assert_eq!(visits, Some(1));
/// # Ok::<(), portico_sdk::Error>(())
/// ```
pub fn update_json<T, F>(key: &str, mut change: F) -> Result<Option<T>, Error>
where
    T: Serialize + DeserializeOwned,
    F: FnMut(Option<T>) -> Option<T>,
{
    for _ in 0..UPDATE_ATTEMPTS {
        let raw = get(key)?;
        let current = raw.as_deref().map(|bytes| decode(key, bytes)).transpose()?;
        let next = change(current);
        let encoded = next.as_ref().map(|v| encode(key, v)).transpose()?;
        if compare_and_swap(key, raw.as_deref(), encoded.as_deref())? {
            return Ok(next);
        }
    }
    Err(HostError::Conflict(format!(
        "kv key `{key}` kept changing: gave up after {UPDATE_ATTEMPTS} attempts"
    ))
    .into())
}

/// One page of [`list_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The entries, in key order.
    pub items: Vec<(String, T)>,
    /// The key to pass as `after` for the next page; `None` on the last
    /// page (exactly: a full page with nothing after it says `None`). A key
    /// may hold any character: URL-encode it in a link
    /// (`{{ data.next|urlencode }}`).
    pub next: Option<String>,
}

/// Up to `limit` JSON entries whose key starts with `prefix`, in key order,
/// strictly after `after` when given. A `limit` over [`MAX_LIST_LIMIT`] is
/// read as [`MAX_LIST_LIMIT`]: the page then says where to continue
/// ([`Page::next`]), so nothing is silently lost.
///
/// `next` is exact: `Some` only when at least one more entry follows (the
/// host is asked for one entry beyond the page), so a last page that is
/// exactly full says so.
///
/// ```
/// # let _host = portico_sdk::testing::TestHost::new().grant(&["kv"]);
/// use portico_sdk::kv;
/// for n in 1..=4 { kv::set_json(&format!("n/{n}"), &n)?; }
/// let first = kv::list_json::<u32>("n/", None, 2)?;
/// assert_eq!(first.next.as_deref(), Some("n/2"));
/// let last = kv::list_json::<u32>("n/", first.next.as_deref(), 2)?;
/// assert_eq!((last.items.len(), last.next), (2, None)); // exactly full, and the end
/// # Ok::<(), portico_sdk::Error>(())
/// ```
pub fn list_json<T: DeserializeOwned>(
    prefix: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Page<T>, Error> {
    let limit = limit.min(MAX_LIST_LIMIT);
    if limit == 0 {
        return Ok(Page {
            items: Vec::new(),
            next: None,
        });
    }
    // One more than the page, to know whether another follows; at the
    // host's maximum, a second call of one entry.
    let ask = if limit < MAX_LIST_LIMIT {
        limit + 1
    } else {
        limit
    };
    let mut raw = list(prefix, after, ask)?;
    let more = if raw.len() > limit as usize {
        raw.truncate(limit as usize);
        true
    } else if raw.len() == limit as usize && ask == limit {
        let last = raw.last().map(|(k, _)| k.clone());
        !list(prefix, last.as_deref(), 1)?.is_empty()
    } else {
        false
    };
    let next = if more {
        raw.last().map(|(k, _)| k.clone())
    } else {
        None
    };
    let items = raw
        .into_iter()
        .map(|(k, bytes)| decode(&k, &bytes).map(|v| (k, v)))
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next })
}

/// Every JSON entry whose key starts with `prefix`, in key order, read
/// [`MAX_LIST_LIMIT`] at a time: for an area's own lists, which it knows to
/// stay small (a structure's statements, its requests of a campaign…).
/// Page with [`list_json`] what may grow without bound.
pub fn list_all_json<T: DeserializeOwned>(prefix: &str) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = list_json::<T>(prefix, after.as_deref(), MAX_LIST_LIMIT)?;
        out.extend(page.items.into_iter().map(|(_, v)| v));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::Failed(format!(
            "kv key `{key}`: stored value does not decode as {}: {e}",
            std::any::type_name::<T>()
        ))
    })
}

fn encode<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| {
        Error::Failed(format!(
            "kv key `{key}`: cannot encode the value as JSON: {e}"
        ))
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::testing::TestHost;
    use crate::{Area, Context, Request, Response};

    struct Count;
    impl Area for Count {
        fn templates() -> &'static [(&'static str, &'static str)] {
            &[]
        }
        fn handle(_: &Context, _: &Request) -> Result<Response, Error> {
            let all: Vec<u32> = list_all_json("n/")?;
            let ordered = all.windows(2).all(|w| w[0] < w[1]);
            Ok(Response::redirect(format!("/{}/{ordered}", all.len())))
        }
    }

    #[test]
    fn list_all_json_reads_past_one_page_in_key_order() {
        let total = MAX_LIST_LIMIT + 3;
        let mut host = TestHost::new().grant(&["kv"]).kv_entry("other/1", b"1");
        for n in 0..total {
            host = host.kv_entry(&format!("n/{n:06}"), n.to_string().as_bytes());
        }
        let answer = host.handle::<Count>(&Request::get("/"));
        assert_eq!(
            answer.redirect_target(),
            Some(format!("/{total}/true").as_str())
        );
    }
}
