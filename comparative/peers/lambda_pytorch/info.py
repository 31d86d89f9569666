#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "torch==2.15.0",
#     "safetensors==0.8.0",
#     "awslambdaric==4.2.2",
# ]
# ///
"""The environment of the Python + PyTorch Lambda peer, as JSON.

`cargo xtask lambda-report` runs this script with `uv run --script`, which
creates the environment (torch from PyPI, safetensors, and awslambdaric,
the AWS runtime interface client that speaks the Runtime API), and then
starts `<python> -m awslambdaric handler.handler` in this folder against
its mock Runtime API.

Prints: the interpreter, the versions, and the size on disk of what a
deployment package would hold (site-packages: torch alone and everything).

torch comes from PyPI: on Linux x86_64 that wheel is the CUDA build and
pulls the nvidia-* packages, which a CPU-only Lambda package (the wheel of
download.pytorch.org/whl/cpu, not reachable from the machine the report
was first made on) would not hold; the report says so beside the figures.
"""

import json
import os
import sys
import sysconfig
from importlib import metadata


def tree_bytes(path: str) -> int:
    total = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def main() -> None:
    site = sysconfig.get_paths()["purelib"]
    dists = sorted(
        {d.metadata["Name"]: d.version for d in metadata.distributions()}.items()
    )
    torch_dir = os.path.join(site, "torch")
    out = {
        "python": sys.executable,
        "python_version": sys.version.split()[0],
        "site_packages": site,
        "packages": dict(dists),
        "torch_bytes": tree_bytes(torch_dir),
        "site_packages_bytes": tree_bytes(site),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
