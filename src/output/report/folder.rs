//! Reading a run folder for the report: every file it draws from, each value checked finite
//! and every file checked against `summary.csv`'s entities, an error naming file and row.

use super::*;

#[derive(Debug, Clone, Deserialize)]
pub(super) struct SummaryRecord {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) label: String,
    pub(super) mean_return: f64,
    pub(super) p05: f64,
    pub(super) p50: f64,
    pub(super) p95: f64,
    pub(super) cvar95: f64,
    pub(super) sharpe: Option<f64>,
    pub(super) uplift_mean: Option<f64>,
    pub(super) rank: usize,
    pub(super) profile: String,
    /// Empty (`None`) for runs too small to tell, and in folders written before it existed.
    #[serde(default)]
    pub(super) profile_settled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct SensitivityRecord {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) parameter: String,
    pub(super) low_mean: f64,
    pub(super) high_mean: f64,
    /// The swing's standard error (absent from folders written before it existed).
    #[serde(default)]
    pub(super) swing_se: Option<f64>,
    /// Beyond its Monte Carlo error; folders written before the column existed show every
    /// parameter.
    #[serde(default = "shown")]
    pub(super) significant: bool,
}

pub(super) fn shown() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct DistributionRecord {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) measure: String,
    pub(super) level: f64,
    pub(super) value: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct PrecisionRecord {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) statistic: String,
    pub(super) estimate: Option<f64>,
    pub(super) lo95: Option<f64>,
    pub(super) hi95: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ConvergenceRecord {
    pub(super) name: String,
    pub(super) statistic: String,
    pub(super) paths: f64,
    pub(super) estimate: f64,
    pub(super) lo95: Option<f64>,
    pub(super) hi95: Option<f64>,
}

/// What a run folder holds, as the report needs it.
pub struct RunFolder {
    pub(super) manifest: serde_json::Value,
    pub(super) summary: Vec<SummaryRecord>,
    /// Header and rows of adoption.csv.
    pub(super) adoption: (Vec<String>, Vec<Vec<f64>>),
    pub(super) sensitivity: Vec<SensitivityRecord>,
    pub(super) distributions: Vec<DistributionRecord>,
    /// precision.csv and convergence.csv (empty for folders written before they existed).
    pub(super) precision: Vec<PrecisionRecord>,
    pub(super) convergence: Vec<ConvergenceRecord>,
}

impl RunFolder {
    /// The larger distance from an entity's statistic to the ends of its 95% interval, when
    /// precision.csv gives one: what a `±` shows (an interval lopsided at an atom is never
    /// understated).
    pub(super) fn reach(&self, kind: &str, name: &str, statistic: &str) -> Option<f64> {
        let p = self
            .precision
            .iter()
            .find(|p| p.kind == kind && p.name == name && p.statistic == statistic)?;
        let x = p.estimate?;
        Some((x - p.lo95?).max(p.hi95? - x).max(0.0))
    }

    /// A number of the manifest.
    pub(super) fn manifest_number(&self, key: &str) -> Option<f64> {
        self.manifest.get(key)?.as_f64()
    }

    /// The profiles' thresholds (hurdle, tail-loss limit), when the manifest records them.
    pub(super) fn thresholds(&self) -> Option<(f64, f64)> {
        let t = self.manifest.get("profile_thresholds")?;
        Some((
            t.get("hurdle")?.as_f64()?,
            t.get("tail_loss_limit")?.as_f64()?,
        ))
    }
}

/// A CSV file the report can do without (written by later versions only).
pub(super) fn read_optional<T: for<'de> Deserialize<'de>>(
    path: &Path,
) -> Result<Vec<T>, ReportError> {
    if path.exists() {
        read_csv(path, true)
    } else {
        Ok(Vec::new())
    }
}

