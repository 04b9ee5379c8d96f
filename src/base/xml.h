/*
 * xml.h: bounded XML reading over libxml2, for every importer of outside XML
 * (BPMN models, Scylla and BIMP simulation parameters).
 *
 * A document is parsed whole into a tree, under limits checked before any
 * importer sees it: its size, its number of elements and their nesting depth
 * (walked iteratively, so a hostile document cannot exhaust the stack). No
 * network access ever; no external DTD or entity is loaded and no entity is
 * substituted. A document type declaration is refused unless the limits allow
 * one; where one is allowed, an entity reference (which only a DTD can
 * declare) is refused when an importer reads the attribute or text holding
 * it, so a value is never silently missing a part.
 *
 * Elements are matched by namespace URI and local name, whatever prefix the
 * document uses. Values come back as strings that live as long as the
 * document: attributes as written (XML has already normalised them), text
 * with surrounding white space trimmed. Numbers, integers and booleans are
 * parsed strictly, with ranges.
 *
 * Every error is one line of valid UTF-8 (a byte that would break it, as
 * when a quoted value is cut to a width in the middle of a character,
 * becomes '?') located at "NAME:LINE" (NAME the document's name as given at
 * load) and says what was expected:
 *   "sim.xml:12: <mean>: expected a number, got '1.5x'"
 *   "model.bpmn:4: <task> needs the attribute id"
 */
#ifndef GM_BASE_XML_H
#define GM_BASE_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A parsed document; free with gm_xml_free. */
typedef struct gm_xml gm_xml;

/* An element of a document. It is libxml2's node type, but callers treat it
   as opaque and reach it only through the functions below; it lives as long
   as its document. */
typedef struct _xmlNode gm_xml_node;

/* Default limits, also those of the BPMN, Scylla and BIMP importers. */
#define GM_XML_MAX_BYTES (16u * 1024u * 1024u) /* document size */
#define GM_XML_MAX_ELEMENTS 500000u            /* elements in the document */
#define GM_XML_MAX_DEPTH 128u                  /* element nesting */

typedef struct gm_xml_limits {
    size_t max_bytes;    /* GM_ELIMIT beyond this many bytes (at most INT_MAX) */
    size_t max_elements; /* GM_ELIMIT beyond this many elements */
    unsigned max_depth;  /* GM_ELIMIT for elements nested deeper (the root is 1) */
    bool allow_dtd;      /* tolerate a document type declaration (never loaded);
                            false: GM_EPARSE for any */
} gm_xml_limits;

/* GM_XML_MAX_BYTES, GM_XML_MAX_ELEMENTS, GM_XML_MAX_DEPTH, no DTD. */
extern const gm_xml_limits gm_xml_limits_default;

/*
 * Parse len bytes at buf (buf may be NULL only when len is 0) as one XML
 * document. name stands for the document in error locations (NULL:
 * "(memory)"); it is copied. lim NULL means gm_xml_limits_default. buf is not
 * retained. On success *out owns the document; on failure *out is NULL and:
 *   GM_ELIMIT  larger than lim->max_bytes, more than lim->max_elements
 *              elements, or elements nested deeper than lim->max_depth
 *              ("NAME:LINE: XML elements nested deeper than 128");
 *   GM_EPARSE  not well-formed ("NAME:LINE: not well-formed XML: ..."), empty,
 *              or a DTD when lim does not allow one;
 *   GM_ENOMEM.
 */
int gm_xml_load_mem(const char *buf, size_t len, const char *name, const gm_xml_limits *lim,
                    gm_xml **out, gm_err *err);

/*
 * As gm_xml_load_mem for the file at path, which names it in errors. Reads at
 * most lim->max_bytes + 1 bytes. File errors: GM_ENOENT, GM_EIO, GM_EINVAL
 * (a directory), GM_ELIMIT (too large), as gm_file_read.
 */
int gm_xml_load_file(const char *path, const gm_xml_limits *lim, gm_xml **out, gm_err *err);

/* Free a document and every string read from it. NULL is ignored. */
void gm_xml_free(gm_xml *x);

/* The root element (never NULL), and the name given at load. */
const gm_xml_node *gm_xml_root(const gm_xml *x);
const char *gm_xml_doc_name(const gm_xml *x);

