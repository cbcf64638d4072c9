#!/bin/bash
# t_corpus.sh [SHARD NSHARDS] [DIR]: capture every image of a corpus of
# real, mostly corrupted ext filesystems (default: e2fsprogs' regression
# images in ../shared) with and without -a.  No capture may crash, hang,
# trip a sanitizer or leave a file behind; every image written must pass
# qemu-img check.  Also reports how many restored images make e2fsck -fn
# say exactly what it says about the original, and how many scrubbed
# captures (-s) make it say what it says of the unscrubbed one, up to
# the names it quotes.
. "$(dirname "$0")/lib.sh"
need qemu-img e2fsck gzip python3

shard=${1:-0} nshards=${2:-1}
dir=${3:-${E2QCOW_CORPUS:-}}
[ -n "$dir" ] && [ -d "$dir" ] || skip "no corpus directory (${dir:-unset})"

images=()
for f in "$dir"/*.img.gz "$dir"/*.img; do
	[ -e "$f" ] && images+=("$f")
done
[ ${#images[@]} -gt 0 ] || skip "no images in $dir"

failures=0 captured=0 refused=0 same=0 differ=0 i=0
scrub_same=0 scrub_differs=() harvested=0
differs=() hangs=() unsteady=() dumpe2fs_same=0 dumpe2fs_differs=()
bad() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# e2fsck -fn's words and status about $1; fails if it does not finish.
# Where e2fsck 1.47.0 crashes (it does on a few of these images), the
# addresses in its backtrace change from run to run: they are masked.
fsck_words() {
	local rc
	timeout 30 e2fsck -fn "$1" </dev/null >"$T/fsck" 2>&1 && rc=0 || rc=$?
	[ "$rc" != 124 ] || return 1
	sed -E '/^(Signal \(|e2fsck\(|\/lib)/s/0x[0-9a-f]+/0x?/g' "$T/fsck"
	echo "exit $rc"
}

# e2fsck's words with the names it quotes, and paths, made anonymous;
# also the volume label ($2), by which e2fsck names a filesystem that
# has one (a scrubbed image has none).
unname() {
	local label=()
	[ -z "${2:-}" ] || label=(-e "s|^$2\([: ]\)|IMAGE\1|")
	sed -e "s|$1|IMAGE|g" "${label[@]}" -e "s/'[^']*'/'N'/g" \
		-e 's#/[^ ]* (\(inode\|[0-9]\)#P (\1#g' \
		-e 's|([^()]*/[^()]*)|(P)|g' -e 's|Rename to [^?]*?|Rename to N?|'
}

label_of() {
	dumpe2fs -h "$1" 2>/dev/null |
		sed -n 's/^Filesystem volume name: *//p' | grep -v '^<none>$' |
		sed 's/[|\\.*^$[]/./g' || true
}

