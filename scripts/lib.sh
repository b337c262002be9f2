# Shared helpers of scripts/run and scripts/test. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"

log() { printf '\033[1m[farmiq]\033[0m %s\n' "$*" >&2; }

# Installs the Debian packages given that are not installed yet (needs root; apt-get update once).
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_swift() {
    command -v swift >/dev/null 2>&1 || { log "swift not found: install Swift 6.3 (see README)"; exit 1; }
}

# Waits until TCP port $2 on host $1 accepts connections, at most $3 seconds.
wait_for_port() {
    local host=$1 port=$2 limit=${3:-30} i=0
    until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -ge $((limit * 10)) ] && return 1
        sleep 0.1
    done
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
