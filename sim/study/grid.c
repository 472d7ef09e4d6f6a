/* Study files and their grids; see study_int.h.
 *
 * A study is the base scenario times its configurations times its seeds. Configurations are the listed
 * variants (or one unnamed variant when there are none) times the cartesian product of the axes; an axis
 * moves one path through its values, or several paths together ("zip": each path's list, all of one length).
 * A configuration's name joins the variant's name and one token per axis (the axis name and the value, or
 * the axis' label for that point); its overrides are the variant's, then the axes'. Seeds: "seeds" lists
 * them, "replicates": N takes N consecutive seeds from the scenario's (or --seed). Every run's scenario is
 * loaded here, in the parent, so a bad grid stops before anything runs, and hashed (the resolved scenario
 * without output.dir, which only says where the results go) so the study folder can tell a complete run of
 * the same scenario from a stale one. */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/cost.h"
#include "sim/base/alloc.h"
#include "sim/config/scenario.h"
#include "sim/study/study_int.h"

const char *const st_qty_name[ST_NQTY] = {"gpus", "nodes", "storage_capacity_bytes", "capex_usd"};
/* Default tolerances (relative): counts exactly, capacity and cost within 1 %. */
static const double st_qty_tol[ST_NQTY] = {0, 0, 0.01, 0.01};

typedef struct axis {
    char name[48];
    int npaths;
    const cJSON *paths[16]; /* the value arrays, .string = the path */
    const cJSON *labels;    /* optional: one name per point */
    int npoints;
} axis_t;

static int fail(const study_t *s, const char *path, const char *msg, char *err, size_t errlen)
{
    cfg_doc_error(&s->doc, path, msg, err, errlen);
    return -1;
}

static char *dupf(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = kvt_malloc(n);
    snprintf(p, n, "%s=%s", a, b);
    return p;
}

