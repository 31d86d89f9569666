//! Quantized matrix-vector and small-batch matrix products.
//!
//! `W` is `rows x cols` with each row stored as `cols / 32` blocks (ggml's
//! layout for a GGUF weight `[cols, rows]`); `x` is `f32`. `x` is quantized
//! to Q8_0 once ([`Q8Activations`]), then every row is one dispatched dot
//! kernel; rows are split in contiguous ranges across the threads of
//! [`realizar_tensor::parallel::pool`] (capped by
//! [`realizar_tensor::parallel::with_threads`]).

use crate::activations::Q8Activations;
use crate::blocks::{QK, QuantBlock};
use crate::error::{Error, Result};
use crate::kernels::{COLS, ROWS, kernels};
use realizar_tensor::parallel;
use std::cell::RefCell;

/// Bytes of weights a thread must have to itself before splitting pays off.
const MIN_BYTES_PER_THREAD: usize = 64 << 10;

thread_local! {
    static SCRATCH: RefCell<Q8Activations> = RefCell::new(Q8Activations::new());
}

/// Checks `w`, `rows`, `cols` and returns the blocks per row.
fn check_w<B: QuantBlock>(op: &'static str, w: &[B], rows: usize, cols: usize) -> Result<usize> {
    if !cols.is_multiple_of(QK) {
        return Err(Error::NotBlockMultiple {
            op,
            what: "cols",
            len: cols,
        });
    }
    let per_row = cols / QK;
    let blocks = rows
        .checked_mul(per_row)
        .ok_or(Error::Overflow { op, rows, cols })?;
    if w.len() != blocks {
        return Err(Error::LengthMismatch {
            op,
            what: "w (blocks)",
            expected: blocks,
            found: w.len(),
        });
    }
    Ok(per_row)
}

fn check_len(op: &'static str, what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected != found {
        return Err(Error::LengthMismatch {
            op,
            what,
            expected,
            found,
        });
    }
    Ok(())
}

/// Splits `0..rows` into the parts to run on the pool and calls `f(first_row, out_part)`.
fn run_rows<T: Send>(
    rows: usize,
    row_bytes: usize,
    out: &mut [T],
    out_per_row: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let total = rows.saturating_mul(row_bytes);
    let parts = parallel::num_threads()
        .min(total / MIN_BYTES_PER_THREAD)
        .min(rows)
        .max(1);
    if parts == 1 {
        f(0, out);
        return;
    }
    let rows_per_part = rows.div_ceil(parts);
    let f = &f;
    parallel::pool().scope(|s| {
        let mut chunks = out.chunks_mut(rows_per_part * out_per_row).enumerate();
        let first = chunks.next();
        for (p, chunk) in chunks {
            s.spawn(move |_| f(p * rows_per_part, chunk));
        }
        if let Some((_, chunk)) = first {
            f(0, chunk);
        }
    });
}

/// `y = W x` with `x` already quantized: one dot product per row.
///
/// Fails when `w` does not hold `rows` rows of `x.num_blocks()` blocks or
/// `y.len() != rows`.
pub fn matvec_prepared<B: QuantBlock>(
    w: &[B],
    rows: usize,
    x: &Q8Activations,
    y: &mut [f32],
) -> Result<()> {
    let op = "matvec";
    let per_row = check_w(op, w, rows, x.len())?;
    check_len(op, "y", rows, y.len())?;
    if per_row == 0 {
        y.fill(0.0);
        return Ok(());
    }
    let dot = B::dot_kernel(kernels());
    let row = |r: usize| &w[r * per_row..(r + 1) * per_row];
    if let Some(dot_rows) = B::dot_rows_kernel(kernels()) {
        run_rows(rows, per_row * B::BYTES, y, 1, |first, ys| {
            // Row i of each of ROWS parts of this range together: that many
            // weight streams read side by side per core, which DRAM serves
            // faster than one.
            let part = ys.len() / ROWS;
            for i in 0..part {
                let r: [usize; ROWS] = std::array::from_fn(|k| k * part + i);
                let v = dot_rows(r.map(|r| row(first + r)), x);
                for (r, v) in r.into_iter().zip(v) {
                    ys[r] = v;
                }
            }
            for (r, yr) in ys.iter_mut().enumerate().skip(ROWS * part) {
                *yr = dot(row(first + r), x);
            }
        });
        return Ok(());
    }
    run_rows(rows, per_row * B::BYTES, y, 1, |first, ys| {
        // Rows from the two halves of this part in turn: two weight
        // streams in flight per core, which DRAM serves faster than one.
        let half = ys.len().div_ceil(2);
        let (lo, hi) = ys.split_at_mut(half);
        for (i, yi) in lo.iter_mut().enumerate() {
            *yi = dot(row(first + i), x);
            if let Some(yj) = hi.get_mut(i) {
                *yj = dot(row(first + half + i), x);
            }
        }
    });
    Ok(())
}

