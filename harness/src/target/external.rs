//! A target file made live: the OP's discovery document and the gateway's plugins read once per
//! run ([`External::resolve`]), the capabilities they give, and per scenario the [`Target`] its
//! steps use, with the scenario's clients and gateway configuration put in place through the
//! systems' own APIs ([`ExternalStack::start`]) and removed again afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

use super::file::TargetFile;
use super::{
    Capabilities, Capability, Discovery, GatewayTarget, OpTarget, RegisteredSite, Target,
    TargetUser,
};
use crate::scenario::{Scenario, Vars};
use crate::stack::RunningUpstream;

/// How long a setup or cleanup call to a target's API may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);

/// The plugins of Gluu Gateway the `@needs-gluu-plugins` scenarios configure.
const GLUU_PLUGINS: [&str; 3] = ["gluu-oauth-auth", "gluu-oauth-pep", "gluu-openid-connect"];

/// A target file with what its systems said about themselves.
#[derive(Debug, Clone)]
pub struct External {
    /// The file.
    pub file: TargetFile,
    /// The OP's discovery document.
    pub discovery: Discovery,
    /// The gateway's plugins: from its Admin API (`GET /plugins/enabled`) or the file.
    pub plugins: Option<Vec<String>>,
    /// What the target can do.
    pub capabilities: Capabilities,
}

impl External {
    /// Reads the OP's discovery document and the gateway's enabled plugins, and works out the
    /// target's capabilities.
    pub async fn resolve(file: TargetFile) -> anyhow::Result<Self> {
        let http = http()?;
        let discovery = Discovery::fetch(&http, &file.op.issuer)
            .await
            .with_context(|| format!("op.issuer {}", file.op.issuer))?;
        let plugins = match &file.gateway {
            None => None,
            Some(g) if !g.plugins.is_empty() => Some(g.plugins.clone()),
            Some(g) => match &g.admin {
                Some(admin) => Some(
                    enabled_plugins(&http, admin)
                        .await
                        .context("gateway.admin")?,
                ),
                None => None,
            },
        };
        let capabilities = capabilities(&file, &discovery, plugins.as_deref());
        Ok(Self {
            file,
            discovery,
            plugins,
            capabilities,
        })
    }
}

/// What a target file's systems can do, and for each thing they cannot, why.
pub fn capabilities(
    file: &TargetFile,
    discovery: &Discovery,
    plugins: Option<&[String]>,
) -> Capabilities {
    let mut caps = Capabilities::all();
    let declared = file.declared();
    caps.lack(
        Capability::ReferenceOnly,
        format!(
            "the target {:?} is not the in-process reference stack",
            file.name()
        ),
    );
    caps.lack(Capability::Gui, "target files name no Admin GUI");
    caps.lack(
        Capability::KeyRotation,
        "the harness rotates only the in-process reference OP's keys",
    );
    if file.gateway.as_ref().is_none_or(|g| g.proxy_ssl.is_none()) {
        caps.lack(
            Capability::GatewayTls,
            "the target file names no gateway.proxy_ssl",
        );
    }
    match &file.op.otp {
        None => {
            caps.lack(Capability::Otp, "the target file has no op.otp");
            caps.lack(Capability::OtpEnrollment, "the target file has no op.otp");
        }
        Some(otp) => {
            if !discovery.lists("acr_values_supported", &otp.acr) {
                let why = format!(
                    "the OP's discovery document does not list op.otp.acr {:?} in \
                     acr_values_supported",
                    otp.acr
                );
                caps.lack(Capability::Otp, why.clone());
                caps.lack(Capability::OtpEnrollment, why);
            } else {
                if !otp.enrollment {
                    caps.lack(
                        Capability::OtpEnrollment,
                        "op.otp.enrollment is false (the OP does not enroll authenticators from a QR code)",
                    );
                }
                if !otp.enrollment && file.op.users.iter().all(|u| u.otp_secret.is_none()) {
                    caps.lack(
                        Capability::Otp,
                        "no op.users[].otp_secret and no enrollment: the harness cannot compute codes",
                    );
                }
            }
        }
    }
    let missing: Vec<&str> = ["auth_ldap_server", "otp"]
        .into_iter()
        .filter(|acr| !discovery.lists("acr_values_supported", acr))
        .collect();
    if !missing.is_empty() {
        caps.lack(
            Capability::GluuAcrs,
            format!(
                "the OP's acr_values_supported lacks {}",
                missing.join(" and ")
            ),
        );
    }
    if !declared.contains(&Capability::SpontaneousScopes) {
        caps.lack(
            Capability::SpontaneousScopes,
            "op.capabilities does not list spontaneous-scopes",
        );
    }
    if discovery.field("registration_endpoint").is_err() {
        caps.lack(
            Capability::DynamicRegistration,
            "the OP's discovery document has no registration_endpoint",
        );
    } else if !file.op.register {
        caps.lack(
            Capability::DynamicRegistration,
            "op.register is false (the harness may not register clients)",
        );
    }
    if file.oxd.is_none() {
        caps.lack(Capability::Oxd, "the target file names no oxd");
    }
    match (&file.gateway, plugins) {
        (None, _) => {
            for c in [
                Capability::GluuPlugins,
                Capability::KongOidc,
                Capability::GatewayAdmin,
            ] {
                caps.lack(c, "the target file names no gateway");
            }
        }
        (Some(g), read) => {
            let plugins: &[String] = if g.plugins.is_empty() {
                read.unwrap_or_default()
            } else {
                &g.plugins
            };
            let has = |p: &str| plugins.iter().any(|q| q == p);
            let source = if g.plugins.is_empty() {
                "the Admin API's enabled plugins"
            } else {
                "gateway.plugins"
            };
            let lacking: Vec<&str> = GLUU_PLUGINS.into_iter().filter(|p| !has(p)).collect();
            if !lacking.is_empty() {
                caps.lack(
                    Capability::GluuPlugins,
                    format!("{source} lack {}", lacking.join(", ")),
                );
            }
            if !has("openid-connect") {
                caps.lack(
                    Capability::KongOidc,
                    format!("{source} lack openid-connect"),
                );
            }
            if g.preconfigured || g.admin.is_none() {
                caps.lack(
                    Capability::GatewayAdmin,
                    "the gateway is preconfigured: the harness does not change its configuration",
                );
            }
        }
    }
    caps
}

