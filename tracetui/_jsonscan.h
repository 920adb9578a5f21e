/* A strict subset of JSON, scanned without building it: what the C
 * accelerators (`_fastfold.c`, `_fastindex.c`) accept of a trace line.
 *
 * Why a subset: a line accepted here must be one orjson reads, and read
 * the same way (ASCII, no raw control characters, no lone surrogate
 * escapes, no exponents, no deep nesting, single spaces as the only
 * whitespace, the keys that matter plain and once). Anything else, or any
 * doubt, is left to Python, which reads the line in full. Included by
 * both modules (static functions: each has its own copy). */

#ifndef TRACETUI_JSONSCAN_H
#define TRACETUI_JSONSCAN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Nesting deeper than this is left to Python (orjson allows 1024). */
#define MAX_DEPTH 32
/* Numbers longer than this are left to Python (Python's int parser
 * refuses more than 4300 digits; a float this long is no writer's). */
#define MAX_NUMBER 40

enum { V_STR = 1, V_INT, V_FLOAT, V_OTHER };

enum {
    K_MESSAGE, K_TIMESTAMP, K_LEVEL, K_ACTION, K_EVENT, K_TRACE_ID, K_DETAIL,
    K_ERROR, K_ERROR_TYPE, K_STACKTRACE, K_DURATION, K_START_TIME,
    /* A record's sample (`_fastindex` only: the fold reads none of them). */
    K_TASK, K_SAMPLE_ID, K_EPOCH, K_COUNT
};

typedef struct {
    int kind;          /* V_STR, V_INT, V_FLOAT or V_OTHER (`scan_line` says which keys were found) */
    int escaped;       /* a string holding a backslash escape */
    const char *start; /* a string's characters (inside the quotes), or a number's */
    Py_ssize_t len;
} Value;

static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_value(unsigned char c) {
    if (c <= '9') return c - '0';
    if (c >= 'a') return c - 'a' + 10;
    return c - 'A' + 10;
}

/* Bytes a string's scan must stop at: its quote, an escape, a control
 * character, a non-ASCII byte (set up by `init_special`). */
static unsigned char SPECIAL[256];

static void init_special(void) {
    int c;
    for (c = 0; c < 256; c++) SPECIAL[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Does any byte of `word` need a look: a quote, a backslash, a control
 * character or a non-ASCII byte? (SWAR: a byte is zero in `x ^ c` where it
 * equals c; `x - n` borrows into the high bit where a byte is below n.) */
static inline uint64_t special_bytes(uint64_t word) {
    uint64_t quote = word ^ (ONES * '"');
    uint64_t slash = word ^ (ONES * '\\');
    uint64_t zero_quote = (quote - ONES) & ~quote;
    uint64_t zero_slash = (slash - ONES) & ~slash;
    uint64_t control = word - ONES * 0x20;
    return (zero_quote | zero_slash | control | word) & HIGHS;
}

/* Where the bits of `special_bytes` say the first special byte is: a
 * borrow can only mark a byte above a truly special one, so the lowest
 * mark is exact. In memory order only where the word was loaded
 * little-endian; elsewhere the bytes are looked at one by one. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_SPECIAL(marks) ((Py_ssize_t)(__builtin_ctzll(marks) >> 3))
#else
#define FIRST_SPECIAL(marks) ((Py_ssize_t)0)
#endif

#if defined(__SSE2__) && defined(__GNUC__)
#define SCAN16 1
#include <emmintrin.h>
/* `special_bytes` for sixteen bytes, one bit a byte in memory order. A
 * signed compare below 0x20 also takes every byte of 0x80 and above (they
 * are negative), so three compares cover the four kinds. x86-64 always
 * has SSE2; elsewhere the eight-byte words do it. */
static inline int special_mask16(const unsigned char *s) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)s);
    __m128i quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"'));
    __m128i slash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'));
    __m128i low = _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20));
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, slash), low));
}
#endif

/* A string from the opening quote at *p; on success *p is past the closing
 * quote. Returns 0 on anything left to Python. */
