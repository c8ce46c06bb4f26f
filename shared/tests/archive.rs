//! Reading zip archives into an inventory: the example folder, and every kind
//! of broken or hostile archive a user might drop on the page.

mod support;

use std::io::{Cursor, Write};

use chimera_shared::archive::{ArchiveError, Limits, ZipScan, inventory_zip};
use chimera_shared::inventory::{Inventory, Status};
use support::*;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn read(bytes: Vec<u8>) -> Inventory {
    inventory_zip("test.zip", bytes, Limits::default()).expect("the archive opens")
}

fn problem_kinds(inventory: &Inventory) -> Vec<&str> {
    inventory.problems.iter().map(|p| p.kind.as_str()).collect()
}

#[test]
fn the_example_folder_is_inventoried_exactly() {
    let inventory = read(example_zip());
    assert_eq!(inventory.files, 107);
    assert_eq!(inventory.bytes, 590_563);
    assert_eq!(inventory.by_type.csv.count, 28);
    assert_eq!(inventory.by_type.json.count, 44);
    assert_eq!(inventory.by_type.md.count, 29);
    assert_eq!(inventory.by_type.other.count, 6);
    assert!(inventory.directories.reports.present);
    assert!(inventory.directories.csv_data.present);
    assert!(!inventory.directories.artifacts.present);
    assert_eq!(
        inventory.directories.reports.files + inventory.directories.csv_data.files,
        107
    );
    // Info-ZIP on Linux writes exact UTC times in the extended-timestamp field.
    assert_eq!(
        inventory.by_type.csv.latest_modified.as_deref(),
        Some("2026-03-11T19:16:42Z")
    );
    assert_eq!(
        inventory.by_type.md.latest_modified.as_deref(),
        Some("2026-03-12T03:58:19Z")
    );
    assert!(!inventory.by_type.csv.latest_modified_zoneless);
    assert!(
        inventory
            .entries
            .iter()
            .all(|e| e.modified.as_deref().is_some_and(|m| m.ends_with('Z')))
    );
    assert!(inventory.root.is_none());
}

#[test]
fn the_example_folder_has_one_csv_that_is_not_csv() {
    let inventory = read(example_zip());
    let not_text: Vec<_> = inventory
        .problems
        .iter()
        .filter(|p| p.kind == "not_utf8")
        .collect();
    assert!(!not_text.is_empty(), "{:?}", inventory.problems);
    assert_eq!(not_text.len(), 1, "{not_text:?}");
    assert_eq!(not_text[0].path, "reports/profiling/ncu_summary.csv");
    assert!(
        not_text[0]
            .message
            .contains("UTF-16 little-endian text, beginning \"==ERROR=="),
        "{not_text:?}"
    );
}

#[test]
fn a_wrapping_folder_is_read_as_its_contents() {
    let zip = zip_of(&[
        ("bench-2025/", b""),
        ("bench-2025/reports/a.md", b"# a"),
        ("bench-2025/csv_data/b.csv", b"x\n1\n"),
    ]);
    let inventory = read(zip);
    assert_eq!(inventory.root.as_deref(), Some("bench-2025/"));
    assert!(inventory.directories.reports.present);
    assert!(inventory.directories.csv_data.present);
    assert_eq!(inventory.entries[0].path, "csv_data/b.csv");
}

#[test]
fn folders_are_not_files_and_junk_is_set_aside() {
    let zip = zip_of(&[
        ("reports/", b""),
        ("reports/a.csv", b"x\n1\n"),
        ("__MACOSX/reports/._a.csv", b"\0\x05\x16\x07"),
        ("reports/.DS_Store", b"\0\0\0\x01Bud1"),
        ("reports/Thumbs.db", b"\xD0\xCF"),
    ]);
    let inventory = read(zip);
    assert_eq!(inventory.files, 1);
    assert_eq!(inventory.junk.len(), 3);
    assert!(inventory.problems.is_empty(), "{:?}", inventory.problems);
}

