/* The TCO report; see report.h.
 *
 * From a study folder (study-index.json) or one run's folder (summary.json): per configuration the capex by
 * component class with the unit prices, their date, source and confidence (configs/cost-sources.json), the
 * depreciation, maintenance, facility and energy parts of $/hour (PUE and the electricity price shown),
 * $/hour, $/GPU-hour, $/million output tokens, tokens/J; the study's comparison with its ratios (and replicate
 * intervals); the TTFT/throughput plots redrawn as SVG from the study's own plots.gp and embedded; and the list
 * of assumptions, marked as such. The cost breakdown is recomputed with models/cost.c from each run's resolved
 * scenario and its average IT power, the same inputs the run's summary used, so its total matches the
 * summary's $/hour. The HTML has no script and no external resource; the Markdown twin says the same in
 * text and links the SVG file. */
#define _XOPEN_SOURCE 700
#include "sim/study/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/cost.h"
#include "sim/base/alloc.h"
#include "sim/base/exitcodes.h"
#include "sim/base/version.h"
#include "sim/config/scenario.h"
#include "sim/out/sigclean.h"
#include "sim/study/study_int.h"

typedef struct rconf {
    const char *name, *label;
    const cJSON *summary, *ci;
    const st_config_t *cf;
    cost_breakdown_t cost;
    double gpus;
    bool have;
    hw_pod_t hw;
} rconf_t;

/* ---- small writers --------------------------------------------------------------------------------------- */

static void html_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void md_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s, f);
    }
}

static double jget(const cJSON *j, const char *const *path)
{
    const cJSON *x = j;
    for (int i = 0; path[i] && x; i++)
        x = cJSON_GetObjectItemCaseSensitive(x, path[i]);
    return cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

/* Money with thousands separators. */
static void money(char *out, size_t len, double v, int decimals)
{
    if (isnan(v)) {
        snprintf(out, len, "-");
        return;
    }
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals, fabs(v));
    char *dot = strchr(raw, '.');
    size_t ip = dot ? (size_t)(dot - raw) : strlen(raw);
    char buf[96];
    size_t k = 0;
    if (v < 0)
        buf[k++] = '-';
    buf[k++] = '$';
    for (size_t i = 0; i < ip; i++) {
        buf[k++] = raw[i];
        if ((ip - i - 1) % 3 == 0 && i + 1 < ip)
            buf[k++] = ',';
    }
    buf[k] = '\0';
    snprintf(out, len, "%s%s", buf, dot ? dot : "");
}

/* ---- the table model: rows of cells, written as HTML or Markdown ----------------------------------------- */

#define RP_MAXCOL 64

typedef struct table {
    FILE *html, *md;
    int ncol;
} table_t;

