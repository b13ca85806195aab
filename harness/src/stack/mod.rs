//! A running tutorial stack: OP → oxd → registered sites → upstreams → gateway, all in-process.
//!
//! Every listener is bound first, so every URL is known before anything starts; placeholders are
//! then filled in stage by stage (see [`crate::scenario`]). Teardown runs in reverse order.

mod describe;
mod passwords;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::scenario::{PortMode, Scenario, Vars};

pub use crate::target::RegisteredSite;
pub(crate) use describe::static_clients;
pub use describe::{Client, Description, RouteInfo, User};

use crate::target::{
    Capabilities, Discovery, GatewayProduct, GatewayTarget, GuiTarget, OpProduct, OpTarget, Target,
    TargetUser,
};

/// How long `register-site` and other setup calls may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a graceful shutdown may take before the servers are aborted.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running upstream.
#[derive(Debug)]
pub struct RunningUpstream {
    /// Name in the scenario file.
    pub name: String,
    /// The app.
    pub app: gatecheck_upstream::App,
    /// Its server.
    pub handle: gatecheck_upstream::Handle,
}

/// The running stack.
pub struct Stack {
    /// Scenario name.
    pub name: String,
    /// The OpenID Provider.
    pub op: gatecheck_op::Handle,
    /// The OP's clock: the wall clock until a step moves it forward.
    pub op_clock: OpClock,
    /// oxd.
    pub oxd: gatecheck_oxd::Handle,
    /// The gateway.
    pub gateway: gatecheck_gateway::Handle,
    /// The clock the gateway's plugins read (token expiry): steps move it instead of sleeping.
    pub gateway_clock: gatecheck_gateway::clock::ManualClock,
    /// The upstream apps.
    pub upstreams: Vec<RunningUpstream>,
    /// The sites registered through oxd.
    pub sites: Vec<RegisteredSite>,
    /// Every placeholder value.
    pub vars: Vars,
    /// The OP's users (username, clear-text password from the scenario).
    pub users: Vec<User>,
    /// The routes of the declarative config.
    pub routes: Vec<RouteInfo>,
    /// The guide with the real values filled in.
    pub guide: Vec<(String, String)>,
    /// The Gluu Gateway Admin GUI in front of the gateway's Admin API and oxd.
    pub gui: gatecheck_gui::Handle,
    /// Its administrator (clear-text password).
    pub gui_user: User,
    /// The description steps use.
    pub target: Target,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("name", &self.name)
            .field("op", &self.op.issuer())
            .field("oxd", &self.oxd.url())
            .field("gateway", &self.gateway.proxy_url())
            .finish_non_exhaustive()
    }
}

async fn bind(port: u16, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| {
            format!("cannot listen on 127.0.0.1:{port} for the {what} (in use? try --ephemeral)")
        })
}

/// The in-process OP's clock: the wall clock plus however far steps moved it (`N seconds
/// pass`), so a scenario can let time pass without sleeping while tokens and one-time
/// passwords keep following real time otherwise.
#[derive(Debug, Clone, Default)]
pub struct OpClock {
    offset: Arc<AtomicI64>,
}

impl OpClock {
    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }

    /// How far it has been moved, in seconds.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }
}

impl gatecheck_op::Clock for OpClock {
    fn now(&self) -> i64 {
        gatecheck_op::SystemClock.now() + self.offset()
    }
}

