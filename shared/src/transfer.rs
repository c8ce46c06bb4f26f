//! An inventory cut into parts, to move it from the thread that read the
//! folder to the one that shows it.
//!
//! The page reads zips in a Web Worker, which hands the finished inventory
//! to the page as bytes. A large folder's inventory is tens of megabytes of
//! JSON; read back in one piece it would hold the page's thread for a few
//! hundred milliseconds. In parts (the folder's totals, then runs of file
//! entries and of per-file metrics) each piece is read in a few
//! milliseconds, and the page paints and answers input between them.

use serde::{Deserialize, Serialize};

use crate::inventory::{Entry, Inventory};
use crate::metrics::FileMetrics;

/// File entries per part.
pub const ENTRIES_PER_PART: usize = 2_000;
/// Per-file metrics per part: a file's values weigh more than its entry.
pub const FILE_METRICS_PER_PART: usize = 250;

/// One piece of an inventory.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Part {
    /// Everything but the file entries and the per-file metrics, with how
    /// many of each follow.
    Head {
        inventory: Box<Inventory>,
        entries: usize,
        file_metrics: usize,
    },
    Entries(Vec<Entry>),
    FileMetrics(Vec<FileMetrics>),
}

/// Cuts an inventory into JSON parts: the head first, then the entries and
/// the per-file metrics in order.
pub fn into_parts(mut inventory: Inventory) -> Vec<Vec<u8>> {
    let entries = std::mem::take(&mut inventory.entries);
    let files = std::mem::take(&mut inventory.metrics.files);
    let mut parts = Vec::with_capacity(
        1 + entries.len().div_ceil(ENTRIES_PER_PART) + files.len().div_ceil(FILE_METRICS_PER_PART),
    );
    let head = Part::Head {
        inventory: Box::new(inventory),
        entries: entries.len(),
        file_metrics: files.len(),
    };
    parts.push(encode(&head));
    let mut entries = entries.into_iter();
    loop {
        let chunk: Vec<Entry> = entries.by_ref().take(ENTRIES_PER_PART).collect();
        if chunk.is_empty() {
            break;
        }
        parts.push(encode(&Part::Entries(chunk)));
    }
    let mut files = files.into_iter();
    loop {
        let chunk: Vec<FileMetrics> = files.by_ref().take(FILE_METRICS_PER_PART).collect();
        if chunk.is_empty() {
            break;
        }
        parts.push(encode(&Part::FileMetrics(chunk)));
    }
    parts
}

fn encode(part: &Part) -> Vec<u8> {
    serde_json::to_vec(part).expect("an inventory always serialises")
}

/// Puts an inventory back together from the parts [`into_parts`] made, fed
/// one at a time in their order.
#[derive(Debug, Default)]
pub struct Assembler {
    head: Option<Inventory>,
    entries_expected: usize,
    file_metrics_expected: usize,
}

impl Assembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the next part.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), String> {
        let part: Part =
            serde_json::from_slice(bytes).map_err(|e| format!("a damaged inventory part: {e}"))?;
        match (part, self.head.as_mut()) {
            (
                Part::Head {
                    inventory,
                    entries,
                    file_metrics,
                },
                None,
            ) => {
                let mut inventory = *inventory;
                inventory.entries.reserve_exact(entries);
                inventory.metrics.files.reserve_exact(file_metrics);
                self.entries_expected = entries;
                self.file_metrics_expected = file_metrics;
                self.head = Some(inventory);
            }
            (Part::Head { .. }, Some(_)) => return Err("a second inventory head".into()),
            (_, None) => return Err("inventory parts before their head".into()),
            (Part::Entries(chunk), Some(inventory)) => inventory.entries.extend(chunk),
            (Part::FileMetrics(chunk), Some(inventory)) => inventory.metrics.files.extend(chunk),
        }
        Ok(())
    }

    /// The whole inventory, once every part has been read.
    pub fn finish(self) -> Result<Inventory, String> {
        let inventory = self.head.ok_or("no inventory was received")?;
        let (entries, files) = (inventory.entries.len(), inventory.metrics.files.len());
        if entries != self.entries_expected || files != self.file_metrics_expected {
            return Err(format!(
                "an incomplete inventory: {entries} of {} entries and {files} of {} files' metrics",
                self.entries_expected, self.file_metrics_expected
            ));
        }
        Ok(inventory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Limits, inventory_zip};

    fn example() -> Inventory {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../assets/examples/chimeraforge-reports.zip"
        );
        let bytes = std::fs::read(path).unwrap();
        inventory_zip("chimeraforge-reports.zip", bytes, Limits::default()).unwrap()
    }

    fn reassemble(parts: &[Vec<u8>]) -> Result<Inventory, String> {
        let mut assembler = Assembler::new();
        for part in parts {
            assembler.push(part)?;
        }
        assembler.finish()
    }

    #[test]
    fn parts_put_back_together_give_the_same_json() {
        let inventory = example();
        let json = inventory.to_json();
        let parts = into_parts(inventory);
        // 107 entries and 46 files with values: one part of each, and the head.
        assert_eq!(parts.len(), 3);
        assert_eq!(reassemble(&parts).unwrap().to_json(), json);
    }

    #[test]
    fn many_entries_make_many_parts_in_order() {
        let mut inventory = example();
        let first = inventory.entries[0].clone();
        inventory.entries = (0..ENTRIES_PER_PART * 2 + 7)
            .map(|i| Entry {
                path: format!("reports/{i:05}.csv"),
                ..first.clone()
            })
            .collect();
        let json = inventory.to_json();
        let parts = into_parts(inventory);
        assert_eq!(parts.len(), 1 + 3 + 1);
        assert_eq!(reassemble(&parts).unwrap().to_json(), json);
    }

    #[test]
    fn a_missing_or_damaged_part_is_named() {
        let parts = into_parts(example());
        let error = reassemble(&parts[..2]).unwrap_err();
        assert!(
            error.starts_with("an incomplete inventory: 107 of 107 entries and 0 of 46"),
            "{error}"
        );
        assert_eq!(
            reassemble(&parts[1..]).unwrap_err(),
            "inventory parts before their head"
        );
        let mut damaged = parts.clone();
        damaged[1].truncate(10);
        assert!(
            reassemble(&damaged)
                .unwrap_err()
                .starts_with("a damaged inventory part")
        );
        let doubled = [parts[0].clone(), parts[0].clone()];
        assert_eq!(reassemble(&doubled).unwrap_err(), "a second inventory head");
    }
}
