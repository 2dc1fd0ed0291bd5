//! Totals over many records, kept up to date in constant time per change.
//! Capability: `kv`.
//!
//! An area that shows counts over all its records (invoices by status, days
//! to payment per month) should not read every record on every call: with
//! 10,000 invoices that is 10,000 values parsed per call, and a flow of
//! 10,000 invoices costs 10⁸. A tally keeps, under the kv prefix `name/`,
//! each record's *contribution* (a few named counts) and their sum; a change
//! to one record subtracts its old contribution and adds the new one.
//!
//! A tally that does not exist yet (an area upgraded with records already
//! stored) is rebuilt once from the records, by the `rebuild` function the
//! caller passes; after that the records are never read again for it.
//!
//! ```
//! use portico_sdk::tally::{self, Counts};
//! # let _host = portico_sdk::testing::TestHost::new().grant(&["kv"]);
//! let none = || Ok(Vec::new());
//! let rejected: Counts = [("status/REJETEE".to_string(), 1)].into();
//! tally::record("overview", "inv-1", Some(&rejected), none)?;
//! tally::record("overview", "inv-2", Some(&rejected), none)?;
//! let paid: Counts = [("status/PAID".to_string(), 1)].into();
//! let totals = tally::record("overview", "inv-1", Some(&paid), none)?;
//! assert_eq!(totals["status/REJETEE"], 1);
//! assert_eq!(totals["status/PAID"], 1);
//! # Ok::<(), portico_sdk::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::{Error, kv};

/// Named counts: one record's contribution, or a tally's totals. Counts at
/// zero are left out of the totals.
pub type Counts = BTreeMap<String, u64>;

fn total_key(name: &str) -> String {
    format!("{name}/total")
}

fn item_key(name: &str, id: &str) -> String {
    format!("{name}/item/{id}")
}

/// The totals of tally `name`, rebuilding it first from `rebuild` (every
/// record's id and contribution) if it does not exist yet.
pub fn totals(
    name: &str,
    rebuild: impl FnOnce() -> Result<Vec<(String, Counts)>, Error>,
) -> Result<Counts, Error> {
    if let Some(t) = kv::get_json::<Counts>(&total_key(name))? {
        return Ok(t);
    }
    let mut total = Counts::new();
    for (id, c) in rebuild()? {
        add(&mut total, &c);
        kv::set_json(&item_key(name, &id), &c)?;
    }
    kv::set_json(&total_key(name), &total)?;
    Ok(total)
}

/// Records that record `id` now contributes `now` to tally `name` (`None`:
/// the record is gone) and returns the new totals. `rebuild` is called only
/// if the tally does not exist yet (see [`totals`]).
pub fn record(
    name: &str,
    id: &str,
    now: Option<&Counts>,
    rebuild: impl FnOnce() -> Result<Vec<(String, Counts)>, Error>,
) -> Result<Counts, Error> {
    let mut total = totals(name, rebuild)?;
    let key = item_key(name, id);
    let before = kv::get_json::<Counts>(&key)?;
    if before.as_ref() == now {
        return Ok(total);
    }
    if let Some(b) = &before {
        for (k, v) in b {
            if let Some(t) = total.get_mut(k) {
                *t = t.saturating_sub(*v);
                if *t == 0 {
                    total.remove(k);
                }
            }
        }
    }
    match now {
        Some(c) => {
            add(&mut total, c);
            kv::set_json(&key, c)?;
        }
        None => {
            kv::delete(&key)?;
        }
    }
    kv::set_json(&total_key(name), &total)?;
    Ok(total)
}

fn add(total: &mut Counts, c: &Counts) {
    for (k, v) in c {
        if *v > 0 {
            *total.entry(k.clone()).or_default() += v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;

    fn counts(pairs: &[(&str, u64)]) -> Counts {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn changes_move_counts_and_a_missing_tally_is_rebuilt_once() {
        let _host = TestHost::new().grant(&["kv"]);
        // Records stored before the tally existed: rebuilt from them.
        let mut rebuilt = 0;
        let t = totals("t", || {
            rebuilt += 1;
            Ok(vec![
                ("a".into(), counts(&[("s/X", 1), ("days", 3)])),
                ("b".into(), counts(&[("s/X", 1), ("days", 4)])),
            ])
        })
        .unwrap();
        assert_eq!(t, counts(&[("s/X", 2), ("days", 7)]));
        let t = record("t", "a", Some(&counts(&[("s/Y", 1)])), || {
            panic!("not rebuilt twice")
        })
        .unwrap();
        assert_eq!(t, counts(&[("s/X", 1), ("s/Y", 1), ("days", 4)]));
        // Unchanged: nothing moves. Gone: its contribution leaves.
        let same = record("t", "a", Some(&counts(&[("s/Y", 1)])), || Ok(vec![])).unwrap();
        assert_eq!(same, t);
        let t = record("t", "b", None, || Ok(vec![])).unwrap();
        assert_eq!(t, counts(&[("s/Y", 1)]));
        assert_eq!(rebuilt, 1);
    }
}