/// `y = W x` for quantized `W` (`rows x cols`, `cols` a multiple of 32) and
/// `f32` `x`: quantizes `x` to Q8_0 once, then runs [`matvec_prepared`].
///
/// ```
/// use realizar_quant::{BlockQ4_0, matvec, quantize_row_q4_0};
/// let (rows, cols) = (2, 64);
/// let w: Vec<f32> = (0..rows * cols).map(|i| if i < cols { 1.0 } else { -0.5 }).collect();
/// let mut wq = vec![bytemuck::Zeroable::zeroed(); rows * cols / 32];
/// quantize_row_q4_0(&w, &mut wq)?;
/// let x = vec![1.0f32; cols];
/// let mut y = vec![0.0; rows];
/// matvec::<BlockQ4_0>(&wq, rows, cols, &x, &mut y)?;
/// // x = 1 quantizes to 127 * d with d = f16(1/127), hence not exactly 64 and -32.
/// assert!((y[0] - 64.0).abs() < 0.01 && (y[1] + 32.0).abs() < 0.01);
/// # Ok::<(), realizar_quant::Error>(())
/// ```
pub fn matvec<B: QuantBlock>(
    w: &[B],
    rows: usize,
    cols: usize,
    x: &[f32],
    y: &mut [f32],
) -> Result<()> {
    let op = "matvec";
    check_w(op, w, rows, cols)?;
    check_len(op, "x", cols, x.len())?;
    check_len(op, "y", rows, y.len())?;
    SCRATCH.with(|s| {
        let mut act = s.borrow_mut();
        act.quantize_into(x)?;
        matvec_prepared(w, rows, &act, y)
    })
}

/// `y = W x` with Q4_0 weights (see [`matvec`]).
pub fn matvec_q4_0(
    w: &[crate::BlockQ4_0],
    rows: usize,
    cols: usize,
    x: &[f32],
    y: &mut [f32],
) -> Result<()> {
    matvec(w, rows, cols, x, y)
}

/// `y = W x` with Q8_0 weights (see [`matvec`]).
pub fn matvec_q8_0(
    w: &[crate::BlockQ8_0],
    rows: usize,
    cols: usize,
    x: &[f32],
    y: &mut [f32],
) -> Result<()> {
    matvec(w, rows, cols, x, y)
}

