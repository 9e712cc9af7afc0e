#!/usr/bin/env bash
# SIP load on the real Asterisk: 1 s calls, 10 s at each rate, sipp as the provider, the Asterisk bundle with the repo's
# configs at verbosity 0, and several Stasis apps measured alternately in one run, on one Asterisk, one set of configs
# and one stub agent, so that they are compared under the same machine speed:
#   ours       the silo and web in Release (processes of their own, as the AppHost runs them), one configured number
#   ari-floor  the least an ARI app can do (bench/Convocore.Benchmarks/AriFloorApp.cs, on our ARI client): one
#              bulk-variables request and continue, both over the events WebSocket; no lookup, no subscription
#   static     no app at all: [from-trunk] goes straight to the agent context
# The bench's copy of extensions.conf picks the subject per call from the global BENCH_APP, so every app stays
# connected and nothing restarts between segments; each segment starts once Asterisk has no channel left.
# Usage: bench/sipp-load.sh [--bundle ../shared/asterisk] [--rates "200 400 600 800"] [--runs 3]
#                           [--subjects "static ari-floor ours"] [--seconds 10]
# Prints one line per segment (run, rate, subject, placed, answered, failed, sipp's mean INVITE -> 200 OK from
# ResponseTime1, cumulative), then per rate and subject the medians over the runs.
# Environment variables of the form Convocore__... are passed to the silo (e.g. Convocore__Asterisk__ChannelVariablesOverWebSocket=true).
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=../shared/asterisk
RATES="200 400 600 800"
RUNS=3
SUBJECTS="static ari-floor ours"
SECONDS_PER_RATE=10
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --rates) RATES="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --subjects) SUBJECTS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RATE="$2"; shift 2 ;;
    --floor) SUBJECTS="static"; shift ;;
    *) echo "usage: $0 [--bundle DIR] [--rates \"200 400\"] [--runs 3] [--subjects \"static ari-floor ours\"] [--seconds 10]" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/convocore-sipp-XXXXXX)
pids=()
declare -A named  # process name -> pid, for the CPU each uses per segment
# Newest first, each waited for (up to 15 s), so the silo leaves the cluster while its Redis still runs.
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || continue
    timeout 15 tail --pid="${pids[i]}" -f /dev/null 2>/dev/null || kill -9 "${pids[i]}" 2>/dev/null || true
  done
  "$BUNDLE/stop.sh" --dir "$WORK/asterisk" >/dev/null 2>&1 || true
}
trap cleanup EXIT

ARI_URL=http://127.0.0.1:8088
ari() { curl -sf -u convocore:convocore -X POST "$ARI_URL/ari/$1" >/dev/null; }
channels() { curl -sf -u convocore:convocore "$ARI_URL/ari/channels" | jq length; }
has() { [[ " $SUBJECTS " == *" $1 "* ]]; }
app_of() {
  case "$1" in
    static) echo static ;;
    ours*) echo "convocore${1#ours}" | tr -d -c 'a-z' ;;
    ari-floor*) echo "$1" | tr -d -c 'a-z' ;;
  esac
}

