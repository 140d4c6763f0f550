//! The command line's flags as the Python package's keyword arguments. The library's messages
//! name the flag a setting came from (`--paths 0: ...`, `--where "...": ...`, `--set:1:18:
//! ...`, `run fewer --paths`), where a Python caller wrote `paths=`, `where=` or `set=`:
//! [`in_keyword_terms`] rewrites a message in the caller's terms, so an exception names what
//! was written. A command quoted for the shell (between backticks, such as `boomsim run
//! --shard K/N`) keeps its flags: it is a command to run, not a setting of this call.

/// What may follow a flag in a message, taken as its value (`paths=0`).
#[derive(Clone, Copy)]
enum Value {
    /// Nothing: the flag is named alone (`--group: ...`, `choose another --out`).
    Nothing,
    /// A number (`--paths 0`, `--max-cvar -0.2`).
    Number,
    /// A quoted string (`--where "adoption_multiple > 5"`).
    Quoted,
    /// One of these words (`--summary exact`).
    Word(&'static [&'static str]),
}

/// Each flag whose setting a Python function takes, its keyword argument and its value.
const KEYWORDS: &[(&str, &str, Value)] = &[
    ("--bins", "bins", Value::Number),
    ("--boom-probability", "boom_probability", Value::Number),
    ("--cvar", "cvar", Value::Number),
    ("--exclude", "exclude", Value::Nothing),
    ("--group", "groups", Value::Nothing),
    ("--max-cvar", "max_cvar", Value::Number),
    ("--max-weight", "max_weight", Value::Number),
    ("--paths", "paths", Value::Number),
    ("--points", "points", Value::Number),
    ("--resamples", "resamples", Value::Number),
    ("--samples", "samples", Value::Nothing),
    (
        "--samples-format",
        "samples_format",
        Value::Word(&["csv", "parquet"]),
    ),
    ("--seed", "seed", Value::Number),
    ("--set", "set", Value::Nothing),
    (
        "--summary",
        "summary",
        Value::Word(&["auto", "exact", "sketch"]),
    ),
    ("--test-paths", "test_paths", Value::Number),
    ("--threads", "threads", Value::Number),
    ("--vary", "vary", Value::Nothing),
    ("--where", "where", Value::Quoted),
];

/// The keyword argument a flag is given as (`--test-paths` -> `test_paths`), if a Python
/// function takes it.
pub fn keyword(flag: &str) -> Option<&'static str> {
    entry(flag).map(|(k, _)| k)
}

/// A flag's keyword argument and what may follow it in a message.
fn entry(flag: &str) -> Option<(&'static str, Value)> {
    KEYWORDS
        .iter()
        .find(|(f, _, _)| *f == flag)
        .map(|&(_, k, v)| (k, v))
}

/// `message` with every flag a Python function takes written as its keyword argument: with
/// its value when one follows (`--paths 0:` -> `paths=0:`, `--where "x"` -> `where="x"`,
/// `--summary exact` -> `summary="exact"`), else as the bare name (`run fewer --paths` ->
/// `run fewer paths`, `--set:1:18` -> `set:1:18`). `out` is what this call names the folder
/// it writes (`out` for `sweep` and `allocate`, `path` for `Run.write`), which `--out` becomes.
/// Flags inside backticks, and flags no Python function takes, are left as they are.
pub fn in_keyword_terms(message: &str, out: &str) -> String {
    let mut written = String::with_capacity(message.len());
    let mut quoted = false;
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        let starts_word = written
            .chars()
            .next_back()
            .is_none_or(|p| !(p.is_alphanumeric() || p == '-' || p == '_'));
        if c == '`' {
            quoted = !quoted;
        } else if !quoted && starts_word && rest.starts_with("--") {
            let flag_end = rest[2..]
                .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
                .map_or(rest.len(), |i| i + 2);
            let flag = &rest[..flag_end];
            let found = match flag {
                "--out" => Some((out, Value::Nothing)),
                _ => entry(flag),
            };
            if let Some((name, value)) = found {
                let after = &rest[flag_end..];
                match value_after(after, value) {
                    Some((text, len)) => {
                        written.push_str(&format!("{name}={text}"));
                        rest = &after[len..];
                    }
                    None => {
                        written.push_str(name);
                        rest = after;
                    }
                }
                continue;
            }
        }
        written.push(c);
        rest = &rest[c.len_utf8()..];
    }
    written
}

