#!/usr/bin/env bash
# The load benchmark: gatecheck's gateway and OP side by side with their peers, measured with
# wrk on this machine. See benches/load/README.md.
#
#   benches/load/run.sh [--rounds N] [--duration SECONDS] [--connections C] [--smoke]
#                       [--only gateway|op] [--bin PATH] [--callgrind DIR]
#
# --callgrind DIR: instead of requests/s, instructions per request. nginx (the plain proxy) and
# gatecheck run under valgrind's callgrind; per configuration the counters are zeroed, wrk
# sends requests for --duration seconds (default 5, 4 connections, 1 round), the profile is
# dumped to DIR/<configuration>.callgrind and the script prints the instructions per request
# and the top inclusive functions. Instruction counts do not depend on the machine's load.
#
# Every server runs on core 0 and wrk on core 1 (when the machine has two cores); the
# configurations are measured one after the other within each round, rounds interleaved, and
# the table shows the median of the rounds. Before measuring, every configuration that
# authenticates must refuse a request without a token and one with a forged token (401), and
# accept the real one (200); a non-2xx answer or a socket error while measuring fails the run.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROUNDS=3 DURATION=10 CONNECTIONS=32 SMOKE=0 ONLY=all BIN="" CALLGRIND="" TOP=15

while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --smoke) SMOKE=1; shift ;;
        --only) ONLY=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        --callgrind) CALLGRIND=$2; ROUNDS=1 DURATION=5 CONNECTIONS=4; shift 2 ;;
        --top) TOP=$2; shift 2 ;;
        -h|--help) sed -n 2,19p "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ "$SMOKE" = 1 ]; then
    ROUNDS=1 DURATION=1 CONNECTIONS=4
fi
# Flags after --callgrind still apply (e.g. --callgrind DIR --duration 10).
if [ -n "$CALLGRIND" ]; then
    command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
        { echo "load bench: --callgrind needs valgrind (apt-get install valgrind)" >&2; exit 1; }
    mkdir -p "$CALLGRIND"
    CALLGRIND=$(cd "$CALLGRIND" && pwd)
fi

say() { echo "== $*"; }
die() { echo "load bench: $*" >&2; exit 1; }

# ---- tools ---------------------------------------------------------------------------------
# Installs a Debian package when its command is missing (as root, where apt-get exists).
ensure() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing $pkg"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1; } || true
    fi
    command -v "$cmd" >/dev/null 2>&1
}
ensure nginx nginx || die "nginx is missing and could not be installed (apt-get install nginx)"
ensure wrk wrk || die "wrk is missing and could not be installed (apt-get install wrk)"
ensure curl curl || die "curl is missing (apt-get install curl)"
ensure python3 python3 || die "python3 is missing (apt-get install python3)"
APACHE=1
if ! ensure apache2 apache2 || { [ ! -e /usr/lib/apache2/modules/mod_auth_openidc.so ] &&
        ! { ensure never-a-command libapache2-mod-auth-openidc;
            [ -e /usr/lib/apache2/modules/mod_auth_openidc.so ]; }; }; then
    echo "SKIPPED: Apache + mod_auth_openidc (install apache2 libapache2-mod-auth-openidc)"
    APACHE=0
fi
NODE=1
# shellcheck source=benches/load/oidc-provider.sh
. "$HERE/oidc-provider.sh"
if [ -n "$CALLGRIND" ]; then
    # Apache (several processes) and node (a JIT) are not profiled; their instruction counts
    # would not be comparable anyway.
    APACHE=0 NODE=0
else
    ensure_oidc_provider || NODE=0
fi

if [ -z "$BIN" ]; then
    # The smoke run reuses the test build; real numbers need a release build.
    if [ "$SMOKE" = 1 ]; then PROFILE=dev DIR=debug; else PROFILE=release DIR=release; fi
    say "cargo build --profile $PROFILE -p gatecheck"
    (cd "$REPO" && cargo build -q --profile "$PROFILE" -p gatecheck)
    TARGET=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    BIN=$TARGET/$DIR/gatecheck
