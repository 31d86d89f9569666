//! An A/B verdict that picks its own test: [`analyze_with_auto_select`].
//!
//! # Selection rule
//!
//! Both samples are summarised first ([`Summary`]). Then, in order:
//!
//! 1. **Small samples** — either `n < 30` ([`MIN_PARAMETRIC_N`]):
//!    [`TestKind::MannWhitney`]. Too few values to trust the t
//!    distribution for unknown shapes, and ranks cannot be dragged by one
//!    slow run.
//! 2. **Skew or severe outliers** — either sample has `|skewness| > 1`
//!    ([`SKEW_LIMIT`]) or a value beyond a 3-IQR Tukey fence:
//!    * every value in both samples is positive and neither sample leans
//!      left (skewness `< -1` or low severe outliers):
//!      [`TestKind::LogWelch`] — latencies are right-skewed and
//!      multiplicative, so Welch's test on `ln x` compares geometric means;
//!    * otherwise [`TestKind::MannWhitney`].
//! 3. **Otherwise** [`TestKind::Welch`] on the raw values.
//!
//! # What is reported
//!
//! | test | p-value | effect size | change (treatment vs control) | its interval at `1 - alpha` |
//! |---|---|---|---|---|
//! | Welch | Welch t | Cohen's d | of means, % of `abs(mean_c)` | Welch CI of the difference / `abs(mean_c)` |
//! | LogWelch | Welch t on logs | Cohen's d on logs | ratio of geometric means - 1 | exponentiated Welch CI - 1 |
//! | MannWhitney | Mann–Whitney U | rank-biserial r | of medians, % of `abs(median_c)` | seeded percentile bootstrap |
//!
//! Effect sizes are positive when the treatment is larger. The bootstrap
//! resamples both samples independently and takes `median_t / median_c - 1`
//! when the control is all positive, else `(median_t - median_c) /
//! abs(median_c)` of the original sample. A zero central control estimate
//! makes the change NaN.
//!
//! # Verdict
//!
//! `p < alpha` and `|change_pct| >= 100 * noise_threshold` (criterion's
//! noise threshold, 1% by default) gives a winner with confidence `1 - p`;
//! the direction comes from the sign of the change (of the effect size if
//! the change is NaN) and `lower_is_better`. Everything else is
//! [`Recommendation::NoSignificantDifference`].

use crate::bootstrap::{Rng, check_resamples, percentile_interval, resampled_median};
use crate::descriptive::Summary;
use crate::effect::cohens_d_unchecked;
use crate::error::{Error, Result, check_sample};
use crate::log_ratio::log_ratio_unchecked;
use crate::mann_whitney::mwu_unchecked;
use crate::sum::median_sorted;
use crate::welch::welch_unchecked;

/// Below this many values in either sample the rank test is chosen.
pub const MIN_PARAMETRIC_N: usize = 30;
/// Above this absolute sample skewness a sample counts as skewed.
pub const SKEW_LIMIT: f64 = 1.0;

/// Settings of [`analyze_with_auto_select`].
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// Significance level; intervals are at `1 - alpha`. Default 0.05.
    pub alpha: f64,
    /// Whether smaller is better (latency: true, the default; throughput:
    /// false).
    pub lower_is_better: bool,
    /// Relative changes smaller than this (0.01 = 1%, the default, as in
    /// criterion) are reported as no difference even when significant.
    pub noise_threshold: f64,
    /// Bootstrap resamples for the Mann–Whitney change interval. Default
    /// 2000.
    pub bootstrap_resamples: usize,
    /// Seed of the bootstrap generator, so verdicts are reproducible.
    pub seed: u64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            lower_is_better: true,
            noise_threshold: 0.01,
            bootstrap_resamples: 2000,
            seed: 0x5EED_0F57_4715,
        }
    }
}

/// Which test produced an [`Analysis`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestKind {
    /// Welch's t-test on the raw values.
    Welch,
    /// Mann–Whitney U test.
    MannWhitney,
    /// Welch's t-test on `ln x` (ratio of geometric means).
    LogWelch,
}

