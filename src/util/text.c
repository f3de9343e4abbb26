/* text.c — display widths of UTF-8 text and word wrapping to a terminal's width, so the
 * text output of every command fits SL_TEXT_COLS columns (see include/sleuth/text.h). */
#include "sleuth/text.h"

#include <string.h>

size_t sl_text_width_n(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n && s[i]; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80) w++;
    return w;
}

size_t sl_text_width(const char *s) { return sl_text_width_n(s, strlen(s)); }

/* Bytes of the longest prefix of s[0..n) that takes at most cols columns, cut before a
 * character (never inside one); at least one character, so a cut always advances. */
static size_t fit_bytes(const char *s, size_t n, size_t cols)
{
    size_t i = 0, w = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && ((unsigned char)s[j] & 0xc0) == 0x80) j++;
        if (w + 1 > cols && i > 0) break;
        w++;
        i = j;
    }
    return i;
}

static int spaces(sl_buf *b, size_t n)
{
    static const char sp[] = "                                                                ";
    while (n) {
        size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
        if (sl_buf_append(b, sp, k)) return SL_ENOMEM;
        n -= k;
    }
    return SL_OK;
}

/* Appends n bytes of a word, SL_TEXT_NBSP written as the space it stands for. */
static int word(sl_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = i;
        while (k < n && s[k] != SL_TEXT_NBSP[0]) k++;
        if (sl_buf_append(b, s + i, k - i) || (k < n && sl_buf_append(b, " ", 1))) return SL_ENOMEM;
        i = k + 1;
    }
    return SL_OK;
}

static int newline(sl_buf *b, size_t hang)
{
    return sl_buf_append(b, "\n", 1) || spaces(b, hang) ? SL_ENOMEM : SL_OK;
}

int sl_buf_wrap(sl_buf *b, const char *prefix, size_t hang, const char *text, size_t cols)
{
    size_t col, i = 0, n = strlen(text);
    bool fresh = true, first = true; /* no word on this line yet; still on the first line */
    if (!cols) cols = SL_TEXT_COLS;
    if (hang >= cols) hang = cols / 2;
    if (sl_buf_append(b, prefix, strlen(prefix))) return SL_ENOMEM;
    col = sl_text_width(prefix);
    while (i < n) {
        size_t gap = i, j, w;
        while (i < n && text[i] == ' ') i++;
        gap = i - gap;
        if (i == n) break;
        if (text[i] == '\n') {
            if (newline(b, hang)) return SL_ENOMEM;
            col = hang, fresh = true, first = false, i++;
            continue;
        }
        for (j = i; j < n && text[j] != ' ' && text[j] != '\n'; j++) {}
        w = sl_text_width_n(text + i, j - i);
        if (fresh && !first) gap = 0; /* the hang replaces the spaces of a break */
        if (!fresh && col + gap + w > cols) {
            if (newline(b, hang)) return SL_ENOMEM;
            col = hang, fresh = true, gap = 0;
        }
        if (spaces(b, gap)) return SL_ENOMEM;
        col += gap;
        /* a word wider than what is left of a fresh line is cut hard, line by line */
        while (col + w > cols) {
            size_t k = col < cols ? fit_bytes(text + i, j - i, cols - col) : 0;
            if ((k && word(b, text + i, k)) || newline(b, hang)) return SL_ENOMEM;
            w -= sl_text_width_n(text + i, k);
            i += k;
            col = hang;
        }
        if (word(b, text + i, j - i)) return SL_ENOMEM;
        col += w, fresh = false, i = j;
    }
    return sl_buf_append(b, "\n", 1);
}
