//! Matrix multiplication `C = A B`: packed, cache-blocked, multi-threaded.
//!
//! The structure is the BLIS/GotoBLAS one. For each `kc x nc` block of B
//! (packed into `nr`-wide panels, converted to `f32` on the way, which is
//! how `f16`/`bf16` weights are supported) and each `mc x kc` block of A
//! (packed into `mr`-tall panels), the dispatched micro-kernel computes
//! `mr x nr` tiles in registers. Threads split the columns of C, so each
//! packs only its own part of B and no thread waits for another.
//!
//! B may be given as `[k, n]` ([`BLayout::KxN`]) or as its transpose `[n, k]`
//! ([`BLayout::NxK`]), the layout of a linear layer's weight (`x W^T`).

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::kernels::{Gemm, kernels};
use crate::parallel;
use crate::tensor::Tensor;
use half::{bf16, f16};

/// How B is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BLayout {
    /// Row-major `[k, n]`: `C = A B`.
    KxN,
    /// Row-major `[n, k]`: `C = A Bᵀ` (a linear layer's weight).
    NxK,
}

/// Multiply-adds below which one thread does the whole product.
const MIN_FLOPS_PER_THREAD: usize = 1 << 18;

/// `C = A B` on slices: `a` is row-major `[m, k]`, `b` is `[k, n]` or `[n, k]`
/// per `layout`, `c` is row-major `[m, n]` and is overwritten.
pub fn gemm<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[T],
    layout: BLayout,
    c: &mut [f32],
) -> Result<()> {
    let bad = |what: &str, len: usize, want: Option<usize>| Error::InvalidArgument {
        op: "matmul",
        reason: format!(
            "{what} holds {len} elements but m={m}, n={n}, k={k} need {}",
            want.map_or("more than usize".to_string(), |w| w.to_string())
        ),
    };
    let (ma, mb, mc) = (m.checked_mul(k), k.checked_mul(n), m.checked_mul(n));
    if ma != Some(a.len()) {
        return Err(bad("A", a.len(), ma));
    }
    if mb != Some(b.len()) {
        return Err(bad("B", b.len(), mb));
    }
    if mc != Some(c.len()) {
        return Err(bad("C", c.len(), mc));
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        c.fill(0.0);
        return Ok(());
    }
    #[cfg(feature = "gemm")]
    if let Some(bf) = T::as_f32s(b)
        && super::matmul_gemm::applies(m, n, k)
    {
        super::matmul_gemm::gemm_f32(m, n, k, a, bf, layout, c);
        return Ok(());
    }
    own_gemm(m, n, k, a, b, layout, c);
    Ok(())
}

/// realizar's own packed product, for every dtype of B, without the
/// delegation of large `f32 x f32` products to the `gemm` crate that
/// [`gemm`] makes: for comparisons, and for builds without that crate.
/// The caller guarantees the lengths (`a`: m·k, `b`: k·n, `c`: m·n) and
/// `m, n, k > 0`; use [`gemm`] for checked inputs.
#[doc(hidden)]
pub fn own_gemm<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[T],
    layout: BLayout,
    c: &mut [f32],
) {
    let g = kernels().gemm;
    let widen = T::widen_kernel(kernels());
    let parts = parallel::parts_for(m * n * k, MIN_FLOPS_PER_THREAD).min(n.div_ceil(g.nr));
    // Threads own whole nr-panels of columns.
    let per = n.div_ceil(g.nr).div_ceil(parts) * g.nr;
    let m_panels = m.div_ceil(g.mr);
    let k_blocks = k.div_ceil(g.kc);
    // All of A is packed once, split across the threads, then shared: one
    // hand-off for packing and one for computing, whatever the depth. A
    // panels are mr rows of stride g.kc (the micro-kernels' fixed row
    // stride), so packing A is a row copy. The buffer is about A's size.
    let a_block = m_panels * g.kc * g.mr;
    let mut apack = Aligned::new(a_block * k_blocks);
    let ap = apack.get(a_block * k_blocks);
    pack_a_parallel(a, k, m, &g, parts, ap);
    let ap: &[f32] = ap;
    let cptr = SyncPtr(c.as_mut_ptr());
    parallel::run_parts(parts, |p| {
        let cols = (p * per).min(n)..((p + 1) * per).min(n);
        if !cols.is_empty() {
            let out = CWriter { ptr: cptr, ldc: n };
            gemm_columns(&g, m, n, k, ap, b, layout, widen, cols, &out);
        }
    });
}

/// A raw pointer to C shared by the threads of one product.
#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: the threads of one `gemm` call write disjoint column ranges of C
// (see `CWriter`), and `gemm` holds the `&mut [f32]` until all have finished.
unsafe impl Send for SyncPtr {}
// SAFETY: as above.
unsafe impl Sync for SyncPtr {}

