#!/bin/sh
# A peer's walk of an index, as a user of crane or oras would write it: the index, then
# each child's manifest and config, one process per child.
#
#   walk.sh crane|oras BINARY REGISTRY/REPO:TAG [TOOL FLAGS...]
set -eu
tool=$1 binary=$2 reference=$3
shift 3
repository=${reference%:*}
case $tool in
crane) index=$("$binary" manifest "$@" "$reference") ;;
oras) index=$("$binary" manifest fetch "$@" "$reference") ;;
*) echo "walk.sh: unknown tool $tool" >&2; exit 2 ;;
esac
children=$(printf '%s' "$index" | grep -o '"digest": *"sha256:[0-9a-f]*"' | grep -o 'sha256:[0-9a-f]*')
for digest in $children; do
    case $tool in
    # crane config and oras manifest fetch-config each fetch the manifest, then its config.
    crane) "$binary" config "$@" "$repository@$digest" >/dev/null ;;
    oras) "$binary" manifest fetch-config "$@" "$repository@$digest" >/dev/null ;;
    esac
done
echo "$children"
