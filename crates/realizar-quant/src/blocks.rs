//! The two block types, byte for byte as ggml lays them out.
//!
//! ```text
//! BlockQ4_0 (18 bytes, 32 weights)          BlockQ8_0 (34 bytes, 32 weights)
//! byte  0..2   d   f16 little-endian        byte  0..2   d   f16 little-endian
//! byte  2..18  qs  16 x u8: weight j in      byte  2..34  qs  32 x i8: weight j = qs[j] * d
//!              the low nibble of qs[j],
//!              weight j+16 in the high
//!              nibble; value = (nibble - 8) * d
//! ```
//!
//! Both are `#[repr(C)]` with no padding and implement [`bytemuck::Pod`], so
//! a tensor's bytes (from a GGUF file, say) are viewed as blocks without a
//! copy. Their alignment is 2 (that of the `f16` scale), as in C: a byte
//! buffer at an odd address cannot be viewed in place; [`BlockQ4_0::slice_from_bytes`]
//! says so with [`Error::Misaligned`], and [`BlockQ4_0::vec_from_bytes`]
//! copies instead. GGUF aligns tensor data to 32 bytes, so memory-mapped
//! model files never hit that case.

use crate::activations::Q8Activations;
use crate::error::{Error, Result};
use crate::kernels::{DotCols, DotRows, QuantKernels};
use bytemuck::{Pod, Zeroable};
use half::f16;

/// Values per block, for both formats.
pub const QK: usize = 32;

/// 32 weights as 4-bit integers `0..=15` around 8, times one `f16` scale.
///
/// Memory layout (18 bytes, alignment 2) equals ggml's `block_q4_0`.
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ4_0 {
    /// The scale `d`: weight `j` is `(nibble_j - 8) * d`.
    pub d: f16,
    /// Nibbles: `qs[j] & 0xF` is weight `j`, `qs[j] >> 4` is weight `j + 16`.
    pub qs: [u8; QK / 2],
}

/// 32 weights as 8-bit integers `-127..=127`, times one `f16` scale.
///
/// Memory layout (34 bytes, alignment 2) equals ggml's `block_q8_0`.
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
pub struct BlockQ8_0 {
    /// The scale `d`: weight `j` is `qs[j] * d`.
    pub d: f16,
    /// The quantized weights.
    pub qs: [i8; QK],
}

/// Blocks are equal when their bytes are (so `-0.0` and `0.0` scales differ
/// and a NaN scale equals itself), which is what byte-compatibility means.
macro_rules! bytewise_eq {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                bytemuck::bytes_of(self) == bytemuck::bytes_of(other)
            }
        }
        impl Eq for $t {}
    };
}
bytewise_eq!(BlockQ4_0);
bytewise_eq!(BlockQ8_0);

const _: () = assert!(std::mem::size_of::<BlockQ4_0>() == 18);
const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == 34);
const _: () = assert!(std::mem::align_of::<BlockQ4_0>() == 2);
const _: () = assert!(std::mem::align_of::<BlockQ8_0>() == 2);

/// What the two block types share: their name, size, and how to view bytes as them.
pub trait QuantBlock: Pod + std::fmt::Debug + Send + Sync {
    /// ggml's name of the format (`"Q4_0"`, `"Q8_0"`).
    const NAME: &'static str;
    /// Bytes per block.
    const BYTES: usize = std::mem::size_of::<Self>();

    /// Views `bytes` as blocks without copying.
    ///
    /// Fails with [`Error::ByteLength`] when the length is not a multiple of
    /// [`Self::BYTES`] and with [`Error::Misaligned`] when `bytes` starts at
    /// an odd address (the `f16` scale needs 2-byte alignment).
    fn slice_from_bytes(bytes: &[u8]) -> Result<&[Self]> {
        check_bytes::<Self>(bytes)?;
        bytemuck::try_cast_slice(bytes).map_err(|_| Error::Misaligned {
            format: Self::NAME,
            addr: bytes.as_ptr() as usize,
        })
    }

    /// Views `bytes` as mutable blocks without copying (same checks as
    /// [`Self::slice_from_bytes`]).
    fn slice_from_bytes_mut(bytes: &mut [u8]) -> Result<&mut [Self]> {
        check_bytes::<Self>(bytes)?;
        let addr = bytes.as_ptr() as usize;
        bytemuck::try_cast_slice_mut(bytes).map_err(|_| Error::Misaligned {
            format: Self::NAME,
            addr,
        })
    }

    /// Copies `bytes` into new blocks; works at any alignment.
    fn vec_from_bytes(bytes: &[u8]) -> Result<Vec<Self>> {
        check_bytes::<Self>(bytes)?;
        let mut out = vec![Self::zeroed(); bytes.len() / Self::BYTES];
        bytemuck::cast_slice_mut::<Self, u8>(&mut out).copy_from_slice(bytes);
        Ok(out)
    }

