/* kvtwin policies: every eviction policy of the registry with its one-line description and parameters
 * (default, range, meaning), and the write policies. `--markdown` prints the same as tables (docs/policies.md
 * is generated from it), and a policy name restricts the listing to that policy. */
#include <stdio.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/kv/kv.h"
#include "sim/kv/policy.h"

static void print_markdown(const kv_policy_ops_t *only, FILE *out)
{
    fprintf(out, "| policy | what it evicts | parameters (default) |\n|---|---|---|\n");
    for (size_t i = 0; i < kv_policy_count(); i++) {
        const kv_policy_ops_t *ops = kv_policy_at(i);
        if (only && ops != only)
            continue;
        fprintf(out, "| `%s` | %s%s | ", ops->name, ops->summary, ops->needs_next_use ? " (offline)" : "");
        cJSON *defaults = ops->params_size ? jb_to_json(ops->params, ops->params_default) : NULL;
        int k = 0;
        for (const jb_field_t *f = ops->params->fields; f->key; f++, k++) {
            char *val = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(defaults, f->key));
            fprintf(out, "%s`%s` (%s%s%s): %s", k ? "; " : "", f->key, val ? val : "?", f->unit ? " " : "",
                    f->unit ? f->unit : "", f->help);
            cJSON_free(val);
        }
        fprintf(out, "%s |\n", k ? "" : "none");
        cJSON_Delete(defaults);
    }
}

static int cmd_main(int argc, char **argv)
{
    bool md = false;
    const kv_policy_ops_t *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0) {
            md = true;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("policies", "unknown option \"%s\"", argv[i]);
        } else {
            only = kv_policy_find(argv[i]);
            if (!only) {
                char names[512];
                kv_policy_names(names, sizeof names);
                return cli_input_error("unknown policy \"%s\"; valid policies: %s", argv[i], names);
            }
        }
    }
    if (md) {
        print_markdown(only, stdout);
        return KVT_EXIT_OK;
    }
    printf("eviction policies (kv.gN.policy, kv.gN.params; kvtwin cache --policy, --params):\n\n");
    for (size_t i = 0; i < kv_policy_count(); i++)
        if (!only || kv_policy_at(i) == only)
            kv_policy_print(kv_policy_at(i), stdout);
    if (!only)
        printf("\nwrite policies (kv.write_policy; kvtwin cache --write):\n"
               "%-14s a block goes down when it is evicted from a tier\n"
               "%-14s a newly computed block is copied to every enabled lower tier at commit\n"
               "%-14s on eviction only blocks likely to return go down (reused before, or of a live session)\n",
               kv_write_policy_name(KV_WRITE_BACK), kv_write_policy_name(KV_WRITE_THROUGH),
               kv_write_policy_name(KV_WRITE_SELECTIVE));
    return KVT_EXIT_OK;
}

const kvt_cmd_t kvt_cmd_policies = {
    .name = "policies",
    .summary = "list eviction and write policies with their parameters",
    .usage = "usage: kvtwin policies [NAME] [--markdown]\n"
             "\n"
             "Lists every KV eviction policy with a one-line description and its parameters (default, range,\n"
             "meaning), then the write policies. NAME restricts the listing to one policy; --markdown prints a\n"
             "table (docs/policies.md). An unknown name lists the valid ones and exits with 2.\n",
    .main = cmd_main,
};