/// The verdict of an [`Analysis`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Recommendation {
    /// Not significant at `alpha`, or significant but within the noise
    /// threshold.
    NoSignificantDifference,
    /// The treatment is better; `confidence = 1 - p`.
    TreatmentBetter {
        /// `1 - p_value`.
        confidence: f64,
    },
    /// The control is better; `confidence = 1 - p`.
    ControlBetter {
        /// `1 - p_value`.
        confidence: f64,
    },
}

/// The outcome of [`analyze_with_auto_select`].
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The verdict.
    pub recommendation: Recommendation,
    /// The test that was chosen.
    pub test: TestKind,
    /// Why that test was chosen, in one sentence with the numbers.
    pub reason: String,
    /// Two-sided p-value of `test`.
    pub p_value: f64,
    /// Cohen's d (on logs for [`TestKind::LogWelch`]) or rank-biserial r;
    /// positive when the treatment is larger.
    pub effect_size: f64,
    /// Relative change of the central estimate, treatment vs control, in
    /// percent (negative: the treatment is smaller).
    pub change_pct: f64,
    /// Confidence interval of `change_pct` at level `1 - alpha`.
    pub change_ci_pct: (f64, f64),
    /// Summary of the control sample.
    pub control: Summary,
    /// Summary of the treatment sample.
    pub treatment: Summary,
}

/// Compares `treatment` against `control`, choosing the test by the rule
/// in the [module documentation](self).
///
/// # Errors
/// [`Error::TooFewSamples`] (each sample needs two values),
/// [`Error::NonFinite`], and [`Error::InvalidParameter`] for `alpha`
/// outside (0, 1), a negative or non-finite `noise_threshold` or zero
/// `bootstrap_resamples`.
pub fn analyze_with_auto_select(
    control: &[f64],
    treatment: &[f64],
    config: &AnalysisConfig,
) -> Result<Analysis> {
    check_sample("control", control, 2)?;
    check_sample("treatment", treatment, 2)?;
    check_config(config)?;
    let sc = Summary::new(control)?;
    let st = Summary::new(treatment)?;
    let (test, reason) = select(&sc, &st);
    let level = 1.0 - config.alpha;

    let (p_value, effect_size, change_pct, change_ci_pct) = match test {
        TestKind::Welch => {
            let w = welch_unchecked(treatment, control);
            let base = sc.mean.abs();
            let ci = crate::ci::t_interval(w.mean_diff, w.std_err, w.df, level);
            let pct = |x: f64| relative(x, base);
            let d = cohens_d_unchecked(control, treatment);
            (
                w.p_value,
                d,
                pct(w.mean_diff),
                (pct(ci.lower), pct(ci.upper)),
            )
        }
        TestKind::LogWelch => {
            let lr = log_ratio_unchecked(control, treatment, level);
            let lc: Vec<f64> = control.iter().map(|x| x.ln()).collect();
            let lt: Vec<f64> = treatment.iter().map(|x| x.ln()).collect();
            let pct = |r: f64| (r - 1.0) * 100.0;
            let ci = (pct(lr.ci.lower), pct(lr.ci.upper));
            (
                lr.welch.p_value,
                cohens_d_unchecked(&lc, &lt),
                pct(lr.ratio),
                ci,
            )
        }
        TestKind::MannWhitney => {
            let m = mwu_unchecked(control, treatment);
            let change = relative(st.p50 - sc.p50, sc.p50.abs());
            let ci = bootstrap_change(&sc, &st, config, level);
            (m.p_value, m.effect_size, change, ci)
        }
    };

    let recommendation = verdict(p_value, effect_size, change_pct, config);
    Ok(Analysis {
        recommendation,
        test,
        reason,
        p_value,
        effect_size,
        change_pct,
        change_ci_pct,
        control: sc,
        treatment: st,
    })
}

fn check_config(config: &AnalysisConfig) -> Result<()> {
    if !(config.alpha > 0.0 && config.alpha < 1.0) {
        return Err(Error::InvalidParameter {
            name: "alpha",
            value: config.alpha,
            expected: "a significance level strictly between 0 and 1, e.g. 0.05",
        });
    }
    if !(config.noise_threshold >= 0.0 && config.noise_threshold.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "noise_threshold",
            value: config.noise_threshold,
            expected: "a finite fraction >= 0, e.g. 0.01 for 1%",
        });
    }
    check_resamples(config.bootstrap_resamples)
}

