//! Kernel throughput on M/M/10 at utilisation 0.9, a million customers (`benches/mm10.toml`).
//! Criterion reports elements per second, where an element is a kernel event (an arrival,
//! a delivery, a service completion, a reply).

use archsim::scenario;
use archsim::world::World;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;

fn mm10(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/mm10.toml");
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let events = World::build(&sc, 1)
        .run()
        .expect("bench model runs")
        .kernel
        .events;
    let mut g = c.benchmark_group("kernel");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function("mm10_rho0.9_1M_customers", |b| {
        b.iter(|| {
            World::build(&sc, 1)
                .run()
                .expect("bench model runs")
                .kernel
                .events
        })
    });
    g.finish();
}

criterion_group!(benches, mm10);
criterion_main!(benches);
