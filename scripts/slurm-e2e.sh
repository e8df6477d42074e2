#!/usr/bin/env bash
# End-to-end test of deploy/slurm/ on one Debian machine, as root: a real single-node Slurm
# cluster runs a sweep as an array job of shards, then `archsim merge` as a job that depends
# on it, and the merged results must equal what an unsharded `archsim run` writes. Not run
# in CI (it installs packages and starts daemons).
#
#   scripts/slurm-e2e.sh            # prints PASS (exit 0) or FAIL (exit 1)
#
# About 20 s on a 2-core machine once packages are installed and archsim is built (the first
# install takes about 15 s more, a first release build about 3 minutes).
#
# Settings (environment): SHARDS (default 4), SEEDS (default 3), TIMEOUT for the jobs in
# seconds (default 900), KEEP=1 to keep the scratch folder (printed) for a look afterwards.
#
# What it does, in order:
#  1. installs Debian's slurm-wlm and munge (and python3, for the comparison) if missing;
#  2. builds archsim (cargo build --release, into CARGO_TARGET_DIR when set) and picks the
#     sweep: the first bundled scenario with a [sweep] or [[variant]]s (else a small one
#     written here, with both), plus one-fast-server and ten-slow-servers (a compare group),
#     all with --seeds SEEDS: more (scenario, variant, seed) jobs than shards;
#  3. starts munged (with a new key unless one exists; its pid, log and seed files in the
#     scratch folder; a munged already running is used as it is), writes
#     /etc/slurm/slurm.conf for one node (an existing one is put back at the end) and starts
#     slurmctld and slurmd, their state, spool, logs and pid files in a scratch folder;
#     waits until sinfo shows the node idle and runs a four-task array job of `echo`
#     (a machine where slurmctld or slurmd already runs is refused);
#  4. submits the sweep with deploy/slurm/submit.sh: an array job of SHARDS tasks running
#     deploy/slurm/sweep.sbatch, and deploy/slurm/merge.sbatch after it (afterok), and waits
#     for both;
#  5. runs the same sweep unsharded, and compares the two folders: the same files (hidden
#     ones too), each byte for byte, except the timings (below);
#  6. on exit, whatever happened: cancels its jobs, stops the daemons it started by the
#     process ids in their pid files (never by name), puts back or removes the files it
#     wrote outside the scratch folder, and removes the scratch folder. Packages it
#     installed stay installed (the next run skips step 1).
#
# What the comparison strips: a run's timings, which differ from any run to the next, even
# on one machine with the same binary. They are `kernel.wall_s` and `kernel.events_per_sec`
# in each summary.json (sweep.json has none, but the same two keys would be stripped there).
# Each summary.json is compared twice: parsed, with these two keys of every `kernel` object
# removed, and as text with their two numbers masked, so its bytes (order, formatting) are
# checked too. No page or chart shows a timing today (report.html, index.html and the SVG
# and PNG plots came out byte-identical from two unsharded runs of this sweep); the
# comparison still masks a number before "s of CPU" or "M events/s" (the terminal's kernel
# line) in .html and .svg files, should a page show it one day, and says how many it masked.
set -euo pipefail

shards=${SHARDS:-4}
seeds=${SEEDS:-3}
timeout=${TIMEOUT:-900}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
started_at=$SECONDS

say() { printf '[%4ds] %s\n' $((SECONDS - started_at)) "$*"; }
die() {
    say "error: $*" >&2
    exit 1
}

if [[ $EUID -ne 0 ]]; then
    echo "error: run as root (it installs packages and starts Slurm's daemons)" >&2
    echo "FAIL"
    exit 1
fi

# --- what the cleanup undoes -----------------------------------------------------------------
work=""              # scratch folder
pids=()              # "name:pid file" of each daemon started, in start order
jobs_submitted=()    # Slurm job ids to cancel if still there
conf=/etc/slurm/slurm.conf
conf_saved=""        # the slurm.conf found, put back at the end ("" when there was none)
conf_written=0
key=/etc/munge/munge.key
key_created=0
rundir_created=0
policy_created=0
verdict=""

