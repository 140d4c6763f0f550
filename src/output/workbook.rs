//! The results as one Excel workbook (`--xlsx`, `boomsim xlsx DIR`): a sheet per CSV file of
//! an output folder and a first sheet of native Excel charts drawn from those sheets.
//!
//! One concept, the workbook: its sheets and charts are written together and share the
//! folder's parsed CSVs, so they stay in one file (about 890 lines, 90 of them tests).
//!
//! The workbook is made from the folder's CSV files alone, so it holds exactly what they hold:
//! every cell is the CSV's value (numbers as numbers, full precision; `true`/`false` as
//! booleans; empty cells blank), and only the display differs. Returns, probabilities,
//! drawdowns, weights and quantile levels are fractions shown as percentages; adoption as
//! multiples; Sharpe and Sortino ratios, Spearman correlations and counts as numbers. Each
//! sheet has a bold frozen header row, an autofilter and fitted column widths.
//!
//! Charts (on the `charts` sheet, each a live Excel chart over the data sheets): the adoption
//! fan, each group's total-return distribution (CDF), a tornado of each group's top drivers
//! (only drivers whose effect is significant, as in the report), and the efficient frontier
//! of `boomsim allocate`.

use std::fs;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartAxisLabelPosition, ChartLegendPosition, ChartLine,
    ChartLineDashType, ChartMarker, ChartType, Color, Format, FormatBorder, Workbook, Worksheet,
};

/// The CSV files a workbook holds, in sheet order (each sheet is named after its file).
pub const SHEETS: [&str; 12] = [
    "summary",
    "summary_where",
    "adoption",
    "distributions",
    "sensitivity",
    "precision",
    "convergence",
    "samples",
    "sweep",
    "sweep_wide",
    "frontier",
    "allocation",
];

/// Characters an Excel cell holds.
pub const CELL_CHARS: usize = 32_767;

/// Where rows `first..=last` (1-based, below the header) of a table land: the sheet of the
/// table (or its continuation `NAME (k)`) and the rows there; `None` when they straddle two
/// sheets, which no chart series can span.
fn sheet_rows(sheet: &str, first: u32, last: u32) -> Option<(String, u32, u32)> {
    let per = SHEET_ROWS as u32;
    let k = (first - 1) / per;
    if (last - 1) / per != k {
        return None;
    }
    let name = if k == 0 {
        sheet.to_string()
    } else {
        format!("{sheet} ({})", k + 1)
    };
    Some((name, first - k * per, last - k * per))
}

/// Rows of data an Excel sheet holds below its header; longer files continue on sheets
/// named `NAME (2)`, `NAME (3)`, ...
pub const SHEET_ROWS: usize = 1_048_575;

/// Columns an Excel sheet holds.
pub const SHEET_COLUMNS: usize = 16_384;

/// The largest CSV file read (a sweep's long table of a big grid, or samples.csv).
const MAX_CSV_BYTES: u64 = 1 << 30;

/// Why a workbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    /// A file of the folder is missing, unreadable or malformed.
    #[error(
        "cannot read {path}: {message}\n  help: boomsim wrote this file differently; if it was edited, run the command again to write the folder afresh, then `boomsim xlsx` it"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The folder holds none of the files a workbook is made from.
    #[error(
        "{0} holds no boomsim CSV file (summary.csv, sweep.csv, frontier.csv, ...)\n  help: `boomsim xlsx` reads a folder written by `boomsim run`, `sweep` or `allocate`"
    )]
    NoTables(PathBuf),
    /// A file has more columns than a sheet can hold.
    #[error(
        "{path} has {columns} columns, more than the {SHEET_COLUMNS} an Excel sheet holds\n  help: open the CSV file itself, or run without --samples (whose columns grow with the model's parameters and assets)"
    )]
    TooWide {
        /// The file.
        path: PathBuf,
        /// Its columns.
        columns: usize,
    },
    /// rust_xlsxwriter refused something.
    #[error("cannot make {path}: {message}")]
    Build {
        /// The workbook.
        path: PathBuf,
        /// The writer's message.
        message: String,
    },
    /// The workbook could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl crate::exit::ExitStatus for WorkbookError {
    fn exit_code(&self) -> u8 {
        crate::exit::FAILED
    }
}

