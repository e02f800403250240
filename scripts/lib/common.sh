# shellcheck shell=bash
# scripts/lib/common.sh — helpers sourced by brook's shell scripts (not run directly).
#
#   BROOK_ROOT                     repo root (the folder holding scripts/)
#   info MSG... / die MSG...       log to stderr with a "[brook]" prefix (die exits 1);
#                                  info is silent when BROOK_QUIET=1
#   ensure_apt_packages PKG...     install only the missing Debian packages
#   wait_for_port HOST PORT SECS   wait until a TCP connect succeeds (1 on timeout)
#   port_open HOST PORT            one TCP connect attempt
#   kafka_version / kafka_lib_dir  Kafka version from scripts/kafka/pom.xml, jar folder
#   kafka_jars_ready               true when kafka_lib_dir holds a complete copy

[[ -n "${BROOK_COMMON_SH:-}" ]] && return 0
BROOK_COMMON_SH=1

BROOK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export BROOK_ROOT

info() {
  [[ "${BROOK_QUIET:-0}" == 1 ]] || printf '[brook] %s\n' "$*" >&2
}

die() {
  printf '[brook] error: %s\n' "$*" >&2
  exit 1
}

# Installs the given Debian packages that are not installed yet. `apt-get update` runs
# at most once per invocation of the calling script, and only when something is missing.
BROOK_APT_UPDATED=0
ensure_apt_packages() {
  (($# > 0)) || return 0
  local missing=() pkg status
  # One dpkg-query call for all packages; unknown packages print nothing on stdout.
  local -A installed=()
  while read -r pkg status; do
    [[ "$status" == ii ]] && installed[$pkg]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
  for pkg in "$@"; do
    [[ -n "${installed[$pkg]:-}" ]] || missing+=("$pkg")
  done
  ((${#missing[@]} > 0)) || return 0

  info "installing Debian packages: ${missing[*]}"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  local quiet=()
  [[ "${BROOK_QUIET:-0}" == 1 ]] && quiet=(-qq)
  export DEBIAN_FRONTEND=noninteractive
  if ((BROOK_APT_UPDATED == 0)); then
    "${sudo[@]}" apt-get "${quiet[@]}" update
    BROOK_APT_UPDATED=1
  fi
  "${sudo[@]}" apt-get "${quiet[@]}" install -y --no-install-recommends "${missing[@]}"
}

port_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

wait_for_port() {
  local host=$1 port=$2 deadline=$((SECONDS + $3))
  until port_open "$host" "$port"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

kafka_version() {
  local v
  v="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$BROOK_ROOT/scripts/kafka/pom.xml")"
  [[ -n "$v" ]] || die "no <kafka.version> in scripts/kafka/pom.xml"
  printf '%s\n' "$v"
}

kafka_lib_dir() {
  printf '%s\n' "$BROOK_ROOT/.cache/kafka/$(kafka_version)/lib"
}

# The marker holds the pom's checksum, so editing the pom triggers a new copy.
KAFKA_JARS_MARKER=.brook-complete
kafka_jars_ready() {
  local lib marker
  lib="$(kafka_lib_dir)"
  marker="$lib/$KAFKA_JARS_MARKER"
  [[ -f "$marker" ]] && [[ "$(cat "$marker")" == "$(sha256sum <"$BROOK_ROOT/scripts/kafka/pom.xml")" ]]
}
