/* The parts of a study shared by its files (not a public interface): the expanded grid (configurations, and
 * the runs that are each configuration at one seed), the study folder's index, the runners and the plots.
 *
 * A study folder holds one results folder per run (written whole or not at all by `kvtwin run`), the index
 * study-index.json (the expanded grid: every run's name, seed, overrides and the hash of its resolved
 * scenario), and the table, JSON and plots rebuilt from whatever runs are complete. A run counts as complete
 * when its folder has summary.json and its scenario.json hashes to the run's hash; anything else is redone. */
#ifndef KVTWIN_STUDY_INT_H
#define KVTWIN_STUDY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "sim/config/config.h"
#include "sim/study/study.h"

/* Quantities a study can hold equal across its configurations, computed from the resolved scenario. */
typedef enum st_qty { ST_Q_GPUS = 0, ST_Q_NODES, ST_Q_STORAGE_BYTES, ST_Q_CAPEX_USD, ST_NQTY } st_qty_t;

typedef enum st_state { ST_PENDING = 0, ST_DONE, ST_FAILED } st_state_t;

typedef struct st_run {
    char name[192]; /* its folder inside the study folder */
    int config;     /* index of its configuration */
    long long seed; /* the run's seed (resolved) */
    char hash[17];  /* of the resolved scenario, hex */
    st_state_t state;
    bool was_done; /* complete before this invocation (skipped) */
    int exit_code;
    pid_t pid;
    cJSON *summary;
} st_run_t;

typedef struct st_config {
    char name[160];
    char label[320];
    char **sets; /* "path=json": the variant's and the axes' overrides (not the study's --set) */
    int nsets;
    int first_run, nruns; /* its replicates are runs[first_run .. first_run + nruns) */
    double qty[ST_NQTY];  /* hold-equal quantities */
    double floor_usd_h;   /* amortised capex + maintenance per hour: the cost before energy and facility */
    cJSON *summary;       /* mean over its complete replicates (the table's column); NULL if none */
    cJSON *ci;            /* 95 % half-widths of the same leaves (NULL with fewer than 2 replicates) */
    int ndone;
} st_config_t;

typedef struct study {
    char name[64];
    char description[256];
    char scenario[1024]; /* absolute path of the base scenario */
    char baseline[160];  /* configuration the ratios divide by */
    char **gsets;        /* the study's --set, before every configuration's own */
    int ngsets;
    st_config_t *v; /* configurations, the table's columns */
    int n;
    st_run_t *runs;
    int nruns;
    int nseeds;
    bool hold[ST_NQTY];
    double hold_tol[ST_NQTY];
    char dir[1024];      /* the study folder */
    const cJSON *search; /* the "search" block (SLO sizing, size.c), borrowed from doc; NULL if none */
    cfg_doc_t doc;
} study_t;

extern const char *const st_qty_name[ST_NQTY];

/* grid.c: parses the study file and expands it into configurations and runs, loading every run's scenario
 * (so a bad grid fails before anything runs) and hashing it; checks the held-equal quantities. */
int st_parse(study_t *s, const char *path, const study_opts_t *o, char *err, size_t errlen);
void st_free(study_t *s);
/* Every assignment of a configuration, the study's --set first. Returns the count; *out is malloc'd. */
int st_config_sets(const study_t *s, int config, const char ***out);
/* The index: written at the start of a study, read back by --collect and by Slurm tasks. */
int st_index_write(const study_t *s, char *err, size_t errlen);
int st_index_read(study_t *s, const char *dir, char *err, size_t errlen);
struct scenario;
/* The hash of a resolved scenario (without output.dir), hex. */
void st_hash_scenario(const struct scenario *sc, char out[17]);
/* The hash of a run folder's scenario.json (the same as its run's hash when it is that run's); "" if unreadable. */
void st_hash_scenario_file(const char *path, char out[17]);

/* runner.c: the study folder and the local runner. */
/* Creates the folder, removes temporaries left by interrupted runs, marks complete runs. */
int st_folder_prepare(study_t *s, bool fresh, char *err, size_t errlen);
/* Marks the runs whose folders are complete (state ST_DONE). */
void st_scan(study_t *s);
/* Runs the pending runs, jobs at a time; a failing run is reported and the others go on. Returns the number
 * of runs that failed. */
int st_run_local(study_t *s, const study_opts_t *o);
/* The argv of `kvtwin run` for a run (NULL-terminated, malloc'd; the strings point into s). */
const char **st_run_argv(const study_t *s, int run, const char *self_exe, char *seed_buf, size_t seed_len,
                         char *dir_buf, size_t dir_len);
/* Reads the summaries of complete runs and averages replicates; configurations without any stay NULL. */
int st_load_summaries(study_t *s, char *err, size_t errlen);

/* slurm.c: one job array of the pending runs; waits for it unless told not to. */
int st_run_slurm(study_t *s, const study_opts_t *o, char *err, size_t errlen);

/* plots.c: the study's plots (gnuplot, PNG) and their data; the window comes from the summaries. */
int st_plots(const study_t *s, char *err, size_t errlen);
/* Writes a file atomically from a NUL-terminated text. */
int st_write_text(const char *path, const char *text, char *err, size_t errlen);

/* study.c: the comparison (text, CSV, JSON) of the configurations with a summary. */
int st_outputs(study_t *s, bool quiet, char *err, size_t errlen);

#endif
