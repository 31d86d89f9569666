# /// script
# requires-python = ">=3.11"
# dependencies = ["fastapi==0.163.2", "uvicorn[standard]==0.54.0", "torch==2.15.0", "safetensors==0.8.0", "numpy>=2"]
# ///
"""FastAPI + uvicorn + PyTorch peer of `realizar serve` for `cargo xtask bench-serve`.

Serves the softmax-regression model of a realizar safetensors file (tensors
"weight" [k, d] f32 and "bias" [k] f32) with realizar's request and response
shapes:

    POST /predict {"model_id"?, "features": [d floats], "options"?: {"return_probabilities": bool}}
               -> {"prediction", "probabilities"?, "latency_ms", "model_version"}
    GET  /health, GET /ready

Run standalone:

    uv run --script comparative/peers/serve_fastapi.py --model PATH --port 8000 [--workers N]

Each uvicorn worker process loads the weights itself and runs PyTorch with
one intra-op thread (`torch.set_num_threads(1)`): the parallelism is the
worker processes, `--workers` (default: the number of cores). uvicorn is
installed as `uvicorn[standard]`, so it runs on uvloop and httptools, the
usual production set-up. (With plain `uvicorn`, asyncio and h11, and more
than one worker, the accepted sockets lack TCP_NODELAY: h11 writes the
head and the body separately and every keep-alive response then waits
~40 ms for the client's delayed ACK.)
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from safetensors import safe_open

MODEL_ENV = "SERVE_FASTAPI_MODEL"
MODEL_ID = "mnist-v1"


class Options(BaseModel):
    return_probabilities: bool = False


class PredictRequest(BaseModel):
    model_id: str | None = None
    features: list[float]
    options: Options | None = None


def load(path: str) -> tuple[torch.Tensor, torch.Tensor, str]:
    """Weight [k, d], bias [k] and the model version from a realizar safetensors file."""
    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
        weight = f.get_tensor("weight").to(torch.float32).contiguous()
        bias = f.get_tensor("bias").to(torch.float32).contiguous()
    if weight.dim() != 2 or bias.shape != (weight.shape[0],):
        raise ValueError(f"{path}: weight {tuple(weight.shape)} and bias {tuple(bias.shape)} do not match")
    return weight, bias, meta.get("realizar.model_version", "unknown")


torch.set_num_threads(1)
app = FastAPI()
_model: tuple[torch.Tensor, torch.Tensor, str] | None = None
if os.environ.get(MODEL_ENV):
    _model = load(os.environ[MODEL_ENV])


@app.get("/health")
def health() -> dict:
    return {"status": "healthy", "version": "fastapi-peer"}


@app.get("/ready")
def ready() -> dict:
    if _model is None:
        raise HTTPException(status_code=503, detail="no model")
    return {"ready": True, "models": [MODEL_ID]}


@app.post("/predict")
def predict(req: PredictRequest) -> dict:
    if _model is None:
        raise HTTPException(status_code=503, detail="no model")
    if req.model_id not in (None, MODEL_ID):
        raise HTTPException(status_code=404, detail=f"unknown model {req.model_id!r}")
    weight, bias, version = _model
    if len(req.features) != weight.shape[1]:
        raise HTTPException(status_code=422, detail=f"expected {weight.shape[1]} features, got {len(req.features)}")
    start = time.perf_counter()
    with torch.inference_mode():
        x = torch.tensor(req.features, dtype=torch.float32)
        logits = torch.addmv(bias, weight, x)
        prediction = int(torch.argmax(logits))
        probabilities = None
        if req.options is not None and req.options.return_probabilities:
            probabilities = torch.softmax(logits, dim=0).tolist()
    out = {
        "prediction": prediction,
        "latency_ms": (time.perf_counter() - start) * 1e3,
        "model_version": version,
    }
    if probabilities is not None:
        out["probabilities"] = probabilities
    return out


def main() -> None:
    import uvicorn

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="realizar safetensors file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = p.parse_args()
    load(a.model)  # fail here, once, on a bad file
    os.environ[MODEL_ENV] = os.path.abspath(a.model)
    print(f"fastapi peer: {a.workers} uvicorn workers, torch {torch.__version__}, 1 torch thread each", flush=True)
    uvicorn.run(
        "serve_fastapi:app",
        app_dir=os.path.dirname(os.path.abspath(__file__)),
        host=a.host,
        port=a.port,
        workers=a.workers,
        log_level=os.environ.get("SERVE_FASTAPI_LOG", "warning"),
        access_log=False,
        # Importing torch in a fresh worker can take longer than uvicorn's
        # default 5 s health-check on a busy machine, which then kills and
        # respawns the worker forever.
        timeout_worker_healthcheck=120,
    )


if __name__ == "__main__":
    main()
