//! Builders for the zip archives the tests read: well-formed ones through the
//! `zip` writer, and hand-assembled ones for the broken and hostile cases a
//! writer refuses to make.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io::{Cursor, Write};
use std::path::PathBuf;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The real reports folder shipped with Chimera as its example.
pub fn example_zip() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../assets/examples/chimeraforge-reports.zip");
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A deflated zip of `(name, contents)` pairs, made by the `zip` writer.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in files {
        if name.ends_with('/') {
            writer.add_directory(*name, options).unwrap();
        } else {
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

/// One entry of a hand-assembled, stored (uncompressed) zip.
#[derive(Clone, Default)]
pub struct RawEntry {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    /// General purpose flags: bit 0 is "encrypted", bit 11 is "name is UTF-8".
    pub flags: u16,
    /// A CRC to write instead of the real one.
    pub wrong_crc: Option<u32>,
    /// Extra field bytes, written to both the local and the central header.
    pub extra: Vec<u8>,
    pub dos_date: u16,
    pub dos_time: u16,
}

impl RawEntry {
    pub fn new(name: &str, data: &[u8]) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            // 2025-12-24 20:31:08, as DOS stores it.
            dos_date: ((2025 - 1980) << 9) | (12 << 5) | 24,
            dos_time: (20 << 11) | (31 << 5) | (8 / 2),
            ..Self::default()
        }
    }
}

/// Extended timestamp extra field (0x5455) holding a modification time.
pub fn extended_timestamp(unix_seconds: u32) -> Vec<u8> {
    let mut field = vec![0x55, 0x54, 5, 0, 1];
    field.extend_from_slice(&unix_seconds.to_le_bytes());
    field
}

/// NTFS extra field (0x000a) holding modification, access and creation times.
pub fn ntfs_times(unix_seconds: u64) -> Vec<u8> {
    let ticks = (unix_seconds + 11_644_473_600) * 10_000_000;
    let mut field = vec![0x0a, 0x00, 32, 0, 0, 0, 0, 0, 1, 0, 24, 0];
    for _ in 0..3 {
        field.extend_from_slice(&ticks.to_le_bytes());
    }
    field
}

/// Assembles a zip byte by byte, so tests can make exactly the damage they need.
pub fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let offset = out.len() as u32;
        let crc = entry
            .wrong_crc
            .unwrap_or_else(|| crc32fast::hash(&entry.data));
        let size = entry.data.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&entry.flags.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // stored
        common.extend_from_slice(&entry.dos_time.to_le_bytes());
        common.extend_from_slice(&entry.dos_date.to_le_bytes());
        common.extend_from_slice(&crc.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
        common.extend_from_slice(&(entry.extra.len() as u16).to_le_bytes());

        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(&entry.name);
        out.extend_from_slice(&entry.extra);
        out.extend_from_slice(&entry.data);

        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&common);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&entry.name);
        central.extend_from_slice(&entry.extra);
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
