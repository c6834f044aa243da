//! The SQLite store: one `kv` table in WAL mode, every operation in its own transaction.
//!
//! Schema (created on open if missing):
//!
//! ```sql
//! CREATE TABLE kv (
//!   ns TEXT NOT NULL, key TEXT NOT NULL,
//!   value TEXT NOT NULL,          -- the JSON document as text
//!   version INTEGER NOT NULL,     -- from meta.last_version, never reused
//!   expires_at INTEGER NULL,      -- Unix seconds from which the row is absent
//!   PRIMARY KEY (ns, key)) WITHOUT ROWID;
//! CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
//! -- one row: ('last_version', n), the store-wide version counter
//! ```
//!
//! Writes start with `BEGIN IMMEDIATE`, which takes SQLite's single write lock before the
//! first read, so the check and the write of a compare-and-swap or an `incr` cannot
//! interleave with another connection's, in this process or another. Reads run in a
//! deferred transaction, which WAL serves from a consistent snapshot without blocking
//! writers.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;
use tenxyte_core::store::{Expect, Op, OpResult, PutOutcome, Record, SyncStore};
use tenxyte_core::{Error, ErrorCode};

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How long a connection waits for another connection's write lock before answering
/// `failed`. Transactions here are a few statements long, so 5 s means "something is
/// wrong" (a stuck process, a disk stall), not ordinary contention.
const BUSY_TIMEOUT: Duration = Duration::from_millis(5_000);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
  ns TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  expires_at INTEGER NULL,
  PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('last_version', 0);
";

/// The liveness condition shared by every query: `?3` is `now`.
const LIVE: &str = "(expires_at IS NULL OR expires_at > ?3)";

struct Shared {
    conn: Mutex<Connection>,
    clock: Clock,
}

/// A store backed by one SQLite database, following the Store port's consistency contract.
///
/// Clones share one connection (operations from several threads queue on its lock).
/// Several processes, or several `SqliteStore`s in one process, may open the same file:
/// SQLite's write lock serialises them, and each waits up to 5 s for it before answering
/// `failed`. Time comes from the clock closure given at open, so TTL behaviour is
/// deterministic in tests. Expired rows are absent at once; writes to a key replace or
/// remove its expired row, and [`SqliteStore::purge_expired`] removes the rest.
///
/// Durability: WAL with `synchronous=NORMAL` survives a crash of the process; a power
/// loss may lose the last transactions, never corrupt the file.
#[derive(Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn open_error(e: rusqlite::Error) -> Error {
    Error::new(
        ErrorCode::StoreUnavailable,
        format!("sqlite store could not be opened: {e}"),
    )
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, reading the time (Unix
    /// seconds) from `clock`. Sets WAL mode and creates the schema.
    pub fn open(
        path: impl AsRef<Path>,
        clock: impl Fn() -> i64 + Send + Sync + 'static,
    ) -> tenxyte_core::Result<Self> {
        let conn = Connection::open(path).map_err(open_error)?;
        Self::init(conn, Arc::new(clock))
    }

    /// A private in-memory database (tests, caches): gone when the last clone is dropped.
    pub fn open_in_memory(
        clock: impl Fn() -> i64 + Send + Sync + 'static,
    ) -> tenxyte_core::Result<Self> {
        let conn = Connection::open_in_memory().map_err(open_error)?;
        Self::init(conn, Arc::new(clock))
    }

    fn init(mut conn: Connection, clock: Clock) -> tenxyte_core::Result<Self> {
        // The timeout first: switching to WAL and creating the schema may wait for a
        // process that opened the same file a moment earlier.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        // In-memory databases answer "memory" and stay so: nothing to share there.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(open_error)?;
        tx.execute_batch(SCHEMA).map_err(open_error)?;
        tx.commit().map_err(open_error)?;
        Ok(SqliteStore {
            shared: Arc::new(Shared {
                conn: Mutex::new(conn),
                clock,
            }),
        })
    }

    /// Runs one operation. Takes `&self`: clones on many threads may call it at once.
    pub fn apply(&self, op: &Op) -> OpResult {
        if op.is_effect() {
            return OpResult::failed(crate::outbox::NOT_A_MAILER);
        }
        let now = (self.shared.clock)();
        let Ok(mut conn) = self.shared.conn.lock() else {
            // A panic while holding the lock leaves a connection in an unknown state.
            return OpResult::failed("sqlite store lock poisoned");
        };
        let writes = !matches!(op, Op::Get { .. } | Op::List { .. });
        let behavior = if writes {
            TransactionBehavior::Immediate
        } else {
            TransactionBehavior::Deferred
        };
        let tx = match conn.transaction_with_behavior(behavior) {
            Ok(tx) => tx,
            Err(e) => return db_failed(&e),
        };
        match run(&tx, op, now) {
            // Conflicts wrote nothing, reads nothing: committing them is harmless and
            // keeps one path. A commit error may hide a landed write, hence `failed`.
            Ok(result) => match tx.commit() {
                Ok(()) => result,
                Err(e) => db_failed(&e),
            },
            // Dropping the transaction rolls back whatever the failed op had done.
            Err(result) => result,
        }
    }

    /// Deletes every expired row and returns how many there were.
    pub fn purge_expired(&self) -> tenxyte_core::Result<usize> {
        let now = (self.shared.clock)();
        let store_error = |e: rusqlite::Error| {
            Error::new(
                ErrorCode::StoreUnavailable,
                format!("sqlite purge failed: {e}"),
            )
        };
        let mut conn =
            self.shared.conn.lock().map_err(|_| {
                Error::new(ErrorCode::StoreUnavailable, "sqlite store lock poisoned")
            })?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(store_error)?;
        let n = tx
            .execute(
                "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                params![now],
            )
            .map_err(store_error)?;
        tx.commit().map_err(store_error)?;
        Ok(n)
    }
}

