#!/bin/bash
# t_completion.sh: the bash completion parses (bash -n), offers every
# option each subcommand's --help lists, and completes subcommands,
# option values and file names, as compgen would run it in a shell.
. "$(dirname "$0")/lib.sh"
comp=$TESTS_DIR/../src/completion/e2qcow
bash -n "$comp" || fail "bash -n: the completion does not parse"
[ -f /usr/share/bash-completion/bash_completion ] ||
	skip "bash-completion is not installed"
cd "$T" || exit 1
touch sda.img other.qcow2

# complete WORDS...: what the completion offers for the last word.
complete_words() {
	bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$0"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_e2qcow e2qcow "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$@"
}

got=$(complete_words e2qcow ca)
[ "$got" = capture ] || fail "'e2qcow ca' completes to: $got"
got=$(complete_words e2qcow restore --tar)
[ "$got" = --target-is-zero ] || fail "'restore --tar': $got"
got=$(complete_words e2qcow capture --progress=j)
[ "$got" = json ] || fail "'--progress=j': $got"
got=$(complete_words e2qcow capture --scrub-keep=label,mo)
[ "$got" = label,mount ] || fail "'--scrub-keep=label,mo': $got"
got=$(complete_words e2qcow capture -s sd)
[ "$got" = sda.img ] || fail "a file name: $got"
got=$(complete_words e2qcow -r oth)
[ "$got" = other.qcow2 ] || fail "e2image's spelling, a file name: $got"
for cmd in capture restore install verify; do
	offered=$(complete_words e2qcow "$cmd" -)
	for opt in $("$E2QCOW" "$cmd" --help | grep -o -E '^ +-[a-zA-Z]|--[a-z0-9-]+' | tr -d ' ' | sort -u); do
		grep -q -x -e "$opt" -e "$opt=" <<<"$offered" ||
			fail "$cmd: $opt is in --help but not completed"
	done
done
echo ok
