#!/usr/bin/env bash
# Run Asterisk with the repo's configs (this folder) in the FOREGROUND, for local development and for
# process managers (.NET Aspire, systemd, a terminal): Ctrl+C / SIGINT / SIGTERM stop it cleanly.
#
# usage: asterisk/run-local.sh [--dir <work dir>] [--etc <config dir>] [--bundle <dir with start.sh + tarball>]
#                              [--verbose <n>] [--bin <installed asterisk binary>]
#
#   --dir      work directory (default /tmp/convocore-asterisk; keep it short: the control socket
#              <dir>/run/asterisk.ctl must stay under ~107 characters). Holds bundle/, etc/, log/, run/, var/.
#   --etc      configs to use (default: the folder of this script); copied to <dir>/etc on every start
#   --bundle   folder of the prebuilt bundle (start.sh + asterisk-*-debian12-amd64.tar.xz); default
#              $CONVOCORE_ASTERISK_BUNDLE, else shared/asterisk beside or above the repo
#   --bin      use an installed asterisk binary instead of the bundle (or $CONVOCORE_ASTERISK_BIN);
#              modules from $CONVOCORE_ASTERISK_MODDIR or <prefix>/lib/asterisk/modules
#   --verbose  verbosity shown on stdout (default 3)
#
# SIP: UDP 127.0.0.1:5060, ARI: http://127.0.0.1:8088/ari (user convocore / password convocore).
# CLI while it runs:  <dir>/bundle/sbin/asterisk -C <dir>/etc/asterisk.conf -rvvv
#
# It writes <dir>/etc/asterisk.conf the same way the bundle's start.sh does (every directory inside
# <dir>), unpacks the bundle once into <dir>/bundle, then execs `asterisk -f` (no fork, no nohup), so
# the process that the caller started IS Asterisk and receives its signals directly.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
DIR="${CONVOCORE_ASTERISK_DIR:-/tmp/convocore-asterisk}"
ETC="$HERE"
BUNDLE_SRC="${CONVOCORE_ASTERISK_BUNDLE:-}"
BIN="${CONVOCORE_ASTERISK_BIN:-}"
VERBOSE=3

die() { echo "run-local.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage; DIR="$2"; shift 2 ;;
    --etc) [ $# -ge 2 ] || usage; ETC="$2"; shift 2 ;;
    --bundle) [ $# -ge 2 ] || usage; BUNDLE_SRC="$2"; shift 2 ;;
    --bin) [ $# -ge 2 ] || usage; BIN="$2"; shift 2 ;;
    --verbose) [ $# -ge 2 ] || usage; VERBOSE="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run-local.sh: unknown argument: $1" >&2; usage ;;
  esac
done
[ -d "$ETC" ] || die "config dir not found: $ETC"
case "$VERBOSE" in ''|*[!0-9]*) die "--verbose must be a number" ;; esac

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
ETC="$(cd "$ETC" && pwd)"
CONF="$DIR/etc/asterisk.conf"
ctl="$DIR/run/asterisk.ctl"
[ "${#ctl}" -lt 100 ] || die "$ctl is ${#ctl} characters; Unix sockets allow ~107: use a shorter --dir"

# Another instance from this work dir?
if [ -f "$DIR/asterisk.pid" ]; then
  old="$(cat "$DIR/asterisk.pid" 2>/dev/null || true)"
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null && readlink "/proc/$old/exe" 2>/dev/null | grep -q 'asterisk$'; then
    die "Asterisk is already running from $DIR (pid $old)"
  fi
fi

if [ -n "$BIN" ]; then
  [ -x "$BIN" ] || die "asterisk binary not found: $BIN"
  ASTERISK="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
  prefix="$(dirname "$(dirname "$ASTERISK")")"
  MODDIR="${CONVOCORE_ASTERISK_MODDIR:-}"
  if [ -z "$MODDIR" ]; then
    for d in "$prefix/lib/asterisk/modules" "$prefix/lib64/asterisk/modules" /usr/lib/asterisk/modules \
             /usr/lib/x86_64-linux-gnu/asterisk/modules; do
      [ -d "$d" ] && { MODDIR="$d"; break; }
    done
  fi
  [ -n "$MODDIR" ] || die "no modules folder for $ASTERISK (set CONVOCORE_ASTERISK_MODDIR)"
  DATADIR="${CONVOCORE_ASTERISK_DATADIR:-}"
  if [ -z "$DATADIR" ]; then
    for d in "$prefix/share/asterisk" /usr/share/asterisk /var/lib/asterisk; do
      [ -d "$d" ] && { DATADIR="$d"; break; }
    done
  fi
  DATADIR="${DATADIR:-$MODDIR}"
  SBINDIR="$(dirname "$ASTERISK")"
