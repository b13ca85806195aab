//! Scenario files (`scenarios/*.yml`): one tutorial stack each.
//!
//! ```yaml
//! name: spontaneous-scope
//! description: Seed 002 ...
//! ports: {op: 8080, oxd: 8443, proxy: 8000, admin: 8001}   # the tutorial's; --ephemeral = all 0
//! op: { ...gatecheck-op config... }                          # embedded verbatim
//! oxd: { ...gatecheck-oxd config... }                        # default {}
//! sites:                                                     # oxd register-site, in order
//!   - name: consumer
//!     register: { ...register-site request; op_host defaults to ${op.issuer}... }
//! upstreams:
//!   - {name: api, app: demo-api, port: 3000}                 # app: website | demo-api | echo
//! gateway:
//!   settings: { ...gatecheck-gateway config without the declarative fields... }
//!   declarative: { _format_version: "3.0", services: [...], consumers: [...] }
//! guide:                                                     # what `gatecheck up` prints
//!   - {title: Get a token, text: "curl -X POST ${oxd.url}/get-client-token ..."}
//! ```
//!
//! Placeholders (see [`substitute`]) are filled in by the harness at start:
//!
//! | placeholder | value | usable in |
//! |---|---|---|
//! | `${op.url}` | `http://127.0.0.1:PORT` of the OP listener | every section |
//! | `${op.issuer}` | the running OP's issuer | oxd, sites, gateway, guide |
//! | `${oxd.url}` | oxd base URL | every section |
//! | `${gateway.proxy}`, `${gateway.admin}` | proxy and Admin API base URLs | every section |
//! | `${gateway.proxy_host}` | `127.0.0.1:PORT` of the proxy | every section |
//! | `${upstreams.NAME}` | base URL of upstream NAME | every section |
//! | `${sites.NAME.client_id}`, `.client_secret`, `.oxd_id` | what oxd `register-site` returned | gateway, guide |
//! | `${gui.url}` | the Admin GUI's base URL | guide |

pub mod substitute;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;

pub use substitute::{SubstituteError, Vars};

/// One tutorial stack.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stack name (the file name without `.yml`).
    pub name: String,
    /// What the stack is for.
    #[serde(default)]
    pub description: String,
    /// The tutorial's ports.
    #[serde(default)]
    pub ports: Ports,
    /// The gatecheck-op configuration (placeholders allowed).
    pub op: Value,
    /// The gatecheck-oxd configuration; default `{}`.
    #[serde(default = "empty_object")]
    pub oxd: Value,
    /// Sites registered through oxd `register-site` at start, in order.
    #[serde(default)]
    pub sites: Vec<SiteSpec>,
    /// Upstream applications.
    #[serde(default)]
    pub upstreams: Vec<UpstreamSpec>,
    /// The gateway.
    pub gateway: GatewaySpec,
    /// The Admin GUI's login.
    #[serde(default)]
    pub gui: GuiSpec,
    /// Notes and commands `gatecheck up` prints with the real values filled in.
    #[serde(default)]
    pub guide: Vec<GuideItem>,
    /// Directory of the file (relative paths in the OP config resolve against it).
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// Listening ports of the tutorial (`0` = ephemeral).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Ports {
    /// OpenID Provider; default 8080.
    pub op: u16,
    /// oxd; default 8443.
    pub oxd: u16,
    /// Kong proxy; default 8000.
    pub proxy: u16,
    /// Kong Admin API; default 8001.
    pub admin: u16,
    /// Gluu Gateway Admin GUI; default 1338.
    pub gui: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Self {
            op: 8080,
            oxd: 8443,
            proxy: 8000,
            admin: 8001,
            gui: 1338,
        }
    }
}

/// The Admin GUI's administrator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuiSpec {
    /// Login name; default `admin`.
    pub username: String,
    /// Password; absent = a random one per start (printed by `gatecheck up`).
    pub password: Option<String>,
}

impl Default for GuiSpec {
    fn default() -> Self {
        Self {
            username: "admin".into(),
            password: None,
        }
    }
}

/// A site registered through oxd at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// Name used in placeholders (`${sites.NAME.client_id}`) and steps.
    pub name: String,
    /// The `register-site` request body; `op_host` defaults to `${op.issuer}`.
    pub register: Value,
}

/// An upstream application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSpec {
    /// Name used in placeholders (`${upstreams.NAME}`).
    pub name: String,
    /// Which app: `website`, `demo-api` or `echo`.
    pub app: gatecheck_upstream::App,
    /// The tutorial's port (0 = always ephemeral).
    #[serde(default)]
    pub port: u16,
}

/// The gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySpec {
    /// gatecheck-gateway settings other than the declarative config; default `{}`.
    #[serde(default = "empty_object")]
    pub settings: Value,
    /// The Kong declarative config (`_format_version: "3.0"`).
    pub declarative: Value,
}

/// A note for the person running `gatecheck up`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideItem {
    /// Heading.
    pub title: String,
    /// Text or command (placeholders allowed).
    pub text: String,
}

/// Which ports a stack listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMode {
    /// The tutorial's ports from the scenario file.
    Tutorial,
    /// Every listener on an ephemeral port (tests).
    Ephemeral,
}

