//! realizar's side of the MNIST-shaped comparison with PyTorch.
//!
//! Trains the demo model (784 -> 2 logistic regression on the synthetic data
//! set, seed 42) or loads a `.safetensors` model, then times single-sample
//! predictions the way the Python peers (`comparative/mnist_benchmark.py`)
//! time theirs, one thread, each call timed alone with `Instant::now()`
//! around a `black_box`ed call, in two series:
//!
//! - **cycling** (`latencies_ns`, cold input): 100 warm-up calls, then
//!   `--iterations` predictions of sample `k mod 1000` read in place from
//!   the data set. The 1000 samples (3.1 MB) do not fit in a 2 MB L2, so
//!   every timed call first fetches its 3 KB input from L3 or DRAM.
//! - **request buffer** (`latencies_hot_ns`, hot input): before each call,
//!   untimed, sample `k mod 1000` is copied into one reused request buffer,
//!   as a server's JSON parser writes the features of a request; then only
//!   `predict(&buffer)` is timed. 100 warm-up calls, `--iterations` timed.
//!
//! Then the whole 1000-sample batch, timed 100 times. Writes raw latencies
//! of both series, their summaries, every prediction and p(class 1) as
//! JSON.
//!
//! ```text
//! cargo run --release -p realizar --example mnist_benchmark -- \
//!     [--out PATH] [--iterations N] [--model PATH] [--save-model PATH]
//! ```
//!
//! The default output is `comparative/results/realizar_mnist_results.json`.

use anyhow::{Context, Result};
use clap::Parser;
use realizar::infer::{ClassicalModel, data};
use realizar::tensor::kernels::kernels;
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

/// Samples in the data set.
const N_SAMPLES: usize = 1000;
/// Untimed calls before timing.
const WARMUP: usize = 100;
/// Timed runs of the whole batch.
const BATCH_REPETITIONS: usize = 100;

/// Times realizar's 784 -> 2 classifier on the synthetic MNIST-shaped set.
#[derive(Debug, Parser)]
#[command(
    after_help = "Examples:\n  cargo run --release -p realizar --example mnist_benchmark\n  cargo run --release -p realizar --example mnist_benchmark -- --model comparative/results/pytorch_weights.safetensors --out /tmp/r.json\n  cargo run --release -p realizar --example mnist_benchmark -- --save-model /tmp/demo.safetensors --iterations 1000"
)]
struct Args {
    /// Where to write the results JSON.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Timed single-sample predictions.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// Load this .safetensors model instead of training the demo model.
    #[arg(long, value_name = "PATH")]
    model: Option<PathBuf>,
    /// Also write the model used to this .safetensors file.
    #[arg(long, value_name = "PATH")]
    save_model: Option<PathBuf>,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("mnist_benchmark: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = args
        .out
        .unwrap_or_else(|| workspace.join("comparative/results/realizar_mnist_results.json"));

    let (model, source) = match &args.model {
        Some(path) => (
            ClassicalModel::load(path).with_context(|| format!("loading {}", path.display()))?,
            path.display().to_string(),
        ),
        None => {
            let t = Instant::now();
            let m = data::demo_model().context("training the demo model")?;
            eprintln!(
                "trained the demo model in {:.1} ms",
                t.elapsed().as_secs_f64() * 1e3
            );
            (m, "demo_model (trained in process)".to_string())
        }
    };
    if let Some(path) = &args.save_model {
        model
            .save(path)
            .with_context(|| format!("saving the model to {}", path.display()))?;
    }
    let data = data::synthetic_mnist(N_SAMPLES);
    anyhow::ensure!(
        model.input_dim() == data.dim,
        "the model takes {} features; the data set has {}",
        model.input_dim(),
        data.dim
    );
    let rows: Vec<&[f32]> = data.x.chunks_exact(data.dim).collect();

    let overhead = timer_overhead_ns();

    let iterations = args.iterations as usize;
    let latencies = time_cycling(&model, &rows, iterations)?;
    let mut request = vec![0.0f32; data.dim];
    let latencies_hot = time_request_buffer(&model, &rows, &mut request, iterations)?;

    let mut predictions = vec![0u32; N_SAMPLES];
    model.predict_batch(&data.x, &mut predictions)?;
    let mut batch = vec![0u64; BATCH_REPETITIONS];
    for slot in batch.iter_mut() {
        let t0 = Instant::now();
        let r = black_box(model.predict_batch(black_box(&data.x), black_box(&mut predictions)));
        *slot = t0.elapsed().as_nanos() as u64;
        r?;
    }
    for (k, x) in rows.iter().enumerate() {
        request.copy_from_slice(x);
        anyhow::ensure!(
            model.predict(x)? == predictions[k] && model.predict(&request)? == predictions[k],
            "sample {k}: single-sample (in place or from the request buffer) and batch predictions differ"
        );
    }
    let mut p = vec![0.0f32; model.n_classes()];
    let mut probabilities = Vec::with_capacity(N_SAMPLES);
    for x in &rows {
        model.predict_proba_into(x, &mut p)?;
        probabilities.push(p[1]);
    }

    let summary_hot = summary(&latencies_hot)?;
    let summary = summary(&latencies)?;
    let doc = json!({
        "framework": "realizar",
        "version": env!("CARGO_PKG_VERSION"),
        "model": {
            "type": model.model_type(),
            "model_version": model.version(),
            "input_dim": model.input_dim(),
            "n_classes": model.n_classes(),
            "source": source,
        },
        "n_samples": N_SAMPLES,
        "iterations": iterations,
        "warmup": WARMUP,
        "timed_call": "ClassicalModel::predict(&[f32]) -> Result<u32>, one sample, Instant::now() around a black_box'ed call",
        "timed_call_hot": "the same call on one reused Vec<f32> request buffer, into which sample k mod 1000 is copied (copy_from_slice, untimed) before each call",
        "timed_batch": "ClassicalModel::predict_batch over all 1000 samples",
        "series": {
            "latencies_ns": "cycling (cold input): sample k mod 1000 read in place from the 1000-sample set",
            "latencies_hot_ns": "request buffer (hot input): sample k mod 1000 copied untimed into one reused buffer, then predict(buffer) timed",
        },
        "latencies_ns": latencies,
        "summary": summary,
        "latencies_hot_ns": latencies_hot,
        "summary_hot": summary_hot,
        "batch_1000_ns": batch,
        "predictions": predictions,
        "probabilities": probabilities,
        "timer_overhead_ns": overhead,
        "threads": 1,
        "cpu": cpu_name(),
        "kernel": kernels().isa.name(),
        "unix_time": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    });
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&out, serde_json::to_string(&doc)? + "\n")
        .with_context(|| format!("writing {}", out.display()))?;
    let at = |s: &serde_json::Value, k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    eprintln!(
        "realizar     request buffer p50 {:>9.0} ns  p99 {:>9.0} ns | cycling p50 {:>9.0} ns  p99 {:>9.0} ns | batch p50 {:>10.0} ns  (timer {overhead} ns, kernel {}) -> {}",
        at(&summary_hot, "p50_ns"),
        at(&summary_hot, "p99_ns"),
        at(&summary, "p50_ns"),
        at(&summary, "p99_ns"),
        median(&batch),
        kernels().isa.name(),
        out.display()
    );
    Ok(())
}

