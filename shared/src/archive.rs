//! Reads a zip archive held in memory into an [`Inventory`], entry by entry,
//! within explicit limits, so that a hostile or broken archive costs bounded
//! time and memory and never hides the files that are fine.

use rustc_hash::FxHashSet as HashSet;
use std::io::{self, Cursor, Read};
use std::sync::Arc;

use zip::ZipArchive;
use zip::extra_fields::ExtraField;
use zip::result::ZipError;

use crate::classify::{self, FileType};
use crate::inventory::{Content, Inventory, InventoryBuilder};
use crate::timestamp::{Modified, TimeSource};

/// Encrypted entries are reported, never decrypted.
const ENCRYPTED: &str = "encrypted entry; Chimera does not ask for passwords";

/// Bounds on the work one archive may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries past this many are listed as skipped, not read.
    pub max_entries: usize,
    /// Largest uncompressed size read for one entry.
    pub max_entry_bytes: u64,
    /// Largest uncompressed total read over the whole archive.
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio for entries above `ratio_floor_bytes`.
    pub max_ratio: u64,
    /// Entries smaller than this are never refused for their ratio.
    pub ratio_floor_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 200_000,
            max_entry_bytes: 256 << 20,
            max_total_bytes: 4 << 30,
            max_ratio: 1_000,
            ratio_floor_bytes: 1 << 20,
        }
    }
}

/// Why nothing at all could be read from the input.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the file is empty")]
    Empty,
    #[error("not a zip archive: {0}")]
    NotZip(String),
    #[error("the zip archive is damaged and no entry could be recovered: {0}")]
    Damaged(String),
}

/// The archive's bytes, shared so that a failed open can still hand them to
/// the recovery scan without a copy.
#[derive(Clone)]
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// An archive being read, a few entries at a time so that a page can show
/// progress and stay responsive between steps.
pub struct ZipScan {
    archive: Option<ZipArchive<Cursor<SharedBytes>>>,
    builder: InventoryBuilder,
    limits: Limits,
    next: usize,
    total_entries: usize,
    read_bytes: u64,
    overlapping: HashSet<usize>,
    hit_total_limit: bool,
}

impl std::fmt::Debug for ZipScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipScan")
            .field("next", &self.next)
            .field("total", &self.total_entries)
            .finish()
    }
}

/// Reads a whole archive in one go.
pub fn inventory_zip(
    source: &str,
    bytes: Vec<u8>,
    limits: Limits,
) -> Result<Inventory, ArchiveError> {
    let mut scan = ZipScan::open(source, bytes, limits)?;
    while scan.step(usize::MAX) {}
    Ok(scan.finish())
}

impl ZipScan {
    /// Opens the archive and reads its central directory. Fails only when no
    /// entry at all can be had; a damaged directory is recovered from by
    /// scanning the local headers.
    pub fn open(source: &str, bytes: Vec<u8>, limits: Limits) -> Result<Self, ArchiveError> {
        if bytes.is_empty() {
            return Err(ArchiveError::Empty);
        }
        if let Some(what) = not_a_zip(&bytes) {
            return Err(ArchiveError::NotZip(what));
        }
        let bytes = SharedBytes(Arc::new(bytes));
        match ZipArchive::new(Cursor::new(bytes.clone())) {
            Ok(archive) => Ok(Self::from_archive(source, archive, limits)),
            Err(error) => {
                let why = describe_zip_error(&error);
                let builder =
                    recover(source, &bytes.0, &limits, &why).ok_or(ArchiveError::Damaged(why))?;
                Ok(Self {
                    archive: None,
                    builder,
                    limits,
                    next: 0,
                    total_entries: 0,
                    read_bytes: 0,
                    overlapping: HashSet::default(),
                    hit_total_limit: false,
                })
            }
        }
    }

    fn from_archive(
        source: &str,
        mut archive: ZipArchive<Cursor<SharedBytes>>,
        limits: Limits,
    ) -> Self {
        let total_entries = archive.len();
        let names: Vec<String> = (0..total_entries)
            .filter_map(|i| {
                archive
                    .by_index_data(i)
                    .ok()
                    .map(|e| decode_name(e.name_raw()).0)
            })
            .filter(|name| !classify::is_os_junk(name) && !name.ends_with('/'))
            .collect();
        let root = classify::wrapping_folder(names.iter().map(String::as_str));
        let mut builder = InventoryBuilder::new(source, root);
        let overlapping = find_overlaps(&mut archive);
        if !overlapping.is_empty() {
            builder.archive_problem(
                "overlapping_entries",
                format!(
                    "{} entries share compressed bytes with other entries, a zip-bomb construction; \
                     they were not read",
                    overlapping.len()
                ),
            );
        }
        if total_entries > limits.max_entries {
            builder.archive_problem(
                "entry_limit",
                format!(
                    "the archive has {total_entries} entries; only the first {} were read",
                    limits.max_entries
                ),
            );
        }
        Self {
            archive: Some(archive),
            builder,
            limits,
            next: 0,
            total_entries,
            read_bytes: 0,
            overlapping,
            hit_total_limit: false,
        }
    }

