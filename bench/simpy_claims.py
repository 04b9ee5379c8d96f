"""bench/claims.bpmn with bench/claims.params.json in SimPy 3, the second peer of
bench/process_vs_simpy.sh: a model written for the comparison, not tuned for
gemel. It does the work gemel does on the same model and reports the same KPIs,
computed the same way (src/process/proc_run.c), as bench/simpy_process10.py
does for bench/process10.bpmn:

- Cases arrive with exponential interarrival times (mean 1). Each case:
  register, check_coverage (handler); exclusive split kind: 0.5
  settle_simple (handler), 0.35 assess (assessor), 0.15 expert_assess
  (assessor) then review (manager); merge; the rework loop: calculate
  (handler), approve (manager), and with probability 0.2 back to calculate
  (every pass runs and counts both tasks again); parallel split settle into
  pay (handler) | update_reserves (assessor), joined with AllOf; close
  (handler); end. Pools are simpy.Resource (FIFO) of 4 handlers, 2 assessors,
  2 managers; a task holds one unit for a duration drawn when it starts.
- Durations as the parameter file gives them: exponential (mean), triangular
  (min, mode, max), uniform (min, max) and lognormal from the mean m and sd s
  of the variable (sigma^2 = log(1 + s^2/m^2), mu = log m - sigma^2/2, as
  gemel converts them, docs/simulation-distributions.md).
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

Usage: simpy_claims.py [N [SEED]]   (default 200,000 cases, seed 1)
Prints one line: "cases seconds cycle_time_mean calculate_count handler_util
assessor_util manager_util assess_wait_mean" (seconds of simulation only, no
start-up).
"""
import math
import random
import sys
import time

import simpy

TASKS = ("register", "check_coverage", "settle_simple", "assess", "expert_assess", "review",
         "calculate", "approve", "pay", "update_reserves", "close")
(REGISTER, CHECK_COVERAGE, SETTLE_SIMPLE, ASSESS, EXPERT_ASSESS, REVIEW, CALCULATE, APPROVE, PAY,
 UPDATE_RESERVES, CLOSE) = range(len(TASKS))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    finished = env.event()

    # Pool: [resource, units, work, cost rate, resource cost of measured cases].
    pools = {}
    for name, units in (("handler", 4), ("assessor", 2), ("manager", 2)):
        pools[name] = [simpy.Resource(env, capacity=units), units, 0.0, 0.0, 0.0]
    handler, assessor, manager = pools["handler"], pools["assessor"], pools["manager"]
    # Task statistics: [count, wait, duration, cost], and each task's fixed cost.
    tstat = [[0, 0.0, 0.0, 0.0] for _ in TASKS]
    fixed = [0.0 for _ in TASKS]

    def expo(mean):
        return lambda: rng.expovariate(1.0 / mean)

    def tri(lo, mode, hi):
        return lambda: rng.triangular(lo, hi, mode)

    def unif(lo, hi):
        return lambda: rng.uniform(lo, hi)

    def lognorm(mean, sd):
        sigma = math.sqrt(math.log1p((sd / mean) ** 2))
        mu = math.log(mean) - sigma * sigma / 2
        return lambda: rng.lognormvariate(mu, sigma)

    d_register, d_check, d_simple = expo(0.5), tri(0.4, 0.6, 1.1), unif(0.5, 1.5)
    d_assess, d_expert, d_review = lognorm(2.0, 1.0), lognorm(3.0, 1.5), tri(1.5, 2.5, 4.0)
    d_calculate, d_approve, d_pay = expo(0.5), unif(0.4, 1.2), unif(0.3, 0.7)
    d_reserves, d_close = expo(0.3), tri(0.2, 0.3, 0.4)

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

    def case(seq):
        # [measured, arrived, processing, waiting, cost]
        cs = [seq < n, env.now, 0.0, 0.0, 0.0]
        wip_change(+1)
        yield from task(handler, REGISTER, d_register, cs)
        yield from task(handler, CHECK_COVERAGE, d_check, cs)
        u = rng.random()
        if u < 0.5:
            yield from task(handler, SETTLE_SIMPLE, d_simple, cs)
        elif u < 0.85:
            yield from task(assessor, ASSESS, d_assess, cs)
        else:
            yield from task(assessor, EXPERT_ASSESS, d_expert, cs)
            yield from task(manager, REVIEW, d_review, cs)
        while True:  # rework: not approved (0.2) sends the payout back to calculate
            yield from task(handler, CALCULATE, d_calculate, cs)
            yield from task(manager, APPROVE, d_approve, cs)
            if rng.random() >= 0.2:
                break
        yield simpy.AllOf(env, [env.process(task(handler, PAY, d_pay, cs)),
                                env.process(task(assessor, UPDATE_RESERVES, d_reserves, cs))])
        yield from task(handler, CLOSE, d_close, cs)
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
    print(n, seconds, kpi["case.cycle_time_mean"], kpi["calculate.count"],
          kpi["handler.utilization"], kpi["assessor.utilization"], kpi["manager.utilization"],
          kpi["assess.wait_mean"])


if __name__ == "__main__":
    main()