# The pid of a daemon from its pid file, if it is still that daemon.
daemon_pid() {
    local name=$1 file=$2 pid
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$name" ]] || return 1
    echo "$pid"
}

# Whether a process has exited: its /proc entry is gone, or only a zombie is left (its
# parent may never reap it). A zombie leader with threads still running has not exited: a
# daemon whose main thread ends first looks like that while it shuts down.
gone() {
    local stat tasks
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ ${stat:0:1} == Z ]] || return 1
    tasks=(/proc/"$1"/task/*)
    ((${#tasks[@]} <= 1))
}

stop_daemon() {
    local name=$1 file=$2 pid i
    pid=$(daemon_pid "$name" "$file") || return 0
    say "stopping $name ($pid)"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        gone "$pid" && return 0
        sleep 0.1
    done
    say "$name ($pid) did not stop in 10 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        gone "$pid" && return 0
        sleep 0.1
    done
    say "$name ($pid) is still there"
}

cleanup() {
    local rc=$? id i entry
    trap - EXIT INT TERM HUP
    set +e
    if ((${#jobs_submitted[@]})); then
        for id in "${jobs_submitted[@]}"; do
            scancel "$id" 2>/dev/null
        done
        # Let slurmd finish its job steps before it stops.
        for ((i = 0; i < 50; i++)); do
            [[ -z $(squeue -h -j "$(
                IFS=,
                echo "${jobs_submitted[*]}"
            )" 2>/dev/null) ]] && break
            sleep 0.2
        done
    fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        entry=${pids[i]}
        stop_daemon "${entry%%:*}" "${entry#*:}"
    done
    if [[ -n $conf_saved ]]; then
        cp -p "$conf_saved" "$conf"
    elif ((conf_written)); then
        rm -f "$conf"
    fi
    ((key_created)) && rm -f "$key"
    ((rundir_created)) && rm -rf /run/munge
    ((policy_created)) && rm -f /usr/sbin/policy-rc.d
    if [[ -n $work ]]; then
        if [[ ${KEEP:-0} == 1 ]]; then
            say "kept $work"
        else
            rm -rf "$work"
        fi
    fi
    if [[ -z $verdict ]]; then
        verdict=FAIL
        ((rc == 0)) && rc=1
    fi
    say "took $((SECONDS - started_at)) s"
    echo "$verdict"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Whether a process of this name runs (read from /proc: procps may be missing); an exited
# one waiting to be reaped does not count.
running() {
    local proc
    for proc in /proc/[0-9]*; do
        [[ $(cat "$proc/comm" 2>/dev/null) == "$1" ]] && ! gone "${proc#/proc/}" && return 0
    done
    return 1
}

# --- 1. packages -----------------------------------------------------------------------------
need=()
for tool in slurmctld slurmd sbatch munged python3; do
    command -v "$tool" >/dev/null || need+=("$tool")
done
if ((${#need[@]})); then
    say "installing slurm-wlm, munge and python3 (missing: ${need[*]})"
    # No daemon may start from a package's scripts: this script starts its own.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_created=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge python3 >/dev/null
    if ((policy_created)); then
        rm -f /usr/sbin/policy-rc.d
        policy_created=0
    fi
fi
command -v cargo >/dev/null || die "cargo is needed to build archsim (https://rustup.rs)"
for daemon in slurmctld slurmd; do
    running "$daemon" && die "a $daemon already runs here: this test needs a machine without Slurm running"
done

# --- 2. build --------------------------------------------------------------------------------
say "building archsim"
(cd "$repo" && cargo build --release --quiet)
bin=${CARGO_TARGET_DIR:-$repo/target}/release/archsim
[[ $bin == /* ]] || bin=$repo/$bin
[[ -x $bin ]] || die "no binary at $bin after the build"

work=$(mktemp -d /tmp/archsim-slurm-e2e.XXXXXX)
chmod 755 "$work"
mkdir -p "$work"/{state,spool,log,run}

# The sweep: a bundled experiment (a scenario with [sweep] or [[variant]]) if there is one,
# else the small one below; plus two plain bundled scenarios of one compare group, so the
# merge has several scenarios, an index and its comparison charts to get right.
experiment=""
for f in "$repo"/scenarios/*.toml; do
    if grep -Eq '^[[:space:]]*(\[sweep\]|\[\[variant\]\])' "$f"; then
        experiment=scenarios/${f##*/}
        break
    fi