fn http() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(SETUP_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("HTTP client")
}

/// Kong's `GET /plugins/enabled`: the plugins the gateway can run.
async fn enabled_plugins(http: &reqwest::Client, admin: &str) -> anyhow::Result<Vec<String>> {
    let url = format!("{}/plugins/enabled", admin.trim_end_matches('/'));
    let resp = http
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let body: Value = resp
        .json()
        .await
        .with_context(|| format!("GET {url} answered {status} without JSON"))?;
    anyhow::ensure!(status.is_success(), "GET {url} answered {status}: {body}");
    let list = body
        .get("enabled_plugins")
        .and_then(Value::as_array)
        .with_context(|| format!("GET {url}: no enabled_plugins list in {body}"))?;
    Ok(list
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect())
}

/// One scenario's view of a target file: its [`Target`], and what the harness added to the
/// systems for it (removed by [`ExternalStack::shutdown`]).
#[derive(Debug)]
pub struct ExternalStack {
    /// What the steps use.
    pub target: Target,
    /// Admin API entities the harness created, in creation order (URLs to `DELETE`).
    added: Vec<String>,
    /// The scenario's upstreams the harness runs itself (those the file does not name).
    upstreams: Vec<RunningUpstream>,
    http: reqwest::Client,
}

/// Serves the scenario's upstream `spec` on the file's `bind` address (a free port) and gives
/// the URL the target's components reach it by (the `advertise`d host).
async fn start_upstream(
    file: &TargetFile,
    spec: &crate::scenario::UpstreamSpec,
) -> anyhow::Result<(RunningUpstream, String)> {
    let bind = file.bind_address();
    let listener = tokio::net::TcpListener::bind((bind, 0))
        .await
        .with_context(|| {
            format!(
                "bind: cannot listen on {bind} for the upstream {:?}",
                spec.name
            )
        })?;
    let port = listener.local_addr()?.port();
    let handle = gatecheck_upstream::start(spec.app, listener)
        .await
        .with_context(|| format!("upstream {:?} did not start", spec.name))?;
    let url = format!("http://{}:{port}", file.advertised_host());
    Ok((
        RunningUpstream {
            name: spec.name.clone(),
            app: spec.app,
            handle,
        },
        url,
    ))
}

