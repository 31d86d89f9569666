//! `cargo xtask compare-pytorch`: realizar against PyTorch, numpy and
//! onnxruntime on the MNIST-shaped classifier, the whole pipeline in one
//! command.
//!
//! 1. Builds the release `mnist_benchmark` example and the `realizar` CLI.
//! 2. `uv sync --locked` in `comparative/`.
//! 3. PyTorch trains `nn.Linear(784, 2)` and exports it (safetensors, ONNX)
//!    with its predictions and probabilities on all 1000 samples.
//! 4. The same-weights check: realizar loads PyTorch's safetensors and must
//!    predict the same class for every sample, p(class 1) within 1e-6.
//! 5. [`DEFAULT_ROUNDS`] interleaved rounds, each framework in its own
//!    process, one after the other: realizar (its own trained model),
//!    pytorch, numpy, onnxruntime; raw latencies go to
//!    `comparative/results/round<k>/`. Every side times two single-sample
//!    series the same way: **request buffer** (`latencies_hot_ns`: each
//!    sample copied, untimed, into one reused buffer before its timed call,
//!    as a server's parser writes a request's features: a hot input) and
//!    **cycling** (`latencies_ns`: sample `k mod 1000` read in place from
//!    the 3.1 MB set, so its input is fetched cold from L3 or memory).
//! 6. `compare_mnist.py` pools the rounds, runs the statistics on both
//!    series (scipy, and `realizar stats compare` on the same samples) and
//!    writes `comparative/BENCHMARK_RESULTS.md`, `comparison_summary.json`
//!    and `mnist_comparison.svg`; its tables are printed.
//! 7. The headline is printed last from `comparison_summary.json`: the p50
//!    of every framework in both series, and the acceptance points, judged
//!    on the request-buffer series with the cycling series beside them.
//!
//! A failed same-weights check does not stop the run (the report records
//! it) but makes the command fail at the end.

use crate::{root, run as run_cmd};
use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Interleaved rounds of the whole set of frameworks.
pub const DEFAULT_ROUNDS: u64 = 3;
/// Timed single-sample predictions per framework and round.
pub const ITERATIONS: usize = 10_000;
/// The same with `--quick`.
pub const QUICK_ITERATIONS: usize = 1_000;
/// Largest |p_realizar - p_pytorch| the same-weights check accepts.
pub const MAX_ABS_DP: f64 = 1e-6;
/// The Python peers, in the order each round runs them (after realizar).
const PEERS: [&str; 3] = ["pytorch", "numpy", "onnxruntime"];

/// Options of `cargo xtask compare-pytorch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// 1,000 timed predictions per framework and round instead of 10,000.
    #[arg(long)]
    quick: bool,
    /// Interleaved rounds (realizar, pytorch, numpy, onnxruntime; repeated).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ROUNDS, value_parser = clap::value_parser!(u64).range(1..=20))]
    rounds: u64,
    /// Use the release binaries already built (skip `cargo build --release`).
    #[arg(long)]
    no_build: bool,
}

/// The cargo target directory of the workspace (honours CARGO_TARGET_DIR).
fn target_dir() -> Result<PathBuf> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .context("run cargo metadata")?;
    ensure!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).context("parse cargo metadata")?;
    Ok(PathBuf::from(
        v["target_directory"]
            .as_str()
            .context("cargo metadata: no target_directory")?,
    ))
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))
}

/// `uv run --frozen python <args>` in `comparative/`.
fn python(args: &[&str]) -> Command {
    let mut c = Command::new("uv");
    c.args(["run", "--frozen", "--directory", "comparative", "python"])
        .args(args);
    c
}

