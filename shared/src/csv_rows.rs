//! CSV rows read straight from a file's text with `csv_core`, for the content
//! check and the metric extraction alike.
//!
//! A folder can hold thousands of small CSV files. Building the parser's
//! state machine costs more than reading a typical file, so it is built once
//! per thread and reset for each file; rows are handed out one at a time in
//! reused buffers, so reading a file allocates nothing per row.
//!
//! Fields are separated by commas, unless the first line has none and
//! holds semicolons or tabs: spreadsheets in locales that write a decimal
//! comma save `model;ttft_s;tokens_s` and `412,7`.

use std::cell::RefCell;

thread_local! {
    /// A parser put back by the last [`Rows`] dropped on this thread, reset
    /// and ready: comma-separated, `"` quotes, RFC 4180 rules, `\n` or
    /// `\r\n` line ends, a UTF-8 byte-order mark skipped. (`csv_core`'s
    /// `Clone` does not copy the whole state machine, so it is reused, not
    /// cloned.)
    static SPARE: RefCell<Option<csv_core::Reader>> = const { RefCell::new(None) };
}

/// A parser with its state machine built. (`csv_core::Reader::default()`
/// leaves the machine empty: it is not a usable parser.)
fn new_parser(delimiter: u8) -> csv_core::Reader {
    csv_core::ReaderBuilder::new().delimiter(delimiter).build()
}

/// `sep=;`: the line Excel writes first to name the separator.
fn excel_separator(line: &str) -> Option<&u8> {
    let rest = line.trim_end().strip_prefix("sep=")?;
    match rest.as_bytes() {
        [delimiter @ (b',' | b';' | b'\t' | b'|')] => Some(delimiter),
        _ => None,
    }
}

/// The field separator the first line uses: a comma, unless it has none
/// and has semicolons or tabs (quoted text aside).
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.trim_start_matches(['\r', '\n']);
    let first = first.lines().next().unwrap_or("");
    if let Some(&delimiter) = excel_separator(first) {
        return delimiter;
    }
    let (mut commas, mut semicolons, mut tabs, mut quoted) = (0usize, 0usize, 0usize, false);
    for byte in first.bytes().take(16 * 1024) {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    match (commas, semicolons, tabs) {
        (0, s, t) if s > 0 && s >= t => b';',
        (0, _, t) if t > 0 => b'\t',
        _ => b',',
    }
}

/// The rows of one CSV text, read one at a time (a lending iterator: each row
/// borrows the reader's buffers until the next call).
pub struct Rows<'a> {
    parser: csv_core::Reader,
    delimiter: u8,
    input: &'a [u8],
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// Line ends skipped here rather than by the parser: blank lines, and
    /// the `\n` of a `\r\n` after the parser stopped at the `\r`.
    skipped_lines: u64,
    finished: bool,
}

/// One row: its fields and the line it starts on.
#[derive(Debug, Clone, Copy)]
pub struct Row<'r> {
    /// 1-based line where the row starts, as an editor shows it, blank
    /// lines and `\r\n` endings included.
    pub line: u64,
    text: &'r str,
    ends: &'r [usize],
}

impl<'a> Rows<'a> {
    pub fn new(text: &'a str) -> Self {
        let delimiter = sniff_delimiter(text);
        let spare = (delimiter == b',')
            .then(|| SPARE.with(|spare| spare.borrow_mut().take()))
            .flatten();
        // A `sep=;` line is no row: the header comes after it.
        let (input, skipped_lines) = match text.split_once('\n') {
            Some((first, rest))
                if excel_separator(first.trim_start_matches('\u{feff}')).is_some() =>
            {
                (rest, 1)
            }
            _ => (text, 0),
        };
        Rows {
            parser: spare.unwrap_or_else(|| new_parser(delimiter)),
            delimiter,
            input: input.as_bytes(),
            fields: vec![0; 1024],
            ends: vec![0; 32],
            skipped_lines,
            finished: false,
        }
    }

