/*
 * progress.h: a one-line progress bar on stderr for work longer than a second.
 *
 *     gm_progress p;
 *     gm_progress_start(&p, "replications", total);
 *     for (...) gm_progress_update(&p, done);
 *     gm_progress_finish(&p);
 *
 * It draws only when stderr is a terminal (and GEMEL_NO_PROGRESS is unset),
 * only once the work has run for a second, and at most ten times a second, so
 * callers may update as often as they like. Output redirected to a file or a
 * pipe never contains it. Call from one thread (workers count into an atomic
 * that the calling thread reads).
 */
#ifndef GM_CLI_PROGRESS_H
#define GM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gm_progress {
    const char *label;
    uint64_t total;    /* 0 = unknown: show a count without a bar */
    int fd;            /* where to draw */
    bool enabled;      /* a terminal, and not switched off */
    bool drawn;        /* something is on the line that finish must clear */
    int64_t start_ns;
    int64_t last_ns;   /* last redraw */
} gm_progress;

/* Start on stderr. label must outlive the progress bar. */
void gm_progress_start(gm_progress *p, const char *label, uint64_t total);
/* Start on fd; enabled only if fd is a terminal (tests use a pseudo-terminal). */
void gm_progress_start_fd(gm_progress *p, const char *label, uint64_t total, int fd);
/* Report that done units are complete; redraws when due. */
void gm_progress_update(gm_progress *p, uint64_t done);
/* Clear the line if anything was drawn. */
void gm_progress_finish(gm_progress *p);

/*
 * Render the line for done units after elapsed_ns into buf (width columns for
 * the whole line). Returns buf. Exposed for tests.
 */
const char *gm_progress_render(const gm_progress *p, uint64_t done, int64_t elapsed_ns, char *buf,
                               size_t n, int width);

#endif
