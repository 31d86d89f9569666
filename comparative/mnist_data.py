"""The synthetic MNIST-shaped data set of the comparison, identical to Rust's.

`realizar_infer::data::synthetic_mnist(n)` and `synthetic_mnist(n)` here build
the same data, bit for bit:

    pixel(i, j) = ((i * 17 + j * 31) mod 256) / 255   (f32; sample i, pixel j of 784)
    label(i)    = 0 if i mod 10 == 0 else 1

The division is one IEEE f32 division of two exactly representable values,
so it rounds the same in numpy and in Rust. `dataset_fnv1a64` hashes the f32
bytes (little-endian, row-major) followed by the labels as u32 LE;
crates/realizar-infer/tests/pytorch_same_weights.rs recomputes the hash over
Rust's data and compares it with the one the fixture records.
"""

from __future__ import annotations

import numpy as np

DIM = 784
N_CLASSES = 2
N_SAMPLES = 1000
SEED = 42

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1


def synthetic_mnist(n: int = N_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Returns (x, y): x of shape (n, 784) float32, y of shape (n,) int64."""
    i = np.arange(n, dtype=np.int64)[:, None]
    j = np.arange(DIM, dtype=np.int64)[None, :]
    x = ((i * 17 + j * 31) % 256).astype(np.float32) / np.float32(255.0)
    assert x.dtype == np.float32
    y = np.where(np.arange(n) % 10 == 0, 0, 1).astype(np.int64)
    return np.ascontiguousarray(x), y


def fnv1a64(data: bytes, h: int = _FNV_OFFSET) -> int:
    """FNV-1a, 64 bit, continuing from `h`."""
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & _MASK
    return h


def dataset_fnv1a64(x: np.ndarray, y: np.ndarray) -> int:
    """FNV-1a 64 of x as f32 LE bytes (row-major) then y as u32 LE bytes."""
    h = fnv1a64(np.ascontiguousarray(x, dtype="<f4").tobytes())
    return fnv1a64(np.ascontiguousarray(y, dtype="<u4").tobytes(), h)


if __name__ == "__main__":
    xs, ys = synthetic_mnist()
    print(
        f"n={len(ys)} dim={xs.shape[1]} class0={int((ys == 0).sum())} "
        f"fnv1a64={dataset_fnv1a64(xs, ys):016x} x[1,1]={xs[1, 1]!r}"
    )