#[test]
fn each_broken_file_gets_a_specific_reason_and_the_rest_are_kept() {
    let zip = zip_of(&[
        ("reports/bad.json", b"{\n  \"a\": 1\n  \"b\": 2\n}"),
        ("reports/ragged.csv", b"a,b\n1,2\n3\n"),
        ("reports/latin1.md", b"caf\xE9"),
        ("reports/good.json", b"{\"ok\": true}"),
    ]);
    let inventory = read(zip);
    assert_eq!(inventory.files, 4);
    let messages: Vec<_> = inventory
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.message.as_str()))
        .collect();
    assert!(
        messages.contains(&(
            "reports/bad.json",
            "invalid JSON at line 3, column 3: expected `,` or `}`"
        )),
        "{messages:?}"
    );
    assert!(
        messages.contains(&(
            "reports/ragged.csv",
            "invalid CSV at line 3: 1 fields where the first row has 2"
        )),
        "{messages:?}"
    );
    assert!(
        messages.contains(&(
            "reports/latin1.md",
            "not UTF-8 text: invalid byte 0xE9 at offset 3"
        )),
        "{messages:?}"
    );
    let good = inventory
        .entries
        .iter()
        .find(|e| e.path == "reports/good.json")
        .unwrap();
    assert_eq!(good.status, Status::Ok);
}

#[test]
fn a_bad_crc_is_reported_for_that_file_only() {
    let mut bad = RawEntry::new("reports/a.csv", b"x,y\n1,2\n");
    bad.wrong_crc = Some(0xDEAD_BEEF);
    let good = RawEntry::new("reports/b.csv", b"x,y\n3,4\n");
    let inventory = read(raw_zip(&[bad, good]));
    assert_eq!(inventory.files, 2);
    assert_eq!(problem_kinds(&inventory), ["crc_mismatch"]);
    assert_eq!(inventory.problems[0].path, "reports/a.csv");
    assert!(inventory.problems[0].message.starts_with("CRC mismatch"));
}

#[test]
fn encrypted_entries_are_reported_not_read() {
    let mut secret = RawEntry::new("reports/secret.csv", b"garbage");
    secret.flags = 1;
    let inventory = read(raw_zip(&[
        secret,
        RawEntry::new("reports/open.md", b"# hi"),
    ]));
    assert_eq!(inventory.files, 2);
    assert_eq!(problem_kinds(&inventory), ["encrypted"]);
}

#[test]
fn escaping_names_are_shown_as_text_with_a_warning() {
    let inventory = read(raw_zip(&[
        RawEntry::new("../../etc/cron.d/evil.md", b"# x"),
        RawEntry::new("/abs/path.csv", b"a\n1\n"),
    ]));
    assert_eq!(inventory.files, 2);
    assert_eq!(problem_kinds(&inventory), ["unsafe_path", "unsafe_path"]);
    assert!(
        inventory
            .entries
            .iter()
            .all(|e| e.status == Status::Warning)
    );
}

#[test]
fn non_utf8_names_are_decoded_and_flagged() {
    let mut entry = RawEntry::new("", b"a\n1\n");
    entry.name = b"reports/r\x82sultats.csv".to_vec();
    let inventory = read(raw_zip(&[entry]));
    assert_eq!(inventory.entries[0].path, "reports/résultats.csv");
    assert_eq!(problem_kinds(&inventory), ["name_encoding"]);
}

#[test]
fn the_best_timestamp_present_is_used() {
    let plain = RawEntry::new("a.csv", b"a\n");
    let mut unix = RawEntry::new("b.csv", b"b\n");
    unix.extra = extended_timestamp(1_700_000_000);
    let mut windows = RawEntry::new("c.csv", b"c\n");
    windows.extra = ntfs_times(1_600_000_000);
    let inventory = read(raw_zip(&[plain, unix, windows]));
    let modified: Vec<_> = inventory
        .entries
        .iter()
        .map(|e| e.modified.clone().unwrap())
        .collect();
    assert_eq!(
        modified,
        [
            "2025-12-24T20:31:08",
            "2023-11-14T22:13:20Z",
            "2020-09-13T12:26:40Z"
        ]
    );
    assert_eq!(
        inventory.by_type.csv.latest_modified.as_deref(),
        Some("2025-12-24T20:31:08")
    );
    assert!(inventory.by_type.csv.latest_modified_zoneless);
}

#[test]
fn something_that_is_not_a_zip_is_named() {
    let error = inventory_zip("x.zip", b"hello, world".to_vec(), Limits::default()).unwrap_err();
    assert!(matches!(error, ArchiveError::NotZip(_)));
    assert_eq!(
        error.to_string(),
        "not a zip archive: it looks like plain text"
    );
    let gzip = inventory_zip("x.tgz", vec![0x1F, 0x8B, 8, 0, 0, 0], Limits::default()).unwrap_err();
    assert!(gzip.to_string().contains("gzip"), "{gzip}");
    assert!(matches!(
        inventory_zip("x.zip", Vec::new(), Limits::default()),
        Err(ArchiveError::Empty)
    ));
}

