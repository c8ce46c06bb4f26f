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
    let mut read_total = 0u64;
    let mut seen = 0usize;
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
        seen += 1;
        let metadata = item.metadata().ok();
        let size = metadata.as_ref().map_or(0, fs::Metadata::len);
        let modified = metadata
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .map(|secs| Modified::exact(secs, TimeSource::FileSystem));
        if seen > limits.max_entries {
            builder.add_file(
                &path,
                size,
                modified,
                Content::skipped("entry_limit", "past the entry limit; not read"),
            );
            continue;
        }
        if !classify::is_read(&path) {
            builder.add_file(&path, size, modified, Content::Verified);
            continue;
        }
        if size > limits.max_entry_bytes {
            builder.add_file(
                &path,
                size,
                modified,
                Content::skipped("entry_too_large", "above the per-file limit; not read"),
            );
            continue;
        }
        if read_total.saturating_add(size) > limits.max_total_bytes {
            builder.add_file(
                &path,
                size,
                modified,
                Content::skipped("total_limit", "past the total size limit; not read"),
            );
            continue;
        }
        match fs::read(item.path()) {
            Ok(data) => {
                read_total += data.len() as u64;
                builder.add_file(&path, size, modified, Content::Bytes(&data));
            }
            Err(error) => {
                let message = format!("could not read: {error}");
                builder.add_file(
                    &path,
                    size,
                    modified,
                    Content::error("unreadable_entry", message),
                );
            }
        }
    }
    Ok(builder.finish())
}
