/* Hardware and model presets outside a scenario: load configs/<kind>/NAME.json (or a file path), apply
 * --set overrides and bind it with cfg_hw_pod_spec / cfg_llm_spec (declared in sim/scenario.h), errors
 * located as file:line:column: JSON path: message. Used by `kvtwin hw`, `kvtwin model-time`,
 * `kvtwin fit` and the tests; scenarios bind the same specs inside their own document. */
#ifndef KVTWIN_CONFIG_MODELS_H
#define KVTWIN_CONFIG_MODELS_H

#include <stddef.h>

#include "models/hw.h"
#include "models/llm.h"
#include "sim/base/jsonbind.h"
#include "sim/config/config.h"

/* Loads a preset document (by name under configs/<kind>/, or a path containing '/' or ending in .json)
 * and applies sets[0..nsets) as --set PATH=VALUE overrides. */
int cfg_load_preset_doc(const char *kind, const char *name_or_path, const char *const *sets, int nsets, cfg_doc_t *d,
                        char *err, size_t errlen);

/* jb_bind with the error turned into one located line. */
int cfg_bind_located(const jb_spec_t *spec, const cfg_doc_t *d, const cJSON *obj, const char *base, void *dst,
                     char *err, size_t errlen);

/* A hardware preset, defaults applied then bound and checked. */
int cfg_hw_load(const char *name_or_path, const char *const *sets, int nsets, hw_pod_t *out, char *err, size_t errlen);

/* A model preset, defaults applied then bound and checked. */
int cfg_llm_load(const char *name_or_path, const char *const *sets, int nsets, llm_t *out, char *err, size_t errlen);

/* The precision options of kvtwin fit and model-time: option is "--weight-dtype", "--kv-dtype",
 * "--compute-dtype" or all_option (which sets all three); value a dtype name. 0, or -1 on an unknown name. */
int cfg_dtype_option(const char *option, const char *all_option, const char *value, int *weight, int *kv, int *compute);

#endif
