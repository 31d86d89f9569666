"""The Python peers of the MNIST comparison: PyTorch, numpy and onnxruntime.

Two steps, which `cargo xtask compare-pytorch` runs in this order:

    uv run python mnist_benchmark.py train [--out-dir results]
        Trains torch.nn.Linear(784, 2) on the synthetic data set (mnist_data.py,
        seed 42), then writes to --out-dir:
          pytorch_weights.safetensors   "weight" [2, 784] f32, "bias" [2] f32 and
                                        the realizar.* metadata realizar-infer reads
          pytorch_predictions.json      PyTorch's class and p(class 1) on all 1000 samples
          pytorch_model.onnx            the same nn.Linear, exported by torch.onnx
        With --fixture-dir DIR it also writes the committed fixture of the Rust
        test crates/realizar-infer/tests/pytorch_same_weights.rs:
          uv run python mnist_benchmark.py train --fixture-dir ../crates/realizar-infer/tests/fixtures

    uv run python mnist_benchmark.py bench [--out-dir results/round1] [--weights results/...]
        Loads those weights into every peer and times them the way
        realizar's example times itself, one thread, each call timed alone
        with time.perf_counter_ns around it, the garbage collector disabled
        while timing, in two series of 100 warm-up calls and --iterations
        (10,000) timed ones:
          cycling (latencies_ns, cold input): sample k mod 1000 read in
            place from the 1000-sample set (3.1 MB, more than a 2 MB L2);
          request buffer (latencies_hot_ns, hot input): before each call,
            untimed, sample k mod 1000 is copied into one preallocated
            request buffer (as a server's parser writes a request's
            features), and only the prediction on that buffer is timed.
        Then the whole 1000-sample batch timed --batch-iterations times.
        Writes {pytorch,numpy,onnxruntime}_mnist_results.json in the schema
        of realizar's realizar_mnist_results.json.

The timed call of each peer is "one sample in, the class index out as a
Python int" (argmax of the logits; softmax is monotonic so it does not
change the class), the same job as realizar's `predict(&[f32]) -> u32`.
Inputs are prepared before timing: for the cycling series a (1, 784) tensor
or array per sample (views of the data set, as realizar's inputs are slices
of it); for the request-buffer series one tensor or array of that shape,
allocated once, that each sample is copied into (torch `buf.copy_(x_i)`,
numpy `np.copyto(buf, x_i)`) before the clock starts, as realizar copies
into its one `Vec<f32>`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

# One thread for every peer, set before numpy (OpenBLAS) and torch (OpenMP)
# start their pools: the comparison is single-threaded on both sides.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

from mnist_data import DIM, N_CLASSES, N_SAMPLES, SEED, dataset_fnv1a64, synthetic_mnist  # noqa: E402

HERE = Path(__file__).resolve().parent
MODEL_VERSION = "pytorch-linear-784x2-seed42"
TRAIN_EPOCHS = 2000
TRAIN_LR = 0.01


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


_ONE_THREAD = False


def set_one_thread() -> None:
    """torch.set_num_threads(1) and one inter-op thread (once per process)."""
    global _ONE_THREAD
    import torch

    torch.set_num_threads(1)
    if not _ONE_THREAD:
        torch.set_num_interop_threads(1)
        _ONE_THREAD = True


def train(out_dir: Path, fixture_dir: Path | None) -> None:
    import torch
    from safetensors.torch import save_file

    set_one_thread()
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    x_np, y_np = synthetic_mnist(N_SAMPLES)
    x = torch.from_numpy(x_np)
    y = torch.from_numpy(y_np)
    model = torch.nn.Linear(DIM, N_CLASSES)
    # Class-balanced loss: 10% of the samples are class 0; without weights
    # the model predicts class 1 everywhere and the same-weights check would
    # compare a constant.
    counts = torch.bincount(y, minlength=N_CLASSES).to(torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=len(y) / (N_CLASSES * counts))
    opt = torch.optim.Adam(model.parameters(), lr=TRAIN_LR)
    for _ in range(TRAIN_EPOCHS):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    model.eval()
    with torch.inference_mode():
        logits = model(x)
        final_loss = float(loss_fn(logits, y))
        proba = torch.softmax(logits, dim=1)
        pred = logits.argmax(dim=1)
    predictions = [int(v) for v in pred]
    p1 = [float(v) for v in proba[:, 1]]
    accuracy = float((pred == y).to(torch.float32).mean())
    # The exact softmax of the f32 weights and inputs (f64 arithmetic), to
    # tell PyTorch's and realizar's f32 rounding apart when they differ.
    w64 = model.weight.detach().numpy().astype(np.float64)
    b64 = model.bias.detach().numpy().astype(np.float64)
    z64 = x_np.astype(np.float64) @ w64.T + b64
    p1_f64 = [float(v) for v in 1.0 / (1.0 + np.exp(z64[:, 0] - z64[:, 1]))]
    margin = float((proba[:, 1] - 0.5).abs().min())

    out_dir.mkdir(parents=True, exist_ok=True)
    weight = model.weight.detach().contiguous()
    bias = model.bias.detach().contiguous()
    metadata = {
        "realizar.model_type": "softmax_regression",
        "realizar.format_version": "1",
        "realizar.model_version": MODEL_VERSION,
        "realizar.input_dim": str(DIM),
        "realizar.n_classes": str(N_CLASSES),
    }
    doc = {
        "generator": "comparative/mnist_benchmark.py train",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "model": {
            "type": "softmax_regression",
            "source": f"torch.nn.Linear({DIM}, {N_CLASSES})",
            "model_version": MODEL_VERSION,
            "training": {
                "seed": SEED,
                "optimizer": "Adam",
                "lr": TRAIN_LR,
                "epochs": TRAIN_EPOCHS,
                "loss": "CrossEntropyLoss, class-balanced weights, full batch",
                "final_loss": final_loss,
                "train_accuracy": accuracy,
            },
        },
        "dataset": {
            "formula": "pixel(i,j) = ((i*17 + j*31) mod 256) / 255 (f32); label = 0 if i mod 10 == 0 else 1",
            "n": N_SAMPLES,
            "dim": DIM,
            "class0": int((y_np == 0).sum()),
            "fnv1a64": f"{dataset_fnv1a64(x_np, y_np):016x}",
        },
        "predicted_class0": predictions.count(0),
        "min_abs_p1_minus_half": margin,
        "max_abs_pytorch_minus_f64": float(np.max(np.abs(np.asarray(p1) - np.asarray(p1_f64)))),
        "predictions": predictions,
        "probabilities": p1,
        "probabilities_f64": p1_f64,
    }
    targets = [(out_dir, "pytorch_weights.safetensors", "pytorch_predictions.json")]
    if fixture_dir is not None:
        fixture_dir.mkdir(parents=True, exist_ok=True)
        targets.append((fixture_dir, "pytorch_logistic.safetensors", "pytorch_logistic_expected.json"))
    for d, st_name, json_name in targets:
        save_file({"weight": weight, "bias": bias}, str(d / st_name), metadata=metadata)
        (d / json_name).write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {d / st_name} and {d / json_name}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (x[:1],),
            str(out_dir / "pytorch_model.onnx"),
            input_names=["x"],
            output_names=["logits"],
            dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
            dynamo=False,
        )
    print(
        f"trained: loss {final_loss:.4f}, train accuracy {accuracy:.3f}, "
        f"{predictions.count(0)} samples predicted class 0, min |p1 - 0.5| {margin:.3g}",
        file=sys.stderr,
    )


def load_weights(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from safetensors.numpy import load_file

    t = load_file(str(path))
    return t["weight"].astype(np.float32), t["bias"].astype(np.float32)


def timer_overhead_ns(n: int = 10_000) -> int:
    pc = time.perf_counter_ns
    d = []
    gc.disable()
    try:
        for _ in range(n):
            t0 = pc()
            t1 = pc()
            d.append(t1 - t0)
    finally:
        gc.enable()
    return int(np.median(d))


def time_single(fn: Callable, rows: list, iterations: int, warmup: int) -> list[int]:
    n = len(rows)
    for k in range(warmup):
        fn(rows[k % n])
    pc = time.perf_counter_ns
    lat = [0] * iterations
    gc.collect()
    gc.disable()
    try:
        for k in range(iterations):
            r = rows[k % n]
            t0 = pc()
            fn(r)
            t1 = pc()
            lat[k] = t1 - t0
    finally:
        gc.enable()
    return lat


def time_request_buffer(fn: Callable, rows: list, buf, fill: Callable, iterations: int, warmup: int) -> list[int]:
    """Like time_single, but each sample is first copied (untimed) into `buf`, and fn(buf) is timed."""
    n = len(rows)
    for k in range(warmup):
        fill(buf, rows[k % n])
        fn(buf)
    pc = time.perf_counter_ns
    lat = [0] * iterations
    gc.collect()
    gc.disable()
    try:
        for k in range(iterations):
            fill(buf, rows[k % n])
            t0 = pc()
            fn(buf)
            t1 = pc()
            lat[k] = t1 - t0
    finally:
        gc.enable()
    return lat


def time_batch(fn: Callable, batch, iterations: int) -> list[int]:
    fn(batch)
    pc = time.perf_counter_ns
    out = [0] * iterations
    gc.collect()
    gc.disable()
    try:
        for k in range(iterations):
            t0 = pc()
            fn(batch)
            t1 = pc()
            out[k] = t1 - t0
    finally:
        gc.enable()
    return out


def summary(lat: list[int]) -> dict:
    a = np.asarray(lat, dtype=np.float64)
    return {
        "p50_ns": float(np.percentile(a, 50)),
        "p95_ns": float(np.percentile(a, 95)),
        "p99_ns": float(np.percentile(a, 99)),
        "mean_ns": float(a.mean()),
        "min_ns": float(a.min()),
        "max_ns": float(a.max()),
    }


def peer_pytorch(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> dict:
    import torch

    set_one_thread()
    model = torch.nn.Linear(DIM, N_CLASSES)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(w))
        model.bias.copy_(torch.from_numpy(b))
    model.eval()
    xt = torch.from_numpy(x)
    rows = [xt[i : i + 1] for i in range(len(x))]

    def predict(r) -> int:
        return int(model(r).argmax(dim=1).item())

    def predict_batch(batch):
        return model(batch).argmax(dim=1)

    def proba(batch) -> np.ndarray:
        return torch.softmax(model(batch), dim=1).numpy()

    def new_buffer():
        return torch.empty((1, DIM), dtype=torch.float32)

    def fill(buf, r) -> None:
        buf.copy_(r)

    ctx = torch.inference_mode()
    return {
        "version": torch.__version__,
        "timed_call": "int(model(x_i).argmax(dim=1).item()), x_i a (1, 784) tensor, inside one torch.inference_mode() block",
        "timed_call_hot": "the same call on one reused (1, 784) tensor buf (torch.empty, made inside inference_mode), into which sample k mod 1000 is copied (buf.copy_(x_i), untimed) before each call",
        "new_buffer": new_buffer,
        "fill": fill,
        "timed_batch": "model(X).argmax(dim=1), X the (1000, 784) tensor",
        "context": ctx,
        "predict": predict,
        "predict_batch": predict_batch,
        "proba": proba,
        "rows": rows,
        "batch": xt,
        "extra": {"torch_num_threads": torch.get_num_threads()},
    }


def peer_numpy(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> dict:
    wt = np.ascontiguousarray(w.T)
    rows = [x[i] for i in range(len(x))]

    def predict(r) -> int:
        return int(np.argmax(r @ wt + b))

    def predict_batch(batch):
        return np.argmax(batch @ wt + b, axis=1)

    def proba(batch) -> np.ndarray:
        z = batch @ wt + b
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 - an optional detail of the report
        pass
    return {
        "version": np.__version__,
        "timed_call": "int(np.argmax(x_i @ W.T + b)), x_i a (784,) float32 array",
        "timed_call_hot": "the same call on one reused (784,) float32 array buf, into which sample k mod 1000 is copied (np.copyto(buf, x_i), untimed) before each call",
        "new_buffer": lambda: np.empty((DIM,), dtype=np.float32),
        "fill": np.copyto,
        "timed_batch": "np.argmax(X @ W.T + b, axis=1)",
        "context": None,
        "predict": predict,
        "predict_batch": predict_batch,
        "proba": proba,
        "rows": rows,
        "batch": x,
        "extra": {"blas": blas, "threads_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}},
    }


def peer_onnxruntime(onnx_path: Path, x: np.ndarray) -> dict:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"])
    rows = [x[i : i + 1] for i in range(len(x))]
    out_names = ["logits"]

    def predict(r) -> int:
        return int(sess.run(out_names, {"x": r})[0].argmax())

    def predict_batch(batch):
        return sess.run(out_names, {"x": batch})[0].argmax(axis=1)

    def proba(batch) -> np.ndarray:
        z = sess.run(out_names, {"x": batch})[0].astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return {
        "version": ort.__version__,
        "timed_call": "int(sess.run(['logits'], {'x': x_i})[0].argmax()), x_i a (1, 784) float32 array",
        "timed_call_hot": "the same call on one reused (1, 784) float32 array buf, into which sample k mod 1000 is copied (np.copyto(buf, x_i), untimed) before each call",
        "new_buffer": lambda: np.empty((1, DIM), dtype=np.float32),
        "fill": np.copyto,
        "timed_batch": "sess.run(['logits'], {'x': X})[0].argmax(axis=1)",
        "context": None,
        "predict": predict,
        "predict_batch": predict_batch,
        "proba": proba,
        "rows": rows,
        "batch": x,
        "extra": {"providers": sess.get_providers(), "intra_op_num_threads": 1, "onnx_model": onnx_path.name},
    }


def run_peer(name: str, peer: dict, args, x: np.ndarray, overhead: int) -> dict:
    predict, rows = peer["predict"], peer["rows"]
    ctx = peer["context"]
    if ctx is not None:
        ctx.__enter__()
    try:
        batch_pred = [int(v) for v in peer["predict_batch"](peer["batch"])]
        single_pred = [predict(r) for r in rows]
        buf, fill = peer["new_buffer"](), peer["fill"]
        buffer_pred = []
        for r in rows:
            fill(buf, r)
            buffer_pred.append(predict(buf))
        if single_pred != batch_pred or buffer_pred != batch_pred:
            raise SystemExit(f"{name}: single-sample (in place or from the request buffer) and batch predictions differ")
        p1 = [float(v) for v in np.asarray(peer["proba"](peer["batch"]))[:, 1]]
        lat = time_single(predict, rows, args.iterations, args.warmup)
        lat_hot = time_request_buffer(predict, rows, buf, fill, args.iterations, args.warmup)
        batch = time_batch(peer["predict_batch"], peer["batch"], args.batch_iterations)
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)
    return {
        "framework": name,
        "version": peer["version"],
        "model": {
            "type": "softmax_regression",
            "input_dim": DIM,
            "n_classes": N_CLASSES,
            "weights": str(args.weights),
        },
        "n_samples": len(x),
        "iterations": args.iterations,
        "warmup": args.warmup,
        "timed_call": peer["timed_call"],
        "timed_call_hot": peer["timed_call_hot"],
        "timed_batch": peer["timed_batch"],
        "series": {
            "latencies_ns": "cycling (cold input): sample k mod 1000 read in place from the 1000-sample set",
            "latencies_hot_ns": "request buffer (hot input): sample k mod 1000 copied untimed into one reused buffer, then the prediction on the buffer timed",
        },
        "latencies_ns": lat,
        "summary": summary(lat),
        "latencies_hot_ns": lat_hot,
        "summary_hot": summary(lat_hot),
        "batch_1000_ns": batch,
        "predictions": batch_pred,
        "probabilities": p1,
        "timer_overhead_ns": overhead,
        "threads": 1,
        "cpu": cpu_name(),
        "python": platform.python_version(),
        "extra": peer["extra"],
        "unix_time": int(time.time()),
    }


def bench(args) -> None:
    set_one_thread()
    x, _ = synthetic_mnist(N_SAMPLES)
    w, b = load_weights(args.weights)
    if w.shape != (N_CLASSES, DIM) or b.shape != (N_CLASSES,):
        raise SystemExit(f"{args.weights}: weight {w.shape}, bias {b.shape}; expected (2, 784) and (2,)")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    overhead = timer_overhead_ns()
    wanted = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    failures = {}
    for name in wanted:
        try:
            if name == "pytorch":
                peer = peer_pytorch(w, b, x)
            elif name == "numpy":
                peer = peer_numpy(w, b, x)
            elif name == "onnxruntime":
                peer = peer_onnxruntime(args.onnx, x)
            else:
                raise SystemExit(f"unknown framework {name!r} (pytorch, numpy, onnxruntime)")
            doc = run_peer(name, peer, args, x, overhead)
        except SystemExit:
            raise
        except Exception as e:  # noqa: BLE001 - a peer that cannot run is reported, not faked
            failures[name] = f"{type(e).__name__}: {e}"
            path = args.out_dir / f"{name}_mnist_results.json"
            path.write_text(json.dumps({"framework": name, "error": failures[name]}, indent=1) + "\n")
            print(f"{name}: FAILED ({failures[name]})", file=sys.stderr)
            continue
        path = args.out_dir / f"{name}_mnist_results.json"
        path.write_text(json.dumps(doc) + "\n")
        s, h = doc["summary"], doc["summary_hot"]
        print(
            f"{name:12} request buffer p50 {h['p50_ns']:>9.0f} ns  p99 {h['p99_ns']:>9.0f} ns | "
            f"cycling p50 {s['p50_ns']:>9.0f} ns  p99 {s['p99_ns']:>9.0f} ns | "
            f"batch p50 {np.median(doc['batch_1000_ns']):>10.0f} ns  -> {path}",
            file=sys.stderr,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train nn.Linear(784, 2); export safetensors, predictions and ONNX")
    t.add_argument("--out-dir", type=Path, default=HERE / "results")
    t.add_argument("--fixture-dir", type=Path, default=None, help="also write the Rust test's fixture here")
    b = sub.add_parser("bench", help="time the peers on the exported weights")
    b.add_argument("--out-dir", type=Path, default=HERE / "results")
    b.add_argument("--weights", type=Path, default=HERE / "results" / "pytorch_weights.safetensors")
    b.add_argument("--onnx", type=Path, default=HERE / "results" / "pytorch_model.onnx")
    b.add_argument("--iterations", type=int, default=10_000)
    b.add_argument("--warmup", type=int, default=100)
    b.add_argument("--batch-iterations", type=int, default=100)
    b.add_argument("--frameworks", default="pytorch,numpy,onnxruntime")
    args = ap.parse_args()
    if args.cmd == "train":
        train(args.out_dir, args.fixture_dir)
    else:
        if args.iterations < 2 or args.batch_iterations < 2 or args.warmup < 0:
            ap.error("--iterations and --batch-iterations must be >= 2, --warmup >= 0")
        bench(args)


if __name__ == "__main__":
    main()
