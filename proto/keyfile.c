/*
 * keyfile: reading and writing CURVE key files (see keyfile.h).
 */
#include "keyfile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "cl_model.h"

typedef struct s_keys {
    char pub[CL_Z85_KEY_SZ];
    char sec[CL_Z85_KEY_SZ];
    int bad_line;
} s_keys;

int cl_keyfile_z85_valid(const char *s)
{
    uint8_t bin[32];
    return strlen(s) == 40 && zmq_z85_decode(bin, s) != NULL;
}

static int s_handler(void *user, const char *section, const char *name,
                     const char *value)
{
    s_keys *k = user;
    if (strcmp(section, "curve") != 0)
        return 1; /* other sections are ignored */
    if (strcmp(name, "public-key") == 0)
        return cl_copy(k->pub, sizeof(k->pub), value) &&
               cl_keyfile_z85_valid(value);
    if (strcmp(name, "secret-key") == 0)
        return cl_copy(k->sec, sizeof(k->sec), value) &&
               cl_keyfile_z85_valid(value);
    return 1;
}

/* ZPL (ZeroMQ RFC 4, as CZMQ's zcert writes it): a "curve" section at
 * column 0, its keys indented, values optionally quoted. Returns the line
 * number of the first bad line, or 0. */
static int s_zpl(char *text, s_keys *k)
{
    char section[32] = "";
    int lineno = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        size_t indent = strspn(line, " \t");
        char *p = line + indent;
        size_t n = strlen(p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            p[--n] = '\0';
        if (!n || p[0] == '#')
            continue;
        char *eq = strchr(p, '=');
        if (indent == 0) {
            if (eq || !cl_copy(section, sizeof(section), p))
                return lineno; /* a section is a bare name */
            continue;
        }
        if (!eq)
            continue; /* a nested section: not ours */
        char *name = p, *v = eq + 1;
        for (char *e = eq; e > name && (e[-1] == ' ' || e[-1] == '\t'); e--)
            e[-1] = '\0';
        *eq = '\0';
        v += strspn(v, " \t");
        size_t vl = strlen(v);
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v[vl - 1] = '\0';
            v++;
        }
        if (strcmp(section, "curve") == 0 && !s_handler(k, "curve", name, v))
            return lineno;
    }
    return 0;
}

int cl_keyfile_read(const char *path, char *pub, char *sec, char *err,
                    size_t err_len)
{
    s_keys k;
    struct stat st;
    char text[8192];
    int rc = CL_ERR_KEY;
    memset(&k, 0, sizeof(k));
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, err_len, "key file %s: %s", path, strerror(errno));
        return CL_ERR_IO;
    }
    if (sec && fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
        snprintf(err, err_len,
                 "key file %s: mode %03o lets others read the secret key; "
                 "run 'chmod 600 %s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        rc = CL_ERR_PERM;
        goto out;
    }
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    text[len] = '\0';
    if (len == sizeof(text) - 1 || memchr(text, '\0', len)) {
        snprintf(err, err_len,
                 "key file %s: not a key file (too long or "
                 "binary)",
                 path);
        goto out;
    }
    /* caselink's INI ("[curve]") or a ZPL certificate ("curve") */
    const char *first = text;
    for (;;) {
        first += strspn(first, " \t\r\n");
        if (*first != '#' && *first != ';')
            break;
        first = strchr(first, '\n');
        if (!first) {
            first = "";
            break;
        }
    }
    bool ini = *first == '[';
    int line = ini ? ini_parse_string(text, s_handler, &k) : s_zpl(text, &k);
    if (line != 0) {
        snprintf(err, err_len, "key file %s line %d: not a valid Z85 key", path,
                 line);
        goto out;
    }
    if (!k.pub[0] || (sec && !k.sec[0])) {
        snprintf(err, err_len, "key file %s: no %s in a %s section", path,
                 k.pub[0] ? "secret-key" : "public-key",
                 ini ? "[curve]" : "curve");
        goto out;
    }
    memcpy(pub, k.pub, CL_Z85_KEY_SZ);
    if (sec)
        memcpy(sec, k.sec, CL_Z85_KEY_SZ);
    rc = CL_OK;
out:
    sodium_memzero(&k, sizeof(k));
    sodium_memzero(text, sizeof(text));
    fclose(f);
    return rc;
}

static int s_write(const char *path, mode_t mode, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EEXIST ? CL_ERR_EXISTS : CL_ERR_IO;
    size_t n = strlen(text);
    int rc =
        write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 ? CL_OK : CL_ERR_IO;
    close(fd);
    return rc;
}

void cl_keyfile_paths(cl_keyfile_format fmt, const char *base, char *sec_path,
                      char *pub_path, size_t cap)
{
    int n;
    if (fmt == CL_KEYFILE_ZPL) { /* zcert_save(cert, "BASE.cert") */
        n = snprintf(sec_path, cap, "%s.cert_secret", base);
        n = snprintf(pub_path, cap, "%s.cert", base);
    } else {
        n = snprintf(sec_path, cap, "%s.key", base);
        n = snprintf(pub_path, cap, "%s.pub", base);
    }
    (void)n; /* callers pass PATH_MAX-sized buffers */
}

/* The text of a key file: the secret one when sec is set. */
static void s_text(char *text, size_t cap, cl_keyfile_format fmt,
                   const char *name, const char *pubk, const char *sec)
{
    if (fmt == CL_KEYFILE_ZPL)
        snprintf(text, cap,
                 "#   ZeroMQ CURVE %s Certificate (ZPL, as CZMQ's zcert "
                 "writes it)\n"
                 "#   %s\n\n"
                 "metadata\n    name = \"%s\"\n"
                 "curve\n    public-key = \"%s\"\n%s%s%s",
                 sec ? "**Secret**" : "Public",
                 sec ? "DO NOT PROVIDE THIS FILE TO OTHER USERS nor change "
                       "its permissions."
                     : "Exchange securely, or use a secure mechanism to "
                       "verify the contents of this file after exchange.",
                 name, pubk, sec ? "    secret-key = \"" : "", sec ? sec : "",
                 sec ? "\"\n" : "");
    else
        snprintf(
            text, cap, "# caselink CURVE %s.\n[curve]\npublic-key = %s\n%s%s%s",
            sec ? "key pair. Secret: keep this file mode 0600"
                : "public key: register it with the daemon",
            pubk, sec ? "secret-key = " : "", sec ? sec : "", sec ? "\n" : "");
}

int cl_keyfile_generate_as(const char *base, cl_keyfile_format fmt, char *pub)
{
    char sec[CL_Z85_KEY_SZ], pubk[CL_Z85_KEY_SZ], spath[4096], ppath[4096],
        text[512];
    int rc;
    const char *name = strrchr(base, '/') ? strrchr(base, '/') + 1 : base;
    if (zmq_curve_keypair(pubk, sec) != 0)
        return CL_ERR_INTERNAL;
    cl_keyfile_paths(fmt, base, spath, ppath, sizeof(spath));
    s_text(text, sizeof(text), fmt, name, pubk, sec);
    rc = s_write(spath, 0600, text);
    sodium_memzero(text, sizeof(text));
    sodium_memzero(sec, sizeof(sec));
    if (rc != CL_OK)
        return rc;
    s_text(text, sizeof(text), fmt, name, pubk, NULL);
    rc = s_write(ppath, 0644, text);
    if (rc == CL_OK && pub)
        memcpy(pub, pubk, CL_Z85_KEY_SZ);
    return rc;
}

int cl_keyfile_generate(const char *base, char *pub)
{
    return cl_keyfile_generate_as(base, CL_KEYFILE_INI, pub);
}
