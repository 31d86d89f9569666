//! The server's Prometheus metrics, exposed by `GET /metrics` in the text
//! format that `prometheus-client` encodes.
//!
//! Recording sits on every request, so it is kept to a few relaxed atomic
//! adds: the label sets are resolved once at start-up (a counter handle per
//! route and common status code, a histogram per route and per model) and
//! the request path only indexes arrays. `prometheus-client`'s own
//! `Histogram` takes a mutex on each observation; [`LatencyHistogram`]
//! below is a lock-free one (fixed buckets, atomic counts) that implements
//! the crate's `EncodeMetric`, so the exposition is still the crate's.
//! Model-cache counters are read from the cache's own lock-free metrics at
//! scrape time by a `Collector`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::{Registry, Unit};

use crate::state::ModelStore;

/// Upper bounds (seconds) of the latency buckets: 10 µs to 10 s. The
/// server answers `/predict` in tens of microseconds, so the usual
/// 5 ms-first buckets would put everything in one.
pub const LATENCY_BUCKETS: [f64; 19] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram of durations with the fixed [`LATENCY_BUCKETS`], recorded
/// with atomic adds only (no lock). Clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct LatencyHistogram {
    inner: Arc<HistogramInner>,
}

#[derive(Debug)]
struct HistogramInner {
    /// Observations per bucket (not cumulative); the last is `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    count: AtomicU64,
    /// Sum of observations in nanoseconds (exact; 584 years to overflow).
    sum_nanos: AtomicU64,
}

impl Default for HistogramInner {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

impl LatencyHistogram {
    /// Records one duration.
    #[inline]
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.inner.buckets[i].fetch_add(1, Relaxed);
        self.inner.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.inner.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.inner.count.load(Relaxed)
    }

    /// Sum of the observations, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.inner.sum_nanos.load(Relaxed) as f64 * 1e-9
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), fmt::Error> {
        // Per-bucket counts: the encoder makes them cumulative.
        let mut buckets = [(0.0f64, 0u64); LATENCY_BUCKETS.len() + 1];
        let mut count = 0u64;
        for (i, slot) in buckets.iter_mut().enumerate() {
            let n = self.inner.buckets[i].load(Relaxed);
            count += n;
            let bound = LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
            *slot = (bound, n);
        }
        // The count is the sum of the buckets, so the exposition is
        // consistent even while other threads record.
        encoder.encode_histogram::<NoLabelSet>(self.sum_seconds(), count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// The routes the metrics tell apart. Anything else (unknown paths) is
/// `Other`, which keeps the label set bounded whatever clients send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /health`.
    Health,
    /// `GET /ready`.
    Ready,
    /// `POST /predict`.
    Predict,
    /// `POST /predict/batch`.
    PredictBatch,
    /// `GET /models`.
    Models,
    /// `GET /metrics`.
    Metrics,
    /// Any other path.
    Other,
}

impl Route {
    /// Every route, in label-table order.
    pub const ALL: [Route; 7] = [
        Route::Health,
        Route::Ready,
        Route::Predict,
        Route::PredictBatch,
        Route::Models,
        Route::Metrics,
        Route::Other,
    ];

    /// The route of a request path.
    #[inline]
    pub fn of_path(path: &str) -> Route {
        match path {
            "/predict" => Route::Predict,
            "/predict/batch" => Route::PredictBatch,
            "/health" => Route::Health,
            "/ready" => Route::Ready,
            "/models" => Route::Models,
            "/metrics" => Route::Metrics,
            _ => Route::Other,
        }
    }

    /// The `route` label value.
    pub fn label(self) -> &'static str {
        match self {
            Route::Health => "/health",
            Route::Ready => "/ready",
            Route::Predict => "/predict",
            Route::PredictBatch => "/predict/batch",
            Route::Models => "/models",
            Route::Metrics => "/metrics",
            Route::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Status codes whose counters are resolved at start-up; others are looked
/// up in the family on use.
const COMMON_STATUS: [u16; 10] = [200, 400, 404, 405, 408, 413, 415, 422, 500, 503];

/// Labels of `realizar_http_requests_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route (see [`Route::label`]).
    pub route: &'static str,
    /// The HTTP status code sent.
    pub status: u16,
}

/// Labels of the per-route latency histogram.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route (see [`Route::label`]).
    pub route: &'static str,
}

/// Labels of the per-model inference histogram.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ModelLabels {
    /// The model id.
    pub model: String,
}

/// Labels of `realizar_build_info`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    crate_name: &'static str,
}

/// All the server's metrics and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    /// `requests` handles per route and [`COMMON_STATUS`] entry.
    request_table: Vec<[Counter; COMMON_STATUS.len()]>,
    durations: Vec<LatencyHistogram>,
    in_flight: Gauge,
}

/// The per-model inference histograms, created before the [`Metrics`]
/// that register them (the model table needs the handles first).
#[derive(Debug, Clone, Default)]
pub struct ModelHistograms(Family<ModelLabels, LatencyHistogram>);

