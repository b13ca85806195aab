//! Target files: `gatecheck target check` and `gatecheck run --target` against gatecheck's own
//! components started as separate processes (an OP alone; OP, oxd, gateway and upstreams
//! configured through their APIs), scenarios skipped with their reasons, and bad files.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

mod common;
use common::{gatecheck, terminate, wait};

/// A component started for a test; stopped (SIGTERM, then killed) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        terminate(&self.0);
        let _ = wait(&mut self.0, Duration::from_secs(10));
    }
}

/// Starts `gatecheck ARGS` and returns the URLs of its first `lines` announcement lines.
fn start(args: &[&str], lines: usize) -> (Process, Vec<String>) {
    let mut child = gatecheck()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn gatecheck");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let process = Process(child);
    let mut urls = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        out.read_line(&mut line).expect("read the announcement");
        let at = line
            .find("https://")
            .or_else(|| line.find("http://"))
            .unwrap_or_else(|| panic!("{args:?}: no URL in {line:?}"));
        urls.push(line[at..].split_whitespace().next().unwrap().to_owned());
    }
    // Keep reading (and dropping) what the component prints so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    (process, urls)
}

fn features(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../features")
        .join(name)
}

fn run(args: &[&str]) -> (Output, String, String) {
    let out = gatecheck().args(args).output().expect("run gatecheck");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The OP configuration of the tutorials' combined stack (every seed's users, acr values,
/// spontaneous-scope and introspection policy), for an OP process on its own listener.
fn op_config(dir: &Path) -> PathBuf {
    scenario_op_config(dir, "combined", &[])
}

/// The OP section of `scenarios/NAME.yml` with the `${...}` placeholders in `values` filled, for
/// an OP process on its own listener: its issuer is the listen address, its keys are generated.
fn scenario_op_config(dir: &Path, name: &str, values: &[(&str, &str)]) -> PathBuf {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.yml"));
    let mut text = std::fs::read_to_string(scenario).unwrap();
    for (k, v) in values {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut op = doc["op"].clone();
    let map = op.as_mapping_mut().unwrap();
    map.remove("issuer");
    map.remove("keys");
    write(
        dir,
        &format!("{name}-op.yml"),
        &serde_yaml::to_string(&op).unwrap(),
    )
}

#[test]
fn bad_target_files_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.yml",
        "op:\n  issuer: http://127.0.0.1:1\n  users:\n    - {username: a, password: b, role: x}\n",
    );
    let (out, _, stderr) = run(&["target", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("op.users[0]"), "{stderr}");
    assert!(stderr.contains("role"), "{stderr}");

    let (out, _, stderr) = run(&["run", "--target", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("op.users[0]"), "{stderr}");

    let missing = dir.path().join("missing.yml");
    let (out, _, stderr) = run(&["target", "check", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing.yml"), "{stderr}");
}

#[test]
fn target_check_reports_a_component_that_does_not_answer() {
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "down.yml",
        &format!("op: {{issuer: \"http://127.0.0.1:{port}\"}}\n"),
    );
    let (out, stdout, stderr) = run(&["target", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("UNREACHABLE"), "{stdout}");
    assert!(stdout.contains("capabilities: unknown"), "{stdout}");
}

#[test]
fn op_scenarios_run_against_an_op_process_and_the_rest_is_skipped_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let config = op_config(dir.path());
    let (_op, urls) = start(
        &[
            "op",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let issuer = &urls[0];
    let target = write(
        dir.path(),
        "op-only.yml",
        &format!(
            "op:\n  issuer: {issuer}\n  product: gatecheck\n  users:\n    - {{username: admin, password: secret}}\n"
        ),
    );

    let (out, stdout, stderr) = run(&["target", "check", target.to_str().unwrap()]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("token_endpoint: {issuer}/")),
        "{stdout}"
    );
    assert!(stdout.contains("yes @needs-gluu-acrs"), "{stdout}");
    assert!(
        stdout.contains("no  @needs-gluu-plugins: the target file names no gateway"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no  @needs-otp-enrollment: the target file has no op.otp"),
        "{stdout}"
    );

    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("cucumber.json");
    let (out, stdout, stderr) = run(&[
        "run",
        "--target",
        target.to_str().unwrap(),
        features("stepped_up_authentication.feature")
            .to_str()
            .unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 passed, 0 failed, 7 skipped"),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("SKIPPED: @needs-gluu-plugins (a gateway with the Gluu Gateway plugins): the target file names no gateway"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SKIPPED: @reference-only"),
        "the loop breaker changes the reference OP: {stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<skipped message=\"@needs-gluu-plugins (a gateway with the Gluu Gateway plugins): the target file names no gateway"),
        "{xml}"
    );
    assert_eq!(xml.matches("<skipped").count(), 7, "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let steps: Vec<&serde_json::Value> = report[0]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["steps"].as_array().unwrap())
        .collect();
    let skipped: Vec<_> = steps
        .iter()
        .filter(|s| s["result"]["status"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 7, "{report}");
    assert!(
        skipped
            .iter()
            .all(|s| s["name"].as_str().unwrap().starts_with("SKIPPED: @")),
        "{report}"
    );
}

#[tokio::test]
async fn gluu_gateway_features_run_against_separate_processes_configured_through_their_apis() {
    let dir = tempfile::tempdir().unwrap();
    let config = op_config(dir.path());
    let (_op, op) = start(
        &[
            "op",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let (_oxd, oxd) = start(&["oxd", "--listen", "127.0.0.1:0"], 1);
    let (_gw, gw) = start(
        &[
            "gateway",
            "--proxy-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ],
        2,
    );
    let mut upstreams = Vec::new();
    let mut keep = Vec::new();
    for (name, app) in [
        ("api", "demo-api"),
        ("echo", "echo"),
        ("website", "website"),
    ] {
        let (p, url) = start(&["upstream", app, "--listen", "127.0.0.1:0"], 1);
        keep.push(p);
        upstreams.push(format!("  {name}: {}", url[0]));
    }
    let target = write(
        dir.path(),
        "processes.yml",
        &format!(
            "name: processes\n\
             op:\n  issuer: {}\n  product: gatecheck\n  register: true\n  \
             capabilities: [spontaneous-scopes]\n  users:\n    - {{username: admin, password: secret, \
             claims: {{email: admin@example.org}}}}\n\
             gateway: {{proxy: \"{}\", admin: \"{}\", product: gatecheck}}\n\
             oxd: {}\nupstreams:\n{}\n",
            op[0],
            gw[0],
            gw[1],
            oxd[0],
            upstreams.join("\n")
        ),
    );
    let (out, stdout, stderr) = run(&[
        "run",
        "--target",
        target.to_str().unwrap(),
        features("architecture.feature").to_str().unwrap(),
        features("spontaneous_scope.feature").to_str().unwrap(),
        features("stepped_up_authentication.feature")
            .to_str()
            .unwrap(),
    ]);
    assert!(out.status.success(), "{stdout}{stderr}");
    // architecture 7 + spontaneous scope 18 + stepped-up 4 (without OTP enrollment) run; the
    // three enrollment scenarios and the loop breaker are skipped.
    assert!(
        stdout.contains("29 passed, 0 failed, 4 skipped"),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("SKIPPED: @needs-otp-enrollment"),
        "{stdout}"
    );
    // The same OP as "some other product": its pages are driven by the generic driver (the
    // form with a password input, the allow button) and its texts are not matched exactly.
    let other = std::fs::read_to_string(&target)
        .unwrap()
        .replace("product: gatecheck\n", "product: other\n");
    let other = write(dir.path(), "other.yml", &other);
    let (out, stdout, stderr) = run(&[
        "run",
        "--target",
        other.to_str().unwrap(),
        features("stepped_up_authentication.feature")
            .to_str()
            .unwrap(),
    ]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("4 passed, 0 failed, 4 skipped"),
        "{stdout}{stderr}"
    );

    // What the harness added through the Admin API is gone again.
    let client = reqwest::Client::new();
    for collection in ["services", "routes", "plugins", "consumers"] {
        let list: serde_json::Value = client
            .get(format!("{}/{collection}", gw[1]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"], serde_json::json!([]), "{collection}: {list}");
    }
}

/// Kong's OpenID Connect guides (`features/kong`) against `gatecheck gateway` and `gatecheck op`
/// as separate processes: the OP plays the guides' Keycloak realm (client `kong` and user alex
/// as the operator registered them, given in the target file), each guide's plugin is added
/// through the gateway's Admin API and removed afterwards, the httpbin upstream runs in the
/// harness.
#[tokio::test]
async fn kong_guides_run_against_separate_processes_configured_through_the_admin_api() {
    let dir = tempfile::tempdir().unwrap();
    let (_gw, gw) = start(
        &[
            "gateway",
            "--proxy-listen",
            "127.0.0.1:0",
            "--proxy-listen-ssl",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ],
        3,
    );
    // proxy, proxy (TLS), admin API
    let (proxy, proxy_ssl, admin) = (&gw[0], &gw[1], &gw[2]);
    let config = scenario_op_config(dir.path(), "kong-oidc", &[("gateway.proxy", proxy)]);
    let (_op, op) = start(
        &[
            "op",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let target = write(
        dir.path(),
        "kong-processes.yml",
        &format!(
            "name: kong-processes\n\
             op:\n  issuer: {}\n  product: gatecheck\n  \
             clients:\n    kong: {{client_id: kong, client_secret: UNT3GPzCKI7zUbhAmFSUGbj4wmiBDGiW, \
             redirect_uris: [\"{}/anything\"]}}\n  \
             users:\n    - {{username: alex, password: doe}}\n\
             gateway: {{proxy: \"{}\", proxy_ssl: \"{}\", admin: \"{}\", product: gatecheck}}\n",
            op[0], proxy, proxy, proxy_ssl, admin
        ),
    );
    let (out, stdout, stderr) = run(&["target", "check", target.to_str().unwrap()]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("yes @needs-kong-oidc"), "{stdout}");

    // Every guide, kong-oauth2's token requests on the TLS listener the file names.
    let mut guides: Vec<String> = std::fs::read_dir(features("kong"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    guides.sort();
    assert!(guides.len() >= 13, "{guides:?}");
    let mut args = vec!["run", "--target", target.to_str().unwrap()];
    args.extend(guides.iter().map(String::as_str));
    let (out, stdout, stderr) = run(&args);
    assert!(out.status.success(), "{stdout}{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    // kong-oauth2's token expiry, auth-code-flow's idle session expiry and auth-code-sessions'
    // timeouts and token refreshes (five) move the reference gateway's clock: skipped, with why.
    assert!(
        last.ends_with(" passed, 0 failed, 7 skipped"),
        "{stdout}{stderr}"
    );
    assert!(stdout.contains("SKIPPED: @reference-only"), "{stdout}");
    let passed: usize = last.split_whitespace().next().unwrap().parse().unwrap();
    assert!(passed >= 40, "{stdout}");

    // The services, routes, plugins and consumers the harness added through the Admin API are
    // gone again.
    let client = reqwest::Client::new();
    for collection in ["services", "routes", "plugins", "consumers"] {
        let list: serde_json::Value = client
            .get(format!("{admin}/{collection}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"], serde_json::json!([]), "{collection}: {list}");
    }
}

#[test]
fn a_preconfigured_gateway_is_only_read_and_scenarios_that_configure_one_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let config = op_config(dir.path());
    let (_op, op) = start(
        &[
            "op",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let kong = write(
        dir.path(),
        "kong.yml",
        "_format_version: \"3.0\"\nservices:\n  - name: echo\n    url: http://127.0.0.1:9\n    routes: [{name: echo, paths: [/echo]}]\n",
    );
    let (_gw, gw) = start(
        &[
            "gateway",
            "--config",
            kong.to_str().unwrap(),
            "--proxy-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ],
        2,
    );
    let target = write(
        dir.path(),
        "preconfigured.yml",
        &format!(
            "op: {{issuer: \"{}\", product: gatecheck}}\n\
             gateway: {{proxy: \"{}\", admin: \"{}\", preconfigured: true}}\n",
            op[0], gw[0], gw[1]
        ),
    );
    let (out, stdout, stderr) = run(&["target", "check", target.to_str().unwrap()]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("admin (read only: preconfigured)"),
        "{stdout}"
    );
    assert!(stdout.contains("enabled plugins: "), "{stdout}");
    assert!(stdout.contains("gluu-oauth-pep"), "{stdout}");
    assert!(
        stdout.contains("no  @needs-gateway-admin: the gateway is preconfigured"),
        "{stdout}"
    );
    assert!(stdout.contains("yes @needs-gluu-plugins"), "{stdout}");

    let (out, stdout, stderr) = run(&[
        "run",
        "--target",
        target.to_str().unwrap(),
        features("architecture.feature").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("0 passed, 0 failed, 7 skipped"), "{stdout}");
    assert!(
        stdout.contains(
            "the gateway is preconfigured: the harness does not change its configuration"
        ),
        "{stdout}"
    );
    // Nothing was added to (or removed from) the gateway's own configuration.
    let services = get_text(&format!("{}/services", gw[1]));
    assert!(services.contains("\"name\":\"echo\""), "{services}");
    assert!(!services.contains("oauth-demo"), "{services}");
}

/// The body of a GET, from a test that is not async.
fn get_text(url: &str) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}

#[tokio::test]
async fn upstreams_the_file_does_not_name_run_on_bind_and_reach_the_gateway_by_the_advertised_name()
{
    use gatecheck_harness::scenario::Scenario;
    use gatecheck_harness::target::{External, ExternalStack, TargetFile};

    let dir = tempfile::tempdir().unwrap();
    let config = op_config(dir.path());
    let (_op, op) = start(
        &[
            "op",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let (_oxd, oxd) = start(&["oxd", "--listen", "127.0.0.1:0"], 1);
    let (_gw, gw) = start(
        &[
            "gateway",
            "--proxy-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ],
        2,
    );
    // No `upstreams:`: the harness serves the scenario's upstreams itself, on 127.0.0.1, and
    // tells the gateway to reach them as `localhost`.
    let text = format!(
        "name: advertised\n\
         advertise: localhost\nbind: 127.0.0.1\n\
         op:\n  issuer: {}\n  product: gatecheck\n  register: true\n  \
         capabilities: [spontaneous-scopes]\n  users:\n    - {{username: admin, password: secret, \
         claims: {{email: admin@example.org}}}}\n\
         gateway: {{proxy: \"{}\", admin: \"{}\", product: gatecheck}}\n\
         oxd: {}\n",
        op[0], gw[0], gw[1], oxd[0]
    );
    let target = write(dir.path(), "advertised.yml", &text);

    let external = External::resolve(TargetFile::load(&target).unwrap())
        .await
        .unwrap();
    let scenario = Scenario::load("spontaneous-scope").unwrap();
    let stack = ExternalStack::start(&external, &scenario).await.unwrap();
    let listening = stack.listening();
    assert!(!listening.is_empty(), "the scenario has upstreams");
    for (name, addr) in &listening {
        assert_eq!(addr.ip().to_string(), "127.0.0.1", "{name} binds `bind`");
        assert_eq!(
            stack.target.upstream_url(name).unwrap(),
            format!("http://localhost:{}", addr.port()),
            "{name}"
        );
    }
    // The gateway was given the advertised name.
    let services: serde_json::Value = reqwest::get(format!("{}/services", gw[1]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Kong answers a service's url as protocol, host and port.
    let services = services["data"].as_array().unwrap();
    assert!(!services.is_empty());
    for s in services {
        let port = s["port"].as_u64().unwrap() as u16;
        assert!(
            s["host"] == "localhost" && listening.iter().any(|(_, a)| a.port() == port),
            "{s} is one of the harness's upstreams by the advertised name ({listening:?})"
        );
    }
    let addrs: Vec<std::net::SocketAddr> = listening.iter().map(|(_, a)| *a).collect();
    stack.shutdown().await;
    for addr in addrs {
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "{addr} closed after the scenario"
        );
    }

    // The features pass through the gateway to the harness's own upstreams.
    let (out, stdout, stderr) = run(&[
        "run",
        "--target",
        target.to_str().unwrap(),
        features("architecture.feature").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("7 passed, 0 failed"), "{stdout}{stderr}");
    let (out, stdout, stderr) = run(&["target", "check", target.to_str().unwrap()]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("harness listeners: bind 127.0.0.1, reached by the target as localhost"),
        "{stdout}"
    );
}

#[test]
fn bad_containers_advertise_and_bind_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "containers: {kc: {image: kc, ports: [8080]}}\nop: {issuer: \"http://${kc:9090}\"}\n",
            "op.issuer: ${kc:9090} names no port 9090",
        ),
        (
            "op: {issuer: \"http://${kc:8080}\"}\n",
            "op.issuer: ${kc:8080} names no port 8080 of a container \"kc\"",
        ),
        (
            "containers: {kc: {image: kc, ports: [8080], wait: {http: /h, port: 1}}}\nop: {issuer: \"http://${kc:8080}\"}\n",
            "containers.kc.wait.port: 1 is not one of",
        ),
        (
            "containers: {kc: {image: kc, mounts: [{source: nowhere, target: /x}]}}\nop: {issuer: \"http://127.0.0.1:1\"}\n",
            "containers.kc.mounts[0].source",
        ),
        (
            "containers: {kc: {image: kc, volumes: []}}\nop: {issuer: \"http://127.0.0.1:1\"}\n",
            "unknown field `volumes`",
        ),
        (
            "bind: localhost\nop: {issuer: \"http://127.0.0.1:1\"}\n",
            "bind: \"localhost\" is not an IP address",
        ),
        (
            "bind: 0.0.0.0\nop: {issuer: \"http://127.0.0.1:1\"}\n",
            "advertise: required with bind 0.0.0.0",
        ),
        (
            "advertise: \"http://me:80\"\nop: {issuer: \"http://127.0.0.1:1\"}\n",
            "advertise: \"http://me:80\"",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = write(dir.path(), &format!("bad{i}.yml"), text);
        let (out, stdout, stderr) = run(&["target", "check", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
    // A mount source is found beside the file.
    std::fs::write(dir.path().join("realm.json"), "{}").unwrap();
    let file = write(
        dir.path(),
        "mount.yml",
        "containers: {kc: {image: kc, mounts: [{source: realm.json, target: /x}]}}\nop: {issuer: \"http://127.0.0.1:1\"}\n",
    );
    let parsed = gatecheck_harness::target::TargetFile::load(&file).unwrap();
    assert_eq!(parsed.containers["kc"].mounts[0].source, "realm.json");
}
