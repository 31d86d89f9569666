//! The one error type of `realizar-lambda`: what can fail while a function
//! starts (request failures are [`realizar_infer::api::ApiError`] replies).

use std::path::PathBuf;

/// A failure of the function's init phase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file named by `REALIZAR_MODEL` cannot be loaded.
    #[error("cannot load the model named by REALIZAR_MODEL ({}): {source}", path.display())]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: realizar_infer::Error,
    },
    /// The model embedded at build time cannot be loaded.
    #[error("cannot load the embedded model: {0}")]
    EmbeddedModel(#[source] realizar_infer::Error),
    /// Neither `REALIZAR_MODEL` nor an embedded model.
    #[error(
        "no model: REALIZAR_MODEL is not set and this bootstrap was built without an embedded model (REALIZAR_EMBED_MODEL=none)"
    )]
    NoModel,
    /// An environment variable the Lambda service always sets is absent.
    #[error(
        "environment variable {0} is not set (the Lambda service sets it; is this running outside Lambda?)"
    )]
    MissingEnv(&'static str),
    /// An environment variable has a value that cannot be used.
    #[error("environment variable {name}={value:?}: {expected}")]
    BadEnv {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// The Runtime API could not be told about an init failure.
    #[error("cannot report to the Runtime API at {endpoint}: {reason}")]
    Report {
        /// The Runtime API address (`AWS_LAMBDA_RUNTIME_API`).
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
