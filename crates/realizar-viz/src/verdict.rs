//! The verdict on a benchmark against a baseline, in the words a report
//! prints: `regressed +13.0% [+12.1%, +13.9%], p = 3e-12`.

use crate::error::Result;
use realizar_stats::{
    Analysis, AnalysisConfig, Recommendation, TestKind, analyze_with_auto_select,
};
use std::fmt;

/// Whether a benchmark got worse, better, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerdictKind {
    /// Significantly worse than the baseline, by more than the noise
    /// threshold.
    Regressed,
    /// Significantly better than the baseline, by more than the noise
    /// threshold.
    Improved,
    /// Not significant, or within the noise threshold.
    NoChange,
}

impl VerdictKind {
    /// `"regressed"`, `"improved"` or `"no change"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regressed => "regressed",
            Self::Improved => "improved",
            Self::NoChange => "no change",
        }
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new run judged against a baseline by
/// [`realizar_stats::analyze_with_auto_select`], the baseline being the
/// control and the new run the treatment.
///
/// ```
/// use realizar_stats::AnalysisConfig;
/// use realizar_viz::{Verdict, VerdictKind};
/// let base: Vec<f64> = (0..50).map(|i| 100.0 + (i % 7) as f64).collect();
/// let slow: Vec<f64> = base.iter().map(|x| x * 1.1).collect();
/// let v = Verdict::compare(&base, &slow, &AnalysisConfig::default())?;
/// assert_eq!(v.kind, VerdictKind::Regressed);
/// assert!(v.to_string().starts_with("regressed +10.0% ["));
/// # Ok::<(), realizar_viz::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Regressed, improved or no change.
    pub kind: VerdictKind,
    /// The analysis behind it: the test, why it was chosen, the p-value,
    /// the effect size and the change with its interval.
    pub analysis: Analysis,
}

impl Verdict {
    /// Compares `new` against `baseline` (per-iteration times, or any
    /// figure for which `config.lower_is_better` says which way is good).
    ///
    /// # Errors
    /// The errors of [`analyze_with_auto_select`]: fewer than two values,
    /// NaN or infinity, a bad `config`.
    pub fn compare(baseline: &[f64], new: &[f64], config: &AnalysisConfig) -> Result<Self> {
        Ok(Self::from_analysis(analyze_with_auto_select(
            baseline, new, config,
        )?))
    }

    /// The verdict of an analysis whose control is the baseline.
    pub fn from_analysis(analysis: Analysis) -> Self {
        let kind = match analysis.recommendation {
            Recommendation::TreatmentBetter { .. } => VerdictKind::Improved,
            Recommendation::ControlBetter { .. } => VerdictKind::Regressed,
            _ => VerdictKind::NoChange,
        };
        Self { kind, analysis }
    }

    /// The test that decided, in words.
    pub fn test_name(&self) -> &'static str {
        test_name(self.analysis.test)
    }
}

/// A test's name in words: `"Welch's t-test"`, `"Welch's t-test on ln x"`,
/// `"Mann-Whitney U"`.
pub fn test_name(test: TestKind) -> &'static str {
    match test {
        TestKind::Welch => "Welch's t-test",
        TestKind::LogWelch => "Welch's t-test on ln x",
        TestKind::MannWhitney => "Mann-Whitney U",
        _ => "an unnamed test",
    }
}

impl fmt::Display for Verdict {
    /// `regressed +13.0% [+12.1%, +13.9%], p = 3e-12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.analysis;
        write!(
            f,
            "{} {} [{}, {}], p = {}",
            self.kind,
            format_pct(a.change_pct),
            format_pct(a.change_ci_pct.0),
            format_pct(a.change_ci_pct.1),
            format_p(a.p_value)
        )
    }
}

/// A signed percentage with one decimal: `+13.0%`, `-2.4%`, `n/a` for NaN.
pub fn format_pct(x: f64) -> String {
    if x.is_nan() {
        "n/a".to_string()
    } else {
        format!("{x:+.1}%")
    }
}

/// A p-value as computed, never a typed-in bound: two significant digits
/// from 0.001 up (`0.042`, `0.50`), one in scientific notation below
/// (`3e-12`). A p-value that underflowed to 0 prints as `< 5e-324`.
///
/// ```
/// use realizar_viz::format_p;
/// assert_eq!(format_p(3.2e-12), "3e-12");
/// assert_eq!(format_p(0.0421), "0.042");
/// assert_eq!(format_p(0.5), "0.50");
/// assert_eq!(format_p(1.0), "1.0");
/// ```
pub fn format_p(p: f64) -> String {
    if p.is_nan() {
        "n/a".to_string()
    } else if p == 0.0 {
        "< 5e-324".to_string()
    } else if p < 1e-3 {
        format!("{p:.0e}")
    } else {
        let decimals = (1 - p.log10().floor() as i32).max(1) as usize;
        format!("{p:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(format_pct(13.04), "+13.0%");
        assert_eq!(format_pct(-0.04), "-0.0%");
        assert_eq!(format_pct(f64::NAN), "n/a");
        assert_eq!(format_p(0.00099), "1e-3");
        assert_eq!(format_p(0.001), "0.0010");
        assert_eq!(format_p(0.0), "< 5e-324");
        assert_eq!(format_p(f64::NAN), "n/a");
    }

    #[test]
    fn same_data_is_no_change() {
        let a: Vec<f64> = (0..40).map(|i| 10.0 + (i % 5) as f64 * 0.1).collect();
        let v = Verdict::compare(&a, &a, &AnalysisConfig::default()).unwrap();
        assert_eq!(v.kind, VerdictKind::NoChange);
        let faster: Vec<f64> = a.iter().map(|x| x * 0.8).collect();
        let v = Verdict::compare(&a, &faster, &AnalysisConfig::default()).unwrap();
        assert_eq!(v.kind, VerdictKind::Improved);
        assert!(v.to_string().starts_with("improved -20.0%"), "{v}");
    }
}