/* A value as a name token: strings as they are, numbers in %g; anything outside [A-Za-z0-9._+-] -> '_'. */
static void token(const cJSON *v, char *out, size_t len)
{
    if (cJSON_IsString(v))
        snprintf(out, len, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, len, "%g", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(out, len, "%s", cJSON_IsTrue(v) ? "on" : "off");
    else {
        char *t = cJSON_PrintUnformatted(v);
        snprintf(out, len, "%s", t);
        free(t);
    }
    for (char *c = out; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("._+-", *c))
            *c = '_';
}

static int parse_axes(study_t *s, const cJSON *axes, axis_t **out, int *nout, char *err, size_t errlen)
{
    *out = NULL;
    *nout = 0;
    if (!axes)
        return 0;
    if (!cJSON_IsArray(axes) || cJSON_GetArraySize(axes) < 1)
        return fail(
            s, "axes",
            "expected an array of axes, each {\"name\", \"path\", \"values\"} or {\"name\", \"zip\": {PATH: [values]}}",
            err, errlen);
    int n = cJSON_GetArraySize(axes);
    axis_t *ax = kvt_calloc((size_t)n, sizeof *ax);
    int i = 0;
    for (const cJSON *a = axes->child; a; a = a->next, i++) {
        char at[64], p[128];
        snprintf(at, sizeof at, "axes[%d]", i);
        axis_t *x = &ax[i];
        if (!cJSON_IsObject(a)) {
            free(ax);
            return fail(s, at, "expected an object", err, errlen);
        }
        for (const cJSON *k = a->child; k; k = k->next)
            if (strcmp(k->string, "name") && strcmp(k->string, "path") && strcmp(k->string, "values") &&
                strcmp(k->string, "zip") && strcmp(k->string, "labels")) {
                snprintf(p, sizeof p, "%s.%s", at, k->string);
                free(ax);
                return fail(s, p, "unknown key; valid keys: name, path, values, zip, labels", err, errlen);
            }
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(a, "name");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(a, "path");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(a, "values");
        const cJSON *zip = cJSON_GetObjectItemCaseSensitive(a, "zip");
        snprintf(p, sizeof p, "%s.name", at);
        if (!cJSON_IsString(nm) || !nm->valuestring[0] || strlen(nm->valuestring) >= sizeof x->name ||
            strpbrk(nm->valuestring, "/ =")) {
            free(ax);
            return fail(s, p, "expected a short name without spaces, slashes or '='", err, errlen);
        }
        snprintf(x->name, sizeof x->name, "%s", nm->valuestring);
        for (int k = 0; k < i; k++)
            if (!strcmp(ax[k].name, x->name)) {
                free(ax);
                return fail(s, p, "two axes have this name", err, errlen);
            }
        if ((path != NULL) == (zip != NULL) || (path && !vals) || (zip && vals)) {
            free(ax);
            return fail(s, at, "give either \"path\" and \"values\", or \"zip\": {PATH: [values], ...}", err, errlen);
        }
        if (path) {
            if (!cJSON_IsString(path) || !path->valuestring[0]) {
                snprintf(p, sizeof p, "%s.path", at);
                free(ax);
                return fail(s, p, "expected a scenario path such as \"hardware.icms.enclosures\"", err, errlen);
            }
            if (!cJSON_IsArray(vals) || cJSON_GetArraySize(vals) < 1) {
                snprintf(p, sizeof p, "%s.values", at);
                free(ax);
                return fail(s, p, "expected a non-empty array of values", err, errlen);
            }
            /* the array's .string is "values"; remember the path through the axis object */
            x->paths[x->npaths++] = vals;
            x->npoints = cJSON_GetArraySize(vals);
        } else {
            if (!cJSON_IsObject(zip) || !zip->child) {
                snprintf(p, sizeof p, "%s.zip", at);
                free(ax);
                return fail(s, p, "expected an object of PATH: [values], the lists of one length", err, errlen);
            }
            for (const cJSON *z = zip->child; z; z = z->next) {
                snprintf(p, sizeof p, "%s.zip.%s", at, z->string);
                if (!cJSON_IsArray(z) || cJSON_GetArraySize(z) < 1 || x->npaths == 16) {
                    free(ax);
                    return fail(s, p, "expected a non-empty array of values (at most 16 paths per zip)", err, errlen);
                }
                if (x->npaths && cJSON_GetArraySize(z) != x->npoints) {
                    free(ax);
                    return fail(s, p, "the zipped lists differ in length", err, errlen);
                }
                x->npoints = cJSON_GetArraySize(z);
                x->paths[x->npaths++] = z;
            }
        }
        x->labels = cJSON_GetObjectItemCaseSensitive(a, "labels");
        if (x->labels) {
            snprintf(p, sizeof p, "%s.labels", at);
            if (!cJSON_IsArray(x->labels) || cJSON_GetArraySize(x->labels) != x->npoints) {
                free(ax);
                return fail(s, p, "expected one short name per value", err, errlen);
            }
            for (const cJSON *l = x->labels->child; l; l = l->next)
                if (!cJSON_IsString(l) || !l->valuestring[0] || strpbrk(l->valuestring, "/ ")) {
                    free(ax);
                    return fail(s, p, "expected short names without spaces or slashes", err, errlen);
                }
        }
    }
    *out = ax;
    *nout = n;
    return 0;
}

/* The path an axis entry sets: for a plain axis the "path" key of its object, for a zip the member name. */
static const char *axis_path(const cJSON *axes, int i, const axis_t *x, int k)
{
    if (x->paths[k]->string && strcmp(x->paths[k]->string, "values") != 0)
        return x->paths[k]->string;
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(axes, i), "path")->valuestring;
}

static void add_set(st_config_t *c, char *set)
{
    c->sets = kvt_realloc(c->sets, (size_t)c->nsets + 1, sizeof *c->sets);
    c->sets[c->nsets++] = set;
}

