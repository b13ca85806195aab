//! The Gluu-Gateway-shaped policy workload outside criterion:
//! - `policy-gg export --rules N` writes the workload (document, requests, gatecheck's decisions)
//!   as JSON, for `benches/policy-gg/gg_policy.lua` to replay on Gluu Gateway's own Lua;
//! - `policy-gg replay --rules N --passes P` decides every request P times and prints the median
//!   time per decision over the passes; under `valgrind --tool=callgrind` its instruction count
//!   per decision is stable on a loaded machine (the count divided by requests × passes;
//!   `--toggle-collect=*replay_pass*` counts only the decisions).

use std::time::Instant;

use clap::{Parser, Subcommand};
use gatecheck_benches::{decide, gg_workload, Request};
use gatecheck_policy::Expression;

/// The seed the criterion bench uses, so every tool replays the same requests.
const SEED: u64 = 0x6A7E_C4EC;

#[derive(Parser)]
#[command(about = "Gluu-Gateway-shaped policy workload: export it or replay it")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the workload as JSON on stdout.
    Export {
        /// Number of rules (paths) in the document.
        #[arg(long, default_value_t = 1000)]
        rules: usize,
        /// Number of requests.
        #[arg(long, default_value_t = 10_000)]
        requests: usize,
    },
    /// Decide every request `passes` times; print the median ns per decision.
    Replay {
        /// Number of rules (paths) in the document.
        #[arg(long, default_value_t = 1000)]
        rules: usize,
        /// Number of requests.
        #[arg(long, default_value_t = 10_000)]
        requests: usize,
        /// Passes over the requests (the first, a warm-up, is not timed).
        #[arg(long, default_value_t = 20)]
        passes: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Export { rules, requests } => {
            let w = gg_workload(rules, requests, SEED);
            let e = Expression::from_value(&w.document).expect("generated documents are valid");
            println!("{}", w.to_json(&e));
        }
        Command::Replay {
            rules,
            requests,
            passes,
        } => {
            let w = gg_workload(rules, requests, SEED);
            let e = Expression::from_value(&w.document).expect("generated documents are valid");
            let mut allowed = 0usize;
            let mut per_pass = Vec::with_capacity(passes);
            for pass in 0..passes {
                let start = Instant::now();
                allowed += replay_pass(&e, &w.requests);
                if pass > 0 {
                    per_pass.push(start.elapsed().as_nanos() as f64 / requests as f64);
                }
            }
            per_pass.sort_by(f64::total_cmp);
            let median = per_pass
                .get(per_pass.len() / 2)
                .copied()
                .unwrap_or(f64::NAN);
            println!(
                "rules={rules} requests={requests} passes={passes} median_ns_per_decision={median:.1} allowed={allowed}"
            );
        }
    }
}

/// One pass over the requests; returns how many were allowed. Never inlined, so a profiler can
/// count exactly the decisions (`--toggle-collect=*replay_pass*`).
#[inline(never)]
fn replay_pass(expression: &Expression, requests: &[Request]) -> usize {
    requests
        .iter()
        .filter(|r| std::hint::black_box(decide(expression, r)) == Some(Some(true)))
        .count()
}
