//! `containers:` in a target file: components the harness starts itself through `testcontainers`
//! (any Docker-API engine: Docker, or podman's `system service`, see [`super::engine`]) before
//! the run and removes afterwards.
//!
//! ```yaml
//! containers:
//!   keycloak:
//!     image: quay.io/keycloak/keycloak:26.0
//!     command: [start-dev, --import-realm]
//!     env: {KC_BOOTSTRAP_ADMIN_USERNAME: admin, KC_BOOTSTRAP_ADMIN_PASSWORD: admin}
//!     ports: [8080]                  # or "18080:8080" for a fixed host port
//!     wait: {http: /realms/kong, port: 8080}   # or {log: "Listening on"}
//!     mounts: [{source: keycloak, target: /opt/keycloak/data/import}]
//! op:
//!   issuer: http://${keycloak:8080}/realms/kong
//! ```
//!
//! `${NAME:PORT}` in the file's URLs (`op.issuer`, `gateway.proxy`, `gateway.admin`, `oxd`,
//! `upstreams.*`) becomes the host and port the container's PORT is published on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use testcontainers::core::{AccessMode, ContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::engine::Engine;
use super::file::TargetFile;

/// How long a container may take to become ready when the file does not say.
const DEFAULT_STARTUP_SECS: u64 = 120;

/// A container the harness starts for the run.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    /// `name[:tag]` (tag default `latest`).
    pub image: String,
    /// Replaces the image's entrypoint.
    #[serde(default)]
    pub entrypoint: Option<String>,
    /// The command (arguments to the entrypoint).
    #[serde(default)]
    pub command: Vec<String>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Container ports to publish: `8080` (on a free host port) or `"18080:8080"`.
    #[serde(default)]
    pub ports: Vec<PortValue>,
    /// When the container is ready; default: as soon as it runs.
    #[serde(default)]
    pub wait: Option<WaitSpec>,
    /// Host files or directories to mount.
    #[serde(default)]
    pub mounts: Vec<MountSpec>,
    /// Seconds the container may take to become ready (default 120).
    #[serde(default)]
    pub startup_timeout: Option<u64>,
}

/// A port as written: a number or `"HOST:CONTAINER"`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum PortValue {
    /// A container port, published on a free host port.
    Port(u16),
    /// `"CONTAINER"` or `"HOST:CONTAINER"`.
    Text(String),
}

/// A published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortMapping {
    /// The port inside the container.
    pub container: u16,
    /// A fixed host port, or `None` for a free one.
    pub host: Option<u16>,
}

impl PortValue {
    /// The mapping it says, or what is wrong with it.
    pub fn mapping(&self) -> Result<PortMapping, String> {
        let port = |s: &str| {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{s:?} is not a port (1-65535)"))
        };
        match self {
            PortValue::Port(0) => Err("0 is not a port (1-65535)".into()),
            PortValue::Port(p) => Ok(PortMapping {
                container: *p,
                host: None,
            }),
            PortValue::Text(t) => match t.split_once(':') {
                Some((host, container)) => Ok(PortMapping {
                    container: port(container)?,
                    host: Some(port(host)?),
                }),
                None => Ok(PortMapping {
                    container: port(t)?,
                    host: None,
                }),
            },
        }
    }
}

/// When a container is ready: a log line, or an HTTP answer.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WaitSpec {
    /// Text of a line on the container's stdout or stderr.
    #[serde(default)]
    pub log: Option<String>,
    /// Path that answers once the container is ready (`/health/ready`).
    #[serde(default)]
    pub http: Option<String>,
    /// Container port of `http` (default: the first of `ports`).
    #[serde(default)]
    pub port: Option<u16>,
    /// Status `http` must answer (default: any 2xx).
    #[serde(default)]
    pub status: Option<u16>,
}

/// A host file or directory mounted into the container.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MountSpec {
    /// Host path, relative to the target file's directory.
    pub source: String,
    /// Absolute path in the container.
    pub target: String,
    /// Mount it writable (default: read-only).
    #[serde(default)]
    pub writable: bool,
}

