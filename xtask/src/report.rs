//! The Markdown benchmark report of `cargo xtask bench`: criterion's
//! results read back with realizar-viz, summarised with realizar-stats,
//! charts as self-contained SVG files, verdicts against a baseline.
//!
//! Layout of the output folder (`target/realizar-report/` by default):
//! `report.md`, `svg/comparison-<group>.svg` (mean with 95% CI per
//! benchmark of a criterion group) and `svg/histogram-<id>.svg`.

use anyhow::{Context, Result, bail};
use realizar_stats::AnalysisConfig;
use realizar_viz::criterion::{self, CriterionRun};
use realizar_viz::units::format_us;
use realizar_viz::{
    BenchmarkData, Verdict, VerdictKind, describe_outliers, svg_comparison, svg_histogram,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// What the report is about.
#[derive(Debug)]
pub struct ReportOptions<'a> {
    /// Where criterion wrote (`target/criterion`).
    pub criterion_home: &'a Path,
    /// Where the report goes (`target/realizar-report`).
    pub out_dir: &'a Path,
    /// Only results written at or after this time (this run's); all when `None`.
    pub since: Option<SystemTime>,
    /// The suites that ran, for the header.
    pub suites: &'a [String],
    /// Compare against this baseline.
    pub baseline: Option<&'a str>,
    /// The run was saved under this baseline name.
    pub saved_as: Option<&'a str>,
    /// The workspace root, for the commit and toolchain in the header.
    pub root: &'a Path,
}

/// What the report found, for the caller's exit status.
#[derive(Debug)]
pub struct ReportOutcome {
    /// The Markdown file.
    pub path: PathBuf,
    /// Benchmarks in the report.
    pub benchmarks: usize,
    /// Ids of the benchmarks that regressed against the baseline.
    pub regressed: Vec<String>,
}

struct Entry {
    run: CriterionRun,
    data: BenchmarkData,
    verdict: Option<std::result::Result<Verdict, String>>,
}

/// A file name from a benchmark id.
pub fn slug(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes the report; fails when there are no results to report.
pub fn write(opts: &ReportOptions) -> Result<ReportOutcome> {
    let mut runs = criterion::find_runs(opts.criterion_home, "new")?;
    if let Some(t) = opts.since {
        runs.retain(|r| r.modified.is_some_and(|m| m >= t));
    }
    if runs.is_empty() {
        bail!(
            "no criterion results in {} to report",
            opts.criterion_home.display()
        );
    }
    let base: BTreeMap<String, CriterionRun> = match opts.baseline {
        Some(b) => criterion::find_runs(opts.criterion_home, b)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect(),
        None => BTreeMap::new(),
    };
    let config = AnalysisConfig::default();
    let entries: Vec<Entry> = runs
        .into_iter()
        .map(|run| {
            let data = run.to_benchmark_data()?;
            let verdict = opts.baseline.map(|_| match base.get(&run.id) {
                Some(b) => {
                    Verdict::compare(&b.per_iteration_ns(), &run.per_iteration_ns(), &config)
                        .map_err(|e| e.to_string())
                }
                None => Err("not in the baseline".to_string()),
            });
            Ok(Entry { run, data, verdict })
        })
        .collect::<Result<_>>()?;

    let svg_dir = opts.out_dir.join("svg");
    // Charts of an earlier report would be stale: start afresh.
    if svg_dir.is_dir() {
        std::fs::remove_dir_all(&svg_dir)
            .with_context(|| format!("cannot clear {}", svg_dir.display()))?;
    }
    std::fs::create_dir_all(&svg_dir)
        .with_context(|| format!("cannot create {}", svg_dir.display()))?;
    let write_file = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };

    let mut groups: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &entries {
        let group = e.run.id.split('/').next().unwrap_or(&e.run.id);
        groups.entry(group).or_default().push(e);
    }

    let mut md = String::new();
    header(&mut md, opts, entries.len());
    summary_table(&mut md, &entries, opts.baseline);
    for (group, members) in &groups {
        let _ = writeln!(md, "\n## {group}\n");
        if members.len() > 1 {
            let data: Vec<BenchmarkData> = members.iter().map(|e| e.data.clone()).collect();
            let name = format!("comparison-{}.svg", slug(group));
            write_file(svg_dir.join(&name), &svg_comparison(&data)?)?;
            let _ = writeln!(
                md,
                "![mean time per iteration of {group}, 95% CI](svg/{name})\n"
            );
        }
        for e in members {
            let name = format!("histogram-{}.svg", slug(&e.run.id));
            write_file(svg_dir.join(&name), &svg_histogram(&e.data, 30))?;
            details(&mut md, e, &name, opts.baseline);
        }
    }
    let path = opts.out_dir.join("report.md");
    write_file(path.clone(), &md)?;
    let regressed = entries
        .iter()
        .filter(|e| matches!(&e.verdict, Some(Ok(v)) if v.kind == VerdictKind::Regressed))
        .map(|e| e.run.id.clone())
        .collect();
    Ok(ReportOutcome {
        path,
        benchmarks: entries.len(),
        regressed,
    })
}

