"""Times archsim and its peers on the same models, whole processes, and prints the ratios.

Run through run.sh, which makes the virtual environment and builds archsim. Each command runs
`--repeat` times, the tools interleaved (A B A B ...) so the machine's drift touches both
alike; the figure is the median of CPU seconds (user + system) and the peak resident memory,
read by /usr/bin/time.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def measure(cmd):
    """CPU seconds and peak memory [MB] of one whole process."""
    with tempfile.NamedTemporaryFile("r") as out:
        run = subprocess.run(
            ["/usr/bin/time", "-o", out.name, "-f", "%U %S %M"] + cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if run.returncode != 0:
            sys.exit(f"failed ({run.returncode}): {' '.join(cmd)}\n{run.stderr[-2000:]}")
        user, system, kb = out.read().split()[-3:]
    return float(user) + float(system), int(kb) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True, help="the virtual environment's python")
    ap.add_argument("--archsim", required=True, help="the archsim binary")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out = tempfile.mkdtemp(prefix="archsim-peers-")

    def archsim(toml):
        return [args.archsim, "run", os.path.join(ROOT, toml), "--out", out, "--quiet"]

    # (what, units of work, archsim's command, the peer's name and command)
    pairs = [
        (
            "M/M/10 at rho 0.9, 1 M customers",
            1_000_000,
            archsim("benches/mm10.toml"),
            "SimPy 4.1.2",
            [args.python, os.path.join(HERE, "mm10_simpy.py"), "1000000"],
        ),
        (
            "SimFaaS README point: 0.9 req/s for 10^6 s",
            900_000,
            archsim("benches/peers/simfaas-point.toml"),
            "SimFaaS 0.2.2",
            [args.python, os.path.join(HERE, "simfaas_point.py")],
        ),
    ]
    print(f"{'work':<44} {'peer':<14} {'peer CPU s':>10} {'archsim CPU s':>13} {'ratio':>7}"
          f" {'peer MB':>8} {'archsim MB':>10}")
    for what, units, ours, peer, theirs in pairs:
        mine, other = [], []
        for _ in range(args.repeat):
            mine.append(measure(ours))
            other.append(measure(theirs))
        a_cpu = statistics.median(c for c, _ in mine)
        p_cpu = statistics.median(c for c, _ in other)
        a_mb = statistics.median(m for _, m in mine)
        p_mb = statistics.median(m for _, m in other)
        print(f"{what:<44} {peer:<14} {p_cpu:>10.2f} {a_cpu:>13.2f} {p_cpu / a_cpu:>6.0f}x"
              f" {p_mb:>8.0f} {a_mb:>10.0f}")
        print(f"{'':<44} {'':<14} {units / p_cpu:>10,.0f} {units / a_cpu:>13,.0f}  per CPU second")


if __name__ == "__main__":
    main()
