# /// script
# requires-python = ">=3.11"
# dependencies = ["numpy>=2", "threadpoolctl>=3"]
# ///
"""numpy (OpenBLAS) f32 matmul peer for realizar's `matmul/*` criterion ids.

Run (unset the OpenBLAS overrides this workplace sets, so OpenBLAS picks its
own best kernel for this CPU):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE uv run --script comparative/peers/matmul_numpy.py

Prints one JSON line per case: n, threads, median seconds and GFLOP/s over
repeated runs, and the BLAS build and kernel threadpoolctl reports.
"""

import json
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def bench(n: int, threads: int, reps: int) -> dict:
    rng = np.random.default_rng(7)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    out = np.empty((n, n), dtype=np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        for _ in range(3):
            np.matmul(a, b, out=out)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            np.matmul(a, b, out=out)
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {
        "peer": "numpy",
        "n": n,
        "threads": threads,
        "median_s": med,
        "gflops": 2 * n**3 / med / 1e9,
        "reps": reps,
    }


def main() -> None:
    blas = [
        {k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    print(json.dumps({"numpy": np.__version__, "blas": blas}))
    for n, reps in ((512, 200), (1024, 40)):
        for threads in (1, 2):
            print(json.dumps(bench(n, threads, reps)))


if __name__ == "__main__":
    main()
