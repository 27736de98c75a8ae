//! The submission journal: one row per verification session that reached the API, in SQLite in
//! the app's data directory, so that staff can see what happened today (and what a session cost)
//! without reading logs. It holds what Mark ID also knows — time, clientId, scanRef, document
//! type, outcome, error identifier, duration — and how many photos were taken with the quality
//! checks' problem codes (codes only): never images, names or anything read from a document. Rows older than the
//! retention period are deleted on open and after every write.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, params};

pub use crate::flow::{Outcome, SessionRecord};

/// A stored row: the record and when it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// When the session ended.
    pub time: SystemTime,
    /// What happened.
    pub record: SessionRecord,
}

/// Why the journal failed. The kiosk goes on without it (and logs why): a full disk must not
/// stop customers.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The database could not be opened, read or written.
    #[error("submission journal {path}: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's reason.
        source: rusqlite::Error,
    },
    /// The journal's directory could not be made.
    #[error("submission journal directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The CSV could not be written.
    #[error("journal export: {0}")]
    Export(#[from] std::io::Error),
}

/// Why the journal cannot be used, as the staff screens are told: cloneable and comparable, so
/// that it can travel in the app's messages and the staff flow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JournalUnavailable {
    /// The system has no data directory and the config names no file.
    #[error("no data directory on this system: set [journal] path")]
    NoDataDirectory,
    /// Opening, reading or writing failed (the `JournalError`'s words).
    #[error("{0}")]
    Failed(String),
}

impl From<JournalError> for JournalUnavailable {
    fn from(error: JournalError) -> Self {
        JournalUnavailable::Failed(error.to_string())
    }
}

/// Default retention.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// The open journal.
pub struct Journal {
    connection: Connection,
    path: PathBuf,
    retention: Duration,
}

