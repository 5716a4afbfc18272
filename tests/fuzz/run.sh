#!/bin/bash
# Runs libFuzzer targets built by mk/fuzz.mk: run.sh SECONDS JOBS NAME...
# Each NAME runs build/fuzz/fuzz_NAME for SECONDS on a fresh copy of
# tests/fuzz/corpus/NAME (build/fuzz/corpus/NAME), at most JOBS at once.
# Prints per target the executions and whether something was found; exits 1
# if any target found a crash (artifacts and logs stay in build/fuzz/).
set -u
cd "$(dirname "$0")/../.."
secs=$1 jobs=$2
shift 2
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
out=build/fuzz

run_one() {
    local t=$1 dict=() corpus=$out/corpus/$1
    rm -rf "$corpus" && mkdir -p "$corpus"
    cp -r tests/fuzz/corpus/"$t"/. "$corpus"/ 2>/dev/null
    rm -f "$out/$t"-crash-* "$out/$t"-leak-* "$out/$t"-timeout-* "$out/$t"-oom-* \
          "$out/$t"-slow-unit-* "$out/$t".rc
    [ -f tests/fuzz/"$t".dict ] && dict=(-dict=tests/fuzz/"$t".dict)
    "$out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 -artifact_prefix="$out/$t-" "${dict[@]}" \
        "$corpus" >"$out/$t.log" 2>&1
    echo $? >"$out/$t.rc"
}

for t in "$@"; do
    if [ ! -x "$out/fuzz_$t" ]; then
        echo "fuzz: $out/fuzz_$t is not built" >&2
        exit 2
    fi
done
echo "fuzz: ${secs}s per target, $jobs at a time: $*"
for t in "$@"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    run_one "$t" &
done
wait

rc=0
for t in "$@"; do
    log=$out/$t.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    corpus=$(ls "$out/corpus/$t" | wc -l)
    found=$(ls "$out/$t"-crash-* "$out/$t"-leak-* "$out/$t"-timeout-* "$out/$t"-oom-* 2>/dev/null)
    trc=$(cat "$out/$t.rc" 2>/dev/null || echo "?")
    if [ "$trc" = 0 ] && [ -z "$found" ]; then
        printf 'fuzz %-9s %10s executions, %s, corpus %s: no crash\n' "$t" "${execs:-?}" "${cov:-cov: ?}" "$corpus"
    else
        rc=1
        printf 'fuzz %-9s %10s executions, %s: CRASH (exit %s) %s (log %s)\n' "$t" "${execs:-?}" \
            "${cov:-cov: ?}" "$trc" "${found:-no artifact}" "$log"
        # the report: from the sanitizer's or the invariant's first line
        grep -n -m1 -E '^==[0-9]+==ERROR|invariant broken|runtime error|^==[0-9]+== ERROR|deadly signal|ALARM' "$log" >/dev/null \
            && sed -n "$(grep -n -m1 -E '^==[0-9]+==ERROR|invariant broken|runtime error|^==[0-9]+== ERROR|deadly signal|ALARM' "$log" | cut -d: -f1),+40p" "$log" | sed 's/^/    /'
    fi
done
exit $rc