static int scan_string(const unsigned char **p, const unsigned char *end, Value *out) {
    const unsigned char *s = *p + 1;
    const unsigned char *start = s;
    int escaped = 0;
    while (s < end) {
        unsigned char c;
        /* Sixteen or eight bytes at a time while none is special (most of
         * a line is its message and detail), then byte by byte. */
#ifdef SCAN16
        {
            int marks = 0;
            while (end - s >= 16 && !(marks = special_mask16(s))) s += 16;
            if (marks) {
                s += __builtin_ctz((unsigned)marks);
                goto found;
            }
        }
#endif
        while (end - s >= 8) {
            uint64_t word, marks;
            memcpy(&word, s, 8);
            marks = special_bytes(word);
            if (marks) {
                s += FIRST_SPECIAL(marks);
                break;
            }
            s += 8;
        }
        while (s < end && !SPECIAL[*s]) s++;
#ifdef SCAN16
    found:
#endif
        if (s >= end) return 0;
        c = *s;
        if (c == '"') {
            if (out) {
                out->kind = V_STR;
                out->escaped = escaped;
                out->start = (const char *)start;
                out->len = s - start;
            }
            *p = s + 1;
            return 1;
        }
        if (c != '\\') return 0; /* a control character or a non-ASCII byte */
        escaped = 1;
        if (s + 1 >= end) return 0;
        c = s[1];
        if (c == 'u') {
            int code;
            if (s + 5 >= end || !is_hex(s[2]) || !is_hex(s[3]) || !is_hex(s[4]) || !is_hex(s[5]))
                return 0;
            code = (hex_value(s[2]) << 12) | (hex_value(s[3]) << 8) | (hex_value(s[4]) << 4) | hex_value(s[5]);
            if (code >= 0xD800 && code <= 0xDFFF) return 0; /* a surrogate: orjson and json differ */
            s += 6;
            continue;
        }
        if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' && c != 'r' && c != 't')
            return 0;
        s += 2;
    }
    return 0;
}

/* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?, no exponent. */
static int scan_number(const unsigned char **p, const unsigned char *end, int *kind) {
    const unsigned char *s = *p;
    const unsigned char *start = s;
    *kind = V_INT;
    if (s < end && *s == '-') s++;
    if (s >= end) return 0;
    if (*s == '0') {
        s++;
    } else if (*s >= '1' && *s <= '9') {
        while (s < end && *s >= '0' && *s <= '9') s++;
    } else {
        return 0;
    }
    if (s < end && *s == '.') {
        s++;
        if (s >= end || *s < '0' || *s > '9') return 0;
        while (s < end && *s >= '0' && *s <= '9') s++;
        *kind = V_FLOAT;
    }
    if (s < end && (*s == 'e' || *s == 'E')) return 0;
    if (s - start > MAX_NUMBER) return 0;
    *p = s;
    return 1;
}

static void skip_spaces(const unsigned char **p, const unsigned char *end) {
    while (*p < end && **p == ' ') (*p)++;
}

static int scan_value(const unsigned char **p, const unsigned char *end, int depth, Value *out);

/* A member's key and its colon, spaces around; `key` may be NULL. */
static int scan_key(const unsigned char **p, const unsigned char *end, Value *key) {
    if (*p >= end || **p != '"' || !scan_string(p, end, key)) return 0;
    skip_spaces(p, end);
    if (*p >= end || **p != ':') return 0;
    (*p)++;
    skip_spaces(p, end);
    return 1;
}

enum { SEP_BAD, SEP_MORE, SEP_CLOSED };

/* After a member or an item: a comma (more follow) or the closing bracket
 * (*p then past it). */
static int scan_separator(const unsigned char **p, const unsigned char *end, unsigned char close) {
    skip_spaces(p, end);
    if (*p >= end) return SEP_BAD;
    if (**p == ',') {
        (*p)++;
        skip_spaces(p, end);
        return SEP_MORE;
    }
    if (**p == close) {
        (*p)++;
        return SEP_CLOSED;
    }
    return SEP_BAD;
}

/* An object or array from its opening bracket (its contents not kept). */
static int scan_container(const unsigned char **p, const unsigned char *end, int depth) {
    const unsigned char *s = *p;
    int object = *s == '{';
    unsigned char close = object ? '}' : ']';
    if (depth > MAX_DEPTH) return 0;
    s++;
    skip_spaces(&s, end);
    if (s < end && *s == close) {
        *p = s + 1;
        return 1;
    }
    for (;;) {
        int sep;
        if (object && !scan_key(&s, end, NULL)) return 0;
        if (!scan_value(&s, end, depth + 1, NULL)) return 0;
        sep = scan_separator(&s, end, close);
        if (sep == SEP_CLOSED) {
            *p = s;
            return 1;
        }
        if (sep == SEP_BAD) return 0;
    }
}

static int scan_literal(const unsigned char **p, const unsigned char *end, const char *word, Py_ssize_t len) {
    if (end - *p < len || memcmp(*p, word, len) != 0) return 0;
    *p += len;
    return 1;
}

