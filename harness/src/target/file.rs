//! Target files (`gatecheck run --target FILE`, `GATECHECK_TARGET=FILE`): the real systems the
//! features run against.
//!
//! ```yaml
//! name: my-keycloak                       # for messages; default: the file name
//! op:
//!   issuer: https://idp.example.com/realms/kong
//!   product: keycloak                     # gatecheck | gluu | keycloak | oidc-provider | other
//!   register: false                       # may the harness register clients (oxd / RFC 7591)?
//!   clients:                              # pre-registered clients, by the features' site names
//!     consumer: {client_id: kong, client_secret: "..."}
//!   users:                                # test users; `plays` maps them to the features' users
//!     - {username: alex, password: doe, plays: admin, claims: {email: alex@example.com}}
//!   otp: {acr: otp, enrollment: false}    # the OP asks for one-time passwords
//!   capabilities: [spontaneous-scopes]    # what discovery cannot tell
//! gateway:
//!   proxy: http://127.0.0.1:8000
//!   admin: http://127.0.0.1:8001          # the harness adds each scenario's config, then removes it
//!   preconfigured: false                  # true: only requests to the proxy
//!   product: kong                         # gatecheck | gluu-gateway | kong | other
//!   plugins: [openid-connect]             # a preconfigured gateway's plugins (else: the Admin API's)
//! oxd: https://127.0.0.1:8443
//! upstreams: {api: "http://127.0.0.1:3000", website: "http://127.0.0.1:3002"}
//! ```
//!
//! Every section is checked when the file is read; an error names the field
//! (`op.users[1].plays: ...`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::containers::{self, ContainerSpec};
use super::{Capability, GatewayProduct, OpProduct};

/// A target file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// For messages; default: the file's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The OpenID Provider.
    pub op: OpSpec,
    /// The gateway; absent = scenarios that need one are skipped.
    #[serde(default)]
    pub gateway: Option<GatewaySpec>,
    /// oxd's base URL.
    #[serde(default)]
    pub oxd: Option<String>,
    /// Upstream base URLs by the features' names (`api`, `website`, `echo`), as the gateway
    /// reaches them.
    #[serde(default)]
    pub upstreams: BTreeMap<String, String>,
    /// Components the harness starts with testcontainers for the run, by name; the URLs above
    /// reach their ports as `${NAME:PORT}`.
    #[serde(default)]
    pub containers: BTreeMap<String, ContainerSpec>,
    /// The host name the target's components use to reach what the harness runs itself (the
    /// scenario's upstreams the file does not name); default: the `bind` address, or
    /// 127.0.0.1.
    #[serde(default)]
    pub advertise: Option<String>,
    /// The address the harness's own listeners bind (default 127.0.0.1).
    #[serde(default)]
    pub bind: Option<String>,
    /// The directory of the file (mount sources are relative to it).
    #[serde(skip)]
    pub dir: Option<PathBuf>,
}

/// The OpenID Provider of a target file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpSpec {
    /// Its issuer; discovery is read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// Which product it is (decides which of a product's own texts steps match exactly).
    #[serde(default)]
    pub product: OpProduct,
    /// Whether the harness may register the clients it needs (through oxd, or dynamically at
    /// the OP's `registration_endpoint`).
    #[serde(default)]
    pub register: bool,
    /// Pre-registered clients by the features' site names (`consumer`, `gateway`, ...).
    #[serde(default)]
    pub clients: BTreeMap<String, ClientSpec>,
    /// Test users.
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// One-time passwords; absent = the OP asks for none the harness can answer.
    #[serde(default)]
    pub otp: Option<OtpSpec>,
    /// Capabilities discovery cannot tell (by name: `spontaneous-scopes`, ...).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// A pre-registered client.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// Its client id.
    pub client_id: String,
    /// Its secret.
    #[serde(default)]
    pub client_secret: String,
    /// Its redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// oxd's id of the site, when oxd knows the client.
    #[serde(default)]
    pub oxd_id: Option<String>,
}

/// A test user of the OP.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// The features' user this one plays (`admin`); default: its own name.
    #[serde(default)]
    pub plays: Option<String>,
    /// Claims the OP releases for the user (what the features' expected values become).
    #[serde(default)]
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// Base32 TOTP secret of an authenticator already enrolled for the user.
    #[serde(default)]
    pub otp_secret: Option<String>,
}

