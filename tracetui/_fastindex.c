/* The Inspect decoder's common lines, indexed without building their
 * records (`tracetui.formats.inspect`, `InspectDecoder.feed_run`).
 *
 * Why: indexing a 1M-line log took 6-7x the time orjson takes to parse
 * it. For each line orjson made a dict of ten keys to read six, and the
 * decoder's Python (`_enter`, `_close`, `_event`) ran some sixty bytecodes
 * to make or close one span, or file one log record. Here such a line is
 * checked against the strict subset of JSON of `_jsonscan.h` and applied
 * to the store at once, as Python applies it, its few values made Python
 * objects (times and durations read by `number`, a log record's ISO time
 * by `iso_seconds`) and the slots of the span, and the columns of the log,
 * written directly.
 *
 * Why this is exact: a line is taken here only in the common case, where
 * what Python would do is a short, fixed sequence: an enter into a sample
 * under a span id not seen before; an exit of an action still open; a log
 * record that cannot fail its sample; neither action a `Run Task`, each
 * field of the type Inspect's writer gives it. Anything else, or any
 * doubt, stops here before any change (but a sample made, which Python
 * makes first too), and Python reads that line as before. The tests index
 * every sample log and generated logs both ways and compare every span,
 * row, log record and sample state (`tests/test_fastindex.py`).
 *
 * A big batch's lines are scanned on another thread (`Scanner`, below)
 * while this one applies them. The reader hands its batches over as
 * `Lines` (below): the slice read and where each line starts, the lines
 * read where they lie.
 */

#include "_jsonscan.h"
#include <float.h>
#include <structmember.h>
#include "_span.h"
#include "_column.h"
#include "_sample.h"
#include "_spanindex.h"
#include "_eventlog.h"

/* Where a slot of an instance lives (its `__slots__` member offset). */
#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* Span's object fields (its start, duration and origin are `SpanCore`
 * cells: `cell_get`, `cell_set`, `cell_double`). */
static struct { Py_ssize_t attributes, children; } SPAN;
/* (CODE_RUNNING and CODE_OK, the codes of model.RUNNING and model.OK, are
 * `_sample.h`'s.) */
static struct { Py_ssize_t action, detail, start, duration, error, span, sample; } ROW;
static struct { Py_ssize_t first_time, last_time, synthetic_spans, spans; } RUN;
static struct { Py_ssize_t times, levels, level_codes, messages, message_codes, origins; } COLUMNS_OF;

static PyTypeObject *SPAN_TYPE;   /* model.Span, a SpanCore */
static PyTypeObject *ROW_TYPE;    /* model.AnomalyRow */
#define SAMPLE_TYPE (&SampleStateType) /* inspect._Sample */
#define SAMPLE_OF(obj) ((SampleState *)(obj))
static PyTypeObject *RUN_TYPE;    /* model.Run */
static PyObject *RUNNING;         /* model.RUNNING */
static PyObject *OK;              /* model.OK */
static PyObject *LOG_WRITES;      /* inspect.LOG_WRITES */
static PyObject *NOT_PARENTS;     /* inspect._NOT_PARENTS */
static PyObject *PACK_OFFSET;     /* model.pack_offset, for an origin not packed as one offset */
static PyObject *EVENT_LOG;       /* model.EventLog */
static PyObject *LOG_COLUMNS;     /* model.LogColumns */
/* How Inspect starts a sample's log record (`task=… sample=… epoch=…` and
 * a newline), as bytes (`sample_line_rest`) and as strs (`SAMPLE_PREFIX`,
 * `TASK_PREFIX`, for `message`). */
#define SAMPLE_LINE_START "sample="
#define TASK_LINE_START "task="
#define STARTS_WITH(s, len, literal) \
    ((len) >= (Py_ssize_t)sizeof(literal) - 1 && memcmp((s), (literal), sizeof(literal) - 1) == 0)
static PyObject *SAMPLE_PREFIX, *TASK_PREFIX;
static PyObject *SAMPLE_ERROR;    /* inspect.SAMPLE_ERROR: a sample's failure, Python's to tell */
static PyObject *NO_TASK; /* model.task_name(None) */
static PyObject *ONE, *SAMPLE_KIND; /* (and `_span.h`'s EMPTY_STR, COLON_STR) */
static PyObject *EMPTY_TUPLE, *OFFSET_SHIFT, *CANCELS_SINCE, *SAMPLE_FOR, *ADD, *COLUMNS, *TRACE;
static double PLAUSIBLE_TIME;
/* Read from the context at each call, as Python reads the module's globals
 * at each use (a test lowers them). */
static Py_ssize_t SHARED_MAX_LEN, SHARED_MAX_ENTRIES, LATELY_KEPT;
static long long OFFSET_MASK;
static int OFFSET_BITS; /* model.OFFSET_BITS */
static int READY = 0;

static inline void set_slot(PyObject *obj, Py_ssize_t offset, PyObject *value) {
    PyObject *old = SLOT(obj, offset);
    Py_INCREF(value);
    SLOT(obj, offset) = value;
    Py_XDECREF(old);
}

/* A slot every instance has set (`__init__` sets them all); NULL, with
 * an error, if one was not (never for the decoder's own objects). */
static inline PyObject *get_slot(PyObject *obj, Py_ssize_t offset) {
    PyObject *value = SLOT(obj, offset);
    if (value == NULL) PyErr_SetString(PyExc_AttributeError, "a slot _fastindex reads is unset");
    return value;
}

static int offset_of(PyTypeObject *type, const char *name, Py_ssize_t *out) {
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    int ok;
    if (descr == NULL) return -1;
    ok = Py_IS_TYPE(descr, &PyMemberDescr_Type) &&
         ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX;
    if (ok) *out = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_DECREF(descr);
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
        return -1;
    }
    return 0;
}

/* a < b, as Python compares them (floats at once). */
static inline int less(PyObject *a, PyObject *b) {
    if (PyFloat_CheckExact(a) && PyFloat_CheckExact(b)) return PyFloat_AS_DOUBLE(a) < PyFloat_AS_DOUBLE(b);
    return PyObject_RichCompareBool(a, b, Py_LT);
}

/* a - b and a + b, as Python computes them (floats at once). */
static inline PyObject *minus(PyObject *a, PyObject *b) {
    if (PyFloat_CheckExact(a) && PyFloat_CheckExact(b)) return PyFloat_FromDouble(PyFloat_AS_DOUBLE(a) - PyFloat_AS_DOUBLE(b));
    return PyNumber_Subtract(a, b);
}

static inline PyObject *plus(PyObject *a, PyObject *b) {
    if (PyFloat_CheckExact(a) && PyFloat_CheckExact(b)) return PyFloat_FromDouble(PyFloat_AS_DOUBLE(a) + PyFloat_AS_DOUBLE(b));
    return PyNumber_Add(a, b);
}

/* Run.see_time(t): for a float or None here, for another number by
 * Python's own. */
static int see_time(PyObject *run, PyObject *t) {
    PyObject *first, *last;
    int earlier, later;
    if (t == Py_None) return 0;
    if (!PyFloat_CheckExact(t)) {
        PyObject *seen = PyObject_CallMethod(run, "see_time", "O", t);
        if (seen == NULL) return -1;
        Py_DECREF(seen);
        return 0;
    }
    {
        double v = PyFloat_AS_DOUBLE(t);
        if (!(-PLAUSIBLE_TIME < v && v < PLAUSIBLE_TIME)) return 0;
    }
    if ((first = get_slot(run, RUN.first_time)) == NULL) return -1;
    earlier = first == Py_None ? 1 : less(t, first);
    if (earlier < 0) return -1;
    if (earlier) set_slot(run, RUN.first_time, t);
    if ((last = get_slot(run, RUN.last_time)) == NULL) return -1;
    later = last == Py_None ? 1 : less(last, t);
    if (later < 0) return -1;
    if (later) set_slot(run, RUN.last_time, t);
    return 0;
}

/* A time cell that holds None or a double (`cell_double` said so) set to
 * a double: no object to let go of. */
static inline void cell_put_double(PyObject *span, int which, double value) {
    SpanCore *s = (SpanCore *)span;
    s->cell[which].d = value;
    SET_HOLDS(s, which, HOLDS_NATIVE);
}

/* One step of `widen` where every time is a float or None: in doubles,
 * as Python's floats compute it. 1 if the node was stretched. */
static int widen_doubles(PyObject *node, PyObject *start, PyObject *end, int has_start, double node_start,
                         int has_duration, double duration) {
    int stretched = 0;
    if (start != Py_None) {
        double s = PyFloat_AS_DOUBLE(start);
        if (!has_start || s < node_start) {
            if (has_start && has_duration) {
                duration = duration + (node_start - s);
                cell_put_double(node, CELL_DURATION, duration);
            }
            node_start = s;
            has_start = 1;
            cell_put_double(node, CELL_START, s);
            stretched = 1;
        }
    }
    if (end != Py_None && has_start) {
        double span = PyFloat_AS_DOUBLE(end) - node_start;
        if (!has_duration || duration < span) {
            cell_put_double(node, CELL_DURATION, span);
            stretched = 1;
        }
    }
    return stretched;
}

/* The same step for times of any type, as Python computes it: 1 if the
 * node was stretched, -1 with an error. */
static int widen_objects(PyObject *node, PyObject *start, PyObject *end) {
    PyObject *node_start, *duration = NULL, *span = NULL;
    int stretched = 0, cond;
    if ((node_start = cell_get(node, CELL_START)) == NULL) return -1;
    if (start != Py_None) {
        cond = node_start == Py_None ? 1 : less(start, node_start);
        if (cond < 0) goto failed;
        if (cond) {
            if ((duration = cell_get(node, CELL_DURATION)) == NULL) goto failed;
            if (node_start != Py_None && duration != Py_None) {
                PyObject *gap = minus(node_start, start), *longer;
                if (gap == NULL) goto failed;
                longer = plus(duration, gap);
                Py_DECREF(gap);
                if (longer == NULL) goto failed;
                cond = cell_set(node, CELL_DURATION, longer);
                Py_DECREF(longer);
                if (cond < 0) goto failed;
            }
            Py_CLEAR(duration);
            if (cell_set(node, CELL_START, start) < 0) goto failed;
            stretched = 1;
        }
    }
    Py_SETREF(node_start, cell_get(node, CELL_START));
    if (node_start == NULL) return -1;
    if (end != Py_None && node_start != Py_None) {
        if ((span = minus(end, node_start)) == NULL || (duration = cell_get(node, CELL_DURATION)) == NULL)
            goto failed;
        cond = duration == Py_None ? 1 : less(duration, span);
        if (cond < 0 || (cond && cell_set(node, CELL_DURATION, span) < 0)) goto failed;
        if (cond) stretched = 1;
    }
    Py_DECREF(node_start);
    Py_XDECREF(duration);
    Py_XDECREF(span);
    return stretched;
failed:
    Py_XDECREF(node_start);
    Py_XDECREF(duration);
    Py_XDECREF(span);
    return -1;
}

/* InspectDecoder._widen: stretch made-up ancestors over [start, end]. */
static int widen(PyObject *node, PyObject *start, PyObject *end) {
    int floats = (start == Py_None || PyFloat_CheckExact(start)) && (end == Py_None || PyFloat_CheckExact(end));
    while (node != Py_None) {
        double node_start = 0, duration = 0;
        int stretched, has_start, has_duration;
        if ((stretched = span_is_synthetic(node)) <= 0) return stretched;
        if (floats && (has_start = cell_double(node, CELL_START, &node_start)) >= 0 &&
            (has_duration = cell_double(node, CELL_DURATION, &duration)) >= 0) {
            stretched = widen_doubles(node, start, end, has_start, node_start, has_duration, duration);
        } else if ((stretched = widen_objects(node, start, end)) < 0) {
            return -1;
        }
        if (!stretched) return 0;
        node = parent_of((SpanCore *)node);
    }
    return 0;
}

/* d.pop(key, None), its value dropped. */
static int discard(PyObject *d, PyObject *key) {
    PyObject *value = PyDict_GetItemWithError(d, key);
    if (value == NULL) return PyErr_Occurred() ? -1 : 0;
    return PyDict_DelItem(d, key);
}

/* A string's value, its escapes read (`scan_string` let through only
 * those JSON defines, and no surrogate: each is one character of the BMP). */
static PyObject *json_str(const Value *v) {
    char small[512];
    char *out, *o;
    const unsigned char *s = (const unsigned char *)v->start, *end = s + v->len;
    PyObject *text;
    if (!v->escaped) {
        /* ASCII: `scan_string` leaves a line with a byte past it to Python
         * (so no decoding: ~115 instructions less a string, callgrind). */
        if ((text = PyUnicode_New(v->len, 127)) != NULL) memcpy(PyUnicode_1BYTE_DATA(text), v->start, v->len);
        return text;
    }
    /* An escape is never shorter than what it stands for in UTF-8. */
    out = v->len <= (Py_ssize_t)sizeof(small) ? small : PyMem_Malloc(v->len);
    if (out == NULL) return PyErr_NoMemory();
    for (o = out; s < end;) {
        unsigned c = *s;
        if (c != '\\') {
            *o++ = (char)c;
            s++;
            continue;
        }
        c = s[1];
        s += 2;
        switch (c) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned code = (hex_value(s[0]) << 12) | (hex_value(s[1]) << 8) | (hex_value(s[2]) << 4) |
                            hex_value(s[3]);
            s += 4;
            if (code < 0x80) {
                *o++ = (char)code;
            } else if (code < 0x800) {
                *o++ = (char)(0xC0 | (code >> 6));
                *o++ = (char)(0x80 | (code & 0x3F));
            } else {
                *o++ = (char)(0xE0 | (code >> 12));
                *o++ = (char)(0x80 | ((code >> 6) & 0x3F));
                *o++ = (char)(0x80 | (code & 0x3F));
            }
            break;
        }
        default: *o++ = (char)c; /* " \\ / */
        }
    }
    text = PyUnicode_DecodeUTF8(out, o - out, NULL);
    if (out != small) PyMem_Free(out);
    return text;
}

