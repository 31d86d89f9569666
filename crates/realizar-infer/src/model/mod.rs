//! Models.
//!
//! [`ClassicalModel`] is what the server, the Lambda handler and the
//! benchmarks hold: a [`LogisticRegression`] or a [`SoftmaxRegression`],
//! loaded from and saved to `.safetensors`.
//!
//! ## File layout
//!
//! | tensor | dtype | logistic regression | softmax regression |
//! |---|---|---|---|
//! | `weight` | F32 | `[1, d]` | `[k, d]`, `k >= 2` (PyTorch `nn.Linear(d, k).weight`) |
//! | `bias` | F32 | `[1]` | `[k]` |
//!
//! `__metadata__` keys:
//!
//! | key | value | required |
//! |---|---|---|
//! | `realizar.model_type` | `logistic_regression` or `softmax_regression` | yes |
//! | `realizar.format_version` | `1` | written; checked when present |
//! | `realizar.model_version` | e.g. `1.0.0` | written; `0.0.0` when absent |
//! | `realizar.input_dim` | `d` | written; checked against the shapes when present |
//! | `realizar.n_classes` | `2` or `k` | written; checked against the shapes when present |
//!
//! Files written by other tools may use the keys without the `realizar.`
//! prefix (`model_type`, `model_version`, ...); those are read when the
//! prefixed key is absent. So a PyTorch `nn.Linear(784, 2)` saved with
//! `safetensors.torch.save_file(model.state_dict(), path,
//! metadata={"model_type": "softmax_regression"})` loads as a two-class
//! softmax regression.

mod aligned;
mod coaligned;
mod dot;
mod fit;
mod logistic;
mod math;

pub use logistic::{DEFAULT_VERSION, FitConfig, LogisticRegression, SoftmaxRegression, TIE_BAND};

use crate::api::ModelInfo;
use crate::error::{Error, Result};
use crate::format::safetensors::{F32Tensor, MappedFile, SafetensorsFile};
use std::path::Path;

/// The `model_type` of a [`LogisticRegression`].
pub const LOGISTIC_REGRESSION: &str = "logistic_regression";
/// The `model_type` of a [`SoftmaxRegression`].
pub const SOFTMAX_REGRESSION: &str = "softmax_regression";
/// The file format version this crate writes and reads.
pub const FORMAT_VERSION: &str = "1";

/// Metadata keys (without their `realizar.` prefix).
const KEY_MODEL_TYPE: &str = "model_type";
const KEY_FORMAT_VERSION: &str = "format_version";
const KEY_MODEL_VERSION: &str = "model_version";
const KEY_INPUT_DIM: &str = "input_dim";
const KEY_N_CLASSES: &str = "n_classes";

/// A classical (linear) classifier.
#[derive(Debug, Clone)]
pub enum ClassicalModel {
    /// Binary logistic regression.
    Logistic(LogisticRegression),
    /// Multinomial (softmax) regression.
    Softmax(SoftmaxRegression),
}

impl From<LogisticRegression> for ClassicalModel {
    fn from(m: LogisticRegression) -> Self {
        Self::Logistic(m)
    }
}

impl From<SoftmaxRegression> for ClassicalModel {
    fn from(m: SoftmaxRegression) -> Self {
        Self::Softmax(m)
    }
}

