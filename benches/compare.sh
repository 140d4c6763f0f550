#!/usr/bin/env bash
# Wall-clock of boomsim against the vectorised NumPy reference on the same model and paths.
# Usage: benches/compare.sh [MODEL] [PATHS]   (needs python3 with numpy: pip install numpy)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/python-5x.toml}
paths=${2:-200000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --quiet
now() { date +%s.%N; }

start=$(now)
./target/release/boomsim run "$model" --paths "$paths" --quiet --out "$out/boomsim" > /dev/null
boomsim=$(python3 -c "print($(now) - $start)")

start=$(now)
python3 benches/reference/boomsim_ref.py "$model" --paths "$paths" --out "$out/numpy.csv"
numpy=$(python3 -c "print($(now) - $start)")

printf 'model %s, %s paths, %s cores\n' "$model" "$paths" "$(nproc)"
printf 'boomsim %8.2f s\nnumpy   %8.2f s\nratio   %8.1fx\n' "$boomsim" "$numpy" "$(python3 -c "print($numpy / $boomsim)")"
python3 benches/reference/compare.py "$out/boomsim/summary.csv" "$out/numpy.csv" --paths "$paths" | tail -1
