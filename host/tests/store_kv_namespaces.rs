//! Property test: kv namespaces never see each other's data, whatever the
//! area, owner and key strings. Random operations over many namespaces with
//! hostile names are checked against an in-memory model.

use std::collections::BTreeMap;

use portico::store::{INLINE_LIMIT, MAX_KEY_BYTES, Namespace, Owner, Store};
use proptest::prelude::*;

const AREAS: &[&str] = &[
    "",
    "a",
    "ab",
    "a\0",
    "a/b",
    "..",
    "\0\0\0\0\0\0\0\u{1}a",
    "S",
];
const OWNERS: &[&str] = &["", "b", "b\0", "/", "..", "S", "\0\0\0\0\0\0\0\0", "U"];

/// The namespaces under test: every area with a handful of owners of both
/// kinds, plus one with 64 KiB names.
fn namespaces() -> Vec<Namespace> {
    let mut out = Vec::new();
    for (i, area) in AREAS.iter().enumerate() {
        for (j, owner) in OWNERS.iter().enumerate() {
            // A diagonal slice keeps the pool small but mixes every string.
            if (i + j) % 3 == 0 {
                out.push(Namespace::structure(area, owner));
            }
            if (i + j) % 3 == 1 {
                out.push(Namespace::user(area, owner));
            }
        }
    }
    let huge = "x".repeat(64 * 1024);
    out.push(Namespace::structure(&huge, &huge));
    out.push(Namespace::user(&huge, "b"));
    out
}

/// What the key encoding of a namespace looks like (8-byte lengths, tag),
/// to use as a key: the most hostile key there is.
fn encoding_of(area: &str, tag: char, owner: &str) -> String {
    let mut s = String::new();
    for b in (area.len() as u64).to_be_bytes() {
        s.push(char::from(b));
    }
    s.push_str(area);
    s.push(tag);
    for b in (owner.len() as u64).to_be_bytes() {
        s.push(char::from(b));
    }
    s.push_str(owner);
    s
}

fn key_strategy() -> impl Strategy<Value = String> {
    let mut fixed: Vec<String> = ["", "..", "/", "\0", "a", "a\0", "b", "ab", "../b"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    fixed.push("k".repeat(MAX_KEY_BYTES));
    fixed.push("k".repeat(MAX_KEY_BYTES - 1));
    for area in AREAS {
        for owner in OWNERS {
            fixed.push(encoding_of(area, 'S', owner));
            fixed.push(encoding_of(area, 'U', owner));
        }
    }
    prop_oneof![
        3 => proptest::sample::select(fixed),
        1 => "[ab/.\\x00SU]{0,6}",
    ]
}

fn value_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => proptest::collection::vec(any::<u8>(), 0..12),
        1 => any::<u8>().prop_map(|b| vec![b; INLINE_LIMIT + 1]),
    ]
}

#[derive(Debug, Clone)]
enum Expected {
    Absent,
    Current,
    Other(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Op {
    Set(usize, String, Vec<u8>),
    Get(usize, String),
    Delete(usize, String),
    List(usize, String, Option<String>, usize),
    Cas(usize, String, Expected, Option<Vec<u8>>),
}

fn op_strategy(n: usize) -> impl Strategy<Value = Op> {
    let ns = 0..n;
    prop_oneof![
        4 => (ns.clone(), key_strategy(), value_strategy()).prop_map(|(n, k, v)| Op::Set(n, k, v)),
        2 => (ns.clone(), key_strategy()).prop_map(|(n, k)| Op::Get(n, k)),
        1 => (ns.clone(), key_strategy()).prop_map(|(n, k)| Op::Delete(n, k)),
        2 => (ns.clone(), prop_oneof![Just(String::new()), key_strategy()], proptest::option::of(key_strategy()), 0..8usize)
            .prop_map(|(n, p, a, l)| Op::List(n, p, a, l)),
        2 => (
            ns,
            key_strategy(),
            prop_oneof![Just(Expected::Absent), Just(Expected::Current), value_strategy().prop_map(Expected::Other)],
            proptest::option::of(value_strategy()),
        )
            .prop_map(|(n, k, e, v)| Op::Cas(n, k, e, v)),
    ]
}

type Model = Vec<BTreeMap<String, Vec<u8>>>;

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let spaces = namespaces();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut model: Model = vec![BTreeMap::new(); spaces.len()];
    for op in ops {
        match op {
            Op::Set(n, k, v) => {
                store.kv_set(&spaces[n], &k, &v).unwrap();
                model[n].insert(k, v);
            }
            Op::Get(n, k) => {
                prop_assert_eq!(
                    store.kv_get(&spaces[n], &k).unwrap(),
                    model[n].get(&k).cloned(),
                    "get {:?} in {:?}",
                    k,
                    n
                );
            }
            Op::Delete(n, k) => {
                prop_assert_eq!(
                    store.kv_delete(&spaces[n], &k).unwrap(),
                    model[n].remove(&k).is_some()
                );
            }
            Op::List(n, prefix, after, limit) => {
                let got = store
                    .kv_list(&spaces[n], &prefix, after.as_deref(), limit)
                    .unwrap();
                let want: Vec<(String, Vec<u8>)> = model[n]
                    .iter()
                    .filter(|(k, _)| {
                        k.starts_with(&prefix) && after.as_ref().is_none_or(|a| *k > a)
                    })
                    .take(limit)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                prop_assert_eq!(got, want, "list {:?} after {:?} in {:?}", prefix, after, n);
            }
            Op::Cas(n, k, expected, new) => {
                let current = model[n].get(&k).cloned();
                let expected = match expected {
                    Expected::Absent => None,
                    Expected::Current => current.clone(),
                    Expected::Other(v) => Some(v),
                };
                let ok = store
                    .kv_cas(&spaces[n], &k, expected.as_deref(), new.as_deref())
                    .unwrap();
                prop_assert_eq!(ok, current == expected, "cas {:?} in {:?}", k, n);
                if ok {
                    match new {
                        Some(v) => model[n].insert(k, v),
                        None => model[n].remove(&k),
                    };
                }
            }
        }
    }
    for (n, ns) in spaces.iter().enumerate() {
        let listed: BTreeMap<String, Vec<u8>> = store
            .kv_list(ns, "", None, 1000)
            .unwrap()
            .into_iter()
            .collect();
        prop_assert_eq!(
            &listed,
            &model[n],
            "final contents of {:?}",
            owner_label(ns)
        );
        let usage: u64 = model[n]
            .iter()
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum();
        prop_assert_eq!(store.kv_usage(ns).unwrap(), usage);
    }
    Ok(())
}

fn owner_label(ns: &Namespace) -> String {
    let area: String = ns.area.chars().take(16).collect();
    match &ns.owner {
        Owner::Structure(s) => format!("{area:?}/S:{:?}", s.chars().take(16).collect::<String>()),
        Owner::User(u) => format!("{area:?}/U:{:?}", u.chars().take(16).collect::<String>()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn store_kv_namespaces_never_cross(ops in proptest::collection::vec(op_strategy(namespaces().len()), 1..48)) {
        run(ops)?;
    }
}
