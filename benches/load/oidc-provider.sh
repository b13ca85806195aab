#!/usr/bin/env bash
# node oidc-provider, pinned, in gatecheck's npm cache ($GATECHECK_NPM_CACHE, default
# ~/.cache/gatecheck/npm): the load bench's peer OP and the generic OP driver's live target
# (harness/tests/target_oidc_provider.rs). Sourced by benches/load/run.sh and .ci/run; run directly it
# installs and exits 0 when oidc-provider@$OIDC_PROVIDER_VERSION is there.
OIDC_PROVIDER_VERSION=9.13.3
NPM_CACHE=${GATECHECK_NPM_CACHE:-$HOME/.cache/gatecheck/npm}

# Installs node, npm (Debian packages, as root) and oidc-provider when missing; prints why not
# and returns 1 when it cannot.
ensure_oidc_provider() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null 2>&1 ||
                { apt-get update -qq >/dev/null 2>&1 &&
                  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null 2>&1; } || true
        fi
        if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
            echo "SKIPPED: node oidc-provider (install nodejs npm)"
            return 1
        fi
    fi
    if [ -d "$NPM_CACHE/node_modules/oidc-provider" ] &&
       grep -q "\"version\": \"$OIDC_PROVIDER_VERSION\"" "$NPM_CACHE/node_modules/oidc-provider/package.json"; then
        return 0
    fi
    echo "== installing oidc-provider@$OIDC_PROVIDER_VERSION into $NPM_CACHE"
    mkdir -p "$NPM_CACHE"
    [ -f "$NPM_CACHE/package.json" ] || echo '{"name":"gatecheck-load-peers","private":true}' > "$NPM_CACHE/package.json"
    (cd "$NPM_CACHE" && npm install --no-audit --no-fund --silent "oidc-provider@$OIDC_PROVIDER_VERSION" >/dev/null 2>&1) ||
        { echo "SKIPPED: node oidc-provider (npm install oidc-provider@$OIDC_PROVIDER_VERSION failed)"; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    ensure_oidc_provider
fi
