//! Training of the linear classifiers: mini-batch gradient descent on the
//! cross-entropy, deterministic for a given seed.

use super::logistic::FitConfig;
use super::math::{SplitMix64, sigmoid};
use crate::error::{Error, Result};

/// Which output layer the linear scores feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loss {
    /// One score, `p(1) = sigmoid(z)` (binary logistic regression).
    Sigmoid,
    /// One score per class, `p = softmax(z)`.
    Softmax,
}

/// Fits weights (`rows * d`, row-major) and biases (`rows`) by mini-batch
/// gradient descent, where `rows` is 1 for [`Loss::Sigmoid`] and `k` for
/// [`Loss::Softmax`]. Labels must be below `k`.
pub(crate) fn fit(
    x: &[f32],
    y: &[u32],
    n: usize,
    d: usize,
    k: usize,
    loss: Loss,
    cfg: &FitConfig,
) -> Result<(Vec<f32>, Vec<f32>)> {
    validate(x, y, n, d, k, cfg)?;
    let rows = match loss {
        Loss::Sigmoid => 1,
        Loss::Softmax => k,
    };
    let dot = realizar_tensor::kernels::kernels().dot_f32;
    // Train on centred features (much better conditioned for inputs that
    // are all positive, like pixels) and fold the means into the bias at
    // the end: w . (x - m) + b = w . x + (b - w . m).
    let mut mean = vec![0.0f64; d];
    for xi in x.chunks_exact(d) {
        for (m, &v) in mean.iter_mut().zip(xi) {
            *m += f64::from(v);
        }
    }
    let mean: Vec<f32> = mean.iter().map(|m| (m / n as f64) as f32).collect();
    let centred: Vec<f32> = x
        .chunks_exact(d)
        .flat_map(|xi| xi.iter().zip(&mean).map(|(v, m)| v - m))
        .collect();
    let x = &centred[..];
    let mut w = vec![0.0f32; rows * d];
    let mut b = vec![0.0f32; rows];
    let mut gw = vec![0.0f32; rows * d];
    let mut gb = vec![0.0f32; rows];
    let mut err = vec![0.0f32; rows];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(cfg.seed);
    let lr = cfg.learning_rate;
    for _ in 0..cfg.epochs {
        rng.shuffle(&mut order);
        for batch in order.chunks(FitConfig::BATCH_SIZE) {
            gw.fill(0.0);
            gb.fill(0.0);
            for &i in batch {
                let xi = &x[i * d..(i + 1) * d];
                for (r, e) in err.iter_mut().enumerate() {
                    *e = dot(&w[r * d..(r + 1) * d], xi) + b[r];
                }
                output_error(loss, &mut err, y[i]);
                for (r, &e) in err.iter().enumerate() {
                    gb[r] += e;
                    for (g, &v) in gw[r * d..(r + 1) * d].iter_mut().zip(xi) {
                        *g += e * v;
                    }
                }
            }
            let step = lr / batch.len() as f32;
            let decay = 1.0 - lr * cfg.l2;
            for (wv, g) in w.iter_mut().zip(&gw) {
                *wv = *wv * decay - step * g;
            }
            for (bv, g) in b.iter_mut().zip(&gb) {
                *bv -= step * g;
            }
        }
        if !b.iter().chain(&w).all(|v| v.is_finite()) {
            return Err(diverged(cfg));
        }
    }
    for (r, bv) in b.iter_mut().enumerate() {
        *bv -= dot(&w[r * d..(r + 1) * d], &mean);
    }
    Ok((w, b))
}

/// Turns scores into `dLoss/dscore`: `p - onehot(label)`.
fn output_error(loss: Loss, z: &mut [f32], label: u32) {
    match loss {
        Loss::Sigmoid => z[0] = sigmoid(z[0]) - label as f32,
        Loss::Softmax => {
            let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for v in z.iter_mut() {
                *v = (*v - m).exp();
                sum += *v;
            }
            for v in z.iter_mut() {
                *v /= sum;
            }
            z[label as usize] -= 1.0;
        }
    }
}

