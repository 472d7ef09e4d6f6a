/* kvtwin report: the TCO report of a study folder or one run's folder, as a self-contained HTML page (plots
 * embedded as SVG, no script, no external resource) and a Markdown twin: per configuration capex by component
 * class with unit prices, their date, source and confidence, depreciation, maintenance, facility, energy
 * (PUE), $/hour, $/GPU-hour, $/million tokens, tokens/J; the study's ratios; TTFT and throughput plots; the
 * assumptions, marked as such. */
#ifndef KVTWIN_REPORT_H
#define KVTWIN_REPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Writes report.html, report.md (and study.svg) into out_dir (NULL = dir itself). Exit code; err when not 0. */
int report_run(const char *dir, const char *out_dir, bool quiet, char *err, size_t errlen);

#endif
