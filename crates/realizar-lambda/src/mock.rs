//! A local stand-in for the AWS Lambda Runtime API (feature `mock-runtime`),
//! to run a real `bootstrap` process (or any custom runtime, e.g. Python's
//! `awslambdaric`) as the Lambda service would: the integration test, the
//! `lambda` bench suite and `cargo xtask lambda-report` use it.
//!
//! It serves the documented endpoints
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>) on
//! `127.0.0.1:<port 0>`:
//!
//! - `GET /2018-06-01/runtime/invocation/next`: long-polls the queue of
//!   events ([`MockRuntimeApi::push`]) and answers with the event and the
//!   `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`,
//!   `-Invoked-Function-Arn` and `-Trace-Id` headers;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and
//!   `.../{id}/error`, `POST /2018-06-01/runtime/init/error`: recorded as
//!   [`Outcome`]s, answered `202`.
//!
//! Anything else (or a request id that was never handed out) is recorded as
//! [`Outcome::Unexpected`] and answered `400`/`404`. The server runs on its
//! own thread with a current-thread tokio runtime; the API here is
//! synchronous and every wait has a timeout.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc as tmpsc, oneshot};

/// The function ARN the mock hands out.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:realizar-mock";
/// The X-Ray trace header the mock hands out.
pub const TRACE_ID: &str =
    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
/// Time a function is given per event (the deadline header).
pub const DEADLINE: Duration = Duration::from_secs(30);

const PREFIX: &str = "/2018-06-01/runtime";

/// What the function did with an event, or at init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`.
    Response {
        /// The request id.
        request_id: String,
        /// The function's answer.
        body: Vec<u8>,
        /// When the body had arrived.
        at: Instant,
    },
    /// `POST /invocation/{id}/error`.
    Error {
        /// The request id.
        request_id: String,
        /// The `Lambda-Runtime-Function-Error-Type` header.
        error_type: Option<String>,
        /// The error document (`{"errorType", "errorMessage", ...}`).
        body: Vec<u8>,
        /// When the body had arrived.
        at: Instant,
    },
    /// `POST /init/error`.
    InitError {
        /// The `Lambda-Runtime-Function-Error-Type` header.
        error_type: Option<String>,
        /// The error document.
        body: Vec<u8>,
        /// When the body had arrived.
        at: Instant,
    },
    /// A request the Runtime API does not define, or an unknown request id.
    Unexpected {
        /// Method and path, e.g. `POST /2018-06-01/runtime/invocation/x/response`.
        request: String,
        /// When it arrived.
        at: Instant,
    },
}

impl Outcome {
    /// The time the outcome arrived.
    pub fn at(&self) -> Instant {
        match self {
            Self::Response { at, .. }
            | Self::Error { at, .. }
            | Self::InitError { at, .. }
            | Self::Unexpected { at, .. } => *at,
        }
    }

    /// The body as JSON, for `Response`, `Error` and `InitError`.
    pub fn json(&self) -> Option<serde_json::Value> {
        match self {
            Self::Response { body, .. }
            | Self::Error { body, .. }
            | Self::InitError { body, .. } => serde_json::from_slice(body).ok(),
            Self::Unexpected { .. } => None,
        }
    }
}

struct Queued {
    request_id: String,
    body: Bytes,
}

struct State {
    events: tokio::sync::Mutex<tmpsc::UnboundedReceiver<Queued>>,
    outcomes: mpsc::Sender<Outcome>,
    in_flight: Mutex<HashSet<String>>,
    polls: Arc<AtomicUsize>,
    first_poll: Arc<OnceLock<Instant>>,
}

