#!/usr/bin/env bash
# Writes the seed corpora under tests/fuzz/corpus/<target>/ from the example layout,
# the regression inputs and a few hand-written documents. Re-running it is harmless:
# libFuzzer keeps what it found beside the seeds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
blobs="$root/examples/layout/blobs/sha256"
corpus="$here/corpus"

seed() { # seed TARGET NAME < content
    mkdir -p "$corpus/$1"
    cat > "$corpus/$1/$2"
}
copy_matching() { # copy_matching TARGET PATTERN: example blobs whose text matches
    local f
    for f in "$blobs"/*; do
        if head -c 300 "$f" | grep -q -- "$2"; then
            mkdir -p "$corpus/$1"
            cp "$f" "$corpus/$1/example-$(basename "$f" | cut -c1-12)"
        fi
    done
}
b64() { printf '%s' "$1" | base64 -w0; }

# Regression inputs are seeds of their own target (tests/fuzz/regressions/<target>/).
if [ -d "$here/regressions" ]; then
    for dir in "$here"/regressions/*/; do
        t=$(basename "$dir")
        mkdir -p "$corpus/$t"
        cp "$dir"* "$corpus/$t/" 2>/dev/null || true
    done
fi

# reference
for r in alpine alpine:3.20 docker.io/library/alpine:latest ghcr.io/o/r/sub:v1@sha256:90eb1179383f083076215b76dde64f773ec093c883a1a492ffbf12e26177e812 \
    localhost:5000/a/b 127.0.0.1:5000/x:1 '[::1]:5000/repo:tag' oci:examples/layout oci:./l:tag oci:/tmp/l@sha256:90eb1179383f083076215b76dde64f773ec093c883a1a492ffbf12e26177e812 \
    user:pw@reg.io/x sha256:90eb1179383f083076215b76dde64f773ec093c883a1a492ffbf12e26177e812 1.0.0-linux-amd64 REG.EXAMPLE/Repo; do
    printf '%s' "$r" | seed reference "$(printf '%s' "$r" | sha256sum | cut -c1-12)"
done
# digest
printf 'sha256:90eb1179383f083076215b76dde64f773ec093c883a1a492ffbf12e26177e812' | seed digest sha256
printf 'sha512:%0128d' 0 | seed digest sha512
printf 'blake3:abc' | seed digest blake3
# platform
for p in linux/amd64 linux/arm64/v8 windows/amd64:10.0.17763.1 linux/arm; do
    printf '%s' "$p" | seed platform "$(printf '%s' "$p" | tr '/:' '__')"
done
# version_compare: TYPE\nA\nB\nC
seed version_compare deb <<< $'deb\n1:2.36-9+deb12u1\n2.36-9~bpo1\n0:2.36'
seed version_compare rpm <<< $'rpm\n1:3.0.7-25.el9_3\n3.0.7^git1-1\n3.0.7~rc1'
seed version_compare apk <<< $'apk\n1.2.3_rc1-r0\n1.2.3a-r10\n1.2.3_p2'
seed version_compare npm <<< $'npm\n1.0.0-alpha.1\n1.0.0+build.5\nv1.0.0'
seed version_compare golang <<< $'golang\nv0.0.0-20240101120000-abcdef123456\nv2.0.0+incompatible\ngo1.22.3'
seed version_compare pypi <<< $'pypi\n1.0.post1\n1!2.0rc1\n1.0.dev3+local.7'
seed version_compare maven <<< $'maven\n1.0-SNAPSHOT\n1.0.RELEASE\n1-alpha-1.2-sp'
seed version_compare other <<< $'gem\n1.2.3\n1.2.3-rc.1\n2024.05.01'
# purl
for p in 'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12' 'pkg:maven/org.a/b@1.0?type=jar#sub/path' \
    'pkg:npm/%40scope/name@1.0.0' 'pkg:oci/hello@sha256%3A90eb?repository_url=ghcr.io/o/hello' 'pkg:golang/github.com/a/b@v1.2.3' \
    'pkg:/bad//name@' 'PKG:pypi/Django@5.0' 'not a purl'; do
    printf '%s' "$p" | seed purl "$(printf '%s' "$p" | sha256sum | cut -c1-12)"
done
# manifest: the example manifests, indexes and configs; a reported media type line on one
copy_matching manifest '"schemaVersion"'
copy_matching manifest '"architecture"'
{ printf '1\n'; cat "$blobs/7a7b741fd3b81b98a59b520a14d33551adfe60ae382059a3a3e4a37974fbdf34"; } | seed manifest reported-index
printf '{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}' | seed manifest schema1
# layout_index: the example index.json, and an empty one
cp "$root/examples/layout/index.json" "$corpus/layout_index/example" 2>/dev/null || { mkdir -p "$corpus/layout_index"; cp "$root/examples/layout/index.json" "$corpus/layout_index/example"; }
printf '{"schemaVersion":2,"manifests":[]}' | seed layout_index empty
# SBOM formats
copy_matching sbom_spdx2 '"spdxVersion"'
copy_matching sbom_cyclonedx '"bomFormat"'
copy_matching sbom_in_toto '"_type"'
copy_matching sbom_dsse '"payloadType"'
seed sbom_spdx3 graph <<'EOF'
{"@context":["https://spdx.org/rdf/3.0.1/spdx-context.jsonld"],"@graph":[{"type":"CreationInfo","@id":"_:creationinfo","specVersion":"3.0.1","created":"2024-05-01T00:00:00Z"},{"type":"SpdxDocument","spdxId":"urn:doc"},{"type":"software_Package","spdxId":"urn:p1","name":"openssl","software_packageUrl":"pkg:rpm/redhat/openssl@3.0.7?arch=x86_64"},{"@type":"software_Package","spdxId":"urn:p2","name":"early","packageUrl":"pkg:npm/early@0.1.0"},{"type":"software_Package","spdxId":"urn:p3","name":"bare"},{"type":"software_Package","spdxId":"urn:p4","name":"ext","externalIdentifier":[{"type":"ExternalIdentifier","externalIdentifierType":"packageUrl","identifier":"pkg:gem/rails@7.1.0"}]},{"type":"software_File","spdxId":"urn:f1","name":"/etc/passwd"}]}
EOF
seed sbom_spdx3 context-string <<'EOF'
{"@context":"https://spdx.org/rdf/3.0.0/spdx-context.jsonld","@graph":[{"type":"software_Package","software_packageUrl":"pkg:npm/x@1"}]}
EOF
seed sbom_cyclonedx nested <<'EOF'
{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"a","purl":"pkg:npm/a@1","components":[{"type":"library","name":"b","purl":"pkg:npm/b@2"}]},{"type":"library","name":"c"}],"metadata":{"component":{"name":"app","purl":"pkg:oci/app@sha256%3A00"}}}
EOF
syft='{"artifacts":[{"name":"zlib","version":"1.3","type":"apk","purl":"pkg:apk/alpine/zlib@1.3?arch=aarch64"},{"name":"unknown","version":"","type":"binary","purl":""}],"source":{"type":"image","target":{}},"descriptor":{"name":"syft","version":"1.4.1"},"schema":{"version":"16.0.9","url":"https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-16.0.9.json"}}'
printf '%s' "$syft" | seed sbom_syft syft
spdx=$(cat "$blobs/a790289547319e6a6f5a0e99fb4a672a0475d312e907d497f8bd080f37dcaf49")
stmt_v1="{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"00\"}}],\"predicateType\":\"https://cyclonedx.org/bom\",\"predicate\":{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":[{\"name\":\"a\",\"purl\":\"pkg:npm/a@1\"}]}}"
printf '%s' "$stmt_v1" | seed sbom_in_toto v1-cyclonedx
cosign="{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"https://cosign.sigstore.dev/attestation/v1\",\"subject\":[],\"predicate\":{\"Data\":$(printf '%s' "$syft" | jq -Rs .),\"Timestamp\":\"2024-05-01T00:00:00Z\"}}"
printf '%s' "$cosign" | seed sbom_in_toto cosign-data
dsse_v1="{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"$(b64 "$stmt_v1")\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"MEU=\"}]}"
printf '%s' "$dsse_v1" | seed sbom_dsse v1-cyclonedx
printf '{"payloadType":"application/spdx+json","payload":"%s","signatures":[]}' "$(b64 "$spdx")" | seed sbom_dsse bare-spdx
printf '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"MIIB"}},"dsseEnvelope":%s}' "$dsse_v1" | seed sbom_sigstore_bundle v03
printf '{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","verificationMaterial":{},"messageSignature":{"signature":"MEU="}}' | seed sbom_sigstore_bundle message-signature
printf '{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{},"dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"%s","signatures":[]}}' "$(b64 "$cosign")" | seed sbom_sigstore_bundle v01-cosign
echo "seeds written under $corpus:"
for d in "$corpus"/*/; do printf '  %-22s %s files\n' "$(basename "$d")" "$(ls "$d" | wc -l)"; done
