//! The one error type of this crate.

use std::path::PathBuf;

/// What went wrong while building or rendering a view.
///
/// Every variant names the benchmark, the file or the parameter at fault,
/// so a caller can print it as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A benchmark has no samples.
    #[error("benchmark {name:?}: no samples")]
    Empty {
        /// The benchmark's name.
        name: String,
    },
    /// A benchmark has too few samples for its statistics (a standard
    /// deviation needs two).
    #[error("benchmark {name:?}: needs at least {needed} samples, found {found}")]
    TooFewSamples {
        /// The benchmark's name.
        name: String,
        /// How many samples are needed.
        needed: usize,
        /// How many there are.
        found: usize,
    },
    /// A sample is NaN or infinite.
    #[error("benchmark {name:?}: sample {index} is not finite ({value})")]
    NonFinite {
        /// The benchmark's name.
        name: String,
        /// Position of the first offending sample.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A view of several benchmarks was asked for none.
    #[error("no benchmarks to show")]
    NoBenchmarks,
    /// A statistic could not be computed.
    #[error(transparent)]
    Stats(#[from] realizar_stats::Error),
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A criterion output file is malformed.
    #[error("{}: {message}", path.display())]
    Criterion {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The interactive dashboard needs a terminal.
    #[error("the dashboard needs an interactive terminal, and standard output is not one")]
    NotATerminal,
    /// The terminal failed while the dashboard was running.
    #[error("terminal: {0}")]
    Terminal(std::io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn criterion(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Criterion {
            path: path.into(),
            message: message.into(),
        }
    }
}
