//! `realizar serve`: the HTTP model server (crate `realizar-serve`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use realizar_serve::{ModelSpec, ServeConfig, Server};

/// Examples shown by `realizar serve --help`.
pub const EXAMPLES: &str = "Examples:
  realizar serve --demo
  curl -s localhost:3000/predict -H 'content-type: application/json' \\
       -d \"{\\\"features\\\": [$(seq -s, 784 | sed 's/[0-9]*/0.5/g')]}\"
  realizar serve --model mnist=model.safetensors --model other=other.safetensors --port 8080
  realizar serve --demo --port 0              # a free port, printed on the first line
  RUST_LOG=info,realizar_serve::access=debug realizar serve --demo   # log every request

The first line on stdout is `listening on http://ADDR` once the socket is bound;
/ready answers 503 until the models are loaded, then 200. SIGTERM or Ctrl-C
stops accepting and lets in-flight requests finish.";

/// Options of `realizar serve`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("models").required(true).multiple(true).args(["model", "demo"])))]
pub struct Args {
    /// A model to serve: ID=PATH of a .safetensors file (repeatable). The
    /// first is the default for requests without model_id.
    #[arg(long, value_name = "ID=PATH", value_parser = parse_model)]
    model: Vec<ModelSpec>,
    /// Train the synthetic 784 -> 2 logistic model at start-up and serve it
    /// as `mnist-v1` (the default model when no --model is given).
    #[arg(long)]
    demo: bool,
    /// Address to listen on (an IP address, or `localhost`).
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_host)]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Largest request body in bytes (413 past it).
    #[arg(long, value_name = "BYTES", default_value_t = ServeConfig::DEFAULT_MAX_BODY_BYTES)]
    max_body: usize,
    /// Time limit of one request in milliseconds, body reading included (408 past it).
    #[arg(long, value_name = "MS", default_value_t = ServeConfig::DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: u64,
    /// Most predictions handled at once; more are answered 503 at once (no queue).
    #[arg(long, value_name = "N", default_value_t = ServeConfig::DEFAULT_MAX_CONCURRENCY)]
    max_concurrency: usize,
    /// Time a client has to send a request head, in milliseconds; also the
    /// idle keep-alive limit.
    #[arg(long, value_name = "MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_ms: u64,
    /// Async worker threads (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// Most models held in memory at once (default: all of them).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    cache_entries: Option<u32>,
}

fn parse_model(s: &str) -> Result<ModelSpec, String> {
    ModelSpec::parse(s).map_err(|e| e.to_string())
}

fn parse_host(s: &str) -> Result<IpAddr, String> {
    // No name resolution: start-up must not wait on DNS.
    if s.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    IpAddr::from_str(s)
        .map_err(|_| format!("'{s}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::)"))
}

/// Logs to stderr, filtered by `RUST_LOG` (`info` by default). Per-request
/// lines are on target `realizar_serve::access` at debug level.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    let default = "info";
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| default.to_owned());
    let filter = tracing_subscriber::filter::Targets::from_str(&spec).unwrap_or_else(|e| {
        eprintln!("warning: ignoring RUST_LOG={spec:?} ({e}); using {default}");
        tracing_subscriber::filter::Targets::from_str(default).unwrap_or_default()
    });
    // The builder's own level cap (INFO by default) is lifted: the targets
    // filter decides.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::stderr)
        .with_target(true)
        .finish()
        .with(filter);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    init_logging();
    let mut config = ServeConfig {
        addr: SocketAddr::new(args.host, args.port),
        models: args.model,
        max_body_bytes: args.max_body,
        request_timeout: Duration::from_millis(args.timeout_ms),
        header_read_timeout: Duration::from_millis(args.header_timeout_ms),
        max_concurrency: args.max_concurrency,
        cache_max_entries: args.cache_entries.map(|n| n as usize),
        ..ServeConfig::default()
    };
    if args.demo {
        config = config.with_demo();
    }
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        usize::from,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(4)
        .thread_name("realizar-serve")
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(async {
        let server = Server::bind(config).await?;
        println!("listening on http://{}", server.local_addr());
        server.run(realizar_serve::shutdown_signal()).await
    });
    // A model still loading (a long --demo training) must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result.context("realizar serve")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_ip_addresses_or_localhost() {
        assert_eq!(
            parse_host("localhost").unwrap(),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            parse_host("0.0.0.0").unwrap(),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        );
        assert!(parse_host("::1").is_ok());
        assert!(parse_host("example.com").unwrap_err().contains("not an IP"));
    }
}