#[test]
fn a_truncated_zip_keeps_the_files_before_the_cut() {
    let mut zip = raw_zip(&[
        RawEntry::new("reports/a.csv", b"a,b\n1,2\n"),
        RawEntry::new("reports/b.md", b"# b"),
        RawEntry::new("reports/c.json", &[b'1'; 4000]),
    ]);
    let cut = zip.windows(4).rposition(|w| w == b"PK\x03\x04").unwrap() + 100;
    zip.truncate(cut);
    let inventory = read(zip);
    let paths: Vec<_> = inventory
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e.status))
        .collect();
    assert_eq!(
        paths[..2],
        [("reports/a.csv", Status::Ok), ("reports/b.md", Status::Ok)]
    );
    assert_eq!(inventory.problems[0].kind, "damaged_archive");
}

#[test]
fn a_zip_cut_inside_its_first_header_is_an_error() {
    let zip = raw_zip(&[RawEntry::new("reports/a.csv", b"a,b\n1,2\n")]);
    let error = inventory_zip("x.zip", zip[..20].to_vec(), Limits::default()).unwrap_err();
    assert!(matches!(error, ArchiveError::Damaged(_)), "{error}");
}

fn small_limits() -> Limits {
    Limits {
        max_entry_bytes: 1 << 20,
        max_total_bytes: 3 << 20,
        ratio_floor_bytes: 64 << 10,
        max_ratio: 100,
        ..Limits::default()
    }
}

