//! Conditions on paths for `run --where`: "what if the boom really happens?"
//!
//! A condition is one or more comparisons joined with `and`, each `NAME OP NUMBER` with OP one
//! of `<`, `<=`, `>`, `>=`, `==`, `!=`. NAME is `adoption_multiple` (A at the horizon),
//! `baseline_adoption_multiple` (with a baseline), or the key path of an uncertain parameter
//! (`adoption.ceiling`, `sectors.ml_ai.elasticity`), compared with that path's draw.

use crate::spelling::suggest;

/// What a comparison reads of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    /// A(t_T).
    AdoptionMultiple,
    /// A(t_T) under the baseline.
    BaselineAdoptionMultiple,
    /// The draw of the uncertain parameter with this index (in `Model::uncertain_parameters`).
    Parameter(usize),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Op {
    /// Longest first, so `<=` is not read as `<`.
    const TOKENS: [(&'static str, Op); 6] = [
        ("<=", Op::LessOrEqual),
        (">=", Op::GreaterOrEqual),
        ("==", Op::Equal),
        ("!=", Op::NotEqual),
        ("<", Op::Less),
        (">", Op::Greater),
    ];

    fn holds(self, x: f64, y: f64) -> bool {
        match self {
            Op::Less => x < y,
            Op::LessOrEqual => x <= y,
            Op::Greater => x > y,
            Op::GreaterOrEqual => x >= y,
            Op::Equal => x == y,
            Op::NotEqual => x != y,
        }
    }
}

/// One comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clause {
    /// The left side.
    pub variable: Variable,
    /// The operator.
    pub op: Op,
    /// The right side.
    pub value: f64,
}

/// A parsed condition: every clause must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// As the user wrote it.
    pub text: String,
    /// The comparisons.
    pub clauses: Vec<Clause>,
}

/// Why a condition was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("--where \"{text}\": {message}\n  help: {help}")]
pub struct ConditionError {
    /// The condition.
    pub text: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid.
    pub help: String,
}

/// `--where` is a flag: a condition that cannot be read is a usage error.
impl crate::exit::ExitStatus for ConditionError {
    fn exit_code(&self) -> u8 {
        crate::exit::USAGE
    }
}

impl Condition {
    /// Parses `text`; `parameters` are the uncertain parameters' key paths, in column order.
    pub fn parse(
        text: &str,
        parameters: &[String],
        has_baseline: bool,
    ) -> Result<Condition, ConditionError> {
        let fail = |message: String, help: String| ConditionError {
            text: text.to_string(),
            message,
            help,
        };
        let mut names = vec!["adoption_multiple"];
        if has_baseline {
            names.push("baseline_adoption_multiple");
        }
        names.extend(parameters.iter().map(String::as_str));
        let example = "adoption_multiple >= 5 and sectors.ml_ai.elasticity > 1";
        // Words and symbols of other condition languages: the grammar has `and` only.
        let words: Vec<&str> = text.split_whitespace().collect();
        for other in ["or", "OR", "Or", "||", "not", "NOT", "Not", "&&"] {
            let symbol = !other.chars().all(char::is_alphabetic);
            if words.contains(&other) || (symbol && text.contains(other)) {
                let message = match other {
                    "&&" => "`&&` joins comparisons here only when written `and`".to_string(),
                    _ => format!(
                        "`{other}` is not supported: comparisons are joined with `and` only"
                    ),
                };
                return Err(fail(
                    message,
                    format!(
                        "write every comparison a path must meet, joined with `and`, e.g. \"{example}\"; for \"A or B\", run twice (or look at samples.csv)"
                    ),
                ));
            }
        }
        let mut clauses = Vec::new();
        for part in split_and(text) {
            let part = part.trim();
            if part.is_empty() {
                return Err(fail(
                    "an empty comparison".into(),
                    format!("join comparisons with `and`, e.g. \"{example}\""),
                ));
            }
            let Some((at, token, op)) = Op::TOKENS
                .iter()
                .filter_map(|(t, op)| part.find(t).map(|at| (at, *t, *op)))
                .min_by_key(|(at, t, _)| (*at, std::cmp::Reverse(t.len())))
            else {
                if let Some((name, number)) = part.split_once('=') {
                    return Err(fail(
                        format!("`{part}` has no comparison operator (`=` is not one)"),
                        format!(
                            "for equality write == : \"{} == {}\"",
                            name.trim(),
                            number.trim()
                        ),
                    ));
                }
                return Err(fail(
                    format!("`{part}` has no comparison operator"),
                    format!(
                        "write NAME OP NUMBER with OP one of < <= > >= == !=, e.g. \"{example}\""
                    ),
                ));
            };
            let operator = ['<', '>', '=', '!'];
            let name = part[..at].trim();
            let number = part[at + token.len()..].trim();
            // `<>`, `=<`, `>>`...: an operator spelled in a way this grammar does not have.
            let before = name.len() - name.trim_end_matches(operator).len();
            let after = number.len() - number.trim_start_matches(operator).len();
            if before + after > 0 {
                let written = format!(
                    "{}{token}{}",
                    &name[name.len() - before..],
                    &number[..after]
                );
                let name = name[..name.len() - before].trim();
                let rest = number[after..].trim();
                let help = match written.as_str() {
                    "<>" => format!("for \"not equal\" write != : \"{name} != {rest}\""),
                    "=<" => format!("write <= : \"{name} <= {rest}\""),
                    "=>" => format!("write >= : \"{name} >= {rest}\""),
                    _ => "the operators are < <= > >= == !=".to_string(),
                };
                return Err(fail(
                    format!("`{written}` in `{part}` is not a comparison operator"),
                    help,
                ));
            }
            let variable = match name {
                "adoption_multiple" => Variable::AdoptionMultiple,
                "baseline_adoption_multiple" if has_baseline => Variable::BaselineAdoptionMultiple,
                _ => match parameters.iter().position(|p| p == name) {
                    Some(i) => Variable::Parameter(i),
                    None => {
                        return Err(fail(
                            format!("`{name}` is not a path variable or an uncertain parameter"),
                            suggest(name, "names", &names),
                        ));
                    }
                },
            };
            let value = match crate::number::finite(number) {
                Ok(v) => v,
                Err(_) => {
                    return Err(fail(
                        format!("`{number}` is not a finite number"),
                        format!("compare with a number, e.g. \"{name} {token} 5\""),
                    ));
                }
            };
            clauses.push(Clause {
                variable,
                op,
                value,
            });
        }
        Ok(Condition {
            text: text.to_string(),
            clauses,
        })
    }

