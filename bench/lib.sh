# shellcheck shell=bash
# bench/lib.sh: how every bench script starts, sourced from the
# repository's root.

# bench_setup NAME TOOL...: stop unless every TOOL is installed, then
# build the release binary (build-rel, no tests) and set E to it.
bench_setup() {
	local name=$1 t
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$name: needs $t"; exit 1; }
	done
	cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DE2QCOW_TESTS=OFF >/dev/null
	cmake --build build-rel -j"$(nproc)" >/dev/null
	# shellcheck disable=SC2034 # the sourcing script runs it
	E=$PWD/build-rel/src/e2qcow
}
