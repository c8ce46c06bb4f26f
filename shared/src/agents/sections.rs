//! Reads the structure of a model's Markdown answer: its sections (by
//! heading, or by a line that is bold and nothing else) and the list items
//! inside each. Key findings and recommendations are taken from the sections
//! so titled, never from lines that merely contain a word.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The heading without numbering, emphasis or a trailing colon.
    pub title: String,
    pub body: String,
    /// List items directly in this section, continuation lines joined.
    pub items: Vec<String>,
}

/// Splits Markdown into sections. Text before the first heading forms a
/// section with an empty title.
pub fn parse(markdown: &str) -> Vec<Section> {
    let mut sections = vec![Section {
        title: String::new(),
        body: String::new(),
        items: Vec::new(),
    }];
    let mut in_code = false;
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && let Some(title) = heading_title(trimmed) {
            sections.push(Section {
                title,
                body: String::new(),
                items: Vec::new(),
            });
            continue;
        }
        let current = sections.last_mut().expect("there is always a section");
        current.body.push_str(line);
        current.body.push('\n');
    }
    for section in &mut sections {
        section.items = list_items(&section.body);
    }
    sections.retain(|s| !(s.title.is_empty() && s.body.trim().is_empty()));
    sections
}

/// The items of the first section whose title satisfies `wanted`, with the
/// section's title.
pub fn items_of(sections: &[Section], wanted: impl Fn(&str) -> bool) -> Option<&Section> {
    sections.iter().find(|s| wanted(&s.title.to_lowercase()))
}

pub fn is_findings_title(title: &str) -> bool {
    title.contains("finding")
}

pub fn is_recommendations_title(title: &str) -> bool {
    title.contains("recommendation")
}

fn heading_title(line: &str) -> Option<String> {
    let raw = if let Some(rest) = line.strip_prefix('#') {
        let rest = rest.trim_start_matches('#');
        if !rest.starts_with(' ') {
            return None;
        }
        rest.trim()
    } else if line.len() > 4
        && line.starts_with("**")
        && (line.ends_with("**") || line.ends_with("**:"))
    {
        let inner = line
            .trim_end_matches(':')
            .trim_start_matches("**")
            .trim_end_matches("**");
        // A bold run inside a sentence ("**A** and **B**") is not a heading.
        if inner.contains("**") || inner.len() > 80 {
            return None;
        }
        inner
    } else {
        return None;
    };
    let title = strip_numbering(raw.trim_matches(|c| c == '*' || c == '_').trim())
        .trim_end_matches(':')
        .trim();
    (!title.is_empty()).then(|| title.to_owned())
}

fn strip_numbering(title: &str) -> &str {
    let digits = title
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    let rest = &title[digits..];
    if digits > 0 && (rest.starts_with(' ') || rest.starts_with(')')) {
        return rest.trim_start_matches(')').trim_start();
    }
    // Roman numerals ("IV. Findings").
    if let Some((head, rest)) = title.split_once(". ")
        && !head.is_empty()
        && head.chars().all(|c| "IVXLC".contains(c))
    {
        return rest;
    }
    title
}

fn list_items(body: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    let mut open = false;
    for line in body.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(text) = list_marker(trimmed)
            && indent < 2
        {
            items.push(text.trim().to_owned());
            open = true;
        } else if open && !trimmed.is_empty() && indent >= 2 {
            let last = items.last_mut().expect("open implies an item");
            last.push(' ');
            last.push_str(trimmed.trim_start_matches(['-', '*', '+']).trim());
        } else if trimmed.is_empty() {
            // A blank line keeps a loose list open for its continuation lines.
        } else {
            open = false;
        }
    }
    items
}

fn list_marker(line: &str) -> Option<&str> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(rest);
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(rest);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "\
Okay, here's a structured analysis.

**1. Executive Summary**

The data shows key trends in throughput.

## 4. Key Findings

*   **High TTFT variance:** 0.09 s to 2.3 s across configurations.
*   **GPU bottleneck:** conv_bench is slowest.
    It dominates the total.

### Recommendations:
1. Tune num_gpu first.
2) Automate reporting.

Key performance findings are above.
";

    #[test]
    fn sections_come_from_headings_and_bold_lines() {
        let sections = parse(ANSWER);
        let titles: Vec<_> = sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            ["", "Executive Summary", "Key Findings", "Recommendations"]
        );
    }

    #[test]
    fn findings_are_the_items_of_the_findings_section_only() {
        let sections = parse(ANSWER);
        let findings = items_of(&sections, is_findings_title).unwrap();
        assert_eq!(
            findings.items,
            [
                "**High TTFT variance:** 0.09 s to 2.3 s across configurations.",
                "**GPU bottleneck:** conv_bench is slowest. It dominates the total."
            ]
        );
        let recommendations = items_of(&sections, is_recommendations_title).unwrap();
        assert_eq!(
            recommendations.items,
            ["Tune num_gpu first.", "Automate reporting."]
        );
    }

    #[test]
    fn lines_that_only_mention_a_word_are_not_findings() {
        // "key" appears in running text and in a bold phrase mid-sentence.
        let text =
            "The **key** point is speed.\nKey Performance Findings** were noted.\n- a bullet";
        let sections = parse(text);
        assert!(items_of(&sections, is_findings_title).is_none());
    }

    #[test]
    fn headings_inside_code_blocks_are_ignored() {
        let sections = parse("```\n# not a heading\n```\n## Real\n- item");
        assert_eq!(
            sections
                .iter()
                .map(|s| s.title.as_str())
                .collect::<Vec<_>>(),
            ["", "Real"]
        );
    }
}
