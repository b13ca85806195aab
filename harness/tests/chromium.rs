//! Seed 000 (`features/stepped_up_authentication.feature`) once more, its browser steps in
//! headless Chromium (`gatecheck run --browser chromium`), with the HTML report written to
//! `chromium-seed-000/` in cargo's `CARGO_TARGET_TMPDIR` (e.g. `target/tmp/chromium-seed-000`).
//! Skipped, with a message saying what to install, when Chromium or chromedriver is missing.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    if let Some(missing) = gatecheck_browser::chromium::Chromium::missing() {
        eprintln!("SKIPPED: seed 000 in headless Chromium: {missing}");
        return ExitCode::SUCCESS;
    }
    gatecheck_harness::world::set_gatecheck_exe(env!("CARGO_BIN_EXE_gatecheck").into());
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chromium-seed-000");
    let _ = std::fs::remove_dir_all(&report);
    let options = gatecheck_harness::runner::RunOptions {
        paths: vec![concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../features/stepped_up_authentication.feature"
        )
        .into()],
        browser: gatecheck_harness::runner::BrowserKind::Chromium,
        html: Some(report.clone()),
        ..Default::default()
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let summary = match runtime.block_on(gatecheck_harness::runner::run(options)) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if !summary.success() {
        return ExitCode::FAILURE;
    }
    // Chromium really ran: every page the user saw is in the report as a picture.
    let shots = std::fs::read_dir(report.join("screenshots"))
        .map(|d| d.count())
        .unwrap_or(0);
    if shots < 10 {
        eprintln!("only {shots} screenshots in {}", report.display());
        return ExitCode::FAILURE;
    }
    println!("{shots} screenshots in {}", report.display());
    ExitCode::SUCCESS
}
