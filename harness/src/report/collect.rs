//! A cucumber writer that keeps what the report shows: features, scenarios and steps with their
//! outcome and timings. The runner hands it the scenarios' records afterwards, and each record
//! goes to the step during which it started.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use cucumber::{event, gherkin, parser, Event};
use serde::Serialize;

use crate::browser::record::Record;

/// A step's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It passed.
    Passed,
    /// It failed (or, for a scenario, a step or hook of it did).
    Failed,
    /// No step definition matched it, or an earlier step failed.
    Skipped,
}

/// One step as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// `Given `, `When `, ...
    pub keyword: String,
    /// The step's text.
    pub text: String,
    /// Line in the feature file.
    pub line: usize,
    /// A doc string argument.
    pub docstring: Option<String>,
    /// Whether it is a Background step.
    pub background: bool,
    /// Outcome; `None` while running.
    pub status: Option<Status>,
    /// Started, milliseconds since the Unix epoch.
    pub started_ms: f64,
    /// Duration in milliseconds.
    pub duration_ms: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// What happened during it, in order.
    pub records: Vec<Record>,
}

/// One scenario as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// Its name.
    pub name: String,
    /// Its line.
    pub line: usize,
    /// Its tags and the feature's (without `@`).
    pub tags: Vec<String>,
    /// Outcome.
    pub status: Status,
    /// Why it failed outside any step (a hook).
    pub error: Option<String>,
    /// Started, milliseconds since the Unix epoch.
    pub started_ms: f64,
    /// Duration in milliseconds.
    pub duration_ms: f64,
    /// Its steps (Background first).
    pub steps: Vec<StepReport>,
}

/// One feature file.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureReport {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its path as given to the run.
    pub path: String,
    /// Its tags (without `@`).
    pub tags: Vec<String>,
    /// Its scenarios in the order they started.
    pub scenarios: Vec<ScenarioReport>,
}

/// Everything a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    /// The features, in file order.
    pub features: Vec<FeatureReport>,
}

impl RunReport {
    /// One entry per failed scenario (`path:line  name`, then the failing step and its error),
    /// printed after the run so that the end of a long CI log says what failed.
    pub fn failure_summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        for feature in &self.features {
            for scenario in &feature.scenarios {
                if scenario.status != Status::Failed {
                    continue;
                }
                let mut entry = format!("{}:{}  {}", feature.path, scenario.line, scenario.name);
                let step = scenario
                    .steps
                    .iter()
                    .find(|s| s.status == Some(Status::Failed));
                let (what, error) = match step {
                    Some(s) => (
                        format!("{}{} (line {})", s.keyword, s.text, s.line),
                        s.error.as_deref(),
                    ),
                    None => ("a hook".to_owned(), scenario.error.as_deref()),
                };
                entry.push_str(&format!("\n    failed at {what}"));
                // Enough of the error to recognise it; the full text is above in the log.
                for line in error.unwrap_or("").lines().take(6) {
                    entry.push_str(&format!("\n      {line}"));
                }
                out.push(entry);
            }
        }
        out
    }
}

/// One OpenID Foundation certification plan's modules in a run (scenarios tagged with the
/// plan, `@oidcc-basic` and the like; one scenario or outline row per module instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    /// The plan's tag without `@` (`oidcc-basic`).
    pub plan: String,
    /// Modules that passed.
    pub passed: usize,
    /// Modules that failed, by name and line.
    pub failed: Vec<String>,
    /// Modules skipped (the target lacks what they need).
    pub skipped: usize,
}

impl RunReport {
    /// Per certification plan, in the order plans first appear: what the suite's own summary
    /// page shows, passed / failed / skipped per module.
    pub fn plan_summary(&self) -> Vec<PlanSummary> {
        let mut plans: Vec<PlanSummary> = Vec::new();
        for feature in &self.features {
            for scenario in &feature.scenarios {
                for tag in scenario.tags.iter().filter(|t| t.starts_with("oidcc-")) {
                    let at = match plans.iter().position(|p| p.plan == *tag) {
                        Some(i) => i,
                        None => {
                            plans.push(PlanSummary {
                                plan: tag.clone(),
                                passed: 0,
                                failed: Vec::new(),
                                skipped: 0,
                            });
                            plans.len() - 1
                        }
                    };
                    let plan = &mut plans[at];
                    match scenario.status {
                        Status::Passed => plan.passed += 1,
                        Status::Skipped => plan.skipped += 1,
                        Status::Failed => plan.failed.push(format!(
                            "{} ({}:{})",
                            scenario.name, feature.path, scenario.line
                        )),
                    }
                }
            }
        }
        plans
    }
}

fn ms(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Identifies a scenario: its feature's key and its line.
pub type ScenarioKey = (String, usize);

/// Records the after hook took from finished scenarios, waiting for the report.
fn pending() -> &'static Mutex<HashMap<ScenarioKey, Vec<Record>>> {
    static PENDING: OnceLock<Mutex<HashMap<ScenarioKey, Vec<Record>>>> = OnceLock::new();
    PENDING.get_or_init(Default::default)
}

