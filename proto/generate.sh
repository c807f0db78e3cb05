#!/usr/bin/env bash
# Generates every language's stubs from proto/ into the tree rooted at $1
# (default: the repository). `make protos-check` generates into a temp dir and
# diffs, so committed stubs can never drift from the .proto files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="${1:-$repo}"
py="${PYTHON:-python}"
py="$(command -v "$py")"
# Absolute, without resolving symlinks (a venv's python is one), since we cd below.
[[ "$py" = /* ]] || py="$(cd "$(dirname "$py")" && pwd)/$(basename "$py")"
cd "$here"
protos=(stephost/v1/*.proto)

mkdir -p "$out/sdk_python" "$out/sidecars/ruby/lib/stephost/gen" "$out/sidecars/node/proto"
"$py" -m grpc_tools.protoc -I . \
  --python_out="$out/sdk_python" --pyi_out="$out/sdk_python" --grpc_python_out="$out/sdk_python" \
  "${protos[@]}"
touch "$out/sdk_python/stephost/v1/__init__.py"

# Ruby: Debian's ruby-grpc-tools ships grpc_tools_ruby_protoc.
if command -v grpc_tools_ruby_protoc >/dev/null; then
  grpc_tools_ruby_protoc -I . --ruby_out="$out/sidecars/ruby/lib/stephost/gen" \
    --grpc_out="$out/sidecars/ruby/lib/stephost/gen" "${protos[@]}"
else
  echo "generate.sh: grpc_tools_ruby_protoc not found (apt-get install ruby-grpc-tools); Ruby stubs not generated" >&2
  exit 1
fi

# Node loads the .proto files at run time with @grpc/proto-loader; a copy lives
# in the sidecar package so it is self-contained in its own container.
mkdir -p "$out/sidecars/node/proto/stephost/v1"
cp stephost/v1/*.proto "$out/sidecars/node/proto/stephost/v1/"
