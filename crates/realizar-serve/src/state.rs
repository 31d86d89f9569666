//! Shared server state: the served models (behind the model cache), the
//! metrics and the limits, built once and shared by every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use realizar_cache::{CacheConfig, CacheMetrics, ModelCache};
use realizar_infer::api::{ErrorCode, ModelInfo};
use realizar_infer::model::ClassicalModel;

use crate::config::{ModelLoader, ModelSource, ServeConfig};
use crate::error::{Error, HttpError, Result};
use crate::metrics::{LatencyHistogram, Metrics};

/// One served model: its id, where it comes from and its inference
/// histogram handle.
#[derive(Debug)]
pub struct ModelEntry {
    /// The id requests use.
    pub id: String,
    source: Source,
    /// Inference time of this model (handle resolved once).
    pub inference: LatencyHistogram,
    /// Its description, known once it has been loaded.
    info: OnceLock<ModelInfo>,
}

#[derive(Debug)]
enum Source {
    Path(std::path::PathBuf),
    /// Trained at start-up and kept here, so an eviction can be undone by
    /// a clone instead of a retraining.
    /// (Boxed: a model is much larger than the other variants.)
    Demo(Box<OnceLock<ClassicalModel>>),
    Loader(ModelLoader),
}

/// The served models: a fixed table of entries (set at start-up) whose
/// loaded values live in the [`ModelCache`].
#[derive(Debug)]
pub struct ModelStore {
    entries: Vec<ModelEntry>,
    by_id: HashMap<String, usize>,
    cache: ModelCache<String, ClassicalModel>,
    ready: AtomicBool,
}

impl ModelStore {
    /// The table for `config`'s models; nothing is loaded yet.
    ///
    /// # Errors
    /// [`Error::Cache`] when the cache limits are invalid.
    pub fn new(
        config: &ServeConfig,
        metrics_for: impl Fn(&str) -> LatencyHistogram,
    ) -> Result<Self> {
        let entries: Vec<ModelEntry> = config
            .models
            .iter()
            .map(|m| ModelEntry {
                id: m.id.clone(),
                source: match &m.source {
                    ModelSource::Path(p) => Source::Path(p.clone()),
                    ModelSource::Demo => Source::Demo(Box::default()),
                    ModelSource::Loader(f) => Source::Loader(f.clone()),
                },
                inference: metrics_for(&m.id),
                info: OnceLock::new(),
            })
            .collect();
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        let max_entries = config.cache_max_entries.unwrap_or(entries.len()).max(1);
        let cache = ModelCache::new(CacheConfig::new(max_entries, config.cache_max_bytes))?;
        Ok(Self {
            entries,
            by_id,
            cache,
            ready: AtomicBool::new(false),
        })
    }

    /// Whether every model has been loaded once.
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The entry a request names, or the default (first) model.
    ///
    /// # Errors
    /// 404 `model_not_found` for an unknown id; 503 while models load.
    #[inline]
    pub fn entry(&self, id: Option<&str>) -> std::result::Result<&ModelEntry, HttpError> {
        if !self.is_ready() {
            return Err(HttpError::api(
                ErrorCode::Overloaded,
                "models are still loading; poll GET /ready",
            ));
        }
        let i = match id {
            None => 0,
            Some(id) => *self.by_id.get(id).ok_or_else(|| {
                HttpError::api(
                    ErrorCode::ModelNotFound,
                    format!("no model '{id}'; served: {}", self.ids().join(", ")),
                )
            })?,
        };
        // Index 0 exists: a config without models is refused at start-up.
        self.entries
            .get(i)
            .ok_or_else(|| HttpError::api(ErrorCode::ModelNotFound, "this server serves no model"))
    }

