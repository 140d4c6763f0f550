//! Assembling one model document from its texts: the model file, the files it `extends`
//! (tables merge, keys replace, chains allowed, cycles refused) and `--set KEY=VALUE`
//! overrides.
//!
//! [`collect`] reads the texts; [`assemble`] parses and merges them. Every text is laid end
//! to end in one virtual buffer ([`Sources`]), and every span of the
//! merged TOML tree is shifted to its text's place in that buffer, so a single byte offset
//! still names the file (or `--set` argument), line and column of any value.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::diagnostic::Diagnostic;
use crate::spelling::suggest;

/// One text of a model: a file or a `--set` argument.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// The file as named, or `--set`.
    pub name: String,
    /// The folder relative paths inside it are resolved against (`None`: the current folder).
    pub dir: Option<PathBuf>,
    /// Its offset in the virtual buffer.
    pub start: usize,
    /// The text.
    pub text: String,
}

/// Every text of a model, end to end.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    texts: Vec<SourceText>,
    end: usize,
}

/// Where a byte offset of the virtual buffer is.
#[derive(Debug, Clone, PartialEq)]
pub struct Location<'a> {
    /// The file (or `--set`).
    pub name: &'a str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The text of that line.
    pub line_text: &'a str,
    /// The byte offset within the text.
    pub offset: usize,
}

impl Sources {
    /// Adds a text; returns its offset in the virtual buffer.
    pub fn add(&mut self, name: &str, dir: Option<PathBuf>, text: String) -> usize {
        let start = self.end;
        // One byte of gap, so an end-of-text span never falls into the next text.
        self.end += text.len() + 1;
        self.texts.push(SourceText {
            name: name.to_string(),
            dir,
            start,
            text,
        });
        start
    }

    /// The texts, in the order they were added.
    pub fn texts(&self) -> &[SourceText] {
        &self.texts
    }

    /// The text holding `offset`.
    pub fn text_at(&self, offset: usize) -> Option<&SourceText> {
        self.texts.iter().rev().find(|t| t.start <= offset)
    }

    /// File, line and column of an offset of the virtual buffer.
    pub fn locate(&self, offset: usize) -> Location<'_> {
        let Some(t) = self.text_at(offset) else {
            return Location {
                name: "",
                line: 1,
                column: 1,
                line_text: "",
                offset: 0,
            };
        };
        let local = (offset - t.start).min(t.text.len());
        let (line, column) = super::line_column(&t.text, local);
        Location {
            name: &t.name,
            line,
            column,
            line_text: t.text.lines().nth(line - 1).unwrap_or(""),
            offset: local,
        }
    }

    /// The bytes a run's manifest hashes: every text, in order.
    pub fn bytes(&self) -> Vec<u8> {
        self.texts
            .iter()
            .flat_map(|t| t.text.as_bytes().iter().copied())
            .collect()
    }
}

type Tree<'s> = DeTable<'s>;

/// Reads the texts of a model into `sources`: the model file, each file its `extends` chain
/// names (base files after the files that extend them), then each `--set` argument.
/// Problems (unreadable or cyclic `extends`) are pushed to `problems`.
pub fn collect(
    sources: &mut Sources,
    text: String,
    file: &str,
    sets: &[Override],
    problems: &mut Vec<Diagnostic>,
) {
    let mut chain: Vec<PathBuf> = std::fs::canonicalize(file).into_iter().collect();
    let mut name = file.to_string();
    let mut text = text;
    loop {
        let dir = Path::new(&name)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf);
        let start = sources.add(&name, dir.clone(), text.clone());
        let Some((base, span)) = extends_of(&text, start, problems) else {
            break;
        };
        let path = match &dir {
            Some(d) => d.join(&base),
            None => PathBuf::from(&base),
        };
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if chain.contains(&canonical) {
            let names: Vec<String> = chain
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| p.display().to_string())
                .collect();
            problems.push(problem(
                "extends",
                span,
                format!("`extends` makes a cycle: {}", names.join(" -> ")),
                "a model cannot extend itself, directly or through other files; remove one `extends`",
            ));
            break;
        }
        match crate::input::read_to_string(&path) {
            Ok(t) => {
                chain.push(canonical);
                name = path.display().to_string();
                text = t;
            }
            Err(e) => {
                problems.push(problem(
                    "extends",
                    span,
                    format!("cannot read {}: {e}", path.display()),
                    "the path is relative to the folder of the file that extends it",
                ));
                break;
            }
        }
    }
    for set in sets {
        sources.add(set.flag.name(), None, set.text.clone());
    }
}

/// Which flag an override came from: it names the override's text in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// `--set KEY=VALUE`.
    Set,
    /// One value of `--vary KEY=V1,V2,...`, for one scenario of a sweep.
    Vary,
}

impl Flag {
    /// The flag as typed.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Set => "--set",
            Flag::Vary => "--vary",
        }
    }
}