else
  if [ -z "$BUNDLE_SRC" ]; then
    for d in "$REPO/shared/asterisk" "$REPO/../shared/asterisk" "$REPO/../../shared/asterisk"; do
      [ -f "$d/start.sh" ] && { BUNDLE_SRC="$d"; break; }
    done
  fi
  [ -n "$BUNDLE_SRC" ] && [ -d "$BUNDLE_SRC" ] || die "no Asterisk bundle found (use --bundle or CONVOCORE_ASTERISK_BUNDLE, or --bin)"
  TARBALL=""
  for f in "$BUNDLE_SRC"/asterisk-*-debian12-amd64.tar.xz; do [ -f "$f" ] && TARBALL="$f"; done
  [ -n "$TARBALL" ] || die "no asterisk-*-debian12-amd64.tar.xz in $BUNDLE_SRC"
  BUNDLE="$DIR/bundle"
  # Unpack once (again when the tarball name changes) - the same layout start.sh uses.
  stamp="$BUNDLE/.unpacked-from"
  if [ ! -x "$BUNDLE/sbin/asterisk" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$(basename "$TARBALL")" ]; then
    rm -rf "$BUNDLE" "$BUNDLE.tmp"
    mkdir -p "$BUNDLE.tmp"
    tar -xJf "$TARBALL" -C "$BUNDLE.tmp" --strip-components=1
    basename "$TARBALL" > "$BUNDLE.tmp/.unpacked-from"
    mv "$BUNDLE.tmp" "$BUNDLE"
  fi
  ASTERISK="$BUNDLE/sbin/asterisk"
  MODDIR="$BUNDLE/lib/asterisk/modules"
  DATADIR="$BUNDLE/share/asterisk"
  SBINDIR="$BUNDLE/sbin"
  export LD_LIBRARY_PATH="$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# Configs and writable directories, all inside the work dir (as start.sh does).
mkdir -p "$DIR/etc" "$DIR/var/lib" "$DIR/var/lib/agi-bin" "$DIR/var/spool" "$DIR/var/cache" "$DIR/run" "$DIR/log"
find "$ETC" -maxdepth 1 \( -type f -o -type l \) -name '*.conf' ! -name asterisk.conf -exec cp -f {} "$DIR/etc/" \;
cat > "$CONF" <<EOF
[directories]
astetcdir => $DIR/etc
astmoddir => $MODDIR
astvarlibdir => $DIR/var/lib
astdbdir => $DIR/var/lib
astkeydir => $DIR/var/lib
astdatadir => $DATADIR
astagidir => $DIR/var/lib/agi-bin
astspooldir => $DIR/var/spool
astrundir => $DIR/run
astlogdir => $DIR/log
astsbindir => $SBINDIR
astcachedir => $DIR/var/cache

[options]
documentation_language = en_US
EOF

# Same pid file as start.sh, so the bundle's stop.sh --dir <dir> also stops this instance.
echo "$$" > "$DIR/asterisk.pid"
echo "run-local.sh: starting $("$ASTERISK" -V 2>/dev/null) from $DIR (SIP udp 127.0.0.1:5060, ARI http://127.0.0.1:8088/ari)"
echo "run-local.sh: CLI: $ASTERISK -C $CONF -rvvv"
# exec: this process becomes Asterisk (-f: no fork; -n: no colours; no -c: no console on stdin, so it works without a TTY).
# SIGTERM and SIGINT make Asterisk shut down; its log also goes to $DIR/log/messages.log.
verbose_args=()
[ "$VERBOSE" -gt 0 ] && verbose_args=("-$(printf 'v%.0s' $(seq 1 "$VERBOSE"))")
exec "$ASTERISK" -C "$CONF" -f -n "${verbose_args[@]}"