impl ModelHistograms {
    /// The histogram of one model (resolve once, keep the handle).
    pub fn get(&self, model: &str) -> LatencyHistogram {
        self.0.get_or_create_owned(&ModelLabels {
            model: model.to_owned(),
        })
    }
}

impl Metrics {
    /// Registers every metric; `models` feeds the cache counters at scrape
    /// time and `inference` holds the per-model histograms.
    pub fn new(models: Arc<ModelStore>, inference: ModelHistograms) -> Self {
        let mut registry = Registry::with_prefix("realizar");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status code",
            requests.clone(),
        );
        let durations_family = Family::<RouteLabels, LatencyHistogram>::default();
        registry.register_with_unit(
            "http_request_duration",
            "Time from request head to response head, by route",
            Unit::Seconds,
            durations_family.clone(),
        );
        let inference = inference.0;
        registry.register_with_unit(
            "inference_duration",
            "Time spent in validation and the model per predict or batch request, by model",
            Unit::Seconds,
            inference.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being handled now",
            in_flight.clone(),
        );
        registry.register(
            "build",
            "The server's build",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                crate_name: env!("CARGO_PKG_NAME"),
            }),
        );
        registry.register_collector(Box::new(CacheCollector { models }));

        let request_table = Route::ALL
            .iter()
            .map(|r| {
                COMMON_STATUS.map(|status| {
                    requests.get_or_create_owned(&RequestLabels {
                        route: r.label(),
                        status,
                    })
                })
            })
            .collect();
        let durations = Route::ALL
            .iter()
            .map(|r| durations_family.get_or_create_owned(&RouteLabels { route: r.label() }))
            .collect();
        Self {
            registry,
            requests,
            request_table,
            durations,
            in_flight,
        }
    }

    /// Counts one answered request and its duration.
    #[inline]
    pub fn record_request(&self, route: Route, status: u16, elapsed: Duration) {
        match COMMON_STATUS.iter().position(|&s| s == status) {
            Some(i) => {
                self.request_table[route.index()][i].inc();
            }
            None => {
                self.requests
                    .get_or_create(&RequestLabels {
                        route: route.label(),
                        status,
                    })
                    .inc();
            }
        }
        self.durations[route.index()].observe(elapsed);
    }

    /// The in-flight requests gauge.
    pub fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> Result<String, fmt::Error> {
        let mut out = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Reads the model cache's counters at scrape time.
#[derive(Debug)]
struct CacheCollector {
    models: Arc<ModelStore>,
}

impl CacheCollector {
    fn counter(
        encoder: &mut DescriptorEncoder,
        name: &str,
        help: &str,
        value: u64,
    ) -> Result<(), fmt::Error> {
        let c = ConstCounter::new(value);
        c.encode(encoder.encode_descriptor(name, help, None, c.metric_type())?)
    }
}

impl Collector for CacheCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let m = self.models.cache_metrics();
        Self::counter(
            &mut encoder,
            "model_cache_hits",
            "Model lookups answered from the cache",
            m.hits(),
        )?;
        Self::counter(
            &mut encoder,
            "model_cache_misses",
            "Model lookups that had to load the model",
            m.misses(),
        )?;
        Self::counter(
            &mut encoder,
            "model_cache_evictions",
            "Models evicted from the cache",
            m.evictions(),
        )?;
        Self::counter(
            &mut encoder,
            "model_cache_loads",
            "Models loaded into the cache",
            m.loads(),
        )?;
        let entries = ConstGauge::new(self.models.cached_models() as i64);
        entries.encode(encoder.encode_descriptor(
            "model_cache_entries",
            "Models in the cache now",
            None,
            entries.metric_type(),
        )?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_in_the_exposition() {
        let h = LatencyHistogram::default();
        h.observe(Duration::from_micros(5));
        h.observe(Duration::from_micros(30));
        h.observe(Duration::from_secs(60));
        assert_eq!(h.count(), 3);
        let mut registry = Registry::default();
        registry.register("t", "test", h.clone());
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        assert!(out.contains("t_bucket{le=\"0.00001\"} 1"), "{out}");
        assert!(out.contains("t_bucket{le=\"0.00005\"} 2"), "{out}");
        assert!(out.contains("t_bucket{le=\"10.0\"} 2"), "{out}");
        assert!(out.contains("t_bucket{le=\"+Inf\"} 3"), "{out}");
        assert!(out.contains("t_count 3"), "{out}");
        assert!((h.sum_seconds() - 60.000_035).abs() < 1e-9);
    }

    #[test]
    fn paths_map_to_bounded_routes() {
        assert_eq!(Route::of_path("/predict"), Route::Predict);
        assert_eq!(Route::of_path("/predict/batch"), Route::PredictBatch);
        assert_eq!(Route::of_path("/predict/"), Route::Other);
        assert_eq!(Route::of_path("/anything/else"), Route::Other);
        for (i, r) in Route::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