/// `100 * diff / base`, NaN for a zero base.
fn relative(diff: f64, base: f64) -> f64 {
    if base == 0.0 {
        f64::NAN
    } else {
        diff / base * 100.0
    }
}

fn select(c: &Summary, t: &Summary) -> (TestKind, String) {
    if c.n < MIN_PARAMETRIC_N || t.n < MIN_PARAMETRIC_N {
        let reason = format!(
            "small samples (control n = {}, treatment n = {}; below {MIN_PARAMETRIC_N}): \
             rank-based Mann-Whitney U",
            c.n, t.n
        );
        return (TestKind::MannWhitney, reason);
    }
    let skewed = |s: &Summary| s.skewness.abs() > SKEW_LIMIT || s.outliers.severe() > 0;
    if !(skewed(c) || skewed(t)) {
        let reason = format!(
            "n >= {MIN_PARAMETRIC_N} in both, |skewness| <= {SKEW_LIMIT} (control {:.2}, \
             treatment {:.2}) and no severe outliers: Welch's t-test",
            c.skewness, t.skewness
        );
        return (TestKind::Welch, reason);
    }
    let shape = format!(
        "skewness control {:.2} / treatment {:.2}, severe outliers {} / {}",
        c.skewness,
        t.skewness,
        c.outliers.severe(),
        t.outliers.severe()
    );
    let positive = c.min > 0.0 && t.min > 0.0;
    let leans_left = |s: &Summary| s.skewness < -SKEW_LIMIT || s.outliers.low_severe > 0;
    if positive && !leans_left(c) && !leans_left(t) {
        let reason = format!(
            "right-skewed or outlying data ({shape}), all positive: Welch's t-test on ln x \
             (ratio of geometric means)"
        );
        (TestKind::LogWelch, reason)
    } else {
        let why = if positive {
            "left-skewed"
        } else {
            "not all positive"
        };
        let reason = format!("skewed or outlying data ({shape}), {why}: rank-based Mann-Whitney U");
        (TestKind::MannWhitney, reason)
    }
}

/// Percentile-bootstrap interval of the relative change of medians.
fn bootstrap_change(c: &Summary, t: &Summary, config: &AnalysisConfig, level: f64) -> (f64, f64) {
    let base = median_sorted(c.sorted()).abs();
    if base == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let ratio = c.min > 0.0;
    let mut rng = Rng::new(config.seed);
    let (mut bc, mut bt) = (Vec::new(), Vec::new());
    let mut stats: Vec<f64> = (0..config.bootstrap_resamples)
        .map(|_| {
            let mc = resampled_median(&mut rng, c.sorted(), &mut bc);
            let mt = resampled_median(&mut rng, t.sorted(), &mut bt);
            if ratio {
                (mt / mc - 1.0) * 100.0
            } else {
                (mt - mc) / base * 100.0
            }
        })
        .collect();
    let ci = percentile_interval(&mut stats, level);
    (ci.lower, ci.upper)
}

fn verdict(p: f64, effect: f64, change_pct: f64, config: &AnalysisConfig) -> Recommendation {
    // NaN p-values are never significant.
    if p.is_nan() || p >= config.alpha {
        return Recommendation::NoSignificantDifference;
    }
    if change_pct.is_finite() && change_pct.abs() < config.noise_threshold * 100.0 {
        return Recommendation::NoSignificantDifference;
    }
    let direction = if change_pct.is_finite() && change_pct != 0.0 {
        change_pct
    } else {
        effect
    };
    if direction.is_nan() || direction == 0.0 {
        return Recommendation::NoSignificantDifference;
    }
    let treatment_larger = direction > 0.0;
    let confidence = 1.0 - p;
    if treatment_larger != config.lower_is_better {
        Recommendation::TreatmentBetter { confidence }
    } else {
        Recommendation::ControlBetter { confidence }
    }
}

#[cfg(test)]
#[path = "analyze_tests.rs"]
mod tests;
