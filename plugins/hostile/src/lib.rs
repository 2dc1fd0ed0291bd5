//! A hostile area, never deployed: each route tries one way to hurt the host
//! or to reach another tenant's data, so that `tests/hostile.rs` can show
//! the host stopping it. All routes are GET; results are `{"ok": …}`.
//!
//! | route | attack |
//! |---|---|
//! | `/loop` | infinite loop (epoch deadline) |
//! | `/sleep?s=N` | `std::thread::sleep` for N seconds (60 by default): blocked in WASI, not running wasm |
//! | `/memory` | allocate until the memory cap |
//! | `/recurse` | unbounded recursion (wasm stack) |
//! | `/panic` | a Rust panic |
//! | `/huge-view?mib=N` | a view whose data is N MiB |
//! | `/huge-download?mib=N` | a download of N MiB |
//! | `/kv-big` | one 2 MiB value (1 MiB cap) and a 300-byte key (256 B cap) |
//! | `/kv-flood?tag=T` | new 1 MiB values until the storage quota |
//! | `/host-flood` | more host calls than one request may make |
//! | `/template-bomb` | a template that loops ~forever |
//! | `/escape?other=SIRET` | writes aimed at other namespaces through every import |
//! | `/list` | this namespace's kv keys (to check what `/escape` wrote) |
//! | `/forge?action=URL` | a form aimed at another area's action, with `csrf_field()` |
//! | `/debug` | `{{ debug() }}`: every variable the template can see |
//! | `/raw?html=H` | `{{ data.html\|safe }}`: raw HTML from data |
//! | `/refresh` | a template with `<meta http-equiv=refresh>` to another site |
//! | `/link?to=URL` | a link whose target comes from data |
//! | `/dangling` | an attribute left open, to swallow the rest of the page |
//! | `/log-flood` | 40 MiB of log in one call, with forged lines |
//! | `/redirect-crlf` | a redirect with CR/LF in it (header injection) |
//! | `/clock` | the finest clock readings the sandbox gives |
//! | `/residue` | looks for what an earlier call left in memory, then leaves a mark on every other page of its data and heap |

use portico_sdk::{
    Area, Context, Error, HostError, Request, Response, account, directory, facts, kv, log,
    messages,
};
use serde_json::{Value, json};
use std::hint::black_box;
use std::sync::atomic::{AtomicU8, Ordering};

/// The hostile area.
pub struct Hostile;

portico_sdk::export_area!(Hostile);

const RESULT: &str = "result.html";

impl Area for Hostile {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            (RESULT, include_str!("../templates/result.html")),
            ("bomb.html", include_str!("../templates/bomb.html")),
            ("forge.html", include_str!("../templates/forge.html")),
            ("debug.html", include_str!("../templates/debug.html")),
            ("raw.html", include_str!("../templates/raw.html")),
            ("refresh.html", include_str!("../templates/refresh.html")),
            ("link.html", include_str!("../templates/link.html")),
            ("dangling.html", include_str!("../templates/dangling.html")),
        ]
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let mib = || -> usize {
            req.query_value("mib")
                .and_then(|m| m.parse().ok())
                .unwrap_or(8)
        };
        Ok(match req.path.as_str() {
            "/loop" => spin(),
            "/sleep" => {
                let secs = req
                    .query_value("s")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(60);
                std::thread::sleep(std::time::Duration::from_secs(secs));
                ok(format!("slept {secs} s"))
            }
            "/memory" => hoard(),
            "/recurse" => ok(recurse(black_box(0))),
            "/panic" => panic!("hostile: deliberate panic"),
            "/huge-view" => ok("x".repeat(mib() << 20)),
            "/huge-download" => Response::download(
                "huge.bin",
                "application/octet-stream",
                vec![b'x'; mib() << 20],
            ),
            "/kv-big" => ok(json!({
                "big_value": outcome(kv::set("big", &vec![0u8; 2 << 20])),
                "long_key": outcome(kv::set(&"k".repeat(300), b"v")),
            })),
            "/kv-flood" => {
                // New keys each `tag`: overwriting one's own keys is not a flood.
                let tag = req.query_value("tag").unwrap_or("0");
                let chunk = vec![7u8; 1 << 20];
                let mut written = 0u32;
                let mut error = Value::Null;
                for i in 0..10_000u32 {
                    match kv::set(&format!("flood/{tag}/{i}"), &chunk) {
                        Ok(()) => written += 1,
                        Err(e) => {
                            error = error_json(&e);
                            break;
                        }
                    }
                }
                ok(json!({ "written_mib": written, "error": error }))
            }
            "/host-flood" => {
                let mut answered = 0u32;
                let mut error = Value::Null;
                for _ in 0..20_000u32 {
                    match kv::get("x") {
                        Ok(_) => answered += 1,
                        Err(e) => {
                            error = error_json(&e);
                            break;
                        }
                    }
                }
                ok(json!({ "answered": answered, "error": error }))
            }
            "/template-bomb" => Response::view("bomb.html", "Bomb", &json!({})),
            "/escape" => ok(escape(cx, req.query_value("other").unwrap_or(""))),
            "/list" => ok(kv::list("", None, kv::MAX_LIST_LIMIT)
                .map(|entries| entries.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
                .unwrap_or_default()),
            "/forge" => Response::view(
                "forge.html",
                "Win a prize",
                &json!({ "action": req.query_value("action").unwrap_or("") }),
            ),
            "/debug" => Response::view("debug.html", "Debug", &json!({})),
            "/raw" => Response::view(
                "raw.html",
                "Raw",
                &json!({ "html": req.query_value("html").unwrap_or("<script>alert(1)</script>") }),
            ),
            "/refresh" => Response::view("refresh.html", "Refresh", &json!({})),
            "/link" => Response::view(
                "link.html",
                "Link",
                &json!({ "to": req.query_value("to").unwrap_or("") }),
            ),
            "/dangling" => Response::view("dangling.html", "Dangling", &json!({})),
            "/log-flood" => {
                let line = "x".repeat(4000);
                for _ in 0..10_000 {
                    log::info(&line);
                }
                log::info("done\n2026-12-06T00:00:00.000000Z  INFO login ok user=admin");
                ok("flooded")
            }
            "/redirect-crlf" => Response::redirect("/s/x\r\nSet-Cookie: portico_session=stolen"),
            "/clock" => ok(clock()),
            "/residue" => ok(residue()),
            _ => Response::not_found(),
        })
    }
}