/// [`in_keyword_terms`] for a model's diagnostics (`model::ModelError`'s text): the lines that
/// quote a file or a setting (`   12 | text`, `      | ^^^`) are kept as they are, since they
/// show what the user wrote; the others (locations, messages, help) are rewritten.
pub fn diagnostics_in_keyword_terms(message: &str) -> String {
    message
        .split_inclusive('\n')
        .map(|line| {
            let gutter = line.trim_start_matches(|c: char| c == ' ' || c.is_ascii_digit());
            if gutter.starts_with("| ") || gutter.trim_end() == "|" {
                line.to_string()
            } else {
                in_keyword_terms(line, "out")
            }
        })
        .collect()
}

/// The value right after a flag (`after` starts just past it), as the keyword argument writes
/// it, and how many bytes of `after` it takes; `None` when what follows is not such a value.
fn value_after(after: &str, value: Value) -> Option<(String, usize)> {
    let text = after.strip_prefix(' ')?;
    match value {
        Value::Nothing => None,
        Value::Quoted => {
            let body = text.strip_prefix('"')?;
            let end = body.find('"')?;
            Some((format!("\"{}\"", &body[..end]), end + 3))
        }
        Value::Number => {
            let end = text
                .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e')))
                .unwrap_or(text.len());
            let number = &text[..end];
            number
                .parse::<f64>()
                .is_ok()
                .then(|| (number.to_string(), end + 1))
        }
        Value::Word(words) => {
            let end = text
                .find(|c: char| !c.is_ascii_lowercase())
                .unwrap_or(text.len());
            let word = &text[..end];
            words
                .contains(&word)
                .then(|| (format!("\"{word}\""), end + 1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_keyword_arguments_with_their_values() {
        let cases = [
            (
                "--paths 0: expected a whole number",
                "paths=0: expected a whole number",
            ),
            (
                "--max-cvar -0.25: no portfolio has a CVaR that low",
                "max_cvar=-0.25: no portfolio has a CVaR that low",
            ),
            (
                "--where \"adoption_multiple > 5\": no path meets it",
                "where=\"adoption_multiple > 5\": no path meets it",
            ),
            (
                "leave out --summary exact (or give --summary sketch)",
                "leave out summary=\"exact\" (or give summary=\"sketch\")",
            ),
            ("help: run fewer --paths", "help: run fewer paths"),
            ("--set:1:18: adoption.ceiling", "set:1:18: adoption.ceiling"),
            (
                "--group: the model has no group",
                "groups: the model has no group",
            ),
            (
                "raise --max-weight to at least 0.25",
                "raise max_weight to at least 0.25",
            ),
            ("choose another --out", "choose another out"),
        ];
        for (message, want) in cases {
            assert_eq!(in_keyword_terms(message, "out"), want, "{message}");
        }
        assert_eq!(
            in_keyword_terms("so it is not replaced; choose another --out", "path"),
            "so it is not replaced; choose another path"
        );
    }

    #[test]
    fn shell_commands_flags_python_lacks_and_other_dashes_stay() {
        for message in [
            "write one with `boomsim run --shard K/N --out DIR`",
            "run again with `boomsim run --paths 10`",
            "--shard 2/3: expected K/N",
            "--precision 0.01: reached --max-paths 1000",
            "a value of -- or --pathsx, a-b--paths",
            "",
        ] {
            assert_eq!(in_keyword_terms(message, "out"), message);
        }
        // A flag without a value of its kind keeps only its name.
        assert_eq!(
            in_keyword_terms("--summary exactly", "out"),
            "summary exactly"
        );
        assert_eq!(in_keyword_terms("--where x", "out"), "where x");
        assert_eq!(in_keyword_terms("--paths N.", "out"), "paths N.");
    }

    #[test]
    fn diagnostics_keep_the_lines_that_quote_what_the_user_wrote() {
        let message = "--set:1:18: adoption.description: `x` is not a distribution\n    1 | adoption.description=run with --paths 5\n      |                  ^\n      = help: give --paths 10\n";
        assert_eq!(
            diagnostics_in_keyword_terms(message),
            "set:1:18: adoption.description: `x` is not a distribution\n    1 | adoption.description=run with --paths 5\n      |                  ^\n      = help: give paths=10\n"
        );
        assert_eq!(diagnostics_in_keyword_terms(""), "");
    }

    #[test]
    fn each_python_flag_has_one_keyword() {
        assert_eq!(keyword("--test-paths"), Some("test_paths"));
        assert_eq!(keyword("--set"), Some("set"));
        assert_eq!(keyword("--shard"), None);
        for (i, (flag, name, _)) in KEYWORDS.iter().enumerate() {
            assert!(flag.starts_with("--"));
            assert_eq!(*name, name.to_lowercase());
            assert!(KEYWORDS[i + 1..].iter().all(|(f, _, _)| f != flag));
        }
    }
}
