#!/usr/bin/env bash
# test_install: 'cmake --install' gives an agency's integration engineer what
# they need: the header, libcaselink and a pkg-config file that compile and
# link a program. Usage: test_install.sh BUILD_DIR
set -eu
build=$1
tmp=$(mktemp -d /tmp/cltest.install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cat > "$tmp/embed.c" <<'C'
#include <caselink.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    cl_client *c = NULL;
    char err[256] = "";
    cl_client_options o = {.endpoint = "ipc:///nonexistent",
                           .server_key = "/nonexistent/server.pub",
                           .client_key = "/nonexistent/me.key"};
    int rc = cl_client_open(&c, &o, err, sizeof(err));
    printf("%s: %s\n", cl_strerror(rc), err);
    return rc == CL_ERR_IO && cl_nhs_valid("9434765919") ? 0 : 1;
}
C
export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig
cc -std=c17 -Wall -Werror "$tmp/embed.c" $(pkg-config --cflags --libs caselink) \
   -Wl,-rpath,"$tmp/prefix/lib" -o "$tmp/embed"
"$tmp/embed" | grep -q "input/output error: key file /nonexistent/server.pub"
for f in sbin/caselinkd bin/caselink lib/systemd/system/caselinkd.service \
         share/man/man8/caselinkd.8 share/man/man1/caselink.1 \
         share/bash-completion/completions/caselink \
         share/doc/caselink/caselinkd.conf.sample; do
    [ -e "$tmp/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
echo "1 passed, 0 failed"
