//! Small readers shared by the extractors: text in whatever encoding a tool
//! wrote, numbers with or without a unit after them, and the format of a
//! timestamp.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::names::{Unit, parse_unit_word};

/// The file's text. UTF-8 is borrowed; UTF-16 (with a byte-order mark, or
/// recognised by where its NUL bytes fall, as PowerShell and Windows tools
/// write it) is decoded; anything else is read as Latin-1, which keeps every
/// ASCII digit and name intact.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes)
        && !text.contains('\0')
    {
        return Cow::Borrowed(text);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Cow::Owned(utf16(rest, true));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Cow::Owned(utf16(rest, false));
    }
    match utf16_by_nuls(bytes) {
        Some(little) => Cow::Owned(utf16(bytes, little)),
        None => Cow::Owned(bytes.iter().map(|b| char::from(*b)).collect()),
    }
}

/// Whether bytes without a byte-order mark look like UTF-16, told by where
/// their NUL bytes fall in the first 4 KB: `Some(true)` little-endian (NULs
/// at odd offsets, as ASCII text has them), `Some(false)` big-endian.
pub fn utf16_by_nuls(bytes: &[u8]) -> Option<bool> {
    let sample = &bytes[..bytes.len().min(4096)];
    let nul_at = |parity: usize| {
        sample
            .iter()
            .enumerate()
            .filter(|(i, b)| **b == 0 && i % 2 == parity)
            .count()
    };
    let (even, odd) = (nul_at(0), nul_at(1));
    let half = sample.len() / 2;
    if odd * 3 > half && odd > even * 4 {
        Some(true)
    } else if even * 3 > half && even > odd * 4 {
        Some(false)
    } else {
        None
    }
}

fn utf16(bytes: &[u8], little: bool) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| {
            if little {
                u16::from_le_bytes([pair[0], pair[1]])
            } else {
                u16::from_be_bytes([pair[0], pair[1]])
            }
        })
        .collect();
    String::from_utf16_lossy(&units)
        .chars()
        .filter(|c| *c != '\u{FEFF}' && *c != '\0')
        .collect()
}

/// A plain number in a cell: `77.5`, `1,024`, `-3e2`. Empty cells, `NaN`,
/// `None` and infinities are missing values, not numbers.
pub fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let value = match text.parse::<f64>() {
        Ok(value) => value,
        Err(_) if has_thousands_commas(text) => text.replace(',', "").parse::<f64>().ok()?,
        Err(_) => return None,
    };
    value.is_finite().then_some(value)
}

/// `1,437.06` or `22,800`: commas between groups of three digits only, so a
/// decimal comma (`1,5`) is never misread as a thousand separator.
fn has_thousands_commas(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let integer = body.split('.').next().unwrap_or(body);
    let mut groups = integer.split(',');
    let first = groups.next().unwrap_or("");
    let mut any = false;
    let rest_ok = groups.all(|g| {
        any = true;
        g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit())
    });
    any && rest_ok && (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit())
}

/// A number at the start of `text`, optionally after `~` or `≈`, with the
/// unit written right after it: `"~450 ms (±45 ms)"` gives 450 and
/// milliseconds. Returns the value, its unit and the rest of the text.
pub fn parse_quantity(text: &str) -> Option<(f64, Option<Unit>, &str)> {
    let text = text.trim_start();
    let text = text
        .trim_start_matches(['~', '≈', '*', '_', '`'])
        .trim_start();
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | 'e' | 'E')))
        .map_or(text.len(), |(i, _)| i);
    let starts_like_a_number = match text.as_bytes() {
        [digit, ..] if digit.is_ascii_digit() => true,
        [b'-' | b'.', digit, ..] if digit.is_ascii_digit() => true,
        _ => false,
    };
    if !starts_like_a_number {
        return None;
    }
    // The longest prefix that is a number, so `0.128s` and `5e3ms` work and
    // a sentence's trailing comma does not spoil the value. The prefix is
    // ASCII, so every cut is a character boundary.
    let cut = (1..=end)
        .rev()
        .find(|&cut| parse_number(&text[..cut]).is_some())?;
    let value = parse_number(&text[..cut])?;
    let rest = text[cut..].trim_start_matches(['*', '_', '`']);
    let after_space = rest.trim_start();
    // Multi-word units first, then the longest single token.
    for phrase in ["tokens per second", "tokens per sec", "tok per s"] {
        if after_space
            .get(..phrase.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(phrase))
        {
            let tail = &after_space[phrase.len()..];
            if tail.chars().next().is_none_or(|c| !c.is_alphanumeric()) {
                return Some((value, Some(Unit::TokensPerSecond), tail));
            }
        }
    }
    let token_end = after_space
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '/' || *c == 'µ' || *c == 'μ'))
        .map_or(after_space.len(), |(i, _)| i);
    let token = &after_space[..token_end];
    match parse_unit_word(token) {
        Some(unit) => Some((value, Some(unit), &after_space[token_end..])),
        None => Some((value, None, rest)),
    }
}

