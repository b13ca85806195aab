//! `gatecheck rqp`: the requesting party of the spontaneous-scope tutorial (seed 002), the Rust
//! twin of `oauth-ss-demo.py`. Settings come from `--config FILE` (YAML or JSON, the script's
//! variable names) and/or flags; a flag overrides the file.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Map, Value};

/// Arguments of `gatecheck rqp`.
#[derive(Debug, Default, clap::Args)]
pub struct RqpArgs {
    /// Settings file (YAML or JSON) with the script's variable names, e.g. `oxd_server_url: ...`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// oxd server URL (oxd_server_url).
    #[arg(long, value_name = "URL")]
    pub oxd_server_url: Option<String>,
    /// The consumer OP client's id (consumer_client_id).
    #[arg(long, value_name = "ID")]
    pub consumer_client_id: Option<String>,
    /// The consumer OP client's secret (consumer_client_secret).
    #[arg(long, value_name = "SECRET")]
    pub consumer_client_secret: Option<String>,
    /// Kong proxy URL (kong_proxy_url).
    #[arg(long, value_name = "URL")]
    pub kong_proxy_url: Option<String>,
    /// Host header of the Kong route (kong_route_host), e.g. oauth-demo.example.com.
    #[arg(long, value_name = "HOST")]
    pub kong_route_host: Option<String>,
    /// The OpenID Provider's URL (op_server).
    #[arg(long, value_name = "URL")]
    pub op_server: Option<String>,
    /// Scope to request [default: transactions:123].
    #[arg(long)]
    pub scope: Option<String>,
    /// Resource path [default: /transactions/123].
    #[arg(long)]
    pub path: Option<String>,
    /// Get the token directly from the OP's token endpoint instead of oxd.
    #[arg(long)]
    pub direct: bool,
    /// Timeout of each HTTP call in seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub timeout_secs: Option<u64>,
}

const REQUIRED: [&str; 5] = [
    "consumer_client_id",
    "consumer_client_secret",
    "kong_proxy_url",
    "kong_route_host",
    "op_server",
];

/// Merges the file and the flags into [`gatecheck_rqp::Settings`]; missing values are left empty
/// so that validation names them.
pub fn settings(args: &RqpArgs) -> anyhow::Result<gatecheck_rqp::Settings> {
    let mut map = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("cannot read settings file {}: {e}", path.display())
            })?;
            match serde_yaml::from_str::<Value>(&text) {
                Ok(Value::Object(map)) => map,
                Ok(_) => anyhow::bail!(
                    "settings file {}: expected a mapping of settings",
                    path.display()
                ),
                Err(e) => anyhow::bail!("settings file {}: {e}", path.display()),
            }
        }
        None => Map::new(),
    };
    let strings = [
        ("oxd_server_url", &args.oxd_server_url),
        ("consumer_client_id", &args.consumer_client_id),
        ("consumer_client_secret", &args.consumer_client_secret),
        ("kong_proxy_url", &args.kong_proxy_url),
        ("kong_route_host", &args.kong_route_host),
        ("op_server", &args.op_server),
        ("scope", &args.scope),
        ("path", &args.path),
    ];
    for (key, value) in strings {
        if let Some(v) = value {
            map.insert(key.into(), Value::String(v.clone()));
        }
    }
    if args.direct {
        map.insert("direct".into(), Value::Bool(true));
    }
    if let Some(t) = args.timeout_secs {
        map.insert("timeout_secs".into(), t.into());
    }
    for key in REQUIRED {
        map.entry(key)
            .or_insert_with(|| Value::String(String::new()));
    }
    let settings: gatecheck_rqp::Settings = serde_json::from_value(Value::Object(map))
        .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
    settings.validate()?;
    Ok(settings)
}

/// Runs the requesting party; prints what `gatecheck_rqp::run` prints.
pub fn run(args: RqpArgs) -> ExitCode {
    let settings = match settings(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    match runtime.block_on(gatecheck_rqp::run(&settings, &mut out)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_missing_settings_are_named() {
        let dir = std::env::temp_dir().join(format!("gatecheck-rqp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("rqp.yml");
        std::fs::write(
            &file,
            "oxd_server_url: http://oxd\nconsumer_client_id: from-file\nconsumer_client_secret: s\n\
             kong_proxy_url: http://kong\nkong_route_host: h\nop_server: http://op\n",
        )
        .unwrap();
        let args = RqpArgs {
            config: Some(file.clone()),
            consumer_client_id: Some("from-flag".into()),
            scope: Some("transactions:9".into()),
            ..Default::default()
        };
        let s = settings(&args).unwrap();
        assert_eq!(s.consumer_client_id, "from-flag");
        assert_eq!(s.consumer_client_secret, "s");
        assert_eq!(s.scope, "transactions:9");
        assert_eq!(s.path, "/transactions/123");

        let err = settings(&RqpArgs::default()).unwrap_err();
        assert!(
            err.to_string().contains("consumer_client_id is required"),
            "{err}"
        );
        let err = settings(&RqpArgs {
            config: Some(dir.join("missing.yml")),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("cannot read settings file"),
            "{err}"
        );
        std::fs::write(&file, "bogus_key: 1\n").unwrap();
        let err = settings(&RqpArgs {
            config: Some(file),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("bogus_key"), "{err}");
    }
}
