//! Suite `tensor_ops`: tensor creation and access, matvec and matmul, and the
//! machine's memory bandwidth (STREAM copy/triad) as the yardstick for matvec.
//!
//! Run: `cargo bench -p realizar-benches --bench tensor_ops` (add a filter
//! such as `-- matmul` for one group). Peers measured in the same run:
//! the `gemm` crate for matmul, and copy/triad loops for bandwidth.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use realizar_benches::{dram_elements, random_f32};
use realizar_tensor::{DType, Tensor, ops, parallel};
use std::hint::black_box;
use std::time::Duration;

fn tensor_creation(c: &mut Criterion) {
    let mut g = c.benchmark_group("tensor_creation");
    for n in [10usize, 100, 1000, 10000] {
        let data = random_f32(n, 1);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            // The Vec is made outside the timed part: this measures building
            // the tensor around data the caller owns (no copy).
            b.iter_batched(
                || data.clone(),
                |d| black_box(Tensor::from_vec(&[n], black_box(d)).unwrap()),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
    let mut g = c.benchmark_group("tensor_zeros");
    for n in [10usize, 10000] {
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| black_box(Tensor::zeros(&[black_box(n)]).unwrap()))
        });
    }
    g.finish();
}

fn access(c: &mut Criterion) {
    let t = Tensor::from_vec(&[64, 64], random_f32(64 * 64, 2)).unwrap();
    // Reads the shape and uses it (rank and first extent). Black-boxing the
    // `&[usize]` itself would time a store-forwarding stall of the harness
    // (a 16-byte reload of two 8-byte stores), not the access.
    c.bench_function("shape_access", |b| {
        b.iter(|| {
            let s = black_box(&t).shape();
            black_box(s.len() + s[0])
        })
    });
    c.bench_function("indexing", |b| {
        b.iter(|| black_box(black_box(&t).get(black_box(&[17, 42]))))
    });
}

// Heavy inputs are built inside each `bench_function` closure: criterion
// calls it only when the id passes the command line's filter, so running
// one benchmark does not allocate gigabytes for the others.

fn matvec(c: &mut Criterion) {
    let (rows, cols) = (4096usize, 4096usize);
    let x = random_f32(cols, 4);
    let mut y = vec![0.0f32; rows];
    let mut g = c.benchmark_group("matvec");
    g.sample_size(50).measurement_time(Duration::from_secs(4));
    // One 4096x4096 matrix, as the suite has always measured it. On CPUs
    // whose last-level cache holds it (64 MiB in f32) this is cache bandwidth.
    for dtype in [DType::F32, DType::F16, DType::BF16] {
        g.throughput(Throughput::Bytes(
            (rows * cols * dtype.size_in_bytes()) as u64,
        ));
        for threads in [1usize, 2] {
            let id = format!("{dtype}/{rows}x{cols}/{threads}t");
            g.bench_function(id, |b| {
                let w = Tensor::from_vec(&[rows, cols], random_f32(rows * cols, 3))
                    .unwrap()
                    .to_dtype(dtype);
                parallel::with_threads(threads, || {
                    b.iter(|| ops::matvec(black_box(&w), black_box(&x), black_box(&mut y)).unwrap())
                })
            });
        }
    }
    // Servers share machines: the same product while another process-like
    // thread keeps one core busy. A pool that spins for its workers collapses
    // here; ours should lose about one core's worth and no more.
    g.throughput(Throughput::Bytes((rows * cols * 4) as u64));
    g.bench_function(format!("f32/{rows}x{cols}/2t_busy_neighbour"), |b| {
        use std::sync::atomic::{AtomicBool, Ordering};
        let w = Tensor::from_vec(&[rows, cols], random_f32(rows * cols, 3)).unwrap();
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            });
            b.iter(|| ops::matvec(black_box(&w), black_box(&x), black_box(&mut y)).unwrap());
            stop.store(true, Ordering::Relaxed);
        });
    });
    // Decoding streams many layers: rotate through 4096x4096 matrices whose
    // total is at least twice the last-level cache, so weights come from DRAM.
    for dtype in [DType::F32, DType::F16, DType::BF16] {
        let layer_elems = rows * cols;
        g.throughput(Throughput::Bytes(
            (layer_elems * dtype.size_in_bytes()) as u64,
        ));
        g.bench_function(format!("{dtype}/{rows}x{cols}/dram/2t"), |b| {
            let layers = dram_elements(dtype.size_in_bytes())
                .div_ceil(layer_elems)
                .max(2);
            let all = Tensor::from_vec(&[layers * rows, cols], random_f32(layers * layer_elems, 9))
                .unwrap()
                .to_dtype(dtype);
            let mats: Vec<Tensor> = (0..layers)
                .map(|l| all.rows(l * rows..(l + 1) * rows).unwrap())
                .collect();
            let mut next = 0usize;
            b.iter(|| {
                next = (next + 1) % layers;
                ops::matvec(black_box(&mats[next]), black_box(&x), black_box(&mut y)).unwrap()
            })
        });
    }
    g.finish();
}