/// Writes tiles into C; each thread owns a distinct range of columns.
struct CWriter {
    ptr: SyncPtr,
    ldc: usize,
}

impl CWriter {
    /// A pointer to element `(i, j)` of C, for a micro-kernel writing a full tile.
    fn at(&self, i: usize, j: usize) -> *mut f32 {
        self.ptr.0.wrapping_add(i * self.ldc + j)
    }

    #[allow(clippy::too_many_arguments)]
    /// Adds (or stores) `tile` (row stride `nr`) into C at `(i0, j0)`, `rows x cols`.
    fn put(
        &self,
        tile: &[f32],
        nr: usize,
        i0: usize,
        j0: usize,
        rows: usize,
        cols: usize,
        add: bool,
    ) {
        for r in 0..rows {
            let src = &tile[r * nr..r * nr + cols];
            // SAFETY: (i0 + r, j0..j0 + cols) lies inside the m x n matrix C
            // behind `ptr`, within the column range owned by this thread; no
            // other thread forms a reference to these elements.
            let dst = unsafe {
                std::slice::from_raw_parts_mut(self.ptr.0.add((i0 + r) * self.ldc + j0), cols)
            };
            if add {
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            } else {
                dst.copy_from_slice(src);
            }
        }
    }
}

/// A 64-byte-aligned scratch buffer, recycled per thread: a product's
/// packing buffers come back for the next one instead of being freshly
/// mapped and zeroed by the OS each call.
struct Aligned {
    buf: Vec<f32>,
    start: usize,
}

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Vec<f32>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Buffers a thread keeps for reuse.
const MAX_SPARE: usize = 4;

impl Aligned {
    fn new(len: usize) -> Aligned {
        let want = len + 16;
        let mut buf = SPARE.with(|s| {
            let mut s = s.borrow_mut();
            // The smallest buffer that fits, else the largest (to grow).
            let pick = s
                .iter()
                .enumerate()
                .filter(|(_, b)| b.len() >= want)
                .min_by_key(|(_, b)| b.len())
                .or_else(|| s.iter().enumerate().max_by_key(|(_, b)| b.len()))
                .map(|(i, _)| i);
            pick.map(|i| s.swap_remove(i)).unwrap_or_default()
        });
        if buf.len() < want {
            buf.resize(want, 0.0);
        }
        let start = buf.as_ptr().align_offset(64).min(16);
        Aligned { buf, start }
    }

    fn get(&mut self, len: usize) -> &mut [f32] {
        &mut self.buf[self.start..self.start + len]
    }
}

impl Drop for Aligned {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        SPARE.with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < MAX_SPARE {
                s.push(buf);
            }
        });
    }
}

/// One thread's share of the product: columns `cols` of C = A B[:, cols],
/// with A already packed (`apack`: one block of panels per depth block).
#[allow(clippy::too_many_arguments)]
fn gemm_columns<T: Element>(
    g: &Gemm,
    m: usize,
    n: usize,
    k: usize,
    apack: &[f32],
    b: &[T],
    layout: BLayout,
    widen: fn(&[T], &mut [f32]),
    cols: std::ops::Range<usize>,
    out: &CWriter,
) {
    let (mr, nr) = (g.mr, g.nr);
    let kc_max = g.kc.min(k);
    let nc_max = g.nc.min(cols.len()).div_ceil(nr) * nr;
    let mut bpack = Aligned::new(kc_max * nc_max);
    let mut tile = Aligned::new(mr * nr);
    let mut scratch = Aligned::new(kc_max * nr);
    let mc_panels = (g.mc / mr).max(1);
    let a_panel = g.kc * mr;
    let a_block = m.div_ceil(mr) * a_panel;
    for jc in cols.clone().step_by(g.nc) {
        let nc = g.nc.min(cols.end - jc);
        for (kb, pc) in (0..k).step_by(g.kc).enumerate() {
            let kc = g.kc.min(k - pc);
            let bp = bpack.get(kc * nc.div_ceil(nr) * nr);
            pack_b(
                b,
                n,
                k,
                layout,
                widen,
                pc,
                kc,
                jc,
                nc,
                nr,
                bp,
                scratch.get(kc * nr),
            );
            let ablocks = &apack[kb * a_block..(kb + 1) * a_block];
            for (ib, ablock) in ablocks.chunks(a_panel * mc_panels).enumerate() {
                let ic = ib * mc_panels * mr;
                for (jp, bpanel) in bp.chunks_exact(kc * nr).enumerate() {
                    let j = jc + jp * nr;
                    let w = nr.min(jc + nc - j);
                    for (ip, apanel) in ablock.chunks_exact(a_panel).enumerate() {
                        let i = ic + ip * mr;
                        let h = mr.min(m - i);
                        if h == mr && w == nr {
                            // SAFETY: rows i..i+mr and columns j..j+nr lie inside
                            // the m x n matrix C, within this thread's columns;
                            // nothing else accesses them during the call.
                            unsafe { (g.kernel)(kc, apanel, bpanel, out.at(i, j), n, pc > 0) };
                        } else {
                            let t = tile.get(mr * nr);
                            // SAFETY: `t` is an mr x nr buffer owned here (stride nr).
                            unsafe { (g.kernel)(kc, apanel, bpanel, t.as_mut_ptr(), nr, false) };
                            out.put(t, nr, i, j, h, w, pc > 0);
                        }
                    }
                }
            }
        }
    }
}