impl ContainerSpec {
    /// Checks the container `name` of a file in `dir` (mount sources are looked for there).
    pub fn check(&self, name: &str, dir: Option<&Path>) -> anyhow::Result<()> {
        let at = format!("containers.{name}");
        anyhow::ensure!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{at}: a container's name is letters, digits, - and _"
        );
        let (image, tag) = self.image_and_tag();
        anyhow::ensure!(
            !image.is_empty() && !tag.is_empty() && !self.image.contains(char::is_whitespace),
            "{at}.image: {:?} is not an image reference (name[:tag])",
            self.image
        );
        let mut seen = Vec::new();
        for (i, p) in self.ports.iter().enumerate() {
            let m = p
                .mapping()
                .map_err(|e| anyhow::anyhow!("{at}.ports[{i}]: {e}"))?;
            anyhow::ensure!(
                !seen.contains(&m.container),
                "{at}.ports[{i}]: port {} is listed twice",
                m.container
            );
            seen.push(m.container);
        }
        if let Some(w) = &self.wait {
            match (&w.log, &w.http) {
                (Some(_), Some(_)) | (None, None) => {
                    anyhow::bail!("{at}.wait: give either `log` (a line) or `http` (a path)")
                }
                (Some(line), None) => {
                    anyhow::ensure!(!line.is_empty(), "{at}.wait.log: must not be empty");
                    anyhow::ensure!(
                        w.port.is_none() && w.status.is_none(),
                        "{at}.wait: `port` and `status` go with `http`"
                    );
                }
                (None, Some(path)) => {
                    anyhow::ensure!(
                        path.starts_with('/'),
                        "{at}.wait.http: {path:?} is not a path (/...)"
                    );
                    let port = w.port.or(seen.first().copied());
                    match port {
                        None => anyhow::bail!("{at}.wait.port: the container publishes no port"),
                        Some(p) => anyhow::ensure!(
                            seen.contains(&p),
                            "{at}.wait.port: {p} is not one of the container's ports"
                        ),
                    }
                    if let Some(s) = w.status {
                        anyhow::ensure!(
                            (100..600).contains(&s),
                            "{at}.wait.status: {s} is not an HTTP status"
                        );
                    }
                }
            }
        }
        for (i, m) in self.mounts.iter().enumerate() {
            anyhow::ensure!(
                m.target.starts_with('/'),
                "{at}.mounts[{i}].target: {:?} is not an absolute path",
                m.target
            );
            let source = source_path(dir, &m.source);
            anyhow::ensure!(
                source.exists(),
                "{at}.mounts[{i}].source: {} does not exist",
                source.display()
            );
        }
        if let Some(0) = self.startup_timeout {
            anyhow::bail!("{at}.startup_timeout: must be at least 1 second");
        }
        Ok(())
    }

    /// The container ports it publishes.
    pub fn container_ports(&self) -> Vec<u16> {
        self.ports
            .iter()
            .filter_map(|p| p.mapping().ok())
            .map(|m| m.container)
            .collect()
    }

    fn image_and_tag(&self) -> (&str, &str) {
        // A colon after the last slash is the tag's; one before it is a registry's port.
        let slash = self.image.rfind('/').map_or(0, |i| i + 1);
        match self.image[slash..].rfind(':') {
            Some(i) => (&self.image[..slash + i], &self.image[slash + i + 1..]),
            None => (&self.image, "latest"),
        }
    }

    fn request(
        &self,
        dir: Option<&Path>,
    ) -> anyhow::Result<testcontainers::ContainerRequest<GenericImage>> {
        let (name, tag) = self.image_and_tag();
        let mut image = GenericImage::new(name, tag);
        if let Some(e) = &self.entrypoint {
            image = image.with_entrypoint(e);
        }
        let mappings: Vec<PortMapping> = self
            .ports
            .iter()
            .map(|p| p.mapping().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()?;
        for m in mappings.iter().filter(|m| m.host.is_none()) {
            image = image.with_exposed_port(ContainerPort::Tcp(m.container));
        }
        if let Some(w) = &self.wait {
            image = image.with_wait_for(match (&w.log, &w.http) {
                (Some(line), _) => WaitFor::message_on_either_std(line.clone()),
                // Polled by the harness once the port is known ([`wait_http`]).
                _ => WaitFor::Nothing,
            });
        }
        let mut request = image.with_startup_timeout(Duration::from_secs(
            self.startup_timeout.unwrap_or(DEFAULT_STARTUP_SECS),
        ));
        for m in mappings.iter() {
            if let Some(host) = m.host {
                request = request.with_mapped_port(host, ContainerPort::Tcp(m.container));
            }
        }
        for (k, v) in &self.env {
            request = request.with_env_var(k, v);
        }
        if !self.command.is_empty() {
            request = request.with_cmd(self.command.clone());
        }
        for m in &self.mounts {
            let source = source_path(dir, &m.source);
            let source = source
                .canonicalize()
                .with_context(|| format!("mount source {}", source.display()))?;
            let mount = Mount::bind_mount(source.to_string_lossy(), &m.target);
            request = request.with_mount(if m.writable {
                mount.with_access_mode(AccessMode::ReadWrite)
            } else {
                mount.with_access_mode(AccessMode::ReadOnly)
            });
        }
        Ok(request)
    }
}

