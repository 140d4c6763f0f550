#!/usr/bin/env bash
# A real Slurm job array, end to end: starts a one-node Slurm cluster (munged, slurmctld and
# slurmd) on this machine, submits the job scripts of docs/scale-out.md exactly as the doc
# writes them (extracted from it, so the doc cannot drift from what was run), waits for the
# merge job, and checks that every CSV of the merged folder equals one `boomsim run` of the
# same paths, byte for byte.
#
#   scripts/slurm-e2e.sh            (as root; .ci/run calls it)
#
# Installs Debian's slurm-wlm and munge when they are missing. Where they cannot be installed
# or started (no root, no package mirror), it says why and exits 0 without checking anything,
# unless BOOMSIM_REQUIRE_SLURM=1, when that is a failure. A cluster that runs but merges to
# different bytes is always a failure. Daemons it started are stopped on exit; the cluster's
# state lives in a temporary folder and /etc is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PATHS=${E2E_PATHS:-40000}

skip() {
    echo "slurm-e2e: SKIPPED: $*" >&2
    if [ "${BOOMSIM_REQUIRE_SLURM:-0}" = 1 ]; then
        exit 1
    fi
    exit 0
}

fail() {
    echo "slurm-e2e: FAILED: $*" >&2
    exit 1
}

# --- the doc's three blocks -------------------------------------------------------------------
# Each is the ```bash block following a line `<!-- extracted by scripts/slurm-e2e.sh ... -->`.
WORK=$(mktemp -d /tmp/boomsim-slurm.XXXXXX)
awk -v dir="$WORK" '
    /<!-- extracted by scripts\/slurm-e2e\.sh/ { want = 1; next }
    want && /^```bash$/ { n++; inside = 1; want = 0; next }
    inside && /^```$/ { inside = 0; next }
    inside { print > (dir "/block" n ".sh") }
' docs/scale-out.md
for k in 1 2 3; do
    [ -s "$WORK/block$k.sh" ] || fail "docs/scale-out.md: block $k of 3 marked for extraction is missing"
done
mkdir -p "$WORK/submit"
mv "$WORK/block1.sh" "$WORK/submit/boomsim-shards.sh"
mv "$WORK/block2.sh" "$WORK/submit/boomsim-merge.sh"
mv "$WORK/block3.sh" "$WORK/submit.sh"
grep -q -- '--array=1-' "$WORK/submit.sh" || fail "the doc's submission block has no --array=1-N"

# --- packages ---------------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    skip "needs root to start slurmd and munged (run as root, as CI does)"
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm-e2e: installing slurm-wlm and munge" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq slurm-wlm munge; } >"$WORK/apt.log" 2>&1; then
        tail -5 "$WORK/apt.log" >&2
        skip "apt-get could not install slurm-wlm and munge (log above)"
    fi
fi

# --- boomsim on PATH (sbatch passes the environment on to the job) ----------------------------
cargo build --release --quiet
export PATH="$ROOT/target/release:$PATH"
ln -s "$ROOT/models" "$WORK/submit/models"

