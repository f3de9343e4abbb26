/* text.h — laying out the text output for people: every line sleuth prints for a person
 * fits a terminal of SL_TEXT_COLS columns (the --json output keeps every value whole).
 * Widths count UTF-8 characters (code points), not bytes: "…" is one column. Long prose
 * (a Safe finding, a help paragraph) is word-wrapped under a hanging indent; a word wider
 * than the line (a hash in a narrow column) is cut hard rather than allowed to overflow.
 */
#ifndef SLEUTH_TEXT_H
#define SLEUTH_TEXT_H

#include <stddef.h>

#include "sleuth/util.h"

#define SL_TEXT_COLS 100
/* In text given to sl_buf_wrap: a space that never breaks ("1.5" SL_TEXT_NBSP "BTC" keeps
 * the amount with its unit), written out as an ordinary space. */
#define SL_TEXT_NBSP "\x1f"

/* Columns the first n bytes of s take: its UTF-8 characters (bytes that are not
 * continuation bytes 10xxxxxx). sl_text_width(s) is the same up to the NUL. */
size_t sl_text_width_n(const char *s, size_t n);
size_t sl_text_width(const char *s);

/* Appends text to b word-wrapped to cols columns (SL_TEXT_COLS when 0): the first line
 * starts with prefix (which may be empty and counts toward the width), each further line
 * with hang spaces. The spacing inside a line is kept as given (so a padded table row that
 * fits comes out unchanged, and one that does not moves its last fields to the next line);
 * the spaces at a break are dropped, and SL_TEXT_NBSP never breaks. A '\n' in text starts
 * a new line under the hang. Ends with a '\n'. Returns SL_OK or SL_ENOMEM. */
int sl_buf_wrap(sl_buf *b, const char *prefix, size_t hang, const char *text, size_t cols) SL_MUST_USE;

#endif