mkdir -p "$WORK/etc"
cp asterisk/*.conf "$WORK/etc/"
python3 - "$WORK/etc/extensions.conf" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
old = " same => n,Stasis(convocore,${EXTEN},${CONVOCORE_TRUNK})\n"
assert old in text
new = (' same => n,GotoIf($["${GLOBAL(BENCH_APP)}" = "static"]?convocore-agent,flooragent,1)\n'
       " same => n,Stasis(${GLOBAL(BENCH_APP)},${EXTEN},${CONVOCORE_TRUNK})\n")
text = text.replace(old, new)
exten_ended = "exten => s,1,Stasis(convocore,call-ended,${HANGUPCAUSE})\n"
assert exten_ended in text
text = text.replace(exten_ended, "exten => s,1,Stasis(${GLOBAL(BENCH_APP)},call-ended,${HANGUPCAUSE})\n")
open(path, "w").write(text)
PY
"$BUNDLE/start.sh" --dir "$WORK/asterisk" --etc "$WORK/etc/" >/dev/null
named[asterisk]=$(cat "$WORK/asterisk/asterisk.pid")
# The stub agent answers and keeps the call up for AGENT_WAIT seconds: longer than sipp's 1 s call, so sipp hangs up.
# Its per-call bookkeeping (AGENT_RECORD) is for the tests; a real agent does not write globals.
ari "asterisk/variable?variable=AGENT_WAIT&value=5"
ari "asterisk/variable?variable=AGENT_RECORD&value=no"

dotnet build -c Release bench/Convocore.Benchmarks -v q -nologo >/dev/null
# ari-floor+sub+http etc.: a variant of the floor, app name without the punctuation (see AriFloorApp.cs).
for s in $SUBJECTS; do
  [[ "$s" == ari-floor* ]] || continue
  flags=()
  IFS='+' read -r -a parts <<<"$s"
  for p in "${parts[@]:1}"; do
    case "$p" in
      sub) flags+=(--subscribe) ;; http) flags+=(--variables-over-http) ;; end) flags+=(--stasis-end) ;;
      hh) flags+=(--hangup-handler) ;;
      *) echo "unknown floor variant $p in $s" >&2; exit 2 ;;
    esac
  done
  dotnet bench/Convocore.Benchmarks/bin/Release/net10.0/Convocore.Benchmarks.dll ari-floor --url "$ARI_URL" --app "$(app_of "$s")" \
    "${flags[@]}" >"$WORK/$(app_of "$s").log" 2>&1 &
  pids+=($!); named[$(app_of "$s")]=$!
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# ours, or ours+ws+nospin etc.: a system of its own (Redis, silo, web), Stasis app name without the punctuation.
# Variants: ws  channel variables over the events WebSocket (Convocore:Asterisk:ChannelVariablesOverWebSocket);
#           nootel  the silo without OpenTelemetry (OTEL_SDK_DISABLED=true), to see what traces and metrics cost;
#           nolinger  call records written as they come, not gathered for Convocore:Calls:RecordLinger first;
# Environment variables Convocore__... are passed to every silo.
start_ours() {
  local s=$1 app tag redis_port web_port p
  app=$(app_of "$s"); tag=${app#convocore}; tag=${tag:-ours}
  local extra=(Convocore__Asterisk__Application="$app")
  IFS='+' read -r -a parts <<<"$s"
  for p in "${parts[@]:1}"; do
    case "$p" in
      ws) extra+=(Convocore__Asterisk__ChannelVariablesOverWebSocket=true) ;;
      nootel) extra+=(OTEL_SDK_DISABLED=true) ;;
      nolinger) extra+=(Convocore__Calls__RecordLinger=00:00:00) ;;
      *) echo "unknown variant $p in $s" >&2; exit 2 ;;
    esac
  done
  redis_port=$(free_port); web_port=$(free_port)
  mkdir -p "$WORK/$tag"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$WORK/$tag" --appendonly yes --appendfsync always --save "" \
    >"$WORK/$tag/redis.log" 2>&1 &
  pids+=($!); named[redis-$tag]=$!
  local silo_env=()
  while IFS= read -r line; do silo_env+=("$line"); done < <(env | grep '^Convocore__' || true)
  local common=(ConnectionStrings__redis="127.0.0.1:$redis_port" DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
          Logging__LogLevel__Default=Warning)
  env "${common[@]}" "${silo_env[@]}" "${extra[@]}" ASPNETCORE_URLS=http://127.0.0.1:0 Orleans__Endpoints__SiloPort="$(free_port)" \
      Orleans__Endpoints__GatewayPort="$(free_port)" \
      Convocore__Asterisk__Servers__0__Name=local Convocore__Asterisk__Servers__0__Region=NA \
      Convocore__Asterisk__Servers__0__AriUrl="$ARI_URL" Convocore__Asterisk__Servers__0__Username=convocore \
      Convocore__Asterisk__Servers__0__Password=convocore \
      dotnet Convocore.Silo/bin/Release/net10.0/Convocore.Silo.dll >"$WORK/$tag/silo.log" 2>&1 &
  pids+=($!); named[silo-$tag]=$!
  env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$web_port" Convocore__OperatorKey=sipp-load \
      dotnet Convocore.Web/bin/Release/net10.0/Convocore.Web.dll >"$WORK/$tag/web.log" 2>&1 &
  pids+=($!); named[web-$tag]=$!
  local api="http://127.0.0.1:$web_port"
  for _ in $(seq 1 120); do
    curl -sf "$api/health" | grep -q '"Healthy"' && break
    sleep 1
  done
  curl -sf "$api/health" | grep -q '"Healthy"' || { echo "system $s not healthy: $WORK/$tag" >&2; exit 1; }
  local j='Content-Type: application/json' key ws agent trunk
  key=$(curl -sf -X POST "$api/api/admin/workspaces" -H 'Authorization: Bearer sipp-load' -H "$j" -d '{"name":"load","plan":"Enterprise"}' | jq -r .apiKey)
  ws="Authorization: Bearer $key"
  agent=$(curl -sf -X POST "$api/api/agents" -H "$ws" -H "$j" -d '{"title":"Load","voiceEnabled":true,"voice":{"provider":"elevenlabs","voiceId":"rachel","language":"en-US"}}' | jq -r .id)
  trunk=$(curl -sf -X POST "$api/api/trunks" -H "$ws" -H "$j" -d '{"name":"Load","region":"NA"}' | jq -r .id)
  curl -sf -X POST "$api/api/trunks/$trunk/numbers" -H "$ws" -H "$j" -d "{\"phoneNumber\":\"+15557000001\",\"agentId\":\"$agent\"}" >/dev/null
}
for s in $SUBJECTS; do
  [[ "$s" == ours* ]] && start_ours "$s"
done
for _ in $(seq 1 30); do
  apps=$(curl -sf -u convocore:convocore "$ARI_URL/ari/applications" | jq -r '.[].name' | tr '\n' ' ')
  ok=1
  for s in $SUBJECTS; do
    [ "$s" = static ] || [[ " $apps " == *" $(app_of "$s") "* ]] || ok=0
  done
  [ "$ok" = 1 ] && break
  sleep 1
done

drained() {
  for _ in $(seq 1 120); do [ "$(channels)" = 0 ] && return 0; sleep 1; done
  echo "channels still up after 120 s: $(channels)" >&2
}
# CPU seconds (user + system) each named process has used so far: "asterisk=12.3 silo=4.5 ..."
cpu_now() {
  local n out=""
  for n in "${!named[@]}"; do
    out+="$n=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/${named[$n]}/stat" 2>/dev/null || echo 0) "
  done
  echo "$out"
}
# before after: CPU seconds each process used in between, sorted by name
cpu_used() {
  python3 - "$1" "$2" <<'PY'
import sys
parse = lambda s: dict(kv.split("=") for kv in s.split())
a, b = parse(sys.argv[1]), parse(sys.argv[2])
print(" ".join(f"{k}={float(b[k]) - float(a.get(k, 0)):.1f}" for k in sorted(b)))
PY
}
# rate calls name: one sipp run; prints placed answered failed mean_ms
sipp_run() {
  local rate=$1 calls=$2 name=$3
  (cd "$WORK" && timeout 180 sipp -sn uac -s +15557000001 127.0.0.1:5060 -p 5071 -r "$rate" -m "$calls" -d 1000 -l $((rate * 3)) \
     -timeout 120 -nostdin -trace_stat -stf "$name.csv" -fd 1 >/dev/null 2>&1) || true
  python3 - "$WORK/$name.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
head, last = rows[0], rows[-1]
col = lambda name: last[head.index(name)]
t = col("ResponseTime1(C)").split(":")  # hh:mm:ss:microseconds
ms = int(t[0]) * 3_600_000 + int(t[1]) * 60_000 + int(t[2]) * 1000 + int(t[3]) / 1000
print(col("TotalCallCreated"), col("SuccessfulCall(C)"), col("FailedCall(C)"), f"{ms:.3f}")
PY
}

# Warm-up, not measured: 500 calls at 50/s per subject, so code is compiled and grains active (a cold start is measured
# separately, in BENCHMARKS.md "Cold start").
for s in $SUBJECTS; do
  ari "asterisk/variable?variable=BENCH_APP&value=$(app_of "$s")"
  sipp_run 50 500 "warmup-$s" >/dev/null
  drained
done

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ); subjects: $SUBJECTS"
echo "run rate subject placed answered failed mean_invite_to_200_ms | cpu_seconds_during_the_segment"
read -r -a order <<<"$SUBJECTS"
: >"$WORK/results.txt"
for run in $(seq 1 "$RUNS"); do
  for r in $RATES; do
    for s in "${order[@]}"; do
      drained
      sleep 2
      ari "asterisk/variable?variable=BENCH_APP&value=$(app_of "$s")"
      before=$(cpu_now)
      line="$run $r $s $(sipp_run "$r" $((r * SECONDS_PER_RATE)) "run${run}-${r}-$s")"
      echo "$line | $(cpu_used "$before" "$(cpu_now)")"
      echo "$line" >>"$WORK/results.txt"
    done
  done
  # The next run starts with another subject, so no subject always follows the same one.
  order=("${order[@]:1}" "${order[0]}")
done
drained
echo
echo "medians over $RUNS runs"
python3 - "$WORK/results.txt" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
rates = sorted({int(r[1]) for r in rows})
subjects = list(dict.fromkeys(r[2] for r in rows))
print("rate subject answered/placed mean_invite_to_200_ms (runs)")
for rate in rates:
    for s in subjects:
        mine = [r for r in rows if int(r[1]) == rate and r[2] == s]
        if not mine: continue
        answered = statistics.median(int(r[4]) for r in mine)
        placed = statistics.median(int(r[3]) for r in mine)
        means = [float(r[6]) for r in mine]
        print(f"{rate} {s} {answered:g}/{placed:g} {statistics.median(means):.3f} ({', '.join(f'{m:g}' for m in means)})")
PY
for log in "$WORK"/*/silo.log; do
  [ -f "$log" ] && echo "silo warnings and errors: $(grep -c -E 'warn|fail|crit' "$log" || true) lines ($log)"
done
