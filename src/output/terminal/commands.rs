//! What the commands other than `run` print: allocate's portfolios, a sweep's listing, a
//! shard's paths, `init`'s file, and the lines naming a report page or a workbook written.

use crate::model::Kind;
use crate::number;
use crate::stats::allocation::Named;
use crate::stats::summary::SummaryRow;
use std::fmt::Write as _;

/// The line naming a report page written.
pub fn report_written(page: &std::path::Path) -> String {
    format!("Report: {}\n", page.display())
}

/// The line naming the workbook written for folder `dir`.
pub fn workbook_written(dir: &std::path::Path) -> String {
    format!(
        "Workbook: {}\n",
        dir.join(crate::output::workbook::workbook_name(dir))
            .display()
    )
}

/// What `init` prints: where the model went, its name, and what to do with it.
pub fn model_written(path: &std::path::Path, name: &str, model: crate::model::BuiltIn) -> String {
    let shown = path.display();
    let title = model.title();
    format!(
        "Wrote {title} to {shown}, named `{name}` (its results go to output/{name}/)\nEdit it, check it with `boomsim check {shown}`, run it with `boomsim run {shown}`.\n"
    )
}

/// What a shard prints: which of the run's paths it holds, and how to merge.
pub fn shard_written(
    (k, n): (usize, usize),
    paths: std::ops::Range<usize>,
    total: usize,
    dir: &std::path::Path,
) -> String {
    format!(
        "shard {k}/{n}: paths {} to {} of {total} written to {}/\nmerge every shard with: boomsim merge DIR... --out DIR\n",
        paths.start,
        paths.end,
        dir.display()
    )
}

/// The best-ranked group of a run, for one line of a sweep's listing.
pub fn best_group(rows: &[SummaryRow]) -> String {
    rows.iter()
        .filter(|r| r.kind == Kind::Group)
        .min_by_key(|r| r.rank)
        .map_or(String::new(), |r| {
            format!("best group {} (p50 {:+.1}%)", r.name, 100.0 * r.p50)
        })
}

/// What `sweep` prints: one line per scenario (its id, what it sets, its best group or
/// "failed"), sorted by id, and where the files are.
pub fn sweep_listing(mut rows: Vec<(String, String, String)>, out_dir: &std::path::Path) -> String {
    let mut text = format!("{} scenarios:\n", rows.len());
    rows.sort();
    for (id, sets, best) in rows {
        let _ = writeln!(text, "  {id}  {sets}  {best}");
    }
    let _ = writeln!(
        text,
        "\nWritten to {}/ (one folder per scenario, sweep.csv, sweep_wide.csv, manifest.json)",
        out_dir.display()
    );
    text
}

/// Everything a finished `allocate` prints.
pub struct AllocateText<'a> {
    /// The named portfolios (each once, with every name it carries).
    pub named: &'a [Named],
    /// The highest-mean end of the frontier.
    pub highest: &'a Named,
    /// Asset names and their groups, in model order; the group names.
    pub assets: &'a [(String, String)],
    pub groups: &'a [String],
    /// In-sample scenarios of each set, and the sets solved.
    pub scenarios: usize,
    pub sets: usize,
    /// Seconds spent solving.
    pub solve_seconds: f64,
    /// The CVaR level.
    pub alpha: f64,
    /// Rows of frontier.csv.
    pub portfolios: usize,
    /// The folder written.
    pub out_dir: &'a std::path::Path,
}

impl AllocateText<'_> {
    /// A portfolio's weights by asset, each with its range over the in-sample sets where it
    /// moves by more than half a point.
    fn by_asset(&self, n: &Named) -> String {
        let held: Vec<String> = (0..self.assets.len())
            .filter(|&k| n.weights[k] >= 0.0005 || n.weight_hi[k] >= 0.005)
            .map(|k| {
                let (w, lo, hi) = (n.weights[k], n.weight_lo[k], n.weight_hi[k]);
                if hi - lo >= 0.005 {
                    format!(
                        "{} {:.1}% ({:.1}-{:.1}%)",
                        self.assets[k].0,
                        100.0 * w,
                        100.0 * lo,
                        100.0 * hi
                    )
                } else {
                    format!("{} {:.1}%", self.assets[k].0, 100.0 * w)
                }
            })
            .collect();
        held.join(", ")
    }

    /// A portfolio's weights by group.
    fn by_group(&self, n: &Named) -> String {
        self.groups
            .iter()
            .map(|g| {
                let w: f64 = n
                    .weights
                    .iter()
                    .zip(self.assets)
                    .filter(|(_, (_, group))| group == g)
                    .map(|(w, _)| w)
                    .sum();
                format!("{g} {:.1}%", 100.0 * w)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A portfolio's figures in and out of sample.
    fn figures(n: &Named) -> String {
        let gap = match n.gap.1 {
            Some(se) => format!(
                "; fresh minus in-sample mean {:+.1} ±{:.1} points (2 se)",
                100.0 * n.gap.0,
                200.0 * se
            ),
            None => String::new(),
        };
        format!(
            "mean {:+.1}%, CVaR {:.1}% in sample; on fresh paths mean {:+.1}%, CVaR {:.1}%, p05 {:+.1}%, P(loss) {:.1}%{gap}",
            100.0 * n.in_sample.mean,
            100.0 * n.in_sample.cvar,
            100.0 * n.test.mean,
            100.0 * n.test.cvar,
            100.0 * n.test.p05,
            100.0 * n.test.prob_loss
        )
    }

    /// The text: the named portfolios, their weights by asset (with their range over the
    /// in-sample sets) and by group, in and out of sample, the highest-mean end of the
    /// frontier, and where the files are.
    pub fn render(&self) -> String {
        let tail = number::percent(1.0 - self.alpha);
        let mut t = format!(
            "Mean-CVaR portfolios of the model's assets: {} sets of {} in-sample scenarios each (an LP of {} variables\n\
             per portfolio; all solved in {:.1} s); figures are total returns over the model's horizon;\n\
             CVaR = mean loss of the worst {tail} of paths. A weight's (lo-hi) is its least and most over the\n\
             {} sets: how much it would move with other paths.\n",
            self.sets,
            self.scenarios,
            self.scenarios + self.assets.len() + 1,
            self.solve_seconds,
            self.sets
        );
        for n in self.named {
            let _ = writeln!(t, "\n{}: {}", n.title, Self::figures(n));
            let _ = writeln!(t, "  assets: {}", self.by_asset(n));
            let _ = writeln!(t, "  groups: {}", self.by_group(n));
        }
        let h = self.highest;
        let _ = writeln!(
            t,
            "\nThe highest-mean end ({}): {}\n  assets: {}\n  a corner of the frontier: with other paths it can flip whole to another asset, as its ranges show.",
            h.title,
            Self::figures(h),
            self.by_asset(h)
        );
        let _ = writeln!(
            t,
            "\nWritten to {}/ (frontier.csv: {} portfolios in and out of sample; allocation.csv: their weights with their ranges; manifest.json)\n\
             These are the optimal weights of the model's assumptions, not advice: a portfolio is only as good as the distributions behind it.",
            self.out_dir.display(),
            self.portfolios
        );
        t
    }
}
