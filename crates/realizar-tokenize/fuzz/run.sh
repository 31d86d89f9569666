#!/usr/bin/env bash
# Runs the tokenizer fuzz targets (cargo-fuzz, libFuzzer), each for SECONDS
# (default 600), seeded with the test fixtures.
#   bash crates/realizar-tokenize/fuzz/run.sh [SECONDS] [TARGET...]
# Needs a nightly toolchain and cargo-fuzz: `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tokenizer_json spm_model encode_text)
fixtures=../tests/fixtures
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    case $t in
        tokenizer_json) cp -n "$fixtures"/gpt2.json "$fixtures"/llama3.json "corpus/$t/" ;;
        spm_model) cp -n "$fixtures"/spm_bpe.model "$fixtures"/spm_unigram.model "corpus/$t/" ;;
        encode_text) cp -n seeds/encode_text/* "corpus/$t/" ;;
    esac
    echo "==> $t for ${secs}s"
    cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=262144 -rss_limit_mb=4096 -print_final_stats=1
done