/// How a column's numbers are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A fraction shown as a percentage: returns, probabilities, drawdowns, weights, levels.
    Percent,
    /// A multiple of today's adoption.
    Multiple,
    /// A ratio such as Sharpe's.
    Ratio,
    /// A correlation coefficient.
    Correlation,
    /// A whole number: a rank, a step, a count of paths.
    Count,
    /// Years since the start.
    Year,
    /// Excel's General format: values in the model's own units.
    Plain,
    /// Set by the row's `statistic` (precision, convergence) or `metric` (sweep) column.
    ByStatistic,
}

impl Style {
    /// The styles a cell can end up in (every style but [`Style::ByStatistic`], which resolves
    /// to one of these row by row), in the order of [`Style::index`].
    const CELL_STYLES: [Style; 7] = [
        Style::Percent,
        Style::Multiple,
        Style::Ratio,
        Style::Correlation,
        Style::Count,
        Style::Year,
        Style::Plain,
    ];

    /// This style's place in [`Style::CELL_STYLES`] (`ByStatistic` unresolved shows as Plain).
    fn index(self) -> usize {
        match self {
            Style::Percent => 0,
            Style::Multiple => 1,
            Style::Ratio => 2,
            Style::Correlation => 3,
            Style::Count => 4,
            Style::Year => 5,
            Style::Plain | Style::ByStatistic => 6,
        }
    }

    fn num_format(self) -> Option<&'static str> {
        match self {
            Style::Percent => Some("0.00%"),
            Style::Multiple => Some("0.00\"x\""),
            Style::Ratio => Some("0.00"),
            Style::Correlation => Some("0.000"),
            Style::Count => Some("#,##0"),
            Style::Year => Some("0.00"),
            Style::Plain | Style::ByStatistic => None,
        }
    }
}

/// How a statistic of summary.csv (named in a `statistic` or `metric` cell) is shown.
pub fn statistic_style(statistic: &str) -> Style {
    match statistic {
        "sharpe" | "sortino" => Style::Ratio,
        "rank" => Style::Count,
        "label" | "group" | "profile" => Style::Plain,
        _ => Style::Percent,
    }
}

/// How the column `column` of the sheet `sheet` is shown.
pub fn column_style(sheet: &str, column: &str) -> Style {
    match (sheet, column) {
        ("adoption", "step") => Style::Count,
        ("adoption", "year") => Style::Year,
        ("adoption", _) => Style::Multiple,
        ("samples", "path") => Style::Count,
        ("samples", "adoption_multiple" | "baseline_adoption_multiple") => Style::Multiple,
        ("samples", c) if c.starts_with("return.") || c.starts_with("uplift.") => Style::Percent,
        // A parameter's draw, in the model's units.
        ("samples", _) => Style::Plain,
        ("precision" | "convergence" | "sweep", "estimate" | "se" | "lo95" | "hi95" | "value") => {
            Style::ByStatistic
        }
        ("precision", "relative_se") => Style::Percent,
        ("summary" | "summary_where" | "sweep_wide", c) => match c {
            "mean_return" | "sd_return" | "mcse_mean" | "p01" | "p05" | "p10" | "p25" | "p50"
            | "p75" | "p90" | "p95" | "p99" | "median_cagr" | "ann_return" | "ann_volatility"
            | "var95" | "var99" | "cvar95" | "cvar99" | "prob_loss" | "mean_max_drawdown"
            | "p95_max_drawdown" | "uplift_mean" | "uplift_p05" | "uplift_p50" | "uplift_p95"
            | "prob_uplift" => Style::Percent,
            "sharpe" | "sortino" => Style::Ratio,
            "rank" => Style::Count,
            // A sweep's varied parameters, in the model's units.
            _ => Style::Plain,
        },
        ("distributions", "level" | "value") => Style::Percent,
        ("sensitivity", "spearman" | "spearman_lo" | "spearman_hi") => Style::Correlation,
        ("sensitivity", "low_mean" | "high_mean" | "swing" | "swing_se" | "contribution") => {
            Style::Percent
        }
        ("frontier" | "allocation", "portfolio")
        | ("convergence", "paths")
        | ("precision", "batches") => Style::Count,
        ("frontier", c) if c != "status" && c != "name" => Style::Percent,
        ("allocation", "weight" | "weight_lo" | "weight_hi") => Style::Percent,
        _ => Style::Plain,
    }
}

