/* xmlcheck.c: located errors and size limits for the XML importers. */
#include "process/xmlcheck.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <libxml/tree.h>

#include "process/bpmn.h"

int sim__xml_err(gm_err *err, int code, const char *file, const xmlNode *n, const char *fmt,
                 ...)
{
    char where[GM_ERR_WHERE_MAX];
    if (n)
        snprintf(where, sizeof where, "%s:%ld", file, xmlGetLineNo(n));
    else
        snprintf(where, sizeof where, "%s", file);
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, code, where, fmt, ap);
    va_end(ap);
    return code;
}

int sim__xml_limits(const char *file, const xmlNode *root, bool refuse_entities, gm_err *err)
{
    size_t count = 0;
    unsigned depth = 1;
    const xmlNode *n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE) {
            if (++count > GM_BPMN_MAX_ELEMENTS)
                return sim__xml_err(err, GM_ELIMIT, file, n, "more than %u XML elements",
                                    GM_BPMN_MAX_ELEMENTS);
            if (depth > GM_BPMN_MAX_DEPTH)
                return sim__xml_err(err, GM_ELIMIT, file, n,
                                    "XML elements nested deeper than %u", GM_BPMN_MAX_DEPTH);
        }
        if (refuse_entities && n->type == XML_ENTITY_REF_NODE)
            return sim__xml_err(err, GM_EPARSE, file, n, "entity references are not allowed");
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            depth++;
            continue;
        }
        while (n && n != root && !n->next) {
            n = n->parent;
            depth--;
        }
        if (!n || n == root)
            break;
        n = n->next;
    }
    return 0;
}
