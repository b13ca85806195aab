//! The tutorial's requesting-party script (`oauth-ss-demo.py`), run as `gatecheck rqp` with the
//! stack's real values.

use cucumber::{then, when};

use super::check;
use crate::world::{gatecheck_exe, GateWorld};

async fn run_rqp(w: &mut GateWorld, scope: &str, direct: bool) -> anyhow::Result<()> {
    let target = w.target()?;
    let s = target.site("consumer")?;
    let exe = gatecheck_exe()
        .ok_or_else(|| anyhow::anyhow!("the gatecheck executable is not known to this run"))?;
    let mut cmd = tokio::process::Command::new(exe);
    // `--name=value`: a generated secret may start with '-' and must not be read as a flag.
    cmd.arg("rqp")
        .arg(format!("--oxd-server-url={}", target.oxd_url()?))
        .arg(format!("--consumer-client-id={}", s.client_id))
        .arg(format!("--consumer-client-secret={}", s.client_secret))
        .arg(format!("--kong-proxy-url={}", target.proxy_url()?))
        .arg("--kong-route-host=oauth-demo.example.com")
        .arg(format!("--op-server={}", target.op.issuer))
        .arg(format!("--scope={scope}"))
        .kill_on_drop(true);
    if direct {
        cmd.arg("--direct");
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .map_err(|_| anyhow::anyhow!("gatecheck rqp did not finish within 60 s"))??;
    w.rqp = Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ));
    Ok(())
}

#[when(expr = "the requesting party runs {string} for the scope {string}")]
async fn runs(w: &mut GateWorld, command: String, scope: String) -> anyhow::Result<()> {
    check!(
        command == "gatecheck rqp",
        "this step runs \"gatecheck rqp\", not {command:?}"
    );
    run_rqp(w, &scope, false).await
}

#[when(expr = "the requesting party runs {string} with {string} for the scope {string}")]
async fn runs_direct(
    w: &mut GateWorld,
    command: String,
    flag: String,
    scope: String,
) -> anyhow::Result<()> {
    check!(
        command == "gatecheck rqp",
        "this step runs \"gatecheck rqp\", not {command:?}"
    );
    check!(
        flag == "--direct",
        "only --direct is a flag of this step, not {flag}"
    );
    run_rqp(w, &scope, true).await
}

fn output(w: &GateWorld) -> anyhow::Result<&(bool, String, String)> {
    w.rqp
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the requesting party did not run"))
}

#[then("it prints the token response and the demo transaction")]
async fn prints(w: &mut GateWorld) -> anyhow::Result<()> {
    let (ok, stdout, stderr) = output(w)?;
    check!(*ok, "gatecheck rqp failed: {stderr}\n{stdout}");
    let token_at = stdout.find(gatecheck_rqp::TOKEN_HEADING);
    let resource_at = stdout.find(gatecheck_rqp::RESOURCE_HEADING);
    check!(
        matches!((token_at, resource_at), (Some(t), Some(r)) if t < r),
        "headings missing or out of order:\n{stdout}"
    );
    let transaction = super::api::demo_transaction();
    let title = transaction["title"].as_str().unwrap_or_default();
    check!(
        stdout.contains(title),
        "the demo transaction is not printed:\n{stdout}"
    );
    check!(
        stdout.contains("\"access_token\""),
        "the token response is not printed:\n{stdout}"
    );
    Ok(())
}

#[then(expr = "it fails with {string}")]
async fn fails_with(w: &mut GateWorld, text: String) -> anyhow::Result<()> {
    let (ok, stdout, stderr) = output(w)?;
    check!(!*ok, "gatecheck rqp succeeded:\n{stdout}");
    check!(stderr.contains(&text), "stderr lacks {text:?}:\n{stderr}");
    Ok(())
}
