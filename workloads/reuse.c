/* Reuse analysis of a trace; see reuse.h. */
#include "workloads/reuse.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/u64map.h"

typedef struct wl_blk {
    uint64_t last; /* time index of its last reference (1-based) */
    double last_s;
    uint64_t refs;
    int64_t window; /* last window it was counted in */
} wl_blk_t;

struct wl_reuse {
    double window_s;
    u64map_t index; /* block id -> index into blk */
    wl_blk_t *blk;
    size_t nblk, capblk;
    uint32_t *fw; /* Fenwick tree over reference times */
    size_t capfw;
    uint64_t now, refs, cold;
    uint64_t dist[WL_REUSE_BINS]; /* reuse distance d in [2^(k-1), 2^k), k = 0 for d = 0 */
    uint64_t time[WL_REUSE_BINS]; /* reuse time t in [2^(k-20), 2^(k-19)) s, clamped */
    int64_t cur_window;
    uint64_t *ws, *footprint; /* per window */
    size_t nwin, capwin, capfoot;
    double t0;
    bool started;
    /* Computed by wl_reuse_finish. */
    bool done;
    uint64_t *ranked;
    double zipf_alpha, zipf_r2, zipf_scale; /* f(r) = scale x r^-alpha */
    uint64_t zipf_points;
};

wl_reuse_t *wl_reuse_new(double window_s)
{
    wl_reuse_t *r = kvt_calloc(1, sizeof *r);
    r->window_s = window_s > 0 ? window_s : 60;
    u64map_init(&r->index);
    r->cur_window = -1;
    return r;
}

void wl_reuse_free(wl_reuse_t *r)
{
    if (!r)
        return;
    u64map_free(&r->index);
    free(r->blk);
    free(r->fw);
    free(r->ws);
    free(r->footprint);
    free(r->ranked);
    free(r);
}

static void fw_add(wl_reuse_t *r, uint64_t i, int d)
{
    for (; i < r->capfw; i += i & (~i + 1))
        r->fw[i] += (uint32_t)d;
}

static uint64_t fw_sum(const wl_reuse_t *r, uint64_t i)
{
    uint64_t s = 0;
    for (; i > 0; i -= i & (~i + 1))
        s += r->fw[i];
    return s;
}

/* Grows the Fenwick tree to hold time index `need`: a tree is rebuilt from the marks it holds. */
static void fw_reserve(wl_reuse_t *r, uint64_t need)
{
    if (need < r->capfw)
        return;
    size_t cap = r->capfw ? r->capfw : 1024;
    while (cap <= need)
        cap *= 2;
    free(r->fw);
    r->fw = kvt_calloc(cap, sizeof *r->fw);
    r->capfw = cap;
    for (size_t k = 0; k < r->nblk; k++)
        fw_add(r, r->blk[k].last, 1);
}

static int log2_bin(double x, double unit)
{
    if (x < unit)
        return 0;
    int k = 1 + (int)floor(log2(x / unit));
    return k < WL_REUSE_BINS ? k : WL_REUSE_BINS - 1;
}

#define WL_TIME_UNIT_S (1.0 / 1024) /* first reuse-time bin: below ~1 ms */

