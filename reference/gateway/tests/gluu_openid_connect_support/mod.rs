//! The step-up tutorial's stack in process: the reference OP (manual clock), oxd, the echo
//! upstream and the gateway with `gluu-openid-connect`, configured through the Admin API.

#![allow(dead_code)]

pub mod browser;

use std::sync::Arc;

use gatecheck_gateway::plugins::gluu_openid_connect;
use gatecheck_op::Clock as _;
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub use browser::*;

pub const SECRET: &str = "a shared session secret for the gateway instances";

pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The tutorial's ACR rules plus a `no_auth` area.
pub fn acr_rules() -> Value {
    json!([
        {"path": "/payments/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["otp"], "no_auth": false}]},
        {"path": "/home/??", "conditions": [{"httpMethods": ["?"], "no_auth": true}]},
        {"path": "/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["auth_ldap_server"], "no_auth": false}]}
    ])
}

pub struct Stack {
    pub op: gatecheck_op::Handle,
    pub op_clock: gatecheck_op::ManualClock,
    pub oxd: gatecheck_oxd::Handle,
    pub upstream: gatecheck_upstream::Handle,
    pub gw: gatecheck_gateway::Handle,
    /// The address browsers use: a TCP balancer in front of the gateway instance(s).
    pub front: Front,
    /// The plugin config given to the Admin API.
    pub plugin: Value,
    /// `oxd_url` the plugin uses (the real oxd unless a test swaps in wiremock).
    pub site: Value,
}

impl Stack {
    /// The whole stack with the default plugin config patched by `patch`.
    pub async fn start(patch: Value) -> Stack {
        Self::start_with(patch, None).await
    }

    /// Like [`Stack::start`], with the plugin talking to `oxd_override` instead of the real oxd.
    pub async fn start_with(patch: Value, oxd_override: Option<String>) -> Stack {
        let op_config = gatecheck_op::Config::from_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/op/op.yml"
        ))
        .unwrap();
        let op_clock = gatecheck_op::ManualClock::default();
        let op =
            gatecheck_op::start_with_clock(op_config, listener().await, Arc::new(op_clock.clone()))
                .await
                .unwrap();
        let oxd = gatecheck_oxd::start(gatecheck_oxd::Config::default(), listener().await)
            .await
            .unwrap();
        let upstream = gatecheck_upstream::start(gatecheck_upstream::App::Echo, listener().await)
            .await
            .unwrap();
        let proxy = listener().await;
        let front = Front::start(proxy.local_addr().unwrap()).await;
        let proxy_url = front.url();
        let site = register_site(&oxd, &op, &proxy_url).await;
        let config = gatecheck_gateway::Config {
            session_secret: Some(SECRET.into()),
            plugin_http_timeout_ms: 5000,
            ..Default::default()
        };
        let gw = gatecheck_gateway::start(config, proxy, listener().await)
            .await
            .unwrap();
        let mut plugin = json!({
            "oxd_id": site["oxd_id"], "client_id": site["client_id"],
            "client_secret": site["client_secret"],
            "oxd_url": oxd_override.unwrap_or_else(|| oxd.url()), "op_url": op.issuer(),
            "authorization_redirect_path": "/callback",
            "logout_path": "/logout",
            "post_logout_redirect_path_or_url": "/bye",
            "requested_scopes": ["openid", "profile", "email"],
            "max_id_token_age": 3600, "max_id_token_auth_age": 3600,
            "required_acrs_expression": acr_rules().to_string(),
            "restore_original_auth_params": true,
            "custom_headers": [
                {"header_name": "kong_openidc_userinfo_email", "value_lua_exp": "userinfo.email"},
                {"header_name": "kong-openidc-id-token-acr", "value_lua_exp": "id_token.acr"},
                {"header_name": "gg-access-token", "value_lua_exp": "access_token"}
            ]
        });
        for (k, v) in patch.as_object().unwrap() {
            plugin[k] = v.clone();
        }
        let stack = Stack {
            op,
            op_clock,
            oxd,
            upstream,
            gw,
            front,
            plugin,
            site,
        };
        stack.configure_gateway(&stack.gw).await;
        stack
    }

    /// Service, route and plugin through the Admin API (as the tutorial / GG UI does), then the
    /// instance is rebuilt with the test clock.
    pub async fn configure_gateway(&self, gw: &gatecheck_gateway::Handle) {
        admin(
            gw,
            "/services",
            json!({"name": "oidc-steppedup-demo", "url": self.upstream.url()}),
        )
        .await;
        admin(
            gw,
            "/services/oidc-steppedup-demo/routes",
            json!({"name": "oidc-steppedup-demo", "paths": ["/"]}),
        )
        .await;
        admin(
            gw,
            "/services/oidc-steppedup-demo/plugins",
            json!({"name": "gluu-openid-connect", "config": self.plugin}),
        )
        .await;
        let gateway = gw.gateway().clone();
        let clock = SharedClock(self.op_clock.clone());
        gateway
            .write(move |state| {
                for record in &mut state.plugins {
                    if record.entity.name == gluu_openid_connect::NAME {
                        let configured = gluu_openid_connect::configure_with_clock(
                            &record.entity.config,
                            &gateway_env(gw),
                            Arc::new(clock.clone()),
                        )
                        .unwrap();
                        record.instance = configured.plugin;
                    }
                }
                Ok(())
            })
            .await
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.front.url())
    }

    /// Another gateway instance with the same plugin config and `secret`.
    pub async fn another_gateway(&self, secret: &str) -> gatecheck_gateway::Handle {
        let config = gatecheck_gateway::Config {
            session_secret: Some(secret.into()),
            plugin_http_timeout_ms: 5000,
            ..Default::default()
        };
        let gw = gatecheck_gateway::start(config, listener().await, listener().await)
            .await
            .unwrap();
        self.configure_gateway(&gw).await;
        gw
    }

    /// The OP's time for TOTP codes.
    pub fn op_now(&self) -> impl Fn() -> u64 + '_ {
        move || self.op_clock.now() as u64
    }

    /// Moves the time of the OP and of the plugin (they share one clock).
    pub fn advance(&self, seconds: i64) {
        self.op_clock.advance(seconds);
    }

    /// Opens `path` and logs in as admin (password, consent); returns the page reached.
    pub async fn login_as_admin(
        &self,
        browser: &Browser,
        path: &str,
        app: &mut Authenticator,
    ) -> Page {
        let page = browser.open(&self.url(path)).await;
        browser
            .complete_login(page, &ADMIN, app, self.op_now())
            .await
    }
}

