#!/bin/bash
# t_package.sh: the Debian package builds from a clean copy of the tree
# (dpkg-buildpackage -us -uc -b, debhelper with CMake), lintian finds no
# error in it, and it holds the command, the man page, the bash
# completion, the README and the copyright file; the packaged command
# runs.  Skipped where the packaging tools are missing.
. "$(dirname "$0")/lib.sh"
need dpkg-buildpackage dh lintian fakeroot dpkg-deb git
src=$(cd "$TESTS_DIR/.." && pwd)
git -C "$src" rev-parse >/dev/null 2>&1 || skip "$src is not a git checkout"
cd "$T" || exit 1
mkdir -p pkg/e2qcow
# What git has (committed or not, untracked but not ignored): no build
# directories come along.
git -C "$src" ls-files -z --cached --others --exclude-standard |
	(cd "$src" && xargs -0 cp --parents -t "$T/pkg/e2qcow") 2>/dev/null ||
	true
[ -f pkg/e2qcow/debian/control ] || fail "no debian/ in the copy"
(cd pkg/e2qcow && dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1) ||
	fail "dpkg-buildpackage: $(tail -20 build.log)"
deb=$(ls pkg/e2qcow_*.deb)
lintian --fail-on error \
	pkg/*.changes >lintian.log 2>&1 || fail "lintian: $(cat lintian.log)"
echo "lintian: $(grep -c '^[EW]:' lintian.log || true) errors and warnings"
dpkg-deb -x "$deb" root
for f in usr/sbin/e2qcow usr/share/man/man8/e2qcow.8.gz \
	usr/share/bash-completion/completions/e2qcow \
	usr/share/doc/e2qcow/copyright usr/share/doc/e2qcow/README.md.gz; do
	[ -e "root/$f" ] || fail "the package lacks $f"
done
dpkg-deb -f "$deb" Depends | grep -q libext2fs2 || fail "Depends: $(dpkg-deb -f "$deb" Depends)"
root/usr/sbin/e2qcow --version | grep -q "^e2qcow [0-9]" || fail "the packaged command does not run"
echo ok