/// Keeps a finished scenario's records for the report.
pub fn keep_records(key: ScenarioKey, records: Vec<Record>) {
    pending()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .extend(records);
}

/// The writer; clones share the report.
#[derive(Debug, Clone, Default)]
pub struct Collector {
    report: Arc<Mutex<RunReport>>,
}

impl Collector {
    /// The report so far, with every kept record attached to its step.
    pub fn finish(&self) -> RunReport {
        let mut report = self
            .report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut kept = std::mem::take(&mut *pending().lock().unwrap_or_else(|p| p.into_inner()));
        for feature in &mut report.features {
            for scenario in &mut feature.scenarios {
                if let Some(records) = kept.remove(&(feature.path.clone(), scenario.line)) {
                    attach(&mut scenario.steps, records);
                }
            }
        }
        report
    }

    fn with(&self, f: impl FnOnce(&mut RunReport)) {
        f(&mut self.report.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// Puts each record under the last step that started before it (records before the first
/// step go to the first one).
pub fn attach(steps: &mut [StepReport], records: Vec<Record>) {
    if steps.is_empty() {
        return;
    }
    for record in records {
        let at = record.at_ms();
        let index = steps.iter().rposition(|s| s.started_ms <= at).unwrap_or(0);
        steps[index].records.push(record);
    }
}

/// The key the runner uses for a feature (its path, or its name).
pub fn feature_key(feature: &gherkin::Feature) -> String {
    feature
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| feature.name.clone())
}

fn tags(tags: &[String]) -> Vec<String> {
    tags.iter()
        .map(|t| t.trim_start_matches('@').to_owned())
        .collect()
}

impl Collector {
    fn feature<'a>(report: &'a mut RunReport, f: &gherkin::Feature) -> &'a mut FeatureReport {
        let key = feature_key(f);
        if let Some(i) = report.features.iter().position(|x| x.path == key) {
            return &mut report.features[i];
        }
        report.features.push(FeatureReport {
            name: f.name.clone(),
            description: f.description.clone().unwrap_or_default(),
            path: key,
            tags: tags(&f.tags),
            scenarios: Vec::new(),
        });
        report.features.last_mut().expect("just pushed")
    }

    fn scenario(&self, f: &gherkin::Feature, sc: &gherkin::Scenario, at: f64, ev: ScenarioEvent) {
        self.with(|report| {
            let feature = Self::feature(report, f);
            let feature_tags = feature.tags.clone();
            let line = sc.position.line;
            let scenario = match feature.scenarios.iter().position(|s| s.line == line) {
                Some(i) => &mut feature.scenarios[i],
                None => {
                    let mut all = feature_tags;
                    all.extend(tags(&sc.tags));
                    feature.scenarios.push(ScenarioReport {
                        name: sc.name.clone(),
                        line,
                        tags: all,
                        status: Status::Passed,
                        error: None,
                        started_ms: at,
                        duration_ms: 0.0,
                        steps: Vec::new(),
                    });
                    feature.scenarios.last_mut().expect("just pushed")
                }
            };
            match ev {
                ScenarioEvent::Started => scenario.started_ms = at,
                ScenarioEvent::HookFailed(why) => {
                    scenario.status = Status::Failed;
                    scenario.error = Some(why);
                }
                ScenarioEvent::Step(step, background, status, error) => {
                    let found = scenario
                        .steps
                        .iter()
                        .position(|s| s.line == step.position.line && s.background == background);
                    let index = found.unwrap_or_else(|| {
                        scenario.steps.push(StepReport {
                            keyword: step.keyword.clone(),
                            text: step.value.clone(),
                            line: step.position.line,
                            docstring: step.docstring.clone(),
                            background,
                            status: None,
                            started_ms: at,
                            duration_ms: 0.0,
                            error: None,
                            records: Vec::new(),
                        });
                        scenario.steps.len() - 1
                    });
                    let s = &mut scenario.steps[index];
                    if let Some(status) = status {
                        s.status = Some(status);
                        s.duration_ms = (at - s.started_ms).max(0.0);
                        s.error = error;
                        match status {
                            Status::Failed => scenario.status = Status::Failed,
                            Status::Skipped if scenario.status == Status::Passed => {
                                scenario.status = Status::Skipped
                            }
                            _ => {}
                        }
                    }
                }
                ScenarioEvent::Finished => {
                    scenario.duration_ms = (at - scenario.started_ms).max(0.0);
                }
            }
        });
    }
}

enum ScenarioEvent {
    Started,
    HookFailed(String),
    Step(gherkin::Step, bool, Option<Status>, Option<String>),
    Finished,
}

fn step_outcome<W>(ev: &event::Step<W>) -> (Option<Status>, Option<String>) {
    match ev {
        event::Step::Started => (None, None),
        event::Step::Passed(..) => (Some(Status::Passed), None),
        event::Step::Skipped => (Some(Status::Skipped), None),
        event::Step::Failed(_, _, _, err) => (Some(Status::Failed), Some(err.to_string())),
    }
}

