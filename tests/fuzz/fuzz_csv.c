/*
 * fuzz_csv: any bytes as a CSV file for 'caselink publish referral --csv':
 * the reader, the header, every field of every row, and validation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_model.h"
#include "csv.h"
#include "fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cl_referral r;
    char err[512], header[CL_CSV_MAX_FIELDS][64];
    char **fields;
    size_t n, ncols = 0;
    unsigned long line;
    cl_csv *csv = NULL;
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    if (cl_csv_new(&csv, f) != CL_OK)
        abort();
    int rc = cl_csv_next(csv, &fields, &n, &line, err, sizeof(err));
    if (rc == 1) {
        for (size_t i = 0; i < n; i++)
            cl_copy(header[i], sizeof(header[i]), fields[i]);
        ncols = n;
        for (int rows = 0; rows < 1000; rows++) {
            rc = cl_csv_next(csv, &fields, &n, &line, err, sizeof(err));
            if (rc == 0)
                break;
            if (rc < 0 || n != ncols)
                continue;
            memset(&r, 0, sizeof(r));
            bool good = true;
            for (size_t i = 0; i < n && good; i++)
                good =
                    cl_fields_set(&r, header[i], fields[i], err, sizeof(err));
            if (good)
                if (cl_referral_validate(&r, err, NULL) != CL_OK) {
                    /* refusals are expected */
                }
        }
    }
    cl_csv_destroy(&csv);
    fclose(f);
    return 0;
}