/// One `KEY=VALUE` override of a model, with the flag it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// `--set` or `--vary`.
    pub flag: Flag,
    /// `KEY=VALUE`.
    pub text: String,
}

impl Override {
    /// `--set KEY=VALUE`s, in order.
    pub fn sets(texts: &[String]) -> Vec<Override> {
        texts
            .iter()
            .map(|t| Override {
                flag: Flag::Set,
                text: t.clone(),
            })
            .collect()
    }
}

/// Whether a text is an override rather than a file.
fn is_override(name: &str) -> bool {
    name == Flag::Set.name() || name == Flag::Vary.name()
}

/// Tables whose entries are named by the model: an override may change an entry they have,
/// never add one (a typo'd name would otherwise add a sector, group or asset).
const NAMED: [(&str, &str); 3] = [
    ("sectors", "sectors"),
    ("groups", "groups"),
    ("assets", "assets"),
];

/// The `extends` value of a text (and its span), when it has a valid one.
fn extends_of(
    text: &str,
    start: usize,
    problems: &mut Vec<Diagnostic>,
) -> Option<(String, Range<usize>)> {
    let (root, _) = DeTable::parse_recoverable(text);
    let value = root.get_ref().get("extends")?;
    let span = shift_span(value.span(), start);
    match value.get_ref() {
        DeValue::String(s) => Some((s.to_string(), span)),
        _ => {
            problems.push(problem(
                "extends",
                span,
                "`extends` must be a string: the path of the model this one builds on".into(),
                "write extends = \"base.toml\" (relative to this file's folder)",
            ));
            None
        }
    }
}

/// The merged document of the texts `collect` read: the deepest base file first, each file
/// that extends it merged over it, then the `--set`s applied.
pub fn assemble<'s>(sources: &'s Sources, problems: &mut Vec<Diagnostic>) -> Tree<'s> {
    let files: Vec<&SourceText> = sources
        .texts
        .iter()
        .filter(|t| !is_override(&t.name))
        .collect();
    let mut tree = Tree::new();
    for t in files.iter().rev() {
        let (root, syntax) = DeTable::parse_recoverable(&t.text);
        for e in &syntax {
            problems.push(Diagnostic {
                key: String::new(),
                message: format!("invalid TOML: {}", e.message().trim()),
                help: Some("see https://toml.io for the syntax".into()),
                span: shift_span(e.span().unwrap_or(0..0), t.start),
            });
        }
        if !syntax.is_empty() {
            continue;
        }
        let mut layer = shift_table(root.into_inner(), t.start);
        remove(&mut layer, "extends");
        merge(&mut tree, layer);
    }
    let mut given: Vec<(String, &SourceText)> = Vec::new();
    for t in sources.texts.iter().filter(|t| is_override(&t.name)) {
        apply_set(&mut tree, t, &mut given, problems);
    }
    tree
}

fn problem(key: &str, span: Range<usize>, message: String, help: &str) -> Diagnostic {
    Diagnostic {
        key: key.to_string(),
        message,
        help: Some(help.to_string()),
        span,
    }
}

/// Removes `key` from a table (the map keeps the order of the others).
fn remove<'s>(
    table: &mut Tree<'s>,
    key: &str,
) -> Option<(Spanned<toml::de::DeString<'s>>, Spanned<DeValue<'s>>)> {
    let found = table.iter().any(|(k, _)| k.get_ref() == key);
    if !found {
        return None;
    }
    let mut removed = None;
    let mut rest = Tree::new();
    for (k, v) in std::mem::take(table) {
        if k.get_ref() == key {
            removed = Some((k, v));
        } else {
            rest.insert(k, v);
        }
    }
    *table = rest;
    removed
}

/// Merges `over` into `base`: tables merge key by key, any other value replaces.
pub fn merge<'s>(base: &mut Tree<'s>, over: Tree<'s>) {
    for (k, v) in over {
        let both_tables = matches!(v.get_ref(), DeValue::Table(_))
            && matches!(
                base.get(k.get_ref().as_ref()).map(Spanned::get_ref),
                Some(DeValue::Table(_))
            );
        if both_tables {
            let DeValue::Table(over_table) = v.into_inner() else {
                unreachable!("checked above")
            };
            let existing = base
                .get_mut(k.get_ref().as_ref())
                .expect("checked above")
                .get_mut();
            if let DeValue::Table(base_table) = existing {
                merge(base_table, over_table);
            }
        } else {
            base.insert(k, v);
        }
    }
}

fn shift_span(span: Range<usize>, by: usize) -> Range<usize> {
    span.start + by..span.end + by
}

