/* CSV export of run.h5; see h5csv.h. Each member of a table's compound type is read as one of three memory
 * types (int64 / uint64, double, fixed string), packed into a row buffer of our own layout, so the export does
 * not depend on the structs that wrote the file. */
#define _POSIX_C_SOURCE 200809L
#include "sim/out/h5csv.h"

#include <hdf5.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"

#define H5CSV_SLICE 4096

typedef enum { COL_INT, COL_UINT, COL_FLOAT, COL_STRING } col_kind_t;

typedef struct col {
    char *name;
    col_kind_t kind;
    size_t off, size;
} col_t;

typedef struct tables {
    char (*name)[128];
    size_t n, cap;
} tables_t;

/* Collects the names of the root group's links; those that are not datasets are skipped when opened. */
static herr_t h5csv_visit(hid_t g, const char *name, const H5L_info_t *info, void *ctx)
{
    (void)g;
    (void)info;
    tables_t *t = ctx;
    kvt_grow(&t->name, &t->cap, t->n + 1, sizeof *t->name, 4);
    snprintf(t->name[t->n++], sizeof t->name[0], "%s", name);
    return 0;
}

static void csv_string(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* One table; returns 0, 1 when it is not a 1-D compound table (skipped), -1 on error. */
static int h5csv_table(hid_t file, const char *table, const char *path, char *err, size_t errlen)
{
    hid_t ds = H5Dopen2(file, table, H5P_DEFAULT);
    if (ds < 0)
        return 1;
    hid_t ft = H5Dget_type(ds), space = H5Dget_space(ds);
    int rc = 1;
    col_t *cols = NULL;
    int ncol = 0;
    hid_t mt = -1;
    if (H5Tget_class(ft) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space) != 1)
        goto out;
    ncol = H5Tget_nmembers(ft);
    cols = kvt_calloc((size_t)ncol, sizeof *cols);
    size_t row = 0;
    for (int i = 0; i < ncol; i++) {
        hid_t m = H5Tget_member_type(ft, (unsigned)i);
        cols[i].name = H5Tget_member_name(ft, (unsigned)i);
        switch (H5Tget_class(m)) {
        case H5T_INTEGER:
            cols[i].kind = H5Tget_sign(m) == H5T_SGN_NONE ? COL_UINT : COL_INT;
            cols[i].size = 8;
            break;
        case H5T_FLOAT:
            cols[i].kind = COL_FLOAT;
            cols[i].size = 8;
            break;
        case H5T_STRING:
            cols[i].kind = COL_STRING;
            cols[i].size = H5Tis_variable_str(m) > 0 ? 0 : H5Tget_size(m) + 1;
            break;
        default:
            cols[i].size = 0;
        }
        H5Tclose(m);
        if (cols[i].size == 0) {
            snprintf(err, errlen, "%s: column %s of table %s has a type CSV cannot hold", path, cols[i].name, table);
            rc = -1;
            goto out;
        }
        cols[i].off = row;
        row += (cols[i].size + 7) / 8 * 8;
    }
    mt = H5Tcreate(H5T_COMPOUND, row ? row : 8);
    for (int i = 0; i < ncol; i++) {
        hid_t m;
        if (cols[i].kind == COL_STRING) {
            m = H5Tcopy(H5T_C_S1);
            H5Tset_size(m, cols[i].size);
            H5Tset_cset(m, H5T_CSET_UTF8);
        } else {
            m = H5Tcopy(cols[i].kind == COL_FLOAT  ? H5T_NATIVE_DOUBLE
                        : cols[i].kind == COL_UINT ? H5T_NATIVE_UINT64
                                                   : H5T_NATIVE_INT64);
        }
        H5Tinsert(mt, cols[i].name, cols[i].off, m);
        H5Tclose(m);
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write", path);
        rc = -1;
        goto out;
    }
    for (int i = 0; i < ncol; i++) {
        if (i)
            fputc(',', f);
        csv_string(f, cols[i].name);
    }
    fputc('\n', f);
    hsize_t rows = 0;
    H5Sget_simple_extent_dims(space, &rows, NULL);
    unsigned char *buf = kvt_malloc(H5CSV_SLICE * (row ? row : 8));
    rc = 0;
    for (hsize_t at = 0; at < rows && rc == 0; at += H5CSV_SLICE) {
        hsize_t cnt = rows - at < H5CSV_SLICE ? rows - at : H5CSV_SLICE;
        hid_t ms = H5Screate_simple(1, &cnt, NULL);
        H5Sselect_hyperslab(space, H5S_SELECT_SET, &at, NULL, &cnt, NULL);
        if (H5Dread(ds, mt, ms, space, H5P_DEFAULT, buf) < 0) {
            snprintf(err, errlen, "%s: cannot read table %s", path, table);
            rc = -1;
        }
        H5Sclose(ms);
        for (hsize_t r = 0; r < cnt && rc == 0; r++) {
            const unsigned char *p = buf + r * row;
            for (int i = 0; i < ncol; i++) {
                if (i)
                    fputc(',', f);
                const void *v = p + cols[i].off;
                if (cols[i].kind == COL_INT) {
                    int64_t x;
                    memcpy(&x, v, sizeof x);
                    fprintf(f, "%lld", (long long)x);
                } else if (cols[i].kind == COL_UINT) {
                    uint64_t x;
                    memcpy(&x, v, sizeof x);
                    fprintf(f, "%llu", (unsigned long long)x);
                } else if (cols[i].kind == COL_FLOAT) {
                    double x;
                    memcpy(&x, v, sizeof x);
                    if (!isnan(x))
                        fprintf(f, "%.17g", x);
                } else {
                    char s[4096];
                    size_t len = cols[i].size < sizeof s ? cols[i].size : sizeof s;
                    memcpy(s, v, len);
                    s[len - 1] = '\0';
                    csv_string(f, s);
                }
            }
            fputc('\n', f);
        }
    }
    free(buf);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write", path);
        rc = -1;
    }
out:
    for (int i = 0; i < ncol; i++)
        H5free_memory(cols[i].name);
    free(cols);
    if (mt >= 0)
        H5Tclose(mt);
    H5Sclose(space);
    H5Tclose(ft);
    H5Dclose(ds);
    return rc;
}

int h5csv_export(const char *h5, const char *dir, char *names, size_t nameslen, char *err, size_t errlen)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (names && nameslen)
        names[0] = '\0';
    hid_t file = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        snprintf(err, errlen, "%s: cannot open as HDF5", h5);
        return -1;
    }
    tables_t t = {0};
    H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, NULL, h5csv_visit, &t);
    int rc = 0, written = 0;
    for (size_t i = 0; i < t.n && rc == 0; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s.csv", dir, t.name[i]);
        int r = h5csv_table(file, t.name[i], path, err, errlen);
        if (r < 0)
            rc = -1;
        if (r == 0 && names) {
            size_t len = strlen(names);
            snprintf(names + len, nameslen - len, "%s%s.csv", written ? ", " : "", t.name[i]);
        }
        written += r == 0;
    }
    free(t.name);
    H5Fclose(file);
    if (rc == 0 && written == 0) {
        snprintf(err, errlen, "%s: no tables to export", h5);
        rc = -1;
    }
    return rc;
}
