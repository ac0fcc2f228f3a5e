/* INCRBYFLOAT's arithmetic exactly as Redis does it: the operands parsed with
 * strtold (Redis's string2ld), added in long double (x87 80-bit extended on
 * x86-64), the sum printed with "%.17Lf" (Redis's ld2string in LD_STR_HUMAN mode,
 * which then trims trailing zeros in Rust). A software float would have to
 * reproduce glibc's correctly rounded strtold and printf digit by digit; the C
 * library already does. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's MAX_LONG_DOUBLE_CHARS. */
#define LD_CHARS (5 * 1024)

/* string2ld: 1 if s[0..len) is a whole long double, not NaN, not out of range. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[LD_CHARS];
    char *end;
    long double value;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    value = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end[0] != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;
    *out = value;
    return 1;
}

/* Adds increment to current (an absent current is 0) and prints the sum into
 * out (cap bytes). Returns the printed length, or -1 when current is not a
 * float, -2 when increment is not, -3 when the sum is NaN or infinite, -4 when
 * out is too small. */
int ferrum_ld_add(const char *current, size_t current_len, int has_current, const char *increment,
                  size_t increment_len, char *out, size_t cap) {
    long double value = 0, incr;
    int len;
    if (has_current && !parse_ld(current, current_len, &value)) return -1;
    if (!parse_ld(increment, increment_len, &incr)) return -2;
    value += incr;
    if (isnan(value) || isinf(value)) return -3;
    len = snprintf(out, cap, "%.17Lf", value);
    if (len < 0 || (size_t)len + 1 > cap) return -4;
    return len;
}

/* getTimeoutFromObjectOrReply in seconds: the text parsed as string2ld does, then
 * (long long) ceill(value * 1000.0). Returns 0 and sets *ms, or -1 when the text is
 * not a float. A product outside long long converts as x86-64 converts it, to
 * LLONG_MIN (which Redis then refuses as negative). */
int ferrum_timeout_ms(const char *s, size_t len, long long *ms) {
    long double value, scaled;
    if (!parse_ld(s, len, &value)) return -1;
    scaled = ceill(value * 1000.0L);
    if (!(scaled >= -9223372036854775808.0L && scaled < 9223372036854775808.0L)) {
        *ms = (-9223372036854775807LL - 1);
    } else {
        *ms = (long long)scaled;
    }
    return 0;
}
