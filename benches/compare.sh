#!/usr/bin/env bash
# ocx against skopeo, crane and oras on a registry that looks remote: plain HTTP and HTTPS
# (HTTP/2), 1-, 8- and 64-platform indexes with and without SBOMs, +0/+20/+50 ms each
# way. Writes BENCHMARKS.md. See benches/README.md.
#
#   benches/compare.sh [--quick] [--note TEXT] [--out FILE] [--no-install] [--build-crane]
#                      [--runs N] [--widths 1,8,64] [--delays 0,20,50] [--packages 2000]
#
# On Debian it installs what it lacks (docker-registry, skopeo, openssl, curl, iproute2, time;
# ferro-oci-server into target/tools, as .ci/test does) without starting the packaged
# registry service; everything it starts (distribution twice, ferro-oci-server, the proxy)
# runs on loopback or one address of this machine, with storage in one temp dir, and is
# stopped and removed on exit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
started=$(date +%s)
quick= note= out=$repo/BENCHMARKS.md install=1 build_crane=
engine_args=()
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --note) note=$2; shift ;;
    --out) out=$(realpath -m "$2"); shift ;;
    --no-install) install= ;;
    --build-crane) build_crane=1 ;;
    --runs | --widths | --delays | --packages) engine_args+=("$1" "$2"); shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

