//! `matvec` equals one `vec_dot` per row, whatever the row count (odd,
//! even, below and above the size at which rows are split across threads)
//! and the number of threads: rows are visited in a different order
//! (two halves of each thread's part in turn), never computed differently.

use realizar_quant::{BlockQ4_0, BlockQ8_0, QK, matvec, quantize_row_q4_0, quantize_row_q8_0};
use realizar_quant::{vec_dot_q4_0_q8_0, vec_dot_q8_0_q8_0};
use realizar_tensor::parallel::with_threads;

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn matvec_is_one_dot_per_row() {
    let cols = 4096;
    let per_row = cols / QK;
    let x = values(cols, 7);
    let mut xq = vec![BlockQ8_0::default(); per_row];
    quantize_row_q8_0(&x, &mut xq).unwrap();
    // 61 and 64 rows of 4096 are over the split size; 1, 2, 3, 7 under it.
    for rows in [1, 2, 3, 7, 61, 64] {
        let w = values(rows * cols, rows as u64);
        let mut w4 = vec![BlockQ4_0::default(); rows * per_row];
        let mut w8 = vec![BlockQ8_0::default(); rows * per_row];
        quantize_row_q4_0(&w, &mut w4).unwrap();
        quantize_row_q8_0(&w, &mut w8).unwrap();
        let want4: Vec<f32> = w4
            .chunks(per_row)
            .map(|r| vec_dot_q4_0_q8_0(r, &xq).unwrap())
            .collect();
        let want8: Vec<f32> = w8
            .chunks(per_row)
            .map(|r| vec_dot_q8_0_q8_0(r, &xq).unwrap())
            .collect();
        for threads in [1, 2, 3] {
            let (mut y4, mut y8) = (vec![0.0; rows], vec![0.0; rows]);
            with_threads(threads, || {
                matvec::<BlockQ4_0>(&w4, rows, cols, &x, &mut y4).unwrap();
                matvec::<BlockQ8_0>(&w8, rows, cols, &x, &mut y8).unwrap();
            });
            assert_eq!(y4, want4, "q4_0 rows {rows} threads {threads}");
            assert_eq!(y8, want8, "q8_0 rows {rows} threads {threads}");
        }
    }
}