void wl_reuse_add(wl_reuse_t *r, const wl_request_t *req)
{
    double t = req->arrival_s;
    if (!r->started) {
        r->t0 = t;
        r->started = true;
    }
    int64_t w = (int64_t)floor((t - r->t0) / r->window_s);
    if (w < 0)
        w = 0;
    if (w > r->cur_window) {
        kvt_grow(&r->ws, &r->capwin, (size_t)w + 1, sizeof *r->ws, 64);
        kvt_grow(&r->footprint, &r->capfoot, (size_t)w + 1, sizeof *r->footprint, 64);
        for (int64_t k = r->cur_window + 1; k <= w; k++) {
            r->ws[k] = 0;
            r->footprint[k] = r->nblk;
        }
        r->cur_window = w;
        r->nwin = (size_t)w + 1;
    }
    for (uint32_t i = 0; i < req->n_blocks; i++) {
        uint64_t id = req->block_ids[i], k;
        r->refs++;
        fw_reserve(r, r->now + 1);
        if (u64map_get(&r->index, id, &k)) {
            wl_blk_t *b = &r->blk[k];
            uint64_t d = r->nblk - fw_sum(r, b->last); /* distinct blocks referenced since */
            r->dist[log2_bin((double)d, 1)]++;
            r->time[log2_bin(t - b->last_s, WL_TIME_UNIT_S)]++;
            fw_add(r, b->last, -1);
        } else {
            r->cold++;
            k = r->nblk;
            kvt_grow(&r->blk, &r->capblk, r->nblk + 1, sizeof *r->blk, 1024);
            r->blk[k] = (wl_blk_t){0, 0, 0, -1};
            r->nblk++;
            u64map_put(&r->index, id, k);
        }
        wl_blk_t *b = &r->blk[k];
        b->last = ++r->now;
        b->last_s = t;
        b->refs++;
        fw_add(r, b->last, 1);
        if (b->window != w) {
            b->window = w;
            r->ws[w]++;
        }
        r->footprint[r->cur_window] = r->nblk;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

static void wl_reuse_finish(wl_reuse_t *r)
{
    if (r->done)
        return;
    r->done = true;
    r->ranked = kvt_malloc((r->nblk ? r->nblk : 1) * sizeof *r->ranked);
    for (size_t k = 0; k < r->nblk; k++)
        r->ranked[k] = r->blk[k].refs;
    qsort(r->ranked, r->nblk, sizeof *r->ranked, cmp_desc);
    /* Least squares of y = log f on x = log r over blocks referenced at least twice. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    uint64_t n = 0;
    for (size_t k = 0; k < r->nblk && r->ranked[k] >= 2; k++, n++) {
        double x = log((double)(k + 1)), y = log((double)r->ranked[k]);
        sx += x, sy += y, sxx += x * x, sxy += x * y, syy += y * y;
    }
    r->zipf_points = n;
    if (n >= 3) {
        double vx = sxx - sx * sx / (double)n, vy = syy - sy * sy / (double)n, cxy = sxy - sx * sy / (double)n;
        r->zipf_alpha = vx > 0 ? -cxy / vx : (double)NAN;
        r->zipf_r2 = vx > 0 && vy > 0 ? cxy * cxy / (vx * vy) : (double)NAN;
        r->zipf_scale = exp((sy + r->zipf_alpha * sx) / (double)n);
    } else {
        r->zipf_alpha = r->zipf_r2 = (double)NAN;
    }
}

/* Lower edge of bin k of a log2 histogram with first bin [0, unit). */
static double bin_lo(int k, double unit)
{
    return k == 0 ? 0 : unit * ldexp(1.0, k - 1);
}

/* The smallest bin edge below which q of the reuses fall (an upper bound of the q-quantile). */
static double hist_quantile(const uint64_t *h, double unit, double q)
{
    uint64_t tot = 0, acc = 0;
    for (int k = 0; k < WL_REUSE_BINS; k++)
        tot += h[k];
    if (!tot)
        return NAN;
    for (int k = 0; k < WL_REUSE_BINS; k++) {
        acc += h[k];
        if ((double)acc >= q * (double)tot)
            return bin_lo(k + 1, unit);
    }
    return INFINITY;
}

cJSON *wl_reuse_json(wl_reuse_t *r)
{
    wl_reuse_finish(r);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "block_refs", (double)r->refs);
    cJSON_AddNumberToObject(o, "distinct_blocks", (double)r->nblk);
    cJSON_AddNumberToObject(o, "first_refs", (double)r->cold);
    cJSON_AddNumberToObject(o, "reuses", (double)(r->refs - r->cold));
    cJSON *d = cJSON_AddObjectToObject(o, "reuse_distance_blocks");
    cJSON_AddNumberToObject(d, "p50_below", hist_quantile(r->dist, 1, 0.5));
    cJSON_AddNumberToObject(d, "p90_below", hist_quantile(r->dist, 1, 0.9));
    cJSON *dh = cJSON_AddArrayToObject(d, "histogram");
    for (int k = 0; k < WL_REUSE_BINS; k++)
        if (r->dist[k]) {
            cJSON *b = cJSON_CreateObject();
            cJSON_AddNumberToObject(b, "from", bin_lo(k, 1));
            cJSON_AddNumberToObject(b, "to", bin_lo(k + 1, 1));
            cJSON_AddNumberToObject(b, "reuses", (double)r->dist[k]);
            cJSON_AddItemToArray(dh, b);
        }
    cJSON *t = cJSON_AddObjectToObject(o, "reuse_time_s");
    cJSON_AddNumberToObject(t, "p50_below", hist_quantile(r->time, WL_TIME_UNIT_S, 0.5));
    cJSON_AddNumberToObject(t, "p90_below", hist_quantile(r->time, WL_TIME_UNIT_S, 0.9));
    cJSON *th = cJSON_AddArrayToObject(t, "histogram");
    for (int k = 0; k < WL_REUSE_BINS; k++)
        if (r->time[k]) {
            cJSON *b = cJSON_CreateObject();
            cJSON_AddNumberToObject(b, "from", bin_lo(k, WL_TIME_UNIT_S));
            cJSON_AddNumberToObject(b, "to", bin_lo(k + 1, WL_TIME_UNIT_S));
            cJSON_AddNumberToObject(b, "reuses", (double)r->time[k]);
            cJSON_AddItemToArray(th, b);
        }
    cJSON *p = cJSON_AddObjectToObject(o, "popularity");
    cJSON_AddNumberToObject(p, "top_block_refs", r->nblk ? (double)r->ranked[0] : 0);
    uint64_t once = 0;
    for (size_t k = 0; k < r->nblk; k++)
        once += r->ranked[k] == 1;
    cJSON_AddNumberToObject(p, "blocks_used_once", (double)once);
    cJSON_AddNumberToObject(p, "zipf_alpha", isfinite(r->zipf_alpha) ? r->zipf_alpha : -1);
    cJSON_AddNumberToObject(p, "zipf_r2", isfinite(r->zipf_r2) ? r->zipf_r2 : -1);
    cJSON_AddNumberToObject(p, "zipf_fit_blocks", (double)r->zipf_points);
    cJSON *w = cJSON_AddObjectToObject(o, "working_set");
    cJSON_AddNumberToObject(w, "window_s", r->window_s);
    uint64_t most = 0;
    double mean = 0;
    for (size_t k = 0; k < r->nwin; k++) {
        if (r->ws[k] > most)
            most = r->ws[k];
        mean += (double)r->ws[k];
    }
    cJSON_AddNumberToObject(w, "windows", (double)r->nwin);
    cJSON_AddNumberToObject(w, "mean_blocks", r->nwin ? mean / (double)r->nwin : 0);
    cJSON_AddNumberToObject(w, "max_blocks", (double)most);
    return o;
}

void wl_reuse_print(wl_reuse_t *r, FILE *out)
{
    cJSON *j = wl_reuse_json(r);
    const cJSON *d = cJSON_GetObjectItem(j, "reuse_distance_blocks"), *t = cJSON_GetObjectItem(j, "reuse_time_s");
    const cJSON *p = cJSON_GetObjectItem(j, "popularity"), *w = cJSON_GetObjectItem(j, "working_set");
#define N(o, k) cJSON_GetObjectItem(o, k)->valuedouble
    fprintf(out, "  reuse (every block reference on its own)\n");
    fprintf(out, "    block references / distinct   %.0f / %.0f (%.0f reuses)\n", N(j, "block_refs"),
            N(j, "distinct_blocks"), N(j, "reuses"));
    fprintf(out, "    reuse distance p50 / p90 <    %.0f / %.0f blocks (LRU of C blocks hits distances < C)\n",
            N(d, "p50_below"), N(d, "p90_below"));
    fprintf(out, "    reuse time p50 / p90 <        %.3g / %.3g s\n", N(t, "p50_below"), N(t, "p90_below"));
    fprintf(out, "    popularity                    top block %.0f refs, %.0f blocks used once\n",
            N(p, "top_block_refs"), N(p, "blocks_used_once"));
    fprintf(out, "    Zipf fit (blocks used twice+) alpha %.3f, R^2 %.3f over %.0f blocks\n", N(p, "zipf_alpha"),
            N(p, "zipf_r2"), N(p, "zipf_fit_blocks"));
    fprintf(out, "    working set per %.0f s window  mean %.0f, max %.0f blocks over %.0f windows\n", N(w, "window_s"),
            N(w, "mean_blocks"), N(w, "max_blocks"), N(w, "windows"));
#undef N
    cJSON_Delete(j);
}

int wl_reuse_write(wl_reuse_t *r, const char *dir, char *err, size_t errlen)
{
    wl_reuse_finish(r);
    static const char *const names[] = {"reuse-distance.dat", "reuse-time.dat", "popularity.dat", "working-set.dat"};
    for (int f = 0; f < 4; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        FILE *o = fopen(path, "w");
        if (!o) {
            snprintf(err, errlen, "%s: cannot write", path);
            return -1;
        }
        if (f < 2) {
            const uint64_t *h = f == 0 ? r->dist : r->time;
            double unit = f == 0 ? 1 : WL_TIME_UNIT_S, reuses = (double)(r->refs - r->cold), acc = 0;
            fprintf(o, "# %s from, to, reuses, fraction of reuses, cumulative fraction\n",
                    f == 0 ? "reuse distance (blocks)" : "reuse time (s)");
            for (int k = 0; k < WL_REUSE_BINS; k++) {
                if (!h[k])
                    continue;
                acc += (double)h[k];
                fprintf(o, "%.9g %.9g %llu %.6g %.6g\n", bin_lo(k, unit), bin_lo(k + 1, unit), (unsigned long long)h[k],
                        reuses > 0 ? (double)h[k] / reuses : 0, reuses > 0 ? acc / reuses : 0);
            }
        } else if (f == 2) {
            fprintf(o, "# rank, references (log-spaced ranks), Zipf fit: alpha %.6g r2 %.6g scale %.6g\n",
                    r->zipf_alpha, r->zipf_r2, r->zipf_scale);
            size_t last = 0;
            for (double x = 1; (size_t)x <= r->nblk; x *= 1.05) {
                size_t k = (size_t)x;
                if (k == last)
                    continue;
                last = k;
                fprintf(o, "%zu %llu\n", k, (unsigned long long)r->ranked[k - 1]);
            }
            if (r->nblk && last != r->nblk)
                fprintf(o, "%zu %llu\n", r->nblk, (unsigned long long)r->ranked[r->nblk - 1]);
        } else {
            fprintf(o, "# window start (s from the first arrival), distinct blocks in the window, footprint\n");
            for (size_t k = 0; k < r->nwin; k++)
                fprintf(o, "%.6g %llu %llu\n", (double)k * r->window_s, (unsigned long long)r->ws[k],
                        (unsigned long long)r->footprint[k]);
        }
        fclose(o);
    }
    return 0;
}
