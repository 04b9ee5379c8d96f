#include "des/kernel.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * A calendar entry is one 128-bit integer: the bits of the due time in the
 * high half (times are never negative, and the IEEE-754 bit patterns of
 * non-negative doubles sort like the numbers), and in the low half a key made
 * of the scheduling sequence number (high bits) and the event's slot (low
 * SLOT_BITS). Ordering entries as integers is ordering by (time, sequence):
 * ties run first-in first-out, and one integer comparison decides. The key
 * doubles as the event's public handle, and a slot remembers the key of the
 * event it holds, so an entry whose key no longer matches its slot is a
 * cancelled event.
 *
 * A direct event (gm_sim_schedule_direct) has no slot: the bit above the
 * slot bits marks it, and the slot bits hold its datum. Its handler is the
 * simulation's one direct handler, and it cannot be cancelled, so nothing
 * but the calendar entry is written when it is scheduled or read when it
 * runs.
 *
 * The calendar has two forms. While few entries are pending (at most
 * SMALL_MAX) it is an array sorted earliest first, heap[base .. base + len):
 * the next event is taken from the front, and a new one is put in from the
 * back, past the entries due after it. A process or a queueing network
 * keeps about one event per busy server pending, often fewer than ten, and
 * this costs a few comparisons where a heap walks its levels comparing
 * every child. Past SMALL_MAX entries the array becomes a d-ary heap,
 * heap[0 .. len) (a sorted array already is one), and below SMALL_MIN it
 * goes back to a sorted array. Both forms order by the same entries, so a
 * run gives the same events in the same order whichever it uses.
 */
typedef unsigned __int128 cal_entry;

static inline cal_entry make_entry(double t, uint64_t key)
{
    uint64_t bits;
    memcpy(&bits, &t, sizeof bits);
    return ((cal_entry)bits << 64) | key;
}

static inline double entry_time(cal_entry e)
{
    uint64_t bits = (uint64_t)(e >> 64);
    double t;
    memcpy(&t, &bits, sizeof t);
    return t;
}

static inline uint64_t entry_key(cal_entry e)
{
    return (uint64_t)e;
}

#define SLOT_BITS 24
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)
#define DIRECT_BIT (UINT64_C(1) << SLOT_BITS)
#define SEQ_SHIFT (SLOT_BITS + 1)
#define SEQ_LIMIT (UINT64_C(1) << (64 - SEQ_SHIFT))
_Static_assert(GM_SIM_MAX_PENDING == (1u << SLOT_BITS), "slot bits");
_Static_assert(GM_SIM_MAX_DIRECT_DATA == (1u << SLOT_BITS), "direct data bits");
_Static_assert(GM_SIM_MAX_SCHEDULED == SEQ_LIMIT, "sequence bits");

/* Pooled event memory. */
typedef struct ev_slot {
    gm_sim_handler fn;
    void *ctx;
    uint64_t data;
    double t;
    uint64_t key;       /* key of the pending event here; 0 when free */
    uint32_t next_free; /* free-list link, NO_SLOT = end */
} ev_slot;

#define NO_SLOT UINT32_MAX

/* The sorted form's bounds (see the top of this file). */
#define SMALL_MAX 24u
#define SMALL_MIN 8u

struct gm_sim {
    double now;
    uint64_t seq;
    uint64_t events;
    cal_entry *heap;
    uint32_t heap_len, heap_cap;
    uint32_t base;  /* the sorted form: its first entry */
    bool small;     /* the sorted form, else the heap */
    uint32_t stale; /* cancelled entries still in the heap */
    ev_slot *slots;
    uint32_t slots_len, slots_cap;
    uint32_t free_head;
    uint32_t pending;
    unsigned arity;
    gm_sim_handler direct_fn; /* the handler of direct events */
    void *direct_ctx;
    bool top_spent; /* heap[0] has run: the next push replaces it (see gm_sim_run) */
    bool stop;
    int error;
};

static inline bool before(const cal_entry *a, const cal_entry *b)
{
    return *a < *b;
}

