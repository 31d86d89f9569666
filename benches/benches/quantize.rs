//! Suite `quantize`: GGML Q4_0 / Q8_0 quantize, dequantize, dot products and
//! quantized matvec / small-batch matmul, beside the machine's memory
//! bandwidth (read / copy / triad) measured in the same run.
//!
//! Run: `cargo bench -p realizar-benches --bench quantize` (or
//! `cargo xtask bench quantize`; add a filter such as `-- matvec`).
//! Throughput is bytes: f32 output for dequantize, f32 input for quantize,
//! weight bytes read for vec_dot, matvec and matmul (18 bytes per 32 weights
//! for Q4_0, 34 for Q8_0), STREAM bytes for membw. The llama.cpp peer on the
//! same shape: `bash comparative/peers/llama_cpp_matvec.sh`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use realizar_benches::{dram_elements, quantize_q4_0 as q4, quantize_q8_0 as q8, random_f32};
use realizar_quant::{BlockQ4_0, BlockQ8_0, Q8Activations, QK, QuantBlock};
use realizar_tensor::parallel;
use std::hint::black_box;
use std::time::Duration;

const BLOCKS: [usize; 2] = [1024, 131_072];

fn dequantize(c: &mut Criterion) {
    let mut g = c.benchmark_group("dequantize");
    g.sample_size(30).measurement_time(Duration::from_secs(3));
    for blocks in BLOCKS {
        let n = blocks * QK;
        g.throughput(Throughput::Bytes((n * 4) as u64));
        let x = random_f32(n, 1);
        let (w4, w8) = (q4(&x), q8(&x));
        let mut out = vec![0.0f32; n];
        g.bench_function(BenchmarkId::new("q4_0", blocks), |b| {
            b.iter(|| {
                realizar_quant::dequantize_row_q4_0(black_box(&w4), black_box(&mut out)).unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("q8_0", blocks), |b| {
            b.iter(|| {
                realizar_quant::dequantize_row_q8_0(black_box(&w8), black_box(&mut out)).unwrap()
            })
        });
    }
    g.finish();
}

fn quantize(c: &mut Criterion) {
    let mut g = c.benchmark_group("quantize");
    g.sample_size(30).measurement_time(Duration::from_secs(3));
    for blocks in BLOCKS {
        let n = blocks * QK;
        g.throughput(Throughput::Bytes((n * 4) as u64));
        let x = random_f32(n, 2);
        let (mut w4, mut w8) = (
            vec![BlockQ4_0::default(); blocks],
            vec![BlockQ8_0::default(); blocks],
        );
        g.bench_function(BenchmarkId::new("q4_0", blocks), |b| {
            b.iter(|| realizar_quant::quantize_row_q4_0(black_box(&x), black_box(&mut w4)).unwrap())
        });
        g.bench_function(BenchmarkId::new("q8_0", blocks), |b| {
            b.iter(|| realizar_quant::quantize_row_q8_0(black_box(&x), black_box(&mut w8)).unwrap())
        });
    }
    g.finish();
}

fn vec_dot(c: &mut Criterion) {
    let mut g = c.benchmark_group("vec_dot");
    g.sample_size(50).measurement_time(Duration::from_secs(2));
    let n = 4096;
    let (w, x) = (random_f32(n, 3), random_f32(n, 4));
    let (w4, w8, x8) = (q4(&w), q8(&w), q8(&x));
    let act = Q8Activations::from_blocks(&x8);
    let k = realizar_quant::kernels::kernels();
    g.throughput(Throughput::Bytes((w4.len() * BlockQ4_0::BYTES) as u64));
    // The matvec kernel: activations prepared once.
    g.bench_function(BenchmarkId::new("q4_0_q8_0", n), |b| {
        b.iter(|| black_box((k.dot_q4_0)(black_box(&w4), black_box(&act))))
    });
    // The public function on raw blocks (re-derives the activations' per-block data).
    g.bench_function(BenchmarkId::new("q4_0_q8_0_blocks", n), |b| {
        b.iter(|| {
            black_box(realizar_quant::vec_dot_q4_0_q8_0(black_box(&w4), black_box(&x8)).unwrap())
        })
    });
    g.throughput(Throughput::Bytes((w8.len() * BlockQ8_0::BYTES) as u64));
    g.bench_function(BenchmarkId::new("q8_0_q8_0", n), |b| {
        b.iter(|| black_box((k.dot_q8_0)(black_box(&w8), black_box(&act))))
    });
    g.bench_function(BenchmarkId::new("q8_0_q8_0_blocks", n), |b| {
        b.iter(|| {
            black_box(realizar_quant::vec_dot_q8_0_q8_0(black_box(&w8), black_box(&x8)).unwrap())
        })
    });
    g.finish();
}

fn matvec_one<B: QuantBlock + Clone>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    make: fn(&[f32]) -> Vec<B>,
) {
    let (rows, cols) = (4096usize, 4096usize);
    let x = random_f32(cols, 5);
    let mut y = vec![0.0f32; rows];
    let layer_bytes = rows * cols / QK * B::BYTES;
    g.throughput(Throughput::Bytes(layer_bytes as u64));
    for threads in [1usize, 2] {
        g.bench_function(format!("{name}/{rows}x{cols}/{threads}t"), |b| {
            let w = make(&random_f32(rows * cols, 6));
            parallel::with_threads(threads, || {
                b.iter(|| {
                    realizar_quant::matvec(
                        black_box(&w),
                        rows,
                        cols,
                        black_box(&x),
                        black_box(&mut y),
                    )
                    .unwrap()
                })
            })
        });
    }
    // Decoding streams many layers: rotate through matrices whose total is at
    // least twice the last-level cache, so the weights come from DRAM.
    g.bench_function(format!("{name}/{rows}x{cols}/dram/2t"), |b| {
        let one = make(&random_f32(rows * cols, 7));
        let layers = dram_elements(1).div_ceil(layer_bytes).max(2);
        let mats: Vec<Vec<B>> = (0..layers).map(|_| one.clone()).collect();
        drop(one);
        let mut next = 0usize;
        parallel::with_threads(2, || {
            b.iter(|| {
                next = (next + 1) % layers;
                realizar_quant::matvec(
                    black_box(&mats[next]),
                    rows,
                    cols,
                    black_box(&x),
                    black_box(&mut y),
                )
                .unwrap()
            })
        })
    });
}

fn matvec(c: &mut Criterion) {
    let mut g = c.benchmark_group("matvec");
    g.sample_size(50).measurement_time(Duration::from_secs(4));
    matvec_one(&mut g, "q4_0", q4);
    matvec_one(&mut g, "q8_0", q8);
    g.finish();
}

/// Prompt processing: 8 activation rows against one 4096x4096 weight.
fn matmul(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    let (rows, cols, batch) = (4096usize, 4096usize, 8usize);
    let x = random_f32(cols * batch, 8);
    let mut out = vec![0.0f32; rows * batch];
    let wf = random_f32(rows * cols, 9);
    let (w4, w8) = (q4(&wf), q8(&wf));
    drop(wf);
    g.throughput(Throughput::Bytes((w4.len() * BlockQ4_0::BYTES) as u64));
    g.bench_function(format!("q4_0/{rows}x{cols}x{batch}/2t"), |b| {
        b.iter(|| {
            realizar_quant::matmul(black_box(&w4), rows, cols, black_box(&x), batch, &mut out)
                .unwrap()
        })
    });
    g.throughput(Throughput::Bytes((w8.len() * BlockQ8_0::BYTES) as u64));
    g.bench_function(format!("q8_0/{rows}x{cols}x{batch}/2t"), |b| {
        b.iter(|| {
            realizar_quant::matmul(black_box(&w8), rows, cols, black_box(&x), batch, &mut out)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    dequantize,
    quantize,
    vec_dot,
    matvec,
    matmul,
    realizar_benches::membw
);
criterion_main!(benches);
