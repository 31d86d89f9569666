//! # realizar-viz
//!
//! Views of benchmark results, for a terminal and for a report: a
//! sparkline of samples in the order they were taken, histograms (plain
//! text, ANSI colour, a ratatui widget), the full statistical report of one
//! benchmark, a table comparing several, and self-contained SVG charts.
//! It also reads criterion's own output files and words the verdict of a
//! run against a baseline, so the `realizar bench` command and the
//! `cargo xtask bench` report say the same thing the same way.
//!
//! ## Why it is shaped so
//!
//! Every view takes a [`BenchmarkData`]: a name and per-operation times in
//! microseconds, validated once (empty or non-finite input is an
//! [`Error`], never a panic or a blank chart) and summarised once by
//! [`realizar_stats::Summary`], so that all views agree on p50, p99 and the
//! rest to the last digit. Rendering is separate from printing: every
//! function returns a `String` (or draws into a ratatui `Buffer`), which is
//! what the snapshot tests compare.
//!
//! Times are shown in the unit that keeps the number between 1 and 1000
//! (ns, µs, ms, s; see [`units`]). Histograms mark the bins holding p50,
//! p95 and p99 and colour the tail, because the tail is what a latency
//! benchmark is usually about.
//!
//! The default build has no dependencies beyond the statistics and
//! serde; the `visualization` feature adds [`render_histogram_ansi`] and,
//! with ratatui and crossterm, [`render_histogram_terminal`] and the
//! interactive [`run_dashboard`].
//!
//! ## Example
//!
//! ```
//! use realizar_viz::{BenchmarkData, demo, render_ascii_histogram, render_report, render_sparkline};
//!
//! let data = BenchmarkData::new("matvec/f32", demo::lognormal_us(500, 2_210.0, 0.08, 42))?;
//! assert_eq!(data.stats().n, 500);
//!
//! let line = render_sparkline(&data, 40);
//! assert_eq!(line.chars().count(), 40);
//!
//! let hist = render_ascii_histogram(&data, 12, 40);
//! assert_eq!(hist.lines().count(), 13); // a header and 12 bins
//!
//! let report = render_report(&data);
//! assert!(report.contains(" ms")); // 2.2 ms medians are shown in ms
//! # Ok::<(), realizar_viz::Error>(())
//! ```
#![warn(missing_docs)]

#[cfg(feature = "visualization")]
mod ansi;
mod compare;
pub mod criterion;
mod data;
pub mod demo;
mod error;
mod histogram;
mod report;
mod sparkline;
mod svg;
#[cfg(feature = "visualization")]
mod tui;
pub mod units;
mod verdict;

#[cfg(feature = "visualization")]
pub use ansi::render_histogram_ansi;
pub use compare::render_comparison;
pub use data::BenchmarkData;
pub use error::{Error, Result};
pub use histogram::{Histogram, render_ascii_histogram};
pub use report::{describe_outliers, render_report};
pub use sparkline::{render_sparkline, sparkline};
pub use svg::{svg_comparison, svg_histogram};
#[cfg(feature = "visualization")]
pub use tui::{Dashboard, render_histogram_terminal, run_dashboard};
pub use verdict::{Verdict, VerdictKind, format_p, format_pct, test_name};
