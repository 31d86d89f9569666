//! One pass of each memory-bandwidth kernel over arrays that miss the
//! caches, on the pool's threads (each thread one contiguous chunk): what
//! the `membw` group times and what `matvec_pairs` alternates with the
//! DRAM matvecs. Bytes are counted as STREAM does ([`READ_ARRAYS`] etc.).

use rayon::prelude::*;
use realizar_tensor::parallel;

/// Arrays a `read`, `read2` or `read8` pass moves (STREAM counting).
pub const READ_ARRAYS: usize = 1;
/// Arrays a `copy` pass moves (read one, write one).
pub const COPY_ARRAYS: usize = 2;
/// Arrays a `triad` pass moves (read two, write one; the write-allocate
/// read is not counted).
pub const TRIAD_ARRAYS: usize = 3;

fn chunk(n: usize) -> usize {
    n.div_ceil(parallel::num_threads()).max(1)
}

/// `sum x * x` over `a`: one read stream per thread.
pub fn read(a: &[f32]) -> f32 {
    let dot = realizar_tensor::kernels::kernels().dot_f32;
    // x . x reads each element once (both operands are the same line).
    parallel::pool().install(|| a.par_chunks(chunk(a.len())).map(|x| dot(x, x)).sum())
}

/// `x_lo . x_hi` over each thread's chunk: two read streams per thread,
/// each element read once.
pub fn read2(a: &[f32]) -> f32 {
    let dot = realizar_tensor::kernels::kernels().dot_f32;
    parallel::pool().install(|| {
        a.par_chunks(chunk(a.len()))
            .map(|x| {
                let (l, r) = x.split_at(x.len() / 2);
                dot(l, r)
            })
            .sum()
    })
}

/// Lanes summed per stream and step in [`read8`] (one 64-byte line).
const LINE: usize = 16;

/// `sum x` over each thread's chunk read as 8 interleaved streams (one
/// line from each of 8 equal parts per step): the most read bandwidth
/// found here. Read streams per core are what DRAM reads scale with on
/// this kind of machine (2 threads, in a scratch test of AVX-512 loops that
/// is not part of the repository: 1, 2, 4, 8 streams gave 16.8, 20.1, 22.9,
/// 24.7 GiB/s); the fast string copy behind [`copy`] moves more.
pub fn read8(a: &[f32]) -> f32 {
    parallel::pool().install(|| a.par_chunks(chunk(a.len())).map(sum8).sum())
}

fn sum8(x: &[f32]) -> f32 {
    let part = x.len() / 8 / LINE * LINE;
    let mut acc = [[0.0f32; LINE]; 8];
    for i in (0..part).step_by(LINE) {
        for (s, a) in acc.iter_mut().enumerate() {
            let line = &x[s * part + i..s * part + i + LINE];
            for (a, v) in a.iter_mut().zip(line) {
                *a += v;
            }
        }
    }
    let rest: f32 = x[8 * part..].iter().sum();
    acc.iter().flatten().sum::<f32>() + rest
}

/// `b = a`.
pub fn copy(a: &[f32], b: &mut [f32]) {
    let c = chunk(a.len());
    parallel::pool().install(|| {
        b.par_chunks_mut(c)
            .zip(a.par_chunks(c))
            .for_each(|(d, s)| d.copy_from_slice(s))
    });
}

/// `out = a + 3 c`.
pub fn triad(a: &[f32], c: &[f32], out: &mut [f32]) {
    let k = chunk(a.len());
    parallel::pool().install(|| {
        out.par_chunks_mut(k)
            .zip(a.par_chunks(k).zip(c.par_chunks(k)))
            .for_each(|(o, (x, y))| {
                for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                    *o = x + 3.0 * y;
                }
            })
    });
}
