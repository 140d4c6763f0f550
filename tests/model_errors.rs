//! One test per validation rule of docs/model.md §2: each bad model is refused with the key path,
//! the line and column of the offending text, and a suggestion of what would be valid.

use boomsim::model::{ModelError, parse_model};

const VALID: &str = r#"[model]
name = "t"
horizon_years = 10
steps_per_year = 4

[adoption]
process = "logistic"
ceiling = "2 to 10"
rate = 0.5
volatility = 0.1

[sectors.ml_ai]
elasticity = "normal(1.4, 0.3)"

[sectors.cloud_infra]
elasticity = 0.5

[groups.public_equities]

[assets.nvidia]
group = "public_equities"
exposure = { ml_ai = 0.5, cloud_infra = 0.2 }
"#;

fn errors(text: &str) -> ModelError {
    match parse_model(text, "bad.toml") {
        Ok(_) => panic!("accepted an invalid model:\n{text}"),
        Err(e) => e,
    }
}

/// Replaces `from` (which must occur) with `to` in the valid model.
fn with(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from}");
    VALID.replacen(from, to, 1)
}

/// Asserts exactly one diagnostic, at the line and column of `at`'s first occurrence in the
/// text, with this key and message and help fragments.
#[track_caller]
fn expect_one(text: &str, at: &str, key: &str, message: &str, help: &str) {
    let e = errors(text);
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    expect(&e, 0, text, at, key, message, help);
}

#[track_caller]
fn expect(e: &ModelError, i: usize, text: &str, at: &str, key: &str, message: &str, help: &str) {
    let d = &e.diagnostics[i];
    let offset = text
        .find(at)
        .unwrap_or_else(|| panic!("`{at}` not in the text"));
    assert_eq!(
        e.line_column(d.span.start),
        e.line_column(offset),
        "position of {d:?}"
    );
    assert_eq!(d.key, key, "{e}");
    assert!(
        d.message.contains(message),
        "message {:?} lacks {message:?}",
        d.message
    );
    let h = d.help.as_deref().unwrap_or("");
    assert!(h.contains(help), "help {h:?} lacks {help:?}");
    let rendered = e.to_string();
    let (line, col) = e.line_column(d.span.start);
    assert!(
        rendered.contains(&format!("bad.toml:{line}:{col}: ")),
        "{rendered}"
    );
}

#[test]
fn the_valid_model_is_valid() {
    parse_model(VALID, "ok.toml").unwrap();
}

#[test]
fn toml_syntax_error() {
    let text = with("rate = 0.5", "rate = = 0.5");
    let e = errors(&text);
    assert!(e.diagnostics[0].message.starts_with("invalid TOML"), "{e}");
    assert_eq!(e.line_column(e.diagnostics[0].span.start).0, 9);
}

#[test]
fn unknown_top_level_table() {
    let text = format!("{VALID}\n[sector.x]\nelasticity = 1\n");
    expect_one(
        &text,
        "sector.x",
        "sector",
        "unknown key `sector`",
        "did you mean `sectors`?",
    );
}

#[test]
fn unknown_key_with_a_close_name() {
    let text = with("elasticity = 0.5", "elastisity = 0.5");
    let e = errors(&text);
    // The unknown key, and the required key it was meant to be.
    expect(
        &e,
        1,
        &text,
        "elastisity",
        "sectors.cloud_infra.elastisity",
        "unknown key",
        "did you mean `elasticity`?",
    );
    expect(
        &e,
        0,
        &text,
        "[sectors.cloud_infra]",
        "sectors.cloud_infra.elasticity",
        "missing key `elasticity`",
        "add `elasticity = ",
    );
}

#[test]
fn unknown_sector_in_exposure() {
    let text = with("ml_ai = 0.5,", "ml_ia = 0.5,");
    expect_one(
        &text,
        "ml_ia",
        "assets.nvidia.exposure.ml_ia",
        "unknown sector `ml_ia`",
        "did you mean `ml_ai`?",
    );
}

#[test]
fn unknown_group() {
    let text = with("group = \"public_equities\"", "group = \"public_equity\"");
    expect_one(
        &text,
        "\"public_equity\"",
        "assets.nvidia.group",
        "unknown group",
        "did you mean `public_equities`?",
    );
}

#[test]
fn missing_required_tables() {
    let text = VALID.replace(
        "[model]\nname = \"t\"\nhorizon_years = 10\nsteps_per_year = 4\n",
        "",
    );
    let e = errors(&text);
    assert_eq!(e.diagnostics[0].key, "model");
    assert!(e.diagnostics[0].message.contains("missing table [model]"));
    let no_assets = VALID.split("[assets.nvidia]").next().unwrap().to_string();
    let e = errors(&no_assets);
    assert!(
        e.diagnostics
            .iter()
            .any(|d| d.key == "assets" && d.message.contains("missing table [assets]")),
        "{e}"
    );
    assert!(
        e.diagnostics
            .iter()
            .any(|d| d.message.contains("has no assets")),
        "{e}"
    );
}

