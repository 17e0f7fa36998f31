#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the whole solution (warnings are errors), runs each test project,
# and ends with one line "tests: N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
source scripts/setup.sh chromium
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Numina.sln --nologo -v quiet -clp:ErrorsOnly -warnaserror
# The published executable, as ./run.sh makes it: the README's command lines are tested on it.
dotnet publish Workbench/Workbench.csproj -c Release -o artifacts/workbench --nologo -v quiet -clp:ErrorsOnly >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# One project at a time: the machine has two cores and the sandbox tests time real processes.
for project in Tests/*/*.Tests.csproj; do
  dotnet test "$project" --no-build --nologo 2>&1 | tee -a "$log" || status=$?
done

passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  status=1
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
