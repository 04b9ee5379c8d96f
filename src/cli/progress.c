#include "cli/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/time.h"

#define DELAY_NS 1000000000LL    /* stay quiet for work shorter than this */
#define INTERVAL_NS 100000000LL  /* redraw at most this often */

void gm_progress_start_fd(gm_progress *p, const char *label, uint64_t total, int fd)
{
    memset(p, 0, sizeof *p);
    p->label = label;
    p->total = total;
    p->fd = fd;
    const char *off = getenv("GEMEL_NO_PROGRESS");
    p->enabled = isatty(fd) && !(off && *off);
    p->start_ns = gm_time_mono_ns();
}

void gm_progress_start(gm_progress *p, const char *label, uint64_t total)
{
    gm_progress_start_fd(p, label, total, STDERR_FILENO);
}

/* 1234567 -> "1.23M": counts stay short whatever their size. */
static void human(uint64_t v, char *buf, size_t n)
{
    const char *units = " kMGTPE";
    double x = (double)v;
    int u = 0;
    while (x >= 1000.0 && u < 6) {
        x /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%llu", (unsigned long long)v);
    else
        snprintf(buf, n, "%.*f%c", x < 10 ? 2 : x < 100 ? 1 : 0, x, units[u]);
}

static void duration(double s, char *buf, size_t n)
{
    long t = s < 0 ? 0 : s > 1e9 ? 1000000000L : (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, n, "%lds", t);
    else if (t < 3600)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

const char *gm_progress_render(const gm_progress *p, uint64_t done, int64_t elapsed_ns, char *buf,
                               size_t n, int width)
{
    char d[32], t[32], eta[48] = "";
    human(done, d, sizeof d);
    double secs = (double)elapsed_ns / 1e9;
    if (p->total == 0) {
        snprintf(buf, n, "%s %s", p->label, d);
        return buf;
    }
    if (done > p->total)
        done = p->total;
    human(p->total, t, sizeof t);
    double frac = (double)done / (double)p->total;
    if (done > 0 && done < p->total) {
        char r[32];
        duration(secs / frac - secs, r, sizeof r);
        snprintf(eta, sizeof eta, " eta %s", r);
    }
    char tail[160];
    snprintf(tail, sizeof tail, " %3.0f%% %s/%s%s", frac * 100, d, t, eta);
    int bar = width - (int)strlen(p->label) - (int)strlen(tail) - 3;
    if (bar > 40)
        bar = 40;
    if (bar < 5) {
        snprintf(buf, n, "%s%s", p->label, tail);
        return buf;
    }
    char bars[41];
    int filled = (int)(frac * bar);
    for (int i = 0; i < bar; i++)
        bars[i] = i < filled ? '#' : '.';
    bars[bar] = '\0';
    snprintf(buf, n, "%s [%s]%s", p->label, bars, tail);
    return buf;
}

static int term_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

void gm_progress_update(gm_progress *p, uint64_t done)
{
    if (!p->enabled)
        return;
    int64_t now = gm_time_mono_ns();
    if (now - p->start_ns < DELAY_NS || now - p->last_ns < INTERVAL_NS)
        return;
    p->last_ns = now;
    char line[256];
    int width = term_width(p->fd);
    gm_progress_render(p, done, now - p->start_ns, line, sizeof line, width - 1);
    dprintf(p->fd, "\r%s\033[K", line);
    p->drawn = true;
}

void gm_progress_finish(gm_progress *p)
{
    if (p->drawn)
        dprintf(p->fd, "\r\033[K");
    p->drawn = false;
}