/// `journal.sqlite3` in the platform's data directory (beside `logs/`).
pub fn default_path() -> Option<PathBuf> {
    crate::paths::default_journal_path()
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` and deletes rows past `retention`.
    pub fn open(path: &Path, retention: Duration) -> Result<Self, JournalError> {
        let database = |source| JournalError::Database {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| JournalError::Directory {
                path: dir.to_owned(),
                source,
            })?;
        }
        let connection = Connection::open(path).map_err(database)?;
        // A row a session: a small page cache is plenty, and SQLite's default (2 MB) showed as
        // steady growth in the 200-session soak test.
        connection
            .execute_batch(
                "PRAGMA cache_size = -128;
                CREATE TABLE IF NOT EXISTS sessions (
                    id INTEGER PRIMARY KEY,
                    ended_at INTEGER NOT NULL,
                    client_id TEXT NOT NULL,
                    scan_ref TEXT NOT NULL,
                    document_type TEXT,
                    outcome TEXT NOT NULL,
                    error TEXT,
                    duration_ms INTEGER NOT NULL
                );
                CREATE INDEX IF NOT EXISTS sessions_ended_at ON sessions (ended_at);",
            )
            .map_err(database)?;
        add_missing_columns(&connection).map_err(database)?;
        let journal = Self {
            connection,
            path: path.to_owned(),
            retention,
        };
        journal.purge(SystemTime::now())?;
        Ok(journal)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn database_error(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Stores a finished session as ended at `time`, then enforces the retention.
    pub fn record(&self, time: SystemTime, record: &SessionRecord) -> Result<(), JournalError> {
        self.connection
            .execute(
                "INSERT INTO sessions
                    (ended_at, client_id, scan_ref, document_type, outcome, error, duration_ms,
                     captures, problems, mrz)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    unix_seconds(time),
                    record.client_id,
                    record.scan_ref,
                    record.document_type,
                    record.outcome.as_str(),
                    record.error,
                    i64::try_from(record.duration.as_millis()).unwrap_or(i64::MAX),
                    record.captures,
                    problems_text(&record.problems),
                    record.mrz.unwrap_or(""),
                ],
            )
            .map_err(|error| self.database_error(error))?;
        self.purge(SystemTime::now())
    }

    /// Deletes rows that ended more than the retention period before `now`.
    pub fn purge(&self, now: SystemTime) -> Result<(), JournalError> {
        let oldest_kept = unix_seconds(now).saturating_sub(self.retention.as_secs() as i64);
        self.connection
            .execute(
                "DELETE FROM sessions WHERE ended_at < ?1",
                params![oldest_kept],
            )
            .map_err(|error| self.database_error(error))?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<JournalEntry>, JournalError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut statement = self
            .connection
            .prepare(
                "SELECT ended_at, client_id, scan_ref, document_type, outcome, error, duration_ms,
                        captures, problems, mrz
                 FROM sessions ORDER BY ended_at DESC, id DESC LIMIT ?1",
            )
            .map_err(|error| self.database_error(error))?;
        let rows = statement
            .query_map(params![limit], |row| {
                let ended_at: i64 = row.get(0)?;
                let outcome: String = row.get(4)?;
                let duration_ms: i64 = row.get(6)?;
                Ok(JournalEntry {
                    time: UNIX_EPOCH + Duration::from_secs(ended_at.max(0) as u64),
                    record: SessionRecord {
                        client_id: row.get(1)?,
                        scan_ref: row.get(2)?,
                        document_type: row.get(3)?,
                        // A row written by a newer version keeps its place, shown as failed.
                        outcome: Outcome::from_journal(&outcome).unwrap_or(Outcome::SubmitFailed),
                        error: row.get(5)?,
                        duration: Duration::from_millis(duration_ms.max(0) as u64),
                        captures: row.get(7)?,
                        problems: problems_from_text(&row.get::<_, String>(8)?),
                        mrz: mrz_from_text(&row.get::<_, String>(9)?),
                    },
                })
            })
            .map_err(|error| self.database_error(error))?;
        rows.collect::<Result<_, _>>()
            .map_err(|error| self.database_error(error))
    }

    /// Writes every kept entry as CSV (RFC 4180, UTC times), oldest first.
    pub fn export_csv(&self, out: &mut impl Write) -> Result<usize, JournalError> {
        let mut entries = self.recent(usize::MAX)?;
        entries.reverse();
        writeln!(
            out,
            "time_utc,client_id,scan_ref,document_type,outcome,error,duration_ms,captures,problems,mrz"
        )?;
        for entry in &entries {
            let record = &entry.record;
            let fields = [
                format_time(entry.time),
                record.client_id.clone(),
                record.scan_ref.clone(),
                record.document_type.clone().unwrap_or_default(),
                record.outcome.as_str().to_owned(),
                record.error.clone().unwrap_or_default(),
                record.duration.as_millis().to_string(),
                record.captures.to_string(),
                problems_text(&record.problems),
                record.mrz.unwrap_or("").to_owned(),
            ];
            let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
            writeln!(out, "{}", line.join(","))?;
        }
        Ok(entries.len())
    }
}

/// Column titles of `JournalEntry::table_row`.
pub const TABLE_HEADER: &str = "time (UTC)            outcome         document          duration  photos  error                 scanRef                               clientId  problems";

impl JournalEntry {
    /// One line for a terminal or the staff screen, under `TABLE_HEADER`.
    pub fn table_row(&self) -> String {
        let record = &self.record;
        format!(
            "{:<21} {:<15} {:<17} {:>7.1}s  {:>6}  {:<21} {:<37} {}  {}",
            format_time(self.time).trim_end_matches(" UTC"),
            record.outcome.as_str(),
            record.document_type.as_deref().unwrap_or("-"),
            record.duration.as_secs_f64(),
            record.captures,
            record.error.as_deref().unwrap_or("-"),
            if record.scan_ref.is_empty() {
                "-"
            } else {
                &record.scan_ref
            },
            if record.client_id.is_empty() {
                "-"
            } else {
                &record.client_id
            },
            match (record.problems.is_empty(), record.mrz) {
                (true, None) => "-".to_owned(),
                (_, None) => problems_text(&record.problems),
                (_, Some(mrz)) => format!("{} mrz:{mrz}", problems_text(&record.problems))
                    .trim_start()
                    .to_owned(),
            },
        )
    }
}

/// Journals written before the photo counts existed get their columns (SQLite has no ADD
/// COLUMN IF NOT EXISTS).
fn add_missing_columns(connection: &Connection) -> rusqlite::Result<()> {
    let mut columns = Vec::new();
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info('sessions')")?;
    for name in statement.query_map([], |row| row.get::<_, String>(0))? {
        columns.push(name?);
    }
    for (column, definition) in [
        ("captures", "INTEGER NOT NULL DEFAULT 0"),
        ("problems", "TEXT NOT NULL DEFAULT ''"),
        ("mrz", "TEXT NOT NULL DEFAULT ''"),
    ] {
        if !columns.iter().any(|name| name == column) {
            connection.execute_batch(&format!(
                "ALTER TABLE sessions ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    Ok(())
}

/// The MRZ verdict as stored: one of the three words, or none.
fn mrz_from_text(text: &str) -> Option<&'static str> {
    ["valid", "invalid", "absent"]
        .into_iter()
        .find(|word| *word == text)
}

/// `blurry:2 glare:1`: each problem code with how often it was found.
pub fn problems_text(problems: &std::collections::BTreeMap<String, u32>) -> String {
    problems
        .iter()
        .map(|(code, count)| format!("{code}:{count}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn problems_from_text(text: &str) -> std::collections::BTreeMap<String, u32> {
    text.split_ascii_whitespace()
        .filter_map(|pair| {
            let (code, count) = pair.split_once(':')?;
            Some((code.to_owned(), count.parse().ok()?))
        })
        .collect()
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// `2026-11-22 19:40:05 UTC`: one zone for every kiosk, so exports from branches line up.
pub fn format_time(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// Quotes a CSV field when it needs it. A leading `=`, `+`, `-` or `@` is prefixed with `'` so
/// that a spreadsheet does not run a value from the API as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(scan_ref: &str, outcome: Outcome) -> SessionRecord {
        SessionRecord {
            client_id: "kiosk-1".into(),
            scan_ref: scan_ref.into(),
            document_type: Some("ID_CARD".into()),
            outcome,
            error: None,
            duration: Duration::from_millis(1234),
            captures: 0,
            problems: Default::default(),
            mrz: None,
        }
    }

    fn temp_journal(retention_days: u64) -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(
            &dir.path().join("sub/journal.sqlite3"),
            Duration::from_secs(retention_days * 86_400),
        )
        .unwrap();
        (dir, journal)
    }

    #[test]
    fn records_come_back_newest_first_and_survive_reopening() {
        let (dir, journal) = temp_journal(30);
        let now = SystemTime::now();
        journal
            .record(
                now - Duration::from_secs(60),
                &record("a", Outcome::Accepted),
            )
            .unwrap();
        let mut failed = record("b", Outcome::SubmitFailed);
        failed.error = Some("TOKEN_NOT_VALID".into());
        failed.captures = 4;
        failed.problems = [("glare".to_owned(), 2), ("blurry".to_owned(), 1)].into();
        journal.record(now, &failed).unwrap();
        drop(journal);
        let journal = Journal::open(
            &dir.path().join("sub/journal.sqlite3"),
            Duration::from_secs(30 * 86_400),
        )
        .unwrap();
        let entries = journal.recent(10).unwrap();
        let refs: Vec<&str> = entries.iter().map(|e| e.record.scan_ref.as_str()).collect();
        assert_eq!(refs, ["b", "a"]);
        assert_eq!(entries[0].record, failed);
        assert_eq!(journal.recent(1).unwrap().len(), 1);
    }

    #[test]
    fn rows_past_the_retention_are_deleted() {
        let (_dir, journal) = temp_journal(30);
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        journal
            .record(now - day * 31, &record("old", Outcome::Accepted))
            .unwrap();
        journal
            .record(now - day * 29, &record("kept", Outcome::Accepted))
            .unwrap();
        let refs: Vec<String> = journal
            .recent(10)
            .unwrap()
            .into_iter()
            .map(|e| e.record.scan_ref)
            .collect();
        assert_eq!(refs, ["kept"]);
        journal.purge(now + day * 2).unwrap();
        assert!(journal.recent(10).unwrap().is_empty());
    }

    #[test]
    fn csv_export_quotes_and_defuses_formulas() {
        let (_dir, journal) = temp_journal(30);
        let mut odd = record("=HYPERLINK(\"x\")", Outcome::SessionFailed);
        odd.client_id = "a,b".into();
        odd.document_type = None;
        odd.error = Some("HTTP_502".into());
        journal.record(SystemTime::now(), &odd).unwrap();
        let mut out = Vec::new();
        assert_eq!(journal.export_csv(&mut out).unwrap(), 1);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "time_utc,client_id,scan_ref,document_type,outcome,error,duration_ms,captures,problems,mrz"
        );
        assert!(
            lines[1]
                .ends_with(",\"a,b\",\"'=HYPERLINK(\"\"x\"\")\",,session_failed,HTTP_502,1234,0,,"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(" UTC,"));
    }

    #[test]
    fn a_journal_from_before_the_photo_counts_gains_their_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE sessions (id INTEGER PRIMARY KEY, ended_at INTEGER NOT NULL,
                client_id TEXT NOT NULL, scan_ref TEXT NOT NULL, document_type TEXT,
                outcome TEXT NOT NULL, error TEXT, duration_ms INTEGER NOT NULL);
             INSERT INTO sessions VALUES (1, 4102444800, 'k', 'old', NULL, 'accepted', NULL, 5);",
        )
        .unwrap();
        drop(old);
        let journal = Journal::open(&path, Duration::from_secs(u32::MAX.into())).unwrap();
        let mut counted = record("new", Outcome::Cancelled);
        counted.captures = 2;
        counted.problems = [("no_face".to_owned(), 2)].into();
        journal.record(SystemTime::now(), &counted).unwrap();
        let entries = journal.recent(10).unwrap();
        let old = entries.iter().find(|e| e.record.scan_ref == "old").unwrap();
        assert_eq!((old.record.captures, old.record.problems.len()), (0, 0));
        let new = entries.iter().find(|e| e.record.scan_ref == "new").unwrap();
        assert_eq!(new.record, counted);
        assert!(
            new.table_row().ends_with("no_face:2"),
            "{}",
            new.table_row()
        );
    }

    #[test]
    fn times_print_in_utc() {
        let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(format_time(time), "2026-11-18 11:06:40 UTC");
    }
}
