//! Features run once more with their browser steps in headless Chromium (`gatecheck run
//! --browser chromium`), each with its HTML report in cargo's `CARGO_TARGET_TMPDIR`:
//!
//! - seed 000 (`features/stepped_up_authentication.feature`) → `chromium-seed-000/`;
//! - Kong's auth-code-flow guide and its sessions (`features/kong/auth_code_flow.feature`,
//!   `features/kong/auth_code_sessions.feature`) → `chromium-kong-auth-code/`, without the
//!   scenarios tagged `@scripted-browser` (they copy the scripted browser's cookie jar, which
//!   Chromium has no counterpart of that the harness can read).
//!
//! Skipped, with a message saying what to install, when Chromium or chromedriver is missing.

use std::path::PathBuf;
use std::process::ExitCode;

use gatecheck_harness::runner::{BrowserKind, RunOptions, Summary};

/// Runs `features` in Chromium with `tags`, the report in `report`; `Err` says what failed.
fn run(
    runtime: &tokio::runtime::Runtime,
    features: &[&str],
    tags: Option<&str>,
    report: &str,
) -> Result<(Summary, usize), String> {
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(report);
    let _ = std::fs::remove_dir_all(&report);
    let options = RunOptions {
        paths: features
            .iter()
            .map(|f| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(f))
            .collect(),
        tags: tags.map(str::to_owned),
        browser: BrowserKind::Chromium,
        html: Some(report.clone()),
        ..Default::default()
    };
    let summary = runtime
        .block_on(gatecheck_harness::runner::run(options))
        .map_err(|e| format!("{}: {e:#}", features.join(", ")))?;
    if !summary.success() {
        return Err(format!(
            "{} in Chromium: {summary:?} (report: {})",
            features.join(", "),
            report.display()
        ));
    }
    // Chromium really ran: every page the user saw is in the report as a picture.
    let shots = std::fs::read_dir(report.join("screenshots"))
        .map(|d| d.count())
        .unwrap_or(0);
    println!("{summary:?}, {shots} screenshots in {}", report.display());
    Ok((summary, shots))
}

fn main() -> ExitCode {
    if let Some(missing) = gatecheck_browser::chromium::Chromium::missing() {
        eprintln!("SKIPPED: features in headless Chromium: {missing}");
        return ExitCode::SUCCESS;
    }
    gatecheck_harness::world::set_gatecheck_exe(env!("CARGO_BIN_EXE_gatecheck").into());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let checks = [
        run(
            &runtime,
            &["features/stepped_up_authentication.feature"],
            None,
            "chromium-seed-000",
        )
        .and_then(|(_, shots)| {
            (shots >= 10)
                .then_some(())
                .ok_or(format!("seed 000: only {shots} screenshots"))
        }),
        run(
            &runtime,
            &[
                "features/kong/auth_code_flow.feature",
                "features/kong/auth_code_sessions.feature",
            ],
            Some("not @wip and not @scripted-browser"),
            "chromium-kong-auth-code",
        )
        .and_then(|(summary, shots)| {
            // Every selected scenario ran in Chromium (none skipped), and the browser ones
            // left their pictures.
            (summary.skipped == 0 && summary.passed >= 16 && shots >= 20)
                .then_some(())
                .ok_or(format!(
                    "Kong auth-code flow: {summary:?} with {shots} screenshots"
                ))
        }),
    ];
    let mut ok = true;
    for check in checks {
        if let Err(e) = check {
            eprintln!("error: {e}");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
