//! The inventory of a reports folder: what files it holds, of which types,
//! under which folders, how recent they are, which could not be read, and the
//! metrics read from inside them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classify::{self, EXPECTED_FOLDERS, FileType};
use crate::metrics::{self, Finding, Metrics, MetricsCollector};
use crate::timestamp::{Modified, TimeSource};

/// Everything Chimera knows about an uploaded folder.
///
/// This is also the JSON the page downloads and `chimera inventory --json`
/// prints; its fields are documented in the README.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// File name of the zip or folder that was read.
    pub source: String,
    /// The wrapping folder removed from every path, e.g. `"bench-results/"`.
    pub root: Option<String>,
    /// Real files: not folders, not OS junk.
    pub files: u64,
    /// Uncompressed bytes of those files, as their headers declare.
    pub bytes: u64,
    pub by_type: ByType,
    pub directories: Directories,
    pub entries: Vec<Entry>,
    pub problems: Vec<Problem>,
    /// OS junk (`__MACOSX/`, `.DS_Store`, ...), kept out of every count.
    pub junk: Vec<JunkEntry>,
    /// The numbers read from inside the CSV, JSON and Markdown files.
    #[serde(default)]
    pub metrics: Metrics,
    /// What is missing or suspect, each with a reason and the files concerned.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ByType {
    pub csv: TypeStats,
    pub json: TypeStats,
    pub md: TypeStats,
    pub other: TypeStats,
}

impl ByType {
    pub fn get(&self, file_type: FileType) -> &TypeStats {
        match file_type {
            FileType::Csv => &self.csv,
            FileType::Json => &self.json,
            FileType::Md => &self.md,
            FileType::Other => &self.other,
        }
    }