/* Words every line repeats (an action's name, a level, a task's name): a
 * string made, interned and hashed once, then found by its bytes. Why:
 * making each line's anew, and looking it up among the interned strings,
 * was 5% of the index's instructions. The first WORDS_KEPT words are
 * kept; any other is made each time, as before. */
#define WORD_MAX_LEN 48
#define WORDS_KEPT 64
static struct {
    Py_ssize_t len;
    char bytes[WORD_MAX_LEN];
    PyObject *text;
} WORDS[WORDS_KEPT];
static int WORD_COUNT = 0;

/* A string value, interned (a new reference). */
static PyObject *word(const Value *v) {
    PyObject *text;
    int k;
    if (!v->escaped && v->len <= WORD_MAX_LEN) {
        for (k = 0; k < WORD_COUNT; k++)
            if (WORDS[k].len == v->len && memcmp(WORDS[k].bytes, v->start, v->len) == 0)
                return Py_NewRef(WORDS[k].text);
    }
    if ((text = json_str(v)) == NULL) return NULL;
    PyUnicode_InternInPlace(&text);
    if (!v->escaped && v->len <= WORD_MAX_LEN && WORD_COUNT < WORDS_KEPT) {
        WORDS[WORD_COUNT].len = v->len;
        memcpy(WORDS[WORD_COUNT].bytes, v->start, v->len);
        WORDS[WORD_COUNT].text = Py_NewRef(text);
        WORD_COUNT++;
    }
    return text;
}

/* Exact powers of ten as doubles (10^22 is the last a double holds exactly). */
static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if defined(__x86_64__) && LDBL_MANT_DIG == 64 && FLT_EVAL_METHOD == 0
/* x87's 64-bit significands: a trace's 17-digit times in one division. */
#define EXTENDED_DIVIDE 1
/* Exact powers of ten in 64 bits (5^27 < 2^64). */
static const long double POW10L[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
                                     1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
                                     1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
#endif

/* The double nearest to m / 10^places, computed fast, with a check that it
 * is the one; 0 (out untouched) where that is not known. */
static int divide_exactly(unsigned long long m, int places, double *out) {
#if FLT_EVAL_METHOD == 0 /* doubles computed as doubles (SSE2, not x87's extended precision) */
    /* Both exact in a double: one IEEE division rounds the quotient to
     * nearest (Clinger's fast path). */
    if (m <= (1ULL << 53) && places <= 22) {
        *out = (double)m / POW10[places];
        return 1;
    }
#endif
#ifdef EXTENDED_DIVIDE
    /* Both exact in 64 bits: the quotient rounded to 64 bits, then to the
     * double's 53. Rounding twice gives the double nearest the quotient
     * unless the 64-bit result lies exactly halfway between two doubles
     * (its 11 bits below the double's are 10000000000): then the quotient
     * may lie on either side, and Python's reader is asked. */
    if (places <= 27) {
        long double q = (long double)m / POW10L[places];
        unsigned long long significand;
        memcpy(&significand, &q, sizeof significand); /* the low 8 bytes (little-endian) */
        if ((significand & 0x7FF) == 0x400) return 0;
        *out = (double)q;
        return 1;
    }
#endif
    return 0;
}

/* A number's value, as orjson reads it (both round to nearest: Python's
 * own reading of its digits).
 *
 * Why not always Python's reader: it was 7% of the index's instructions
 * (its correctly rounded path works in big integers). A trace's numbers
 * are times and durations of at most 17 significant digits, read here as
 * one integer and one division (`divide_exactly`). Anything longer, or
 * any doubt, is Python's. */
static PyObject *number(const Value *v) {
    char digits[MAX_NUMBER + 1];
    const char *s = v->start, *end = s + v->len;
    int negative = s < end && *s == '-', places = -1, significant = 0;
    unsigned long long m = 0;
    for (s += negative; s < end; s++) {
        if (*s == '.') {
            places = 0;
            continue;
        }
        if (places >= 0) places++;
        if (significant || *s != '0') {
            m = m * 10 + (unsigned)(*s - '0');
            significant++;
        }
    }
    if (v->kind == V_INT && significant <= 18) /* below 10^18: no overflow */
        return PyLong_FromLongLong(negative ? -(long long)m : (long long)m);
    if (v->kind == V_FLOAT && significant <= 19) { /* below 10^19 < 2^64 */
        double d;
        if (divide_exactly(m, places, &d)) return PyFloat_FromDouble(negative ? -d : d);
    }
    memcpy(digits, v->start, v->len);
    digits[v->len] = '\0';
    if (v->kind == V_FLOAT) {
        double d = PyOS_string_to_double(digits, NULL, NULL);
        if (d == -1.0 && PyErr_Occurred()) return NULL;
        return PyFloat_FromDouble(d);
    }
    return PyLong_FromString(digits, NULL, 10);
}

/* A sample's key field as `rec.get(key)` gives it: NULL (no error) if it
 * is of a kind left to Python. */
static PyObject *key_field(const Value *values, unsigned found, int key, int absent_ok) {
    const Value *v = &values[key];
    if (!(found & (1u << key))) {
        if (!absent_ok) return NULL;
        Py_RETURN_NONE;
    }
    if (v->kind == V_STR && !v->escaped) return key == K_TASK ? word(v) : json_str(v);
    /* An int of up to 18 digits: orjson reads it as Python does (a longer
     * one may be past its 64 bits, and refused). */
    if (v->kind == V_INT && v->len <= 18) return number(v);
    return NULL;
}

/* InspectDecoder.share; `*kept`: whether `shared` holds what it gives (what
 * it will give for that text from now on, a `KeyCache` may keep). */
static PyObject *share(PyObject *shared, PyObject *text, int *kept) {
    PyObject *held;
    *kept = 0;
    if (PyUnicode_GET_LENGTH(text) > SHARED_MAX_LEN) return Py_NewRef(text);
    held = PyDict_GetItemWithError(shared, text);
    if (held != NULL) {
        *kept = 1;
        return Py_NewRef(held);
    }
    if (PyErr_Occurred()) return NULL;
    if (PyDict_GET_SIZE(shared) < SHARED_MAX_ENTRIES) {
        if (PyDict_SetItem(shared, text, text) < 0) return NULL;
        *kept = 1;
    }
    return Py_NewRef(text);
}

/* InspectDecoder._parent_in for a sample (borrowed; NULL, no error: left
 * to Python). */
static PyObject *parent_in(PyObject *sample, int log_write) {
    PyObject *open = SAMPLE_OF(sample)->open;
    PyObject *node = SAMPLE_OF(sample)->node;
    Py_ssize_t n;
    if (!PyList_CheckExact(open)) return PyTuple_CheckExact(open) && PyTuple_GET_SIZE(open) == 0 ? node : NULL;
    n = PyList_GET_SIZE(open);
    if (n == 0 || log_write) return node;
    for (Py_ssize_t k = n - 1; k >= 0; k--) {
        PyObject *span = PyList_GET_ITEM(open, k);
        PyObject *name;
        int no;
        if (!PyObject_TypeCheck(span, SPAN_TYPE)) return NULL;
        if ((name = span_name_get(span, NULL)) == NULL) {
            PyErr_Clear(); /* (Python's to say) */
            return NULL;
        }
        no = PySet_Contains(NOT_PARENTS, name);
        Py_DECREF(name);
        if (no < 0) {
            PyErr_Clear();
            return NULL;
        }
        if (!no) return span;
    }
    return node;
}

/* An instance of a slotted type with every slot NULL, to be set. */
static inline PyObject *blank(PyTypeObject *type) {
    return type->tp_alloc(type, 0);
}

enum { TAKEN, LEFT, FAILED };

/* A new Span (a new reference) as the decoder makes one (`_enter`, or
 * `_sample_for` for a sample's node), every slot set once to its final
 * value, then attached (`_attach`): in `spans` under its id and last among
 * its parent's children (`children`: the parent's, as `children_kept` takes
 * them; a tuple one longer replaces a tuple or None, as
 * `Span.add_child_compact` does). NULL with an error. `fresh`: only if `id` is not in
 * `spans` yet; NULL with no error, nothing changed, if it is. One lookup
 * does both: a check before and the insertion after made two, the first
 * a cache miss in a dict of every span (the one lookup: 2.6% less CPU
 * indexing a 1M-line log). `children` NULL: a root (`parent` None), which
 * the caller files among its run's roots. `name` NULL: a span without
 * room for a name, its name its kind (`span_alloc_compact`), or read from
 * its key once it is a sample's node (`name_from_key`); nor for its
 * attributes where they are None (an action's: `bare_attributes`). */
static PyObject *attached_span(PyObject *spans, PyObject *id, int fresh, PyObject *run, PyObject *parent,
                               PyObject *children, PyObject *name, PyObject *kind, PyObject *detail, PyObject *status,
                               PyObject *start, PyObject *attributes, PyObject *origin, PyObject *synthetic) {
    PyObject *span = name != NULL ? blank(SPAN_TYPE)
                                  : span_alloc_compact(SPAN_TYPE, attributes == Py_None ? ROOM_BARE : ROOM_NO_NAME);
    if (span == NULL) return NULL;
    if (name == NULL && !IS_COMPACT((SpanCore *)span)) name = kind; /* (room for one: its kind, as a name) */
    if (span_id_set(span, id, NULL) < 0) goto failed;
    ((SpanCore *)span)->up = Py_NewRef(run);
    if (parent != Py_None && parent_set((SpanCore *)span, parent) < 0) goto failed;
    if (name != NULL) ((SpanCore *)span)->name = Py_NewRef(name);
    ((SpanCore *)span)->detail = Py_NewRef(detail); /* (its events None) */
    if (!IS_BARE((SpanCore *)span)) set_slot(span, SPAN.attributes, attributes); /* (else None) */
    set_slot(span, SPAN.children, Py_None);
    if (synthetic == Py_True) ((SpanCore *)span)->flags |= SYNTHETIC;
    /* (its duration None and its extra NO_EXTRA, as tp_alloc left them) */
    if (coded_set((SpanCore *)span, 0, kind, 1) < 0 || coded_set((SpanCore *)span, 1, status, 0) < 0 ||
        cell_set(span, CELL_START, start) < 0 || cell_set(span, CELL_ORIGIN, origin) < 0)
        goto failed;
    if (SpanIndex_CheckExact(spans)) {
        Py_hash_t hash = id_hash(id);
        PyObject *held;
        if ((hash == -1 && PyErr_Occurred()) || (held = index_put((SpanIndex *)spans, id, hash, span, fresh)) == NULL)
            goto failed;
        if (held != span) {
            Py_DECREF(span);
            return NULL;
        }
    } else if (fresh) {
        PyObject *held = PyDict_SetDefault(spans, id, span); /* borrowed */
        if (held == NULL) goto failed;
        if (held != span) {
            Py_DECREF(span);
            return NULL;
        }
    } else if (PyDict_SetItem(spans, id, span) < 0) {
        goto failed;
    }
    if (children == NULL) {
        /* a root */
    } else if (PyList_CheckExact(children)) {
        if (PyList_Append(children, span) < 0) goto failed;
    } else if (children == Py_None) {
        set_slot(parent, SPAN.children, span); /* (an only child is held as itself: `ONLY_CHILD`) */
    } else {
        /* `Span.add_child_compact`: one more, held as a tuple would be (a
         * `ChildSpans`), or past a few, a list */
        PyObject *items[SMALL_FAN_OUT], *more;
        Py_ssize_t n;
        if (ONLY_CHILD(children)) {
            n = 1;
            items[0] = children;
        } else if (CHILD_SPANS(children)) {
            n = Py_SIZE(children);
            memcpy(items, ((ChildSpans *)children)->item, (size_t)n * sizeof(PyObject *));
        } else {
            n = PyTuple_GET_SIZE(children);
            for (Py_ssize_t k = 0; k < n; k++) items[k] = PyTuple_GET_ITEM(children, k);
        }
        if (n < SMALL_FAN_OUT) {
            items[n] = span;
            more = child_spans_of(items, n + 1);
        } else if ((more = PyList_New(n + 1)) != NULL) {
            for (Py_ssize_t k = 0; k < n; k++) PyList_SET_ITEM(more, k, Py_NewRef(items[k]));
            PyList_SET_ITEM(more, n, Py_NewRef(span));
        }
        if (more == NULL) goto failed;
        set_slot(parent, SPAN.children, more);
        Py_DECREF(more);
    }
    return span;
failed:
    Py_DECREF(span);
    return NULL;
}

/* Children as `Span.add_child_compact` keeps them: None, an only child
 * itself, a few (`ChildSpans`, or a tuple of up to SMALL_FAN_OUT), or a
 * list. */
static inline int children_kept(PyObject *children) {
    return children == Py_None || PyList_CheckExact(children) || ONLY_CHILD(children) ||
           (CHILD_SPANS(children) && Py_SIZE(children) <= SMALL_FAN_OUT) ||
           (PyTuple_CheckExact(children) && PyTuple_GET_SIZE(children) <= SMALL_FAN_OUT);
}

/* d[key] (borrowed) if it is of `type`; NULL, no error, if absent or not. */
static PyObject *item_of_type(PyObject *d, PyObject *key, PyTypeObject *type) {
    PyObject *value;
    if (!PyDict_CheckExact(d)) return NULL;
    value = PyDict_GetItemWithError(d, key);
    return value != NULL && Py_IS_TYPE(value, type) ? value : NULL;
}

/* str(value) of a sample's key field (`key_field`'s `value`, from `v`):
 * an int as JSON spells it (as Python would: no sign, no leading zero),
 * without making it anew from the int (~550 instructions). */
static PyObject *key_text(PyObject *value, const Value *v, unsigned found, int key) {
    if (PyUnicode_CheckExact(value)) return Py_NewRef(value);
    if ((found & (1u << key)) && v[key].kind == V_INT && PyLong_CheckExact(value) && v[key].start[0] != '-' &&
        (v[key].len == 1 || v[key].start[0] != '0'))
        return PyUnicode_DecodeASCII(v[key].start, v[key].len, NULL);
    return PyObject_Str(value);
}

/* A sample's first record: its state and node made as
 * `InspectDecoder._sample_for` makes them, where its task's node and
 * counts are already made (a task's first sample, or any
 * doubt, is Python's: NULL, no error). Why: a 1M-line log has 114k
 * samples, and Python took 3.2 us to make each. */
static PyObject *new_sample(PyObject *const *ctx, PyObject *key, PyObject *task, PyObject *id_text,
                            PyObject *epoch_text) {
    PyObject *run = ctx[1], *spans = ctx[2], *samples = ctx[3], *tasks = ctx[16], *task_counts = ctx[17];
    PyObject *name, *task_node, *counts, *made_ok, *task_id = NULL, *children;
    PyObject *id = NULL, *node = NULL, *state = NULL, *count = NULL, *synthetic = NULL,
             *result = NULL;

    if (task == Py_None) {
        name = NO_TASK;
    } else if (PyUnicode_CheckExact(task)) {
        name = task;
    } else {
        return NULL;
    }
    if ((task_node = item_of_type(tasks, name, SPAN_TYPE)) == NULL ||
        (task_id = span_id_get(task_node, NULL)) == NULL || /* (none: Python's to say why) */
        (counts = item_of_type(task_counts, task_id, &PyDict_Type)) == NULL ||
        (made_ok = item_of_type(counts, OK, &PyLong_Type)) == NULL ||
        (children = SLOT(task_node, SPAN.children)) == NULL || !children_kept(children))
        goto done; /* Python's (an error, if any, is Python's to raise there) */
    /* f"sample:{task_name(task)}:{sample_id}:{epoch}" (`sample_id_of`:
     * PyUnicode_FromFormat took 2.7k instructions a string, a join ~600);
     * its name is read from its key (`name_from_key`) */
    if ((id = sample_id_of(name, id_text, epoch_text)) == NULL) goto failed;
    if ((count = PyNumber_Add(made_ok, ONE)) == NULL ||
        (synthetic = get_slot(run, RUN.synthetic_spans)) == NULL || (synthetic = PyNumber_Add(synthetic, ONE)) == NULL)
        goto failed;
    /* Nothing is changed before this point. */
    /* Its attributes are the sample's key, read as {"task", "sample_id",
     * "epoch"} (`_span.h`). */
    if ((node = attached_span(spans, id, 0, run, task_node, children, NULL, SAMPLE_KIND, EMPTY_STR, OK, Py_None,
                              key, EMPTY_TUPLE, Py_True)) == NULL)
        goto failed;
    ((SpanCore *)node)->flags |= KEYED;
    set_slot(run, RUN.synthetic_spans, synthetic);
    if (PyDict_SetItem(counts, OK, count) < 0) goto failed;
    /* _Sample(node, key), filed under its key, and its node's attributes
     * read from it (the tuple let go of) */
    if ((state = (PyObject *)sample_new(node, key)) == NULL || attributes_from_key(node, state) < 0 ||
        name_from_key((SpanCore *)node) < 0)
        goto failed;
    /* its id, of its key as `id_of_key` spells it (`key_text` gave each
     * part as str() does), read from the key too (`_span.h`) */
    if (name == task) id_from_key((SpanCore *)node);
    if (SpanIndex_CheckExact(samples)) {
        Py_hash_t hash = PyObject_Hash(key);
        if (hash == -1 || index_put((SpanIndex *)samples, key, hash, state, 0) == NULL) goto failed;
    } else if (PyDict_SetItem(samples, key, state) < 0) {
        goto failed;
    }
    result = Py_NewRef(state);
    goto done;
failed:
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "_fastindex: a sample half made");
done:
    if (task_id == NULL) PyErr_Clear();
    Py_XDECREF(task_id);
    Py_XDECREF(id);
    Py_XDECREF(node);
    Py_XDECREF(state);
    Py_XDECREF(count);
    Py_XDECREF(synthetic);
    return result;
}

