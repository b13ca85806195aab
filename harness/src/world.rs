//! The cucumber world ([`GateWorld`]): one scenario's stack, browser, authenticator and last responses.
//!
//! A scenario starts its own stack (`Given the "NAME" stack is running`) on ephemeral ports and
//! the runner tears it down after the scenario. A feature tagged `@stack-per-feature` shares one
//! stack per (feature, stack name) between its scenarios instead; it is shut down when the last
//! selected scenario of the feature has finished (and, at the latest, at the end of the run).
//! Only stateless features should share (OTP enrollments, sessions and remembered consents live
//! in the stack).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::browser::{record, Authenticator, Browser};
use crate::scenario::{PortMode, Scenario};
use crate::stack::Stack;
use crate::target::{External, ExternalStack, Target};

/// Feature tag that makes its scenarios share one stack.
pub const SHARED_STACK_TAG: &str = "stack-per-feature";
/// Timeout of every HTTP call a step makes.
pub const STEP_HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// An HTTP response a step received.
#[derive(Debug, Clone)]
pub struct Response {
    /// What was requested, for messages.
    pub request: String,
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body text.
    pub body: String,
}

impl Response {
    /// An error naming the request, its status and body unless the status is `status`.
    pub fn expect_status(&self, status: u16) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.status == status,
            "{} answered {} (expected {status}): {}",
            self.request,
            self.status,
            self.body
        );
        Ok(())
    }

    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("{}: body is not JSON: {}", self.request, self.body))
    }

    /// Reads a response.
    pub async fn read(request: String, resp: reqwest::Response) -> anyhow::Result<Self> {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .text()
            .await
            .with_context(|| format!("{request}: cannot read the body"))?;
        Ok(Self {
            request,
            status,
            headers,
            body,
        })
    }
}

/// The state of one scenario.
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct GateWorld {
    /// The feature's tags and path (set by the runner's before hook).
    pub feature_tags: Vec<String>,
    /// Identifies the feature for shared stacks.
    pub feature_key: String,
    stack: Option<Arc<Running>>,
    shared: bool,
    /// The browser of the current user.
    pub browser: Option<Browser>,
    /// The authenticator enrolled from the QR code.
    pub authenticator: Option<Authenticator>,
    /// The last one-time password the user entered successfully or not.
    pub last_otp: Option<String>,
    /// The features' user who last logged in at the OP (`admin`).
    pub logged_in_as: Option<String>,
    /// The last token response (from oxd or the OP).
    pub token: Option<Response>,
    /// The last response of a call through the gateway.
    pub response: Option<Response>,
    /// The last Admin API response.
    pub admin: Option<Response>,
    /// The last oxd response other than a token.
    pub oxd: Option<Response>,
    /// Output of the requesting party: (success, stdout, stderr).
    pub rqp: Option<(bool, String, String)>,
    /// Plain HTTP client for API calls (no cookies, no redirects); every exchange is recorded.
    pub http: record::Client,
    /// Everything the scenario's clients and browsers exchanged, drained by the runner.
    pub recorder: record::Recorder,
    /// The administrator's browser at the Admin GUI (a session of its own).
    pub gui_browser: Option<Browser>,
    /// What the administrator typed into the current GUI form (field label or name → value),
    /// sent with the next button click.
    pub gui_fills: Vec<(String, String)>,
    /// Checkboxes / radio buttons ticked on the current GUI form (name, value).
    pub gui_ticks: Vec<(String, String)>,
    /// OP clients whose details the administrator copied from the GUI: (name, id, secret).
    pub copied_clients: Vec<(String, String, String)>,
    /// What a Kong guide's shell keeps between requests (exported values, cookie jars).
    pub kong: crate::steps::kong::KongState,
    /// The certification plans' relying party (`features/oidcc`).
    pub oidcc: crate::steps::oidcc::RpState,
    /// The OP's keys around a rotation (`oidcc-server-rotate-keys`).
    pub op_keys: crate::steps::op_oidcc::KeysState,
    /// The relying party of Gluu's OP page (`features/op`).
    pub op_doc: crate::steps::op_doc::DocState,
}

impl GateWorld {
    fn new() -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(STEP_HTTP_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let recorder = record::Recorder::default();
        let http = record::Client::new(http, recorder.clone());
        Ok(Self {
            feature_tags: Vec::new(),
            feature_key: String::new(),
            stack: None,
            shared: false,
            browser: None,
            authenticator: None,
            last_otp: None,
            logged_in_as: None,
            token: None,
            response: None,
            admin: None,
            oxd: None,
            rqp: None,
            http,
            recorder,
            gui_browser: None,
            gui_fills: Vec::new(),
            gui_ticks: Vec::new(),
            copied_clients: Vec::new(),
            kong: Default::default(),
            oidcc: Default::default(),
            op_keys: Default::default(),
            op_doc: Default::default(),
        })
    }

