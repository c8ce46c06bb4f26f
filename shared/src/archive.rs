//! Reads a zip archive into an [`Inventory`], entry by entry, within
//! explicit limits, so that a hostile or broken archive costs bounded time
//! and memory and never hides the files that are fine.
//!
//! The archive is either wholly in memory ([`ZipScan::open`]) or loaded a
//! window at a time ([`ZipScan::open_windowed`]): its central directory
//! first, then the bytes of the next few megabytes of entries, which the
//! caller fetches (the page from the picked `File`, the CLI from disk) when
//! [`ZipScan::wanted`] asks for them. Windowed, memory stays bounded by the
//! window, not the archive.

use rustc_hash::FxHashSet as HashSet;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use zip::ZipArchive;
use zip::extra_fields::ExtraField;
use zip::result::ZipError;

use crate::classify;
use crate::inventory::{Content, Finishing, Inventory, InventoryBuilder};
use crate::timestamp::{Modified, TimeSource};

/// Encrypted entries are reported, never decrypted.
const ENCRYPTED: &str = "encrypted entry; Chimera does not ask for passwords";

/// Bounds on the work one archive may cause, and whether it includes
/// reading the numbers inside the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Read the metrics inside CSV, JSON and Markdown files (on by
    /// default). Off, the inventory still checks every file's content but
    /// leaves `metrics` empty and skips the findings about numbers: for a
    /// quick count of a very large folder.
    pub read_metrics: bool,
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
            read_metrics: true,
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
    #[error("the file could not be read: {0}")]
    Unreadable(String),
}

/// A local header is 30 bytes plus the name plus an extra field of up to
/// 65,535 bytes whose length only the local header says; a data descriptor
/// of up to 24 bytes may follow the data. A window holding an entry's
/// header, name and data plus this much holds all of it.
const LOCAL_SLACK: u64 = 30 + 65_535 + 24;

/// The archive's bytes as the zip reader sees them: all of them, or the
/// pieces loaded so far (the central directory at the end, and a window of
/// entries). Reading outside the loaded pieces fails with an error that
/// names the offset, never with wrong bytes.
struct ArchiveBytes {
    len: u64,
    pos: u64,
    /// Shared with the [`ZipScan`], which swaps the window in and out.
    pieces: Pieces,
}

/// Loaded stretches of the archive, by offset.
type Pieces = Arc<Mutex<Vec<(u64, Arc<Vec<u8>>)>>>;

impl ArchiveBytes {
    fn new(len: u64, first: (u64, Arc<Vec<u8>>)) -> Self {
        ArchiveBytes {
            len,
            pos: 0,
            pieces: Arc::new(Mutex::new(vec![first])),
        }
    }
}

