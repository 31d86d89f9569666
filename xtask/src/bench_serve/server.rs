//! Starting, probing and stopping the servers under test.
//!
//! Every server runs in its own process group, so stopping it (SIGTERM,
//! then SIGKILL after a grace period) also stops what it started: uvicorn's
//! workers, TorchServe's JVM and its Python workers. Probes use a tiny
//! blocking HTTP/1.1 client (`Connection: close`) so they work before and
//! between load runs.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Process groups of the servers alive now, for [`stop_all_on_signal`].
static GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// On Ctrl-C or SIGTERM, stops every server still running, then exits
/// (130): the servers live in their own process groups, so the terminal's
/// signal does not reach them.
pub fn stop_all_on_signal() -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        rt.block_on(async {
            let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            let groups = GROUPS.lock().map(|g| g.clone()).unwrap_or_default();
            for pgid in groups {
                signal_group(pgid, "KILL");
            }
            eprintln!("bench-serve: interrupted; servers stopped");
            std::process::exit(130);
        });
    });
    Ok(())
}

/// A server process this benchmark started.
#[derive(Debug)]
pub struct Server {
    /// Display name.
    pub name: String,
    child: Child,
    /// Its stdout and stderr.
    pub log: PathBuf,
}

impl Server {
    /// Spawns `cmd` in a new process group, output to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<Self> {
        let file =
            std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .process_group(0);
        let child = cmd
            .spawn()
            .with_context(|| format!("start {name}: {cmd:?}"))?;
        Ok(Self {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        })
    }

    /// The process id (the process group id too).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Polls `probe` until it is true, the process exits or `limit` passes.
    pub fn wait_ready(
        &mut self,
        limit: Duration,
        mut probe: impl FnMut() -> bool,
    ) -> Result<Duration> {
        let start = Instant::now();
        loop {
            if probe() {
                return Ok(start.elapsed());
            }
            if let Some(status) = self.exited() {
                bail!(
                    "{} exited with {status} before it was ready: {}",
                    self.name,
                    self.log_tail()
                );
            }
            if start.elapsed() > limit {
                bail!(
                    "{} not ready after {:.0} s: {}",
                    self.name,
                    limit.as_secs_f64(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines of the log, on one line.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
        if tail.is_empty() {
            "(no output)".into()
        } else {
            tail
        }
    }

    /// Pauses the whole process group (SIGSTOP): a paused server takes no
    /// CPU while another target is measured.
    pub fn pause(&self) {
        signal_group(self.child.id(), "STOP");
    }

    /// Resumes a paused process group (SIGCONT).
    pub fn resume(&self) {
        signal_group(self.child.id(), "CONT");
    }

    /// Stops the process group: SIGTERM, up to `grace` to exit, then SIGKILL.
    pub fn stop(mut self, grace: Duration) {
        let pgid = self.child.id();
        // A paused group would not act on SIGTERM.
        signal_group(pgid, "CONT");
        signal_group(pgid, "TERM");
        let start = Instant::now();
        while start.elapsed() < grace {
            if self.exited().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The leader may be gone while its group lives on (JVM, workers).
        signal_group(pgid, "KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(mut g) = GROUPS.lock() {
            g.retain(|&p| p != pgid);
        }
    }
}

fn signal_group(pgid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args(["-s", sig, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A port that was free a moment ago, with `extra` free ports after it.
pub fn free_port(extra: u16) -> Result<u16> {
    for _ in 0..200 {
        let l = TcpListener::bind("127.0.0.1:0")?;
        let p = l.local_addr()?.port();
        if p.checked_add(extra).is_none() {
            continue;
        }
        let others: std::io::Result<Vec<TcpListener>> = (1..=extra)
            .map(|i| TcpListener::bind(("127.0.0.1", p + i)))
            .collect();
        if others.is_ok() {
            return Ok(p);
        }
    }
    bail!("no run of {} free ports found on 127.0.0.1", extra + 1)
}

/// One HTTP/1.1 exchange with `Connection: close`: (status, raw text after the headers).
pub fn http_once(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes)?;
    // Some servers keep the connection open despite `Connection: close`:
    // read until the body is complete by its length (or chunked end).
    let mut resp = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        resp.extend_from_slice(&buf[..n]);
        if complete(&resp) {
            break;
        }
    }
    let text = String::from_utf8_lossy(&resp);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .with_context(|| {
            format!(
                "not an HTTP response: {:?}",
                text.chars().take(60).collect::<String>()
            )
        })?;
    let rest = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    Ok((status, rest.to_string()))
}

/// Whether `resp` holds a whole HTTP response (by Content-Length or the
/// last chunk); without either, only the end of the stream tells.
fn complete(resp: &[u8]) -> bool {
    let Some(end) = resp.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&resp[..end]).to_ascii_lowercase();
    let body = &resp[end + 4..];
    if let Some(len) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        return body.len() >= len;
    }
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    false
}

/// The integer after `"prediction":` in a response body.
pub fn prediction(body: &str) -> Option<u32> {
    let at = body.find("\"prediction\"")? + "\"prediction\"".len();
    let rest = body[at..].trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Resident set size of `pid` in KiB (VmRSS in `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS in {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_prediction() {
        assert_eq!(
            prediction(r#"{"prediction": 1, "latency_ms": 0.1}"#),
            Some(1)
        );
        assert_eq!(prediction(r#"{"latency_ms":0.1,"prediction":0}"#), Some(0));
        assert_eq!(prediction(r#"{"error":"x"}"#), None);
        assert_eq!(prediction(r#"{"prediction":"a"}"#), None);
    }

    #[test]
    fn knows_when_a_response_is_complete() {
        assert!(!complete(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"));
        assert!(!complete(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"));
        assert!(complete(
            b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nabcd"
        ));
        assert!(!complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n"
        ));
        assert!(complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"
        ));
        assert!(!complete(b"HTTP/1.0 200 OK\r\n\r\nuntil close"));
    }

    #[test]
    fn own_rss() {
        assert!(rss_kib(std::process::id()).unwrap() > 0);
    }

    #[test]
    fn probe_of_a_closed_port_fails_fast() {
        let p = free_port(0).unwrap();
        let addr: SocketAddr = ([127, 0, 0, 1], p).into();
        assert!(http_once(addr, "GET", "/ready", b"", Duration::from_millis(200)).is_err());
    }
}