/// The cycling (cold input) series: `WARMUP` untimed calls, then
/// `iterations` calls on sample `k mod 1000` read in place, each timed alone.
fn time_cycling(model: &ClassicalModel, rows: &[&[f32]], iterations: usize) -> Result<Vec<u64>> {
    for k in 0..WARMUP {
        black_box(model.predict(black_box(rows[k % rows.len()]))?);
    }
    let mut latencies = vec![0u64; iterations];
    for (k, slot) in latencies.iter_mut().enumerate() {
        let x = rows[k % rows.len()];
        let t0 = Instant::now();
        let r = black_box(model.predict(black_box(x)));
        let dt = t0.elapsed();
        r?;
        *slot = dt.as_nanos() as u64;
    }
    Ok(latencies)
}

/// The request-buffer (hot input) series: before each call, untimed,
/// sample `k mod 1000` is copied into `request` (as a server's parser
/// writes a request's features); then only `predict(request)` is timed.
/// `WARMUP` untimed calls first, done the same way.
fn time_request_buffer(
    model: &ClassicalModel,
    rows: &[&[f32]],
    request: &mut [f32],
    iterations: usize,
) -> Result<Vec<u64>> {
    for k in 0..WARMUP {
        request.copy_from_slice(rows[k % rows.len()]);
        black_box(model.predict(black_box(&*request))?);
    }
    let mut latencies = vec![0u64; iterations];
    for (k, slot) in latencies.iter_mut().enumerate() {
        request.copy_from_slice(rows[k % rows.len()]);
        // The copy is done (as far as the compiler knows, the buffer may be
        // read here) before the clock starts.
        black_box(&mut *request);
        let t0 = Instant::now();
        let r = black_box(model.predict(black_box(&*request)));
        let dt = t0.elapsed();
        r?;
        *slot = dt.as_nanos() as u64;
    }
    Ok(latencies)
}

/// Median of `Instant::now()` called twice in a row, in nanoseconds.
fn timer_overhead_ns() -> u64 {
    let mut d: Vec<u64> = (0..10_000)
        .map(|_| {
            let t0 = Instant::now();
            let t1 = Instant::now();
            (t1 - t0).as_nanos() as u64
        })
        .collect();
    d.sort_unstable();
    d[d.len() / 2]
}

fn median(v: &[u64]) -> f64 {
    let s: Vec<f64> = v.iter().map(|&x| x as f64).collect();
    realizar::stats::percentile(&s, 50.0).unwrap_or(f64::NAN)
}

/// The summary block, with numpy's percentile definition (linear).
fn summary(lat: &[u64]) -> Result<serde_json::Value> {
    let s: Vec<f64> = lat.iter().map(|&x| x as f64).collect();
    let pct = |p| realizar::stats::percentile(&s, p).context("percentile");
    Ok(json!({
        "p50_ns": pct(50.0)?,
        "p95_ns": pct(95.0)?,
        "p99_ns": pct(99.0)?,
        "mean_ns": s.iter().sum::<f64>() / s.len() as f64,
        "min_ns": s.iter().copied().fold(f64::INFINITY, f64::min),
        "max_ns": s.iter().copied().fold(0.0, f64::max),
    }))
}

/// The CPU's model name (Linux), else the architecture.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}
