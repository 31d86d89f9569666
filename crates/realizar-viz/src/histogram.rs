//! Histograms: binning, and the plain-text view (no dependencies). The
//! colour view is [`render_histogram_ansi`](crate::render_histogram_ansi)
//! and the ratatui widget
//! [`render_histogram_terminal`](crate::render_histogram_terminal), both
//! behind the `visualization` feature.

use crate::data::BenchmarkData;
use crate::units::{TimeUnit, format_number};
use std::fmt::Write as _;

/// Counts of values in equal-width bins from the smallest value to the
/// largest.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Lower edge of the first bin (the smallest value).
    pub lo: f64,
    /// Upper edge of the last bin (the largest value).
    pub hi: f64,
    /// Number of values in each bin; the last bin includes `hi`.
    pub counts: Vec<usize>,
}

impl Histogram {
    /// Bins the finite values of `values` into `bins` equal-width bins
    /// (at least one) spanning their range, as `numpy.histogram` does: each
    /// bin is half-open except the last. When every value is equal there
    /// is a single bin.
    pub fn new(values: &[f64], bins: usize) -> Self {
        let finite = || values.iter().copied().filter(|v| v.is_finite());
        let lo = finite().fold(f64::INFINITY, f64::min);
        let hi = finite().fold(f64::NEG_INFINITY, f64::max);
        if lo > hi {
            return Self {
                lo: 0.0,
                hi: 0.0,
                counts: vec![0],
            };
        }
        let bins = if hi > lo { bins.max(1) } else { 1 };
        let mut counts = vec![0usize; bins];
        for v in finite() {
            counts[bin_of(v, lo, hi, bins)] += 1;
        }
        Self { lo, hi, counts }
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.counts.len()
    }

    /// Lower and upper edge of bin `i`.
    pub fn edges(&self, i: usize) -> (f64, f64) {
        let w = (self.hi - self.lo) / self.bins() as f64;
        let lower = self.lo + w * i as f64;
        let upper = if i + 1 == self.bins() {
            self.hi
        } else {
            self.lo + w * (i + 1) as f64
        };
        (lower, upper)
    }

    /// The bin that holds `v` (values outside the range go to the first or
    /// last bin).
    pub fn bin_of(&self, v: f64) -> usize {
        bin_of(v, self.lo, self.hi, self.bins())
    }

    /// The largest count.
    pub fn max_count(&self) -> usize {
        self.counts.iter().copied().max().unwrap_or(0)
    }
}

/// Which part of the distribution bin `i` reaches into: 2 past p99, 1 past
/// p95, else 0. The first bin is always 0, so a one-bin histogram is not
/// all tail.
pub(crate) fn tail_class(h: &Histogram, i: usize, s: &realizar_stats::Summary) -> u8 {
    let (_, upper) = h.edges(i);
    if i > 0 && upper > s.p99 {
        2
    } else if i > 0 && upper > s.p95 {
        1
    } else {
        0
    }
}

fn bin_of(v: f64, lo: f64, hi: f64, bins: usize) -> usize {
    if hi <= lo {
        return 0;
    }
    let i = ((v - lo) / (hi - lo) * bins as f64).floor();
    if i.is_nan() || i < 0.0 {
        0
    } else {
        (i as usize).min(bins - 1)
    }
}

/// One row of a rendered histogram, shared by the plain and colour views.
pub(crate) struct Row {
    pub label: String,
    pub count: usize,
    /// Bar length in eighths of a character.
    pub eighths: usize,
    pub marks: Vec<&'static str>,
    /// Where the bin reaches: 0 below p95, 1 past p95, 2 past p99 (only
    /// the colour view shows it).
    #[cfg_attr(not(feature = "visualization"), allow(dead_code))]
    pub tail: u8,
}

