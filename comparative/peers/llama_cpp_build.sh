#!/usr/bin/env bash
# Fetches llama.cpp's sources from the PyPI sdist of llama-cpp-python and
# builds the one tool the quantize comparison needs (test-backend-ops), in a
# folder OUTSIDE this repository. No llama.cpp code is ever committed here.
#
#   bash comparative/peers/llama_cpp_build.sh            # -> $LLAMA_BUILD_DIR (default /work/llama-build)
#
# Env: LLAMA_BUILD_DIR (work folder), LLAMA_CPP_PYTHON_VERSION (sdist version,
# default 0.3.36), JOBS (parallel compile jobs, default nproc).
# Needs: pip (or uv), cmake, a C/C++ compiler. On Debian: apt-get install -y cmake g++.
set -euo pipefail

DIR="${LLAMA_BUILD_DIR:-/work/llama-build}"
VER="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
JOBS="${JOBS:-$(nproc)}"
mkdir -p "$DIR"
cd "$DIR"

if ! command -v cmake >/dev/null; then
    echo "cmake is missing; installing it with apt-get" >&2
    apt-get install -y cmake >/dev/null
fi

SDIST="llama_cpp_python-$VER.tar.gz"
if [ ! -f "$SDIST" ]; then
    python3 -m pip download --no-deps --no-binary :all: "llama-cpp-python==$VER" -d .
fi
SRC="$DIR/llama_cpp_python-$VER/vendor/llama.cpp"
if [ ! -d "$SRC" ]; then
    tar xzf "$SDIST"
fi

BUILD="$SRC/build"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
        -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_CURL=OFF \
        -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=ON -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_BUILD_SERVER=OFF
fi
cmake --build "$BUILD" --target test-backend-ops -j"$JOBS"
echo "built: $(find "$BUILD" -name test-backend-ops -type f -perm -u+x | head -1)"
