//! Decisions per second (find + is_allowed) for expression sets of 10, 100 and 1,000 paths,
//! against the naive linear scan on the same requests.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use gatecheck_benches::{decide, workload, LinearScan};
use gatecheck_policy::Expression;

const REQUESTS: usize = 1024;
const SEED: u64 = 0x6A7E_C4EC;

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
                let mut i = 0;
                b.iter(|| {
                    let r = &requests[i % REQUESTS];
                    i += 1;
                    black_box(decide(&compiled, black_box(r)))
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("linear_scan", paths),
            &w.requests,
            |b, requests| {
                let mut i = 0;
                b.iter(|| {
                    let r = &requests[i % REQUESTS];
                    i += 1;
                    black_box(naive.decide(black_box(r)))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
