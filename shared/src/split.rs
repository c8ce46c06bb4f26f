//! Reading a large folder on two threads, two ways. The page does this with
//! two workers; either way the result is the same inventory, byte for byte,
//! as one thread reading it all (see the tests).
//!
//! With the numbers read, one thread unpacks and checks every file (the
//! inventory), the other reads the numbers inside the text files (the
//! metrics), each file as soon as the first hands it over.
//!
//! The reading side is a [`crate::ZipScan`] (or an
//! [`InventoryBuilder`](crate::InventoryBuilder)) told to
//! [`hand over`](crate::InventoryBuilder::hand_over_read_files) the files
//! it reads: it then only checks them, and collects their bytes in a
//! [`HandOver`]. The numbers' side feeds those to a [`NumbersReader`], and
//! once the reading side is done, finishes with the [`FinishContext`] it
//! sends: the folder's layout, problems and times, which the lint needs.

//! Without them, each thread reads part of a zip's entries: the one with
//! the first part cuts where [`ZipScan::halves`](crate::ZipScan::halves)
//! says, and absorbs the other's [`ScanPart`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classify::FileType;
use crate::inventory::{Directories, Entry, JunkEntry, Problem};
use crate::metrics::{self, Finding, Metrics, MetricsCollector};
use crate::timestamp::{Modified, TimeSource};

/// Files handed from the reading side to the numbers' side, back to back in
/// one buffer: for each, its path's length (4 bytes, little-endian), the
/// path, its type (1 byte), its length (4 bytes) and its bytes.
#[derive(Debug, Default)]
pub struct HandOver {
    buffer: Vec<u8>,
    files: usize,
}

const TYPES: [FileType; 4] = [FileType::Csv, FileType::Json, FileType::Md, FileType::Other];

impl HandOver {
    pub fn push(&mut self, path: &str, file_type: FileType, bytes: &[u8]) {
        let (Ok(path_len), Ok(len)) = (u32::try_from(path.len()), u32::try_from(bytes.len()))
        else {
            // Past 4 GiB: beyond every read limit, never handed over.
            return;
        };
        let type_code = TYPES.iter().position(|t| *t == file_type).unwrap_or(3) as u8;
        self.buffer.reserve(9 + path.len() + bytes.len());
        self.buffer.extend_from_slice(&path_len.to_le_bytes());
        self.buffer.extend_from_slice(path.as_bytes());
        self.buffer.push(type_code);
        self.buffer.extend_from_slice(&len.to_le_bytes());
        self.buffer.extend_from_slice(bytes);
        self.files += 1;
    }

    /// Bytes held so far.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files == 0
    }

    /// The buffer to send.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buffer
    }
}

/// The files in a buffer [`HandOver::into_bytes`] made, in the order they
/// were handed over.
pub fn handed_files(
    buffer: &[u8],
) -> impl Iterator<Item = Result<(&str, FileType, &[u8]), String>> {
    let mut rest = buffer;
    let mut failed = false;
    std::iter::from_fn(move || {
        if rest.is_empty() || failed {
            return None;
        }
        let file = read_file(&mut rest);
        failed = file.is_err();
        Some(file)
    })
}

fn read_file<'a>(rest: &mut &'a [u8]) -> Result<(&'a str, FileType, &'a [u8]), String> {
    let damaged = || "damaged hand-over buffer".to_string();
    let mut take = |n: usize| -> Result<&'a [u8], String> {
        if rest.len() < n {
            return Err(damaged());
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Ok(head)
    };
    let length = |bytes: &[u8]| u32::from_le_bytes(bytes.try_into().unwrap_or([0; 4])) as usize;
    let path_len = length(take(4)?);
    let path = std::str::from_utf8(take(path_len)?).map_err(|_| damaged())?;
    let file_type = *TYPES.get(usize::from(take(1)?[0])).ok_or_else(damaged)?;
    let len = length(take(4)?);
    Ok((path, file_type, take(len)?))
}

/// The files one scan of a zip read of its part of the entries, and what it
/// found wrong with them, in the order found.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanPart {
    pub entries: Vec<(Entry, Option<Modified>)>,
    pub problems: Vec<Problem>,
    pub junk: Vec<JunkEntry>,
}

/// What the numbers' side needs from the reading side to finish: the
/// folder's layout, its problems and each file's modification time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinishContext {
    pub directories: Directories,
    pub problems: Vec<Problem>,
    pub modified: Vec<(String, i64, TimeSource)>,
}

impl FinishContext {
    pub fn new(
        directories: &Directories,
        problems: &[Problem],
        modified: &BTreeMap<String, Modified>,
    ) -> Self {
        Self {
            directories: directories.clone(),
            problems: problems.to_vec(),
            modified: modified
                .iter()
                .map(|(path, m)| (path.clone(), m.unix_seconds, m.source))
                .collect(),
        }
    }
}

/// The numbers' side: reads the files handed over, in order.
#[derive(Debug, Default)]
pub struct NumbersReader {
    collector: MetricsCollector,
    files: usize,
}