    /// Number of entries in the archive, folders included.
    pub fn total_entries(&self) -> usize {
        self.total_entries
    }

    /// Entries handled so far.
    pub fn done_entries(&self) -> usize {
        self.next
    }

    /// Uncompressed bytes read so far.
    pub fn read_bytes(&self) -> u64 {
        self.read_bytes
    }

    /// Handles up to `max_entries` entries; returns whether any remain.
    pub fn step(&mut self, max_entries: usize) -> bool {
        let Some(archive) = self.archive.as_mut() else {
            return false;
        };
        let end = self
            .total_entries
            .min(self.next.saturating_add(max_entries));
        while self.next < end {
            let index = self.next;
            self.next += 1;
            read_entry(
                archive,
                index,
                &mut self.builder,
                &self.limits,
                &mut self.read_bytes,
                &self.overlapping,
                &mut self.hit_total_limit,
            );
        }
        self.next < self.total_entries
    }

    pub fn finish(mut self) -> Inventory {
        while self.step(usize::MAX) {}
        // The archive's bytes are no longer needed: free them before the
        // cross-file work, whose peak is the inventory's.
        let ZipScan {
            archive, builder, ..
        } = self;
        drop(archive);
        builder.finish()
    }
}

fn read_entry(
    archive: &mut ZipArchive<Cursor<SharedBytes>>,
    index: usize,
    builder: &mut InventoryBuilder,
    limits: &Limits,
    read_bytes: &mut u64,
    overlapping: &HashSet<usize>,
    hit_total_limit: &mut bool,
) {
    // The raw view reads the local header but decompresses nothing.
    let entry = match archive.by_index_raw(index) {
        Ok(entry) => entry,
        Err(error) => {
            let what = describe_zip_error(&error);
            builder.archive_problem(
                "unreadable_entry",
                format!("entry #{index} could not be read: {what}"),
            );
            return;
        }
    };
    let (name, name_problem) = decode_name(entry.name_raw());
    if entry.is_dir() || name.ends_with('/') {
        return;
    }
    let size = entry.size();
    let compressed = entry.compressed_size();
    let modified = best_modified(entry.extra_data_fields(), entry.last_modified());
    let encrypted = entry.encrypted();
    let file_type = FileType::of_path(&name);
    drop(entry);

    if let Some(message) = name_problem {
        builder.file_problem(&name, "name_encoding", message);
    }
    if classify::is_os_junk(&name) {
        builder.add_file(&name, size, modified, Content::Verified);
        return;
    }
    if index >= limits.max_entries {
        builder.add_file(
            &name,
            size,
            modified,
            Content::skipped("entry_limit", "past the entry limit; not read"),
        );
        return;
    }
    if overlapping.contains(&index) {
        let message = "its data overlaps another entry's (zip-bomb construction); not read";
        builder.add_file(
            &name,
            size,
            modified,
            Content::skipped("overlapping_entry", message),
        );
        return;
    }
    if encrypted {
        let message = ENCRYPTED;
        builder.add_file(&name, size, modified, Content::error("encrypted", message));
        return;
    }
    if size > limits.max_entry_bytes {
        let message = format!(
            "declares {} uncompressed, above the {} per-file limit; not read",
            crate::inventory::human_bytes(size),
            crate::inventory::human_bytes(limits.max_entry_bytes)
        );
        builder.add_file(
            &name,
            size,
            modified,
            Content::skipped("entry_too_large", message),
        );
        return;
    }
    if size > limits.ratio_floor_bytes && size / compressed.max(1) > limits.max_ratio {
        let message = format!(
            "compresses {}:1, above the {}:1 limit (a zip bomb?); not read",
            size / compressed.max(1),
            limits.max_ratio
        );
        builder.add_file(
            &name,
            size,
            modified,
            Content::skipped("compression_ratio", message),
        );
        return;
    }
    if read_bytes.saturating_add(size) > limits.max_total_bytes {
        if !*hit_total_limit {
            *hit_total_limit = true;
            builder.archive_problem(
                "total_limit",
                format!(
                    "stopped reading file contents after {} uncompressed (the limit); later files are listed but not read",
                    crate::inventory::human_bytes(*read_bytes)
                ),
            );
        }
        builder.add_file(
            &name,
            size,
            modified,
            Content::skipped("total_limit", "past the total size limit; not read"),
        );
        return;
    }

    let mut file = match archive.by_index(index) {
        Ok(file) => file,
        Err(error) => {
            let (kind, message) = match &error {
                ZipError::UnsupportedArchive(msg) if *msg == ZipError::PASSWORD_REQUIRED => {
                    ("encrypted", ENCRYPTED.to_string())
                }
                ZipError::CompressionMethodNotSupported(method) => (
                    "unsupported_compression",
                    format!("compression method {method} is not supported"),
                ),
                other => ("unreadable_entry", describe_zip_error(other)),
            };
            builder.add_file(&name, size, modified, Content::error(kind, message));
            return;
        }
    };

    // Never trust the declared size: read at most one byte past the limit.
    let cap = limits.max_entry_bytes.min(size.saturating_add(1));
    let outcome = if file_type == FileType::Other {
        io::copy(&mut (&mut file).take(cap + 1), &mut io::sink()).map(|n| (n, None))
    } else {
        let mut data = Vec::with_capacity(usize::try_from(size.min(cap)).unwrap_or(0));
        (&mut file)
            .take(cap + 1)
            .read_to_end(&mut data)
            .map(|n| (n as u64, Some(data)))
    };
    drop(file);
    match outcome {
        Ok((n, _)) if n > size => {
            *read_bytes = read_bytes.saturating_add(n);
            let message =
                format!("holds more data than the {size} bytes its header declares; not read");
            builder.add_file(
                &name,
                size,
                modified,
                Content::error("size_mismatch", message),
            );
        }
        Ok((n, data)) => {
            *read_bytes = read_bytes.saturating_add(n);
            let content = match &data {
                Some(data) => Content::Bytes(data),
                None => Content::Verified,
            };
            builder.add_file(&name, size, modified, content);
        }
        Err(error) => {
            let (kind, message) = describe_read_error(&error);
            builder.add_file(&name, size, modified, Content::error(kind, message));
        }
    }
}