static int scan_value(const unsigned char **p, const unsigned char *end, int depth, Value *out) {
    unsigned char c;
    int kind = V_OTHER;
    if (*p >= end) return 0;
    c = **p;
    if (c == '"') return scan_string(p, end, out);
    if (c == '-' || (c >= '0' && c <= '9')) {
        const unsigned char *start = *p;
        if (!scan_number(p, end, &kind)) return 0;
        if (out) {
            /* Its digits, for a number made a Python object (`_fastindex`). */
            out->kind = kind;
            out->escaped = 0;
            out->start = (const char *)start;
            out->len = *p - start;
        }
        return 1;
    } else if (c == '{' || c == '[') {
        if (!scan_container(p, end, depth)) return 0;
    } else if (c == 't') {
        if (!scan_literal(p, end, "true", 4)) return 0;
    } else if (c == 'f') {
        if (!scan_literal(p, end, "false", 5)) return 0;
    } else if (c == 'n') {
        if (!scan_literal(p, end, "null", 4)) return 0;
    } else {
        return 0;
    }
    if (out) {
        out->kind = kind;
        out->escaped = 0;
        out->start = NULL;
        out->len = 0;
    }
    return 1;
}

#define KEY_IS(name, len, word) (memcmp((name), (word), (len)) == 0)

/* Which key that matters `name` is, or -1: by its length first (most keys
 * are none of these), then a compare of that length. */
static int key_index(const unsigned char *name, Py_ssize_t len) {
    switch (len) {
    case 4:
        return KEY_IS(name, 4, "task") ? K_TASK : -1;
    case 5:
        if (KEY_IS(name, 5, "level")) return K_LEVEL;
        if (KEY_IS(name, 5, "event")) return K_EVENT;
        if (KEY_IS(name, 5, "error")) return K_ERROR;
        if (KEY_IS(name, 5, "epoch")) return K_EPOCH;
        return -1;
    case 6:
        if (KEY_IS(name, 6, "action")) return K_ACTION;
        if (KEY_IS(name, 6, "detail")) return K_DETAIL;
        return -1;
    case 7:
        return KEY_IS(name, 7, "message") ? K_MESSAGE : -1;
    case 8:
        if (KEY_IS(name, 8, "trace_id")) return K_TRACE_ID;
        if (KEY_IS(name, 8, "duration")) return K_DURATION;
        return -1;
    case 9:
        if (KEY_IS(name, 9, "timestamp")) return K_TIMESTAMP;
        if (KEY_IS(name, 9, "sample_id")) return K_SAMPLE_ID;
        return -1;
    case 10:
        if (KEY_IS(name, 10, "start_time")) return K_START_TIME;
        if (KEY_IS(name, 10, "error_type")) return K_ERROR_TYPE;
        if (KEY_IS(name, 10, "stacktrace")) return K_STACKTRACE;
        return -1;
    default:
        return -1;
    }
}

/* The top-level keys that matter of a line that is a JSON object, from `s`
 * to the next newline (or `end`), where `*eol` is then set; 0 if it is not
 * certainly one (or a key that matters is escaped or repeated). Which keys
 * were found is `*found` (a bit per key): `values` holds only those (no
 * clearing of every entry a line). No newline can be crossed: a raw one is
 * a control character inside a string, and no whitespace but a space is
 * taken between tokens. */
static int scan_line(const unsigned char *s, const unsigned char *end, Value *values, unsigned *found,
                     const unsigned char **eol) {
    Value key;
    *found = 0;
    if (s >= end || *s != '{') return 0;
    s++;
    skip_spaces(&s, end);
    if (s < end && *s == '}') return 0; /* no message: Python says why */
    for (;;) {
        Value value;
        int index, sep;
        if (!scan_key(&s, end, &key) || !scan_value(&s, end, 1, &value)) return 0;
        if (key.escaped) {
            /* An escaped key may spell one that matters ("\u0061ction"). */
            return 0;
        }
        index = key_index((const unsigned char *)key.start, key.len);
        if (index >= 0) {
            if (*found & (1u << index)) return 0; /* repeated: which one wins is Python's to say */
            *found |= 1u << index;
            values[index] = value;
        }
        sep = scan_separator(&s, end, '}');
        if (sep == SEP_CLOSED) {
            /* A CRLF's CR ends the line as its LF does (Inspect reads text
             * mode); a CR anywhere else starts a line there: Python's to split. */
            if (s < end && *s == '\r') s++;
            if (s == end || *s == '\n') {
                *eol = s;
                return 1;
            }
            return 0;
        }
        if (sep == SEP_BAD) return 0;
    }
}

static int plain_string(const Value *v) {
    return v->kind == V_STR && !v->escaped;
}

static int is_word(const Value *v, const char *word, Py_ssize_t len) {
    return plain_string(v) && v->len == len && memcmp(v->start, word, len) == 0;
}

#endif