impl SyncStore for SqliteStore {
    fn execute(&mut self, op: &Op) -> OpResult {
        self.apply(op)
    }
}

impl SyncStore for &SqliteStore {
    fn execute(&mut self, op: &Op) -> OpResult {
        self.apply(op)
    }
}

fn db_failed(e: &rusqlite::Error) -> OpResult {
    OpResult::failed(format!("sqlite: {e}"))
}

fn db<T>(r: rusqlite::Result<T>) -> Result<T, OpResult> {
    r.map_err(|e| db_failed(&e))
}

fn expiry(now: i64, ttl_secs: Option<u64>) -> Result<Option<i64>, OpResult> {
    match ttl_secs {
        None => Ok(None),
        Some(ttl) => i64::try_from(ttl)
            .ok()
            .and_then(|t| now.checked_add(t))
            .map(Some)
            .ok_or_else(|| OpResult::failed("ttl out of range")),
    }
}

fn version_out(v: i64) -> Result<u64, OpResult> {
    u64::try_from(v)
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| OpResult::failed("sqlite store holds an invalid version"))
}

fn parse_value(text: &str) -> Result<Value, OpResult> {
    serde_json::from_str(text)
        .map_err(|_| OpResult::failed("sqlite store holds a value that is not JSON"))
}

fn to_text(value: &Value) -> Result<String, OpResult> {
    serde_json::to_string(value).map_err(|_| OpResult::failed("value cannot be serialised"))
}

/// Takes the next store-wide version. Inside the write transaction, so two writers never
/// get the same one, and the counter never moves back, so versions are never reused.
fn next_version(tx: &Transaction<'_>) -> Result<u64, OpResult> {
    let v: Option<i64> = db(tx
        .prepare_cached(
            "UPDATE meta SET value = value + 1
             WHERE name = 'last_version' AND value < 9223372036854775807
             RETURNING value",
        )
        .and_then(|mut s| s.query_row([], |r| r.get(0)).optional()))?;
    version_out(v.ok_or_else(|| OpResult::failed("versions exhausted"))?)
}

