/* kvtwin policies: every policy of every axis (eviction, write, fetch-or-recompute, prefetch, admission,
 * routing) with its one-line description and parameters (default, range, meaning), from the registries.
 * `--markdown` prints the same as one table per axis (docs/policies.md is generated from it), and a policy
 * name restricts the listing to the policies of that name (a name may exist on several axes: `cost`). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/config/policies.h"

static int cmd_main(int argc, char **argv)
{
    bool md = false;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0)
            md = true;
        else if (argv[i][0] == '-')
            return cli_usage_error("policies", "unknown option \"%s\"", argv[i]);
        else
            only = argv[i];
    }
    if (only) {
        bool found = false;
        for (size_t a = 0; a < cfg_policy_axis_count() && !found; a++)
            found = plugin_find(cfg_policy_axis_at(a), only) != NULL;
        if (!found) {
            char names[1024] = "";
            size_t used = 0;
            for (size_t a = 0; a < cfg_policy_axis_count() && used + 1 < sizeof names; a++) {
                char one[512];
                plugin_names(cfg_policy_axis_at(a), one, sizeof one);
                int w = snprintf(names + used, sizeof names - used, "%s%s: %s", a ? "; " : "",
                                 cfg_policy_axis_at(a)->name, one);
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            return cli_input_error("unknown policy \"%s\"; valid policies: %s", only, names);
        }
    }
    bool first = true;
    for (size_t a = 0; a < cfg_policy_axis_count(); a++) {
        const plugin_axis_t *axis = cfg_policy_axis_at(a);
        const plugin_t *one = only ? plugin_find(axis, only) : NULL;
        if (only && !one)
            continue;
        if (md) {
            printf("%s### %c%s policies\n\nChosen by: %s.\n\n", first ? "" : "\n", axis->name[0] - 'a' + 'A',
                   axis->name + 1, axis->chosen_by);
            plugin_markdown(axis, one, stdout);
        } else {
            printf("%s%s policies (%s):\n\n", first ? "" : "\n", axis->name, axis->chosen_by);
            for (size_t i = 0; i < axis->count; i++)
                if (!one || axis->items[i] == one)
                    plugin_print(axis->items[i], stdout);
        }
        first = false;
    }
    return KVT_EXIT_OK;
}

const kvt_cmd_t kvt_cmd_policies = {
    .name = "policies",
    .summary = "list the policies of every axis (eviction, write, fetch, prefetch, admission, routing)",
    .usage = "usage: kvtwin policies [NAME] [--markdown]\n"
             "\n"
             "Lists every policy of every axis (eviction, write, fetch-or-recompute, prefetch, admission,\n"
             "routing) with a one-line description and its parameters (default, range, meaning), and the\n"
             "config key or option that chooses it. NAME restricts the listing to the policies of that name;\n"
             "--markdown prints one table per axis (docs/policies.md). An unknown name lists the valid ones and\n"
             "exits with 2.\n",
    .main = cmd_main,
};
