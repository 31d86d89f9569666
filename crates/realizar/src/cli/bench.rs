//! `realizar bench`: run criterion suites, then read criterion's own
//! output and judge it: per-iteration percentiles, the interval, outliers
//! and, against a baseline, the verdict of
//! `realizar_stats::analyze_with_auto_select`.

use anyhow::{Context, Result, anyhow, bail};
use realizar_stats::{AnalysisConfig, Summary};
use realizar_viz::criterion::{self, CriterionRun};
use realizar_viz::units::{TimeUnit, format_in};
use realizar_viz::{Verdict, VerdictKind, describe_outliers};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

pub const EXAMPLES: &str = "\
Runs `cargo bench -p realizar-benches --bench SUITE` in the realizar checkout that holds
the current folder, then reads target/criterion/<id>/{new,<baseline>}/sample.json.
A verdict is printed per benchmark when --baseline is given: \"regressed +13.0% [+12.1%,
+13.9%], p = 3e-12\", \"improved ...\" or \"no change ...\" (changes under 1% are no change).

Examples:
  realizar bench --list
  realizar bench tensor_ops --save-baseline main
  realizar bench tensor_ops --baseline main --fail-on-regression
  realizar bench tensor_ops -- matvec            (criterion filter after --)
  realizar bench --criterion-dir target/criterion --baseline main   (judge without running)";

/// The suites of `benches/`, with what each measures.
pub const SUITES: &[(&str, &str)] = &[
    (
        "tensor_ops",
        "tensor creation and access, matvec (f32/f16/bf16), matmul beside the gemm crate, memory bandwidth",
    ),
    (
        "inference",
        "logistic_predict, logistic_predict_proba, logistic_predict_batch/1000, softmax_predict (784 -> 2)",
    ),
    (
        "cache",
        "the model cache: cache_hit, cache_miss_with_load, metrics_access, eviction, concurrent/{threads}",
    ),
    (
        "tokenizer",
        "bpe_encode, bpe_decode, spm_encode, spm_decode (bytes/s)",
    ),
    (
        "quantize",
        "dequantize/{q4_0,q8_0}, quantize, vec_dot and matvec on quantized blocks (bytes/s)",
    ),
    (
        "lambda",
        "cold_start (bootstrap spawn to first response), warm_invocation, the handler alone",
    ),
];

/// Suites known to have a bench target when this binary was built, for
/// when there is no checkout to look at.
/// A test keeps it equal to the `[[bench]]` targets of `benches/Cargo.toml`.
const BUILT_AT_COMPILE_TIME: &[&str] = &[
    "tensor_ops",
    "tokenizer",
    "quantize",
    "cache",
    "inference",
    "lambda",
];

/// Options of `realizar bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The suite to run (all built suites when omitted).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(SUITES.iter().map(|s| s.0)))]
    suite: Option<String>,
    /// List the suites, what they measure and whether they are built yet.
    #[arg(long, conflicts_with_all = ["suite", "save_baseline", "baseline", "criterion_dir"])]
    list: bool,
    /// Save this run under a baseline name (criterion's --save-baseline).
    #[arg(long, value_name = "NAME", conflicts_with = "baseline", value_parser = baseline_name)]
    save_baseline: Option<String>,
    /// Compare this run with a saved baseline and print a verdict per benchmark.
    #[arg(long, value_name = "NAME", value_parser = baseline_name)]
    baseline: Option<String>,
    /// Exit with code 1 when any benchmark regressed against --baseline.
    #[arg(long, requires = "baseline")]
    fail_on_regression: bool,
    /// Don't run anything: judge the results already in this criterion folder.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["save_baseline", "suite", "criterion_args"])]
    criterion_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Show criterion's own output as it runs.
    #[arg(long, short)]
    verbose: bool,
    /// Arguments passed to criterion after `--` (a filter, --sample-size N, ...).
    #[arg(last = true, value_name = "CRITERION_ARGS")]
    criterion_args: Vec<String>,
}

