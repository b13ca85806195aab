//! node oidc-provider (npm, pinned; installed by `.ci/run` into the load bench's npm cache) as a
//! target: the generic OP driver logs in and consents on its pages, `gatecheck target check`
//! reads its capabilities from discovery, and the features run against it with every scenario
//! that needs what it lacks skipped with the reason. Skipped with a message when node or the
//! package is missing.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use gatecheck_browser::{generic, Browser};

mod common;
use common::{gatecheck, terminate, wait};

/// The version `benches/load/oidc-provider.sh` installs.
const VERSION: &str = "9.13.3";

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        terminate(&self.0);
        let _ = wait(&mut self.0, Duration::from_secs(10));
    }
}

fn npm_cache() -> PathBuf {
    std::env::var_os("GATECHECK_NPM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/gatecheck/npm")
        })
}

/// Starts oidc-provider, or says why it cannot.
fn start(redirect_uri: &str) -> Result<(Node, String), String> {
    let modules = npm_cache().join("node_modules");
    let package = modules.join("oidc-provider/package.json");
    let installed = std::fs::read_to_string(&package).unwrap_or_default();
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
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc-provider.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .env("NODE_PATH", &modules)
        .env("PORT", port.to_string())
        .env("REDIRECT_URI", redirect_uri)
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
    // Keep reading what node prints: oidc-provider logs its development warnings to stdout
    // on the first login, and a closed pipe (EPIPE) kills node mid-flow, which the browser
    // sees as a connection reset.
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            eprintln!("oidc-provider: {line}");
        }
    });
    Ok((node, issuer))
}

const REDIRECT: &str = "http://127.0.0.1:9/callback";

async fn authorize(browser: &Browser, issuer: &str) -> gatecheck_browser::Page {
    let url = format!(
        "{issuer}/auth?client_id=rp&response_type=code&scope=openid%20profile&redirect_uri={}&state=s1&nonce=n1",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    browser.open(&url).await.unwrap()
}

fn browser(issuer: &str) -> Browser {
    Browser::builder()
        .timeout(Duration::from_secs(15))
        .stay_on(issuer)
        .unwrap()
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_generic_driver_logs_in_and_consents_at_node_oidc_provider() {
    let (_node, issuer) = match start(REDIRECT) {
        Ok(x) => x,
        Err(why) => {
            eprintln!("SKIPPED: node oidc-provider: {why}");
            return;
        }
    };
    let b = browser(&issuer);
    let login = authorize(&b, &issuer).await;
    assert!(
        matches!(generic::ask(&login).unwrap(), generic::Ask::Login { .. }),
        "{}",
        login.body
    );
    let consent = generic::log_in(&b, "alex", "doe").await.unwrap();
    assert!(
        matches!(
            generic::ask(&consent).unwrap(),
            generic::Ask::Consent { .. }
        ),
        "{}",
        consent.body
    );
    let back = generic::consent(&b, true).await.unwrap();
    let to = back.location().expect("sent back to the client");
    assert!(to.as_str().starts_with(REDIRECT), "{to}");
    let q: Vec<(String, String)> = to.query_pairs().into_owned().collect();
    assert!(q.iter().any(|(k, _)| k == "code"), "{to}");
    assert!(q.contains(&("state".into(), "s1".into())), "{to}");

    // Refusing sends the user back with access_denied.
    let b = browser(&issuer);
    authorize(&b, &issuer).await;
    generic::log_in(&b, "alex", "doe").await.unwrap();
    let back = generic::consent(&b, false).await.unwrap();
    let to = back.location().expect("sent back to the client");
    assert!(to.as_str().contains("error=access_denied"), "{to}");
}

#[tokio::test]
async fn features_against_node_oidc_provider_are_skipped_with_what_it_lacks() {
    let (_node, issuer) = match start(REDIRECT) {
        Ok(x) => x,
        Err(why) => {
            eprintln!("SKIPPED: node oidc-provider: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oidc-provider.yml");
    std::fs::write(
        &file,
        format!(
            "op:\n  issuer: {issuer}\n  product: oidc-provider\n  register: true\n  users:\n    - {{username: alex, password: doe, plays: admin}}\n"
        ),
    )
    .unwrap();
    let out = gatecheck()
        .args(["target", "check", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("registration_endpoint: {issuer}/reg")),
        "{stdout}"
    );
    assert!(
        stdout.contains("yes @needs-dynamic-registration"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "no  @needs-gluu-acrs: the OP's acr_values_supported lacks auth_ldap_server and otp"
        ),
        "{stdout}"
    );

    let features = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../features/stepped_up_authentication.feature"
    );
    let out = gatecheck()
        .args(["run", "--target", file.to_str().unwrap(), features])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("0 passed, 0 failed, 8 skipped"), "{stdout}");
    assert!(
        stdout.contains("SKIPPED: @needs-gluu-acrs (an OP offering the acr values auth_ldap_server and otp): the OP's acr_values_supported lacks auth_ldap_server and otp"),
        "{stdout}"
    );
}
