#!/usr/bin/env bash
# gatecheck's policy engine against Gluu Gateway's own Lua under LuaJIT, on the same
# Gluu-Gateway-shaped workload (benches/src/gg.rs), in one run: see README.md.
#
#   benches/policy-gg/compare.sh --gg DIR [--rounds N] [--passes P]
#
# DIR holds Gluu Gateway's Lua files, which this repository does not ship:
#   DIR/lib/gluu/path-wildcard-tree.lua   (gluu-gateway, lib/gluu/path-wildcard-tree.lua)
#   DIR/lib/rucciva/json_logic.lua        (rucciva/json-logic-lua, logic.lua)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
GG=${GG_LUA_DIR:-} ROUNDS=3 PASSES=20
while [ $# -gt 0 ]; do
    case "$1" in
        --gg) GG=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --passes) PASSES=$2; shift 2 ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$GG" ] || [ ! -f "$GG/lib/gluu/path-wildcard-tree.lua" ] || [ ! -f "$GG/lib/rucciva/json_logic.lua" ]; then
    echo "compare.sh: give --gg DIR with Gluu Gateway's lib/gluu/path-wildcard-tree.lua and" >&2
    echo "lib/rucciva/json_logic.lua (see benches/policy-gg/README.md)" >&2
    exit 2
fi
command -v luajit >/dev/null || { echo "compare.sh: luajit is missing (apt-get install luajit lua-cjson)" >&2; exit 2; }
luajit -e 'require "cjson"' 2>/dev/null || { echo "compare.sh: lua-cjson is missing (apt-get install lua-cjson)" >&2; exit 2; }

(cd "$REPO" && cargo build -q --release -p gatecheck-benches --bin policy-gg)
TARGET=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN=$TARGET/release/policy-gg
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PIN=""
[ "$(nproc)" -ge 2 ] && PIN="taskset -c 1"
for n in 10 100 1000; do "$BIN" export --rules "$n" > "$WORK/w$n.json"; done
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ns() { sed -n 's/.*median_ns_per_decision=\([0-9.]*\).*/\1/p'; }
for round in $(seq "$ROUNDS"); do
    for n in 10 100 1000; do
        $PIN "$BIN" replay --rules "$n" --passes "$PASSES" | ns >> "$WORK/rust$n"
        $PIN luajit "$HERE/gg_policy.lua" --gg "$GG" --workload "$WORK/w$n.json" --passes "$PASSES" | ns >> "$WORK/lua$n"
    done
done
printf '%-6s %14s %14s %8s\n' rules "gatecheck ns" "GG LuaJIT ns" ratio
for n in 10 100 1000; do
    r=$(median < "$WORK/rust$n"); l=$(median < "$WORK/lua$n")
    printf '%-6s %14s %14s %7.1fx\n' "$n" "$r" "$l" "$(awk "BEGIN {print $l / $r}")"
done
r10=$(median < "$WORK/rust10"); r1000=$(median < "$WORK/rust1000")
l10=$(median < "$WORK/lua10"); l1000=$(median < "$WORK/lua1000")
printf 'growth 10 -> 1,000 rules: gatecheck %.2fx, GG LuaJIT %.2fx (median of %s rounds, %s passes each)\n' \
    "$(awk "BEGIN {print $r1000 / $r10}")" "$(awk "BEGIN {print $l1000 / $l10}")" "$ROUNDS" "$PASSES"