fn baseline_name(s: &str) -> std::result::Result<String, String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && s != "new"
        && s != "change"
        && !s.starts_with('.');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?}: a baseline name is letters, digits, '-', '_' and '.', and not \"new\" or \"change\""
        ))
    }
}

/// Runs `realizar bench`.
pub fn run(args: Args) -> Result<()> {
    if args.list {
        return list();
    }
    let (home, start) = match &args.criterion_dir {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("{}: no such criterion folder", dir.display());
            }
            (dir.clone(), None)
        }
        None => {
            let root = workspace_root()?;
            let built = built_suites(&root)?;
            let suites: Vec<String> = match &args.suite {
                Some(s) if built.contains(s) => vec![s.clone()],
                Some(s) => bail!(
                    "suite {s} is not built yet (no [[bench]] named {s:?} in {}); built: {}",
                    root.join("benches/Cargo.toml").display(),
                    built.join(", ")
                ),
                None => SUITES
                    .iter()
                    .map(|s| s.0.to_string())
                    .filter(|s| built.contains(s))
                    .collect(),
            };
            let home = criterion_home(&root);
            if let Some(b) = &args.baseline {
                check_baseline(&home, b)?;
            }
            // Files written from here on belong to this run (one second of
            // slack for coarse file-system clocks).
            let start = SystemTime::now() - Duration::from_secs(1);
            for (i, s) in suites.iter().enumerate() {
                run_suite(&root, &home, s, i + 1, suites.len(), &args)?;
            }
            (home, Some(start))
        }
    };
    if args.criterion_dir.is_some()
        && let Some(b) = &args.baseline
    {
        check_baseline(&home, b)?;
    }
    judge(&home, start, &args)
}

fn list() -> Result<()> {
    let (built, note) = match workspace_root() {
        Ok(root) => (built_suites(&root)?, None),
        Err(_) => (
            BUILT_AT_COMPILE_TIME
                .iter()
                .map(|s| s.to_string())
                .collect(),
            Some("(not inside a realizar checkout: status as of this build of realizar)"),
        ),
    };
    println!("{:<12} {:<15} measures", "suite", "status");
    for (name, what) in SUITES {
        let status = if built.iter().any(|b| b == name) {
            "built"
        } else {
            "not built yet"
        };
        println!("{name:<12} {status:<15} {what}");
    }
    if let Some(n) = note {
        println!("{n}");
    }
    Ok(())
}

/// The realizar checkout holding the current folder: the nearest folder
/// up from it with a `Cargo.toml` that declares a workspace and a
/// `benches/Cargo.toml` of the package `realizar-benches`.
fn workspace_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    for dir in cwd.ancestors() {
        let is_workspace = std::fs::read_to_string(dir.join("Cargo.toml"))
            .map(|t| t.contains("[workspace]"))
            .unwrap_or(false);
        let has_benches = std::fs::read_to_string(dir.join("benches/Cargo.toml"))
            .map(|t| t.contains("\"realizar-benches\""))
            .unwrap_or(false);
        if is_workspace && has_benches {
            return Ok(dir.to_path_buf());
        }
    }
    Err(anyhow!(
        "not inside a realizar checkout ({} and its parents have no workspace with benches/Cargo.toml); run `realizar bench` from the repository, or judge saved results with --criterion-dir",
        cwd.display()
    ))
}