impl Stack {
    /// Starts the scenario's stack.
    pub async fn start(scenario: &Scenario, mode: PortMode) -> anyhow::Result<Stack> {
        let ports = scenario.ports(mode);
        let op_l = bind(ports.op, "OpenID Provider").await?;
        let oxd_l = bind(ports.oxd, "oxd server").await?;
        let proxy_l = bind(ports.proxy, "gateway proxy").await?;
        let admin_l = bind(ports.admin, "gateway Admin API").await?;
        let gui_l = bind(ports.gui, "Admin GUI").await?;
        let mut upstream_ls = Vec::new();
        for u in &scenario.upstreams {
            let port = if mode == PortMode::Tutorial {
                u.port
            } else {
                0
            };
            upstream_ls.push(bind(port, &format!("upstream {:?}", u.name)).await?);
        }

        let mut vars = Vars::new();
        vars.set("op.url", format!("http://{}", op_l.local_addr()?));
        vars.set("oxd.url", format!("http://{}", oxd_l.local_addr()?));
        vars.set("gateway.proxy", format!("http://{}", proxy_l.local_addr()?));
        vars.set("gateway.proxy_host", proxy_l.local_addr()?.to_string());
        vars.set("gateway.admin", format!("http://{}", admin_l.local_addr()?));
        vars.set("gui.url", format!("http://{}", gui_l.local_addr()?));
        for (u, l) in scenario.upstreams.iter().zip(&upstream_ls) {
            vars.set(
                format!("upstreams.{}", u.name),
                format!("http://{}", l.local_addr()?),
            );
        }

        // OP
        let mut op_doc = vars.fill(&scenario.op, "op")?;
        let users = describe::users(&op_doc);
        let target_users = target_users(&op_doc);
        let static_clients = describe::static_clients(&op_doc);
        passwords::prehash(&mut op_doc).context("op: users")?;
        let mut op_config: gatecheck_op::Config =
            serde_json::from_value(op_doc).context("op: not a valid gatecheck-op config")?;
        if op_config.base_dir.is_none() {
            op_config.base_dir = scenario.base_dir.clone();
        }
        let op_clock = OpClock::default();
        let op = gatecheck_op::start_with_clock(op_config, op_l, Arc::new(op_clock.clone()))
            .await
            .context("the OpenID Provider did not start")?;
        vars.set("op.issuer", op.issuer());

        // oxd
        let oxd_config: gatecheck_oxd::Config =
            serde_json::from_value(vars.fill(&scenario.oxd, "oxd")?)
                .context("oxd: not a valid gatecheck-oxd config")?;
        let oxd = gatecheck_oxd::start(oxd_config, oxd_l)
            .await
            .context("oxd did not start")?;

        // sites
        let http = reqwest::Client::builder()
            .timeout(SETUP_TIMEOUT)
            .build()
            .context("HTTP client")?;
        // Clients configured in the OP itself (no oxd registration) are sites named after their
        // client id, so steps and `up --json` find them like the registered ones.
        for site in &static_clients {
            vars.set(
                format!("sites.{}.client_id", site.name),
                site.client_id.clone(),
            );
            vars.set(
                format!("sites.{}.client_secret", site.name),
                site.client_secret.clone(),
            );
        }
        let mut sites = static_clients;
        for (i, spec) in scenario.sites.iter().enumerate() {
            let at = format!("sites[{i}].register");
            let mut body = vars.fill(&spec.register, &at)?;
            if let Some(obj) = body.as_object_mut() {
                obj.entry("op_host").or_insert_with(|| json!(op.issuer()));
            }
            let site = register_site(&http, &oxd.url(), &spec.name, &body).await?;
            vars.set(
                format!("sites.{}.client_id", site.name),
                site.client_id.clone(),
            );
            vars.set(
                format!("sites.{}.client_secret", site.name),
                site.client_secret.clone(),
            );
            vars.set(format!("sites.{}.oxd_id", site.name), site.oxd_id.clone());
            sites.push(site);
        }

        // upstreams
        let mut upstreams = Vec::new();
        for (spec, l) in scenario.upstreams.iter().zip(upstream_ls) {
            let handle = gatecheck_upstream::start(spec.app, l)
                .await
                .with_context(|| format!("upstream {:?} did not start", spec.name))?;
            upstreams.push(RunningUpstream {
                name: spec.name.clone(),
                app: spec.app,
                handle,
            });
        }

        // gateway
        let declarative = vars.fill(&scenario.gateway.declarative, "gateway.declarative")?;
        let routes = describe::routes(&declarative);
        let mut settings = vars.fill(&scenario.gateway.settings, "gateway.settings")?;
        if let Some(obj) = settings.as_object_mut() {
            obj.insert("declarative_config_string".into(), declarative);
        }
        let gw_config: gatecheck_gateway::Config = serde_json::from_value(settings)
            .context("gateway.settings: not a valid gateway config")?;
        let gateway_clock = gatecheck_gateway::clock::ManualClock::default();
        let gateway = gatecheck_gateway::start_with_clock(
            gw_config,
            proxy_l,
            admin_l,
            std::sync::Arc::new(gateway_clock.clone()),
        )
        .await
        .context("the gateway did not start")?;
        if let Some(url) = gateway.proxy_ssl_url() {
            vars.set("gateway.proxy_ssl", url);
        }

        let gui_user = User {
            username: scenario.gui.username.clone(),
            password: scenario
                .gui
                .password
                .clone()
                .unwrap_or_else(random_password),
        };
        let gui = start_gui(&gui_user, &op, &oxd, &gateway, gui_l).await?;

        let guide = scenario
            .guide
            .iter()
            .enumerate()
            .map(|(i, g)| {
                Ok((
                    g.title.clone(),
                    vars.fill_str(&g.text, &format!("guide[{i}]"))?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let discovery = Discovery::fetch(&http, &op.issuer())
            .await
            .context("the OpenID Provider's discovery document")?;
        let target = Target {
            name: scenario.name.clone(),
            op: OpTarget {
                issuer: op.issuer(),
                discovery,
                product: OpProduct::Gatecheck,
            },
            oxd: Some(oxd.url()),
            gateway: Some(GatewayTarget {
                proxy: gateway.proxy_url(),
                admin: Some(gateway.admin_url()),
                product: GatewayProduct::Gatecheck,
            }),
            upstreams: upstreams
                .iter()
                .map(|u| (u.name.clone(), u.handle.url()))
                .collect(),
            sites: sites.clone(),
            users: target_users,
            gui: Some(GuiTarget {
                url: gui.url(),
                username: gui_user.username.clone(),
                password: gui_user.password.clone(),
            }),
            vars: vars.clone(),
            capabilities: Capabilities::all(),
        };

        Ok(Stack {
            target,
            name: scenario.name.clone(),
            op,
            op_clock,
            oxd,
            gateway,
            gateway_clock,
            upstreams,
            sites,
            vars,
            users,
            routes,
            guide,
            gui,
            gui_user,
        })
    }

    /// A registered site by name.
    pub fn site(&self, name: &str) -> anyhow::Result<&RegisteredSite> {
        self.sites.iter().find(|s| s.name == name).with_context(|| {
            let known: Vec<_> = self.sites.iter().map(|s| s.name.as_str()).collect();
            format!(
                "stack {:?} has no site {name:?} (sites: {})",
                self.name,
                known.join(", ")
            )
        })
    }

    /// The base URL of an upstream by name.
    pub fn upstream_url(&self, name: &str) -> anyhow::Result<String> {
        self.upstreams
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.handle.url())
            .with_context(|| format!("stack {:?} has no upstream {name:?}", self.name))
    }

    /// The proxy's base URL.
    pub fn proxy_url(&self) -> String {
        self.gateway.proxy_url()
    }

    /// The Admin API's base URL.
    pub fn admin_url(&self) -> String {
        self.gateway.admin_url()
    }

    /// Shuts every server down in reverse start order (aborting any that takes too long).
    pub async fn shutdown(self) {
        let Stack {
            op,
            oxd,
            gateway,
            upstreams,
            gui,
            ..
        } = self;
        let graceful = async move {
            gui.shutdown().await;
            gateway.shutdown().await;
            for u in upstreams {
                u.handle.shutdown().await;
            }
            oxd.shutdown().await;
            op.shutdown().await;
        };
        // Dropping the handles on timeout aborts the remaining server tasks.
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful).await;
    }
}

/// The OP config's users as target users: each plays itself.
fn target_users(op: &Value) -> Vec<TargetUser> {
    let users = op.get("users").and_then(Value::as_array);
    users
        .into_iter()
        .flatten()
        .filter_map(|u| {
            let username = u.get("username")?.as_str()?.to_owned();
            let password = u.get("password")?.as_str()?.to_owned();
            let claims = u
                .get("claims")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            Some(TargetUser {
                plays: username.clone(),
                feature_password: Some(password.clone()),
                feature_claims: claims.clone(),
                username,
                password,
                claims,
                otp_secret: u
                    .get("otp_secret")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// The Admin GUI password of stacks whose scenario names none: random, and one per process, so
/// the stacks of a run share one light hash of it ([`passwords::light_hash`]) instead of hashing
/// a new password at every start.
fn random_password() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    static PASSWORD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PASSWORD
        .get_or_init(|| Alphanumeric.sample_string(&mut rand::rngs::OsRng, 16))
        .clone()
}

/// The Admin GUI configured for the stack: the gateway's Admin API, oxd, the OP, the proxy as
/// the URL users open.
async fn start_gui(
    user: &User,
    op: &gatecheck_op::Handle,
    oxd: &gatecheck_oxd::Handle,
    gateway: &gatecheck_gateway::Handle,
    listener: TcpListener,
) -> anyhow::Result<gatecheck_gui::Handle> {
    let url = |s: String| url::Url::parse(&s).with_context(|| format!("bad URL {s}"));
    let mut config = gatecheck_gui::Config::new(
        url(gateway.admin_url())?,
        url(oxd.url())?,
        url(op.issuer())?,
        vec![gatecheck_gui::AdminUser {
            username: user.username.clone(),
            password_hash: passwords::light_hash(&user.password)?,
        }],
    );
    config.proxy_url = Some(url(gateway.proxy_url())?);
    gatecheck_gui::start(config, listener)
        .await
        .context("the Admin GUI did not start")
}

/// Registers a site through oxd's `register-site`.
pub(crate) async fn register_site(
    http: &reqwest::Client,
    oxd_url: &str,
    name: &str,
    body: &Value,
) -> anyhow::Result<RegisteredSite> {
    let url = format!("{oxd_url}/register-site");
    let resp = http
        .post(&url)
        .json(body)
        .send()
        .await
        .with_context(|| format!("site {name:?}: POST {url} failed"))?;
    let status = resp.status();
    let answer: Value = resp
        .json()
        .await
        .with_context(|| format!("site {name:?}: register-site answered {status} without JSON"))?;
    anyhow::ensure!(
        status.is_success(),
        "site {name:?}: register-site answered {status}: {answer}"
    );
    let field = |k: &str| -> anyhow::Result<String> {
        answer
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("site {name:?}: register-site answer has no {k}: {answer}"))
    };
    let redirect_uris = body
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(RegisteredSite {
        name: name.to_owned(),
        oxd_id: field("oxd_id")?,
        client_id: field("client_id")?,
        client_secret: field("client_secret")?,
        redirect_uris,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_placeholder_used_before_its_value_exists_stops_the_start() {
        let scenario = Scenario::from_yaml_str(
            "name: t\nop:\n  clients:\n    - client_id: ${sites.consumer.client_id}\ngateway: {declarative: {}}\n",
        )
        .unwrap();
        let err = Stack::start(&scenario, PortMode::Ephemeral)
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains(
                "op.clients[0].client_id: unknown placeholder ${sites.consumer.client_id}"
            ),
            "{text}"
        );
        assert!(text.contains("after the sites are registered"), "{text}");
    }

    #[tokio::test]
    async fn a_site_oxd_refuses_stops_the_start_with_oxd_s_answer() {
        let scenario = Scenario::from_yaml_str(
            "name: t\nop: {}\nsites:\n  - name: bad\n    register: {redirect_uris: [\"not a url\"]}\ngateway: {declarative: {}}\n",
        )
        .unwrap();
        let err = Stack::start(&scenario, PortMode::Ephemeral)
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("site \"bad\": register-site answered 400"),
            "{text}"
        );
    }
}
