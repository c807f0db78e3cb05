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

# Python: into the wire package (proto/python/stephost_wire/v1). protoc names the module
# after the proto path (stephost.v1), so generate into a scratch dir and move it under
# stephost_wire, pointing the generated grpc modules' imports at their new home.
py_out="$out/proto/python/stephost_wire"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$py_out" "$out/sidecars/ruby/lib/stephost/gen" "$out/sidecars/node/proto"
"$py" -m grpc_tools.protoc -I . \
  --python_out="$scratch" --pyi_out="$scratch" --grpc_python_out="$scratch" \
  "${protos[@]}"
rm -rf "$py_out/v1"
mv "$scratch/stephost/v1" "$py_out/v1"
sed -i 's/^from stephost\.v1 import/from stephost_wire.v1 import/' "$py_out"/v1/*.py
touch "$py_out/v1/__init__.py"

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