impl UserSpec {
    /// The features' user this one plays.
    pub fn plays(&self) -> &str {
        self.plays.as_deref().unwrap_or(&self.username)
    }

    /// The authenticator app holding [`Self::otp_secret`].
    pub fn authenticator(&self) -> anyhow::Result<Option<gatecheck_browser::Authenticator>> {
        let Some(secret) = &self.otp_secret else {
            return Ok(None);
        };
        super::authenticator_for(&self.username, secret).map(Some)
    }
}

/// How the OP asks for one-time passwords.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OtpSpec {
    /// The acr value that asks for one; default `otp`.
    #[serde(default = "default_otp_acr")]
    pub acr: String,
    /// Whether the OP enrolls an authenticator from a QR code for a user without one.
    #[serde(default)]
    pub enrollment: bool,
}

fn default_otp_acr() -> String {
    "otp".into()
}

/// The gateway of a target file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GatewaySpec {
    /// Proxy base URL.
    pub proxy: String,
    /// The proxy's TLS listener (`https://…`), for scenarios that need one (Kong's oauth2
    /// endpoints); the harness accepts its certificate unchecked, as the guides' `curl -k` does.
    #[serde(default)]
    pub proxy_ssl: Option<String>,
    /// Admin API base URL.
    #[serde(default)]
    pub admin: Option<String>,
    /// The gateway is configured already: the harness only sends requests to the proxy (and
    /// reads the Admin API, when given, without changing it).
    #[serde(default)]
    pub preconfigured: bool,
    /// Which product it is.
    #[serde(default)]
    pub product: GatewayProduct,
    /// The plugins it runs, for a gateway whose Admin API the harness does not read.
    #[serde(default)]
    pub plugins: Vec<String>,
}

