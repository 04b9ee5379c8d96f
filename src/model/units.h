/*
 * units.h: the semantic types and units of the DTDL quantitativeTypes
 * extension, version 1 (dtmi:dtdl:extension:quantitativeTypes;1): 52
 * semantic types, each with a unit type, and 240 units in 43 unit types.
 * The table follows DTDL.quantitativeTypes.v1.md. DTDL v2 defines a subset
 * in its base context (42 semantic types, 172 units, DTDL.v2.md "Semantic
 * Type"), with DTMIs of its own ("dtmi:standard:class:Temperature;2",
 * "dtmi:standard:unit:kelvin;2"); the lookups take the language version.
 *
 * The unit types are also schemas: the extension defines each as a string
 * Enum whose values are its units ("TemperatureUnit", DTMI
 * "dtmi:dtdl:extension:quantitativeTypes:v1:enum:TemperatureUnit"), which a
 * Property that overrides a `unit` uses as its schema.
 */
#ifndef GM_MODEL_UNITS_H
#define GM_MODEL_UNITS_H

#include <stdbool.h>
#include <stddef.h>

/* The semantic type named by s in DTDL version ver (2 or 3): its term
   ("Temperature") or its DTMI ("dtmi:dtdl:extension:quantitativeTypes:v1:
   class:Temperature" in v3, "dtmi:standard:class:Temperature;2" in v2). An
   index >= 0, or -1 when s names none of that version's. */
int gm_units_semantic_type(const char *s, int ver);

/* The term of semantic type st ("Temperature"); NULL when out of range. */
const char *gm_units_semantic_name(int st);

/* The unit type of semantic type st ("TemperatureUnit"); NULL when out of
   range. */
const char *gm_units_unit_type(int st);

/* The unit type of semantic type st as an index for gm_units_unit_type_*;
   -1 when out of range. */
int gm_units_semantic_unit_type(int st);

/* The unit named by u (a term such as "degreeCelsius" or its DTMI of
   version ver: "dtmi:dtdl:extension:quantitativeTypes:v1:unit:degreeCelsius",
   "dtmi:standard:unit:degreeCelsius;2") when it is a unit of semantic type
   st in DTDL version ver, as its term; NULL otherwise. */
const char *gm_units_unit_of(int st, const char *u, int ver);

/* Write the units of semantic type st in DTDL version ver into buf as
   "a, b, c" (truncated to fit n bytes); for messages. */
void gm_units_list(int st, int ver, char *buf, size_t n);

/* The unit type named by s, as a schema of the quantitativeTypes extension:
   its term ("TemperatureUnit"; "EnergyRateUnit" is PowerUnit) or its DTMI
   ("dtmi:dtdl:extension:quantitativeTypes:v1:enum:TemperatureUnit"). An
   index >= 0, or -1. */
int gm_units_unit_type_find(const char *s);

/* The term of unit type ut ("TemperatureUnit"); NULL when out of range. */
const char *gm_units_unit_type_name(int ut);

/* The units of unit type ut: *out points at their terms (static, in the
   table's order); returns how many (0, *out NULL, when out of range). */
size_t gm_units_unit_type_units(int ut, const char *const **out);

/* Write the DTMI of unit type ut's Enum into buf; 0, or -1 when ut is out
   of range or buf too small. */
int gm_units_unit_type_id(int ut, char *buf, size_t n);

#endif
