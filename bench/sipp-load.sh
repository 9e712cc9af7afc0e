#!/usr/bin/env bash
# SIP load on the real Asterisk: 1 s calls, 10 s at each rate, against the silo and web in Release (processes of their
# own, as the AppHost runs them) and Asterisk from the bundle with the repo's configs at verbosity 0.
# Usage: bench/sipp-load.sh [--bundle ../shared/asterisk] [--rates "200 400 600 800"] [--floor]
# Prints, per rate: calls placed, answered, failed, and sipp's mean INVITE -> 200 OK (ResponseTime1, cumulative).
# --floor: the same Asterisk, configs and stub agent, but [from-trunk] goes straight to the agent context (Goto instead of
# Stasis): no app, no silo. What the machine does without us, to set our figures beside.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=../shared/asterisk
RATES="200 400 600 800"
FLOOR=0
while [ $# -gt 0 ]; do
  case "$1" in
    --floor) FLOOR=1; shift ;;
    --bundle) BUNDLE="$2"; shift 2 ;;
    --rates) RATES="$2"; shift 2 ;;
    *) echo "usage: $0 [--bundle DIR] [--rates \"200 400\"] [--floor]" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/convocore-sipp-XXXXXX)
pids=()
cleanup() {
  "$BUNDLE/stop.sh" --dir "$WORK/asterisk" >/dev/null 2>&1 || true
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

ari() { curl -sf -u convocore:convocore -X POST "http://127.0.0.1:8088/ari/$1" >/dev/null; }
# The stub agent answers and keeps the call up for AGENT_WAIT seconds: longer than sipp's 1 s call, so sipp hangs up.
# Its per-call bookkeeping (AGENT_RECORD) is for the tests; a real agent does not write globals.
stub_for_load() { ari "asterisk/variable?variable=AGENT_WAIT&value=5"; ari "asterisk/variable?variable=AGENT_RECORD&value=no"; }

if [ "$FLOOR" = 1 ]; then
  mkdir -p "$WORK/etc"
  cp asterisk/*.conf "$WORK/etc/"
  sed -i 's/^ same => n,Stasis(convocore,.*$/ same => n,Goto(convocore-agent,flooragent,1)/' "$WORK/etc/extensions.conf"
  "$BUNDLE/start.sh" --dir "$WORK/asterisk" --etc "$WORK/etc/" >/dev/null
  stub_for_load
else
dotnet build -c Release bench/Convocore.Benchmarks -v q -nologo >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REDIS_PORT=$(free_port); WEB_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --appendonly yes --appendfsync always --save "" >"$WORK/redis.log" 2>&1 &
pids+=($!)
"$BUNDLE/start.sh" --dir "$WORK/asterisk" --etc asterisk/ >/dev/null
common=(ConnectionStrings__redis="127.0.0.1:$REDIS_PORT" DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
        Logging__LogLevel__Default=Warning)
env "${common[@]}" ASPNETCORE_URLS=http://127.0.0.1:0 Orleans__Endpoints__SiloPort="$(free_port)" Orleans__Endpoints__GatewayPort="$(free_port)" \
    Convocore__Asterisk__Servers__0__Name=local Convocore__Asterisk__Servers__0__Region=NA \
    Convocore__Asterisk__Servers__0__AriUrl=http://127.0.0.1:8088 Convocore__Asterisk__Servers__0__Username=convocore \
    Convocore__Asterisk__Servers__0__Password=convocore \
    dotnet Convocore.Silo/bin/Release/net10.0/Convocore.Silo.dll >"$WORK/silo.log" 2>&1 &
pids+=($!)
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$WEB_PORT" Convocore__OperatorKey=sipp-load \
    dotnet Convocore.Web/bin/Release/net10.0/Convocore.Web.dll >"$WORK/web.log" 2>&1 &
pids+=($!)
API="http://127.0.0.1:$WEB_PORT"
for _ in $(seq 1 120); do
  curl -sf "$API/health" | grep -q '"Healthy"' && break
  sleep 1
done
curl -sf "$API/health" | grep -q '"Healthy"' || { echo "system not healthy: $WORK" >&2; exit 1; }

J='Content-Type: application/json'
KEY=$(curl -sf -X POST "$API/api/admin/workspaces" -H 'Authorization: Bearer sipp-load' -H "$J" -d '{"name":"load","plan":"Enterprise"}' | jq -r .apiKey)
WS="Authorization: Bearer $KEY"
AGENT=$(curl -sf -X POST "$API/api/agents" -H "$WS" -H "$J" -d '{"title":"Load","voiceEnabled":true,"voice":{"provider":"elevenlabs","voiceId":"rachel","language":"en-US"}}' | jq -r .id)
TRUNK=$(curl -sf -X POST "$API/api/trunks" -H "$WS" -H "$J" -d '{"name":"Load","region":"NA"}' | jq -r .id)
curl -sf -X POST "$API/api/trunks/$TRUNK/numbers" -H "$WS" -H "$J" -d "{\"phoneNumber\":\"+15557000001\",\"agentId\":\"$AGENT\"}" >/dev/null
stub_for_load
fi

# Warm-up, not measured: 500 calls at 50/s, so the silo's code is compiled and its grains active (a cold start is measured
# separately, in BENCHMARKS.md "Cold start").
(cd "$WORK" && timeout 120 sipp -sn uac -s +15557000001 127.0.0.1:5060 -p 5071 -r 50 -m 500 -d 1000 -timeout 60 -nostdin \
   >/dev/null 2>&1) || true
sleep 3
echo "rate placed answered failed mean_invite_to_200_ms"
for r in $RATES; do
  (cd "$WORK" && timeout 120 sipp -sn uac -s +15557000001 127.0.0.1:5060 -p 5071 -r "$r" -m $((r * 10)) -d 1000 -l $((r * 3)) \
     -timeout 60 -nostdin -trace_stat -stf "sippload_$r.csv" -fd 1 >/dev/null 2>&1) || true
  python3 - "$WORK/sippload_$r.csv" "$r" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
head, last = rows[0], rows[-1]
col = lambda name: last[head.index(name)]
t = col("ResponseTime1(C)").split(":")  # hh:mm:ss:microseconds
ms = int(t[0]) * 3_600_000 + int(t[1]) * 60_000 + int(t[2]) * 1000 + int(t[3]) / 1000
print(sys.argv[2], col("TotalCallCreated"), col("SuccessfulCall(C)"), col("FailedCall(C)"), f"{ms:.3f}")
PY
  sleep 3
done