/// A cell that holds a number, or a number and a unit and nothing else.
pub fn parse_cell(text: &str) -> Option<(f64, Option<Unit>)> {
    if let Some(value) = parse_number(text) {
        return Some((value, None));
    }
    let (value, unit, rest) = parse_quantity(text)?;
    (unit.is_some() && rest.trim().is_empty()).then_some((value, unit))
}

/// Whether a cell holds no value at all.
pub fn is_missing(text: &str) -> bool {
    is_one_of(text, &["", "none", "null", "nan", "n/a", "na", "-"])
}

/// Whether `text`, trimmed, is one of `words` (lower-case ASCII), ignoring
/// ASCII case. Called for every cell, so it allocates nothing.
pub fn is_one_of(text: &str, words: &[&str]) -> bool {
    let text = text.trim();
    words.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// Whether an error cell says "no error": empty, or a false flag or empty
/// list some tools write there.
pub fn is_no_error(text: &str) -> bool {
    is_missing(text) || is_one_of(text, &["false", "0", "[]", "{}"])
}

/// The ways timestamps are written in benchmark artifacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampFormat {
    /// `2025-10-02T19:12:04.495+00:00` or `...Z`: an exact instant.
    IsoWithZone,
    /// `2025-09-30T20:11:33`: local time of an unknown zone.
    IsoWithoutZone,
    /// `2025-10-04 13:37:17.003861`: local time, space-separated.
    SpaceSeparated,
    /// `2025-10-04`.
    DateOnly,
    /// `10/04/2025 13:37`: day and month order unknown.
    SlashDate,
    /// `1759253523.2` seconds since 1970.
    UnixSeconds,
    /// `1759253523201` milliseconds since 1970.
    UnixMillis,
}

impl TimestampFormat {
    pub fn label(self) -> &'static str {
        match self {
            TimestampFormat::IsoWithZone => "ISO 8601 with a zone",
            TimestampFormat::IsoWithoutZone => "ISO 8601 without a zone",
            TimestampFormat::SpaceSeparated => "date and time with a space, no zone",
            TimestampFormat::DateOnly => "date only",
            TimestampFormat::SlashDate => "slash-separated date",
            TimestampFormat::UnixSeconds => "Unix seconds",
            TimestampFormat::UnixMillis => "Unix milliseconds",
        }
    }
}

/// The format of a timestamp written as text, if it is one.
pub fn timestamp_format(text: &str) -> Option<TimestampFormat> {
    let text = text.trim();
    if let Some(value) = parse_number(text) {
        return timestamp_number_format(value);
    }
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    if bytes.len() >= 10 && digits(0..4) && bytes[4] == b'-' && digits(5..7) && bytes[7] == b'-' {
        if !digits(8..10) {
            return None;
        }
        if bytes.len() == 10 {
            return Some(TimestampFormat::DateOnly);
        }
        let separator = bytes[10];
        if !(separator == b'T' || separator == b' ') || !digits(11..13) {
            return None;
        }
        let time = &text[11..];
        let zoned = time.ends_with('Z')
            || time.ends_with(" UTC")
            || time.rfind(['+', '-']).is_some_and(|at| {
                at >= 5 && time[at + 1..].bytes().filter(u8::is_ascii_digit).count() >= 2
            });
        return Some(match (separator, zoned) {
            (_, true) => TimestampFormat::IsoWithZone,
            (b'T', false) => TimestampFormat::IsoWithoutZone,
            _ => TimestampFormat::SpaceSeparated,
        });
    }
    let slash: Vec<&str> = text.split([' ', 'T']).next()?.split('/').collect();
    if slash.len() == 3
        && slash
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(TimestampFormat::SlashDate);
    }
    None
}

/// Numbers under a timestamp-like name count only in the plausible range
/// (2001 to 2096), so durations such as `compile_time` are not taken for times.
pub fn timestamp_number_format(value: f64) -> Option<TimestampFormat> {
    if (1.0e9..4.0e9).contains(&value) {
        Some(TimestampFormat::UnixSeconds)
    } else if (1.0e12..4.0e12).contains(&value) {
        Some(TimestampFormat::UnixMillis)
    } else {
        None
    }
}

/// A short, single-line excerpt of a message for display.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    // The usual case, a short one-line cell, without the search for lines.
    if text.len() <= max_chars && !text.contains(['\n', '\r']) {
        return text.trim().to_owned();
    }
    let line: String = text
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_owned();
    if line.chars().count() > max_chars {
        line.chars().take(max_chars).collect::<String>() + "…"
    } else {
        line
    }
}