for f in "${images[@]}"; do
	i=$((i + 1))
	[ $(((i - 1) % nshards)) = "$shard" ] || continue
	name=$(basename "$f")
	name=${name%.gz}
	name=${name%.img}
	src=$T/$name.img
	case $f in
	*.gz) gzip -dc "$f" >"$src" ;;
	*) cp "$f" "$src" ;;
	esac
	for mode in meta all scrub; do
		out=$T/out/$name.$mode.qcow2
		mkdir -p "$T/out"
		flags=(-q)
		[ $mode = all ] && flags+=(-a)
		[ $mode = scrub ] && flags+=(-s)
		rc=0
		timeout 120 "$E2QCOW" capture "${flags[@]}" "$src" "$out" \
			2>"$T/err" || rc=$?
		case $rc in
		0 | 3)
			[ -f "$out" ] || bad "$name ($mode): exit $rc, no image"
			out_check=$(qemu-img check "$out" 2>&1) || true
			grep -q "No errors were found" <<<"$out_check" ||
				bad "$name ($mode): qemu-img check: $out_check"
			[ $mode = meta ] && captured=$((captured + 1))
			;;
		1)
			grep -q "^e2qcow: " "$T/err" ||
				bad "$name ($mode): exit 1 without a message"
			[ ! -e "$out" ] || bad "$name ($mode): failed but left $out"
			[ $mode = meta ] && refused=$((refused + 1))
			;;
		*)
			bad "$name ($mode): exit status $rc"
			cat "$T/err" >&2
			;;
		esac
		leftovers=$(find "$T/out" -name '.*e2qcow-*' | wc -l)
		[ "$leftovers" = 0 ] || bad "$name ($mode): temporary files left"
	done
	meta=$T/out/$name.meta.qcow2
	if [ -f "$meta" ]; then
		qemu-img convert -O raw "$meta" "$T/restored.img"
		# e2fsck 1.47.0 itself never finishes on a few images.
		if ! fsck_words "$src" >"$T/words.src"; then
			hangs+=("$name")
		elif ! fsck_words "$src" >"$T/words.again" ||
			! cmp -s "$T/words.src" "$T/words.again"; then
			# Its words about the same bytes change between runs.
			unsteady+=("$name")
		elif ! fsck_words "$T/restored.img" >"$T/words.out" ||
			! diff -q <(sed "s|$T/restored.img|IMAGE|g" "$T/words.out") \
				<(sed "s|$src|IMAGE|g" "$T/words.src") >/dev/null; then
			differ=$((differ + 1))
			differs+=("$name")
		else
			same=$((same + 1))
		fi
		scrubbed=$T/out/$name.scrub.qcow2
		if [ -f "$scrubbed" ] && [ -f "$T/words.out" ]; then
			qemu-img convert -O raw "$scrubbed" "$T/scrubbed.img"
			if fsck_words "$T/scrubbed.img" >"$T/words.scrub" &&
				diff -q <(unname "$T/scrubbed.img" <"$T/words.scrub") \
					<(unname "$T/restored.img" "$(label_of "$src")" \
						<"$T/words.out") >/dev/null; then
				scrub_same=$((scrub_same + 1))
			else
				scrub_differs+=("$name")
			fi
			# No name laid out like a directory entry in the plain
			# capture may be left anywhere in the scrubbed one.
			bs=$(dumpe2fs -h "$T/restored.img" 2>/dev/null |
				awk '/^Block size:/ {print $3}' || true)
			if [ -n "$bs" ] && ! python3 "$TESTS_DIR/tools/harvest_names.py" \
				"$T/restored.img" "$T/scrubbed.img" "$bs" \
				>"$T/left" 2>/dev/null; then
				bad "$name (scrub): names left: $(head -5 "$T/left" | tr '\n' ' ')"
			fi
			harvested=$((harvested + 1))
		fi
		if [ "$(timeout 30 dumpe2fs "$src" 2>&1 | sed "s|$src|IMAGE|g")" = \
			"$(timeout 30 dumpe2fs "$T/restored.img" 2>&1 |
				sed "s|$T/restored.img|IMAGE|g")" ]; then
			dumpe2fs_same=$((dumpe2fs_same + 1))
		else
			dumpe2fs_differs+=("$name")
		fi
	fi
	rm -f "$src" "$T/restored.img" "$T/scrubbed.img" "$T"/out/* \
		"$T/words.out"
done

echo "corpus shard $shard/$nshards: $captured captured, $refused refused" \
	"(not an ext filesystem libext2fs can open)"
echo "e2fsck -fn on the restored image says the same as on the original:" \
	"$same, differs: $differ ${differs[*]}; e2fsck does not finish on" \
	"the original: ${#hangs[@]} ${hangs[*]}; e2fsck's output on the" \
	"original changes from run to run: ${#unsteady[@]} ${unsteady[*]}"
echo "e2fsck -fn on the scrubbed image says the same, up to names:" \
	"$scrub_same, differs: ${#scrub_differs[@]} ${scrub_differs[*]}"
echo "scrubbed images searched for every name of their plain capture:" \
	"$harvested"
echo "dumpe2fs on the restored image says the same: $dumpe2fs_same," \
	"differs: ${#dumpe2fs_differs[@]} ${dumpe2fs_differs[*]}"
[ "$failures" = 0 ] || fail "$failures problems"
echo "ok"
