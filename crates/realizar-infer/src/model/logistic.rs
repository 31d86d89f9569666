//! Binary logistic regression and multinomial (softmax) regression.
//!
//! Both are a dot product per class over the input, so prediction is bound
//! by the dot kernel: the weights live in 64-byte aligned buffers and the
//! dot product is one call through the function pointer the tensor crate
//! picked for this CPU (AVX-512, AVX2+FMA, NEON or scalar). Prediction
//! allocates nothing.
//!
//! Inputs are checked for free: a NaN or infinite feature makes the score
//! NaN or infinite (`0 * inf` is NaN), so only a non-finite score triggers
//! the scan that names the bad feature.

use super::aligned::AlignedF32;
use super::fit::{self, Loss};
use super::math::sigmoid_pair;
use crate::error::{Error, Result};

/// The dot-product kernel: `sum a[i] * b[i]` over equal-length slices.
pub(crate) type DotFn = fn(&[f32], &[f32]) -> f32;

/// The dot kernel of the best instruction set of this CPU.
fn dot_kernel() -> DotFn {
    realizar_tensor::kernels::kernels().dot_f32
}

/// The version given to models that do not name one.
pub const DEFAULT_VERSION: &str = "0.0.0";

/// Settings of [`LogisticRegression::fit`] and [`SoftmaxRegression::fit`]:
/// mini-batch gradient descent (batches of [`FitConfig::BATCH_SIZE`]) on the
/// mean cross-entropy plus `l2 / 2 * |w|^2`, from zero weights, samples
/// shuffled each epoch by a generator seeded with `seed`, so a fit is
/// reproducible. Features are centred on their means during training (the
/// means are folded into the bias afterwards), which keeps all-positive
/// inputs such as pixels well conditioned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// Passes over the data (at least 1).
    pub epochs: usize,
    /// Step size (positive).
    pub learning_rate: f32,
    /// L2 penalty on the weights, not the bias (zero or positive).
    pub l2: f32,
    /// Seed of the shuffling.
    pub seed: u64,
}

impl FitConfig {
    /// Samples per gradient step.
    pub const BATCH_SIZE: usize = 32;
}

impl Default for FitConfig {
    /// 20 epochs at learning rate 0.1, no L2, seed 42.
    fn default() -> Self {
        Self {
            epochs: 20,
            learning_rate: 0.1,
            l2: 0.0,
            seed: 42,
        }
    }
}

/// Binary logistic regression: `p(class 1 | x) = sigmoid(w . x + b)`.
///
/// Class 1 is predicted when `w . x + b > 0` (probability above one half);
/// a tie goes to class 0, as `argmax` of the two-way softmax would.
#[derive(Debug, Clone)]
pub struct LogisticRegression {
    weight: AlignedF32,
    bias: f32,
    version: String,
    dot: DotFn,
}

impl LogisticRegression {
    /// A model with weights `weight` (length = input dimension, > 0) and
    /// bias `bias`, all finite. Its version is [`DEFAULT_VERSION`].
    pub fn new(weight: &[f32], bias: f32) -> Result<Self> {
        check_weights("weight", weight)?;
        check_weights("bias", &[bias])?;
        if weight.is_empty() {
            return Err(Error::WrongShape {
                tensor: "weight".into(),
                expected: "[1, d] with d >= 1".into(),
                found: vec![1, 0],
            });
        }
        Ok(Self {
            weight: AlignedF32::from_slice(weight),
            bias,
            version: DEFAULT_VERSION.to_string(),
            dot: dot_kernel(),
        })
    }

    /// The same model with version `version`.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Fits a model to `n` samples of `d` features (`x`, row-major) with
    /// labels `y` in `{0, 1}`, starting from zero weights.
    pub fn fit(x: &[f32], y: &[u32], n: usize, d: usize, config: &FitConfig) -> Result<Self> {
        let (w, b) = fit::fit(x, y, n, d, 2, Loss::Sigmoid, config)?;
        Self::new(&w, b[0]).map_err(|_| fit::diverged(config))
    }

    /// The weights, one per feature.
    pub fn weight(&self) -> &[f32] {
        self.weight.as_slice()
    }

    /// The bias.
    pub fn bias(&self) -> f32 {
        self.bias
    }

    /// The version string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The number of features a sample has.
    pub fn input_dim(&self) -> usize {
        self.weight.as_slice().len()
    }

