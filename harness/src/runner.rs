//! Running features: cucumber with the gatecheck step library, progress per scenario on the
//! terminal, optional JUnit XML and Cucumber JSON reports, and a closing `N passed, N failed`.
//!
//! Scenarios (or features) tagged `@wip` need components that are not finished; they are skipped
//! unless a tag expression is given (`--tags @wip`, or `--tags "@wip or not @wip"` for all).
//!
//! With a target file (`--target FILE`, `GATECHECK_TARGET`), scenarios run against its systems,
//! and those needing a capability the target lacks are reported skipped with the reason (see
//! [`crate::target::skip`]).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::{event, writer, World as _, WriterExt as _};
use futures::FutureExt as _;

use crate::target::containers::Containers;
use crate::target::{skip, Capabilities, External, TargetFile};
use crate::world::{shutdown_shared_stacks, GateWorld};

/// Scenario tag that lets a scenario stop at an undefined step as skipped, not failed.
pub const ALLOW_SKIPPED_TAG: &str = "allow.skipped";

/// Whether a scenario may stop at an unmatched step as skipped: `@allow.skipped`, or skipped
/// because the target lacks what it needs.
fn skipped_allowed(scenario: &cucumber::gherkin::Scenario) -> bool {
    skip::is_marked(scenario) || scenario.tags.iter().any(|t| t == ALLOW_SKIPPED_TAG)
}

/// Tag expression used when none is given: everything but work in progress.
pub const DEFAULT_TAGS: &str = "not @wip";

/// What to run and where to report.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Feature files or directories; empty = [`features_dir`].
    pub paths: Vec<PathBuf>,
    /// Tag expression; `None` = [`DEFAULT_TAGS`].
    pub tags: Option<String>,
    /// Write a JUnit XML report here.
    pub junit: Option<PathBuf>,
    /// Write a Cucumber JSON report here.
    pub json: Option<PathBuf>,
    /// Scenarios run at the same time (default: cucumber's 64).
    pub concurrency: Option<usize>,
    /// Write the HTML report into this directory.
    pub html: Option<PathBuf>,
    /// Show secrets in the HTML report and the JSON embeddings instead of masking them.
    pub reveal_secrets: bool,
    /// The browser of the browser steps.
    pub browser: BrowserKind,
    /// Run against the systems of this target file instead of the in-process reference stack.
    pub target: Option<PathBuf>,
}

/// Which browser runs the browser steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BrowserKind {
    /// gatecheck's scripted browser (no JavaScript, no rendering).
    #[default]
    Scripted,
    /// Headless Chromium through chromedriver; a screenshot of every page.
    Chromium,
}

/// Scenarios at the same time in Chromium mode unless `--concurrency` says otherwise: each
/// scenario's browser is a Chromium of its own.
pub const CHROMIUM_CONCURRENCY: usize = 2;

fn chromium_slot() -> &'static Mutex<Option<Arc<gatecheck_browser::chromium::Chromium>>> {
    static SLOT: Mutex<Option<Arc<gatecheck_browser::chromium::Chromium>>> = Mutex::new(None);
    &SLOT
}

/// The chromedriver of the run in progress, when it runs the browser steps in Chromium.
pub fn chromium() -> Option<Arc<gatecheck_browser::chromium::Chromium>> {
    chromium_slot()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// Stops the run's chromedriver when the run ends, however it ends.
struct ChromiumForRun;

impl Drop for ChromiumForRun {
    fn drop(&mut self) {
        chromium_slot()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }
}

/// Scenario counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Scenarios whose every step passed.
    pub passed: usize,
    /// Scenarios with a failed or undefined step, or a failed hook.
    pub failed: usize,
    /// Scenarios skipped: the target lacks what they need, or tagged `@allow.skipped` and
    /// stopped at a step no definition matches.
    pub skipped: usize,
    /// Feature files that could not be parsed.
    pub parse_errors: usize,
}

impl Summary {
    /// Whether the run succeeded: something ran and nothing failed.
    pub fn success(&self) -> bool {
        self.failed == 0 && self.parse_errors == 0
    }

    /// The closing line.
    pub fn line(&self) -> String {
        let line = format!(
            "{} passed, {} failed",
            self.passed,
            self.failed + self.parse_errors
        );
        match self.skipped {
            0 => line,
            n => format!("{line}, {n} skipped"),
        }
    }
}

