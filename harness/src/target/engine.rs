//! The Docker-API engine `testcontainers` talks to: the one `DOCKER_HOST` names, Docker's or
//! podman's socket when one answers, or else a `podman system service` the harness starts on a
//! socket in a temporary directory for the run (and stops afterwards).
//!
//! The podman the harness starts reads a `containers.conf` with `default_ulimits = []` (a
//! container inside a container may not raise its limits; podman's default of setting them then
//! fails with "error setting rlimits") and, where `runc` is installed, the `runc` runtime.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

/// How long podman's service may take to open its socket.
const SERVICE_START: Duration = Duration::from_secs(20);

/// The sockets Docker and a system podman serve on.
const KNOWN_SOCKETS: [&str; 2] = ["/var/run/docker.sock", "/run/podman/podman.sock"];

/// The engine of a run.
#[derive(Debug)]
pub struct Engine {
    docker_host: String,
    service: Option<(Child, tempfile::TempDir)>,
    client: bollard::Docker,
}

impl Engine {
    /// Finds an engine that answers, or starts podman's service; sets `DOCKER_HOST` for
    /// `testcontainers` when it was not set.
    pub async fn connect() -> anyhow::Result<Engine> {
        if let Some(host) = std::env::var_os("DOCKER_HOST") {
            let host = host.to_string_lossy().into_owned();
            if let Some(path) = host.strip_prefix("unix://") {
                anyhow::ensure!(
                    answers(Path::new(path)).await,
                    "DOCKER_HOST={host}: no container engine answers on that socket"
                );
            }
            let client = bollard::Docker::connect_with_host(&host)
                .with_context(|| format!("DOCKER_HOST={host}"))?;
            return Ok(Engine {
                docker_host: host,
                service: None,
                client,
            });
        }
        for socket in KNOWN_SOCKETS {
            if answers(Path::new(socket)).await {
                return Engine::use_socket(Path::new(socket), None);
            }
        }
        let (child, dir) = start_podman().await?;
        let socket = dir.path().join("podman.sock");
        Engine::use_socket(&socket, Some((child, dir)))
    }

    fn use_socket(
        socket: &Path,
        service: Option<(Child, tempfile::TempDir)>,
    ) -> anyhow::Result<Engine> {
        let docker_host = format!("unix://{}", socket.display());
        let client = bollard::Docker::connect_with_host(&docker_host)
            .with_context(|| format!("the engine at {docker_host}"))?;
        // testcontainers reads its engine from the environment only. Set once, before any
        // container is started, by the run's one engine.
        std::env::set_var("DOCKER_HOST", &docker_host);
        Ok(Engine {
            docker_host,
            service,
            client,
        })
    }

    /// Where the container `id` publishes its TCP `port`: the host address (`None`: every
    /// address of the engine's host) and port.
    pub async fn published(
        &self,
        id: &str,
        port: u16,
    ) -> anyhow::Result<(Option<std::net::IpAddr>, u16)> {
        let info = self
            .client
            .inspect_container(id, None)
            .await
            .with_context(|| format!("inspecting container {id}"))?;
        let binding = info
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|mut ports| ports.remove(&format!("{port}/tcp")))
            .flatten()
            .and_then(|b| b.into_iter().find(|b| b.host_port.is_some()))
            .ok_or_else(|| anyhow::anyhow!("port {port} is not published"))?;
        let host_port = binding
            .host_port
            .as_deref()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("port {port}: the engine names no host port"))?;
        // Docker says 0.0.0.0 or ::, podman leaves it empty: any address of the host.
        let ip = binding
            .host_ip
            .as_deref()
            .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
            .filter(|ip| !ip.is_unspecified());
        Ok((ip, host_port))
    }

    /// The host that published ports are reached on: `TESTCONTAINERS_HOST_OVERRIDE` when set,
    /// this machine for an engine on a local socket, else the `DOCKER_HOST`'s host.
    pub fn host(&self) -> String {
        if let Some(host) = std::env::var_os("TESTCONTAINERS_HOST_OVERRIDE") {
            return host.to_string_lossy().into_owned();
        }
        url::Url::parse(&self.docker_host)
            .ok()
            .filter(|u| matches!(u.scheme(), "tcp" | "http" | "https"))
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "127.0.0.1".to_owned())
    }

    /// The `DOCKER_HOST` in use.
    pub fn docker_host(&self) -> &str {
        &self.docker_host
    }

    /// Whether the harness started podman's service itself.
    pub fn started_podman(&self) -> bool {
        self.service.is_some()
    }

    /// Stops the podman service the harness started (an engine it found is left running).
    pub async fn stop(self) {
        if let Some((mut child, _dir)) = self.service {
            if let Some(pid) = child.id() {
                // SIGTERM lets podman close its socket; kill if it does not go.
                let _ = std::process::Command::new("kill")
                    .arg(pid.to_string())
                    .status();
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
            if std::env::var("DOCKER_HOST").is_ok_and(|h| h.ends_with("/podman.sock")) {
                std::env::remove_var("DOCKER_HOST");
            }
        }
    }
}

async fn answers(socket: &Path) -> bool {
    tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::UnixStream::connect(socket),
    )
    .await
    .is_ok_and(|c| c.is_ok())
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

/// The `containers.conf` of the podman the harness starts.
pub fn containers_conf(runc: bool) -> String {
    let mut conf = String::from("[containers]\ndefault_ulimits = []\n");
    if runc {
        conf.push_str("[engine]\nruntime = \"runc\"\n");
    }
    conf
}

async fn start_podman() -> anyhow::Result<(Child, tempfile::TempDir)> {
    let podman = on_path("podman").ok_or_else(|| {
        anyhow::anyhow!(
            "no container engine: DOCKER_HOST is not set, no Docker or podman socket answers \
             ({}), and podman is not installed (apt-get install podman)",
            KNOWN_SOCKETS.join(", ")
        )
    })?;
    let dir = tempfile::Builder::new()
        .prefix("gatecheck-podman-")
        .tempdir()
        .context("a directory for podman's socket")?;
    let conf = dir.path().join("containers.conf");
    std::fs::write(&conf, containers_conf(on_path("runc").is_some()))
        .with_context(|| format!("writing {}", conf.display()))?;
    let socket = dir.path().join("podman.sock");
    let log = std::fs::File::create(dir.path().join("service.log")).context("podman's log")?;
    let mut child = Command::new(&podman)
        .args(["system", "service", "--time=0"])
        .arg(format!("unix://{}", socket.display()))
        .env("CONTAINERS_CONF", &conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} system service", podman.display()))?;
    let deadline = tokio::time::Instant::now() + SERVICE_START;
    loop {
        if answers(&socket).await {
            return Ok((child, dir));
        }
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
            anyhow::bail!("podman system service exited ({status}): {}", log.trim());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "podman system service did not open {} within {SERVICE_START:?}",
            socket.display()
        );
        // Polling an external process's socket: there is nothing to wait on instead.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_podman_config_allows_no_rlimits_and_picks_runc_when_present() {
        let c = super::containers_conf(true);
        assert!(c.contains("default_ulimits = []"), "{c}");
        assert!(c.contains("runtime = \"runc\""), "{c}");
        assert!(!super::containers_conf(false).contains("runtime"));
    }
}