/// Every import, aimed at someone else's data. Returns each attempt's outcome.
fn escape(cx: &Context, other: &str) -> Value {
    let own = cx
        .structure
        .as_ref()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let keys = [
        "../fixture/secret".to_string(),
        "/fixture/secret".to_string(),
        format!("..\0S\0{other}\0secret"),
        format!("\0\0\0\x07fixture S{other}secret"),
        format!("{other}/secret"),
        format!("S{other}"),
        "fixture\0secret".to_string(),
    ];
    let kv: Vec<Value> = keys
        .iter()
        .map(|k| json!({ "key": k, "result": outcome(kv::set(k, b"stolen")) }))
        .collect();
    log::info("hostile: trying every import");
    json!({
        "own": own,
        "kv": kv,
        "facts_other_area": outcome(facts::set("fixture/paid", "true")),
        "facts_dotted": outcome(facts::set("../fixture", "true")),
        "message_forged": outcome(messages::send(other, "fixture", "steal", "{}").map(|_| ())),
        "message_nonexistent": outcome(messages::send("00000000000000", "fixture", "steal", "{}").map(|_| ())),
        "directory": outcome(directory::members().map(|m| m.len()).map(|_| ())),
        "account": outcome(account::profile().map(|_| ())),
    })
}

/// `{"ok": value}`: a view's data is a JSON object.
fn ok(value: impl serde::Serialize) -> Response {
    Response::view(RESULT, "Hostile", &json!({ "ok": value }))
}

fn outcome(r: Result<(), HostError>) -> Value {
    match r {
        Ok(()) => json!("ok"),
        Err(e) => error_json(&e),
    }
}

fn error_json(e: &HostError) -> Value {
    json!({ "kind": e.kind(), "message": e.to_string() })
}

/// Never returns: the epoch deadline must stop it.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Allocates and touches memory until the cap traps.
fn hoard() -> ! {
    let mut all: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        for i in (0..chunk.len()).step_by(4096) {
            chunk[i] = 1;
        }
        all.push(black_box(chunk));
    }
}

fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 64]);
    if depth == u64::MAX {
        return frame[0];
    }
    recurse(black_box(depth + 1)).wrapping_add(frame[1])
}

/// The smallest non-zero steps of the wall and monotonic clocks, in ns,
/// over many readings: a fine clock is a timing side channel.
fn clock() -> Value {
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    let mut wall_ns = Vec::new();
    let mut mono_ns = Vec::new();
    let start = Instant::now();
    for _ in 0..20_000 {
        let w = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        wall_ns.push(w.subsec_nanos());
        mono_ns.push(start.elapsed().as_nanos() as u64);
    }
    let finest = |v: &[u64]| {
        v.windows(2)
            .map(|w| w[1].saturating_sub(w[0]))
            .filter(|d| *d > 0)
            .min()
            .unwrap_or(0)
    };
    let wall: Vec<u64> = wall_ns.iter().map(|n| u64::from(*n)).collect();
    json!({
        "wall_sub_ms_ns": wall.iter().map(|n| n % 1_000_000).max().unwrap_or(0),
        "mono_sub_ms_ns": mono_ns.iter().map(|n| n % 1_000_000).max().unwrap_or(0),
        "mono_finest_step_ns": finest(&mono_ns),
    })
}

/// Bytes of the data segment `/residue` inspects: part of the component's
/// memory image (initialised to [`IMAGE_BYTE`], not zero).
const IMAGE_LEN: usize = 256 << 10;
const IMAGE_BYTE: u8 = 0x5a;
static IMAGE: [AtomicU8; IMAGE_LEN] = [const { AtomicU8::new(IMAGE_BYTE) }; IMAGE_LEN];

/// Bytes of zeroed heap `/residue` inspects (memory grown past the image).
const HEAP_LEN: usize = 8 << 20;

/// Counts the bytes an earlier call left behind in the image and in fresh
/// heap, then marks every other 4 KiB page of both: hundreds of separate
/// dirty runs, the pattern of an interpreter's heap. Every call is a fresh
/// instance, so every call must find `{"image": 0, "heap": 0}`, whatever the
/// host reused for it.
fn residue() -> Value {
    let image = IMAGE
        .iter()
        .filter(|b| b.load(Ordering::Relaxed) != IMAGE_BYTE)
        .count();
    let mut heap = black_box(vec![0u8; HEAP_LEN]);
    let left = heap.iter().filter(|b| **b != 0).count();
    for page in (0..IMAGE_LEN).step_by(8192) {
        IMAGE[page + 17].store(0xa5, Ordering::Relaxed);
    }
    for page in (0..HEAP_LEN).step_by(8192) {
        heap[page + 17] = 0xa5;
    }
    black_box(&heap);
    json!({ "image": image, "heap": left, "marked_pages": IMAGE_LEN / 8192 + HEAP_LEN / 8192 })
}
