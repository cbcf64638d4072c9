#!/bin/bash
# damage-campaign.sh [FIRST] [COUNT]: a long damage campaign, COUNT seeds
# (default 2000) from FIRST (default: from the clock, so each campaign
# sees fresh damage), through tests/integration/t_damage.sh in batches of
# 100 with a release build.  Prints each batch's summary and the seeds
# that failed; exits 1 if any did.  Replay a failing seed with
#   E2QCOW=... TOOLS=... bash tests/integration/t_damage.sh SEED
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
first=${1:-$(date +%s)}
count=${2:-2000}
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DE2QCOW_TESTS=ON >/dev/null
cmake --build build-rel -j"$(nproc)" >/dev/null
export E2QCOW=$PWD/build-rel/src/e2qcow TOOLS=$PWD/build-rel/tests
# A batch's log of its own: two campaigns may run side by side.
log=$(mktemp "${TMPDIR:-/tmp}/damage-batch.XXXXXX")
trap 'rm -f "$log"' EXIT
status=0
for ((at = first; at < first + count; at += 100)); do
	n=$((first + count - at < 100 ? first + count - at : 100))
	if ! bash tests/integration/t_damage.sh $(seq "$at" $((at + n - 1))) >"$log" 2>&1; then
		status=1
		grep -E "^(seed|FAIL)" "$log"
	fi
	grep -E "^(damage|oracle)" "$log"
done
exit $status
