/* CSV export of run.h5: every one-dimensional compound table (requests, timeseries, tiers) as one CSV file
 * with a header row of the column names. Integers and floats as text (a float's 17 significant digits, NaN
 * as an empty field), strings quoted where needed. Rows are read in slices, so memory stays flat whatever the
 * table's length. */
#ifndef KVTWIN_H5CSV_H
#define KVTWIN_H5CSV_H

#include <stddef.h>

/* Writes DIR/<table>.csv for every table of the HDF5 file at h5 into dir (which must exist). names, when
 * not NULL, receives the comma-separated list of the files written. Returns 0, or -1 with one line in err. */
int h5csv_export(const char *h5, const char *dir, char *names, size_t nameslen, char *err, size_t errlen);

#endif
