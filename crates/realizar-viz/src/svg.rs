//! Self-contained SVG charts: a histogram of one benchmark and a bar chart
//! comparing several, with the 95% interval of each mean as a whisker.
//!
//! The files carry their own styles and use a monospace font, no scripts,
//! no external references: they render the same in a browser, on GitHub
//! and in a Markdown report.

use crate::data::BenchmarkData;
use crate::error::{Error, Result};
use crate::histogram::{Histogram, tail_class};
use crate::units::{TimeUnit, format_in, format_number, format_us};
use std::fmt::Write as _;

const STYLE: &str = "text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;fill:#222}\
.title{font-size:14px;font-weight:bold}.axis{stroke:#444;stroke-width:1}\
.grid{stroke:#ddd;stroke-width:1}.mark{stroke-width:1.5;stroke-dasharray:4 3}\
.whisker{stroke:#222;stroke-width:1.5}";

/// Bars below p95, from p95, from p99.
const TAIL_FILL: [&str; 3] = ["#4c8fd6", "#e0a800", "#d62728"];

/// Escapes text for an SVG text node or attribute.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn open(out: &mut String, w: f64, h: f64, title: &str) {
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
    );
    let _ = writeln!(out, "<title>{}</title>", esc(title));
    let _ = writeln!(out, "<style>{STYLE}</style>");
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>"
    );
}

/// Up to about `n` round tick values from 0 to at least `max`.
fn nice_ticks(max: f64, n: usize) -> Vec<f64> {
    if max.is_nan() || max <= 0.0 || max.is_infinite() {
        return vec![0.0];
    }
    let raw = max / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let count = (max / step).ceil() as usize;
    (0..=count).map(|i| step * i as f64).collect()
}

/// A tick value with as many decimals as the tick step needs.
fn format_tick(t: f64, step: f64) -> String {
    let decimals = (0..6)
        .find(|d| {
            let x = step * 10f64.powi(*d);
            (x - x.round()).abs() < 1e-9 * x.abs().max(1.0)
        })
        .unwrap_or(6) as usize;
    format!("{t:.decimals$}")
}