/// One cell of a CSV file as the workbook holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An empty cell (an undefined value).
    Blank,
    /// A number.
    Number(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// Anything else: a name, a label, a status.
    Text(String),
}

/// What a column holds: a column is numeric (or boolean) only when every non-empty cell is,
/// so a name column whose names happen to look like numbers stays text throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Boolean,
    Text,
}

/// A CSV file: its header and its cells, typed column by column.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet name (the file's stem).
    pub sheet: &'static str,
    /// The column names.
    pub header: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Reads `dir/<sheet>.csv` (`None` when it is not there).
    pub fn read(dir: &Path, sheet: &'static str) -> Result<Option<Table>, WorkbookError> {
        let path = dir.join(format!("{sheet}.csv"));
        if !path.exists() {
            return Ok(None);
        }
        let fail = |message: String| WorkbookError::Read {
            path: path.clone(),
            message,
        };
        let (header, records) = super::csv::read_cells(&path, MAX_CSV_BYTES).map_err(fail)?;
        if header.len() > SHEET_COLUMNS {
            return Err(WorkbookError::TooWide {
                path,
                columns: header.len(),
            });
        }
        let text: Vec<Vec<String>> = records
            .iter()
            .map(|r| r.iter().map(String::from).collect())
            .collect();
        for (r, row) in text.iter().enumerate() {
            if let Some((c, cell)) = row
                .iter()
                .enumerate()
                .find(|(_, cell)| cell.chars().count() > CELL_CHARS)
            {
                return Err(fail(format!(
                    "row {}, column `{}`: a cell of {} characters; an Excel cell holds at most {CELL_CHARS}",
                    r + 2,
                    header.get(c).map_or("?", String::as_str),
                    cell.chars().count()
                )));
            }
        }
        let kinds: Vec<Kind> = (0..header.len())
            .map(|c| column_kind(text.iter().map(|r| r[c].as_str())))
            .collect();
        let rows = text
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .zip(&kinds)
                    .map(|(t, kind)| typed(t, *kind))
                    .collect()
            })
            .collect();
        Ok(Some(Table {
            sheet,
            header,
            rows,
        }))
    }

    /// The index of column `name`.
    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The text of cell (row, column), or "" for a blank or non-text cell.
    fn text(&self, row: usize, column: usize) -> &str {
        match &self.rows[row][column] {
            Cell::Text(t) => t,
            _ => "",
        }
    }

    /// The number in cell (row, column), if it holds one.
    fn number(&self, row: usize, column: usize) -> Option<f64> {
        match self.rows[row][column] {
            Cell::Number(x) => Some(x),
            _ => None,
        }
    }

    /// The first row whose columns hold the given texts.
    fn find(&self, wanted: &[(&str, &str)]) -> Option<usize> {
        let columns: Vec<(usize, &str)> = wanted
            .iter()
            .map(|(c, v)| self.column(c).map(|i| (i, *v)))
            .collect::<Option<_>>()?;
        (0..self.rows.len()).find(|&r| columns.iter().all(|(c, v)| self.text(r, *c) == *v))
    }

    /// The rows from `first` on while their columns hold the given texts.
    fn run_from(&self, first: usize, wanted: &[(&str, &str)]) -> usize {
        let columns: Vec<(usize, &str)> = wanted
            .iter()
            .filter_map(|(c, v)| self.column(c).map(|i| (i, *v)))
            .collect();
        (first..self.rows.len())
            .take_while(|&r| columns.iter().all(|(c, v)| self.text(r, *c) == *v))
            .count()
    }
}

fn column_kind<'a>(cells: impl Iterator<Item = &'a str>) -> Kind {
    let mut kind = None;
    for cell in cells.filter(|c| !c.is_empty()) {
        let this = if parse_number(cell).is_some() {
            Kind::Number
        } else if cell == "true" || cell == "false" {
            Kind::Boolean
        } else {
            return Kind::Text;
        };
        if kind.is_some_and(|k| k != this) {
            return Kind::Text;
        }
        kind = Some(this);
    }
    kind.unwrap_or(Kind::Text)
}

