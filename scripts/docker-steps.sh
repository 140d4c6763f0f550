#!/usr/bin/env bash
# Runs the Dockerfile's steps without Docker, for machines that cannot pull base images (CI):
# each stage gets a folder standing for its filesystem, COPY copies from the checkout (or from
# an earlier stage's folder with --from), RUN runs in the stage's WORKDIR with its ENV, and the
# runtime stage's ENTRYPOINT is then run from its folder. It checks what the Kubernetes recipe
# of docs/scale-out.md relies on: the image holds /usr/local/bin/boomsim and every model path
# the recipe names, and that binary runs two shards of the recipe's model and merges them.
#
#   scripts/docker-steps.sh
#
# The base images' own contents (Rust toolchain, Debian) are this machine's: what it cannot check
# is that those images exist and run the binary (glibc of bookworm is what it links against).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d /tmp/boomsim-docker.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

fail() {
    echo "docker-steps: FAILED: $*" >&2
    exit 1
}

stage="" workdir="/" entrypoint=""
declare -A stage_root
line_no=0
while IFS= read -r line || [ -n "$line" ]; do
    line_no=$((line_no + 1))
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    read -r instr rest <<<"$line"
    case "$instr" in
        FROM)
            # FROM image [AS name]
            name=$(sed -n 's/.* [Aa][Ss] \([A-Za-z0-9_-]*\)$/\1/p' <<<"$rest")
            stage=${name:-final}
            stage_root[$stage]="$WORK/$stage"
            mkdir -p "$WORK/$stage"
            workdir="/"
            echo "docker-steps: stage $stage (from ${rest%% *})" >&2
            ;;
        WORKDIR)
            workdir=$rest
            mkdir -p "${stage_root[$stage]}$workdir"
            ;;
        ENV)
            export "${rest%%=*}=${rest#*=}"
            ;;
        COPY)
            from=""
            if [[ "$rest" == --from=* ]]; then
                from=${rest%% *}
                from=${from#--from=}
                rest=${rest#* }
            fi
            read -r -a args <<<"$rest"
            dest=${args[-1]}
            unset 'args[-1]'
            [[ "$dest" == /* ]] || dest="$workdir/$dest"
            target="${stage_root[$stage]}$dest"
            if [ "${#args[@]}" -gt 1 ] || [[ "$dest" == */ ]]; then
                mkdir -p "$target"
            else
                mkdir -p "$(dirname "$target")"
            fi
            for src in "${args[@]}"; do
                if [ -n "$from" ]; then
                    [ -n "${stage_root[$from]:-}" ] || fail "Dockerfile:$line_no: no stage $from"
                    src="${stage_root[$from]}$src"
                else
                    src="$ROOT/$src"
                fi
                [ -e "$src" ] || fail "Dockerfile:$line_no: COPY source $src does not exist"
                if [ -d "$src" ] && [ -d "$target" ] && [[ "$dest" != */ ]] && [ "${#args[@]}" -eq 1 ]; then
                    cp -a "$src/." "$target/"
                else
                    cp -a "$src" "$target"
                fi
            done
            ;;
        RUN)
            echo "docker-steps: RUN $rest" >&2
            (cd "${stage_root[$stage]}$workdir" && bash -euo pipefail -c "$rest") ||
                fail "Dockerfile:$line_no: RUN failed"
            ;;
        ENTRYPOINT)
            entrypoint=$(sed 's/^\["\([^"]*\)".*/\1/' <<<"$rest")
            ;;
        CMD) ;;
        *) fail "Dockerfile:$line_no: $instr is not one of the instructions this script runs" ;;
    esac
done <Dockerfile

image=${stage_root[$stage]}
bin="$image/usr/local/bin/$entrypoint"
[ -x "$bin" ] || fail "the image has no executable /usr/local/bin/$entrypoint"
"$bin" --version >/dev/null || fail "$entrypoint --version failed"

# Every /opt/boomsim/... path the Kubernetes recipe names is in the image.
paths=$(grep -o '/opt/boomsim/[A-Za-z0-9_-][A-Za-z0-9_./-]*' docs/scale-out.md | sed 's/[.]*$//' | sort -u)
[ -n "$paths" ] || fail "docs/scale-out.md names no model path inside the image"
for p in $paths; do
    [ -e "$image$p" ] || fail "docs/scale-out.md names $p, which the image does not hold"
done

# The recipe's shards and merge, run with the image's binary and models (at the image's paths,
# rebased onto its folder).
model="$image$(grep -o '/opt/boomsim/models/[A-Za-z0-9_.-]*\.toml' docs/scale-out.md | head -1)"
data="$WORK/data"
mkdir -p "$data"
for k in 1 2; do
    "$bin" run "$model" --paths 4000 --seed 7 --quiet --threads 1 --shard "$k/2" \
        --out "$data/shards/$k" >/dev/null
done
"$bin" merge "$data"/shards/* --out "$data/output/merged" >/dev/null
"$bin" run "$model" --paths 4000 --seed 7 --quiet --out "$data/single" >/dev/null
for f in "$data"/single/*.csv; do
    cmp "$f" "$data/output/merged/$(basename "$f")" || fail "merged $(basename "$f") differs"
done
echo "docker-steps: PASSED: the Dockerfile's steps build /usr/local/bin/boomsim with the models at /opt/boomsim/models; two shards merged equal one run" >&2
