//! An inventory cut into parts, to move it from the thread that read the
//! folder to the one that shows it.
//!
//! The page reads zips in a Web Worker, which hands the finished inventory
//! to the page as bytes. A large folder's inventory is tens of megabytes of
//! JSON; read back in one piece it would hold the page's thread for a few
//! hundred milliseconds. In parts (the folder's totals, then runs of file
//! entries, per-file metrics, configurations and distributions) each piece
//! is read in a few milliseconds, and the page paints and answers input
//! between them.

use serde::{Deserialize, Serialize};

use crate::inventory::{Entry, Inventory};
use crate::metrics::{Configuration, Distribution, FileMetrics};

/// File entries per part.
pub const ENTRIES_PER_PART: usize = 2_000;
/// Per-file metrics per part: a file's values weigh more than its entry.
pub const FILE_METRICS_PER_PART: usize = 250;
/// Configurations per part: each carries its files and statistics.
pub const CONFIGURATIONS_PER_PART: usize = 100;
/// Distributions per part: each holds every run of a model.
pub const DISTRIBUTIONS_PER_PART: usize = 4;

/// One piece of an inventory.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Part {
    /// Everything but the lists cut into parts, with how many of each follow.
    Head {
        inventory: Box<Inventory>,
        entries: usize,
        file_metrics: usize,
        configurations: usize,
        distributions: usize,
    },
    Entries(Vec<Entry>),
    FileMetrics(Vec<FileMetrics>),
    Configurations(Vec<Configuration>),
    Distributions(Vec<Distribution>),
}

/// Cuts an inventory into JSON parts: the head first, then the entries, the
/// per-file metrics, the configurations and the distributions, each in order.
pub fn into_parts(mut inventory: Inventory) -> Vec<Vec<u8>> {
    let entries = std::mem::take(&mut inventory.entries);
    let files = std::mem::take(&mut inventory.metrics.files);
    let configurations = std::mem::take(&mut inventory.metrics.configurations);
    let distributions = std::mem::take(&mut inventory.metrics.distributions);
    let head = Part::Head {
        inventory: Box::new(inventory),
        entries: entries.len(),
        file_metrics: files.len(),
        configurations: configurations.len(),
        distributions: distributions.len(),
    };
    let mut parts = vec![encode(&head)];
    push_chunks(&mut parts, entries, ENTRIES_PER_PART, Part::Entries);
    push_chunks(&mut parts, files, FILE_METRICS_PER_PART, Part::FileMetrics);
    push_chunks(
        &mut parts,
        configurations,
        CONFIGURATIONS_PER_PART,
        Part::Configurations,
    );
    push_chunks(
        &mut parts,
        distributions,
        DISTRIBUTIONS_PER_PART,
        Part::Distributions,
    );
    parts
}

/// Appends `items` to `parts`, `per_part` at a time.
fn push_chunks<T>(
    parts: &mut Vec<Vec<u8>>,
    items: Vec<T>,
    per_part: usize,
    part: fn(Vec<T>) -> Part,
) {
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<T> = items.by_ref().take(per_part).collect();
        if chunk.is_empty() {
            break;
        }
        parts.push(encode(&part(chunk)));
    }
}

fn encode(part: &Part) -> Vec<u8> {
    serde_json::to_vec(part).expect("an inventory always serialises")
}

/// Puts an inventory back together from the parts [`into_parts`] made, fed
/// one at a time in their order.
#[derive(Debug, Default)]
pub struct Assembler {
    head: Option<Inventory>,
    /// Entries, per-file metrics, configurations and distributions the head
    /// announced.
    expected: [usize; 4],
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
                    configurations,
                    distributions,
                },
                None,
            ) => {
                let mut inventory = *inventory;
                inventory.entries.reserve_exact(entries);
                inventory.metrics.files.reserve_exact(file_metrics);
                inventory
                    .metrics
                    .configurations
                    .reserve_exact(configurations);
                inventory.metrics.distributions.reserve_exact(distributions);
                self.expected = [entries, file_metrics, configurations, distributions];
                self.head = Some(inventory);
            }
            (Part::Head { .. }, Some(_)) => return Err("a second inventory head".into()),
            (_, None) => return Err("inventory parts before their head".into()),
            (Part::Entries(chunk), Some(inventory)) => inventory.entries.extend(chunk),
            (Part::FileMetrics(chunk), Some(inventory)) => inventory.metrics.files.extend(chunk),
            (Part::Configurations(chunk), Some(inventory)) => {
                inventory.metrics.configurations.extend(chunk);
            }
            (Part::Distributions(chunk), Some(inventory)) => {
                inventory.metrics.distributions.extend(chunk);
            }
        }
        Ok(())
    }

    /// The whole inventory, once every part has been read.
    pub fn finish(self) -> Result<Inventory, String> {
        let inventory = self.head.ok_or("no inventory was received")?;
        let metrics = &inventory.metrics;
        let received = [
            inventory.entries.len(),
            metrics.files.len(),
            metrics.configurations.len(),
            metrics.distributions.len(),
        ];
        if received != self.expected {
            let [entries, files, configurations, distributions] = received;
            let [
                want_entries,
                want_files,
                want_configurations,
                want_distributions,
            ] = self.expected;
            return Err(format!(
                "an incomplete inventory: {entries} of {want_entries} entries, {files} of \
                 {want_files} files' metrics, {configurations} of {want_configurations} \
                 configurations and {distributions} of {want_distributions} distributions"
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

    fn inventory_counts() -> [usize; 4] {
        let inventory = example();
        let metrics = &inventory.metrics;
        [
            inventory.entries.len(),
            metrics.files.len(),
            metrics.configurations.len(),
            metrics.distributions.len(),
        ]
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
        // The head; 107 entries and 46 files with values, a part each; 157
        // configurations in two parts and 14 distributions in four.
        assert_eq!(inventory_counts(), [107, 46, 157, 14]);
        assert_eq!(parts.len(), 1 + 1 + 1 + 2 + 4);
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
        assert_eq!(parts.len(), 1 + 3 + 1 + 2 + 4);
        assert_eq!(reassemble(&parts).unwrap().to_json(), json);
    }

    #[test]
    fn a_missing_or_damaged_part_is_named() {
        let parts = into_parts(example());
        let error = reassemble(&parts[..2]).unwrap_err();
        assert_eq!(
            error,
            "an incomplete inventory: 107 of 107 entries, 0 of 46 files' metrics, 0 of 157 \
             configurations and 0 of 14 distributions"
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
