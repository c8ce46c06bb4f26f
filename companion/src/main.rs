//! The `chimera` command: serves the page, and runs Chimera's work from a terminal.

use std::process::ExitCode;

use clap::Parser;

// Reading a large folder frees many small allocations (a file's records)
// between long-lived ones (what is kept of it); glibc's allocator kept 40 to
// 100 MB of such gaps resident on the benchmark zip, a figure that swung
// with unrelated code changes. jemalloc keeps the peak near the live heap
// and is faster here too (BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = chimera_companion::cli::Cli::parse();
    chimera_companion::cli::run(cli)
}
