//! The model every target serves and the request every target gets.
//!
//! The model is a 784 -> 2 softmax regression written as a realizar
//! safetensors file (tensors "weight" `[2, 784]` f32 and "bias" `[2]` f32, with
//! realizar's `__metadata__`); realizar, the FastAPI peer and the
//! TorchServe handler all load this one file. Its weights are a fixed,
//! deterministic pattern: the benchmark measures the cost of serving a
//! prediction, not the model's accuracy. The request is sample 1 of the
//! synthetic MNIST-shaped data set (`pixel(i, j) = ((i*17 + j*31) mod 256) / 255`).

use anyhow::{Context, Result, ensure};
use safetensors::{Dtype, tensor::TensorView};
use std::collections::HashMap;
use std::path::Path;

/// Input features.
pub const DIM: usize = 784;
/// Classes.
pub const CLASSES: usize = 2;
/// The id every target serves the model under.
pub const MODEL_ID: &str = "mnist-v1";
/// The model version written into the file's metadata.
pub const MODEL_VERSION: &str = "1.0.0-bench";
/// The data-set sample used as the request.
pub const SAMPLE: usize = 1;

/// `weight[k][j]`, row-major [CLASSES, DIM].
pub fn weights() -> Vec<f32> {
    (0..CLASSES * DIM)
        .map(|n| {
            let (k, j) = (n / DIM, n % DIM);
            let v = ((j * 37 + k * 53) % 101) as f32 / 101.0 - 0.5;
            if k == 0 { 0.02 * v } else { -0.02 * v + 0.001 }
        })
        .collect()
}

/// The bias per class.
pub fn bias() -> [f32; CLASSES] {
    [0.05, -0.05]
}

/// Pixel `j` of sample `i` of the synthetic data set, as realizar-infer
/// and comparative/mnist_data.py compute it.
pub fn pixel(i: usize, j: usize) -> f32 {
    ((i * 17 + j * 31) % 256) as f32 / 255.0
}

/// The request's features.
pub fn features() -> Vec<f32> {
    (0..DIM).map(|j| pixel(SAMPLE, j)).collect()
}

/// realizar's `POST /predict` body.
#[derive(serde::Serialize)]
struct Body {
    model_id: &'static str,
    features: Vec<f32>,
}

/// The `POST /predict` body sent to every target (same bytes for all):
/// each feature in the shortest text that reads back as the same f32.
pub fn request_body() -> Vec<u8> {
    serde_json::to_vec(&Body {
        model_id: MODEL_ID,
        features: features(),
    })
    .expect("a struct of a string and floats serialises")
}

/// The logits (in f64) and the class every target must answer.
pub fn expected() -> ([f64; CLASSES], u32) {
    let (w, b, x) = (weights(), bias(), features());
    let mut logits = [0.0f64; CLASSES];
    for (k, l) in logits.iter_mut().enumerate() {
        *l = f64::from(b[k])
            + (0..DIM)
                .map(|j| f64::from(w[k * DIM + j]) * f64::from(x[j]))
                .sum::<f64>();
    }
    let class = u32::from(logits[1] > logits[0]);
    (logits, class)
}

fn le_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Writes the model file to `path`.
pub fn write(path: &Path) -> Result<()> {
    let (logits, _) = expected();
    ensure!(
        (logits[0] - logits[1]).abs() > 1e-2,
        "the bench model's logits are too close for every target to agree: {logits:?}"
    );
    let (w, b) = (le_bytes(&weights()), le_bytes(&bias()));
    let tensors = [
        (
            "weight",
            TensorView::new(Dtype::F32, vec![CLASSES, DIM], &w)?,
        ),
        ("bias", TensorView::new(Dtype::F32, vec![CLASSES], &b)?),
    ];
    let meta: HashMap<String, String> = [
        ("realizar.model_type", "softmax_regression"),
        ("realizar.format_version", "1"),
        ("realizar.model_version", MODEL_VERSION),
        ("realizar.input_dim", "784"),
        ("realizar.n_classes", "2"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    safetensors::tensor::serialize_to_file(tensors, Some(meta), path)
        .with_context(|| format!("write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_holds_the_sample() {
        let v: serde_json::Value = serde_json::from_slice(&request_body()).unwrap();
        let f = v["features"].as_array().unwrap();
        assert_eq!(f.len(), DIM);
        assert_eq!(f[1].as_f64().unwrap() as f32, pixel(SAMPLE, 1));
        assert_eq!(v["model_id"], MODEL_ID);
        // Shortest f32 text, not the f64 expansion of the f32.
        assert!(
            String::from_utf8(request_body())
                .unwrap()
                .contains(",0.03529412,")
        );
    }

    #[test]
    fn file_round_trips() {
        let dir = std::env::temp_dir().join(format!("bench-serve-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.safetensors");
        write(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(st.tensor("weight").unwrap().shape(), &[CLASSES, DIM]);
        assert_eq!(
            st.tensor("bias").unwrap().data(),
            le_bytes(&bias()).as_slice()
        );
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let meta = meta.metadata().clone().unwrap();
        assert_eq!(meta["realizar.model_type"], "softmax_regression");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
