#!/bin/bash
# Every C file is as clang-format 14 lays it out with the repository's
# .clang-format (another version formats some constructs differently, so
# only 14 is asked; skipped where it is not installed).
. "$(dirname "$0")/lib.sh"
need clang-format-14
ROOT=$(cd "$TESTS_DIR/.." && pwd)
cd "$ROOT" || exit 1
bad=0
for f in src/*.[ch] fsread/*.[ch] fsread/private/*.h qcowout/*.[ch] \
	qcowout/private/*.h tests/unit/*.[ch] tests/fuzz/*.c tests/tools/*.[ch] \
	bench/*.c; do
	if ! clang-format-14 --dry-run --Werror "$f" 2>/dev/null; then
		echo "FAIL: $f is not formatted (clang-format-14 -i $f)" >&2
		bad=1
	fi
done
[ "$bad" = 0 ] || exit 1
echo "ok: every C file is formatted"
