#!/usr/bin/env bash
# Runs fuzz targets one after another, each for SECONDS (default 60), from the seed
# corpora (written by seed.sh first). Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
# With no targets, runs all of them. Logs go to tests/fuzz/artifacts/<target>.log; a
# crash stops that target and leaves its input in tests/fuzz/artifacts/<target>/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd "$here/fuzz_targets" && ls *.rs | sed 's/\.rs$//')
fi
"$here/seed.sh" > /dev/null
mkdir -p "$here/artifacts"
cd "$root"
status=0
for t in "${targets[@]}"; do
    log="$here/artifacts/$t.log"
    RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir tests/fuzz "$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 > "$log" 2>&1 || status=1
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    printf '%-22s runs=%-10s %s\n' "$t" "${runs:-?}" "$(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*')"
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -5
done
exit $status