#[test]
fn horizon_must_be_positive() {
    let text = with("horizon_years = 10", "horizon_years = 0");
    expect_one(&text, "0\n", "model.horizon_years", "must be > 0", "> 0");
}

#[test]
fn steps_per_year_must_be_a_whole_number() {
    let text = with("steps_per_year = 4", "steps_per_year = 2.5");
    expect_one(
        &text,
        "2.5",
        "model.steps_per_year",
        "whole number",
        "quarterly",
    );
}

#[test]
fn the_grid_must_have_steps() {
    let text = with("horizon_years = 10", "horizon_years = 0.1");
    expect_one(
        &text,
        "0.1",
        "model.horizon_years",
        "T = round(horizon_years * steps_per_year) = 0",
        "lengthen",
    );
    let text = with("horizon_years = 10", "horizon_years = 100000");
    expect_one(
        &text,
        "100000",
        "model.horizon_years",
        "1 to 10000",
        "shorten",
    );
}

#[test]
fn a_grid_made_too_long_by_a_set_is_located_at_the_set() {
    let set = "model.steps_per_year=1e6".to_string();
    let e = match boomsim::model::parse_model_with(
        VALID,
        "t.toml",
        &boomsim::model::Override::sets(std::slice::from_ref(&set)),
    ) {
        Ok(_) => panic!("accepted 10 million steps"),
        Err(e) => e,
    };
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    let text = e.to_string();
    assert!(text.contains("--set:1:"), "{text}");
    assert!(text.contains("model.steps_per_year"), "{text}");
    assert!(text.contains("lower steps_per_year"), "{text}");
}

#[test]
fn model_name_must_make_a_folder_name() {
    let text = with("name = \"t\"", "name = \"my model/v2\"");
    expect_one(
        &text,
        "\"my model/v2\"",
        "model.name",
        "not a valid one",
        "my-model-v2",
    );
}

#[test]
fn unknown_process() {
    let text = with("process = \"logistic\"", "process = \"logistc\"");
    expect_one(
        &text,
        "\"logistc\"",
        "adoption.process",
        "unknown adoption process",
        "did you mean `logistic`?",
    );
}

#[test]
fn key_the_process_does_not_use() {
    let text = with("rate = 0.5", "rate = 0.5\np = 0.03");
    expect_one(
        &text,
        "p = 0.03",
        "adoption.p",
        "not used by process = \"logistic\"",
        "process = \"bass\"",
    );
}

#[test]
fn key_the_process_needs() {
    let text =
        with("process = \"logistic\"", "process = \"bass\"").replace("rate = 0.5\n", "p = 0.03\n");
    expect_one(
        &text,
        "[adoption]",
        "adoption.q",
        "missing key `q`",
        "q = 0.38",
    );
}

#[test]
fn malformed_distribution_string() {
    let text = with("\"normal(1.4, 0.3)\"", "\"norml(1.4, 0.3)\"");
    expect_one(
        &text,
        "\"norml",
        "sectors.ml_ai.elasticity",
        "`norml` is not a distribution",
        "did you mean `normal`?",
    );
}

#[test]
fn distribution_parameter_out_of_range() {
    let text = with("\"normal(1.4, 0.3)\"", "\"normal(1.4, -0.3)\"");
    expect_one(
        &text,
        "\"normal(1.4, -0.3)\"",
        "sectors.ml_ai.elasticity",
        "sd must be > 0",
        "sd > 0",
    );
    let text = with("\"2 to 10\"", "\"10 to 2\"");
    expect_one(
        &text,
        "\"10 to 2\"",
        "adoption.ceiling",
        "A must be less than B",
        "2 to 10",
    );
}

#[test]
fn numbers_must_be_finite() {
    let text = with("rate = 0.5", "rate = nan");
    expect_one(&text, "nan", "adoption.rate", "finite", "finite");
}

#[test]
fn negative_volatility() {
    let text = with("volatility = 0.1", "volatility = -0.1");
    expect_one(
        &text,
        "-0.1",
        "adoption.volatility",
        "must be >= 0, got -0.1",
        ">= 0",
    );
}

#[test]
fn ceiling_must_be_positive() {
    let text = with("\"2 to 10\"", "0");
    expect_one(&text, "0\nrate", "adoption.ceiling", "must be > 0", "> 0");
}

