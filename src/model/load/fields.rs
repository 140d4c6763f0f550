//! Reading one field of a table: its kind (a string, a number, a distribution), its bounds,
//! the keys a table allows and those it must have, each problem a located diagnostic.

use super::*;

impl Loader<'_> {
    pub(super) fn at_least_one(&mut self, t: &Fields, what: &str, example: &str) {
        self.error(
            &t.path,
            t.span.clone(),
            format!("the model needs at least one {what}"),
            Some(format!("add a table such as\n{example}")),
        );
    }

    pub(super) fn allow_keys(&mut self, fields: &Fields, allowed: &[&str], what: &str) {
        for f in &fields.entries {
            let name = f.key.get_ref();
            if !allowed.contains(&name.as_ref()) {
                self.error(
                    &f.path,
                    f.key.span(),
                    format!("unknown key `{name}`"),
                    Some(suggest(name, what, allowed)),
                );
            }
        }
    }

    /// A sub-table; `None` (with an error when `required`) when absent or not a table.
    pub(super) fn table<'t, 'i>(
        &mut self,
        parent: &Fields<'t, 'i>,
        key: &str,
        required: bool,
    ) -> Option<Fields<'t, 'i>> {
        let Some(f) = parent.get(key) else {
            if required {
                self.error(
                    &join(&parent.path, key),
                    parent.span.clone(),
                    format!("missing table [{}]", join(&parent.path, key)),
                    Some(format!(
                        "add a [{}] table (`boomsim init` writes a complete model to start from; docs/model.md lists every table)",
                        join(&parent.path, key)
                    )),
                );
            }
            return None;
        };
        self.as_table(f)
    }

    pub(super) fn as_table<'t, 'i>(&mut self, f: &Field<'t, 'i>) -> Option<Fields<'t, 'i>> {
        match f.value.get_ref() {
            DeValue::Table(t) => Some(Fields::of(&f.path, f.value.span(), t)),
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!("`{}` must be a table, not a {}", f.path, other.type_str()),
                    Some(format!("write it as [{}] with keys below it", f.path)),
                );
                None
            }
        }
    }

    /// Every entry of a table of tables (`[sectors.x]`, `[groups.x]`, `[assets.x]`).
    pub(super) fn tables<'t, 'i>(&mut self, parent: &Fields<'t, 'i>) -> Vec<Fields<'t, 'i>> {
        parent
            .entries
            .iter()
            .filter_map(|f| self.as_table(f))
            .collect()
    }

    pub(super) fn missing(&mut self, fields: &Fields, key: &str, example: &str) {
        self.error(
            &join(&fields.path, key),
            fields.span.clone(),
            format!("missing key `{key}` in [{}]", fields.path),
            Some(format!("add `{key} = {example}`")),
        );
    }

    pub(super) fn string(&mut self, fields: &Fields, key: &str) -> Option<String> {
        let f = fields.get(key)?;
        match f.value.get_ref() {
            DeValue::String(s) if s.chars().count() > MAX_TEXT_CHARS => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`{key}` is {} characters long; labels and descriptions may have at most {MAX_TEXT_CHARS}",
                        s.chars().count()
                    ),
                    Some("shorten it: it is shown in tables, charts and the workbook (a spreadsheet cell holds at most 32,767 characters)".into()),
                );
                None
            }
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!("`{key}` must be a string, not a {}", other.type_str()),
                    Some(format!("write `{key} = \"...\"`")),
                );
                None
            }
        }
    }

    /// A TOML number as f64; errors name the field.
    pub(super) fn number_value(&mut self, f: &Field) -> Result<f64, ()> {
        let parsed = match f.value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map(|v| v as f64)
                .ok(),
            DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
            _ => return Err(()),
        };
        match parsed {
            Some(v) if v.is_finite() => Ok(v),
            _ => {
                self.error(
                    &f.path,
                    f.value.span(),
                    "every number must be finite".into(),
                    Some("write a finite number such as 0.3".into()),
                );
                Err(())
            }
        }
    }

    pub(super) fn check_bound(&mut self, f: &Field, v: f64, bound: Bound) -> Option<f64> {
        if bound.holds(v) {
            Some(v)
        } else {
            let key = f.key.get_ref();
            // A fraction written as a percent (50 for 0.5) gets the fraction it meant.
            let help = match bound {
                Bound::Fraction if v > 1.0 && v <= 100.0 => format!(
                    "`{key}` is a fraction, not a percent: did you mean `{key} = {}`?",
                    v / 100.0
                ),
                _ => format!("set `{key}` to a number {}", bound.text()),
            };
            self.error(
                &f.path,
                f.value.span(),
                format!(
                    "`{key}` must be {}, got {}",
                    bound.text(),
                    crate::number::shown(v)
                ),
                Some(help),
            );
            None
        }
    }

    /// A constant numeric field (distributions not allowed).
    pub(super) fn constant(
        &mut self,
        fields: &Fields,
        key: &str,
        default: Option<f64>,
        bound: Bound,
        example: &str,
    ) -> Option<f64> {
        let f = match self.field_or_default(fields, key, default, example) {
            Ok(f) => f,
            Err(default) => return default,
        };
        if matches!(f.value.get_ref(), DeValue::Integer(_) | DeValue::Float(_)) {
            let v = self.number_value(f).ok()?;
            return self.check_bound(f, v, bound);
        }
        let help = if matches!(f.value.get_ref(), DeValue::String(_)) {
            format!(
                "`{key}` is a constant: write a number such as `{key} = {example}`, without quotes"
            )
        } else {
            format!("write `{key} = {example}`")
        };
        self.error(
            &f.path,
            f.value.span(),
            format!(
                "`{key}` must be a number, not a {}",
                f.value.get_ref().type_str()
            ),
            Some(help),
        );
        None
    }

    /// A numeric field that may be a distribution string (docs/model.md §2).
    pub(super) fn param(
        &mut self,
        fields: &Fields,
        key: &str,
        default: Option<f64>,
        bound: Bound,
        example: &str,
    ) -> Option<Distribution> {
        match self.field_or_default(fields, key, default, example) {
            Ok(f) => self.param_value(f, bound, example),
            Err(default) => {
                default.map(|v| Distribution::constant(v).expect("defaults are in range"))
            }
        }
    }

    /// The field `key`; when absent, `Err` with its default (and an error when it has none).
    pub(super) fn field_or_default<'f, 't, 'i>(
        &mut self,
        fields: &'f Fields<'t, 'i>,
        key: &str,
        default: Option<f64>,
        example: &str,
    ) -> Result<&'f Field<'t, 'i>, Option<f64>> {
        fields.get(key).ok_or_else(|| {
            if default.is_none() {
                self.missing(fields, key, example);
            }
            default
        })
    }

    pub(super) fn param_value(
        &mut self,
        f: &Field,
        bound: Bound,
        example: &str,
    ) -> Option<Distribution> {
        let key = f.key.get_ref();
        let d = match f.value.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => {
                let v = self.number_value(f).ok()?;
                let v = self.check_bound(f, v, bound)?;
                return match Distribution::constant(v) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.error(&f.path, f.value.span(), e.message, Some(e.help));
                        None
                    }
                };
            }
            DeValue::String(s) => match Distribution::parse_in(
                s,
                self.sources
                    .text_at(f.value.span().start)
                    .and_then(|t| t.dir.as_deref()),
            ) {
                Ok(d) => d,
                Err(e) => {
                    self.error(&f.path, f.value.span(), e.message, Some(e.help));
                    return None;
                }
            },
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`{key}` must be a number or a distribution string, not a {}",
                        other.type_str()
                    ),
                    Some(format!("write `{key} = {example}`")),
                );
                return None;
            }
        };
        if d.is_constant() {
            return self.check_bound(f, d.quantile(0.5), bound).map(|_| d);
        }
        let (lo, hi) = d.support();
        let ok = match bound {
            Bound::Any => true,
            Bound::Positive => lo > 0.0 || (lo == 0.0 && d.lower_end_open()),
            Bound::NonNegative => lo >= 0.0,
            Bound::Fraction => lo > 0.0 && hi <= 1.0,
        };
        if ok {
            return Some(d);
        }
        let (what, help) = if bound == Bound::Positive {
            (
                "<= 0",
                "use a distribution that stays above 0: \"lognormal(mu, sigma)\", \"gamma(shape, scale)\", or \"A to B\" with 0 < A",
            )
        } else {
            (
                "< 0",
                "use a distribution that stays at or above 0: \"lognormal(mu, sigma)\", \"A to B\" with 0 < A, or restrict it with `in [0, 1]`, e.g. \"normal(0.2, 0.1) in [0, 1]\"",
            )
        };
        self.error(
            &f.path,
            f.value.span(),
            format!(
                "`{}` can draw values {what}, but `{key}` must be {}",
                d.text(),
                bound.text()
            ),
            Some(help.into()),
        );
        None
    }

    pub(super) fn label(&mut self, fields: &Fields, name: &str) -> String {
        self.string(fields, "label")
            .unwrap_or_else(|| name.to_string())
    }
}
