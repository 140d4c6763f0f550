#!/usr/bin/env bash
# Wall-clock of a whole `boomsim run` against the tools an analyst would write instead, on the
# same model, paths and cores (2 threads each), as interleaved pairs.
#
# Usage: benches/compare.sh [MODEL] [PATHS] [PAIRS]
#   NUMBA_PEER=path/to/numba_peer.py  also time a parallel Numba implementation of the model
#                                     (its kernel + summary, warm JIT; needs numpy and numba)
#   PYTHON=python3                    the interpreter with numpy (and numba)
# Without NUMBA_PEER it compares with the vectorised NumPy reference, and checks that the two
# summaries agree within Monte Carlo error.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/python-5x.toml}
paths=${2:-200000}
pairs=${3:-3}
python=${PYTHON:-python3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --quiet
now() { date +%s.%N; }
boomsim_run() {
    rm -rf "$out/boomsim"
    local start
    start=$(now)
    ./target/release/boomsim run "$model" --paths "$paths" --threads 2 --quiet --out "$out/boomsim" > /dev/null
    python3 -c "print($(now) - $start)"
}

printf 'model %s, %s paths, 2 threads each, %s interleaved pairs\n' "$model" "$paths" "$pairs"
for _ in $(seq "$pairs"); do
    if [ -n "${NUMBA_PEER:-}" ]; then
        # The peer prints {"compile_s", "kernel_s": [..], "summary_s"} last on stderr.
        line=$(NUMBA_NUM_THREADS=2 "$python" "$NUMBA_PEER" "$model" --paths "$paths" --out "$out/peer.csv" 2>&1 >/dev/null | tail -1)
        other=$(echo "$line" | python3 -c "import json, sys; d = json.load(sys.stdin); print(d['kernel_s'][0] + d['summary_s'])")
        name=numba
    else
        start=$(now)
        "$python" benches/reference/boomsim_ref.py "$model" --paths "$paths" --out "$out/numpy.csv"
        other=$(python3 -c "print($(now) - $start)")
        name=numpy
    fi
    ours=$(boomsim_run)
    python3 -c "print(f'boomsim {$ours:6.2f} s   $name {$other:6.2f} s   ratio {$other / $ours:5.2f}x')"
done
if [ -z "${NUMBA_PEER:-}" ]; then
    python3 benches/reference/compare.py "$out/boomsim/summary.csv" "$out/numpy.csv" --paths "$paths" | tail -1
fi