/// Polls `http://{at}{wait.http}` until it answers `wait.status` (or any 2xx) or the
/// container's startup timeout passes. testcontainers' own HTTP wait reads the published port
/// as Docker reports it and misses podman's (whose host address is empty), so the harness asks
/// the engine for the port and polls it itself.
async fn wait_http(
    name: &str,
    spec: &ContainerSpec,
    wait: &WaitSpec,
    at: &str,
) -> anyhow::Result<()> {
    let url = format!("http://{at}{}", wait.http.as_deref().unwrap_or("/"));
    let limit = Duration::from_secs(spec.startup_timeout.unwrap_or(DEFAULT_STARTUP_SECS));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let deadline = tokio::time::Instant::now() + limit;
    let mut last;
    loop {
        match http.get(&url).send().await {
            Ok(r)
                if wait
                    .status
                    .map_or(r.status().is_success(), |s| r.status() == s) =>
            {
                return Ok(())
            }
            Ok(r) => last = format!("answered {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "containers.{name}: {} did not start: GET {url} was not ready within {limit:?} \
             ({last})",
            spec.image
        );
        // Polling a process in a container: there is nothing to wait on instead.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn source_path(dir: Option<&Path>, source: &str) -> PathBuf {
    match dir {
        Some(d) => d.join(source),
        None => PathBuf::from(source),
    }
}

/// Replaces every `${NAME:PORT}` in `text` (the field `at`) by what `lookup` gives, naming the
/// field when a container or port is not the file's.
pub fn expand(
    at: &str,
    text: &str,
    lookup: &dyn Fn(&str, u16) -> Option<String>,
) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| anyhow::anyhow!("{at}: unclosed ${{ in {text:?}"))?;
        let inner = &after[..end];
        let (name, port) = inner.split_once(':').ok_or_else(|| {
            anyhow::anyhow!("{at}: ${{{inner}}} is not ${{CONTAINER:PORT}} (in {text:?})")
        })?;
        let port: u16 = port.parse().map_err(|_| {
            anyhow::anyhow!("{at}: {port:?} in ${{{inner}}} is not a port (in {text:?})")
        })?;
        let value = lookup(name, port).ok_or_else(|| {
            anyhow::anyhow!(
                "{at}: ${{{inner}}} names no port {port} of a container {name:?} under \
                 `containers:`"
            )
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Applies `f` to every URL of the file that may name a container's port.
pub fn map_urls(
    file: &mut TargetFile,
    f: &dyn Fn(&str, &str) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    file.op.issuer = f("op.issuer", &file.op.issuer)?;
    if let Some(g) = &mut file.gateway {
        g.proxy = f("gateway.proxy", &g.proxy)?;
        if let Some(s) = &mut g.proxy_ssl {
            *s = f("gateway.proxy_ssl", s)?;
        }
        if let Some(a) = &mut g.admin {
            *a = f("gateway.admin", a)?;
        }
    }
    if let Some(o) = &mut file.oxd {
        *o = f("oxd", o)?;
    }
    for (name, url) in file.upstreams.iter_mut() {
        *url = f(&format!("upstreams.{name}"), url)?;
    }
    Ok(())
}

/// The containers of a run, started; [`Containers::stop`] removes them.
pub struct Containers {
    running: Vec<(String, ContainerAsync<GenericImage>)>,
    engine: Option<Engine>,
}

impl std::fmt::Debug for Containers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Containers")
            .field(
                "running",
                &self
                    .running
                    .iter()
                    .map(|(n, c)| (n, c.id()))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Containers {
    /// Starts the file's containers (none: nothing happens) and returns the file with
    /// `${NAME:PORT}` replaced by where each port is published.
    pub async fn start(mut file: TargetFile) -> anyhow::Result<(TargetFile, Containers)> {
        let mut this = Containers {
            running: Vec::new(),
            engine: None,
        };
        if file.containers.is_empty() {
            return Ok((file, this));
        }
        this.engine = Some(Engine::connect().await?);
        let mut published: BTreeMap<(String, u16), String> = BTreeMap::new();
        for (name, spec) in &file.containers {
            let request = spec.request(file.dir.as_deref())?;
            let started = request.start().await.with_context(|| {
                format!(
                    "containers.{name}: {} did not start (engine {})",
                    spec.image,
                    this.engine.as_ref().map_or("?", |e| e.docker_host())
                )
            });
            let container = match started {
                Ok(c) => c,
                Err(e) => {
                    this.stop().await;
                    return Err(e);
                }
            };
            // testcontainers' own guess inside a container is the bridge's gateway, which a
            // rootful podman does not forward to: a local engine's ports are on this machine.
            let engine = this.engine.as_ref().expect("connected above");
            let host = engine.host();
            for port in spec.container_ports() {
                match engine.published(container.id(), port).await {
                    Ok((ip, p)) => {
                        let host = match ip {
                            Some(std::net::IpAddr::V6(v6)) => format!("[{v6}]"),
                            Some(v4) => v4.to_string(),
                            None => host.clone(),
                        };
                        published.insert((name.clone(), port), format!("{host}:{p}"));
                    }
                    Err(e) => {
                        this.running.push((name.clone(), container));
                        this.stop().await;
                        return Err(e).context(format!("containers.{name}: port {port}"));
                    }
                }
            }
            this.running.push((name.clone(), container));
            if let Some(w) = spec.wait.as_ref().filter(|w| w.http.is_some()) {
                let port = w.port.or(spec.container_ports().first().copied());
                let at = port.and_then(|p| published.get(&(name.clone(), p)));
                let waited = match at {
                    Some(at) => wait_http(name, spec, w, at).await,
                    None => Err(anyhow::anyhow!(
                        "containers.{name}.wait.port: not published"
                    )),
                };
                if let Err(e) = waited {
                    this.stop().await;
                    return Err(e);
                }
            }
        }
        let lookup = |name: &str, port: u16| published.get(&(name.to_owned(), port)).cloned();
        if let Err(e) = map_urls(&mut file, &|at, text| expand(at, text, &lookup)) {
            this.stop().await;
            return Err(e);
        }
        Ok((file, this))
    }

    /// Names and container ids of what runs.
    pub fn ids(&self) -> Vec<(String, String)> {
        self.running
            .iter()
            .map(|(n, c)| (n.clone(), c.id().to_owned()))
            .collect()
    }

    /// Removes the containers and stops the engine the harness started, if it did.
    pub async fn stop(self) {
        for (name, container) in self.running {
            if let Err(e) = container.rm().await {
                eprintln!("warning: containers.{name} was not removed: {e}");
            }
        }
        if let Some(engine) = self.engine {
            engine.stop().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> ContainerSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn ports_are_numbers_or_host_colon_container() {
        assert_eq!(
            PortValue::Port(8080).mapping(),
            Ok(PortMapping {
                container: 8080,
                host: None
            })
        );
        assert_eq!(
            PortValue::Text("18080:8080".into()).mapping(),
            Ok(PortMapping {
                container: 8080,
                host: Some(18080)
            })
        );
        assert!(PortValue::Text("x:8080".into()).mapping().is_err());
        assert!(PortValue::Port(0).mapping().is_err());
    }

    #[test]
    fn image_references_split_at_the_tag_not_the_registry_port() {
        let s = spec("{image: 'localhost:5000/kc/keycloak:26.0'}");
        assert_eq!(s.image_and_tag(), ("localhost:5000/kc/keycloak", "26.0"));
        let s = spec("{image: 'localhost:5000/kc'}");
        assert_eq!(s.image_and_tag(), ("localhost:5000/kc", "latest"));
    }

    #[test]
    fn checks_name_the_field() {
        let err = |yaml: &str| format!("{:#}", spec(yaml).check("kc", None).unwrap_err());
        assert!(err("{image: 'a b'}").contains("containers.kc.image"));
        assert!(err("{image: a, ports: ['x']}").contains("containers.kc.ports[0]"));
        assert!(err("{image: a, ports: [80, '8080:80']}").contains("listed twice"));
        assert!(err("{image: a, ports: [80], wait: {}}").contains("containers.kc.wait"));
        assert!(err("{image: a, wait: {http: /h}}").contains("containers.kc.wait.port"));
        assert!(
            err("{image: a, ports: [80], wait: {http: /h, port: 81}}").contains("81 is not one of")
        );
        assert!(err("{image: a, ports: [80], wait: {http: h}}").contains("wait.http"));
        assert!(err("{image: a, mounts: [{source: /no/such, target: /x}]}")
            .contains("containers.kc.mounts[0].source"));
        assert!(err("{image: a, mounts: [{source: /, target: x}]}")
            .contains("containers.kc.mounts[0].target"));
        assert!(err("{image: a, startup_timeout: 0}").contains("startup_timeout"));
        spec("{image: a, ports: [80], wait: {http: /h}, mounts: [{source: /, target: /x}]}")
            .check("kc", None)
            .unwrap();
    }

    #[test]
    fn placeholders_become_published_ports_and_unknown_ones_name_the_field() {
        let lookup = |n: &str, p: u16| (n == "kc" && p == 8080).then(|| "127.0.0.1:4321".into());
        assert_eq!(
            expand("op.issuer", "http://${kc:8080}/realms/kong", &lookup).unwrap(),
            "http://127.0.0.1:4321/realms/kong"
        );
        let e = expand("op.issuer", "http://${kc:9}/", &lookup).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("op.issuer: ${kc:9} names no port 9"),
            "{e}"
        );
        let e = expand("oxd", "http://${kc}/", &lookup).unwrap_err();
        assert!(e.to_string().contains("CONTAINER:PORT"), "{e}");
        let e = expand("oxd", "http://${kc:8080/", &lookup).unwrap_err();
        assert!(e.to_string().contains("unclosed"), "{e}");
    }
}