/// Reads entries front to back through their local headers, for archives
/// whose central directory is missing or damaged (typically a truncated
/// download). Returns `None` when not even one file could be recovered.
fn recover(source: &str, bytes: &[u8], limits: &Limits, why: &str) -> Option<InventoryBuilder> {
    struct Found {
        name: String,
        size: u64,
        modified: Option<Modified>,
        content: Result<Option<Vec<u8>>, (&'static str, String)>,
    }
    let mut found: Vec<Found> = Vec::new();
    let mut cursor = Cursor::new(bytes);
    let mut read_total = 0u64;
    let mut stopped: Option<String> = None;
    while found.len() < limits.max_entries {
        let mut file = match zip::read::read_zipfile_from_stream(&mut cursor) {
            Ok(Some(file)) => file,
            Ok(None) => break,
            Err(error) => {
                stopped = Some(describe_zip_error(&error));
                break;
            }
        };
        let (name, _) = decode_name(file.name_raw());
        if file.is_dir() || name.ends_with('/') {
            continue;
        }
        let modified = best_modified(file.extra_data_fields(), file.last_modified());
        let size = file.size();
        let keep = FileType::of_path(&name) != FileType::Other;
        let cap = limits
            .max_entry_bytes
            .min(limits.max_total_bytes.saturating_sub(read_total));
        let mut data = Vec::new();
        let content = match (&mut file).take(cap + 1).read_to_end(&mut data) {
            Ok(n) if n as u64 > cap => Err((
                "entry_too_large",
                "above the size limits; not read".to_string(),
            )),
            Ok(n) => {
                read_total += n as u64;
                Ok(keep.then_some(data))
            }
            Err(error) => Err(describe_read_error(&error)),
        };
        let failed = content.is_err();
        found.push(Found {
            name,
            size,
            modified,
            content,
        });
        if failed {
            // The stream position is unknown after a failed entry.
            break;
        }
    }
    if found.is_empty() {
        return None;
    }
    let root = classify::wrapping_folder(
        found
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| !classify::is_os_junk(n)),
    );
    let mut builder = InventoryBuilder::new(source, root);
    let mut message = format!(
        "the central directory could not be read ({why}); {} files were recovered by scanning \
         from the start",
        found.len()
    );
    if let Some(stopped) = stopped {
        message.push_str(&format!(
            ", and the scan stopped at a damaged entry ({stopped})"
        ));
    }
    builder.archive_problem("damaged_archive", message);
    for file in found {
        let content = match &file.content {
            Ok(Some(data)) => Content::Bytes(data),
            Ok(None) => Content::Verified,
            Err((kind, message)) => Content::error(kind, message.clone()),
        };
        builder.add_file(&file.name, file.size, file.modified, content);
    }
    Some(builder)
}

