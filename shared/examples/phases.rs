//! Where the time of an inventory goes, phase by phase, on one zip:
//! `cargo run --release -p chimera-shared --example phases -- ZIP`.

use std::io::Read;
use std::time::Instant;

use chimera_shared::archive::{Limits, ZipScan};
use chimera_shared::classify::FileType;

fn main() {
    let path = std::env::args().nth(1).expect("usage: phases ZIP");
    let bytes = std::fs::read(&path).expect("readable zip");

    if std::env::args().nth(2).as_deref() == Some("counts") {
        // Only the scan without the numbers, five times: for a profiler.
        for _ in 0..5 {
            scan_counts_only(&path, bytes.clone());
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("scan") {
        // Only what the CLI runs: for a profiler.
        drop(bytes);
        let inventory = chimera_shared::inventory_zip_path(&path, path.as_ref(), Limits::default())
            .expect("a zip");
        let json = inventory.to_json();
        println!("{} bytes of JSON", json.len());
        return;
    }

    // 1. Inflate every entry, nothing else.
    let started = Instant::now();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("a zip");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut data = Vec::with_capacity(entry.size() as usize);
        let _ = entry.read_to_end(&mut data);
        files.push((
            entry.name().map(|n| n.into_owned()).unwrap_or_default(),
            data,
        ));
    }
    println!("inflate only:        {:>7.0} ms", ms(started));
    if let Some(kind) = std::env::args().nth(2) {
        // Only one type's extraction, repeated: for a profiler.
        let kind = FileType::of_path(&format!("x.{kind}"));
        for _ in 0..5 {
            for (name, data) in files.iter().filter(|(n, _)| FileType::of_path(n) == kind) {
                let _ = chimera_shared::metrics::extract_file(name, kind, data);
            }
        }
        return;
    }

    // 2. The content checks (UTF-8, CSV shape, JSON syntax).
    let started = Instant::now();
    for (name, data) in &files {
        let _ = chimera_shared::content::check(FileType::of_path(name), data);
    }
    println!("content checks:      {:>7.0} ms", ms(started));

    // 3. Metric extraction per file, without the cross-file work.
    let started = Instant::now();
    let mut found = 0;
    for (name, data) in &files {
        found += usize::from(
            chimera_shared::metrics::extract_file(name, FileType::of_path(name), data).is_some(),
        );
    }
    println!(
        "extract per file:    {:>7.0} ms ({found} files)",
        ms(started)
    );
    for kind in [FileType::Csv, FileType::Json, FileType::Md] {
        let started = Instant::now();
        for (name, data) in files.iter().filter(|(n, _)| FileType::of_path(n) == kind) {
            let _ = chimera_shared::metrics::extract_file(name, kind, data);
        }
        println!("  {kind:?}: {:>7.0} ms", ms(started));
    }
    drop(files);

    // 4. The whole inventory, as the CLI and the page run it: counts and
    // content checks only, then with the numbers.
    let started = Instant::now();
    scan_counts_only(&path, bytes.clone());
    println!("scan, counts only:   {:>7.0} ms", ms(started));
    let started = Instant::now();
    let mut scan = ZipScan::open(&path, bytes, Limits::default()).expect("a zip");
    while scan.step(64) {}
    println!("scan (all entries):  {:>7.0} ms", ms(started));
    let started = Instant::now();
    let mut finishing = scan.finishing();
    println!("finishing (totals):  {:>7.0} ms", ms(started));
    let mut steps = Vec::new();
    loop {
        let step = Instant::now();
        let done = finishing.step();
        steps.push(format!("{:.0}", ms(step)));
        if done {
            break;
        }
    }
    let inventory = finishing.inventory();
    println!(
        "finish (cross-file): {:>7.0} ms in {} steps (ms each: {})",
        ms(started),
        steps.len(),
        steps.join(" ")
    );
    let started = Instant::now();
    let json = inventory.to_json();
    println!(
        "to_json:             {:>7.0} ms ({} bytes)",
        ms(started),
        json.len()
    );
}

/// The inventory without the numbers inside the files.
fn scan_counts_only(path: &str, bytes: Vec<u8>) {
    let limits = Limits {
        read_metrics: false,
        ..Limits::default()
    };
    let mut scan = ZipScan::open(path, bytes, limits).expect("a zip");
    while scan.step(64) {}
    drop(scan.finishing().inventory());
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
