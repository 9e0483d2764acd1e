/*
 * fuzz_config: any bytes as caselinkd.conf and as the client registry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[1024];
    snprintf(path, sizeof(path), "/tmp/cl-fuzz-config.%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    cl_config c;
    cl_config_defaults(&c);
    if (cl_config_load(&c, path, err, sizeof(err)) != CL_OK) {
        /* refusals are expected */
    }
    cl_registry *r = NULL;
    if (cl_registry_load(&r, path, err, sizeof(err)) == CL_OK) {
        const cl_caller *who =
            cl_registry_find(r, "0000000000000000000000000000000000000000");
        (void)who;
        cl_registry_destroy(&r);
    }
    unlink(path);
    return 0;
}
