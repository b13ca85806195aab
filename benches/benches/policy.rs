//! Decisions (find + is_allowed) for expression sets of 10, 100 and 1,000 rules:
//! - `decision`: a synthetic mix of every segment kind, against the naive linear scan;
//! - `gg_decision`: 10,000 requests shaped like real Gluu Gateway configurations (services of
//!   collection/item/nested/report endpoints, spontaneous scopes with PC captures, a third near
//!   misses), the workload `benches/policy-gg/` also replays on Gluu Gateway's own Lua.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use gatecheck_benches::{decide, gg_workload, workload, LinearScan, Request};
use gatecheck_policy::Expression;

const REQUESTS: usize = 1024;
const GG_REQUESTS: usize = 10_000;
const SEED: u64 = 0x6A7E_C4EC;

/// Cycles through `requests`, one decision per iteration.
fn cycle<'r>(requests: &'r [Request]) -> impl FnMut() -> &'r Request {
    let mut i = 0;
    move || {
        let r = &requests[i];
        i += 1;
        if i == requests.len() {
            i = 0;
        }
        r
    }
}

fn decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("decision");
    for paths in [10, 100, 1000] {
        let w = workload(paths, REQUESTS, SEED);
        let compiled = Expression::from_value(&w.document).expect("generated documents are valid");
        let naive = LinearScan::new(&w.document);
        group.bench_with_input(
            BenchmarkId::new("compiled", paths),
            &w.requests,
            |b, requests| {
                let mut next = cycle(requests);
                b.iter(|| black_box(decide(&compiled, black_box(next()))))
            },
        );
        group.bench_with_input(
            BenchmarkId::new("linear_scan", paths),
            &w.requests,
            |b, requests| {
                let mut next = cycle(requests);
                b.iter(|| black_box(naive.decide(black_box(next()))))
            },
        );
    }
    group.finish();
}

fn gg_decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("gg_decision");
    for rules in [10, 100, 1000] {
        let w = gg_workload(rules, GG_REQUESTS, SEED);
        let compiled = Expression::from_value(&w.document).expect("generated documents are valid");
        group.bench_with_input(
            BenchmarkId::new("compiled", rules),
            &w.requests,
            |b, requests| {
                let mut next = cycle(requests);
                b.iter(|| black_box(decide(&compiled, black_box(next()))))
            },
        );
    }
    group.finish();
}

criterion_group!(benches, decisions, gg_decisions);
criterion_main!(benches);
