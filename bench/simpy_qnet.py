"""A gemel queueing-network model (examples/mm3.json, bench/tandem10.json,
bench/jackson4.json) in SimPy 3, the peer for bench/qnet_vs_simpy.sh. It reads
the same JSON file and does the work gemel's simulator does, computing the
same KPIs the same way (src/qnet/qnet_run.c):

- Each arrival stream is a process drawing exponential interarrival times
  and starting a customer process at its station. A station is a
  simpy.Resource (FIFO) with its number of servers; a customer requests a
  server, holds it for an exponential service time, releases it, and picks
  its next station from the cumulative routing probabilities with one
  uniform draw (no draw when there is one route), until it goes to "exit".
- Per station, as gemel's accumulators: arrivals, departures, the sums of
  waiting times and of times at the station, the number of customers who
  waited at all (all recorded at departure), and the time-integrals of the
  number of busy servers and of the number waiting, brought up to date
  before each change of either. For the system: arrivals, exits, the sum of
  times in the system, and the time-integral of the number in the system.
- The run stops when N customers have left the system (warm-up included).
  The first W exits are the warm-up: statistics are taken from there. The
  rest is cut into 20 batches of equal numbers of exits, and each batch's
  KPIs are computed from the difference of two snapshots of the sums, as
  gemel does for its batch-means intervals.
- KPIs: per station wait_mean, sojourn_mean, utilization, queue_len_mean,
  p_wait, throughput; system sojourn_mean, throughput, wip_mean.

Only what these models use is supported: one class, exponential times,
FIFO stations without capacity. Anything else is refused.

Usage: simpy_qnet.py MODEL.json [SEED [N]]   (N defaults to the model's stop)
Prints two lines: "customers cpu_seconds wall_seconds" (of the simulation
only, no start-up; CPU time of this process, which has one thread), then
the KPIs of the whole post-warm-up run as one JSON object.

       simpy_qnet.py --table MODEL.json GEMEL.json SIMPY.json
Prints per station wait_mean and utilization and the system's sojourn_mean,
wip_mean and throughput from the two KPI files (JSON objects), beside the
exact values of the Jackson product form (Erlang C at each station, with
arrival rates from the traffic equations; Little's law for the system).
"""
import json
import random
import sys
import time

import simpy

BATCHES = 20


class Station:
    __slots__ = ("res", "rate", "to", "cum", "arrived", "departed", "wait", "waited",
                 "sojourn", "busy", "queue", "last", "nbusy", "nwait", "servers", "name")


def mean_of(spec, where):
    if spec.get("dist") != "exponential":
        sys.exit(f"simpy_qnet: {where}: only exponential times are supported")
    return spec["mean"] if "mean" in spec else 1.0 / spec["rate"]


def product_form(model):
    """Exact steady-state KPIs of an open Jackson network (exponential
    times, FIFO, unlimited queues): the traffic equations, then Erlang C."""
    names = [js["name"] for js in model["stations"]]
    index = {nm: i for i, nm in enumerate(names)}
    gamma = [0.0] * len(names)
    for a in model["arrivals"]:
        gamma[index[a["to"]]] += 1.0 / mean_of(a["interarrival"], "arrivals")
    lam = list(gamma)
    for _ in range(100000):  # lambda = gamma + lambda P, a contraction for an open network
        new = list(gamma)
        for i, js in enumerate(model["stations"]):
            for r in js.get("routing") or []:
                if r["to"] != "exit":
                    new[index[r["to"]]] += lam[i] * r["p"]
        if max(abs(x - y) for x, y in zip(new, lam)) < 1e-15:
            break
        lam = new
    out, wip = {}, 0.0
    for i, js in enumerate(model["stations"]):
        c = js.get("servers", 1)
        es = mean_of(js["service"], "service")
        a = lam[i] * es
        rho = a / c
        term, total = 1.0, 1.0
        for k in range(1, c):
            term *= a / k
            total += term
        last = term * a / c / (1 - rho)
        wq = last / (total + last) / (c / es - lam[i])
        out[names[i] + ".wait_mean"] = wq
        out[names[i] + ".utilization"] = rho
        wip += lam[i] * (wq + es)
    out["system.wip_mean"] = wip
    out["system.throughput"] = sum(gamma)
    out["system.sojourn_mean"] = wip / sum(gamma)
    return out


