#!/usr/bin/env bash
# Regenerates specs/golden/NAME.explain.txt, the written-out arithmetic of `netspec run SPEC
# --explain --quiet` (text format, 7 significant digits, 12 entries per tensor), for every
# worked-example spec in specs/ (every spec without a training: section), or the specs given.
# Tests never do this on their own (tests/NetSpec.Tests/Explain/GoldenExplanationTests.cs
# compares and names this command when a file is stale). After running it, read
# `git diff specs/golden/*.explain.txt`, run tools/check-explanations.py (it re-does every
# line's arithmetic in Python, independently of NetSpec) and explain the change in the commit.
# NETSPEC=... runs another netspec build (e.g. "dotnet src/NetSpec.Cli/bin/Debug/net10.0/netspec.dll").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
read -r -a netspec <<<"${NETSPEC:-./netspec}"
specs=("$@")
[[ ${#specs[@]} -gt 0 ]] || mapfile -t specs < <(ls specs/*.yaml)
mkdir -p specs/golden
for spec in "${specs[@]}"; do
  if grep -q '^training:' "$spec"; then
    [[ $# -gt 0 ]] && echo "update-explanations: $spec trains over a data set; it has no explanation" >&2
    continue
  fi
  name="$(basename "$spec" .yaml)"
  "${netspec[@]}" run "$spec" --explain --quiet --explain-file "specs/golden/$name.explain.txt" >/dev/null || {
    echo "update-explanations: $spec did not pass its own expectations; explanation not trusted" >&2; exit 1; }
  echo "wrote specs/golden/$name.explain.txt"
done
