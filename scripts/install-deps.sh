#!/bin/bash
# Installs what e2qcow needs on Debian 12: "build" for the build and the
# quick start, "test" adds the test tools (cmocka, qemu-utils, valgrind).
set -euo pipefail
what=${1:-build}
pkgs=(build-essential cmake pkg-config e2fsprogs libext2fs-dev comerr-dev
	zlib1g-dev libzstd-dev libxxhash-dev qemu-utils gzip)
[ "$what" = test ] && pkgs+=(libcmocka-dev valgrind groff-base
	bsdextrautils shellcheck python3 debhelper lintian fakeroot
	bash-completion file clang-format-14)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