/// The live row of a key: (value text, version, expires_at).
fn live_row(
    tx: &Transaction<'_>,
    ns: &str,
    key: &str,
    now: i64,
) -> Result<Option<(String, i64, Option<i64>)>, OpResult> {
    let sql =
        format!("SELECT value, version, expires_at FROM kv WHERE ns = ?1 AND key = ?2 AND {LIVE}");
    db(tx.prepare_cached(&sql).and_then(|mut s| {
        s.query_row(params![ns, key, now], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
    }))
}

fn write_row(
    tx: &Transaction<'_>,
    ns: &str,
    key: &str,
    value: &str,
    version: u64,
    expires_at: Option<i64>,
) -> Result<(), OpResult> {
    let version = i64::try_from(version).map_err(|_| OpResult::failed("versions exhausted"))?;
    db(tx
        .prepare_cached(
            "INSERT INTO kv (ns, key, value, version, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (ns, key) DO UPDATE SET
               value = excluded.value, version = excluded.version,
               expires_at = excluded.expires_at",
        )
        .and_then(|mut s| s.execute(params![ns, key, value, version, expires_at])))?;
    Ok(())
}

/// The smallest string above every string that starts with `prefix`, or `None` when no
/// string is (empty prefix, or only U+10FFFF). UTF-8 byte order is code point order, so
/// bumping the last code point that can be bumped gives the exclusive upper bound of the
/// prefix range in SQLite's BINARY collation, and the scan can use the primary key.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn run(tx: &Transaction<'_>, op: &Op, now: i64) -> Result<OpResult, OpResult> {
    match op {
        Op::Get { ns, key } => match live_row(tx, ns, key, now)? {
            None => Ok(OpResult::Got(None)),
            Some((text, version, _)) => Ok(OpResult::Got(Some(Record {
                value: parse_value(&text)?,
                version: version_out(version)?,
            }))),
        },
        Op::Put {
            ns,
            key,
            value,
            ttl_secs,
            expect,
        } => {
            let current = match live_row(tx, ns, key, now)? {
                Some((_, v, _)) => Some(version_out(v)?),
                None => None,
            };
            let holds = match expect {
                Expect::Any => true,
                Expect::Absent => current.is_none(),
                Expect::Version(v) => current == Some(*v),
            };
            if !holds {
                return Ok(OpResult::Put(PutOutcome::Conflict {
                    current_version: current,
                }));
            }
            let expires_at = expiry(now, *ttl_secs)?;
            let text = to_text(value)?;
            let version = next_version(tx)?;
            write_row(tx, ns, key, &text, version, expires_at)?;
            Ok(OpResult::Put(PutOutcome::Written { version }))
        }
        Op::Delete { ns, key } => {
            // Removes an expired row too (it was absent already), reporting only live ones.
            let expires_at: Option<Option<i64>> = db(tx
                .prepare_cached("DELETE FROM kv WHERE ns = ?1 AND key = ?2 RETURNING expires_at")
                .and_then(|mut s| s.query_row(params![ns, key], |r| r.get(0)).optional()))?;
            Ok(OpResult::Deleted(
                expires_at.is_some_and(|at| at.is_none_or(|at| now < at)),
            ))
        }
        Op::Incr {
            ns,
            key,
            delta,
            ttl_secs,
        } => {
            let (old, expires_at) = match live_row(tx, ns, key, now)? {
                Some((text, _, expires_at)) => {
                    let old = parse_value(&text)?.as_i64().ok_or_else(|| {
                        OpResult::failed("incr on a record that is not an integer")
                    })?;
                    // An existing counter keeps its expiry: fixed windows.
                    (old, expires_at)
                }
                None => (0, expiry(now, *ttl_secs)?),
            };
            let new = old
                .checked_add(*delta)
                .ok_or_else(|| OpResult::failed("counter overflow"))?;
            let version = next_version(tx)?;
            write_row(tx, ns, key, &new.to_string(), version, expires_at)?;
            Ok(OpResult::Incremented(new))
        }
        Op::SendMessage(_) | Op::HttpRequest(_) => {
            Err(OpResult::failed(crate::outbox::NOT_A_MAILER))
        }
        Op::List {
            ns,
            prefix,
            limit,
            cursor,
        } => {
            if *limit == 0 {
                return Err(OpResult::failed("list limit must be at least 1"));
            }
            // A cursor before the prefix range starts the scan at the prefix.
            let (lower_op, lower) = match cursor {
                Some(c) if c.as_str() >= prefix.as_str() => (">", c.as_str()),
                _ => (">=", prefix.as_str()),
            };
            let upper = prefix_upper_bound(prefix);
            // One row past the page tells whether more may follow.
            let fetch = i64::from(*limit) + 1;
            let sql = format!(
                "SELECT key, value, version FROM kv
                 WHERE ns = ?1 AND key {lower_op} ?2 AND {LIVE} AND (?4 IS NULL OR key < ?4)
                 ORDER BY key LIMIT ?5"
            );
            let rows: Vec<(String, String, i64)> =
                db(tx.prepare_cached(&sql).and_then(|mut s| {
                    s.query_map(params![ns, lower, now, upper, fetch], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect()
                }))?;
            let page = usize::try_from(*limit).unwrap_or(usize::MAX);
            let more = rows.len() > page;
            let mut items = Vec::with_capacity(rows.len().min(page));
            for (key, text, version) in rows.into_iter().take(page) {
                items.push((
                    key,
                    Record {
                        value: parse_value(&text)?,
                        version: version_out(version)?,
                    },
                ));
            }
            Ok(OpResult::page(items, more))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_upper_bound_is_the_next_code_point() {
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("a/").as_deref(), Some("a0"));
        assert_eq!(prefix_upper_bound("é").as_deref(), Some("ê"));
        // No code point between U+D7FF and U+E000 (surrogates) can occur in a key.
        assert_eq!(
            prefix_upper_bound("x\u{D7FF}").as_deref(),
            Some("x\u{E000}")
        );
        assert_eq!(prefix_upper_bound("ab\u{10FFFF}").as_deref(), Some("ac"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}\u{10FFFF}"), None);
    }

    #[test]
    fn a_prefix_ending_in_the_last_code_point_lists_its_keys_only() {
        let store = SqliteStore::open_in_memory(|| 0).unwrap();
        for key in ["a\u{10FFFF}", "a\u{10FFFF}z", "b", "a"] {
            let op = Op::Put {
                ns: "n".into(),
                key: key.into(),
                value: Value::Null,
                ttl_secs: None,
                expect: Expect::Any,
            };
            assert!(matches!(store.apply(&op), OpResult::Put(_)));
        }
        let OpResult::Listed { items, next_cursor } = store.apply(&Op::List {
            ns: "n".into(),
            prefix: "a\u{10FFFF}".into(),
            limit: 10,
            cursor: None,
        }) else {
            panic!("list failed");
        };
        let keys: Vec<_> = items.into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a\u{10FFFF}", "a\u{10FFFF}z"]);
        assert_eq!(next_cursor, None);
    }

    #[test]
    fn limit_zero_is_a_failure_not_an_empty_page() {
        let store = SqliteStore::open_in_memory(|| 0).unwrap();
        let op = Op::List {
            ns: "n".into(),
            prefix: String::new(),
            limit: 0,
            cursor: None,
        };
        assert!(matches!(store.apply(&op), OpResult::Failed { .. }));
    }

    #[test]
    fn a_corrupt_row_is_a_failure_not_a_panic() {
        let store = SqliteStore::open_in_memory(|| 0).unwrap();
        {
            let conn = store.shared.conn.lock().unwrap();
            conn.execute(
                "INSERT INTO kv VALUES ('n', 'bad', '{not json', 1, NULL), ('n', 'v0', '1', 0, NULL)",
                [],
            )
            .unwrap();
        }
        for key in ["bad", "v0"] {
            let got = store.apply(&Op::Get {
                ns: "n".into(),
                key: key.into(),
            });
            assert!(matches!(got, OpResult::Failed { .. }), "{key}: {got:?}");
        }
    }
}
