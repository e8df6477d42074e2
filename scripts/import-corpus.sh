#!/usr/bin/env bash
# Checks `archsim import` on a set of templates: every *.yaml, *.yml, *.json and *.template
# file under DIR that is a CloudFormation/SAM template (a top-level `Resources`) or a
# Terraform plan (`terraform show -json`) is imported, the scenario validated, then run for a
# short time. One line per file, then a total and the resource types no kind maps, most
# frequent first. Exit status 1 when a template fails at any step (a refusal, a panic, a
# scenario that does not validate or does not run), 2 for bad usage, 0 otherwise.
#
#   scripts/import-corpus.sh DIR
#
# Environment: ARCHSIM, an archsim binary to use (default: built here with
# `cargo build --release`); DURATION, how long each run simulates (default 10s); KEEP, a
# folder to keep the imported scenarios and their logs in (default: a scratch folder,
# removed at the end); INVALID, a file naming (one path a line, relative to DIR) templates
# known to be malformed: their refusal, with a located message, is expected rather than a
# failure. A template with an empty `Resources` is skipped.
set -u -o pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 DIR   (a folder of CloudFormation/SAM templates and Terraform plans)" >&2
    exit 2
fi
dir=$1
duration=${DURATION:-10s}
root=$(cd "$(dirname "$0")/.." && pwd)

if [ -n "${ARCHSIM:-}" ]; then
    bin=$ARCHSIM
else
    (cd "$root" && cargo build --release -q) || exit 2
    bin=${CARGO_TARGET_DIR:-$root/target}/release/archsim
fi
if [ ! -x "$bin" ]; then
    echo "error: no archsim binary at $bin" >&2
    exit 2
fi

if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP" || exit 2
    work=$(cd "$KEEP" && pwd)
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# A run that takes longer than this has hung: a failure like any other.
limit=${TIME_LIMIT:-300}
run_limited() {
    if command -v timeout > /dev/null; then
        timeout "$limit" "$@"
    else
        "$@"
    fi
}

# The first line of an error file that says what went wrong, on one line.
reason() {
    local line
    line=$(grep -m1 -E 'error|panicked|warning: ' "$1" || head -n1 "$1")
    printf '%s' "${line:0:300}"
}

files=0 templates=0 passed=0 failed=0 skipped=0 empty=0 refused=0
: > "$work/unknown-types"
: > "$work/failures"
n=0
while IFS= read -r -d '' f; do
    files=$((files + 1))
    rel=${f#"$dir"/}
    # A template has `Resources` at its top level; a plan has `planned_values`.
    if ! grep -q -E '^"?Resources"?[[:space:]]*:|^[[:space:]]{0,4}"Resources"[[:space:]]*:|"planned_values"' "$f" &&
        ! grep -q -E '^[[:space:]]*\{[[:space:]]*"(AWSTemplateFormatVersion|Resources)"' "$f"; then
        skipped=$((skipped + 1))
        printf 'skip  %s: not a template (no top-level Resources) nor a plan\n' "$rel"
        continue
    fi
    templates=$((templates + 1))
    n=$((n + 1))
    case_dir="$work/$n"
    mkdir -p "$case_dir"
    printf '%s\n' "$rel" > "$case_dir/source"
    scenario="$case_dir/imported.toml"

    run_limited "$bin" import "$f" --out "$scenario" --force > /dev/null 2> "$case_dir/import.log"
    rc=$?
    if [ $rc -ne 0 ]; then
        if [ $rc -eq 2 ] && grep -q 'there is nothing to run' "$case_dir/import.log"; then
            empty=$((empty + 1))
            printf 'none  %s: imported; no resource archsim simulates, nothing to run\n' "$rel"
            sed -n 's/.*(types not simulated: \(.*\))$/\1/p' "$case_dir/import.log" |
                sed 's/, /\n/g' | grep . >> "$work/unknown-types"
            continue
        fi
        if [ $rc -eq 2 ] && grep -q -E 'has no `Resources` mapping|`Resources` is empty' "$case_dir/import.log"; then
            skipped=$((skipped + 1))
            printf 'skip  %s: no resources\n' "$rel"
            continue
        fi
        # A malformed template named in INVALID is refused as it should be: at a place in it.
        if [ $rc -eq 2 ] && [ -n "${INVALID:-}" ] && grep -q -x -F -- "$rel" "$INVALID" &&
            grep -q -E "^error: .*:[0-9]+:[0-9]+: " "$case_dir/import.log"; then
            refused=$((refused + 1))
            printf 'bad   %s: refused as malformed: %s\n' "$rel" "$(reason "$case_dir/import.log")"
            continue
        fi
        failed=$((failed + 1))
        printf 'FAIL  %s: import (exit %d): %s\n' "$rel" "$rc" "$(reason "$case_dir/import.log")" | tee -a "$work/failures"
        continue
    fi
    components=$(sed -n 's/^imported .*: \([0-9]*\) components$/\1/p' "$case_dir/import.log")
    # The lines under "not simulated (N):" are "  Name (Type)".
    unknown=$(awk '/^not simulated/ {on=1; next} /^[^ ]/ {on=0} on' "$case_dir/import.log" |
        sed -n 's/^  .* (\(.*\))$/\1/p')
    # Counted once per template.
    printf '%s' "${unknown:+$unknown$'\n'}" | LC_ALL=C sort -u >> "$work/unknown-types"
    unknown_count=$(printf '%s' "${unknown:+$unknown$'\n'}" | grep -c . || true)

    if ! run_limited "$bin" validate "$scenario" > "$case_dir/validate.log" 2>&1; then
        failed=$((failed + 1))
        printf 'FAIL  %s: imported (%s components, %s not simulated), validate: %s\n' \
            "$rel" "$components" "$unknown_count" "$(reason "$case_dir/validate.log")" | tee -a "$work/failures"
        continue
    fi
    if ! run_limited "$bin" run "$scenario" --out "$case_dir/out" --no-plots --quiet --threads 1 \
        --set "scenario.duration=$duration" > "$case_dir/run.log" 2>&1; then
        failed=$((failed + 1))
        printf 'FAIL  %s: imported (%s components, %s not simulated), validated, run: %s\n' \
            "$rel" "$components" "$unknown_count" "$(reason "$case_dir/run.log")" | tee -a "$work/failures"
        continue
    fi
    rm -rf "$case_dir/out"
    passed=$((passed + 1))
    printf 'ok    %s: imported (%s components, %s not simulated), validated, ran %s\n' \
        "$rel" "$components" "$unknown_count" "$duration"
done < <(find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' -o -name '*.template' \) -print0 | LC_ALL=C sort -z)

echo
echo "total: $files files, $templates templates or plans: $passed imported, validated and ran;" \
    "$empty imported with nothing to simulate; $refused malformed and refused at their fault;" \
    "$failed failed; $skipped skipped (not templates, or no resources)"
if [ -s "$work/unknown-types" ]; then
    echo "resource types not simulated (templates listing them):"
    LC_ALL=C sort "$work/unknown-types" | uniq -c | LC_ALL=C sort -k1,1nr -k2 | sed 's/^ */  /'
fi
if [ $failed -gt 0 ]; then
    echo
    echo "failed ($failed):"
    cat "$work/failures"
    exit 1
fi
exit 0
