//! Reading a large zip on two threads, each a part of its entries, for the
//! same inventory, byte for byte, as one thread reading them all (see the
//! tests in `tests/archive.rs`). The page does this with two workers when
//! the numbers inside the files are not read.
//!
//! Both threads open the same zip and ask [`ZipScan::halves`] where to cut:
//! the answer depends on the central directory alone, so they agree. Each
//! reads its part ([`ZipScan::keep_entries`]); the second hands its
//! [`ScanPart`] ([`ZipScan::into_part`]) to the first, which
//! [absorbs](ZipScan::absorb) it after its own and finishes the inventory.
//!
//! With the numbers read there is no such cut: the statistics are made
//! across all files, and which files' details are kept depends on the order
//! they were read in.
//!
//! [`ZipScan::halves`]: crate::ZipScan::halves
//! [`ZipScan::keep_entries`]: crate::ZipScan::keep_entries
//! [`ZipScan::into_part`]: crate::ZipScan::into_part
//! [`ZipScan::absorb`]: crate::ZipScan::absorb

use serde::{Deserialize, Serialize};

use crate::inventory::{Entry, JunkEntry, Problem};
use crate::timestamp::Modified;

/// The files one scan of a zip read of its part of the entries, and what it
/// found wrong with them, in the order found.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanPart {
    pub entries: Vec<(Entry, Option<Modified>)>,
    pub problems: Vec<Problem>,
    pub junk: Vec<JunkEntry>,
}
