//! `cargo xtask`: project automation that is easier in Rust than in shell.
//!
//! xtask drives cargo, the `realizar` CLI and the Python peers in
//! `comparative/` as processes; of realizar's crates it links only
//! realizar-stats and realizar-viz, for the benchmark report.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::Command;

mod bench_serve;
mod compare_matmul;
mod compare_pytorch;
mod lambda;
mod report;

/// Automation for the realizar workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run criterion suites (all when none is named) and write a Markdown report with SVG charts to target/realizar-report/.
    #[command(
        after_help = "Examples:\n  cargo xtask bench tensor_ops\n  cargo xtask bench tensor_ops -- matvec\n  cargo xtask bench --save-baseline main\n  cargo xtask bench tensor_ops --baseline main --fail-on-regression\n  cargo xtask bench --no-run --baseline main     (report on results already on disk)"
    )]
    Bench {
        /// Suites to run: the `[[bench]]` targets of benches/Cargo.toml that are suites.
        suites: Vec<String>,
        /// Save the run under this baseline name (criterion's --save-baseline).
        #[arg(long, value_name = "NAME", conflicts_with = "baseline")]
        save_baseline: Option<String>,
        /// Compare the run with this saved baseline; verdicts go into the report.
        #[arg(long, value_name = "NAME")]
        baseline: Option<String>,
        /// Fail when a benchmark regressed against --baseline.
        #[arg(long, requires = "baseline")]
        fail_on_regression: bool,
        /// Run nothing: report on the latest results already in target/criterion.
        #[arg(long, conflicts_with = "save_baseline")]
        no_run: bool,
        /// Where the report goes (default: `<target dir>/realizar-report`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Arguments for criterion, after `--`.
        #[arg(last = true)]
        criterion_args: Vec<String>,
    },
    /// f32 matmul GFLOP/s of realizar, the `gemm` crate and numpy/OpenBLAS, measured in one run.
    #[command(after_help = "Needs `uv` for the numpy peer (pip install uv).")]
    CompareMatmul {
        /// Skip the numpy peer.
        #[arg(long)]
        no_numpy: bool,
    },
    /// Build the AWS Lambda `bootstrap` (profile `release-lambda`) and zip it: target/lambda/bootstrap.zip (arm64: bootstrap-arm64.zip).
    #[command(
        after_help = "Examples:\n  cargo xtask lambda-build\n  cargo xtask lambda-build --arm64\n  cargo xtask lambda-build --model my-model.safetensors\n  cargo xtask lambda-build --opt-level s"
    )]
    LambdaBuild(lambda::BuildArgs),
    /// Cold start, warm invocations, sizes, peak RSS and cost of the Lambda bootstrap beside a Python + PyTorch handler; writes docs/src/lambda-report.md.
    #[command(
        after_help = "Examples:\n  cargo xtask lambda-report\n  cargo xtask lambda-report --no-python --spawns 20\n  cargo xtask lambda-report --compare-opt-s\n\nThe Python peer needs `uv`; its first run downloads PyTorch."
    )]
    LambdaReport(lambda::ReportArgs),
    /// HTTP serving under load: realizar beside a hyper floor, FastAPI + PyTorch and TorchServe; writes comparative/SERVE_RESULTS.md.
    #[command(
        after_help = "Examples:\n  cargo xtask bench-serve\n  cargo xtask bench-serve --quick\n  cargo xtask bench-serve --soak --duration 10\n  cargo xtask bench-serve --targets realizar,floor\n\nBuilds realizar and xtask in release first, then runs from the release build. The Python peers need `uv` and Java (TorchServe)."
    )]
    BenchServe(bench_serve::Args),
    /// realizar vs PyTorch, numpy and onnxruntime on the MNIST-shaped classifier: same-weights check, interleaved latency rounds, statistics; writes comparative/BENCHMARK_RESULTS.md.
    #[command(
        after_help = "Examples:\n  cargo xtask compare-pytorch\n  cargo xtask compare-pytorch --quick\n  cargo xtask compare-pytorch --rounds 5 --no-build\n\nNeeds `uv` (pip install uv); the first `uv sync` downloads PyTorch."
    )]
    ComparePytorch(compare_pytorch::Args),
}

