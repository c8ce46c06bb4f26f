//! Reads a folder on disk into an [`Inventory`], with the same rules as a zip.

use std::fs;
use std::path::Path;

use crate::archive::Limits;
use crate::classify;
use crate::inventory::{Content, Inventory, InventoryBuilder};
use crate::timestamp::{Modified, TimeSource};

/// Walks `root` (symbolic links are not followed) and inventories every file
/// under it, paths relative to `root`.
pub fn inventory_folder(root: &Path, limits: Limits) -> std::io::Result<Inventory> {
    let source = root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut builder = InventoryBuilder::new(source, None);
    builder.read_metrics(limits.read_metrics);
    let mut rules = FolderLimits::new(limits);
    for item in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
    {
        let item = match item {
            Ok(item) => item,
            Err(error) => {
                let path = error
                    .path()
                    .and_then(|p| p.strip_prefix(root).ok())
                    .map(|p| p.to_string_lossy().into_owned());
                builder.archive_problem(
                    "unreadable_entry",
                    format!("{}: {error}", path.unwrap_or_default()),
                );
                continue;
            }
        };
        if !item.file_type().is_file() {
            continue;
        }
        let Ok(relative) = item.path().strip_prefix(root) else {
            continue;
        };
        let path = relative.to_string_lossy().replace('\\', "/");
        let metadata = item.metadata().ok();
        let size = metadata.as_ref().map_or(0, fs::Metadata::len);
        let modified = metadata
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .map(|secs| Modified::exact(secs, TimeSource::FileSystem));
        match rules.next(&path, size) {
            FolderFile::Add(content) => builder.add_file(&path, size, modified, content),
            FolderFile::Read => match fs::read(item.path()) {
                Ok(data) => {
                    rules.was_read(data.len() as u64);
                    builder.add_file(&path, size, modified, Content::Bytes(&data));
                }
                Err(error) => builder.add_file(&path, size, modified, unreadable(error)),
            },
        }
    }
    Ok(builder.finish())
}

/// What becomes of one file of a folder: its bytes are read, or it is
/// added as it is.
#[derive(Debug)]
pub enum FolderFile {
    Read,
    Add(Content<'static>),
}

/// The limits a folder's files are read under, one file at a time: the same
/// for the CLI's walk on disk and the page's picked folders.
#[derive(Debug)]
pub struct FolderLimits {
    limits: Limits,
    seen: usize,
    read_total: u64,
}

impl FolderLimits {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            seen: 0,
            read_total: 0,
        }
    }

    /// Whether the next file, `path` of `size` bytes, is read. Files whose
    /// contents are never looked at (not CSV, JSON, Markdown or console
    /// text; OS junk) are not read.
    pub fn next(&mut self, path: &str, size: u64) -> FolderFile {
        self.seen += 1;
        let limits = &self.limits;
        if self.seen > limits.max_entries {
            FolderFile::Add(Content::skipped(
                "entry_limit",
                "past the entry limit; not read",
            ))
        } else if !classify::is_read(path) || classify::is_os_junk(path) {
            FolderFile::Add(Content::Verified)
        } else if size > limits.max_entry_bytes {
            FolderFile::Add(Content::skipped(
                "entry_too_large",
                "above the per-file limit; not read",
            ))
        } else if self.read_total.saturating_add(size) > limits.max_total_bytes {
            FolderFile::Add(Content::skipped(
                "total_limit",
                "past the total size limit; not read",
            ))
        } else {
            FolderFile::Read
        }
    }

    /// Counts `bytes` read toward the total limit.
    pub fn was_read(&mut self, bytes: u64) {
        self.read_total += bytes;
    }
}

/// A file that could not be read.
pub fn unreadable(error: impl std::fmt::Display) -> Content<'static> {
    Content::error("unreadable_entry", format!("could not read: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Status;

    fn kind(file: FolderFile) -> &'static str {
        match file {
            FolderFile::Read => "read",
            FolderFile::Add(Content::Verified) => "verified",
            FolderFile::Add(Content::Failed { kind, status, .. }) => {
                assert_eq!(status, Status::Skipped);
                kind
            }
            FolderFile::Add(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn files_are_read_within_the_limits_and_named_past_them() {
        let mut rules = FolderLimits::new(Limits {
            max_entries: 5,
            max_entry_bytes: 100,
            max_total_bytes: 150,
            ..Limits::default()
        });
        assert_eq!(kind(rules.next("a/runs.csv", 80)), "read");
        rules.was_read(80);
        // Never looked at: a picture, and OS junk with a readable name.
        assert_eq!(kind(rules.next("a/plot.png", 10)), "verified");
        assert_eq!(kind(rules.next("__MACOSX/a/._runs.csv", 10)), "verified");
        assert_eq!(kind(rules.next("a/huge.json", 101)), "entry_too_large");
        assert_eq!(kind(rules.next("a/more.json", 80)), "total_limit");
        assert_eq!(kind(rules.next("a/late.md", 1)), "entry_limit");
    }
}