/// The OP's manual clock, read by the plugin too.
#[derive(Debug, Clone)]
pub struct SharedClock(pub gatecheck_op::ManualClock);

impl gluu_openid_connect::Clock for SharedClock {
    fn now(&self) -> i64 {
        self.0.now()
    }
}

fn gateway_env(gw: &gatecheck_gateway::Handle) -> gatecheck_gateway::plugins::PluginEnv {
    gw.gateway().env.clone()
}

pub const ADMIN: User<'static> = User {
    username: "admin",
    password: "secret",
    otp_override: None,
};

pub async fn admin(gw: &gatecheck_gateway::Handle, path: &str, body: Value) -> Value {
    let resp = http()
        .post(format!("{}{path}", gw.admin_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, 201, "{path}: {body}");
    body
}

/// The gateway's OP client, registered through oxd as the GG UI does.
pub async fn register_site(
    oxd: &gatecheck_oxd::Handle,
    op: &gatecheck_op::Handle,
    proxy_url: &str,
) -> Value {
    let resp = http()
        .post(format!("{}/register-site", oxd.url()))
        .json(&json!({
            "op_host": op.issuer(),
            "redirect_uris": [format!("{proxy_url}/callback")],
            "post_logout_redirect_uris": [format!("{proxy_url}/bye")],
            "scope": ["openid", "profile", "email", "oxd"],
            "grant_types": ["authorization_code", "client_credentials"],
            "client_name": "gluu-gateway",
        }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "register-site: {body}");
    body
}

/// What the echo upstream received, from a page it served.
pub fn echoed(page: &Page) -> Value {
    assert_eq!(page.status, 200, "{} {}", page.url, page.body);
    page.json().unwrap()
}

/// A TCP balancer: every connection goes to the instance currently selected, so several
/// gateway instances share one origin as they would behind a load balancer.
pub struct Front {
    addr: std::net::SocketAddr,
    target: Arc<std::sync::Mutex<std::net::SocketAddr>>,
    task: tokio::task::JoinHandle<()>,
}

impl Front {
    pub async fn start(target: std::net::SocketAddr) -> Front {
        let l = listener().await;
        let addr = l.local_addr().unwrap();
        let target = Arc::new(std::sync::Mutex::new(target));
        let current = target.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = l.accept().await {
                let to = *current.lock().unwrap();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Front { addr, target, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends the following connections to `gw`.
    pub fn switch_to(&self, gw: &gatecheck_gateway::Handle) {
        *self.target.lock().unwrap() = gw.proxy_addr();
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}