/// The `features/` directory of this source tree (or of the current directory).
pub fn features_dir() -> PathBuf {
    let local = PathBuf::from("features");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

/// Every `.feature` file under the given paths (files as given, directories walked, sorted).
pub fn feature_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            anyhow::bail!("no feature file or directory {}", p.display());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses feature files given as a list (cucumber's own parser takes one path), and marks the
/// scenarios the target cannot run.
#[derive(Debug, Clone, Default)]
struct FileList {
    capabilities: Option<Capabilities>,
}

impl cucumber::Parser<Vec<PathBuf>> for FileList {
    type Cli = cucumber::cli::Empty;
    type Output = futures::stream::Iter<
        std::vec::IntoIter<cucumber::parser::Result<cucumber::gherkin::Feature>>,
    >;

    fn parse(self, input: Vec<PathBuf>, _cli: Self::Cli) -> Self::Output {
        let mut all = Vec::new();
        for path in input {
            let parsed =
                cucumber::Parser::parse(cucumber::parser::Basic::new(), path, Default::default());
            // The basic parser's stream is a plain iterator: it is ready immediately.
            if let Some(features) = futures::StreamExt::collect::<Vec<_>>(parsed).now_or_never() {
                all.extend(features.into_iter().map(|f| {
                    f.map(|mut f| {
                        if let Some(caps) = &self.capabilities {
                            skip::mark(&mut f, caps);
                        }
                        f
                    })
                }));
            }
        }
        futures::stream::iter(all)
    }
}

use crate::report::collect::feature_key;

fn report_file(path: &Option<PathBuf>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(io::sink()),
    })
}