impl ExternalStack {
    /// Gives the scenario file's clients, users and gateway configuration to the target's
    /// systems: clients from `op.clients` (or registered when `op.register` allows), the
    /// scenario's Kong configuration entity by entity through the Admin API.
    pub async fn start(external: &External, scenario: &Scenario) -> anyhow::Result<Self> {
        let file = &external.file;
        let http = http()?;
        let issuer = file.op.issuer.clone();
        let mut vars = Vars::new();
        vars.set("op.url", issuer.clone());
        vars.set("op.issuer", issuer.clone());
        if let Some(oxd) = &file.oxd {
            vars.set("oxd.url", oxd.trim_end_matches('/'));
        }
        if let Some(g) = &file.gateway {
            let proxy = g.proxy.trim_end_matches('/');
            vars.set("gateway.proxy", proxy);
            let url = url::Url::parse(proxy).context("gateway.proxy")?;
            let host = match (url.host_str(), url.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                _ => anyhow::bail!("gateway.proxy has no host"),
            };
            vars.set("gateway.proxy_host", host);
            if let Some(ssl) = &g.proxy_ssl {
                vars.set("gateway.proxy_ssl", ssl.trim_end_matches('/'));
            }
            if let Some(admin) = &g.admin {
                vars.set("gateway.admin", admin.trim_end_matches('/'));
            }
        }
        let mut upstream_urls: BTreeMap<String, String> = file
            .upstreams
            .iter()
            .map(|(k, v)| (k.clone(), v.trim_end_matches('/').to_owned()))
            .collect();
        // The scenario's upstreams the file does not name run here, on `bind`, and the
        // target's gateway reaches them by the `advertise`d host name.
        let mut running = Vec::new();
        for spec in &scenario.upstreams {
            if upstream_urls.contains_key(&spec.name) {
                continue;
            }
            let (upstream, url) = start_upstream(file, spec).await?;
            upstream_urls.insert(spec.name.clone(), url);
            running.push(upstream);
        }
        for (name, url) in &upstream_urls {
            vars.set(format!("upstreams.{name}"), url);
        }

        let mut sites = Vec::new();
        let mut missing = Vec::new();
        for (i, spec) in scenario.sites.iter().enumerate() {
            let site = match file.op.clients.get(&spec.name) {
                Some(c) => RegisteredSite {
                    name: spec.name.clone(),
                    oxd_id: c.oxd_id.clone().unwrap_or_default(),
                    client_id: c.client_id.clone(),
                    client_secret: c.client_secret.clone(),
                    redirect_uris: c.redirect_uris.clone(),
                },
                None if file.op.register => {
                    let at = format!("sites[{i}].register");
                    let mut body = vars.fill(&spec.register, &at)?;
                    if let Some(obj) = body.as_object_mut() {
                        obj.entry("op_host").or_insert_with(|| json!(issuer));
                    }
                    match &file.oxd {
                        Some(oxd) => {
                            crate::stack::register_site(&http, oxd, &spec.name, &body).await?
                        }
                        None => {
                            register_client(&http, &external.discovery, &spec.name, &body).await?
                        }
                    }
                }
                // Steps that use the client fail naming it; a gateway configuration that
                // needs it is refused below.
                None => {
                    missing.push(spec.name.clone());
                    continue;
                }
            };
            vars.set(format!("sites.{}.client_id", site.name), &site.client_id);
            vars.set(
                format!("sites.{}.client_secret", site.name),
                &site.client_secret,
            );
            vars.set(format!("sites.{}.oxd_id", site.name), &site.oxd_id);
            sites.push(site);
        }

        // The scenario's pre-registered OP clients (the Kong guides' `kong`) exist at the
        // target only as the operator registered them: `op.clients.NAME` gives their secret.
        for c in crate::stack::static_clients(&scenario.op) {
            if sites.iter().any(|s| s.name == c.name) {
                continue;
            }
            let Some(given) = file.op.clients.get(&c.name) else {
                missing.push(c.name.clone());
                continue;
            };
            let site = RegisteredSite {
                name: c.name.clone(),
                oxd_id: given.oxd_id.clone().unwrap_or_default(),
                client_id: given.client_id.clone(),
                client_secret: given.client_secret.clone(),
                redirect_uris: given.redirect_uris.clone(),
            };
            vars.set(format!("sites.{}.client_id", site.name), &site.client_id);
            vars.set(
                format!("sites.{}.client_secret", site.name),
                &site.client_secret,
            );
            sites.push(site);
        }

        let mut stack = ExternalStack {
            target: Target {
                name: format!("{} ({})", scenario.name, file.name()),
                op: OpTarget {
                    issuer,
                    discovery: external.discovery.clone(),
                    product: file.op.product,
                },
                oxd: file
                    .oxd
                    .as_ref()
                    .map(|u| u.trim_end_matches('/').to_owned()),
                gateway: file.gateway.as_ref().map(|g| GatewayTarget {
                    proxy: g.proxy.trim_end_matches('/').to_owned(),
                    admin: g
                        .admin
                        .as_ref()
                        .filter(|_| !g.preconfigured)
                        .map(|a| a.trim_end_matches('/').to_owned()),
                    product: g.product,
                }),
                upstreams: upstream_urls,
                sites,
                users: users(file, scenario),
                gui: None,
                vars: vars.clone(),
                capabilities: external.capabilities.clone(),
            },
            added: Vec::new(),
            upstreams: running,
            http,
        };
        let configure = file
            .gateway
            .as_ref()
            .is_some_and(|g| !g.preconfigured && g.admin.is_some());
        if configure {
            anyhow::ensure!(
                missing.is_empty(),
                "the scenario {:?} configures the gateway with the client(s) {}: give them as \
                 op.clients.NAME in the target file, or allow op.register",
                scenario.name,
                missing.join(", ")
            );
            let declarative = vars.fill(&scenario.gateway.declarative, "gateway.declarative")?;
            if let Err(e) = stack.configure(&declarative).await {
                stack.shutdown().await;
                return Err(e);
            }
        }
        Ok(stack)
    }

