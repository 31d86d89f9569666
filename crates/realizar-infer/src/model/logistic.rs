//! Binary logistic regression and multinomial (softmax) regression.
//!
//! Both are a dot product per class over the input. Two paths compute it:
//!
//! - **The class** comes from the `f32` SIMD dot kernel the tensor crate
//!   picked for this CPU (AVX-512, AVX2+FMA, NEON or scalar), one call
//!   through a function pointer on weights in 64-byte aligned buffers. A
//!   score within [`TIE_BAND`] of zero (where `f32` rounding could flip its
//!   sign) is recomputed exactly before its sign is taken.
//! - **Probabilities** come from an `f64`-accumulated dot product on `f64`
//!   copies of the weights, so they are the exact softmax of the stored
//!   weights and the input, rounded once to `f32` (see the `dot` module for
//!   why `f32` summation is not enough for trained models).
//!
//! Neither allocates. Inputs are checked for free: a NaN or infinite
//! feature makes the score NaN or infinite (`0 * inf` is NaN), so only a
//! non-finite score triggers the scan that names the bad feature.

use super::aligned::AlignedF32;
use super::coaligned::Coaligned;
use super::dot::{DotF64, dot_f64_kernel};
use super::fit::{self, Loss};
use crate::error::{Error, Result};
use std::sync::OnceLock;

/// The `f32` dot-product kernel: `sum a[i] * b[i]` over equal-length slices.
pub(crate) type DotFn = fn(&[f32], &[f32]) -> f32;

/// The `f32` dot kernel of the best instruction set of this CPU.
fn dot_kernel() -> DotFn {
    realizar_tensor::kernels::kernels().dot_f32
}

/// The version given to models that do not name one.
pub const DEFAULT_VERSION: &str = "0.0.0";

/// Scores of the fast `f32` path closer to zero than this are recomputed in
/// `f64` before the class is taken from their sign. The `f32` error of a
/// score is about `2^-24 * sum |w_j x_j|`, so the class always matches the
/// exact score's sign (and [`predict_proba_into`](LogisticRegression::predict_proba_into))
/// while `sum |w_j x_j|` stays below about `10^4`.
pub const TIE_BAND: f32 = 1e-3;

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

/// One linear score `w . x + b`, held for both paths: `f32` (aligned, for
/// the SIMD kernel) and `f64` (for exact scores).
#[derive(Debug, Clone)]
struct Score {
    w32: AlignedF32,
    /// `w32` at every line offset, where that pays (see `coaligned`),
    /// built on the first prediction.
    shifted: OnceLock<Option<Coaligned>>,
    b32: f32,
    w64: Vec<f64>,
    b64: f64,
}

impl Score {
    fn new(w: &[f32], b: f32) -> Self {
        Self {
            w32: AlignedF32::from_slice(w),
            shifted: OnceLock::new(),
            b32: b,
            w64: w.iter().map(|&v| f64::from(v)).collect(),
            b64: f64::from(b),
        }
    }

    /// From `f64` weights (the `f32` copy is their rounding).
    fn from_f64(w64: Vec<f64>, b64: f64) -> Self {
        let w32: Vec<f32> = w64.iter().map(|&v| v as f32).collect();
        Self {
            shifted: OnceLock::new(),
            w32: AlignedF32::from_slice(&w32),
            b32: b64 as f32,
            w64,
            b64,
        }
    }

    fn dim(&self) -> usize {
        self.w64.len()
    }

    /// The exact score (`x.len()` already checked).
    #[inline]
    fn exact(&self, x: &[f32], dot64: DotF64) -> Result<f64> {
        let z = dot64(&self.w64, x) + self.b64;
        if z.is_finite() {
            Ok(z)
        } else {
            Err(non_finite_error(x))
        }
    }

