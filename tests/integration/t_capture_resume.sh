#!/bin/bash
# capture --resume: a capture interrupted (^C at 10, 50 and 90 % of its
# output, or killed outright after its first checkpoints) and run again
# ends with the very bytes of a capture that never stopped: -a plain,
# compressed, deduplicated and scrubbed.  A source that changed in
# between, a damaged log and a partial file that is not the log's are
# each noticed, said, and captured afresh.  Without --resume nothing is
# kept.
. "$(dirname "$0")/lib.sh"
need qemu-img mke2fs debugfs
cd "$T" || exit 1
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
shim=$TOOLS/libinterruptwrite.so
[ -f "$shim" ] || fail "no $shim"

# 300 MiB of files: enough output for checkpoints (one per 256 MiB).
mkdir d
head -c 200M /dev/urandom >d/noise
head -c 90M <(yes "compressible line of text") >d/text
cp d/text d/text-copy
for i in $(seq 1 50); do head -c 64K /dev/urandom >"d/small$i"; done
truncate -s 1G fs.img
mke2fs -q -t ext4 -d d fs.img

partial=.out.qcow2.e2qcow-partial
log=$partial.log

# interrupted OPTS... : ^C at 10/50/90 % of the output, then the same
# command again; the image must equal ref.qcow2 byte for byte.
interrupted() {
	local size pct rc
	size=$(stat -c %s ref.qcow2)
	for pct in 10 50 90; do
		rm -f out.qcow2 "$partial" "$log"
		rc=0
		INTERRUPT_PATH='*' INTERRUPT_AFTER=$((size * pct / 100)) \
			LD_PRELOAD=$shim "$E2QCOW" capture "$@" --resume fs.img \
			out.qcow2 2>err || rc=$?
		[ "$rc" = 1 ] && grep -q "interrupted by signal 2; what was written is kept in '\./$partial'" err ||
			fail "$* at $pct %: exit $rc, $(cat err)"
		[ ! -e out.qcow2 ] && [ -s "$partial" ] && [ -s "$log" ] ||
			fail "$* at $pct %: partial image not kept as it should be"
		[ "$(stat -c %a "$partial")" = 600 ] && [ "$(stat -c %a "$log")" = 600 ] ||
			fail "$* at $pct %: partial files are not private"
		"$E2QCOW" capture "$@" --resume fs.img out.qcow2 2>err ||
			fail "$* at $pct %: resume failed: $(cat err)"
		grep -q "resuming the interrupted capture" err ||
			fail "$* at $pct %: did not resume: $(cat err)"
		cmp -s ref.qcow2 out.qcow2 ||
			fail "$* at $pct %: resumed image differs from an uninterrupted one"
		[ ! -e "$partial" ] && [ ! -e "$log" ] ||
			fail "$* at $pct %: partial files left after success"
	done
	qemu_check out.qcow2
}

for opts in "-a" "-a -z" "-a --dedup" "-a -s --compress=zlib"; do
	# shellcheck disable=SC2086
	set -- $opts
	rm -f ref.qcow2
	"$E2QCOW" capture "$@" fs.img ref.qcow2 2>/dev/null ||
		fail "capture $* failed"
	interrupted "$@"
	echo "ok: $* interrupted at 10/50/90 % and resumed"
done

# A crash (SIGKILL: no handler, nothing flushed) after the first
# checkpoints: the next run goes on from the last one.
rm -f ref.qcow2 out.qcow2
"$E2QCOW" capture -a fs.img ref.qcow2
size=$(stat -c %s ref.qcow2)
rc=0
INTERRUPT_SIGNAL=9 INTERRUPT_PATH='*' INTERRUPT_AFTER=$((size * 95 / 100)) \
	LD_PRELOAD=$shim "$E2QCOW" capture -a --resume fs.img out.qcow2 \
	2>/dev/null || rc=$?
[ "$rc" = 137 ] || fail "SIGKILL: exit $rc"
"$E2QCOW" capture -a --resume fs.img out.qcow2 2>err ||
	fail "resume after SIGKILL: $(cat err)"
grep -q "resuming the interrupted capture .* at byte [1-9]" err ||
	fail "after SIGKILL: did not go on from a checkpoint: $(cat err)"
