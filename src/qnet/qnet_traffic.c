/*
 * qnet_traffic.c: the traffic equations of a loaded queueing network, for
 * the questions a model can answer before it runs: does it have a steady
 * state, and how many events will a run need.
 *
 * For class k the arrival rate at station s solves
 *     lambda_(s,k) = gamma_(s,k) + sum_j lambda_(j,k) P_k(j -> s),
 * gamma the external rates (1 / mean interarrival), P_k the routing. A
 * station's offered load is rho_s = sum_k lambda_(s,k) E[S_(s,k)] / c_s.
 * In a network without finite capacities, a steady state exists only when
 * every rho_s < 1: in steady state each station's throughput equals its
 * arrival rate, and c_s servers cannot complete more than c_s work per unit
 * time. (Priorities and preemption-resume do not change the work.) A
 * station that customers reach only through a finite-capacity station gets
 * less than lambda (losses, blocking), so its load is not told; a
 * finite-capacity station itself always has a steady state.
 *
 * The equations are solved by the iteration lambda <- gamma + P^T lambda
 * from 0, restricted to the stations from which customers can leave: it
 * rises monotonically to the solution (every iterate is a lower bound) and
 * converges geometrically there. Stations that customers reach but can
 * never leave from have an infinite load.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qnet/qnet_int.h"

/* Work budget of the iteration, in route visits over all classes: a few
   tenths of a second at worst; a network still climbing after that keeps
   the loads it has reached as lower bounds. */
#define TRAFFIC_BUDGET 50000000.0
#define TRAFFIC_TOL 1e-14

/* Probability of route i of table rt. */
static double route_p(const route_table *rt, uint32_t i)
{
    return i == 0 ? rt->cum[0] : rt->cum[i] - rt->cum[i - 1];
}

/* Mark in seen[] every station reachable from the stations already in
   stack[0..n) along routes of class c (c = QNET_NONE: any class). */
static void reach(const gm_qnet *m, uint32_t c, uint32_t *stack, uint32_t n, bool *seen)
{
    while (n) {
        uint32_t s = stack[--n];
        for (uint32_t k = c == QNET_NONE ? 0 : c; k < (c == QNET_NONE ? m->nclasses : c + 1);
             k++) {
            const route_table *rt = &m->st[s].route[k];
            for (uint32_t i = 0; i < rt->n; i++) {
                uint32_t t = rt->to[i];
                if (t != QNET_EXIT && route_p(rt, i) > 0 && !seen[t]) {
                    seen[t] = true;
                    stack[n++] = t;
                }
            }
        }
    }
}

/* can_exit[s]: class c's customers at s can leave the network: a search
   backwards from the exit over the routes of class c (in[]: an array of
   edges + 1 + n entries for the reversed graph, stack: n entries). */
static void exit_reach(const gm_qnet *m, uint32_t c, uint32_t *in, uint32_t *stack, bool *can_exit)
{
    uint32_t n = m->nstations;
    uint32_t *start = in, *from = in + n + 1; /* from[start[t] .. start[t+1]): into t */
    memset(start, 0, (n + 1) * sizeof *start);
    for (uint32_t s = 0; s < n; s++) {
        const route_table *rt = &m->st[s].route[c];
        for (uint32_t i = 0; i < rt->n; i++)
            if (rt->to[i] != QNET_EXIT && route_p(rt, i) > 0)
                start[rt->to[i] + 1]++;
    }
    for (uint32_t t = 0; t < n; t++)
        start[t + 1] += start[t];
    uint32_t top = 0;
    memset(can_exit, 0, n * sizeof *can_exit);
    for (uint32_t s = 0; s < n; s++) {
        const route_table *rt = &m->st[s].route[c];
        for (uint32_t i = 0; i < rt->n; i++) {
            if (route_p(rt, i) <= 0)
                continue;
            if (rt->to[i] != QNET_EXIT)
                from[start[rt->to[i]]++] = s; /* start[t] moves to t's end */
            else if (!can_exit[s])
                can_exit[s] = true, stack[top++] = s;
        }
    }
    /* start[t] is now the end of t's list and start[t - 1] its beginning */
    while (top) {
        uint32_t t = stack[--top];
        for (uint32_t e = t ? start[t - 1] : 0; e < start[t]; e++)
            if (!can_exit[from[e]])
                can_exit[from[e]] = true, stack[top++] = from[e];
    }
}