work=$(mktemp -d /tmp/ocx-compare.XXXXXX)
pids=() added_address=
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$added_address" ]; then ip addr del "$added_address/32" dev lo 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages, installed with the packaged registry service kept from starting: a
# policy-rc.d that refuses every service start for the length of the install.
install_packages() {
    local missing=() tool package
    for tool in docker-registry:docker-registry skopeo:skopeo openssl:openssl curl:curl ip:iproute2; do
        command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
    done
    [ -x /usr/bin/time ] || missing+=(time)
    [ ${#missing[@]} -eq 0 ] && return
    [ -n "$install" ] || { echo "compare.sh: missing ${missing[*]} (--no-install)" >&2; exit 2; }
    echo "installing ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d own_policy=
    if [ ! -e $policy ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee $policy >/dev/null
        as_root chmod +x $policy
        own_policy=1
    fi
    as_root apt-get update -q >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
        { [ -n "$own_policy" ] && as_root rm -f $policy; exit 2; }
    if [ -n "$own_policy" ]; then as_root rm -f $policy; fi
    # A service enabled by the package still must not run: stop it if systemd started it.
    if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
        as_root systemctl stop docker-registry
    fi
}

# crane from Debian's go-containerregistry sources, built offline with Debian's Go
# (bookworm: from bookworm-backports, which must be enabled); into target/bench-peers.
build_crane() {
    local go_bin
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-github-google-go-containerregistry-dev >/dev/null ||
        { echo "compare.sh: no go-containerregistry package: crane skipped" >&2; return; }
    go_bin=$(ls -d /usr/lib/go-1.*/bin 2>/dev/null | sort -V | tail -1)
    mkdir -p "$repo/target/bench-peers"
    GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$work/gocache GOFLAGS= \
        "$go_bin/go" build -o "$repo/target/bench-peers/crane" github.com/google/go-containerregistry/cmd/crane ||
        echo "compare.sh: building crane failed: crane skipped" >&2
}

# A port below the ephemeral range (where outgoing connections take theirs) that nothing
# listens on.
free_port() {
    local port low
    low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    while :; do
        port=$((10000 + RANDOM % (low - 10000)))
        (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo $port; return; }
    done
}

# A non-loopback IPv4 address of this machine; else 192.0.2.77 (TEST-NET-1) on lo.
host_address() {
    local address
    for address in $(hostname -I 2>/dev/null); do
        case $address in 127.* | *:*) ;; *) echo "$address"; return ;; esac
    done
    as_root ip addr add 192.0.2.77/32 dev lo
    added_address=192.0.2.77
    echo 192.0.2.77
}

# A CA and a registry certificate it signs, for the proxy's address and loopback.
make_certificate() {
    local dir=$work/tls
    mkdir -p "$dir/certs.d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=ocx-bench-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ocx-bench \
        -keyout "$dir/registry.key" -out "$dir/registry.csr" 2>/dev/null
    printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        "$host" >"$dir/ext.cnf"
    openssl x509 -req -in "$dir/registry.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/registry.pem" 2>/dev/null
    cp "$dir/ca.pem" "$dir/certs.d/ca.crt"
}

# start_registry NAME [TLS]: distribution on a free loopback port over the shared
# storage; sets registry_port. Another port is tried when one was taken meanwhile.
start_registry() {
    local attempt
    for attempt in 1 2 3 4 5; do
        registry_port=$(free_port)
        try_registry "$registry_port" "$@" && return
    done
    echo "compare.sh: registry $1 did not start:" >&2
    cat "$work/$1.log" >&2
    exit 2
}

try_registry() {
    local port=$1 name=$2 tls=${3:-} scheme=http
    {
        printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n' "$work/storage"
        printf '  delete:\n    enabled: false\nhttp:\n  addr: 127.0.0.1:%s\n' "$port"
        if [ -n "$tls" ]; then
            printf '  tls:\n    certificate: %s\n    key: %s\n' "$work/tls/registry.pem" "$work/tls/registry.key"
        fi
    } >"$work/$name.yml"
    docker-registry serve "$work/$name.yml" >"$work/$name.log" 2>&1 &
    pids+=($!)
    [ -n "$tls" ] && scheme=https
    for _ in $(seq 100); do
        curl -sf --cacert "$work/tls/ca.pem" "$scheme://127.0.0.1:$port/v2/" >/dev/null && return
        kill -0 "${pids[-1]}" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

version_of() { "$@" 2>/dev/null | head -1 || echo absent; }

# ferro-oci-server, a registry that spends little CPU per request, where .ci/test puts it
# (target/tools), else on PATH; installed there as .ci/test does unless --no-install.
find_ferro() {
    local tools=$repo/target/tools
    if [ ! -x "$tools/bin/ferro-oci-server" ] && ! command -v ferro-oci-server >/dev/null && [ -n "$install" ]; then
        echo "installing ferro-oci-server into $tools"
        cargo install --locked --quiet --root "$tools" ferro-oci-server@1.0.0 >&2 || true
    fi
    if [ -x "$tools/bin/ferro-oci-server" ]; then echo "$tools/bin/ferro-oci-server"; else command -v ferro-oci-server || true; fi
}

# start_ferro BINARY: on a free loopback port, storage in the temp dir; sets ferro_port.
start_ferro() {
    local attempt
    mkdir -p "$work/ferro"
    for attempt in 1 2 3 4 5; do
        ferro_port=$(free_port)
        FERRO_OCI_LISTEN=127.0.0.1:$ferro_port FERRO_OCI_STORAGE_DIR=$work/ferro RUST_LOG=error \
            "$1" >"$work/ferro.log" 2>&1 &
        pids+=($!)
        for _ in $(seq 100); do
            curl -sf "http://127.0.0.1:$ferro_port/v2/" >/dev/null && return
            kill -0 "${pids[-1]}" 2>/dev/null || break
            sleep 0.1
        done
    done
    echo "compare.sh: ferro-oci-server did not start:" >&2
    cat "$work/ferro.log" >&2
    exit 2
}

install_packages
[ -n "$build_crane" ] && build_crane
export PATH=$repo/target/bench-peers:$PATH

echo "building ocx (release) and the benchmark engine"
# The engine (pushes, proxy, timing) needs no optimisation; only ocx is measured.
(cd "$repo" && cargo build --release --quiet --bin ocx && cargo build --quiet --example bench_compare)
ocx=$repo/target/release/ocx

host=$(host_address)
make_certificate
start_registry http
http_port=$registry_port http_pid=${pids[-1]}
start_registry https tls
https_port=$registry_port https_pid=${pids[-1]}
ferro_args=()
ferro=$(find_ferro)
if [ -n "$ferro" ]; then
    start_ferro "$ferro"
    ferro_args=(--ferro "127.0.0.1:$ferro_port")
    registry_pids="$http_pid,$https_pid,${pids[-1]}"
else
    echo "ferro-oci-server absent: its rows are skipped" >&2
    registry_pids="$http_pid,$https_pid"
fi

{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "CPU=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores available"
    echo "memory=$(free -m | awk '/^Mem:/ {print $2 " MiB"}')"
    echo "load average at start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "system=$(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r)"
    echo "ocx=$("$ocx" --version) (git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet 2>/dev/null || echo ', with local changes'))"
    echo "rustc=$(version_of rustc --version)"
    echo "distribution=$(version_of docker-registry --version)"
    echo "skopeo=$(version_of skopeo --version)"
    # crane built from Debian's sources knows no version of its own: the package's.
    if command -v crane >/dev/null; then echo "crane=$(crane version 2>/dev/null | grep -v 'could not' || dpkg-query -W -f 'go-containerregistry ${Version} (Debian sources)' golang-github-google-go-containerregistry-dev 2>/dev/null)"; fi
    if command -v oras >/dev/null; then echo "oras=$(version_of oras version)"; fi
    if [ -n "$ferro" ]; then
        echo "ferro-oci-server=$(cargo install --list --root "$(dirname "$(dirname "$ferro")")" 2>/dev/null |
            sed -n 's/^ferro-oci-server \(v[^:]*\):.*/\1/p' | head -1)"
    fi
    echo "openssl=$(version_of openssl version)"
} >"$work/facts"

echo "registries: http 127.0.0.1:$http_port, https 127.0.0.1:$https_port; proxy address $host"
"$repo/target/debug/examples/bench_compare" \
    --http "127.0.0.1:$http_port" --https "127.0.0.1:$https_port" --https-log "$work/https.log" \
    --ca "$work/tls/ca.pem" --cert-dir "$work/tls/certs.d" --host "$host" --ocx "$ocx" \
    --registry-pids "$registry_pids" "${ferro_args[@]}" \
    --repo "$repo" --out "$out" --facts "$work/facts" --note "$note" \
    --setup-seconds $(($(date +%s) - started)) ${quick:+--quick} "${engine_args[@]}" &
# In the background, so that a signal to this script stops it too (cleanup kills pids).
pids+=($!)
wait $!
echo "done in $(($(date +%s) - started)) s"
