//! The full report of one benchmark.

use crate::data::BenchmarkData;
use crate::units::{TimeUnit, format_number};
use realizar_stats::Outliers;
use std::fmt::Write as _;

/// Every summary statistic of `data`, one per line: samples, mean (with
/// its 95% Student-t interval), std_dev, min, p50, p95, p99, max, and the
/// Tukey-fence outliers as criterion counts them. All times are in the
/// unit that suits the median, so the column lines up.
///
/// ```
/// use realizar_viz::{BenchmarkData, render_report};
/// let d = BenchmarkData::new("t", vec![1500.0, 1600.0, 1550.0, 1700.0])?;
/// let r = render_report(&d);
/// assert!(r.contains("p50      1.575 ms"));
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn render_report(data: &BenchmarkData) -> String {
    let s = data.stats();
    let unit = TimeUnit::for_us(s.p50);
    let rows = [
        ("mean", s.mean),
        ("std_dev", s.std_dev),
        ("min", s.min),
        ("p50", s.p50),
        ("p95", s.p95),
        ("p99", s.p99),
        ("max", s.max),
    ];
    let nums: Vec<String> = rows
        .iter()
        .map(|(_, v)| format_number(unit.from_us(*v)))
        .collect();
    let w = nums.iter().map(String::len).max().unwrap_or(0);
    let sym = unit.symbol();
    let mut out = format!("{}\n  samples  {:>w$}\n", data.name(), s.n);
    for ((label, _), num) in rows.iter().zip(&nums) {
        let _ = write!(out, "  {label:<8} {num:>w$} {sym}");
        if *label == "mean" {
            let _ = write!(
                out,
                "   95% CI [{}, {}] {sym}",
                format_number(unit.from_us(s.mean_ci95.lower)),
                format_number(unit.from_us(s.mean_ci95.upper))
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "  outliers {}", describe_outliers(&s.outliers, s.n));
    out
}

/// Criterion's wording: `"3 of 100 (3.0%): 2 high mild, 1 high severe"`,
/// or `"none of 100"`.
pub fn describe_outliers(o: &Outliers, n: usize) -> String {
    let total = o.total();
    if total == 0 {
        return format!("none of {n}");
    }
    let parts: Vec<String> = [
        (o.low_severe, "low severe"),
        (o.low_mild, "low mild"),
        (o.high_mild, "high mild"),
        (o.high_severe, "high severe"),
    ]
    .iter()
    .filter(|(c, _)| *c > 0)
    .map(|(c, what)| format!("{c} {what}"))
    .collect();
    format!(
        "{total} of {n} ({:.1}%): {}",
        100.0 * total as f64 / n as f64,
        parts.join(", ")
    )
}
