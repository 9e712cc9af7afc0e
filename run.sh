#!/usr/bin/env bash
# Sets up and runs the whole Convocore system (redis, silo, web, Aspire dashboard). Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-prerequisites.sh run
dotnet restore Convocore.sln
exec dotnet run --project Convocore.AppHost --launch-profile http
