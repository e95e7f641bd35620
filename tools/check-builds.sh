#!/usr/bin/env bash
# Checks that every kind of netspec build prints the same thing: the JIT build (dotnet run, as
# the tests use), ReadyToRun and Native AOT (what ./netspec builds). Runs every spec in specs/
# with each and compares the console output and the JSON-lines trace byte for byte.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rid="linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')"
proj=src/NetSpec.Cli/NetSpec.Cli.csproj
echo "building: jit, r2r$(command -v clang >/dev/null && echo ", aot")" >&2
# Each build runs without a shared build server and is tried twice: a build server or compiler
# left over from another build on the machine can hold a file for a moment. A build that fails
# twice prints its log.
build() {
  local log="$tmp/build.log"
  for attempt in 1 2; do
    if dotnet "$@" --disable-build-servers -p:UseSharedCompilation=false --nologo -v quiet >"$log" 2>&1; then return 0; fi
    sleep 2
  done
  cat "$log"
  echo "check-builds: 'dotnet $*' failed twice" >&2
  exit 2
}
build build -c Release "$proj" -o "$tmp/jit"
build publish -c Release -r "$rid" "$proj" -o "$tmp/r2r" -p:NetSpecPublish=true -p:PublishReadyToRun=true
builds=(jit r2r)
if command -v clang >/dev/null; then
  build publish -c Release -r "$rid" "$proj" -o "$tmp/aot" -p:NetSpecPublish=true -p:PublishAot=true -p:IlcInstructionSet=native
  builds+=(aot)
fi
differ=0
for spec in specs/*.yaml; do
  name="$(basename "$spec" .yaml)"
  for b in "${builds[@]}"; do
    (cd "$tmp" && "$tmp/$b/netspec" run "$root/$spec" --trace-file "$tmp/$name.$b.jsonl" > "$tmp/$name.$b.out" 2>&1) || true
    # Training prints wall-clock seconds per epoch: drop them before comparing.
    sed -i -E 's/  [0-9]+\.[0-9]+ s$//' "$tmp/$name.$b.out"
  done
  for b in "${builds[@]:1}"; do
    for kind in out jsonl; do
      if ! cmp -s "$tmp/$name.jit.$kind" "$tmp/$name.$b.$kind"; then
        echo "DIFFER $spec: $b $kind"; diff "$tmp/$name.jit.$kind" "$tmp/$name.$b.$kind" | head -5; differ=1
      fi
    done
  done
done
n=$(ls specs/*.yaml | wc -l)
echo "builds: ${builds[*]}; specs: $n; $([[ $differ == 0 ]] && echo "all outputs identical" || echo "outputs differ")"
exit $differ