def table(model_path, gemel_path, simpy_path):
    with open(model_path) as f:
        model = json.load(f)
    with open(gemel_path) as f:
        gem = json.load(f)
    with open(simpy_path) as f:
        sim = json.load(f)
    exact = product_form(model)
    print(f"  {'KPI':24} {'exact':>10} {'gemel':>10} {'SimPy':>10}")
    for key in exact:
        print(f"  {key:24} {exact[key]:10.4f} {gem[key]:10.4f} {sim[key]:10.4f}")


def main():
    if sys.argv[1] == "--table":
        table(*sys.argv[2:5])
        return
    path = sys.argv[1]
    with open(path) as f:
        model = json.load(f)
    if "customers" not in model["stop"] or "classes" in model:
        sys.exit("simpy_qnet: only one class and a stop by customers are supported")
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    n = int(sys.argv[3]) if len(sys.argv) > 3 else model["stop"]["customers"]
    warm = model.get("warmup", {}).get("customers", 0)
    rng = random.Random(seed)
    expo = rng.expovariate
    uniform = rng.random
    env = simpy.Environment()
    finished = env.event()

    stations = []
    index = {}
    for i, js in enumerate(model["stations"]):
        if "capacity" in js or js.get("discipline", "fifo") != "fifo":
            sys.exit(f"simpy_qnet: stations[{i}]: only FIFO stations without capacity")
        st = Station()
        st.name = js["name"]
        st.servers = js.get("servers", 1)
        st.res = simpy.Resource(env, capacity=st.servers)
        st.rate = 1.0 / mean_of(js["service"], f"stations[{i}].service")
        st.arrived = st.departed = st.waited = 0
        st.wait = st.sojourn = st.busy = st.queue = st.last = 0.0
        st.nbusy = st.nwait = 0
        index[st.name] = i
        stations.append(st)
    for st, js in zip(stations, model["stations"]):
        routes = js.get("routing") or [{"to": "exit", "p": 1.0}]
        st.to = [None if r["to"] == "exit" else stations[index[r["to"]]] for r in routes]
        st.cum, c = [], 0.0
        for r in routes:
            c += r["p"]
            st.cum.append(c)
        st.cum[-1] = 1.0

    # System sums: arrived, exits, sojourn, wip area; the level and its time.
    sysd = {"arrived": 0, "exits": 0, "sojourn": 0.0, "wip_area": 0.0, "wip": 0, "last": 0.0}
    snaps = []  # (time, sums) at the warm-up's end and each batch boundary
    run = {"next_check": warm, "warm_done": False, "warm_exits": 0, "batch": 0}

    def snapshot():
        now = env.now
        for s in stations:
            dt = now - s.last
            s.busy += s.nbusy * dt
            s.queue += s.nwait * dt
            s.last = now
        sysd["wip_area"] += sysd["wip"] * (now - sysd["last"])
        sysd["last"] = now
        snaps.append((now, [(s.arrived, s.departed, s.wait, s.waited, s.sojourn, s.busy,
                             s.queue) for s in stations],
                      (sysd["exits"], sysd["sojourn"], sysd["wip_area"])))

    def batch_exit(k):
        return run["warm_exits"] + (n - run["warm_exits"]) * k // BATCHES

    def check(exits):
        # Warm-up end, batch boundaries and the stop, at their numbers of exits.
        if not run["warm_done"]:
            run["warm_done"] = True
            run["warm_exits"] = exits
            snapshot()
        else:
            run["batch"] += 1
            snapshot()
        if exits >= n:
            finished.succeed()
            run["next_check"] = float("inf")
            return
        run["next_check"] = batch_exit(run["batch"] + 1) if run["batch"] < BATCHES - 1 else n

    def customer(st):
        t_sys = env.now
        now = t_sys
        sysd["wip_area"] += sysd["wip"] * (now - sysd["last"])
        sysd["last"] = now
        sysd["wip"] += 1
        sysd["arrived"] += 1
        while st is not None:
            t_in = env.now
            dt = t_in - st.last
            st.busy += st.nbusy * dt
            st.queue += st.nwait * dt
            st.last = t_in
            st.arrived += 1
            st.nwait += 1
            req = st.res.request()
            yield req
            t_go = env.now
            dt = t_go - st.last
            st.busy += st.nbusy * dt
            st.queue += st.nwait * dt
            st.last = t_go
            st.nwait -= 1
            st.nbusy += 1
            yield env.timeout(expo(st.rate))
            now = env.now
            dt = now - st.last
            st.busy += st.nbusy * dt
            st.queue += st.nwait * dt
            st.last = now
            st.nbusy -= 1
            st.res.release(req)
            w = t_go - t_in
            st.departed += 1
            st.wait += w
            if w > 0:
                st.waited += 1
            st.sojourn += now - t_in
            to = st.to
            if len(to) == 1:
                st = to[0]
            else:
                u = uniform()
                i = 0
                cum = st.cum
                while u >= cum[i]:
                    i += 1
                st = to[i]
        now = env.now
        sysd["wip_area"] += sysd["wip"] * (now - sysd["last"])
        sysd["last"] = now
        sysd["wip"] -= 1
        exits = sysd["exits"] + 1
        sysd["exits"] = exits
        sysd["sojourn"] += now - t_sys
        if exits >= run["next_check"]:
            check(exits)

    def source(st, mean):
        rate = 1.0 / mean
        while True:
            yield env.timeout(expo(rate))
            env.process(customer(st))

    for i, a in enumerate(model["arrivals"]):
        env.process(source(stations[index[a["to"]]], mean_of(a["interarrival"],
                                                              f"arrivals[{i}].interarrival")))
    t0, c0 = time.perf_counter(), time.process_time()
    if warm == 0:
        check(0)  # statistics from the start
    env.run(until=finished)

    def kpis(a, b):
        (t0_, st0, sy0), (t1, st1, sy1) = a, b
        dt = t1 - t0_
        out = {}

        def ratio(x, y):
            return x / y if y > 0 else None

        for s, x, y in zip(stations, st0, st1):
            d = [q - p for p, q in zip(x, y)]
            arrived, departed, wait, waited, sojourn, busy, queue = d
            out[s.name + ".wait_mean"] = ratio(wait, departed)
            out[s.name + ".sojourn_mean"] = ratio(sojourn, departed)
            out[s.name + ".utilization"] = ratio(busy, dt * s.servers)
            out[s.name + ".queue_len_mean"] = ratio(queue, dt)
            out[s.name + ".p_wait"] = ratio(waited, departed)
            out[s.name + ".throughput"] = ratio(departed, dt)
        exits, soj, wip = (q - p for p, q in zip(sy0, sy1))
        out["system.sojourn_mean"] = ratio(soj, exits)
        out["system.throughput"] = ratio(exits, dt)
        out["system.wip_mean"] = ratio(wip, dt)
        return out

    whole = kpis(snaps[0], snaps[-1])
    batches = [kpis(snaps[i], snaps[i + 1]) for i in range(len(snaps) - 1)]
    assert len(batches) == BATCHES
    cpu, seconds = time.process_time() - c0, time.perf_counter() - t0
    print(sysd["exits"], cpu, seconds)
    print(json.dumps(whole))


if __name__ == "__main__":
    main()