/// The `[[bench]]` names in `benches/Cargo.toml` that are suites.
fn built_suites(root: &Path) -> Result<Vec<String>> {
    let path = root.join("benches/Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut names = Vec::new();
    let mut in_bench = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bench = line == "[[bench]]";
        } else if in_bench
            && let Some(rest) = line.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            let name = value.trim().trim_matches('"');
            if SUITES.iter().any(|s| s.0 == name) {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

/// Where criterion writes: `$CRITERION_HOME`, else `<target dir>/criterion`
/// with the target dir from `$CARGO_TARGET_DIR`, `cargo metadata`, or
/// `<root>/target`.
fn criterion_home(root: &Path) -> PathBuf {
    if let Some(h) = std::env::var_os("CRITERION_HOME") {
        return absolute(PathBuf::from(h));
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return absolute(PathBuf::from(t)).join("criterion");
    }
    let metadata = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .stderr(Stdio::null())
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .and_then(|v| v["target_directory"].as_str().map(PathBuf::from));
    metadata
        .unwrap_or_else(|| root.join("target"))
        .join("criterion")
}

fn absolute(p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
    }
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn check_baseline(home: &Path, name: &str) -> Result<()> {
    let have = criterion::baselines(home)?;
    if !have.contains(name) {
        let saved: Vec<&str> = have
            .iter()
            .map(String::as_str)
            .filter(|b| *b != "new" && *b != "change")
            .collect();
        bail!(
            "no baseline named {name:?} in {} (saved: {}); save one with `realizar bench --save-baseline {name}`",
            home.display(),
            if saved.is_empty() {
                "none".to_string()
            } else {
                saved.join(", ")
            }
        );
    }
    Ok(())
}

/// Runs one suite through cargo, showing which benchmark is running.
fn run_suite(
    root: &Path,
    home: &Path,
    suite: &str,
    index: usize,
    count: usize,
    args: &Args,
) -> Result<()> {
    let mut cmd = Command::new(cargo());
    cmd.args(["bench", "-p", "realizar-benches", "--bench", suite, "--"])
        .current_dir(root)
        .env("CRITERION_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(b) = &args.save_baseline {
        cmd.args(["--save-baseline", b]);
    }
    if let Some(b) = &args.baseline {
        // Lenient: a benchmark added since the baseline was saved is
        // reported without a verdict instead of aborting the suite.
        cmd.args(["--baseline-lenient", b]);
    }
    cmd.args(&args.criterion_args);
    let tag = format!("[{index}/{count} {suite}]");
    eprintln!(
        "{tag} building and running (cargo bench; criterion output in {})",
        home.display()
    );
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {:?}", cargo()))?;
    // Criterion prints its results on stdout (shown with --verbose; the
    // summary after the run replaces them) and its progress on stderr,
    // where cargo's build messages also go.
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let verbose = args.verbose;
    let results = std::thread::spawn(move || {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            if verbose {
                println!("{line}");
            }
        }
    });
    let tty = std::io::stderr().is_terminal();
    let mut progress = Progress::new(tag.clone(), tty, verbose);
    for line in BufReader::new(stderr).lines() {
        progress.feed(&line.context("reading cargo's output")?);
    }
    let _ = results.join();
    progress.finish();
    let status = child.wait().context("waiting for cargo bench")?;
    if !status.success() {
        bail!("suite {suite}: `cargo bench --bench {suite}` failed ({status})");
    }
    eprintln!("{tag} done: {} benchmark(s)", progress.done);
    Ok(())
}

/// Shows where a suite is: cargo's build steps and criterion's
/// "Benchmarking ID: ..." lines become one status line rewritten in place
/// on a terminal; otherwise build messages pass through and each benchmark
/// gets one line. Anything else (warnings, errors) passes through.
struct Progress {
    tag: String,
    tty: bool,
    verbose: bool,
    current: Option<String>,
    done: usize,
    dirty: bool,
}

impl Progress {
    fn new(tag: String, tty: bool, verbose: bool) -> Self {
        Self {
            tag,
            tty,
            verbose,
            current: None,
            done: 0,
            dirty: false,
        }
    }

    fn status(&mut self, text: String) {
        let mut text = text;
        if text.chars().count() > 110 {
            text = text.chars().take(107).collect::<String>() + "...";
        }
        eprint!("\r\x1b[2K{text}");
        let _ = std::io::stderr().flush();
        self.dirty = true;
    }

    fn pass_through(&mut self, line: &str) {
        self.clear();
        eprintln!("{line}");
    }

    fn feed(&mut self, line: &str) {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if [
            "Compiling ",
            "Finished ",
            "Running ",
            "Updating ",
            "Downloaded ",
            "Downloading ",
        ]
        .iter()
        .any(|p| trimmed.starts_with(p))
        {
            if self.tty && !self.verbose {
                let text = format!("{} {trimmed}", self.tag);
                self.status(text);
            } else {
                self.pass_through(line);
            }
            return;
        }
        let Some(rest) = line.strip_prefix("Benchmarking ") else {
            self.pass_through(line);
            return;
        };
        let (id, status) = match rest.split_once(": ") {
            Some((id, status)) => (id, status),
            None => (rest, "starting"),
        };
        if self.current.as_deref() != Some(id) {
            self.current = Some(id.to_string());
            self.done += 1;
            if !self.tty && !self.verbose {
                eprintln!("{} #{} {id}", self.tag, self.done);
            }
        }
        if self.verbose {
            self.pass_through(line);
        } else if self.tty {
            let mut chars = status.chars();
            let status: String = chars
                .next()
                .map(|c| c.to_lowercase().chain(chars).collect())
                .unwrap_or_default();
            let text = format!("{} #{} {id}: {status}", self.tag, self.done);
            self.status(text);
        }
    }

    fn clear(&mut self) {
        if self.dirty {
            eprint!("\r\x1b[2K");
            self.dirty = false;
        }
    }

    fn finish(&mut self) {
        self.clear();
    }
}

struct Judged {
    run: CriterionRun,
    summary: Summary,
    verdict: Option<std::result::Result<Verdict, String>>,
}

/// Reads the results and prints them, with verdicts against the baseline.
fn judge(home: &Path, since: Option<SystemTime>, args: &Args) -> Result<()> {
    let mut runs = criterion::find_runs(home, "new")?;
    if let Some(t) = since {
        runs.retain(|r| r.modified.is_some_and(|m| m >= t));
    }
    if runs.is_empty() {
        bail!(
            "no criterion results in {} (looked for <benchmark>/new/sample.json{})",
            home.display(),
            if since.is_some() {
                " written by this run"
            } else {
                ""
            }
        );
    }
    let base: BTreeMap<String, CriterionRun> = match &args.baseline {
        Some(b) => criterion::find_runs(home, b)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect(),
        None => BTreeMap::new(),
    };
    let config = AnalysisConfig::default();
    let judged: Vec<Judged> = runs
        .into_iter()
        .map(|run| {
            let per_iter = run.per_iteration_ns();
            let summary = Summary::new(&per_iter)
                .with_context(|| format!("{}: per-iteration times", run.dir.display()))?;
            let verdict = args.baseline.as_ref().map(|_| match base.get(&run.id) {
                Some(b) => Verdict::compare(&b.per_iteration_ns(), &per_iter, &config)
                    .map_err(|e| e.to_string()),
                None => Err("no results for this benchmark in the baseline".to_string()),
            });
            Ok(Judged {
                run,
                summary,
                verdict,
            })
        })
        .collect::<Result<_>>()?;

    if args.json {
        print_json(&judged, args)?;
    } else {
        print_text(&judged, args);
    }
    let regressed: Vec<&str> = judged
        .iter()
        .filter(|j| matches!(&j.verdict, Some(Ok(v)) if v.kind == VerdictKind::Regressed))
        .map(|j| j.run.id.as_str())
        .collect();
    if args.fail_on_regression && !regressed.is_empty() {
        bail!(
            "{} of {} benchmark(s) regressed against baseline {:?}: {}",
            regressed.len(),
            judged.len(),
            args.baseline.as_deref().unwrap_or(""),
            regressed.join(", ")
        );
    }
    Ok(())
}

fn print_text(judged: &[Judged], args: &Args) {
    let mut counts = BTreeMap::<&str, usize>::new();
    for j in judged {
        // Criterion times are nanoseconds; the views take microseconds.
        let s = &j.summary;
        let unit = TimeUnit::for_us(s.p50 / 1e3);
        let t = |ns: f64| format_in(ns / 1e3, unit);
        println!("{}", j.run.id);
        println!(
            "  per iteration  p50 {}   p95 {}   p99 {}   ({} samples, {} sampling)",
            t(s.p50),
            t(s.p95),
            t(s.p99),
            s.n,
            if j.run.sampling_mode.is_empty() {
                "unknown"
            } else {
                &j.run.sampling_mode
            }
        );
        match &j.run.estimates {
            Some(e) => {
                let (what, est) = e.headline();
                println!(
                    "  criterion      {what} {}, {:.0}% CI [{}, {}]",
                    t(est.point_ns),
                    est.confidence_level * 100.0,
                    t(est.lower_ns),
                    t(est.upper_ns)
                );
            }
            None => println!(
                "  mean           {}, 95% CI [{}, {}]",
                t(s.mean),
                t(s.mean_ci95.lower),
                t(s.mean_ci95.upper)
            ),
        }
        println!("  outliers       {}", describe_outliers(&s.outliers, s.n));
        if let (Some(v), Some(b)) = (&j.verdict, &args.baseline) {
            let label = format!("vs {b}");
            match v {
                Ok(v) => {
                    *counts.entry(v.kind.as_str()).or_default() += 1;
                    println!("  {label:<14} {v} ({})", v.test_name());
                }
                Err(e) => {
                    *counts.entry("not compared").or_default() += 1;
                    println!("  {label:<14} not compared: {e}");
                }
            }
        }
        println!();
    }
    match &args.baseline {
        Some(b) => {
            let parts: Vec<String> = ["regressed", "improved", "no change", "not compared"]
                .iter()
                .filter_map(|k| counts.get(k).map(|n| format!("{n} {k}")))
                .collect();
            println!(
                "{} benchmark(s) against baseline {b:?}: {}",
                judged.len(),
                parts.join(", ")
            );
        }
        None => {
            let saved = args
                .save_baseline
                .as_ref()
                .map(|b| format!(", saved as baseline {b:?}"))
                .unwrap_or_default();
            println!("{} benchmark(s){saved}", judged.len());
        }
    }
}

fn print_json(judged: &[Judged], args: &Args) -> Result<()> {
    let items: Vec<Value> = judged
        .iter()
        .map(|j| {
            let s = &j.summary;
            let o = &s.outliers;
            let criterion = j.run.estimates.as_ref().map(|e| {
                let (what, est) = e.headline();
                json!({
                    "estimate": what,
                    "point_ns": est.point_ns,
                    "ci_ns": [est.lower_ns, est.upper_ns],
                    "confidence_level": est.confidence_level,
                })
            });
            let verdict = match &j.verdict {
                None => Value::Null,
                Some(Ok(v)) => json!({
                    "kind": v.kind.as_str(),
                    "change_pct": v.analysis.change_pct,
                    "change_ci_pct": [v.analysis.change_ci_pct.0, v.analysis.change_ci_pct.1],
                    "p_value": v.analysis.p_value,
                    "test": v.test_name(),
                    "reason": v.analysis.reason,
                    "text": v.to_string(),
                }),
                Some(Err(e)) => json!({"kind": "not compared", "error": e}),
            };
            json!({
                "id": j.run.id,
                "samples": s.n,
                "mean_ns": s.mean,
                "p50_ns": s.p50,
                "p95_ns": s.p95,
                "p99_ns": s.p99,
                "ci95_ns": [s.mean_ci95.lower, s.mean_ci95.upper],
                "outliers": {
                    "low_severe": o.low_severe,
                    "low_mild": o.low_mild,
                    "high_mild": o.high_mild,
                    "high_severe": o.high_severe,
                },
                "criterion": criterion,
                "verdict": verdict,
            })
        })
        .collect();
    let out = json!({
        "baseline": args.baseline,
        "benchmarks": items,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

#[cfg(test)]
mod built_list_tests {
    use super::*;

    #[test]
    fn compile_time_list_matches_the_bench_targets() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut built = built_suites(&root).unwrap();
        built.sort();
        let mut listed: Vec<String> = BUILT_AT_COMPILE_TIME
            .iter()
            .map(|s| s.to_string())
            .collect();
        listed.sort();
        assert_eq!(built, listed, "update BUILT_AT_COMPILE_TIME");
    }
}
