//! Paired memory-bandwidth ratios of the DRAM matvecs: Q4_0 and Q8_0
//! 4096x4096 matvecs streamed from DRAM, timed in alternation with the
//! STREAM-style passes (read2, read8, copy, triad) they are judged against.
//!
//! Run: `cargo bench -p realizar-benches --bench matvec_pairs`
//! (`PAIRS_ROUNDS=N` for more rounds than the default 20).
//!
//! Criterion's `quantize` suite measures `matvec/*/dram/2t` and
//! `membw/*` seconds or minutes apart, and this VM's memory bandwidth
//! drifts by tens of percent within minutes, so a ratio of two criterion
//! medians says as much about the minute as about the kernel. Here every
//! round runs one pass of each (order rotating between rounds, two
//! threads): a pass sweeps arrays or matrices of at least twice the
//! last-level cache, so every byte comes from DRAM. Reported: each pass's
//! median GiB/s (STREAM byte counting; weight bytes for the matvecs) and,
//! per matvec and yardstick, the median over rounds of the ratio of the
//! two within a round, with a percentile bootstrap 95% confidence interval.

use std::hint::black_box;
use std::time::Instant;

use realizar_benches::{dram_elements, quantize_q4_0, quantize_q8_0, random_f32, stream};
use realizar_quant::{QK, QuantBlock};
use realizar_stats::Summary;
use realizar_tensor::parallel;

const ROWS: usize = 4096;
const COLS: usize = 4096;

/// Enough copies of `one` (a `ROWS x COLS` matrix) to total twice the
/// last-level cache.
fn layers<B: QuantBlock + Clone>(one: Vec<B>) -> Vec<Vec<B>> {
    let layer_bytes = ROWS * COLS / QK * B::BYTES;
    let n = dram_elements(1).div_ceil(layer_bytes).max(2);
    vec![one; n]
}

/// One matvec per layer, weight bytes moved.
fn sweep<B: QuantBlock>(mats: &[Vec<B>], x: &[f32], y: &mut [f32]) -> usize {
    for m in mats {
        realizar_quant::matvec(black_box(m), ROWS, COLS, black_box(x), black_box(&mut *y))
            .expect("shapes match");
    }
    mats.len() * ROWS * COLS / QK * B::BYTES
}

fn main() {
    let rounds: usize = std::env::var("PAIRS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let n = dram_elements(4);
    let (a, c) = (random_f32(n, 5), random_f32(n, 6));
    // One output per pass (the closures each own theirs).
    let (mut copied, mut summed) = (vec![1.0f32; n], vec![1.0f32; n]);
    let w = random_f32(ROWS * COLS, 7);
    let q4 = layers(quantize_q4_0(&w));
    let q8 = layers(quantize_q8_0(&w));
    drop(w);
    let x = random_f32(COLS, 5);
    let (mut y4, mut y8) = (vec![0.0f32; ROWS], vec![0.0f32; ROWS]);
    let bytes = n * 4;
    type Pass<'a> = (&'static str, Box<dyn FnMut() -> usize + 'a>);
    let mut passes: Vec<Pass> = vec![
        (
            "read2",
            Box::new(|| {
                black_box(stream::read2(&a));
                stream::READ_ARRAYS * bytes
            }),
        ),
        (
            "read8",
            Box::new(|| {
                black_box(stream::read8(&a));
                stream::READ_ARRAYS * bytes
            }),
        ),
        (
            "copy",
            Box::new(|| {
                stream::copy(&a, black_box(&mut copied));
                stream::COPY_ARRAYS * bytes
            }),
        ),
        (
            "triad",
            Box::new(|| {
                stream::triad(&a, &c, black_box(&mut summed));
                stream::TRIAD_ARRAYS * bytes
            }),
        ),
        ("q4_0 matvec", Box::new(|| sweep(&q4, &x, &mut y4))),
        ("q8_0 matvec", Box::new(|| sweep(&q8, &x, &mut y8))),
    ];
    let k = passes.len();
    let mut gib = vec![Vec::with_capacity(rounds); k];
    parallel::with_threads(2, || {
        // Warm-up: pages touched, code and pool started.
        for (_, p) in passes.iter_mut() {
            p();
        }
        for r in 0..rounds {
            for j in 0..k {
                let i = (r + j) % k;
                let t = Instant::now();
                let moved = (passes[i].1)();
                gib[i].push(moved as f64 / t.elapsed().as_secs_f64() / (1u64 << 30) as f64);
            }
        }
    });
    let med = |v: &[f64]| Summary::new(v).map(|s| s.p50).unwrap_or(f64::NAN);
    println!(
        "{rounds} rounds, 2 threads, each pass over {:.0} MiB or more",
        bytes as f64 / (1u64 << 20) as f64
    );
    println!("| pass | GiB/s (median) |");
    println!("|---|---|");
    for (i, (name, _)) in passes.iter().enumerate() {
        println!("| {name} | {:.1} |", med(&gib[i]));
    }
    println!();
    println!("| matvec / yardstick | ratio (median of per-round ratios) | 95% CI |");
    println!("|---|---|---|");
    for m in [4, 5] {
        for s in [0, 1, 2, 3] {
            let ratio: Vec<f64> = gib[m].iter().zip(&gib[s]).map(|(a, b)| a / b).collect();
            let ci = Summary::new(&ratio)
                .and_then(|v| v.bootstrap_median_ci(2000, 0.95, 42))
                .map(|c| format!("{:.0}–{:.0} %", 100.0 * c.lower, 100.0 * c.upper))
                .unwrap_or_else(|e| format!("({e})"));
            println!(
                "| {} / {} | {:.0} % | {ci} |",
                passes[m].0,
                passes[s].0,
                100.0 * med(&ratio)
            );
        }
    }
}
