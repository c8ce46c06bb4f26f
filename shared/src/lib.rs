//! The pure core of Chimera: archive reading, classification, parsing and the
//! inventory, shared by the WebAssembly page and the native companion.

pub mod agents;
pub mod archive;
pub mod charts;
pub mod classify;
pub mod content;
pub mod csv_rows;
pub mod folder;
pub mod inventory;
pub mod llm;
pub mod markdown;
pub mod metrics;
pub mod snapshot;
pub mod split;
pub mod timestamp;
pub mod transfer;

pub use archive::{ArchiveError, Limits, ZipScan, inventory_zip, inventory_zip_path};
pub use inventory::{Inventory, InventoryBuilder};
pub use metrics::{Finding, Metrics};
