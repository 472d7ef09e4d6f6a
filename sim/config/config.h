/* Config documents: a scenario file merged with the presets it names and the --set overrides of the
 * command line, remembering where every part came from so that an error names file:line:column and the
 * JSON path. Presets live in configs/<kind>/<name>.json (kind: hardware, models); a section names one as
 * a string ("hardware": "vera-rubin-nvl72") or as an object with a "preset" key plus overrides. */
#ifndef KVTWIN_CONFIG_H
#define KVTWIN_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define CFG_MAX_SOURCES 48

typedef struct cfg_source {
    char *label;     /* file path, or "--set PATH=VALUE" */
    char *text;      /* the JSON text as read */
    char mount[256]; /* JSON path of the merged tree where this text's root sits ("" = root) */
} cfg_source_t;

typedef struct cfg_doc {
    cJSON *root; /* the merged tree */
    cfg_source_t src[CFG_MAX_SOURCES];
    int nsrc;
    char dir[1024]; /* folder of the main file: relative paths inside it resolve from here */
} cfg_doc_t;

/* Folder of the presets: $KVTWIN_CONFIG_DIR, else the source tree's configs/. */
const char *cfg_config_dir(void);

/* Reads and parses a JSON file. On failure err holds "PATH:LINE:COL: malformed JSON (...)" or
 * "PATH: cannot read (...)". The caller frees *text and deletes *root. */
int cfg_read_json_file(const char *path, char **text, cJSON **root, char *err, size_t errlen);

/* Loads the main file of a document. */
int cfg_doc_load(cfg_doc_t *d, const char *path, char *err, size_t errlen);

/* Starts a document from an in-memory object (takes ownership of root), labelled for errors. */
void cfg_doc_init_from(cfg_doc_t *d, cJSON *root, const char *label, const char *dir);

/* Turns a preset section given as a string into {"preset": NAME}; call before cfg_doc_set so that
 * --set can override inside presets. */
void cfg_doc_normalize_preset(cfg_doc_t *d, const char *section);

/* Applies one --set PATH=VALUE (dotted path; VALUE is JSON, or a bare string). Intermediate objects are
 * created. Returns -1 with err on a malformed assignment. */
int cfg_doc_set(cfg_doc_t *d, const char *assignment, char *err, size_t errlen);

/* Replaces section {"preset": NAME, ...overrides} by the preset file configs/<kind>/NAME.json with the
 * overrides merged over it (a section without "preset" is left as is). Unknown preset names give an error
 * listing the available ones, located at the "preset" value. */
int cfg_doc_resolve_preset(cfg_doc_t *d, const char *section, const char *kind, char *err, size_t errlen);

/* Formats "WHERE: PATH: msg" for an error about the value at path in the merged tree, WHERE being the
 * file:line:column (or the --set argument) the value came from. */
void cfg_doc_error(const cfg_doc_t *d, const char *path, const char *msg, char *out, size_t outlen);

/* Resolves a path found inside the document (a trace, a sub-scenario) relative to the document's folder. */
void cfg_doc_path(const cfg_doc_t *d, const char *rel, char *out, size_t outlen);

/* Folder against which a relative path stored at `path` resolves: the folder of the file that set it, or
 * "." when it came from --set (command-line paths are relative to where kvtwin runs). */
void cfg_doc_origin_dir(const cfg_doc_t *d, const char *path, char *out, size_t outlen);

/* Lists the preset names of a kind ("hardware", "models") as "a, b, c". */
void cfg_list_presets(const char *kind, char *buf, size_t len);

void cfg_doc_free(cfg_doc_t *d);

/* Deep-merges over into base (objects recursively; anything else replaces). over is not modified. */
void cfg_json_merge(cJSON *base, const cJSON *over);

/* Writes a JSON value to path atomically (temporary name, then rename). */
int cfg_write_json_atomic(const char *path, const cJSON *value, char *err, size_t errlen);

#endif
