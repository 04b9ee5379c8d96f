"""The M/M/3 queue of examples/mm3.json in SimPy, the peer for bench/mm3_vs_simpy.sh.

lambda = 2.7, mu = 1 per server, 3 servers, FIFO; runs until N customers have
left and prints one line: "customers seconds wait_mean" (seconds of simulation
only, no start-up), so the caller can check both tools simulated the same queue.
"""
import random
import sys
import time

import simpy


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=3)
    finished = env.event()
    stats = {"done": 0, "wait": 0.0}

    def customer():
        arrived = env.now
        with desk.request() as req:
            yield req
            stats["wait"] += env.now - arrived
            yield env.timeout(rng.expovariate(1.0))
        stats["done"] += 1
        if stats["done"] == n:
            finished.succeed()

    def source():
        while True:
            yield env.timeout(rng.expovariate(2.7))
            env.process(customer())

    env.process(source())
    t0 = time.perf_counter()
    env.run(until=finished)
    seconds = time.perf_counter() - t0
    print(n, seconds, stats["wait"] / n)


if __name__ == "__main__":
    main()
