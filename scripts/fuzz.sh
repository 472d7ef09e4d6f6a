#!/usr/bin/env bash
# Fuzzing with libFuzzer: installs clang if missing (Debian: clang, libclang-rt-14-dev), builds the harnesses
# of tests/fuzz into build-fuzz/ (-DKVTWIN_FUZZ=ON: ASan + UBSan + coverage), writes seed corpora from the
# project's own fixtures and configs, replays tests/fuzz/regressions/ (every input that ever failed), then
# fuzzes each harness for a short fixed time. A finding fails the script; its input is left in
# build-fuzz/findings/TARGET/ to be added to tests/fuzz/regressions/TARGET/ once fixed.
#   KVTWIN_FUZZ_SECONDS   seconds per harness (default 15)
#   KVTWIN_FUZZ_TARGETS   harnesses to run (default: all)
#   KVTWIN_FUZZ_JOBS      parallel fuzzing processes per harness (default 1)
# Longer campaigns: docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${KVTWIN_FUZZ_SECONDS:-15}
targets=${KVTWIN_FUZZ_TARGETS:-"scenario set mooncake kvtester azure native auto"}
jobs=${KVTWIN_FUZZ_JOBS:-1}
build=build-fuzz

./scripts/setup.sh
need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    need+=(libclang-rt-14-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
    as_root=()
    [ "$(id -u)" -ne 0 ] && as_root=(sudo)
    echo "fuzz: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKVTWIN_FUZZ=ON >/dev/null
fuzzers=()
for t in $targets; do fuzzers+=("fuzz_$t"); done
cmake --build "$build" -j "$(nproc)" --target "${fuzzers[@]}" >"$build/build.log" 2>&1 || { cat "$build/build.log" >&2; exit 1; }

# Seed corpora, written from what the project ships.
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{scenario,set,mooncake,kvtester,azure,native,auto}
cp tests/fixtures/scenarios/*.json configs/scenarios/*.json "$seeds/scenario/"
cp tests/fuzz/corpus/set/* "$seeds/set/"
cp tests/fixtures/workloads/mooncake_small.jsonl tests/fixtures/traces/*.jsonl "$seeds/mooncake/"
cp tests/fixtures/workloads/kvtester_small.json "$seeds/kvtester/"
cp tests/fixtures/workloads/azure_small.csv "$seeds/azure/"
cp tests/fixtures/workloads/two_sessions.jsonl "$seeds/native/"
# auto: the first byte picks the file name the detection sees (tests/fuzz/fuzz_reader.c).
{ printf '\000'; cat tests/fixtures/workloads/mooncake_small.jsonl; } > "$seeds/auto/mooncake"
{ printf '\001'; cat tests/fixtures/workloads/kvtester_small.json; } > "$seeds/auto/kvtester"
{ printf '\002'; cat tests/fixtures/workloads/azure_small.csv; } > "$seeds/auto/azure"
{ printf '\003'; gzip -c tests/fixtures/workloads/mooncake_small.jsonl; } > "$seeds/auto/gzip"
{ printf '\000'; cat tests/fixtures/workloads/two_sessions.jsonl; } > "$seeds/auto/native"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TMPDIR=${TMPDIR:-/tmp}
status=0
root=$(pwd)
for t in $targets; do
    bin=$build/tests/fuzz/fuzz_$t
    reg=tests/fuzz/regressions/$t
    if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
        "$bin" -runs=0 "$reg" >/dev/null 2>"$build/replay-$t.log" || { echo "fuzz: $t: a regression input fails again (see $build/replay-$t.log)" >&2; status=1; }
    fi
    work=$root/$build/corpus/$t
    findings=$root/$build/findings/$t
    logs=$root/$build/logs/$t
    rm -rf "$logs"
    rm -rf "$findings"
    mkdir -p "$work" "$findings" "$logs"
    par=()
    [ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
    start=$(date +%s)
    # From its own folder: with -jobs, libFuzzer writes fuzz-N.log where it runs.
    if ! (cd "$logs" && "$root/$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
            "${par[@]}" -artifact_prefix="$findings/" -print_final_stats=1 \
            "$work" "$root/$seeds/$t" >"$logs/main.log" 2>&1); then
        echo "fuzz: $t: found a failing input in $findings/ (logs in $logs/)" >&2
        status=1
    fi
    execs=$(cat "$logs"/*.log | grep -o 'stat::number_of_executed_units: *[0-9]*' | awk '{s += $2} END {print s + 0}')
    echo "fuzz: $t: $execs inputs in $(( $(date +%s) - start )) s"
    rm -rf "$TMPDIR"/kvtwin-fuzz-* 2>/dev/null || true
done
exit $status