# --- munge -----------------------------------------------------------------------------------
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    # Wait for the daemons to exit (slurmctld saves its state as it stops) before removing it.
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    done
    if [ "${KEEP:-0}" != 1 ]; then
        rm -rf "$WORK" 2>/dev/null || true
    else
        echo "slurm-e2e: kept $WORK" >&2
    fi
}
trap cleanup EXIT

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; }
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge/munge.key
    chmod 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged || skip "munged did not start"
    PIDS+=("$(cat /run/munge/munged.pid)")
    for _ in $(seq 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
    munge -n | unmunge >/dev/null || skip "munge does not authenticate: $(munge -n 2>&1 | unmunge 2>&1 | head -3)"
fi

# --- a one-node cluster ----------------------------------------------------------------------
# The node declares 64 CPUs whatever the machine has (SlurmdParameters=config_overrides), so the
# doc's `--cpus-per-task=8` and `--mem=8G` are accepted as written and 8 tasks run at once; no
# cgroups here, so nothing is enforced (task/none, proctrack/linuxproc). Daemons talk over
# loopback, so the host name need not resolve.
NODE=$(uname -n | cut -d. -f1)   # what slurmd calls this node (hostname -s; uname needs no package)
STATE="$WORK/state"
mkdir -p "$STATE/ctld" "$STATE/d" "$STATE/log"
export SLURM_CONF="$WORK/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=boomsim-e2e
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
SchedulerType=sched/backfill
MpiDefault=none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=${E2E_CTLD_PORT:-16817}
SlurmdPort=${E2E_SLURMD_PORT:-16818}
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=64 RealMemory=131072 State=UNKNOWN
PartitionName=e2e Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

show_logs() {
    echo "--- slurmctld.log (last 20 lines)" >&2
    tail -20 "$STATE/log/slurmctld.log" >&2 2>/dev/null || true
    echo "--- slurmd.log (last 20 lines)" >&2
    tail -20 "$STATE/log/slurmd.log" >&2 2>/dev/null || true
}

slurmctld -f "$SLURM_CONF" || { show_logs; skip "slurmctld did not start"; }
for _ in $(seq 50); do [ -s "$STATE/slurmctld.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$STATE/slurmctld.pid")")
slurmd -f "$SLURM_CONF" || { show_logs; skip "slurmd did not start"; }
for _ in $(seq 50); do [ -s "$STATE/slurmd.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$STATE/slurmd.pid")")
idle=0
for _ in $(seq 120); do
    if sinfo -h -n "$NODE" -o %t 2>/dev/null | grep -qx idle; then
        idle=1
        break
    fi
    sleep 0.5
done
if [ "$idle" != 1 ]; then
    show_logs
    skip "node $NODE is not idle after 60 s: $(sinfo -h -o '%n %t %E' 2>&1 | head -3)"
fi
echo "slurm-e2e: cluster up ($(sinfo -V)), node $NODE idle" >&2

# --- the doc's submission, as written ---------------------------------------------------------
cd "$WORK/submit"
export PATHS SEED=7 OUT=output/merged
# The block keeps the array's id in a variable and prints the merge job's (--parsable).
merge=$(bash -euo pipefail "$WORK/submit.sh" | tail -1 | cut -d';' -f1)
echo "slurm-e2e: submitted; merge job $merge waits for the array ($PATHS paths)" >&2

state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
deadline=$((SECONDS + ${E2E_TIMEOUT:-900}))
while :; do
    s=$(state "$merge")
    case "$s" in
        COMPLETED) break ;;
        FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
            tail -5 slurm-*.out >&2 || true
            show_logs
            fail "merge job $merge ended $s"
            ;;
    esac
    if squeue -h -j "$merge" -o %r 2>/dev/null | grep -q DependencyNeverSatisfied; then
        tail -5 slurm-*.out >&2 || true
        fail "a shard task failed, so the merge never ran"
    fi
    if [ "$SECONDS" -gt "$deadline" ]; then
        squeue >&2 || true
        show_logs
        fail "the jobs did not finish within ${E2E_TIMEOUT:-900} s"
    fi
    sleep 1
done
tasks=$(ls -d shards/*/ | wc -l)
echo "slurm-e2e: $tasks shard tasks and the merge completed" >&2

# --- one run of the same paths, compared byte for byte -----------------------------------------
boomsim run models/python-5x.toml --paths "$PATHS" --seed "$SEED" --quiet --out single >/dev/null
compared=0
for f in single/*.csv; do
    name=$(basename "$f")
    cmp "$f" "$OUT/$name" || fail "$OUT/$name differs from one run's $name"
    compared=$((compared + 1))
done
for f in "$OUT"/*.csv; do
    [ -e "single/$(basename "$f")" ] || fail "the merge wrote $(basename "$f"), one run did not"
done
[ "$compared" -ge 5 ] || fail "only $compared CSV files to compare"
echo "slurm-e2e: PASSED: $compared CSV files of the merge of $tasks Slurm array tasks equal one run's, byte for byte" >&2