static void t_head(table_t *t, const char *const *cells, int n, const char *cls)
{
    t->ncol = n;
    fprintf(t->html, "<table%s%s%s>\n<thead><tr>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    fprintf(t->md, "\n|");
    for (int i = 0; i < n; i++) {
        fprintf(t->html, "<th>");
        html_esc(t->html, cells[i]);
        fprintf(t->html, "</th>");
        fprintf(t->md, " ");
        md_esc(t->md, cells[i]);
        fprintf(t->md, " |");
    }
    fprintf(t->html, "</tr></thead>\n<tbody>\n");
    fprintf(t->md, "\n|");
    bool text = cls && !strcmp(cls, "text");
    for (int i = 0; i < n; i++)
        fprintf(t->md, "%s|", i && !text ? "---:" : "---");
    fprintf(t->md, "\n");
}

static void t_row(table_t *t, const char *const *cells, const char *cls)
{
    fprintf(t->html, "<tr%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    fprintf(t->md, "|");
    for (int i = 0; i < t->ncol; i++) {
        fprintf(t->html, i ? "<td>" : "<th scope=\"row\">");
        html_esc(t->html, cells[i] ? cells[i] : "");
        fprintf(t->html, i ? "</td>" : "</th>");
        fprintf(t->md, " ");
        md_esc(t->md, cells[i] ? cells[i] : "");
        fprintf(t->md, " |");
    }
    fprintf(t->html, "</tr>\n");
    fprintf(t->md, "\n");
}

static void t_end(table_t *t)
{
    fprintf(t->html, "</tbody></table>\n");
}

static void h2(FILE *html, FILE *md, const char *title)
{
    fprintf(html, "<h2>");
    html_esc(html, title);
    fprintf(html, "</h2>\n");
    fprintf(md, "\n## %s\n", title);
}

static void para(FILE *html, FILE *md, const char *text)
{
    fprintf(html, "<p>");
    html_esc(html, text);
    fprintf(html, "</p>\n");
    fprintf(md, "\n%s\n", text);
}

/* ---- inputs ---------------------------------------------------------------------------------------------- */

/* The first complete run of a configuration: its resolved scenario's hardware, and the cost at the
 * configuration's mean IT power. */
static int conf_cost(const study_t *s, rconf_t *rc, char *err, size_t errlen)
{
    const st_config_t *cf = rc->cf;
    for (int k = 0; k < cf->nruns; k++) {
        const st_run_t *run = &s->runs[cf->first_run + k];
        if (run->state != ST_DONE)
            continue;
        char p[1400], *text;
        cJSON *j;
        snprintf(p, sizeof p, "%s/%s/scenario.json", s->dir, run->name);
        if (cfg_read_json_file(p, &text, &j, err, errlen))
            return -1;
        free(text);
        scenario_t *sc = kvt_calloc(1, sizeof *sc);
        char dir[1400];
        snprintf(dir, sizeof dir, "%s/%s", s->dir, run->name);
        if (scenario_from_json(sc, j, p, dir, NULL, 0, -1, err, errlen)) {
            free(sc);
            return -1;
        }
        static const char *const pw[] = {"average_it_power_w", NULL};
        cost_pod(&sc->hw, jget(rc->summary, pw), &rc->cost);
        rc->hw = sc->hw;
        rc->gpus = hw_pod_gpus(&sc->hw);
        rc->have = true;
        scenario_free(sc);
        free(sc);
        return 0;
    }
    return 0;
}

static const cJSON *sources_for(const cJSON *src, const char *preset, const char *key)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(src, "presets"), preset);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(p, key);
    if (!x)
        x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(src, "common"), key);
    return cJSON_IsArray(x) && cJSON_GetArraySize(x) == 2 ? x : NULL;
}

/* Whether a configuration's own overrides set this hardware key (then the value is the study's, not the
 * preset's sourced one). */
static bool overridden(const st_config_t *cf, const char *const *gsets, int ngsets, const char *key)
{
    char want[128];
    snprintf(want, sizeof want, "hardware.%s=", key);
    for (int k = 0; k < cf->nsets; k++)
        if (!strncmp(cf->sets[k], want, strlen(want)))
            return true;
    for (int k = 0; k < ngsets; k++)
        if (!strncmp(gsets[k], want, strlen(want)))
            return true;
    return false;
}

/* Redraws the study's plots as SVG (from its plots.gp) into path; 0 on success. */
static int study_svg(const char *dir, const char *script, const char *path)
{
    char gp[1400];
    snprintf(gp, sizeof gp, "%s/%s", dir, script);
    if (access(gp, R_OK) != 0)
        return -1;
    char arg[1600];
    snprintf(arg, sizeof arg, "fmt='svg'; out='%s'", path);
    fflush(NULL);
    pid_t pid = kvt_fork_child();
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", "-e", arg, script, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || kvt_wait_child(pid, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return 0;
}

/* Copies an SVG file into the page without its XML prolog and doctype. */
static void embed_svg(FILE *html, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *t = kvt_malloc((size_t)n + 1);
    t[fread(t, 1, (size_t)n, f)] = '\0';
    fclose(f);
    char *start = strstr(t, "<svg");
    if (start) {
        fprintf(html, "<figure>\n");
        fputs(start, html);
        fprintf(html, "</figure>\n");
    }
    free(t);
}

