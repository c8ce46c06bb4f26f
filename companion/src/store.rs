//! The companion's memory: every finished run (the history) and the report
//! links shared from them, in an SQLite database under the data directory.
//! Writes are durable before they are acknowledged (WAL with full sync), so
//! a link that was handed out survives a crash or restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use chimera_shared::snapshot::RunSummary;
use chimera_shared::snapshot::Snapshot;
use rusqlite::{Connection, OptionalExtension, params};

/// Why a report cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("no such report")]
    NotFound,
    #[error("this report link was revoked by its owner")]
    Revoked,
    #[error("this report link has expired")]
    Expired,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the report database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no run with that id")]
    NotFound,
}

/// The database, shared by every request.
#[derive(Debug, Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
    pub path: PathBuf,
}

impl Store {
    /// Opens (creating when needed) `chimera.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join("chimera.sqlite3");
        let connection = Connection::open(&path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS runs (
                 id         TEXT PRIMARY KEY,
                 stored_at  INTEGER NOT NULL,
                 created_at TEXT NOT NULL,
                 title      TEXT NOT NULL,
                 scenario   TEXT NOT NULL,
                 agents     TEXT NOT NULL,
                 snapshot   TEXT NOT NULL,
                 shared     INTEGER NOT NULL DEFAULT 0,
                 expires_at INTEGER,
                 revoked    INTEGER NOT NULL DEFAULT 0
             );
             CREATE INDEX IF NOT EXISTS runs_by_time ON runs (stored_at DESC);",
        )?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path,
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&connection)
    }

    /// Keeps a finished run in the history; returns its id.
    pub fn insert(&self, snapshot: &Snapshot, now: i64) -> Result<String, StoreError> {
        let id = new_id();
        let agents = serde_json::to_string(&snapshot.agents).expect("headlines serialise");
        self.with(|c| {
            c.execute(
                "INSERT INTO runs (id, stored_at, created_at, title, scenario, agents, snapshot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, now, snapshot.created_at, snapshot.title, snapshot.scenario, agents, snapshot.to_json()],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Newest first.
    pub fn list(&self) -> Result<Vec<RunSummary>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT id, title, created_at, scenario, agents, shared, revoked, expires_at FROM runs ORDER BY stored_at DESC, rowid DESC",
            )?;
            let rows = statement.query_map([], |row| {
                let agents: String = row.get(4)?;
                Ok(RunSummary {
                    id: row.get(0)?,
                    title: row.get(1)?,
                    created_at: row.get(2)?,
                    scenario: row.get(3)?,
                    agents: serde_json::from_str(&agents).unwrap_or_default(),
                    shared: row.get::<_, i64>(5)? != 0,
                    revoked: row.get::<_, i64>(6)? != 0,
                    expires_at: row.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Turns a run into a shared link, optionally expiring at `expires_at` (unix seconds).
    pub fn share(&self, id: &str, expires_at: Option<i64>) -> Result<(), StoreError> {
        let changed = self.with(|c| {
            Ok(c.execute(
                "UPDATE runs SET shared = 1, revoked = 0, expires_at = ?2 WHERE id = ?1",
                params![id, expires_at],
            )?)
        })?;
        if changed == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    pub fn revoke(&self, id: &str) -> Result<(), StoreError> {
        let changed = self
            .with(|c| Ok(c.execute("UPDATE runs SET revoked = 1 WHERE id = ?1", params![id])?))?;
        if changed == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Forgets every run that was never shared; shared links stay until revoked.
    pub fn clear_history(&self) -> Result<usize, StoreError> {
        self.with(|c| Ok(c.execute("DELETE FROM runs WHERE shared = 0", [])?))
    }

    /// The snapshot behind a shared link, as of `now` (unix seconds).
    pub fn open_shared(
        &self,
        id: &str,
        now: i64,
    ) -> Result<Result<Snapshot, OpenError>, StoreError> {
        if !is_valid_id(id) {
            return Ok(Err(OpenError::NotFound));
        }
        let row = self.with(|c| {
            Ok(c.query_row(
                "SELECT snapshot, shared, revoked, expires_at FROM runs WHERE id = ?1",
                params![id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, Option<i64>>(3)?,
                    ))
                },
            )
            .optional()?)
        })?;
        Ok(match row {
            None | Some((_, 0, _, _)) => Err(OpenError::NotFound),
            Some((_, _, revoked, _)) if revoked != 0 => Err(OpenError::Revoked),
            Some((_, _, _, Some(expires))) if expires <= now => Err(OpenError::Expired),
            Some((json, ..)) => {
                Snapshot::from_json(json.as_bytes()).map_err(|_| OpenError::NotFound)
            }
        })
    }
}

/// 128 random bits, as 32 lowercase hex digits.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn is_valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The per-user default: `$XDG_DATA_HOME/chimera`, else `~/.local/share/chimera`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("chimera");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".local/share/chimera");
    }
    PathBuf::from(".chimera")
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
