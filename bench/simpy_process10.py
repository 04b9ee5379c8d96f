"""bench/process10.bpmn with bench/process10.params.json in SimPy 3, the peer for
bench/process_vs_simpy.sh. It does the work gemel does on the same model and
reports the same KPIs, computed the same way (src/process/proc_run.c):

- Cases arrive with exponential interarrival times (mean 1). Each case: t1
  (clerk); exclusive split xor1: 0.7 t2 (clerk) then t3 (expert), 0.3 t4
  (manager); merge; t5 (expert); parallel split and1 into t6 (clerk) then t7
  (manager) | t8 (expert) | t9 (manager), joined with AllOf; t10 (clerk); end.
  Pools are simpy.Resource (FIFO) of 3 clerks, 4 experts, 3 managers; a task
  holds one unit for a duration drawn when it starts.
- The first N cases are measured (no warm-up); arrivals go on until they have
  all completed. The measurement window runs from the arrival of case 0 to
  the arrival of case N.
- At each task completion, as gemel does: the pool's work grows by the
  task's duration when the window is open; for a measured case, the task's
  count, waiting time, duration and cost (fixed cost plus cost rate times
  duration, both 0 here, as the parameter file says) and the case's
  processing time, waiting time and cost grow.
- At each arrival and departure in the window, the time-integral of the
  number of cases in the system grows. At a measured case's end, its cycle
  time, the first and last completion time and the case sums.
- The KPIs: per case cycle, processing, waiting time and cost means,
  throughput, WIP; per task count per case, waiting time, duration and cost
  means; per pool utilisation (work / units / window) and cost per case.

Usage: simpy_process10.py [N [SEED]]   (default 1,000,000 cases, seed 1)
Prints one line: "cases seconds cycle_time_mean t2_count clerk_util expert_util
manager_util t5_wait_mean" (seconds of simulation only, no start-up).
"""
import random
import sys
import time

import simpy

TASKS = ("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    finished = env.event()

    # Pool: [resource, units, work, cost rate, resource cost of measured cases].
    pools = {}
    for name, units in (("clerk", 3), ("expert", 4), ("manager", 3)):
        pools[name] = [simpy.Resource(env, capacity=units), units, 0.0, 0.0, 0.0]
    clerk, expert, manager = pools["clerk"], pools["expert"], pools["manager"]
    # Task statistics: [count, wait, duration, cost], and each task's fixed cost.
    tstat = [[0, 0.0, 0.0, 0.0] for _ in TASKS]
    fixed = [0.0 for _ in TASKS]

    def expo(mean):
        return lambda: rng.expovariate(1.0 / mean)

    def tri(lo, mode, hi):
        return lambda: rng.triangular(lo, hi, mode)

    d1, d2, d3, d4, d5 = expo(0.5), tri(0.5, 1.0, 1.5), expo(1.0), expo(2.0), tri(0.6, 1.2, 1.8)
    d6, d7, d8, d9, d10 = expo(0.6), tri(0.3, 0.6, 0.9), expo(1.1), expo(1.0), tri(0.2, 0.4, 0.6)

    # Run state: window, case sums and the number in the system.
    st = {"arrived": 0, "done": 0, "open": False, "closed": False, "t_w0": 0.0, "t_w1": 0.0,
          "cycle": 0.0, "proc": 0.0, "wait": 0.0, "cost": 0.0, "t_first": 0.0, "t_last": 0.0,
          "in_system": 0, "wip_t": 0.0, "wip_area": 0.0}

    def wip_change(delta):
        if st["open"] and not st["closed"]:
            now = env.now
            st["wip_area"] += st["in_system"] * (now - st["wip_t"])
            st["wip_t"] = now
        st["in_system"] += delta

    def task(pool, t, dur, cs):
        requested = env.now
        with pool[0].request() as req:
            yield req
            started = env.now
            d = dur()
            yield env.timeout(d)
        # completion: the same sums as gemel's on_service_done
        if st["open"] and not st["closed"]:
            pool[2] += d
        if cs[0]:
            w = started - requested
            pc = pool[3] * d
            pool[4] += pc
            cost = fixed[t] + pc
            ts = tstat[t]
            ts[0] += 1
            ts[1] += w
            ts[2] += d
            ts[3] += cost
            cs[2] += d
            cs[3] += w
            cs[4] += cost

    def branch1(cs):
        yield from task(clerk, 5, d6, cs)
        yield from task(manager, 6, d7, cs)

    def case(seq):
        # [measured, arrived, processing, waiting, cost]
        cs = [seq < n, env.now, 0.0, 0.0, 0.0]
        wip_change(+1)
        yield from task(clerk, 0, d1, cs)
        if rng.random() < 0.7:
            yield from task(clerk, 1, d2, cs)
            yield from task(expert, 2, d3, cs)
        else:
            yield from task(manager, 3, d4, cs)
        yield from task(expert, 4, d5, cs)
        yield simpy.AllOf(env, [env.process(branch1(cs)), env.process(task(expert, 7, d8, cs)),
                                env.process(task(manager, 8, d9, cs))])
        yield from task(clerk, 9, d10, cs)
        wip_change(-1)
        if cs[0]:
            now = env.now
            if st["done"] == 0:
                st["t_first"] = now
            st["t_last"] = now
            st["cycle"] += now - cs[1]
            st["proc"] += cs[2]
            st["wait"] += cs[3]
            st["cost"] += cs[4]
            st["done"] += 1
            if st["done"] == n and st["closed"]:
                finished.succeed()

    def source():
        while True:
            yield env.timeout(rng.expovariate(1.0))
            seq = st["arrived"]
            st["arrived"] += 1
            if seq == 0:
                st["open"] = True
                st["t_w0"] = st["wip_t"] = env.now
            if seq == n:
                wip_change(0)
                st["closed"] = True
                st["t_w1"] = env.now
                if st["done"] == n:
                    finished.succeed()
                    return
            env.process(case(seq))

    env.process(source())
    t0 = time.perf_counter()
    env.run(until=finished)
    seconds = time.perf_counter() - t0

    done, span = st["done"], st["t_w1"] - st["t_w0"]
    kpi = {
        "case.cycle_time_mean": st["cycle"] / done,
        "case.processing_time_mean": st["proc"] / done,
        "case.waiting_time_mean": st["wait"] / done,
        "case.cost_mean": st["cost"] / done,
        "case.throughput": (done - 1) / (st["t_last"] - st["t_first"]),
        "case.wip_mean": st["wip_area"] / span,
    }
    for t, name in enumerate(TASKS):
        c, w, d, cost = tstat[t]
        kpi[name + ".count"] = c / done
        kpi[name + ".wait_mean"] = w / c
        kpi[name + ".duration_mean"] = d / c
        kpi[name + ".cost_mean"] = cost / c
    for name, pool in pools.items():
        kpi[name + ".utilization"] = pool[2] / (pool[1] * span)
        kpi[name + ".cost_per_case"] = pool[4] / done
    print(n, seconds, kpi["case.cycle_time_mean"], kpi["t2.count"], kpi["clerk.utilization"],
          kpi["expert.utilization"], kpi["manager.utilization"], kpi["t5.wait_mean"])


if __name__ == "__main__":
    main()
