#!/usr/bin/env bash
# Makes a Docker Engine reachable on this machine for Gatehouse's sandbox tests (run as root in CI).
#
# Idempotent: installs docker.io only when dockerd is missing, reuses a running engine, and starts
# dockerd in the background only when the socket does not answer. Exits non-zero with a clear message
# when the engine cannot be made reachable within the bounded wait.
#
# Environment:
#   DOCKER_SOCKET      socket to check/start (default /var/run/docker.sock)
#   DOCKERD_LOG        where a dockerd started here logs (default /var/log/dockerd.log)
#   DOCKER_WAIT_SECONDS  how long to wait for `docker info` (default 60)
set -euo pipefail

socket="${DOCKER_SOCKET:-/var/run/docker.sock}"
log="${DOCKERD_LOG:-/var/log/dockerd.log}"
wait_seconds="${DOCKER_WAIT_SECONDS:-60}"

fail() {
  echo "ensure-docker: $*" >&2
  exit 1
}

engine_answers() {
  docker -H "unix://${socket}" info >/dev/null 2>&1
}

# A remote or already running engine is reused as is.
if [[ -n "${DOCKER_HOST:-}" ]]; then
  command -v docker >/dev/null 2>&1 || fail "DOCKER_HOST is set but the docker CLI is missing"
  docker info >/dev/null 2>&1 || fail "DOCKER_HOST=${DOCKER_HOST} does not answer \`docker info\`"
  echo "ensure-docker: using the engine at DOCKER_HOST=${DOCKER_HOST}"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  [[ "$(id -u)" == 0 ]] || fail "docker.io is not installed and this script is not running as root"
  echo "ensure-docker: installing docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null || fail "apt-get install docker.io failed"
fi

if [[ -S "${socket}" ]] && engine_answers; then
  echo "ensure-docker: engine already running at ${socket}"
  exit 0
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-docker: dockerd is running but ${socket} does not answer yet; waiting" >&2
else
  [[ "$(id -u)" == 0 ]] || fail "no engine at ${socket} and starting dockerd needs root"
  # A socket file left by a dockerd that died would make dockerd refuse to start.
  if [[ -e "${socket}" ]]; then rm -f "${socket}"; fi
  echo "ensure-docker: starting dockerd (log: ${log})" >&2
  nohup dockerd -H "unix://${socket}" >"${log}" 2>&1 &
fi

deadline=$((SECONDS + wait_seconds))
until engine_answers; do
  if ((SECONDS >= deadline)); then
    echo "ensure-docker: last lines of ${log}:" >&2
    tail -n 20 "${log}" >&2 2>/dev/null || true
    fail "the engine did not answer \`docker info\` within ${wait_seconds} s"
  fi
  sleep 1
done
echo "ensure-docker: engine ready ($(docker -H "unix://${socket}" version --format '{{.Server.Version}}'))"