/// Entries whose compressed bytes overlap another entry's. An archive with
/// none (the usual case) costs one check.
fn find_overlaps(archive: &mut ZipArchive<Cursor<SharedBytes>>) -> HashSet<usize> {
    let mut overlapping = HashSet::default();
    if !archive.has_overlapping_files().unwrap_or(false) {
        return overlapping;
    }
    let mut ranges: Vec<(u64, u64, usize)> = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        if let Ok(file) = archive.by_index_raw(index) {
            let start = file.data_start().unwrap_or_else(|| file.header_start());
            ranges.push((start, start + file.compressed_size(), index));
        }
    }
    ranges.sort_unstable();
    let mut furthest: Option<(u64, usize)> = None;
    for (start, end, index) in ranges {
        if let Some((reach, owner)) = furthest
            && start < reach
        {
            overlapping.insert(index);
            overlapping.insert(owner);
        }
        if furthest.is_none_or(|(reach, _)| end > reach) {
            furthest = Some((end, index));
        }
    }
    overlapping
}

/// The most trustworthy modification time an entry carries.
fn best_modified<'a>(
    extra_fields: impl Iterator<Item = &'a ExtraField>,
    dos: Option<zip::DateTime>,
) -> Option<Modified> {
    let mut best: Option<Modified> = None;
    for field in extra_fields {
        let found = match field {
            ExtraField::ExtendedTimestamp(stamp) => stamp
                .mod_time()
                .map(|t| Modified::exact(i64::from(t), TimeSource::ExtendedTimestamp)),
            ExtraField::Ntfs(ntfs) => Modified::from_ntfs_ticks(ntfs.mtime()),
            _ => None,
        };
        if let Some(found) = found
            && best.is_none_or(|b| found.source > b.source)
        {
            best = Some(found);
        }
    }
    best.or_else(|| {
        let dos = dos?;
        Modified::from_dos(
            dos.year(),
            dos.month(),
            dos.day(),
            dos.hour(),
            dos.minute(),
            dos.second(),
        )
    })
}

/// The entry name as text, with a note when it was not valid UTF-8.
fn decode_name(raw: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(raw) {
        Ok(name) => (name.to_owned(), None),
        Err(_) => {
            // Pre-UTF-8 tools wrote names in the DOS code page 437, the zip
            // format's default; decoding with it always yields some text.
            let name: String = raw.iter().map(|b| cp437_char(*b)).collect();
            (
                name,
                Some("the name is not UTF-8; shown decoded as code page 437".into()),
            )
        }
    }
}

fn cp437_char(byte: u8) -> char {
    const HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";
    if byte < 0x80 {
        char::from(byte)
    } else {
        HIGH.chars()
            .nth(usize::from(byte - 0x80))
            .unwrap_or('\u{FFFD}')
    }
}

/// Recognises common non-zip uploads so the message can say what they are.
fn not_a_zip(bytes: &[u8]) -> Option<String> {
    const ZIP_MAGICS: [&[u8]; 3] = [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"];
    if ZIP_MAGICS.iter().any(|magic| bytes.starts_with(magic)) {
        return None;
    }
    // Self-extracting archives and zips with a prefix still end in a directory.
    if bytes.len() >= 22
        && bytes[bytes.len().saturating_sub(65_557)..]
            .windows(4)
            .any(|w| w == b"PK\x05\x06")
    {
        return None;
    }
    let what = if bytes.starts_with(&[0x1F, 0x8B]) {
        "it is gzip-compressed (a .tar.gz?); zip the folder instead"
    } else if bytes.starts_with(b"7z\xBC\xAF") {
        "it is a 7-Zip archive; zip the folder instead"
    } else if bytes.starts_with(b"Rar!") {
        "it is a RAR archive; zip the folder instead"
    } else if bytes.len() > 262 && &bytes[257..262] == b"ustar" {
        "it is a tar archive; zip the folder instead"
    } else if bytes.starts_with(b"%PDF") {
        "it is a PDF document"
    } else if std::str::from_utf8(&bytes[..bytes.len().min(1024)]).is_ok() {
        "it looks like plain text"
    } else {
        "it does not start with a zip signature"
    };
    Some(what.into())
}

fn describe_zip_error(error: &ZipError) -> String {
    match error {
        ZipError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            "it ends too early (truncated download?)".into()
        }
        ZipError::InvalidArchive(why) => format!("{why} (truncated or corrupt?)"),
        other => other.to_string(),
    }
}

fn describe_read_error(error: &io::Error) -> (&'static str, String) {
    let text = error.to_string();
    if text.contains("Invalid checksum") {
        (
            "crc_mismatch",
            "CRC mismatch: the data does not match its checksum (corrupt archive)".into(),
        )
    } else if error.kind() == io::ErrorKind::UnexpectedEof {
        (
            "truncated_entry",
            "the data ends early (truncated archive)".into(),
        )
    } else {
        ("corrupt_data", format!("could not decompress: {text}"))
    }
}