    /// Remembers an entity a step created through the Admin API (removed at the end).
    pub fn created(&mut self, collection_url: &str, answer: &Value) {
        if let Some(id) = answer.get("id").and_then(Value::as_str) {
            self.added
                .push(format!("{}/{id}", collection_url.trim_end_matches('/')));
        }
    }

    /// Adds a Kong declarative configuration through the Admin API: services with their
    /// routes and plugins, top-level routes, consumers, plugins (nested plugins under the
    /// entity they belong to).
    async fn configure(&mut self, declarative: &Value) -> anyhow::Result<()> {
        let admin = self.target.admin_url()?.to_owned();
        for (i, service) in list(declarative, "services").iter().enumerate() {
            let at = format!("services[{i}]");
            let id = self
                .add(&format!("{admin}/services"), service, &["routes"], &at)
                .await?;
            for (j, route) in list(service, "routes").iter().enumerate() {
                let url = format!("{admin}/services/{id}/routes");
                self.add(&url, route, &[], &format!("{at}.routes[{j}]"))
                    .await?;
            }
        }
        for (collection, nested) in [
            ("routes", &[][..]),
            ("consumers", &[][..]),
            ("plugins", &[][..]),
        ] {
            for (i, entity) in list(declarative, collection).iter().enumerate() {
                let url = format!("{admin}/{collection}");
                self.add(&url, entity, nested, &format!("{collection}[{i}]"))
                    .await?;
            }
        }
        Ok(())
    }

