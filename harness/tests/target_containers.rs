//! `containers:` in a target file, for real: an image holding gatecheck's own binary (built
//! offline with podman from `tests/containers/Containerfile`) is started through testcontainers
//! as an external OP and as an upstream; `gatecheck target check` and `gatecheck run --target`
//! reach them by the ports the harness mapped into the file's URLs (`${NAME:PORT}`), wait for
//! them by log line and by HTTP, and remove them afterwards. The harness starts podman's
//! `system service` on a socket of its own. Skipped with the reason where podman cannot run a
//! container (install podman; `.ci/run` does).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[allow(dead_code)] // the process helpers other tests use
mod common;
use common::gatecheck;

/// Why the container engine cannot be used here, or `None`.
fn engine_missing() -> Option<String> {
    if std::env::var_os("DOCKER_HOST").is_some() || Path::new("/var/run/docker.sock").exists() {
        // The image is built with podman's CLI: the engine must be podman's own storage.
        return Some("DOCKER_HOST or a Docker socket is set up; this test builds its image with podman and needs the harness's own podman service".into());
    }
    match podman(&["info", "--format", "{{.Host.OCIRuntime.Name}}"], None) {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "podman info failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Some(format!(
            "podman is not installed ({e}); apt-get install podman"
        )),
    }
}

/// Runs podman with the configuration the harness gives its own podman service.
fn podman(args: &[&str], conf: Option<&Path>) -> std::io::Result<Output> {
    let mut cmd = Command::new("podman");
    cmd.args(args);
    if let Some(conf) = conf {
        cmd.env("CONTAINERS_CONF", conf);
    }
    cmd.output()
}

/// The shared libraries `binary` links (ldd), by their paths.
fn linked_libraries(binary: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(binary).output().expect("ldd");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with('/'))
                .map(PathBuf::from)
        })
        .collect()
}

/// An image with gatecheck's binary, removed when dropped.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = podman(&["rmi", "-f", &self.0], None);
    }
}

fn build_image(dir: &Path) -> Image {
    let context = dir.join("context");
    let rootfs = context.join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_gatecheck"));
    std::fs::copy(binary, rootfs.join("gatecheck")).unwrap();
    for lib in linked_libraries(binary) {
        let at = rootfs.join(lib.strip_prefix("/").unwrap());
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        // The library itself, not the symlink ldd names.
        std::fs::copy(&lib, &at).unwrap();
    }
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/containers/Containerfile"
        ),
        context.join("Containerfile"),
    )
    .unwrap();
    let tag = format!("localhost/gatecheck-target-test:{}", std::process::id());
    let out = podman(
        &["build", "-q", "-t", &tag, context.to_str().unwrap()],
        None,
    )
    .unwrap();
    assert!(
        out.status.success(),
        "podman build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Image(tag)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The tutorials' OP configuration with `issuer`.
fn op_config(dir: &Path, issuer: &str) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/combined.yml");
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(scenario).unwrap()).unwrap();
    let mut op = doc["op"].clone();
    let map = op.as_mapping_mut().unwrap();
    map.remove("keys");
    map.insert("issuer".into(), issuer.into());
    std::fs::write(dir.join("op.yml"), serde_yaml::to_string(&op).unwrap()).unwrap();
}

fn run(args: &[&str]) -> (Output, String) {
    let out = gatecheck()
        .args(args)
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

/// Containers made from `image` that still exist.
fn left_over(image: &str) -> String {
    let out = podman(
        &["ps", "-a", "--filter", &format!("ancestor={image}"), "-q"],
        None,
    )
    .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn containers_started_with_testcontainers_are_the_target_and_are_removed_afterwards() {
    if let Some(why) = engine_missing() {
        eprintln!("SKIPPED: the container target test: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = build_image(dir.path());
    // The OP's issuer is the URL the harness reaches it by, so its host port is fixed; the
    // upstream is published on whatever port the engine picks.
    let port = free_port();
    op_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let target = |wait: &str| {
        format!(
            "name: op-container\n\
             containers:\n\
             \x20 op:\n\
             \x20   image: {image}\n\
             \x20   command: [op, --config, /etc/gatecheck/op.yml, --listen, \"0.0.0.0:8080\"]\n\
             \x20   ports: [\"{port}:8080\"]\n\
             \x20   wait: {wait}\n\
             \x20   mounts: [{{source: op.yml, target: /etc/gatecheck/op.yml}}]\n\
             \x20 echo:\n\
             \x20   image: {image}\n\
             \x20   command: [upstream, echo, --listen, \"0.0.0.0:3001\"]\n\
             \x20   ports: [3001]\n\
             \x20   wait: {{log: echo listening on}}\n\
             op:\n\
             \x20 issuer: http://${{op:8080}}\n\
             \x20 product: gatecheck\n\
             \x20 users:\n\
             \x20   - {{username: admin, password: secret}}\n\
             upstreams:\n\
             \x20 echo: http://${{echo:3001}}\n",
            image = image.0
        )
    };
    let file = dir.path().join("containers.yml");
    std::fs::write(&file, target("{log: OP listening on}")).unwrap();
    let (out, text) = run(&["target", "check", file.to_str().unwrap()]);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("container op: "), "{text}");
    assert!(text.contains("container echo: "), "{text}");
    assert!(
        text.contains(&format!("token_endpoint: http://127.0.0.1:{port}/")),
        "{text}"
    );
    assert!(text.contains("yes @needs-gluu-acrs"), "{text}");
    // The upstream's published port replaced ${echo:3001} and answered.
    let echo_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("echo"))
        .unwrap_or_else(|| panic!("no echo line: {text}"));
    assert!(echo_line.contains("http://127.0.0.1:"), "{text}");
    assert!(!echo_line.contains("3001 "), "{echo_line}");
    assert!(!echo_line.contains("UNREACHABLE"), "{text}");
    assert_eq!(
        left_over(&image.0),
        "",
        "target check removed its containers"
    );

    std::fs::write(
        &file,
        target("{http: /.well-known/openid-configuration, port: 8080, status: 200}"),
    )
    .unwrap();
    let features = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../features/stepped_up_authentication.feature"
    );
    let (out, text) = run(&["run", "--target", file.to_str().unwrap(), features]);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed, 0 failed, 7 skipped"), "{text}");
    assert_eq!(left_over(&image.0), "", "the run removed its containers");

    // A container that never gets ready fails the check naming it, and is removed too.
    let file = dir.path().join("never.yml");
    std::fs::write(
        &file,
        format!(
            "containers:\n  op:\n    image: {}\n    command: [upstream, echo, --listen, \"0.0.0.0:3001\"]\n    \
             ports: [3001]\n    wait: {{log: a line it never prints}}\n    startup_timeout: 3\n\
             op: {{issuer: \"http://${{op:3001}}\"}}\n",
            image.0
        ),
    )
    .unwrap();
    let (out, text) = run(&["target", "check", file.to_str().unwrap()]);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("containers.op:"), "{text}");
    assert!(text.contains("did not start"), "{text}");
    assert_eq!(left_over(&image.0), "", "{text}");
}
