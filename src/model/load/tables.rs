//! The tables of the model itself (docs/model.md §2): `[model]`'s settings, `[adoption]` and
//! `[baseline]`, the sectors and their `[correlation]`, the groups.

use super::*;

impl Loader<'_> {
    pub(super) fn settings(&mut self, h: &Fields) -> Option<Settings> {
        self.allow_keys(h, &MODEL_KEYS, "keys of [model]");
        let name = match self.string(h, "name") {
            Some(n) => {
                let valid = !n.is_empty()
                    && !n.starts_with('.')
                    && n.chars().all(crate::model::is_name_character);
                if !valid {
                    let f = h.get("name").expect("read above");
                    let fixed = crate::model::name_characters(&n);
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!(
                            "`name` becomes the output folder name, and `{n}` is not a valid one"
                        ),
                        Some(format!(
                            "use letters, digits, `-`, `_` and `.` only, e.g. \"{}\"",
                            fixed.trim_start_matches('.')
                        )),
                    );
                    None
                } else {
                    Some(n)
                }
            }
            None => {
                if h.get("name").is_none() {
                    self.missing(h, "name", "\"python-5x\"");
                }
                None
            }
        };
        let description = self.string(h, "description");
        let horizon = self.constant(h, "horizon_years", None, Bound::Positive, "10");
        let k = self.constant(h, "steps_per_year", None, Bound::Positive, "4");
        let steps_per_year = match (k, h.get("steps_per_year")) {
            (Some(k), Some(f)) if k.fract() != 0.0 || k > f64::from(u32::MAX) => {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`steps_per_year` must be a whole number >= 1, got {}",
                        crate::number::shown(k)
                    ),
                    Some("use 1 (yearly), 4 (quarterly), 12 (monthly) or 52 (weekly)".into()),
                );
                None
            }
            (Some(k), _) => Some(k as u32),
            _ => None,
        };
        if let (Some(h_years), Some(k)) = (horizon, steps_per_year) {
            let t = steps(h_years, k);
            // Blame horizon_years, unless steps_per_year comes from a later text (a `--set`
            // after the file, a file after the one it extends): the one the user just changed.
            let text_of = |f: &Field| self.sources.text_at(f.value.span().start).map(|t| t.start);
            let blamed = match (h.get("horizon_years"), h.get("steps_per_year")) {
                (Some(hf), Some(kf)) if text_of(kf) > text_of(hf) => Some(kf),
                (Some(hf), _) => Some(hf),
                (None, kf) => kf,
            };
            if let (true, Some(f)) = (t == 0 || t > MAX_STEPS, blamed) {
                let help = if t == 0 {
                    "lengthen horizon_years or raise steps_per_year so that their product is at least 0.5"
                } else {
                    "shorten horizon_years or lower steps_per_year (e.g. 4 for quarterly steps)"
                };
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "the grid has T = round(horizon_years * steps_per_year) = {t} steps; it must have 1 to {MAX_STEPS}"
                    ),
                    Some(help.into()),
                );
                return None;
            }
        }
        let risk_free_rate = self.constant(h, "risk_free_rate", Some(0.0), Bound::Any, "0.03");
        let expected_return = self.constant(h, "expected_return", Some(0.0), Bound::Any, "0.07");
        let tail_loss_limit = self.constant(
            h,
            "tail_loss_limit",
            Some(DEFAULT_TAIL_LOSS_LIMIT),
            Bound::Fraction,
            "0.5",
        );
        Some(Settings {
            name: name?,
            description,
            horizon_years: horizon?,
            steps_per_year: steps_per_year?,
            risk_free_rate: risk_free_rate?,
            expected_return: expected_return?,
            tail_loss_limit: tail_loss_limit?,
        })
    }

    /// Every sector must move some asset: a sector no asset lists in its `exposure` changes
    /// no number of the run, so it is most likely a typo'd name (`[sectors.ml_ia]` in a file
    /// that extends a model with `ml_ai`).
    pub(super) fn exposed(&mut self, tables: &Fields, sectors: &[Sector], assets: &[Asset]) {
        let names: Vec<&str> = sectors.iter().map(|s| s.name.as_str()).collect();
        for (i, name) in names.iter().enumerate() {
            if assets
                .iter()
                .any(|a| a.exposure.iter().any(|(s, _)| *s == i))
            {
                continue;
            }
            let Some(f) = tables.get(name) else { continue };
            let others: Vec<&str> = names.iter().copied().filter(|n| n != name).collect();
            let help = match crate::spelling::closest(name, others.iter().copied()) {
                Some(c) => format!(
                    "did you mean `{c}`? (rename the table) Otherwise add `{name}` to an asset's exposure, or remove the sector"
                ),
                None => format!("add `{name}` to an asset's exposure, or remove the sector"),
            };
            self.error(
                &f.path,
                f.key.span(),
                format!("sector `{name}` moves no asset: no asset has it in its `exposure`"),
                Some(help),
            );
        }
    }

    pub(super) fn process(&mut self, fields: &Fields) -> Option<Process> {
        let Some(f) = fields.get("process") else {
            self.missing(fields, "process", "\"logistic\"");
            return None;
        };
        let names: Vec<&str> = Process::ALL.iter().map(|p| p.name()).collect();
        let found = match f.value.get_ref() {
            DeValue::String(s) => Process::ALL.into_iter().find(|p| p.name() == s.as_ref()),
            _ => None,
        };
        if found.is_none() {
            let written = match f.value.get_ref() {
                DeValue::String(s) => s.to_string(),
                other => other.type_str().to_string(),
            };
            self.error(
                &f.path,
                f.value.span(),
                format!("unknown adoption process `{written}`"),
                Some(suggest(&written, "processes", &names)),
            );
        }
        found
    }

    /// Reads an adoption table. Keys the process does not read are errors when they are the
    /// table's own (their path starts with `own`); inherited ones (a baseline's) are ignored.
    pub(super) fn adoption(&mut self, fields: &Fields, own: &str) -> Option<Adoption> {
        self.allow_keys(fields, &ADOPTION_KEYS, "keys of [adoption]");
        let process = self.process(fields)?;
        let mut values: [Option<Distribution>; 6] = Default::default();
        let mut complete = true;
        for key in AdoptionKey::ALL {
            let name = key.name();
            let read = key == AdoptionKey::Volatility || process.keys().contains(&key);
            if !read {
                if let Some(f) = fields.get(name).filter(|f| f.path.starts_with(own)) {
                    let users: Vec<&str> = Process::ALL
                        .iter()
                        .filter(|p| p.keys().contains(&key))
                        .map(|p| p.name())
                        .collect();
                    self.error(
                        &f.path,
                        f.key.span(),
                        format!("`{name}` is not used by process = \"{}\"", process.name()),
                        Some(format!(
                            "remove it, or set process = \"{}\"",
                            users.join("\" or \"")
                        )),
                    );
                }
                continue;
            }
            let (bound, default, example) = match key {
                AdoptionKey::Ceiling => (Bound::Positive, None, "\"2 to 10\""),
                AdoptionKey::Rate => (Bound::Positive, None, "\"0.3 to 0.9\""),
                AdoptionKey::P => (Bound::Positive, None, "0.03"),
                AdoptionKey::Q => (Bound::NonNegative, None, "0.38"),
                AdoptionKey::LogDrift => (Bound::Any, None, "0.15"),
                AdoptionKey::Volatility => (Bound::NonNegative, Some(0.0), "0.10"),
            };
            values[key as usize] = self.param(fields, name, default, bound, example);
            complete &= values[key as usize].is_some();
        }
        complete.then_some(Adoption { process, values })
    }

    pub(super) fn baseline(&mut self, b: &Fields, a: &Fields, boom: &Adoption) -> Option<Baseline> {
        self.allow_keys(
            b,
            &ADOPTION_KEYS,
            "keys of [adoption] (the baseline overrides them)",
        );
        if b.entries.is_empty() {
            self.error(
                &b.path,
                b.span.clone(),
                "[baseline] overrides no key of [adoption]".into(),
                Some(
                    "override at least one key, e.g. ceiling = \"1.2 to 2\", or remove [baseline]"
                        .into(),
                ),
            );
            return None;
        }
        let mut merged = Fields {
            path: b.path.clone(),
            span: b.span.clone(),
            entries: Vec::new(),
        };
        for f in &a.entries {
            if b.get(f.key.get_ref()).is_none() {
                merged.entries.push(Field {
                    path: f.path.clone(),
                    key: f.key,
                    value: f.value,
                });
            }
        }
        for f in &b.entries {
            if ADOPTION_KEYS.contains(&f.key.get_ref().as_ref()) {
                merged.entries.push(Field {
                    path: f.path.clone(),
                    key: f.key,
                    value: f.value,
                });
            }
        }
        let adoption = self.adoption(&merged, "baseline.")?;
        let mut overrides: [Option<Distribution>; 6] = Default::default();
        for key in AdoptionKey::ALL {
            if b.get(key.name()).is_some() {
                overrides[key as usize] = adoption.values[key as usize].clone();
            }
        }
        // Keys the baseline's process reads must come from somewhere: the boom's draw or an
        // override. Both exist here, since `adoption` validated the merged table.
        debug_assert!(
            adoption.process.keys().iter().all(|k| {
                overrides[*k as usize].is_some() || boom.values[*k as usize].is_some()
            })
        );
        Some(Baseline {
            process: adoption.process,
            overrides,
        })
    }

    /// Every sector table: its name, and the sector when it is valid.
    pub(super) fn sectors(&mut self, parent: &Fields) -> Vec<(String, Option<Sector>)> {
        let mut out = Vec::new();
        for t in self.tables(parent) {
            self.allow_keys(&t, &SECTOR_KEYS, "keys of a sector");
            let name = t.path["sectors.".len()..].to_string();
            let label = self.label(&t, &name);
            let elasticity = self.param(&t, "elasticity", None, Bound::Any, "\"normal(1.4, 0.3)\"");
            let lag_years = self.constant(&t, "lag_years", Some(0.0), Bound::NonNegative, "0.5");
            let drift = self.param(&t, "drift", Some(0.0), Bound::Any, "0.06");
            let volatility = self.param(&t, "volatility", Some(0.0), Bound::NonNegative, "0.2");
            let sector = match (elasticity, lag_years, drift, volatility) {
                (Some(elasticity), Some(lag_years), Some(drift), Some(volatility)) => {
                    Some(Sector {
                        name: name.clone(),
                        label,
                        elasticity,
                        lag_years,
                        drift,
                        volatility,
                    })
                }
                _ => None,
            };
            out.push((name, sector));
        }
        out
    }

    pub(super) fn correlation(&mut self, c: &Fields, sectors: &[&str]) -> Option<Correlation> {
        self.allow_keys(c, &CORRELATION_KEYS, "keys of [correlation]");
        let n = sectors.len();
        let mut ok = true;
        let default = self
            .constant(c, "default", Some(0.0), Bound::Any, "0.3")
            .and_then(|rho| self.rho_in_range(c.get("default"), rho));
        ok &= default.is_some();
        let default = default.unwrap_or(0.0);
        let mut matrix = vec![default; n * n];
        for i in 0..n {
            matrix[i * n + i] = 1.0;
        }
        let mut set = vec![false; n * n];
        if let Some(f) = c.get("pairs") {
            let DeValue::Array(items) = f.value.get_ref() else {
                self.error(
                    &f.path,
                    f.value.span(),
                    format!(
                        "`pairs` must be an array, not a {}",
                        f.value.get_ref().type_str()
                    ),
                    Some(
                        "write pairs = [ { a = \"ml_ai\", b = \"cloud_infra\", rho = 0.7 } ]"
                            .into(),
                    ),
                );
                return None;
            };
            for (idx, item) in items.iter().enumerate() {
                let path = format!("{}[{idx}]", f.path);
                let DeValue::Table(t) = item.get_ref() else {
                    self.error(
                        &path,
                        item.span(),
                        "each pair must be a table { a = ..., b = ..., rho = ... }".into(),
                        Some("write { a = \"ml_ai\", b = \"cloud_infra\", rho = 0.7 }".into()),
                    );
                    ok = false;
                    continue;
                };
                let pair = Fields::of(&path, item.span(), t);
                self.allow_keys(&pair, &PAIR_KEYS, "keys of a correlation pair");
                let a = self.sector_ref(&pair, "a", sectors);
                let b = self.sector_ref(&pair, "b", sectors);
                let rho = self
                    .constant(&pair, "rho", None, Bound::Any, "0.7")
                    .and_then(|rho| self.rho_in_range(pair.get("rho"), rho));
                let (Some(a), Some(b), Some(rho)) = (a, b, rho) else {
                    ok = false;
                    continue;
                };
                if a == b {
                    self.error(
                        &path,
                        item.span(),
                        format!(
                            "a pair needs two different sectors, got `{}` twice",
                            sectors[a]
                        ),
                        Some("a sector's correlation with itself is always 1".into()),
                    );
                    ok = false;
                    continue;
                }
                if set[a * n + b] {
                    self.error(
                        &path,
                        item.span(),
                        format!(
                            "the pair `{}`, `{}` is listed twice",
                            sectors[a], sectors[b]
                        ),
                        Some("keep one entry per pair".into()),
                    );
                    ok = false;
                    continue;
                }
                set[a * n + b] = true;
                set[b * n + a] = true;
                matrix[a * n + b] = rho;
                matrix[b * n + a] = rho;
            }
        }
        if !ok {
            return None;
        }
        match cholesky_psd(&matrix, n) {
            Some(factor) => Some(Correlation { matrix, factor }),
            None => {
                self.error(
                    &c.path,
                    c.span.clone(),
                    "the sector correlation matrix is not positive semi-definite, so no shocks can have it".into(),
                    Some(
                        "make the correlations consistent: if a~b and b~c are strongly positive, \
                         a~c cannot be strongly negative; lowering `default` or the largest |rho| helps"
                            .into(),
                    ),
                );
                None
            }
        }
    }

    pub(super) fn rho_in_range(&mut self, f: Option<&Field>, rho: f64) -> Option<f64> {
        if (-1.0..=1.0).contains(&rho) {
            return Some(rho);
        }
        if let Some(f) = f {
            self.error(
                &f.path,
                f.value.span(),
                format!(
                    "a correlation must lie in [-1, 1], got {}",
                    crate::number::shown(rho)
                ),
                Some("use a value between -1 and 1".into()),
            );
        }
        None
    }

    pub(super) fn sector_ref(
        &mut self,
        fields: &Fields,
        key: &str,
        sectors: &[&str],
    ) -> Option<usize> {
        let Some(name) = self.string(fields, key) else {
            if fields.get(key).is_none() {
                self.missing(fields, key, "\"ml_ai\"");
            }
            return None;
        };
        let found = sectors.iter().position(|s| *s == name);
        if found.is_none() {
            let f = fields.get(key).expect("read above");
            self.error(
                &f.path,
                f.value.span(),
                format!("unknown sector `{name}`"),
                Some(suggest(&name, "sectors", sectors)),
            );
        }
        found
    }

    pub(super) fn groups(&mut self, parent: &Fields) -> Vec<(Group, Range<usize>)> {
        let mut out = Vec::new();
        for t in self.tables(parent) {
            self.allow_keys(&t, &GROUP_KEYS, "keys of a group");
            let name = t.path["groups.".len()..].to_string();
            let label = self.label(&t, &name);
            out.push((
                Group {
                    name,
                    label,
                    assets: Vec::new(),
                },
                t.span.clone(),
            ));
        }
        out
    }
}