/// Packs all of A into blocks of `mr`-row panels, one block per depth
/// block of `g.kc`, the panels split across `parts` threads.
fn pack_a_parallel(a: &[f32], k: usize, m: usize, g: &Gemm, parts: usize, dst: &mut [f32]) {
    let panel = g.kc * g.mr;
    let panels = m.div_ceil(g.mr);
    let a_block = panels * panel;
    // Work items: (depth block, group of panels).
    let per = panels.div_ceil(parts.max(1));
    let pack_block = |kb: usize, block: &mut [f32]| {
        let pc = kb * g.kc;
        let kc = g.kc.min(k - pc);
        for (gi, group) in block.chunks_mut(per * panel).enumerate() {
            let i0 = gi * per * g.mr;
            let rows = (group.len() / panel * g.mr).min(m - i0);
            pack_a(a, k, i0, rows, pc, kc, g, group);
        }
    };
    if parts <= 1 {
        for (kb, block) in dst.chunks_mut(a_block).enumerate() {
            pack_block(kb, block);
        }
        return;
    }
    use rayon::prelude::*;
    parallel::pool().install(|| {
        dst.par_chunks_mut(a_block)
            .enumerate()
            .for_each(|(kb, block)| pack_block(kb, block));
    });
}

/// Packs A[i0..i0+rows, pc..pc+kc] into panels of `g.mr` rows, each row
/// `g.kc` long (only the first `kc` are read); missing rows are zero.
#[allow(clippy::too_many_arguments)]
fn pack_a(
    a: &[f32],
    k: usize,
    i0: usize,
    rows: usize,
    pc: usize,
    kc: usize,
    g: &Gemm,
    dst: &mut [f32],
) {
    for (ip, panel) in dst.chunks_exact_mut(g.kc * g.mr).enumerate() {
        let first = i0 + ip * g.mr;
        for (r, prow) in panel.chunks_exact_mut(g.kc).enumerate() {
            let i = first + r;
            if i < i0 + rows {
                prow[..kc].copy_from_slice(&a[i * k + pc..i * k + pc + kc]);
            } else {
                prow[..kc].fill(0.0);
            }
        }
    }
}

/// Packs B[pc..pc+kc, jc..jc+nc] into `nr`-wide row panels of `f32`, zero-padded.
#[allow(clippy::too_many_arguments)]
fn pack_b<T: Element>(
    b: &[T],
    n: usize,
    k: usize,
    layout: BLayout,
    widen: fn(&[T], &mut [f32]),
    pc: usize,
    kc: usize,
    jc: usize,
    nc: usize,
    nr: usize,
    dst: &mut [f32],
    row: &mut [f32],
) {
    for (jp, panel) in dst.chunks_exact_mut(kc * nr).enumerate() {
        let j0 = jc + jp * nr;
        let w = nr.min(jc + nc - j0);
        if w < nr {
            panel.fill(0.0);
        }
        match layout {
            BLayout::KxN => {
                for p in 0..kc {
                    let start = (pc + p) * n + j0;
                    widen(&b[start..start + w], &mut panel[p * nr..p * nr + w]);
                }
            }
            BLayout::NxK => {
                // Widen the w rows side by side, then interleave them so the
                // panel is written sequentially.
                for j in 0..w {
                    let start = (j0 + j) * k + pc;
                    widen(&b[start..start + kc], &mut row[j * kc..(j + 1) * kc]);
                }
                for (p, out) in panel.chunks_exact_mut(nr).enumerate() {
                    for (j, o) in out[..w].iter_mut().enumerate() {
                        *o = row[j * kc + p];
                    }
                }
            }
        }
    }
}

