//! SiLU and GELU.

use crate::error::Result;
use crate::kernels::kernels;
use crate::tensor::Tensor;

/// Which form of GELU to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeluApprox {
    /// The exact `0.5 x (1 + erf(x / sqrt 2))` (PyTorch `approximate="none"`).
    Erf,
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))` (PyTorch `approximate="tanh"`, GPT-2).
    Tanh,
}

/// SiLU (`x * sigmoid(x)`) in place.
pub fn silu_in_place(x: &mut [f32]) {
    (kernels().silu)(x)
}

/// GELU in place.
pub fn gelu_in_place(x: &mut [f32], approx: GeluApprox) {
    match approx {
        GeluApprox::Tanh => (kernels().gelu_tanh)(x),
        GeluApprox::Erf => {
            for v in x.iter_mut() {
                *v = 0.5 * *v * (1.0 + libm::erff(*v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }
}

/// SiLU of every element of an `f32` tensor.
pub fn silu(t: &Tensor) -> Result<Tensor> {
    let mut d = t.f32s("silu")?.to_vec();
    silu_in_place(&mut d);
    Tensor::from_vec(t.shape(), d)
}

/// GELU of every element of an `f32` tensor.
pub fn gelu(t: &Tensor, approx: GeluApprox) -> Result<Tensor> {
    let mut d = t.f32s("gelu")?.to_vec();
    gelu_in_place(&mut d, approx);
    Tensor::from_vec(t.shape(), d)
}

impl Tensor {
    /// SiLU of every element.
    pub fn silu(&self) -> Result<Tensor> {
        silu(self)
    }

    /// GELU of every element.
    pub fn gelu(&self, approx: GeluApprox) -> Result<Tensor> {
        gelu(self, approx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Values from torch.nn.functional.{silu,gelu}.
        let x = Tensor::from_vec(&[3], vec![-1.0f32, 0.0, 2.0]).unwrap();
        let s = x.silu().unwrap().to_vec_f32();
        for (a, b) in s.iter().zip([-0.268_941_43, 0.0, 1.761_594_2]) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        let g = x.gelu(GeluApprox::Erf).unwrap().to_vec_f32();
        for (a, b) in g.iter().zip([-0.158_655_25, 0.0, 1.954_499_7]) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        let t = x.gelu(GeluApprox::Tanh).unwrap().to_vec_f32();
        for (a, b) in t.iter().zip([-0.158_808, 0.0, 1.954_597_7]) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}