#[test]
fn a_distribution_that_can_leave_the_valid_range() {
    let text = with("volatility = 0.1", "volatility = \"normal(0.1, 0.05)\"");
    expect_one(
        &text,
        "\"normal(0.1, 0.05)\"",
        "adoption.volatility",
        "can draw values < 0",
        "lognormal",
    );
    let text = with("\"2 to 10\"", "\"uniform(0, 4)\"");
    expect_one(
        &text,
        "\"uniform(0, 4)\"",
        "adoption.ceiling",
        "can draw values <= 0",
        "A to B",
    );
}

#[test]
fn constants_cannot_be_distributions() {
    let text = with("exposure = {", "weight = \"1 to 2\"\nexposure = {");
    expect_one(
        &text,
        "\"1 to 2\"",
        "assets.nvidia.weight",
        "must be a number, not a string",
        "without quotes",
    );
    let text = with("ml_ai = 0.5,", "ml_ai = \"0.5\",");
    expect_one(
        &text,
        "\"0.5\"",
        "assets.nvidia.exposure.ml_ai",
        "must be a number",
        "without quotes",
    );
}

#[test]
fn weight_must_be_positive_and_lag_non_negative() {
    let text = with("exposure = {", "weight = 0\nexposure = {");
    expect_one(
        &text,
        "0\nexposure",
        "assets.nvidia.weight",
        "must be > 0",
        "> 0",
    );
    let text = with("elasticity = 0.5", "elasticity = 0.5\nlag_years = -1");
    expect_one(
        &text,
        "-1",
        "sectors.cloud_infra.lag_years",
        "must be >= 0",
        ">= 0",
    );
}

#[test]
fn exposure_weights_are_non_negative_and_sum_to_at_most_one() {
    let text = with("ml_ai = 0.5,", "ml_ai = -0.5,");
    expect_one(
        &text,
        "-0.5",
        "assets.nvidia.exposure.ml_ai",
        "must be >= 0",
        ">= 0",
    );
    let text = with("ml_ai = 0.5,", "ml_ai = 0.9,");
    expect_one(
        &text,
        "{ ml_ai = 0.9",
        "assets.nvidia.exposure",
        "sum to 1.1",
        "at most 1",
    );
}

#[test]
fn a_group_needs_an_asset() {
    let text = with(
        "[groups.public_equities]",
        "[groups.public_equities]\n\n[groups.empty]",
    );
    expect_one(
        &text,
        "[groups.empty]",
        "groups.empty",
        "group `empty` has no assets",
        "group = \"empty\"",
    );
}

#[test]
fn wrong_value_types() {
    let text = with("[sectors.cloud_infra]\nelasticity = 0.5\n", "").replace(
        "[sectors.ml_ai]",
        "[sectors]\ncloud_infra = 3\n[sectors.ml_ai]",
    );
    let e = errors(&text);
    assert!(
        e.diagnostics
            .iter()
            .any(|d| d.key == "sectors.cloud_infra" && d.message.contains("must be a table")),
        "{e}"
    );
    let text = with("rate = 0.5", "rate = true");
    expect_one(
        &text,
        "true",
        "adoption.rate",
        "must be a number or a distribution string",
        "rate = ",
    );
}

#[test]
fn correlation_must_be_in_range() {
    let text = format!("{VALID}\n[correlation]\ndefault = 1.5\n");
    expect_one(
        &text,
        "1.5",
        "correlation.default",
        "must lie in [-1, 1]",
        "between -1 and 1",
    );
}

#[test]
fn correlation_pairs_name_two_different_known_sectors_once() {
    let text = format!(
        "{VALID}\n[correlation]\npairs = [ {{ a = \"ml_ai\", b = \"cloud\", rho = 0.5 }} ]\n"
    );
    expect_one(
        &text,
        "\"cloud\"",
        "correlation.pairs[0].b",
        "unknown sector `cloud`",
        "cloud_infra",
    );
    let text = format!(
        "{VALID}\n[correlation]\npairs = [ {{ a = \"ml_ai\", b = \"ml_ai\", rho = 0.5 }} ]\n"
    );
    expect_one(
        &text,
        "{ a = \"ml_ai\"",
        "correlation.pairs[0]",
        "two different sectors",
        "always 1",
    );
    let text = format!(
        "{VALID}\n[correlation]\npairs = [ {{ a = \"ml_ai\", b = \"cloud_infra\", rho = 0.5 }}, {{ a = \"cloud_infra\", b = \"ml_ai\", rho = 0.2 }} ]\n"
    );
    expect_one(
        &text,
        "{ a = \"cloud_infra\"",
        "correlation.pairs[1]",
        "listed twice",
        "one entry per pair",
    );
}

