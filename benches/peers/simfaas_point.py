"""SimFaaS's README example: the model of benches/peers/simfaas-point.toml."""

from simfaas.ServerlessSimulator import ServerlessSimulator as Sim

sim = Sim(
    arrival_rate=0.9,
    warm_service_rate=1 / 1.991,
    cold_service_rate=1 / 2.244,
    expiration_threshold=600,
    max_time=1e6,
)
sim.generate_trace(debug_print=False, progress=False)
sim.print_trace_results()
