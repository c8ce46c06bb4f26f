//! Renders untrusted Markdown (model output, uploaded reports) to HTML that
//! is safe to put in the page: raw HTML is shown as text, never parsed, and
//! links or images may only point to http(s), mail or in-page addresses.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Markdown to HTML with every raw-HTML construct escaped and every
/// unsafe URL removed.
pub fn to_safe_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Shown as the text it is.
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    let allowed = match scheme {
        None => true,
        // A colon after a slash, '?' or '#' is part of a path, not a scheme.
        Some(s) if s.contains(['/', '?', '#']) => true,
        Some("http" | "https" | "mailto") => true,
        Some(_) => false,
    };
    if allowed {
        url
    } else {
        CowStr::Borrowed("#unsafe-link-removed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        let html = to_safe_html(
            "## Key Findings\n\n1. **Fast** decode\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h2>Key Findings</h2>"));
        assert!(html.contains("<strong>Fast</strong>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_safe_html("hi <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn script_urls_are_removed() {
        for link in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](java&#9;script:alert(1))",
            "![i](data:text/html;base64,AAAA)",
            "[x](vbscript:msgbox)",
        ] {
            let html = to_safe_html(link);
            assert!(html.contains("#unsafe-link-removed"), "{link} -> {html}");
            assert!(!html.to_lowercase().contains("script:"), "{link} -> {html}");
        }
    }

    #[test]
    fn ordinary_links_stay() {
        let html =
            to_safe_html("[docs](https://example.org/a?b=c:d) [rel](reports/a.md) [top](#top)");
        assert!(html.contains("href=\"https://example.org/a?b=c:d\""));
        assert!(html.contains("href=\"reports/a.md\""));
        assert!(html.contains("href=\"#top\""));
    }
}
