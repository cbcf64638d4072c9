#!/bin/bash
# t_man.sh MANPAGE: groff renders it with no warning at all, and every
# option of "e2qcow capture/restore --help" is documented in it.
. "$(dirname "$0")/lib.sh"
need groff
page=$1
groff -man -ww -z -Tutf8 "$page" 2>"$T/groff.err" || fail "groff failed"
[ ! -s "$T/groff.err" ] || fail "groff warnings: $(cat "$T/groff.err")"
text=$(groff -man -Tutf8 "$page" 2>/dev/null | col -b 2>/dev/null || groff -man -Tascii "$page")
for cmd in capture restore install verify; do
	for opt in $("$E2QCOW" "$cmd" --help | grep -o -E '^ +-[a-zA-Z]|--[a-z0-9-]+' | tr -d ' ' | sort -u); do
		grep -q -- "$opt" <<<"$text" || fail "$cmd option $opt is not in the man page"
	done
done
for cmd in info check install verify; do
	grep -q "e2qcow $cmd" <<<"$text" || fail "$cmd is not in the man page"
done
echo ok