    /// Whether a path with these draws and terminal adoption multiples meets every clause.
    pub fn holds(&self, draws: &[f64], adoption: f64, baseline_adoption: f64) -> bool {
        self.clauses.iter().all(|c| {
            let x = match c.variable {
                Variable::AdoptionMultiple => adoption,
                Variable::BaselineAdoptionMultiple => baseline_adoption,
                Variable::Parameter(i) => draws[i],
            };
            c.op.holds(x, c.value)
        })
    }
}

/// Splits on the word `and` (any case) between whitespace.
fn split_and(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for word in text.split_whitespace() {
        if word.eq_ignore_ascii_case("and") {
            parts.push(String::new());
        } else {
            let last = parts.last_mut().expect("non-empty");
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Vec<String> {
        vec!["adoption.ceiling".into(), "sectors.ml_ai.elasticity".into()]
    }

    #[test]
    fn parses_comparisons_joined_with_and() {
        let c = Condition::parse(
            "adoption_multiple>=5 AND sectors.ml_ai.elasticity < 1.2 and adoption.ceiling != 3",
            &params(),
            false,
        )
        .unwrap();
        assert_eq!(
            c.clauses,
            vec![
                Clause {
                    variable: Variable::AdoptionMultiple,
                    op: Op::GreaterOrEqual,
                    value: 5.0
                },
                Clause {
                    variable: Variable::Parameter(1),
                    op: Op::Less,
                    value: 1.2
                },
                Clause {
                    variable: Variable::Parameter(0),
                    op: Op::NotEqual,
                    value: 3.0
                },
            ]
        );
        assert!(c.holds(&[4.0, 1.0], 5.0, 0.0));
        assert!(!c.holds(&[3.0, 1.0], 5.0, 0.0));
        assert!(!c.holds(&[4.0, 1.2], 5.0, 0.0));
        assert!(!c.holds(&[4.0, 1.0], 4.9, 0.0));
    }

    #[test]
    fn rejects_unknown_names_with_a_suggestion() {
        let e = Condition::parse("adoption_multple >= 5", &params(), false).unwrap_err();
        assert!(e.message.contains("`adoption_multple` is not"));
        assert!(e.help.contains("did you mean `adoption_multiple`?"), "{e}");
        let e = Condition::parse("baseline_adoption_multiple > 1", &params(), false).unwrap_err();
        assert!(e.message.contains("not a path variable"));
        assert!(Condition::parse("baseline_adoption_multiple > 1", &params(), true).is_ok());
    }

    #[test]
    fn rejects_malformed_comparisons() {
        let p = params();
        assert!(
            Condition::parse("adoption_multiple 5", &p, false)
                .unwrap_err()
                .message
                .contains("no comparison operator")
        );
        assert!(
            Condition::parse("adoption_multiple >= five", &p, false)
                .unwrap_err()
                .message
                .contains("not a finite number")
        );
        assert!(
            Condition::parse("adoption_multiple >= 5 and", &p, false)
                .unwrap_err()
                .message
                .contains("empty comparison")
        );
    }

    #[test]
    fn operators_from_other_languages_are_named_and_corrected() {
        let p = params();
        let e = Condition::parse("adoption.ceiling <> 1", &p, false).unwrap_err();
        assert!(
            e.message
                .contains("`<>` in `adoption.ceiling <> 1` is not a comparison operator")
        );
        assert!(e.help.contains("\"adoption.ceiling != 1\""), "{e}");
        let e = Condition::parse("adoption_multiple =< 2", &p, false).unwrap_err();
        assert!(e.help.contains("\"adoption_multiple <= 2\""), "{e}");
        let e = Condition::parse("adoption_multiple = 2", &p, false).unwrap_err();
        assert!(e.help.contains("\"adoption_multiple == 2\""), "{e}");
    }
}