fn deflated(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(false);
    for (name, data) in files {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn a_highly_compressed_entry_is_skipped_as_a_bomb() {
    let zip = deflated(&[
        ("reports/zeros.csv", vec![b'0'; 900 << 10]),
        ("reports/ok.md", b"# ok".to_vec()),
    ]);
    let inventory = inventory_zip("bomb.zip", zip, small_limits()).unwrap();
    assert_eq!(inventory.files, 2);
    assert_eq!(problem_kinds(&inventory), ["compression_ratio"]);
    assert_eq!(inventory.entries[1].status, Status::Skipped);
    assert_eq!(inventory.entries[0].status, Status::Ok);
}

#[test]
fn an_entry_above_the_size_limit_is_skipped() {
    let big: Vec<u8> = (0..(2u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let zip = deflated(&[
        ("reports/big.bin", big),
        ("reports/ok.md", b"# ok".to_vec()),
    ]);
    let inventory = inventory_zip("big.zip", zip, small_limits()).unwrap();
    assert_eq!(problem_kinds(&inventory), ["entry_too_large"]);
    assert_eq!(inventory.files, 2);
}

#[test]
fn reading_stops_at_the_total_limit_and_says_so() {
    let chunk = |seed: u32| -> Vec<u8> {
        (0..(900u32 << 10))
            .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect()
    };
    let files: Vec<_> = (0..5)
        .map(|i| (format!("artifacts/{i}.bin"), chunk(i)))
        .collect();
    let named: Vec<_> = files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    let inventory = inventory_zip("many.zip", deflated(&named), small_limits()).unwrap();
    assert_eq!(inventory.files, 5);
    assert!(problem_kinds(&inventory).contains(&"total_limit"));
    let skipped = inventory
        .entries
        .iter()
        .filter(|e| e.status == Status::Skipped)
        .count();
    assert_eq!(skipped, 2);
}

/// A zip bomb's construction: one entry's data, and `copies` more entries
/// pointing at the same bytes; then `also`, a file of its own, if given.
fn shared_data_zip(copies: usize, also: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    writer.start_file("reports/kernel.csv", options).unwrap();
    writer.write_all(&vec![b'1'; 10_000]).unwrap();
    for i in 0..copies {
        writer
            .shallow_copy_file("reports/kernel.csv", &format!("reports/copy{i}.csv"))
            .unwrap();
    }
    if let Some((name, data)) = also {
        writer.start_file(name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn entries_sharing_the_same_data_are_not_read() {
    let inventory = read(shared_data_zip(50, Some(("reports/real.md", b"# real"))));
    assert_eq!(inventory.files, 52);
    assert!(problem_kinds(&inventory).contains(&"overlapping_entries"));
    let real = inventory
        .entries
        .iter()
        .find(|e| e.path == "reports/real.md")
        .unwrap();
    assert_eq!(real.status, Status::Ok);
    assert_eq!(
        inventory
            .entries
            .iter()
            .filter(|e| e.status == Status::Skipped)
            .count(),
        51
    );
}

#[test]
fn seventy_thousand_entries_are_all_counted() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for i in 0..70_000 {
        writer
            .start_file(format!("reports/run{i:05}.csv"), options)
            .unwrap();
        writer.write_all(b"ttft_ms\n12.5\n").unwrap();
    }
    let inventory = read(writer.finish().unwrap().into_inner());
    assert_eq!(inventory.files, 70_000);
    assert_eq!(inventory.by_type.csv.count, 70_000);
    assert!(inventory.problems.is_empty());
}

#[test]
fn entries_past_the_entry_limit_are_listed_as_skipped() {
    let names: Vec<String> = (0..10).map(|i| format!("reports/{i}.md")).collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), b"# x" as &[u8]))
        .collect();
    let limits = Limits {
        max_entries: 6,
        ..Limits::default()
    };
    let inventory = inventory_zip("x.zip", zip_of(&files), limits).unwrap();
    assert_eq!(inventory.files, 10);
    assert_eq!(
        inventory
            .entries
            .iter()
            .filter(|e| e.status == Status::Skipped)
            .count(),
        4
    );
    assert_eq!(inventory.problems[0].kind, "entry_limit");
}

#[test]
fn the_scan_can_run_in_small_steps() {
    let mut scan =
        chimera_shared::ZipScan::open("test.zip", example_zip(), Limits::default()).unwrap();
    let mut steps = 0;
    while scan.step(10) {
        steps += 1;
        assert!(scan.done_entries() <= scan.total_entries());
    }
    assert!(steps >= 10);
    assert_eq!(scan.finish(), read(example_zip()));
}

/// Reads `bytes` the way the page reads a picked file: the last `tail`
/// bytes first, then each window the scan asks for, `budget` bytes or so.
fn read_windowed(bytes: &[u8], tail: usize, budget: u64) -> Option<Inventory> {
    let len = bytes.len();
    let tail = bytes[len - tail.min(len)..].to_vec();
    let mut scan = ZipScan::open_windowed("test.zip", len as u64, tail, Limits::default())?;
    // What the page fetches ahead while the scan works: always the window
    // the scan asks for next.
    let mut ahead = None;
    loop {
        if let Some(range) = scan.wanted(budget) {
            if let Some(fetched) = ahead.take() {
                assert_eq!(fetched, range, "the window fetched ahead is the one wanted");
            }
            let window = bytes[range.start as usize..range.end as usize].to_vec();
            scan.provide(range.start, window);
            ahead = scan.following(budget);
        }
        if !scan.step(7) {
            break;
        }
    }
    Some(scan.finish())
}

#[test]
fn reading_in_windows_gives_the_same_inventory() {
    let example = example_zip();
    let whole = read(example.clone());
    // Windows far smaller than the archive: the example takes dozens of them.
    let windowed =
        read_windowed(&example, 64 << 10, 4 << 10).expect("the directory is in the tail");
    assert_eq!(windowed.to_json(), whole.to_json());

    let broken = zip_of(&[
        ("reports/bad.json", b"{\n  \"a\": 1\n  \"b\": 2\n}"),
        ("reports/ragged.csv", b"a,b\n1,2\n3\n"),
        ("reports/good.json", b"{\"ok\": true}"),
    ]);
    let windowed = read_windowed(&broken, broken.len(), 1).expect("opens");
    assert_eq!(windowed, read(broken));
}

#[test]
fn reading_from_disk_in_windows_matches_reading_whole() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for path in [
        "assets/examples/chimeraforge-reports.zip",
        "tests/fixtures/messy-reports.zip",
    ] {
        let path = root.join(path);
        let whole = inventory_zip("x.zip", std::fs::read(&path).unwrap(), Limits::default());
        let windowed = chimera_shared::inventory_zip_path("x.zip", &path, Limits::default());
        assert_eq!(
            windowed.unwrap().to_json(),
            whole.unwrap().to_json(),
            "{}",
            path.display()
        );
    }
    // Not a zip at all: read whole, and named.
    let path = root.join("tests/fixtures/not-a-zip.zip");
    let error = chimera_shared::inventory_zip_path("x.zip", &path, Limits::default()).unwrap_err();
    assert!(matches!(error, ArchiveError::NotZip(_)), "{error}");
}

#[test]
fn a_tail_without_the_whole_central_directory_does_not_open() {
    let example = example_zip();
    assert!(read_windowed(&example, 100, 1 << 20).is_none());
    assert!(read_windowed(b"not a zip at all", 16, 1 << 20).is_none());
}

#[test]
fn zip_bombs_are_caught_when_reading_in_windows_too() {
    let bytes = shared_data_zip(20, None);
    let inventory = read_windowed(&bytes, bytes.len(), 1 << 20).expect("opens");
    assert!(problem_kinds(&inventory).contains(&"overlapping_entries"));
    assert!(
        inventory
            .entries
            .iter()
            .all(|e| e.status == Status::Skipped)
    );
}

#[test]
fn entries_whose_bytes_never_came_are_unreadable_not_lost() {
    let example = example_zip();
    let tail = example[example.len() - (64 << 10)..].to_vec();
    let scan =
        ZipScan::open_windowed("test.zip", example.len() as u64, tail, Limits::default()).unwrap();
    let inventory = scan.finish();
    assert_eq!(inventory.files, 107);
    assert!(
        inventory
            .problems
            .iter()
            .any(|p| p.message.contains("was not loaded")),
        "{:?}",
        inventory.problems.first()
    );
}

#[test]
fn the_cross_file_work_can_run_in_steps() {
    let scan = ZipScan::open("test.zip", example_zip(), Limits::default()).unwrap();
    let mut finishing = scan.finishing();
    let mut steps = 1;
    while !finishing.step() {
        steps += 1;
    }
    // Sorting, grouping, the configurations, the best, each distribution,
    // the grids and the lint are steps of their own.
    assert!(steps >= 8, "{steps} steps");
    assert_eq!(
        finishing.inventory().to_json(),
        read(example_zip()).to_json()
    );
}

#[test]
fn the_fact_check_catches_invented_counts_about_the_example() {
    // The failure of the report Chimera descends from: a model that never saw
    // the data invented 47 JSON and 104 Markdown files (there are 44 and 29).
    let inventory = read(example_zip());
    let text = "**Data Ingestion Summary**\n* CSV Files (28): sweeps.\n* JSON Files (47): profiles.\n* Markdown Files (104): notes.";
    let claims = chimera_shared::agents::factcheck::check(text, &inventory);
    let verdicts: Vec<(&str, bool)> = claims
        .iter()
        .map(|c| (c.stated.as_str(), c.correct))
        .collect();
    assert_eq!(verdicts, [("28", true), ("47", false), ("104", false)]);
}

#[test]
fn counts_only_reads_the_same_files_without_their_numbers() {
    let full = read(example_zip());
    let counts_only = inventory_zip(
        "test.zip",
        example_zip(),
        Limits {
            read_metrics: false,
            ..Limits::default()
        },
    )
    .expect("the archive opens");
    // Every count, entry and problem is the same: only the numbers are left out.
    assert_eq!(counts_only.entries, full.entries);
    assert_eq!(counts_only.problems, full.problems);
    assert_eq!(counts_only.by_type, full.by_type);
    assert!(counts_only.metrics.not_read);
    assert!(!full.metrics.not_read);
    assert_eq!(counts_only.metrics.totals.files_with_metrics, 0);
    assert!(counts_only.metrics.files.is_empty());
    assert!(!full.metrics.files.is_empty());
    // The findings about the folder itself stay; those about numbers go.
    let kinds = |inventory: &Inventory| -> Vec<String> {
        inventory.findings.iter().map(|f| f.kind.clone()).collect()
    };
    assert_eq!(
        kinds(&counts_only),
        ["missing_folder", "not_what_extension_says"]
    );
    assert!(kinds(&full).len() > 2);
    assert!(kinds(&full).starts_with(&kinds(&counts_only)));
    // The JSON says so; with the numbers read it does not carry the field.
    assert!(counts_only.to_json().contains("\"not_read\": true"));
    assert!(!full.to_json().contains("not_read"));
}

/// A zip of 1,600 entries, big enough to be read in two parts, with every
/// kind of trouble spread through both: folders, OS junk, broken JSON, a
/// ragged CSV, Latin-1 text, an escaping name, a non-UTF-8 name, a bad CRC,
/// and times of each kind.
fn mixed_large_zip() -> Vec<u8> {
    let mut entries = Vec::new();
    for i in 0..1_600 {
        let (name, data): (String, Vec<u8>) = match i % 16 {
            0 => (format!("reports/run{i}/"), Vec::new()),
            1 => (format!("__MACOSX/reports/._run{i}.csv"), vec![0; 40]),
            2 => (format!("reports/run{i}/bad.json"), b"{\"a\": 1,".to_vec()),
            3 => (format!("csv_data/ragged{i}.csv"), b"a,b\n1,2\n3\n".to_vec()),
            4 => (format!("reports/latin{i}.md"), b"caf\xE9".to_vec()),
            5 if i % 160 == 5 => (format!("../escape{i}.csv"), b"x\n1\n".to_vec()),
            6 => (format!("artifacts/trace{i}.bin"), vec![i as u8; 300]),
            _ => (
                format!("reports/run{}/runs{i}.csv", i / 16),
                format!("model,ttft_ms\nm{},{}.5\n", i % 3, i).into_bytes(),
            ),
        };
        let mut entry = RawEntry::new(&name, &data);
        match i % 5 {
            0 => entry.extra = extended_timestamp(1_760_000_000 + i),
            1 => entry.extra = ntfs_times(1_760_000_000 + u64::from(i)),
            _ => {}
        }
        if i == 777 {
            entry.wrong_crc = Some(0xDEAD_BEEF);
        }
        if i == 1_234 {
            entry.name = b"reports/caf\xE9.md".to_vec();
        }
        entries.push(entry);
    }
    raw_zip(&entries)
}

fn counts_only() -> Limits {
    Limits {
        read_metrics: false,
        ..Limits::default()
    }
}

/// Reads `zip` in two parts, as the page's two workers do: each part in
/// windows of about `budget` bytes, the second part's result crossing over
/// as JSON.
fn read_in_two_parts(zip: &[u8], budget: u64) -> Inventory {
    let open = || {
        ZipScan::open_windowed("test.zip", zip.len() as u64, zip.to_vec(), counts_only()).unwrap()
    };
    let run = |scan: &mut ZipScan| loop {
        if let Some(range) = scan.wanted(budget) {
            scan.provide(
                range.start,
                zip[range.start as usize..range.end as usize].to_vec(),
            );
        }
        if !scan.step(5) {
            break;
        }
    };
    let (mut first, mut second) = (open(), open());
    let cut = first.halves().expect("large enough to cut");
    assert_eq!(second.halves(), Some(cut));
    first.keep_entries(0..cut);
    second.keep_entries(cut..second.total_entries());
    run(&mut second);
    let part = serde_json::to_string(&second.into_part()).unwrap();
    run(&mut first);
    first.absorb(serde_json::from_str(&part).unwrap());
    first.finish()
}

#[test]
fn a_zip_read_in_two_parts_is_the_same_inventory() {
    let zip = mixed_large_zip();
    let whole = inventory_zip("test.zip", zip.clone(), counts_only()).unwrap();
    assert_eq!(whole.files, 1_400);
    for kind in [
        "crc_mismatch",
        "invalid_json",
        "invalid_csv",
        "not_utf8",
        "unsafe_path",
    ] {
        assert!(problem_kinds(&whole).contains(&kind), "{kind}");
    }
    for budget in [1, 64 << 10, 64 << 20] {
        assert_eq!(read_in_two_parts(&zip, budget).to_json(), whole.to_json());
    }
}

#[test]
fn the_cut_balances_the_work() {
    let zip = mixed_large_zip();
    let scan = ZipScan::open("test.zip", zip, counts_only()).unwrap();
    let cut = scan.halves().unwrap();
    assert!((700..900).contains(&cut), "{cut}");
}

#[test]
fn zips_that_cannot_be_read_in_two_parts_are_not_cut() {
    let zip = mixed_large_zip();
    // With the numbers read, their statistics need every file.
    let scan = ZipScan::open("test.zip", zip.clone(), Limits::default()).unwrap();
    assert_eq!(scan.halves(), None);
    // Which files the total limit stops at depends on all before them.
    let limits = Limits {
        max_total_bytes: 10_000,
        ..counts_only()
    };
    let scan = ZipScan::open("test.zip", zip, limits).unwrap();
    assert_eq!(scan.halves(), None);
    // Too few entries to be worth a second reader.
    let scan = ZipScan::open("test.zip", example_zip(), counts_only()).unwrap();
    assert_eq!(scan.halves(), None);
}
