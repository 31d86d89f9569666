//! Reading criterion's own output: `target/criterion/<id>/<baseline>/`
//! holds `sample.json` (the raw measurements), `estimates.json` (its
//! bootstrap estimates) and `benchmark.json` (the id), where `<baseline>`
//! is `new` for the latest run, `base` for the one before and any name
//! given to `--save-baseline`.
//!
//! A criterion sample is a list of `(iters[i], times[i])` pairs: `times[i]`
//! nanoseconds for `iters[i]` iterations. The time of one iteration in
//! sample `i` is `times[i] / iters[i]`; those are the values this module
//! hands to the statistics, the same values criterion's own outlier
//! classification and comparison use.

use crate::data::BenchmarkData;
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Directories are not followed deeper than this (criterion ids have a few
/// levels; this only guards against odd trees).
const MAX_DEPTH: usize = 24;

/// One of criterion's estimates, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(from = "RawEstimate")]
pub struct Estimate {
    /// The point estimate.
    pub point_ns: f64,
    /// Lower bound of the bootstrap interval.
    pub lower_ns: f64,
    /// Upper bound of the bootstrap interval.
    pub upper_ns: f64,
    /// Confidence level of the interval (0.95 by default).
    pub confidence_level: f64,
    /// Bootstrap standard error.
    pub standard_error_ns: f64,
}

#[derive(Deserialize)]
struct RawEstimate {
    confidence_interval: RawInterval,
    point_estimate: f64,
    standard_error: f64,
}

#[derive(Deserialize)]
struct RawInterval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

impl From<RawEstimate> for Estimate {
    fn from(r: RawEstimate) -> Self {
        Self {
            point_ns: r.point_estimate,
            lower_ns: r.confidence_interval.lower_bound,
            upper_ns: r.confidence_interval.upper_bound,
            confidence_level: r.confidence_interval.confidence_level,
            standard_error_ns: r.standard_error,
        }
    }
}

/// The contents of criterion's `estimates.json`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Estimates {
    /// Mean time per iteration.
    pub mean: Estimate,
    /// Median time per iteration.
    pub median: Estimate,
    /// Median absolute deviation.
    pub median_abs_dev: Estimate,
    /// Standard deviation.
    pub std_dev: Estimate,
    /// Slope of the linear regression of time on iterations (linear
    /// sampling only); criterion's headline figure when present.
    #[serde(default)]
    pub slope: Option<Estimate>,
}

impl Estimates {
    /// The figure criterion prints as `time: [lo est hi]`: the slope when
    /// there is one, else the mean; with its name.
    pub fn headline(&self) -> (&'static str, &Estimate) {
        match &self.slope {
            Some(s) => ("slope", s),
            None => ("mean", &self.mean),
        }
    }
}

#[derive(Deserialize)]
struct RawSample {
    #[serde(default)]
    sampling_mode: Option<String>,
    iters: Vec<f64>,
    times: Vec<f64>,
}

#[derive(Deserialize)]
struct RawBenchmark {
    full_id: String,
}

/// One benchmark's results under one baseline name.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionRun {
    /// The benchmark id (`group/function/parameter`), from
    /// `benchmark.json`, else the folder path below the root.
    pub id: String,
    /// The baseline folder's name (`new`, `base`, ...).
    pub baseline: String,
    /// The baseline folder.
    pub dir: PathBuf,
    /// `Linear`, `Flat` or `Auto` (empty if the file does not say).
    pub sampling_mode: String,
    /// Iterations in each sample.
    pub iters: Vec<f64>,
    /// Nanoseconds each sample took in total.
    pub times_ns: Vec<f64>,
    /// `estimates.json`, when present.
    pub estimates: Option<Estimates>,
    /// When `sample.json` was last written.
    pub modified: Option<SystemTime>,
}