    /// The blocks' bytes, exactly as ggml stores them (no copy).
    fn as_bytes(blocks: &[Self]) -> &[u8] {
        bytemuck::cast_slice(blocks)
    }

    /// This format's row-times-activations dot kernel in the table `k`.
    fn dot_kernel(k: &QuantKernels) -> fn(&[Self], &Q8Activations) -> f32;

    /// This format's [`ROWS`](crate::kernels::ROWS)-rows-at-once dot kernel
    /// in the table `k`, if it has one.
    fn dot_rows_kernel(k: &QuantKernels) -> Option<DotRows<Self>>;

    /// This format's one-row-[`COLS`](crate::kernels::COLS)-vectors dot
    /// kernel in the table `k`, if it has one.
    fn dot_cols_kernel(k: &QuantKernels) -> Option<DotCols<Self>>;
}

fn check_bytes<B: QuantBlock>(bytes: &[u8]) -> Result<()> {
    if !bytes.len().is_multiple_of(B::BYTES) {
        return Err(Error::ByteLength {
            format: B::NAME,
            block_bytes: B::BYTES,
            len: bytes.len(),
        });
    }
    Ok(())
}

impl QuantBlock for BlockQ4_0 {
    const NAME: &'static str = "Q4_0";
    fn dot_kernel(k: &QuantKernels) -> fn(&[Self], &Q8Activations) -> f32 {
        k.dot_q4_0
    }
    fn dot_rows_kernel(k: &QuantKernels) -> Option<DotRows<Self>> {
        k.dot_rows_q4_0
    }
    fn dot_cols_kernel(k: &QuantKernels) -> Option<DotCols<Self>> {
        k.dot_cols_q4_0
    }
}

impl QuantBlock for BlockQ8_0 {
    const NAME: &'static str = "Q8_0";
    fn dot_kernel(k: &QuantKernels) -> fn(&[Self], &Q8Activations) -> f32 {
        k.dot_q8_0
    }
    fn dot_rows_kernel(k: &QuantKernels) -> Option<DotRows<Self>> {
        k.dot_rows_q8_0
    }
    fn dot_cols_kernel(_: &QuantKernels) -> Option<DotCols<Self>> {
        None
    }
}

impl BlockQ4_0 {
    /// The 32 weights of this block as 4-bit values `0..=15` (before the `- 8`), in order.
    pub fn nibbles(&self) -> [u8; QK] {
        let mut out = [0u8; QK];
        for (j, &b) in self.qs.iter().enumerate() {
            out[j] = b & 0x0F;
            out[j + QK / 2] = b >> 4;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_ggml() {
        let b = BlockQ4_0 {
            d: f16::from_f32(1.0),
            qs: std::array::from_fn(|i| i as u8),
        };
        let bytes = BlockQ4_0::as_bytes(std::slice::from_ref(&b));
        assert_eq!(bytes.len(), 18);
        assert_eq!(&bytes[..2], &[0x00, 0x3C]); // 1.0 in f16, little-endian
        assert_eq!(bytes[2], 0);
        assert_eq!(bytes[17], 15);
        let q = BlockQ8_0 {
            d: f16::from_f32(-2.0),
            qs: std::array::from_fn(|i| i as i8 - 16),
        };
        let bytes = BlockQ8_0::as_bytes(std::slice::from_ref(&q));
        assert_eq!(bytes.len(), 34);
        assert_eq!(&bytes[..2], &[0x00, 0xC0]);
        assert_eq!(bytes[2], (-16i8) as u8);
    }

    #[test]
    fn byte_views() {
        let mut buf = vec![0u16; 40]; // 80 bytes at an even address
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
        assert_eq!(BlockQ4_0::slice_from_bytes(&bytes[..72]).unwrap().len(), 4);
        assert_eq!(BlockQ8_0::slice_from_bytes(&bytes[..68]).unwrap().len(), 2);
        assert!(matches!(
            BlockQ4_0::slice_from_bytes(&bytes[..17]),
            Err(Error::ByteLength { .. })
        ));
        assert!(matches!(
            BlockQ4_0::slice_from_bytes(&bytes[1..19]),
            Err(Error::Misaligned { .. })
        ));
        assert_eq!(BlockQ4_0::vec_from_bytes(&bytes[1..19]).unwrap().len(), 1);
        BlockQ8_0::slice_from_bytes_mut(&mut bytes[..34]).unwrap()[0].qs[0] = 5;
        assert_eq!(bytes[2], 5);
    }
}
