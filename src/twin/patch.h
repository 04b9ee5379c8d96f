/*
 * patch.h: JSON Pointer (RFC 6901) and JSON Patch (RFC 6902) over jansson.
 *
 * Every twin update in gemel is a JSON Patch applied by the engine's single
 * writer thread. gm_patch_apply is atomic: it edits the document in place and
 * keeps an undo log, so a patch whose k-th operation fails leaves the document
 * exactly as it was: the same top-level json_t, the same nested containers,
 * equal values and even the same member order in every object (jansson keeps
 * insertion order and json_dumps prints it). Nothing is deep-copied except the
 * values that come from the patch itself.
 *
 * JSON Pointers: "" is the whole document; otherwise a pointer is a sequence
 * of "/token", where "~1" stands for '/' and "~0" for '~' (no other '~'
 * escape exists). On an array a token must be a decimal index without
 * leading zeros ("0", "7", "12"), or "-", which names the position just past
 * the last element and is only valid as the target of add (and of the add half
 * of move and copy). Pointers are at most GM_POINTER_MAX_LEN bytes and
 * GM_POINTER_MAX_DEPTH tokens long, and must be valid UTF-8 without NUL.
 *
 * Errors name the place: for a patch's shape, the JSON path inside the patch
 * ("[2].op: expected one of add, remove, replace, move, copy, test, found
 * 'delete'"); for an operation that cannot be applied, its index, op and
 * pointer ("[1] (remove /properties/x): no member 'x' in object at
 * /properties"). Quoted keys and pointers are shortened (ending in "...") to
 * keep a message within gm_err's buffers; messages are one line of valid UTF-8.
 *
 * Threading: none of these functions keep state between calls; a document must
 * be modified by one thread at a time (the engine writer).
 */
#ifndef GM_TWIN_PATCH_H
#define GM_TWIN_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

/* Limits on untrusted input. */
#define GM_POINTER_MAX_LEN 4096  /* bytes in a pointer string */
#define GM_POINTER_MAX_DEPTH 64  /* reference tokens in a pointer */
#define GM_PATCH_MAX_OPS 10000   /* operations in one patch */
#define GM_PATCH_MAX_NEST 2048   /* deepest level a patch may place a value at */
#define GM_PATCH_MAX_COPIED 1000000 /* values all copy operations of a patch may create */

/*
 * A parsed pointer: its tokens unescaped ("~1" -> "/", "~0" -> "~"), each
 * NUL-terminated in buf. Read-only for callers; use gm_pointer_token. About
 * 4.4 KiB, meant to live on the stack. No heap memory, nothing to free.
 */
typedef struct gm_pointer {
    size_t depth;                        /* number of tokens; 0 for "" */
    uint16_t off[GM_POINTER_MAX_DEPTH];  /* start of token i in buf */
    uint16_t len[GM_POINTER_MAX_DEPTH];  /* length of token i in bytes */
    char buf[GM_POINTER_MAX_LEN + 1];
} gm_pointer;

/*
 * Token i (< p->depth) as a NUL-terminated string (it contains no NUL); its
 * length in bytes goes to *len when len is not NULL. Borrowed from p.
 */
static inline const char *gm_pointer_token(const gm_pointer *p, size_t i, size_t *len)
{
    if (len)
        *len = p->len[i];
    return p->buf + p->off[i];
}

/*
 * Parse the NUL-terminated pointer ptr into *out (overwritten, also on
 * failure). Returns 0, or with err set (where = "", what = the problem):
 *   GM_EINVAL  ptr or out NULL; not "" and not starting with '/'; a '~' not
 *              followed by '0' or '1'; invalid UTF-8
 *   GM_ELIMIT  longer than GM_POINTER_MAX_LEN bytes or more than
 *              GM_POINTER_MAX_DEPTH tokens
 */
int gm_pointer_parse(const char *ptr, gm_pointer *out, gm_err *err);

/*
 * As gm_pointer_parse for len bytes at ptr (no NUL needed). A NUL byte inside
 * the range is GM_EINVAL: use it for JSON strings, which may contain \u0000.
 */
int gm_pointer_parsen(const char *ptr, size_t len, gm_pointer *out, gm_err *err);

/*
 * The value that parsed pointer p names in doc, borrowed from doc (valid while
 * doc is unchanged), or NULL with err set (where = "", what as below):
 *   GM_ENOENT  a member is missing ("no member 'x' in object at /a"), an
 *              index is out of range, or the token is "-"
 *   GM_EINVAL  doc NULL; a token on an array is not an index ("01", "x");
 *              a token steps into a string, number, boolean or null
 */
const json_t *gm_pointer_resolve(const json_t *doc, const gm_pointer *p, gm_err *err);

/*
 * Parse ptr and resolve it in doc: gm_pointer_parse then gm_pointer_resolve,
 * with the same errors, except that where is the pointer itself (shortened
 * when long). Returns a borrowed value or NULL.
 */
const json_t *gm_pointer_get(const json_t *doc, const char *ptr, gm_err *err);