/// Runs the features; prints cucumber's progress and the closing line to stdout.
pub async fn run(options: RunOptions) -> anyhow::Result<Summary> {
    let paths = if options.paths.is_empty() {
        vec![features_dir()]
    } else {
        options.paths.clone()
    };
    let files = feature_files(&paths)?;
    anyhow::ensure!(!files.is_empty(), "no .feature files in {paths:?}");
    let tags_text = options
        .tags
        .clone()
        .unwrap_or_else(|| DEFAULT_TAGS.to_owned());
    let tags: TagOperation = tags_text
        .parse()
        .map_err(|e| anyhow::anyhow!("bad tag expression {tags_text:?}: {e:?}"))?;

    let _chromium = match options.browser {
        BrowserKind::Scripted => None,
        BrowserKind::Chromium => {
            let driver = gatecheck_browser::chromium::Chromium::start()
                .await
                .context("--browser chromium")?;
            *chromium_slot().lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(driver));
            Some(ChromiumForRun)
        }
    };
    let concurrency = match options.browser {
        BrowserKind::Chromium => options.concurrency.or(Some(CHROMIUM_CONCURRENCY)),
        BrowserKind::Scripted => options.concurrency,
    };
    // The target's containers run for the whole run; dropped on an early error, they are
    // removed all the same.
    let (external, containers) = match &options.target {
        Some(path) => {
            let file = TargetFile::load(path)?;
            let (file, containers) = Containers::start(file)
                .await
                .with_context(|| format!("the target file {}", path.display()))?;
            for (name, id) in containers.ids() {
                println!("container {name}: {id}");
            }
            match External::resolve(file).await {
                Ok(e) => (Some(Arc::new(e)), Some(containers)),
                Err(e) => {
                    containers.stop().await;
                    return Err(e.context(format!("the target file {}", path.display())));
                }
            }
        }
        None => (None, None),
    };
    let parser = FileList {
        capabilities: external.as_ref().map(|e| e.capabilities.clone()),
    };
    crate::world::set_external(external);

    let passed = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let skipped = Arc::new(AtomicUsize::new(0));
    let (p, f, sk) = (passed.clone(), failed.clone(), skipped.clone());
    let collector = crate::report::collect::Collector::default();

    let junit = report_file(&options.junit)?;
    let json = report_file(&options.json)?;
    let out = writer::Basic::raw(io::stdout(), writer::Coloring::Auto, 0)
        .summarized()
        .tee::<GateWorld, _>(writer::JUnit::for_tee(junit, 0))
        .tee::<GateWorld, _>(writer::Json::for_tee(json))
        .tee::<GateWorld, _>(
            collector
                .clone()
                .discard_stats_writes()
                .discard_arbitrary_writes(),
        )
        .normalized::<GateWorld>();

    let cli = cucumber::cli::Opts::<
        cucumber::cli::Empty,
        cucumber::runner::basic::Cli,
        _,
        cucumber::cli::Empty,
    > {
        tags_filter: Some(tags),
        runner: cucumber::runner::basic::Cli {
            // Real systems hold one configuration and one set of users at a time: scenarios
            // against a target file run one after the other.
            concurrency: if options.target.is_some() {
                Some(1)
            } else {
                concurrency
            },
            ..Default::default()
        },
        ..Default::default()
    };

    let writer = GateWorld::cucumber::<PathBuf>()
        .with_parser::<FileList, Vec<PathBuf>>(parser)
        .with_writer(out)
        // A scenario stops at an unmatched step as a failure, unless the target's lack of a
        // capability replaced its steps with the reason, or it is tagged @allow.skipped (may
        // stop at a step nobody wrote; cucumber's convention).
        .fail_on_skipped_with(|_, _, scenario| !skipped_allowed(scenario))
        .before(|feature, _rule, _scenario, world| {
            async move {
                world.feature_tags = feature.tags.clone();
                world.feature_key = feature_key(feature);
                // Hooks see the feature as filtered: these are the scenarios that will run.
                let selected = feature.scenarios.len()
                    + feature
                        .rules
                        .iter()
                        .map(|r| r.scenarios.len())
                        .sum::<usize>();
                crate::world::scenario_starting(&world.feature_key, selected);
            }
            .boxed_local()
        })
        .after(move |feature, _rule, scenario, finished, world| {
            let outcome = match finished {
                event::ScenarioFinished::StepPassed => &p,
                event::ScenarioFinished::StepSkipped if skipped_allowed(scenario) => &sk,
                _ => &f,
            }
            .clone();
            let key = (feature_key(feature), scenario.position.line);
            async move {
                outcome.fetch_add(1, Ordering::Relaxed);
                if let Some(world) = world {
                    crate::report::collect::keep_records(key, world.recorder.drain());
                    world.teardown().await;
                }
                crate::world::scenario_finished(&feature_key(feature)).await;
            }
            .boxed_local()
        })
        .with_cli(cli)
        .run(files)
        .await;
    shutdown_shared_stacks().await;
    crate::world::set_external(None);
    if let Some(containers) = containers {
        containers.stop().await;
    }
    if let (Some(path), Some(_)) = (&options.junit, &options.target) {
        let xml = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read back {}", path.display()))?;
        std::fs::write(path, skip::junit_messages(&xml))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let report = collector.finish();
    let plans = report.plan_summary();
    if !plans.is_empty() {
        println!("\nCertification plans (modules passed / failed / skipped):");
        let width = plans.iter().map(|p| p.plan.len()).max().unwrap_or(0);
        for p in &plans {
            println!(
                "  {:width$}  {} / {} / {}",
                p.plan,
                p.passed,
                p.failed.len(),
                p.skipped
            );
            for module in &p.failed {
                println!("  {:width$}    failed: {module}", "");
            }
        }
    }
    let failures = report.failure_summary();
    if !failures.is_empty() {
        println!("\nFailed scenarios:");
        for f in &failures {
            println!("  {f}");
        }
    }
    if let Some(dir) = &options.html {
        let index = crate::report::html::write(
            &report,
            dir,
            crate::report::html::HtmlOptions {
                reveal_secrets: options.reveal_secrets,
            },
        )?;
        println!("report: {}", index.display());
    }
    if let Some(json) = &options.json {
        crate::report::embed_into_json(&report, json, options.reveal_secrets)?;
    }

    use cucumber::writer::Stats as _;
    let summary = Summary {
        passed: passed.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        skipped: skipped.load(Ordering::Relaxed),
        parse_errors: writer.parsing_errors(),
    };
    // Undefined steps are failures too (`fail_on_skipped`), as are failed hooks.
    let summary = if writer.execution_has_failed() && summary.success() {
        Summary {
            failed: 1,
            ..summary
        }
    } else {
        summary
    };
    println!("{}", summary.line());
    Ok(summary)
}
