//! `realizar stats`: statistics on files of measurements.

use super::input::read_numbers;
use anyhow::{Context, Result};
use realizar_stats::{
    AnalysisConfig, Recommendation, Summary, analyze_with_auto_select, cohens_d, mann_whitney_u,
    welch_t_test,
};
use realizar_viz::{format_p, format_pct, test_name};
use serde_json::{Value, json};
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  realizar stats compare before.txt after.txt
  realizar stats compare before.txt after.txt --json | jq .recommendation
  realizar stats compare old_rps.json new_rps.json --higher-is-better --alpha 0.01";

const COMPARE_EXAMPLES: &str = "\
Files hold one number per line (blank lines and # comments are skipped) or a JSON array.

The verdict comes from an automatic choice of test: Mann-Whitney U for small
samples (n < 30), Welch's t-test on ln x for skewed positive data, Welch's
t-test otherwise; changes below 1% count as no change (--noise-threshold).

Examples:
  realizar stats compare before.txt after.txt
  realizar stats compare before.txt after.txt --json | jq .recommendation
  realizar stats compare old_rps.json new_rps.json --higher-is-better --alpha 0.01";

/// Options of `realizar stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: StatsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum StatsCommand {
    /// Compare two samples: summaries, Welch's t, Mann-Whitney U, Cohen's d and a verdict.
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// The control sample (before, baseline): a file of numbers.
    control: PathBuf,
    /// The treatment sample (after, candidate): a file of numbers.
    treatment: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Significance level, strictly between 0 and 1.
    #[arg(long, value_name = "A", default_value_t = 0.05, value_parser = parse_alpha)]
    alpha: f64,
    /// Larger values are better (throughput); by default smaller are (latency).
    #[arg(long)]
    higher_is_better: bool,
    /// Relative changes below this fraction count as no change, even when significant.
    #[arg(long, value_name = "F", default_value_t = 0.01, value_parser = parse_threshold)]
    noise_threshold: f64,
}

fn parse_alpha(s: &str) -> std::result::Result<f64, String> {
    let a: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if a > 0.0 && a < 1.0 {
        Ok(a)
    } else {
        Err(format!("{a} is not strictly between 0 and 1 (e.g. 0.05)"))
    }
}

fn parse_threshold(s: &str) -> std::result::Result<f64, String> {
    let t: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if t >= 0.0 && t.is_finite() {
        Ok(t)
    } else {
        Err(format!("{t} is not a fraction >= 0 (e.g. 0.01 for 1%)"))
    }
}

/// Runs `realizar stats`.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        StatsCommand::Compare(a) => compare(a),
    }
}

fn summary_json(s: &Summary) -> Value {
    json!({
        "n": s.n,
        "mean": s.mean,
        "std": s.std_dev,
        "min": s.min,
        "max": s.max,
        "p50": s.p50,
        "p95": s.p95,
        "p99": s.p99,
        "ci95": [s.mean_ci95.lower, s.mean_ci95.upper],
    })
}

fn compare(a: CompareArgs) -> Result<()> {
    let control = read_numbers(&a.control, 2)?;
    let treatment = read_numbers(&a.treatment, 2)?;
    let config = AnalysisConfig {
        alpha: a.alpha,
        lower_is_better: !a.higher_is_better,
        noise_threshold: a.noise_threshold,
        ..AnalysisConfig::default()
    };
    let welch = welch_t_test(&control, &treatment).context("Welch's t-test")?;
    let mwu = mann_whitney_u(&control, &treatment).context("Mann-Whitney U")?;
    let d = cohens_d(&control, &treatment).context("Cohen's d")?;
    let analysis = analyze_with_auto_select(&control, &treatment, &config).context("analysis")?;
    let (kind, confidence) = match analysis.recommendation {
        Recommendation::TreatmentBetter { confidence } => ("treatment_better", Some(confidence)),
        Recommendation::ControlBetter { confidence } => ("control_better", Some(confidence)),
        _ => ("no_significant_difference", None),
    };

    if a.json {
        let out = json!({
            "control": summary_json(&analysis.control),
            "treatment": summary_json(&analysis.treatment),
            "welch": {"t": welch.t, "df": welch.df, "p_value": welch.p_value},
            "mann_whitney": {
                "u_statistic": mwu.u_statistic,
                "p_value": mwu.p_value,
                "effect_size": mwu.effect_size,
            },
            "cohens_d": d,
            "recommendation": {"kind": kind, "confidence": confidence},
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }

    let (c, t) = (&analysis.control, &analysis.treatment);
    let rows: [(&str, String, String); 9] = [
        ("n", c.n.to_string(), t.n.to_string()),
        ("mean", g(c.mean), g(t.mean)),
        ("std", g(c.std_dev), g(t.std_dev)),
        ("min", g(c.min), g(t.min)),
        ("p50", g(c.p50), g(t.p50)),
        ("p95", g(c.p95), g(t.p95)),
        ("p99", g(c.p99), g(t.p99)),
        ("max", g(c.max), g(t.max)),
        (
            "95% CI of mean",
            format!("[{}, {}]", g(c.mean_ci95.lower), g(c.mean_ci95.upper)),
            format!("[{}, {}]", g(t.mean_ci95.lower), g(t.mean_ci95.upper)),
        ),
    ];
    let head = (
        format!("control ({})", a.control.display()),
        format!("treatment ({})", a.treatment.display()),
    );
    let w = rows
        .iter()
        .map(|r| r.1.chars().count())
        .chain([head.0.chars().count()])
        .max()
        .unwrap_or(0);
    println!("{:<16} {:<w$}   {}", "", head.0, head.1);
    for (label, x, y) in &rows {
        println!("{label:<16} {x:<w$}   {y}");
    }
    println!();
    println!(
        "{:<16} t = {}, df = {}, p = {}",
        "Welch's t-test",
        g(welch.t),
        g(welch.df),
        format_p(welch.p_value)
    );
    println!(
        "{:<16} U = {}, p = {}, rank-biserial r = {}",
        "Mann-Whitney U",
        g(mwu.u_statistic),
        format_p(mwu.p_value),
        g(mwu.effect_size)
    );
    println!("{:<16} {}", "Cohen's d", g(d));
    println!();
    let verdict = match kind {
        "treatment_better" => format!(
            "treatment better (confidence {})",
            g(confidence.unwrap_or(f64::NAN))
        ),
        "control_better" => format!(
            "control better (confidence {})",
            g(confidence.unwrap_or(f64::NAN))
        ),
        _ => "no significant difference".to_string(),
    };
    println!("{:<16} {verdict}", "verdict");
    println!(
        "{:<16} {} [{}, {}] ({:.0}% interval), p = {}, by {}",
        "change",
        format_pct(analysis.change_pct),
        format_pct(analysis.change_ci_pct.0),
        format_pct(analysis.change_ci_pct.1),
        100.0 * (1.0 - a.alpha),
        format_p(analysis.p_value),
        test_name(analysis.test)
    );
    println!("{:<16} {}", "why this test", analysis.reason);
    Ok(())
}

/// A number with up to six significant digits, like C's `%g`.
fn g(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let mag = x.abs().log10().floor() as i32;
    if (-4..6).contains(&mag) {
        let decimals = (5 - mag).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let s = format!("{x:.5e}");
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::g;

    #[test]
    fn general_format() {
        assert_eq!(g(0.0), "0");
        assert_eq!(g(12.5), "12.5");
        assert_eq!(g(1.0 / 3.0), "0.333333");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(-2.5e-7), "-2.5e-7");
        assert_eq!(g(3e-12), "3e-12");
        assert_eq!(g(f64::NAN), "NaN");
    }
}
