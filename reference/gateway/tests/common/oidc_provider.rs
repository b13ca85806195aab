//! node `oidc-provider` (npm, pinned; `benches/load/oidc-provider.sh` installs it, `.ci/run`
//! runs that) in the `certification` profile of `benches/load/oidc-provider.mjs`: the
//! independent OP the gateway's relying party is proven against. (The harness's
//! `harness/tests/target_oidc_provider.rs` includes this same file: one launcher.)

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The resource (RFC 8707) oidc-provider issues JWT access tokens for.
pub const API: &str = "urn:gatecheck:api";

/// The version `benches/load/oidc-provider.sh` installs.
pub const VERSION: &str = "9.13.3";

/// The node process, ended when dropped.
pub struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn npm_cache() -> PathBuf {
    std::env::var_os("GATECHECK_NPM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/gatecheck/npm")
        })
}

/// Starts oidc-provider in the certification profile with the switches `env` (see the
/// script's header: `REDIRECT_URI`, `INTROSPECTION`, ...), or says why it cannot.
pub fn start(env: &[(&str, String)]) -> Result<(Node, String), String> {
    let modules = npm_cache().join("node_modules");
    let installed =
        std::fs::read_to_string(modules.join("oidc-provider/package.json")).unwrap_or_default();
    if !installed.contains(&format!("\"version\": \"{VERSION}\"")) {
        return Err(format!(
            "oidc-provider@{VERSION} is not in {} (run benches/load/oidc-provider.sh, or .ci/run)",
            modules.display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is not installed (apt-get install nodejs)".into());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    // This file is compiled into the gateway's tests and the harness's: the script is found
    // from whichever crate's directory, up to the workspace root.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("benches/load/oidc-provider.mjs"))
        .find(|p| p.is_file())
        .ok_or("benches/load/oidc-provider.mjs is not in the workspace")?;
    let mut child = Command::new("node")
        .arg(script)
        .env("NODE_PATH", &modules)
        .env("OIDC_PROVIDER_PROFILE", "certification")
        .env("PORT", port.to_string())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("node: {e}"))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let node = Node(child);
    let mut line = String::new();
    out.read_line(&mut line).map_err(|e| e.to_string())?;
    let issuer = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| format!("oidc-provider did not start: {line:?}"))?
        .to_owned();
    // Keep reading: a closed pipe (EPIPE) would kill node at its first development warning.
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            eprintln!("oidc-provider: {line}");
        }
    });
    Ok((node, issuer))
}