    /// What the scenario's steps talk to: every URL, client and user, however the stack was
    /// produced. Steps use this, not [`Self::stack`].
    pub fn target(&self) -> anyhow::Result<&Target> {
        Ok(self.running()?.target())
    }

    fn running(&self) -> anyhow::Result<&Running> {
        self.stack
            .as_deref()
            .context("no stack is running: start one with `Given the \"NAME\" stack is running`")
    }

    /// The in-process stack, for steps that reach into the reference components themselves
    /// (scenarios tagged `@reference-only`).
    pub fn stack(&self) -> anyhow::Result<&Stack> {
        match self.running()? {
            Running::InProcess(stack) => Ok(stack),
            Running::External(e) => anyhow::bail!(
                "{} runs against a target file's systems, not the in-process reference stack; \
                 a step that reaches into the reference components belongs to a scenario \
                 tagged @reference-only",
                e.target.name
            ),
        }
    }

    /// Whether the scenario runs against a target file's systems.
    pub fn is_external(&self) -> bool {
        matches!(self.stack.as_deref(), Some(Running::External(_)))
    }

    /// Records an entity a step created through an external gateway's Admin API, so that it
    /// is removed after the scenario.
    pub fn admin_created(&mut self, collection_url: &str, answer: &Value) {
        if self.is_external() && !self.shared {
            if let Some(Running::External(e)) = self.stack.as_mut().and_then(Arc::get_mut) {
                e.created(collection_url, answer);
            }
        }
    }

    /// Starts the named stack (or joins the feature's shared one), after `adjust` changes it.
    pub async fn start_stack(
        &mut self,
        name: &str,
        adjust: impl FnOnce(&mut Scenario),
        shareable: bool,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.stack.is_none(),
            "a stack is already running in this scenario"
        );
        let mut scenario = Scenario::load(name)?;
        adjust(&mut scenario);
        let share = shareable && self.feature_tags.iter().any(|t| t == SHARED_STACK_TAG);
        let started = if share {
            shared_stack(&self.feature_key, scenario).await
        } else {
            Running::start(&scenario).await.map(Arc::new)
        };
        // Cucumber prints an error's top line only; keep the causes in it.
        let stack = started.map_err(|e| anyhow::anyhow!("{e:#}"))?;
        self.stack = Some(stack);
        self.shared = share;
        Ok(())
    }

    /// Shuts down the scenario's own stack (shared stacks stay up for the feature).
    pub async fn teardown(&mut self) {
        if let Some(browser) = self.browser.take() {
            browser.close().await;
        }
        self.gui_browser = None;
        if let Some(stack) = self.stack.take() {
            if !self.shared {
                if let Ok(stack) = Arc::try_unwrap(stack) {
                    stack.shutdown().await;
                }
            }
        }
    }

    /// The browser, opened on first use.
    pub fn browser(&mut self) -> anyhow::Result<&mut Browser> {
        if self.browser.is_none() {
            self.browser = Some(self.new_browser()?);
        }
        self.browser.as_mut().context("browser")
    }

    /// A new browser (a new user) whose exchanges are recorded with the scenario's: a
    /// headless Chromium session when the run uses Chromium (`--browser chromium`).
    pub fn new_browser(&self) -> anyhow::Result<Browser> {
        let builder = Browser::builder()
            .timeout(STEP_HTTP_TIMEOUT)
            .recorder(self.recorder.clone());
        let builder = match crate::runner::chromium() {
            Some(driver) => builder.chromium(driver),
            None => builder,
        };
        Ok(builder.build()?)
    }

    /// A new scripted browser whatever the run's browser, recorded with the scenario's: the
    /// administrator's at the Admin GUI (whose headless-Chromium run is the GUI crate's own
    /// test).
    pub fn new_scripted_browser(&self) -> anyhow::Result<Browser> {
        Ok(Browser::builder()
            .timeout(STEP_HTTP_TIMEOUT)
            .recorder(self.recorder.clone())
            .build()?)
    }

    /// Fills `${...}` placeholders of a step argument with the target's values.
    pub fn fill(&self, text: &str) -> anyhow::Result<String> {
        self.target()?.fill(text)
    }
}

/// What a scenario runs against: the in-process reference stack, or a target file's systems.
#[derive(Debug)]
enum Running {
    InProcess(Box<Stack>),
    External(Box<ExternalStack>),
}

impl Running {
    /// Starts the in-process stack, or gives the scenario to the run's target file.
    async fn start(scenario: &Scenario) -> anyhow::Result<Self> {
        match external() {
            Some(ext) => Ok(Running::External(Box::new(
                ExternalStack::start(&ext, scenario).await?,
            ))),
            None => Ok(Running::InProcess(Box::new(
                Stack::start(scenario, PortMode::Ephemeral).await?,
            ))),
        }
    }

