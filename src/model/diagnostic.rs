//! Errors in a model file that a person can act on.
//!
//! A [`Diagnostic`] names the key path, says what is wrong and what would be valid, and carries
//! the byte span of the offending text; [`ModelError`] holds every diagnostic of one file with
//! that file's text, so it renders `file:line:column`, the source line and a caret under it.

use std::fmt;
use std::ops::Range;

use super::source::Sources;

/// One problem in a model file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The key path, e.g. `assets.nvidia.exposure.ml_ia` (empty for a TOML syntax error).
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid, with the closest name when there is one.
    pub help: Option<String>,
    /// Byte range of the offending text in the file.
    pub span: Range<usize>,
}

/// Every problem found in one model (its file, the files it extends, its `--set`s). No run
/// starts while one exists.
#[derive(Debug, Clone)]
pub struct ModelError {
    /// The model file as the user named it.
    pub file: String,
    /// The texts, to turn spans into files, lines and columns.
    pub sources: Sources,
    /// The problems, in the order of the texts.
    pub diagnostics: Vec<Diagnostic>,
}

/// An error only in the `--set` or `--vary` flags is a usage error (exit 2); anything in the
/// files is an invalid model (exit 1).
impl crate::exit::ExitStatus for ModelError {
    fn exit_code(&self) -> u8 {
        let in_flags = |d: &Diagnostic| {
            let name = self.sources.locate(d.span.start).name;
            name.starts_with("--set") || name.starts_with("--vary")
        };
        if !self.diagnostics.is_empty() && self.diagnostics.iter().all(in_flags) {
            crate::exit::USAGE
        } else {
            crate::exit::FAILED
        }
    }
}

impl ModelError {
    /// 1-based line and column (in characters) of a byte offset, within its own text.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let at = self.sources.locate(offset);
        (at.line, at.column)
    }
}

/// 1-based line and column (in characters) of a byte offset in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Errors printed in full; a file that is not TOML at all would otherwise flood the terminal.
const SHOWN: usize = 20;

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.diagnostics.len();
        for (i, d) in self.diagnostics.iter().take(SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let at = self.sources.locate(d.span.start);
            let name = if at.name.is_empty() {
                &self.file
            } else {
                at.name
            };
            write!(f, "{name}:{}:{}: ", at.line, at.column)?;
            if !d.key.is_empty() {
                write!(f, "{}: ", d.key)?;
            }
            writeln!(f, "{}", d.message)?;
            if !at.line_text.is_empty() {
                let width = self.sources.text_at(d.span.start).map_or(1, |t| {
                    let end =
                        floor_char_boundary(&t.text, (at.offset + d.span.len()).min(t.text.len()));
                    t.text[at.offset..end]
                        .lines()
                        .next()
                        .map_or(1, |l| l.chars().count().max(1))
                });
                writeln!(f, "{:>5} | {}", at.line, at.line_text)?;
                writeln!(
                    f,
                    "      | {}{}",
                    " ".repeat(at.column - 1),
                    "^".repeat(width)
                )?;
            }
            if let Some(help) = &d.help {
                writeln!(f, "      = help: {help}")?;
            }
        }
        if count > SHOWN {
            write!(f, "\n... and {} more not shown", count - SHOWN)?;
        }
        if count > 1 {
            write!(f, "\n{count} errors in {}", self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_from_one() {
        let s = "a = 1\nbé = 2\n";
        assert_eq!(line_column(s, 0), (1, 1));
        assert_eq!(line_column(s, 6), (2, 1));
        let eq = s.find("= 2").unwrap();
        assert_eq!(line_column(s, eq), (2, 4));
    }

    #[test]
    fn renders_file_line_column_key_and_caret() {
        let mut sources = Sources::default();
        sources.add("m.toml", None, "[x]\nkey = 3\n".into());
        let e = ModelError {
            file: "m.toml".into(),
            sources,
            diagnostics: vec![Diagnostic {
                key: "x.key".into(),
                message: "bad".into(),
                help: Some("use 2".into()),
                span: 10..11,
            }],
        };
        let text = e.to_string();
        assert!(text.starts_with("m.toml:2:7: x.key: bad\n"), "{text}");
        assert!(
            text.contains("    2 | key = 3\n      |       ^\n"),
            "{text}"
        );
        assert!(text.contains("help: use 2"));
    }
}