fn parse_number(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn typed(text: String, kind: Kind) -> Cell {
    if text.is_empty() {
        return Cell::Blank;
    }
    match kind {
        Kind::Number => parse_number(&text).map_or(Cell::Text(text), Cell::Number),
        Kind::Boolean => Cell::Boolean(text == "true"),
        Kind::Text => Cell::Text(text),
    }
}

/// The workbook's file name inside the folder `dir`: the folder's own name, so workbooks of
/// different runs can be open in Excel at once (it refuses two files of the same name).
pub fn workbook_name(dir: &Path) -> String {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "." && n != "..")
        .or_else(|| {
            fs::canonicalize(dir)
                .ok()?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "results".into());
    format!("{name}.xlsx")
}

/// Reads the CSV files of `dir` and writes them as the workbook `dir/<name>`, whole or not
/// at all (a partial file is renamed into place once complete). Returns its path.
pub fn write_workbook(dir: &Path, name: &str) -> Result<PathBuf, WorkbookError> {
    let path = dir.join(name);
    let tables = read_tables(dir)?;
    let bytes = build(dir, &tables).map_err(|e| WorkbookError::Build {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let tmp = dir.join(format!(".{name}.partial"));
    fs::write(&tmp, &bytes)
        .and_then(|()| fs::rename(&tmp, &path))
        .map_err(|source| {
            let _ = fs::remove_file(&tmp);
            WorkbookError::Write {
                path: path.clone(),
                source,
            }
        })?;
    Ok(path)
}

/// Every CSV file of `dir` a workbook holds, in sheet order.
pub fn read_tables(dir: &Path) -> Result<Vec<Table>, WorkbookError> {
    let mut tables = Vec::new();
    for sheet in SHEETS {
        if let Some(t) = Table::read(dir, sheet)? {
            tables.push(t);
        }
    }
    if tables.is_empty() {
        return Err(WorkbookError::NoTables(dir.to_path_buf()));
    }
    Ok(tables)
}

/// The sheets a table fills: `NAME` with its first [`SHEET_ROWS`] rows, then `NAME (2)`
/// with the next, and so on (an empty table still has its sheet, holding the header).
pub fn sheet_parts(table: &Table) -> Vec<(String, &[Vec<Cell>])> {
    if table.rows.is_empty() {
        return vec![(table.sheet.to_string(), &table.rows[..])];
    }
    table
        .rows
        .chunks(SHEET_ROWS)
        .enumerate()
        .map(|(k, rows)| {
            let name = if k == 0 {
                table.sheet.to_string()
            } else {
                format!("{} ({})", table.sheet, k + 1)
            };
            (name, rows)
        })
        .collect()
}

/// The workbook's bytes.
fn build(dir: &Path, tables: &[Table]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = Workbook::new();
    let charts = chart_sheet(dir, tables);
    if let Some(sheet) = charts {
        workbook.push_worksheet(sheet?);
    }
    for table in tables {
        for (name, rows) in sheet_parts(table) {
            let mut sheet = data_sheet(table, rows)?;
            sheet.set_name(name)?;
            workbook.push_worksheet(sheet);
        }
    }
    workbook.save_to_buffer()
}

/// Rows whose widths are measured to fit the columns (the first screens' worth).
const AUTOFIT_ROWS: u32 = 500;

/// One data sheet: a frozen bold header, the cells, an autofilter, fitted widths.
fn data_sheet(table: &Table, rows: &[Vec<Cell>]) -> Result<Worksheet, rust_xlsxwriter::XlsxError> {
    let mut sheet = Worksheet::new();
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xE8EEF4));
    let styles: Vec<Style> = table
        .header
        .iter()
        .map(|h| column_style(table.sheet, h))
        .collect();
    let statistic = table.column("statistic").or_else(|| table.column("metric"));
    let formats: [Format; 7] = Style::CELL_STYLES.map(|s| {
        s.num_format()
            .map_or_else(Format::new, |f| Format::new().set_num_format(f))
    });
    let format_of = |style: Style| -> &Format { &formats[style.index()] };
    for (c, h) in table.header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &header)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r32 = (r + 1) as u32;
        let row_statistic = statistic.map(|s| match &row[s] {
            Cell::Text(t) => statistic_style(t),
            _ => Style::Plain,
        });
        for (c, cell) in row.iter().enumerate() {
            let c16 = c as u16;
            match cell {
                Cell::Blank => {}
                Cell::Number(x) => {
                    let style = match styles[c] {
                        Style::ByStatistic => row_statistic.unwrap_or(Style::Plain),
                        s => s,
                    };
                    sheet.write_number_with_format(r32, c16, *x, format_of(style))?;
                }
                Cell::Boolean(b) => {
                    sheet.write_boolean(r32, c16, *b)?;
                }
                Cell::Text(t) => {
                    sheet.write_string(r32, c16, t)?;
                }
            }
        }
    }
    let last_col = table.header.len().saturating_sub(1) as u16;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows.len() as u32, last_col)?;
    sheet.set_autofit_max_row(AUTOFIT_ROWS);
    sheet.set_autofit_max_width(400);
    sheet.autofit();
    Ok(sheet)
}