/// The rows of a CSV file; `may_be_empty` for sensitivity.csv (a model without uncertain
/// parameters has no rows there).
pub(super) fn read_csv<T: for<'de> Deserialize<'de>>(
    path: &Path,
    may_be_empty: bool,
) -> Result<Vec<T>, ReportError> {
    let fail = |message: String| ReportError::Read {
        path: path.to_path_buf(),
        message,
    };
    let bytes = crate::input::read(path).map_err(|e| fail(e.to_string()))?;
    let rows = csv::Reader::from_reader(bytes.as_slice())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if rows.is_empty() && !may_be_empty {
        return Err(fail(
            "it has a header but no rows; it was not written by a finished `boomsim run`".into(),
        ));
    }
    Ok(rows)
}

/// The first number of a run folder's files that is NaN or infinite, named by file and row:
/// the charts' axes are fitted to the data, and a boomsim run never writes such a cell.
pub(super) fn check_finite(folder: &RunFolder, dir: &Path) -> Result<(), ReportError> {
    let bad = |file: &str, row: usize, what: &str| ReportError::Read {
        path: dir.join(file),
        message: format!(
            "row {row}: {what} is not a finite number; a boomsim run never writes one, so the file was edited or damaged"
        ),
    };
    let finite = |x: f64| x.is_finite();
    for (i, r) in folder.summary.iter().enumerate() {
        let values = [r.mean_return, r.p05, r.p50, r.p95, r.cvar95];
        let optional = [r.sharpe, r.uplift_mean];
        if !values.into_iter().all(finite) || !optional.into_iter().flatten().all(finite) {
            return Err(bad("summary.csv", i + 2, &format!("a value of {}", r.name)));
        }
    }
    if !folder.summary.iter().any(|r| r.kind == "group") {
        return Err(ReportError::Read {
            path: dir.join("summary.csv"),
            message: "it has no group row".into(),
        });
    }
    for (i, r) in folder.sensitivity.iter().enumerate() {
        if !finite(r.low_mean) || !finite(r.high_mean) {
            return Err(bad(
                "sensitivity.csv",
                i + 2,
                &format!("a mean of {}", r.name),
            ));
        }
    }
    for (i, r) in folder.distributions.iter().enumerate() {
        if !finite(r.level) || !finite(r.value) {
            return Err(bad(
                "distributions.csv",
                i + 2,
                &format!("a value of {}", r.name),
            ));
        }
    }
    for (i, row) in folder.adoption.1.iter().enumerate() {
        if !row.iter().copied().all(finite) {
            return Err(bad("adoption.csv", i + 2, "a value"));
        }
    }
    for (i, r) in folder.sensitivity.iter().enumerate() {
        if r.swing_se.is_some_and(|x| !finite(x)) {
            return Err(bad(
                "sensitivity.csv",
                i + 2,
                &format!("swing_se of {}", r.name),
            ));
        }
    }
    for (i, r) in folder.precision.iter().enumerate() {
        if [r.estimate, r.lo95, r.hi95]
            .into_iter()
            .flatten()
            .any(|x| !finite(x))
        {
            return Err(bad(
                "precision.csv",
                i + 2,
                &format!("a value of {}", r.name),
            ));
        }
    }
    for (i, r) in folder.convergence.iter().enumerate() {
        let values = [Some(r.paths), Some(r.estimate), r.lo95, r.hi95];
        if values.into_iter().flatten().any(|x| !finite(x)) || r.paths < 1.0 {
            return Err(bad(
                "convergence.csv",
                i + 2,
                &format!("a value of {}", r.name),
            ));
        }
    }
    check_consistent(folder, dir)
}

