//! Checks that a file's bytes are what its extension says: UTF-8 text, and
//! well-formed JSON or CSV. Every failure names the place it went wrong.

use crate::classify::FileType;

/// Why a file's content could not be read as its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentProblem {
    pub kind: &'static str,
    pub message: String,
}

impl ContentProblem {
    fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Validates `bytes` as a file of type `file_type`. Files of type
/// [`FileType::Other`] are not inspected.
pub fn check(file_type: FileType, bytes: &[u8]) -> Result<(), ContentProblem> {
    if file_type == FileType::Other {
        return Ok(());
    }
    let text = decode_utf8(bytes)?;
    match file_type {
        FileType::Json => check_json(text),
        FileType::Csv => check_csv(text),
        FileType::Md | FileType::Other => Ok(()),
    }
}

/// The text of a UTF-8 file, without a byte-order mark.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, ContentProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        // NUL is valid UTF-8 but never appears in real text files; it is the
        // mark of UTF-16 or binary data behind a text extension.
        Ok(text) if text.contains('\0') => {
            Err(ContentProblem::new("not_utf8", describe_nul_text(bytes)))
        }
        Ok(text) => Ok(text),
        Err(error) => Err(ContentProblem::new(
            "not_utf8",
            describe_non_utf8(bytes, &error),
        )),
    }
}

fn describe_nul_text(bytes: &[u8]) -> String {
    match sniff_utf16(bytes) {
        Some((endian, first_line)) => {
            format!("not UTF-8 text: UTF-16 {endian} text, beginning \"{first_line}\"")
        }
        None => "not UTF-8 text: binary data (NUL bytes)".into(),
    }
}

/// Recognises UTF-16 without a proper byte-order mark (one that was itself
/// mangled, say) by where its NUL bytes fall, and decodes its first line so a
/// user can see what the file really holds.
fn sniff_utf16(bytes: &[u8]) -> Option<(&'static str, String)> {
    let sample = &bytes[..bytes.len().min(4096)];
    // The alignment is found whatever shape a leading mark has.
    let little = crate::metrics::text::utf16_by_nuls(sample)?;
    let endian = if little {
        "little-endian"
    } else {
        "big-endian"
    };
    let units: Vec<u16> = sample
        .chunks_exact(2)
        .map(|pair| {
            if little {
                u16::from_le_bytes([pair[0], pair[1]])
            } else {
                u16::from_be_bytes([pair[0], pair[1]])
            }
        })
        .collect();
    let text = String::from_utf16_lossy(&units);
    let line: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{FEFF}' | '\u{FFFD}'))
        .skip_while(|c| !c.is_ascii_graphic())
        .take_while(|c| *c != '\n' && *c != '\r')
        .take(101)
        .collect();
    let mut line = line.trim().to_owned();
    if line.chars().count() > 100 {
        line = line.chars().take(100).collect::<String>() + "…";
    }
    Some((endian, line))
}

fn describe_non_utf8(bytes: &[u8], error: &std::str::Utf8Error) -> String {
    if bytes.starts_with(b"\xFF\xFE") {
        return "not UTF-8 text: UTF-16 little-endian (byte-order mark FF FE)".into();
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return "not UTF-8 text: UTF-16 big-endian (byte-order mark FE FF)".into();
    }
    let sample = &bytes[..bytes.len().min(512)];
    let zeros = sample.iter().filter(|b| **b == 0).count();
    if zeros * 4 > sample.len() {
        return "not UTF-8 text: binary data (many NUL bytes)".into();
    }
    let offset = error.valid_up_to();
    format!(
        "not UTF-8 text: invalid byte 0x{:02X} at offset {offset}",
        bytes[offset]
    )
}

pub(crate) fn check_json(text: &str) -> Result<(), ContentProblem> {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => Ok(()),
        Err(error) => Err(ContentProblem::new("invalid_json", json_message(&error))),
    }
}

fn json_message(error: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; put the position first, where
    // a reader looks for it.
    let full = error.to_string();
    let reason = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(reason, _)| reason);
    if error.line() == 0 {
        format!("invalid JSON: {reason}")
    } else {
        format!(
            "invalid JSON at line {}, column {}: {reason}",
            error.line(),
            error.column()
        )
    }
}

fn check_csv(text: &str) -> Result<(), ContentProblem> {
    let mut rows = crate::csv_rows::Rows::new(text);
    let Some(first) = rows.next() else {
        return Ok(());
    };
    let expected = first.len();
    while let Some(row) = rows.next() {
        if row.len() != expected {
            return Err(ragged_csv(row.line, row.len(), expected));
        }
    }
    Ok(())
}

/// The problem of a CSV whose row at `line` has `fields` fields where the
/// first row has `expected`.
pub(crate) fn ragged_csv(line: u64, fields: usize, expected: usize) -> ContentProblem {
    ContentProblem::new(
        "invalid_csv",
        format!("invalid CSV at line {line}: {fields} fields where the first row has {expected}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_files_pass() {
        assert!(check(FileType::Json, br#"{"a": [1, 2]}"#).is_ok());
        assert!(check(FileType::Csv, b"a,b\n1,2\n").is_ok());
        assert!(check(FileType::Md, "# Tokens/s \u{2014} fine".as_bytes()).is_ok());
        assert!(check(FileType::Other, &[0, 159, 146, 150]).is_ok());
    }

    #[test]
    fn a_byte_order_mark_is_allowed() {
        assert!(check(FileType::Json, b"\xEF\xBB\xBF{}").is_ok());
    }

    #[test]
    fn json_errors_name_line_and_column() {
        let problem =
            check(FileType::Json, b"{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3\n}").unwrap_err();
        assert_eq!(problem.kind, "invalid_json");
        assert_eq!(
            problem.message,
            "invalid JSON at line 4, column 3: expected `,` or `}`"
        );
    }

    #[test]
    fn truncated_json_is_reported() {
        let problem = check(FileType::Json, b"{\"a\": [1, 2").unwrap_err();
        assert!(
            problem.message.starts_with("invalid JSON at line 1"),
            "{}",
            problem.message
        );
        assert!(problem.message.contains("EOF"), "{}", problem.message);
    }

    #[test]
    fn ragged_csv_rows_name_the_line() {
        let problem = check(FileType::Csv, b"a,b,c\n1,2,3\n4,5\n").unwrap_err();
        assert_eq!(problem.kind, "invalid_csv");
        assert_eq!(
            problem.message,
            "invalid CSV at line 3: 2 fields where the first row has 3"
        );
    }

    #[test]
    fn utf16_text_is_named_as_such() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "error: failed".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let problem = check(FileType::Csv, &bytes).unwrap_err();
        assert_eq!(problem.kind, "not_utf8");
        assert!(
            problem.message.contains("UTF-16 little-endian"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn utf16_behind_a_mangled_byte_order_mark_is_recognised() {
        // A UTF-16 mark re-encoded as UTF-8 ("ÿþ"), then UTF-16 text: valid
        // UTF-8 byte for byte, but not text anyone can read.
        let mut bytes = "\u{FF}\u{FE}".as_bytes().to_vec();
        for unit in "==ERROR== bad option\r\nmore".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let problem = check(FileType::Csv, &bytes).unwrap_err();
        assert_eq!(
            problem.message,
            "not UTF-8 text: UTF-16 little-endian text, beginning \"==ERROR== bad option\""
        );
    }

    #[test]
    fn latin1_text_names_the_bad_byte() {
        let problem = check(FileType::Md, b"caf\xE9 au lait").unwrap_err();
        assert_eq!(
            problem.message,
            "not UTF-8 text: invalid byte 0xE9 at offset 3"
        );
    }
}