/* ---- d-ary heap, instantiated for d = 2, 4 and 8 ----------------------- */

static inline void sift_up(cal_entry *h, uint32_t i, cal_entry e, const unsigned d)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / d;
        if (!before(&e, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

static inline void sift_down(cal_entry *h, uint32_t n, uint32_t i, cal_entry e, const unsigned d)
{
    for (;;) {
        uint64_t first = (uint64_t)i * d + 1;
        if (first >= n)
            break;
        uint32_t best = (uint32_t)first;
        uint32_t last = first + d < n ? (uint32_t)(first + d) : n;
        for (uint32_t c = best + 1; c < last; c++)
            if (before(&h[c], &h[best]))
                best = c;
        if (!before(&h[best], &e))
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = e;
}

/*
 * Replace the root with e. Bottom-up (Floyd): walk the smallest children to a
 * leaf, then sift e up from there. A new event usually belongs near the
 * bottom, so this makes one comparison per level instead of two.
 */
static inline void replace_root(cal_entry *h, uint32_t n, cal_entry e, const unsigned d)
{
    uint32_t i = 0;
    for (;;) {
        uint64_t first = (uint64_t)i * d + 1;
        uint32_t best;
        if (first + d <= n) {
            /* All d children exist: a branch-free tournament. */
            uint32_t f = (uint32_t)first;
            best = f + (h[f + 1] < h[f]);
            if (d >= 4) {
                uint32_t b = f + 2 + (h[f + 3] < h[f + 2]);
                best = h[b] < h[best] ? b : best;
            }
            if (d == 8) {
                uint32_t b = f + 4 + (h[f + 5] < h[f + 4]);
                uint32_t c = f + 6 + (h[f + 7] < h[f + 6]);
                b = h[c] < h[b] ? c : b;
                best = h[b] < h[best] ? b : best;
            }
        } else {
            if (first >= n)
                break;
            best = (uint32_t)first;
            for (uint32_t c = best + 1; c < n; c++)
                best = before(&h[c], &h[best]) ? c : best;
        }
        h[i] = h[best];
        i = best;
    }
    sift_up(h, i, e, d);
}

/* The heap operations for the simulation's arity, each a constant there. */
static inline void replace_root_any(gm_sim *s, uint32_t n, cal_entry e)
{
    if (s->arity == 8)
        replace_root(s->heap, n, e, 8);
    else if (s->arity == 4)
        replace_root(s->heap, n, e, 4);
    else
        replace_root(s->heap, n, e, 2);
}

static inline void heap_push(gm_sim *s, cal_entry e)
{
    if (s->top_spent) {
        /* The event at the root has run: put the new one there and sift it
           down once, instead of a pop and a push (half the heap work for the
           common "each event schedules the next" pattern). */
        s->top_spent = false;
        replace_root_any(s, s->heap_len, e);
        return;
    }
    uint32_t i = s->heap_len++;
    if (s->arity == 8)
        sift_up(s->heap, i, e, 8);
    else if (s->arity == 4)
        sift_up(s->heap, i, e, 4);
    else
        sift_up(s->heap, i, e, 2);
}

static inline void heap_pop(gm_sim *s)
{
    uint32_t n = --s->heap_len;
    if (n == 0)
        return;
    replace_root_any(s, n, s->heap[n]);
}

/* ---- the sorted form ---------------------------------------------------- */

/* The sorted array becomes a heap: it already is one, from index 0. */
static void to_heap(gm_sim *s)
{
    memmove(s->heap, s->heap + s->base, s->heap_len * sizeof *s->heap);
    s->base = 0;
    s->small = false;
}

/* The heap (no spent root) becomes a sorted array: at most SMALL_MIN
   entries, sorted by insertion. */
static void to_small(gm_sim *s)
{
    cal_entry *h = s->heap;
    for (uint32_t i = 1; i < s->heap_len; i++) {
        cal_entry e = h[i];
        uint32_t j = i;
        for (; j > 0 && e < h[j - 1]; j--)
            h[j] = h[j - 1];
        h[j] = e;
    }
    s->base = 0;
    s->small = true;
}

/* Put e, the entry just scheduled, in the sorted array, past the entries
   due before it (the capacity is at least 2 * SMALL_MAX, see
   gm_sim_create). */
static inline void small_push(gm_sim *s, cal_entry e)
{
    if (s->heap_len == SMALL_MAX) {
        to_heap(s);
        heap_push(s, e);
        return;
    }
    if (s->base + s->heap_len == s->heap_cap) {
        memmove(s->heap, s->heap + s->base, s->heap_len * sizeof *s->heap);
        s->base = 0;
    }
    cal_entry *h = s->heap + s->base;
    uint32_t i = s->heap_len++;
    /* e was scheduled last, so its key is the largest: it goes after every
       entry due at its time, and the times alone decide. */
    uint64_t t = (uint64_t)(e >> 64);
    for (; i > 0 && t < (uint64_t)(h[i - 1] >> 64); i--)
        h[i] = h[i - 1];
    h[i] = e;
}

static inline void cal_push(gm_sim *s, cal_entry e)
{
    if (s->small)
        small_push(s, e);
    else
        heap_push(s, e);
}

/* Drop cancelled entries and rebuild the heap bottom-up (Floyd), O(n). */
static void compact(gm_sim *s)
{
    if (s->small) { /* keep the live entries, in order */
        uint32_t n = 0;
        for (uint32_t i = s->base; i < s->base + s->heap_len; i++) {
            cal_entry e = s->heap[i];
            uint64_t key = entry_key(e);
            if ((key & DIRECT_BIT) || s->slots[key & SLOT_MASK].key == key)
                s->heap[n++] = e;
        }
        s->base = 0;
        s->heap_len = n;
        s->stale = 0;
        return;
    }
    /* A spent root (the event whose handler is running, see gm_sim_run) has
       run: drop it here, whatever its kind. The slot test below would catch
       a handled one, whose slot is already free, but not a direct one, which
       has no slot: kept, it would run a second time. */
    uint32_t first = s->top_spent ? 1 : 0;
    s->top_spent = false;
    uint32_t n = 0;
    for (uint32_t i = first; i < s->heap_len; i++) {
        cal_entry e = s->heap[i];
        uint64_t key = entry_key(e);
        if ((key & DIRECT_BIT) || s->slots[key & SLOT_MASK].key == key)
            s->heap[n++] = e;
    }
    s->heap_len = n;
    s->stale = 0;
    if (n < 2)
        return;
    for (uint32_t i = (n - 2) / s->arity + 1; i-- > 0;) {
        if (s->arity == 8)
            sift_down(s->heap, n, i, s->heap[i], 8);
        else if (s->arity == 4)
            sift_down(s->heap, n, i, s->heap[i], 4);
        else
            sift_down(s->heap, n, i, s->heap[i], 2);
    }
}

/* ---- lifecycle -------------------------------------------------------- */

gm_sim *gm_sim_create(gm_sim_calendar cal, uint32_t expected_pending)
{
    gm_sim *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->arity = cal == GM_SIM_HEAP2 ? 2 : cal == GM_SIM_HEAP8 ? 8 : 4;
    s->free_head = NO_SLOT;
    s->seq = 1; /* so that no key, and no handle, is 0 */
    uint32_t cap = expected_pending ? expected_pending : 64;
    if (cap > GM_SIM_MAX_PENDING)
        cap = GM_SIM_MAX_PENDING;
    if (cap < 2 * SMALL_MAX) /* room for the sorted form to slide */
        cap = 2 * SMALL_MAX;
    s->small = true;
    s->heap = malloc(sizeof *s->heap * cap);
    s->slots = malloc(sizeof *s->slots * cap);
    if (!s->heap || !s->slots) {
        gm_sim_destroy(s);
        return NULL;
    }
    s->heap_cap = s->slots_cap = cap;
    return s;
}

void gm_sim_destroy(gm_sim *s)
{
    if (!s)
        return;
    free(s->heap);
    free(s->slots);
    free(s);
}

double gm_sim_now(const gm_sim *s)
{
    return s->now;
}

uint64_t gm_sim_events(const gm_sim *s)
{
    return s->events;
}

uint32_t gm_sim_pending(const gm_sim *s)
{
    return s->pending;
}

size_t gm_sim_memory(const gm_sim *s)
{
    return sizeof *s + (size_t)s->heap_cap * sizeof *s->heap + (size_t)s->slots_cap * sizeof *s->slots;
}

int gm_sim_error(const gm_sim *s)
{
    return s->error;
}

void gm_sim_stop(gm_sim *s)
{
    s->stop = true;
}

/* ---- scheduling ------------------------------------------------------- */

static bool grow(void **p, uint32_t *cap, size_t elem)
{
    uint64_t want = (uint64_t)*cap * 2;
    /* The heap may also hold cancelled entries until it is compacted. */
    if (want > (uint64_t)GM_SIM_MAX_PENDING * 2)
        want = (uint64_t)GM_SIM_MAX_PENDING * 2;
    if (want <= *cap)
        return false;
    void *q = realloc(*p, (size_t)want * elem);
    if (!q)
        return false;
    *p = q;
    *cap = (uint32_t)want;
    return true;
}

/* Slot index of a pending event's handle, or NO_SLOT. */
static inline uint32_t live_slot(const gm_sim *s, gm_sim_event ev)
{
    uint64_t slot = ev & SLOT_MASK;
    if (ev == 0 || (ev & DIRECT_BIT) || slot >= s->slots_len || s->slots[slot].key != ev)
        return NO_SLOT;
    return (uint32_t)slot;
}

static inline void free_slot(gm_sim *s, uint32_t slot)
{
    s->slots[slot].key = 0; /* calendar entries for it no longer match */
    s->slots[slot].next_free = s->free_head;
    s->free_head = slot;
    s->pending--;
}

/* Checks shared by both kinds of event: t valid (then normalised), room
   for one more pending event and one more calendar entry. */
static inline bool admit(gm_sim *s, double *t)
{
    /* One test refuses NaN, the past and infinity. */
    if (__builtin_expect(!(*t >= s->now && *t <= DBL_MAX), 0)) {
        s->error = GM_EINVAL;
        return false;
    }
    *t += 0.0; /* -0.0 would sort after every positive time */
    if (__builtin_expect(s->pending >= GM_SIM_MAX_PENDING || s->seq >= SEQ_LIMIT, 0)) {
        s->error = GM_ELIMIT;
        return false;
    }
    if (s->heap_len == s->heap_cap && !s->top_spent) {
        if (s->stale)
            compact(s);
        if (s->heap_len == s->heap_cap &&
            !grow((void **)&s->heap, &s->heap_cap, sizeof *s->heap)) {
            s->error = GM_ENOMEM;
            return false;
        }
    }
    return true;
}

gm_sim_event gm_sim_schedule_at(gm_sim *s, double t, gm_sim_handler fn, void *ctx, uint64_t data)
{
    if (__builtin_expect(!fn, 0)) {
        s->error = GM_EINVAL;
        return 0;
    }
    if (!admit(s, &t))
        return 0;
    uint32_t slot = s->free_head;
    if (slot != NO_SLOT) {
        s->free_head = s->slots[slot].next_free;
    } else {
        if (s->slots_len == s->slots_cap &&
            !grow((void **)&s->slots, &s->slots_cap, sizeof *s->slots)) {
            s->error = GM_ENOMEM;
            return 0;
        }
        slot = s->slots_len++;
    }
    ev_slot *e = &s->slots[slot];
    uint64_t key = (s->seq++ << SEQ_SHIFT) | slot;
    e->fn = fn;
    e->ctx = ctx;
    e->data = data;
    e->t = t;
    e->key = key;
    s->pending++;
    cal_push(s, make_entry(t, key));
    return key;
}

void gm_sim_set_direct(gm_sim *s, gm_sim_handler fn, void *ctx)
{
    s->direct_fn = fn;
    s->direct_ctx = ctx;
}

bool gm_sim_schedule_direct(gm_sim *s, double t, uint32_t data)
{
    if (__builtin_expect(!s->direct_fn || data >= GM_SIM_MAX_DIRECT_DATA, 0)) {
        s->error = GM_EINVAL;
        return false;
    }
    if (!admit(s, &t))
        return false;
    s->pending++;
    cal_push(s, make_entry(t, (s->seq++ << SEQ_SHIFT) | DIRECT_BIT | data));
    return true;
}

gm_sim_event gm_sim_schedule(gm_sim *s, double delay, gm_sim_handler fn, void *ctx, uint64_t data)
{
    if (!(delay >= 0)) { /* also refuses NaN */
        s->error = GM_EINVAL;
        return 0;
    }
    return gm_sim_schedule_at(s, s->now + delay, fn, ctx, data);
}

bool gm_sim_cancel(gm_sim *s, gm_sim_event ev)
{
    uint32_t slot = live_slot(s, ev);
    if (slot == NO_SLOT)
        return false;
    free_slot(s, slot);
    s->stale++;
    /* Keep the heap mostly live: rebuild once cancelled entries dominate. */
    if (s->stale > 1024 && s->stale > s->heap_len / 2)
        compact(s);
    return true;
}

double gm_sim_event_time(const gm_sim *s, gm_sim_event ev)
{
    uint32_t slot = live_slot(s, ev);
    return slot == NO_SLOT ? (double)NAN : s->slots[slot].t;
}

gm_sim_event gm_sim_reschedule(gm_sim *s, gm_sim_event ev, double delay)
{
    uint32_t slot = live_slot(s, ev);
    if (slot == NO_SLOT || !(delay >= 0) || !isfinite(s->now + delay))
        return 0;
    ev_slot e = s->slots[slot];
    gm_sim_cancel(s, ev);
    return gm_sim_schedule(s, delay, e.fn, e.ctx, e.data);
}

/* ---- the loop --------------------------------------------------------- */

uint64_t gm_sim_run(gm_sim *s, double until, uint64_t max_events)
{
    uint64_t ran = 0;
    s->stop = false;
    while (s->heap_len) {
        cal_entry top = s->heap[s->base]; /* base is 0 in the heap form */
        uint64_t key = entry_key(top);
        bool direct = key & DIRECT_BIT;
        uint32_t slot = (uint32_t)(key & SLOT_MASK);
        if (!direct && s->slots[slot].key != key) { /* cancelled */
            if (s->small) {
                s->base++;
                s->heap_len--;
            } else {
                heap_pop(s);
            }
            s->stale--;
            continue;
        }
        double t = entry_time(top);
        if (t > until) {
            s->now = until;
            return ran;
        }
        s->now = t;
        gm_sim_handler fn = s->direct_fn;
        void *ctx = s->direct_ctx;
        uint64_t data = slot; /* a direct event's datum */
        if (direct) {
            s->pending--;
        } else {
            const ev_slot *e = &s->slots[slot];
            fn = e->fn;
            ctx = e->ctx;
            data = e->data;
            free_slot(s, slot); /* before the call: the handler may reuse it */
        }
        s->events++;
        ran++;
        if (s->small) {
            s->base++;
            s->heap_len--;
            fn(s, ctx, data);
        } else {
            /* The entry stays at the root while the handler runs; its first
               schedule call replaces it, otherwise it is popped afterwards. */
            s->top_spent = true;
            fn(s, ctx, data);
            if (s->top_spent) {
                s->top_spent = false;
                heap_pop(s);
            }
            if (s->heap_len <= SMALL_MIN)
                to_small(s);
        }
        if (s->stop || (max_events && ran >= max_events))
            return ran;
    }
    if (isfinite(until) && until > s->now)
        s->now = until;
    return ran;
}