/// The text without the escape sequences a terminal program writes
/// (`\x1b[?25l`, `\x1b[2K`: a spinner, colours): what `ollama run` saved
/// through `tee` holds between its lines.
pub fn without_terminal_codes(text: &str) -> Cow<'_, str> {
    if !text.contains('\x1b') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        // CSI: `ESC [`, parameters, then one final byte from `@` to `~`;
        // OSC (`ESC ]`, a window title) up to BEL. A sequence cut short
        // ends at the line's end, which is kept.
        match chars.peek() {
            Some('[') => {
                chars.next();
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                    if c == '\u{7}' {
                        break;
                    }
                }
            }
            Some('\n') | None => {}
            Some(_) => {
                chars.next();
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_codes_are_taken_out() {
        assert_eq!(
            without_terminal_codes("\x1b[?25l\x1b[2K\x1b[1Geval rate: 5 tokens/s\x1b[0m"),
            "eval rate: 5 tokens/s"
        );
        assert!(matches!(
            without_terminal_codes("plain"),
            Cow::Borrowed("plain")
        ));
        // A sequence cut short never takes the line's end with it.
        assert_eq!(without_terminal_codes("a\x1b[12\nb\x1b\nc"), "a\nb\nc");
        assert_eq!(without_terminal_codes("\x1b]0;title\x07x"), "x");
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn utf8_is_borrowed_and_its_mark_dropped() {
        let text = decode(b"\xEF\xBB\xBFa,b\n");
        assert!(matches!(text, Cow::Borrowed("a,b\n")));
    }

    #[test]
    fn utf16_with_or_without_a_mark_is_decoded() {
        assert_eq!(decode(&utf16le("ttft_ms\n12\n", true)), "ttft_ms\n12\n");
        assert_eq!(decode(&utf16le("ttft_ms\n12\n", false)), "ttft_ms\n12\n");
        let mut big = vec![0xFE, 0xFF];
        for unit in "x,y".encode_utf16() {
            big.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode(&big), "x,y");
    }

    #[test]
    fn latin1_keeps_its_ascii() {
        assert_eq!(decode(b"caf\xE9,12.5"), "café,12.5");
    }

    #[test]
    fn numbers_in_cells() {
        assert_eq!(parse_number(" 77.5 "), Some(77.5));
        assert_eq!(parse_number("1,024"), Some(1024.0));
        assert_eq!(parse_number("1,437.06"), Some(1437.06));
        assert_eq!(parse_number("1,5"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_cell("551.66 ms"), Some((551.66, Some(Unit::Millis))));
        assert_eq!(parse_cell("551.66 apples"), None);
    }

    #[test]
    fn quantities_in_prose() {
        let (value, unit, _) = parse_quantity("39.57 tok/s").unwrap();
        assert_eq!((value, unit), (39.57, Some(Unit::TokensPerSecond)));
        let (value, unit, _) = parse_quantity("~450 ms (±45 ms)").unwrap();
        assert_eq!((value, unit), (450.0, Some(Unit::Millis)));
        let (value, unit, _) = parse_quantity("0.128s TTFT").unwrap();
        assert_eq!((value, unit), (0.128, Some(Unit::Seconds)));
        let (value, unit, _) = parse_quantity("102.31 tokens per second").unwrap();
        assert_eq!((value, unit), (102.31, Some(Unit::TokensPerSecond)));
        let (value, unit, _) = parse_quantity("7.90").unwrap();
        assert_eq!((value, unit), (7.9, None));
        let (value, unit, _) = parse_quantity("**102.85 tokens/s**").unwrap();
        assert_eq!((value, unit), (102.85, Some(Unit::TokensPerSecond)));
        assert!(parse_quantity("Latest (as of Oct 2025)").is_none());
        assert!(parse_quantity("-").is_none());
    }

    #[test]
    fn timestamp_formats_are_told_apart() {
        use TimestampFormat::*;
        assert_eq!(
            timestamp_format("2025-10-02T19:12:04.495331+00:00"),
            Some(IsoWithZone)
        );
        assert_eq!(timestamp_format("2025-10-02T19:12:04Z"), Some(IsoWithZone));
        assert_eq!(
            timestamp_format("2025-09-30T20:11:33"),
            Some(IsoWithoutZone)
        );
        assert_eq!(
            timestamp_format("2025-10-04 13:37:17.003861"),
            Some(SpaceSeparated)
        );
        assert_eq!(timestamp_format("2025-10-04"), Some(DateOnly));
        assert_eq!(timestamp_format("10/04/2025 13:37"), Some(SlashDate));
        assert_eq!(timestamp_format("1759253523.2013364"), Some(UnixSeconds));
        assert_eq!(timestamp_format("1759253523201"), Some(UnixMillis));
        assert_eq!(timestamp_format("6.42"), None);
        assert_eq!(timestamp_format("banter"), None);
    }
}
