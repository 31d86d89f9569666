//! Same weights, same answers: realizar against PyTorch on all 1000 samples.
//!
//! The fixture in `tests/fixtures/` was written by PyTorch:
//! `pytorch_logistic.safetensors` holds the weight `[2, 784]` and bias `[2]`
//! of a `torch.nn.Linear(784, 2)` trained on the synthetic data set, and
//! `pytorch_logistic_expected.json` holds PyTorch's class and softmax
//! p(class 1) for each of the 1000 samples, plus a hash of the data set as
//! Python built it. Regenerate both with
//!
//! ```text
//! cd comparative && uv run python mnist_benchmark.py train --fixture-dir ../crates/realizar-infer/tests/fixtures
//! ```
//!
//! The test checks that Rust's `data::synthetic_mnist(1000)` is the Python
//! data set bit for bit, then that realizar, loading PyTorch's file,
//! predicts the same class for every sample and p(class 1) within 1e-6.

use realizar_infer::{ClassicalModel, data};
use serde_json::Value;
use std::path::PathBuf;

const N: usize = 1000;
const MAX_ABS_DP: f64 = 1e-6;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn expected() -> Value {
    let path = fixture("pytorch_logistic_expected.json");
    let text = std::fs::read_to_string(&path).expect("read the expected JSON");
    serde_json::from_str(&text).expect("parse the expected JSON")
}

/// FNV-1a 64, continuing from `h` (the same function as comparative/mnist_data.py).
fn fnv1a64(bytes: impl IntoIterator<Item = u8>, mut h: u64) -> u64 {
    for b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

#[test]
fn rust_data_set_is_the_python_data_set() {
    let want = expected();
    let d = data::synthetic_mnist(N);
    assert_eq!((d.n, d.dim), (N, 784));
    let h = fnv1a64(
        d.x.iter().flat_map(|v| v.to_le_bytes()),
        0xCBF2_9CE4_8422_2325,
    );
    let h = fnv1a64(d.y.iter().flat_map(|v| v.to_le_bytes()), h);
    assert_eq!(
        format!("{h:016x}"),
        want["dataset"]["fnv1a64"].as_str().unwrap(),
        "Rust's synthetic_mnist(1000) differs from comparative/mnist_data.py"
    );
    let class0 = d.y.iter().filter(|&&y| y == 0).count();
    assert_eq!(class0 as u64, want["dataset"]["class0"].as_u64().unwrap());
}

#[test]
fn pytorch_weights_give_pytorch_predictions_and_probabilities() {
    let want = expected();
    let want_pred: Vec<u64> = want["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let want_p1: Vec<f64> = want["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // p(class 1) in f64 arithmetic from the same f32 weights and inputs: not
    // asserted on, it tells whose rounding it is when the check fails.
    let exact_p1: Vec<f64> = want["probabilities_f64"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!((want_pred.len(), want_p1.len(), exact_p1.len()), (N, N, N));
    // The fixture is not a constant classifier: both classes are predicted.
    let class0 = want_pred.iter().filter(|&&p| p == 0).count();
    assert!(
        class0 > 0 && class0 < N,
        "{class0} of {N} predicted class 0"
    );

    let path = fixture("pytorch_logistic.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let from_bytes = ClassicalModel::from_safetensors_bytes(&bytes).unwrap();
    let loaded = ClassicalModel::load(&path).unwrap();
    for model in [&from_bytes, &loaded] {
        assert_eq!(model.model_type(), "softmax_regression");
        assert_eq!(
            model.version(),
            want["model"]["model_version"].as_str().unwrap()
        );
        assert_eq!((model.input_dim(), model.n_classes()), (784, 2));
    }

    let d = data::synthetic_mnist(N);
    let mut batch = vec![u32::MAX; N];
    loaded.predict_batch(&d.x, &mut batch).unwrap();
    let mut mismatches = Vec::new();
    let mut worst = (0.0f64, 0usize);
    let mut worst_exact = 0.0f64;
    let mut p = [0.0f32; 2];
    for i in 0..N {
        let x = d.sample(i).unwrap();
        let ours = loaded.predict(x).unwrap();
        assert_eq!(ours, from_bytes.predict(x).unwrap(), "sample {i}");
        assert_eq!(ours, batch[i], "sample {i}: predict vs predict_batch");
        if u64::from(ours) != want_pred[i] {
            mismatches.push((i, ours, want_pred[i]));
        }
        loaded.predict_proba_into(x, &mut p).unwrap();
        assert!(
            (f64::from(p[0]) + f64::from(p[1]) - 1.0).abs() <= 1e-6,
            "sample {i}: {p:?}"
        );
        let dp = (f64::from(p[1]) - want_p1[i]).abs();
        if dp > worst.0 {
            worst = (dp, i);
        }
        worst_exact = worst_exact.max((f64::from(p[1]) - exact_p1[i]).abs());
    }
    assert!(
        mismatches.is_empty(),
        "{} of {N} predictions differ from PyTorch's (sample, realizar, pytorch): {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(10)]
    );
    assert!(
        worst.0 <= MAX_ABS_DP,
        "max |p_realizar - p_pytorch| = {:e} at sample {} (limit {MAX_ABS_DP:e}); \
         against f64 arithmetic: realizar {worst_exact:e}, PyTorch {}",
        worst.0,
        worst.1,
        want["max_abs_pytorch_minus_f64"]
    );
}

#[test]
fn a_changed_weight_is_noticed() {
    // The comparison above can fail: flipping the sign of the bias tensor
    // in PyTorch's file changes predictions.
    let want = expected();
    let mut bytes = std::fs::read(fixture("pytorch_logistic.safetensors")).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    let offsets = header["bias"]["data_offsets"].as_array().unwrap();
    let start = 8 + header_len + offsets[0].as_u64().unwrap() as usize;
    for k in 0..2 {
        let at = start + 4 * k;
        let v = f32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        bytes[at..at + 4].copy_from_slice(&(v + 10.0 * (k as f32 * 2.0 - 1.0)).to_le_bytes());
    }
    let model = ClassicalModel::from_safetensors_bytes(&bytes).unwrap();
    let d = data::synthetic_mnist(N);
    let differ = (0..N)
        .filter(|&i| {
            u64::from(model.predict(d.sample(i).unwrap()).unwrap())
                != want["predictions"][i].as_u64().unwrap()
        })
        .count();
    assert!(
        differ > 0,
        "a bias shifted by 20 in favour of class 1 changed nothing"
    );
}