/// The error of a fit whose weights left the finite range.
pub(crate) fn diverged(cfg: &FitConfig) -> Error {
    Error::InvalidTraining {
        reason: format!(
            "training diverged (weights became infinite or NaN) at learning rate {}; use a smaller one",
            cfg.learning_rate
        ),
    }
}

fn validate(x: &[f32], y: &[u32], n: usize, d: usize, k: usize, cfg: &FitConfig) -> Result<()> {
    let bad = |reason: String| Err(Error::InvalidTraining { reason });
    if n == 0 || d == 0 {
        return bad(format!(
            "need at least one sample and one feature, got n = {n}, d = {d}"
        ));
    }
    if n.checked_mul(d) != Some(x.len()) {
        return bad(format!(
            "x holds {} values, expected n * d = {n} * {d}",
            x.len()
        ));
    }
    if y.len() != n {
        return bad(format!("y holds {} labels, expected n = {n}", y.len()));
    }
    if let Some((i, &l)) = y.iter().enumerate().find(|(_, l)| **l as usize >= k) {
        return bad(format!(
            "label {l} of sample {i} is not below {k} (the number of classes)"
        ));
    }
    if let Some((i, v)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return bad(format!(
            "feature {} of sample {} is {v}, expected a finite number",
            i % d,
            i / d
        ));
    }
    if cfg.epochs == 0 {
        return bad("epochs must be at least 1".into());
    }
    if !(cfg.learning_rate.is_finite() && cfg.learning_rate > 0.0) {
        return bad(format!(
            "learning_rate must be positive and finite, got {}",
            cfg.learning_rate
        ));
    }
    if !(cfg.l2.is_finite() && cfg.l2 >= 0.0) {
        return bad(format!("l2 must be zero or positive, got {}", cfg.l2));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::data::{Dataset, synthetic_mnist};
    use crate::error::Error;
    use crate::model::math::SplitMix64;
    use crate::model::{FitConfig, LogisticRegression, SoftmaxRegression};

    fn accuracy(pred: &[u32], y: &[u32]) -> f64 {
        pred.iter().zip(y).filter(|(p, y)| p == y).count() as f64 / y.len() as f64
    }

    /// Points in `[0, 1]^d` labelled by a random hyperplane, those within
    /// a margin of it dropped: linearly separable.
    fn separable(n: usize, d: usize, k: usize, seed: u64) -> Dataset {
        let mut g = SplitMix64::new(seed);
        let mut unit = || (g.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        let planes: Vec<f32> = (0..k * d).map(|_| unit() * 2.0 - 1.0).collect();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        while y.len() < n {
            let p: Vec<f32> = (0..d).map(|_| unit()).collect();
            let s: Vec<f32> = planes
                .chunks_exact(d)
                .map(|w| w.iter().zip(&p).map(|(a, b)| a * (b - 0.5)).sum())
                .collect();
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
            if s[order[0]] - s[order[1]] > 0.3 {
                x.extend(p);
                y.push(order[0] as u32);
            }
        }
        Dataset { x, y, n, dim: d }
    }

    #[test]
    fn logistic_separates_a_separable_set() {
        let data = separable(400, 20, 2, 1);
        let cfg = FitConfig {
            epochs: 50,
            learning_rate: 0.5,
            ..FitConfig::default()
        };
        let m = LogisticRegression::fit(&data.x, &data.y, data.n, data.dim, &cfg).unwrap();
        let mut pred = vec![0; data.n];
        m.predict_batch(&data.x, &mut pred).unwrap();
        assert_eq!(accuracy(&pred, &data.y), 1.0);
        // Same seed, same model.
        let again = LogisticRegression::fit(&data.x, &data.y, data.n, data.dim, &cfg).unwrap();
        assert_eq!(m.weight(), again.weight());
        assert_eq!(m.bias(), again.bias());
    }

    #[test]
    fn softmax_separates_a_separable_set() {
        let data = separable(400, 20, 3, 2);
        let cfg = FitConfig {
            epochs: 100,
            learning_rate: 0.5,
            ..FitConfig::default()
        };
        let m = SoftmaxRegression::fit(&data.x, &data.y, data.n, data.dim, &cfg).unwrap();
        assert_eq!(m.n_classes(), 3);
        let mut pred = vec![0; data.n];
        m.predict_batch(&data.x, &mut pred).unwrap();
        assert_eq!(accuracy(&pred, &data.y), 1.0);
    }

    /// The best accuracy any classifier can reach on `data`: identical
    /// feature vectors must get the same prediction, so each group of equal
    /// rows scores its majority label's count.
    fn best_achievable(data: &Dataset) -> f64 {
        let mut groups: std::collections::HashMap<Vec<u32>, [usize; 2]> = Default::default();
        for (x, &y) in data.x.chunks_exact(data.dim).zip(&data.y) {
            let key = x.iter().map(|v| v.to_bits()).collect();
            groups.entry(key).or_default()[y as usize] += 1;
        }
        groups.values().map(|c| c[0].max(c[1])).sum::<usize>() as f64 / data.n as f64
    }

    #[test]
    fn logistic_reaches_the_best_accuracy_on_synthetic_mnist() {
        let data = synthetic_mnist(1000);
        let m = LogisticRegression::fit(&data.x, &data.y, data.n, data.dim, &FitConfig::default())
            .unwrap();
        let mut pred = vec![0; data.n];
        m.predict_batch(&data.x, &mut pred).unwrap();
        assert_eq!(accuracy(&pred, &data.y), best_achievable(&data));
    }

    #[test]
    fn the_first_256_synthetic_samples_are_separable() {
        // Rows repeat with period 256 in the sample index, and the 256
        // distinct rows are linearly independent: any labelling of them is
        // separable.
        let data = synthetic_mnist(256);
        assert_eq!(best_achievable(&data), 1.0);
        let cfg = FitConfig {
            epochs: 200,
            learning_rate: 0.5,
            ..FitConfig::default()
        };
        let m = LogisticRegression::fit(&data.x, &data.y, data.n, data.dim, &cfg).unwrap();
        let mut pred = vec![0; data.n];
        m.predict_batch(&data.x, &mut pred).unwrap();
        assert_eq!(accuracy(&pred, &data.y), 1.0);
    }

    #[test]
    fn bad_training_input_is_rejected() {
        let cfg = FitConfig::default();
        let x = [0.0f32; 6];
        let err = |r: crate::Result<LogisticRegression>| match r {
            Err(Error::InvalidTraining { reason }) => reason,
            other => panic!("{other:?}"),
        };
        assert!(err(LogisticRegression::fit(&x, &[0, 1], 2, 2, &cfg)).contains("x holds 6"));
        assert!(err(LogisticRegression::fit(&x, &[0], 2, 3, &cfg)).contains("y holds 1"));
        assert!(err(LogisticRegression::fit(&x, &[0, 2], 2, 3, &cfg)).contains("label 2"));
        assert!(err(LogisticRegression::fit(&[], &[], 0, 3, &cfg)).contains("n = 0"));
        let mut nan = x;
        nan[4] = f32::NAN;
        assert!(
            err(LogisticRegression::fit(&nan, &[0, 1], 2, 3, &cfg))
                .contains("feature 1 of sample 1")
        );
        for bad in [
            FitConfig { epochs: 0, ..cfg },
            FitConfig {
                learning_rate: 0.0,
                ..cfg
            },
            FitConfig {
                learning_rate: f32::NAN,
                ..cfg
            },
            FitConfig { l2: -1.0, ..cfg },
        ] {
            err(LogisticRegression::fit(&x, &[0, 1], 2, 3, &bad));
        }
        let huge = FitConfig {
            learning_rate: 1e30,
            ..cfg
        };
        let big_x = [1e30f32, 0.0, 0.0, -1e30, 0.0, 0.0];
        assert!(err(LogisticRegression::fit(&big_x, &[1, 0], 2, 3, &huge)).contains("diverged"));
        assert!(matches!(
            SoftmaxRegression::fit_classes(&x, &[0, 0], 2, 3, 1, &cfg),
            Err(Error::InvalidTraining { .. })
        ));
    }
}
