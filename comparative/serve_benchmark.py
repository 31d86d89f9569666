# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "fastapi==0.163.2",
#     "uvicorn[standard]==0.54.0",
#     "torch==2.15.0",
#     "safetensors==0.8.0",
#     "numpy>=2",
#     "torchserve==0.12.0",
#     "torch-model-archiver==0.12.0",
#     "setuptools<81",
#     "pyyaml>=6",
#     "psutil>=5.9",
# ]
# ///
"""The Python side of `cargo xtask bench-serve`: starts the Python peers.

`cargo xtask bench-serve` is the one command: it writes the model file,
runs this script to start each peer, drives the load from Rust and writes
comparative/SERVE_RESULTS.md. This script only starts servers (in the
foreground, so the caller owns the process group and stops it):

    uv run --script comparative/serve_benchmark.py versions
    uv run --script comparative/serve_benchmark.py fastapi    --model M.safetensors --port P [--workers N]
    uv run --script comparative/serve_benchmark.py torchserve --model M.safetensors --port P --workdir DIR [--workers N]
    uv run --script comparative/serve_benchmark.py torchserve-stop

* fastapi: comparative/peers/serve_fastapi.py under uvicorn, N worker
  processes (default: cores), PyTorch with one thread in each; same request
  and response JSON as realizar (POST /predict).
* torchserve: builds mnist-v1.mar with torch-model-archiver
  (comparative/peers/torchserve/build_archive.py, handler.py) and runs
  `torchserve --start --foreground --ncs` with default_workers_per_model = N;
  requests go to POST /predictions/mnist-v1 with the same JSON body.

uv installs the dependencies above on first use (torch is large).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")


def versions() -> None:
    out = {"python": platform.python_version()}
    for pkg in ("torch", "fastapi", "uvicorn", "torchserve", "torch-model-archiver"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    java = shutil.which("java")
    if java:
        r = subprocess.run([java, "-version"], capture_output=True, text=True)
        out["java"] = (r.stderr or r.stdout).splitlines()[0] if (r.stderr or r.stdout) else "unknown"
    else:
        out["java"] = None
    print(json.dumps(out))


def fastapi(a: argparse.Namespace) -> None:
    script = os.path.join(PEERS, "serve_fastapi.py")
    args = [sys.executable, script, "--model", a.model, "--port", str(a.port), "--workers", str(a.workers)]
    os.execv(sys.executable, args)


def torchserve(a: argparse.Namespace) -> None:
    if shutil.which("java") is None:
        sys.exit("torchserve needs Java (openjdk 17): no `java` on PATH")
    sys.path.insert(0, os.path.join(PEERS, "torchserve"))
    from build_archive import build

    os.makedirs(a.workdir, exist_ok=True)
    config = build(a.model, a.workdir, a.port, a.workers)
    bin_dir = os.path.dirname(sys.executable)
    ts = os.path.join(bin_dir, "torchserve")
    env = dict(os.environ)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    # TorchServe writes logs/ under the current directory.
    os.chdir(a.workdir)
    os.execve(
        ts,
        [
            ts,
            "--start",
            "--foreground",
            "--ncs",
            "--disable-token-auth",
            "--model-store",
            os.path.join(a.workdir, "store"),
            "--ts-config",
            config,
            "--models",
            "mnist-v1=mnist-v1.mar",
        ],
        env,
    )


def torchserve_stop() -> None:
    ts = os.path.join(os.path.dirname(sys.executable), "torchserve")
    subprocess.run([ts, "--stop"], check=False)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("versions", help="print the peers' versions as JSON")
    for name in ("fastapi", "torchserve"):
        s = sub.add_parser(name)
        s.add_argument("--model", required=True, help="realizar safetensors file")
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        if name == "torchserve":
            s.add_argument("--workdir", required=True)
    sub.add_parser("torchserve-stop", help="torchserve --stop")
    a = p.parse_args()
    if a.cmd == "versions":
        versions()
    elif a.cmd == "fastapi":
        fastapi(a)
    elif a.cmd == "torchserve":
        torchserve(a)
    else:
        torchserve_stop()


if __name__ == "__main__":
    main()
