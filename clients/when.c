/*
 * when: typed dates and times (ISO or UK form) to what the wire carries,
 * and what the wire carries to what a person reads (see when.h). Calendar
 * arithmetic is done here (days from the civil date), not with the C
 * library's time zone, so output is the same on every machine.
 */
#include "when.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cl_model.h"

static const char *const s_mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t s_days(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void s_civil(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static unsigned s_month_days(int y, unsigned m)
{
    static const unsigned n[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

/* 01:00 UTC on the last Sunday of month m of year y. */
static int64_t s_last_sunday_1am(int y, unsigned m)
{
    unsigned last = s_month_days(y, m);
    int64_t days = s_days(y, m, last);
    int64_t wd = (days + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
    if (wd < 0)
        wd += 7;
    return (days - wd) * 86400 + 3600;
}

bool cl_when_bst(int64_t t)
{
    int y;
    unsigned m, d;
    s_civil(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &m, &d);
    return t >= s_last_sunday_1am(y, 3) && t < s_last_sunday_1am(y, 10);
}

/* London wall-clock seconds (as if UTC) to UTC: the first of two in the
 * autumn hour that happens twice. */
static int64_t s_from_london(int64_t wall)
{
    if (cl_when_bst(wall - 3600))
        return wall - 3600;
    return cl_when_bst(wall) ? wall - 3600 : wall;
}

static const char *s_skip(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* Up to max digits; -1 if none. */
static int s_num(const char **pp, int max, int *ndig)
{
    const char *p = *pp;
    int v = 0, n = 0;
    while (n < max && isdigit((unsigned char)*p)) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    *ndig = n;
    if (!n)
        return -1;
    *pp = p;
    return v;
}

static int s_month_name(const char **pp)
{
    const char *p = *pp;
    size_t n = 0;
    while (isalpha((unsigned char)p[n]))
        n++;
    if (n < 3)
        return -1;
    static const char *const full[] = {
        "january", "february", "march",     "april",   "may",      "june",
        "july",    "august",   "september", "october", "november", "december"};
    for (int i = 0; i < 12; i++)
        if ((n == 3 && !strncasecmp(p, s_mon[i], 3)) ||
            (n == strlen(full[i]) && !strncasecmp(p, full[i], n)) ||
            (n == 4 && i == 8 && !strncasecmp(p, "sept", 4))) {
            *pp = p + n;
            return i + 1;
        }
    return -1;
}

/* The date part at *pp: y, m, d. False if it is not one of the forms. */
static bool s_date_part(const char **pp, int *y, int *m, int *d)
{
    const char *p = s_skip(*pp);
    int n1, n2, n3;
    int a = s_num(&p, 4, &n1);
    if (a < 0)
        return false;
    if (n1 == 4 && *p == '-') { /* ISO */
        p++;
        *y = a;
        if ((*m = s_num(&p, 2, &n2)) < 0 || *p++ != '-' ||
            (*d = s_num(&p, 2, &n3)) < 0)
            return false;
    } else if (n1 <= 2 && (*p == '/' || *p == '-' || *p == '.')) {
        char sep = *p++; /* UK: day first, the year in full */
        *d = a;
        if ((*m = s_num(&p, 2, &n2)) < 0 || *p++ != sep)
            return false;
        if ((*y = s_num(&p, 4, &n3)) < 0 || n3 != 4)
            return false;
    } else if (n1 <= 2 && *p == ' ') { /* 24 Dec 1980 */
        *d = a;
        p = s_skip(p);
        if ((*m = s_month_name(&p)) < 0)
            return false;
        p = s_skip(p);
        if ((*y = s_num(&p, 4, &n3)) < 0 || n3 != 4)
            return false;
    } else {
        return false;
    }
    *pp = p;
    return true;
}

static bool s_valid(int y, int m, int d)
{
    return y >= 1880 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 &&
           (unsigned)d <= s_month_days(y, (unsigned)m);
}

bool cl_when_date(char out[11], const char *in, const char *what, char *err,
                  size_t err_len)
{
    int y, m, d;
    const char *p = in;
    if (s_date_part(&p, &y, &m, &d) && !*s_skip(p) && s_valid(y, m, d)) {
        snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u,
                 (unsigned)m % 100u, (unsigned)d % 100u);
        return true;
    }
    snprintf(err, err_len,
             "%s%s'%.40s' is not a date; write it as 24/12/1980, "
             "24 Dec 1980 or 1980-12-24",
             what, what[0] ? ": " : "", in);
    return false;
}

bool cl_when_month(char out[8], const char *in, const char *what, char *err,
                   size_t err_len)
{
    const char *p = s_skip(in);
    int n1, n2, y = -1, m = -1;
    int a = s_num(&p, 4, &n1);
    if (a >= 0 && n1 == 4 && *p == '-') {
        p++;
        y = a;
        m = s_num(&p, 2, &n2);
    } else if (a >= 0 && n1 <= 2 && (*p == '/' || *p == '-')) {
        p++;
        m = a;
        y = s_num(&p, 4, &n2);
        if (n2 != 4)
            y = -1;
    } else if (a < 0 && (m = s_month_name(&p)) > 0) {
        p = s_skip(p);
        y = s_num(&p, 4, &n2);
        if (n2 != 4)
            y = -1;
    }
    if (y >= 1880 && y <= 2200 && m >= 1 && m <= 12 && !*s_skip(p)) {
        snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
        return true;
    }
    snprintf(err, err_len,
             "%s: '%.40s' is not a month; write it as 12/2026, Dec 2026 or "
             "2026-12",
             what, in);
    return false;
}

bool cl_when_time(int64_t *out, const char *in, const char *what, char *err,
                  size_t err_len)
{
    const char *p = s_skip(in);
    int y, m, d, hh = 0, mm = 0, ss = 0, n;
    if (*p && strspn(p, "0123456789") == strlen(p) && strlen(p) != 8) {
        *out = strtoll(p, NULL, 10); /* unix seconds */
        return true;
    }
    if (!s_date_part(&p, &y, &m, &d) || !s_valid(y, m, d))
        goto bad;
    bool zone = false;
    int64_t offset = 0;
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1])) ||
        (*p == ',' && p[1] == ' ')) {
        p += *p == ',' ? 2 : 1;
        if ((hh = s_num(&p, 2, &n)) < 0 || *p++ != ':' ||
            (mm = s_num(&p, 2, &n)) < 0 || n != 2)
            goto bad;
        if (*p == ':' && ((p++, ss = s_num(&p, 2, &n)) < 0 || n != 2))
            goto bad;
        if (*p == '.') /* fractions of a second are dropped */
            for (p++; isdigit((unsigned char)*p); p++)
                ;
        if (hh > 23 || mm > 59 || ss > 60)
            goto bad;
        p = s_skip(p);
        if (*p == 'Z' || *p == 'z') {
            zone = true;
            p++;
        } else if (!strncasecmp(p, "UTC", 3) || !strncasecmp(p, "GMT", 3)) {
            zone = true;
            p += 3;
        } else if (!strncasecmp(p, "BST", 3)) {
            zone = true;
            offset = 3600;
            p += 3;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if ((oh = s_num(&p, 2, &n)) < 0 || n != 2)
                goto bad;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) &&
                ((om = s_num(&p, 2, &n)) < 0 || n != 2))
                goto bad;
            if (oh > 14 || om > 59)
                goto bad;
            zone = true;
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (*s_skip(p))
        goto bad;
    int64_t wall =
        s_days(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
    *out = zone ? wall - offset : s_from_london(wall);
    return true;
bad:
    snprintf(err, err_len,
             "%s: '%.40s' is not a date or time; write 24/12/2026 14:05 "
             "(London time), 2026-12-24T14:05Z or 2026-12-24T14:05+01:00",
             what, in);
    return false;
}

void cl_when_show_date(char out[CL_WHEN_SHOW_SZ], const char *iso_date,
                       bool iso)
{
    if (!iso_date || !iso_date[0]) {
        snprintf(out, CL_WHEN_SHOW_SZ, "%s", iso ? "" : "not given");
        return;
    }
    if (iso || !cl_date_valid(iso_date)) {
        snprintf(out, CL_WHEN_SHOW_SZ, "%s", iso_date);
        return;
    }
    snprintf(out, CL_WHEN_SHOW_SZ, "%d %s %.4s", atoi(iso_date + 8),
             s_mon[atoi(iso_date + 5) - 1], iso_date);
}

void cl_when_show_month(char out[CL_WHEN_SHOW_SZ], const char *ym, bool iso)
{
    int m = strlen(ym) == 7 ? atoi(ym + 5) : 0;
    if (iso || m < 1 || m > 12)
        snprintf(out, CL_WHEN_SHOW_SZ, "%s", ym);
    else
        snprintf(out, CL_WHEN_SHOW_SZ, "%s %.4s", s_mon[m - 1], ym);
}

static void s_split(int64_t t, int *y, unsigned *m, unsigned *d, int *hh,
                    int *mm)
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t sec = t - days * 86400;
    s_civil(days, y, m, d);
    *hh = (int)(sec / 3600);
    *mm = (int)(sec % 3600 / 60);
}

void cl_when_show_time(char out[CL_WHEN_SHOW_SZ], int64_t t, bool iso)
{
    int y, hh, mm;
    unsigned m, d;
    if (t <= 0) {
        snprintf(out, CL_WHEN_SHOW_SZ, "%s", iso ? "" : "not given");
        return;
    }
    if (iso) {
        s_split(t, &y, &m, &d, &hh, &mm);
        snprintf(out, CL_WHEN_SHOW_SZ, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m,
                 d, hh, mm, (int)(t % 60));
        return;
    }
    bool bst = cl_when_bst(t);
    s_split(t + (bst ? 3600 : 0), &y, &m, &d, &hh, &mm);
    snprintf(out, CL_WHEN_SHOW_SZ, "%u %s %d %02d:%02d %s", d, s_mon[m - 1], y,
             hh, mm, bst ? "BST" : "GMT");
}

void cl_when_show_day(char out[CL_WHEN_SHOW_SZ], int64_t t, bool iso)
{
    int y, hh, mm;
    unsigned m, d;
    if (t <= 0) {
        snprintf(out, CL_WHEN_SHOW_SZ, "%s", iso ? "" : "not given");
        return;
    }
    s_split(iso ? t : t + (cl_when_bst(t) ? 3600 : 0), &y, &m, &d, &hh, &mm);
    if (iso)
        snprintf(out, CL_WHEN_SHOW_SZ, "%04d-%02u-%02u", y, m, d);
    else
        snprintf(out, CL_WHEN_SHOW_SZ, "%u %s %d", d, s_mon[m - 1], y);
}
