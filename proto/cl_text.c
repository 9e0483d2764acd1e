/*
 * cl_text: the characters of a person's text that print as nothing or
 * as a space, by table (cl_text.h).
 */
#include "cl_text.h"

#include <stdint.h>
#include <string.h>

typedef enum { S_KEEP, S_SPACE, S_DROP, S_MARK } s_kind;

/* Code points by range, sorted: S_SPACE prints as a space, S_DROP as
 * nothing (format characters, fillers), S_MARK combines with the one
 * before (kept, but alone it is nothing visible). */
static const struct {
    uint32_t lo, hi;
    uint8_t kind;
} s_ranges[] = {
    {0x00A0, 0x00A0, S_SPACE},  {0x00AD, 0x00AD, S_DROP},
    {0x0300, 0x034E, S_MARK},   {0x034F, 0x034F, S_DROP},
    {0x0350, 0x036F, S_MARK},   {0x061C, 0x061C, S_DROP},
    {0x115F, 0x1160, S_DROP},   {0x1680, 0x1680, S_SPACE},
    {0x17B4, 0x17B5, S_DROP},   {0x180B, 0x180E, S_DROP},
    {0x1AB0, 0x1AFF, S_MARK},   {0x1DC0, 0x1DFF, S_MARK},
    {0x2000, 0x200A, S_SPACE},  {0x200B, 0x200F, S_DROP},
    {0x2028, 0x2029, S_SPACE},  {0x202A, 0x202E, S_DROP},
    {0x202F, 0x202F, S_SPACE},  {0x205F, 0x205F, S_SPACE},
    {0x2060, 0x206F, S_DROP},   {0x20D0, 0x20FF, S_MARK},
    {0x2800, 0x2800, S_DROP},   {0x3000, 0x3000, S_SPACE},
    {0x3164, 0x3164, S_DROP},   {0xFE00, 0xFE0F, S_DROP},
    {0xFE20, 0xFE2F, S_MARK},   {0xFEFF, 0xFEFF, S_DROP},
    {0xFFA0, 0xFFA0, S_DROP},   {0xFFF9, 0xFFFB, S_DROP},
    {0xE0000, 0xE007F, S_DROP}, {0xE0100, 0xE01EF, S_DROP},
};

/* The code point at s (its bytes in *len; a byte that starts none is
 * one code point of its own, kept). */
static uint32_t s_cp(const unsigned char *s, size_t *len)
{
    static const struct {
        unsigned char mask, lead;
        size_t n;
    } forms[] = {{0xE0, 0xC0, 2}, {0xF0, 0xE0, 3}, {0xF8, 0xF0, 4}};
    *len = 1;
    if (s[0] < 0x80)
        return s[0];
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        if ((s[0] & forms[f].mask) != forms[f].lead)
            continue;
        uint32_t cp = s[0] & (unsigned char)~forms[f].mask;
        for (size_t i = 1; i < forms[f].n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0xFFFD; /* broken: one byte, kept */
            cp = cp << 6 | (s[i] & 0x3F);
        }
        *len = forms[f].n;
        return cp;
    }
    return 0xFFFD;
}

static s_kind s_kind_of(uint32_t cp)
{
    if (cp == ' ' || cp == '\t')
        return S_SPACE;
    for (size_t i = 0; i < sizeof(s_ranges) / sizeof(s_ranges[0]); i++)
        if (cp >= s_ranges[i].lo && cp <= s_ranges[i].hi)
            return (s_kind)s_ranges[i].kind;
    return S_KEEP;
}

static bool s_control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp < 0xA0);
}

bool cl_text_has_control(const char *v)
{
    size_t len;
    for (size_t i = 0; v[i]; i += len)
        if (s_control(s_cp((const unsigned char *)v + i, &len)))
            return true;
    return false;
}

cl_text_rc cl_text_clean(char *v, bool *removed)
{
    size_t o = 0, len;
    bool visible = false;
    if (cl_text_has_control(v))
        return CL_TEXT_CONTROL;
    for (size_t i = 0; v[i]; i += len) {
        s_kind k = s_kind_of(s_cp((const unsigned char *)v + i, &len));
        if (k == S_DROP) {
            *removed = true;
            continue;
        }
        if (k == S_SPACE) {
            if (o && v[o - 1] != ' ')
                v[o++] = ' ';
            continue;
        }
        visible |= k == S_KEEP;
        memmove(v + o, v + i, len);
        o += len;
    }
    while (o && v[o - 1] == ' ')
        o--;
    v[visible ? o : 0] = '\0';
    return CL_TEXT_OK;
}

cl_text_rc cl_text_id_check(const char *v)
{
    size_t len;
    bool visible = false;
    for (size_t i = 0; v[i]; i += len) {
        uint32_t cp = s_cp((const unsigned char *)v + i, &len);
        if (s_control(cp))
            return CL_TEXT_CONTROL;
        s_kind k = s_kind_of(cp);
        if (k == S_DROP || (k == S_SPACE && cp != ' '))
            return CL_TEXT_HIDDEN;
        visible |= k != S_SPACE;
    }
    return v[0] && !visible ? CL_TEXT_BLANK : CL_TEXT_OK;
}

bool cl_text_printable(const char *s)
{
    size_t len;
    for (size_t i = 0; s[i]; i += len) {
        uint32_t cp = s_cp((const unsigned char *)s + i, &len);
        if (s_control(cp) || cp == '\t' || s_kind_of(cp) == S_DROP)
            return false;
    }
    return true;
}
