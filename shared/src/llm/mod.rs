//! Talking to LLM backends, minus the sockets: the request the page sends,
//! the events it receives, the parsers for Ollama's and OpenAI-compatible
//! streams, and the timing arithmetic. The companion does the I/O.

pub mod backends;
pub mod events;
pub mod live;
pub mod ollama;
pub mod openai;
pub mod options;
pub mod timing;

pub use events::{ErrorKind, GenerationMetrics, StreamEvent};
pub use options::{GenerateRequest, GenerationOptions};
pub use timing::Timing;

/// Splits a byte stream into lines, keeping bytes as bytes until a line is
/// complete: a UTF-8 character split across two network chunks is joined
/// before it is decoded.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Feeds a chunk; returns every line it completed, without the newline
    /// (and without a trailing `\r`).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            self.pending.extend_from_slice(&rest[..end]);
            let mut line = std::mem::take(&mut self.pending);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push(line);
            rest = &rest[end + 1..];
        }
        self.pending.extend_from_slice(rest);
        lines
    }

    /// What is left when the stream ends: a last line without a newline.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let line = std::mem::take(&mut self.pending);
        (!line.is_empty()).then_some(line)
    }

    /// Bytes received but not yet part of a complete line.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let mut splitter = LineSplitter::default();
        assert!(splitter.push(b"{\"a\":").is_empty());
        let lines = splitter.push(b"1}\n{\"b\":2}\r\n{\"c\"");
        assert_eq!(lines, vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(splitter.finish(), Some(b"{\"c\"".to_vec()));
        assert_eq!(splitter.finish(), None);
    }

    #[test]
    fn a_utf8_character_split_between_chunks_survives() {
        let text = "{\"response\":\"naïve 🚀\"}\n".as_bytes();
        let rocket = text.iter().position(|b| *b == 0xF0).unwrap();
        let mut splitter = LineSplitter::default();
        assert!(splitter.push(&text[..rocket + 2]).is_empty());
        let lines = splitter.push(&text[rocket + 2..]);
        assert_eq!(
            String::from_utf8(lines[0].clone()).unwrap(),
            "{\"response\":\"naïve 🚀\"}"
        );
    }
}