/// The directory holding the scenario files of this source tree.
pub fn scenarios_dir() -> PathBuf {
    let local = PathBuf::from("scenarios");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

impl Scenario {
    /// Parses a scenario from YAML text.
    pub fn from_yaml_str(text: &str) -> anyhow::Result<Self> {
        let scenario: Scenario = serde_yaml::from_str(text).context("invalid scenario file")?;
        scenario.check()?;
        Ok(scenario)
    }

    /// Reads a scenario file. The file is read every time, but a text already parsed in this
    /// process is not parsed again: `gatecheck run` starts hundreds of stacks from a handful of
    /// files, and YAML parsing was 4% of its CPU.
    pub fn from_path(path: &Path) -> anyhow::Result<Self> {
        type Parsed = moka::sync::Cache<(std::path::PathBuf, String), Scenario>;
        static PARSED: std::sync::LazyLock<Parsed> =
            std::sync::LazyLock::new(|| moka::sync::Cache::new(4096));
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read scenario {}", path.display()))?;
        let key = (path.to_path_buf(), text);
        if let Some(scenario) = PARSED.get(&key) {
            return Ok(scenario);
        }
        let mut scenario =
            Self::from_yaml_str(&key.1).with_context(|| format!("in {}", path.display()))?;
        scenario.base_dir = path.parent().map(Path::to_path_buf);
        PARSED.insert(key, scenario.clone());
        Ok(scenario)
    }

    /// A scenario by name (`scenarios/NAME.yml`) or by file path.
    pub fn load(name_or_path: &str) -> anyhow::Result<Self> {
        let as_path = Path::new(name_or_path);
        if as_path.is_file() {
            return Self::from_path(as_path);
        }
        let dir = scenarios_dir();
        let path = dir.join(format!("{name_or_path}.yml"));
        if path.is_file() {
            return Self::from_path(&path);
        }
        let known = Self::names().unwrap_or_default().join(", ");
        anyhow::bail!("no scenario {name_or_path:?} (known: {known}; or give a file path)")
    }

    /// Names of the scenario files in [`scenarios_dir`].
    pub fn names() -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(scenarios_dir())? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "yml") {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    names.push(stem.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// The ports to bind in a mode.
    pub fn ports(&self, mode: PortMode) -> Ports {
        match mode {
            PortMode::Tutorial => self.ports,
            PortMode::Ephemeral => Ports {
                op: 0,
                oxd: 0,
                proxy: 0,
                admin: 0,
                gui: 0,
            },
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.sites.iter().enumerate() {
            anyhow::ensure!(!s.name.is_empty(), "sites[{i}].name: must not be empty");
            anyhow::ensure!(
                seen.insert(&s.name),
                "sites[{i}].name: duplicate site {:?}",
                s.name
            );
            anyhow::ensure!(
                s.register.is_object(),
                "sites[{i}].register: must be an object"
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (i, u) in self.upstreams.iter().enumerate() {
            anyhow::ensure!(!u.name.is_empty(), "upstreams[{i}].name: must not be empty");
            anyhow::ensure!(
                seen.insert(&u.name),
                "upstreams[{i}].name: duplicate upstream {:?}",
                u.name
            );
        }
        anyhow::ensure!(
            self.op.is_object(),
            "op: must be an object (the gatecheck-op config)"
        );
        anyhow::ensure!(
            self.gateway.settings.is_object(),
            "gateway.settings: must be an object"
        );
        anyhow::ensure!(
            self.gateway.declarative.is_object(),
            "gateway.declarative: must be an object (a Kong declarative config)"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_file_parses() {
        let names = Scenario::names().unwrap();
        for expected in ["combined", "spontaneous-scope", "stepped-up-otp"] {
            assert!(
                names.iter().any(|n| n == expected),
                "missing {expected}: {names:?}"
            );
        }
        for name in names {
            let s = Scenario::load(&name).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert_eq!(s.name, name);
        }
    }

    #[test]
    fn bad_files_are_rejected_with_the_field_named() {
        let err =
            Scenario::from_yaml_str("name: x\nop: {}\ngateway: {declarative: {}}\nbogus: 1\n")
                .unwrap_err();
        assert!(format!("{err:#}").contains("bogus"), "{err:#}");
        let err = Scenario::from_yaml_str(
            "name: x\nop: {}\ngateway: {declarative: {}}\nsites: [{name: a, register: {}}, {name: a, register: {}}]\n",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("duplicate site"), "{err:#}");
        let err = Scenario::from_yaml_str(
            "name: x\nop: {}\ngateway: {declarative: {}}\nupstreams: [{name: a, app: bogus}]\n",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("bogus"), "{err:#}");
        let err = Scenario::load("no-such-stack").unwrap_err();
        assert!(err.to_string().contains("known: "), "{err}");
    }

    #[test]
    fn a_file_is_parsed_again_when_its_text_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yml");
        std::fs::write(&path, "name: first\nop: {}\ngateway: {declarative: {}}\n").unwrap();
        assert_eq!(Scenario::from_path(&path).unwrap().name, "first");
        assert_eq!(Scenario::from_path(&path).unwrap().name, "first");
        std::fs::write(&path, "name: second\nop: {}\ngateway: {declarative: {}}\n").unwrap();
        let second = Scenario::from_path(&path).unwrap();
        assert_eq!(second.name, "second");
        assert_eq!(second.base_dir.as_deref(), Some(dir.path()));
        std::fs::write(&path, "name: x\nbogus: 1\n").unwrap();
        assert!(
            Scenario::from_path(&path).is_err(),
            "a bad text is never served from the memo"
        );
    }

    #[test]
    fn ephemeral_mode_zeroes_every_port() {
        let s = Scenario::load("spontaneous-scope").unwrap();
        assert_eq!(s.ports(PortMode::Tutorial).proxy, 8000);
        assert_eq!(
            s.ports(PortMode::Ephemeral),
            Ports {
                op: 0,
                oxd: 0,
                proxy: 0,
                admin: 0,
                gui: 0
            }
        );
    }
}