    /// Whether the score is positive: the fast path, exact near zero
    /// (`x.len()` already checked).
    #[inline]
    fn positive(&self, x: &[f32], dot: DotFn, dot64: DotF64) -> Result<bool> {
        // The input goes first: for long operands the kernel prefetches its
        // first operand, and the input is the one that can be cold (the
        // weights stay in L1 between calls). A 784-feature input is too
        // short to be prefetched; it is read with the weight copy at its
        // own line offset.
        let shifted = self
            .shifted
            .get_or_init(|| Coaligned::new(self.w32.as_slice()));
        let z = match shifted {
            Some(c) => c.dot(x),
            None => dot(x, self.w32.as_slice()),
        } + self.b32;
        // False for NaN; true for infinities, which the exact path re-checks.
        if z.abs() >= TIE_BAND && z.is_finite() {
            return Ok(z > 0.0);
        }
        self.positive_exact(x, dot64)
    }

    #[cold]
    #[inline(never)]
    fn positive_exact(&self, x: &[f32], dot64: DotF64) -> Result<bool> {
        Ok(self.exact(x, dot64)? > 0.0)
    }

    fn bytes(&self) -> usize {
        self.w32.bytes()
            + Coaligned::footprint(self.dim())
            + std::mem::size_of_val(self.w64.as_slice())
            + 12
    }
}

/// `(p0, p1)` of a binary model with exact score `z`, each rounded once to
/// `f32` (the small one is not computed as `1 - big`).
#[inline]
fn pair_probabilities(z: f64) -> (f32, f32) {
    let e = (-z.abs()).exp();
    let big = 1.0 / (1.0 + e);
    let small = e / (1.0 + e);
    let (p0, p1) = if z >= 0.0 { (small, big) } else { (big, small) };
    (p0 as f32, p1 as f32)
}