    fn get_mut(&mut self, file_type: FileType) -> &mut TypeStats {
        match file_type {
            FileType::Csv => &mut self.csv,
            FileType::Json => &mut self.json,
            FileType::Md => &mut self.md,
            FileType::Other => &mut self.other,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeStats {
    pub count: u64,
    pub bytes: u64,
    /// ISO 8601; ends in `Z` when the time is known to be UTC.
    pub latest_modified: Option<String>,
    /// True when `latest_modified` is a zone-less DOS time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub latest_modified_zoneless: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directories {
    pub reports: DirStats,
    pub csv_data: DirStats,
    pub artifacts: DirStats,
    /// Other top-level folders and how many files each holds.
    pub other: BTreeMap<String, u64>,
    /// Files that sit at the top, in no folder.
    pub top_level_files: u64,
}

impl Directories {
    pub fn expected(&self) -> [(&'static str, &DirStats); 3] {
        [
            (EXPECTED_FOLDERS[0], &self.reports),
            (EXPECTED_FOLDERS[1], &self.csv_data),
            (EXPECTED_FOLDERS[2], &self.artifacts),
        ]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DirStats {
    pub present: bool,
    pub files: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    #[serde(rename = "type")]
    pub file_type: FileType,
    pub bytes: u64,
    pub modified: Option<String>,
    pub modified_source: Option<TimeSource>,
    pub status: Status,
}

/// `ok`: read and parsed; `warning`: read, but something about it is off;
/// `error`: could not be read or parsed; `skipped`: not read, to stay within limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Error,
    Skipped,
}

/// One thing that went wrong, for one file or (with an empty path) the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub path: String,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JunkEntry {
    pub path: String,
    pub bytes: u64,
}

/// What became of a file's bytes when its reader tried to get them.
#[derive(Debug)]
pub enum Content<'a> {
    /// The whole file, to be checked against its type.
    Bytes(&'a [u8]),
    /// Read to the end without keeping the bytes (types that are not parsed).
    Verified,
    /// Not read, or not readable.
    Failed {
        status: Status,
        kind: &'static str,
        message: String,
    },
}

impl Content<'_> {
    /// A file that could not be read or parsed.
    pub fn error(kind: &'static str, message: impl Into<String>) -> Self {
        Content::Failed {
            status: Status::Error,
            kind,
            message: message.into(),
        }
    }

    /// A file left unread to stay within the limits.
    pub fn skipped(kind: &'static str, message: impl Into<String>) -> Self {
        Content::Failed {
            status: Status::Skipped,
            kind,
            message: message.into(),
        }
    }
}

/// Collects files one at a time, from any source, into an [`Inventory`].
///
/// The zip reader, the folder walker and the page's folder picker all feed
/// this, so the rules live in one place.
#[derive(Debug)]
pub struct InventoryBuilder {
    source: String,
    root: Option<String>,
    entries: Vec<(Entry, Option<Modified>)>,
    problems: Vec<Problem>,
    junk: Vec<JunkEntry>,
    metrics: MetricsCollector,
}

impl InventoryBuilder {
    pub fn new(source: impl Into<String>, root: Option<String>) -> Self {
        Self {
            source: source.into(),
            root,
            entries: Vec::new(),
            problems: Vec::new(),
            junk: Vec::new(),
            metrics: MetricsCollector::new(),
        }
    }

    /// Problems found so far.
    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// Everything added so far except the first `keep_problems` problems,
    /// which stay (see [`crate::split::ScanPart`]).
    pub fn split_off(&mut self, keep_problems: usize) -> crate::split::ScanPart {
        let keep = keep_problems.min(self.problems.len());
        crate::split::ScanPart {
            entries: std::mem::take(&mut self.entries),
            problems: self.problems.split_off(keep),
            junk: std::mem::take(&mut self.junk),
        }
    }

    /// Adds a part read elsewhere after what is here.
    pub fn absorb(&mut self, part: crate::split::ScanPart) {
        self.entries.extend(part.entries);
        self.problems.extend(part.problems);
        self.junk.extend(part.junk);
    }

    /// Whether the numbers inside the files are read (they are unless this
    /// turns it off; see [`crate::archive::Limits::read_metrics`]).
    pub fn read_metrics(&mut self, on: bool) {
        self.metrics.set_enabled(on);
    }

    /// Makes room for `files` more files, `text_files` of them CSV, JSON or
    /// Markdown, up front: the lists then grow once rather than by doubling,
    /// whose last step briefly holds both the old and the new list
    /// (megabytes, for 20,000 files).
    pub fn reserve(&mut self, files: usize, text_files: usize) {
        self.entries.reserve_exact(files);
        self.metrics.reserve(text_files);
    }

    /// The path as shown: wrapping folder removed, Windows separators made `/`.
    pub fn display_path(&self, raw_path: &str) -> String {
        let path = raw_path.replace('\\', "/");
        match &self.root {
            Some(root) => path
                .strip_prefix(root.as_str())
                .map(str::to_owned)
                .unwrap_or(path),
            None => path,
        }
    }

    /// Records a problem that belongs to the whole archive, not to one file.
    pub fn archive_problem(&mut self, kind: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: String::new(),
            kind: kind.into(),
            message: message.into(),
        });
    }

    /// Records a problem about a file that is also added with [`Self::add_file`].
    pub fn file_problem(&mut self, raw_path: &str, kind: &str, message: impl Into<String>) {
        let path = self.display_path(raw_path);
        self.problems.push(Problem {
            path,
            kind: kind.into(),
            message: message.into(),
        });
    }

    /// Adds one file (never a folder). OS junk is set aside here.
    pub fn add_file(
        &mut self,
        raw_path: &str,
        bytes: u64,
        modified: Option<Modified>,
        content: Content<'_>,
    ) {
        if classify::is_os_junk(raw_path) {
            self.junk.push(JunkEntry {
                path: raw_path.to_owned(),
                bytes,
            });
            return;
        }
        let path = self.display_path(raw_path);
        let file_type = FileType::of_path(&path);
        let mut status = Status::Ok;
        if let Some(reason) = classify::unsafe_path_reason(raw_path) {
            status = Status::Warning;
            self.problems.push(Problem {
                path: path.clone(),
                kind: "unsafe_path".into(),
                message: format!("unsafe name ({reason}); shown as text, never written anywhere"),
            });
        }
        match content {
            Content::Bytes(data) => {
                // The content check, and the numbers read now, while the
                // bytes are at hand: only the extracted values outlive this
                // call. Files with a problem are read too (a UTF-16 CSV, a
                // ragged last row); the problem stays listed.
                if let Err(problem) = self.metrics.add(&path, file_type, data) {
                    status = Status::Error;
                    self.problems.push(Problem {
                        path: path.clone(),
                        kind: problem.kind.into(),
                        message: problem.message,
                    });
                }
            }
            Content::Verified => {}
            Content::Failed {
                status: failed,
                kind,
                message,
            } => {
                status = status.max(failed);
                self.problems.push(Problem {
                    path: path.clone(),
                    kind: kind.into(),
                    message,
                });
            }
        }
        let entry = Entry {
            path,
            file_type,
            bytes,
            modified: modified.map(|m| m.to_iso()),
            modified_source: modified.map(|m| m.source),
            status,
        };
        self.entries.push((entry, modified));
    }

    /// The inventory, in one go.
    pub fn finish(self) -> Inventory {
        self.finishing().inventory()
    }

    /// The inventory's totals now, and its cross-file metric work to be
    /// done a step at a time.
    pub fn finishing(mut self) -> Finishing {
        self.entries.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        self.junk.sort_by(|a, b| a.path.cmp(&b.path));

        let mut by_type = ByType::default();
        let mut latest: BTreeMap<FileType, Modified> = BTreeMap::new();
        let mut directories = Directories::default();
        let mut bytes = 0u64;
        for (entry, modified) in &self.entries {
            bytes = bytes.saturating_add(entry.bytes);
            let stats = by_type.get_mut(entry.file_type);
            stats.count += 1;
            stats.bytes = stats.bytes.saturating_add(entry.bytes);
            if let Some(modified) = modified {
                let newer = latest.get(&entry.file_type).is_none_or(|seen| {
                    (modified.unix_seconds, modified.source) > (seen.unix_seconds, seen.source)
                });
                if newer {
                    latest.insert(entry.file_type, *modified);
                }
            }
            match classify::top_folder(&entry.path) {
                Some("reports") => directories.reports.files += 1,
                Some("csv_data") => directories.csv_data.files += 1,
                Some("artifacts") => directories.artifacts.files += 1,
                Some(other) => *directories.other.entry(other.to_owned()).or_default() += 1,
                None => directories.top_level_files += 1,
            }
        }
        for (file_type, modified) in latest {
            let stats = by_type.get_mut(file_type);
            stats.latest_modified = Some(modified.to_iso());
            stats.latest_modified_zoneless = modified.is_zoneless();
        }
        for dir in [
            &mut directories.reports,
            &mut directories.csv_data,
            &mut directories.artifacts,
        ] {
            dir.present = dir.files > 0;
        }
        let modified: BTreeMap<String, Modified> = self
            .entries
            .iter()
            .filter_map(|(entry, modified)| Some((entry.path.clone(), (*modified)?)))
            .collect();
        Finishing {
            inventory: Inventory {
                source: self.source,
                root: self.root,
                files: self.entries.len() as u64,
                bytes,
                by_type,
                directories,
                entries: self.entries.into_iter().map(|(entry, _)| entry).collect(),
                problems: self.problems,
                junk: self.junk,
                metrics: Metrics::default(),
                findings: Vec::new(),
            },
            modified,
            metrics: self.metrics.finishing(),
        }
    }
}

/// An inventory whose cross-file metric work (statistics, the lint) is
/// still being done, a step at a time so a page stays responsive.
#[derive(Debug)]
pub struct Finishing {
    inventory: Inventory,
    modified: BTreeMap<String, Modified>,
    metrics: metrics::Finishing,
}

impl Finishing {
    /// Does the next bounded piece of work; `true` once all is done.
    pub fn step(&mut self) -> bool {
        self.metrics.step(&metrics::findings::Context {
            directories: &self.inventory.directories,
            problems: &self.inventory.problems,
            modified: &self.modified,
        })
    }

