//! `cargo xtask compare-matmul`: realizar's matmul beside its peers, one run.

use crate::{root, run as run_cmd};
use anyhow::{Context, Result};
use std::process::Command;

const SIZES: [usize; 2] = [512, 1024];
const THREADS: [usize; 2] = [1, 2];

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

/// Runs the criterion `matmul` group, then the numpy peer, and prints GFLOP/s.
pub fn run(with_numpy: bool) -> Result<()> {
    run_cmd(Command::new(env!("CARGO")).args([
        "bench",
        "-p",
        "realizar-benches",
        "--bench",
        "tensor_ops",
        "--",
        "^matmul/(realizar|gemm_crate)/",
    ]))?;
    let numpy = if with_numpy {
        numpy_peer()?
    } else {
        Vec::new()
    };
    if let Some(info) = numpy.first() {
        println!("numpy {} / {}", info["numpy"], info["blas"]);
    }
    println!(
        "{:>6} {:>7} {:>12} {:>12} {:>12} {:>8}",
        "n", "threads", "realizar", "gemm crate", "numpy", "ours/best"
    );
    for n in SIZES {
        for t in THREADS {
            let gflops = |ns: f64| 2.0 * (n as f64).powi(3) / ns;
            let ours = gflops(criterion_median_ns(&format!("realizar/{n}/{t}t"))?);
            let gemm = gflops(criterion_median_ns(&format!("gemm_crate/{n}/{t}t"))?);
            let np = numpy
                .iter()
                .find(|v| v["n"] == n && v["threads"] == t)
                .and_then(|v| v["gflops"].as_f64());
            let best = np.unwrap_or(0.0).max(gemm);
            println!(
                "{n:>6} {t:>7} {ours:>12.1} {gemm:>12.1} {:>12} {:>7.0}%",
                np.map_or("-".to_string(), |v| format!("{v:.1}")),
                100.0 * ours / best
            );
        }
    }
    println!("(GFLOP/s, criterion medians; numpy medians over repeated calls)");
    Ok(())
}
