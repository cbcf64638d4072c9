#!/bin/bash
# The module boundaries, as the build cannot see them: fsread and
# qcowout never include each other; nothing outside a module includes
# its private/ headers (one white-box unit test excepted); the libraries
# export only names with their module's prefix.
# Arguments: the built libfsread.a and libqcowout.a.
. "$(dirname "$0")/lib.sh"
need nm
fsread_lib=${1:?libfsread.a}
qcowout_lib=${2:?libqcowout.a}
ROOT=$(cd "$TESTS_DIR/.." && pwd)
cd "$ROOT" || exit 1
bad=0

# includes FILE...: the quoted #include names of the files.
includes() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$@"
}

# Neither library knows the other.
for f in fsread/*.[ch] fsread/private/*.h; do
	if includes "$f" | grep -q '^qcow_'; then
		echo "FAIL: $f includes a qcowout header" >&2
		bad=1
	fi
done
for f in qcowout/*.[ch] qcowout/private/*.h; do
	if includes "$f" | grep -Eq '^(fsread|extmap)'; then
		echo "FAIL: $f includes an fsread header" >&2
		bad=1
	fi
done

# Private headers stay inside their module.
private=$(cd fsread/private && ls; cd ../../qcowout/private && ls)
[ -n "$private" ] || fail "no private headers found"
for f in src/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/tools/*.[ch]; do
	[ "$f" = tests/unit/test_scrub_names.c ] && continue # white-box
	for h in $(includes "$f"); do
		if grep -qx "$h" <<<"$private"; then
			echo "FAIL: $f includes the private header $h" >&2
			bad=1
		fi
	done
done
for f in fsread/*.[ch]; do
	for h in $(includes "$f"); do
		[ -e "qcowout/private/$h" ] &&
			{ echo "FAIL: $f includes qcowout/private/$h" >&2; bad=1; }
	done
done
for f in qcowout/*.[ch]; do
	for h in $(includes "$f"); do
		[ -e "fsread/private/$h" ] &&
			{ echo "FAIL: $f includes fsread/private/$h" >&2; bad=1; }
	done
done
# Public headers do not pull private ones in.
for f in fsread/*.h qcowout/*.h; do
	for h in $(includes "$f"); do
		if grep -qx "$h" <<<"$private"; then
			echo "FAIL: public $f includes private $h" >&2
			bad=1
		fi
	done
done

# exported LIB PATTERN: defined global symbols not matching PATTERN.
exported() {
	nm -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBRC]/ {print $3}' |
		grep -Ev "$2" || true
}
# com_err's generated names follow its own convention, for the table;
# names starting with __ are the compiler's (ASan's __odr_asan.*).
stray=$(exported "$fsread_lib" '^(__|fsread_|extmap_|(initialize_|et_)[a-z0-9]+_error_table(_r)?$)')
[ -z "$stray" ] || { echo "FAIL: libfsread exports without its prefix: $stray" >&2; bad=1; }
stray=$(exported "$qcowout_lib" '^(__|qcow_|(initialize_|et_)[a-z0-9]+_error_table(_r)?$)')
[ -z "$stray" ] || { echo "FAIL: libqcowout exports without its prefix: $stray" >&2; bad=1; }
[ -n "$(exported "$fsread_lib" '^$')" ] || fail "no symbols read from $fsread_lib"

[ "$bad" = 0 ] || exit 1
echo "ok: module boundaries hold"