done
if [[ -z $experiment ]]; then
    experiment=$work/e2e-sweep.toml
    cat >"$experiment" <<'EOF'
[scenario]
name = "e2e-sweep"
description = "A web tier over a database, swept over the web tier's servers and the load."
duration = "2m"
warmup = "20s"
seed = 11
window = "5s"

[[workload]]
name = "users"
target = "web"
arrival = { process = "poisson", rate = 300 }
timeout = "2s"
retry = { attempts = 2, backoff = "exponential", base = "50ms", jitter = "full", on = [503, "timeout"] }

[[component]]
id = "web"
kind = "service"
az = "a"
servers = 8
queue = 50
service_time = { dist = "lognormal", median = "10ms", p99 = "60ms" }
calls = [ { to = "db", timeout = "500ms" } ]

[[component]]
id = "db"
kind = "service"
az = "b"
servers = 4
service_time = { dist = "exponential", mean = "3ms" }

[[expect]]
metric = "error_rate"
max = 0.05

[[variant]]
name = "bigger-db"
description = "Twice the database servers."
set = { "db.servers" = 8 }

[sweep]
"web.servers" = [4, 8]
"users.arrival.rate" = [200, 400]
EOF
fi
sweep_args=("$experiment" scenarios/one-fast-server.toml scenarios/ten-slow-servers.toml --seeds "$seeds")
say "sweep: ${sweep_args[*]}"

# --- 3. the cluster --------------------------------------------------------------------------
# Waits for a daemon that forks to write its pid file.
wait_pid_file() {
    local name=$1 file=$2 i
    for ((i = 0; i < 100; i++)); do
        daemon_pid "$name" "$file" >/dev/null && return 0
        sleep 0.1
    done
    die "$name did not start; its log: $(tail -5 "$work/log/$name.log" 2>/dev/null)"
}
host=$(hostname -s)
if running munged; then
    say "munged already runs: using it"
else
    if [[ ! -e $key ]]; then
        (umask 077 && dd if=/dev/urandom of="$key" bs=1024 count=1 status=none)
        key_created=1
        chown munge:munge "$key"
        chmod 400 "$key"
    fi
    if [[ ! -d /run/munge ]]; then
        install -d -o munge -g munge -m 755 /run/munge
        rundir_created=1
    fi
    pids+=("munged:$work/munged.pid")
    munged --force --pid-file="$work/munged.pid" --log-file="$work/log/munged.log" \
        --seed-file="$work/munged.seed" 2>"$work/log/munged.err" ||
        die "munged did not start: $(cat "$work/log/munged.err")"
    wait_pid_file munged "$work/munged.pid"
fi
munge -n | unmunge >/dev/null || die "munge does not work"

if [[ -e $conf ]]; then
    conf_saved=$work/slurm.conf.found
    cp -p "$conf" "$conf_saved"
fi
mkdir -p "$(dirname "$conf")"
conf_written=1
addr=""
getent hosts "$host" >/dev/null || addr=127.0.0.1
cat >"$conf" <<EOF
# Written by archsim's scripts/slurm-e2e.sh for one test run; removed (or the previous file
# put back) when it ends.
ClusterName=archsim-e2e
SlurmctldHost=$host${addr:+($addr)}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
NodeName=$host${addr:+ NodeAddr=$addr} CPUs=$(nproc) State=UNKNOWN
PartitionName=e2e Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

