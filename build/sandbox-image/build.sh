#!/usr/bin/env bash
# Builds Gatehouse's default sandbox image offline from Debian packages: no image registry needed.
#
#   build/sandbox-image/build.sh [--force] [--tag NAME:TAG]
#
# debootstrap --variant=minbase <suite> with python3 and nodejs (enough for `python3 -m unittest`,
# `python3 -m pytest`-free suites and `node --test`), security updates applied when apt is configured
# with the suite's security source, apt caches and docs removed, then `docker import` with
# USER 65534:65534 (Debian's `nobody`/`nogroup`, which owns no files and has no home). The sandbox
# launcher mounts tmpfs at /tmp and at HOME=/home/sandbox and binds the workspace read-only at
# /workspace; this image only provides those mount points.
#
# Idempotent: when the tag already exists the script prints its id and exits, unless --force.
# The Debian mirror is read from this machine's apt configuration (`apt-get indextargets`, which
# covers both sources.list and deb822 .sources files); GATEHOUSE_DEBIAN_MIRROR overrides it.
# No mirror host name is written into the image: debootstrap's sources.list is removed.
#
# Environment: GATEHOUSE_SANDBOX_IMAGE (default tag), GATEHOUSE_DEBIAN_SUITE (default bookworm),
# GATEHOUSE_DEBIAN_MIRROR (override the mirror read from apt), DOCKER_HOST (honoured by docker).
# Prints the image id (sha256:...) as the last line of stdout; progress goes to stderr.
set -euo pipefail

tag="${GATEHOUSE_SANDBOX_IMAGE:-gatehouse/sandbox:1}"
suite="${GATEHOUSE_DEBIAN_SUITE:-bookworm}"
force=0

while (($#)); do
  case "$1" in
    --force) force=1 ;;
    --tag)
      [[ $# -ge 2 ]] || { echo "build.sh: --tag needs a value" >&2; exit 2; }
      tag="$2"
      shift
      ;;
    -h | --help)
      sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

fail() {
  echo "build.sh: $*" >&2
  exit 1
}
log() { echo "build.sh: $*" >&2; }

command -v docker >/dev/null 2>&1 || fail "the docker CLI is missing (run build/ensure-docker.sh)"
docker info >/dev/null 2>&1 || fail "the Docker Engine does not answer (run build/ensure-docker.sh)"

if ((force == 0)) && existing="$(docker image inspect --format '{{.Id}}' "${tag}" 2>/dev/null)"; then
  log "${tag} already exists (use --force to rebuild)"
  echo "${existing}"
  exit 0
fi

[[ "$(id -u)" == 0 ]] || fail "debootstrap needs root"
command -v debootstrap >/dev/null 2>&1 || fail "debootstrap is missing (apt-get install debootstrap)"

# The first configured deb source for "<suite> main" (and "<suite>-security main", optional).
site_for() {
  apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(COMPONENT) $(SITE)' 2>/dev/null |
    awk -v release="$1" '$1 == "deb" && $2 == release && $3 == "main" { print $4; exit }'
}

mirror="${GATEHOUSE_DEBIAN_MIRROR:-$(site_for "${suite}")}"
[[ -n "${mirror}" ]] || fail "no deb source for '${suite} main' in the apt configuration; set GATEHOUSE_DEBIAN_MIRROR"
security_mirror="$(site_for "${suite}-security")"

work="$(mktemp -d /var/tmp/gatehouse-sandbox-image.XXXXXX)"
root="${work}/rootfs"
cleanup() {
  # debootstrap may leave /proc or /sys mounted in the target when it fails half-way.
  for m in proc sys dev/pts dev; do
    if mountpoint -q "${root}/${m}" 2>/dev/null; then umount -l "${root}/${m}" || true; fi
  done
  rm -rf "${work}"
}
trap cleanup EXIT

started=${SECONDS}
log "debootstrap --variant=minbase ${suite} from the apt-configured mirror"
debootstrap --variant=minbase --include=python3,nodejs "${suite}" "${root}" "${mirror}" >"${work}/debootstrap.log" 2>&1 ||
  { tail -n 30 "${work}/debootstrap.log" >&2; fail "debootstrap failed"; }

if [[ -n "${security_mirror}" ]]; then
  log "applying ${suite}-security updates"
  printf 'deb %s %s main\ndeb %s %s-security main\n' "${mirror}" "${suite}" "${security_mirror}" "${suite}" \
    >"${root}/etc/apt/sources.list"
  mount -t proc proc "${root}/proc"
  {
    chroot "${root}" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive chroot "${root}" apt-get -y -qq --no-install-recommends upgrade
  } >"${work}/upgrade.log" 2>&1 || { tail -n 30 "${work}/upgrade.log" >&2; umount -l "${root}/proc"; fail "security upgrade failed"; }
  umount -l "${root}/proc"
fi

log "trimming the root file system"
chroot "${root}" apt-get clean
rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/* "${root}"/var/cache/debconf/*-old \
  "${root}"/var/log/* "${root}"/usr/share/doc/* "${root}"/usr/share/man/* "${root}"/usr/share/info/* \
  "${root}"/usr/share/locale/* "${root}"/tmp/* "${root}"/var/tmp/*
# No mirror host name in the image, and the engine owns these files at run time.
rm -f "${root}/etc/apt/sources.list" "${root}/etc/hostname" "${root}/etc/resolv.conf" "${root}/etc/machine-id"
: >"${root}/etc/machine-id"
# Mount points for the launcher's read-only workspace bind and HOME tmpfs (the root is read-only).
install -d -m 0755 "${root}/workspace"
install -d -m 0700 -o 65534 -g 65534 "${root}/home/sandbox"
# 65534 is Debian's nobody/nogroup (base-passwd); make sure it is there and owns nothing else.
grep -q '^nobody:x:65534:65534:' "${root}/etc/passwd" || fail "the root file system has no nobody:65534 user"
grep -q '^nogroup:x:65534:' "${root}/etc/group" || fail "the root file system has no nogroup:65534 group"

log "docker import as ${tag}"
image_id="$(
  tar --numeric-owner --xattrs -C "${root}" -c . |
    docker import \
      --change 'USER 65534:65534' \
      --change 'WORKDIR /workspace' \
      --change 'ENV HOME=/home/sandbox' \
      --change 'ENV TMPDIR=/tmp' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'LABEL org.gatehouse.sandbox-image=1' \
      --change "LABEL org.gatehouse.debian-suite=${suite}" \
      --change 'CMD ["/bin/sh"]' \
      --message "Gatehouse sandbox image: debootstrap minbase ${suite} + python3 + nodejs" \
      - "${tag}"
)"
size="$(docker image inspect --format '{{.Size}}' "${tag}")"
log "built ${tag} in $((SECONDS - started)) s ($((size / 1024 / 1024)) MiB): python3 $(docker run --rm --network none "${tag}" python3 -c 'import sys; print(sys.version.split()[0])'), node $(docker run --rm --network none "${tag}" node --version)"
echo "${image_id}"