    /// The loaded model of `entry`: a cache hit, or a (re)load off the
    /// async threads after an eviction.
    ///
    /// # Errors
    /// 500 `internal` when the model file cannot be loaded any more.
    #[inline]
    pub async fn model(
        self: &Arc<Self>,
        entry: &ModelEntry,
    ) -> std::result::Result<Arc<ClassicalModel>, HttpError> {
        if let Some(m) = self.cache.get(entry.id.as_str()) {
            return Ok(m);
        }
        let store = Arc::clone(self);
        let id = entry.id.clone();
        tokio::task::spawn_blocking(move || store.load(&id))
            .await
            .map_err(|e| Error::Runtime(e.to_string()))
            .and_then(|r| r)
            .map_err(|e| {
                tracing::error!(error = %e, "model reload failed");
                HttpError::api(ErrorCode::Internal, e.to_string())
            })
    }

    /// Loads (or fetches) one model through the cache; blocking.
    fn load(&self, id: &str) -> Result<Arc<ClassicalModel>> {
        let entry = self
            .by_id
            .get(id)
            .and_then(|&i| self.entries.get(i))
            .ok_or_else(|| Error::Load {
                id: id.to_owned(),
                message: "not a configured model".into(),
            })?;
        let model = self
            .cache
            .get_or_load(entry.id.clone(), || match &entry.source {
                Source::Path(p) => ClassicalModel::load(p),
                Source::Loader(f) => (f.0)(),
                Source::Demo(slot) => match slot.get() {
                    Some(m) => Ok(m.clone()),
                    None => {
                        let m = realizar_infer::data::demo_model()?;
                        Ok(slot.get_or_init(|| m).clone())
                    }
                },
            })
            .map_err(|e| Error::Load {
                id: entry.id.clone(),
                message: e.to_string(),
            })?;
        let _ = entry.info.set(model.info(&entry.id));
        Ok(model)
    }

    /// Loads every model, in order, then marks the store ready; blocking.
    ///
    /// # Errors
    /// [`Error::Load`] for the first model that fails.
    pub fn load_all(&self) -> Result<()> {
        for e in &self.entries {
            let started = std::time::Instant::now();
            let m = self.load(&e.id)?;
            tracing::info!(
                model = %e.id,
                model_type = m.model_type(),
                version = m.version(),
                input_dim = m.input_dim(),
                n_classes = m.n_classes(),
                load_ms = started.elapsed().as_secs_f64() * 1e3,
                "model loaded"
            );
        }
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Ids of the configured models, in order.
    pub fn ids(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.id.clone()).collect()
    }

    /// Descriptions of the models loaded so far, in configuration order.
    pub fn infos(&self) -> Vec<ModelInfo> {
        self.entries
            .iter()
            .filter_map(|e| e.info.get().cloned())
            .collect()
    }

    /// The cache's counters.
    pub fn cache_metrics(&self) -> &CacheMetrics {
        self.cache.metrics()
    }

    /// Models in the cache now.
    pub fn cached_models(&self) -> usize {
        self.cache.len()
    }
}

/// Everything a request handler reads.
#[derive(Debug)]
pub struct AppState {
    /// The served models.
    pub models: Arc<ModelStore>,
    /// The metrics.
    pub metrics: Metrics,
    /// Largest accepted body, in bytes.
    pub max_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout: std::time::Duration,
    /// Permits of the prediction routes (`max_concurrency`), shared by
    /// the router's limit and the direct `POST /predict` path.
    pub predict_permits: Arc<tokio::sync::Semaphore>,
    /// The concurrency limit (the semaphore's size).
    pub max_concurrency: usize,
}

impl AppState {
    /// State for `config` (models not loaded yet).
    ///
    /// # Errors
    /// [`Error::Cache`] when the cache limits are invalid.
    pub fn new(config: &ServeConfig) -> Result<Arc<Self>> {
        // The inference histograms belong to the metrics registry, which
        // needs the store for its cache collector: a scratch family hands
        // out handles that the registry then adopts.
        let histograms = crate::metrics::ModelHistograms::default();
        let models = Arc::new(ModelStore::new(config, |id| histograms.get(id))?);
        let metrics = Metrics::new(Arc::clone(&models), histograms);
        Ok(Arc::new(Self {
            models,
            metrics,
            max_body_bytes: config.max_body_bytes,
            request_timeout: config.request_timeout,
            predict_permits: Arc::new(tokio::sync::Semaphore::new(config.max_concurrency)),
            max_concurrency: config.max_concurrency,
        }))
    }
}
