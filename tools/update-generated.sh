#!/usr/bin/env bash
# Rewrites every file generated from the op definitions (src/NetSpec.Runtime/Ops/*.cs and the
# registry): the regions between "<!-- generated: NAME -->" and "<!-- end generated -->" in
# README.md, docs/ops.md and docs/spec-format.md, and the op part ($defs/node, $defs/opName)
# of docs/netspec.schema.json; and docs/cli.md's tables of commands and options, from the
# command definitions (src/NetSpec.Cli/CliDocs.cs; a new command gets a section to write prose
# in). Run it after adding or changing an op, a command or an option; then review `git diff`.
# Tests (GeneratedDocsTests, SchemaTests, CliDocsTests) fail while a generated file is out of date.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! log="$(dotnet build src/NetSpec.Cli/NetSpec.Cli.csproj -c Debug -nologo 2>&1)"; then
  echo "$log" >&2
  echo "update-generated: the build failed" >&2
  exit 1
fi
dotnet src/NetSpec.Cli/bin/Debug/net10.0/netspec.dll ops --write-docs "$root"
