#!/usr/bin/env bash
# Runs the workbench: installs what is missing, builds, and serves on http://127.0.0.1:5080 (Urls in appsettings.json).
# Extra arguments go to the workbench, e.g. ./run.sh --urls http://127.0.0.1:6000
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
args=("$@")
set --  # setup.sh takes extra apt packages as arguments; the workbench's arguments are not those
source scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish Workbench/Workbench.csproj -c Release -o artifacts/workbench --nologo -v quiet -clp:ErrorsOnly >/dev/null
exec dotnet artifacts/workbench/Workbench.dll serve --config "$root/appsettings.json" "${args[@]}"
