//! What a server serves and its limits: [`ServeConfig`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use realizar_infer::model::ClassicalModel;

use crate::error::{Error, Result};

/// The id the `--demo` model is served under.
pub const DEMO_MODEL_ID: &str = "mnist-v1";

/// Where a served model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A `.safetensors` file saved by `ClassicalModel::save`, loaded (and
    /// reloaded after an eviction) through the model cache.
    Path(PathBuf),
    /// The synthetic 784 -> 2 logistic model, trained at start-up.
    Demo,
    /// A model built by the embedding program (in memory, from another
    /// store...): the function runs on a blocking thread at start-up and
    /// again after an eviction.
    Loader(ModelLoader),
}

/// The function behind [`ModelSource::Loader`].
#[derive(Clone)]
pub struct ModelLoader(pub Arc<dyn Fn() -> realizar_infer::Result<ClassicalModel> + Send + Sync>);

impl ModelLoader {
    /// Wraps `f`.
    pub fn new(
        f: impl Fn() -> realizar_infer::Result<ClassicalModel> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(f))
    }
}

impl std::fmt::Debug for ModelLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ModelLoader(..)")
    }
}

/// Loaders are equal when they are the same function object.
impl PartialEq for ModelLoader {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ModelLoader {}

/// One model to serve: the id requests name it by, and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// The `model_id` of requests.
    pub id: String,
    /// Where it comes from.
    pub source: ModelSource,
}

impl ModelSpec {
    /// Parses the CLI form `ID=PATH`.
    ///
    /// # Errors
    /// [`Error::Config`] when there is no `=`, or the id or path is empty.
    pub fn parse(arg: &str) -> Result<Self> {
        let (id, path) = arg
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("--model takes ID=PATH, got '{arg}' (no '=')")))?;
        if id.is_empty() || path.is_empty() {
            return Err(Error::Config(format!(
                "--model takes ID=PATH with both parts non-empty, got '{arg}'"
            )));
        }
        Ok(Self {
            id: id.to_owned(),
            source: ModelSource::Path(PathBuf::from(path)),
        })
    }
}

/// Everything a server needs to start. `Default` listens on
/// `127.0.0.1:3000` with no model; add models with
/// [`with_model`](Self::with_model) or [`with_demo`](Self::with_demo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// The address to listen on (port 0: the OS picks a free port).
    pub addr: SocketAddr,
    /// The models, in order; the first is the default for requests
    /// without `model_id`.
    pub models: Vec<ModelSpec>,
    /// Largest request body accepted, in bytes (413 past it, checked while
    /// the body streams in).
    pub max_body_bytes: usize,
    /// Longest a request may take, body reading included (408 past it).
    pub request_timeout: Duration,
    /// Longest a client may take to send a request head; the connection
    /// is closed past it. This also bounds how long an idle keep-alive
    /// connection is kept.
    pub header_read_timeout: Duration,
    /// Most `/predict` and `/predict/batch` requests handled at once; more
    /// are answered 503 at once (no queue). Probes and metrics are not
    /// limited, so a busy server still looks alive.
    pub max_concurrency: usize,
    /// On shutdown, how long in-flight requests may take to finish before
    /// their connections are dropped.
    pub drain_timeout: Duration,
    /// Most models the cache holds at once; `None`: all the configured
    /// models (nothing is evicted).
    pub cache_max_entries: Option<usize>,
    /// Byte budget of the model cache.
    pub cache_max_bytes: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 3000)),
            models: Vec::new(),
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            request_timeout: Duration::from_millis(Self::DEFAULT_TIMEOUT_MS),
            header_read_timeout: Duration::from_secs(5),
            max_concurrency: Self::DEFAULT_MAX_CONCURRENCY,
            drain_timeout: Duration::from_secs(30),
            cache_max_entries: None,
            cache_max_bytes: realizar_cache::CacheConfig::DEFAULT_MAX_BYTES,
        }
    }
}

impl ServeConfig {
    /// Default body limit: 1 MiB (a batch of ~100 MNIST images).
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
    /// Default request time limit: 10 s.
    pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
    /// Default concurrency limit of the predict routes.
    pub const DEFAULT_MAX_CONCURRENCY: usize = 256;

    /// This config listening on `addr`.
    pub fn with_addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// This config plus a `.safetensors` model served as `id`.
    pub fn with_model(mut self, id: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.models.push(ModelSpec {
            id: id.into(),
            source: ModelSource::Path(path.into()),
        });
        self
    }

    /// This config plus a model made by `load` (see [`ModelSource::Loader`]).
    pub fn with_loader(
        mut self,
        id: impl Into<String>,
        load: impl Fn() -> realizar_infer::Result<ClassicalModel> + Send + Sync + 'static,
    ) -> Self {
        self.models.push(ModelSpec {
            id: id.into(),
            source: ModelSource::Loader(ModelLoader::new(load)),
        });
        self
    }

    /// This config plus the demo model, served as [`DEMO_MODEL_ID`].
    pub fn with_demo(mut self) -> Self {
        self.models.push(ModelSpec {
            id: DEMO_MODEL_ID.to_owned(),
            source: ModelSource::Demo,
        });
        self
    }

    /// Checks the config: at least one model, unique ids, non-zero limits.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first problem.
    pub fn validate(&self) -> Result<()> {
        if self.models.is_empty() {
            return Err(Error::Config(
                "no model to serve: give --model ID=PATH or --demo".into(),
            ));
        }
        for (i, m) in self.models.iter().enumerate() {
            if m.id.is_empty() {
                return Err(Error::Config("a model id is empty".into()));
            }
            if self.models[..i].iter().any(|o| o.id == m.id) {
                return Err(Error::Config(format!("model id '{}' is given twice", m.id)));
            }
        }
        let checks = [
            (
                self.max_body_bytes == 0,
                "max body size must be at least 1 byte",
            ),
            (
                self.max_concurrency == 0,
                "max concurrency must be at least 1",
            ),
            (
                self.request_timeout.is_zero(),
                "request timeout must be > 0",
            ),
            (
                self.header_read_timeout.is_zero(),
                "header read timeout must be > 0",
            ),
            (
                self.cache_max_entries == Some(0),
                "cache must hold at least 1 model",
            ),
            (self.cache_max_bytes == 0, "cache byte budget must be > 0"),
        ];
        match checks.iter().find(|(bad, _)| *bad) {
            Some((_, why)) => Err(Error::Config((*why).to_owned())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_arg_parses_id_and_path() {
        let m = ModelSpec::parse("a=/tmp/x=y.safetensors").unwrap();
        assert_eq!(m.id, "a");
        assert_eq!(
            m.source,
            ModelSource::Path(PathBuf::from("/tmp/x=y.safetensors"))
        );
        assert!(ModelSpec::parse("noequals").is_err());
        assert!(ModelSpec::parse("=path").is_err());
        assert!(ModelSpec::parse("id=").is_err());
    }

    #[test]
    fn validate_names_the_problem() {
        let e = ServeConfig::default().validate().unwrap_err();
        assert!(e.to_string().contains("no model"), "{e}");
        let twice = ServeConfig::default().with_demo().with_demo();
        assert!(twice.validate().unwrap_err().to_string().contains("twice"));
        let zero = ServeConfig {
            max_concurrency: 0,
            ..ServeConfig::default().with_demo()
        };
        assert!(
            zero.validate()
                .unwrap_err()
                .to_string()
                .contains("concurrency")
        );
        assert!(ServeConfig::default().with_demo().validate().is_ok());
    }
}
