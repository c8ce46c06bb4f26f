//! Chimera's native companion: it serves the page, inventories folders from
//! the command line, and (for the page) talks to the user's LLM backends.
//!
//! Log policy: `info` for what a user wants to see (the listening address,
//! start and end of runs), `debug` per request, `trace` per streamed chunk.
//! Each error is either returned or logged, never both.

pub mod api;
pub mod backend;
pub mod cli;
pub mod generate;
pub mod generate_cmd;
pub mod guard;
pub mod run_cmd;
pub mod server;
pub mod share;
pub mod store;
