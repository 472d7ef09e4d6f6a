/* The metric table as data, and what is built from it: the figures of summary.json, the stdout table, the
 * study table's rows; see metric_table.h. */
#include "sim/out/metric_table.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Every row's fields by designator: a row names only what it has. */
#define MT_ROW(member_, each_, path_, ...)                                                                             \
    {.member = #member_, .each = MT_EACH_##each_, .path = path_, .offset = offsetof(mt_values_t, member_), __VA_ARGS__},
const mt_row_t mt_rows[] = {METRIC_TABLE(MT_ROW)};
#undef MT_ROW
const size_t mt_nrows = sizeof mt_rows / sizeof mt_rows[0];

/* Labels of the stdout lines, printed left-aligned in a column of 17. */
static const char *const mt_line_label[MT_LINES] = {
    [MT_L_REQUESTS] = "requests",       [MT_L_TPS] = "output tokens/s", [MT_L_TOTAL_TPS] = "total tokens/s",
    [MT_L_TTFT] = "TTFT p50/p99",       [MT_L_TPOT] = "TPOT p50",       [MT_L_HIT] = "hit rate",
    [MT_L_GPU] = "GPU busy/stall/idle", [MT_L_TOKENS_J] = "tokens/J",   [MT_L_PREEMPT] = "preemptions",
    [MT_L_STEADY] = "steady state",
};

size_t mt_items(const mt_row_t *r)
{
    switch (r->each) {
    case MT_EACH_TIERS:
        return KV_NTIERS;
    case MT_EACH_CLASSES:
        return EN_CLASSES;
    default:
        return 1;
    }
}

const char *mt_item_key(const mt_row_t *r, size_t i)
{
    assert(i < mt_items(r));
    switch (r->each) {
    case MT_EACH_TIERS:
        return kv_tier_name((int)i);
    case MT_EACH_CLASSES:
        return en_class_name((int)i);
    default:
        return NULL;
    }
}

void mt_item_path(const mt_row_t *r, size_t i, char *buf, size_t len)
{
    const char *key = mt_item_key(r, i);
    snprintf(buf, len, "%s%s%s", r->path, key ? "." : "", key ? key : "");
}

void mt_item_label(const mt_row_t *r, size_t i, char *buf, size_t len)
{
    const char *item = r->each == MT_EACH_TIERS ? kv_tiers[i].label : mt_item_key(r, i);
    snprintf(buf, len, "%s%s", r->study.label ? r->study.label : r->path, item ? item : "");
}

/* The object at a dotted path below obj, created (appended, so in table order) where missing. */
static cJSON *mt_object_at(cJSON *obj, const char *path, char *leaf, size_t leaflen)
{
    const char *p = path;
    for (const char *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
        char key[64];
        size_t n = (size_t)(dot - p);
        assert(n < sizeof key);
        memcpy(key, p, n);
        key[n] = '\0';
        cJSON *child = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!child)
            child = cJSON_AddObjectToObject(obj, key);
        assert(cJSON_IsObject(child) && "a metric path runs through a number");
        obj = child;
    }
    snprintf(leaf, leaflen, "%s", p);
    return obj;
}

static void mt_add_number(cJSON *obj, const char *key, double x)
{
    if (isnan(x))
        cJSON_AddNullToObject(obj, key);
    else
        cJSON_AddNumberToObject(obj, key, x);
}

void mt_summary_add(cJSON *obj, const mt_values_t *v)
{
    for (size_t r = 0; r < mt_nrows; r++) {
        const mt_row_t *row = &mt_rows[r];
        const double *x = (const double *)(const void *)((const char *)v + row->offset);
        char leaf[64];
        cJSON *parent = mt_object_at(obj, row->path, leaf, sizeof leaf);
        if (row->each == MT_EACH_ONE) {
            assert(!cJSON_GetObjectItemCaseSensitive(parent, leaf) && "two metrics on one path");
            mt_add_number(parent, leaf, x[0]);
            continue;
        }
        /* One key per item, in an object of the row's own (energy_j also holds the totals after it). */
        cJSON *items = cJSON_GetObjectItemCaseSensitive(parent, leaf);
        if (!items)
            items = cJSON_AddObjectToObject(parent, leaf);
        for (size_t i = 0; i < mt_items(row); i++)
            mt_add_number(items, mt_item_key(row, i), x[i]);
    }
}

