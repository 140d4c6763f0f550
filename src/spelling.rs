//! "Did you mean ...?": the closest valid name to a mistyped one, for every error that names
//! an unknown key, sector, group, asset, column, distribution or parameter.

/// The name in `candidates` closest to `name`, when one is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `x`? valid: a, b, c" for an unknown name.
pub fn suggest(name: &str, what: &str, candidates: &[&str]) -> String {
    let list = candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest(name, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? valid {what}: {list}"),
        None if candidates.is_empty() => format!("no {what} are defined"),
        None => format!("valid {what}: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(closest("ml_ia", ["ml_ai", "cloud_infra"]), Some("ml_ai"));
        assert_eq!(closest("zzz", ["ml_ai", "cloud_infra"]), None);
        let s = suggest("ml_ia", "sectors", &["ml_ai", "cloud"]);
        assert!(s.starts_with("did you mean `ml_ai`?"), "{s}");
    }
}
