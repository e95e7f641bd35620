#!/usr/bin/env bash
# Rewrites the node-test table of docs/onnx.md (between its "node-test table" markers) from what
# actually happens to each ONNX node test in tests/NetSpec.Tests/Onnx/NodeTests: it passes (and
# the NetSpec ops it imports as), or it is refused (the importer's message); a test that fails or
# crashes is written as such, and OnnxNodeTests fails until it is fixed. Run it after changing an
# op's ONNX forms or the importer (or merging branches that do); then review `git diff docs/onnx.md`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! log="$(dotnet build tests/NetSpec.Tests/NetSpec.Tests.csproj -c Debug -nologo 2>&1)"; then
  echo "$log" >&2
  echo "update-onnx-node-tests: the build failed" >&2
  exit 1
fi
NETSPEC_UPDATE_NODE_TABLE=1 dotnet tests/NetSpec.Tests/bin/Debug/net10.0/NetSpec.Tests.dll \
  --filter "FullyQualifiedName~OnnxNodeTests.The_node_test_table_in_the_docs_is_what_happens" >/dev/null || {
  echo "update-onnx-node-tests: the table writer failed" >&2; exit 1; }
grep -E '^[0-9]+ node tests: ' docs/onnx.md