/* One configuration per variant and grid point. */
static int expand(study_t *s, const cJSON *vars, const cJSON *axes_json, const axis_t *ax, int nax, char *err,
                  size_t errlen)
{
    int nvar = vars ? cJSON_GetArraySize(vars) : 1;
    long long points = 1;
    for (int a = 0; a < nax; a++) {
        points *= ax[a].npoints;
        if (points * nvar > 1000000)
            return fail(s, "axes", "the grid has more than a million configurations", err, errlen);
    }
    s->n = (int)(points * nvar);
    s->v = kvt_calloc((size_t)s->n, sizeof *s->v);
    int c = 0;
    const cJSON *var = vars ? vars->child : NULL;
    for (int vi = 0; vi < nvar; vi++, var = var ? var->next : NULL) {
        char vname[64] = "", vlabel[128] = "";
        const cJSON *vset = NULL;
        if (var) {
            char at[64], p[96];
            snprintf(at, sizeof at, "variants[%d]", vi);
            if (!cJSON_IsObject(var))
                return fail(s, at, "expected an object {\"name\", \"label\", \"set\"}", err, errlen);
            for (const cJSON *it = var->child; it; it = it->next)
                if (strcmp(it->string, "name") && strcmp(it->string, "label") && strcmp(it->string, "set")) {
                    snprintf(p, sizeof p, "%s.%s", at, it->string);
                    return fail(s, p, "unknown key; valid keys: name, label, set", err, errlen);
                }
            const cJSON *vn = cJSON_GetObjectItemCaseSensitive(var, "name");
            const cJSON *vl = cJSON_GetObjectItemCaseSensitive(var, "label");
            vset = cJSON_GetObjectItemCaseSensitive(var, "set");
            snprintf(p, sizeof p, "%s.name", at);
            if (!cJSON_IsString(vn) || !vn->valuestring[0] || strlen(vn->valuestring) >= sizeof vname ||
                strpbrk(vn->valuestring, "/ "))
                return fail(s, p, "expected a short name without spaces or slashes", err, errlen);
            int k = 0;
            for (const cJSON *w = vars->child; w != var; w = w->next, k++) {
                const cJSON *wn = cJSON_GetObjectItemCaseSensitive(w, "name");
                if (cJSON_IsString(wn) && !strcmp(wn->valuestring, vn->valuestring))
                    return fail(s, p, "two variants have this name", err, errlen);
            }
            snprintf(vname, sizeof vname, "%s", vn->valuestring);
            snprintf(vlabel, sizeof vlabel, "%s", cJSON_IsString(vl) ? vl->valuestring : vn->valuestring);
            if (vset && !cJSON_IsObject(vset)) {
                snprintf(p, sizeof p, "%s.set", at);
                return fail(s, p, "expected an object of JSON path -> value", err, errlen);
            }
        }
        for (long long pt = 0; pt < points; pt++, c++) {
            st_config_t *cf = &s->v[c];
            char name[sizeof cf->name], label[sizeof cf->label];
            snprintf(name, sizeof name, "%s", vname);
            snprintf(label, sizeof label, "%s", vlabel);
            for (const cJSON *kv = vset ? vset->child : NULL; kv; kv = kv->next) {
                char *val = cJSON_PrintUnformatted(kv);
                add_set(cf, dupf(kv->string, val));
                free(val);
            }
            long long rest = pt;
            long long stride = points;
            for (int a = 0; a < nax; a++) {
                stride /= ax[a].npoints;
                int idx = (int)(rest / stride);
                rest %= stride;
                char tok[64];
                if (ax[a].labels)
                    snprintf(tok, sizeof tok, "%s", cJSON_GetArrayItem(ax[a].labels, idx)->valuestring);
                else {
                    char v[48];
                    token(cJSON_GetArrayItem(ax[a].paths[0], idx), v, sizeof v);
                    snprintf(tok, sizeof tok, "%s%s", ax[a].name, v);
                }
                size_t len = strlen(name);
                snprintf(name + len, sizeof name - len, "%s%s", len ? "-" : "", tok);
                len = strlen(label);
                for (int k = 0; k < ax[a].npaths; k++) {
                    const cJSON *val = cJSON_GetArrayItem(ax[a].paths[k], idx);
                    char *txt = cJSON_PrintUnformatted(val);
                    add_set(cf, dupf(axis_path(axes_json, a, &ax[a], k), txt));
                    free(txt);
                }
                char *txt = cJSON_PrintUnformatted(cJSON_GetArrayItem(ax[a].paths[0], idx));
                len = strlen(label);
                snprintf(label + len, sizeof label - len, "%s%s=%s", len ? ", " : "", ax[a].name,
                         ax[a].labels ? cJSON_GetArrayItem(ax[a].labels, idx)->valuestring : txt);
                free(txt);
            }
            snprintf(cf->name, sizeof cf->name, "%s", name[0] ? name : "base");
            snprintf(cf->label, sizeof cf->label, "%s", label[0] ? label : cf->name);
            for (int k = 0; k < c; k++)
                if (!strcmp(s->v[k].name, cf->name))
                    return fail(s, vars ? "variants" : "axes",
                                "two configurations get the same name; give the axes labels", err, errlen);
        }
    }
    return 0;
}