fn command_line(root: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn header(md: &mut String, opts: &ReportOptions, n: usize) {
    let _ = writeln!(md, "# realizar benchmark report\n");
    let commit = command_line(opts.root, "git", &["rev-parse", "--short", "HEAD"])
        .unwrap_or_else(|| "unknown".into());
    let dirty =
        command_line(opts.root, "git", &["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    let rustc =
        command_line(opts.root, "rustc", &["--version"]).unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(
        md,
        "- suites: {}",
        if opts.suites.is_empty() {
            "results already on disk".to_string()
        } else {
            opts.suites.join(", ")
        }
    );
    let _ = writeln!(
        md,
        "- commit: `{commit}`{}",
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "- toolchain: {rustc}");
    let _ = writeln!(md, "- machine: {} ({cores} cores)", cpu_model());
    let _ = writeln!(md, "- benchmarks: {n}");
    if let Some(s) = opts.saved_as {
        let _ = writeln!(md, "- saved as baseline `{s}`");
    }
    if let Some(b) = opts.baseline {
        let _ = writeln!(
            md,
            "- compared with baseline `{b}` by `realizar_stats::analyze_with_auto_select` \
             (alpha 0.05, changes under 1% count as no change)"
        );
    }
    let _ = writeln!(
        md,
        "\nTimes are per iteration (criterion's `times[i] / iters[i]`); the interval is \
         the 95% Student-t interval of the mean of those values. See docs/src/benchmarking.md \
         for how to read a verdict."
    );
}

fn summary_table(md: &mut String, entries: &[Entry], baseline: Option<&str>) {
    let _ = writeln!(md, "\n## Summary\n");
    let mut head = "| benchmark | p50 | p95 | p99 | mean [95% CI] | outliers |".to_string();
    let mut rule = "|---|---:|---:|---:|---|---|".to_string();
    if let Some(b) = baseline {
        head.push_str(&format!(" vs `{b}` |"));
        rule.push_str("---|");
    }
    let _ = writeln!(md, "{head}\n{rule}");
    for e in entries {
        let s = e.data.stats();
        let _ = write!(
            md,
            "| `{}` | {} | {} | {} | {} [{}, {}] | {} |",
            e.run.id,
            format_us(s.p50),
            format_us(s.p95),
            format_us(s.p99),
            format_us(s.mean),
            format_us(s.mean_ci95.lower),
            format_us(s.mean_ci95.upper),
            s.outliers.total()
        );
        if let Some(v) = &e.verdict {
            let cell = match v {
                Ok(v) if v.kind == VerdictKind::Regressed => format!("**{v}**"),
                Ok(v) => v.to_string(),
                Err(e) => format!("not compared: {e}"),
            };
            let _ = write!(md, " {cell} |");
        }
        md.push('\n');
    }
}

fn details(md: &mut String, e: &Entry, svg: &str, baseline: Option<&str>) {
    let s = e.data.stats();
    let _ = writeln!(md, "### `{}`\n", e.run.id);
    let _ = writeln!(md, "![histogram of {}](svg/{svg})\n", e.run.id);
    let _ = writeln!(
        md,
        "- {} samples ({} sampling); mean {} (std dev {}), min {}, max {}",
        s.n,
        if e.run.sampling_mode.is_empty() {
            "unknown"
        } else {
            &e.run.sampling_mode
        },
        format_us(s.mean),
        format_us(s.std_dev),
        format_us(s.min),
        format_us(s.max)
    );
    if let Some(est) = &e.run.estimates {
        let (what, x) = est.headline();
        let _ = writeln!(
            md,
            "- criterion's {what}: {} [{}, {}]",
            format_us(x.point_ns / 1e3),
            format_us(x.lower_ns / 1e3),
            format_us(x.upper_ns / 1e3)
        );
    }
    let _ = writeln!(md, "- outliers: {}", describe_outliers(&s.outliers, s.n));
    if let (Some(v), Some(b)) = (&e.verdict, baseline) {
        match v {
            Ok(v) => {
                let _ = writeln!(
                    md,
                    "- vs `{b}`: {v} — {}: {}",
                    v.test_name(),
                    v.analysis.reason
                );
            }
            Err(err) => {
                let _ = writeln!(md, "- vs `{b}`: not compared ({err})");
            }
        }
    }
    md.push('\n');
}
