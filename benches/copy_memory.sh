#!/usr/bin/env bash
# Peak memory (RSS) of `ocx index create` copying an image with large layers from an OCI
# layout into a registry. See benches/README.md.
#
#   benches/copy_memory.sh [OCX_BINARY]     (default: target/release/ocx)
#
# OCX_BENCH_LAYERS (default 4) layers of OCX_BENCH_LAYER_MB (default 200) MB of random
# bytes; everything lives in one /tmp directory, removed on exit.
set -euo pipefail

ocx=$(realpath "${1:-target/release/ocx}")
layers=${OCX_BENCH_LAYERS:-4}
layer_mb=${OCX_BENCH_LAYER_MB:-200}
work=$(mktemp -d /tmp/ocx-copy-bench.XXXXXX)
registry_pid=
cleanup() {
    if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

layout=$work/layout
mkdir -p "$layout/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"

# Moves a file into the layout's blobs; prints its descriptor fields.
add_blob() {
    local file=$1 media_type=$2 hex size
    hex=$(sha256sum "$file" | cut -d' ' -f1)
    size=$(stat -c %s "$file")
    mv "$file" "$layout/blobs/sha256/$hex"
    printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$media_type" "$hex" "$size"
}

layer_list=
for _ in $(seq "$layers"); do
    head -c "${layer_mb}M" /dev/urandom >"$work/layer"
    layer=$(add_blob "$work/layer" application/vnd.oci.image.layer.v1.tar)
    layer_list=$layer_list${layer_list:+,}$layer
done
printf '{"architecture":"amd64","os":"linux"}' >"$work/config"
config=$(add_blob "$work/config" application/vnd.oci.image.config.v1+json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
    "$config" "$layer_list" >"$work/manifest"
manifest=$(add_blob "$work/manifest" application/vnd.oci.image.manifest.v1+json)
tagged=${manifest%?}',"annotations":{"org.opencontainers.image.ref.name":"big"}}'
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' \
    "$tagged" >"$layout/index.json"

# shellcheck source=support/registry.sh
. "$(dirname "$0")/support/registry.sh"
start_registry "$work"

echo "copying $layers x $layer_mb MB from a layout into 127.0.0.1:$port/bench with $ocx"
/usr/bin/time -v "$ocx" index create "127.0.0.1:$port/bench:1" "oci:$layout:big" 2>"$work/time" ||
    { cat "$work/time"; exit 1; }
grep -v '^\s' "$work/time" || true
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$work/time"