int st_config_sets(const study_t *s, int config, const char ***out)
{
    const st_config_t *c = &s->v[config];
    const char **sets = kvt_calloc((size_t)(s->ngsets + c->nsets) + 1, sizeof *sets);
    int n = 0;
    for (int k = 0; k < s->ngsets; k++)
        sets[n++] = s->gsets[k];
    for (int k = 0; k < c->nsets; k++)
        sets[n++] = c->sets[k];
    *out = sets;
    return n;
}

/* FNV-1a over a resolved scenario's JSON without output.dir (takes ownership of j). */
static void json_hash(cJSON *j, char out[17])
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "output");
    if (o)
        cJSON_DeleteItemFromObjectCaseSensitive(o, "dir");
    char *t = cJSON_PrintUnformatted(j);
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    free(t);
    cJSON_Delete(j);
}

void st_hash_scenario(const scenario_t *sc, char out[17])
{
    json_hash(scenario_to_json(sc), out);
}

void st_hash_scenario_file(const char *path, char out[17])
{
    out[0] = '\0';
    char *text = NULL, err[256];
    cJSON *j = NULL;
    if (cfg_read_json_file(path, &text, &j, err, sizeof err))
        return;
    free(text);
    json_hash(j, out);
}

static void quantities(const scenario_t *sc, double q[ST_NQTY], double *floor_usd_h)
{
    q[ST_Q_GPUS] = hw_pod_gpus(&sc->hw);
    q[ST_Q_NODES] = sc->hw.nodes;
    double st = 0;
    if (sc->kv.tier[KV_G35].enabled && sc->hw.icms.present)
        st += sc->kv.tier[KV_G35].capacity_bytes > 0 ? sc->kv.tier[KV_G35].capacity_bytes
                                                     : (double)sc->hw.icms.enclosures * sc->hw.icms.dpus_per_enclosure *
                                                           sc->hw.icms.capacity_per_dpu_bytes;
    if (sc->kv.tier[KV_G4].enabled && sc->hw.g4.present)
        st += sc->kv.tier[KV_G4].capacity_bytes > 0 ? sc->kv.tier[KV_G4].capacity_bytes : sc->hw.g4.capacity_bytes;
    q[ST_Q_STORAGE_BYTES] = st;
    cost_breakdown_t c;
    cost_pod(&sc->hw, 0, &c);
    q[ST_Q_CAPEX_USD] = c.capex_usd;
    *floor_usd_h = c.capex_usd_per_h + c.maintenance_usd_per_h;
}

static int parse_hold(study_t *s, const cJSON *h, char *err, size_t errlen)
{
    if (!h)
        return 0;
    if (!cJSON_IsArray(h))
        return fail(s, "hold_equal", "expected an array of quantities: gpus, nodes, storage_capacity_bytes, capex_usd",
                    err, errlen);
    int i = 0;
    for (const cJSON *e = h->child; e; e = e->next, i++) {
        char at[64];
        snprintf(at, sizeof at, "hold_equal[%d]", i);
        const cJSON *q = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "quantity") : e;
        const cJSON *tol = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "tolerance") : NULL;
        int k = -1;
        for (int j = 0; j < ST_NQTY && cJSON_IsString(q); j++)
            if (!strcmp(q->valuestring, st_qty_name[j]))
                k = j;
        if (k < 0)
            return fail(s, at,
                        "expected one of gpus, nodes, storage_capacity_bytes, capex_usd (or {\"quantity\": ..., "
                        "\"tolerance\": relative})",
                        err, errlen);
        if (tol && (!cJSON_IsNumber(tol) || tol->valuedouble < 0 || tol->valuedouble >= 1))
            return fail(s, at, "tolerance: expected a relative difference from 0 to 1", err, errlen);
        s->hold[k] = true;
        s->hold_tol[k] = tol ? tol->valuedouble : st_qty_tol[k];
    }
    return 0;
}