/* ---- What the decoder found lately, by its key as a line spells it (`KeyCache`) ----
 *
 * Why: finding a line's sample was ~15% of the reader's time on a 1M-line
 * log. Each line's `sample_id` was made a new str, the key a new tuple,
 * hashed (SipHash of that str) and looked up among every sample of the
 * log (a dict of 117,000, out of the CPU's cache), and the key compared
 * field by field. An enter's detail, and the text of a sample's log
 * record, likewise, were made a new str (the record's twice: the message,
 * then what follows its `task=… sample=…` line), hashed and looked up
 * among the 100,000 short strings shared (`share`). Here the key's bytes,
 * as the line holds them, are hashed and found among what was found
 * lately (the samples an eval runs at once; the details its models and
 * tools repeat; the few dozen things its samples' records say), and
 * nothing is made.
 *
 * Why this is exact: what is kept is what the dict gave for that key,
 * and the dicts only grow (`_samples`, `_shared`; a file replaced gets a
 * new decoder state, caches with it). A key not found here (not seen
 * lately, or of a kind kept out) is looked up in the dict, as before.
 *
 * Two kinds: a cache whose keys are bytes it holds (`key_max` > 0: a
 * sample's key fields, `sample_key`; a record's text as the line spells
 * it, `sample_line_rest`), and one whose values are ASCII strs that are
 * their own keys (`key_max` 0: a shared detail, compared with the str's
 * own characters, so nothing more is held). */

/* Sets of two ways, the most recent first; 16 sets at first (a directory
 * of small logs has a decoder each), four times more each time as many
 * entries as it holds were pushed out of a full set, up to `most`. */
#define CACHE_WAYS 2
#define CACHE_FIRST_SETS 16

typedef struct {
    uint64_t hash;
    PyObject *value; /* NULL: an empty way */
    Py_ssize_t len;
    unsigned char key[]; /* key_max bytes, if the cache holds its keys */
} Cached;

typedef struct {
    PyObject_HEAD
    char *ways;                 /* sets * CACHE_WAYS entries of `stride` bytes, or NULL until first used */
    Py_ssize_t key_max, stride; /* (key_max 0: the values are their own keys) */
    Py_ssize_t sets, most_sets; /* (powers of two: a set is picked by a mask) */
    Py_ssize_t pushed_out;      /* entries pushed out of a full set since it last grew */
    Py_ssize_t hits, misses;
} KeyCache;

static PyTypeObject KeyCacheType;

#define WAY(cache, ways, k) ((Cached *)((ways) + (k) * (cache)->stride))

static PyObject *KeyCache_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"key_max", "most", NULL};
    Py_ssize_t key_max, most;
    KeyCache *self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "nn", names, &key_max, &most)) return NULL;
    if (key_max < 0 || key_max > 255 || most < CACHE_FIRST_SETS * CACHE_WAYS || (most & (most - 1)) != 0) {
        PyErr_SetString(PyExc_ValueError, "0 <= key_max <= 255, and most a power of two of at least 32");
        return NULL;
    }
    if ((self = (KeyCache *)type->tp_alloc(type, 0)) == NULL) return NULL;
    self->key_max = key_max;
    self->stride = (Py_ssize_t)((sizeof(Cached) + key_max + 7) & ~(size_t)7);
    self->most_sets = most / CACHE_WAYS;
    return (PyObject *)self;
}

static int KeyCache_clear(KeyCache *self) {
    if (self->ways != NULL)
        for (Py_ssize_t k = 0; k < self->sets * CACHE_WAYS; k++) Py_CLEAR(WAY(self, self->ways, k)->value);
    return 0;
}

static int KeyCache_traverse(KeyCache *self, visitproc visit, void *arg) {
    if (self->ways != NULL)
        for (Py_ssize_t k = 0; k < self->sets * CACHE_WAYS; k++) Py_VISIT(WAY(self, self->ways, k)->value);
    return 0;
}