#[test]
fn correlation_matrix_must_be_positive_semi_definite() {
    let text = format!(
        "{VALID}\n[assets.maker]\ngroup = \"public_equities\"\nexposure = {{ third = 0.3 }}\n\n[sectors.third]\nelasticity = 0\n\n[correlation]\npairs = [\n  {{ a = \"ml_ai\", b = \"cloud_infra\", rho = 0.9 }},\n  {{ a = \"ml_ai\", b = \"third\", rho = 0.9 }},\n  {{ a = \"cloud_infra\", b = \"third\", rho = -0.9 }},\n]\n"
    );
    expect_one(
        &text,
        "[correlation]",
        "correlation",
        "not positive semi-definite",
        "consistent",
    );
}

#[test]
fn baseline_overrides_only_adoption_keys() {
    let text = with(
        "[sectors.ml_ai]",
        "[baseline]\nceilling = 1.5\n\n[sectors.ml_ai]",
    );
    let e = errors(&text);
    expect(
        &e,
        0,
        &text,
        "ceilling",
        "baseline.ceilling",
        "unknown key",
        "did you mean `ceiling`?",
    );
    let text = with("[sectors.ml_ai]", "[baseline]\n\n[sectors.ml_ai]");
    expect_one(
        &text,
        "[baseline]",
        "baseline",
        "overrides no key",
        "ceiling = ",
    );
}

#[test]
fn baseline_with_another_process_needs_its_keys() {
    let text = with(
        "[sectors.ml_ai]",
        "[baseline]\nprocess = \"gbm\"\n\n[sectors.ml_ai]",
    );
    expect_one(
        &text,
        "[baseline]",
        "baseline.log_drift",
        "missing key `log_drift`",
        "log_drift = ",
    );
    // With the key, the boom's logistic keys are simply not used by the baseline.
    let ok = with(
        "[sectors.ml_ai]",
        "[baseline]\nprocess = \"gbm\"\nlog_drift = 0.05\n\n[sectors.ml_ai]",
    );
    parse_model(&ok, "ok.toml").unwrap();
}

#[test]
fn every_error_is_reported_at_once_in_file_order() {
    let text = with("rate = 0.5", "rate = -1")
        .replace("ml_ai = 0.5,", "ml_ia = 0.5,")
        .replace("steps_per_year = 4", "steps_per_year = 0");
    let e = errors(&text);
    let keys: Vec<&str> = e.diagnostics.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "model.steps_per_year",
            "adoption.rate",
            "assets.nvidia.exposure.ml_ia"
        ],
        "{e}"
    );
    assert!(e.to_string().ends_with("3 errors in bad.toml"));
}

#[test]
fn a_support_error_for_each_parameter_kind() {
    // (key to replace, its replacement, key path, what the error says)
    let cases = [
        (
            "ceiling = \"2 to 10\"",
            "ceiling = \"normal(5, 2)\"",
            "adoption.ceiling",
            "<= 0",
        ),
        (
            "rate = 0.5",
            "rate = \"uniform(0, 1)\"",
            "adoption.rate",
            "<= 0",
        ),
        (
            "volatility = 0.1",
            "volatility = \"student_t(3, 0.1, 0.05)\"",
            "adoption.volatility",
            "< 0",
        ),
        (
            "elasticity = 0.5",
            "elasticity = 0.5\nvolatility = \"normal(0.2, 0.1)\"",
            "sectors.cloud_infra.volatility",
            "< 0",
        ),
        (
            "exposure = {",
            "volatility = \"-0.1 to 0.3\"\nexposure = {",
            "assets.nvidia.volatility",
            "< 0",
        ),
        (
            "exposure = {",
            "failure_rate = \"mix(0.5: 0.1, 0.5: normal(0, 0.1))\"\nexposure = {",
            "assets.nvidia.failure_rate",
            "< 0",
        ),
    ];
    for (from, to, key, what) in cases {
        let text = with(from, to);
        let e = errors(&text);
        assert_eq!(e.diagnostics.len(), 1, "{e}");
        let d = &e.diagnostics[0];
        assert_eq!(d.key, key);
        assert!(
            d.message.contains(&format!("can draw values {what}")),
            "{e}"
        );
        assert!(d.help.as_deref().unwrap().contains("lognormal"), "{e}");
    }
    // Restricting the same distributions makes them valid.
    let ok = with(
        "volatility = 0.1",
        "volatility = \"normal(0.1, 0.05) in [0, 1]\"",
    );
    parse_model(&ok, "ok.toml").unwrap();
    let ok = with("ceiling = \"2 to 10\"", "ceiling = \"gamma(5, 1)\"");
    parse_model(&ok, "ok.toml").unwrap();
}