/// A histogram of `data` as an SVG document: `bins` bars (at least one)
/// coloured as in the terminal views (blue below p95, yellow from p95,
/// red from p99), dashed lines at p50 and p99, axes in the unit that suits
/// the median.
///
/// ```
/// use realizar_viz::{BenchmarkData, svg_histogram};
/// let d = BenchmarkData::new("a<b", vec![1.0, 2.0, 2.5, 3.0])?;
/// let svg = svg_histogram(&d, 3);
/// assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
/// assert!(svg.contains("a&lt;b"));
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn svg_histogram(data: &BenchmarkData, bins: usize) -> String {
    let s = data.stats();
    let h = Histogram::new(data.latencies_us(), bins);
    let unit = TimeUnit::for_us(s.p50);
    let (w, ht) = (720.0, 400.0);
    let (left, right, top, bottom) = (60.0, 20.0, 44.0, 56.0);
    let (pw, ph) = (w - left - right, ht - top - bottom);
    let title = format!("{}: {} samples", data.name(), s.n);
    let mut out = String::new();
    open(&mut out, w, ht, &title);
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"{left}\" y=\"24\">{}</text>",
        esc(&title)
    );

    // Count axis with grid lines.
    let yticks = nice_ticks(h.max_count() as f64, 4);
    let ymax = yticks.last().copied().unwrap_or(1.0).max(1.0);
    let y_of = |c: f64| top + ph - c / ymax * ph;
    for t in &yticks {
        let y = y_of(*t);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
            left + pw
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t}</text>",
            left - 6.0,
            y + 4.0
        );
    }

    // Bars.
    let span = h.hi - h.lo;
    let x_of = |v: f64| {
        if span > 0.0 {
            left + (v - h.lo) / span * pw
        } else {
            left + pw / 2.0
        }
    };
    let bw = pw / h.bins() as f64;
    for (i, &c) in h.counts.iter().enumerate() {
        let (lower, upper) = h.edges(i);
        let tail = tail_class(&h, i, s);
        let x = left + bw * i as f64;
        let y = y_of(c as f64);
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} - {}: {c}</title></rect>",
            (bw - 1.0).max(0.5),
            top + ph - y,
            TAIL_FILL[tail as usize],
            format_in(lower, unit),
            format_in(upper, unit)
        );
    }

    // Time axis: the range in six steps.
    let base = top + ph;
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\"/>",
        left + pw
    );
    for i in 0..=5 {
        let v = h.lo + span * i as f64 / 5.0;
        let x = left + pw * i as f64 / 5.0;
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            base + 18.0,
            format_number(unit.from_us(v))
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">time per iteration ({})</text>",
        left + pw / 2.0,
        base + 40.0,
        unit.symbol()
    );

    // Percentile markers.
    for (label, v, colour) in [("p50", s.p50, "#222"), ("p99", s.p99, "#d62728")] {
        let x = x_of(v);
        let _ = writeln!(
            out,
            "<line class=\"mark\" stroke=\"{colour}\" x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{base}\"/>"
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\">{label} {}</text>",
            x + 4.0,
            top + 12.0 + if label == "p99" { 14.0 } else { 0.0 },
            format_in(v, unit)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A bar chart of the benchmarks' means as an SVG document, one
/// horizontal bar each, with the 95% Student-t interval of the mean as a
/// whisker and the value printed beside it.
///
/// # Errors
/// [`Error::NoBenchmarks`] for an empty slice.
///
/// ```
/// use realizar_viz::{BenchmarkData, svg_comparison};
/// let a = BenchmarkData::new("f32", vec![10.0, 11.0, 10.5])?;
/// let b = BenchmarkData::new("bf16", vec![6.0, 6.5, 6.2])?;
/// let svg = svg_comparison(&[a, b])?;
/// assert_eq!(svg.matches("class=\"whisker\"").count(), 6); // a line and two caps each
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn svg_comparison(benchmarks: &[BenchmarkData]) -> Result<String> {
    if benchmarks.is_empty() {
        return Err(Error::NoBenchmarks);
    }
    let name_chars = benchmarks
        .iter()
        .map(|b| b.name().chars().count())
        .max()
        .unwrap_or(0);
    let left = 16.0 + 7.3 * name_chars as f64;
    let (right, top, row) = (150.0, 44.0, 30.0);
    let pw = 480.0;
    let w = left + pw + right;
    let ht = top + row * benchmarks.len() as f64 + 50.0;
    let hi = benchmarks
        .iter()
        .map(|b| b.stats().mean_ci95.upper.max(b.stats().mean))
        .fold(0.0f64, f64::max);
    let unit = TimeUnit::for_us(
        benchmarks
            .iter()
            .map(|b| b.stats().mean)
            .fold(0.0f64, f64::max),
    );
    let ticks = nice_ticks(unit.from_us(hi), 5);
    let xmax = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let x_of = |us: f64| left + (unit.from_us(us) / xmax).clamp(0.0, 1.0) * pw;
    let title = format!("mean time per iteration, with 95% CI ({})", unit.symbol());
    let mut out = String::new();
    open(&mut out, w, ht, &title);
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"16\" y=\"24\">{}</text>",
        esc(&title)
    );
    let base = top + row * benchmarks.len() as f64;
    for t in &ticks {
        let x = left + t / xmax * pw;
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{base}\"/>"
        );
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            base + 18.0,
            format_tick(*t, ticks.get(1).copied().unwrap_or(1.0))
        );
    }
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{left:.1}\" y1=\"{top}\" x2=\"{left:.1}\" y2=\"{base}\"/>"
    );
    for (i, b) in benchmarks.iter().enumerate() {
        let s = b.stats();
        let y = top + row * i as f64;
        let mid = y + row / 2.0;
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            mid + 4.0,
            esc(b.name())
        );
        let _ = writeln!(
            out,
            "<rect x=\"{left:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#4c8fd6\"/>",
            y + 6.0,
            x_of(s.mean) - left,
            row - 12.0
        );
        let (lo, hi) = (x_of(s.mean_ci95.lower), x_of(s.mean_ci95.upper));
        for (x1, y1, x2, y2) in [
            (lo, mid, hi, mid),
            (lo, mid - 6.0, lo, mid + 6.0),
            (hi, mid - 6.0, hi, mid + 6.0),
        ] {
            let _ = writeln!(
                out,
                "<line class=\"whisker\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"/>"
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\">{} ± {}</text>",
            hi + 8.0,
            mid + 4.0,
            format_us(s.mean),
            format_us(s.mean_ci95.width() / 2.0)
        );
    }
    out.push_str("</svg>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(7.3, 4), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(nice_ticks(0.0, 4), vec![0.0]);
        assert_eq!(nice_ticks(1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }

    #[test]
    fn tick_labels() {
        assert_eq!(format_tick(1.5, 0.5), "1.5");
        assert_eq!(format_tick(2.0, 0.5), "2.0");
        assert_eq!(format_tick(0.75, 0.25), "0.75");
        assert_eq!(format_tick(40.0, 20.0), "40");
    }

    #[test]
    fn escapes() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    }
}