    fn target(&self) -> &Target {
        match self {
            Running::InProcess(s) => &s.target,
            Running::External(e) => &e.target,
        }
    }

    async fn shutdown(self) {
        match self {
            Running::InProcess(s) => s.shutdown().await,
            Running::External(e) => e.shutdown().await,
        }
    }
}

/// The target file of this run (`gatecheck run --target`); `None` = the in-process stack.
pub fn external() -> Option<Arc<External>> {
    EXTERNAL.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Sets (or clears) the target file scenarios of this process run against.
pub fn set_external(target: Option<Arc<External>>) {
    *EXTERNAL.lock().unwrap_or_else(|p| p.into_inner()) = target;
}

static EXTERNAL: Mutex<Option<Arc<External>>> = Mutex::new(None);

type SharedCell = Arc<tokio::sync::OnceCell<Arc<Running>>>;

fn registry() -> &'static Mutex<HashMap<(String, String), SharedCell>> {
    static REGISTRY: OnceLock<Mutex<HashMap<(String, String), SharedCell>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

async fn shared_stack(feature: &str, scenario: Scenario) -> anyhow::Result<Arc<Running>> {
    let cell = {
        let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
        map.entry((feature.to_owned(), scenario.name.clone()))
            .or_default()
            .clone()
    };
    let stack = cell
        .get_or_try_init(|| async { Running::start(&scenario).await.map(Arc::new) })
        .await?;
    Ok(stack.clone())
}

fn remaining() -> &'static Mutex<HashMap<String, usize>> {
    static REMAINING: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    REMAINING.get_or_init(Default::default)
}

/// Records that a scenario of `feature` starts; `selected` is how many scenarios of the feature
/// the run selected (counted once, on the feature's first scenario).
pub fn scenario_starting(feature: &str, selected: usize) {
    let mut map = remaining().lock().unwrap_or_else(|p| p.into_inner());
    map.entry(feature.to_owned()).or_insert(selected);
}

/// Records that a scenario of `feature` finished; after the last one the feature's shared
/// stacks are shut down.
pub async fn scenario_finished(feature: &str) {
    let last = {
        let mut map = remaining().lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(feature) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                map.remove(feature);
                true
            }
            None => false,
        }
    };
    if last {
        let cells: Vec<SharedCell> = {
            let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
            let keys: Vec<_> = map.keys().filter(|(f, _)| f == feature).cloned().collect();
            keys.iter().filter_map(|k| map.remove(k)).collect()
        };
        shutdown_cells(cells).await;
    }
}

async fn shutdown_cells(cells: Vec<SharedCell>) {
    for cell in cells {
        if let Ok(cell) = Arc::try_unwrap(cell) {
            if let Some(stack) = cell.into_inner() {
                if let Ok(stack) = Arc::try_unwrap(stack) {
                    stack.shutdown().await;
                }
            }
        }
    }
}

/// Shuts down every shared stack (end of a run).
pub async fn shutdown_shared_stacks() {
    let cells: Vec<SharedCell> = {
        let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
        map.drain().map(|(_, v)| v).collect()
    };
    shutdown_cells(cells).await;
}

/// Path of the `gatecheck` executable steps run (`gatecheck rqp`), set by the runner.
pub fn gatecheck_exe() -> Option<PathBuf> {
    EXE.get().cloned()
}

/// Sets the `gatecheck` executable steps run.
pub fn set_gatecheck_exe(path: PathBuf) {
    let _ = EXE.set(path);
}

static EXE: OnceLock<PathBuf> = OnceLock::new();

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(feature: &str) -> usize {
        let map = registry().lock().unwrap();
        map.keys().filter(|(f, _)| f == feature).count()
    }

    #[tokio::test]
    async fn a_shared_stack_serves_the_feature_and_stops_after_its_last_scenario() {
        let feature = "tests/shared.feature";
        scenario_starting(feature, 2);
        scenario_starting(feature, 2); // counted once per feature
        let a = shared_stack(feature, Scenario::load("spontaneous-scope").unwrap())
            .await
            .unwrap();
        let b = shared_stack(feature, Scenario::load("spontaneous-scope").unwrap())
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let proxy = a.target().proxy_url().unwrap().to_owned();
        drop((a, b));
        scenario_finished(feature).await;
        assert_eq!(registered(feature), 1, "still used by the second scenario");
        scenario_finished(feature).await;
        assert_eq!(registered(feature), 0);
        // The stack's listeners are closed.
        let refused = reqwest::Client::new().get(&proxy).send().await;
        assert!(refused.is_err(), "{refused:?}");
    }
}
