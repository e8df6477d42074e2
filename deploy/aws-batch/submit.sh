#!/bin/bash
# Submits an archsim sweep to AWS Batch: an array job of N shards (child K runs
# `archsim run ... --shard N`, K from AWS_BATCH_JOB_ARRAY_INDEX), then the merge, which depends
# on the array job and so starts once every child has succeeded (it fails if one fails).
# Results land on the EFS volume of job-definition.json, mounted at /sweeps.
#
#   JOB_QUEUE=archsim-queue SHARDS=16 deploy/aws-batch/submit.sh scenarios/ --seeds 20
#
# Arguments: what `archsim run` takes besides --shard, --out and --threads. Scenario paths are
# read inside the container (working directory /opt/archsim, where the image keeps the
# bundled scenarios/), or absolute paths on the volume (/sweeps/...).
# Settings, from the environment:
#   JOB_QUEUE       the job queue (required)
#   JOB_DEFINITION  the registered job definition (default archsim: job-definition.json)
#   SHARDS          number of shards N, the array size: 2 to 10,000 (default 8)
#   VCPUS, MEMORY   per shard: vCPUs (also archsim's --threads) and MiB (default 2, 2048)
#   SWEEP           the sweep's name (default sweep-<UTC date>-<time>): shards go to
#                   /sweeps/SWEEP/shards/shard-K-of-N/, the merged results to
#                   /sweeps/SWEEP/results/
# The aws CLI's own settings (AWS_PROFILE, AWS_REGION, ...) choose the account and region.

set -euo pipefail

queue=${JOB_QUEUE:?set JOB_QUEUE to an AWS Batch job queue}
definition=${JOB_DEFINITION:-archsim}
shards=${SHARDS:-8}
vcpus=${VCPUS:-2}
memory=${MEMORY:-2048}
sweep=${SWEEP:-sweep-$(date -u +%Y%m%d-%H%M%S)}

if [[ $# -eq 0 ]]; then
    echo "usage: JOB_QUEUE=QUEUE [SHARDS=N] [SWEEP=NAME] $0 SCENARIO... [archsim run options]" >&2
    exit 2
fi
if ! [[ $shards =~ ^[0-9]+$ ]] || ((shards < 2 || shards > 10000)); then
    echo "error: SHARDS is '$shards': an AWS Batch array has 2 to 10,000 children" >&2
    exit 2
fi
if ! [[ $vcpus =~ ^[1-9][0-9]*$ && $memory =~ ^[1-9][0-9]*$ ]]; then
    echo "error: VCPUS and MEMORY must be positive whole numbers" >&2
    exit 2
fi
if ! [[ $sweep =~ ^[A-Za-z0-9_-]{1,100}$ ]]; then
    echo "error: SWEEP is '$sweep': letters, digits, '-' and '_' only (it names the jobs)" >&2
    exit 2
fi
parts=/sweeps/$sweep/shards
results=/sweeps/$sweep/results

# A JSON string of one argument.
json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}
# A JSON list of strings.
json_list() {
    local out="" a
    for a; do
        out+=${out:+,}$(json_string "$a")
    done
    printf '[%s]' "$out"
}

resources='[{"type":"VCPU","value":"'$vcpus'"},{"type":"MEMORY","value":"'$memory'"}]'
sweep_command=$(json_list run "$@" --shard "$shards" --out "$parts" --threads "$vcpus")
merge_command=$(json_list merge "$parts" --out "$results")

array_job=$(aws batch submit-job \
    --job-name "archsim-$sweep" \
    --job-queue "$queue" \
    --job-definition "$definition" \
    --array-properties "size=$shards" \
    --container-overrides "{\"command\":$sweep_command,\"resourceRequirements\":$resources}" \
    --tags "sweep=$sweep" \
    --query jobId --output text)

# A plain dependency on an array job waits for all its children (N_TO_N would pair them).
merge_job=$(aws batch submit-job \
    --job-name "archsim-$sweep-merge" \
    --job-queue "$queue" \
    --job-definition "$definition" \
    --depends-on "jobId=$array_job" \
    --container-overrides "{\"command\":$merge_command,\"resourceRequirements\":[{\"type\":\"VCPU\",\"value\":\"1\"},{\"type\":\"MEMORY\",\"value\":\"$memory\"}]}" \
    --tags "sweep=$sweep" \
    --query jobId --output text)

cat <<MSG
sweep: array job $array_job, $shards shards of $vcpus vCPUs -> EFS $parts/shard-K-of-$shards/
merge: job $merge_job, after all of them succeed -> EFS $results/
watch: aws batch describe-jobs --jobs $array_job $merge_job --query 'jobs[].[jobName,status,arrayProperties.statusSummary]'
MSG