/// realizar's criterion suites (`benches/benches/<suite>.rs`); which of
/// them are built yet is read from `benches/Cargo.toml` at run time.
pub const SUITES: &[&str] = &[
    "tensor_ops",
    "inference",
    "cache",
    "tokenizer",
    "quantize",
    "lambda",
];

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Bench {
            suites,
            save_baseline,
            baseline,
            fail_on_regression,
            no_run,
            out,
            criterion_args,
        } => bench(&BenchArgs {
            suites,
            save_baseline,
            baseline,
            fail_on_regression,
            no_run,
            out,
            criterion_args,
        }),
        Cmd::CompareMatmul { no_numpy } => compare_matmul::run(!no_numpy),
        Cmd::LambdaBuild(args) => lambda::build(&args).map(|_| ()),
        Cmd::LambdaReport(args) => lambda::report(&args),
        Cmd::BenchServe(args) => bench_serve::run(&args),
        Cmd::ComparePytorch(args) => compare_pytorch::run(&args),
    }
}

/// The workspace root (the parent of this crate's folder).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command in the workspace root, failing when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Options of `cargo xtask bench`.
#[derive(Debug)]
struct BenchArgs {
    suites: Vec<String>,
    save_baseline: Option<String>,
    baseline: Option<String>,
    fail_on_regression: bool,
    no_run: bool,
    out: Option<PathBuf>,
    criterion_args: Vec<String>,
}

/// The bench targets of `benches/Cargo.toml` that are suites (not helper
/// targets such as `verdict_fixture`), read at run time so a new suite
/// needs no change here.
fn built_suites() -> Result<Vec<String>> {
    let path = root().join("benches/Cargo.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
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
            if SUITES.contains(&name) {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

/// The target directory: `$CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => {
            let t = PathBuf::from(t);
            if t.is_absolute() { t } else { root().join(t) }
        }
        None => root().join("target"),
    }
}

fn bench(args: &BenchArgs) -> Result<()> {
    let built = built_suites()?;
    let chosen: Vec<String> = if args.suites.is_empty() {
        built.clone()
    } else {
        args.suites.clone()
    };
    for s in &chosen {
        if !built.contains(s) {
            bail!(
                "unknown or not yet built suite {s:?}; built: {} (all: {})",
                built.join(", "),
                SUITES.join(", ")
            );
        }
    }
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("criterion"));
    if let Some(b) = &args.baseline {
        let have = realizar_viz::criterion::baselines(&home)?;
        if !have.contains(b) {
            bail!(
                "no baseline {b:?} in {}; save one with `cargo xtask bench --save-baseline {b}`",
                home.display()
            );
        }
    }
    let start = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
    if !args.no_run {
        for s in &chosen {
            let mut cmd = Command::new(env!("CARGO"));
            cmd.args(["bench", "-p", "realizar-benches", "--bench", s])
                .env("CRITERION_HOME", &home)
                .arg("--");
            if let Some(b) = &args.save_baseline {
                cmd.args(["--save-baseline", b]);
            }
            if let Some(b) = &args.baseline {
                cmd.args(["--baseline-lenient", b]);
            }
            cmd.args(&args.criterion_args);
            run(&mut cmd)?;
        }
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| target_dir().join("realizar-report"));
    let outcome = report::write(&report::ReportOptions {
        criterion_home: &home,
        out_dir: &out_dir,
        since: (!args.no_run).then_some(start),
        suites: if args.no_run { &[] } else { &chosen },
        baseline: args.baseline.as_deref(),
        saved_as: args.save_baseline.as_deref(),
        root: &root(),
    })?;
    eprintln!(
        "report: {} ({} benchmarks{})",
        outcome.path.display(),
        outcome.benchmarks,
        match &args.baseline {
            Some(b) => format!(", {} regressed against {b}", outcome.regressed.len()),
            None => String::new(),
        }
    );
    if args.fail_on_regression && !outcome.regressed.is_empty() {
        bail!(
            "{} benchmark(s) regressed: {}",
            outcome.regressed.len(),
            outcome.regressed.join(", ")
        );
    }
    Ok(())
}