cmp -s ref.qcow2 out.qcow2 || fail "after SIGKILL: image differs"
qemu-img compare -f qcow2 -F raw out.qcow2 fs.img >/dev/null ||
	fail "after SIGKILL: image does not read as the source"
echo "ok: SIGKILL at 95 %, resumed from the last checkpoint"

# stop_at PCT: leave a partial -a capture behind.
stop_at() {
	rm -f out.qcow2
	INTERRUPT_PATH='*' INTERRUPT_AFTER=$((size * $1 / 100)) \
		LD_PRELOAD=$shim "$E2QCOW" capture -a --resume fs.img out.qcow2 \
		2>/dev/null && fail "not interrupted"
	[ -s "$partial" ] || fail "no partial image"
}

# The source changes in between: noticed, and captured afresh.
stop_at 50
cp fs.img fs.orig
debugfs -w -R "write /dev/null newfile" fs.img >/dev/null 2>&1
"$E2QCOW" capture -a --resume fs.img out.qcow2 2>err ||
	fail "changed source: $(cat err)"
grep -q "cannot be resumed (the source, its blocks or the options differ); starting again" err ||
	fail "changed source not noticed: $(cat err)"
qemu-img compare -f qcow2 -F raw out.qcow2 fs.img >/dev/null ||
	fail "changed source: image does not read as the new source"
mv fs.orig fs.img

# Other options than the interrupted run's: started again.
stop_at 50
"$E2QCOW" capture -a -z --resume fs.img out.qcow2 2>err ||
	fail "other options: $(cat err)"
grep -q "starting again" err || fail "other options not noticed: $(cat err)"
qemu-img compare -f qcow2 -F raw out.qcow2 fs.img >/dev/null ||
	fail "other options: image does not read as the source"

# A damaged log (its first frame), a log cut inside a record, and a
# partial image that is not the log's (cut short).
stop_at 50
printf 'X' | dd of="$log" bs=1 seek=20 conv=notrunc 2>/dev/null
"$E2QCOW" capture -a --resume fs.img out.qcow2 2>err || fail "$(cat err)"
grep -q "its log is damaged); starting again" err ||
	fail "damaged log not noticed: $(cat err)"
cmp -s ref.qcow2 out.qcow2 || fail "damaged log: image differs"

stop_at 50
truncate -s -7 "$log"
"$E2QCOW" capture -a --resume fs.img out.qcow2 2>err || fail "$(cat err)"
grep -q "resuming\|starting again" err || fail "cut log: $(cat err)"
cmp -s ref.qcow2 out.qcow2 || fail "cut log: image differs"

stop_at 50
truncate -s 1M "$partial"
"$E2QCOW" capture -a --resume fs.img out.qcow2 2>err || fail "$(cat err)"
grep -q "does not match the partial image); starting again" err ||
	fail "short partial image not noticed: $(cat err)"
cmp -s ref.qcow2 out.qcow2 || fail "short partial: image differs"
echo "ok: changed source, other options, damaged log, short partial image"

# Without --resume an interrupted capture leaves nothing behind.
rm -f out.qcow2
INTERRUPT_PATH='*' INTERRUPT_AFTER=$((size / 2)) LD_PRELOAD=$shim \
	"$E2QCOW" capture -a fs.img out.qcow2 2>err && fail "not interrupted"
grep -q "no image written" err || fail "without --resume: $(cat err)"
for f in .[!.]* *; do
	case $f in d | fs.img | ref.qcow2 | err | '.[!.]*') ;;
	*) fail "without --resume, left behind: $f" ;;
	esac
done

# --resume is refused where it cannot work, before anything is read.
for bad in "-r" "--base ref.qcow2" "-n"; do
	# shellcheck disable=SC2086
	"$E2QCOW" capture -a $bad --resume fs.img x.img 2>err && fail "$bad accepted"
	grep -q "resume is for qcow2 captures" err || fail "$bad: $(cat err)"
done
rc=0
"$E2QCOW" capture -a --resume fs.img - 2>err >/dev/null || rc=$?
[ "$rc" = 1 ] && grep -q "needs IMAGE to be a file" err ||
	fail "stream: exit $rc, $(cat err)"
echo "ok: --resume without a file, and without the option"
