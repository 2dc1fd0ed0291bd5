//! Crash test: every write the store acknowledged survives `kill -9`.
//!
//! The test re-runs its own binary as a child ("writer" mode, selected by an
//! environment variable and `--exact`). The child writes records from several
//! threads (some over `INLINE_LIMIT`, so they go through the file store) and
//! prints a line for each acknowledged one; the parent kills it mid-stream,
//! reopens the data directory and checks every acknowledged record.
//!
//! A killed process loses only what it had not handed to the kernel, so this
//! catches a missing or misplaced flush (sled buffers writes in memory), not a
//! missing fsync: that needs power loss, which a test cannot cause.
//!
//! It runs on the backend under test (`PORTICO_TEST_STORE`), and once more on
//! PostgreSQL whenever a server is given (`PORTICO_TEST_POSTGRES`): there the
//! writer is a host killed mid-transaction, and "acknowledged" means COMMIT
//! returned; the killed connections' open transactions must leave nothing
//! half-written.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use portico::clock::Clock;
use portico::store::{INLINE_LIMIT, Location, Namespace, NewUser, Store, testing};

/// Selects writer mode; its value is the data directory.
const WRITER_DIR: &str = "PORTICO_CRASH_WRITER_DIR";
/// Which round the writer is in, so keys of successive rounds differ.
const WRITER_ROUND: &str = "PORTICO_CRASH_WRITER_ROUND";
/// `postgres` to write on the test server, else sled.
const WRITER_STORE: &str = "PORTICO_CRASH_WRITER_STORE";
const WRITER_THREADS: usize = 4;
/// Acknowledgements the parent waits for before killing the writer.
const ACKS_BEFORE_KILL: usize = 80;
const ROUNDS: usize = 3;

fn ns() -> Namespace {
    Namespace::structure("crash", "73282932000074")
}

/// The value of record `key`: deterministic, distinct per key, every fourth
/// one over the inline limit.
fn value_for(key: &str, n: usize) -> Vec<u8> {
    let len = if n % 4 == 3 {
        INLINE_LIMIT + 50 * 1024 + n
    } else {
        50 + n % 700
    };
    let seed = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Writer mode: runs only in the child (the parent passes `--ignored`).
#[test]
#[ignore = "child process of store_acknowledged_writes_survive_kill_9"]
fn crash_writer_child() {
    let dir = std::env::var(WRITER_DIR).expect("writer mode needs its data directory");
    let round = std::env::var(WRITER_ROUND).expect("writer mode needs its round");
    let postgres = std::env::var(WRITER_STORE).as_deref() == Ok("postgres");
    let store = Store::open_at(
        Path::new(&dir),
        &location(Path::new(&dir), postgres),
        Clock::system(),
    )
    .expect("writer opens the store");
    std::thread::scope(|s| {
        for t in 0..WRITER_THREADS {
            let (store, round) = (&store, &round);
            s.spawn(move || {
                for n in 0.. {
                    let key = format!("r{round}-t{t}-{n}");
                    if n % 5 == 4 {
                        let email = format!("{key}@example.org");
                        store
                            .create_user(NewUser {
                                email: email.clone(),
                                first_name: key.clone(),
                                last_name: "Crash".into(),
                                contact_email: email.clone(),
                                password_hash: "x".into(),
                                operator: false,
                                email_verified: false,
                                created_ms: n as u64,
                            })
                            .expect("create_user");
                        ack(&format!("user {email}"));
                    } else {
                        store
                            .kv_set(&ns(), &key, &value_for(&key, n))
                            .expect("kv_set");
                        ack(&format!("kv {key} {n}"));
                    }
                }
            });
        }
    });
}

fn ack(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ACK {line}")
        .and_then(|()| out.flush())
        .expect("stdout");
}

/// Where the store of `dir` is: sled, or its schema on the test server.
fn location(dir: &Path, postgres: bool) -> Location {
    if postgres {
        testing::postgres_location(dir).expect("PORTICO_TEST_POSTGRES is set")
    } else {
        Location::Sled
    }
}

#[test]
fn store_acknowledged_writes_survive_kill_9() {
    acknowledged_writes_survive_kill_9(testing::on_postgres());
}

/// The same on PostgreSQL, whatever the backend under test.
#[test]
fn store_acknowledged_writes_survive_kill_9_on_postgres() {
    if testing::postgres_url().is_none() {
        return testing::skipped();
    }
    if testing::on_postgres() {
        eprintln!("covered by store_acknowledged_writes_survive_kill_9 in this run");
        return;
    }
    acknowledged_writes_survive_kill_9(true);
}

fn acknowledged_writes_survive_kill_9(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_writer_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_DIR, dir.path())
            .env(WRITER_ROUND, round.to_string())
            .env(WRITER_STORE, if postgres { "postgres" } else { "sled" })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut this_round = 0;
        while this_round < ACKS_BEFORE_KILL {
            match lines.next() {
                Some(line) => {
                    if let Some(rest) = line.unwrap().strip_prefix("ACK ") {
                        acked.push(rest.to_string());
                        this_round += 1;
                    }
                }
                None => {
                    let out = child.wait_with_output().unwrap();
                    panic!(
                        "writer ended early: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
        child.kill().unwrap(); // SIGKILL: no destructor, no final flush
        // Lines already in the pipe were acknowledged before the kill.
        for line in lines {
            if let Some(rest) = line.unwrap().strip_prefix("ACK ") {
                acked.push(rest.to_string());
            }
        }
        child.wait().unwrap();

        let store = Store::open_at(dir.path(), &location(dir.path(), postgres), Clock::system())
            .expect("reopen after kill -9");
        let mut files = 0;
        for a in &acked {
            let parts: Vec<&str> = a.split(' ').collect();
            match parts.as_slice() {
                ["kv", key, n] => {
                    let n: usize = n.parse().unwrap();
                    let got = store.kv_get(&ns(), key).unwrap();
                    assert!(
                        got.as_deref() == Some(&value_for(key, n)[..]),
                        "round {round}: acknowledged {key} lost or damaged"
                    );
                    files += usize::from(n % 4 == 3);
                }
                ["user", email] => {
                    let user = store.user_by_email(email).unwrap();
                    assert!(
                        user.is_some(),
                        "round {round}: acknowledged user {email} lost"
                    );
                }
                _ => panic!("unexpected line {a}"),
            }
        }
        assert!(files > 0, "no value went through the large-value store");
        drop(store);
    }
    assert!(acked.len() >= ROUNDS * ACKS_BEFORE_KILL);
}