impl<W: cucumber::World + std::fmt::Debug> cucumber::Writer<W> for Collector {
    type Cli = cucumber::cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<event::Cucumber<W>>>,
        _cli: &Self::Cli,
    ) {
        let Ok(Event { value, at, .. }) = event else {
            return;
        };
        let at = ms(at);
        let (feature, scenario, ev) = match value {
            event::Cucumber::Feature(f, event::Feature::Scenario(sc, ev)) => (f, sc, ev.event),
            event::Cucumber::Feature(f, event::Feature::Rule(_, event::Rule::Scenario(sc, ev))) => {
                (f, sc, ev.event)
            }
            _ => return,
        };
        let ev = match ev {
            event::Scenario::Started => ScenarioEvent::Started,
            event::Scenario::Finished => ScenarioEvent::Finished,
            event::Scenario::Hook(_, event::Hook::Failed(_, info)) => {
                let why = info
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a hook failed".into());
                ScenarioEvent::HookFailed(why)
            }
            event::Scenario::Step(step, ev) => {
                let (status, error) = step_outcome(&ev);
                ScenarioEvent::Step((*step).clone(), false, status, error)
            }
            event::Scenario::Background(step, ev) => {
                let (status, error) = step_outcome(&ev);
                ScenarioEvent::Step((*step).clone(), true, status, error)
            }
            _ => return,
        };
        self.scenario(&feature, &scenario, at, ev);
    }
}

impl cucumber::writer::NonTransforming for Collector {}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(text: &str, line: usize, status: Status, error: Option<&str>) -> StepReport {
        StepReport {
            keyword: "Then ".into(),
            text: text.into(),
            line,
            docstring: None,
            background: false,
            status: Some(status),
            started_ms: 0.0,
            duration_ms: 0.0,
            error: error.map(str::to_owned),
            records: Vec::new(),
        }
    }

    fn scenario(name: &str, line: usize, status: Status, steps: Vec<StepReport>) -> ScenarioReport {
        ScenarioReport {
            name: name.into(),
            line,
            tags: Vec::new(),
            status,
            error: None,
            started_ms: 0.0,
            duration_ms: 0.0,
            steps,
        }
    }

    #[test]
    fn the_failure_summary_names_each_failed_scenario_its_step_and_error() {
        let report = RunReport {
            features: vec![FeatureReport {
                name: "F".into(),
                description: String::new(),
                path: "features/f.feature".into(),
                tags: Vec::new(),
                scenarios: vec![
                    scenario(
                        "fine",
                        3,
                        Status::Passed,
                        vec![step("ok", 4, Status::Passed, None)],
                    ),
                    scenario(
                        "broken",
                        7,
                        Status::Failed,
                        vec![
                            step("first", 8, Status::Passed, None),
                            step(
                                "the gateway answers 201",
                                9,
                                Status::Failed,
                                Some("answered 200, not 201\nbody: {}"),
                            ),
                            step("later", 10, Status::Skipped, None),
                        ],
                    ),
                    scenario("skipped", 12, Status::Skipped, Vec::new()),
                ],
            }],
        };
        let summary = report.failure_summary();
        assert_eq!(summary.len(), 1, "{summary:?}");
        assert_eq!(
            summary[0],
            "features/f.feature:7  broken\n    failed at Then the gateway answers 201 (line 9)\n      answered 200, not 201\n      body: {}"
        );
    }

    #[test]
    fn the_plan_summary_counts_each_plans_modules() {
        let tagged = |name: &str, line, status, tags: &[&str]| ScenarioReport {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..scenario(name, line, status, Vec::new())
        };
        let report = RunReport {
            features: vec![FeatureReport {
                name: "Basic".into(),
                description: String::new(),
                path: "features/oidcc/basic.feature".into(),
                tags: Vec::new(),
                scenarios: vec![
                    tagged("oidcc-server", 3, Status::Passed, &["oidcc-basic"]),
                    tagged("oidcc-server", 3, Status::Passed, &["oidcc-formpost-basic"]),
                    tagged(
                        "oidcc-codereuse",
                        9,
                        Status::Failed,
                        &["oidcc-basic", "needs-x"],
                    ),
                    tagged("oidcc-prompt-none", 20, Status::Skipped, &["oidcc-basic"]),
                    tagged("not a module", 30, Status::Passed, &["wip"]),
                ],
            }],
        };
        let plans = report.plan_summary();
        assert_eq!(
            plans,
            vec![
                PlanSummary {
                    plan: "oidcc-basic".into(),
                    passed: 1,
                    failed: vec!["oidcc-codereuse (features/oidcc/basic.feature:9)".into()],
                    skipped: 1,
                },
                PlanSummary {
                    plan: "oidcc-formpost-basic".into(),
                    passed: 1,
                    failed: Vec::new(),
                    skipped: 0,
                },
            ]
        );
    }
}
