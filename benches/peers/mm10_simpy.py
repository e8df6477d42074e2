"""M/M/10 at utilisation 0.9 in SimPy: the model of benches/mm10.toml.

Poisson arrivals at 900/s, ten servers, exponential service of mean 10 ms, every response
time recorded (as archsim records every latency), mean and p99 printed at the end.
Usage: python mm10_simpy.py [customers] [seed]
"""

import random
import sys

import simpy

ARRIVAL_RATE = 900.0  # customers per second
SERVICE_RATE = 100.0  # per second per server: mean 10 ms
SERVERS = 10


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    times = []

    def customer():
        arrived = env.now
        with servers.request() as slot:
            yield slot
            yield env.timeout(rng.expovariate(SERVICE_RATE))
        times.append(env.now - arrived)

    def arrivals():
        for _ in range(customers):
            yield env.timeout(rng.expovariate(ARRIVAL_RATE))
            env.process(customer())

    env.process(arrivals())
    env.run()
    times.sort()
    mean = sum(times) / len(times)
    p99 = times[int(0.99 * (len(times) - 1))]
    # M/M/10 at rho 0.9: mean response time 16.7 ms (Erlang C), a check that the model is right.
    print(f"customers {len(times)} mean {mean * 1000:.2f} ms p99 {p99 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