fi
[ -x "$BIN" ] || die "no gatecheck binary at $BIN"

if [ "$(nproc)" -ge 2 ]; then
    SERVER="taskset -c 0" CLIENT="taskset -c 1" PINNING="servers on core 0, wrk on core 1"
else
    SERVER="" CLIENT="" PINNING="one core: not pinned"
fi

# ---- processes -----------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatecheck-load.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
chmod 755 "$WORK"
# PROFILE_CMD prefixes the servers that --callgrind profiles; WAIT is how many tenths of a
# second a server may take to answer (valgrind slows start-up some 50 times).
PROFILE_CMD="" WAIT=100
if [ -n "$CALLGRIND" ]; then
    PROFILE_CMD="valgrind -q --tool=callgrind --callgrind-out-file=$WORK/callgrind.%p" WAIT=1200
fi
declare -A PID_OF  # configuration -> pid of the process serving it (for --callgrind)

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL [CURL_ARGS...]: until the server answers at all (10 s at most).
wait_for() {
    local url=$1; shift
    for _ in $(seq "$WAIT"); do
        curl -s -o /dev/null "$@" "$url" && return 0
        sleep 0.1
    done
    die "nothing answers at $url"
}

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

start_nginx() { # name conf-body [wrapper]: the wrapper (e.g. valgrind) runs nginx
    local dir=$WORK/$1
    mkdir -p "$dir"
    cat > "$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    $2
}
EOF
    $SERVER ${3:-} nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
    PIDS+=($!)
    LAST_PID=$!
}

UPSTREAM_PORT=$(free_port)
start_nginx upstream "server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 \"ok\n\"; } }"
UPSTREAM=http://127.0.0.1:$UPSTREAM_PORT
wait_for "$UPSTREAM/"

CONFIGS=()     # name|url|header|header (one measured configuration per entry)
declare -A NA  # configurations that cannot run here, with the reason

