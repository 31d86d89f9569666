//! The multi-benchmark comparison table.

use crate::data::BenchmarkData;
use crate::error::{Error, Result};
use crate::sparkline::render_sparkline;
use crate::units::format_us;
use std::fmt::Write as _;

/// One line per benchmark: p50, p99, the tail ratio p99 / p50 (how much
/// slower the slowest 1% are than the typical run), and a sparkline of
/// the samples in measurement order (`trend_width` characters) that shows
/// warm-up, drift or stalls.
///
/// # Errors
/// [`Error::NoBenchmarks`] for an empty slice.
///
/// ```
/// use realizar_viz::{BenchmarkData, render_comparison};
/// let a = BenchmarkData::new("steady", vec![10.0, 10.0, 10.0, 10.0, 10.0])?;
/// let b = BenchmarkData::new("spiky", vec![10.0, 10.0, 10.0, 10.0, 30.0])?;
/// let t = render_comparison(&[a, b], 8)?;
/// assert!(t.lines().nth(2).unwrap().contains("1.00x"));
/// assert!(t.lines().nth(3).unwrap().contains("2.92x"));
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn render_comparison(benchmarks: &[BenchmarkData], trend_width: usize) -> Result<String> {
    if benchmarks.is_empty() {
        return Err(Error::NoBenchmarks);
    }
    let rows: Vec<[String; 5]> = benchmarks
        .iter()
        .map(|b| {
            let s = b.stats();
            let tail = if s.p50 > 0.0 {
                format!("{:.2}x", s.p99 / s.p50)
            } else {
                "-".to_string()
            };
            [
                b.name().to_string(),
                format_us(s.p50),
                format_us(s.p99),
                tail,
                render_sparkline(b, trend_width),
            ]
        })
        .collect();
    let header = ["benchmark", "p50", "p99", "p99/p50", "trend"];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {}",
        header[0], header[1], header[2], header[3], header[4]
    );
    let rule = w0 + w1 + w2 + w3 + 8 + trend_width.max(header[4].len());
    let _ = writeln!(out, "{}", "-".repeat(rule));
    for r in &rows {
        // `{:<w$}` pads by characters, so names with µ or other
        // non-ASCII letters still line up.
        let _ = writeln!(
            out,
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {}",
            r[0], r[1], r[2], r[3], r[4]
        );
    }
    Ok(out)
}