/* Every held quantity within its tolerance of the baseline's, in every configuration. */
static int check_hold(study_t *s, int base, char *err, size_t errlen)
{
    for (int k = 0; k < ST_NQTY; k++) {
        if (!s->hold[k])
            continue;
        double b = s->v[base].qty[k];
        for (int c = 0; c < s->n; c++) {
            double x = s->v[c].qty[k];
            double rel = b != 0 ? fabs(x - b) / fabs(b) : fabs(x);
            if (rel > s->hold_tol[k] + 1e-12) {
                char msg[512];
                snprintf(msg, sizeof msg,
                         "%s is held equal, but configuration %s has %.6g against the baseline %s's %.6g "
                         "(%.2f %% apart, tolerance %.2f %%)",
                         st_qty_name[k], s->v[c].name, x, s->v[base].name, b, 100 * rel, 100 * s->hold_tol[k]);
                return fail(s, "hold_equal", msg, err, errlen);
            }
        }
    }
    return 0;
}

int st_parse(study_t *s, const char *path, const study_opts_t *o, char *err, size_t errlen)
{
    if (cfg_doc_load(&s->doc, path, err, errlen))
        return -1;
    const cJSON *root = s->doc.root;
    static const char *const keys[] = {"name",  "description", "scenario",   "baseline", "variants", "axes",
                                       "seeds", "replicates",  "hold_equal", "search",   NULL};
    for (const cJSON *it = root->child; it; it = it->next) {
        bool ok = false;
        for (int k = 0; keys[k]; k++)
            ok |= strcmp(it->string, keys[k]) == 0;
        if (!ok) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "unknown key \"%s\"; valid keys: name, description, scenario, baseline, variants, axes, seeds, "
                     "replicates, hold_equal, search",
                     it->string);
            return fail(s, it->string, msg, err, errlen);
        }
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    const cJSON *scen = cJSON_GetObjectItemCaseSensitive(root, "scenario");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "baseline");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "variants");
    const cJSON *axes = cJSON_GetObjectItemCaseSensitive(root, "axes");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(root, "seeds");
    const cJSON *reps = cJSON_GetObjectItemCaseSensitive(root, "replicates");
    s->search = cJSON_GetObjectItemCaseSensitive(root, "search");
    if (!cJSON_IsString(name) || !name->valuestring[0] || strlen(name->valuestring) >= sizeof s->name ||
        strpbrk(name->valuestring, "/"))
        return fail(s, "name", "expected the study's name (a short string without slashes)", err, errlen);
    snprintf(s->name, sizeof s->name, "%s", name->valuestring);
    if (desc && (!cJSON_IsString(desc) || strlen(desc->valuestring) >= sizeof s->description))
        return fail(s, "description", "expected a string of at most 255 characters", err, errlen);
    if (desc)
        snprintf(s->description, sizeof s->description, "%s", desc->valuestring);
    if (!cJSON_IsString(scen))
        return fail(s, "scenario", "expected the path of the base scenario (relative to the study file)", err, errlen);
    char rel[1024];
    cfg_doc_path(&s->doc, scen->valuestring, rel, sizeof rel);
    if (!realpath(rel, s->scenario))
        snprintf(s->scenario, sizeof s->scenario, "%s", rel); /* scenario_load names the missing file */
    if (vars && (!cJSON_IsArray(vars) || cJSON_GetArraySize(vars) < 1))
        return fail(s, "variants", "expected a non-empty array of variants", err, errlen);
    if (!vars && !axes)
        return fail(s, "variants", "a study needs variants, axes or both", err, errlen);
    axis_t *ax = NULL;
    int nax = 0;
    if (parse_axes(s, axes, &ax, &nax, err, errlen))
        return -1;
    int rc = expand(s, vars, axes, ax, nax, err, errlen);
    free(ax);
    if (rc)
        return -1;
    if (parse_hold(s, cJSON_GetObjectItemCaseSensitive(root, "hold_equal"), err, errlen))
        return -1;
    /* baseline: a configuration, or a variant (at the grid's first point) */
    int bi = 0;
    if (base) {
        bi = -1;
        for (int c = 0; cJSON_IsString(base) && c < s->n && bi < 0; c++)
            if (!strcmp(s->v[c].name, base->valuestring))
                bi = c;
        if (bi < 0 && cJSON_IsString(base) && vars) {
            int vi = 0;
            for (const cJSON *v = vars->child; v; v = v->next, vi++) {
                const cJSON *vn = cJSON_GetObjectItemCaseSensitive(v, "name");
                if (cJSON_IsString(vn) && !strcmp(vn->valuestring, base->valuestring))
                    bi = vi * (s->n / cJSON_GetArraySize(vars));
            }
        }
        if (bi < 0)
            return fail(s, "baseline", "expected the name of a variant or configuration", err, errlen);
    }
    snprintf(s->baseline, sizeof s->baseline, "%s", s->v[bi].name);
    /* seeds */
    if (seeds && reps)
        return fail(s, "replicates", "give seeds or replicates, not both", err, errlen);
    long long *seedv = NULL;
    int nseed = 1;
    if (seeds) {
        if (!cJSON_IsArray(seeds) || cJSON_GetArraySize(seeds) < 1 || cJSON_GetArraySize(seeds) > 1000)
            return fail(s, "seeds", "expected an array of 1 to 1000 non-negative integer seeds", err, errlen);
        nseed = cJSON_GetArraySize(seeds);
        seedv = kvt_calloc((size_t)nseed, sizeof *seedv);
        int i = 0;
        for (const cJSON *x = seeds->child; x; x = x->next, i++) {
            if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 9007199254740992.0 ||
                x->valuedouble != floor(x->valuedouble)) {
                free(seedv);
                return fail(s, "seeds", "expected non-negative integer seeds", err, errlen);
            }
            seedv[i] = (long long)x->valuedouble;
            for (int k = 0; k < i; k++)
                if (seedv[k] == seedv[i]) {
                    free(seedv);
                    return fail(s, "seeds", "a seed is listed twice", err, errlen);
                }
        }
    } else if (reps) {
        if (!cJSON_IsNumber(reps) || reps->valuedouble < 1 || reps->valuedouble > 1000 ||
            reps->valuedouble != floor(reps->valuedouble))
            return fail(s, "replicates", "expected an integer from 1 to 1000", err, errlen);
        nseed = (int)reps->valuedouble;
    }
    s->nseeds = nseed;
    s->gsets = kvt_calloc((size_t)o->nsets + 1, sizeof *s->gsets);
    for (int k = 0; k < o->nsets; k++)
        s->gsets[s->ngsets++] = kvt_strdup(o->sets[k]);
    /* every run's scenario, loaded and hashed */
    s->nruns = s->n * nseed;
    s->runs = kvt_calloc((size_t)s->nruns, sizeof *s->runs);
    scenario_t *sc = kvt_calloc(1, sizeof *sc);
    rc = 0;
    int r = 0;
    for (int c = 0; c < s->n && rc == 0; c++) {
        s->v[c].first_run = r;
        s->v[c].nruns = nseed;
        const char **sets;
        int n = st_config_sets(s, c, &sets);
        long long first_seed = o->seed;
        for (int k = 0; k < nseed && rc == 0; k++, r++) {
            st_run_t *run = &s->runs[r];
            run->config = c;
            long long want = seedv ? seedv[k] : (first_seed >= 0 ? first_seed + k : -1);
            char msg[2048];
            memset(sc, 0, sizeof *sc);
            if (scenario_load(sc, s->scenario, sets, n, want, msg, sizeof msg)) {
                snprintf(err, errlen, "configuration %s: %s", s->v[c].name, msg);
                rc = -1;
            } else {
                if (k == 0) {
                    quantities(sc, s->v[c].qty, &s->v[c].floor_usd_h);
                    if (first_seed < 0 && !seedv)
                        first_seed = (long long)sc->seed;
                }
                if (rc == 0) {
                    run->seed = (long long)sc->seed;
                    st_hash_scenario(sc, run->hash);
                    if (nseed > 1)
                        snprintf(run->name, sizeof run->name, "%s-seed%lld", s->v[c].name, run->seed);
                    else
                        snprintf(run->name, sizeof run->name, "%s", s->v[c].name);
                }
            }
            scenario_free(sc);
        }
        free(sets);
    }
    free(sc);
    free(seedv);
    if (rc)
        return -1;
    return check_hold(s, bi, err, errlen);
}