    /// Adds one entity (without its `nested` collections and `plugins`), then its plugins
    /// under it; returns its id.
    async fn add(
        &mut self,
        url: &str,
        entity: &Value,
        nested: &[&str],
        at: &str,
    ) -> anyhow::Result<String> {
        let mut body = entity.clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("plugins");
            for k in nested {
                o.remove(*k);
            }
        }
        let created = self.post(url, &body, at).await?;
        let id = created
            .get("id")
            .and_then(Value::as_str)
            .with_context(|| {
                format!("gateway.declarative.{at}: the Admin API gave no id: {created}")
            })?
            .to_owned();
        let collection = url.rsplit('/').next().unwrap_or_default();
        let admin = self.target.admin_url()?.to_owned();
        for (j, plugin) in list(entity, "plugins").iter().enumerate() {
            let plugins = format!("{admin}/{collection}/{id}/plugins");
            self.post(&plugins, plugin, &format!("{at}.plugins[{j}]"))
                .await?;
        }
        Ok(id)
    }

    async fn post(&mut self, url: &str, body: &Value, at: &str) -> anyhow::Result<Value> {
        let resp = self
            .http
            .post(url)
            .json(body)
            .send()
            .await
            .with_context(|| format!("gateway.declarative.{at}: POST {url}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        anyhow::ensure!(
            status.as_u16() == 201,
            "gateway.declarative.{at}: POST {url} answered {status}: {text}"
        );
        let answer: Value = serde_json::from_str(&text).with_context(|| {
            format!("gateway.declarative.{at}: POST {url} answered without JSON: {text}")
        })?;
        // Entities are removed by their own URL: `/plugins/{id}`, `/routes/{id}`, ...
        let collection = url.rsplit('/').next().unwrap_or_default();
        let admin = self.target.admin_url()?.to_owned();
        self.created(&format!("{admin}/{collection}"), &answer);
        Ok(answer)
    }

    /// Removes what the harness added, newest first. A failed removal is reported on stderr
    /// (the run's outcome is the scenarios'; the operator sees what is left behind).
    pub async fn shutdown(self) {
        for url in self.added.iter().rev() {
            match self.http.delete(url).send().await {
                Ok(r) if r.status().is_success() || r.status().as_u16() == 404 => {}
                Ok(r) => eprintln!("warning: DELETE {url} answered {}", r.status()),
                Err(e) => eprintln!("warning: DELETE {url} failed: {e}"),
            }
        }
        for upstream in self.upstreams {
            upstream.handle.shutdown().await;
        }
    }

    /// Where the harness's own upstreams listen (name, local address).
    pub fn listening(&self) -> Vec<(String, std::net::SocketAddr)> {
        self.upstreams
            .iter()
            .map(|u| (u.name.clone(), u.handle.addr()))
            .collect()
    }
}

