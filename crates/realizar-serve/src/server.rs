//! [`Server`]: binds the socket, loads the models behind it and runs the
//! accept loop until the shutdown signal, then drains.
//!
//! The accept loop is hyper's HTTP/1 connection driven directly (rather
//! than `axum::serve`) for two settings axum does not expose: a timer, so
//! that `header_read_timeout` closes connections whose request head never
//! completes (slow-loris clients), and `TCP_NODELAY` on every accepted
//! socket. Graceful shutdown is hyper-util's `GracefulShutdown`: on the
//! signal the listener is closed (new connections are refused), idle
//! keep-alive connections close, in-flight requests finish and are
//! answered with `Connection: close`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::config::{ModelSource, ServeConfig};
use crate::error::{Error, Result};
use crate::state::AppState;

/// A bound, not yet running server. [`bind`](Self::bind) opens the socket
/// (so [`local_addr`](Self::local_addr) is known, port 0 resolved);
/// [`run`](Self::run) serves until the shutdown future resolves.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: Arc<AppState>,
    config: ServeConfig,
}

impl Server {
    /// Checks `config` and binds its address. Models are not loaded yet:
    /// [`run`](Self::run) loads them while already answering `/health`
    /// and `/ready` (503 until loaded).
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable config, [`Error::Load`] for a
    /// model file that does not exist, [`Error::Bind`] when the address
    /// cannot be listened on.
    pub async fn bind(config: ServeConfig) -> Result<Self> {
        config.validate()?;
        // A missing file is known before binding: fail before a script
        // sees the "listening" line. (The file is read after the bind.)
        for m in &config.models {
            if let ModelSource::Path(p) = &m.source
                && let Err(e) = std::fs::metadata(p)
            {
                return Err(Error::Load {
                    id: m.id.clone(),
                    message: format!("{}: {e}", p.display()),
                });
            }
        }
        let addr = config.addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let state = AppState::new(&config)?;
        Ok(Self {
            listener,
            local_addr,
            state,
            config,
        })
    }

    /// The address the server listens on (with the OS-chosen port when the
    /// config asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shared state (models, metrics), e.g. to read metrics in-process.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Loads the models in the background and serves until `shutdown`
    /// resolves; then stops accepting, lets in-flight requests finish (at
    /// most the config's `drain_timeout`) and returns.
    ///
    /// # Errors
    /// [`Error::Load`] when a model cannot be loaded at start-up (the
    /// server stops), [`Error::Runtime`] when the loading task dies.
    pub async fn run<F>(self, shutdown: F) -> Result<()>
    where
        F: Future<Output = ()> + Send,
    {
        let Self {
            listener,
            local_addr,
            state,
            config,
        } = self;
        let app = crate::app::router(Arc::clone(&state));
        let models = Arc::clone(&state.models);
        let mut loading = tokio::task::spawn_blocking(move || models.load_all());
        let mut loaded = false;

        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout)
            .keep_alive(true);
        let graceful = GracefulShutdown::new();
        let mut failure = None;
        tracing::info!(addr = %local_addr, "listening");

        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                joined = &mut loading, if !loaded => {
                    loaded = true;
                    match joined {
                        Ok(Ok(())) => tracing::info!(models = ?state.models.ids(), "ready"),
                        Ok(Err(e)) => {
                            tracing::error!(error = %e, "start-up failed");
                            failure = Some(e);
                            break;
                        }
                        Err(e) => {
                            failure = Some(Error::Runtime(format!("model loading task: {e}")));
                            break;
                        }
                    }
                }
                accepted = listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _peer)) => stream,
                        Err(e) => {
                            // Out of file descriptors and the like: back off
                            // instead of spinning; the loop keeps serving.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    };
                    // Responses go out in one write; without this a client
                    // on the same host can wait for a delayed ACK.
                    let _ = stream.set_nodelay(true);
                    let service = Dispatch {
                        router: TowerToHyperService::new(app.clone()),
                        state: Arc::clone(&state),
                    };
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
            }
        }

        drop(listener);
        let open = graceful.count();
        tracing::info!(connections = open, "draining");
        if tokio::time::timeout(config.drain_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                timeout_ms = config.drain_timeout.as_millis() as u64,
                "drain timed out; dropping the remaining connections"
            );
        }
        tracing::info!("stopped");
        failure.map_or(Ok(()), Err)
    }
}

/// A connection's service: `POST /predict`, the hot route, goes straight
/// to its handler (routes::predict::predict_direct: same middleware, limit and
/// answers, without the router's layers); every other request to the
/// axum router.
#[derive(Clone)]
struct Dispatch {
    router: TowerToHyperService<axum::Router>,
    state: Arc<AppState>,
}

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Dispatch {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = std::result::Result<Self::Response, Self::Error>> + Send>,
    >;

    fn call(&self, req: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        if req.method() == hyper::Method::POST && req.uri().path() == "/predict" {
            let state = Arc::clone(&self.state);
            Box::pin(async move { Ok(crate::routes::predict::predict_direct(state, req).await) })
        } else {
            Box::pin(self.router.call(req))
        }
    }
}

/// Binds `config`'s address and serves until `shutdown` resolves: the
/// one-call form of [`Server::bind`] and [`Server::run`].
///
/// # Errors
/// As [`Server::bind`] and [`Server::run`].
pub async fn serve<F>(config: ServeConfig, shutdown: F) -> Result<()>
where
    F: Future<Output = ()> + Send,
{
    Server::bind(config).await?.run(shutdown).await
}
