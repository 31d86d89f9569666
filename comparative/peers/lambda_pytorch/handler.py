"""AWS Lambda handler: realizar's demo model served with PyTorch.

The peer of `crates/realizar-lambda` in `cargo xtask lambda-report`: the
same model file (crates/realizar-lambda/models/mnist-v1.safetensors, a
784 -> 2 logistic regression: weight [1, 784], bias [1]) in a
`torch.nn.Linear`, the same event (`{"features": [...]}`), the same answer
(`{"prediction", "latency_ms", "model_version"}`) and error shape
(`{"error": {"code", "message"}}`). Loaded once at init, like the Rust
bootstrap. Run as a Lambda would: `python -m awslambdaric handler.handler`
with AWS_LAMBDA_RUNTIME_API set; the environment comes from `info.py`.

REALIZAR_MODEL names the model file (default: the one of realizar-lambda).
"""

import math
import os
import time

import torch
from safetensors import safe_open
from safetensors.torch import load_file

_HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.environ.get(
    "REALIZAR_MODEL",
    os.path.join(_HERE, "..", "..", "..", "crates", "realizar-lambda", "models", "mnist-v1.safetensors"),
)

# One thread, as a 128 MB - 1769 MB Lambda has at most one vCPU.
torch.set_num_threads(1)

_tensors = load_file(MODEL_PATH)
with safe_open(MODEL_PATH, framework="pt") as f:
    _meta = f.metadata() or {}
MODEL_VERSION = _meta.get("realizar.model_version", _meta.get("model_version", "0.0.0"))
_weight = _tensors["weight"]
INPUT_DIM = _weight.shape[1]
MODEL = torch.nn.Linear(INPUT_DIM, _weight.shape[0])
with torch.no_grad():
    MODEL.weight.copy_(_weight)
    MODEL.bias.copy_(_tensors["bias"])
MODEL.eval()


def _error(code, message):
    return {"error": {"code": code, "message": message}}


def handler(event, context):
    features = event.get("features") if isinstance(event, dict) else None
    if not isinstance(features, list):
        return _error("invalid_json", 'expected {"features": [...]}')
    if len(features) != INPUT_DIM:
        return _error("invalid_input", f"expected {INPUT_DIM} features, got {len(features)}")
    t0 = time.perf_counter()
    try:
        x = torch.tensor(features, dtype=torch.float32)
    except (TypeError, ValueError) as e:
        return _error("invalid_json", f"features: {e}")
    if not bool(torch.isfinite(x).all()):
        return _error("invalid_input", "features must be finite numbers")
    with torch.inference_mode():
        z = MODEL(x).item()
    p1 = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    prediction = 1 if p1 >= 0.5 else 0
    return {
        "prediction": prediction,
        "latency_ms": (time.perf_counter() - t0) * 1e3,
        "model_version": MODEL_VERSION,
    }