/// The members of the list `key` of a declarative config entity.
fn list(v: &Value, key: &str) -> Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The target file's users, with the scenario file's password and claims for the user each
/// plays.
fn users(file: &TargetFile, scenario: &Scenario) -> Vec<TargetUser> {
    let feature_users: BTreeMap<&str, &Value> = scenario
        .op
        .get("users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|u| Some((u.get("username")?.as_str()?, u)))
        .collect();
    file.op
        .users
        .iter()
        .map(|u| {
            let feature = feature_users.get(u.plays());
            TargetUser {
                plays: u.plays().to_owned(),
                feature_password: feature
                    .and_then(|f| f.get("password"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                feature_claims: feature
                    .and_then(|f| f.get("claims"))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
                username: u.username.clone(),
                password: u.password.clone(),
                claims: u.claims.clone(),
                otp_secret: u.otp_secret.clone(),
            }
        })
        .collect()
}

/// Dynamic client registration (RFC 7591 §3) of a scenario's site at the OP.
async fn register_client(
    http: &reqwest::Client,
    discovery: &Discovery,
    name: &str,
    spec: &Value,
) -> anyhow::Result<RegisteredSite> {
    let url = discovery.field("registration_endpoint").with_context(|| {
        format!(
            "site {name:?}: op.register is set, but the target names no oxd and the OP's \
             discovery document has no registration_endpoint"
        )
    })?;
    let get = |k: &str| spec.get(k).cloned();
    let mut body = serde_json::Map::new();
    if let Some(v) = get("client_name") {
        body.insert("client_name".into(), v);
    }
    if let Some(v) = get("redirect_uris") {
        body.insert("redirect_uris".into(), v);
    }
    if let Some(v) = get("grant_types") {
        body.insert("grant_types".into(), v);
    }
    if let Some(Value::Array(scopes)) = get("scope") {
        let joined: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
        body.insert("scope".into(), json!(joined.join(" ")));
    }
    let resp = http
        .post(url)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("site {name:?}: POST {url}"))?;
    let status = resp.status();
    let answer: Value = resp
        .json()
        .await
        .with_context(|| format!("site {name:?}: {url} answered {status} without JSON"))?;
    anyhow::ensure!(
        status.is_success(),
        "site {name:?}: registration at {url} answered {status}: {answer}"
    );
    let field = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(RegisteredSite {
        name: name.to_owned(),
        oxd_id: String::new(),
        client_id: field("client_id")
            .with_context(|| format!("site {name:?}: the registration gave no client_id"))?,
        client_secret: field("client_secret").unwrap_or_default(),
        redirect_uris: answer
            .get("redirect_uris")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovery(acrs: &[&str], registration: bool) -> Discovery {
        let mut doc = json!({"issuer": "http://op", "acr_values_supported": acrs});
        if registration {
            doc["registration_endpoint"] = json!("http://op/register");
        }
        Discovery {
            url: "http://op/.well-known/openid-configuration".into(),
            doc,
        }
    }

    #[test]
    fn an_op_only_target_lacks_the_gateway_and_says_why() {
        let file = TargetFile::from_yaml_str("op: {issuer: http://op}").unwrap();
        let caps = capabilities(&file, &discovery(&["basic"], false), None);
        let why = caps
            .skip_reason(["needs-gluu-plugins", "needs-otp-enrollment"])
            .unwrap();
        assert!(why.contains("names no gateway"), "{why}");
        assert!(why.contains("has no op.otp"), "{why}");
        assert!(caps
            .why_not(Capability::GluuAcrs)
            .unwrap()
            .contains("lacks auth_ldap_server and otp"));
        assert!(caps
            .why_not(Capability::DynamicRegistration)
            .unwrap()
            .contains("no registration_endpoint"));
        assert!(!caps.has(Capability::ReferenceOnly));
        assert!(!caps.has(Capability::Oxd));
    }

    #[test]
    fn capabilities_come_from_discovery_the_plugins_and_the_file() {
        let file = TargetFile::from_yaml_str(
            "op: {issuer: http://op, register: true, otp: {enrollment: true}, \
             capabilities: [spontaneous-scopes]}\n\
             gateway: {proxy: http://gw, admin: http://gw:8001}\noxd: http://oxd\n",
        )
        .unwrap();
        let plugins: Vec<String> = GLUU_PLUGINS.iter().map(|p| p.to_string()).collect();
        let caps = capabilities(
            &file,
            &discovery(&["otp", "auth_ldap_server"], true),
            Some(&plugins),
        );
        for c in [
            Capability::Otp,
            Capability::OtpEnrollment,
            Capability::GluuAcrs,
            Capability::SpontaneousScopes,
            Capability::DynamicRegistration,
            Capability::Oxd,
            Capability::GluuPlugins,
            Capability::GatewayAdmin,
        ] {
            assert!(caps.has(c), "{c:?}: {:?}", caps.why_not(c));
        }
        assert!(caps
            .why_not(Capability::KongOidc)
            .unwrap()
            .contains("Admin API's enabled plugins lack openid-connect"));
        assert!(caps
            .why_not(Capability::GatewayTls)
            .unwrap()
            .contains("no gateway.proxy_ssl"));
    }

    #[test]
    fn a_tls_proxy_url_is_the_gateway_tls_capability_and_must_be_https() {
        let file = TargetFile::from_yaml_str(
            "op: {issuer: http://op}\n\
             gateway: {proxy: http://gw, proxy_ssl: \"https://gw:8443\", admin: http://gw:8001}",
        )
        .unwrap();
        let caps = capabilities(&file, &discovery(&[], false), Some(&[]));
        assert!(caps.has(Capability::GatewayTls));
        let err = TargetFile::from_yaml_str(
            "op: {issuer: http://op}\n\
             gateway: {proxy: http://gw, proxy_ssl: \"http://gw:8443\", admin: http://gw:8001}",
        )
        .unwrap_err();
        assert!(
            format!("{err:#}")
                .contains("gateway.proxy_ssl: \"http://gw:8443\" is not an https URL"),
            "{err:#}"
        );
    }

    #[test]
    fn an_otp_acr_the_op_does_not_offer_means_no_otp() {
        let file =
            TargetFile::from_yaml_str("op: {issuer: http://op, otp: {enrollment: true}}").unwrap();
        let caps = capabilities(&file, &discovery(&["basic"], false), None);
        assert!(caps
            .why_not(Capability::Otp)
            .unwrap()
            .contains("does not list op.otp.acr \"otp\""));
        let file = TargetFile::from_yaml_str(
            "op: {issuer: http://op, otp: {}}\n\
             gateway: {proxy: http://gw, preconfigured: true, plugins: [openid-connect]}",
        )
        .unwrap();
        let caps = capabilities(&file, &discovery(&["otp"], false), None);
        assert!(caps
            .why_not(Capability::Otp)
            .unwrap()
            .contains("cannot compute codes"));
        assert!(caps.has(Capability::KongOidc));
        assert!(caps
            .why_not(Capability::GatewayAdmin)
            .unwrap()
            .contains("preconfigured"));
    }
}