static void KeyCache_dealloc(KeyCache *self) {
    PyObject_GC_UnTrack(self);
    KeyCache_clear(self);
    PyMem_Free(self->ways);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *KeyCache_counts(KeyCache *self, void *Py_UNUSED(closure)) {
    return Py_BuildValue("nn", self->hits, self->misses);
}

static PyObject *KeyCache_size(KeyCache *self, void *Py_UNUSED(closure)) {
    return PyLong_FromSsize_t(self->ways == NULL ? 0 : self->sets * CACHE_WAYS);
}

static PyGetSetDef KeyCache_getset[] = {
    {"counts", (getter)KeyCache_counts, NULL, "(hits, misses): keys found here, and not.", NULL},
    {"size", (getter)KeyCache_size, NULL, "How many entries it can hold now.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject KeyCacheType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.KeyCache",
    .tp_basicsize = sizeof(KeyCache),
    .tp_dealloc = (destructor)KeyCache_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "KeyCache(key_max, most): what a decoder found lately, by its key's bytes as a line spells it (for "
              "`feed`); key_max 0: the values are ASCII strs, their own keys. At most `most` entries.",
    .tp_traverse = (traverseproc)KeyCache_traverse,
    .tp_clear = (inquiry)KeyCache_clear,
    .tp_getset = KeyCache_getset,
    .tp_new = KeyCache_new,
};

/* A hash of a key's bytes, eight at a time: a set is picked by its low
 * bits, and a match is checked byte for byte. */
static inline uint64_t key_hash(const unsigned char *key, Py_ssize_t len) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len, word;
    for (; len >= 8; key += 8, len -= 8) {
        memcpy(&word, key, 8);
        h = (h ^ word) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (len > 0) {
        word = 0;
        memcpy(&word, key, len);
        h = (h ^ word) * 0xc4ceb9fe1a85ec53ULL;
    }
    return h ^ (h >> 29);
}

/* The ways, grown four times if they should (`CACHE_FIRST_SETS`): 0, or
 * -1 with no memory for them (no error: the dicts answer, as before). */
static int grown(KeyCache *cache) {
    Py_ssize_t sets;
    char *more;
    if (cache->ways != NULL && (cache->pushed_out < cache->sets * CACHE_WAYS || cache->sets >= cache->most_sets))
        return 0;
    sets = cache->ways == NULL ? CACHE_FIRST_SETS : Py_MIN(cache->sets * 4, cache->most_sets);
    if ((more = PyMem_Calloc(sets * CACHE_WAYS, cache->stride)) == NULL) return -1;
    if (cache->ways != NULL) { /* each entry moved to its set among the new ways */
        for (Py_ssize_t k = 0; k < cache->sets * CACHE_WAYS; k++) {
            Cached *entry = WAY(cache, cache->ways, k);
            Py_ssize_t to = (Py_ssize_t)(entry->hash & (uint64_t)(sets - 1)) * CACHE_WAYS, w = 0;
            if (entry->value == NULL) continue;
            while (w < CACHE_WAYS && WAY(cache, more, to + w)->value != NULL) w++;
            if (w < CACHE_WAYS) memcpy(WAY(cache, more, to + w), entry, cache->stride);
            else Py_DECREF(entry->value); /* (four times the sets: rare) */
        }
        PyMem_Free(cache->ways);
    }
    cache->ways = more;
    cache->sets = sets;
    cache->pushed_out = 0;
    return 0;
}

/* The value of this key (borrowed), or NULL; the set its key belongs in
 * through `*set` (-1: no cache, for want of memory). */
static PyObject *cached(KeyCache *cache, const unsigned char *key, Py_ssize_t len, uint64_t hash, Py_ssize_t *set) {
    if (len > (cache->key_max ? cache->key_max : PY_SSIZE_T_MAX) || grown(cache) < 0) {
        *set = -1;
        return NULL;
    }
    *set = (Py_ssize_t)(hash & (uint64_t)(cache->sets - 1)) * CACHE_WAYS;
    for (Py_ssize_t w = 0; w < CACHE_WAYS; w++) {
        Cached *entry = WAY(cache, cache->ways, *set + w);
        if (entry->value != NULL && entry->hash == hash && entry->len == len &&
            memcmp(cache->key_max ? entry->key : PyUnicode_1BYTE_DATA(entry->value), key, len) == 0) {
            if (w > 0) { /* the most recent first */
                char found[sizeof(Cached) + 256];
                memcpy(found, entry, cache->stride);
                memmove(WAY(cache, cache->ways, *set + 1), WAY(cache, cache->ways, *set), w * cache->stride);
                memcpy(WAY(cache, cache->ways, *set), found, cache->stride);
            }
            cache->hits++;
            return WAY(cache, cache->ways, *set)->value;
        }
    }
    cache->misses++;
    return NULL;
}

/* `value` kept for this key, the most recent of its set (from `cached`);
 * a cache without keys takes only an ASCII str, its own key. */
static void remember(KeyCache *cache, Py_ssize_t set, const unsigned char *key, Py_ssize_t len, uint64_t hash,
                     PyObject *value) {
    Cached *first, *last;
    PyObject *pushed;
    if (set < 0) return;
    if (!cache->key_max && !(PyUnicode_CheckExact(value) && PyUnicode_IS_COMPACT_ASCII(value) &&
                             PyUnicode_GET_LENGTH(value) == len && memcmp(PyUnicode_1BYTE_DATA(value), key, len) == 0))
        return;
    first = WAY(cache, cache->ways, set);
    last = WAY(cache, cache->ways, set + CACHE_WAYS - 1);
    pushed = last->value;
    memmove(WAY(cache, cache->ways, set + 1), first, (CACHE_WAYS - 1) * cache->stride);
    first->hash = hash;
    first->len = len;
    if (cache->key_max) memcpy(first->key, key, len);
    first->value = Py_NewRef(value);
    if (pushed != NULL) {
        cache->pushed_out++;
        Py_DECREF(pushed); /* last: the ways are settled first */
    }
}

/* The bytes of a line's sample key: for `sample_id`, `task` and `epoch`,
 * a kind (0 absent, 1 a string, 2 an int), then for a value its length
 * and bytes. -1 if `key_field` would not take one of them as it is (an
 * escaped string, whose spellings are many, is Python's), or the key is
 * longer than SAMPLE_KEY_MAX. Two keys whose bytes differ may still be
 * one sample's (`-0` and `0`): each finds it through the dict, once. */
#define SAMPLE_KEY_MAX 96
static Py_ssize_t sample_key(const Value *v, unsigned found, unsigned char *out) {
    static const int fields[3] = {K_SAMPLE_ID, K_TASK, K_EPOCH};
    Py_ssize_t n = 0;
    for (int f = 0; f < 3; f++) {
        const Value *field = &v[fields[f]];
        unsigned char kind;
        if (!(found & (1u << fields[f]))) {
            if (fields[f] == K_SAMPLE_ID) return -1;
            if (n + 1 > SAMPLE_KEY_MAX) return -1;
            out[n++] = 0;
            continue;
        }
        if (field->kind == V_STR && !field->escaped) kind = 1;
        else if (field->kind == V_INT && field->len <= 18) kind = 2;
        else return -1;
        if (field->len > 255 || n + 2 + field->len > SAMPLE_KEY_MAX) return -1;
        out[n++] = kind;
        out[n++] = (unsigned char)field->len;
        memcpy(out + n, field->start, field->len);
        n += field->len;
    }
    return n;
}

/* A short string's shared copy (a new reference), as `share(json_str(v))`
 * gives it; an unescaped one (ASCII: `json_str`) first among those lately
 * shared (`KeyCache`), made only if not there. */
static PyObject *shared_str(PyObject *shared, KeyCache *cache, const Value *v) {
    const unsigned char *raw = (const unsigned char *)v->start;
    PyObject *text, *held;
    Py_ssize_t set = -1;
    uint64_t hash = 0;
    int keep = v->kind == V_STR && !v->escaped && v->len <= SHARED_MAX_LEN, kept;
    if (keep) {
        hash = key_hash(raw, v->len);
        if ((held = cached(cache, raw, v->len, hash, &set)) != NULL) return Py_NewRef(held);
    }
    if ((text = json_str(v)) == NULL) return NULL;
    held = share(shared, text, &kept);
    Py_DECREF(text);
    if (held != NULL && keep && kept) remember(cache, set, raw, v->len, hash, held);
    return held;
}

/* The record's sample (a new reference): as `_sample(rec)` finds it, made
 * the first time it is named (by `new_sample`, or by Python's
 * `_sample_for` for a task's first sample), as `_enter` and `_event` make
 * it before all else (if the line is then left to Python after all,
 * Python finds it made). NULL with no error: a key of a kind left to
 * Python. */
static PyObject *sample_of(PyObject *const *ctx, const Value *v, unsigned found) {
    PyObject *task = NULL, *sample_id = NULL, *epoch = NULL, *key = NULL, *sample = NULL;
    KeyCache *cache = (KeyCache *)ctx[13];
    unsigned char key_bytes[SAMPLE_KEY_MAX];
    Py_ssize_t key_len = sample_key(v, found, key_bytes), set = -1;
    uint64_t hash = 0;
    if (key_len >= 0) {
        hash = key_hash(key_bytes, key_len);
        if ((sample = cached(cache, key_bytes, key_len, hash, &set)) != NULL) return Py_NewRef(sample);
    }
    if ((sample_id = key_field(v, found, K_SAMPLE_ID, 0)) == NULL || (task = key_field(v, found, K_TASK, 1)) == NULL ||
        (epoch = key_field(v, found, K_EPOCH, 1)) == NULL || (key = PyTuple_Pack(3, task, sample_id, epoch)) == NULL)
        goto done;
    if (SpanIndex_CheckExact(ctx[3])) {
        Py_hash_t tuple_hash = PyObject_Hash(key);
        sample = tuple_hash == -1 ? NULL : index_get((SpanIndex *)ctx[3], key, tuple_hash);
    } else {
        sample = PyDict_GetItemWithError(ctx[3], key);
    }
    if (sample != NULL) {
        Py_INCREF(sample);
    } else if (!PyErr_Occurred()) {
        PyObject *id_text = key_text(sample_id, v, found, K_SAMPLE_ID), *epoch_text = NULL;
        if (id_text == NULL || (epoch_text = key_text(epoch, v, found, K_EPOCH)) == NULL) {
            Py_XDECREF(id_text);
            goto done;
        }
        sample = new_sample(ctx, key, task, id_text, epoch_text);
        Py_DECREF(id_text);
        Py_DECREF(epoch_text);
        if (sample == NULL && !PyErr_Occurred())
            sample = PyObject_CallMethodObjArgs(ctx[0], SAMPLE_FOR, task, sample_id, epoch, NULL);
    }
    if (sample != NULL && !Py_IS_TYPE(sample, SAMPLE_TYPE)) Py_CLEAR(sample);
    if (sample != NULL) remember(cache, set, key_bytes, key_len, hash, sample);
done:
    Py_XDECREF(task);
    Py_XDECREF(sample_id);
    Py_XDECREF(epoch);
    Py_XDECREF(key);
    return sample;
}

/* `decoder._cancels_since = None`, where it is not None already: read in
 * its __dict__ (setting it through PyObject_SetAttr took ~330 instructions
 * an enter, and it is nearly always None). */
static int cancels_since_cleared(PyObject *decoder) {
    PyObject *attrs = PyObject_GenericGetDict(decoder, NULL), *now;
    int done;
    if (attrs == NULL) {
        PyErr_Clear();
        return PyObject_SetAttr(decoder, CANCELS_SINCE, Py_None);
    }
    now = PyDict_CheckExact(attrs) ? PyDict_GetItemWithError(attrs, CANCELS_SINCE) : NULL;
    done = now == Py_None ? 0 : PyErr_Occurred() ? -1 : PyObject_SetAttr(decoder, CANCELS_SINCE, Py_None);
    Py_DECREF(attrs);
    return done;
}

/* ---- Running rows made once a call of `feed` ends (`Pending`) ----
 *
 * Why: an enter's row in `running` (the anomaly bucket) was made, put in
 * the dict and, at its exit a few lines on, taken out and freed: ~400
 * instructions an action (callgrind), for a row nearly never seen. Within one call
 * of `feed` nothing else reads `running` (a line it leaves to Python ends
 * the call), so an enter only notes its row here, and the call's end
 * makes the rows of the actions still open, in the order they were
 * entered: `running` then holds what it would have held, in that order
 * (an exit took out a row as it does, where one had been made before). */

typedef struct {
    PyObject *tid, *span, *action, *detail, *start; /* held */
} PendingRow;

typedef struct {
    PendingRow *rows;
    Py_ssize_t count, size;
} Pending;

static int pending_add(Pending *pending, PyObject *tid, PyObject *span, PyObject *action, PyObject *detail,
                       PyObject *start) {
    PendingRow *row;
    if (pending->count == pending->size) {
        Py_ssize_t size = pending->size ? 2 * pending->size : 256;
        PendingRow *rows = PyMem_Realloc(pending->rows, size * sizeof(PendingRow));
        if (rows == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        pending->rows = rows;
        pending->size = size;
    }
    row = &pending->rows[pending->count++];
    row->tid = Py_NewRef(tid);
    row->span = Py_NewRef(span);
    row->action = Py_NewRef(action);
    row->detail = Py_NewRef(detail);
    row->start = Py_NewRef(start);
    return 0;
}

/* The rows of the noted actions still open (their span still running, and
 * `open[tid]` its), into `running`; the notes let go of. An error set
 * before is kept (the call failed: its rows are made all the same). */
static int pending_flush(PyObject *const *ctx, Pending *pending) {
    PyObject *open = ctx[4], *running = ctx[6], *type, *value, *traceback;
    int result = 0;
    PyErr_Fetch(&type, &value, &traceback);
    for (Py_ssize_t k = 0; k < pending->count; k++) {
        PendingRow *note = &pending->rows[k];
        if (result == 0 && ((SpanCore *)note->span)->status == CODE_RUNNING) {
            PyObject *opened = PyDict_GetItemWithError(open, note->tid), *row;
            if (opened != NULL && PyTuple_CheckExact(opened) && PyTuple_GET_SIZE(opened) == 2 &&
                PyTuple_GET_ITEM(opened, 0) == note->span) {
                if ((row = blank(ROW_TYPE)) == NULL) {
                    result = -1;
                } else {
                    set_slot(row, ROW.action, note->action);
                    set_slot(row, ROW.detail, note->detail);
                    set_slot(row, ROW.start, note->start);
                    set_slot(row, ROW.duration, Py_None);
                    set_slot(row, ROW.error, Py_None);
                    set_slot(row, ROW.span, note->span);
                    set_slot(row, ROW.sample, Py_None);
                    result = PyDict_SetItem(running, note->tid, row);
                    Py_DECREF(row);
                }
            } else if (opened == NULL && PyErr_Occurred()) {
                result = -1;
            }
        }
        Py_DECREF(note->tid);
        Py_DECREF(note->span);
        Py_DECREF(note->action);
        Py_DECREF(note->detail);
        Py_DECREF(note->start);
    }
    PyMem_Free(pending->rows);
    pending->rows = NULL;
    pending->count = pending->size = 0;
    if (type != NULL) {
        PyErr_Clear();
        PyErr_Restore(type, value, traceback);
    }
    return result;
}

/* An enter, as `InspectDecoder._enter` applies it. */
static int enter(PyObject *const *ctx, const Value *v, unsigned found, PyObject *action, int log_write,
                 Py_ssize_t offset, Pending *pending) {
    PyObject *decoder = ctx[0], *run = ctx[1], *spans = ctx[2], *open = ctx[4], *stale = ctx[5],
             *shared = ctx[7];
    PyObject *sample = NULL, *tid = NULL, *detail = NULL, *start = NULL, *origin = NULL,
             *span = NULL, *pair = NULL, *parent, *children;
    int result = FAILED, known;

    if (offset >= OFFSET_MASK || v[K_DETAIL].len == 0) return LEFT; /* an empty detail shows the message */
    if ((sample = sample_of(ctx, v, found)) == NULL) goto left_or_failed;
    if ((tid = json_str(&v[K_TRACE_ID])) == NULL) goto done;
    /* An id seen before: Python says which wins (if not open, `spans`
     * tells, in `attached_span`). */
    known = PyDict_Contains(open, tid);
    if (known < 0) goto done;
    if (known) goto left;
    parent = parent_in(sample, log_write);
    if (parent == NULL) goto left_or_failed;
    if ((children = SLOT(parent, SPAN.children)) == NULL || !children_kept(children))
        goto left;
    if ((start = number(&v[K_START_TIME])) == NULL) goto done;
    if ((origin = PyLong_FromSsize_t(offset)) == NULL) goto done;
    if ((detail = shared_str(shared, (KeyCache *)ctx[14], &v[K_DETAIL])) == NULL) goto done;
    /* Nothing is changed before this point but the sample made. */

    /* Span(...) as `_enter` makes it and `_attach` attaches it. */
    if ((span = attached_span(spans, tid, 1, run, parent, children, NULL, action, detail, RUNNING, start, Py_None,
                              origin, Py_False)) == NULL)
        goto left_or_failed;
    if ((pair = PyTuple_Pack(2, span, sample)) == NULL || PyDict_SetItem(open, tid, pair) < 0) goto done;
    if (pending_add(pending, tid, span, action, detail, start) < 0) goto done; /* its row in `running` */
    if (see_time(run, start) < 0) goto done;
    {
        int made_up = span_is_synthetic(parent);
        if (made_up < 0) goto done;
        if (made_up) {
            if (!log_write) {
                if (widen(parent, start, start) < 0) goto done;
            } else if (HOLDS((SpanCore *)parent, CELL_START) == HOLDS_NONE) {
                if (widen(parent, start, Py_None) < 0) goto done;
            }
        }
    }
    if (log_write) {
        if (!SAMPLE_OF(sample)->has_ended && sample_time_set(&SAMPLE_OF(sample)->ended, &SAMPLE_OF(sample)->has_ended, start) < 0)
            goto done;
    } else {
        if (cancels_since_cleared(decoder) < 0) goto done;
        SAMPLE_OF(sample)->has_ended = 0;
    }
    if (sample_time_set(&SAMPLE_OF(sample)->last_seen, &SAMPLE_OF(sample)->has_last_seen, start) < 0) goto done;
    {
        PyObject *actions = SAMPLE_OF(sample)->open;
        if (PyList_CheckExact(actions) && PyList_GET_SIZE(actions) > 0) {
            if (PyList_Append(actions, span) < 0) goto done;
        } else {
            PyObject *one = PyList_New(1);
            if (one == NULL) goto done;
            PyList_SET_ITEM(one, 0, Py_NewRef(span));
            Py_SETREF(SAMPLE_OF(sample)->open, one);
        }
    }
    if (PyDict_SetItem(stale, sample, Py_None) < 0) goto done;
    result = TAKEN;
    goto done;

left_or_failed:
    if (PyErr_Occurred()) goto done;
left:
    result = LEFT;
done:
    Py_XDECREF(tid);
    Py_XDECREF(detail);
    Py_XDECREF(start);
    Py_XDECREF(origin);
    Py_XDECREF(span);
    Py_XDECREF(pair);
    Py_XDECREF(sample);
    return result;
}

/* `origin` with `offset` packed after it (model.pack_offset). */
static PyObject *pack_offset(PyObject *origin, Py_ssize_t offset) {
    if (PyTuple_CheckExact(origin) && PyTuple_GET_SIZE(origin) == 0) return PyLong_FromSsize_t(offset);
    if (PyLong_CheckExact(origin)) {
        long long first = PyLong_AsLongLong(origin);
        if (first == -1 && PyErr_Occurred()) {
            PyErr_Clear();
        } else if (first >= 0 && first <= OFFSET_MASK) {
            PyObject *above = PyLong_FromSsize_t(offset + 1), *shifted, *packed;
            if (above == NULL) return NULL;
            shifted = PyNumber_Lshift(above, OFFSET_SHIFT);
            Py_DECREF(above);
            if (shifted == NULL) return NULL;
            packed = PyNumber_Or(shifted, origin);
            Py_DECREF(shifted);
            return packed;
        }
    }
    {
        PyObject *at = PyLong_FromSsize_t(offset), *packed;
        if (at == NULL) return NULL;
        packed = PyObject_CallFunctionObjArgs(PACK_OFFSET, origin, at, NULL);
        Py_DECREF(at);
        return packed;
    }
}

/* The span's origin with `offset` packed after it, where it holds one
 * offset, as `pack_offset` packs it: in the cell's two parts, no int made
 * (1), or 0 if it holds anything else. */
static int packed_in_cell(PyObject *span, Py_ssize_t offset, unsigned long long *low, unsigned int *high) {
    SpanCore *s = (SpanCore *)span;
    unsigned long long above = (unsigned long long)offset + 1;
    if (HOLDS(s, CELL_ORIGIN) != HOLDS_NATIVE || ORIGIN_HIGH(s) != 0 || s->cell[CELL_ORIGIN].i > (unsigned long long)OFFSET_MASK ||
        offset < 0 || offset >= OFFSET_MASK || above >> (64 - OFFSET_BITS) > ORIGIN_HIGH_MAX)
        return 0; /* (past 80 bits, a file past 256 GiB: held as an int) */
    *low = s->cell[CELL_ORIGIN].i | above << OFFSET_BITS;
    *high = (unsigned int)(above >> (64 - OFFSET_BITS));
    return 1;
}

/* The span's origin with `offset` packed after it (a new reference), for
 * an origin `packed_in_cell` does not take. */
static PyObject *packed_origin(PyObject *span, Py_ssize_t offset) {
    PyObject *origin = cell_get(span, CELL_ORIGIN), *packed;
    if (origin == NULL) return NULL;
    packed = pack_offset(origin, offset);
    Py_DECREF(origin);
    return packed;
}

/* An exit, as `InspectDecoder._close` applies it. */
static int leave(PyObject *const *ctx, const Value *v, int log_write, Py_ssize_t offset) {
    PyObject *run = ctx[1], *open = ctx[4], *stale = ctx[5], *running = ctx[6], *active = ctx[8];
    PyObject *tid, *opened, *span, *sample, *duration = NULL, *packed = NULL, *end = NULL, *start = NULL,
             *parent;
    int result = FAILED, in_cell;
    unsigned long long packed_low = 0;
    unsigned int packed_high = 0;

    if (offset >= OFFSET_MASK) return LEFT;
    if ((tid = json_str(&v[K_TRACE_ID])) == NULL) return FAILED;
    opened = PyDict_GetItemWithError(open, tid);
    if (opened == NULL) {
        result = PyErr_Occurred() ? FAILED : LEFT; /* no enter open: Python makes its span */
        goto done;
    }
    if (!PyTuple_CheckExact(opened) || PyTuple_GET_SIZE(opened) != 2 ||
        !PyObject_TypeCheck(PyTuple_GET_ITEM(opened, 0), SPAN_TYPE)) {
        result = LEFT;
        goto done;
    }
    span = PyTuple_GET_ITEM(opened, 0);
    sample = PyTuple_GET_ITEM(opened, 1);
    if (sample != Py_None && !Py_IS_TYPE(sample, SAMPLE_TYPE)) {
        result = LEFT;
        goto done;
    }
    if ((duration = number(&v[K_DURATION])) == NULL) goto done;
    if (!(in_cell = packed_in_cell(span, offset, &packed_low, &packed_high)) &&
        (packed = packed_origin(span, offset)) == NULL)
        goto done;
    if ((start = cell_get(span, CELL_START)) == NULL) goto done;
    if (start == Py_None) {
        end = Py_NewRef(Py_None);
    } else if (PyFloat_CheckExact(start)) {
        end = PyFloat_FromDouble(PyFloat_AS_DOUBLE(start) + PyFloat_AS_DOUBLE(duration));
    } else {
        end = PyNumber_Add(start, duration);
    }
    if (end == NULL) goto done;
    Py_INCREF(span);
    Py_INCREF(sample);
    /* Nothing is changed before this point. */

    if (discard(running, tid) < 0 || PyDict_DelItem(open, tid) < 0) goto done_held;
    if (sample != Py_None) {
        PyObject *actions = SAMPLE_OF(sample)->open;
        if (PyList_CheckExact(actions)) {
            Py_ssize_t n = PyList_GET_SIZE(actions);
            for (Py_ssize_t k = 0; k < n; k++) {
                if (PyList_GET_ITEM(actions, k) == span) {
                    if (PySequence_DelItem(actions, k) < 0) goto done_held;
                    if (PyList_GET_SIZE(actions) == 0) Py_SETREF(SAMPLE_OF(sample)->open, Py_NewRef(EMPTY_TUPLE));
                    break;
                }
            }
        }
    }
    ((SpanCore *)span)->status = CODE_OK;
    if (cell_set(span, CELL_DURATION, duration) < 0) goto done_held;
    if (in_cell) {
        ((SpanCore *)span)->cell[CELL_ORIGIN].i = packed_low; /* it held an int: no object to drop */
        SET_ORIGIN_HIGH((SpanCore *)span, packed_high);
    } else if (cell_set(span, CELL_ORIGIN, packed) < 0) {
        goto done_held;
    }
    if (see_time(run, end) < 0) goto done_held;
    if (sample != Py_None && end != Py_None &&
        sample_time_set(&SAMPLE_OF(sample)->last_seen, &SAMPLE_OF(sample)->has_last_seen, end) < 0)
        goto done_held;
    parent = parent_of((SpanCore *)span);
    if (parent != Py_None) {
        int made_up = span_is_synthetic(parent), parent_started;
        if (made_up < 0) goto done_held;
        parent_started = HOLDS((SpanCore *)parent, CELL_START) != HOLDS_NONE;
        if (made_up && !(log_write && parent_started) && widen(parent, start, end) < 0) goto done_held;
    }
    if (sample != Py_None) {
        PyObject *node = SAMPLE_OF(sample)->node;
        if (PyDict_SetItem(stale, sample, Py_None) < 0) goto done_held;
        if (discard(active, node) < 0 || PyDict_SetItem(active, node, Py_None) < 0) goto done_held;
        if (PyDict_GET_SIZE(active) > LATELY_KEPT) {
            Py_ssize_t pos = 0;
            PyObject *first, *value;
            if (PyDict_Next(active, &pos, &first, &value)) {
                Py_INCREF(first);
                if (PyDict_DelItem(active, first) < 0) {
                    Py_DECREF(first);
                    goto done_held;
                }
                Py_DECREF(first);
            }
        }
    }
    result = TAKEN;
done_held:
    Py_DECREF(span);
    Py_DECREF(sample);
done:
    Py_DECREF(tid);
    Py_XDECREF(duration);
    Py_XDECREF(packed);
    Py_XDECREF(start);
    Py_XDECREF(end);
    return result;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's
 * `days_from_civil`). */
static long long days_from_civil(int y, int m, int d) {
    long long era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* The number written in s[0:n], all digits; -1 if not. */
static int digits_at(const char *s, int n) {
    int value = 0;
    for (int k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') return -1;
        value = value * 10 + (s[k] - '0');
    }
    return value;
}

/* `datetime.fromisoformat(t).timestamp()` for the shape Inspect writes,
 * `YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM` (or `-HH:MM`, or `Z` as
 * `LogColumns` reads it); 0 where the string is not of that shape or any
 * field is out of range (Python then reads it, and says what it makes of
 * it). Why: Python's reading, one `datetime` made and dropped for each log
 * record, was most of what a record cost.
 *
 * Exact: `timestamp()` divides the whole microseconds by 10^6 as ints,
 * which Python rounds to nearest, as one IEEE division does where both
 * are exact doubles (below 2^53 microseconds: 285 years either side of
 * 1970). */
static int iso_seconds(const Value *v, double *out) {
    static const int DAYS_IN[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s = v->start;
    Py_ssize_t n = v->len, zone = 19;
    int year, month, day, hour, minute, second, micro = 0, zone_minutes = 0, days_in;
    long long us;
    if (v->escaped || n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return 0;
    year = digits_at(s, 4), month = digits_at(s + 5, 2), day = digits_at(s + 8, 2);
    hour = digits_at(s + 11, 2), minute = digits_at(s + 14, 2), second = digits_at(s + 17, 2);
    if (s[19] == '.') {
        if (n < 27 || (micro = digits_at(s + 20, 6)) < 0) return 0;
        zone = 26;
    }
    if (n == zone + 1 && s[zone] == 'Z') {
        zone_minutes = 0;
    } else if (n == zone + 6 && (s[zone] == '+' || s[zone] == '-') && s[zone + 3] == ':') {
        int zone_hour = digits_at(s + zone + 1, 2), zone_minute = digits_at(s + zone + 4, 2);
        if (zone_hour < 0 || zone_hour > 23 || zone_minute < 0 || zone_minute > 59) return 0;
        zone_minutes = (s[zone] == '-' ? -1 : 1) * (zone_hour * 60 + zone_minute);
    } else {
        return 0;
    }
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
        minute > 59 || second < 0 || second > 59)
        return 0;
    days_in = DAYS_IN[month - 1] + (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
    if (day > days_in) return 0;
    us = ((days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) -
          (long long)zone_minutes * 60) * 1000000 + micro;
    if (us > (1LL << 53) || us < -(1LL << 53)) return 0;
    *out = (double)us / 1e6;
    return 1;
}

/* A byte (0 to 255) appended to a bytearray; -1 with an error. */
static int append_byte(PyObject *bytes, long value) {
    Py_ssize_t n = PyByteArray_GET_SIZE(bytes);
    if (value < 0 || value > 255) {
        PyErr_SetString(PyExc_ValueError, "a level's code is a byte");
        return -1;
    }
    if (PyByteArray_Resize(bytes, n + 1) < 0) return -1;
    PyByteArray_AS_STRING(bytes)[n] = (char)value;
    return 0;
}

/* `log.add(timestamp, level, text, offset)` (`EventLog.add`): the record's
 * time, a new reference. Done here for a log and columns of their own
 * types and a time `iso_seconds` reads; else by Python's `add`. */
static PyObject *log_add(PyObject *log, const Value *stamp, PyObject *level, PyObject *text, Py_ssize_t offset) {
    PyObject *columns, *times, *levels, *codes, *code = NULL, *messages, *message_codes, *message_code = NULL,
             *origins, *when;
    Py_ssize_t index;
    double seconds;
    if ((PyObject *)Py_TYPE(log) != EVENT_LOG || (columns = log_columns((EventLogCore *)log)) == NULL ||
        (PyObject *)Py_TYPE(columns) != LOG_COLUMNS ||
        (times = SLOT(columns, COLUMNS_OF.times)) == NULL || (levels = SLOT(columns, COLUMNS_OF.levels)) == NULL ||
        (codes = SLOT(columns, COLUMNS_OF.level_codes)) == NULL || (messages = SLOT(columns, COLUMNS_OF.messages)) == NULL ||
        (message_codes = SLOT(columns, COLUMNS_OF.message_codes)) == NULL ||
        (origins = SLOT(columns, COLUMNS_OF.origins)) == NULL ||
        /* (a level as a byte it has (`LogColumns.levels`), or in a list; a new one is Python's) */
        !(PyList_CheckExact(levels) ||
          (PyByteArray_CheckExact(levels) && PyUnicode_CheckExact(level) && PyDict_CheckExact(codes) &&
           (code = PyDict_GetItemWithError(codes, level)) != NULL && PyLong_CheckExact(code))) ||
        /* (a message as a code it has (`LogColumns.messages`), or in a list; a new one is Python's) */
        !(PyList_CheckExact(messages) ||
          (Py_IS_TYPE(messages, &ColumnType) && ((Column *)messages)->typecode == 'H' && PyUnicode_CheckExact(text) &&
           PyDict_CheckExact(message_codes) &&
           (message_code = PyDict_GetItemWithError(message_codes, text)) != NULL && PyLong_CheckExact(message_code))) ||
        !Py_IS_TYPE(times, &ColumnType) || ((Column *)times)->typecode != 'd' ||
        PyObject_Length(messages) >= (Py_ssize_t)UINT32_MAX || /* (its index must fit: Python's to refuse) */
        /* (an offset in a list, or in a column it fits; past 4 GiB, Python widens the column) */
        !(PyList_CheckExact(origins) ||
          (Py_IS_TYPE(origins, &ColumnType) &&
           (((Column *)origins)->typecode == 'q' ||
            (((Column *)origins)->typecode == 'I' && (unsigned long long)offset <= 0xFFFFFFFFULL)))) ||
        !iso_seconds(stamp, &seconds)) {
        PyObject *written, *at, *result = NULL;
        if (PyErr_Occurred()) return NULL; /* (the level's lookup failed) */
        written = json_str(stamp);
        if (written != NULL && (at = PyLong_FromSsize_t(offset)) != NULL) {
            result = PyObject_CallMethodObjArgs(log, ADD, written, level, text, at, NULL);
            Py_DECREF(at);
        }
        Py_XDECREF(written);
        return result;
    }
    /* As `LogColumns.add` and `EventLog.add` do, in their order. */
    index = PyObject_Length(messages);
    if ((when = PyFloat_FromDouble(seconds)) == NULL || column_append_double((Column *)times, seconds) < 0 ||
        (code == NULL ? PyList_Append(levels, level) : append_byte(levels, PyLong_AsLong(code))) < 0 ||
        (message_code == NULL ? PyList_Append(messages, text)
                              : column_append_int((Column *)messages, PyLong_AsLongLong(message_code))) < 0)
        goto failed;
    if (PyList_CheckExact(origins)) {
        PyObject *at = PyLong_FromSsize_t(offset);
        int appended = at != NULL && PyList_Append(origins, at) == 0;
        Py_XDECREF(at);
        if (!appended) goto failed;
    } else if (column_append_int((Column *)origins, (long long)offset) < 0) { /* below OFFSET_MASK: it fits */
        goto failed;
    }
    if (log_append((EventLogCore *)log, (uint32_t)index) < 0) goto failed;
    return when;
failed:
    Py_XDECREF(when);
    return NULL;
}

/* EventLog(run_log.columns): a sample's log, its records in the run's
 * columns. Made here where the run's log is an EventLog; else by Python. */
static PyObject *new_log(PyObject *run_log) {
    PyObject *columns, *log;
    if ((PyObject *)Py_TYPE(run_log) != EVENT_LOG || (columns = log_columns((EventLogCore *)run_log)) == NULL) {
        PyObject *held = PyObject_GetAttr(run_log, COLUMNS);
        if (held == NULL) return NULL;
        log = PyObject_CallOneArg(EVENT_LOG, held);
        Py_DECREF(held);
        return log;
    }
    if ((log = blank((PyTypeObject *)EVENT_LOG)) == NULL) return NULL; /* (no records) */
    if ((((EventLogCore *)log)->columns = columns_take(columns)) == 0) Py_CLEAR(log);
    return log;
}

/* What Inspect writes of a sample's log record after its `task=… sample=…
 * epoch=…` line, as the message's JSON spells it: the key its shared text
 * is found by (`KeyCache`), or NULL where the line is not plainly such
 * (an escape before the first `\n`, or in the first words: Python's way
 * is taken, which cuts or not as before). `_event` cuts after the first
 * newline of a message that starts so; in JSON that newline is the first
 * escape, `\n`, since everything before an escape is as written. */
static const unsigned char *sample_line_rest(const Value *message, Py_ssize_t *len) {
    const unsigned char *s = (const unsigned char *)message->start, *end = s + message->len, *escape;
    if (message->kind != V_STR || !message->escaped) return NULL; /* (no newline: nothing is cut) */
    if (!STARTS_WITH(s, message->len, SAMPLE_LINE_START) && !STARTS_WITH(s, message->len, TASK_LINE_START))
        return NULL;
    if ((escape = memchr(s, '\\', message->len)) == NULL || escape + 1 >= end || escape[1] != 'n') return NULL;
    *len = end - (escape + 2);
    return escape + 2;
}

/* A log record (no action), as `InspectDecoder._event` files it: in its
 * sample's log, or the run's. */
static int message(PyObject *const *ctx, const Value *v, unsigned found, Py_ssize_t offset) {
    PyObject *run = ctx[1], *shared = ctx[7], *run_log = ctx[12];
    PyObject *level = NULL, *text = NULL, *sample = NULL, *shared_text = NULL, *log = NULL, *written = NULL;
    KeyCache *said = (KeyCache *)ctx[15];
    const unsigned char *line_rest = NULL;
    Py_ssize_t rest_len = 0, set = -1;
    uint64_t hash = 0;
    int result = FAILED, is_error, keep = 0;

    if ((level = word(&v[K_LEVEL])) == NULL) goto done;
    if ((found & (1u << K_SAMPLE_ID)) && (sample = sample_of(ctx, v, found)) == NULL) goto left_or_failed;
    if (sample != NULL && (line_rest = sample_line_rest(&v[K_MESSAGE], &rest_len)) != NULL) {
        /* Seen lately: its shared text (no sample's error: such are not kept). */
        hash = key_hash(line_rest, rest_len);
        shared_text = Py_XNewRef(cached(said, line_rest, rest_len, hash, &set));
    }
    if (shared_text == NULL) {
        if ((text = json_str(&v[K_MESSAGE])) == NULL) goto done;
        if (sample != NULL) {
            /* Inspect's `task=… sample=… epoch=…` line: the sample says it. */
            if ((PyUnicode_Tailmatch(text, SAMPLE_PREFIX, 0, PY_SSIZE_T_MAX, -1) ||
                 PyUnicode_Tailmatch(text, TASK_PREFIX, 0, PY_SSIZE_T_MAX, -1))) {
                Py_ssize_t cut = PyUnicode_FindChar(text, '\n', 0, PyUnicode_GET_LENGTH(text), 1);
                if (cut == -2) goto done;
                if (cut >= 0) {
                    PyObject *rest = PyUnicode_Substring(text, cut + 1, PyUnicode_GET_LENGTH(text));
                    if (rest == NULL) goto done;
                    Py_SETREF(text, rest);
                }
            }
            is_error = PyUnicode_Tailmatch(text, SAMPLE_ERROR, 0, PY_SSIZE_T_MAX, -1);
            if (is_error < 0) goto done;
            if (is_error && level != TRACE) goto left; /* it may fail the sample: Python's */
            keep = line_rest != NULL && !is_error;
        }
    }
    if (sample != NULL) {
        PyObject *node = SAMPLE_OF(sample)->node;
        if ((log = span_events_get(node, NULL)) == NULL) goto done;
        if (log == Py_None) {
            Py_SETREF(log, new_log(run_log));
            if (log == NULL || span_events_set(node, log, NULL) < 0) goto done;
        } else if ((PyObject *)Py_TYPE(log) != EVENT_LOG) {
            goto left;
        }
    } else {
        log = Py_NewRef(run_log);
    }
    if (shared_text == NULL) {
        int kept;
        if ((shared_text = share(shared, text, &kept)) == NULL) goto done;
        if (keep && kept) remember(said, set, line_rest, rest_len, hash, shared_text);
    }
    written = log_add(log, &v[K_TIMESTAMP], level, shared_text, offset);
    if (written == NULL || see_time(run, written) < 0) goto done;
    result = TAKEN;
    goto done;

left_or_failed:
    if (PyErr_Occurred()) goto done;
left:
    result = LEFT;
done:
    Py_XDECREF(level);
    Py_XDECREF(text);
    Py_XDECREF(sample);
    Py_XDECREF(shared_text);
    Py_XDECREF(log);
    Py_XDECREF(written);
    return result;
}


/* ---- A slice's lines, held as the slice and where each line starts (`Lines`) ----
 *
 * Why: the reader cut each 8 MiB slice into a list of bytes, one a line:
 * a copy of every byte and an object made and freed for each line, 8% of
 * the CPU time of indexing a 1M-line log, for lines the C path reads in
 * place. A `Lines` holds the slice and the offsets of its lines; `feed`
 * and `Scanner` read them there, and Python gets a line as bytes only
 * when it asks for one (a line the C path leaves, or another format's
 * decoder reading them all). */

/* Bytes a line is thought to take at most, for the first guess of how many
 * lines a slice holds (an Inspect log's are ~400). */
#define LINES_GUESS 128

/* A slice at least this big (bytes) is cut with the GIL released: its
 * lines are then found on the thread that read it ahead while the reader
 * decodes the slice before it (`files.ReadAhead`, slices of 4 MiB and
 * more). Smaller ones, cut by the reader itself, are not worth the GIL's
 * round trip. */
#define LINES_UNLOCKED_MIN (4 * 1024 * 1024)

typedef struct {
    PyObject_HEAD
    PyObject *data;         /* bytes */
    Py_ssize_t count;
    Py_ssize_t *starts;     /* count + 1: line k is data[starts[k] : starts[k + 1] - 1] (PyMem_Raw) */
    char cr;                /* a CR lies in data[start:end] (`Chunk.cr`) */
} Lines;

static PyMemberDef Lines_members[] = {
    {"cr", T_BOOL, offsetof(Lines, cr), READONLY, "whether a CR lies in the lines (a CRLF file, or a lone CR)"},
    {NULL},
};

static PyTypeObject LinesType;

/* Where each line of s[start:end] starts, into `*starts` (`*room` of
 * them, grown as needed); the count of lines, -1 if memory ran out. Takes
 * no Python object: it may run without the GIL. */
static Py_ssize_t find_line_starts(const char *s, Py_ssize_t start, Py_ssize_t end, Py_ssize_t **starts,
                                   Py_ssize_t *room) {
    const char *at, *stop = s + end;
    Py_ssize_t k = 0;
    (*starts)[0] = start;
    /* One pass over the bytes (a count first was a second, 1% of an index). */
    for (at = s + start; at < stop && (at = memchr(at, '\n', stop - at)) != NULL; at++) {
        if (++k + 1 >= *room) {
            Py_ssize_t *more = PyMem_RawRealloc(*starts, sizeof(**starts) * (*room *= 2));
            if (more == NULL) return -1;
            *starts = more;
        }
        (*starts)[k] = at - s + 1;
    }
    if (end > start && s[end - 1] != '\n') (*starts)[++k] = end + 1; /* a last line without its newline */
    return k;
}

static PyObject *Lines_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *data;
    Py_ssize_t end, start = 0, k;
    const char *s;
    Lines *self;
    static char *names[] = {"data", "end", "start", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!n|n", names, &PyBytes_Type, &data, &end, &start)) return NULL;
    if (start < 0 || start > end || end > PyBytes_GET_SIZE(data)) {
        PyErr_SetString(PyExc_ValueError, "0 <= start <= end <= len(data)");
        return NULL;
    }
    Py_ssize_t room = (end - start) / LINES_GUESS + 2;
    s = PyBytes_AS_STRING(data);
    if ((self = (Lines *)type->tp_alloc(type, 0)) == NULL) return NULL;
    self->data = Py_NewRef(data); /* (bytes never change: read below without the GIL) */
    if ((self->starts = PyMem_RawMalloc(sizeof(*self->starts) * room)) == NULL) goto no_memory;
    PyThreadState *unlocked = end - start >= LINES_UNLOCKED_MIN ? PyEval_SaveThread() : NULL;
    k = find_line_starts(s, start, end, &self->starts, &room);
    self->cr = memchr(s + start, '\r', end - start) != NULL;
    if (unlocked != NULL) PyEval_RestoreThread(unlocked);
    if (k < 0) goto no_memory;
    self->count = k;
    return (PyObject *)self;
no_memory:
    Py_DECREF(self);
    return PyErr_NoMemory();
}

static void Lines_dealloc(Lines *self) {
    Py_XDECREF(self->data);
    PyMem_RawFree(self->starts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t Lines_length(Lines *self) {
    return self->count;
}

/* Line k (0 <= k < count), where it lies and how long it is. */
static inline const unsigned char *lines_at(const Lines *self, Py_ssize_t k, Py_ssize_t *len) {
    *len = self->starts[k + 1] - 1 - self->starts[k];
    return (const unsigned char *)PyBytes_AS_STRING(self->data) + self->starts[k];
}

static PyObject *Lines_item(Lines *self, Py_ssize_t k) {
    Py_ssize_t len;
    const unsigned char *line;
    if (k < 0 || k >= self->count) {
        PyErr_SetString(PyExc_IndexError, "Lines index out of range");
        return NULL;
    }
    line = lines_at(self, k, &len);
    return PyBytes_FromStringAndSize((const char *)line, len);
}

static PyObject *Lines_subscript(Lines *self, PyObject *key) {
    if (PyIndex_Check(key)) {
        Py_ssize_t k = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (k == -1 && PyErr_Occurred()) return NULL;
        if (k < 0) k += self->count;
        return Lines_item(self, k);
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step, n;
        PyObject *list;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
        n = PySlice_AdjustIndices(self->count, &start, &stop, step);
        if ((list = PyList_New(n)) == NULL) return NULL;
        for (Py_ssize_t j = 0, k = start; j < n; j++, k += step) {
            PyObject *line = Lines_item(self, k);
            if (line == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, j, line);
        }
        return list;
    }
    PyErr_Format(PyExc_TypeError, "Lines indices must be integers or slices, not %.200s", Py_TYPE(key)->tp_name);
    return NULL;
}

static PySequenceMethods Lines_as_sequence = {
    .sq_length = (lenfunc)Lines_length,
    .sq_item = (ssizeargfunc)Lines_item,
};

static PyMappingMethods Lines_as_mapping = {
    .mp_length = (lenfunc)Lines_length,
    .mp_subscript = (binaryfunc)Lines_subscript,
};

static PyTypeObject LinesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.Lines",
    .tp_basicsize = sizeof(Lines),
    .tp_dealloc = (destructor)Lines_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_SEQUENCE,
    .tp_doc = "Lines(data, end, start=0): the lines of data[start:end], cut at each newline (the last may have "
              "none), each made bytes only when asked for; cr: whether a CR lies in them.",
    .tp_as_sequence = &Lines_as_sequence,
    .tp_as_mapping = &Lines_as_mapping,
    .tp_members = Lines_members,
    .tp_new = Lines_new,
};

/* Line k of a batch (a list or a `Lines`), where it lies and how long it
 * is; NULL if it is not bytes (a list's item: Python's to read). */
static inline const unsigned char *batch_line(PyObject *lines, Py_ssize_t k, Py_ssize_t *len) {
    PyObject *line;
    if (Py_IS_TYPE(lines, &LinesType)) return lines_at((Lines *)lines, k, len);
    line = PyList_GET_ITEM(lines, k);
    if (!PyBytes_CheckExact(line)) return NULL;
    *len = PyBytes_GET_SIZE(line);
    return (const unsigned char *)PyBytes_AS_STRING(line);
}

/* A batch's length; -1, with a TypeError, if it is neither a list nor a `Lines`. */
static Py_ssize_t batch_length(PyObject *lines) {
    if (Py_IS_TYPE(lines, &LinesType)) return ((Lines *)lines)->count;
    if (PyList_Check(lines)) return PyList_GET_SIZE(lines);
    PyErr_SetString(PyExc_TypeError, "lines: a list or a Lines");
    return -1;
}


/* ---- Lines scanned ahead on another core (`Scanner`) ----
 *
 * Why: scanning a line's JSON (`scan_line`) touches every byte of it and
 * needs no Python object, so it can run without the GIL, on the second
 * core, while this one applies the lines before it. It was ~0.4 s of the
 * ~3 s a 1M-line log took to index.
 *
 * A worker thread scans the lines of one batch (`feed_run`'s, a list or
 * a `Lines`) in order into a ring of SCAN_RING blocks of SCAN_BLOCK lines;
 * `feed` takes each line's scan from there instead of scanning it. The
 * two meet once a block, under a mutex: the worker waits while it is a
 * ring ahead of the line `feed` is at. `feed` never waits for it: a line
 * not scanned yet it scans itself, and the worker, once it sees `feed`
 * has passed it, starts again at the block after `feed`'s. In the TUI,
 * where the worker shares the second core with the prescan, `feed` waited
 * for it 0.10-0.15 s in all, 300 us a slice (a new worker per 1 MiB slice
 * of a 1M-line log, 400 of them): its first block was not scanned yet.
 * The worker reads only the bytes of the lines, which the Scanner holds
 * (its batch), and stops when told to (`close`). Where threads cannot be
 * made (no pthreads, or one refused), the scanner scans each line when
 * `feed` asks for it. */

#define SCAN_BLOCK 128
#define SCAN_RING 8

#ifndef _WIN32
#include <pthread.h>
#define SCAN_THREADS 1
#endif

typedef struct {
    unsigned found;
    int ok; /* one object, the whole line, no CR if CRs are looked for */
    Value values[K_COUNT];
} Scanned;

typedef struct {
    PyObject_HEAD
    PyObject *lines;                  /* the batch (held: its bytes are read) */
    const unsigned char **starts;     /* of lines[0:count], where each lies */
    Py_ssize_t *lens;
    Py_ssize_t count;                 /* lines up to the first that is not bytes */
    int crs;
    Scanned *ring;                    /* SCAN_RING * SCAN_BLOCK */
    Scanned one;                      /* a line scanned on demand (no thread) */
#ifdef SCAN_THREADS
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int threaded;                     /* the worker was started and not joined yet */
    Py_ssize_t from, scanned;         /* the ring holds lines[from:scanned] (under the mutex) */
    Py_ssize_t at;                    /* the line `feed` reads; those before it are done with (under the mutex) */
    int stop;                         /* (under the mutex) */
    Py_ssize_t seen_from, seen;       /* `from` and `scanned` as `feed` last read them (its own) */
#endif
} Scanner;

/* Is s[0:len] one line `feed` may take: a JSON object `scan_line` takes
 * whole, with no CR where CRs are looked for (`crs`)? Its keys that matter
 * are then in `values` and `found`. */
static int whole_line(const unsigned char *s, Py_ssize_t len, int crs, Value *values, unsigned *found) {
    const unsigned char *eol = NULL;
    return !(crs && memchr(s, '\r', len) != NULL) && scan_line(s, s + len, values, found, &eol) && eol == s + len;
}

static void scan_one(const Scanner *sc, Py_ssize_t k, Scanned *out) {
    out->ok = whole_line(sc->starts[k], sc->lens[k], sc->crs, out->values, &out->found);
}

#ifdef SCAN_THREADS
static void *scan_ahead(void *arg) {
    Scanner *sc = arg;
    Py_ssize_t k = 0;
    pthread_mutex_lock(&sc->mutex);
    for (;;) {
        /* k: a block's first line. Past it, `feed` scans its own lines:
         * the ring starts again at the block after the one it is in. */
        if (sc->at > k) {
            k = (sc->at / SCAN_BLOCK + 1) * SCAN_BLOCK;
            if (k > sc->count) k = sc->count;
            sc->from = k;
        }
        sc->scanned = k;
        pthread_cond_broadcast(&sc->cond);
        if (k >= sc->count) break;
        /* The block from k overwrites that of the lines a ring before. */
        while (!sc->stop && k + SCAN_BLOCK - SCAN_RING * SCAN_BLOCK > sc->at) pthread_cond_wait(&sc->cond, &sc->mutex);
        if (sc->stop) break;
        pthread_mutex_unlock(&sc->mutex);
        Py_ssize_t end = k + SCAN_BLOCK < sc->count ? k + SCAN_BLOCK : sc->count;
        for (; k < end; k++) scan_one(sc, k, &sc->ring[k % (SCAN_RING * SCAN_BLOCK)]);
        pthread_mutex_lock(&sc->mutex);
    }
    pthread_mutex_unlock(&sc->mutex);
    return NULL;
}
#endif

/* Line k's scan (k < count): the worker's, or, where it has not got to
 * it, scanned here. `feed` asks for lines in order; a line behind the
 * last it asked for may have been written over in the ring, and is
 * scanned anew. */
static const Scanned *scanned_line(Scanner *sc, Py_ssize_t k) {
#ifdef SCAN_THREADS
    if (sc->threaded && k >= sc->at) {
        if (k % SCAN_BLOCK == 0 || k >= sc->seen || k < sc->seen_from) {
            pthread_mutex_lock(&sc->mutex);
            sc->at = k;
            pthread_cond_broadcast(&sc->cond);
            sc->seen_from = sc->from;
            sc->seen = sc->scanned;
            pthread_mutex_unlock(&sc->mutex);
        }
        if (k >= sc->seen_from && k < sc->seen) return &sc->ring[k % (SCAN_RING * SCAN_BLOCK)];
    }
#endif
    scan_one(sc, k, &sc->one);
    return &sc->one;
}

static void scanner_close(Scanner *sc) {
#ifdef SCAN_THREADS
    if (sc->threaded) {
        pthread_mutex_lock(&sc->mutex);
        sc->stop = 1;
        pthread_cond_broadcast(&sc->cond);
        pthread_mutex_unlock(&sc->mutex);
        Py_BEGIN_ALLOW_THREADS
        pthread_join(sc->thread, NULL);
        Py_END_ALLOW_THREADS
        sc->threaded = 0;
        pthread_cond_destroy(&sc->cond);
        pthread_mutex_destroy(&sc->mutex);
    }
#endif
}

static PyObject *Scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *lines;
    int crs, threads = 1;
    Scanner *sc;
    Py_ssize_t n;
    static char *names[] = {"lines", "crs", "threads", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Op|p", names, &lines, &crs, &threads)) return NULL;
    if ((n = batch_length(lines)) < 0) return NULL;
    if ((sc = (Scanner *)type->tp_alloc(type, 0)) == NULL) return NULL;
    sc->lines = Py_NewRef(lines);
    sc->crs = crs;
    sc->starts = PyMem_Malloc(sizeof(*sc->starts) * (n ? n : 1));
    sc->lens = PyMem_Malloc(sizeof(*sc->lens) * (n ? n : 1));
    if (sc->starts == NULL || sc->lens == NULL) {
        Py_DECREF(sc);
        return PyErr_NoMemory();
    }
    for (sc->count = 0; sc->count < n; sc->count++)
        if ((sc->starts[sc->count] = batch_line(lines, sc->count, &sc->lens[sc->count])) == NULL) break;
#ifdef SCAN_THREADS
    if (threads && sc->count > 0) {
        sc->ring = PyMem_Malloc(sizeof(Scanned) * SCAN_RING * SCAN_BLOCK);
        if (sc->ring == NULL) {
            Py_DECREF(sc);
            return PyErr_NoMemory();
        }
        if (pthread_mutex_init(&sc->mutex, NULL) == 0) {
            if (pthread_cond_init(&sc->cond, NULL) == 0) {
                if (pthread_create(&sc->thread, NULL, scan_ahead, sc) == 0) {
                    sc->threaded = 1;
                } else {
                    pthread_cond_destroy(&sc->cond);
                    pthread_mutex_destroy(&sc->mutex);
                }
            } else {
                pthread_mutex_destroy(&sc->mutex);
            }
        }
    }
#else
    (void)threads;
#endif
    return (PyObject *)sc;
}

static void Scanner_dealloc(Scanner *sc) {
    scanner_close(sc);
    Py_XDECREF(sc->lines);
    PyMem_Free(sc->starts);
    PyMem_Free(sc->lens);
    PyMem_Free(sc->ring);
    Py_TYPE(sc)->tp_free((PyObject *)sc);
}

static PyObject *Scanner_close(Scanner *sc, PyObject *Py_UNUSED(ignored)) {
    scanner_close(sc);
    Py_RETURN_NONE;
}

static PyObject *Scanner_threaded(Scanner *sc, void *Py_UNUSED(closure)) {
#ifdef SCAN_THREADS
    return PyBool_FromLong(sc->threaded);
#else
    (void)sc;
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef Scanner_methods[] = {
    {"close", (PyCFunction)Scanner_close, METH_NOARGS, "Stop the worker and wait for it (at once if it is done)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Scanner_getset[] = {
    {"threaded", (getter)Scanner_threaded, NULL, "Its worker scans ahead on another thread (until closed).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scanner(lines, crs, threads=True): a batch's lines scanned ahead on another thread, for `feed`.",
    .tp_methods = Scanner_methods,
    .tp_getset = Scanner_getset,
    .tp_new = Scanner_new,
};

/* A key's value kind as `scan_line` found it: 0 if the key is absent. */
#define KIND(k) ((found & (1u << (k))) ? v[k].kind : 0)

PyDoc_STRVAR(feed_doc,
"feed(context, lines, i, pos, crs, scanner=None) -> (i, pos, records)\n\n"
"Apply lines[i:] (the first at byte `pos`) while each is a common enter,\n"
"exit or log record (see _fastindex.c); stop at the first that is not, for\n"
"Python to read: its index and byte offset are returned, with how many\n"
"records were applied.\n"
"`context`: (decoder, run, run.spans, samples, open, stale, running, shared,\n"
"run.lately_active, SHARED_MAX_LEN, SHARED_MAX_ENTRIES, LATELY_KEPT, run.events,\n"
"sample_cache, text_cache, message_cache, tasks, task_counts):\n"
"KeyCaches of the decoder's own, of its samples (key_max SAMPLE_KEY_MAX), of\n"
"its shared details (key_max 0) and of its sample's log records' shared texts\n"
"(any key_max); the decoder's _tasks and _task_counts.\n"
"`crs`: a line may hold a CR (such lines are Python's).\n"
"`lines`: a list of bytes, or a Lines.\n"
"`scanner`: a Scanner(lines, crs), whose worker scans the lines ahead.");

static PyObject *feed(PyObject *self, PyObject *args) {
    PyObject *context, *lines, *scanner = Py_None;
    Py_ssize_t i, pos, records = 0, n;
    int crs;
    PyObject *const *ctx;
    Scanner *sc = NULL;
    Pending pending = {NULL, 0, 0};
    (void)self;
    if (!PyArg_ParseTuple(args, "O!Onnp|O", &PyTuple_Type, &context, &lines, &i, &pos, &crs, &scanner)) return NULL;
    if ((n = batch_length(lines)) < 0) return NULL;
    if (scanner != Py_None) {
        if (!Py_IS_TYPE(scanner, &ScannerType) || ((Scanner *)scanner)->lines != lines ||
            ((Scanner *)scanner)->crs != crs) {
            PyErr_SetString(PyExc_TypeError, "scanner: a Scanner of these lines, with the same crs");
            return NULL;
        }
        sc = (Scanner *)scanner;
    }
    if (!READY) {
        PyErr_SetString(PyExc_RuntimeError, "_fastindex.setup() was not called");
        return NULL;
    }
    if (PyTuple_GET_SIZE(context) != 18) {
        PyErr_SetString(PyExc_ValueError, "context has 18 members");
        return NULL;
    }
    ctx = &PyTuple_GET_ITEM(context, 0);
    if (!PyObject_TypeCheck(ctx[1], RUN_TYPE)) {
        PyErr_SetString(PyExc_TypeError, "context[1] is a Run");
        return NULL;
    }
    if (!SpanIndex_CheckExact(ctx[2]) && !PyDict_CheckExact(ctx[2])) {
        PyErr_SetString(PyExc_TypeError, "context[2] is a SpanIndex or a dict");
        return NULL;
    }
    if (!SpanIndex_CheckExact(ctx[3]) && !PyDict_CheckExact(ctx[3])) {
        PyErr_SetString(PyExc_TypeError, "context[3] is a SpanIndex or a dict");
        return NULL;
    }
    for (int k = 4; k < 9; k++) {
        if (!PyDict_CheckExact(ctx[k])) {
            PyErr_SetString(PyExc_TypeError, "context[4:9] are dicts");
            return NULL;
        }
    }
    if (!Py_IS_TYPE(ctx[13], &KeyCacheType) || ((KeyCache *)ctx[13])->key_max < SAMPLE_KEY_MAX ||
        !Py_IS_TYPE(ctx[14], &KeyCacheType) || ((KeyCache *)ctx[14])->key_max != 0 ||
        !Py_IS_TYPE(ctx[15], &KeyCacheType) || ((KeyCache *)ctx[15])->key_max == 0) {
        PyErr_SetString(PyExc_TypeError, "context[13:] are KeyCaches: of samples (key_max >= SAMPLE_KEY_MAX), "
                                         "of details (key_max 0), of log records (key_max > 0)");
        return NULL;
    }
    for (int k = 16; k < 18; k++) {
        if (!PyDict_CheckExact(ctx[k])) {
            PyErr_SetString(PyExc_TypeError, "context[16:] are dicts");
            return NULL;
        }
    }
    if ((SHARED_MAX_LEN = PyLong_AsSsize_t(ctx[9])) < 0 || (SHARED_MAX_ENTRIES = PyLong_AsSsize_t(ctx[10])) < 0 ||
        (LATELY_KEPT = PyLong_AsSsize_t(ctx[11])) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "context[9:] are counts");
        return NULL;
    }
    if (sc != NULL && sc->count < n) n = sc->count; /* (the lines past it are not bytes: Python's) */
    while (i < n) {
        PyObject *action;
        Py_ssize_t len;
        const unsigned char *line = batch_line(lines, i, &len);
        Value values[K_COUNT];
        const Value *v = values;
        unsigned found;
        int is_enter, log_write, taken;
        if (line == NULL) break;
        if (sc != NULL) {
            const Scanned *scanned = scanned_line(sc, i);
            if (!scanned->ok) break;
            v = scanned->values;
            found = scanned->found;
        } else {
            if (!whole_line(line, len, crs, values, &found)) break;
        }
        /* The shapes `feed_run` checks inline. */
        if (KIND(K_MESSAGE) != V_STR || KIND(K_TIMESTAMP) != V_STR || KIND(K_LEVEL) != V_STR) break;
        if (!KIND(K_ACTION)) {
            taken = message(ctx, v, found, pos);
        } else {
            if (KIND(K_ACTION) != V_STR || v[K_ACTION].escaped || KIND(K_TRACE_ID) != V_STR ||
                v[K_TRACE_ID].escaped)
                break;
            if (KIND(K_DETAIL) && KIND(K_DETAIL) != V_STR) break;
            if (KIND(K_ERROR) || KIND(K_ERROR_TYPE) || KIND(K_STACKTRACE) || KIND(K_EVENT) != V_STR) break;
            if (is_word(&v[K_EVENT], "enter", 5)) {
                /* (A detail is what an enter's span and row show; without
                 * one the row shows the message, Python's to read.) */
                if (KIND(K_START_TIME) != V_FLOAT || KIND(K_DURATION) || !KIND(K_DETAIL)) break;
                is_enter = 1;
            } else if (is_word(&v[K_EVENT], "exit", 4)) {
                if (KIND(K_DURATION) != V_FLOAT || KIND(K_START_TIME)) break;
                is_enter = 0;
            } else {
                break;
            }
            if (v[K_ACTION].len == 8 && memcmp(v[K_ACTION].start, "Run Task", 8) == 0) break;
            if ((action = word(&v[K_ACTION])) == NULL) goto failed;
            log_write = PySet_Contains(LOG_WRITES, action);
            if (log_write < 0) {
                Py_DECREF(action);
                goto failed;
            }
            taken = is_enter ? enter(ctx, v, found, action, log_write, pos, &pending)
                             : leave(ctx, v, log_write, pos);
            Py_DECREF(action);
        }
        if (taken == FAILED) goto failed;
        if (taken == LEFT) break;
        records++;
        i++;
        pos += len + 1;
    }
    if (pending_flush(ctx, &pending) < 0) return NULL;
    return Py_BuildValue("nnn", i, pos, records);
failed:
    pending_flush(ctx, &pending);
    return NULL;
}

PyDoc_STRVAR(setup_doc,
"setup(Span, AnomalyRow, Sample, Run, constants)\n\n"
"The decoder's types and constants (a dict: RUNNING, OK, LOG_WRITES,\n"
"NOT_PARENTS, pack_offset, PLAUSIBLE_TIME, OFFSET_BITS, EventLog,\n"
"LogColumns, SAMPLE_ERROR, NO_TASK), read once at import.");

static PyObject *get_constant(PyObject *constants, const char *name) {
    PyObject *value = PyDict_GetItemString(constants, name);
    if (value == NULL) PyErr_Format(PyExc_KeyError, "constants lack %s", name);
    return value;
}

static PyObject *setup(PyObject *self, PyObject *args) {
    PyObject *span, *row, *sample, *run, *constants, *c;
    long bits;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!", &PyType_Type, &span, &PyType_Type, &row, &PyType_Type, &sample,
                          &PyType_Type, &run, &PyDict_Type, &constants))
        return NULL;
    READY = 0;
    if (!PyType_IsSubtype((PyTypeObject *)span, &SpanCoreType)) {
        PyErr_SetString(PyExc_TypeError, "Span must be a SpanCore: its cells are read as such");
        return NULL;
    }
    Py_XSETREF(SPAN_TYPE, (PyTypeObject *)Py_NewRef(span));
    SPAN.attributes = offsetof(SpanCore, attributes); /* (read through a getset: `_span.h`) */
    SPAN.children = offsetof(SpanCore, children);     /* (likewise) */
    Py_XSETREF(ROW_TYPE, (PyTypeObject *)Py_NewRef(row));
    if (sample != (PyObject *)SAMPLE_TYPE) {
        PyErr_SetString(PyExc_TypeError, "_Sample must be SampleState: its fields are read as such");
        return NULL;
    }
    Py_XSETREF(RUN_TYPE, (PyTypeObject *)Py_NewRef(run));
    if (offset_of(ROW_TYPE, "action", &ROW.action) || offset_of(ROW_TYPE, "detail", &ROW.detail) ||
        offset_of(ROW_TYPE, "start", &ROW.start) || offset_of(ROW_TYPE, "duration", &ROW.duration) ||
        offset_of(ROW_TYPE, "error", &ROW.error) || offset_of(ROW_TYPE, "span", &ROW.span) ||
        offset_of(ROW_TYPE, "sample", &ROW.sample) ||
        offset_of(RUN_TYPE, "first_time", &RUN.first_time) || offset_of(RUN_TYPE, "last_time", &RUN.last_time) ||
        offset_of(RUN_TYPE, "synthetic_spans", &RUN.synthetic_spans) || offset_of(RUN_TYPE, "spans", &RUN.spans))
        return NULL;
    /* Instances made here skip __init__: every slot is set instead, so a
     * type that kept more (a __dict__, a weak reference list) would differ. */
    if (SPAN_TYPE->tp_dictoffset || ROW_TYPE->tp_dictoffset || SPAN_TYPE->tp_weaklistoffset ||
        ROW_TYPE->tp_weaklistoffset) {
        PyErr_SetString(PyExc_TypeError, "Span and AnomalyRow must have slots only");
        return NULL;
    }
#define TAKE(var, name)                                \
    if ((c = get_constant(constants, name)) == NULL) \
        return NULL;                                   \
    Py_XSETREF(var, Py_NewRef(c));
    TAKE(RUNNING, "RUNNING");
    TAKE(OK, "OK");
    TAKE(LOG_WRITES, "LOG_WRITES");
    TAKE(NOT_PARENTS, "NOT_PARENTS");
    TAKE(PACK_OFFSET, "pack_offset");
    TAKE(EVENT_LOG, "EventLog");
    TAKE(LOG_COLUMNS, "LogColumns");
    TAKE(SAMPLE_ERROR, "SAMPLE_ERROR");
    TAKE(NO_TASK, "NO_TASK");
#undef TAKE
    if (!PyType_Check(EVENT_LOG) || !PyType_Check(LOG_COLUMNS) || ((PyTypeObject *)EVENT_LOG)->tp_dictoffset ||
        ((PyTypeObject *)EVENT_LOG)->tp_weaklistoffset ||
        !PyType_IsSubtype((PyTypeObject *)EVENT_LOG, &EventLogCoreType) ||
        offset_of((PyTypeObject *)LOG_COLUMNS, "times", &COLUMNS_OF.times) ||
        offset_of((PyTypeObject *)LOG_COLUMNS, "levels", &COLUMNS_OF.levels) ||
        offset_of((PyTypeObject *)LOG_COLUMNS, "_level_codes", &COLUMNS_OF.level_codes) ||
        offset_of((PyTypeObject *)LOG_COLUMNS, "messages", &COLUMNS_OF.messages) ||
        offset_of((PyTypeObject *)LOG_COLUMNS, "_message_codes", &COLUMNS_OF.message_codes) ||
        offset_of((PyTypeObject *)LOG_COLUMNS, "origins", &COLUMNS_OF.origins)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "EventLog and LogColumns are types");
        return NULL;
    }
    if (!PyUnicode_CheckExact(NO_TASK)) {
        PyErr_SetString(PyExc_TypeError, "NO_TASK is a str");
        return NULL;
    }
    {
        int running = code_of(&STATUSES, RUNNING), ok = code_of(&STATUSES, OK);
        if (running < 0 || ok < 0) return NULL;
        if (running < CODE_FIRST || running == STATUSES.in_extra || ok < CODE_FIRST || ok == STATUSES.in_extra) {
            PyErr_SetString(PyExc_TypeError, "RUNNING and OK are strs, coded (`_span.h`)");
            return NULL;
        }
        CODE_RUNNING = (unsigned char)running;
        CODE_OK = (unsigned char)ok;
    }
    if (!PyFrozenSet_CheckExact(LOG_WRITES) || !PyFrozenSet_CheckExact(NOT_PARENTS)) {
        PyErr_SetString(PyExc_TypeError, "LOG_WRITES and NOT_PARENTS are frozensets");
        return NULL;
    }
    if ((c = get_constant(constants, "PLAUSIBLE_TIME")) == NULL) return NULL;
    PLAUSIBLE_TIME = PyFloat_AsDouble(c);
    if (PLAUSIBLE_TIME == -1.0 && PyErr_Occurred()) return NULL;
    if ((c = get_constant(constants, "OFFSET_BITS")) == NULL || (bits = PyLong_AsLong(c)) < 0) return NULL;
    if (bits < 1 || bits > 62) {
        PyErr_SetString(PyExc_ValueError, "OFFSET_BITS out of range");
        return NULL;
    }
    OFFSET_MASK = (1LL << bits) - 1;
    OFFSET_BITS = (int)bits;
    Py_XSETREF(OFFSET_SHIFT, PyLong_FromLong(bits));
    if (OFFSET_SHIFT == NULL) return NULL;
    READY = 1;
    Py_RETURN_NONE;
}

#include "_tablerows.h"
#include "_tablefetch.h"

static PyMethodDef methods[] = {
    {"feed", feed, METH_VARARGS, feed_doc},
    {"plain_rows", plain_rows, METH_VARARGS, plain_rows_doc},
    {"setup", setup, METH_VARARGS, setup_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastindex",
    "The Inspect decoder's common actions, applied without building their records (see _fastindex.c).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastindex(void) {
    init_special();
    EMPTY_TUPLE = PyTuple_New(0);
    ONE = PyLong_FromLong(1);
    SAMPLE_KIND = PyUnicode_InternFromString("sample");
    CANCELS_SINCE = PyUnicode_InternFromString("_cancels_since");
    SAMPLE_FOR = PyUnicode_InternFromString("_sample_for");
    ADD = PyUnicode_InternFromString("add");
    COLUMNS = PyUnicode_InternFromString("columns");
    TRACE = PyUnicode_InternFromString("TRACE");
    SAMPLE_PREFIX = PyUnicode_FromString(SAMPLE_LINE_START);
    TASK_PREFIX = PyUnicode_FromString(TASK_LINE_START);
    if (span_core_ready() < 0 || span_index_ready() < 0 || ONE == NULL || SAMPLE_KIND == NULL ||
        EMPTY_TUPLE == NULL || CANCELS_SINCE == NULL || SAMPLE_FOR == NULL || ADD == NULL ||
        COLUMNS == NULL || TRACE == NULL || SAMPLE_PREFIX == NULL || TASK_PREFIX == NULL)
        return NULL;
    {
        PyObject *m;
        if (PyType_Ready(&ScannerType) < 0 || PyType_Ready(&ColumnType) < 0 || PyType_Ready(&SampleStateType) < 0 || PyType_Ready(&EventLogCoreType) < 0 || PyType_Ready(&LinesType) < 0 || PyType_Ready(&KeyCacheType) < 0 ||
            PyType_Ready(&TableFetcherType) < 0 || PyType_Ready(&AttributeTextsType) < 0 ||
            (m = PyModule_Create(&module)) == NULL)
            return NULL;
        if (PyModule_AddObjectRef(m, "Scanner", (PyObject *)&ScannerType) < 0 ||
            PyModule_AddObjectRef(m, "Column", (PyObject *)&ColumnType) < 0 ||
            PyModule_AddObjectRef(m, "SampleState", (PyObject *)&SampleStateType) < 0 ||
            PyModule_AddObjectRef(m, "KeyCache", (PyObject *)&KeyCacheType) < 0 ||
            PyModule_AddObjectRef(m, "TableFetcher", (PyObject *)&TableFetcherType) < 0 ||
            PyModule_AddObjectRef(m, "AttributeTexts", (PyObject *)&AttributeTextsType) < 0 ||
            PyModule_AddObjectRef(m, "SpanCore", (PyObject *)&SpanCoreType) < 0 ||
            PyModule_AddObjectRef(m, "SpanIndex", (PyObject *)&SpanIndexType) < 0 ||
            PyModule_AddObjectRef(m, "EventLogCore", (PyObject *)&EventLogCoreType) < 0 ||
            PyModule_AddIntConstant(m, "SAMPLE_KEY_MAX", SAMPLE_KEY_MAX) < 0 ||
            PyModule_AddIntConstant(m, "SMALL_FAN_OUT", SMALL_FAN_OUT) < 0 ||
            PyModule_AddObjectRef(m, "Lines", (PyObject *)&LinesType) < 0) {
            Py_DECREF(m);
            return NULL;
        }
        return m;
    }
}