# Both daemonise and write their pid files; an error about the PMIx MPI plugin is harmless.
say "starting slurmctld and slurmd on $host ($(nproc) CPUs)"
pids+=("slurmctld:$work/slurmctld.pid")
slurmctld 2>>"$work/log/slurmctld.err"
wait_pid_file slurmctld "$work/slurmctld.pid"
pids+=("slurmd:$work/slurmd.pid")
slurmd 2>>"$work/log/slurmd.err"
wait_pid_file slurmd "$work/slurmd.pid"

for ((i = 0; ; i++)); do
    state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
    [[ $state == idle ]] && break
    ((i < 60)) || die "the node is '$state', not idle, after 60 s; slurmd's log: $(tail -5 "$work/log/slurmd.log")"
    sleep 1
done
say "node $host idle"

# The state of every task of these jobs, one per line.
job_states() {
    local id
    for id; do
        scontrol -o show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true
    done
}
# Waits until every task of the jobs has ended, at most TIMEOUT seconds.
wait_jobs() {
    local deadline=$((SECONDS + timeout)) states
    while :; do
        states=$(job_states "$@")
        if [[ -n $states ]] && ! grep -Eqv '^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY)$' <<<"$states"; then
            return 0
        fi
        ((SECONDS < deadline)) || die "jobs $* not finished after $timeout s: $(squeue 2>&1)"
        sleep 1
    done
}
all_completed() {
    local states
    states=$(job_states "$@")
    [[ -n $states ]] && ! grep -qv '^COMPLETED$' <<<"$states"
}

# shellcheck disable=SC2016 # expanded by the job, not here
smoke=$(sbatch --parsable --array=0-3 --chdir="$work" --output="$work/log/smoke-%a.out" \
    --wrap 'echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT"')
smoke=${smoke%%;*}
jobs_submitted+=("$smoke")
wait_jobs "$smoke"
all_completed "$smoke" || die "the array job of echo did not complete: $(job_states "$smoke" | sort | uniq -c)"
for k in 0 1 2 3; do
    [[ $(cat "$work/log/smoke-$k.out") == "task $k of 4" ]] || die "task $k of the array job of echo wrote '$(cat "$work/log/smoke-$k.out")'"
done
say "array job $smoke of echo: 4 tasks completed"

# --- 4. the sweep, sharded -------------------------------------------------------------------
say "submitting the sweep in $shards shards with deploy/slurm/submit.sh"
cd "$repo"
SHARDS=$shards CPUS=1 RUN_DIR=$work/run ARCHSIM_BIN=$bin \
    "$repo/deploy/slurm/submit.sh" "${sweep_args[@]}" | sed 's/^/    /'
# shellcheck source=/dev/null
source "$work/run/slurm-jobs"
jobs_submitted+=("$SWEEP_JOB" "$MERGE_JOB")
wait_jobs "$SWEEP_JOB" "$MERGE_JOB"
if ! all_completed "$SWEEP_JOB" "$MERGE_JOB"; then
    say "sweep tasks: $(job_states "$SWEEP_JOB" | sort | uniq -c | xargs)"
    say "merge: $(job_states "$MERGE_JOB")"
    for log in "$work"/run/logs/*.out; do
        [[ -e $log ]] || continue
        echo "--- ${log##*/}"
        tail -20 "$log"
    done
    die "the sharded sweep did not complete"
fi
say "array job $SWEEP_JOB ($shards shards) and merge job $MERGE_JOB completed"
merged=$work/run/results
[[ -f $merged/index.html ]] || die "no $merged/index.html after the merge"

# --- 5. the same sweep, unsharded, and the comparison ----------------------------------------
say "running the same sweep unsharded"
"$bin" run "${sweep_args[@]}" --out "$work/local" --quiet