    /// The inventory (with the metric work finished first if need be).
    pub fn inventory(mut self) -> Inventory {
        while !self.step() {}
        let (metrics, findings) = self.metrics.result();
        self.inventory.metrics = metrics;
        self.inventory.findings = findings;
        self.inventory
    }
}

impl Inventory {
    /// Pretty JSON, the exact text both the page and the CLI write.
    pub fn to_json(&self) -> String {
        let mut text = Vec::new();
        self.write_json(&mut text)
            .expect("an inventory always serialises");
        String::from_utf8(text).expect("serde_json writes UTF-8")
    }

    /// [`Self::to_json`]'s text, written as it is made: a large folder's JSON
    /// runs to tens of megabytes, which need not be held at once.
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }

    /// The latest modification time over every type, with its zone flag.
    pub fn latest_modified(&self) -> Option<(&str, bool)> {
        FileType::ALL
            .iter()
            .filter_map(|t| {
                let stats = self.by_type.get(*t);
                stats
                    .latest_modified
                    .as_deref()
                    .map(|m| (m, stats.latest_modified_zoneless))
            })
            .max_by(|a, b| a.0.cmp(b.0))
    }

    /// Entries that could not be read or were skipped.
    pub fn failed_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.status, Status::Error | Status::Skipped))
    }

    /// A terminal-friendly summary, what `chimera inventory` prints by default.
    pub fn summary_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "Inventory of {}", self.source);
        if let Some(root) = &self.root {
            let _ = writeln!(
                out,
                "  (read as the contents of its wrapping folder {root})"
            );
        }
        let _ = writeln!(out, "  {} files, {}", self.files, human_bytes(self.bytes));
        let _ = writeln!(out, "\nBy type:");
        for file_type in FileType::ALL {
            let stats = self.by_type.get(file_type);
            let latest = match (&stats.latest_modified, stats.latest_modified_zoneless) {
                (Some(at), false) => format!("latest {at}"),
                (Some(at), true) => format!("latest {at} (zone unknown)"),
                (None, _) => String::from("no times"),
            };
            let _ = writeln!(
                out,
                "  {:<6} {:>6} files  {:>10}  {latest}",
                file_type.label(),
                stats.count,
                human_bytes(stats.bytes)
            );
        }
        let _ = writeln!(out, "\nDirectories:");
        for (name, dir) in self.directories.expected() {
            let state = if dir.present {
                format!("{} files", dir.files)
            } else {
                "missing".into()
            };
            let _ = writeln!(out, "  {:<10} {state}", format!("{name}/"));
        }
        for (name, files) in &self.directories.other {
            let _ = writeln!(out, "  {:<10} {files} files (other)", format!("{name}/"));
        }
        if self.directories.top_level_files > 0 {
            let _ = writeln!(
                out,
                "  (top level) {} files",
                self.directories.top_level_files
            );
        }
        if !self.problems.is_empty() {
            let _ = writeln!(out, "\nProblems ({}):", self.problems.len());
            for problem in &self.problems {
                let path = if problem.path.is_empty() {
                    "(archive)"
                } else {
                    &problem.path
                };
                let _ = writeln!(out, "  {path}: {}", problem.message);
            }
        }
        if !self.junk.is_empty() {
            let _ = writeln!(out, "\nOS junk set aside: {} entries", self.junk.len());
        }
        self.write_metrics(&mut out);
        out
    }

    /// The metrics part of [`Self::summary_text`]: totals, the overall best
    /// configurations, and one line per finding.
    fn write_metrics(&self, out: &mut String) {
        use std::fmt::Write as _;
        let totals = &self.metrics.totals;
        let _ = writeln!(out, "\nMetrics:");
        if self.metrics.not_read {
            let _ = writeln!(out, "  not read (counts and content checks only)");
        } else if totals.files_with_metrics == 0 {
            let _ = writeln!(out, "  no metric was recognised in any file");
        } else {
            let _ = writeln!(
                out,
                "  {} files with values ({} summaries or reports, {} duplicates)",
                totals.files_with_metrics, totals.derived_files, totals.duplicate_files
            );
            if self.metrics.from_summaries {
                let _ = writeln!(
                    out,
                    "  no file holds single runs: {} that summaries and reports state, compared \
                     in {} ({} failed)",
                    metrics::findings::plural(totals.runs as usize, "figure", "figures"),
                    metrics::findings::plural(
                        self.metrics.configurations.len(),
                        "configuration",
                        "configurations"
                    ),
                    totals.failed_runs
                );
            } else {
                let _ = writeln!(
                    out,
                    "  {} runs in {} configurations, {} failed runs",
                    totals.runs,
                    self.metrics.configurations.len(),
                    totals.failed_runs
                );
            }
        }
        for best in self.metrics.best.iter().filter(|b| b.within.is_none()) {
            let what = match best.metric {
                metrics::MetricId::TokensPerSecond => "Highest throughput",
                _ => "Lowest TTFT",
            };
            let _ = writeln!(
                out,
                "  {what}: {} at {} {} (n={}); {}",
                best.winner.label,
                best.winner.mean,
                best.metric.unit(),
                best.winner.n,
                best.judgement()
            );
        }
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nFindings ({}):", self.findings.len());
            for finding in &self.findings {
                let severity = match finding.severity {
                    metrics::Severity::Warning => "warning",
                    metrics::Severity::Info => "info",
                };
                let _ = writeln!(out, "  [{severity}] {}: {}", finding.kind, finding.reason);
            }
        }
    }
}