/// The same-weights check: realizar's predictions and p(class 1) on all
/// samples against PyTorch's. Returns a one-line verdict, or an error
/// naming the first differences.
pub fn check_same_weights(pytorch: &Value, ours: &Value) -> Result<String> {
    let list = |v: &Value, key: &str| -> Result<Vec<f64>> {
        v[key]
            .as_array()
            .with_context(|| format!("no {key:?} array"))?
            .iter()
            .map(|x| {
                x.as_f64()
                    .with_context(|| format!("{key}: {x} is not a number"))
            })
            .collect()
    };
    let (pred_t, pred_r) = (list(pytorch, "predictions")?, list(ours, "predictions")?);
    let (p_t, p_r) = (
        list(pytorch, "probabilities")?,
        list(ours, "probabilities")?,
    );
    ensure!(
        pred_t.len() == pred_r.len() && p_t.len() == p_r.len() && pred_t.len() == p_t.len(),
        "lengths differ: pytorch {} predictions / {} probabilities, realizar {} / {}",
        pred_t.len(),
        p_t.len(),
        pred_r.len(),
        p_r.len()
    );
    let n = pred_t.len();
    ensure!(n > 0, "no samples");
    let differ: Vec<usize> = (0..n).filter(|&i| pred_t[i] != pred_r[i]).collect();
    let (mut worst, mut at) = (0.0f64, 0usize);
    for i in 0..n {
        let d = (p_t[i] - p_r[i]).abs();
        if d > worst {
            (worst, at) = (d, i);
        }
    }
    let over = (0..n)
        .filter(|&i| (p_t[i] - p_r[i]).abs() > MAX_ABS_DP)
        .count();
    let line = format!(
        "{} of {n} predictions identical; max |p_realizar - p_pytorch| = {worst:.3e} at sample {at} ({over} above {MAX_ABS_DP:e})",
        n - differ.len()
    );
    if !differ.is_empty() {
        bail!(
            "{line}; first differing samples: {:?}",
            &differ[..differ.len().min(10)]
        );
    }
    if worst > MAX_ABS_DP {
        bail!("{line}");
    }
    Ok(line)
}

/// Runs the pipeline.
pub fn run(args: &Args) -> Result<()> {
    let iterations = if args.quick {
        QUICK_ITERATIONS
    } else {
        ITERATIONS
    }
    .to_string();
    let load_at_start = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into());
    if !args.no_build {
        run_cmd(Command::new(env!("CARGO")).args([
            "build",
            "--release",
            "-p",
            "realizar",
            "--example",
            "mnist_benchmark",
            "--bin",
            "realizar",
        ]))?;
    }
    let release = target_dir()?.join("release");
    let bench = release.join("examples/mnist_benchmark");
    let cli = release.join("realizar");
    for b in [&bench, &cli] {
        ensure!(
            b.exists(),
            "{} is missing (build it, or drop --no-build)",
            b.display()
        );
    }
    run_cmd(Command::new("uv").args(["sync", "--locked", "--directory", "comparative"]))
        .context("uv sync (pip install uv)")?;

    let results = root().join("comparative/results");
    std::fs::create_dir_all(&results)?;
    // Stale rounds of an earlier run must not be pooled with this one.
    for entry in std::fs::read_dir(&results)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() && name.starts_with("round") {
            std::fs::remove_dir_all(&path).with_context(|| format!("remove {}", path.display()))?;
        }
    }
    let same_path = results.join("realizar_same_weights.json");
    if same_path.exists() {
        std::fs::remove_file(&same_path)?;
    }

    run_cmd(&mut python(&[
        "mnist_benchmark.py",
        "train",
        "--out-dir",
        "results",
    ]))?;

    eprintln!("== same weights: realizar loads PyTorch's safetensors");
    run_cmd(Command::new(&bench).args([
        "--model".as_ref(),
        results.join("pytorch_weights.safetensors").as_os_str(),
        "--out".as_ref(),
        same_path.as_os_str(),
        "--iterations".as_ref(),
        iterations.as_ref(),
    ]))?;
    let same = check_same_weights(
        &read_json(&results.join("pytorch_predictions.json"))?,
        &read_json(&same_path)?,
    );
    match &same {
        Ok(line) => eprintln!("same weights: PASS: {line}"),
        Err(e) => eprintln!("\n!!! same weights: FAIL: {e:#}\n"),
    }

    for round in 1..=args.rounds {
        let dir = format!("results/round{round}");
        eprintln!("== round {round}/{}", args.rounds);
        run_cmd(
            Command::new(&bench).args([
                "--out".as_ref(),
                root()
                    .join("comparative")
                    .join(&dir)
                    .join("realizar_mnist_results.json")
                    .as_os_str(),
                "--iterations".as_ref(),
                iterations.as_ref(),
            ]),
        )?;
        for peer in PEERS {
            run_cmd(&mut python(&[
                "mnist_benchmark.py",
                "bench",
                "--frameworks",
                peer,
                "--out-dir",
                &dir,
                "--iterations",
                &iterations,
            ]))?;
        }
    }

    let note = format!(
        "{} interleaved round(s) of {iterations} timed predictions per framework; load average (1, 5, 15 min) at the start: {load_at_start}.",
        args.rounds
    );
    let cli = cli.to_string_lossy().into_owned();
    run_cmd(&mut python(&[
        "compare_mnist.py",
        "--results",
        "results",
        "--realizar",
        &cli,
        "--note",
        &note,
    ]))?;
    match read_json(&root().join("comparative/comparison_summary.json")).and_then(|s| headline(&s))
    {
        Ok(text) => eprintln!("{text}"),
        Err(e) => eprintln!("(no headline: {e:#})"),
    }
    eprintln!("report: comparative/BENCHMARK_RESULTS.md");
    same.map(|_| ())
        .context("the same-weights check failed (see above)")
}

