//! The synthetic MNIST-shaped data set and the demo model trained on it.
//!
//! The data set is defined by a formula, so the Python peers of the
//! comparative benchmarks generate exactly the same inputs:
//! `pixel(i, j) = ((i * 17 + j * 31) mod 256) / 255` for sample `i` and
//! pixel `j` in `0..784`, label `0` when `i % 10 == 0`, else `1`.
//!
//! A property to know when reading accuracies: the pixels depend on `i` only
//! through `i mod 256`, so sample `i + 256` repeats sample `i` while its label
//! may differ (`256 % 10 != 0`). With 1000 samples every repeated group holds
//! at most one label-0 sample and at least two label-1 samples, so no
//! classifier beats 90% training accuracy, and the best one (which a fitted
//! model reaches) predicts class 1 everywhere. The first 256 samples are all
//! distinct and linearly independent, hence separable. The benchmarks
//! measure latency, for which the inputs' shape (784 floats in `[0, 1]`) is
//! what matters.

use crate::error::Result;
use crate::model::{ClassicalModel, FitConfig, LogisticRegression};

/// Pixels per sample (28 x 28).
pub const MNIST_DIM: usize = 784;

/// Samples `n` with `dim` features each, row-major, and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, `n * dim` values, row-major.
    pub x: Vec<f32>,
    /// Labels, `n` values.
    pub y: Vec<u32>,
    /// Number of samples.
    pub n: usize,
    /// Features per sample.
    pub dim: usize,
}

impl Dataset {
    /// The features of sample `i`.
    pub fn sample(&self, i: usize) -> Option<&[f32]> {
        self.x.get(i * self.dim..(i + 1) * self.dim)
    }
}

/// `n` samples of the synthetic MNIST-shaped data set (see the module
/// documentation for the formula).
pub fn synthetic_mnist(n: usize) -> Dataset {
    let mut x = Vec::with_capacity(n * MNIST_DIM);
    for i in 0..n {
        // (i * 17 + j * 31) mod 256, computed without overflow for any i.
        let base = (i % 256) * 17;
        x.extend((0..MNIST_DIM).map(|j| ((base + j * 31) % 256) as f32 / 255.0));
    }
    let y = (0..n).map(|i| u32::from(i % 10 != 0)).collect();
    Dataset {
        x,
        y,
        n,
        dim: MNIST_DIM,
    }
}

/// The demo model: a binary [`LogisticRegression`] (784 -> 2) fitted to
/// `synthetic_mnist(1000)` with [`FitConfig::default`] (seed 42), version
/// `"1.0.0"`. Deterministic on a given machine.
pub fn demo_model() -> Result<ClassicalModel> {
    let data = synthetic_mnist(1000);
    let model = LogisticRegression::fit(&data.x, &data.y, data.n, data.dim, &FitConfig::default())?;
    Ok(model.with_version("1.0.0").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula() {
        let d = synthetic_mnist(12);
        assert_eq!((d.n, d.dim, d.x.len(), d.y.len()), (12, 784, 12 * 784, 12));
        for (i, j) in [(0, 0), (1, 0), (3, 5), (11, 783)] {
            let want = ((i * 17 + j * 31) % 256) as f32 / 255.0;
            assert_eq!(d.sample(i).unwrap()[j], want);
        }
        assert_eq!(d.sample(3).unwrap()[5], 206.0 / 255.0);
        assert_eq!(&d.y[..], &[0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1]);
        assert!(d.sample(12).is_none());
        // Period 256 in the sample index.
        let big = synthetic_mnist(300);
        assert_eq!(big.sample(0), big.sample(256));
    }

    #[test]
    fn demo_model_is_deterministic_and_predicts_the_majority() {
        let a = demo_model().unwrap();
        let b = demo_model().unwrap();
        let (ClassicalModel::Logistic(la), ClassicalModel::Logistic(lb)) = (&a, &b) else {
            panic!("demo model is not a logistic regression");
        };
        assert!(la.weight() == lb.weight() && la.bias() == lb.bias());
        assert_eq!(
            (a.model_type(), a.version()),
            ("logistic_regression", "1.0.0")
        );
        assert_eq!((a.input_dim(), a.n_classes()), (784, 2));
        let data = synthetic_mnist(1000);
        let mut pred = vec![0; 1000];
        a.predict_batch(&data.x, &mut pred).unwrap();
        let correct = pred.iter().zip(&data.y).filter(|(p, y)| p == y).count();
        assert_eq!(correct, 900);
    }
}