impl ClassicalModel {
    /// `"logistic_regression"` or `"softmax_regression"`.
    pub fn model_type(&self) -> &'static str {
        match self {
            Self::Logistic(_) => LOGISTIC_REGRESSION,
            Self::Softmax(_) => SOFTMAX_REGRESSION,
        }
    }

    /// The model's version (from its file's metadata), e.g. `"1.0.0"`.
    pub fn version(&self) -> &str {
        match self {
            Self::Logistic(m) => m.version(),
            Self::Softmax(m) => m.version(),
        }
    }

    /// The number of features a sample has.
    pub fn input_dim(&self) -> usize {
        match self {
            Self::Logistic(m) => m.input_dim(),
            Self::Softmax(m) => m.input_dim(),
        }
    }

    /// The number of classes (2 for a logistic regression).
    pub fn n_classes(&self) -> usize {
        match self {
            Self::Logistic(_) => 2,
            Self::Softmax(m) => m.n_classes(),
        }
    }

    /// The predicted class of one sample (`x.len() == input_dim()`).
    /// Allocates nothing.
    #[inline]
    pub fn predict(&self, x: &[f32]) -> Result<u32> {
        match self {
            Self::Logistic(m) => m.predict(x),
            Self::Softmax(m) => m.predict(x),
        }
    }

    /// Writes the class probabilities of one sample into `out`
    /// (`out.len() == n_classes()`). Allocates nothing.
    #[inline]
    pub fn predict_proba_into(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        match self {
            Self::Logistic(m) => m.predict_proba_into(x, out),
            Self::Softmax(m) => m.predict_proba_into(x, out),
        }
    }

    /// Predicts `out.len()` samples held row-major in `xs`
    /// (`xs.len() == out.len() * input_dim()`).
    pub fn predict_batch(&self, xs: &[f32], out: &mut [u32]) -> Result<()> {
        match self {
            Self::Logistic(m) => m.predict_batch(xs, out),
            Self::Softmax(m) => m.predict_batch(xs, out),
        }
    }

    /// Loads a `.safetensors` model file (memory-mapped, validated, copied
    /// into aligned buffers).
    pub fn load(path: &Path) -> Result<Self> {
        let file = MappedFile::open(path)?;
        Self::from_safetensors_bytes(file.bytes())
    }

    /// Reads a model from the bytes of a `.safetensors` file (for a model
    /// embedded with `include_bytes!`).
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self> {
        let file = SafetensorsFile::parse(bytes)?;
        let meta = |key: &str| {
            file.metadata(&format!("realizar.{key}"))
                .or_else(|| file.metadata(key))
        };
        if let Some(v) = meta(KEY_FORMAT_VERSION)
            && v != FORMAT_VERSION
        {
            return Err(bad_metadata(KEY_FORMAT_VERSION, "\"1\"", v));
        }
        let model_type = meta(KEY_MODEL_TYPE).ok_or_else(|| Error::MissingMetadata {
            key: format!("realizar.{KEY_MODEL_TYPE}"),
        })?;
        let input_dim = meta(KEY_INPUT_DIM)
            .map(|v| parse_count(KEY_INPUT_DIM, v))
            .transpose()?;
        let n_classes = meta(KEY_N_CLASSES)
            .map(|v| parse_count(KEY_N_CLASSES, v))
            .transpose()?;
        let version = meta(KEY_MODEL_VERSION)
            .unwrap_or(DEFAULT_VERSION)
            .to_string();
        let (wshape, weight) = file.tensor_f32("weight")?;
        let (bshape, bias) = file.tensor_f32("bias")?;
        let d_text = input_dim.map_or("d".to_string(), |d| d.to_string());
        match model_type {
            LOGISTIC_REGRESSION => {
                if let Some(k) = n_classes
                    && k != 2
                {
                    return Err(bad_metadata(
                        KEY_N_CLASSES,
                        "\"2\" for a logistic regression",
                        &k.to_string(),
                    ));
                }
                let d = match wshape[..] {
                    [1, d] if d > 0 && input_dim.is_none_or(|e| e == d) => d,
                    _ => return Err(wrong_shape("weight", format!("[1, {d_text}]"), wshape)),
                };
                if bshape != [1] {
                    return Err(wrong_shape("bias", "[1]".into(), bshape));
                }
                debug_assert_eq!(weight.len(), d);
                Ok(LogisticRegression::new(&weight, bias[0])?
                    .with_version(version)
                    .into())
            }
            SOFTMAX_REGRESSION => {
                let k_text = n_classes.map_or("k".to_string(), |k| k.to_string());
                let expected = format!("[{k_text}, {d_text}]");
                let k = match wshape[..] {
                    [k, d]
                        if k >= 2
                            && d > 0
                            && input_dim.is_none_or(|e| e == d)
                            && n_classes.is_none_or(|e| e == k) =>
                    {
                        k
                    }
                    [k, _] if k < 2 && n_classes.is_none() => {
                        return Err(wrong_shape(
                            "weight",
                            format!("[k, {d_text}] with k >= 2"),
                            wshape,
                        ));
                    }
                    _ => return Err(wrong_shape("weight", expected, wshape)),
                };
                if bshape != [k] {
                    return Err(wrong_shape("bias", format!("[{k}]"), bshape));
                }
                Ok(SoftmaxRegression::new(&weight, &bias)?
                    .with_version(version)
                    .into())
            }
            other => Err(bad_metadata(
                KEY_MODEL_TYPE,
                "\"logistic_regression\" or \"softmax_regression\"",
                other,
            )),
        }
    }

    /// The model as the bytes of a `.safetensors` file (see the module
    /// documentation for the layout).
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>> {
        let (d, k) = (self.input_dim(), self.n_classes());
        let metadata = [
            ("realizar.model_type", self.model_type().to_string()),
            ("realizar.format_version", FORMAT_VERSION.to_string()),
            ("realizar.model_version", self.version().to_string()),
            ("realizar.input_dim", d.to_string()),
            ("realizar.n_classes", k.to_string()),
        ];
        match self {
            Self::Logistic(m) => crate::format::safetensors::serialize_f32(
                &[
                    F32Tensor {
                        name: "weight",
                        shape: &[1, d],
                        values: m.weight(),
                    },
                    F32Tensor {
                        name: "bias",
                        shape: &[1],
                        values: &[m.bias()],
                    },
                ],
                &metadata,
            ),
            Self::Softmax(m) => crate::format::safetensors::serialize_f32(
                &[
                    F32Tensor {
                        name: "weight",
                        shape: &[k, d],
                        values: &m.weight(),
                    },
                    F32Tensor {
                        name: "bias",
                        shape: &[k],
                        values: m.bias(),
                    },
                ],
                &metadata,
            ),
        }
    }

    /// Writes the model to `path` as `.safetensors`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_safetensors_bytes()?;
        std::fs::write(path, bytes).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The model's entry in `GET /models`, under id `id`.
    pub fn info(&self, id: &str) -> ModelInfo {
        ModelInfo {
            id: id.to_string(),
            model_type: self.model_type().to_string(),
            version: self.version().to_string(),
            input_dim: self.input_dim(),
            n_classes: self.n_classes(),
        }
    }
}

impl realizar_cache::Weighted for ClassicalModel {
    /// Bytes of weights, biases and version string.
    fn weight_bytes(&self) -> usize {
        match self {
            Self::Logistic(m) => m.weight_bytes(),
            Self::Softmax(m) => m.weight_bytes(),
        }
    }
}

fn parse_count(key: &str, v: &str) -> Result<usize> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad_metadata(key, "a positive integer", v)),
    }
}

fn bad_metadata(key: &str, expected: &str, found: &str) -> Error {
    Error::BadMetadata {
        key: format!("realizar.{key}"),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

fn wrong_shape(tensor: &str, expected: String, found: Vec<usize>) -> Error {
    Error::WrongShape {
        tensor: tensor.to_string(),
        expected,
        found,
    }
}