/// A running mock of the Runtime API; stopped when dropped.
#[derive(Debug)]
pub struct MockRuntimeApi {
    addr: SocketAddr,
    events: tmpsc::UnboundedSender<Queued>,
    outcomes: mpsc::Receiver<Outcome>,
    polls: Arc<AtomicUsize>,
    first_poll: Arc<OnceLock<Instant>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    next_id: u64,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

impl MockRuntimeApi {
    /// Starts the server on `127.0.0.1` with an OS-chosen port.
    pub fn start() -> io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (events_tx, events_rx) = tmpsc::unbounded_channel();
        let (outcomes_tx, outcomes_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let polls = Arc::new(AtomicUsize::new(0));
        let first_poll = Arc::new(OnceLock::new());
        let state = Arc::new(State {
            events: tokio::sync::Mutex::new(events_rx),
            outcomes: outcomes_tx,
            in_flight: Mutex::new(HashSet::new()),
            polls: Arc::clone(&polls),
            first_poll: Arc::clone(&first_poll),
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("mock-runtime-api".into())
            .spawn(move || rt.block_on(serve(listener, state, stop_rx)))?;
        Ok(Self {
            addr,
            events: events_tx,
            outcomes: outcomes_rx,
            polls,
            first_poll,
            shutdown: Some(stop_tx),
            thread: Some(thread),
            next_id: 0,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` for a function: `127.0.0.1:port`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// The environment the Lambda service gives a function (128 MB,
    /// `$LATEST`, text logs), pointing at this server.
    pub fn lambda_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.runtime_api()),
            ("AWS_LAMBDA_FUNCTION_NAME", "realizar-mock".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/realizar-mock".into(),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/01/01/[$LATEST]mock".into(),
            ),
            ("AWS_LAMBDA_LOG_FORMAT", "Text".into()),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ]
    }

    /// Queues an event; returns the request id it will be delivered with.
    pub fn push(&mut self, event: impl Into<Vec<u8>>) -> String {
        self.next_id += 1;
        let request_id = format!("00000000-0000-4000-8000-{:012x}", self.next_id);
        // The receiver lives as long as the server thread, which lives as
        // long as `self`: sending cannot fail while `self` exists.
        let _ = self.events.send(Queued {
            request_id: request_id.clone(),
            body: Bytes::from(event.into()),
        });
        request_id
    }

    /// The next outcome, waiting at most `timeout`.
    pub fn next_outcome(&self, timeout: Duration) -> Option<Outcome> {
        self.outcomes.recv_timeout(timeout).ok()
    }

    /// Queues `event` and waits at most `timeout` for the function's
    /// answer to it; other outcomes arriving meanwhile are an error.
    pub fn invoke(&mut self, event: impl Into<Vec<u8>>, timeout: Duration) -> io::Result<Outcome> {
        let id = self.push(event);
        let outcome = self.next_outcome(timeout).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no answer to request {id} within {timeout:?}"),
            )
        })?;
        match &outcome {
            Outcome::Response { request_id, .. } | Outcome::Error { request_id, .. }
                if *request_id == id =>
            {
                Ok(outcome)
            }
            other => Err(io::Error::other(format!(
                "expected the answer to request {id}, got {other:?}"
            ))),
        }
    }

    /// How many `GET .../invocation/next` requests have arrived.
    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    /// When the first `GET .../invocation/next` arrived: the end of the
    /// function's init phase.
    pub fn first_poll_at(&self) -> Option<Instant> {
        self.first_poll.get().copied()
    }
}

impl Drop for MockRuntimeApi {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stop: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        route(Arc::clone(&state), req)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: &'static str) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r
}

async fn route(state: Arc<State>, req: Request<Incoming>) -> Result<Reply, hyper::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(unexpected(&state, &method, &path, StatusCode::NOT_FOUND));
    };
    if method == Method::GET && rest == "/invocation/next" {
        let _ = state.first_poll.set(Instant::now());
        state.polls.fetch_add(1, Ordering::SeqCst);
        return Ok(next_event(&state).await);
    }
    if method != Method::POST {
        return Ok(unexpected(&state, &method, &path, StatusCode::NOT_FOUND));
    }
    let error_type = req
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = req.into_body().collect().await?.to_bytes().to_vec();
    let at = Instant::now();
    if rest == "/init/error" {
        let _ = state.outcomes.send(Outcome::InitError {
            error_type,
            body,
            at,
        });
        return Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#));
    }
    let Some(tail) = rest.strip_prefix("/invocation/") else {
        return Ok(unexpected(&state, &method, &path, StatusCode::NOT_FOUND));
    };
    let (request_id, is_error) = if let Some(id) = tail.strip_suffix("/response") {
        (id, false)
    } else if let Some(id) = tail.strip_suffix("/error") {
        (id, true)
    } else {
        return Ok(unexpected(&state, &method, &path, StatusCode::NOT_FOUND));
    };
    let known = state
        .in_flight
        .lock()
        .map(|mut s| s.remove(request_id))
        .unwrap_or(false);
    if !known {
        return Ok(unexpected(&state, &method, &path, StatusCode::BAD_REQUEST));
    }
    let request_id = request_id.to_string();
    let outcome = if is_error {
        Outcome::Error {
            request_id,
            error_type,
            body,
            at,
        }
    } else {
        Outcome::Response {
            request_id,
            body,
            at,
        }
    };
    let _ = state.outcomes.send(outcome);
    Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#))
}

fn unexpected(state: &State, method: &Method, path: &str, status: StatusCode) -> Reply {
    let _ = state.outcomes.send(Outcome::Unexpected {
        request: format!("{method} {path}"),
        at: Instant::now(),
    });
    reply(
        status,
        r#"{"errorMessage":"unknown request","errorType":"InvalidRequest"}"#,
    )
}

async fn next_event(state: &State) -> Reply {
    let queued = state.events.lock().await.recv().await;
    let Some(q) = queued else {
        return reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"errorMessage":"shutting down"}"#,
        );
    };
    if let Ok(mut s) = state.in_flight.lock() {
        s.insert(q.request_id.clone());
    }
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(DEADLINE)
        .as_millis();
    let mut r = Response::new(Full::new(q.body));
    let h = r.headers_mut();
    let pairs = [
        ("lambda-runtime-aws-request-id", q.request_id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            FUNCTION_ARN.to_string(),
        ),
        ("lambda-runtime-trace-id", TRACE_ID.to_string()),
        ("content-type", "application/json".to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    r
}

/// A function process (a `bootstrap` or any custom runtime) started against
/// a [`MockRuntimeApi`]; killed when dropped.
#[derive(Debug)]
pub struct FunctionProcess {
    child: Child,
    started: Instant,
}

impl FunctionProcess {
    /// Spawns `cmd` with the Lambda environment of `api` (stdin closed,
    /// stdout and stderr as `cmd` sets them, inherited by default) and
    /// records the instant just before the spawn.
    pub fn spawn(mut cmd: Command, api: &MockRuntimeApi) -> io::Result<Self> {
        cmd.envs(api.lambda_env());
        Self::spawn_as_is(cmd)
    }

    /// Spawns `cmd` with the environment it has (stdin closed), e.g. one
    /// with a Lambda variable removed after [`MockRuntimeApi::lambda_env`].
    pub fn spawn_as_is(mut cmd: Command) -> io::Result<Self> {
        cmd.stdin(Stdio::null());
        let started = Instant::now();
        let child = cmd.spawn()?;
        Ok(Self { child, started })
    }

    /// The instant just before the process was spawned.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size so far, in KiB (`VmHWM` of
    /// `/proc/<pid>/status`; Linux only, `None` elsewhere or once exited).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.child.id(), "VmHWM:")
    }

    /// Waits at most `timeout` for the process to exit.
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= end {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The child, e.g. to read its piped output.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A `kB` field of `/proc/<pid>/status`.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
