//! Activations quantized to Q8_0 once, for many dot products.

use crate::blocks::{BlockQ8_0, QK};
use crate::error::{Error, Result};
use crate::kernels::kernels;

/// An `f32` vector quantized to Q8_0 (ggml's reference rounding), plus the
/// per-block values the SIMD dot kernels want ready-made.
///
/// A matrix-vector product quantizes its `x` once into this and then takes
/// one dot product per weight row, as llama.cpp does. Beside the
/// [`blocks`](Self::blocks) (the exact Q8_0 bytes) it keeps, per block:
/// the 32 quants contiguous (for 64-byte loads of two blocks), the scale as
/// `f32` repeated 8 times, and 8 lane biases: `-8 (y[4l] + ... + y[4l+3])`
/// for lane `l`. The x86 kernels multiply unsigned by signed bytes
/// (`vpmaddubsw`, `vpdpbusd`), so they compute `sum (n) y` over the nibbles
/// `n = q + 8` and start each 32-bit lane from its bias: every lane then
/// holds exactly `sum (n - 8) y` of its 4 elements, as in ggml's kernels,
/// before it is converted to `f32` and scaled.
///
/// ```
/// use realizar_quant::{Q8Activations, BlockQ8_0};
/// let x: Vec<f32> = (0..64).map(|i| i as f32 - 32.0).collect();
/// let a = Q8Activations::quantize(&x)?;
/// assert_eq!(a.blocks().len(), 2);
/// assert_eq!(a.blocks()[0].qs[0], -127); // -32 is the block's largest magnitude
/// # Ok::<(), realizar_quant::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Q8Activations {
    pub(crate) blocks: Vec<BlockQ8_0>,
    /// The quants of every block, contiguous (32 per block).
    pub(crate) qs: Vec<i8>,
    /// Each block's scale as `f32`, 8 times.
    pub(crate) d8: Vec<f32>,
    /// Each block's scale as `f32`, once (for kernels that scale 8 blocks at once).
    pub(crate) d: Vec<f32>,
    /// Per block, per 32-bit lane `l`: `-8 * sum(qs[4l..4l + 4])`.
    pub(crate) bias8: Vec<i32>,
    /// `16 * bias8` (`-128 * sum` per lane), the Q8_0 kernels' bias.
    pub(crate) bias128: Vec<i32>,
    /// Per whole group of 4 blocks: the first 16 quants of each block (64
    /// bytes), then the last 16 of each (64 bytes): the order of a Q4_0
    /// group's low and high nibbles when its 4 blocks' nibble bytes sit in
    /// one register.
    pub(crate) qs_groups: Vec<i8>,
    /// Per whole group of 4 blocks, per block `k` and lane `l` (16 lanes):
    /// `-8 * (sum qs[4l..4l + 4] + sum qs[16 + 4l..16 + 4l + 4])`.
    pub(crate) bias_groups: Vec<i32>,
}

/// Blocks per group in [`Q8Activations`]' group layout.
pub(crate) const GROUP: usize = 4;

impl Q8Activations {
    /// Empty activations (quantize into them with [`Self::quantize_into`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Quantizes `x` (a multiple of 32 values long) with [`crate::quantize_row_q8_0`].
    pub fn quantize(x: &[f32]) -> Result<Self> {
        let mut a = Self::new();
        a.quantize_into(x)?;
        Ok(a)
    }

    /// Quantizes `x` into `self`, reusing its buffers.
    pub fn quantize_into(&mut self, x: &[f32]) -> Result<()> {
        if !x.len().is_multiple_of(QK) {
            return Err(Error::NotBlockMultiple {
                op: "Q8Activations::quantize",
                what: "x",
                len: x.len(),
            });
        }
        self.blocks.clear();
        self.blocks
            .resize(x.len() / QK, bytemuck::Zeroable::zeroed());
        (kernels().quantize_q8_0)(x, &mut self.blocks);
        self.derive();
        Ok(())
    }

    /// Activations from blocks already in Q8_0.
    pub fn from_blocks(blocks: &[BlockQ8_0]) -> Self {
        let mut a = Self::new();
        a.set_blocks(blocks);
        a
    }

    /// Replaces the contents with `blocks`, reusing the buffers.
    pub fn set_blocks(&mut self, blocks: &[BlockQ8_0]) {
        self.blocks.clear();
        self.blocks.extend_from_slice(blocks);
        self.derive();
    }

    /// The Q8_0 blocks, byte-identical to ggml's `quantize_row_q8_0_ref`.
    pub fn blocks(&self) -> &[BlockQ8_0] {
        &self.blocks
    }

    /// Number of blocks.
    pub fn num_blocks(&self) -> usize {
        self.blocks.len()
    }

    /// Number of values (32 per block).
    pub fn len(&self) -> usize {
        self.blocks.len() * QK
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    fn derive(&mut self) {
        let n = self.blocks.len();
        self.qs.resize(n * QK, 0);
        self.d8.resize(n * 8, 0.0);
        self.d.resize(n, 0.0);
        self.bias8.resize(n * 8, 0);
        self.bias128.resize(n * 8, 0);
        let parts = self
            .qs
            .chunks_exact_mut(QK)
            .zip(self.d8.chunks_exact_mut(8))
            .zip(self.d.iter_mut())
            .zip(self.bias8.chunks_exact_mut(8))
            .zip(self.bias128.chunks_exact_mut(8));
        for (b, ((((qs, d8), d), bias), bias128)) in self.blocks.iter().zip(parts) {
            qs.copy_from_slice(&b.qs);
            *d = b.d.to_f32();
            d8.fill(*d);
            for (o, l) in bias.iter_mut().zip(b.qs.chunks_exact(4)) {
                *o = -8 * (l[0] as i32 + l[1] as i32 + l[2] as i32 + l[3] as i32);
            }
            for (o, &b) in bias128.iter_mut().zip(bias.iter()) {
                *o = 16 * b;
            }
        }
        let groups = n / GROUP;
        self.qs_groups.resize(groups * GROUP * QK, 0);
        self.bias_groups.resize(groups * GROUP * 4, 0);
        let parts = self
            .qs_groups
            .chunks_exact_mut(GROUP * QK)
            .zip(self.bias_groups.chunks_exact_mut(GROUP * 4))
            .zip(self.bias8.chunks_exact(GROUP * 8));
        for (blocks, ((qs, bias), bias8)) in self.blocks.chunks_exact(GROUP).zip(parts) {
            let (lo, hi) = qs.split_at_mut(GROUP * QK / 2);
            for (k, (b, b8)) in blocks.iter().zip(bias8.chunks_exact(8)).enumerate() {
                lo[16 * k..16 * k + 16].copy_from_slice(&b.qs[..16]);
                hi[16 * k..16 * k + 16].copy_from_slice(&b.qs[16..]);
                // Lane l of a group takes elements 4l.. and 16 + 4l..: the
                // block's 4-element lanes l and l + 4.
                for l in 0..4 {
                    bias[4 * k + l] = b8[l] + b8[l + 4];
                }
            }
        }
    }
}
