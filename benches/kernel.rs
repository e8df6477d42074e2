//! Kernel throughput on two models, criterion reporting elements per second, an element being
//! a kernel event (an arrival, a delivery, a timer, a reply, a timeout):
//! - M/M/10 at utilisation 0.9, a million customers (`benches/mm10.toml`);
//! - API Gateway → Lambda → DynamoDB, one simulated hour at 10,000 requests/s, 36 million
//!   requests (`benches/serverless-1h-10k.toml`); 30 to 50 s per iteration on a 2-core machine;
//! - ALB → EC2 Auto Scaling → RDS with replicas, one simulated hour at 2,000 requests/s with
//!   a spike (`benches/server-1h-2k.toml`).

use archsim::scenario;
use archsim::world::World;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::path::Path;

fn bench_model(c: &mut Criterion, file: &str, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(file);
    let sc = scenario::load(&path, &Default::default(), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .swap_remove(0);
    let events = World::build(&sc, 1)
        .run()
        .expect("bench model runs")
        .kernel
        .events;
    let mut g = c.benchmark_group("kernel");
    g.sample_size(10);
    // Ten runs of the model, not criterion's default 1 + 2 + … + 10: the serverless hour
    // takes half a minute a run.
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(events));
    g.bench_function(name, |b| {
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

fn mm10(c: &mut Criterion) {
    bench_model(c, "mm10.toml", "mm10_rho0.9_1M_customers");
}

fn serverless(c: &mut Criterion) {
    bench_model(
        c,
        "serverless-1h-10k.toml",
        "serverless_apigw_lambda_dynamodb_1h_10k_rps",
    );
}

fn server(c: &mut Criterion) {
    bench_model(c, "server-1h-2k.toml", "server_path_alb_asg_rds_1h_2k_rps");
}

criterion_group!(benches, mm10, serverless, server);
criterion_main!(benches);
