"""TorchServe handler of the softmax-regression model of a realizar safetensors file.

Packed into `mnist-v1.mar` by `build_archive.py` beside the weights
(`model.safetensors`: tensors "weight" [k, d] f32 and "bias" [k] f32).

Request: `POST /predictions/mnist-v1` with realizar's JSON body
(`{"model_id"?, "features": [d floats], "options"?: {"return_probabilities": bool}}`,
Content-Type application/json; TorchServe hands the handler the parsed
object). Response: realizar's shape, `{"prediction", "probabilities"?,
"latency_ms", "model_version"}`. A bad request gets an `{"error": ...}` object
(TorchServe still answers 200 for a handler's per-row output; the benchmark
checks the prediction).

Each worker runs PyTorch with one intra-op thread; the parallelism is the
worker processes (`default_workers_per_model` in config.properties).
"""

from __future__ import annotations

import json
import os
import time

import torch
from safetensors import safe_open

WEIGHTS = "model.safetensors"


class SoftmaxRegressionHandler:
    """Loads the weights once per worker and answers one row per request."""

    def __init__(self) -> None:
        self.weight: torch.Tensor | None = None
        self.bias: torch.Tensor | None = None
        self.version = "unknown"

    def initialize(self, context) -> None:
        torch.set_num_threads(1)
        path = os.path.join(context.system_properties["model_dir"], WEIGHTS)
        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
            self.weight = f.get_tensor("weight").to(torch.float32).contiguous()
            self.bias = f.get_tensor("bias").to(torch.float32).contiguous()
        if self.weight.dim() != 2 or self.bias.shape != (self.weight.shape[0],):
            raise ValueError(f"{path}: weight and bias shapes do not match")
        self.version = meta.get("realizar.model_version", "unknown")

    def _one(self, row: dict) -> dict:
        body = row.get("body") if row.get("body") is not None else row.get("data")
        if isinstance(body, (bytes, bytearray)):
            body = json.loads(body)
        if not isinstance(body, dict) or not isinstance(body.get("features"), list):
            return {"error": "expected a JSON object with a 'features' list"}
        features = body["features"]
        if len(features) != self.weight.shape[1]:
            return {"error": f"expected {self.weight.shape[1]} features, got {len(features)}"}
        start = time.perf_counter()
        with torch.inference_mode():
            x = torch.tensor(features, dtype=torch.float32)
            logits = torch.addmv(self.bias, self.weight, x)
            out = {"prediction": int(torch.argmax(logits))}
            options = body.get("options") or {}
            if options.get("return_probabilities"):
                out["probabilities"] = torch.softmax(logits, dim=0).tolist()
        out["latency_ms"] = (time.perf_counter() - start) * 1e3
        out["model_version"] = self.version
        return out

    def handle(self, data: list, context) -> list:
        return [self._one(row) for row in data]


_service = SoftmaxRegressionHandler()


def handle(data, context):
    """TorchServe's entry point: `None` data is the worker's warm-up call."""
    if _service.weight is None:
        _service.initialize(context)
    if data is None:
        return None
    return _service.handle(data, context)
