#!/usr/bin/env bash
# Peak memory (RSS) and CPU time of `ocx describe --json` and `ocx sbom --json` on an
# index of many platforms, each with a large CycloneDX SBOM under a cosign `.sbom` tag.
# See benches/README.md.
#
#   benches/sbom_memory.sh [OCX_BINARY]     (default: target/release/ocx)
#
# OCX_BENCH_PLATFORMS (default 64) platforms of OCX_BENCH_PACKAGES (default 2000)
# packages each; OCX_BENCH_RUNS (default 3) runs of each command; OCX_BENCH_WHERE
# (default "registry layout") where ocx reads them from; OCX_BENCH_JSON_ONLY=1 skips the
# human outputs; OCX_BENCH_ARGS more arguments for every command (e.g. --max-sbom-size);
# OCX_BENCH_KEEP=DIR keeps each command's output of the last run in DIR (to compare two
# builds byte for byte). Everything else lives in one /tmp directory, removed on exit.
set -euo pipefail

ocx=$(realpath "${1:-target/release/ocx}")
platforms=${OCX_BENCH_PLATFORMS:-64}
packages=${OCX_BENCH_PACKAGES:-2000}
runs=${OCX_BENCH_RUNS:-3}
keep=${OCX_BENCH_KEEP:-}
places=${OCX_BENCH_WHERE:-registry layout}
read -r -a extra <<<"${OCX_BENCH_ARGS:-}"
work=$(mktemp -d /tmp/ocx-sbom-bench.XXXXXX)
registry_pid=
cleanup() {
    if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=support/registry.sh
. "$(dirname "$0")/support/registry.sh"
start_registry "$work"

# Writes the index, its images and their cosign `.sbom` tags as an OCI layout, then
# pushes the same blobs and manifests to the registry through the distribution API.
python3 - "$work/layout" "127.0.0.1:$port" "$platforms" "$packages" <<'PY'
import hashlib, json, os, sys, urllib.request

layout, registry, platforms, packages = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
blobs = os.path.join(layout, "blobs", "sha256")
os.makedirs(blobs)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
pushed, tagged = [], []

def blob(data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest[7:]), "wb") as f:
        f.write(data)
    pushed.append((digest, data))
    return {"mediaType": media_type, "digest": digest, "size": len(data)}

def manifest(value, media_type, tag=None):
    data = json.dumps(value, separators=(",", ":")).encode()
    descriptor = blob(data, media_type)
    pushed.pop()
    tagged.append((tag or descriptor["digest"], media_type, data))
    return descriptor

def sbom(arch):
    components = [
        {"type": "library", "name": f"p{i}", "version": f"1.{i % 97}.{i % 7}",
         "purl": f"pkg:apk/alpine/p{i}@1.{i % 97}.{i % 7}?arch={arch}"}
        for i in range(packages)
    ]
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"type": "container", "name": "bench"}},
           "components": components}
    return json.dumps(bom, separators=(",", ":")).encode()

empty = blob(b"{}", OCI_CONFIG)
children, sbom_bytes, sbom_tags = [], 0, []
for n in range(platforms):
    arch = f"arch{n}"
    config = blob(json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode(), OCI_CONFIG)
    layer = blob(bytes(1024), "application/vnd.oci.image.layer.v1.tar")
    image = manifest({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}, OCI_MANIFEST)
    image["platform"] = {"architecture": arch, "os": "linux"}
    children.append(image)
    document = sbom(arch)
    sbom_bytes += len(document)
    attached = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": empty,
                "layers": [blob(document, "application/vnd.cyclonedx+json")]}
    tag = image["digest"].replace(":", "-") + ".sbom"
    described = manifest(attached, OCI_MANIFEST, tag)
    sbom_tags.append((tag, described))
index = manifest({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}, OCI_INDEX, "bench")

entries = [dict(index, annotations={"org.opencontainers.image.ref.name": "bench"})]
entries += [dict(d, annotations={"org.opencontainers.image.ref.name": t}) for t, d in sbom_tags]
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')

base = f"http://{registry}/v2/bench"
for digest, data in {d: b for d, b in pushed}.items():
    start = urllib.request.urlopen(urllib.request.Request(f"{base}/blobs/uploads/", method="POST"))
    location = start.headers["Location"]
    location = location if location.startswith("http") else f"http://{registry}{location}"
    sep = "&" if "?" in location else "?"
    urllib.request.urlopen(urllib.request.Request(f"{location}{sep}digest={digest}", data=data, method="PUT",
                                                  headers={"Content-Type": "application/octet-stream"}))
for reference, media_type, data in tagged:
    urllib.request.urlopen(urllib.request.Request(f"{base}/manifests/{reference}", data=data, method="PUT",
                                                  headers={"Content-Type": media_type}))
print(f"{platforms} platforms x {packages} packages: {sbom_bytes / 1e6:.1f} MB of CycloneDX JSON "
      f"under {platforms} cosign .sbom tags")
PY

# Runs one ocx command `runs` times under /usr/bin/time, its output to /dev/null; prints
# peak RSS, CPU and wall. With OCX_BENCH_KEEP, one more run keeps the output.
measure() {
    local name=$1
    shift
    local i rss user sys wall
    for i in $(seq "$runs"); do
        /usr/bin/time -f '%M %U %S %e' -o "$work/time" "$ocx" "$@" "${extra[@]}" >/dev/null 2>"$work/err" ||
            { cat "$work/err"; exit 1; }
        read -r rss user sys wall <"$work/time"
        printf '%-22s run %s: peak RSS %4d MiB, CPU %.2f s (user %.2f, sys %.2f), wall %.2f s\n' \
            "$name" "$i" $((rss / 1024)) "$(echo "$user + $sys" | bc)" "$user" "$sys" "$wall"
    done
    if [ -n "$keep" ]; then
        mkdir -p "$keep"
        "$ocx" "$@" "${extra[@]}" >"$work/out"
        sed -e "s/127\.0\.0\.1:$port/REGISTRY/g" -e "s|$work|WORK|g" "$work/out" >"$keep/$name"
        echo "$name: $(stat -c %s "$work/out") bytes of output kept in $keep/$name"
    fi
}

echo "ocx: $ocx"
for where in $places; do
    case $where in
        registry) reference=127.0.0.1:$port/bench:bench ;;
        layout) reference=oci:$work/layout:bench ;;
        *) echo "OCX_BENCH_WHERE: registry or layout, not $where" >&2; exit 1 ;;
    esac
    measure "$where.describe.json" describe --plain-http --json "$reference"
    measure "$where.sbom.json" sbom --plain-http --json "$reference"
    if [ -z "${OCX_BENCH_JSON_ONLY:-}" ]; then
        measure "$where.describe.txt" describe --plain-http "$reference"
        measure "$where.sbom.txt" sbom --plain-http "$reference"
    fi
done
