#!/usr/bin/env bash
# llama.cpp's own Q4_0 / Q8_0 matvec on realizar's bench shapes, one command:
#
#   bash comparative/peers/llama_cpp_matvec.sh [THREADS...]     # default: 1 2
#
# Builds llama.cpp (ggml) from the llama-cpp-python sdist OUTSIDE the repo
# (comparative/peers/llama_cpp_build.sh, in $LLAMA_BUILD_DIR, default
# /work/llama-build), then compiles a small C driver there (written by this
# script; no llama.cpp code is kept in this repository) that times
# GGML_OP_MUL_MAT of a 4096x4096 Q4_0 / Q8_0 weight with one f32 column (what
# a decode step does; ggml quantizes the column to Q8_0 itself) on ggml's
# CPU backend with a persistent thread pool of N threads:
#   - "cached": one matrix, as realizar's matvec/{q4_0,q8_0}/4096x4096/{1t,2t};
#   - "dram":   a rotating set of matrices of at least twice the last-level
#               cache (>= 256 MiB), as realizar's matvec/*/4096x4096/dram/2t.
# Prints GB/s (1e9 bytes) and GiB/s of weight bytes read. Finally runs
# llama.cpp's `test-backend-ops perf -o MUL_MAT` on its own n=1 Q4_0/Q8_0
# shape (it always uses hardware_concurrency/2 threads). PEER_POLL=N sets
# ggml's polling level for the driver (the script also runs poll=0).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${LLAMA_BUILD_DIR:-/work/llama-build}"
VER="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
THREADS=("$@")
[ ${#THREADS[@]} -eq 0 ] && THREADS=(1 2)

bash "$HERE/llama_cpp_build.sh" >&2
SRC="$DIR/llama_cpp_python-$VER/vendor/llama.cpp"
BIN="$SRC/build/bin"

cat > "$DIR/matvec_peer.c" <<'CEOF'
// Times ggml MUL_MAT (W: rows x cols quantized, x: cols f32) on the CPU backend.
#include "ggml.h"
#include "ggml-cpu.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static unsigned long long s = 0x9E3779B97F4A7C15ull;
static float rnd(void) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    return (float)((s >> 40) / (double)(1ull << 24)) * 2.0f - 1.0f;
}

static size_t llc_bytes(void) {
    size_t best = 0;
    for (int i = 0; i < 8; i++) {
        char p[128]; snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        FILE *f = fopen(p, "r"); if (!f) continue;
        size_t v = 0; char u = 0;
        if (fscanf(f, "%zu%c", &v, &u) >= 1) { v *= (u == 'K') ? 1024 : (u == 'M') ? 1048576 : 1; if (v > best) best = v; }
        fclose(f);
    }
    return best ? best : (64u << 20);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s q4_0|q8_0 THREADS cached|dram\n", argv[0]); return 2; }
    enum ggml_type type = strcmp(argv[1], "q8_0") == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_Q4_0;
    int nth = atoi(argv[2]);
    int dram = strcmp(argv[3], "dram") == 0;
    const int rows = 4096, cols = 4096;
    size_t wbytes = ggml_row_size(type, cols) * rows;
    size_t want = 2 * llc_bytes(); if (want < (256u << 20)) want = 256u << 20;
    int layers = dram ? (int)((want + wbytes - 1) / wbytes) : 1;
    if (layers < 1) layers = 1;

    struct ggml_init_params ip = { (size_t)layers * (wbytes + 4 * 1024 * 1024) + (64u << 20), NULL, false };
    struct ggml_context *ctx = ggml_init(ip);
    float *tmp = malloc(sizeof(float) * (size_t)rows * cols);
    for (size_t i = 0; i < (size_t)rows * cols; i++) tmp[i] = rnd();
    struct ggml_tensor *x = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, cols);
    for (int i = 0; i < cols; i++) ((float *)x->data)[i] = rnd();
    struct ggml_cgraph **g = malloc(sizeof(*g) * layers);
    struct ggml_tensor *w0 = NULL;
    for (int l = 0; l < layers; l++) {
        struct ggml_tensor *w = ggml_new_tensor_2d(ctx, type, cols, rows);
        if (l == 0) { ggml_quantize_chunk(type, tmp, w->data, 0, rows, cols, NULL); w0 = w; }
        else memcpy(w->data, w0->data, wbytes);
        struct ggml_tensor *y = ggml_mul_mat(ctx, w, x);
        g[l] = ggml_new_graph(ctx);
        ggml_build_forward_expand(g[l], y);
    }
    free(tmp);
    struct ggml_threadpool_params tpp = ggml_threadpool_params_default(nth);
    // PEER_POLL: ggml's polling level (0 = sleep at once, 100 = spin; default 50).
    const char *poll = getenv("PEER_POLL");
    if (poll) tpp.poll = (uint32_t)atoi(poll);
    struct ggml_threadpool *tp = ggml_threadpool_new(&tpp);
    struct ggml_cplan *plans = malloc(sizeof(*plans) * layers);
    for (int l = 0; l < layers; l++) {
        plans[l] = ggml_graph_plan(g[l], nth, tp);
        plans[l].work_data = malloc(plans[l].work_size + 64);
    }
    int next = 0;
    for (int i = 0; i < 20; i++) { ggml_graph_compute(g[next], &plans[next]); next = (next + 1) % layers; }
    // Median of 15 samples of >= 0.2 s each.
    double samples[15];
    for (int k = 0; k < 15; k++) {
        int iters = 0; double t0 = now(), t1;
        do { ggml_graph_compute(g[next], &plans[next]); next = (next + 1) % layers; iters++; t1 = now(); } while (t1 - t0 < 0.2);
        samples[k] = (t1 - t0) / iters;
    }
    for (int a = 0; a < 15; a++) for (int b = a + 1; b < 15; b++) if (samples[b] < samples[a]) { double t = samples[a]; samples[a] = samples[b]; samples[b] = t; }
    double t = samples[7];
    printf("llama.cpp %s %dx%d %s %dt poll=%u: %8.1f us  %6.2f GB/s  %6.2f GiB/s of weights (%d matrices)\n",
           argv[1], rows, cols, argv[3], nth, tpp.poll, t * 1e6, wbytes / t / 1e9, wbytes / t / (1024.0 * 1024 * 1024), layers);
    ggml_threadpool_free(tp);
    return 0;
}
CEOF

cc -O2 -march=native -o "$DIR/matvec_peer" "$DIR/matvec_peer.c" \
    -I"$SRC/ggml/include" -L"$BIN" -lggml -lggml-base -lggml-cpu -Wl,-rpath,"$BIN"

for t in "${THREADS[@]}"; do
    for ty in q4_0 q8_0; do
        "$DIR/matvec_peer" "$ty" "$t" cached
    done
done
for ty in q4_0 q8_0; do
    "$DIR/matvec_peer" "$ty" 2 dram
done
# ggml's workers spin-wait between ops by default; on a busy machine that
# can cost whole scheduler slices. The same runs with polling off:
for ty in q4_0 q8_0; do
    PEER_POLL=0 "$DIR/matvec_peer" "$ty" 2 cached
    PEER_POLL=0 "$DIR/matvec_peer" "$ty" 2 dram
done

echo "--- test-backend-ops perf (its own threads: hardware_concurrency/2) ---"
"$BIN/test-backend-ops" perf -o MUL_MAT -b CPU -p 'type_a=(q4_0|q8_0),type_b=f32,m=4096,n=1,' 2>&1 |
    grep -E "MUL_MAT\(" | sed 's/\x1b\[[0-9;]*m//g'