impl TargetFile {
    /// Reads and checks a target file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the target file {}", path.display()))?;
        let dir = path.parent().map(|d| {
            if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d.to_owned()
            }
        });
        let mut file = Self::parse(&text, dir.as_deref())
            .with_context(|| format!("target file {}", path.display()))?;
        file.dir = dir;
        if file.name.is_none() {
            file.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        Ok(file)
    }

    /// Parses and checks a target file's text.
    pub fn from_yaml_str(text: &str) -> anyhow::Result<Self> {
        Self::parse(text, None)
    }

    fn parse(text: &str, dir: Option<&Path>) -> anyhow::Result<Self> {
        let file: TargetFile = serde_yaml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        file.check(dir)?;
        Ok(file)
    }

    /// The address the harness's own listeners bind.
    pub fn bind_address(&self) -> IpAddr {
        self.bind
            .as_deref()
            .and_then(|b| b.parse().ok())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]))
    }

    /// The host name the target's components reach the harness's listeners by.
    pub fn advertised_host(&self) -> String {
        match &self.advertise {
            Some(a) => a.clone(),
            None => match self.bind_address() {
                IpAddr::V6(v6) => format!("[{v6}]"),
                v4 => v4.to_string(),
            },
        }
    }

    /// The name for messages.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("target")
    }

    /// The capabilities the file asserts in `op.capabilities`.
    pub fn declared(&self) -> BTreeSet<Capability> {
        self.op
            .capabilities
            .iter()
            .filter_map(|c| Capability::from_name(c))
            .collect()
    }

    fn check(&self, dir: Option<&Path>) -> anyhow::Result<()> {
        for (name, c) in &self.containers {
            c.check(name, dir)?;
        }
        self.check_listeners()?;
        // URLs are checked with each `${NAME:PORT}` standing for a published port.
        let mut urls = self.clone();
        let lookup = |name: &str, port: u16| {
            self.containers
                .get(name)
                .filter(|c| c.container_ports().contains(&port))
                .map(|_| format!("127.0.0.1:{port}"))
        };
        containers::map_urls(&mut urls, &|at, text| containers::expand(at, text, &lookup))?;
        urls.check_fields()
    }

    fn check_listeners(&self) -> anyhow::Result<()> {
        if let Some(bind) = &self.bind {
            let ip: IpAddr = bind.parse().map_err(|_| {
                anyhow::anyhow!("bind: {bind:?} is not an IP address (127.0.0.1, 0.0.0.0, ::1)")
            })?;
            anyhow::ensure!(
                !ip.is_unspecified() || self.advertise.is_some(),
                "advertise: required with bind {bind}: the target's components need a host \
                 name of this machine to reach the harness's listeners"
            );
        }
        if let Some(a) = &self.advertise {
            let host = url::Host::parse(a)
                .map_err(|e| anyhow::anyhow!("advertise: {a:?} is not a host name ({e})"))?;
            anyhow::ensure!(
                !a.contains([':', '/', '@']) || matches!(host, url::Host::Ipv6(_)),
                "advertise: {a:?} is a host name only (no scheme, port or path)"
            );
            let unspecified = match host {
                url::Host::Ipv4(ip) => ip.is_unspecified(),
                url::Host::Ipv6(ip) => ip.is_unspecified(),
                url::Host::Domain(_) => false,
            };
            anyhow::ensure!(
                !unspecified,
                "advertise: {a} is no address another machine can reach; give this machine's \
                 host name"
            );
        }
        Ok(())
    }

    fn check_fields(&self) -> anyhow::Result<()> {
        http_url("op.issuer", &self.op.issuer)?;
        for (i, name) in self.op.capabilities.iter().enumerate() {
            let known: Vec<_> = Capability::DECLARABLE.iter().map(|c| c.name()).collect();
            anyhow::ensure!(
                Capability::from_name(name).is_some_and(|c| Capability::DECLARABLE.contains(&c)),
                "op.capabilities[{i}]: {name:?} is not a capability a target file can declare \
                 (known: {})",
                known.join(", ")
            );
        }
        for (name, c) in &self.op.clients {
            anyhow::ensure!(
                !c.client_id.is_empty(),
                "op.clients.{name}.client_id: must not be empty"
            );
            for (i, uri) in c.redirect_uris.iter().enumerate() {
                http_url(&format!("op.clients.{name}.redirect_uris[{i}]"), uri)?;
            }
        }
        let mut plays = BTreeSet::new();
        for (i, u) in self.op.users.iter().enumerate() {
            anyhow::ensure!(
                !u.username.is_empty(),
                "op.users[{i}].username: must not be empty"
            );
            anyhow::ensure!(
                plays.insert(u.plays()),
                "op.users[{i}].plays: another user already plays {:?}",
                u.plays()
            );
            if u.otp_secret.is_some() {
                u.authenticator()
                    .map_err(|e| anyhow::anyhow!("op.users[{i}].otp_secret: {e}"))?;
            }
        }
        if let Some(otp) = &self.op.otp {
            anyhow::ensure!(!otp.acr.is_empty(), "op.otp.acr: must not be empty");
        }
        if let Some(g) = &self.gateway {
            http_url("gateway.proxy", &g.proxy)?;
            if let Some(ssl) = &g.proxy_ssl {
                http_url("gateway.proxy_ssl", ssl)?;
                anyhow::ensure!(
                    ssl.starts_with("https://"),
                    "gateway.proxy_ssl: {ssl:?} is not an https URL"
                );
            }
            if let Some(admin) = &g.admin {
                http_url("gateway.admin", admin)?;
            }
            anyhow::ensure!(
                g.preconfigured || g.admin.is_some(),
                "gateway: give `admin` (the Admin API the harness configures) or \
                 `preconfigured: true`"
            );
        }
        if let Some(oxd) = &self.oxd {
            http_url("oxd", oxd)?;
        }
        for (name, url) in &self.upstreams {
            http_url(&format!("upstreams.{name}"), url)?;
        }
        Ok(())
    }
}

