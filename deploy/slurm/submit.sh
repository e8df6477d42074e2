#!/bin/bash
# Submits an archsim sweep to Slurm: an array job of N shards, then the merge, which starts
# when every shard has succeeded. Prints the job ids and where the results will be.
#
#   deploy/slurm/submit.sh [archsim run arguments: scenario files or folders, --seeds, --set ...]
#
#   SHARDS=16 CPUS=4 deploy/slurm/submit.sh scenarios/queueing-knee.toml --seeds 30
#
# Run it from the folder the scenario paths are relative to (the repository, usually), on a
# filesystem every node sees. Settings, from the environment:
#   SHARDS       number of shards N, the size of the array (default 4)
#   CPUS         CPUs per shard, archsim's --threads there (default 2)
#   RUN_DIR      folder of this sweep (default sweeps/<date>-<time>): the shards write
#                RUN_DIR/shards/shard-K-of-N/, the merge RUN_DIR/results/, logs go to
#                RUN_DIR/logs/
#   ARCHSIM_BIN  the archsim binary (default target/release/archsim: `cargo build --release`)
#   THROTTLE     at most this many shards running at once (default: no limit)
# sbatch's own variables choose the rest (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT,
# SBATCH_QOS, ...). The ids are also written to RUN_DIR/slurm-jobs.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shards=${SHARDS:-4}
cpus=${CPUS:-2}
run_dir=${RUN_DIR:-sweeps/$(date +%Y%m%d-%H%M%S)}
bin=${ARCHSIM_BIN:-target/release/archsim}

if [[ $# -eq 0 ]]; then
    echo "usage: [SHARDS=N] [CPUS=C] [RUN_DIR=DIR] $0 SCENARIO... [archsim run options]" >&2
    exit 2
fi
if ! [[ $shards =~ ^[1-9][0-9]*$ && $cpus =~ ^[1-9][0-9]*$ ]]; then
    echo "error: SHARDS and CPUS must be positive whole numbers (they are '$shards', '$cpus')" >&2
    exit 2
fi
if [[ ! -x $bin ]]; then
    echo "error: no archsim binary at $bin: run 'cargo build --release' or set ARCHSIM_BIN" >&2
    exit 2
fi

# The jobs run elsewhere: give them absolute paths.
workdir=$PWD
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mkdir -p "$run_dir/logs"
run_dir=$(cd "$run_dir" && pwd)
parts=$run_dir/shards
results=$run_dir/results

array=0-$((shards - 1))
if [[ -n ${THROTTLE:-} ]]; then
    array=$array%$THROTTLE
fi

# The jobs take these from the environment of sbatch (--export=ALL), which keeps paths
# whole even with commas in them.
export ARCHSIM_BIN=$bin ARCHSIM_WORKDIR=$workdir ARCHSIM_PARTS=$parts \
    ARCHSIM_RESULTS=$results ARCHSIM_SHARDS=$shards
unset ARCHSIM_SHARD_INDEX

sweep_job=$(sbatch --parsable --array="$array" --cpus-per-task="$cpus" \
    --chdir="$workdir" --output="$run_dir/logs/shard-%a.out" \
    --export=ALL "$here/sweep.sbatch" "$@")
sweep_job=${sweep_job%%;*}

merge_job=$(sbatch --parsable --dependency="afterok:$sweep_job" --kill-on-invalid-dep=yes \
    --chdir="$workdir" --output="$run_dir/logs/merge.out" \
    --export=ALL "$here/merge.sbatch")
merge_job=${merge_job%%;*}

printf 'SWEEP_JOB=%s\nMERGE_JOB=%s\n' "$sweep_job" "$merge_job" >"$run_dir/slurm-jobs"

cat <<MSG
sweep: array job $sweep_job, $shards shards of $cpus CPUs -> $parts/shard-K-of-$shards/
merge: job $merge_job, after all of them succeed -> $results/
logs:  $run_dir/logs/
watch: squeue -j $sweep_job,$merge_job
then open $results/index.html
MSG