/* ---- elements ---- */

/* Local name ("task" for <bpmn:task>), namespace URI (NULL when the element
   has none) and source line of element n. */
const char *gm_xml_local(const gm_xml_node *n);
const char *gm_xml_ns(const gm_xml_node *n);
long gm_xml_line(const gm_xml_node *n);

/* True when n is in namespace ns (NULL: any namespace, or none) and has
   local name local (NULL: any). */
bool gm_xml_is(const gm_xml_node *n, const char *ns, const char *local);

/*
 * The first child element of parent, and the next sibling element after n,
 * that gm_xml_is(.., ns, local); NULL when there is none. Text, comments and
 * processing instructions are skipped. Iterate with
 *     for (c = gm_xml_first(p, NS, NULL); c; c = gm_xml_next(c, NS, NULL))
 */
const gm_xml_node *gm_xml_first(const gm_xml_node *parent, const char *ns, const char *local);
const gm_xml_node *gm_xml_next(const gm_xml_node *n, const char *ns, const char *local);

/* The element after n in document order (pre-order) inside root's subtree,
   NULL after the last: for (n = r; n; n = gm_xml_walk(r, n)) visits r and
   every element under it, without recursion. */
const gm_xml_node *gm_xml_walk(const gm_xml_node *root, const gm_xml_node *n);

/* ---- values ----
 *
 * Strings returned live as long as the document. Attributes are matched by
 * name without namespace (name="x", not foo:name="x"). Errors are located at
 * n's line; an entity reference in a value read is GM_EPARSE ("entity
 * references are not allowed"). On error the outputs are left untouched.
 */

/* *out = the value of attribute name, or NULL when n has none. */
int gm_xml_attr(const gm_xml_node *n, const char *name, const char **out, gm_err *err);

/* As gm_xml_attr, but an absent attribute is GM_EINVAL
   ("<task> needs the attribute id"). */
int gm_xml_attr_req(const gm_xml_node *n, const char *name, const char **out, gm_err *err);

/* True when n has attribute name (in no namespace), whatever its value. */
bool gm_xml_has_attr(const gm_xml_node *n, const char *name);

/* An xsd:boolean attribute: "true" or "1", "false" or "0" (surrounding white
   space ignored); dflt when absent; GM_EINVAL for anything else
   ("isExecutable: expected true or false, got 'yes'"). */
int gm_xml_attr_bool(const gm_xml_node *n, const char *name, bool dflt, bool *out, gm_err *err);

/*
 * A number (gm_parse_double: finite, no spaces) or an integer (gm_parse_i64)
 * in [lo, hi] from attribute name. given NULL: the attribute is required
 * (GM_EINVAL when absent); else *given says whether it was there and *out is
 * untouched when it was not. A bound of -HUGE_VAL or HUGE_VAL is no bound.
 * GM_EINVAL otherwise: "arg1: expected a number >= 0, got 'five'",
 * "amount: expected an integer in [1, 1000000], got '1.5'".
 */
int gm_xml_attr_double(const gm_xml_node *n, const char *name, double lo, double hi,
                       double *out, bool *given, gm_err *err);
int gm_xml_attr_int(const gm_xml_node *n, const char *name, int64_t lo, int64_t hi,
                    int64_t *out, bool *given, gm_err *err);

/* *out = the text of n: its text and CDATA children (not those of child
   elements) joined, surrounding white space (space, tab, CR, LF) trimmed;
   "" when there is none. */
int gm_xml_text(const gm_xml_node *n, const char **out, gm_err *err);

/* A number or integer in [lo, hi] in the text of n; errors name the element:
   "<mean>: expected a number, got '1.5x'". */
int gm_xml_text_double(const gm_xml_node *n, double lo, double hi, double *out, gm_err *err);
int gm_xml_text_int(const gm_xml_node *n, int64_t lo, int64_t hi, int64_t *out, gm_err *err);

/* ---- errors ---- */

/* Record an error at "NAME:LINE" of n (n not NULL) and return code. */
int gm_xml_err(gm_err *err, int code, const gm_xml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record GM_ENOMEM "out of memory" located at n's document name; returns
   GM_ENOMEM. */
int gm_xml_nomem(gm_err *err, const gm_xml_node *n);

#endif