    /// The score `w . x + b` (the log-odds of class 1).
    #[inline]
    pub fn decision_function(&self, x: &[f32]) -> Result<f32> {
        let w = self.weight.as_slice();
        if x.len() != w.len() {
            return Err(dimension_error(w.len(), x.len()));
        }
        let z = (self.dot)(w, x) + self.bias;
        if z.is_finite() {
            Ok(z)
        } else {
            Err(non_finite_error(x))
        }
    }

    /// The predicted class, 0 or 1.
    #[inline]
    pub fn predict(&self, x: &[f32]) -> Result<u32> {
        Ok(u32::from(self.decision_function(x)? > 0.0))
    }

    /// Writes `[p(class 0), p(class 1)]` into `out` (length 2).
    #[inline]
    pub fn predict_proba_into(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        let [p0, p1] = out else {
            return Err(Error::OutputLength {
                expected: 2,
                found: out.len(),
            });
        };
        (*p0, *p1) = sigmoid_pair(self.decision_function(x)?);
        Ok(())
    }

    /// Predicts `out.len()` samples held row-major in `xs`.
    pub fn predict_batch(&self, xs: &[f32], out: &mut [u32]) -> Result<()> {
        batch(xs, out, self.input_dim(), |x| self.predict(x))
    }

    pub(crate) fn weight_bytes(&self) -> usize {
        self.weight.bytes() + std::mem::size_of::<f32>() + self.version.len()
    }
}

/// Multinomial logistic (softmax) regression over `k >= 2` classes:
/// `p(c | x) = softmax(W x + b)[c]` with `W` of shape `[k, d]`, the layout of
/// PyTorch's `nn.Linear(d, k)`.
///
/// With two classes the model is evaluated with one dot product, as a
/// logistic regression on the difference of the two rows:
/// `softmax(l)[1] = 1 / (1 + exp(l0 - l1)) = sigmoid((w1 - w0) . x + (b1 - b0))`,
/// exactly equal in real arithmetic; the difference row is computed once, at
/// construction. The predicted class is the first largest logit (class 1
/// only when its score is strictly greater), as `argmax` returns.
#[derive(Debug, Clone)]
pub struct SoftmaxRegression {
    rows: Vec<AlignedF32>,
    bias: Vec<f32>,
    /// For `k == 2`: `w1 - w0` and `b1 - b0`.
    pair: Option<(AlignedF32, f32)>,
    version: String,
    dot: DotFn,
}

impl SoftmaxRegression {
    /// A model with weights `weight` (`k * d` values, row-major `[k, d]`)
    /// and biases `bias` (`k` values), `k >= 2`, `d >= 1`, all finite. Its
    /// version is [`DEFAULT_VERSION`].
    pub fn new(weight: &[f32], bias: &[f32]) -> Result<Self> {
        let k = bias.len();
        let d = weight.len().checked_div(k).unwrap_or(0);
        if k < 2 || d == 0 || weight.len() != k * d {
            return Err(Error::WrongShape {
                tensor: "weight".into(),
                expected: format!("[k, d] with k = {k} (the bias length) >= 2 and d >= 1"),
                found: vec![weight.len()],
            });
        }
        check_weights("weight", weight)?;
        check_weights("bias", bias)?;
        let rows: Vec<AlignedF32> = weight.chunks_exact(d).map(AlignedF32::from_slice).collect();
        let pair = (k == 2).then(|| {
            let diff: Vec<f32> = rows[1]
                .as_slice()
                .iter()
                .zip(rows[0].as_slice())
                .map(|(a, b)| a - b)
                .collect();
            (AlignedF32::from_slice(&diff), bias[1] - bias[0])
        });
        Ok(Self {
            rows,
            bias: bias.to_vec(),
            pair,
            version: DEFAULT_VERSION.to_string(),
            dot: dot_kernel(),
        })
    }

    /// The same model with version `version`.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Fits a model to `n` samples of `d` features (`x`, row-major) with
    /// labels `y`; the number of classes is the largest label plus one (at
    /// least 2). See [`SoftmaxRegression::fit_classes`] to set it.
    pub fn fit(x: &[f32], y: &[u32], n: usize, d: usize, config: &FitConfig) -> Result<Self> {
        let k = y
            .iter()
            .copied()
            .max()
            .map_or(2, |m| (m as usize + 1).max(2));
        Self::fit_classes(x, y, n, d, k, config)
    }