double mt_item_shown(const cJSON *summary, const mt_row_t *r, size_t i)
{
    /* The row's path splits at dots; the item key is looked up whole ("G3.5" has one). */
    char path[256];
    snprintf(path, sizeof path, "%s", r->path);
    const cJSON *x = summary;
    for (char *k = path, *dot; x && k; k = dot ? dot + 1 : NULL) {
        dot = strchr(k, '.');
        if (dot)
            *dot = '\0';
        x = cJSON_GetObjectItemCaseSensitive(x, k);
    }
    const char *key = mt_item_key(r, i);
    if (key && x)
        x = cJSON_GetObjectItemCaseSensitive(x, key);
    if (!x || !cJSON_IsNumber(x))
        return (double)NAN;
    return r->div > 0 ? x->valuedouble / r->div : x->valuedouble;
}

void mt_print_lines(const cJSON *summary, FILE *out)
{
    for (int line = MT_L_NONE + 1; line < MT_LINES; line++) {
        fprintf(out, "  %-17s ", mt_line_label[line]);
        /* The pieces of this line by position; a table has few rows, so a scan per position is enough. */
        for (unsigned pos = 0; pos < 256; pos++) {
            bool more = false;
            for (size_t r = 0; r < mt_nrows; r++) {
                const mt_row_t *row = &mt_rows[r];
                if (row->print.line != line || row->print.pos < pos)
                    continue;
                if (row->print.pos > pos) {
                    more = true;
                    continue;
                }
                const mt_print_t *pr = &row->print;
                fprintf(out, "%s", pr->pre);
                if (row->each == MT_EACH_ONE && pr->yes_no) {
                    double v = mt_item_shown(summary, row, 0);
                    fprintf(out, "%s", isnan(v) ? "n/a" : v != 0 ? "yes" : "no");
                } else if (row->each == MT_EACH_ONE) {
                    double v = mt_item_shown(summary, row, 0);
                    if (fabs(v) < 0.5 * pow(10, -pr->decimals))
                        v = 0; /* no "-0" */
                    fprintf(out, "%.*f", pr->decimals, v);
                } else {
                    for (size_t i = 0; i < mt_items(row); i++)
                        fprintf(out, "%s%s %.*f", i ? ", " : "", mt_item_key(row, i), pr->decimals,
                                mt_item_shown(summary, row, i));
                }
                fprintf(out, "%s", pr->post);
            }
            if (!more)
                break;
        }
        fprintf(out, "\n");
    }
}

static int mt_study_cmp(const mt_study_item_t *a, const mt_study_item_t *b)
{
    if (a->row->study.order != b->row->study.order)
        return a->row->study.order < b->row->study.order ? -1 : 1;
    return a->item < b->item ? -1 : a->item > b->item;
}

size_t mt_study_items(mt_study_item_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t r = 0; r < mt_nrows; r++) {
        if (!mt_rows[r].study.order)
            continue;
        for (size_t i = 0; i < mt_items(&mt_rows[r]); i++) {
            assert(n < cap && "study table larger than its buffer");
            if (n < cap)
                out[n++] = (mt_study_item_t){&mt_rows[r], i};
        }
    }
    /* Insertion sort: stable, and the table is short. */
    for (size_t i = 1; i < n; i++) {
        mt_study_item_t x = out[i];
        size_t j = i;
        for (; j > 0 && mt_study_cmp(&out[j - 1], &x) > 0; j--)
            out[j] = out[j - 1];
        out[j] = x;
    }
    return n;
}