/// `C = A B` (or `A Bᵀ`) for a 2-D `f32` tensor `a` and a 2-D tensor `b` of any dtype.
pub fn matmul(a: &Tensor, b: &Tensor, layout: BLayout) -> Result<Tensor> {
    let (&[m, k], &[br, bc]) = (a.shape(), b.shape()) else {
        return Err(Error::ShapeMismatch {
            op: "matmul",
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
        });
    };
    let (kb, n) = match layout {
        BLayout::KxN => (br, bc),
        BLayout::NxK => (bc, br),
    };
    if kb != k {
        return Err(Error::ShapeMismatch {
            op: "matmul",
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
        });
    }
    let x = a.f32s("matmul")?;
    let mut c = vec![0.0f32; m * n];
    match b.dtype() {
        DType::F32 => gemm(m, n, k, x, b.as_slice::<f32>()?, layout, &mut c)?,
        DType::F16 => gemm(m, n, k, x, b.as_slice::<f16>()?, layout, &mut c)?,
        DType::BF16 => gemm(m, n, k, x, b.as_slice::<bf16>()?, layout, &mut c)?,
    }
    Tensor::from_vec(&[m, n], c)
}

impl Tensor {
    /// `self @ b` for `self: [m, k]` (f32) and `b: [k, n]` (f32, f16 or bf16).
    ///
    /// ```
    /// use realizar_tensor::Tensor;
    /// let a = Tensor::from_vec(&[1, 2], vec![1.0f32, 2.0])?;
    /// let b = Tensor::from_vec(&[2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?;
    /// assert_eq!(a.matmul(&b)?.to_vec_f32(), vec![7.0, 10.0]);
    /// # Ok::<(), realizar_tensor::Error>(())
    /// ```
    pub fn matmul(&self, b: &Tensor) -> Result<Tensor> {
        matmul(self, b, BLayout::KxN)
    }

    /// `self @ wᵀ` for `self: [m, k]` and a linear layer's weight `w: [n, k]`.
    pub fn matmul_t(&self, w: &Tensor) -> Result<Tensor> {
        matmul(self, w, BLayout::NxK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &[f32], b: &[f32]) -> Vec<f64> {
        let mut c = vec![0.0f64; m * n];
        for i in 0..m {
            for p in 0..k {
                for j in 0..n {
                    c[i * n + j] += a[i * k + p] as f64 * b[p * n + j] as f64;
                }
            }
        }
        c
    }

    fn data(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i + seed) * 2654435761) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    #[test]
    fn matches_naive_on_awkward_sizes() {
        for &(m, n, k) in &[
            (1, 1, 1),
            (3, 5, 7),
            (13, 33, 17),
            (37, 70, 300),
            (100, 1, 9),
            (1, 100, 513),
        ] {
            let a = data(m * k, 1);
            let b = data(k * n, 2);
            let want = naive(m, n, k, &a, &b);
            let mut c = vec![f32::NAN; m * n];
            gemm(m, n, k, &a, &b, BLayout::KxN, &mut c).unwrap();
            for (x, y) in c.iter().zip(&want) {
                assert!(
                    (*x as f64 - y).abs() <= 1e-5 * k as f64,
                    "{m}x{n}x{k}: {x} vs {y}"
                );
            }
            // The transposed layout gives the same product.
            let bt = Tensor::from_vec(&[k, n], b.clone())
                .unwrap()
                .transpose()
                .unwrap();
            let mut c2 = vec![0.0; m * n];
            gemm(
                m,
                n,
                k,
                &a,
                bt.as_slice::<f32>().unwrap(),
                BLayout::NxK,
                &mut c2,
            )
            .unwrap();
            for (x, y) in c2.iter().zip(&want) {
                assert!((*x as f64 - y).abs() <= 1e-5 * k as f64);
            }
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        let a = Tensor::zeros(&[2, 3]).unwrap();
        assert!(a.matmul(&Tensor::zeros(&[2, 3]).unwrap()).is_err());
        assert!(a.matmul_t(&Tensor::zeros(&[3, 2]).unwrap()).is_err());
        assert!(a.matmul(&Tensor::zeros(&[3]).unwrap()).is_err());
        let mut c = vec![0.0; 4];
        assert!(gemm(2, 2, 3, &[0.0; 6], &[0.0f32; 5], BLayout::KxN, &mut c).is_err());
        assert!(gemm(2, 2, 3, &[0.0; 5], &[0.0f32; 6], BLayout::KxN, &mut c).is_err());
        assert!(
            gemm(
                usize::MAX,
                2,
                3,
                &[0.0; 6],
                &[0.0f32; 6],
                BLayout::KxN,
                &mut c
            )
            .is_err()
        );
        gemm(2, 2, 0, &[], &[0.0f32; 0], BLayout::KxN, &mut c).unwrap();
        assert_eq!(c, vec![0.0; 4]);
    }
}