/// `Y = X Wᵀ` for a small batch (prompt processing): `x` is `batch x cols`
/// row-major `f32`, `out` is `batch x rows` row-major, `W` as in [`matvec`].
///
/// Each input row is quantized to Q8_0 once; each thread then takes a range
/// of weight rows and, for every weight row, all `batch` dot products while
/// that row is in L1, so the weights are read from memory once per call.
pub fn matmul<B: QuantBlock>(
    w: &[B],
    rows: usize,
    cols: usize,
    x: &[f32],
    batch: usize,
    out: &mut [f32],
) -> Result<()> {
    let op = "matmul";
    let per_row = check_w(op, w, rows, cols)?;
    let x_len = batch.checked_mul(cols).ok_or(Error::Overflow {
        op,
        rows: batch,
        cols,
    })?;
    check_len(op, "x", x_len, x.len())?;
    let out_len = batch.checked_mul(rows).ok_or(Error::Overflow {
        op,
        rows: batch,
        cols: rows,
    })?;
    check_len(op, "out", out_len, out.len())?;
    if batch == 0 || rows == 0 {
        return Ok(());
    }
    if per_row == 0 {
        out.fill(0.0);
        return Ok(());
    }
    let acts = x
        .chunks_exact(cols)
        .map(Q8Activations::quantize)
        .collect::<Result<Vec<_>>>()?;
    let dot = B::dot_kernel(kernels());
    let dot_rows = B::dot_rows_kernel(kernels());
    let dot_cols = B::dot_cols_kernel(kernels());
    // Threads fill a row-major `rows x batch` buffer (disjoint row ranges),
    // transposed into `out` afterwards.
    let mut t = vec![0.0f32; rows * batch];
    run_rows(
        rows,
        per_row * B::BYTES * batch,
        &mut t,
        batch,
        |first, part| {
            let n = part.len() / batch;
            let row = |r: usize| &w[r * per_row..(r + 1) * per_row];
            if let Some(dot_cols) = dot_cols {
                // COLS batch columns per call: the row's weights are decoded
                // once for all of them.
                for (i, o) in part.chunks_exact_mut(batch).enumerate() {
                    let row = row(first + i);
                    let (mut cols, mut b) = (o.chunks_exact_mut(COLS), 0);
                    for oc in cols.by_ref() {
                        oc.copy_from_slice(&dot_cols(row, std::array::from_fn(|k| &acts[b + k])));
                        b += COLS;
                    }
                    for (ob, a) in cols.into_remainder().iter_mut().zip(&acts[b..]) {
                        *ob = dot(row, a);
                    }
                }
                return;
            }
            let mut done = 0;
            if let Some(dot_rows) = dot_rows {
                // ROWS adjacent weight rows against each batch column in
                // turn: the rows stay in L1 and each column's activations
                // are read once per ROWS rows instead of once per row.
                while done + ROWS <= n {
                    let rs: [&[B]; ROWS] = std::array::from_fn(|k| row(first + done + k));
                    for (b, a) in acts.iter().enumerate() {
                        for (k, v) in dot_rows(rs, a).into_iter().enumerate() {
                            part[(done + k) * batch + b] = v;
                        }
                    }
                    done += ROWS;
                }
            }
            for (i, o) in part.chunks_exact_mut(batch).enumerate().skip(done) {
                let row = row(first + i);
                for (ob, a) in o.iter_mut().zip(&acts) {
                    *ob = dot(row, a);
                }
            }
        },
    );
    for (r, tr) in t.chunks_exact(batch).enumerate() {
        for (b, &v) in tr.iter().enumerate() {
            out[b * rows + r] = v;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BlockQ4_0, BlockQ8_0, quantize_row_q4_0, quantize_row_q8_0};

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    #[test]
    fn shapes_are_checked() {
        let w = vec![BlockQ4_0::default(); 6];
        let mut y = vec![0.0; 3];
        assert!(matches!(
            matvec(&w, 3, 60, &[0.0; 60], &mut y),
            Err(Error::NotBlockMultiple { .. })
        ));
        assert!(matvec(&w, 3, 64, &[0.0; 63], &mut y).is_err());
        assert!(matvec(&w, 3, 64, &[0.0; 64], &mut y[..2]).is_err());
        assert!(matvec(&w, 2, 64, &[0.0; 64], &mut y[..2]).is_err());
        assert!(matvec(&w, usize::MAX, 64, &[0.0; 64], &mut y).is_err());
        matvec(&w, 3, 64, &[0.0; 64], &mut y).unwrap();
        let mut o = vec![0.0; 6];
        assert!(matmul(&w, 3, 64, &[0.0; 64], 2, &mut o).is_err());
        matmul(&w, 3, 64, &[0.0; 128], 2, &mut o).unwrap();
        matvec::<BlockQ8_0>(&[], 3, 0, &[], &mut y).unwrap();
        assert_eq!(y, vec![0.0; 3]);
    }

    #[test]
    fn threaded_and_batched_equal_single_rows() {
        let (rows, cols, batch) = (131, 1024, 6);
        let wf = data(rows * cols, 7);
        let mut w4 = vec![BlockQ4_0::default(); rows * cols / QK];
        let mut w8 = vec![BlockQ8_0::default(); rows * cols / QK];
        quantize_row_q4_0(&wf, &mut w4).unwrap();
        quantize_row_q8_0(&wf, &mut w8).unwrap();
        let x = data(cols * batch, 11);
        fn check<B: QuantBlock>(w: &[B], rows: usize, cols: usize, x: &[f32], batch: usize) {
            let mut a = vec![0.0; rows];
            let mut b = vec![0.0; rows];
            matvec(w, rows, cols, &x[..cols], &mut a).unwrap();
            parallel::with_threads(1, || matvec(w, rows, cols, &x[..cols], &mut b)).unwrap();
            assert_eq!(a, b);
            let act = Q8Activations::quantize(&x[..cols]).unwrap();
            let dot = B::dot_kernel(kernels());
            for (r, &v) in a.iter().enumerate() {
                assert_eq!(v, dot(&w[r * cols / QK..(r + 1) * cols / QK], &act));
            }
            let mut o = vec![0.0; rows * batch];
            matmul(w, rows, cols, x, batch, &mut o).unwrap();
            for bi in 0..batch {
                let mut yb = vec![0.0; rows];
                matvec(w, rows, cols, &x[bi * cols..(bi + 1) * cols], &mut yb).unwrap();
                assert_eq!(&o[bi * rows..(bi + 1) * rows], &yb[..]);
            }
        }
        check(&w4, rows, cols, &x, batch);
        check(&w8, rows, cols, &x, batch);
    }
}