/// The files of a run folder describe the same entities: every group and asset of
/// summary.csv has its 99 percentiles of each measure in distributions.csv (levels strictly
/// between 0 and 1, in order), and every entity the other files name is in summary.csv. A
/// hand-edited folder that breaks this is named by file and row, not drawn wrong.
pub(super) fn check_consistent(folder: &RunFolder, dir: &Path) -> Result<(), ReportError> {
    let fail = |file: &str, message: String| ReportError::Read {
        path: dir.join(file),
        message,
    };
    let named = |kind: &str, name: &str| {
        folder
            .summary
            .iter()
            .any(|r| r.kind == kind && r.name == name)
    };
    for (i, r) in folder.distributions.iter().enumerate() {
        if !named(&r.kind, &r.name) {
            return Err(fail(
                "distributions.csv",
                format!(
                    "row {}: {} `{}` is not in summary.csv; the files are of different runs, or were edited",
                    i + 2,
                    r.kind,
                    r.name
                ),
            ));
        }
        if !(r.level > 0.0 && r.level < 1.0) {
            return Err(fail(
                "distributions.csv",
                format!("row {}: level {} is not between 0 and 1", i + 2, r.level),
            ));
        }
    }
    for (i, r) in folder.summary.iter().enumerate() {
        for measure in ["total_return", "max_drawdown"] {
            let levels: Vec<f64> = folder
                .distributions
                .iter()
                .filter(|d| d.kind == r.kind && d.name == r.name && d.measure == measure)
                .map(|d| d.level)
                .collect();
            if levels.len() != 99 || levels.windows(2).any(|w| w[0] >= w[1]) {
                return Err(fail(
                    "distributions.csv",
                    format!(
                        "it has {} {measure} percentiles of {} `{}` (summary.csv row {}), not the 99 in order a boomsim run writes; the files are of different runs, or were edited",
                        levels.len(),
                        r.kind,
                        r.name,
                        i + 2
                    ),
                ));
            }
        }
    }
    for (i, r) in folder.sensitivity.iter().enumerate() {
        if !named(&r.kind, &r.name) {
            return Err(fail(
                "sensitivity.csv",
                format!(
                    "row {}: {} `{}` is not in summary.csv",
                    i + 2,
                    r.kind,
                    r.name
                ),
            ));
        }
    }
    for (i, r) in folder.precision.iter().enumerate() {
        if !named(&r.kind, &r.name) {
            return Err(fail(
                "precision.csv",
                format!(
                    "row {}: {} `{}` is not in summary.csv",
                    i + 2,
                    r.kind,
                    r.name
                ),
            ));
        }
    }
    for (i, r) in folder.convergence.iter().enumerate() {
        if !named("group", &r.name) {
            return Err(fail(
                "convergence.csv",
                format!("row {}: group `{}` is not in summary.csv", i + 2, r.name),
            ));
        }
    }
    Ok(())
}

/// Reads a run folder.
pub fn read_folder(dir: &Path) -> Result<RunFolder, ReportError> {
    let manifest_path = dir.join("manifest.json");
    let manifest = crate::input::read_to_string(&manifest_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|message| ReportError::Read {
            path: manifest_path,
            message,
        })?;
    let adoption_path = dir.join("adoption.csv");
    let fail = |message: String| ReportError::Read {
        path: adoption_path.clone(),
        message,
    };
    let (header, records) =
        crate::output::csv::read_cells(&adoption_path, crate::input::MAX_INPUT_BYTES)
            .map_err(&fail)?;
    let rows = records
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.parse::<f64>().map_err(|e| fail(e.to_string())))
                .collect()
        })
        .collect::<Result<Vec<Vec<f64>>, _>>()?;
    if rows.is_empty() {
        return Err(fail("it has a header but no rows".into()));
    }
    let folder = RunFolder {
        manifest,
        summary: read_csv(&dir.join("summary.csv"), false)?,
        adoption: (header, rows),
        sensitivity: read_csv(&dir.join("sensitivity.csv"), true)?,
        distributions: read_csv(&dir.join("distributions.csv"), false)?,
        precision: read_optional(&dir.join("precision.csv"))?,
        convergence: read_optional(&dir.join("convergence.csv"))?,
    };
    check_finite(&folder, dir)?;
    Ok(folder)
}
