//! Tests of `logistic.rs`: fitting, predictions, probabilities and files.

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
    // Small weights, and large ones whose terms cancel (sum |w_j x_j|
    // in the hundreds, as in a trained model): f32 summation would be
    // off by ~1e-5 there.
    for (seed, scale, bias) in [(7, 0.01, [0.1, -0.2]), (8, 0.5, [0.3, 0.25])] {
        let w = weights(2 * d, seed, scale);
        let m = SoftmaxRegression::new(&w, &bias).unwrap();
        assert!(m.pair.is_some());
        let mut p = [0.0f32; 2];
        let mut worst = 0.0f64;
        for x in data.x.chunks_exact(d) {
            let r = softmax_ref(&w, &bias, x);
            m.predict_proba_into(x, &mut p).unwrap();
            for c in 0..2 {
                worst = worst.max((f64::from(p[c]) - r[c]).abs());
            }
            // The class is the exact argmax, even next to the boundary.
            assert_eq!(m.predict(x).unwrap(), argmax(&r), "{r:?}");
        }
        assert!(worst < 1e-7, "scale {scale}: {worst:e}");
    }
}

#[test]
fn the_class_near_the_boundary_is_the_exact_sign() {
    // Scores of about +-1e-5 built from large cancelling terms: the f32
    // fast path cannot tell their sign; the band sends them to f64.
    let d = 784;
    let w = weights(d, 21, 0.5);
    let x = synthetic_mnist(2).sample(1).unwrap().to_vec();
    let exact: f64 = w
        .iter()
        .zip(&x)
        .map(|(&a, &v)| f64::from(a) * f64::from(v))
        .sum();
    for delta in [-2e-5f64, -1e-6, 1e-6, 2e-5] {
        let b = (-exact + delta) as f32;
        let m = LogisticRegression::new(&w, b).unwrap();
        let z = m.decision_function(&x).unwrap();
        assert!(z.abs() < 1e-4, "{z}");
        assert_eq!(
            m.predict(&x).unwrap(),
            u32::from(z > 0.0),
            "delta {delta}, z {z}"
        );
        let mut p = [0.0; 2];
        m.predict_proba_into(&x, &mut p).unwrap();
        assert_eq!(
            u32::from(p[1] > p[0]),
            u32::from(z > 0.0) & u32::from(p[1] != p[0])
        );
    }
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
    // Finite but huge: the f32 score overflows, the exact one does not.
    assert_eq!(m.predict(&[f32::MAX, f32::MAX, 0.0]).unwrap(), 1);
    let mut p = [0.0; 2];
    m.predict_proba_into(&[f32::MAX, f32::MAX, 0.0], &mut p)
        .unwrap();
    assert_eq!(p, [0.0, 1.0]);
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
