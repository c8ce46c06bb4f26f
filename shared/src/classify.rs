//! Rules that need only a file's path: its type, whether it is OS junk, whether
//! its name is unsafe, and the wrapping folder a whole archive may sit under.

use serde::{Deserialize, Serialize};

/// The top-level folders a benchmark artifacts folder is expected to have.
pub const EXPECTED_FOLDERS: [&str; 3] = ["reports", "csv_data", "artifacts"];

/// The four kinds of file the inventory counts, decided by extension alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Csv,
    Json,
    Md,
    Other,
}

impl FileType {
    pub const ALL: [FileType; 4] = [FileType::Csv, FileType::Json, FileType::Md, FileType::Other];

    pub fn of_path(path: &str) -> Self {
        let name = file_name(path);
        let Some((_, extension)) = name.rsplit_once('.') else {
            return FileType::Other;
        };
        match extension.to_ascii_lowercase().as_str() {
            "csv" => FileType::Csv,
            "json" => FileType::Json,
            "md" | "markdown" => FileType::Md,
            _ => FileType::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileType::Csv => "csv",
            FileType::Json => "json",
            FileType::Md => "md",
            FileType::Other => "other",
        }
    }
}

/// Whether a file's bytes are read: CSV, JSON and Markdown are checked and
/// mined for numbers; of the other files only the console text a tool
/// leaves behind (`.txt`, `.log`, `.out`: `ollama run --verbose | tee`,
/// llama-bench's output) is read for numbers. The rest are only counted.
pub fn is_read(path: &str) -> bool {
    FileType::of_path(path) != FileType::Other || is_console_text(path)
}

/// A `.txt`, `.log` or `.out` file.
pub fn is_console_text(path: &str) -> bool {
    file_name(path)
        .rsplit_once('.')
        .is_some_and(|(_, extension)| {
            ["txt", "log", "out"]
                .iter()
                .any(|e| extension.eq_ignore_ascii_case(e))
        })
}

/// The last component of a `/`-separated path.
pub fn file_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// Files that operating systems leave behind and nobody means to benchmark:
/// macOS resource forks and Finder state, Windows thumbnail caches.
pub fn is_os_junk(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    if path.starts_with("__MACOSX/") || path.contains("/__MACOSX/") {
        return true;
    }
    let name = file_name(path);
    name == ".DS_Store"
        || name.starts_with("._")
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
        || name == ".Spotlight-V100"
        || name == ".Trashes"
}

/// Why a name would escape the folder it is unpacked into, if it would.
///
/// Chimera never writes entries anywhere, so such names are only reported; the
/// check exists so that a user learns the archive is hostile or broken.
pub fn unsafe_path_reason(path: &str) -> Option<&'static str> {
    if path.starts_with('/') || path.starts_with('\\') {
        return Some("absolute path");
    }
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Some("absolute path with a drive letter");
    }
    if path.split(['/', '\\']).any(|part| part == "..") {
        return Some("path climbs out of the folder with `..`");
    }
    if path.contains('\0') {
        return Some("path contains a NUL byte");
    }
    None
}

/// The single folder that wraps every path, as "Compress folder" tools make,
/// with its trailing slash. `None` when files sit at the top, under more than
/// one folder, or under a folder that is itself one of the
/// [`EXPECTED_FOLDERS`] (a zip of `reports/` alone keeps its `reports/`).
pub fn wrapping_folder<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut root: Option<&str> = None;
    let mut any = false;
    for path in paths {
        any = true;
        let (first, _rest) = path.split_once('/')?;
        match root {
            None => root = Some(first),
            Some(seen) if seen == first => {}
            Some(_) => return None,
        }
    }
    if !any {
        return None;
    }
    root.filter(|r| !r.is_empty() && *r != "." && *r != ".." && !EXPECTED_FOLDERS.contains(r))
        .map(|r| format!("{r}/"))
}

/// The top-level folder of a path (after any wrapping folder is removed), or
/// `None` for a file at the top.
pub fn top_folder(path: &str) -> Option<&str> {
    path.split_once('/').map(|(first, _)| first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_extension_in_any_case() {
        assert_eq!(FileType::of_path("reports/a.CSV"), FileType::Csv);
        assert_eq!(FileType::of_path("x/y.json"), FileType::Json);
        assert_eq!(FileType::of_path("notes.markdown"), FileType::Md);
        assert_eq!(FileType::of_path("README.md"), FileType::Md);
        assert_eq!(FileType::of_path("trace.prof"), FileType::Other);
        assert_eq!(FileType::of_path("Makefile"), FileType::Other);
        assert_eq!(FileType::of_path("dir.csv/file"), FileType::Other);
    }

    #[test]
    fn os_junk_is_recognised() {
        assert!(is_os_junk("__MACOSX/reports/._a.csv"));
        assert!(is_os_junk("top/__MACOSX/x"));
        assert!(is_os_junk("reports/.DS_Store"));
        assert!(is_os_junk("reports/Thumbs.db"));
        assert!(is_os_junk("reports/._a.csv"));
        assert!(!is_os_junk("reports/a.csv"));
        assert!(!is_os_junk("reports/MACOSX.md"));
    }

    #[test]
    fn escaping_names_are_unsafe() {
        assert!(unsafe_path_reason("../etc/passwd").is_some());
        assert!(unsafe_path_reason("a/../../b").is_some());
        assert!(unsafe_path_reason("/etc/passwd").is_some());
        assert!(unsafe_path_reason("C:/Windows/x").is_some());
        assert!(unsafe_path_reason("a\\..\\b").is_some());
        assert!(unsafe_path_reason("reports/a..b.csv").is_none());
    }

    #[test]
    fn a_single_wrapping_folder_is_found() {
        let paths = ["bench/reports/a.csv", "bench/csv_data/b.json"];
        assert_eq!(wrapping_folder(paths), Some("bench/".to_string()));
    }

    #[test]
    fn no_wrapping_folder_when_files_sit_at_the_top_or_folders_differ() {
        assert_eq!(wrapping_folder(["reports/a.csv", "csv_data/b.csv"]), None);
        assert_eq!(wrapping_folder(["bench/a.csv", "top.md"]), None);
        assert_eq!(wrapping_folder(std::iter::empty::<&str>()), None);
        assert_eq!(wrapping_folder(["reports/a.csv", "reports/b/c.md"]), None);
    }
}