/// The series of `comparison_summary.json`, headline first: (key, label).
const SERIES: [(&str, &str); 2] = [("request_buffer", "request buffer"), ("cycling", "cycling")];

/// A latency in ns, µs or ms.
fn fmt_ns(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} ms", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.1} µs", v / 1e3)
    } else if v >= 1e3 {
        format!("{:.2} µs", v / 1e3)
    } else {
        format!("{v:.0} ns")
    }
}

/// The closing summary of the command, from `comparison_summary.json`:
/// single-sample p50 of every framework in both series (realizar's
/// speedup over each peer beside it) and the acceptance points, each
/// judged on its series with the other series shown beside it. A
/// framework or series missing from the summary prints "not run".
pub fn headline(summary: &Value) -> Result<String> {
    let frameworks = summary["frameworks"]
        .as_object()
        .context("comparison_summary.json: no \"frameworks\" object")?;
    let mut out = String::from(
        "== headline: single-sample p50, timer included (request buffer = hot input, the headline; cycling = cold input)\n",
    );
    out += &format!(
        "{:<12} {:>16} {:>10} {:>16} {:>10}\n",
        "framework", "request buffer", "speedup", "cycling", "speedup"
    );
    for name in ["realizar", "pytorch", "numpy", "onnxruntime"] {
        let Some(f) = frameworks.get(name) else {
            out += &format!("{name:<12} not run\n");
            continue;
        };
        out += &format!("{name:<12}");
        for (key, _) in SERIES {
            let p50 = f[key]["p50_ns"].as_f64();
            let speedup = summary["comparisons"][name][key]["speedup"]["p50"].as_f64();
            out += &format!(
                " {:>16} {:>10}",
                p50.map_or_else(|| "not run".into(), fmt_ns),
                speedup.map_or_else(String::new, |s| format!("{s:.1}x"))
            );
        }
        out += "\n";
    }
    let verdict = |v: &Value| match v.as_bool() {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "not measured",
    };
    let value = |v: &Value, unit: &str| match (v.as_f64(), unit) {
        (None, _) => "not measured".to_string(),
        (Some(x), "ns") => fmt_ns(x),
        (Some(x), "×") => format!("{x:.1}x"),
        (Some(x), _) => format!("{x:.3e}"),
    };
    for a in summary["acceptance"]
        .as_array()
        .context("comparison_summary.json: no \"acceptance\" list")?
    {
        let unit = a["unit"].as_str().unwrap_or("");
        let on = a["judged_on"].as_str().unwrap_or("?");
        let judged = match SERIES.iter().find(|(k, _)| *k == on) {
            Some((_, label)) => format!("on {label} ({})", value(&a["value"], unit)),
            None => format!("({unit} {})", value(&a["value"], unit)),
        };
        out += &format!(
            "acceptance: {}: {} {judged}",
            a["criterion"].as_str().unwrap_or("?"),
            verdict(&a["met"]),
        );
        if let Some(beside) = a["beside"].as_object() {
            for (k, b) in beside {
                let l = SERIES
                    .iter()
                    .find(|(s, _)| s == k)
                    .map_or(k.as_str(), |(_, l)| *l);
                out += &format!(
                    "; {l} beside it: {} ({}, not judged)",
                    value(&b["value"], unit),
                    verdict(&b["met"])
                );
            }
        }
        out += "\n";
    }
    Ok(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headline_judges_the_request_buffer_and_shows_cycling() {
        let s = json!({
            "frameworks": {
                "realizar": {"request_buffer": {"p50_ns": 71.0}, "cycling": {"p50_ns": 143.0}},
                "pytorch": {"request_buffer": {"p50_ns": 8100.0}, "cycling": {"p50_ns": 8300.0}},
                "numpy": {"cycling": {"p50_ns": 4000.0}}
            },
            "comparisons": {"pytorch": {"request_buffer": {"speedup": {"p50": 114.1}}, "cycling": {"speedup": {"p50": 58.0}}}},
            "acceptance": [{
                "criterion": "realizar single-sample p50 < 100 ns, timer included",
                "judged_on": "request_buffer", "met": true, "value": 71.0, "unit": "ns",
                "beside": {"cycling": {"value": 143.0, "met": false}}
            }, {
                "criterion": "same weights", "judged_on": "same_weights", "met": null,
                "value": null, "unit": "max |Δp|", "beside": {}
            }]
        });
        let h = headline(&s).unwrap();
        assert!(h.contains("114.1x") && h.contains("58.0x"), "{h}");
        assert!(h.contains("onnxruntime  not run"), "{h}");
        let numpy = h.lines().find(|l| l.starts_with("numpy")).unwrap();
        assert!(
            numpy.contains("not run") && numpy.contains("4.00 µs"),
            "{h}"
        );
        assert!(
            h.contains("yes on request buffer (71 ns); cycling beside it: 143 ns (NO, not judged)"),
            "{h}"
        );
        assert!(
            h.contains("same weights: not measured (max |Δp| not measured)"),
            "{h}"
        );
        assert!(headline(&json!({})).is_err());
    }

    #[test]
    fn same_weights_check_passes_and_fails() {
        let t = json!({"predictions": [0, 1, 1], "probabilities": [0.2, 0.7, 0.9]});
        let ok = json!({"predictions": [0, 1, 1], "probabilities": [0.2000004, 0.7, 0.9]});
        assert!(check_same_weights(&t, &ok).unwrap().starts_with("3 of 3"));
        let wrong_class = json!({"predictions": [0, 0, 1], "probabilities": [0.2, 0.7, 0.9]});
        let e = check_same_weights(&t, &wrong_class)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[1]"), "{e}");
        let far = json!({"predictions": [0, 1, 1], "probabilities": [0.2, 0.70001, 0.9]});
        assert!(check_same_weights(&t, &far).is_err());
        let not_a_number = json!({"predictions": [0, 1, 1], "probabilities": [0.2, null, 0.9]});
        assert!(check_same_weights(&t, &not_a_number).is_err());
        let short = json!({"predictions": [0, 1], "probabilities": [0.2, 0.7]});
        assert!(check_same_weights(&t, &short).is_err());
    }
}
