#!/bin/bash
# The README's second command, and what CI runs: install the test
# tools, build twice (plain with -Werror, and ASan+UBSan), and run the
# whole suite on both.  ../shared/corpus is used when present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
jobs=$(nproc)
status=0
for variant in plain asan; do
	dir=build-test-$variant
	flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
	[ $variant = asan ] && flags=(-DCMAKE_BUILD_TYPE=Debug -DE2QCOW_SANITIZE=ON)
	cmake -S . -B "$dir" "${flags[@]}" >/dev/null
	cmake --build "$dir" -j"$jobs" >/dev/null
	echo "== tests: $variant build"
	(cd "$dir" && ctest -j"$jobs" --output-on-failure) || status=1
done
echo "== shellcheck"
shellcheck -S warning -x scripts/*.sh samples/*.sh tests/integration/*.sh .ci/run || status=1
exit $status