void st_free(study_t *s)
{
    for (int c = 0; c < s->n; c++) {
        for (int k = 0; k < s->v[c].nsets; k++)
            free(s->v[c].sets[k]);
        free(s->v[c].sets);
        cJSON_Delete(s->v[c].summary);
        cJSON_Delete(s->v[c].ci);
    }
    for (int r = 0; r < s->nruns; r++)
        cJSON_Delete(s->runs[r].summary);
    for (int k = 0; k < s->ngsets; k++)
        free(s->gsets[k]);
    free(s->gsets);
    free(s->v);
    free(s->runs);
    cfg_doc_free(&s->doc);
}

/* ---- the index ------------------------------------------------------------------------------------------- */

#define ST_INDEX "study-index.json"

int st_index_write(const study_t *s, char *err, size_t errlen)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kvtwin_study_index", "1");
    cJSON_AddStringToObject(j, "study", s->name);
    cJSON_AddStringToObject(j, "description", s->description);
    cJSON_AddStringToObject(j, "scenario", s->scenario);
    cJSON_AddStringToObject(j, "baseline", s->baseline);
    cJSON_AddNumberToObject(j, "seeds_per_configuration", s->nseeds);
    cJSON *g = cJSON_AddArrayToObject(j, "set");
    for (int k = 0; k < s->ngsets; k++)
        cJSON_AddItemToArray(g, cJSON_CreateString(s->gsets[k]));
    cJSON *h = cJSON_AddObjectToObject(j, "hold_equal");
    for (int k = 0; k < ST_NQTY; k++)
        if (s->hold[k])
            cJSON_AddNumberToObject(h, st_qty_name[k], s->hold_tol[k]);
    cJSON *cs = cJSON_AddArrayToObject(j, "configurations");
    for (int c = 0; c < s->n; c++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", s->v[c].name);
        cJSON_AddStringToObject(x, "label", s->v[c].label);
        cJSON *sets = cJSON_AddArrayToObject(x, "set");
        for (int k = 0; k < s->v[c].nsets; k++)
            cJSON_AddItemToArray(sets, cJSON_CreateString(s->v[c].sets[k]));
        cJSON *q = cJSON_AddObjectToObject(x, "quantities");
        for (int k = 0; k < ST_NQTY; k++)
            cJSON_AddNumberToObject(q, st_qty_name[k], s->v[c].qty[k]);
        cJSON_AddItemToArray(cs, x);
    }
    cJSON *rs = cJSON_AddArrayToObject(j, "runs");
    for (int r = 0; r < s->nruns; r++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", s->runs[r].name);
        cJSON_AddNumberToObject(x, "configuration", s->runs[r].config);
        cJSON_AddNumberToObject(x, "seed", (double)s->runs[r].seed);
        cJSON_AddStringToObject(x, "scenario_hash", s->runs[r].hash);
        cJSON_AddItemToArray(rs, x);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", s->dir, ST_INDEX);
    int rc = cfg_write_json_atomic(path, j, err, errlen);
    cJSON_Delete(j);
    return rc;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

int st_index_read(study_t *s, const char *dir, char *err, size_t errlen)
{
    char path[1200];
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/%s", dir, ST_INDEX);
    char *text = NULL;
    cJSON *j = NULL;
    if (cfg_read_json_file(path, &text, &j, err, errlen)) {
        snprintf(err, errlen, "%s: not a study folder (no readable %s; run the study first)", dir, ST_INDEX);
        return -1;
    }
    free(text);
    int rc = -1;
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(j, "configurations");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(j, "runs");
    const char *nm = jstr(j, "study"), *sc = jstr(j, "scenario"), *bl = jstr(j, "baseline");
    if (!jstr(j, "kvtwin_study_index") || !nm || !sc || !bl || !cJSON_IsArray(cs) || !cJSON_IsArray(rs)) {
        snprintf(err, errlen, "%s: not a kvtwin study index", path);
        goto out;
    }
    snprintf(s->name, sizeof s->name, "%s", nm);
    snprintf(s->description, sizeof s->description, "%s", jstr(j, "description") ? jstr(j, "description") : "");
    snprintf(s->scenario, sizeof s->scenario, "%s", sc);
    snprintf(s->baseline, sizeof s->baseline, "%s", bl);
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(j, "seeds_per_configuration");
    s->nseeds = cJSON_IsNumber(ns) ? (int)ns->valuedouble : 1;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "set");
    s->gsets = kvt_calloc((size_t)cJSON_GetArraySize(g) + 1, sizeof *s->gsets);
    for (const cJSON *x = g ? g->child : NULL; x; x = x->next)
        if (cJSON_IsString(x))
            s->gsets[s->ngsets++] = kvt_strdup(x->valuestring);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "hold_equal");
    for (int k = 0; k < ST_NQTY; k++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(h, st_qty_name[k]);
        s->hold[k] = cJSON_IsNumber(x);
        s->hold_tol[k] = cJSON_IsNumber(x) ? x->valuedouble : 0;
    }
    s->n = cJSON_GetArraySize(cs);
    s->v = kvt_calloc((size_t)s->n + 1, sizeof *s->v);
    int c = 0;
    for (const cJSON *x = cs->child; x; x = x->next, c++) {
        const char *cn = jstr(x, "name"), *cl = jstr(x, "label");
        if (!cn) {
            snprintf(err, errlen, "%s: configuration %d has no name", path, c);
            goto out;
        }
        snprintf(s->v[c].name, sizeof s->v[c].name, "%s", cn);
        snprintf(s->v[c].label, sizeof s->v[c].label, "%s", cl ? cl : cn);
        for (const cJSON *e =
                 cJSON_GetObjectItemCaseSensitive(x, "set") ? cJSON_GetObjectItemCaseSensitive(x, "set")->child : NULL;
             e; e = e->next)
            if (cJSON_IsString(e))
                add_set(&s->v[c], kvt_strdup(e->valuestring));
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(x, "quantities");
        for (int k = 0; k < ST_NQTY; k++) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(q, st_qty_name[k]);
            s->v[c].qty[k] = cJSON_IsNumber(y) ? y->valuedouble : (double)NAN;
        }
        s->v[c].first_run = -1;
    }
    s->nruns = cJSON_GetArraySize(rs);
    s->runs = kvt_calloc((size_t)s->nruns + 1, sizeof *s->runs);
    int r = 0;
    for (const cJSON *x = rs->child; x; x = x->next, r++) {
        const char *rn = jstr(x, "name"), *hs = jstr(x, "scenario_hash");
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(x, "configuration");
        const cJSON *sd = cJSON_GetObjectItemCaseSensitive(x, "seed");
        if (!rn || !hs || !cJSON_IsNumber(ci) || ci->valueint < 0 || ci->valueint >= s->n || !cJSON_IsNumber(sd)) {
            snprintf(err, errlen, "%s: run %d is incomplete", path, r);
            goto out;
        }
        st_run_t *run = &s->runs[r];
        snprintf(run->name, sizeof run->name, "%s", rn);
        snprintf(run->hash, sizeof run->hash, "%s", hs);
        run->config = ci->valueint;
        run->seed = (long long)sd->valuedouble;
        st_config_t *cf = &s->v[run->config];
        if (cf->first_run < 0)
            cf->first_run = r;
        cf->nruns++;
    }
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}
