/*
 * units.h: the semantic types and units of the DTDL quantitativeTypes
 * extension, version 1 (dtmi:dtdl:extension:quantitativeTypes;1): 52
 * semantic types, each with a unit type, and 240 units in 43 unit types.
 * The table follows DTDL.quantitativeTypes.v1.md.
 */
#ifndef GM_MODEL_UNITS_H
#define GM_MODEL_UNITS_H

#include <stdbool.h>
#include <stddef.h>

/* The semantic type named by term ("Temperature") or by its DTMI
   ("dtmi:dtdl:extension:quantitativeTypes:v1:class:Temperature"): an index
   >= 0, or -1 when s names none. */
int gm_units_semantic_type(const char *s);

/* The term of semantic type st ("Temperature"); NULL when out of range. */
const char *gm_units_semantic_name(int st);

/* The unit type of semantic type st ("TemperatureUnit"); NULL when out of
   range. */
const char *gm_units_unit_type(int st);

/* The unit named by u (a term such as "degreeCelsius" or its DTMI
   "dtmi:dtdl:extension:quantitativeTypes:v1:unit:degreeCelsius") when it is
   a unit of semantic type st, as its term; NULL otherwise. */
const char *gm_units_unit_of(int st, const char *u);

/* Write the units of semantic type st into buf as "a, b, c" (truncated to
   fit n bytes); for messages. */
void gm_units_list(int st, char *buf, size_t n);

#endif