/// `1.2 MB`-style sizes, in powers of 1000 as file managers show them.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(seconds: i64) -> Option<Modified> {
        Some(Modified::exact(seconds, TimeSource::ExtendedTimestamp))
    }

    #[test]
    fn counts_types_folders_and_latest_times() {
        let mut builder = InventoryBuilder::new("x.zip", None);
        builder.add_file("reports/a.csv", 10, utc(100), Content::Bytes(b"a\n1\n"));
        builder.add_file("reports/b.md", 5, utc(300), Content::Bytes(b"# b"));
        builder.add_file("csv_data/c.json", 2, utc(200), Content::Bytes(b"{}"));
        builder.add_file("extra/d.bin", 7, utc(50), Content::Verified);
        builder.add_file("top.markdown", 1, None, Content::Bytes(b"x"));
        let inventory = builder.finish();
        assert_eq!(inventory.files, 5);
        assert_eq!(inventory.bytes, 25);
        assert_eq!(inventory.by_type.csv.count, 1);
        assert_eq!(inventory.by_type.md.count, 2);
        assert_eq!(
            inventory.by_type.md.latest_modified.as_deref(),
            Some("1970-01-01T00:05:00Z")
        );
        assert_eq!(inventory.by_type.other.bytes, 7);
        assert!(inventory.directories.reports.present);
        assert_eq!(inventory.directories.reports.files, 2);
        assert!(!inventory.directories.artifacts.present);
        assert_eq!(inventory.directories.other.get("extra"), Some(&1));
        assert_eq!(inventory.directories.top_level_files, 1);
        assert!(inventory.problems.is_empty());
    }

    #[test]
    fn junk_is_kept_out_of_the_counts() {
        let mut builder = InventoryBuilder::new("x.zip", None);
        builder.add_file("reports/a.csv", 4, None, Content::Bytes(b"a\n1\n"));
        builder.add_file("__MACOSX/reports/._a.csv", 100, None, Content::Verified);
        builder.add_file("reports/.DS_Store", 6000, None, Content::Verified);
        let inventory = builder.finish();
        assert_eq!(inventory.files, 1);
        assert_eq!(inventory.bytes, 4);
        assert_eq!(inventory.junk.len(), 2);
    }

    #[test]
    fn a_broken_file_is_reported_and_the_rest_still_counted() {
        let mut builder = InventoryBuilder::new("x.zip", None);
        builder.add_file("reports/bad.json", 3, None, Content::Bytes(b"{,}"));
        builder.add_file("reports/good.json", 2, None, Content::Bytes(b"{}"));
        let inventory = builder.finish();
        assert_eq!(inventory.files, 2);
        assert_eq!(inventory.by_type.json.count, 2);
        assert_eq!(inventory.problems.len(), 1);
        assert_eq!(inventory.problems[0].path, "reports/bad.json");
        assert_eq!(inventory.problems[0].kind, "invalid_json");
        assert_eq!(inventory.entries[0].status, Status::Error);
        assert_eq!(inventory.entries[1].status, Status::Ok);
    }

    #[test]
    fn a_zoneless_latest_time_is_flagged_as_such() {
        let mut builder = InventoryBuilder::new("x.zip", None);
        builder.add_file(
            "a.csv",
            1,
            Some(Modified::exact(500, TimeSource::DosLocal)),
            Content::Verified,
        );
        builder.add_file("b.csv", 1, utc(400), Content::Verified);
        let inventory = builder.finish();
        assert!(inventory.by_type.csv.latest_modified_zoneless);
        assert_eq!(
            inventory.by_type.csv.latest_modified.as_deref(),
            Some("1970-01-01T00:08:20")
        );
    }

    #[test]
    fn the_wrapping_folder_is_removed_from_paths() {
        let mut builder = InventoryBuilder::new("x.zip", Some("bench/".into()));
        builder.add_file("bench/reports/a.md", 1, None, Content::Bytes(b"a"));
        let inventory = builder.finish();
        assert_eq!(inventory.entries[0].path, "reports/a.md");
        assert!(inventory.directories.reports.present);
    }

    #[test]
    fn unsafe_names_are_flagged_but_inventoried() {
        let mut builder = InventoryBuilder::new("x.zip", None);
        builder.add_file("../../etc/evil.md", 1, None, Content::Bytes(b"a"));
        let inventory = builder.finish();
        assert_eq!(inventory.files, 1);
        assert_eq!(inventory.entries[0].status, Status::Warning);
        assert_eq!(inventory.problems[0].kind, "unsafe_path");
    }

    #[test]
    fn human_sizes_use_powers_of_a_thousand() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(590_563), "590.6 KB");
    }
}
