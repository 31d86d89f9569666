//! The one error type of `realizar-infer`.

use std::path::PathBuf;

/// Everything that can go wrong loading, saving, training or running a model.
///
/// Each variant names what was wrong and where (file, tensor, metadata key,
/// feature index) and what was expected, so its message can be shown as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file ends before the data its header promises.
    #[error("truncated safetensors file: expected {expected} bytes, found {found}")]
    Truncated {
        /// Bytes the header promises (at least).
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The safetensors header cannot be read.
    #[error("bad safetensors header: {reason}")]
    BadHeader {
        /// What is wrong with it.
        reason: String,
    },
    /// A tensor the model needs is absent.
    #[error("tensor '{tensor}' is missing")]
    MissingTensor {
        /// The tensor's name.
        tensor: String,
    },
    /// A tensor has an element type the model cannot use.
    #[error("tensor '{tensor}': expected dtype {expected}, found {found}")]
    WrongDtype {
        /// The tensor's name.
        tensor: String,
        /// The element type required.
        expected: &'static str,
        /// The element type found.
        found: String,
    },
    /// A tensor has the wrong shape.
    #[error("tensor '{tensor}': expected shape {expected}, found {found:?}")]
    WrongShape {
        /// The tensor's name.
        tensor: String,
        /// The shape required, e.g. `[2, 784]` or `[k, d] with k >= 2`.
        expected: String,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A weight is NaN or infinite.
    #[error("tensor '{tensor}': element {index} is {value}, expected a finite number")]
    NonFiniteWeight {
        /// The tensor's name.
        tensor: String,
        /// Flat index of the element.
        index: usize,
        /// The value found.
        value: f32,
    },
    /// A metadata key the model needs is absent.
    #[error("metadata key '{key}' is missing")]
    MissingMetadata {
        /// The key.
        key: String,
    },
    /// A metadata value is not what the file's tensors or this version require.
    #[error("metadata key '{key}': expected {expected}, found {found:?}")]
    BadMetadata {
        /// The key.
        key: String,
        /// What was required.
        expected: String,
        /// The value found.
        found: String,
    },
    /// The input vector has the wrong length.
    #[error("expected {expected} features, got {found}")]
    Dimension {
        /// The model's input dimension.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// An input feature is NaN or infinite.
    #[error("feature {index} is {value}, expected a finite number")]
    NonFiniteInput {
        /// Index of the feature (within the sample).
        index: usize,
        /// The value found.
        value: f32,
    },
    /// The model's score is not finite although every feature is. (Scores
    /// are accumulated in `f64`, which `f32` weights and features cannot
    /// overflow; the variant keeps the check total.)
    #[error("features too large: the model's score is not finite")]
    Overflow,
    /// An output buffer has the wrong length.
    #[error("output buffer: expected {expected} elements, got {found}")]
    OutputLength {
        /// Elements required.
        expected: usize,
        /// Elements given.
        found: usize,
    },
    /// A batch's flat input does not hold `n * input_dim` values.
    #[error("batch: expected {expected} values ({samples} samples x {dim} features), got {found}")]
    BatchShape {
        /// Samples (the output buffer's length).
        samples: usize,
        /// The model's input dimension.
        dim: usize,
        /// Values required.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// An input error in one sample of a batch.
    #[error("sample {index}: {source}")]
    InSample {
        /// Index of the sample within the batch.
        index: usize,
        /// What was wrong with it.
        #[source]
        source: Box<Error>,
    },
    /// Training data or settings cannot be used.
    #[error("invalid training input: {reason}")]
    InvalidTraining {
        /// What is wrong.
        reason: String,
    },
    /// Writing a safetensors buffer failed.
    #[error("cannot serialize the model: {reason}")]
    Serialize {
        /// The serializer's message.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Whether the error is the caller's input (wrong length, NaN, a bad
    /// buffer) rather than a broken model or file: servers answer these with
    /// 400.
    pub fn is_input_error(&self) -> bool {
        match self {
            Self::Dimension { .. }
            | Self::NonFiniteInput { .. }
            | Self::Overflow
            | Self::BatchShape { .. } => true,
            Self::InSample { source, .. } => source.is_input_error(),
            _ => false,
        }
    }
}
