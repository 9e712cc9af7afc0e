#!/usr/bin/env bash
# Runs every test: unit, API over real HTTP on real Redis, multi-silo, ARI simulator, real Asterisk and browser.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-prerequisites.sh test

# The real-Asterisk tests use the prebuilt Asterisk that sits beside the repo in shared/ when there is one.
if [ -z "${CONVOCORE_ASTERISK_BUNDLE:-}" ] && [ -x ../shared/asterisk/start.sh ]; then
  export CONVOCORE_ASTERISK_BUNDLE="$(cd ../shared/asterisk && pwd)"
fi

results="$(pwd)/TestResults"
rm -rf "$results"
dotnet restore Convocore.sln
dotnet build Convocore.sln --no-restore -c Debug
status=0
dotnet test Convocore.sln --no-build --logger "trx;LogFileName=results.trx" --results-directory "$results" || status=$?

# The routing load tool, briefly, as a smoke test (BENCHMARKS.md has the real runs).
dotnet run --no-build --project bench/Convocore.Benchmarks -- routing --rates 200 --seconds 2 --numbers 100 || status=$?

python3 - "$results" "${CI:-}" "${CONVOCORE_ASTERISK_BUNDLE:-}" <<'PY' || status=1
import glob, sys, xml.etree.ElementTree as ET
results, ci, bundle = sys.argv[1:4]
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
skipped_asterisk = []
for path in glob.glob(f"{results}/**/*.trx", recursive=True):
    root = ET.parse(path).getroot()
    names = {d.get("id"): d.find("t:TestMethod", ns).get("className") for d in root.iterfind(".//t:UnitTest", ns)}
    for r in root.iterfind(".//t:UnitTestResult", ns):
        outcome = r.get("outcome")
        if outcome == "Passed": passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
            if ".RealAsterisk." in (names.get(r.get("testId")) or ""): skipped_asterisk.append(r.get("testName"))
        else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
if ci == "true" and bundle and skipped_asterisk:
    print(f"CI has an Asterisk ({bundle}) but {len(skipped_asterisk)} real-Asterisk tests were skipped, e.g. {skipped_asterisk[0]}")
    sys.exit(1)
if passed == 0:
    print("no test ran"); sys.exit(1)
PY
exit $status