impl Read for ArchiveBytes {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        let pieces = self.pieces.lock().unwrap_or_else(|e| e.into_inner());
        let available = pieces.iter().find_map(|(start, bytes)| {
            let offset = usize::try_from(self.pos.checked_sub(*start)?).ok()?;
            (offset < bytes.len()).then(|| &bytes[offset..])
        });
        let Some(available) = available else {
            return Err(io::Error::other(format!(
                "byte {} of the archive was not loaded",
                self.pos
            )));
        };
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        drop(pieces);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ArchiveBytes {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the archive's start",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}

/// An archive being read, a few entries at a time so that a page can show
/// progress and stay responsive between steps.
pub struct ZipScan {
    archive: Option<ZipArchive<ArchiveBytes>>,
    /// The archive's length and loaded pieces, as its reader sees them.
    len: u64,
    pieces: Option<Pieces>,
    builder: InventoryBuilder,
    limits: Limits,
    next: usize,
    /// Entries before this one have their bytes loaded (all of them when the
    /// archive is wholly in memory).
    loaded_until: usize,
    /// The entries and bytes [`Self::wanted`] last asked for.
    pending: Option<(usize, Range<u64>)>,
    total_entries: usize,
    /// This scan reads the entries before this one (all of them unless
    /// [`Self::keep_entries`] said otherwise).
    end: usize,
    /// Problems found on opening, about the whole archive: a scan of the
    /// other half has them too.
    opening_problems: usize,
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

/// How much of an archive's end is read first, for its central directory;
/// read again four times longer until the directory fits.
pub const FIRST_TAIL_BYTES: u64 = 4 << 20;

/// How much of an archive is loaded at a time when reading it in windows.
pub const WINDOW_BYTES: u64 = 2 << 20;

/// Reads a zip file from disk a window at a time, so memory stays bounded
/// by the window rather than the file. Falls back to reading it whole when
/// it does not open that way, to recover what it can and say what is wrong.
pub fn inventory_zip_path(
    source: &str,
    path: &std::path::Path,
    limits: Limits,
) -> Result<Inventory, ArchiveError> {
    use std::fs::File;
    let io_error = |e: io::Error| ArchiveError::Unreadable(e.to_string());
    let mut file = File::open(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    let read_range = |file: &mut File, range: Range<u64>| -> io::Result<Vec<u8>> {
        let mut bytes = vec![0; usize::try_from(range.end - range.start).unwrap_or(0)];
        file.seek(SeekFrom::Start(range.start))?;
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    };
    let mut tail = FIRST_TAIL_BYTES.min(len);
    let scan = loop {
        let bytes = read_range(&mut file, len - tail..len).map_err(io_error)?;
        if tail == len {
            // The whole file: read it as such, with recovery.
            break ZipScan::open(source, bytes, limits)?;
        }
        if let Some(scan) = ZipScan::open_windowed(source, len, bytes, limits) {
            break scan;
        }
        tail = tail.saturating_mul(4).min(len);
    };
    let mut scan = scan;
    loop {
        if let Some(range) = scan.wanted(WINDOW_BYTES) {
            match read_range(&mut file, range.clone()) {
                Ok(bytes) => scan.provide(range.start, bytes),
                // The rest is listed as unreadable by `finish`.
                Err(_) => break,
            }
        }
        if !scan.step(usize::MAX) {
            break;
        }
    }
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
        let bytes = Arc::new(bytes);
        let len = bytes.len() as u64;
        let reader = ArchiveBytes::new(len, (0, bytes.clone()));
        let pieces = reader.pieces.clone();
        match ZipArchive::new(reader) {
            Ok(archive) => {
                let mut scan = Self::from_archive(source, archive, len, pieces, limits);
                scan.loaded_until = scan.end;
                Ok(scan)
            }
            Err(error) => {
                let why = describe_zip_error(&error);
                let builder =
                    recover(source, &bytes, &limits, &why).ok_or(ArchiveError::Damaged(why))?;
                Ok(Self {
                    archive: None,
                    len,
                    pieces: None,
                    builder,
                    limits,
                    next: 0,
                    loaded_until: 0,
                    pending: None,
                    total_entries: 0,
                    end: 0,
                    opening_problems: 0,
                    read_bytes: 0,
                    overlapping: HashSet::default(),
                    hit_total_limit: false,
                })
            }
        }
    }

    /// Opens an archive of `len` bytes from its last bytes, `tail` (which
    /// start at `len - tail.len()`): they must hold the central directory.
    /// Entries are then read as the caller provides their bytes (see
    /// [`Self::wanted`]). `None` when the archive cannot be opened this way
    /// (the central directory is not within `tail`, or is damaged, or the
    /// file is not a zip): the caller tries a longer tail, or reads the
    /// whole file with [`Self::open`], which recovers what it can and names
    /// what is wrong.
    pub fn open_windowed(source: &str, len: u64, tail: Vec<u8>, limits: Limits) -> Option<Self> {
        let start = len.checked_sub(tail.len() as u64)?;
        let reader = ArchiveBytes::new(len, (start, Arc::new(tail)));
        let pieces = reader.pieces.clone();
        let archive = ZipArchive::new(reader).ok()?;
        Some(Self::from_archive(source, archive, len, pieces, limits))
    }

    /// The bytes the next entries need, about `budget` of them (more when
    /// one entry alone needs more), or `None` when they are loaded or no
    /// entries are left. Pass them to [`Self::provide`].
    pub fn wanted(&mut self, budget: u64) -> Option<Range<u64>> {
        if self.next < self.loaded_until || self.next >= self.end {
            return None;
        }
        let (end_index, range) = self.window(self.next, budget)?;
        self.pending = Some((end_index, range.clone()));
        Some(range)
    }

    /// The window [`Self::wanted`] will ask for once the loaded one is done,
    /// or `None` when no entries are left after it: a reader can fetch it
    /// while the scan works through the current one.
    pub fn following(&self, budget: u64) -> Option<Range<u64>> {
        if self.loaded_until >= self.end || self.next > self.loaded_until {
            return None;
        }
        self.window(self.loaded_until, budget)
            .map(|(_, range)| range)
    }

    /// The entries from `first` on whose bytes fit in about `budget`: the
    /// index after the last of them, and the range they span.
    fn window(&self, first: usize, budget: u64) -> Option<(usize, Range<u64>)> {
        let archive = self.archive.as_ref()?;
        let len = self.len;
        let mut range: Option<Range<u64>> = None;
        let mut end_index = first;
        while end_index < self.end {
            let Ok(entry) = archive.by_index_data(end_index) else {
                end_index += 1;
                continue;
            };
            let start = entry.header_start().min(len);
            let end = start
                .saturating_add(entry.name_raw().len() as u64)
                .saturating_add(entry.compressed_size())
                .saturating_add(LOCAL_SLACK)
                .min(len);
            let grown = match &range {
                Some(r) => r.start.min(start)..r.end.max(end),
                None => start..end,
            };
            if range.is_some() && grown.end - grown.start > budget {
                break;
            }
            range = Some(grown);
            end_index += 1;
        }
        Some((end_index, range.unwrap_or(len..len)))
    }

    /// The bytes [`Self::wanted`] asked for, starting at `start`. They
    /// replace the previous window.
    pub fn provide(&mut self, start: u64, bytes: Vec<u8>) {
        let Some(pieces) = &self.pieces else {
            return;
        };
        let mut pieces = pieces.lock().unwrap_or_else(|e| e.into_inner());
        // The central directory was parsed when the archive was opened: the
        // tail it came from is not needed any more, nor the last window.
        pieces.clear();
        pieces.push((start, Arc::new(bytes)));
        drop(pieces);
        match self.pending.take() {
            Some((end_index, wanted)) if wanted.start == start => {
                self.loaded_until = end_index;
            }
            // Bytes other than those asked for: read one entry, which fails
            // with "not loaded" if they do not hold it.
            _ => self.loaded_until = self.next + 1,
        }
    }

    fn from_archive(
        source: &str,
        archive: ZipArchive<ArchiveBytes>,
        len: u64,
        pieces: Pieces,
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
        builder.read_metrics(limits.read_metrics);
        let text_files = names.iter().filter(|name| classify::is_read(name)).count();
        builder.reserve(
            names.len().min(limits.max_entries),
            text_files.min(limits.max_entries),
        );
        let overlapping = find_overlaps(&archive);
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
        let opening_problems = builder.problem_count();
        Self {
            archive: Some(archive),
            len,
            pieces: Some(pieces),
            builder,
            limits,
            next: 0,
            loaded_until: 0,
            pending: None,
            total_entries,
            end: total_entries,
            opening_problems,
            read_bytes: 0,
            overlapping,
            hit_total_limit: false,
        }
    }

    /// Where to cut the entries for two scans of the same archive to read
    /// one part each, about the same work on either side of the cut, with
    /// [`Self::keep_entries`], [`Self::into_part`] and [`Self::absorb`]; or
    /// `None` when the archive cannot be read that way and gives the same
    /// inventory. It cannot when the numbers are read (their statistics are
    /// made across all files), when it was
    /// recovered without its central directory, when it has too few entries
    /// to be worth it, or when the total size limit could be reached (which
    /// files it stops at depends on everything read before them).
    pub fn halves(&self) -> Option<usize> {
        /// What reading an entry costs besides its bytes, in bytes.
        const ENTRY_COST: u64 = 2_000;
        const MIN_ENTRIES: usize = 1_000;
        let archive = self.archive.as_ref()?;
        if self.limits.read_metrics
            || self.next != 0
            || self.end != self.total_entries
            || self.total_entries < MIN_ENTRIES
            || self.total_entries > self.limits.max_entries
        {
            return None;
        }
        // An entry is read up to a byte past its declared size (and found
        // to lie): this many bytes at most are read in all.
        let sizes: Vec<u64> = (0..self.total_entries)
            .map(|i| archive.by_index_data(i).map_or(0, |e| e.size()))
            .collect();
        let most_read = sizes
            .iter()
            .fold(0u64, |sum, size| sum.saturating_add(size.saturating_add(1)));
        if most_read > self.limits.max_total_bytes {
            return None;
        }
        let work: u64 = sizes
            .iter()
            .map(|size| size.saturating_add(ENTRY_COST))
            .sum();
        let mut done = 0u64;
        let cut = sizes.iter().position(|size| {
            done += size.saturating_add(ENTRY_COST);
            done * 2 >= work
        })?;
        Some((cut + 1).min(self.total_entries - 1))
    }

    /// Reads only the entries in `range` from now on: before the first step,
    /// a part of the archive; after, the rest of it, when the scan that was
    /// to read it could not.
    pub fn keep_entries(&mut self, range: Range<usize>) {
        self.end = range.end.min(self.total_entries);
        self.next = range.start.min(self.end);
        self.loaded_until = self.loaded_until.max(self.next);
    }

    /// This scan's entries and their problems, once every entry in its range
    /// is read, to be [absorbed](Self::absorb) by the scan of the part
    /// before it.
    pub fn into_part(mut self) -> crate::split::ScanPart {
        self.read_the_rest();
        self.builder.split_off(self.opening_problems)
    }

    /// Adds the part read by the scan of the entries after this one's,
    /// once every entry in this one's range is read.
    pub fn absorb(&mut self, part: crate::split::ScanPart) {
        self.read_the_rest();
        self.builder.absorb(part);
    }

    /// Lists the entries in range whose bytes never came as unreadable.
    fn read_the_rest(&mut self) {
        self.loaded_until = self.end;
        while self.step(usize::MAX) {}
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

    /// Handles up to `max_entries` entries whose bytes are loaded; returns
    /// whether any entries remain (windowed, ask [`Self::wanted`] what to
    /// load for them).
    pub fn step(&mut self, max_entries: usize) -> bool {
        let Some(archive) = self.archive.as_mut() else {
            return false;
        };
        let end = self
            .loaded_until
            .min(self.end)
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
        self.next < self.end
    }

    /// The inventory. Entries whose bytes were never provided are listed
    /// as unreadable.
    pub fn finish(self) -> Inventory {
        self.finishing().inventory()
    }

    /// Like [`Self::finish`], with the cross-file work left to be done a
    /// step at a time ([`Finishing::step`]).
    pub fn finishing(mut self) -> Finishing {
        self.read_the_rest();
        // The archive's bytes are no longer needed: free them before the
        // cross-file work, whose peak is the inventory's.
        let ZipScan {
            archive,
            pieces,
            builder,
            ..
        } = self;
        drop(archive);
        drop(pieces);
        builder.finishing()
    }
}

thread_local! {
    /// The buffer entries are inflated into, reused from entry to entry
    /// natively. A buffer per entry (megabytes for a large sweep) left
    /// glibc's heap fragmented between the small allocations that outlive a
    /// file: the CLI's peak RSS on the benchmark zip was 179 MB with one,
    /// 155 MB with this.
    static ENTRY_BYTES: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest buffer kept for the next entry; a larger one is freed.
#[cfg(not(target_arch = "wasm32"))]
const KEPT_ENTRY_BYTES: Option<usize> = Some(16 << 20);
/// In the page a fresh buffer per entry measured better on every count (the
/// benchmark zip read in 3.1 s against 3.5 s, 89 MB of WebAssembly memory
/// against 92, the longest task 74 ms against 111 without the metrics), so
/// none is kept there.
#[cfg(target_arch = "wasm32")]
const KEPT_ENTRY_BYTES: Option<usize> = None;

fn read_entry(
    archive: &mut ZipArchive<ArchiveBytes>,
    index: usize,
    builder: &mut InventoryBuilder,
    limits: &Limits,
    read_bytes: &mut u64,
    overlapping: &HashSet<usize>,
    hit_total_limit: &mut bool,
) {
    // The raw view reads the local header but decompresses nothing.
    // Reading the local header first, apart, lets a failure fall back on
    // the central directory (the header's position is remembered, so the
    // second call reads nothing more).
    if let Err(error) = archive.by_index_raw(index).map(drop) {
        let what = describe_zip_error(&error);
        // The central directory still says what the file is.
        match archive.by_index_data(index) {
            Ok(entry) if !entry.is_dir() => {
                let (name, _) = decode_name(entry.name_raw());
                let modified = best_modified(std::iter::empty(), entry.last_modified());
                let message = format!("its local header could not be read: {what}");
                let failed = Content::error("unreadable_entry", message);
                builder.add_file(&name, entry.size(), modified, failed);
            }
            Ok(_) => {}
            Err(_) => builder.archive_problem(
                "unreadable_entry",
                format!("entry #{index} could not be read: {what}"),
            ),
        }
        return;
    }
    let Ok(entry) = archive.by_index_raw(index) else {
        return;
    };
    let (name, name_problem) = decode_name(entry.name_raw());
    if entry.is_dir() || name.ends_with('/') {
        return;
    }
    let size = entry.size();
    let compressed = entry.compressed_size();
    let modified = best_modified(entry.extra_data_fields(), entry.last_modified());
    let encrypted = entry.encrypted();
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
    let outcome = if !classify::is_read(&name) {
        io::copy(&mut (&mut file).take(cap + 1), &mut io::sink()).map(|n| (n, None))
    } else {
        let mut data = ENTRY_BYTES.take();
        data.clear();
        data.reserve(usize::try_from(size.min(cap)).unwrap_or(0));
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
            if let (Some(data), Some(kept)) = (data, KEPT_ENTRY_BYTES)
                && data.capacity() <= kept
            {
                ENTRY_BYTES.set(data);
            }
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
        let keep = classify::is_read(&name);
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
    builder.read_metrics(limits.read_metrics);
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

/// Entries whose compressed bytes overlap another entry's, from the central
/// directory alone (a windowed archive has not loaded the local headers).
/// An entry's data is taken to start right after its local header and name
/// with no extra field: in a well-formed archive the next entry's header
/// still starts at or after that entry's data ends, so only entries that
/// really share bytes are caught.
fn find_overlaps(archive: &ZipArchive<ArchiveBytes>) -> HashSet<usize> {
    let mut overlapping = HashSet::default();
    let mut ranges: Vec<(u64, u64, usize)> = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        if let Ok(file) = archive.by_index_data(index) {
            let start = file
                .header_start()
                .saturating_add(30 + file.name_raw().len() as u64);
            ranges.push((start, start.saturating_add(file.compressed_size()), index));
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