/// Checks that `value` (the field `at`) is an absolute http(s) URL.
fn http_url(at: &str, value: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(value)
        .map_err(|e| anyhow::anyhow!("{at}: {value:?} is not a URL ({e})"))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https") && url.host().is_some(),
        "{at}: {value:?} is not an http(s) URL"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
op:
  issuer: http://127.0.0.1:8080/realms/kong
  product: keycloak
  clients:
    consumer: {client_id: kong, client_secret: s3cret}
  users:
    - {username: alex, password: doe, plays: admin, claims: {email: alex@example.com}}
  otp: {enrollment: true}
  capabilities: [spontaneous-scopes]
gateway:
  proxy: http://127.0.0.1:8000
  admin: http://127.0.0.1:8001
  product: kong
upstreams: {api: "http://127.0.0.1:3000"}
"#;

    #[test]
    fn a_good_file_parses_with_its_defaults() {
        let f = TargetFile::from_yaml_str(GOOD).unwrap();
        assert_eq!(f.op.product, OpProduct::Keycloak);
        assert_eq!(f.op.users[0].plays(), "admin");
        assert_eq!(f.op.otp.as_ref().unwrap().acr, "otp");
        assert!(!f.op.register);
        assert_eq!(f.gateway.as_ref().unwrap().product, GatewayProduct::Kong);
        assert!(f.declared().contains(&Capability::SpontaneousScopes));
    }

    fn rejected(text: &str) -> String {
        format!("{:#}", TargetFile::from_yaml_str(text).unwrap_err())
    }

    #[test]
    fn bad_files_are_rejected_with_the_field_named() {
        let cases = [
            (
                GOOD.replace("product: keycloak", "product: okta-ish"),
                "op.product",
            ),
            (GOOD.replace("plays: admin", "plas: admin"), "op.users[0]"),
            (
                GOOD.replace("http://127.0.0.1:8080/realms/kong", "not a url"),
                "op.issuer",
            ),
            (
                GOOD.replace("admin: http://127.0.0.1:8001", "admin: ftp://x"),
                "gateway.admin",
            ),
            (
                GOOD.replace(
                    "capabilities: [spontaneous-scopes]",
                    "capabilities: [telepathy]",
                ),
                "op.capabilities[0]",
            ),
            (
                GOOD.replace(
                    "capabilities: [spontaneous-scopes]",
                    "capabilities: [reference-only]",
                ),
                "op.capabilities[0]",
            ),
            (
                GOOD.replace("client_id: kong", "client_id: \"\""),
                "op.clients.consumer.client_id",
            ),
            (
                GOOD.replace(
                    "claims: {email: alex@example.com}}",
                    "otp_secret: \"not base32!\"}",
                ),
                "op.users[0].otp_secret",
            ),
            (format!("{GOOD}bogus: 1\n"), "bogus"),
            (
                GOOD.replace("  admin: http://127.0.0.1:8001\n", ""),
                "gateway: give `admin`",
            ),
            (format!("{GOOD}oxd: nowhere\n"), "oxd"),
        ];
        for (text, field) in cases {
            let err = rejected(&text);
            assert!(err.contains(field), "expected {field:?} in: {err}");
        }
        let two = GOOD.replace(
            "  otp:",
            "    - {username: bob, password: x, plays: admin}\n  otp:",
        );
        let err = rejected(&two);
        assert!(err.contains("op.users[1].plays"), "{err}");
    }

    #[test]
    fn the_shipped_target_files_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml") {
                files.push(TargetFile::load(&path).unwrap_or_else(|e| panic!("{e:#}")));
            }
        }
        files.sort_by(|a, b| a.name().cmp(b.name()));
        let seen: Vec<&str> = files.iter().map(TargetFile::name).collect();
        assert_eq!(
            seen,
            [
                "keycloak",
                "keycloak-container",
                "kong-keycloak",
                "oidc-provider"
            ]
        );
        // features/kong's guides use the client `kong` and log in as alex; the Gluu tutorials'
        // admin is alex too.
        let kong = &files[2];
        assert_eq!(kong.op.clients["kong"].client_id, "kong");
        assert!(kong.op.users.iter().any(|u| u.plays() == "alex"));
        assert!(kong.op.users.iter().any(|u| u.plays() == "admin"));
        assert!(
            files[3].op.register,
            "the certification RP registers its clients"
        );
        let realm: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("keycloak/kong-realm.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(realm["clients"][0]["clientId"], "kong");
        assert_eq!(realm["users"][0]["username"], "alex");
        let mappers: Vec<&str> = realm["clients"][0]["protocolMappers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["protocolMapper"].as_str())
            .collect();
        assert_eq!(
            mappers,
            ["oidc-audience-mapper", "oidc-hardcoded-claim-mapper"]
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = TargetFile::load(Path::new("/no/such/target.yml")).unwrap_err();
        assert!(err.to_string().contains("/no/such/target.yml"), "{err}");
    }
}
