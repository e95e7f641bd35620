#!/usr/bin/env bash
# Regenerates specs/golden/NAME.trace.jsonl for every spec in specs/ (or the specs given).
# Tests never do this on their own. After running it, look at `git diff specs/golden`,
# check every changed value against an independent computation, and explain it in the commit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
specs=("$@")
[[ ${#specs[@]} -gt 0 ]] || mapfile -t specs < <(ls specs/*.yaml)
mkdir -p specs/golden
for spec in "${specs[@]}"; do
  name="$(basename "$spec" .yaml)"
  ./netspec run "$spec" --quiet --trace-file "specs/golden/$name.trace.jsonl" >/dev/null || {
    echo "update-golden: $spec did not pass its own expectations; golden trace not trusted" >&2; exit 1; }
  echo "wrote specs/golden/$name.trace.jsonl"
done