cat >"$work/compare.py" <<'EOF'
"""Compares two archsim results folders: the same entries, every file byte for byte except
a run's timings (kernel.wall_s and kernel.events_per_sec), which are stripped."""
import json
import os
import re
import sys

TIMING = ("wall_s", "events_per_sec")
JSON_FILES = ("summary.json", "sweep.json")
# The two numbers as a JSON text writes them.
JSON_TIMING = re.compile(rb'("(?:wall_s|events_per_sec)":\s*)-?[0-9][0-9.eE+-]*')
# A figure of time on a page or chart (the terminal's "0.33s of CPU: 11.7 M events/s").
PAGE_TIMING = re.compile(rb"[0-9][0-9.,]*(\s*(?:s of CPU|M events/s))")


def entries(root):
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                found[rel] = "link"
            elif os.path.isdir(path):
                found[rel] = "folder"
            else:
                found[rel] = "file"
    return found


def strip_kernel(value, count):
    if isinstance(value, dict):
        kernel = value.get("kernel")
        if isinstance(kernel, dict):
            for key in TIMING:
                if key in kernel:
                    del kernel[key]
                    count[0] += 1
        for v in value.values():
            strip_kernel(v, count)
    elif isinstance(value, list):
        for v in value:
            strip_kernel(v, count)


def main(a, b):
    ea, eb = entries(a), entries(b)
    problems = []
    for rel in sorted(set(ea) | set(eb)):
        if rel not in eb:
            problems.append(f"only in {a}: {rel}")
        elif rel not in ea:
            problems.append(f"only in {b}: {rel}")
        elif ea[rel] != eb[rel]:
            problems.append(f"{rel}: a {ea[rel]} in one, a {eb[rel]} in the other")
    stripped_json = [0]
    masked_pages = 0
    same_bytes = 0
    compared = 0
    for rel in sorted(r for r in ea if ea[r] == "file" and eb.get(r) == "file"):
        compared += 1
        with open(os.path.join(a, rel), "rb") as f:
            x = f.read()
        with open(os.path.join(b, rel), "rb") as f:
            y = f.read()
        if x == y:
            same_bytes += 1
            continue
        name = os.path.basename(rel)
        if name in JSON_FILES:
            try:
                jx, jy = json.loads(x), json.loads(y)
            except ValueError as e:
                problems.append(f"{rel}: not JSON ({e})")
                continue
            strip_kernel(jx, stripped_json)
            strip_kernel(jy, [0])
            if jx != jy:
                problems.append(f"{rel}: differs beyond the timings")
            elif JSON_TIMING.sub(rb"\1T", x) != JSON_TIMING.sub(rb"\1T", y):
                problems.append(f"{rel}: the same values, written differently")
            continue
        if name.endswith((".html", ".svg")):
            mx, nx = PAGE_TIMING.subn(rb"T\1", x)
            my, _ = PAGE_TIMING.subn(rb"T\1", y)
            if mx == my and nx:
                masked_pages += nx
                continue
        line = next(
            (i + 1 for i, (p, q) in enumerate(zip(x.split(b"\n"), y.split(b"\n"))) if p != q),
            min(x.count(b"\n"), y.count(b"\n")) + 1,
        )
        problems.append(f"{rel}: differs (first at line {line}; {len(x)} and {len(y)} bytes)")
    print(
        f"compared {compared} files: {same_bytes} byte for byte, the rest after stripping "
        f"{stripped_json[0]} timing fields from JSON and {masked_pages} timing figures from pages"
    )
    for p in problems[:30]:
        print("  " + p)
    if len(problems) > 30:
        print(f"  ... and {len(problems) - 30} more")
    return 1 if problems else 0


sys.exit(main(sys.argv[1], sys.argv[2]))
EOF
say "comparing $merged (merged) with $work/local (unsharded)"
if ! python3 "$work/compare.py" "$merged" "$work/local" | sed 's/^/    /'; then
    die "the merged results differ from the unsharded ones"
fi
verdict=PASS
