# Sourced by the bench scripts. start_registry DIR: CNCF distribution on a free loopback
# port, its config and storage under DIR; sets `port` and `registry_pid` (the caller's
# exit trap stops it) and waits up to 10 s for /v2/ to answer.
start_registry() {
    local dir=$1
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$dir/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/registry
http:
  addr: 127.0.0.1:$port
YML
    docker-registry serve "$dir/registry.yml" >/dev/null 2>&1 &
    registry_pid=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
        sleep 0.1
    done
}
