# /// script
# requires-python = ">=3.11"
# dependencies = ["torch-model-archiver==0.12.0"]
# ///
"""Builds TorchServe's model archive and configuration for the serve benchmark.

    uv run --script comparative/peers/torchserve/build_archive.py \
        --model PATH.safetensors --workdir DIR --port 8080 [--workers N]

writes DIR/store/mnist-v1.mar (handler.py and the weights as
model.safetensors, packed by torch-model-archiver) and DIR/config.properties
(the template beside this file with ports, model store, workers and this
Python filled in). `comparative/serve_benchmark.py torchserve` calls
`build` and then starts TorchServe with that configuration.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_NAME = "mnist-v1"


def build(model: str, workdir: str, port: int, workers: int, python: str = sys.executable) -> str:
    """Writes the archive and config.properties under `workdir`; returns the config's path."""
    store = os.path.join(workdir, "store")
    stage = os.path.join(workdir, "stage")
    for d in (store, stage):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    weights = os.path.join(stage, "model.safetensors")
    shutil.copyfile(model, weights)
    archiver = os.path.join(os.path.dirname(sys.executable), "torch-model-archiver")
    subprocess.run(
        [
            archiver if os.path.exists(archiver) else "torch-model-archiver",
            "--model-name", MODEL_NAME,
            "--version", "1.0",
            "--handler", os.path.join(HERE, "handler.py"),
            "--extra-files", weights,
            "--export-path", store,
            "--force",
        ],
        check=True,
    )
    with open(os.path.join(HERE, "config.properties"), encoding="utf-8") as f:
        text = f.read()
    for key, value in {
        "INFERENCE_PORT": port,
        "MANAGEMENT_PORT": port + 1,
        "METRICS_PORT": port + 2,
        "MODEL_STORE": store,
        "WORKERS": workers,
        "PYTHON": python,
    }.items():
        text = text.replace(f"@{key}@", str(value))
    config = os.path.join(workdir, "config.properties")
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)
    return config


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = p.parse_args()
    print(build(a.model, a.workdir, a.port, a.workers))


if __name__ == "__main__":
    main()