int qnet__traffic(gm_qnet *m)
{
    uint32_t n = m->nstations;
    m->load = malloc(n * sizeof *m->load);
    double *rate = m->rate = calloc(n, sizeof *rate); /* all classes, per station */
    double *work = calloc(n, sizeof *work);      /* sum_k lambda E[S], per station */
    double *lam = malloc(n * sizeof *lam), *next = malloc(n * sizeof *next);
    double *gamma = malloc(n * sizeof *gamma);
    bool *thinned = calloc(n, sizeof *thinned), *can_exit = malloc(n * sizeof *can_exit);
    bool *reached = malloc(n * sizeof *reached), *trapped = calloc(n, sizeof *trapped);
    uint32_t *stack = malloc(n * sizeof *stack);
    size_t edges_max = 0;
    for (uint32_t s = 0; s < n; s++)
        for (uint32_t k = 0; k < m->nclasses; k++)
            edges_max += m->st[s].route[k].n; /* over all classes: enough for one */
    uint32_t *in = malloc((edges_max + n + 1) * sizeof *in);
    int rc = GM_ENOMEM;
    if (!m->load || !rate || !work || !lam || !next || !gamma || !thinned || !can_exit ||
        !reached || !trapped || !stack || !in)
        goto done;

    /* downstream of a finite-capacity station: flows thinned by losses */
    uint32_t top = 0;
    for (uint32_t s = 0; s < n; s++)
        if (m->st[s].capacity) {
            const station *st = &m->st[s];
            for (uint32_t k = 0; k < m->nclasses; k++)
                for (uint32_t i = 0; i < st->route[k].n; i++) {
                    uint32_t t = st->route[k].to[i];
                    if (t != QNET_EXIT && !thinned[t]) {
                        thinned[t] = true;
                        stack[top++] = t;
                    }
                }
        }
    reach(m, QNET_NONE, stack, top, thinned);

    m->arrival_rate = 0;
    bool exact = true; /* every iteration converged */
    double budget = TRAFFIC_BUDGET;
    for (uint32_t c = 0; c < m->nclasses; c++) {
        memset(gamma, 0, n * sizeof *gamma);
        memset(reached, 0, n * sizeof *reached);
        top = 0;
        bool any = false;
        for (uint32_t a = 0; a < m->narrivals; a++) {
            if (m->arr[a].cls != c)
                continue;
            double g = 1 / gm_dist_mean(&m->arr[a].interarrival);
            gamma[m->arr[a].to] += g;
            m->arrival_rate += g;
            if (!reached[m->arr[a].to]) {
                reached[m->arr[a].to] = true;
                stack[top++] = m->arr[a].to;
            }
            any = true;
        }
        if (!any)
            continue;
        reach(m, c, stack, top, reached);
        exit_reach(m, c, in, stack, can_exit);
        for (uint32_t s = 0; s < n; s++)
            trapped[s] |= reached[s] && !can_exit[s];

        /* lambda <- gamma + P^T lambda over the stations customers can leave */
        memset(lam, 0, n * sizeof *lam);
        size_t edges = 0;
        for (uint32_t s = 0; s < n; s++)
            edges += m->st[s].route[c].n;
        for (;;) {
            memcpy(next, gamma, n * sizeof *next);
            for (uint32_t s = 0; s < n; s++) {
                if (!can_exit[s] || lam[s] == 0)
                    continue;
                const route_table *rt = &m->st[s].route[c];
                for (uint32_t i = 0; i < rt->n; i++)
                    if (rt->to[i] != QNET_EXIT && can_exit[rt->to[i]])
                        next[rt->to[i]] += lam[s] * route_p(rt, i);
            }
            double change = 0, size = 0;
            for (uint32_t s = 0; s < n; s++) {
                change = fmax(change, fabs(next[s] - lam[s]));
                size = fmax(size, next[s]);
            }
            double *t = lam;
            lam = next;
            next = t;
            budget -= (double)edges + n;
            if (change <= TRAFFIC_TOL * size)
                break;
            if (budget <= 0) {
                exact = false;
                break;
            }
        }
        for (uint32_t s = 0; s < n; s++) {
            rate[s] += lam[s];
            work[s] += lam[s] * gm_dist_mean(&m->st[s].service[c]);
        }
    }

    /* Loads, and a lower bound on events per unit of time: each arrival is
       one, each service completion one more (at most c_s / E[S] of them per
       unit of time at an overloaded station). */
    m->event_rate = m->arrival_rate;
    for (uint32_t s = 0; s < n; s++) {
        double rho = work[s] / m->st[s].servers;
        if (trapped[s])
            m->load[s] = (double)INFINITY;
        else if (thinned[s] || (!exact && rho < 1))
            m->load[s] = (double)NAN;
        else
            m->load[s] = rho;
        if (!thinned[s] && !trapped[s])
            m->event_rate += rho > 1 ? rate[s] / rho : rate[s];
    }
    rc = GM_OK;
done:
    free(work);
    free(lam);
    free(next);
    free(gamma);
    free(thinned);
    free(can_exit);
    free(reached);
    free(trapped);
    free(stack);
    free(in);
    return rc;
}

double gm_qnet_offered_load(const gm_qnet *m, uint32_t s)
{
    return s < m->nstations ? m->load[s] : (double)NAN;
}

/* rho_s >= 1 up to the iteration's tolerance: a load of exactly 1 (null
   recurrent, no steady state either) may come out a hair below 1. */
static bool overloaded(const gm_qnet *m, uint32_t s)
{
    return m->st[s].capacity == 0 && m->load[s] >= 1 - 1e-9;
}

size_t gm_qnet_overloaded(const gm_qnet *m, char *msg, size_t n)
{
    size_t count = 0, len = 0;
    if (n)
        msg[0] = '\0';
    for (uint32_t s = 0; s < m->nstations; s++) {
        if (!overloaded(m, s))
            continue;
        count++;
        if (count > 3 || len + 1 >= n)
            continue;
        const station *st = &m->st[s];
        int w;
        if (isinf(m->load[s]))
            w = snprintf(msg + len, n - len,
                         "%sstation '%s': customers that reach it can never leave (no route "
                         "to \"exit\")",
                         count > 1 ? "; " : "", st->name);
        else
            w = snprintf(msg + len, n - len,
                         "%sstation '%s': offered load %.4g >= 1 (%.4g arrivals per unit of "
                         "time x mean service %.4g / %u server%s)",
                         count > 1 ? "; " : "", st->name, m->load[s], m->rate[s],
                         m->load[s] * st->servers / m->rate[s], st->servers,
                         st->servers == 1 ? "" : "s");
        if (w > 0)
            len += (size_t)w < n - len ? (size_t)w : n - len - 1;
    }
    if (count > 3 && len + 1 < n)
        snprintf(msg + len, n - len, "; and %zu more station%s", count - 3,
                 count - 3 == 1 ? "" : "s");
    return count;
}
