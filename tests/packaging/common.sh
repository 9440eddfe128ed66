# Shared by the packaging tests (sourced after setting `name`): how they fail and skip, where the
# Debian mirror is, and the inputs they run convpool on.
fail() { echo "$name: $*" >&2; exit 1; }
# ctest's SKIP_RETURN_CODE: one line saying why, then 77.
skip() { echo "$name: skipped: $*"; exit 77; }
need_root() {
  [ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap, chroot and podman run as root, as in CI)"
}
# A fresh Debian 12 as installed: the release, its updates and security.
mirror=${CONVPOOL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${CONVPOOL_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main"
         "deb $security bookworm-security main")
# dpkg without fsync: these roots are scratch (Debian's own container images do the same).
apt_install=(apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io)

# The inputs (make_images.py: a PNG and a TIFF, which needs OpenCV's imgcodecs) and what the
# build tree's convpool reports for them, which the installed one must report too.
pipeline="conv:sobel-x | relu | pool:max,k=2,s=2"
prepare_inputs() {  # prepare_inputs SOURCE_DIR CONVPOOL DIR
  python3 "$1/tests/packaging/make_images.py" "$1/samples" "$3/in"
  (cd "$3/in" && "$2" run camera.png gradient.tif -p "$pipeline" -o "$3/expected" -q \
    --report csv >"$3/expected.csv") || fail "the build tree's convpool failed on the inputs"
}
# The arguments of check_chroot.sh and check_container.sh, SOURCE_DIR BUILD_DIR PACKAGING_DIR, as
# $src, $build and $dir; $deb and $dir/debian12.tar, which packaging.deb and .rootfs made there.
take_dirs() {
  src=$(cd "$1" && pwd)
  build=$(cd "$2" && pwd)
  dir=$(cd "$3" && pwd)
  deb=$(the_deb "$dir")
  [ -f "$dir/debian12.tar" ] || fail "no debian12.tar in $dir (packaging.rootfs makes it)"
}
# The one .deb that packaging.deb left in DIR.
the_deb() {
  local debs=("$1"/convpool_*.deb)
  [ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || fail "no single convpool_*.deb in $1 (packaging.deb makes it)"
  echo "${debs[0]}"
}