/* ---- the report ------------------------------------------------------------------------------------------ */

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;"
    "color:#222;line-height:1.45}h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;"
    "border-bottom:1px solid #ccc;padding-bottom:.2rem}table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}"
    "th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:right;vertical-align:top}"
    "thead th{background:#f2f4f7}th[scope=row]{text-align:left;font-weight:normal}tr.total th,tr.total "
    "td{font-weight:bold;"
    "background:#fafafa}table.text td,table.text th{text-align:left}.assumption{color:#a4161a;font-weight:bold}"
    ".meta{color:#555;font-size:.9rem}figure{margin:1rem 0;overflow-x:auto}figure svg{max-width:100%;height:auto}"
    ".answer{background:#eef6ee;border-left:4px solid #2ca02c;padding:.5rem 1rem}";

static int write_report(const study_t *s, rconf_t *rc, int n, const cJSON *src, const char *out_dir, bool single,
                        char *err, size_t errlen)
{
    char hp[1400], mp[1400], sp[1400];
    snprintf(hp, sizeof hp, "%s/report.html.tmp-%ld", out_dir, (long)getpid());
    snprintf(mp, sizeof mp, "%s/report.md.tmp-%ld", out_dir, (long)getpid());
    FILE *html = fopen(hp, "w"), *md = fopen(mp, "w");
    if (!html || !md) {
        if (html)
            fclose(html);
        if (md)
            fclose(md);
        snprintf(err, errlen, "%s: cannot write the report", out_dir);
        return -1;
    }
    const char *price_date = "?";
    const cJSON *pdj = cJSON_GetObjectItemCaseSensitive(src, "price_date");
    if (cJSON_IsString(pdj))
        price_date = pdj->valuestring;
    char title[512];
    snprintf(title, sizeof title, "TCO report: %s", s->name);
    fprintf(html, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    html_esc(html, title);
    fprintf(html, "</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>%s</style>\n</head>\n<body>\n<h1>", CSS);
    html_esc(html, title);
    fprintf(html, "</h1>\n<p class=\"meta\">");
    html_esc(html, s->description);
    fprintf(html, "<br>kvtwin %s; prices as of %s; %d configuration%s%s.</p>\n", KVTWIN_VERSION, price_date, n,
            n == 1 ? "" : "s", s->nseeds > 1 ? ", replicates averaged (± = 95 % interval)" : "");
    fprintf(md, "# %s\n\n%s\n\nkvtwin %s; prices as of %s; %d configuration%s%s.\n", title, s->description,
            KVTWIN_VERSION, price_date, n, n == 1 ? "" : "s",
            s->nseeds > 1 ? ", replicates averaged (± = 95 % interval)" : "");

    int base = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(rc[i].name, s->baseline))
            base = i;

    /* the answer in one line */
    static const char *const tps_p[] = {"throughput", "output_tokens_per_s", NULL};
    static const char *const usd_p[] = {"cost", "usd_per_million_output_tokens", NULL};
    if (n > 1 && rc[base].summary) {
        int cheapest = -1;
        for (int i = 0; i < n; i++)
            if (rc[i].summary && (cheapest < 0 || jget(rc[i].summary, usd_p) < jget(rc[cheapest].summary, usd_p)))
                cheapest = i;
        char line[1024];
        snprintf(line, sizeof line,
                 "Lowest cost per million output tokens: %s (%s), %.3f $/Mtok, %.2fx the baseline %s's; output "
                 "tokens/s %.2fx the baseline's.",
                 rc[cheapest].name, rc[cheapest].label, jget(rc[cheapest].summary, usd_p),
                 jget(rc[cheapest].summary, usd_p) / jget(rc[base].summary, usd_p), s->baseline,
                 jget(rc[cheapest].summary, tps_p) / jget(rc[base].summary, tps_p));
        fprintf(html, "<p class=\"answer\">");
        html_esc(html, line);
        fprintf(html, "</p>\n");
        fprintf(md, "\n**%s**\n", line);
    }

    /* performance and ratios */
    h2(html, md, "Performance and the study's ratios");
    static const struct {
        const char *label;
        const char *path[4];
        int dec;
    } rows[] = {
        {"output tokens/s", {"throughput", "output_tokens_per_s"}, 1},
        {"output tokens/s per GPU", {"throughput", "output_tokens_per_s_per_gpu"}, 2},
        {"TTFT p50 (s)", {"latency_s", "ttft", "p50"}, 3},
        {"TTFT p99 (s)", {"latency_s", "ttft", "p99"}, 3},
        {"TPOT p50 (s)", {"latency_s", "tpot", "p50"}, 4},
        {"hit rate, token-weighted", {"hit_rate", "token_weighted"}, 3},
        {"goodput (requests/s)", {"goodput", "requests_per_s"}, 3},
        {"tokens/J (IT)", {"tokens_per_joule"}, 4},
        {"average IT power (W)", {"average_it_power_w"}, 0},
        {"$ per million output tokens", {"cost", "usd_per_million_output_tokens"}, 3},
    };
    table_t t = {html, md, 0};
    const char *head[RP_MAXCOL + 2];
    int nc = n < RP_MAXCOL ? n : RP_MAXCOL;
    head[0] = "metric";
    char ratio_head[RP_MAXCOL][200];
    int ncols = 1;
    for (int i = 0; i < nc; i++)
        head[ncols++] = rc[i].name;
    for (int i = 0; i < nc && n > 1; i++) {
        if (i == base)
            continue;
        snprintf(ratio_head[i], sizeof ratio_head[i], "%s / %s", rc[i].name, s->baseline);
        if (ncols < RP_MAXCOL + 1)
            head[ncols++] = ratio_head[i];
    }
    t_head(&t, head, ncols, NULL);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char cells[RP_MAXCOL + 2][96];
        const char *cp[RP_MAXCOL + 2];
        snprintf(cells[0], sizeof cells[0], "%s", rows[r].label);
        cp[0] = cells[0];
        int k = 1;
        double b = jget(rc[base].summary, rows[r].path);
        for (int i = 0; i < nc; i++, k++) {
            double v = jget(rc[i].summary, rows[r].path), h = rc[i].ci ? jget(rc[i].ci, rows[r].path) : (double)NAN;
            if (isnan(v))
                snprintf(cells[k], sizeof cells[k], "-");
            else if (!isnan(h))
                snprintf(cells[k], sizeof cells[k], "%.*f ± %.*f", rows[r].dec, v, rows[r].dec, h);
            else
                snprintf(cells[k], sizeof cells[k], "%.*f", rows[r].dec, v);
            cp[k] = cells[k];
        }
        for (int i = 0; i < nc && n > 1 && k < ncols; i++) {
            if (i == base)
                continue;
            double v = jget(rc[i].summary, rows[r].path);
            if (isnan(v) || isnan(b) || fabs(b) < 0.5 * pow(10, -rows[r].dec))
                snprintf(cells[k], sizeof cells[k], "-");
            else
                snprintf(cells[k], sizeof cells[k], "%.2fx", v / b);
            cp[k] = cells[k];
            k++;
        }
        t_row(&t, cp, NULL);
    }
    t_end(&t);
    if (n > RP_MAXCOL)
        para(html, md,
             "More configurations than fit a page: the full comparison is comparison.csv in the study folder.");

    /* what is held equal */
    if (!single) {
        bool any = false;
        for (int k = 0; k < ST_NQTY; k++)
            any |= s->hold[k];
        char line[512] = "";
        size_t len = 0;
        len += (size_t)snprintf(
            line, sizeof line, "%s",
            any ? "Held equal across the configurations (checked before running): "
                : "Nothing is held equal by the study: compare sizes below before reading the ratios.");
        for (int k = 0; k < ST_NQTY && any; k++)
            if (s->hold[k] && len < sizeof line)
                len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", line[len - 2] == ':' ? "" : ", ",
                                        st_qty_name[k]);
        if (any && len < sizeof line)
            snprintf(line + len, sizeof line - len, ".");
        para(html, md, line);
    }

    /* TCO per configuration */
    h2(html, md, "Cost of ownership per configuration");
    const char *h3[RP_MAXCOL + 2];
    h3[0] = "item";
    for (int i = 0; i < nc; i++)
        h3[i + 1] = rc[i].name;
    t_head(&t, h3, nc + 1, NULL);
    struct {
        const char *label;
        int kind; /* 0 capex usd, 1 per hour, 2 other */
    } items[] = {{"GPUs", 0},
                 {"nodes (without GPUs)", 0},
                 {"fabric (switches, optics)", 0},
                 {"ICMS (DPUs, flash, enclosures)", 0},
                 {"G4 storage (servers, replicated media)", 0},
                 {"capex total", 0},
                 {"depreciation (years)", 2},
                 {"amortised capex per hour", 1},
                 {"maintenance per hour", 1},
                 {"facility per hour (per kW of IT power)", 1},
                 {"energy per hour (IT power x PUE x price)", 1},
                 {"total per hour", 1},
                 {"per GPU-hour", 1},
                 {"per million output tokens", 2},
                 {"tokens/J (IT)", 2},
                 {"PUE", 2},
                 {"electricity ($/kWh)", 2}};
    for (size_t it = 0; it < sizeof items / sizeof items[0]; it++) {
        char cells[RP_MAXCOL + 2][96];
        const char *cp[RP_MAXCOL + 2];
        snprintf(cells[0], sizeof cells[0], "%s", items[it].label);
        cp[0] = cells[0];
        for (int i = 0; i < nc; i++) {
            const cost_breakdown_t *c = &rc[i].cost;
            double v = NAN;
            int dec = 0;
            bool usd = true;
            switch (it) {
            case 0:
                v = c->gpus_usd;
                break;
            case 1:
                v = c->nodes_usd;
                break;
            case 2:
                v = c->fabric_usd;
                break;
            case 3:
                v = c->icms_usd;
                break;
            case 4:
                v = c->g4_usd;
                break;
            case 5:
                v = c->capex_usd;
                break;
            case 6:
                v = rc[i].hw.cost.depreciation_years;
                usd = false;
                dec = 1;
                break;
            case 7:
                v = c->capex_usd_per_h;
                dec = 2;
                break;
            case 8:
                v = c->maintenance_usd_per_h;
                dec = 2;
                break;
            case 9:
                v = c->facility_usd_per_h;
                dec = 2;
                break;
            case 10:
                v = c->energy_usd_per_h;
                dec = 2;
                break;
            case 11:
                v = c->total_usd_per_h;
                dec = 2;
                break;
            case 12:
                v = rc[i].gpus > 0 ? c->total_usd_per_h / rc[i].gpus : (double)NAN;
                dec = 3;
                break;
            case 13:
                v = jget(rc[i].summary, usd_p);
                dec = 3;
                break;
            case 14: {
                static const char *const p[] = {"tokens_per_joule", NULL};
                v = jget(rc[i].summary, p);
                usd = false;
                dec = 4;
                break;
            }
            case 15:
                v = rc[i].hw.energy.pue;
                usd = false;
                dec = 2;
                break;
            default:
                v = rc[i].hw.cost.electricity_usd_per_kwh;
                dec = 3;
                break;
            }
            if (!rc[i].have)
                v = NAN;
            if (usd)
                money(cells[i + 1], sizeof cells[i + 1], v, dec);
            else if (isnan(v))
                snprintf(cells[i + 1], sizeof cells[i + 1], "-");
            else
                snprintf(cells[i + 1], sizeof cells[i + 1], "%.*f", dec, v);
            cp[i + 1] = cells[i + 1];
        }
        t_row(&t, cp, it == 5 || it == 11 ? "total" : NULL);
    }
    t_end(&t);
    para(html, md,
         "$/hour = capex / (depreciation years x 8,760 h) + maintenance (a yearly share of capex) + facility (per kW "
         "of average IT power per year) + energy (average IT power x PUE x electricity price); $/million output "
         "tokens = $/hour / million output tokens per hour over the measured window (models/cost.h).");

    /* unit prices */
    h2(html, md, "Unit prices and their sources");
    static const struct {
        const char *key, *label;
        int scale; /* 0 usd, 1 usd per TB, 2 plain */
    } prices[] = {{"gpu.price_usd", "GPU", 0},
                  {"node.price_usd", "node without GPUs", 0},
                  {"fabric.switch_price_usd", "switch (leaf equivalent)", 0},
                  {"fabric.optics_price_usd", "optics per switch port", 0},
                  {"icms.dpu_price_usd", "ICMS BlueField-4 DPU", 0},
                  {"icms.flash_usd_per_byte", "ICMS flash ($/TB)", 1},
                  {"icms.enclosure_price_usd", "ICMS enclosure", 0},
                  {"g4.server_price_usd", "G4 storage server", 0},
                  {"g4.usd_per_byte", "G4 media ($/TB, per replica)", 1},
                  {"cost.depreciation_years", "depreciation (years)", 2},
                  {"cost.maintenance_fraction_per_year", "maintenance (share of capex a year)", 2},
                  {"cost.facility_usd_per_kw_year", "facility ($ per kW-year)", 0},
                  {"cost.electricity_usd_per_kwh", "electricity ($/kWh)", 2},
                  {"energy.pue", "PUE", 2}};
    const char *h4[] = {"price", "value", "applies to", "source", "confidence"};
    t_head(&t, h4, 5, "text");
    const rconf_t *ref = NULL;
    for (int i = 0; i < n && !ref; i++)
        if (rc[i].have)
            ref = &rc[i];
    int nassume = 0;
    char assumed[32][200];
    for (size_t pi = 0; pi < sizeof prices / sizeof prices[0] && ref; pi++) {
        const hw_pod_t *hw = &ref->hw;
        double v = NAN;
        const char *k = prices[pi].key;
        if (!strcmp(k, "gpu.price_usd"))
            v = hw->gpu.price_usd;
        else if (!strcmp(k, "node.price_usd"))
            v = hw->node.price_usd;
        else if (!strcmp(k, "fabric.switch_price_usd"))
            v = hw->fabric.switch_price_usd;
        else if (!strcmp(k, "fabric.optics_price_usd"))
            v = hw->fabric.optics_price_usd;
        else if (!strcmp(k, "icms.dpu_price_usd"))
            v = hw->icms.dpu_price_usd;
        else if (!strcmp(k, "icms.flash_usd_per_byte"))
            v = hw->icms.flash_usd_per_byte;
        else if (!strcmp(k, "icms.enclosure_price_usd"))
            v = hw->icms.enclosure_price_usd;
        else if (!strcmp(k, "g4.server_price_usd"))
            v = hw->g4.server_price_usd;
        else if (!strcmp(k, "g4.usd_per_byte"))
            v = hw->g4.usd_per_byte;
        else if (!strcmp(k, "cost.depreciation_years"))
            v = hw->cost.depreciation_years;
        else if (!strcmp(k, "cost.maintenance_fraction_per_year"))
            v = hw->cost.maintenance_fraction_per_year;
        else if (!strcmp(k, "cost.facility_usd_per_kw_year"))
            v = hw->cost.facility_usd_per_kw_year;
        else if (!strcmp(k, "cost.electricity_usd_per_kwh"))
            v = hw->cost.electricity_usd_per_kwh;
        else if (!strcmp(k, "energy.pue"))
            v = hw->energy.pue;
        /* which configurations use this component */
        char applies[256] = "all";
        if (!strncmp(k, "icms.", 5) || !strncmp(k, "g4.", 3)) {
            size_t len = 0;
            applies[0] = '\0';
            for (int i = 0; i < n; i++) {
                bool uses = rc[i].have && (!strncmp(k, "icms.", 5) ? rc[i].hw.icms.present : rc[i].hw.g4.present);
                if (uses && len < sizeof applies)
                    len += (size_t)snprintf(applies + len, sizeof applies - len, "%s%s", len ? ", " : "", rc[i].name);
            }
            if (!applies[0])
                continue; /* no configuration has it */
        }
        bool over = false;
        for (int i = 0; i < n; i++)
            over |= rc[i].cf && overridden(rc[i].cf, (const char *const *)s->gsets, s->ngsets, k);
        const cJSON *so = sources_for(src, ref->hw.name, k);
        const char *source = so ? cJSON_GetArrayItem(so, 0)->valuestring : "no source recorded";
        const char *conf = so ? cJSON_GetArrayItem(so, 1)->valuestring : "assumption";
        char val[64], conf_cell[96];
        if (prices[pi].scale == 0)
            money(val, sizeof val, v, 0);
        else if (prices[pi].scale == 1)
            money(val, sizeof val, v * 1e12, 0);
        else
            snprintf(val, sizeof val, "%g", v);
        snprintf(conf_cell, sizeof conf_cell, "%s%s", conf, over ? "; value set by the study" : "");
        const char *cells[] = {prices[pi].label, val, applies, source, conf_cell};
        t_row(&t, cells, !strcmp(conf, "assumption") ? "assumption-row" : NULL);
        if (!strcmp(conf, "assumption") && nassume < 32)
            snprintf(assumed[nassume++], sizeof assumed[0], "%s = %s (%s)", prices[pi].label, val, source);
    }
    t_end(&t);
    char date_line[256];
    snprintf(date_line, sizeof date_line,
             "Prices as of %s (cost.price_date of the preset: %s). Tags refer to docs/parameters.md.", price_date,
             ref ? ref->hw.cost.price_date : "?");
    para(html, md, date_line);

    /* plots */
    h2(html, md, "Time to first token and throughput");
    snprintf(sp, sizeof sp, "%s/study.svg", out_dir);
    if (!single && study_svg(s->dir, "plots.gp", sp) == 0) {
        embed_svg(html, sp);
        fprintf(md, "\n![TTFT distributions on the measured window, and output throughput over time](study.svg)\n");
        para(html, md,
             "Left: TTFT of the completed requests that arrived in the measured window, the same requests as the "
             "table's percentiles (replicates pooled). Right: output tokens/s over time, the window shaded.");
    } else {
        para(html, md, "No plot: this folder has no study plots (plots.gp); run it as a study to get them.");
    }

    /* assumptions */
    h2(html, md, "Assumptions");
    fprintf(html, "<ul>\n");
    const char *fixed[] = {
        "The cost model charges every component at list-price estimates, straight-line depreciated; no discounts, "
        "financing, software licences, staff or network transit are included.",
        "Energy is the simulated average IT power over the measured window, times PUE; facility cost is per kW of that "
        "average power.",
        "$/million tokens divides by output tokens only; prefill-heavy workloads look more expensive per output token.",
        "A study's configurations share the same workload, model and seeds; any ratio holds only for that workload.",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        fprintf(html, "<li><span class=\"assumption\">assumption:</span> ");
        html_esc(html, fixed[i]);
        fprintf(html, "</li>\n");
        fprintf(md, "\n- **assumption:** %s", fixed[i]);
    }
    for (int i = 0; i < nassume; i++) {
        fprintf(html, "<li><span class=\"assumption\">assumption (price):</span> ");
        html_esc(html, assumed[i]);
        fprintf(html, "</li>\n");
        fprintf(md, "\n- **assumption (price):** %s", assumed[i]);
    }
    fprintf(html, "</ul>\n");
    fprintf(md, "\n");
    para(html, md,
         "Every hardware figure behind the performance (bandwidths, latencies, step-time calibration, power) is listed "
         "with its source and confidence in docs/parameters.md; those marked there as assumptions apply here too.");
    fprintf(html, "</body>\n</html>\n");
    int bad = ferror(html) || ferror(md);
    bad |= fclose(html) != 0;
    bad |= fclose(md) != 0;
    char fh[1400], fm[1400];
    snprintf(fh, sizeof fh, "%s/report.html", out_dir);
    snprintf(fm, sizeof fm, "%s/report.md", out_dir);
    if (bad || rename(hp, fh) != 0 || rename(mp, fm) != 0) {
        unlink(hp);
        unlink(mp);
        snprintf(err, errlen, "%s: cannot write the report", out_dir);
        return -1;
    }
    return 0;
}