    /// Fits a model over `k >= 2` classes (labels must be below `k`).
    pub fn fit_classes(
        x: &[f32],
        y: &[u32],
        n: usize,
        d: usize,
        k: usize,
        config: &FitConfig,
    ) -> Result<Self> {
        if k < 2 {
            return Err(Error::InvalidTraining {
                reason: format!("a softmax regression needs at least 2 classes, got {k}"),
            });
        }
        let (w, b) = fit::fit(x, y, n, d, k, Loss::Softmax, config)?;
        Self::new(&w, &b).map_err(|_| fit::diverged(config))
    }

    /// The weights, row-major `[k, d]`.
    pub fn weight(&self) -> Vec<f32> {
        self.rows
            .iter()
            .flat_map(|r| r.as_slice().iter().copied())
            .collect()
    }

    /// The weights of class `c`.
    pub fn row(&self, c: usize) -> Option<&[f32]> {
        self.rows.get(c).map(AlignedF32::as_slice)
    }

    /// The biases, one per class.
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// The version string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The number of features a sample has.
    pub fn input_dim(&self) -> usize {
        self.rows[0].as_slice().len()
    }

    /// The number of classes.
    pub fn n_classes(&self) -> usize {
        self.rows.len()
    }

    /// Writes the logits `W x + b` into `out` (length `k`).
    pub fn logits_into(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        self.check(x, out.len())?;
        for ((o, row), b) in out.iter_mut().zip(&self.rows).zip(&self.bias) {
            *o = (self.dot)(row.as_slice(), x) + b;
        }
        if out.iter().all(|l| l.is_finite()) {
            Ok(())
        } else {
            Err(non_finite_error(x))
        }
    }

    /// The predicted class: the index of the largest logit (the first on ties).
    #[inline]
    pub fn predict(&self, x: &[f32]) -> Result<u32> {
        if let Some(z) = self.pair_score(x) {
            return Ok(u32::from(z? > 0.0));
        }
        self.check(x, self.rows.len())?;
        let mut best = (0u32, f32::NEG_INFINITY);
        for (c, (row, b)) in self.rows.iter().zip(&self.bias).enumerate() {
            let l = (self.dot)(row.as_slice(), x) + b;
            if !l.is_finite() {
                return Err(non_finite_error(x));
            }
            if l > best.1 {
                best = (c as u32, l);
            }
        }
        Ok(best.0)
    }

    /// Writes the class probabilities into `out` (length `k`).
    #[inline]
    pub fn predict_proba_into(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        if let (Some(z), [p0, p1]) = (self.pair_score(x), &mut *out) {
            (*p0, *p1) = sigmoid_pair(z?);
            return Ok(());
        }
        self.logits_into(x, out)?;
        realizar_tensor::ops::softmax::softmax_in_place(out);
        Ok(())
    }

    /// Predicts `out.len()` samples held row-major in `xs`.
    pub fn predict_batch(&self, xs: &[f32], out: &mut [u32]) -> Result<()> {
        batch(xs, out, self.input_dim(), |x| self.predict(x))
    }

    /// For two classes, the score `(w1 - w0) . x + (b1 - b0)`.
    #[inline]
    fn pair_score(&self, x: &[f32]) -> Option<Result<f32>> {
        let (diff, db) = self.pair.as_ref()?;
        let w = diff.as_slice();
        if x.len() != w.len() {
            return Some(Err(dimension_error(w.len(), x.len())));
        }
        let z = (self.dot)(w, x) + db;
        Some(if z.is_finite() {
            Ok(z)
        } else {
            Err(non_finite_error(x))
        })
    }

    fn check(&self, x: &[f32], out_len: usize) -> Result<()> {
        if x.len() != self.input_dim() {
            return Err(dimension_error(self.input_dim(), x.len()));
        }
        if out_len != self.rows.len() {
            return Err(Error::OutputLength {
                expected: self.rows.len(),
                found: out_len,
            });
        }
        Ok(())
    }

    pub(crate) fn weight_bytes(&self) -> usize {
        self.rows.iter().map(AlignedF32::bytes).sum::<usize>()
            + self.pair.as_ref().map_or(0, |(d, _)| d.bytes())
            + std::mem::size_of_val(self.bias.as_slice())
            + self.version.len()
    }
}

