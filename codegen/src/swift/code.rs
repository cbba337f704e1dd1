//! A small line writer for Swift source: four-space indentation, `///` doc comments, blank-line control.
//! Swift has no formatter we can run here, so the writer is what keeps the output tidy and deterministic.

/// Swift source under construction.
#[derive(Debug, Default)]
pub(crate) struct Code {
    out: String,
    depth: usize,
}

impl Code {
    pub(crate) fn new() -> Code {
        Code::default()
    }

    /// One line at the current indentation; an empty `text` gives an empty line (no trailing spaces).
    pub(crate) fn line(&mut self, text: impl AsRef<str>) {
        let text = text.as_ref();
        if !text.is_empty() {
            for _ in 0..self.depth {
                self.out.push_str("    ");
            }
            self.out.push_str(text);
        }
        self.out.push('\n');
    }

    /// A `case …:` or `default:` label inside a `switch` opened with [`Code::open`]: one level out, the
    /// way Xcode indents, so the case bodies sit at the block's depth.
    pub(crate) fn case_label(&mut self, text: impl AsRef<str>) {
        self.depth -= 1;
        self.line(text);
        self.depth += 1;
    }

    /// Lines that carry their own indentation, appended as they are.
    pub(crate) fn raw(&mut self, text: &str) {
        self.out.push_str(text.trim_end());
        self.out.push('\n');
    }

    /// A blank line, unless the previous line is blank or opens a block (no blank line after `{`).
    pub(crate) fn blank(&mut self) {
        if self.out.is_empty() || self.out.ends_with("\n\n") || self.out.ends_with("{\n") {
            return;
        }
        self.out.push('\n');
    }

    /// `text {` and one level deeper.
    pub(crate) fn open(&mut self, text: impl AsRef<str>) {
        self.line(format!("{} {{", text.as_ref()));
        self.depth += 1;
    }

    /// One level shallower and `}` (plus `suffix`, e.g. `)` or `,`).
    pub(crate) fn close_with(&mut self, suffix: &str) {
        assert!(self.depth > 0, "Code::close without a matching open");
        // No blank line before a closing brace.
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.depth -= 1;
        self.line(format!("}}{suffix}"));
    }

    pub(crate) fn close(&mut self) {
        self.close_with("");
    }

    /// Indents the lines written by `body` one level more, without braces (switch cases, argument lists).
    pub(crate) fn indented(&mut self, body: impl FnOnce(&mut Code)) {
        self.depth += 1;
        body(self);
        self.depth -= 1;
    }

    /// `///` lines for `text`; blank lines in the text stay as bare `///`. Swift ends a comment at `\r` as
    /// well as `\n`, so both split lines, and other control characters are written as escapes.
    pub(crate) fn doc(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        for line in text.trim_end().lines() {
            let line = comment_safe(line.trim_end());
            if line.is_empty() { self.line("///") } else { self.line(format!("/// {line}")) }
        }
    }

    /// A doc comment in swift-openapi-generator's shape: the description, then a `- Remark:` line naming the
    /// schema node it comes from.
    pub(crate) fn doc_with_pointer(&mut self, description: &str, pointer: &str) {
        if !description.trim().is_empty() {
            self.doc(description);
            self.line("///");
        }
        self.line(format!("/// - Remark: Generated from `#{}`.", comment_safe(pointer)));
    }

    pub(crate) fn finish(self) -> String {
        assert_eq!(self.depth, 0, "Code::finish with unclosed blocks");
        let mut out = self.out;
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }
}

/// `text` with control characters (line breaks included) escaped, so it stays on one comment line.
fn comment_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// A Swift string literal for `text`: quotes, backslashes and control characters escaped.
pub(crate) fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_blocks_and_drops_blank_lines_before_closing_braces() {
        let mut code = Code::new();
        code.open("struct A");
        code.blank();
        code.line("var x: Int");
        code.blank();
        code.close();
        assert_eq!(code.finish(), "struct A {\n    var x: Int\n}\n");
    }

    #[test]
    fn doc_comment_ends_with_the_schema_pointer() {
        let mut code = Code::new();
        code.doc_with_pointer("First.\n\nSecond.", "/$defs/A");
        assert_eq!(code.finish(), "/// First.\n///\n/// Second.\n///\n/// - Remark: Generated from `#/$defs/A`.\n");
    }

    #[test]
    fn line_breaks_in_pointers_and_descriptions_cannot_end_a_comment_early() {
        let mut code = Code::new();
        code.doc_with_pointer("a\rb\u{1}", "/$defs/A/properties/x\ny");
        assert_eq!(
            code.finish(),
            "/// a\n/// b\\u{1}\n///\n/// - Remark: Generated from `#/$defs/A/properties/x\\ny`.\n"
        );
    }

    #[test]
    fn string_literals_escape_quotes_backslashes_and_controls() {
        assert_eq!(string_literal(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string_literal("x\ny\u{1}"), r#""x\ny\u{1}""#);
    }
}
