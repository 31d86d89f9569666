//! The colour (ANSI) histogram.

use crate::data::BenchmarkData;
use crate::histogram::rows;
use std::fmt::Write as _;

const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
/// Bars below p95 green, from p95 yellow, from p99 red.
const TAIL: [&str; 3] = ["\x1b[32m", "\x1b[33m", "\x1b[31m"];

/// The histogram of `data` with ANSI colours and eighth-block bars: the
/// layout of [`render_ascii_histogram`](crate::render_ascii_histogram),
/// with bars green below p95, yellow from p95 and red from p99, so the
/// tail stands out.
///
/// The escape codes are always emitted: whether to colour (a terminal,
/// `NO_COLOR`, a `--color` flag) is the caller's decision.
///
/// ```
/// use realizar_viz::{BenchmarkData, render_histogram_ansi};
/// let d = BenchmarkData::new("t", (1..=100).map(f64::from).collect())?;
/// let text = render_histogram_ansi(&d, 10, 20);
/// assert!(text.contains("\x1b[31m")); // the slowest bin is red
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn render_histogram_ansi(data: &BenchmarkData, bins: usize, width: usize) -> String {
    let width = width.max(1);
    let (header, rows) = rows(data, bins, width);
    let cw = rows
        .iter()
        .map(|r| r.count.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = format!("{BOLD}{header}{RESET}\n");
    for r in rows {
        let full = r.eighths / 8;
        let mut bar = "█".repeat(full);
        if r.eighths % 8 != 0 {
            bar.push(PARTIAL[r.eighths % 8]);
        }
        let pad = width.saturating_sub(bar.chars().count());
        let _ = write!(
            out,
            "{DIM}{}{RESET} {}{bar}{RESET}{:pad$} {:>cw$}",
            r.label, TAIL[r.tail as usize], "", r.count
        );
        if !r.marks.is_empty() {
            let _ = write!(out, "  {BOLD}◀ {}{RESET}", r.marks.join(" "));
        }
        out.push('\n');
    }
    out
}