/*
 * Check the shape of a patch without a document: an array of at most
 * GM_PATCH_MAX_OPS objects, each with "op" one of add, remove, replace, move,
 * copy, test; "path" a valid pointer; "value" (any JSON, null included) for
 * add, replace and test; "from" a valid pointer for move and copy, and for
 * move not a proper prefix of "path" (a value cannot move into its own
 * child). Other members are ignored, as RFC 6902 section 4 says.
 *
 * Returns 0, or with err set (where = the JSON path in the patch, e.g.
 * "[2].op"; "" for the patch itself):
 *   GM_EINVAL  patch NULL or not an array; a rule above broken
 *   GM_ELIMIT  more than GM_PATCH_MAX_OPS operations; a pointer over its
 *              length or depth limit
 */
int gm_patch_check(const json_t *patch, gm_err *err);

/*
 * Apply patch to *doc, every operation in order, all or nothing.
 *
 * *doc is modified in place. It is replaced by another value only when an
 * operation targets the root ("" in add, replace, or as the path of move and
 * copy) and the whole patch succeeds; the old root is then released (the
 * caller's reference to it is consumed, *doc holds the new one). Values taken
 * from the patch are deep-copied, so the patch is only read and may be freed
 * or changed afterwards without affecting *doc; the patch must not be part of
 * *doc itself. Removing the root ("remove" with path "") is refused. A test
 * whose path does not resolve fails like any other operation on a missing
 * path (GM_EINVAL), not as a failed comparison.
 *
 * The whole patch's shape is checked first, as by gm_patch_check (same codes,
 * same messages), and a malformed patch is refused before *doc is touched.
 *
 * On failure *doc is restored exactly (same pointer, same containers, same
 * member order) and the code is:
 *   GM_ECONFLICT  a test operation found a different value
 *   GM_EINVAL     doc, *doc or patch NULL; a bad shape; an operation that
 *                 cannot be applied: a missing member or index, an index out
 *                 of range or not an index, "-" outside an add target, a
 *                 step into a scalar, removing the root
 *   GM_ELIMIT     a limit of gm_patch_check; an add, replace, move or copy
 *                 that would put a value deeper than GM_PATCH_MAX_NEST levels
 *                 (the path's tokens plus the value's own nesting); copies
 *                 creating more than GM_PATCH_MAX_COPIED values in all (each
 *                 copy may double the document, so a short patch could
 *                 otherwise exhaust memory); a test comparing values nested
 *                 deeper than GM_PATCH_MAX_NEST
 *   GM_ENOMEM     allocation failed (rolled back)
 *   GM_EINTERNAL  allocation failed during the rollback itself: *doc may be
 *                 damaged (members missing or out of order) and must be
 *                 discarded. A rollback allocates only when the patch removed
 *                 object members, to put them back in their places.
 * where = "[k] (op path)", or "[k] (op from F to P)" for move and copy, with
 * k the index of the failing operation; what says what was found and expected.
 *
 * test compares as RFC 6902 section 4.6 says: same type, strings by bytes,
 * objects by member set regardless of order, arrays element by element, and
 * numbers by numeric value, so 1 equals 1.0 (exactly: 2^53 + 1 does not
 * equal 2^53 as a real).
 */
int gm_patch_apply(json_t **doc, const json_t *patch, gm_err *err);

/*
 * As gm_patch_apply, keeping what reverts the patch: on success *undo (the
 * caller owns it) lets the caller still change its mind, for example after
 * validating the result. Either keep the change with gm_patch_undo_free or
 * take it back with gm_patch_revert, before anything else modifies *doc
 * (which must stay at the same address). On failure *undo is NULL and *doc
 * is unchanged, as with gm_patch_apply. gm_patch_revert returns 0, or
 * GM_EINTERNAL when it ran out of memory restoring object members (the
 * document may then be damaged); both free undo (NULL is ignored).
 */
typedef struct gm_patch_undo gm_patch_undo;
int gm_patch_apply_undo(json_t **doc, const json_t *patch, gm_patch_undo **undo, gm_err *err);
int gm_patch_revert(gm_patch_undo *undo);
void gm_patch_undo_free(gm_patch_undo *undo);

/*
 * Build a patch that turns from into to: apply(from, *patch) is json_equal to
 * to (so 1 and 1.0 count as different here and the patch replaces one with
 * the other). Objects are compared member by member; arrays keep their common
 * head and tail and edit the middle element by element, removing or adding the
 * difference in length. Where a pointer would pass GM_POINTER_MAX_DEPTH or
 * GM_POINTER_MAX_LEN the whole subtree is replaced instead, and when the patch
 * would need more than GM_PATCH_MAX_OPS operations it is a single replace of
 * the root; so the result always passes gm_patch_check. The patch holds deep
 * copies: it shares nothing with from or to (except jansson's immutable
 * true, false and null singletons, which every value shares).
 *
 * On success *patch is a new array (the caller json_decref's it). Errors:
 * GM_EINVAL (an argument NULL), GM_ENOMEM (*patch untouched).
 */
int gm_patch_diff(const json_t *from, const json_t *to, json_t **patch, gm_err *err);

#endif