    /// The field separator: `,`, or `;` or a tab when the first line uses
    /// one of those and no comma.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The next row, or `None` at the end of the text. Never fails: a stray
    /// quote is read as text, the way spreadsheets do.
    #[allow(clippy::should_implement_trait)] // a lending iterator cannot be an `Iterator`
    pub fn next(&mut self) -> Option<Row<'_>> {
        use csv_core::ReadRecordResult as Read;
        if self.finished {
            return None;
        }
        // The parser skips blank lines too, but without saying how many, so
        // a row's first line would be lost.
        while let [first @ (b'\r' | b'\n'), rest @ ..] = self.input {
            self.skipped_lines += u64::from(*first == b'\n');
            self.input = rest;
        }
        let line = self.parser.line() + self.skipped_lines;
        let (mut out, mut ends) = (0, 0);
        loop {
            let (result, read, written, ended) = self.parser.read_record(
                self.input,
                &mut self.fields[out..],
                &mut self.ends[ends..],
            );
            self.input = &self.input[read..];
            out += written;
            ends += ended;
            match result {
                // The whole text is the input: an empty slice tells the parser
                // the text has ended.
                Read::InputEmpty => {}
                Read::OutputFull => {
                    let grown = self.fields.len() * 2;
                    self.fields.resize(grown, 0);
                }
                Read::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                Read::Record => break,
                Read::End => {
                    self.finished = true;
                    return None;
                }
            }
        }
        // Quotes and delimiters are ASCII, so the fields of UTF-8 text are
        // UTF-8; a cell cut inside a character (never by this parser) reads
        // as empty rather than failing.
        let text = std::str::from_utf8(&self.fields[..out]).unwrap_or("");
        Some(Row {
            line,
            text,
            ends: &self.ends[..ends],
        })
    }
}

impl Drop for Rows<'_> {
    fn drop(&mut self) {
        // Only the common comma parser is kept for the next file.
        if self.delimiter != b',' {
            return;
        }
        let mut parser = std::mem::take(&mut self.parser);
        parser.reset();
        SPARE.with(|spare| *spare.borrow_mut() = Some(parser));
    }
}

impl<'r> Row<'r> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `index`, if the row has it.
    pub fn get(&self, index: usize) -> Option<&'r str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(self.text.get(start..end).unwrap_or(""))
    }

    pub fn iter(&self) -> impl Iterator<Item = &'r str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut rows = Rows::new(text);
        let mut out = Vec::new();
        while let Some(row) = rows.next() {
            out.push((row.line, row.iter().map(str::to_owned).collect()));
        }
        out
    }

    #[test]
    fn rows_carry_their_fields_and_lines() {
        let rows = all("a,b\n1,\"x, \"\"y\"\"\"\r\n\r\n3,é\n\"multi\nline\"\n\n\n4");
        assert_eq!(
            rows,
            vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["1".into(), "x, \"y\"".into()]),
                (4, vec!["3".into(), "é".into()]),
                (5, vec!["multi\nline".into()]),
                (9, vec!["4".into()]),
            ]
        );
    }

    #[test]
    fn long_rows_grow_the_buffers() {
        let wide: Vec<String> = (0..100).map(|i| "v".repeat(i % 37 + 20)).collect();
        let text = format!("{}\n", wide.join(","));
        let rows = all(&text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1, wide);
    }

    #[test]
    fn an_empty_text_has_no_rows() {
        assert!(all("").is_empty());
        assert!(all("\n\n").is_empty());
    }

    #[test]
    fn semicolons_or_tabs_separate_fields_when_the_first_line_has_no_comma() {
        assert_eq!(
            all("model;ttft_s\nm;412,7\n"),
            vec![
                (1, vec!["model".into(), "ttft_s".into()]),
                (2, vec!["m".into(), "412,7".into()]),
            ]
        );
        assert_eq!(all("a\tb\n1\t2\n")[1].1, ["1", "2"]);
        // A comma anywhere in the first line keeps commas.
        assert_eq!(all("a,b;c\n1,2;3\n")[1].1, ["1", "2;3"]);
        assert_eq!(all("\"a;b\"\n1\n")[0].1, ["a;b"]);
        // Excel's `sep=` line names the separator and is no row.
        assert_eq!(
            all("sep=;\r\na;b\n1;2\n"),
            vec![
                (2, vec!["a".into(), "b".into()]),
                (3, vec!["1".into(), "2".into()]),
            ]
        );
    }

    #[test]
    fn a_missing_field_is_none() {
        let mut rows = Rows::new("a,b\n");
        let row = rows.next().unwrap();
        assert_eq!(row.get(1), Some("b"));
        assert_eq!(row.get(2), None);
    }
}
