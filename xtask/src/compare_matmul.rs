//! `cargo xtask compare-matmul`: realizar's matmul beside its peers, one run.
//!
//! The machines this runs on are noisy (shared virtual CPUs), so the
//! criterion group and the numpy peer run [`ROUNDS`] times, interleaved, and
//! the table shows the median of the rounds' medians with their range.

use crate::{root, run as run_cmd};
use anyhow::{Context, Result};
use std::process::Command;

const SIZES: [usize; 2] = [512, 1024];
const THREADS: [usize; 2] = [1, 2];
/// Interleaved repetitions of the whole comparison.
pub const ROUNDS: usize = 3;

/// The median time in ns criterion recorded for `matmul/<id>`.
fn criterion_median_ns(id: &str) -> Result<f64> {
    let path = root()
        .join("target/criterion/matmul")
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
    v["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("no median in {}", path.display()))
}

fn numpy_peer() -> Result<Vec<serde_json::Value>> {
    let out = Command::new("uv")
        .args(["run", "--script", "comparative/peers/matmul_numpy.py"])
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .current_dir(root())
        .output()
        .context("run uv (pip install uv)")?;
    if !out.status.success() {
        anyhow::bail!(
            "numpy peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).context("numpy peer printed a non-JSON line"))
        .collect()
}

/// GFLOP/s of one case in each round.
#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn median(&self) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
    fn show(&self) -> String {
        if self.0.is_empty() {
            return "-".into();
        }
        let lo = self.0.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self.0.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{:.0} [{lo:.0}-{hi:.0}]", self.median())
    }
}

/// Runs the criterion `matmul` group and the numpy peer [`ROUNDS`] times,
/// interleaved, and prints GFLOP/s (median of rounds, range).
pub fn run(with_numpy: bool) -> Result<()> {
    let cases: Vec<(usize, usize)> = SIZES
        .iter()
        .flat_map(|&n| THREADS.iter().map(move |&t| (n, t)))
        .collect();
    let mut ours: Vec<Samples> = cases.iter().map(|_| Samples::default()).collect();
    let mut kernels: Vec<Samples> = cases.iter().map(|_| Samples::default()).collect();
    let mut gemm: Vec<Samples> = cases.iter().map(|_| Samples::default()).collect();
    let mut numpy: Vec<Samples> = cases.iter().map(|_| Samples::default()).collect();
    let mut blas = String::new();
    for round in 1..=ROUNDS {
        eprintln!("round {round}/{ROUNDS}");
        run_cmd(Command::new(env!("CARGO")).args([
            "bench",
            "-p",
            "realizar-benches",
            "--bench",
            "tensor_ops",
            "--",
            "^matmul/(realizar|realizar_kernels|gemm_crate)/",
            "--noplot",
        ]))?;
        for (i, &(n, t)) in cases.iter().enumerate() {
            let gflops = |ns: f64| 2.0 * (n as f64).powi(3) / ns;
            ours[i]
                .0
                .push(gflops(criterion_median_ns(&format!("realizar/{n}/{t}t"))?));
            kernels[i].0.push(gflops(criterion_median_ns(&format!(
                "realizar_kernels/{n}/{t}t"
            ))?));
            gemm[i].0.push(gflops(criterion_median_ns(&format!(
                "gemm_crate/{n}/{t}t"
            ))?));
        }
        if with_numpy {
            let lines = numpy_peer()?;
            if let Some(info) = lines.first() {
                blas = format!("numpy {} / {}", info["numpy"], info["blas"]);
            }
            for (i, &(n, t)) in cases.iter().enumerate() {
                if let Some(g) = lines
                    .iter()
                    .find(|v| v["n"] == n && v["threads"] == t)
                    .and_then(|v| v["gflops"].as_f64())
                {
                    numpy[i].0.push(g);
                }
            }
        }
    }
    if !blas.is_empty() {
        println!("{blas}");
    }
    println!(
        "{:>6} {:>7} {:>18} {:>18} {:>18} {:>18} {:>9} {:>12}",
        "n",
        "threads",
        "realizar",
        "realizar kernels",
        "gemm crate",
        "numpy",
        "ours/best",
        "kernels/best"
    );
    for (i, &(n, t)) in cases.iter().enumerate() {
        let best = gemm[i].median().max(if numpy[i].0.is_empty() {
            0.0
        } else {
            numpy[i].median()
        });
        println!(
            "{n:>6} {t:>7} {:>18} {:>18} {:>18} {:>18} {:>8.0}% {:>11.0}%",
            ours[i].show(),
            kernels[i].show(),
            gemm[i].show(),
            numpy[i].show(),
            100.0 * ours[i].median() / best,
            100.0 * kernels[i].median() / best
        );
    }
    println!(
        "(GFLOP/s: median of {ROUNDS} interleaved rounds [min-max]; each round's value is a criterion median, or numpy's median over repeated calls. \"realizar\" is the public matmul, which hands f32 x f32 products to the gemm crate; \"realizar kernels\" is realizar's own packed GEMM.)"
    );
    Ok(())
}