b64() { printf '%s' "$1" | base64 -w0; }
token() { # token-endpoint client secret
    curl -s -u "$2:$3" -d grant_type=client_credentials -d scope=read "$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
# expect_refusals name url [headers...]: no token and a forged one get 401, the real one 200.
expect_refusals() {
    local name=$1 url=$2 host=$3 bearer=$4 forged
    # A character inside the signature, not the last one: the last base64url character of an
    # RS256 signature carries 4 unused bits, so A/B there decode to the same signature in a
    # lenient decoder (mod_auth_openidc's), and the "forged" token would be the real one.
    local c=${bearer: -6:1}
    forged="${bearer:0:${#bearer}-6}$( [ "$c" = A ] && echo B || echo A)${bearer: -5}"
    [ "$(status -H "$host" "$url")" = 401 ] || die "$name: a request without a token was not refused with 401"
    [ "$(status -H "$host" -H "Authorization: Bearer $forged" "$url")" = 401 ] ||
        die "$name: a forged token was not refused with 401"
    [ "$(status -H "$host" -H "Authorization: Bearer $bearer" "$url")" = 200 ] ||
        die "$name: the real token did not get 200"
}
expect_ok() { # name url [curl args...]
    local name=$1 url=$2; shift 2
    [ "$(status "$@" "$url")" = 200 ] || die "$name: expected 200 from $url"
}

if [ "$ONLY" != op ]; then
    say "starting nginx (plain proxy), the gatecheck stack$( [ $APACHE = 1 ] && echo ", Apache + mod_auth_openidc")"
    PROXY_PORT=$(free_port)
    start_nginx proxy "upstream backend { server 127.0.0.1:$UPSTREAM_PORT; keepalive 64; }
    server { listen 127.0.0.1:$PROXY_PORT; location / { proxy_pass http://backend;
        proxy_http_version 1.1; proxy_set_header Connection \"\"; } }" "$PROFILE_CMD"
    PID_OF[nginx-proxy]=$LAST_PID

    sed -e "s#@UPSTREAM@#$UPSTREAM#g" -e "s#@REPO@#$REPO#g" "$HERE/stack.yml" > "$WORK/stack.yml"
    # $EPOCHREALTIME and a 5 ms poll: a `date` process per reading and a 50 ms sleep had made the
    # reported start up to 100 ms longer than the stack's own.
    start_us=${EPOCHREALTIME/./}
    $SERVER $PROFILE_CMD "$BIN" up "$WORK/stack.yml" --ephemeral --json > "$WORK/stack.json" 2> "$WORK/stack.log" &
    PIDS+=($!)
    for n in gw-none gw-jwt-pep gw-opaque-pep kong-oidc-bearer; do PID_OF[$n]=$!; done
    for _ in $(seq $((WAIT * 30))); do [ -s "$WORK/stack.json" ] && break; sleep 0.005; done
    [ -s "$WORK/stack.json" ] || { cat "$WORK/stack.log" >&2; die "the gatecheck stack did not start"; }
    STACK_START_MS=$(( (${EPOCHREALTIME/./} - start_us) / 1000 ))
    field() { python3 -c "import json,sys; d=json.loads(open('$WORK/stack.json').readline()); print($1)"; }
    GW=$(field 'd["gateway"]["proxy"]')
    ADMIN=$(field 'd["gateway"]["admin"]')
    ISSUER=$(field 'd["op"]["issuer"]')
    TOKEN_URL=$ISSUER/oxauth/restv1/token
    JWT=$(token "$TOKEN_URL" bench-jwt bench-jwt-secret)
    OPAQUE=$(token "$TOKEN_URL" bench-opaque bench-opaque-secret)
    wait_for "http://127.0.0.1:$PROXY_PORT/"

    expect_ok direct "$UPSTREAM/items/1"
    expect_ok nginx-proxy "http://127.0.0.1:$PROXY_PORT/items/1"
    expect_ok gw-none "$GW/items/1" -H "Host: none.bench"
    expect_refusals gw-jwt-pep "$GW/items/1" "Host: jwt.bench" "$JWT"
    expect_refusals gw-opaque-pep "$GW/items/1" "Host: opaque.bench" "$OPAQUE"
    [ "$(status -H "Host: jwt.bench" -H "Authorization: Bearer $JWT" "$GW/other")" = 403 ] ||
        die "gw-jwt-pep: a path outside the PEP rule was not refused (deny_by_default)"
    # The upstream itself is not profiled (--callgrind): it serves every configuration.
    [ -n "$CALLGRIND" ] || CONFIGS+=("direct|$UPSTREAM/items/1")
    CONFIGS+=("nginx-proxy|http://127.0.0.1:$PROXY_PORT/items/1")
    CONFIGS+=("gw-none|$GW/items/1|Host: none.bench")
    CONFIGS+=("gw-jwt-pep|$GW/items/1|Host: jwt.bench|Authorization: Bearer $JWT")
    CONFIGS+=("gw-opaque-pep|$GW/items/1|Host: opaque.bench|Authorization: Bearer $OPAQUE")

    # Kong's openid-connect plugin, bearer mode, once the gateway has it.
    if curl -s "$ADMIN/" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if "openid-connect" in d["plugins"]["available_on_server"] else 1)' 2>/dev/null; then
        curl -s -o /dev/null -X POST "$ADMIN/services" -d name=kong-oidc -d "url=$UPSTREAM"
        curl -s -o /dev/null -X POST "$ADMIN/services/kong-oidc/routes" -d name=kong-oidc -d "hosts[]=oidc.bench"
        code=$(status -X POST "$ADMIN/services/kong-oidc/plugins" -H 'Content-Type: application/json' \
            -d "{\"name\":\"openid-connect\",\"config\":{\"issuer\":\"$ISSUER/.well-known/openid-configuration\",\"auth_methods\":[\"bearer\"]}}")
        if [ "$code" = 201 ]; then
            expect_refusals kong-oidc-bearer "$GW/items/1" "Host: oidc.bench" "$JWT"
            CONFIGS+=("kong-oidc-bearer|$GW/items/1|Host: oidc.bench|Authorization: Bearer $JWT")
        else
            NA[kong-oidc-bearer]="the Admin API refused the openid-connect plugin ($code)"
        fi
    else
        NA[kong-oidc-bearer]="the gateway has no openid-connect plugin yet"
    fi

    if [ "$APACHE" = 1 ]; then
        APACHE_PORT=$(free_port)
        A=$WORK/apache
        mkdir -p "$A"
        M=/usr/lib/apache2/modules
        openssl pkey -in "$REPO/fixtures/op/keys/rs256.pem" -pubout -out "$A/rs256.pub.pem" 2>/dev/null ||
            die "openssl could not read fixtures/op/keys/rs256.pem"
        KID=$(curl -s "$ISSUER/oxauth/restv1/jwks" |
            python3 -c 'import json,sys; print(next(k["kid"] for k in json.load(sys.stdin)["keys"] if k.get("alg") == "RS256"))')
        { echo "ServerRoot $A"
          echo "DefaultRuntimeDir $A"
          echo "PidFile $A/httpd.pid"
          echo "ErrorLog $A/error.log"
          echo "LogLevel warn"
          echo "Listen 127.0.0.1:$APACHE_PORT"
          echo "ServerName 127.0.0.1"
          [ "$(id -u)" = 0 ] && { echo "User www-data"; echo "Group www-data"; }
          for m in mpm_event authn_core authz_core authz_user proxy proxy_http auth_openidc; do
              echo "LoadModule ${m}_module $M/mod_$m.so"
          done
          echo "StartServers 1"
          echo "ServerLimit 1"
          echo "ThreadsPerChild 64"
          echo "MaxRequestWorkers 64"
          echo "KeepAlive On"
          echo "MaxKeepAliveRequests 0"
          echo "OIDCCryptoPassphrase load-bench-passphrase"
          # mod_auth_openidc fetches a JWKS only over https; the OP's signing key is given as a
          # file instead, under the kid the OP publishes.
          echo "OIDCOAuthVerifyCertFiles $KID#$A/rs256.pub.pem"
          echo "OIDCOAuthRemoteUserClaim client_id"
          echo "<Location />"
          echo "  AuthType oauth20"
          echo "  Require valid-user"
          echo "</Location>"
          echo "ProxyPass / $UPSTREAM/"
        } > "$A/httpd.conf"
        $SERVER apache2 -d "$A" -f "$A/httpd.conf" -DFOREGROUND &
        PIDS+=($!)
        wait_for "http://127.0.0.1:$APACHE_PORT/"
        expect_refusals apache-oidc "http://127.0.0.1:$APACHE_PORT/items/1" "X-Bench: 1" "$JWT"
        CONFIGS+=("apache-oidc|http://127.0.0.1:$APACHE_PORT/items/1|Authorization: Bearer $JWT")
    else
        NA[apache-oidc]="apache2 / libapache2-mod-auth-openidc not installed"
    fi
fi

if [ "$ONLY" != gateway ]; then
    say "starting the gatecheck OP$( [ $NODE = 1 ] && echo " and node oidc-provider@$OIDC_PROVIDER_VERSION")"
    OP_PORT=$(free_port)
    $SERVER $PROFILE_CMD "$BIN" op --config "$HERE/op.yml" --listen "127.0.0.1:$OP_PORT" > "$WORK/op.log" 2>&1 &
    PIDS+=($!)
    for n in op-token op-introspect op-discovery op-jwks; do PID_OF[$n]=$!; done
    OP=http://127.0.0.1:$OP_PORT
    wait_for "$OP/.well-known/openid-configuration"
    [ "$(status -u bench:wrong -d grant_type=client_credentials "$OP/oxauth/restv1/token")" = 401 ] ||
        die "op: a wrong client secret was not refused with 401"
    OP_TOKEN=$(token "$OP/oxauth/restv1/token" bench bench-secret)
    AUTH="Basic $(b64 bench:bench-secret)"
    CONFIGS+=("op-token|$OP/oxauth/restv1/token|POST|grant_type=client_credentials&scope=read|$AUTH")
    CONFIGS+=("op-introspect|$OP/oxauth/restv1/introspection|POST|token=$OP_TOKEN|$AUTH")
    CONFIGS+=("op-discovery|$OP/.well-known/openid-configuration")
    CONFIGS+=("op-jwks|$OP/oxauth/restv1/jwks")
    if [ "$NODE" = 1 ]; then
        NODE_PORT=$(free_port)
        NODE_PATH=$NPM_CACHE/node_modules PORT=$NODE_PORT $SERVER node "$HERE/oidc-provider.mjs" > "$WORK/node.log" 2>&1 &
        PIDS+=($!)
        NP=http://127.0.0.1:$NODE_PORT
        wait_for "$NP/.well-known/openid-configuration"
        [ "$(status -u bench:wrong -d grant_type=client_credentials "$NP/token")" = 401 ] ||
            die "oidc-provider: a wrong client secret was not refused with 401"
        NODE_TOKEN=$(token "$NP/token" bench bench-secret)
        CONFIGS+=("node-token|$NP/token|POST|grant_type=client_credentials&scope=read|$AUTH")
        CONFIGS+=("node-introspect|$NP/token/introspection|POST|token=$NODE_TOKEN|$AUTH")
        CONFIGS+=("node-discovery|$NP/.well-known/openid-configuration")
        CONFIGS+=("node-jwks|$NP/jwks")
    else
        for n in node-token node-introspect node-discovery node-jwks; do NA[$n]="node / npm not installed"; done
    fi
fi

# ---- measurement ---------------------------------------------------------------------------
# measure name url [fields...]: one wrk run; appends "name rps p50_ms p99_ms" to results.
measure() {
    local name=$1 url=$2; shift 2
    local args=() out
    if [ "${1:-}" = POST ]; then
        export WRK_BODY=$2 WRK_AUTH=$3
        args+=(-s "$HERE/post.lua")
    else
        for h in "$@"; do args+=(-H "$h"); done
    fi
    local pid=${PID_OF[$name]:-}
    if [ -n "$CALLGRIND" ]; then
        [ -n "$pid" ] || die "$name: no profiled process serves it"
        callgrind_control -z "$pid" >/dev/null || die "$name: callgrind_control -z $pid failed"
    fi
    out=$($CLIENT wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${args[@]}" "$url")
    if [ -n "$CALLGRIND" ]; then
        rm -f "$WORK"/callgrind."$pid".*
        callgrind_control -d "$pid" >/dev/null || die "$name: callgrind_control -d $pid failed"
        local dump
        dump=$(ls -t "$WORK"/callgrind."$pid".* 2>/dev/null | head -1)
        [ -n "$dump" ] || die "$name: callgrind wrote no profile"
        mv "$dump" "$CALLGRIND/$name.callgrind"
    fi
    if grep -q "Non-2xx or 3xx responses" <<<"$out"; then
        echo "$out" >&2; die "$name: non-2xx answers while measuring"
    fi
    if grep -q "Socket errors" <<<"$out"; then
        echo "$out" >&2; die "$name: socket errors while measuring"
    fi
    python3 - "$name" >> "$WORK/results" <<EOF
import re, sys
out = """$out"""
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
print(sys.argv[1], rps, p50, p99)
EOF
    if [ -n "$CALLGRIND" ]; then
        profile "$name" "$(grep -oE '^ *[0-9]+ requests in' <<<"$out" | grep -oE '[0-9]+')"
    fi
}

# profile name requests: instructions per request of the dump, and the top inclusive functions
# per request (callgrind_annotate --inclusive=yes), appended to $CALLGRIND/report.txt.
profile() {
    local name=$1 requests=$2
    callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$CALLGRIND/$name.callgrind" \
        > "$CALLGRIND/$name.annotate.txt" 2>/dev/null || die "$name: callgrind_annotate failed"
    python3 - "$name" "$requests" "$CALLGRIND/$name.annotate.txt" "$TOP" >> "$CALLGRIND/report.txt" <<'EOF'
import re, sys
name, requests, path, top = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rows, total = [], None
for line in open(path, errors="replace"):
    m = re.match(r"^\s*([\d,]+)(?: \(\s*[\d.]+%\))?\s+(.*)$", line)
    if not m:
        continue
    ir, what = int(m.group(1).replace(",", "")), m.group(2).strip()
    if what.startswith("PROGRAM TOTALS"):
        total = ir
    elif total is not None:
        # "file:function [object]" -> "function [object's file name]"
        m = re.match(r"^(?:[^:\s]*:)?(.*?)(?: \[(?:.*/)?([^/\]]+)\])?$", what)
        rows.append((ir, f"{m.group(1)} [{m.group(2)}]" if m.group(2) else m.group(1)))
print(f"{name}: {total / requests:,.0f} instructions/request ({requests} requests, {total:,} Ir)")
# The outer frames (main, thread starts, the runtime's loops) include nearly everything.
inner = [(ir, what) for ir, what in rows if ir < 0.97 * total]
for ir, what in inner[:top]:
    print(f"  {ir / requests:>10,.0f}  {what[:150]}")
print()
EOF
}

say "measuring: $ROUNDS round(s) of ${DURATION}s per configuration, wrk -t1 -c$CONNECTIONS, $PINNING$( [ -n "$CALLGRIND" ] && echo ", under callgrind")"
: > "$WORK/results"
[ -z "$CALLGRIND" ] || : > "$CALLGRIND/report.txt"
for round in $(seq "$ROUNDS"); do
    for config in "${CONFIGS[@]}"; do
        IFS='|' read -r -a f <<<"$config"
        printf '   round %s: %s\n' "$round" "${f[0]}"
        measure "${f[@]}"
    done
done

NA_LINES=""
for n in "${!NA[@]}"; do NA_LINES+="$n|${NA[$n]}"$'\n'; done
python3 - "$WORK/results" "$ROUNDS" "${STACK_START_MS:-}" <<EOF
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50, p99 = line.split()
    rows.setdefault(name, []).append((float(rps), float(p50), float(p99)))
med = {n: tuple(statistics.median(v[i] for v in runs) for i in range(3)) for n, runs in rows.items()}
na = dict(l.split("|", 1) for l in """$NA_LINES""".splitlines() if l)
print()
print(f"{'configuration':<18} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}   (median of {sys.argv[2]} round(s))")
for n in list(med) + sorted(na):
    if n in med:
        rps, p50, p99 = med[n]
        print(f"{n:<18} {rps:>10.0f} {p50:>8.3f} {p99:>8.3f}")
    else:
        print(f"{n:<18} {'n/a':>10}   {na[n]}")
def ratio(a, b, goal=None, label=""):
    if a in med and b in med:
        r = med[a][0] / med[b][0]
        g = "" if goal is None else f"   goal >= {goal}: {'met' if r >= goal else 'missed'}"
        print(f"  {a} / {b}: {r:.2f}{g}")
print()
print("ratios (req/s):")
ratio("gw-jwt-pep", "nginx-proxy", 0.8)
ratio("gw-jwt-pep", "apache-oidc", 3.5)
ratio("gw-opaque-pep", "gw-jwt-pep", 1.0)
ratio("kong-oidc-bearer", "gw-jwt-pep", 0.9)
ratio("gw-none", "nginx-proxy")
ratio("op-token", "node-token", 10)
ratio("op-introspect", "node-introspect", 10)
ratio("op-discovery", "node-discovery")
ratio("op-jwks", "node-jwks")
for n in ("gw-jwt-pep", "gw-opaque-pep", "op-token", "op-introspect"):
    if n in med:
        print(f"  {n} p99 {med[n][2]:.3f} ms   goal < 2 ms: {'met' if med[n][2] < 2 else 'missed'}")
if sys.argv[3]:
    print(f"  gatecheck stack start (gatecheck up --ephemeral, until its JSON line): {sys.argv[3]} ms")
EOF
if [ -n "$CALLGRIND" ]; then
    echo
    echo "instructions per request (callgrind; the requests/s above are valgrind's, not comparable):"
    cat "$CALLGRIND/report.txt"
    echo "profiles: $CALLGRIND/<configuration>.callgrind (callgrind_annotate --inclusive=yes FILE)"
fi