fn shift_table(table: Tree<'_>, by: usize) -> Tree<'_> {
    let mut out = Tree::new();
    for (k, v) in table {
        let key = Spanned::new(shift_span(k.span(), by), k.into_inner());
        out.insert(key, shift(v, by));
    }
    out
}

fn shift(value: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = shift_span(value.span(), by);
    let inner = match value.into_inner() {
        DeValue::Table(t) => DeValue::Table(shift_table(t, by)),
        DeValue::Array(a) => {
            let mut out = DeArray::new();
            for item in a.iter() {
                out.push(shift(item.clone(), by));
            }
            DeValue::Array(out)
        }
        other => other,
    };
    Spanned::new(span, inner)
}

/// Applies one override `KEY=VALUE` (of `--set` or `--vary`): VALUE is a TOML value, or else
/// taken as a string (so a distribution needs no quotes). An override changes what the model
/// has: it may not add a sector, group or asset, name `extends`, or repeat a key an earlier
/// override gave (`given` holds those).
fn apply_set<'s>(
    tree: &mut Tree<'s>,
    text: &'s SourceText,
    given: &mut Vec<(String, &'s SourceText)>,
    problems: &mut Vec<Diagnostic>,
) {
    let (set, start, flag) = (text.text.as_str(), text.start, text.name.as_str());
    let help = if flag == Flag::Vary.name() {
        "write --vary KEY=V1,V2,..., e.g. --vary adoption.ceiling=\"2 to 5\",\"5 to 10\""
    } else {
        "write --set KEY=VALUE, e.g. --set sectors.ml_ai.elasticity=\"normal(1.2, 0.3)\" or --set model.horizon_years=15"
    };
    let Some((key, value)) = set.split_once('=') else {
        problems.push(problem(
            "",
            start..start + set.len(),
            format!("{flag} `{set}` has no `=`"),
            help,
        ));
        return;
    };
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        problems.push(problem(
            "",
            start..start + key.len(),
            format!("{flag} `{set}`: `{}` is not a key path", key.trim()),
            help,
        ));
        return;
    }
    let path = parts.iter().map(|p| p.trim()).collect::<Vec<_>>().join(".");
    let key_start = start + key.len() - key.trim_start().len();
    let key_span = key_start..key_start + key.trim().len();
    if path == "extends" {
        problems.push(problem(
            "extends",
            key_span,
            format!("{flag} cannot set `extends`: a model's base is chosen in the model file"),
            "write extends = \"base.toml\" at the top of the model file, or run the base model itself",
        ));
        return;
    }
    if let Some((_, earlier)) = given.iter().find(|(k, _)| *k == path) {
        problems.push(problem(
            &path,
            key_span,
            format!(
                "{flag} `{set}` sets `{path}` again: {} `{}` set it already",
                earlier.name, earlier.text
            ),
            "give each key once (a sweep varies a key with one --vary KEY=V1,V2,...)",
        ));
        return;
    }
    given.push((path, text));
    let value_text = value.trim();
    let lead = value.len() - value.trim_start().len();
    let value_start = start + key.len() + 1 + lead;
    let value_span = value_start..value_start + value_text.len();
    let parsed = match DeValue::parse(value_text) {
        Ok(v) => shift(v, value_start),
        Err(_) => Spanned::new(value_span, DeValue::String(value_text.into())),
    };
    let key_span = |i: usize| {
        let offset: usize = parts[..i].iter().map(|p| p.len() + 1).sum();
        let lead = parts[i].len() - parts[i].trim_start().len();
        start + offset + lead..start + offset + lead + parts[i].trim().len()
    };
    let mut table = tree;
    for (i, part) in parts.iter().map(|p| p.trim()).enumerate() {
        let name = Spanned::new(key_span(i), toml::de::DeString::Borrowed(part));
        if i == parts.len() - 1 {
            table.insert(name, parsed);
            return;
        }
        if table.get(part).is_none() {
            if let Some((_, what)) = NAMED.iter().find(|(t, _)| i == 1 && parts[0].trim() == *t) {
                let names: Vec<&str> = table.iter().map(|(k, _)| k.get_ref().as_ref()).collect();
                problems.push(Diagnostic {
                    key: format!("{}.{part}", parts[0].trim()),
                    message: format!(
                        "{flag} `{set}`: the model has no {} `{part}`, and an override cannot add one",
                        &what[..what.len() - 1]
                    ),
                    help: Some(suggest(part, what, &names)),
                    span: key_span(i),
                });
                return;
            }
            table.insert(name, Spanned::new(key_span(i), DeValue::Table(Tree::new())));
        }
        match table.get_mut(part).expect("inserted above").get_mut() {
            DeValue::Table(t) => table = t,
            other => {
                let path: Vec<&str> = parts[..=i].iter().map(|p| p.trim()).collect();
                problems.push(problem(
                    &path.join("."),
                    key_span(i),
                    format!(
                        "{flag} `{set}`: `{}` is a {}, not a table",
                        path.join("."),
                        other.type_str()
                    ),
                    help,
                ));
                return;
            }
        }
    }
}