/// Runs `predict` over the rows of `xs`, naming the sample that fails.
#[inline]
fn batch(
    xs: &[f32],
    out: &mut [u32],
    d: usize,
    predict: impl Fn(&[f32]) -> Result<u32>,
) -> Result<()> {
    let expected = out.len().checked_mul(d);
    if expected != Some(xs.len()) {
        return Err(Error::BatchShape {
            samples: out.len(),
            dim: d,
            expected: expected.unwrap_or(usize::MAX),
            found: xs.len(),
        });
    }
    for (index, (x, o)) in xs.chunks_exact(d).zip(out.iter_mut()).enumerate() {
        *o = predict(x).map_err(|e| Error::InSample {
            index,
            source: Box::new(e),
        })?;
    }
    Ok(())
}

fn check_weights(tensor: &str, values: &[f32]) -> Result<()> {
    match values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(Error::NonFiniteWeight {
            tensor: tensor.to_string(),
            index,
            value,
        }),
        None => Ok(()),
    }
}

#[cold]
#[inline(never)]
fn dimension_error(expected: usize, found: usize) -> Error {
    Error::Dimension { expected, found }
}

/// The error for a non-finite score: the first non-finite feature, or
/// [`Error::Overflow`] when every feature is finite.
#[cold]
#[inline(never)]
pub(crate) fn non_finite_error(x: &[f32]) -> Error {
    match x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Error::NonFiniteInput { index, value },
        None => Error::Overflow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic_mnist;

    /// Plain softmax in f64: the reference.
    fn softmax_ref(w: &[f32], b: &[f32], x: &[f32]) -> Vec<f64> {
        let d = x.len();
        let logits: Vec<f64> = b
            .iter()
            .enumerate()
            .map(|(c, &bc)| {
                w[c * d..(c + 1) * d]
                    .iter()
                    .zip(x)
                    .map(|(&a, &v)| f64::from(a) * f64::from(v))
                    .sum::<f64>()
                    + f64::from(bc)
            })
            .collect();
        let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }

    fn argmax(p: &[f64]) -> u32 {
        let mut best = 0;
        for (i, &v) in p.iter().enumerate() {
            if v > p[best] {
                best = i;
            }
        }
        best as u32
    }

    /// Deterministic pseudo-random weights in [-scale, scale].
    fn weights(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        let mut g = super::super::math::SplitMix64::new(seed);
        (0..n)
            .map(|_| ((g.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale)
            .collect()
    }

    #[test]
    fn two_class_softmax_equals_the_plain_softmax() {
        let data = synthetic_mnist(1000);
        let d = data.dim;
        let w = weights(2 * d, 7, 0.01);
        let b = [0.1, -0.2];
        let m = SoftmaxRegression::new(&w, &b).unwrap();
        assert!(m.pair.is_some());
        let mut p = [0.0f32; 2];
        let mut agree = 0;
        for x in data.x.chunks_exact(d) {
            let r = softmax_ref(&w, &b, x);
            m.predict_proba_into(x, &mut p).unwrap();
            for c in 0..2 {
                assert!((f64::from(p[c]) - r[c]).abs() < 1e-6, "{p:?} vs {r:?}");
            }
            // Predictions agree except where the two logits are equal to
            // within rounding (none here, but do not make the test depend on it).
            if (r[1] - r[0]).abs() > 1e-6 {
                assert_eq!(m.predict(x).unwrap(), argmax(&r));
                agree += 1;
            }
        }
        assert!(agree > 900, "{agree}");
    }

    #[test]
    fn many_class_softmax_equals_the_plain_softmax() {
        let d = 37;
        let k = 5;
        let w = weights(k * d, 3, 1.0);
        let b = weights(k, 4, 1.0);
        let m = SoftmaxRegression::new(&w, &b).unwrap();
        assert_eq!((m.n_classes(), m.input_dim()), (k, d));
        assert_eq!(m.weight(), w);
        let mut p = vec![0.0f32; k];
        for s in 0..50 {
            let x = weights(d, 100 + s, 2.0);
            let r = softmax_ref(&w, &b, &x);
            m.predict_proba_into(&x, &mut p).unwrap();
            for c in 0..k {
                assert!((f64::from(p[c]) - r[c]).abs() < 1e-6, "{p:?} vs {r:?}");
            }
            assert_eq!(m.predict(&x).unwrap(), argmax(&r));
        }
    }

    #[test]
    fn logistic_matches_the_formula() {
        let d = 784;
        let w = weights(d, 11, 0.05);
        let m = LogisticRegression::new(&w, 0.3).unwrap();
        let data = synthetic_mnist(50);
        let mut p = [0.0; 2];
        for x in data.x.chunks_exact(d) {
            let z: f64 = w
                .iter()
                .zip(x)
                .map(|(&a, &v)| f64::from(a) * f64::from(v))
                .sum::<f64>()
                + 0.3;
            let p1 = 1.0 / (1.0 + (-z).exp());
            m.predict_proba_into(x, &mut p).unwrap();
            assert!((f64::from(p[1]) - p1).abs() < 1e-6);
            assert!((f64::from(p[0]) - (1.0 - p1)).abs() < 1e-6);
            assert_eq!(m.predict(x).unwrap(), u32::from(z > 0.0));
        }
    }

    #[test]
    fn input_errors_are_typed_and_named() {
        let m = LogisticRegression::new(&[1.0, 2.0, 3.0], 0.0).unwrap();
        assert_eq!(
            m.predict(&[1.0]).unwrap_err().to_string(),
            "expected 3 features, got 1"
        );
        let err = m.predict(&[1.0, f32::NAN, 0.0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "feature 1 is NaN, expected a finite number"
        );
        assert!(err.is_input_error());
        // inf times a zero weight is NaN: still caught.
        let z = LogisticRegression::new(&[1.0, 0.0], 0.0).unwrap();
        assert!(matches!(
            z.predict(&[1.0, f32::INFINITY]),
            Err(Error::NonFiniteInput { index: 1, .. })
        ));
        assert!(matches!(
            m.predict(&[f32::MAX, f32::MAX, 0.0]),
            Err(Error::Overflow)
        ));
        let mut out = [0.0; 3];
        assert!(matches!(
            m.predict_proba_into(&[0.0; 3], &mut out),
            Err(Error::OutputLength {
                expected: 2,
                found: 3
            })
        ));
        let mut labels = [0u32; 2];
        assert!(matches!(
            m.predict_batch(&[0.0; 5], &mut labels),
            Err(Error::BatchShape {
                expected: 6,
                found: 5,
                ..
            })
        ));
        let err = m
            .predict_batch(&[0.0, 0.0, 0.0, 1.0, f32::NEG_INFINITY, 0.0], &mut labels)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample 1: feature 1 is -inf, expected a finite number"
        );
        assert!(err.is_input_error());

        let s = SoftmaxRegression::new(&[1.0; 6], &[0.0; 3]).unwrap();
        assert!(matches!(
            s.predict(&[1.0, f32::NAN]),
            Err(Error::NonFiniteInput { index: 1, .. })
        ));
        assert!(matches!(
            s.predict_proba_into(&[1.0, 1.0], &mut [0.0; 2]),
            Err(Error::OutputLength { expected: 3, .. })
        ));
    }

    #[test]
    fn construction_checks_shapes_and_values() {
        assert!(LogisticRegression::new(&[], 0.0).is_err());
        assert!(matches!(
            LogisticRegression::new(&[1.0, f32::INFINITY], 0.0),
            Err(Error::NonFiniteWeight { index: 1, .. })
        ));
        assert!(LogisticRegression::new(&[1.0], f32::NAN).is_err());
        assert!(SoftmaxRegression::new(&[1.0; 4], &[0.0]).is_err());
        assert!(SoftmaxRegression::new(&[1.0; 5], &[0.0; 2]).is_err());
        assert!(SoftmaxRegression::new(&[], &[]).is_err());
    }

    #[test]
    fn ties_go_to_class_zero() {
        let m = LogisticRegression::new(&[1.0, -1.0], 0.0).unwrap();
        assert_eq!(m.predict(&[2.0, 2.0]).unwrap(), 0);
        let s = SoftmaxRegression::new(&[1.0, 1.0, 1.0, 1.0], &[0.5, 0.5]).unwrap();
        assert_eq!(s.predict(&[1.0, 2.0]).unwrap(), 0);
        let s3 = SoftmaxRegression::new(&[1.0; 6], &[0.0, 1.0, 1.0]).unwrap();
        assert_eq!(s3.predict(&[1.0, 2.0]).unwrap(), 1);
    }
}