/// The `charts` sheet, when the folder has something to chart.
fn chart_sheet(
    dir: &Path,
    tables: &[Table],
) -> Option<Result<Worksheet, rust_xlsxwriter::XlsxError>> {
    let table = |name: &str| tables.iter().find(|t| t.sheet == name);
    let mut charts: Vec<Chart> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    if let Some(adoption) = table("adoption") {
        charts.extend(fan_chart(adoption));
    }
    if let (Some(summary), Some(distributions)) = (table("summary"), table("distributions")) {
        charts.extend(distribution_chart(summary, distributions));
    }
    if let (Some(summary), Some(sensitivity)) = (table("summary"), table("sensitivity")) {
        let (tornadoes, said) = tornado_charts(summary, sensitivity);
        charts.extend(tornadoes);
        notes.extend(said);
    }
    if let Some(frontier) = table("frontier") {
        charts.extend(frontier_chart(frontier));
    }
    if charts.is_empty() {
        return None;
    }
    Some((|| {
        let mut sheet = Worksheet::new();
        sheet.set_name("charts")?;
        let title = Format::new().set_bold().set_font_size(14);
        sheet.write_string_with_format(0, 0, heading(dir), &title)?;
        sheet.write_string(
            1,
            0,
            "Each chart is drawn from the sheets after this one; the numbers are the CSV files' own.",
        )?;
        for (i, note) in notes.iter().enumerate() {
            sheet.write_string(2 + i as u32, 0, note)?;
        }
        let top = 3 + notes.len() as u32;
        for (i, chart) in charts.iter().enumerate() {
            let row = top + (i / 2) as u32 * CHART_ROWS;
            let col = (i % 2) as u16 * CHART_COLUMNS;
            sheet.insert_chart(row, col, chart)?;
        }
        Ok(sheet)
    })())
}

/// A chart's size, and the cells it takes (at Excel's default 64 x 20 pixel cells).
const CHART_WIDTH: u32 = 720;
const CHART_HEIGHT: u32 = 400;
const CHART_ROWS: u32 = CHART_HEIGHT / 20 + 1;
const CHART_COLUMNS: u16 = (CHART_WIDTH / 64 + 1) as u16;