fn matmul(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for n in [512usize, 1024] {
        let a = random_f32(n * n, 7);
        let bm = random_f32(n * n, 8);
        let mut out = vec![0.0f32; n * n];
        // Throughput in "elements" = floating-point operations (2 n^3).
        g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        for threads in [1usize, 2] {
            g.bench_function(format!("realizar/{n}/{threads}t"), |b| {
                parallel::with_threads(threads, || {
                    b.iter(|| {
                        ops::matmul::gemm(
                            n,
                            n,
                            n,
                            black_box(&a),
                            black_box(&bm),
                            ops::BLayout::KxN,
                            &mut out,
                        )
                        .unwrap()
                    })
                })
            });
            // realizar's own kernels (f32 x f32 products go to the `gemm`
            // crate by default; this id keeps ours measured).
            g.bench_function(format!("realizar_kernels/{n}/{threads}t"), |b| {
                parallel::with_threads(threads, || {
                    b.iter(|| {
                        ops::matmul::own_gemm(
                            n,
                            n,
                            n,
                            black_box(&a),
                            black_box(&bm),
                            ops::BLayout::KxN,
                            &mut out,
                        )
                    })
                })
            });
            let par = if threads == 1 {
                gemm::Parallelism::None
            } else {
                gemm::Parallelism::Rayon(threads)
            };
            g.bench_function(format!("gemm_crate/{n}/{threads}t"), |b| {
                b.iter(|| {
                    // SAFETY: all three matrices are n x n, row-major (row stride n, column stride 1).
                    unsafe {
                        gemm::gemm(
                            n,
                            n,
                            n,
                            out.as_mut_ptr(),
                            1,
                            n as isize,
                            false,
                            black_box(a.as_ptr()),
                            1,
                            n as isize,
                            black_box(bm.as_ptr()),
                            1,
                            n as isize,
                            0.0f32,
                            1.0f32,
                            false,
                            false,
                            false,
                            par,
                        )
                    }
                })
            });
        }
        // Mixed precision: bf16 weights as a linear layer (x Wᵀ).
        let wbf = Tensor::from_vec(&[n, n], bm.clone())
            .unwrap()
            .to_dtype(DType::BF16);
        let wbf = wbf.as_slice::<realizar_tensor::bf16>().unwrap();
        g.bench_function(format!("realizar_bf16_nxk/{n}/2t"), |b| {
            b.iter(|| {
                ops::matmul::gemm(
                    n,
                    n,
                    n,
                    black_box(&a),
                    black_box(wbf),
                    ops::BLayout::NxK,
                    &mut out,
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    tensor_creation,
    access,
    matvec,
    realizar_benches::membw,
    matmul
);
criterion_main!(benches);