/// Binary logistic regression: `p(class 1 | x) = sigmoid(w . x + b)`.
///
/// Class 1 is predicted when `w . x + b > 0` (probability above one half);
/// a tie goes to class 0, as `argmax` of the two-way softmax would.
#[derive(Debug, Clone)]
pub struct LogisticRegression {
    score: Score,
    version: String,
    dot: DotFn,
    dot64: DotF64,
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
            score: Score::new(weight, bias),
            version: DEFAULT_VERSION.to_string(),
            dot: dot_kernel(),
            dot64: dot_f64_kernel(),
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
        self.score.w32.as_slice()
    }

    /// The bias.
    pub fn bias(&self) -> f32 {
        self.score.b32
    }

    /// The version string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The number of features a sample has.
    pub fn input_dim(&self) -> usize {
        self.score.dim()
    }

    /// The exact score `w . x + b` (the log-odds of class 1), accumulated
    /// in `f64`.
    pub fn decision_function(&self, x: &[f32]) -> Result<f64> {
        self.check(x)?;
        self.score.exact(x, self.dot64)
    }

    /// The predicted class, 0 or 1.
    #[inline]
    pub fn predict(&self, x: &[f32]) -> Result<u32> {
        self.check(x)?;
        Ok(u32::from(self.score.positive(x, self.dot, self.dot64)?))
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
        (*p0, *p1) = pair_probabilities(self.decision_function(x)?);
        Ok(())
    }

    /// Predicts `out.len()` samples held row-major in `xs`.
    pub fn predict_batch(&self, xs: &[f32], out: &mut [u32]) -> Result<()> {
        batch(xs, out, self.input_dim(), |x| self.predict(x))
    }

    #[inline]
    fn check(&self, x: &[f32]) -> Result<()> {
        if x.len() == self.score.dim() {
            Ok(())
        } else {
            Err(dimension_error(self.score.dim(), x.len()))
        }
    }

    pub(crate) fn weight_bytes(&self) -> usize {
        self.score.bytes() + self.version.len()
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
/// construction (in `f64`, where the difference of two `f32`s is exact). The
/// predicted class is the first largest logit (class 1 only when its score
/// is strictly greater), as `argmax` returns.
#[derive(Debug, Clone)]
pub struct SoftmaxRegression {
    /// The rows as given (kept for export).
    rows: Vec<AlignedF32>,
    bias: Vec<f32>,
    /// For `k > 2`: each row and bias in `f64`.
    rows64: Vec<(Vec<f64>, f64)>,
    /// For `k == 2`: `(w1 - w0) . x + (b1 - b0)`.
    pair: Option<Score>,
    version: String,
    dot: DotFn,
    dot64: DotF64,
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
        let to64 = |r: &[f32]| r.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>();
        let (rows64, pair) = if k == 2 {
            let diff: Vec<f64> = weight[d..]
                .iter()
                .zip(&weight[..d])
                .map(|(&a, &b)| f64::from(a) - f64::from(b))
                .collect();
            let db = f64::from(bias[1]) - f64::from(bias[0]);
            (Vec::new(), Some(Score::from_f64(diff, db)))
        } else {
            let rows64 = weight
                .chunks_exact(d)
                .zip(bias)
                .map(|(r, &b)| (to64(r), f64::from(b)))
                .collect();
            (rows64, None)
        };
        Ok(Self {
            rows,
            bias: bias.to_vec(),
            rows64,
            pair,
            version: DEFAULT_VERSION.to_string(),
            dot: dot_kernel(),
            dot64: dot_f64_kernel(),
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

    /// The exact logit of class `c` (`x.len()` already checked).
    #[inline]
    fn logit(&self, c: usize, x: &[f32]) -> Result<f64> {
        let (w, b) = &self.rows64[c];
        let l = (self.dot64)(w, x) + b;
        if l.is_finite() {
            Ok(l)
        } else {
            Err(non_finite_error(x))
        }
    }

    /// The predicted class: the index of the largest logit (the first on ties).
    #[inline]
    pub fn predict(&self, x: &[f32]) -> Result<u32> {
        self.check(x)?;
        if let Some(pair) = &self.pair {
            return Ok(u32::from(pair.positive(x, self.dot, self.dot64)?));
        }
        let mut best = (0u32, f64::NEG_INFINITY);
        for c in 0..self.rows64.len() {
            let l = self.logit(c, x)?;
            if l > best.1 {
                best = (c as u32, l);
            }
        }
        Ok(best.0)
    }

    /// Writes the class probabilities into `out` (length `k`).
    #[inline]
    pub fn predict_proba_into(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        self.check(x)?;
        if out.len() != self.rows.len() {
            return Err(Error::OutputLength {
                expected: self.rows.len(),
                found: out.len(),
            });
        }
        if let (Some(pair), [p0, p1]) = (&self.pair, &mut *out) {
            (*p0, *p1) = pair_probabilities(pair.exact(x, self.dot64)?);
            return Ok(());
        }
        // Two passes over the classes keep everything in f64 without a
        // buffer: the largest logit and the sum of exponentials together
        // (rescaling the sum when the largest changes), then the
        // probabilities. Each pass recomputes the logits; k > 2 is not the
        // hot path.
        let (mut max, mut sum) = (f64::NEG_INFINITY, 0.0f64);
        for c in 0..self.rows64.len() {
            let l = self.logit(c, x)?;
            if l > max {
                sum = sum * (max - l).exp() + 1.0;
                max = l;
            } else {
                sum += (l - max).exp();
            }
        }
        for (c, o) in out.iter_mut().enumerate() {
            *o = ((self.logit(c, x)? - max).exp() / sum) as f32;
        }
        Ok(())
    }

    /// Predicts `out.len()` samples held row-major in `xs`.
    pub fn predict_batch(&self, xs: &[f32], out: &mut [u32]) -> Result<()> {
        batch(xs, out, self.input_dim(), |x| self.predict(x))
    }

    #[inline]
    fn check(&self, x: &[f32]) -> Result<()> {
        let d = self.input_dim();
        if x.len() == d {
            Ok(())
        } else {
            Err(dimension_error(d, x.len()))
        }
    }

    pub(crate) fn weight_bytes(&self) -> usize {
        self.rows.iter().map(AlignedF32::bytes).sum::<usize>()
            + self
                .rows64
                .iter()
                .map(|(w, _)| std::mem::size_of_val(w.as_slice()) + 8)
                .sum::<usize>()
            + self.pair.as_ref().map_or(0, Score::bytes)
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

/// The error for a non-finite exact score: the first non-finite feature.
/// (With finite `f32` weights and features an `f64` score cannot overflow,
/// so one is always found; [`Error::Overflow`] covers the impossible rest.)
#[cold]
#[inline(never)]
pub(crate) fn non_finite_error(x: &[f32]) -> Error {
    match x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Error::NonFiniteInput { index, value },
        None => Error::Overflow,
    }
}

#[cfg(test)]
#[path = "logistic_tests.rs"]
mod tests;
