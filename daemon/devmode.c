/*
 * devmode: see devmode.h. Writes only inside the folder it is given.
 */
#include "devmode.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl_model.h"
#include "keyfile.h"
#include "store.h"

/* Each demo client and the person its system acts for: written to
 * keys/NAME.user (read by the CLI under --dev and by the test harness);
 * users lists the ids the registry permits (NULL: any named user). */
static const struct {
    const char *name, *agency, *kind, *roles, *extra;
    const char *user_id, *user_name, *user_role, *users;
} s_demo[] = {
    {"gp", "Oakfield Surgery", "gp", "publisher", "", "apatel",
     "Dr Anita Patel", "GP partner", NULL},
    {"police", "Northshire Police", "police", "publisher", "", "pc4471",
     "PC Sam Hughes", "Vulnerability hub officer", "pc4471, pc5102"},
    {"childrens", "Northshire Children's Services", "childrens_services",
     "publisher",
     "# a plan authority: may publish protection plans; its duty contact\n"
     "# is shown with every front-line flag of its plans\n"
     "plans = yes\n"
     "duty_name = Children's Services duty and assessment team\n"
     "duty_phone = 01632 960 000\n"
     "duty_email = cs.duty@northshire.gov.uk.cjsm.net\n"
     "duty_hours = 24 hours (out of hours: emergency duty team)\n",
     "kobrien", "Kate O'Brien", "Child protection social worker", NULL},
    {"adults", "Northshire Adult Social Care", "adult_services", "publisher",
     "", "rkhan", "Rashid Khan", "Adult safeguarding practitioner", NULL},
    {"coordinator", "Northshire Extended MDT", "mdt", "coordinator", "",
     "cjones", "Chris Jones", "Extended MDT coordinator", "cjones, amorgan"},
    {"operator", "Northshire Council ICT", "operations", "operator", "", NULL,
     NULL, NULL, NULL},
    {"auditor", "Northshire Information Governance", "governance", "auditor",
     "", "lwalker", "Lee Walker", "Information governance officer", "lwalker"},
};

static int s_mkdir(const char *path, char *err, size_t err_len)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "mkdir %s: %s", path, strerror(errno));
        return CL_ERR_IO;
    }
    return CL_OK;
}

/* Generate base.key/base.pub unless base.pub exists; read the public key. */
static int s_keypair(const char *base, char pub[CL_Z85_KEY_SZ], char *err,
                     size_t err_len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s.pub", base);
    if (access(path, F_OK) != 0) {
        int rc = cl_keyfile_generate(base, pub);
        if (rc != CL_OK)
            snprintf(err, err_len, "cannot create key %s: %s", base,
                     cl_strerror(rc));
        return rc;
    }
    return cl_keyfile_read(path, pub, NULL, err, err_len);
}

static int s_write_new(const char *path, const char *text, char *err,
                       size_t err_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return CL_OK;
        snprintf(err, err_len, "cannot create %s: %s", path, strerror(errno));
        return CL_ERR_IO;
    }
    size_t n = strlen(text);
    int rc = write(fd, text, n) == (ssize_t)n ? CL_OK : CL_ERR_IO;
    close(fd);
    if (rc != CL_OK)
        snprintf(err, err_len, "cannot write %s", path);
    return rc;
}

int cl_devmode_prepare(const char *dir0, char *config_out, size_t cap,
                       char *err, size_t err_len)
{
    char dir[PATH_MAX], path[PATH_MAX + 64], pub[CL_Z85_KEY_SZ];
    char *text = NULL;
    size_t text_cap = 32768, len = 0;
    int rc;

    if ((rc = s_mkdir(dir0, err, err_len)) != CL_OK)
        return rc;
    if (!realpath(dir0, dir)) {
        snprintf(err, err_len, "%s: %s", dir0, strerror(errno));
        return CL_ERR_IO;
    }
    snprintf(path, sizeof(path), "%s/keys", dir);
    if ((rc = s_mkdir(path, err, err_len)) != CL_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/state", dir);
    if ((rc = s_mkdir(path, err, err_len)) != CL_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/keys/server", dir);
    if ((rc = s_keypair(path, pub, err, err_len)) != CL_OK)
        return rc;

    text = malloc(text_cap);
    if (!text)
        return CL_ERR_NOMEM;
    len += (size_t)snprintf(
        text + len, text_cap - len,
        "# caselink client registry (development mode).\n"
        "# One section per client: its CURVE public key, agency, agency kind "
        "and roles.\n# Reload with SIGHUP after editing.\n");
    for (size_t i = 0; i < sizeof(s_demo) / sizeof(s_demo[0]); i++) {
        snprintf(path, sizeof(path), "%s/keys/%s", dir, s_demo[i].name);
        if ((rc = s_keypair(path, pub, err, err_len)) != CL_OK)
            goto out;
        len +=
            (size_t)snprintf(text + len, text_cap - len,
                             "\n[%s]\nkey = %s\nagency = %s\nkind = %s\n"
                             "roles = %s\n%s",
                             s_demo[i].name, pub, s_demo[i].agency,
                             s_demo[i].kind, s_demo[i].roles, s_demo[i].extra);
        if (s_demo[i].users)
            len += (size_t)snprintf(text + len, text_cap - len, "users = %s\n",
                                    s_demo[i].users);
        if (!s_demo[i].user_id)
            continue;
        char user[512];
        snprintf(path, sizeof(path), "%s/keys/%s.user", dir, s_demo[i].name);
        snprintf(user, sizeof(user),
                 "# The person the %s client acts for (caselink --dev).\n"
                 "user_id = %s\ndisplay_name = %s\nrole = %s\n",
                 s_demo[i].name, s_demo[i].user_id, s_demo[i].user_name,
                 s_demo[i].user_role);
        if ((rc = s_write_new(path, user, err, err_len)) != CL_OK)
            goto out;
    }
    snprintf(path, sizeof(path), "%s/clients.conf", dir);
    if ((rc = s_write_new(path, text, err, err_len)) != CL_OK)
        goto out;

    snprintf(path, sizeof(path), "%s/master.key", dir);
    rc = cl_store_key_generate(path);
    if (rc != CL_OK && rc != CL_ERR_EXISTS) {
        snprintf(err, err_len, "cannot create %s: %s", path, cl_strerror(rc));
        goto out;
    }

    snprintf(text, text_cap,
             "# caselinkd configuration (development mode).\n"
             "[daemon]\n"
             "endpoint = ipc://%s/caselinkd.sock\n"
             "state_directory = %s/state\n"
             "registry = %s/clients.conf\n"
             "server_key = %s/keys/server.key\n"
             "master_key = %s/master.key\n"
             "[report]\n"
             "# the names RAG ratings may use (caselink rag set "
             "--workstream)\n"
             "workstreams = High intensity users; Enhanced "
             "multi-disciplinary approaches; Building community capacity; "
             "Establishing the single frontline\n",
             dir, dir, dir, dir, dir);
    snprintf(path, sizeof(path), "%s/caselinkd.conf", dir);
    if ((rc = s_write_new(path, text, err, err_len)) != CL_OK)
        goto out;
    if (strlen(path) >= cap) {
        snprintf(err, err_len, "path too long: %s", path);
        rc = CL_ERR_INVALID;
        goto out;
    }
    cl_copy(config_out, cap, path);
    rc = CL_OK;
out:
    free(text);
    return rc;
}