impl NumbersReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads every file in a handed-over buffer; returns how many.
    pub fn read(&mut self, buffer: &[u8]) -> Result<usize, String> {
        let mut read = 0;
        for file in handed_files(buffer) {
            let (path, file_type, bytes) = file?;
            // The verdict on the content is the reading side's to give.
            let _ = self.collector.add(path, file_type, bytes);
            read += 1;
        }
        self.files += read;
        Ok(read)
    }

    /// Files read so far.
    pub fn files(&self) -> usize {
        self.files
    }

    /// The cross-file work, to be done a step at a time.
    pub fn finishing(self, context: FinishContext) -> NumbersFinishing {
        NumbersFinishing {
            metrics: self.collector.finishing(),
            directories: context.directories,
            problems: context.problems,
            modified: context
                .modified
                .into_iter()
                .map(|(path, unix_seconds, source)| {
                    (
                        path,
                        Modified {
                            unix_seconds,
                            source,
                        },
                    )
                })
                .collect(),
        }
    }
}

/// [`NumbersReader`]'s cross-file work (statistics, the lint).
#[derive(Debug)]
pub struct NumbersFinishing {
    metrics: metrics::Finishing,
    directories: Directories,
    problems: Vec<Problem>,
    modified: BTreeMap<String, Modified>,
}

impl NumbersFinishing {
    /// Does the next bounded piece of work; `true` once all is done.
    pub fn step(&mut self) -> bool {
        self.metrics.step(&metrics::findings::Context {
            directories: &self.directories,
            problems: &self.problems,
            modified: &self.modified,
        })
    }

    /// The metrics and the findings, which replace the reading side's.
    pub fn result(mut self) -> (Metrics, Vec<Finding>) {
        while !self.step() {}
        self.metrics.result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Limits, ZipScan};

    /// Reads `zip` on "two threads" taking turns, as the page's workers do.
    fn read_split(zip: Vec<u8>, batch: usize) -> crate::Inventory {
        let mut scan = ZipScan::open("reports.zip", zip, Limits::default()).unwrap();
        scan.hand_over_read_files();
        let mut numbers = NumbersReader::new();
        loop {
            let more = scan.step(batch);
            if let Some(handed) = scan.take_handed_over() {
                numbers.read(&handed.into_bytes()).unwrap();
            }
            if !more {
                break;
            }
        }
        let finishing = scan.finishing();
        let context = finishing.context();
        // The context crosses between threads as JSON.
        let context: FinishContext =
            serde_json::from_str(&serde_json::to_string(&context).unwrap()).unwrap();
        let mut inventory = finishing.inventory();
        let (metrics, findings) = numbers.finishing(context).result();
        inventory.metrics = metrics;
        inventory.findings = findings;
        inventory
    }

    #[test]
    fn the_example_read_on_two_sides_is_the_same_inventory() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../assets/examples/chimeraforge-reports.zip"
        );
        let zip = std::fs::read(path).unwrap();
        let whole = ZipScan::open("reports.zip", zip.clone(), Limits::default())
            .unwrap()
            .finish();
        for batch in [1, 7, 64] {
            assert_eq!(read_split(zip.clone(), batch).to_json(), whole.to_json());
        }
        assert!(!whole.metrics.files.is_empty());
        assert!(!whole.findings.is_empty());
    }

    #[test]
    fn fixtures_with_broken_files_read_on_two_sides_are_the_same_inventory() {
        for name in [
            "messy-reports.zip",
            "summaries-only.zip",
            "tool-outputs.zip",
        ] {
            let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
            let zip = std::fs::read(path).unwrap();
            let whole = ZipScan::open("reports.zip", zip.clone(), Limits::default())
                .unwrap()
                .finish();
            assert_eq!(read_split(zip, 3).to_json(), whole.to_json(), "{name}");
        }
    }

    #[test]
    fn a_hand_over_buffer_gives_back_its_files_and_names_damage() {
        let mut handed = HandOver::default();
        handed.push("reports/a.csv", FileType::Csv, b"x,y\n1,2\n");
        handed.push("reports/é.json", FileType::Json, b"{}");
        handed.push("run.log", FileType::Other, b"");
        assert_eq!(handed.len(), 3 * 9 + 13 + 8 + 15 + 2 + 7);
        let bytes = handed.into_bytes();
        let files: Vec<_> = handed_files(&bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            files,
            vec![
                ("reports/a.csv", FileType::Csv, &b"x,y\n1,2\n"[..]),
                ("reports/é.json", FileType::Json, &b"{}"[..]),
                ("run.log", FileType::Other, &b""[..]),
            ]
        );
        let cut = &bytes[..bytes.len() - 1];
        let read: Vec<_> = handed_files(cut).collect();
        assert_eq!(read.len(), 3);
        assert_eq!(read[2], Err("damaged hand-over buffer".to_string()));
    }
}