/// The histogram of `data` as rows, the bar of the fullest bin `width`
/// characters long, and a header line.
pub(crate) fn rows(data: &BenchmarkData, bins: usize, width: usize) -> (String, Vec<Row>) {
    let s = data.stats();
    let h = Histogram::new(data.latencies_us(), bins);
    let unit = TimeUnit::for_us(s.p50);
    let labels: Vec<(String, String)> = (0..h.bins())
        .map(|i| {
            let (a, b) = h.edges(i);
            (
                format_number(unit.from_us(a)),
                format_number(unit.from_us(b)),
            )
        })
        .collect();
    let wa = labels.iter().map(|l| l.0.len()).max().unwrap_or(0);
    let wb = labels.iter().map(|l| l.1.len()).max().unwrap_or(0);
    let max = h.max_count().max(1);
    let marks = [("p50", s.p50), ("p95", s.p95), ("p99", s.p99)];
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, (a, b))| {
            let count = h.counts[i];
            let mut eighths = (count * width * 8).div_ceil(max);
            if count > 0 {
                eighths = eighths.max(1);
            }
            let tail = tail_class(&h, i, s);
            Row {
                label: format!("{a:>wa$} - {b:>wb$} {}", unit.symbol()),
                count,
                eighths,
                marks: marks
                    .iter()
                    .filter(|(_, v)| h.bin_of(*v) == i)
                    .map(|(m, _)| *m)
                    .collect(),
                tail,
            }
        })
        .collect();
    let header = format!("{}: {} samples in {} bins", data.name(), s.n, h.bins());
    (header, rows)
}

/// The histogram of `data` as plain text: `bins` equal-width bins from
/// the fastest sample to the slowest, the bar of the fullest bin `width`
/// characters of `#`, each row labelled with its range (in the unit that
/// suits the median) and count, and the bins holding p50, p95 and p99
/// marked. No colour, no dependencies; `bins` and `width` are taken as at
/// least 1.
///
/// ```
/// use realizar_viz::{BenchmarkData, render_ascii_histogram};
/// let d = BenchmarkData::new("t", vec![1.0, 1.1, 1.2, 1.2, 1.3, 2.0])?;
/// let text = render_ascii_histogram(&d, 4, 10);
/// assert!(text.starts_with("t: 6 samples in 4 bins\n"));
/// assert!(text.contains("<- p50"));
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn render_ascii_histogram(data: &BenchmarkData, bins: usize, width: usize) -> String {
    let width = width.max(1);
    let (header, rows) = rows(data, bins, width);
    let cw = rows
        .iter()
        .map(|r| r.count.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = header;
    out.push('\n');
    for r in rows {
        let bar = "#".repeat(r.eighths.div_ceil(8));
        let _ = write!(out, "{} |{bar:<width$}| {:>cw$}", r.label, r.count);
        if !r.marks.is_empty() {
            let _ = write!(out, "  <- {}", r.marks.join(" "));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_like_numpy() {
        let h = Histogram::new(&[0.0, 1.0, 2.0, 3.0, 4.0], 4);
        // numpy.histogram([0,1,2,3,4], 4) -> [1, 1, 1, 2]
        assert_eq!(h.counts, vec![1, 1, 1, 2]);
        assert_eq!(h.edges(0), (0.0, 1.0));
        assert_eq!(h.edges(3), (3.0, 4.0));
        assert_eq!(Histogram::new(&[2.0, 2.0], 5).counts, vec![2]);
        assert_eq!(Histogram::new(&[], 5).counts, vec![0]);
        assert_eq!(Histogram::new(&[1.0, 2.0], 0).bins(), 1);
        assert_eq!(h.bin_of(-1.0), 0);
        assert_eq!(h.bin_of(9.0), 3);
    }

    #[test]
    fn ascii_bars_scale_to_width() {
        let d = BenchmarkData::new("t", vec![1.0, 1.0, 1.0, 1.0, 2.0]).unwrap();
        let text = render_ascii_histogram(&d, 2, 8);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].contains("|########| 4"), "{text}");
        assert!(lines[2].contains("|##      | 1"), "{text}");
        assert!(text.is_ascii() || text.contains('µ'));
    }
}
