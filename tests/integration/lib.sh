# shellcheck shell=bash
# Common setup for the integration tests: a pinned, deterministic
# environment, a private temporary directory, and skip/fail helpers.
# Exit status 77 means "skipped" to ctest.
set -euo pipefail

export LC_ALL=C TZ=UTC
# Same bytes on every run: fixed times for mke2fs/e2fsck and for e2qcow.
export E2FSPROGS_FAKE_TIME=1700000000
export SOURCE_DATE_EPOCH=1700000000
export E2FSCK_CONFIG=/dev/null
# e2qcow's quick answers are checked against libext2fs' slow ones (the
# group descriptors' check): a disagreement aborts.
export E2QCOW_CROSS_CHECK=1
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MKE2FS_CONFIG="$TESTS_DIR/integration/mke2fs.conf"
# Sanitizer reports must fail a test even where the exit status is
# otherwise allowed to be non-zero.
export ASAN_OPTIONS="exitcode=86:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

: "${E2QCOW:?set E2QCOW to the e2qcow binary}"
: "${TOOLS:?set TOOLS to the test helper directory}"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
	done
}

T=$(mktemp -d "${TMPDIR:-/tmp}/e2qcow-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

# qemu_check IMAGE: QEMU's own checker must find nothing at all.
qemu_check() {
	local out
	out=$(qemu-img check "$1" 2>&1) || fail "qemu-img check $1: $out"
	grep -q "No errors were found on the image" <<<"$out" ||
		fail "qemu-img check $1: $out"
}

# Run a command on an image; any path under $T in its output (the
# image's own name, or one recorded in it, such as the MMP device name)
# becomes IMAGE, so outputs for different files compare equal.
run_named() {
	local img=$1
	shift
	"$@" "$img" 2>&1 | sed "s|$T/[A-Za-z0-9_.-]*|IMAGE|g"
}

# Recursive "debugfs ls -l" of every directory, in a stable order.
debugfs_tree() {
	local img=$1 dir=${2:-/} line name
	debugfs -R "ls -l $dir" "$img" 2>&1 | sed 1d
	debugfs -R "ls -p $dir" "$img" 2>/dev/null |
		while IFS=/ read -r _ _ mode _ _ name _; do
			case $mode in 04*) ;; *) continue ;; esac
			[ "$name" = . ] || [ "$name" = .. ] && continue
			if [ "$dir" = / ]; then line=/$name; else line=$dir/$name; fi
			echo "== $line"
			debugfs_tree "$img" "$line"
		done
}
