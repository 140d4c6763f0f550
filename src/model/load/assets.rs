//! The assets (docs/model.md §2): each asset's keys and exposure, its `beta`, and `[market]`
//! with the compensator every beta implies (§3).

use super::*;

impl Loader<'_> {
    pub(super) fn assets(
        &mut self,
        parent: &Fields,
        sectors: &[&str],
        groups: &[(Group, Range<usize>)],
        model_expected_return: f64,
        has_market: bool,
    ) -> Vec<(Option<usize>, Option<Asset>)> {
        let group_names: Vec<&str> = groups.iter().map(|(g, _)| g.name.as_str()).collect();
        let mut out = Vec::new();
        for t in self.tables(parent) {
            self.allow_keys(&t, &ASSET_KEYS, "keys of an asset");
            let name = t.path["assets.".len()..].to_string();
            let label = self.label(&t, &name);
            let group = match self.string(&t, "group") {
                Some(g) => {
                    let found = group_names.iter().position(|n| *n == g);
                    if found.is_none() {
                        let f = t.get("group").expect("read above");
                        self.error(
                            &f.path,
                            f.value.span(),
                            format!("unknown group `{g}`"),
                            Some(suggest(&g, "groups", &group_names)),
                        );
                    }
                    found
                }
                None => {
                    if t.get("group").is_none() {
                        let example = group_names
                            .first()
                            .map_or("\"public_equities\"".to_string(), |g| format!("\"{g}\""));
                        self.missing(&t, "group", &example);
                    }
                    None
                }
            };
            let exposure = self.exposure(&t, sectors);
            let other_growth = self.param(&t, "other_growth", Some(0.0), Bound::Any, "0.04");
            let priced_in = self.param(&t, "priced_in", Some(0.0), Bound::Any, "\"0.08 to 0.18\"");
            let expected_return = self.param(
                &t,
                "expected_return",
                Some(model_expected_return),
                Bound::Any,
                "0.08",
            );
            let volatility = self.param(&t, "volatility", Some(0.0), Bound::NonNegative, "0.3");
            let failure_rate = self.param(&t, "failure_rate", Some(0.0), Bound::NonNegative, "0.1");
            let weight = self.constant(&t, "weight", Some(1.0), Bound::Positive, "1.0");
            let beta = self.beta(&t, has_market);
            let asset = match (
                group,
                exposure,
                other_growth,
                priced_in,
                expected_return,
                volatility,
                failure_rate,
                (weight, beta),
            ) {
                (
                    Some(group),
                    Some(exposure),
                    Some(other_growth),
                    Some(priced_in),
                    Some(expected_return),
                    Some(volatility),
                    Some(failure_rate),
                    (Some(weight), Some(beta)),
                ) => Some(Asset {
                    name,
                    label,
                    group,
                    exposure,
                    other_growth,
                    priced_in,
                    expected_return,
                    volatility,
                    failure_rate,
                    weight,
                    beta,
                }),
                _ => None,
            };
            out.push((group, asset));
        }
        out
    }

    /// An asset's `beta`: a constant with |beta| <= [`MAX_BETA`], 1 when absent; an error
    /// without a `[market]` (it would move nothing).
    pub(super) fn beta(&mut self, asset: &Fields, has_market: bool) -> Option<f64> {
        if let (Some(f), false) = (asset.get("beta"), has_market) {
            self.error(
                &f.path,
                f.key.span(),
                "`beta` is an asset's exposure to the market factor, and this model has no [market]".into(),
                Some("add a [market] table (e.g. volatility = 0.16), or remove `beta`".into()),
            );
            return None;
        }
        let beta = self.constant(asset, "beta", Some(1.0), Bound::Any, "1.2")?;
        if beta.abs() > MAX_BETA {
            let f = asset.get("beta").expect("a value beyond the default");
            self.error(
                &f.path,
                f.value.span(),
                format!(
                    "`beta` must lie within +-{MAX_BETA}, got {}",
                    crate::number::shown(beta)
                ),
                Some("large caps have betas near 1, high-growth stocks and startups 1.2-2".into()),
            );
            return None;
        }
        Some(beta)
    }

    /// Every asset's compensator c_a moves its log price over the horizon by at most
    /// [`MAX_COMPENSATION`]: beyond that (a crash size whose exp(beta m + beta^2 s^2 / 2) is
    /// huge or overflows) every price is 0 on every path, and the compensated mean lives in
    /// paths no run draws.
    pub(super) fn compensated(
        &mut self,
        market: &Market,
        fields: &Fields,
        assets: &[Asset],
        horizon: f64,
    ) -> Option<()> {
        let Some((a, c)) = assets
            .iter()
            .map(|a| (a, market.compensator(a.beta)))
            .find(|(_, c)| !c.is_finite() || c.abs() * horizon > MAX_COMPENSATION)
        else {
            return Some(());
        };
        let f = fields
            .get("crash_size")
            .or_else(|| fields.get("volatility"))?;
        let size = if c.is_finite() {
            format!(
                "moves the log price by c_a H = {} over the {}-year horizon",
                crate::number::shown(c * horizon),
                crate::number::shown(horizon)
            )
        } else {
            "overflows: exp(beta m + beta^2 s^2 / 2) is too large for a 64-bit float".to_string()
        };
        self.error(
            &f.path,
            f.value.span(),
            format!(
                "the market's compensator for assets.{} (beta {}) {size}, beyond {MAX_COMPENSATION}: every price would be 0 (or infinite) on every path, and its mean would rest on paths no run draws",
                a.name,
                crate::number::shown(a.beta)
            ),
            Some("one crash's log-return is normal(m, s): keep m and s within a few tenths (e.g. normal(-0.3, 0.1)), the volatility below 1 and betas near 1".into()),
        );
        None
    }

    /// `[market]`: volatility and crash rate, constants >= 0 (0 when absent), and the size of
    /// one crash, `normal(m, s)` (required when the crash rate is above 0).
    pub(super) fn market(&mut self, t: &Fields) -> Option<Market> {
        self.allow_keys(t, &MARKET_KEYS, "keys of [market]");
        let volatility = self.constant(t, "volatility", Some(0.0), Bound::NonNegative, "0.16");
        let crash_rate = self.constant(t, "crash_rate", Some(0.0), Bound::NonNegative, "0.1");
        let example = "\"normal(-0.3, 0.1)\"";
        let crash_size = match t.get("crash_size") {
            None => {
                if crash_rate.is_some_and(|r| r > 0.0) {
                    self.missing(t, "crash_size", example);
                    return None;
                }
                Some((0.0, 0.0))
            }
            Some(f) => match f.value.get_ref() {
                DeValue::String(text) => match Distribution::parse(text) {
                    Ok(d) if text.trim_start().starts_with("normal(") => match d.family() {
                        crate::distribution::Family::Normal { mean, sd } => Some((*mean, *sd)),
                        _ => None,
                    },
                    Ok(_) => {
                        self.error(
                            &f.path,
                            f.value.span(),
                            format!("`crash_size` must be normal(m, s), not `{text}`"),
                            Some(format!(
                                "the log-return of one crash is normal(m, s), e.g. crash_size = {example}"
                            )),
                        );
                        None
                    }
                    Err(e) => {
                        self.error(
                            &f.path,
                            f.value.span(),
                            e.to_string(),
                            Some(format!("write crash_size = {example}")),
                        );
                        None
                    }
                },
                other => {
                    self.error(
                        &f.path,
                        f.value.span(),
                        format!("`crash_size` must be a string, not a {}", other.type_str()),
                        Some(format!("write crash_size = {example}")),
                    );
                    None
                }
            },
        };
        Some(Market {
            volatility: volatility?,
            crash_rate: crash_rate?,
            crash_size: crash_size?,
        })
    }

    pub(super) fn exposure(
        &mut self,
        asset: &Fields,
        sectors: &[&str],
    ) -> Option<Vec<(usize, f64)>> {
        let Some(f) = asset.get("exposure") else {
            return Some(Vec::new());
        };
        let t = self.as_table(f)?;
        let mut out = Vec::new();
        let mut ok = true;
        for e in &t.entries {
            let name = e.key.get_ref();
            let sector = sectors.iter().position(|s| *s == name.as_ref());
            if sector.is_none() {
                self.error(
                    &e.path,
                    e.key.span(),
                    format!("unknown sector `{name}`"),
                    Some(suggest(name, "sectors", sectors)),
                );
            }
            let w = self.constant(&t, name, None, Bound::NonNegative, "0.5");
            match (sector, w) {
                (Some(s), Some(w)) => out.push((s, w)),
                _ => ok = false,
            }
        }
        let sum: f64 = out.iter().map(|(_, w)| w).sum();
        if ok && sum > 1.0 + 1e-9 {
            self.error(
                &f.path,
                f.value.span(),
                format!("exposure weights sum to {sum}, more than 1"),
                Some(
                    "the weights are shares of the business: scale them so they sum to at most 1"
                        .into(),
                ),
            );
            ok = false;
        }
        ok.then_some(out)
    }
}