/// The charts sheet's title, from manifest.json: model, paths, seed.
fn heading(dir: &Path) -> String {
    let manifest: Option<serde_json::Value> =
        crate::input::read_to_string(&dir.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    let Some(m) = manifest else {
        return "boomsim results".into();
    };
    let model = m
        .get("model_name")
        .or_else(|| m.get("model_path"))
        .and_then(|v| v.as_str())
        .unwrap_or("model");
    let mut parts = vec![format!("boomsim results: {model}")];
    if let Some(paths) = m.get("paths").and_then(|v| v.as_u64()) {
        parts.push(format!("{paths} paths"));
    } else if let Some(scenarios) = m.get("scenarios").and_then(|v| v.as_u64()) {
        parts.push(format!("{scenarios} in-sample paths"));
    }
    if let Some(seed) = m.get("seed").and_then(|v| v.as_u64()) {
        parts.push(format!("seed {seed}"));
    }
    parts.join(", ")
}

/// A chart of the standard size with a title.
fn new_chart(kind: ChartType, title: &str) -> Chart {
    let mut chart = Chart::new(kind);
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    chart.title().set_name(title);
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart
}

fn last_row(table: &Table) -> u32 {
    table.rows.len() as u32
}

/// The adoption fan: median, 50% and 90% bands of the boom, the baseline's median.
fn fan_chart(adoption: &Table) -> Option<Chart> {
    let year = adoption.column("year")? as u16;
    if adoption.rows.is_empty() {
        return None;
    }
    // A scatter with straight lines, not a line chart: its x axis is a number line of years,
    // where a line chart would label every step as a category.
    let mut chart = new_chart(
        ChartType::ScatterStraight,
        "Adoption: multiple of today's usage",
    );
    let end = last_row(adoption);
    let series = [
        ("p95", Some(ChartLineDashType::Dash)),
        ("p75", None),
        ("p50", None),
        ("p25", None),
        ("p05", Some(ChartLineDashType::Dash)),
        ("mean", Some(ChartLineDashType::RoundDot)),
        ("baseline_p50", Some(ChartLineDashType::LongDash)),
    ];
    let colours = [
        0x0072B2, 0x56B4E9, 0x0072B2, 0x56B4E9, 0x0072B2, 0xE69F00, 0x999999,
    ];
    for ((column, dash), colour) in series.iter().zip(colours) {
        let Some(c) = adoption.column(column) else {
            continue;
        };
        let mut line = ChartLine::new();
        line.set_color(Color::RGB(colour))
            .set_width(if *column == "p50" { 2.5 } else { 1.25 });
        if let Some(d) = dash {
            line.set_dash_type(*d);
        }
        chart
            .add_series()
            .set_name(("adoption", 0, c as u16))
            .set_categories(("adoption", 1, year, end, year))
            .set_values(("adoption", 1, c as u16, end, c as u16))
            .set_format(&mut line);
    }
    chart
        .x_axis()
        .set_name("years from now")
        .set_num_format("0")
        .set_min(0.0);
    chart
        .y_axis()
        .set_name("adoption (x today)")
        .set_num_format("0.0\"x\"");
    Some(chart)
}

/// Each group's total-return CDF from distributions.csv.
fn distribution_chart(summary: &Table, distributions: &Table) -> Option<Chart> {
    let level = distributions.column("level")? as u16;
    let value = distributions.column("value")? as u16;
    let label = summary.column("label")?;
    let kind = summary.column("kind")?;
    let mut chart = new_chart(
        ChartType::ScatterStraight,
        "Total return: share of paths at or below each return",
    );
    let mut any = false;
    for r in 0..summary.rows.len() {
        if summary.text(r, kind) != "group" {
            continue;
        }
        let name = summary.text(r, summary.column("name")?);
        let wanted = [
            ("kind", "group"),
            ("name", name),
            ("measure", "total_return"),
        ];
        let Some(first) = distributions.find(&wanted) else {
            continue;
        };
        let n = distributions.run_from(first, &wanted) as u32;
        // The rows may be on a continuation sheet (a file past Excel's rows); a group whose
        // rows straddle two sheets is left out of the chart.
        let Some((sheet, a, b)) = sheet_rows("distributions", first as u32 + 1, first as u32 + n)
        else {
            continue;
        };
        let Some((names, row, _)) = sheet_rows("summary", r as u32 + 1, r as u32 + 1) else {
            continue;
        };
        chart
            .add_series()
            .set_name((names.as_str(), row, label as u16))
            .set_categories((sheet.as_str(), a, value, b, value))
            .set_values((sheet.as_str(), a, level, b, level))
            .set_format(ChartLine::new().set_width(2.0));
        any = true;
    }
    chart
        .x_axis()
        .set_name("total return over the horizon")
        .set_num_format("0%");
    chart
        .y_axis()
        .set_name("share of paths")
        .set_num_format("0%")
        .set_min(0.0)
        .set_max(1.0);
    any.then_some(chart)
}

/// Drivers shown per group: the leading significant rows of sensitivity.csv.
const TORNADO_BARS: usize = 8;

/// A tornado of each group's top drivers: mean total return on the paths where the driver
/// is in its lowest and highest decile, bars starting at the group's mean. Only the leading
/// run of significant drivers is drawn; the notes name groups with none.
fn tornado_charts(summary: &Table, sensitivity: &Table) -> (Vec<Chart>, Vec<String>) {
    let mut charts = Vec::new();
    let mut notes = Vec::new();
    let (Some(kind_col), Some(name_col), Some(label_col), Some(mean_col)) = (
        summary.column("kind"),
        summary.column("name"),
        summary.column("label"),
        summary.column("mean_return"),
    ) else {
        return (charts, notes);
    };
    let (Some(parameter), Some(low), Some(high), Some(significant)) = (
        sensitivity.column("parameter"),
        sensitivity.column("low_mean"),
        sensitivity.column("high_mean"),
        sensitivity.column("significant"),
    ) else {
        return (charts, notes);
    };
    for r in 0..summary.rows.len() {
        if summary.text(r, kind_col) != "group" {
            continue;
        }
        let name = summary.text(r, name_col);
        let label = summary.text(r, label_col);
        let wanted = [("kind", "group"), ("name", name)];
        let Some(first) = sensitivity.find(&wanted) else {
            continue;
        };
        let n = (first..first + sensitivity.run_from(first, &wanted))
            .take(TORNADO_BARS)
            .take_while(|&s| sensitivity.rows[s][significant] == Cell::Boolean(true))
            .count() as u32;
        if n == 0 {
            notes.push(format!(
                "No driver of {label} is told apart from Monte Carlo noise at this run size, so it has no tornado; run more paths."
            ));
            continue;
        }
        let Some(mean) = summary.number(r, mean_col) else {
            continue;
        };
        // On a continuation sheet when sensitivity.csv is past Excel's rows.
        let Some((sheet, a, b)) = sheet_rows("sensitivity", first as u32 + 1, first as u32 + n)
        else {
            continue;
        };
        let mut chart = new_chart(
            ChartType::Bar,
            &format!("{label}: top drivers (mean return, lowest vs highest decile)"),
        );
        for (column, colour) in [(low, 0xD55E00), (high, 0x0072B2)] {
            let c = column as u16;
            chart
                .add_series()
                .set_name((sheet.as_str(), 0, c))
                .set_categories((sheet.as_str(), a, parameter as u16, b, parameter as u16))
                .set_values((sheet.as_str(), a, c, b, c))
                .set_format(rust_xlsxwriter::ChartFormat::new().set_solid_fill(
                    rust_xlsxwriter::ChartSolidFill::new().set_color(Color::RGB(colour)),
                ))
                .set_overlap(100)
                .set_gap(40);
        }
        // Bars grow from where the category axis crosses: the group's mean return.
        chart
            .x_axis()
            .set_name(&format!(
                "mean total return (bars start at the mean, {:.1}%)",
                mean * 100.0
            ))
            .set_num_format("0%")
            .set_crossing(ChartAxisCrossing::AxisValue(mean));
        chart
            .y_axis()
            .set_reverse()
            .set_label_position(ChartAxisLabelPosition::Low);
        charts.push(chart);
    }
    (charts, notes)
}

/// The frontier of `boomsim allocate`: CVaR against mean return, in and out of sample.
fn frontier_chart(frontier: &Table) -> Option<Chart> {
    if frontier.rows.is_empty() {
        return None;
    }
    // The frontier's points: the rows with a target (the --max-cvar portfolio, last, has none).
    let target = frontier.column("target");
    let points = (0..frontier.rows.len())
        .take_while(|&r| target.is_none_or(|c| frontier.number(r, c).is_some()))
        .count();
    if points == 0 {
        return None;
    }
    let end = points as u32;
    let mut chart = new_chart(
        ChartType::ScatterStraightWithMarkers,
        "Efficient frontier: mean return against CVaR",
    );
    let pairs = [
        ("cvar", "mean", "in sample (solved on)", 0x0072B2),
        (
            "test_cvar",
            "test_mean",
            "out of sample (checked on)",
            0xE69F00,
        ),
    ];
    for (x, y, name, colour) in pairs {
        let (Some(x), Some(y)) = (frontier.column(x), frontier.column(y)) else {
            continue;
        };
        let mut marker = ChartMarker::new();
        marker
            .set_type(rust_xlsxwriter::ChartMarkerType::Circle)
            .set_size(5)
            .set_format(rust_xlsxwriter::ChartFormat::new().set_solid_fill(
                rust_xlsxwriter::ChartSolidFill::new().set_color(Color::RGB(colour)),
            ));
        chart
            .add_series()
            .set_name(name)
            .set_categories(("frontier", 1, x as u16, end, x as u16))
            .set_values(("frontier", 1, y as u16, end, y as u16))
            .set_marker(&marker)
            .set_format(ChartLine::new().set_color(Color::RGB(colour)));
    }
    chart
        .x_axis()
        .set_name("CVaR (mean loss in the worst paths, at the level of manifest.json)")
        .set_num_format("0%");
    chart
        .y_axis()
        .set_name("mean total return")
        .set_num_format("0%");
    Some(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rows: usize) -> Table {
        Table {
            sheet: "samples",
            header: vec!["path".into()],
            rows: (0..rows).map(|i| vec![Cell::Number(i as f64)]).collect(),
        }
    }

    #[test]
    fn chart_ranges_follow_rows_onto_continuation_sheets() {
        let r = SHEET_ROWS as u32;
        assert_eq!(sheet_rows("d", 1, 99), Some(("d".into(), 1, 99)));
        assert_eq!(
            sheet_rows("d", r + 1, r + 99),
            Some(("d (2)".into(), 1, 99))
        );
        assert_eq!(
            sheet_rows("d", 2 * r + 5, 2 * r + 9),
            Some(("d (3)".into(), 5, 9))
        );
        assert_eq!(sheet_rows("d", r - 5, r + 5), None, "straddles two sheets");
    }

    #[test]
    fn rows_past_excels_limit_continue_on_numbered_sheets() {
        let parts = |n: usize| -> Vec<(String, usize, f64)> {
            let table = samples(n);
            sheet_parts(&table)
                .into_iter()
                .map(|(name, rows)| {
                    let first = match rows.first() {
                        Some(row) => match row[0] {
                            Cell::Number(x) => x,
                            _ => f64::NAN,
                        },
                        None => -1.0,
                    };
                    (name, rows.len(), first)
                })
                .collect()
        };
        assert_eq!(parts(0), vec![("samples".into(), 0, -1.0)]);
        assert_eq!(parts(SHEET_ROWS), vec![("samples".into(), SHEET_ROWS, 0.0)]);
        let r = SHEET_ROWS as f64;
        assert_eq!(
            parts(2 * SHEET_ROWS + 3),
            vec![
                ("samples".into(), SHEET_ROWS, 0.0),
                ("samples (2)".into(), SHEET_ROWS, r),
                ("samples (3)".into(), 3, 2.0 * r),
            ]
        );
    }

    #[test]
    fn a_split_sheet_holds_its_header_and_every_row() {
        let table = samples(SHEET_ROWS + 2);
        let bytes = build(Path::new("no-such-folder"), std::slice::from_ref(&table)).unwrap();
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        use calamine::Reader;
        assert_eq!(book.sheet_names(), vec!["samples", "samples (2)"]);
        let second = book.worksheet_range("samples (2)").unwrap();
        let cells: Vec<String> = second.rows().map(|r| r[0].to_string()).collect();
        let r = SHEET_ROWS;
        assert_eq!(
            cells,
            vec!["path".to_string(), r.to_string(), (r + 1).to_string()]
        );
        let first = book.worksheet_range("samples").unwrap();
        assert_eq!(
            first.height(),
            SHEET_ROWS + 1,
            "header and a full sheet of rows"
        );
    }

    #[test]
    fn every_cell_style_has_its_own_format() {
        for (i, style) in Style::CELL_STYLES.iter().enumerate() {
            assert_eq!(style.index(), i);
        }
        assert_eq!(Style::ByStatistic.index(), Style::Plain.index());
    }
}