int report_run(const char *dir, const char *out_dir, bool quiet, char *err, size_t errlen)
{
    study_t *s = kvt_calloc(1, sizeof *s);
    rconf_t *rc = NULL;
    cJSON *src = NULL;
    int ret = KVT_EXIT_INPUT;
    bool single = false;
    char real[1024];
    if (!realpath(dir, real)) {
        snprintf(err, errlen, "%s: no such folder", dir);
        goto done;
    }
    char p[1400];
    snprintf(p, sizeof p, "%s/study-index.json", real);
    if (access(p, R_OK) == 0) {
        if (st_index_read(s, real, err, errlen))
            goto done;
    } else {
        /* one run's folder: a study of one configuration */
        snprintf(p, sizeof p, "%s/summary.json", real);
        if (access(p, R_OK) != 0) {
            snprintf(err, errlen, "%s: neither a study folder (study-index.json) nor a run's folder (summary.json)",
                     dir);
            goto done;
        }
        single = true;
        const char *slash = strrchr(real, '/');
        snprintf(s->dir, sizeof s->dir, "%.*s", slash ? (int)(slash - real) : 1, slash ? real : ".");
        snprintf(s->name, sizeof s->name, "%s", slash ? slash + 1 : real);
        snprintf(s->baseline, sizeof s->baseline, "%s", s->name);
        s->n = 1;
        s->v = kvt_calloc(1, sizeof *s->v);
        snprintf(s->v[0].name, sizeof s->v[0].name, "%s", s->name);
        snprintf(s->v[0].label, sizeof s->v[0].label, "%s", s->name);
        s->nruns = 1;
        s->nseeds = 1;
        s->runs = kvt_calloc(1, sizeof *s->runs);
        snprintf(s->runs[0].name, sizeof s->runs[0].name, "%s", s->name);
        s->v[0].nruns = 1;
        s->runs[0].state = ST_DONE;
        /* the scenario's description, as the page's */
        char *t;
        cJSON *j;
        snprintf(p, sizeof p, "%s/scenario.json", real);
        if (cfg_read_json_file(p, &t, &j, err, errlen) == 0) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "description");
            if (cJSON_IsString(d))
                snprintf(s->description, sizeof s->description, "%s", d->valuestring);
            free(t);
            cJSON_Delete(j);
        }
    }
    if (!single)
        st_scan(s);
    if (st_load_summaries(s, err, errlen))
        goto done;
    char sp[1400], *text;
    snprintf(sp, sizeof sp, "%s/cost-sources.json", cfg_config_dir());
    if (cfg_read_json_file(sp, &text, &src, err, errlen))
        goto done;
    free(text);
    ret = KVT_EXIT_FAIL;
    rc = kvt_calloc((size_t)s->n, sizeof *rc);
    int n = 0;
    for (int c = 0; c < s->n; c++) {
        if (!s->v[c].summary)
            continue;
        rc[n].name = s->v[c].name;
        rc[n].label = s->v[c].label;
        rc[n].summary = s->v[c].summary;
        rc[n].ci = s->v[c].ci;
        rc[n].cf = &s->v[c];
        if (conf_cost(s, &rc[n], err, errlen))
            goto done;
        n++;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: no complete run to report on", dir);
        goto done;
    }
    char out[1024];
    snprintf(out, sizeof out, "%s", out_dir ? out_dir : real);
    if (out_dir && mkdir(out, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create (%s)", out, strerror(errno));
        goto done;
    }
    if (write_report(s, rc, n, src, out, single, err, errlen))
        goto done;
    if (!quiet)
        printf("report: %s/report.html (self-contained), %s/report.md (links study.svg)\n", out, out);
    ret = 0;
done:
    cJSON_Delete(src);
    free(rc);
    st_free(s);
    free(s);
    return ret;
}