impl CriterionRun {
    /// Reads a baseline folder such as `target/criterion/matmul/512/new`.
    /// `id` names the benchmark when the folder has no `benchmark.json`.
    ///
    /// # Errors
    /// [`Error::Io`] when `sample.json` cannot be read, [`Error::Criterion`]
    /// when a file is not criterion's format or the sample is unusable
    /// (empty, lengths that differ, a non-positive or non-finite
    /// iteration count or time).
    pub fn read(dir: &Path, id: &str) -> Result<Self> {
        let sample_path = dir.join("sample.json");
        let raw: RawSample = read_json(&sample_path)?;
        if raw.iters.is_empty() {
            return Err(Error::criterion(&sample_path, "no samples"));
        }
        if raw.iters.len() != raw.times.len() {
            return Err(Error::criterion(
                &sample_path,
                format!(
                    "{} iteration counts but {} times",
                    raw.iters.len(),
                    raw.times.len()
                ),
            ));
        }
        if let Some(i) = raw.iters.iter().position(|n| !(n.is_finite() && *n > 0.0)) {
            return Err(Error::criterion(
                &sample_path,
                format!("iters[{i}] = {} is not a positive count", raw.iters[i]),
            ));
        }
        if let Some(i) = raw.times.iter().position(|t| !(t.is_finite() && *t >= 0.0)) {
            return Err(Error::criterion(
                &sample_path,
                format!("times[{i}] = {} is not a finite time", raw.times[i]),
            ));
        }
        let estimates_path = dir.join("estimates.json");
        let estimates = if estimates_path.is_file() {
            Some(read_json(&estimates_path)?)
        } else {
            None
        };
        let bench_path = dir.join("benchmark.json");
        let id = if bench_path.is_file() {
            read_json::<RawBenchmark>(&bench_path)?.full_id
        } else {
            id.to_string()
        };
        let baseline = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self {
            id,
            baseline,
            dir: dir.to_path_buf(),
            sampling_mode: raw.sampling_mode.unwrap_or_default(),
            iters: raw.iters,
            times_ns: raw.times,
            estimates,
            modified: fs::metadata(&sample_path).and_then(|m| m.modified()).ok(),
        })
    }

    /// Nanoseconds per iteration of each sample: `times[i] / iters[i]`.
    pub fn per_iteration_ns(&self) -> Vec<f64> {
        self.times_ns
            .iter()
            .zip(&self.iters)
            .map(|(t, n)| t / n)
            .collect()
    }

    /// The per-iteration times in microseconds as [`BenchmarkData`] named
    /// by the id.
    ///
    /// # Errors
    /// As [`BenchmarkData::new`] (a criterion sample of one measurement).
    pub fn to_benchmark_data(&self) -> Result<BenchmarkData> {
        let us = self.per_iteration_ns().iter().map(|ns| ns / 1e3).collect();
        BenchmarkData::new(self.id.clone(), us)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::criterion(path, e.to_string()))
}

/// Every benchmark under `root` (a criterion output folder such as
/// `target/criterion`, a group folder or a single benchmark's folder) that
/// has results under `baseline`, sorted by id.
///
/// # Errors
/// [`Error::Io`] when `root` cannot be read, and the errors of
/// [`CriterionRun::read`] for a malformed benchmark.
pub fn find_runs(root: &Path, baseline: &str) -> Result<Vec<CriterionRun>> {
    if !root.is_dir() {
        return Err(Error::io(
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        ));
    }
    // `root` itself may be a baseline folder.
    if root.join("sample.json").is_file() {
        let id = root
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![CriterionRun::read(root, &id)?]);
    }
    let mut runs = Vec::new();
    walk(root, root, baseline, 0, &mut runs)?;
    runs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(runs)
}

fn walk(
    root: &Path,
    dir: &Path,
    baseline: &str,
    depth: usize,
    runs: &mut Vec<CriterionRun>,
) -> Result<()> {
    let candidate = dir.join(baseline);
    if candidate.join("sample.json").is_file() {
        let rel = dir.strip_prefix(root).unwrap_or(dir);
        let mut id = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if id.is_empty() {
            id = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        runs.push(CriterionRun::read(&candidate, &id)?);
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    for sub in subdirs(dir)? {
        // Baseline folders hold files only; don't descend into them.
        if !sub.join("sample.json").is_file() {
            walk(root, &sub, baseline, depth + 1, runs)?;
        }
    }
    Ok(())
}

/// Sub-folders of `dir` (not following symbolic links), sorted.
fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// The baseline names that hold results anywhere under `root` (`new`,
/// `base`, and every `--save-baseline` name), sorted.
///
/// # Errors
/// [`Error::Io`] when a folder cannot be read.
pub fn baselines(root: &Path) -> Result<BTreeSet<String>> {
    fn visit(dir: &Path, depth: usize, out: &mut BTreeSet<String>) -> Result<()> {
        for sub in subdirs(dir)? {
            if sub.join("sample.json").is_file() {
                if let Some(n) = sub.file_name() {
                    out.insert(n.to_string_lossy().into_owned());
                }
            } else if depth < MAX_DEPTH {
                visit(&sub, depth + 1, out)?;
            }
        }
        Ok(())
    }
    let mut out = BTreeSet::new();
    if root.is_dir() {
        visit(root, 0, &mut out)?;
    }
    Ok(out)
}
