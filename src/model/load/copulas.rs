//! `[[correlate]]` tables (docs/model.md §2): each table's parameters, its copula and its
//! rho or tau (one number or a matrix, repaired by Higham's projections in the error's help),
//! and the parameters it flips.

use super::*;

impl Loader<'_> {
    /// `[[correlate]]` tables: each `params = [...]` with a copula (`copula`, default
    /// gaussian), its dependence (`rho` or `tau`, one number or a matrix), `df` for a t copula
    /// and `flip`; a parameter in at most one table.
    pub(super) fn copulas(&mut self, f: &Field, model: &Model) -> Option<Vec<CopulaTable>> {
        let example = "[[correlate]]\nparams = [\"sectors.ml_ai.elasticity\", \"sectors.cloud_infra.elasticity\"]\nrho = 0.6";
        let DeValue::Array(items) = f.value.get_ref() else {
            self.error(
                &f.path,
                f.value.span(),
                "`correlate` must be an array of tables".into(),
                Some(format!("write each as\n{example}")),
            );
            return None;
        };
        let mut tables = Vec::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("correlate[{i}]");
            let DeValue::Table(t) = item.get_ref() else {
                self.error(
                    &path,
                    item.span(),
                    "each `correlate` entry must be a table".into(),
                    Some(format!("write\n{example}")),
                );
                ok = false;
                continue;
            };
            let table = Fields::of(&path, item.span(), t);
            match self.copula_table(&table, model, example) {
                Some(t) => {
                    for (k, name) in t.paths.iter().enumerate() {
                        if let Some((_, before)) = seen.iter().find(|(n, _)| n == name) {
                            let span = table
                                .get("params")
                                .and_then(|p| match p.value.get_ref() {
                                    DeValue::Array(a) => a.get(k).map(|v| v.span()),
                                    _ => None,
                                })
                                .unwrap_or(item.span());
                            self.error(
                                &format!("{path}.params"),
                                span,
                                format!("`{name}` is already in [[correlate]] table {before}"),
                                Some("a parameter sits in at most one table: join the two tables' parameters in one table (a matrix of rho or tau), or drop it from one".into()),
                            );
                            ok = false;
                        } else {
                            seen.push((name.clone(), i));
                        }
                    }
                    tables.push(t);
                }
                None => ok = false,
            }
        }
        ok.then_some(tables)
    }

    /// One `[[correlate]]` table.
    pub(super) fn copula_table(
        &mut self,
        table: &Fields,
        model: &Model,
        example: &str,
    ) -> Option<CopulaTable> {
        use crate::distribution::copula::{Copula, Family, nearest_correlation};
        self.allow_keys(table, &CORRELATE_KEYS, "keys of a [[correlate]] table");
        let uncertain = model.uncertain_parameters();
        let names: Vec<&str> = uncertain
            .iter()
            .filter(|p| !matches!(p.slot, Slot::Baseline(_)))
            .map(|p| p.path.as_str())
            .collect();
        // The parameters.
        let Some(pf) = table.get("params") else {
            self.missing(
                table,
                "params",
                "[\"sectors.ml_ai.elasticity\", \"sectors.cloud_infra.elasticity\"]",
            );
            return None;
        };
        let DeValue::Array(list) = pf.value.get_ref() else {
            self.error(
                &pf.path,
                pf.value.span(),
                "`params` must be an array of key paths".into(),
                Some(format!("write\n{example}")),
            );
            return None;
        };
        let mut members: Vec<usize> = Vec::new(); // indices into `uncertain`
        let mut ok = true;
        for item in list.iter() {
            let DeValue::String(name) = item.get_ref() else {
                self.error(
                    &pf.path,
                    item.span(),
                    "each parameter must be a key path string".into(),
                    Some(format!("write\n{example}")),
                );
                ok = false;
                continue;
            };
            let found = uncertain
                .iter()
                .position(|p| p.path == name.as_ref() && !matches!(p.slot, Slot::Baseline(_)));
            match found {
                Some(k) if members.contains(&k) => {
                    self.error(
                        &pf.path,
                        item.span(),
                        format!("`{name}` is listed twice"),
                        Some("list each parameter once".into()),
                    );
                    ok = false;
                }
                Some(k) => members.push(k),
                None => {
                    let constant = model.parameters().iter().any(|p| p.path == name.as_ref());
                    let (message, help) = if constant {
                        (
                            format!("`{name}` is a constant, so there is nothing to correlate"),
                            "give it a distribution first, e.g. \"0.3 to 0.9\"".to_string(),
                        )
                    } else if name.starts_with("baseline.") {
                        (
                            format!(
                                "`{name}` is a baseline override; baseline draws cannot be correlated"
                            ),
                            "correlate the boom's parameters instead".to_string(),
                        )
                    } else {
                        (
                            format!("`{name}` is not an uncertain parameter of this model"),
                            suggest(name, "parameters", &names),
                        )
                    };
                    self.error(&pf.path, item.span(), message, Some(help));
                    ok = false;
                }
            }
        }
        if members.len() < 2 && ok {
            self.error(
                &pf.path,
                pf.value.span(),
                "`params` needs at least two parameters".into(),
                Some(format!("write\n{example}")),
            );
            return None;
        }
        let m = members.len();
        // The copula.
        let family_name = match table.get("copula") {
            None => "gaussian".to_string(),
            Some(f) => match self.string(table, "copula") {
                Some(c) if COPULAS.contains(&c.as_str()) => c,
                Some(c) => {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("unknown copula `{c}`"),
                        Some(suggest(&c, "copulas", &COPULAS)),
                    );
                    return None;
                }
                None => return None,
            },
        };
        let exchangeable = family_name == "clayton" || family_name == "gumbel";
        // df, for t only.
        let df = match (table.get("df"), family_name.as_str()) {
            (Some(f), "t") => {
                let df = self.constant(table, "df", None, Bound::Positive, "4")?;
                if df < 1.0 {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!(
                            "a t copula's `df` must be >= 1, got {}",
                            crate::number::shown(df)
                        ),
                        Some(
                            "use df = 3 to 10 for joint extremes; a larger df is nearly Gaussian"
                                .into(),
                        ),
                    );
                    return None;
                }
                Some(df)
            }
            (None, "t") => {
                self.missing(table, "df", "4");
                return None;
            }
            (Some(f), _) => {
                self.error(
                    &f.path,
                    f.key.span(),
                    format!("`df` is a t copula's degrees of freedom, and this table's copula is {family_name}"),
                    Some("remove `df`, or write copula = \"t\"".into()),
                );
                return None;
            }
            (None, _) => None,
        };
        // The dependence: rho or tau, one number or a matrix.
        let (term, field) = match (table.get("rho"), table.get("tau")) {
            (Some(_), Some(f)) => {
                self.error(
                    &f.path,
                    f.key.span(),
                    "give `rho` or `tau`, not both".into(),
                    Some("rho is Spearman's rank correlation, tau Kendall's; keep one".into()),
                );
                return None;
            }
            (Some(f), None) => ("rho", f),
            (None, Some(f)) => ("tau", f),
            (None, None) => {
                self.missing(
                    table,
                    if family_name == "gaussian" {
                        "rho"
                    } else {
                        "tau"
                    },
                    "0.6",
                );
                return None;
            }
        };
        if term == "rho" && family_name != "gaussian" {
            self.error(
                &field.path,
                field.key.span(),
                format!("a {family_name} copula is given by `tau` (Kendall's rank correlation), not `rho`"),
                Some("write tau = ... (for a rank correlation rho, tau is about 2/3 rho)".into()),
            );
            return None;
        }
        let (lo, hi, open_lo) = if exchangeable {
            (0.0, 1.0, true)
        } else if term == "tau" {
            (-1.0, 1.0, true)
        } else {
            (-1.0, 1.0, false)
        };
        let matrix = self.dependence_matrix(field, m, (lo, hi, open_lo), exchangeable)?;
        if !ok {
            return None;
        }
        // The Gaussian and t correlation matrix, in terms of the normals.
        let to_normal = |v: f64| {
            if term == "rho" {
                2.0 * libm::sin(std::f64::consts::PI * v / 6.0)
            } else {
                libm::sin(std::f64::consts::PI * v / 2.0)
            }
        };
        let from_normal = |r: f64| {
            if term == "rho" {
                6.0 / std::f64::consts::PI * libm::asin(r / 2.0)
            } else {
                2.0 / std::f64::consts::PI * libm::asin(r)
            }
        };
        let (family, correlation, factor) = match family_name.as_str() {
            "clayton" | "gumbel" => {
                let tau = matrix[1];
                let family = if family_name == "clayton" {
                    Family::Clayton {
                        theta: 2.0 * tau / (1.0 - tau),
                    }
                } else {
                    Family::Gumbel {
                        theta: 1.0 / (1.0 - tau),
                    }
                };
                let identity: Vec<f64> = (0..m * m)
                    .map(|k| if k % (m + 1) == 0 { 1.0 } else { 0.0 })
                    .collect();
                (family, identity.clone(), identity)
            }
            _ => {
                let normal: Vec<f64> = matrix
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| if k % (m + 1) == 0 { 1.0 } else { to_normal(v) })
                    .collect();
                let Some(factor) = cholesky_psd(&normal, m) else {
                    // The nearest valid matrix, in the user's terms, ready to paste.
                    let near = nearest_correlation(&normal, m);
                    let repaired: Vec<f64> = near
                        .iter()
                        .enumerate()
                        .map(|(k, &r)| {
                            if k % (m + 1) == 0 {
                                1.0
                            } else {
                                round4(from_normal(r))
                            }
                        })
                        .collect();
                    let rows: Vec<String> = repaired
                        .chunks(m)
                        .map(|row| {
                            let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
                            format!("[{}]", cells.join(", "))
                        })
                        .collect();
                    let mut moved = Vec::new();
                    let paths: Vec<&str> = members
                        .iter()
                        .map(|&k| uncertain[k].path.as_str())
                        .collect();
                    for a in 0..m {
                        for b in a + 1..m {
                            let (was, now) = (matrix[a * m + b], repaired[a * m + b]);
                            if (was - now).abs() >= 5e-5 {
                                moved.push(format!(
                                    "{} ~ {}: {was} -> {now} ({:+.4})",
                                    paths[a],
                                    paths[b],
                                    now - was
                                ));
                            }
                        }
                    }
                    self.error(
                        &field.path,
                        field.value.span(),
                        format!("these {term} values are not consistent: no joint distribution has them (their correlation matrix is not positive semi-definite)"),
                        Some(format!(
                            "the nearest valid matrix (Higham's nearest correlation matrix), ready to paste:\n{term} = [{}]\n  each entry moved: {}",
                            rows.join(", "),
                            moved.join("; ")
                        )),
                    );
                    return None;
                };
                let family = match df {
                    Some(df) => Family::StudentT { df },
                    None => Family::Gaussian,
                };
                (family, normal, factor)
            }
        };
        let paths: Vec<String> = members.iter().map(|&k| uncertain[k].path.clone()).collect();
        let mut copula = Copula::new(family, correlation, factor, m);
        if let Some(f) = table.get("flip") {
            copula.flip = self.flips(f, &paths)?;
        }
        Some(CopulaTable {
            slots: members.iter().map(|&k| uncertain[k].slot).collect(),
            paths,
            copula,
            given: (if term == "rho" { "rho" } else { "tau" }, matrix),
        })
    }

    /// `rho` or `tau` of a table of `m` parameters: one number for every pair, or an m x m
    /// matrix (symmetric, 1 on the diagonal); every pair's value within (lo, hi) (or [lo, hi]
    /// when not `open`). Exchangeable copulas take one number. Row-major, 1 on the diagonal.
    pub(super) fn dependence_matrix(
        &mut self,
        f: &Field,
        m: usize,
        (lo, hi, open): (f64, f64, bool),
        exchangeable: bool,
    ) -> Option<Vec<f64>> {
        let key = f.key.get_ref().to_string();
        let in_range = |v: f64| {
            if open {
                v > lo && v < hi
            } else {
                v >= lo && v <= hi
            }
        };
        let range = if open {
            format!("between {lo} and {hi} (not at either end)")
        } else {
            format!("within [{lo}, {hi}]")
        };
        let mut out = vec![0.0; m * m];
        match f.value.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => {
                let v = self.number_value(f).ok()?;
                if !in_range(v) {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("`{key}` must lie {range}, got {}", crate::number::shown(v)),
                        Some(if exchangeable {
                            "Clayton and Gumbel copulas join parameters that rise (or fall) together: tau above 0; for tau below 0 use copula = \"gaussian\" or \"t\", or `flip`".into()
                        } else {
                            format!("use a value {range}")
                        }),
                    );
                    return None;
                }
                for a in 0..m {
                    for b in 0..m {
                        out[a * m + b] = if a == b { 1.0 } else { v };
                    }
                }
                Some(out)
            }
            DeValue::Array(rows) => {
                if exchangeable {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("a Clayton or Gumbel copula is exchangeable: one `{key}` for every pair, not a matrix"),
                        Some(format!("write {key} = 0.5, or use copula = \"t\" (or gaussian) for a matrix")),
                    );
                    return None;
                }
                let shape = format!(
                    "{m} rows of {m} numbers (one per parameter of `params`), 1 on the diagonal"
                );
                if rows.len() != m {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!(
                            "`{key}` has {} rows; the table has {m} parameters",
                            rows.len()
                        ),
                        Some(format!("give {shape}")),
                    );
                    return None;
                }
                for (a, row) in rows.iter().enumerate() {
                    let DeValue::Array(cells) = row.get_ref() else {
                        self.error(
                            &f.path,
                            row.span(),
                            format!("row {} of `{key}` is not an array", a + 1),
                            Some(format!("give {shape}")),
                        );
                        return None;
                    };
                    if cells.len() != m {
                        self.error(
                            &f.path,
                            row.span(),
                            format!(
                                "row {} of `{key}` has {} numbers, not {m}",
                                a + 1,
                                cells.len()
                            ),
                            Some(format!("give {shape}")),
                        );
                        return None;
                    }
                    for (b, cell) in cells.iter().enumerate() {
                        let v = match cell.get_ref() {
                            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                                .ok()
                                .map(|v| v as f64),
                            DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
                            _ => None,
                        };
                        let Some(v) = v.filter(|v| v.is_finite()) else {
                            self.error(
                                &f.path,
                                cell.span(),
                                format!("`{key}` holds something other than a finite number"),
                                Some(format!("give {shape}")),
                            );
                            return None;
                        };
                        let fine = if a == b { v == 1.0 } else { in_range(v) };
                        if !fine {
                            let message = if a == b {
                                format!(
                                    "the diagonal of `{key}` must be 1, got {}",
                                    crate::number::shown(v)
                                )
                            } else {
                                format!("`{key}` must lie {range}, got {}", crate::number::shown(v))
                            };
                            self.error(
                                &f.path,
                                cell.span(),
                                message,
                                Some(format!("give {shape}")),
                            );
                            return None;
                        }
                        out[a * m + b] = v;
                    }
                }
                for a in 0..m {
                    for b in a + 1..m {
                        if out[a * m + b] != out[b * m + a] {
                            self.error(
                                &f.path,
                                f.value.span(),
                                format!("`{key}` is not symmetric: row {} column {} is {}, row {} column {} is {}", a + 1, b + 1, out[a * m + b], b + 1, a + 1, out[b * m + a]),
                                Some("the dependence of a on b is that of b on a: make the matrix symmetric".into()),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`{key}` must be a number or a matrix, not a {}",
                        other.type_str()
                    ),
                    Some(format!("write {key} = 0.5")),
                );
                None
            }
        }
    }

    /// `flip = [...]`: which of the table's parameters take 1 - U.
    pub(super) fn flips(&mut self, f: &Field, paths: &[String]) -> Option<Vec<bool>> {
        let DeValue::Array(list) = f.value.get_ref() else {
            self.error(
                &f.path,
                f.value.span(),
                "`flip` must be an array of key paths".into(),
                Some("write flip = [\"assets.nvidia.priced_in\"]".into()),
            );
            return None;
        };
        let mut flip = vec![false; paths.len()];
        let names: Vec<&str> = paths.iter().map(String::as_str).collect();
        for item in list.iter() {
            let DeValue::String(name) = item.get_ref() else {
                self.error(
                    &f.path,
                    item.span(),
                    "each entry of `flip` must be a key path string".into(),
                    None,
                );
                return None;
            };
            match paths.iter().position(|p| p == name.as_ref()) {
                Some(k) => flip[k] = true,
                None => {
                    self.error(
                        &f.path,
                        item.span(),
                        format!("`{name}` is not among this table's `params`"),
                        Some(suggest(name, "parameters of this table", &names)),
                    );
                    return None;
                }
            }
        }
        Some(flip)
    }
}
