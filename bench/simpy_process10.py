"""bench/process10.bpmn with bench/process10.params.json in SimPy 3, the peer for
bench/process_vs_simpy.sh.

Cases arrive with exponential interarrival times (mean 1). Each case: t1 (clerk);
exclusive split xor1: 0.7 t2 (clerk) then t3 (expert), 0.3 t4 (manager); merge;
t5 (expert); parallel split and1 into t6 (clerk) then t7 (manager) | t8 (expert)
| t9 (manager), sub-processes joined with AllOf; t10 (clerk); end. Pools are
simpy.Resource (FIFO) of 3 clerks, 4 experts, 3 managers; a task holds one unit
for a duration drawn when it starts. Durations as in the parameter file.

The first N cases are measured (no warm-up); arrivals go on until they have all
completed, as in gemel. Utilisation is the time-average busy units / units from
the arrival of case 0 to the arrival of case N, as in gemel.

Usage: simpy_process10.py [N [SEED]]   (default 100000 cases, seed 1)
Prints one line: "cases seconds cycle_time_mean t2_count clerk_util expert_util
manager_util" (seconds of simulation only, no start-up).
"""
import random
import sys
import time

import simpy


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    finished = env.event()

    # Pool: [resource, units, busy, busy-time area, time of last change, area at t_w0].
    pools = {}
    for name, units in (("clerk", 3), ("expert", 4), ("manager", 3)):
        pools[name] = [simpy.Resource(env, capacity=units), units, 0, 0.0, 0.0, 0.0]
    clerk, expert, manager = pools["clerk"], pools["expert"], pools["manager"]

    def expo(mean):
        return lambda: rng.expovariate(1.0 / mean)

    def tri(lo, mode, hi):
        return lambda: rng.triangular(lo, hi, mode)

    d1, d2, d3, d4, d5 = expo(0.5), tri(0.5, 1.0, 1.5), expo(1.0), expo(2.0), tri(0.6, 1.2, 1.8)
    d6, d7, d8, d9, d10 = expo(0.6), tri(0.3, 0.6, 0.9), expo(1.1), expo(1.0), tri(0.2, 0.4, 0.6)

    st = {"arrived": 0, "done": 0, "cycle": 0.0, "t2": 0, "closed": False,
          "t_w0": 0.0, "t_w1": 0.0, "util": {}}

    def task(pool, dur):
        with pool[0].request() as req:
            yield req
            now = env.now
            pool[3] += pool[2] * (now - pool[4])
            pool[4] = now
            pool[2] += 1
            yield env.timeout(dur())
            now = env.now
            pool[3] += pool[2] * (now - pool[4])
            pool[4] = now
            pool[2] -= 1

    def branch1():
        yield from task(clerk, d6)
        yield from task(manager, d7)

    def case(seq):
        arrived = env.now
        yield from task(clerk, d1)
        if rng.random() < 0.7:
            if seq < n:
                st["t2"] += 1
            yield from task(clerk, d2)
            yield from task(expert, d3)
        else:
            yield from task(manager, d4)
        yield from task(expert, d5)
        yield simpy.AllOf(env, [env.process(branch1()), env.process(task(expert, d8)),
                                env.process(task(manager, d9))])
        yield from task(clerk, d10)
        if seq < n:
            st["cycle"] += env.now - arrived
            st["done"] += 1
            if st["done"] == n and st["closed"]:
                finished.succeed()

    def window_edge(opening):
        now = env.now
        for name, pool in pools.items():
            pool[3] += pool[2] * (now - pool[4])
            pool[4] = now
            if opening:
                pool[5] = pool[3]
            else:
                st["util"][name] = (pool[3] - pool[5]) / (pool[1] * (now - st["t_w0"]))

    def source():
        while True:
            yield env.timeout(rng.expovariate(1.0))
            seq = st["arrived"]
            st["arrived"] += 1
            if seq == 0:
                st["t_w0"] = env.now
                window_edge(True)
            if seq == n:
                st["closed"] = True
                window_edge(False)
                if st["done"] == n:
                    finished.succeed()
                    return
            env.process(case(seq))

    env.process(source())
    t0 = time.perf_counter()
    env.run(until=finished)
    seconds = time.perf_counter() - t0
    u = st["util"]
    print(n, seconds, st["cycle"] / n, st["t2"] / n, u["clerk"], u["expert"], u["manager"])


if __name__ == "__main__":
    main()
