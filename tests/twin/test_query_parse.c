#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twin/query.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static gm_query *parse_ok(const char *text)
{
    gm_query *q = NULL;
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_query_parse(text, strlen(text), NULL, &q, &e);
    if (rc != GM_OK)
        fail_msg("parse failed: %s: %s\n  query: %s", e.where, e.what, text);
    assert_non_null(q);
    return q;
}

/* Canonical text of q, in a malloc'd string. */
static char *format_q(const gm_query *q)
{
    gm_sb sb = GM_SB_INIT;
    assert_int_equal(gm_query_format(q, &sb), GM_OK);
    char *s = gm_sb_take(&sb);
    assert_non_null(s);
    return s;
}

/* Format of the parse of text must be canonical; canonical must reparse
   to itself. */
static void roundtrip(const char *text, const char *canonical)
{
    gm_query *q = parse_ok(text);
    char *s1 = format_q(q);
    if (strcmp(s1, canonical) != 0)
        fail_msg("query: %s\n  got:      %s\n  expected: %s", text, s1, canonical);
    gm_query *q2 = parse_ok(s1);
    char *s2 = format_q(q2);
    assert_string_equal(s1, s2);
    free(s1);
    free(s2);
    gm_query_free(q);
    gm_query_free(q2);
}

static void expect_err(const char *text, size_t len, int code, const char *where, const char *what)
{
    static gm_query sentinel;
    gm_query *q = &sentinel; /* must come back NULL */
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_query_parse(text, len, NULL, &q, &e);
    if (rc != code || strcmp(e.where, where) != 0 || strcmp(e.what, what) != 0)
        fail_msg("query: %s\n  got:      %d %s: %s\n  expected: %d %s: %s", text, rc, e.where,
                 e.what, code, where, what);
    assert_int_equal(e.code, code);
    assert_null(q);
}

static const char *seg(const gm_query_path *p, size_t i)
{
    assert_true(i < p->n);
    return p->seg[i];
}

static unsigned height_of(const gm_query_expr *e)
{
    unsigned h = 1, c;
    switch (e->kind) {
    case GM_QX_CMP:
        h = 1 + (height_of(e->cmp.lhs) > height_of(e->cmp.rhs) ? height_of(e->cmp.lhs)
                                                               : height_of(e->cmp.rhs));
        break;
    case GM_QX_IN: h = 1 + height_of(e->in.operand); break;
    case GM_QX_NOT: h = 1 + height_of(e->operand); break;
    case GM_QX_AND:
    case GM_QX_OR:
        for (size_t i = 0; i < e->list.n; i++)
            if ((c = height_of(e->list.items[i]) + 1) > h)
                h = c;
        break;
    case GM_QX_CALL:
        for (size_t i = 0; i < e->call.nargs; i++)
            if ((c = height_of(e->call.args[i]) + 1) > h)
                h = c;
        break;
    default: break;
    }
    assert_int_equal(h, e->height);
    return h;
}

/* ------------------------------------------------------------------------ */
/* Valid queries: the ADT documentation's examples, and their canonical form */

static const struct {
    const char *in, *canonical;
} valid[] = {
    /* FROM */
    {"SELECT * FROM DIGITALTWINS", "SELECT * FROM DIGITALTWINS"},
    {"SELECT *\nFROM DIGITALTWINS T", "SELECT * FROM DIGITALTWINS T"},
    {"SELECT * FROM DIGITALTWINS AS T", "SELECT * FROM DIGITALTWINS T"},
    {"SELECT * FROM RELATIONSHIPS", "SELECT * FROM RELATIONSHIPS"},
    {"SELECT * FROM RELATIONSHIPS R", "SELECT * FROM RELATIONSHIPS R"},
    {"SELECT *\nFROM RELATIONSHIPS\nWHERE $sourceId IN  ['A', 'B', 'C', 'D']",
     "SELECT * FROM RELATIONSHIPS WHERE $sourceId IN ['A', 'B', 'C', 'D']"},
    /* JOIN */
    {"SELECT T, CT\nFROM DIGITALTWINS T\nJOIN CT RELATED T.contains\nWHERE T.$dtId = 'ABC'",
     "SELECT T, CT FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE T.$dtId = 'ABC'"},
    {"SELECT T, SBT, R FROM DIGITALTWINS T JOIN SBT RELATED T.servicedBy R "
     "WHERE T.$dtId = 'ABC' AND R.reportedCondition = 'clean'",
     "SELECT T, SBT, R FROM DIGITALTWINS T JOIN SBT RELATED T.servicedBy R "
     "WHERE T.$dtId = 'ABC' AND R.reportedCondition = 'clean'"},
    {"SELECT LightBulb FROM DIGITALTWINS Room JOIN LightPanel RELATED Room.contains "
     "JOIN LightBulb RELATED LightPanel.contains WHERE Room.$dtId IN ['room1', 'room2']",
     "SELECT LightBulb FROM DIGITALTWINS Room JOIN LightPanel RELATED Room.contains "
     "JOIN LightBulb RELATED LightPanel.contains WHERE Room.$dtId IN ['room1', 'room2']"},
    {"SELECT LightBulb FROM DIGITALTWINS Building JOIN Floor RELATED Building.contains "
     "JOIN Room RELATED Floor.contains JOIN LightPanel RELATED Room.contains "
     "JOIN LightBulbRow RELATED LightPanel.contains JOIN LightBulb RELATED LightBulbRow.contains "
     "WHERE Building.$dtId = 'Building1'",
     "SELECT LightBulb FROM DIGITALTWINS Building JOIN Floor RELATED Building.contains "
     "JOIN Room RELATED Floor.contains JOIN LightPanel RELATED Room.contains "
     "JOIN LightBulbRow RELATED LightPanel.contains JOIN LightBulb RELATED LightBulbRow.contains "
     "WHERE Building.$dtId = 'Building1'"},
    {"SELECT C FROM DIGITALTWINS T JOIN C RELATED T.feeds AS F WHERE F.rate > 2",
     "SELECT C FROM DIGITALTWINS T JOIN C RELATED T.feeds F WHERE F.rate > 2"},
    /* MATCH */
    {"SELECT Building, Sensor FROM DIGITALTWINS \nMATCH (Building)-[]->(Sensor) \n"
     "WHERE Building.$dtId = 'Building21' AND Sensor.temperature > 50   ",
     "SELECT Building, Sensor FROM DIGITALTWINS MATCH (Building)-[]->(Sensor) "
     "WHERE Building.$dtId = 'Building21' AND Sensor.temperature > 50"},
    {"SELECT Room, Factory FROM DIGITALTWINS MATCH (Room)<-[]-(Factory) "
     "WHERE Factory.$dtId = 'ABC' AND Room.temperature > 50",
     "SELECT Room, Factory FROM DIGITALTWINS MATCH (Room)<-[]-(Factory) "
     "WHERE Factory.$dtId = 'ABC' AND Room.temperature > 50"},
    {"SELECT Factory, Room FROM DIGITALTWINS MATCH (Factory)-[]-(Room) "
     "WHERE Factory.$dtId ='ABC'  AND Room.humidity > 70",
     "SELECT Factory, Room FROM DIGITALTWINS MATCH (Factory)-[]-(Room) "
     "WHERE Factory.$dtId = 'ABC' AND Room.humidity > 70"},
    {"SELECT Building, Sensor FROM DIGITALTWINS MATCH (Building)-[:contains|isAssociatedWith]-"
     "(Sensor) WHERE Building.$dtId = 'Seattle21'",
     "SELECT Building, Sensor FROM DIGITALTWINS MATCH (Building)-[:contains|isAssociatedWith]-"
     "(Sensor) WHERE Building.$dtId = 'Seattle21'"},
    {"SELECT * FROM DIGITALTWINS MATCH (Floor)-[*3]-(Room) WHERE Floor.$dtId = 'thermostat-15'",
     "SELECT * FROM DIGITALTWINS MATCH (Floor)-[*3]-(Room) WHERE Floor.$dtId = 'thermostat-15'"},
    {"SELECT * FROM DIGITALTWINS MATCH (Floor)-[*1..3]-(Room) WHERE Floor.$dtId = 'x'",
     "SELECT * FROM DIGITALTWINS MATCH (Floor)-[*1..3]-(Room) WHERE Floor.$dtId = 'x'"},
    {"SELECT * FROM DIGITALTWINS MATCH (Floor)-[*..2]-(Room) WHERE Floor.$dtId = 'x'",
     "SELECT * FROM DIGITALTWINS MATCH (Floor)-[*..2]-(Room) WHERE Floor.$dtId = 'x'"},
    {"SELECT Floor,Cafe, Rel FROM DIGITALTWINS MATCH (Floor)-[Rel]-(Cafe) "
     "WHERE Floor.$dtId = 'thermostat-15' AND Rel.name = 'child'",
     "SELECT Floor, Cafe, Rel FROM DIGITALTWINS MATCH (Floor)-[Rel]-(Cafe) "
     "WHERE Floor.$dtId = 'thermostat-15' AND Rel.name = 'child'"},
    {"SELECT Floor, Room FROM DIGITALTWINS MATCH (Floor)-[:contains|isAssociatedWith*3..5]->"
     "(Room) WHERE Floor.$dtId = 'thermostat-15'",
     "SELECT Floor, Room FROM DIGITALTWINS MATCH (Floor)-[:contains|isAssociatedWith*3..5]->"
     "(Room) WHERE Floor.$dtId = 'thermostat-15'"},
    {"SELECT Floor,Room, Cafe FROM DIGITALTWINS MATCH (Floor)-[r:contains|isAssociatedWith]->"
     "(Cafe)<-[:has|includes*..3]-(Room) WHERE Floor.$dtId = 'thermostat-15'  AND r.length = 10 "
     "AND Cafe.temperature = 55",
     "SELECT Floor, Room, Cafe FROM DIGITALTWINS MATCH (Floor)-[r:contains|isAssociatedWith]->"
     "(Cafe)<-[:has|includes*..3]-(Room) WHERE Floor.$dtId = 'thermostat-15' AND r.length = 10 "
     "AND Cafe.temperature = 55"},
    {"SELECT Floor, Room, Building FROM DIGITALTWINS MATCH (Building)-[r1:isAssociatedWith]->"
     "(Floor)<-[r2:isAssociatedWith]-(Room) WHERE Building.$dtId = 'building-3' AND "
     "Room.temperature > 50",
     "SELECT Floor, Room, Building FROM DIGITALTWINS MATCH (Building)-[r1:isAssociatedWith]->"
     "(Floor)<-[r2:isAssociatedWith]-(Room) WHERE Building.$dtId = 'building-3' AND "
     "Room.temperature > 50"},
    {"SELECT a FROM DIGITALTWINS MATCH (a) WHERE a.$dtId = 'x'",
     "SELECT a FROM DIGITALTWINS MATCH (a) WHERE a.$dtId = 'x'"},
    {"SELECT a, b FROM DIGITALTWINS MATCH (a)-[r:name*1..3]->(b)-[*]-()",
     "SELECT a, b FROM DIGITALTWINS MATCH (a)-[r:name*1..3]->(b)-[*]-()"},
    /* SELECT */
    {"SELECT T FROM DIGITALTWINS T", "SELECT T FROM DIGITALTWINS T"},
    {"SELECT Consumer.name, Relationship.managedBy FROM DIGITALTWINS Factory JOIN Consumer "
     "RELATED Factory.consumerRelationship Relationship WHERE Factory.$dtId = 'FactoryA'",
     "SELECT Consumer.name, Relationship.managedBy FROM DIGITALTWINS Factory JOIN Consumer "
     "RELATED Factory.consumerRelationship Relationship WHERE Factory.$dtId = 'FactoryA'"},
    {"SELECT name, age \nFROM DIGITALTWINS", "SELECT name, age FROM DIGITALTWINS"},
    {"SELECT Consumer.name AS consumerName, Edge.prop1 AS first, Factory FROM DIGITALTWINS "
     "Factory JOIN Consumer RELATED Factory.customer Edge WHERE IS_PRIMITIVE(Factory.area)",
     "SELECT Consumer.name AS consumerName, Edge.prop1 AS first, Factory FROM DIGITALTWINS "
     "Factory JOIN Consumer RELATED Factory.customer Edge WHERE IS_PRIMITIVE(Factory.area)"},
    {"SELECT TOP(5) T.name, R AS rel FROM DIGITALTWINS T JOIN C RELATED T.contains R",
     "SELECT TOP(5) T.name, R AS rel FROM DIGITALTWINS T JOIN C RELATED T.contains R"},
    {"SELECT T.$metadata.$model, T.component.prop FROM DIGITALTWINS T",
     "SELECT T.$metadata.$model, T.component.prop FROM DIGITALTWINS T"},
    {"SELECT COUNT()\nFROM DIGITALTWINS", "SELECT COUNT() FROM DIGITALTWINS"},
    {"SELECT COUNT() FROM RELATIONSHIPS", "SELECT COUNT() FROM RELATIONSHIPS"},
    {"SELECT COUNT() FROM DIGITALTWINS c WHERE IS_OF_MODEL('dtmi:sample:Room;1') AND "
     "c.Capacity > 20",
     "SELECT COUNT() FROM DIGITALTWINS c WHERE IS_OF_MODEL('dtmi:sample:Room;1') AND "
     "c.Capacity > 20"},
    {"SELECT TOP(5)\nFROM DIGITALTWINS", "SELECT TOP(5) FROM DIGITALTWINS"},
    {"SELECT TOP (5) FROM DIGITALTWINS WHERE T.x = 1",
     "SELECT TOP(5) FROM DIGITALTWINS WHERE T.x = 1"},
    {"SELECT TOP(5) * FROM DIGITALTWINS", "SELECT TOP(5) FROM DIGITALTWINS"},
    /* WHERE and functions */
    {"SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:sample:Room;1')",
     "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:sample:Room;1')"},
    {"SELECT * FROM DIGITALTWINS DT WHERE IS_OF_MODEL(DT, 'dtmi:example:thing;1')",
     "SELECT * FROM DIGITALTWINS DT WHERE IS_OF_MODEL(DT, 'dtmi:example:thing;1')"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:example:thing;1', exact)",
     "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:example:thing;1', exact)"},
    {"SELECT ROOM FROM DIGITALTWINS DT WHERE IS_OF_MODEL(DT, 'dtmi:example:room;1', exact)",
     "SELECT ROOM FROM DIGITALTWINS DT WHERE IS_OF_MODEL(DT, 'dtmi:example:room;1', exact)"},
    {"SELECT T.name FROM DIGITALTWINS T WHERE ARRAY_CONTAINS (T.floor_number, 2)",
     "SELECT T.name FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.floor_number, 2)"},
    {"SELECT * FROM DIGITALTWINS T WHERE CONTAINS(T.$dtId, '-route')",
     "SELECT * FROM DIGITALTWINS T WHERE CONTAINS(T.$dtId, '-route')"},
    {"SELECT * FROM DIGITALTWINS T WHERE ENDSWITH(T.$dtId, '-small')",
     "SELECT * FROM DIGITALTWINS T WHERE ENDSWITH(T.$dtId, '-small')"},
    {"SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.$dtId, 'area1-')",
     "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.$dtId, 'area1-')"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_DEFINED(Location)",
     "SELECT * FROM DIGITALTWINS WHERE IS_DEFINED(Location)"},
    {"SELECT * FROM DIGITALTWINS T WHERE IS_BOOL( HasTemperature ) AND HasTemperature != false",
     "SELECT * FROM DIGITALTWINS T WHERE IS_BOOL(HasTemperature) AND HasTemperature != FALSE"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_NUMBER( Capacity ) AND Capacity != 0",
     "SELECT * FROM DIGITALTWINS WHERE IS_NUMBER(Capacity) AND Capacity != 0"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_STRING( Status ) AND Status != 'Completed'",
     "SELECT * FROM DIGITALTWINS WHERE IS_STRING(Status) AND Status != 'Completed'"},
    {"SELECT * FROM DIGITALTWINS T WHERE NOT IS_NULL(T.Temperature)",
     "SELECT * FROM DIGITALTWINS T WHERE NOT IS_NULL(T.Temperature)"},
    {"SELECT Factory.area FROM DIGITALTWINS Factory WHERE Factory.$dtId = 'ABC'\n"
     "AND IS_PRIMITIVE(Factory.area)",
     "SELECT Factory.area FROM DIGITALTWINS Factory WHERE Factory.$dtId = 'ABC' "
     "AND IS_PRIMITIVE(Factory.area)"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_OBJECT( MapObject ) AND NOT IS_DEFINED "
     "( MapObject.TemperatureReading )",
     "SELECT * FROM DIGITALTWINS WHERE IS_OBJECT(MapObject) AND NOT "
     "IS_DEFINED(MapObject.TemperatureReading)"},
    {"SELECT * FROM DIGITALTWINS DT WHERE DT.Temperature = 80",
     "SELECT * FROM DIGITALTWINS DT WHERE DT.Temperature = 80"},
    {"SELECT * FROM DIGITALTWINS DT WHERE NOT DT.Temperature <= 80",
     "SELECT * FROM DIGITALTWINS DT WHERE NOT DT.Temperature <= 80"},
    {"SELECT * FROM DIGITALTWINS DT WHERE DT.owner IN ['John', 'Anil', 'Bailey', 'Alex']",
     "SELECT * FROM DIGITALTWINS DT WHERE DT.owner IN ['John', 'Anil', 'Bailey', 'Alex']"},
    {"SELECT * FROM DIGITALTWINS DT WHERE DT.Temperature < 80 OR DT.Humidity < 50",
     "SELECT * FROM DIGITALTWINS DT WHERE DT.Temperature < 80 OR DT.Humidity < 50"},
    {"SELECT * FROM DIGITALTWINS DT WHERE DT.owner NIN ['John'] AND DT.x >= -1.5",
     "SELECT * FROM DIGITALTWINS DT WHERE DT.owner NIN ['John'] AND DT.x >= -1.5"},
    {"SELECT * FROM DIGITALTWINS DT WHERE DT.owner NOT IN ['John']",
     "SELECT * FROM DIGITALTWINS DT WHERE DT.owner NIN ['John']"},
    {"SELECT * FROM DIGITALTWINS WHERE [[Group]] = 'BravoTeam'",
     "SELECT * FROM DIGITALTWINS WHERE [[Group]] = 'BravoTeam'"},
    {"SELECT * FROM DIGITALTWINS WHERE Name = 'D\\'Souza'",
     "SELECT * FROM DIGITALTWINS WHERE Name = 'D\\'Souza'"},
    {"SELECT * FROM digitaltwins WHERE NOT is_defined(tags.red) AND tags.size = 'small'",
     "SELECT * FROM DIGITALTWINS WHERE NOT IS_DEFINED(tags.red) AND tags.size = 'small'"},
    {"SELECT Room FROM DIGITALTWINS Floor JOIN Room RELATED Floor.contains WHERE "
     "Floor.$dtId IN ['floor1','floor2'] AND Room. Temperature > 72 AND "
     "IS_OF_MODEL(Room, 'dtmi:com:contoso:Room;1')",
     "SELECT Room FROM DIGITALTWINS Floor JOIN Room RELATED Floor.contains WHERE "
     "Floor.$dtId IN ['floor1', 'floor2'] AND Room.Temperature > 72 AND "
     "IS_OF_MODEL(Room, 'dtmi:com:contoso:Room;1')"},
    /* Canonical choices: strings, numbers, parentheses, escapes */
    {"SELECT * FROM DIGITALTWINS WHERE x = \"say \\\"hi\\\"\" AND y = 'tab\\there\\u00e9'",
     "SELECT * FROM DIGITALTWINS WHERE x = 'say \"hi\"' AND y = 'tab\\there\xc3\xa9'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1e3 OR x = 2.50 OR x = 1E20 OR x = 007",
     "SELECT * FROM DIGITALTWINS WHERE x = 1000.0 OR x = 2.5 OR x = 1e+20 OR x = 7"},
    {"SELECT * FROM DIGITALTWINS WHERE ((x = 1)) AND ((y = 2 AND z = 3))",
     "SELECT * FROM DIGITALTWINS WHERE x = 1 AND y = 2 AND z = 3"},
    {"SELECT * FROM DIGITALTWINS WHERE (a = 1 OR b = 2) AND NOT (c = 3 AND d = 4) OR e = 5",
     "SELECT * FROM DIGITALTWINS WHERE (a = 1 OR b = 2) AND NOT (c = 3 AND d = 4) OR e = 5"},
    {"SELECT * FROM DIGITALTWINS WHERE true", "SELECT * FROM DIGITALTWINS WHERE TRUE"},
    {"SELECT [[a b]] AS [[select]] FROM DIGITALTWINS [[from]] WHERE [[from]].[[x-y]] = 1",
     "SELECT [[a b]] AS [[select]] FROM DIGITALTWINS [[from]] WHERE [[from]].[[x-y]] = 1"},
    {"SELECT [[abc]] FROM DIGITALTWINS WHERE T.match = 1 AND T.[[in]] = 2",
     "SELECT abc FROM DIGITALTWINS WHERE T.match = 1 AND T.in = 2"},
    {"SELECT * FROM DIGITALTWINS MATCH ([[weird node]])-[[[rel alias]]:[[odd name]]]->()",
     "SELECT * FROM DIGITALTWINS MATCH ([[weird node]])-[[[rel alias]]:[[odd name]]]->()"},
    {"SELECT * FROM DIGITALTWINS WHERE contains = 1 AND startswith(contains, 'x')",
     "SELECT * FROM DIGITALTWINS WHERE contains = 1 AND STARTSWITH(contains, 'x')"},
};

static void test_valid_roundtrip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        roundtrip(valid[i].in, valid[i].canonical);
}

/* ------------------------------------------------------------------------ */
/* The tree                                                                  */

static void test_select_ast(void **state)
{
    (void)state;
    gm_query *q = parse_ok("SELECT TOP(5) T.name, R AS rel, T.$metadata.$model, "
                           "T.component.prop AS p FROM DIGITALTWINS T JOIN C RELATED T.x R");
    assert_int_equal(q->top, 5);
    assert_int_equal(q->select, GM_QSEL_LIST);
    assert_int_equal(q->nproj, 4);
    assert_int_equal(q->proj[0].path.n, 2);
    assert_string_equal(seg(&q->proj[0].path, 0), "T");
    assert_string_equal(seg(&q->proj[0].path, 1), "name");
    assert_null(q->proj[0].as);
    assert_int_equal(q->proj[0].path.pos.line, 1);
    assert_int_equal(q->proj[0].path.pos.col, 15);
    assert_int_equal(q->proj[1].path.n, 1);
    assert_string_equal(seg(&q->proj[1].path, 0), "R");
    assert_string_equal(q->proj[1].as, "rel");
    assert_int_equal(q->proj[2].path.n, 3);
    assert_string_equal(seg(&q->proj[2].path, 1), "$metadata");
    assert_string_equal(seg(&q->proj[2].path, 2), "$model");
    assert_string_equal(seg(&q->proj[3].path, 1), "component");
    assert_string_equal(seg(&q->proj[3].path, 2), "prop");
    assert_string_equal(q->proj[3].as, "p");
    gm_query_free(q);

    q = parse_ok("SELECT TOP (7) FROM DIGITALTWINS");
    assert_int_equal(q->top, 7);
    assert_int_equal(q->select, GM_QSEL_STAR);
    assert_int_equal(q->nproj, 0);
    gm_query_free(q);

    q = parse_ok("SELECT TOP(9223372036854775807) * FROM DIGITALTWINS");
    assert_true(q->top == INT64_MAX);
    gm_query_free(q);

    q = parse_ok("SELECT COUNT() FROM RELATIONSHIPS R WHERE R.$relationshipName = 'feeds'");
    assert_int_equal(q->select, GM_QSEL_COUNT);
    assert_int_equal(q->top, 0);
    assert_int_equal(q->from, GM_QFROM_RELATIONSHIPS);
    assert_string_equal(q->from_alias, "R");
    assert_int_equal(q->where->kind, GM_QX_CMP);
    gm_query_free(q);

    q = parse_ok("SELECT * FROM DIGITALTWINS");
    assert_int_equal(q->select, GM_QSEL_STAR);
    assert_int_equal(q->top, 0);
    assert_int_equal(q->from, GM_QFROM_DIGITALTWINS);
    assert_null(q->from_alias);
    assert_int_equal(q->njoins, 0);
    assert_null(q->match);
    assert_null(q->where);
    gm_query_free(q);
}

static void test_join_ast(void **state)
{
    (void)state;
    gm_query *q = parse_ok("SELECT LightBulb, E FROM DIGITALTWINS Building\n"
                           "JOIN Floor RELATED Building.contains\n"
                           "JOIN Room RELATED Floor.contains\n"
                           "JOIN LightPanel RELATED Room.contains\n"
                           "JOIN LightBulbRow RELATED LightPanel.[[has part]] AS E\n"
                           "JOIN LightBulb RELATED LightBulbRow.contains");
    assert_string_equal(q->from_alias, "Building");
    assert_int_equal(q->njoins, 5);
    static const char *const want[5][3] = {
        {"Floor", "Building", "contains"},
        {"Room", "Floor", "contains"},
        {"LightPanel", "Room", "contains"},
        {"LightBulbRow", "LightPanel", "has part"},
        {"LightBulb", "LightBulbRow", "contains"},
    };
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(q->joins[i].target, want[i][0]);
        assert_string_equal(q->joins[i].source, want[i][1]);
        assert_string_equal(q->joins[i].rel, want[i][2]);
        assert_int_equal(q->joins[i].pos.line, i + 2);
        assert_int_equal(q->joins[i].pos.col, 1);
        if (i == 3)
            assert_string_equal(q->joins[i].rel_alias, "E");
        else
            assert_null(q->joins[i].rel_alias);
    }
    gm_query_free(q);
}

static void test_match_ast(void **state)
{
    (void)state;
    gm_query *q = parse_ok("SELECT * FROM DIGITALTWINS MATCH (a)-[r:x|y]->(b)<-[*2..5]-()"
                           "-[:z*..3]-(c)-[*]->(d)-[*4]-(e) WHERE a.$dtId = 'x'");
    const gm_query_match *m = q->match;
    assert_non_null(m);
    assert_int_equal(m->pos.col, 28);
    assert_int_equal(m->nnodes, 6);
    static const char *const aliases[6] = {"a", "b", NULL, "c", "d", "e"};
    for (size_t i = 0; i < 6; i++) {
        if (aliases[i])
            assert_string_equal(m->nodes[i].alias, aliases[i]);
        else
            assert_null(m->nodes[i].alias);
    }
    assert_int_equal(m->nodes[0].pos.col, 34);

    const gm_query_rel *r = m->rels;
    assert_int_equal(r[0].dir, GM_QDIR_RIGHT);
    assert_string_equal(r[0].alias, "r");
    assert_int_equal(r[0].nnames, 2);
    assert_string_equal(r[0].names[0], "x");
    assert_string_equal(r[0].names[1], "y");
    assert_int_equal(r[0].hops, GM_QHOPS_ONE);
    assert_int_equal(r[0].min_hops, 1);
    assert_int_equal(r[0].max_hops, 1);
    assert_int_equal(r[0].pos.col, 37);

    assert_int_equal(r[1].dir, GM_QDIR_LEFT);
    assert_null(r[1].alias);
    assert_int_equal(r[1].nnames, 0);
    assert_int_equal(r[1].hops, GM_QHOPS_RANGE);
    assert_int_equal(r[1].lo, 2);
    assert_int_equal(r[1].hi, 5);
    /* ADT: "*1..3" means 2 or 3 hops; the lower bound is exclusive */
    assert_int_equal(r[1].min_hops, 3);
    assert_int_equal(r[1].max_hops, 5);

    assert_int_equal(r[2].dir, GM_QDIR_ANY);
    assert_int_equal(r[2].nnames, 1);
    assert_string_equal(r[2].names[0], "z");
    assert_int_equal(r[2].hops, GM_QHOPS_UPTO);
    assert_int_equal(r[2].hi, 3);
    assert_int_equal(r[2].min_hops, 1);
    assert_int_equal(r[2].max_hops, 3);

    assert_int_equal(r[3].dir, GM_QDIR_RIGHT);
    assert_int_equal(r[3].hops, GM_QHOPS_ANY);
    assert_int_equal(r[3].min_hops, 1);
    assert_int_equal(r[3].max_hops, GM_QUERY_MAX_HOPS);

    assert_int_equal(r[4].dir, GM_QDIR_ANY);
    assert_int_equal(r[4].hops, GM_QHOPS_EXACT);
    assert_int_equal(r[4].lo, 4);
    assert_int_equal(r[4].min_hops, 4);
    assert_int_equal(r[4].max_hops, 4);
    gm_query_free(q);

    /* A node alone, and ADT's example with a range starting at 1. */
    q = parse_ok("SELECT t FROM DIGITALTWINS MATCH (t) WHERE t.$dtId = 'x'");
    assert_int_equal(q->match->nnodes, 1);
    gm_query_free(q);
    q = parse_ok("SELECT * FROM DIGITALTWINS MATCH (Floor)-[*1..3]-(Room)");
    assert_int_equal(q->match->rels[0].min_hops, 2);
    assert_int_equal(q->match->rels[0].max_hops, 3);
    gm_query_free(q);
}

static void test_where_precedence(void **state)
{
    (void)state;
    /* NOT binds tighter than AND, AND tighter than OR; comparison tightest. */
    gm_query *q = parse_ok("SELECT * FROM DIGITALTWINS WHERE a = 1 OR b = 2 AND NOT c = 3");
    const gm_query_expr *w = q->where;
    assert_int_equal(w->kind, GM_QX_OR);
    assert_int_equal(w->list.n, 2);
    assert_int_equal(w->list.items[0]->kind, GM_QX_CMP);
    const gm_query_expr *and = w->list.items[1];
    assert_int_equal(and->kind, GM_QX_AND);
    assert_int_equal(and->list.n, 2);
    assert_int_equal(and->list.items[0]->kind, GM_QX_CMP);
    const gm_query_expr *not = and->list.items[1];
    assert_int_equal(not->kind, GM_QX_NOT);
    assert_int_equal(not->pos.col, 53);
    assert_int_equal(not->operand->kind, GM_QX_CMP);
    assert_string_equal(seg(&not->operand->cmp.lhs->path, 0), "c");
    assert_int_equal(not->operand->cmp.rhs->value.i, 3);
    assert_int_equal(w->height, 5);
    height_of(w);
    gm_query_free(q);

    /* Parentheses override; nested ANDs flatten into one node. */
    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE (a = 1 OR b = 2) AND c = 3");
    assert_int_equal(q->where->kind, GM_QX_AND);
    assert_int_equal(q->where->list.items[0]->kind, GM_QX_OR);
    assert_int_equal(q->where->pos.col, 35); /* where 'a' starts; parens leave no node */
    gm_query_free(q);
    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE (a = 1 AND b = 2) AND (c = 3 AND (d = 4 AND "
                 "e = 5))");
    assert_int_equal(q->where->kind, GM_QX_AND);
    assert_int_equal(q->where->list.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(q->where->list.items[i]->kind, GM_QX_CMP);
        assert_int_equal(q->where->list.items[i]->cmp.rhs->value.i, (int64_t)i + 1);
    }
    assert_int_equal(q->where->height, 3);
    gm_query_free(q);
    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE a = 1 OR (b = 2 OR c = 3) OR d = 4");
    assert_int_equal(q->where->kind, GM_QX_OR);
    assert_int_equal(q->where->list.n, 4);
    gm_query_free(q);

    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE NOT NOT (a = 1 OR b = 2)");
    assert_int_equal(q->where->kind, GM_QX_NOT);
    assert_int_equal(q->where->operand->kind, GM_QX_NOT);
    assert_int_equal(q->where->operand->operand->kind, GM_QX_OR);
    assert_int_equal(q->where->height, 5);
    gm_query_free(q);

    /* All six comparison operators, and a literal on the left. */
    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE a = 1 AND b != 2 AND c < 3 AND d > 4 AND "
                 "e <= 5 AND f >= 6 AND 'x' = g.h");
    static const gm_query_cmp ops[] = {GM_QCMP_EQ, GM_QCMP_NE, GM_QCMP_LT,
                                       GM_QCMP_GT, GM_QCMP_LE, GM_QCMP_GE, GM_QCMP_EQ};
    assert_int_equal(q->where->list.n, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(q->where->list.items[i]->cmp.op, ops[i]);
    const gm_query_expr *last = q->where->list.items[6];
    assert_int_equal(last->cmp.lhs->kind, GM_QX_VALUE);
    assert_int_equal(last->cmp.rhs->kind, GM_QX_PATH);
    assert_int_equal(last->cmp.rhs->path.n, 2);
    gm_query_free(q);
}

static void test_where_literals(void **state)
{
    (void)state;
    gm_query *q = parse_ok(
        "SELECT * FROM DIGITALTWINS WHERE T.x IN [1, -2, 3.5, -0.25, 1e3, 9223372036854775807, "
        "-9223372036854775808, 9223372036854775808, 'it\\'s', \"q\\\"\", true, FALSE, null, "
        "'\\u00e9\\ud83d\\ude00\\n\\/']");
    const gm_query_expr *in = q->where;
    assert_int_equal(in->kind, GM_QX_IN);
    assert_false(in->in.negated);
    assert_int_equal(in->in.operand->kind, GM_QX_PATH);
    assert_int_equal(in->in.n, 14);
    const gm_query_value *v = in->in.values;
    assert_int_equal(v[0].kind, GM_QV_INT);
    assert_int_equal(v[0].i, 1);
    assert_int_equal(v[1].kind, GM_QV_INT);
    assert_int_equal(v[1].i, -2);
    assert_int_equal(v[2].kind, GM_QV_REAL);
    assert_true(v[2].r == 3.5);
    assert_true(v[3].r == -0.25);
    assert_int_equal(v[4].kind, GM_QV_REAL);
    assert_true(v[4].r == 1000.0);
    assert_int_equal(v[5].kind, GM_QV_INT);
    assert_true(v[5].i == INT64_MAX);
    assert_int_equal(v[6].kind, GM_QV_INT);
    assert_true(v[6].i == INT64_MIN);
    assert_int_equal(v[7].kind, GM_QV_REAL); /* too big for int64 */
    assert_true(v[7].r == 9223372036854775808.0);
    assert_int_equal(v[8].kind, GM_QV_STRING);
    assert_string_equal(v[8].str.s, "it's");
    assert_int_equal(v[8].str.len, 4);
    assert_string_equal(v[9].str.s, "q\"");
    assert_int_equal(v[10].kind, GM_QV_BOOL);
    assert_true(v[10].b);
    assert_int_equal(v[11].kind, GM_QV_BOOL);
    assert_false(v[11].b);
    assert_int_equal(v[12].kind, GM_QV_NULL);
    assert_string_equal(v[13].str.s, "\xc3\xa9\xf0\x9f\x98\x80\n/");
    assert_int_equal(v[13].str.len, 8);
    char *s = format_q(q);
    assert_string_equal(s, "SELECT * FROM DIGITALTWINS WHERE T.x IN [1, -2, 3.5, -0.25, 1000.0, "
                           "9223372036854775807, -9223372036854775808, 9.223372036854776e+18, "
                           "'it\\'s', 'q\"', TRUE, FALSE, NULL, '\xc3\xa9\xf0\x9f\x98\x80\\n/']");
    free(s);
    gm_query_free(q);

    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE x NOT IN [] AND y NIN ['a']");
    assert_true(q->where->list.items[0]->in.negated);
    assert_int_equal(q->where->list.items[0]->in.n, 0);
    assert_true(q->where->list.items[1]->in.negated);
    gm_query_free(q);

    /* Control characters in a value print as escapes and read back. */
    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE x = '\\u0001\\b\\f\\r\\t\\\\'");
    s = format_q(q);
    assert_string_equal(s, "SELECT * FROM DIGITALTWINS WHERE x = '\\u0001\\b\\f\\r\\t\\\\'");
    assert_string_equal(q->where->cmp.rhs->value.str.s, "\x01\b\f\r\t\\");
    free(s);
    gm_query_free(q);
}

static void test_where_functions(void **state)
{
    (void)state;
    gm_query *q = parse_ok(
        "SELECT * FROM DIGITALTWINS WHERE IS_DEFINED(a.b) AND IS_NULL(c) AND IS_NUMBER(d) AND "
        "IS_STRING(e) AND IS_BOOL(f) AND IS_PRIMITIVE(g) AND IS_OBJECT(h) AND "
        "STARTSWITH(T.$dtId, 'x') AND ENDSWITH('y', T.z) AND CONTAINS(T.a, 'z') AND "
        "ARRAY_CONTAINS(T.tags, 2)");
    static const gm_query_func fns[] = {
        GM_QF_IS_DEFINED, GM_QF_IS_NULL,    GM_QF_IS_NUMBER, GM_QF_IS_STRING,
        GM_QF_IS_BOOL,    GM_QF_IS_PRIMITIVE, GM_QF_IS_OBJECT, GM_QF_STARTSWITH,
        GM_QF_ENDSWITH,   GM_QF_CONTAINS,   GM_QF_ARRAY_CONTAINS,
    };
    const gm_query_expr *w = q->where;
    assert_int_equal(w->list.n, 11);
    for (size_t i = 0; i < 11; i++) {
        const gm_query_expr *c = w->list.items[i];
        assert_int_equal(c->kind, GM_QX_CALL);
        assert_int_equal(c->call.fn, fns[i]);
        assert_int_equal(c->call.nargs, i < 7 ? 1 : 2);
        assert_int_equal(c->call.args[0]->kind, i == 8 ? GM_QX_VALUE : GM_QX_PATH);
        assert_int_equal(c->height, 2);
    }
    assert_int_equal(w->list.items[0]->call.args[0]->path.n, 2);
    assert_string_equal(w->list.items[7]->call.args[1]->value.str.s, "x");
    assert_int_equal(w->list.items[10]->call.args[1]->value.i, 2);
    assert_string_equal(gm_query_func_name(GM_QF_ARRAY_CONTAINS), "ARRAY_CONTAINS");
    assert_string_equal(gm_query_func_name((gm_query_func)99), "?");
    assert_string_equal(gm_query_cmp_name(GM_QCMP_LE), "<=");
    assert_string_equal(gm_query_cmp_name((gm_query_cmp)-1), "?");
    gm_query_free(q);

    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:a:b;1') OR "
                 "IS_OF_MODEL(DT, 'dtmi:c;1') OR is_of_model('dtmi:d;1', Exact) OR "
                 "IS_OF_MODEL(exact, 'dtmi:e;1', exact)");
    gm_query_expr *const *m = q->where->list.items;
    assert_int_equal(m[0]->kind, GM_QX_OF_MODEL);
    assert_null(m[0]->of_model.alias);
    assert_string_equal(m[0]->of_model.model, "dtmi:a:b;1");
    assert_false(m[0]->of_model.exact);
    assert_string_equal(m[1]->of_model.alias, "DT");
    assert_false(m[1]->of_model.exact);
    assert_null(m[2]->of_model.alias);
    assert_true(m[2]->of_model.exact);
    assert_string_equal(m[3]->of_model.alias, "exact"); /* only a keyword in its place */
    assert_true(m[3]->of_model.exact);
    assert_int_equal(m[3]->height, 1);
    gm_query_free(q);

    /* gm_query_format_expr prints one operand or condition. */
    q = parse_ok("SELECT * FROM DIGITALTWINS WHERE NOT (a.[[b c]] = 1 AND d IN [2])");
    gm_sb sb = GM_SB_INIT;
    assert_int_equal(gm_query_format_expr(q->where->operand->list.items[0]->cmp.lhs, &sb), 0);
    assert_string_equal(gm_sb_str(&sb), "a.[[b c]]");
    gm_sb_reset(&sb);
    assert_int_equal(gm_query_format_expr(q->where, &sb), 0);
    assert_string_equal(gm_sb_str(&sb), "NOT (a.[[b c]] = 1 AND d IN [2])");
    gm_sb_free(&sb);
    gm_query_free(q);
}

static void test_keywords_case_insensitive(void **state)
{
    (void)state;
    static const char *const spellings[] = {
        "SELECT TOP(3) t.Name AS n FROM DIGITALTWINS t JOIN c RELATED t.Contains r WHERE "
        "IS_OF_MODEL(c, 'dtmi:X;1', EXACT) AND NOT t.Name IN ['a'] OR STARTSWITH(t.$dtId, 'x') "
        "AND r.On = TRUE AND t.v NIN [NULL, FALSE]",
        "select top(3) t.Name as n from digitaltwins t join c related t.Contains r where "
        "is_of_model(c, 'dtmi:X;1', exact) and not t.Name in ['a'] or startswith(t.$dtId, 'x') "
        "and r.On = true and t.v nin [null, false]",
        "SeLeCt ToP (3) t.Name As n FrOm DigitalTwins t JoIn c ReLaTeD t.Contains r WhErE "
        "Is_Of_Model(c, 'dtmi:X;1', eXaCt) AnD nOt t.Name In ['a'] Or StartsWith(t.$dtId, 'x') "
        "aNd r.On = True AnD t.v NiN [Null, False]",
    };
    const char *canonical =
        "SELECT TOP(3) t.Name AS n FROM DIGITALTWINS t JOIN c RELATED t.Contains r WHERE "
        "IS_OF_MODEL(c, 'dtmi:X;1', exact) AND NOT t.Name IN ['a'] OR STARTSWITH(t.$dtId, 'x') "
        "AND r.On = TRUE AND t.v NIN [NULL, FALSE]";
    for (size_t i = 0; i < 3; i++)
        roundtrip(spellings[i], canonical);

    /* Identifiers keep their case: T and t are different names. */
    gm_query *q = parse_ok("select * from digitaltwins T where t.X = 1 and T.x = 2");
    assert_string_equal(q->from_alias, "T");
    assert_string_equal(seg(&q->where->list.items[0]->cmp.lhs->path, 0), "t");
    assert_string_equal(seg(&q->where->list.items[0]->cmp.lhs->path, 1), "X");
    assert_string_equal(seg(&q->where->list.items[1]->cmp.lhs->path, 0), "T");
    assert_string_equal(seg(&q->where->list.items[1]->cmp.lhs->path, 1), "x");
    gm_query_free(q);
}

/* ------------------------------------------------------------------------ */
/* Errors: exact position and message                                        */

static const struct {
    const char *q;
    int code;
    const char *where, *what;
} invalid[] = {
    {"", GM_EPARSE, "query:1:1", "expected SELECT, found end of query"},
    {"   ", GM_EPARSE, "query:1:4", "expected SELECT, found end of query"},
    {"FROM DIGITALTWINS", GM_EPARSE, "query:1:1", "expected SELECT, found 'FROM'"},
    {"SELECT", GM_EPARSE, "query:1:7", "expected '*', COUNT() or a projection, found end of query"},
    {"SELECT FROM DIGITALTWINS", GM_EPARSE, "query:1:8",
     "expected '*', COUNT() or a projection, found 'FROM'"},
    {"SELECT * WHERE", GM_EPARSE, "query:1:10", "expected FROM, found 'WHERE'"},
    {"SELECT * FROM", GM_EPARSE, "query:1:14",
     "expected DIGITALTWINS or RELATIONSHIPS, found end of query"},
    {"SELECT * FROM TWINS", GM_EPARSE, "query:1:15",
     "expected DIGITALTWINS or RELATIONSHIPS, found 'TWINS'"},
    {"SELECT * FROM DIGITALTWINS WHERE", GM_EPARSE, "query:1:33",
     "expected a condition, found end of query"},
    {"SELECT * FROM DIGITALTWINS WHERE x", GM_EPARSE, "query:1:35",
     "expected a comparison operator, IN or NIN, found end of query"},
    {"SELECT * FROM DIGITALTWINS WHERE x AND y = 1", GM_EPARSE, "query:1:36",
     "expected a comparison operator, IN or NIN, found 'AND'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = ", GM_EPARSE, "query:1:38",
     "expected a value to compare with, found end of query"},
    {"SELECT * FROM DIGITALTWINS WHERE x = -y", GM_EPARSE, "query:1:38",
     "expected a value to compare with, found '-'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1 y", GM_EPARSE, "query:1:40",
     "expected AND, OR or end of query, found 'y'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1 AND y < 2 < 3", GM_EPARSE, "query:1:50",
     "expected AND, OR or end of query, found '<'"},
    {"SELECT * FROM DIGITALTWINS WHERE (x = 1", GM_EPARSE, "query:1:40",
     "expected AND, OR or ')', found end of query"},
    {"SELECT * FROM DIGITALTWINS WHERE NOT", GM_EPARSE, "query:1:37",
     "expected a condition, found end of query"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 'abc", GM_EPARSE, "query:1:38", "unterminated string"},
    {"SELECT * FROM DIGITALTWINS WHERE x = \"abc", GM_EPARSE, "query:1:38", "unterminated string"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 'ab\ncd'", GM_EPARSE, "query:1:38",
     "unterminated string"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 'ab\\'", GM_EPARSE, "query:1:38", "unterminated string"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 'a\\qb'", GM_EPARSE, "query:1:40",
     "unknown escape '\\q' in string"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 'a\\u12'", GM_EPARSE, "query:1:40",
     "\\u must be followed by 4 hex digits"},
    {"SELECT * FROM DIGITALTWINS WHERE x = '\\ud800'", GM_EPARSE, "query:1:39",
     "unpaired surrogate in \\u escape"},
    {"SELECT * FROM DIGITALTWINS WHERE x = '\\udc00\\ud800'", GM_EPARSE, "query:1:39",
     "unpaired surrogate in \\u escape"},
    {"SELECT * FROM DIGITALTWINS WHERE x = '\\u0000'", GM_EPARSE, "query:1:39",
     "\\u0000 is not allowed in a string"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 'a\tb'", GM_EPARSE, "query:1:40",
     "control character U+0009 in string: write it as an escape"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_FOO(x)", GM_EPARSE, "query:1:34",
     "unknown function 'IS_FOO'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = lower(y)", GM_EPARSE, "query:1:38",
     "unknown function 'lower'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = IS_NULL(y)", GM_EPARSE, "query:1:38",
     "expected a value to compare with, found 'IS_NULL'"},
    {"SELECT * FROM DIGITALTWINS WHERE is_null x", GM_EPARSE, "query:1:42",
     "expected '(' after is_null, found 'x'"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_NULL('x')", GM_EPARSE, "query:1:42",
     "IS_NULL needs a property path, found 'x'"},
    {"SELECT * FROM DIGITALTWINS WHERE STARTSWITH(x)", GM_EPARSE, "query:1:46",
     "expected ',': STARTSWITH takes two arguments, found ')'"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_DEFINED(a, b)", GM_EPARSE, "query:1:46",
     "expected ')': IS_DEFINED takes one argument, found ','"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL(T)", GM_EPARSE, "query:1:46",
     "expected a model id string, found 'T'"},
    {"SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('x', inexact)", GM_EPARSE, "query:1:51",
     "expected exact, found 'inexact'"},
    {"SELECT TOP(0) FROM DIGITALTWINS", GM_EPARSE, "query:1:12",
     "TOP needs a positive integer, found '0'"},
    {"SELECT TOP(-3) FROM DIGITALTWINS", GM_EPARSE, "query:1:12",
     "TOP needs a positive integer, found '-3'"},
    {"SELECT TOP(1.5) FROM DIGITALTWINS", GM_EPARSE, "query:1:12",
     "TOP needs a positive integer, found '1.5'"},
    {"SELECT TOP(9223372036854775808) FROM DIGITALTWINS", GM_EPARSE, "query:1:12",
     "TOP needs a positive integer, found '9223372036854775808'"},
    {"SELECT TOP 5 FROM DIGITALTWINS", GM_EPARSE, "query:1:12",
     "expected '(' after TOP, found '5'"},
    {"SELECT TOP(5 FROM DIGITALTWINS", GM_EPARSE, "query:1:14",
     "expected ')' after the TOP count, found 'FROM'"},
    {"SELECT TOP(5) COUNT() FROM DIGITALTWINS", GM_EPARSE, "query:1:15",
     "COUNT() cannot be combined with TOP"},
    {"SELECT COUNT(*) FROM DIGITALTWINS", GM_EPARSE, "query:1:14",
     "COUNT() takes no arguments, found '*'"},
    {"SELECT *, T FROM DIGITALTWINS T", GM_EPARSE, "query:1:9", "expected FROM, found ','"},
    {"SELECT T.x y FROM DIGITALTWINS T", GM_EPARSE, "query:1:12",
     "expected AS, ',' or FROM, found 'y'"},
    {"SELECT T.x AS FROM DIGITALTWINS T", GM_EPARSE, "query:1:15",
     "expected a name after AS, found 'FROM'"},
    {"SELECT * FROM DIGITALTWINS T JOIN C RELATED T.contains", GM_EPARSE, "query:1:30",
     "SELECT * cannot be used with JOIN: name the collections to return"},
    {"SELECT TOP(2) FROM DIGITALTWINS T JOIN C RELATED T.contains", GM_EPARSE, "query:1:35",
     "SELECT TOP(n) without projections cannot be used with JOIN: name the collections to "
     "return"},
    {"SELECT T FROM RELATIONSHIPS T JOIN C RELATED T.x", GM_EPARSE, "query:1:31",
     "JOIN cannot be used with FROM RELATIONSHIPS"},
    {"SELECT T FROM DIGITALTWINS T JOIN C T.x", GM_EPARSE, "query:1:37",
     "expected RELATED, found 'T'"},
    {"SELECT T FROM DIGITALTWINS T JOIN C RELATED T", GM_EPARSE, "query:1:46",
     "expected '.' and a relationship name, found end of query"},
    {"SELECT T FROM DIGITALTWINS T JOIN C RELATED T.x.y", GM_EPARSE, "query:1:48",
     "expected JOIN, WHERE or end of query, found '.'"},
    {"SELECT T FROM DIGITALTWINS T JOIN RELATED T.x", GM_EPARSE, "query:1:35",
     "expected the alias of the JOIN's twins, found 'RELATED'"},
    {"SELECT * FROM DIGITALTWINS T MATCH (a)", GM_EPARSE, "query:1:30",
     "MATCH must follow FROM DIGITALTWINS without an alias: name the twins in the pattern"},
    {"SELECT * FROM RELATIONSHIPS MATCH (a)", GM_EPARSE, "query:1:29",
     "MATCH cannot be used with FROM RELATIONSHIPS"},
    {"SELECT a FROM DIGITALTWINS MATCH (a) JOIN b RELATED a.x", GM_EPARSE, "query:1:38",
     "JOIN cannot be combined with MATCH"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[r]->(b) MATCH (c)", GM_EPARSE, "query:1:47",
     "only one MATCH is allowed"},
    {"SELECT * FROM DIGITALTWINS MATCH a-[]->b", GM_EPARSE, "query:1:34",
     "expected '(' to start a MATCH node, found 'a'"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-(b)", GM_EPARSE, "query:1:38",
     "expected '[' to start a relationship condition, found '('"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[r]>(b)", GM_EPARSE, "query:1:41",
     "expected '-' after ']', found '>'"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[r x]->(b)", GM_EPARSE, "query:1:41",
     "expected ':', '*' or ']', found 'x'"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[has|includes*..3]->(b)", GM_EPARSE, "query:1:42",
     "relationship names follow ':', as in [:name1|name2]"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[*0]->(b)", GM_EPARSE, "query:1:40",
     "hop count must be at least 1"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[*..0]->(b)", GM_EPARSE, "query:1:42",
     "hop count must be at least 1"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[*3..2]->(b)", GM_EPARSE, "query:1:40",
     "empty hop range 3..2: the lower bound is exclusive, so it must be below the upper one"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[*2..]->(b)", GM_EPARSE, "query:1:43",
     "expected a hop count, found ']'"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)-[*1.5]->(b)", GM_EPARSE, "query:1:40",
     "expected a hop count, found '1.5'"},
    {"SELECT * FROM DIGITALTWINS MATCH (a)<-[]->(b)", GM_EPARSE, "query:1:42",
     "a relationship condition cannot point both ways: chain two instead"},
    {"SELECT * FROM DIGITALTWINS WHERE x IN 'a'", GM_EPARSE, "query:1:39",
     "expected '[' and a list of values, found 'a'"},
    {"SELECT * FROM DIGITALTWINS WHERE x IN [y]", GM_EPARSE, "query:1:40",
     "expected a literal value, found 'y'"},
    {"SELECT * FROM DIGITALTWINS WHERE x IN [1 2]", GM_EPARSE, "query:1:42",
     "expected ',' or ']', found '2'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 12abc", GM_EPARSE, "query:1:38",
     "malformed number '12abc'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1e", GM_EPARSE, "query:1:38", "malformed number '1e'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1e999", GM_EPARSE, "query:1:38",
     "number '1e999' is out of range"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1 ! 2", GM_EPARSE, "query:1:40",
     "unexpected character '!'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = @id", GM_EPARSE, "query:1:38",
     "unexpected character '@'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = $", GM_EPARSE, "query:1:38",
     "unexpected character '$'"},
    {"SELECT * FROM DIGITALTWINS WHERE \xc3\xa9 = 1", GM_EPARSE, "query:1:34",
     "unexpected character U+00E9: write such names as [[...]]"},
    {"SELECT * FROM DIGITALTWINS WHERE x = [[]]", GM_EPARSE, "query:1:38",
     "empty [[]] identifier"},
    {"SELECT * FROM DIGITALTWINS WHERE x = [[ab", GM_EPARSE, "query:1:38",
     "unterminated [[...]] identifier"},
    {"SELECT * FROM DIGITALTWINS WHERE T. = 1", GM_EPARSE, "query:1:37",
     "expected a property name after '.', found '='"},
    {"SELECT * FROM DIGITALTWINS T WHERE T['weird name'] = 1", GM_EPARSE, "query:1:37",
     "property access with ['...'] is not supported: write .[[name]] instead"},
    {"SELECT * FROM DIGITALTWINS GROUP", GM_EPARSE, "query:1:28",
     "expected an alias, JOIN, MATCH, WHERE or end of query, found 'GROUP' (a reserved word: "
     "escape it as [[GROUP]])"},
    {"SELECT * FROM DIGITALTWINS WHERE Group = 'BravoTeam'", GM_EPARSE, "query:1:34",
     "expected a condition, found 'Group' (a reserved word: escape it as [[Group]])"},
    {"SELECT * FROM RELATIONSHIPS R JOIN", GM_EPARSE, "query:1:31",
     "JOIN cannot be used with FROM RELATIONSHIPS"},
    {"SELECT * FROM RELATIONSHIPS R x", GM_EPARSE, "query:1:31",
     "expected WHERE or end of query, found 'x'"},
    /* the first error in the text wins, lexical or not */
    {"SELECT * WHERE 'unterminated", GM_EPARSE, "query:1:10", "expected FROM, found 'WHERE'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1 AND y = 'oops", GM_EPARSE, "query:1:48",
     "unterminated string"},
    /* several lines: LINE:COL, columns in characters (CRLF is a line break) */
    {"SELECT *\nFROM DIGITALTWINS\nWHERE x = 1 @", GM_EPARSE, "query:3:13",
     "unexpected character '@'"},
    {"SELECT *\r\nFROM X", GM_EPARSE, "query:2:6",
     "expected DIGITALTWINS or RELATIONSHIPS, found 'X'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = '\xc3\xa9\xc3\xa9\xe2\x82\xac' AND ?", GM_EPARSE,
     "query:1:48", "unexpected character '?'"},
    {"SELECT * FROM DIGITALTWINS\n  WHERE x = '\xf0\x9f\x98\x80' OR\n\n  y",
     GM_EPARSE, "query:4:4", "expected a comparison operator, IN or NIN, found end of query"},
    /* invalid UTF-8 anywhere, even where the parser would stop earlier */
    {"SELECT * FROM DIGITALTWINS WHERE x = '\xff'", GM_EPARSE, "query:1:39",
     "invalid UTF-8 byte 0xff"},
    {"SELECT \xc0\xaf FROM", GM_EPARSE, "query:1:8", "invalid UTF-8 byte 0xc0"},
    {"SELECT * FROM DIGITALTWINS WHERE x = '\xed\xa0\x80'", GM_EPARSE, "query:1:39",
     "invalid UTF-8 byte 0xed"},
    {"FROM\n\xe2\x82", GM_EPARSE, "query:2:1", "invalid UTF-8 byte 0xe2"},
    /* a long token is quoted shortened, on a character boundary */
    {"SELECT * FROM DIGITALTWINS T T2", GM_EPARSE, "query:1:30",
     "expected JOIN, WHERE or end of query, found 'T2'"},
    {"SELECT * FROM DIGITALTWINS WHERE x = 1 'abcdefghijklmnopqrstuvwxyz0123456789AB\xc3\xa9xyz'",
     GM_EPARSE, "query:1:40",
     "expected AND, OR or end of query, found 'abcdefghijklmnopqrstuvwxyz0123456789AB..."},
};

static void test_invalid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        expect_err(invalid[i].q, strlen(invalid[i].q), invalid[i].code, invalid[i].where,
                   invalid[i].what);
}

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */

/* malloc'd prefix + n copies of unit + suffix. */
static char *build(const char *prefix, const char *unit, size_t n, const char *suffix)
{
    size_t len = strlen(prefix) + n * strlen(unit) + strlen(suffix);
    char *s = malloc(len + 1);
    assert_non_null(s);
    strcpy(s, prefix);
    char *p = s + strlen(prefix);
    for (size_t i = 0; i < n; i++, p += strlen(unit))
        memcpy(p, unit, strlen(unit));
    strcpy(p, suffix);
    return s;
}

static int parse_rc(const char *s, const gm_query_limits *lim, gm_err *e)
{
    gm_query *q = NULL;
    gm_err_clear(e);
    int rc = gm_query_parse(s, strlen(s), lim, &q, e);
    if (rc == GM_OK) {
        /* Whatever parses must reprint to text that parses to the same. */
        gm_sb sb = GM_SB_INIT;
        assert_int_equal(gm_query_format(q, &sb), GM_OK);
        gm_query_limits big = {.max_chars = GM_QUERY_CHARS_CAP};
        if (lim)
            big = (gm_query_limits){GM_QUERY_CHARS_CAP, lim->max_depth, lim->max_list,
                                    lim->max_ident, lim->max_joins, lim->max_hops};
        gm_query *q2 = NULL;
        assert_int_equal(gm_query_parse(gm_sb_str(&sb), sb.len, &big, &q2, NULL), GM_OK);
        gm_sb sb2 = GM_SB_INIT;
        assert_int_equal(gm_query_format(q2, &sb2), GM_OK);
        assert_string_equal(gm_sb_str(&sb), gm_sb_str(&sb2));
        gm_sb_free(&sb);
        gm_sb_free(&sb2);
        gm_query_free(q2);
        gm_query_free(q);
    } else {
        assert_null(q);
    }
    return rc;
}

static void expect_limit(char *s, const gm_query_limits *lim, const char *where,
                         const char *what)
{
    gm_err e;
    int rc = parse_rc(s, lim, &e);
    if (rc != GM_ELIMIT || strcmp(e.where, where) || strcmp(e.what, what))
        fail_msg("got %d %s: %s; expected %s: %s", rc, e.where, e.what, where, what);
    free(s);
}

static void expect_fits(char *s, const gm_query_limits *lim)
{
    gm_err e;
    int rc = parse_rc(s, lim, &e);
    if (rc != GM_OK)
        fail_msg("got %d %s: %s", rc, e.where, e.what);
    free(s);
}

static void test_limit_length(void **state)
{
    (void)state;
    const char *pre = "SELECT * FROM DIGITALTWINS WHERE x = '"; /* 38 characters */
    expect_fits(build(pre, "a", GM_QUERY_MAX_CHARS - 39, "'"), NULL);
    expect_limit(build(pre, "a", GM_QUERY_MAX_CHARS - 38, "'"), NULL, "query:1:8001",
                 "query is longer than 8000 characters");
    /* characters, not bytes: 7961 two-byte characters are 15922 bytes */
    expect_fits(build(pre, "\xc3\xa9", GM_QUERY_MAX_CHARS - 39, "'"), NULL);
    expect_limit(build(pre, "\xc3\xa9", GM_QUERY_MAX_CHARS - 38, "'"), NULL, "query:1:8001",
                 "query is longer than 8000 characters");
    /* the count goes on across lines */
    expect_limit(build("SELECT * FROM DIGITALTWINS\n", " ", GM_QUERY_MAX_CHARS, ""), NULL,
                 "query:2:7974", "query is longer than 8000 characters");
    gm_query_limits small = {.max_chars = 26};
    expect_fits(build("SELECT * FROM DIGITALTWINS", "", 0, ""), &small);
    expect_limit(build("SELECT * FROM DIGITALTWINS ", "", 0, ""), &small, "query:1:27",
                 "query is longer than 26 characters");
}

static void test_limit_depth(void **state)
{
    (void)state;
    const char *pre = "SELECT * FROM DIGITALTWINS WHERE ";
    /* 64 nested parentheses fit; the 65th is refused where it opens */
    char *open64 = build(pre, "(", 64, "x = 1");
    expect_fits(build(open64, ")", 64, ""), NULL);
    free(open64);
    expect_limit(build(pre, "(", 65, "x = 1)"), NULL, "query:1:98",
                 "expression nested deeper than 64 levels");
    /* NOT^62 over a comparison is 64 tall; one more NOT is too tall */
    expect_fits(build(pre, "NOT ", 62, "x = 1"), NULL);
    expect_limit(build(pre, "NOT ", 63, "x = 1"), NULL, "query:1:34",
                 "expression nested deeper than 64 levels");
    /* alternating AND/OR levels each add a node */
    char *s = build(pre, "a = 1 AND (b = 1 OR (", 21, "c = 1");
    char *t = build(s, "))", 21, "");
    free(s);
    gm_err e;
    assert_int_equal(parse_rc(t, NULL, &e), GM_OK);
    gm_query *q = parse_ok(t);
    /* each level is AND[cmp, OR[cmp, next]]; the innermost comparison is 2 tall */
    assert_int_equal(q->where->height, 2 + 2 * 21);
    height_of(q->where);
    gm_query_free(q);
    free(t);
    /* a limit can be lowered, and raised up to its cap */
    gm_query_limits lim = {.max_depth = 3};
    expect_fits(build(pre, "NOT ", 1, "x = 1"), &lim);
    expect_limit(build(pre, "NOT ", 2, "x = 1"), &lim, "query:1:34",
                 "expression nested deeper than 3 levels");
    lim.max_depth = GM_QUERY_DEPTH_CAP;
    expect_fits(build(pre, "NOT ", GM_QUERY_DEPTH_CAP - 2, "x = 1"), &lim);
    lim.max_depth = GM_QUERY_DEPTH_CAP + 1;
    gm_query *out = NULL;
    assert_int_equal(gm_query_parse("SELECT * FROM DIGITALTWINS", 26, &lim, &out, &e), GM_EINVAL);
    assert_null(out);
    assert_string_equal(e.what, "gm_query_parse: a limit is above its cap");
    lim = (gm_query_limits){.max_chars = GM_QUERY_CHARS_CAP + 1};
    assert_int_equal(gm_query_parse("SELECT * FROM DIGITALTWINS", 26, &lim, &out, &e), GM_EINVAL);
}

static void test_limit_lists_names_joins_hops(void **state)
{
    (void)state;
    const char *pre = "SELECT * FROM DIGITALTWINS WHERE x IN [0";
    expect_fits(build(pre, ", 1", GM_QUERY_MAX_LIST - 1, "]"), NULL);
    /* "SELECT ... IN [0" is 40 characters, each ", 1" 3 more: the 101st value is at 40 + 300 */
    expect_limit(build(pre, ", 1", GM_QUERY_MAX_LIST, "]"), NULL, "query:1:340",
                 "IN list has more than 100 values");
    expect_fits(build("SELECT * FROM DIGITALTWINS MATCH (a)-[:r", "|r", GM_QUERY_MAX_LIST - 1,
                      "]-(b)"),
                NULL);
    expect_limit(build("SELECT * FROM DIGITALTWINS MATCH (a)-[:r", "|r", GM_QUERY_MAX_LIST,
                       "]-(b)"),
                 NULL, "query:1:240", "more than 100 relationship names");

    /* identifiers: 1024 bytes, plain or escaped */
    expect_fits(build("SELECT ", "a", GM_QUERY_MAX_IDENT, " FROM DIGITALTWINS"), NULL);
    expect_limit(build("SELECT ", "a", GM_QUERY_MAX_IDENT + 1, " FROM DIGITALTWINS"), NULL,
                 "query:1:8", "identifier longer than 1024 bytes");
    expect_fits(build("SELECT T.[[", "\xc3\xa9", GM_QUERY_MAX_IDENT / 2, "]] FROM DIGITALTWINS T"),
                NULL);
    expect_limit(build("SELECT T.[[", "\xc3\xa9", GM_QUERY_MAX_IDENT / 2 + 1,
                       "]] FROM DIGITALTWINS T"),
                 NULL, "query:1:10", "identifier longer than 1024 bytes");

    /* JOINs: 5 */
    const char *five = "SELECT B FROM DIGITALTWINS A JOIN B RELATED A.r JOIN C RELATED B.r "
                       "JOIN D RELATED C.r JOIN E RELATED D.r JOIN F RELATED E.r";
    expect_fits(build(five, "", 0, ""), NULL);
    expect_limit(build(five, "", 0, " JOIN G RELATED F.r"), NULL, "query:1:125",
                 "more than 5 JOINs");
    gm_query_limits six = {.max_joins = 6};
    expect_fits(build(five, "", 0, " JOIN G RELATED F.r"), &six);

    /* hops: each bound at most 10, and at most 10 conditions in a MATCH */
    expect_fits(build("SELECT * FROM DIGITALTWINS MATCH (a)-[*9..10]->(b)", "", 0, ""), NULL);
    expect_limit(build("SELECT * FROM DIGITALTWINS MATCH (a)-[*11]->(b)", "", 0, ""), NULL,
                 "query:1:40", "hop count 11 is above the maximum of 10");
    expect_fits(build("SELECT * FROM DIGITALTWINS MATCH (a)", "-[]->()", GM_QUERY_MAX_HOPS, ""),
                NULL);
    expect_limit(build("SELECT * FROM DIGITALTWINS MATCH (a)", "-[]->()", GM_QUERY_MAX_HOPS + 1,
                       ""),
                 NULL, "query:1:107", "MATCH has more than 10 relationship conditions");
}

/* expect_limit insists on GM_ELIMIT; the overlong hop count is GM_EPARSE. */
static void test_limit_hop_not_a_number(void **state)
{
    (void)state;
    const char *q = "SELECT * FROM DIGITALTWINS MATCH (a)-[*..99999999999999999999]->(b)";
    expect_err(q, strlen(q), GM_EPARSE, "query:1:42",
               "expected a hop count, found '99999999999999999999'");
}

/* The biggest trees a maximal query can make still parse. */
static void test_limit_worst_case_memory(void **state)
{
    (void)state;
    /* 3980 one-letter projections, 2000 comparisons, 3980 path segments */
    expect_fits(build("SELECT a", ",a", 3980, " FROM DIGITALTWINS"), NULL);
    expect_fits(build("SELECT * FROM DIGITALTWINS WHERE a=1", " OR a=1", 1135, ""), NULL);
    expect_fits(build("SELECT a", ".a", 3980, " FROM DIGITALTWINS"), NULL);
    gm_query_limits big = {.max_chars = 200000};
    expect_fits(build("SELECT * FROM DIGITALTWINS WHERE a=1", " AND a=1", 24000, ""), &big);
}

/* ------------------------------------------------------------------------ */
/* API edges                                                                 */

static void test_null_err_and_args(void **state)
{
    (void)state;
    gm_query *q = NULL;
    /* err == NULL: codes still come back, nothing is written */
    assert_int_equal(gm_query_parse("SELECT * WHERE", 14, NULL, &q, NULL), GM_EPARSE);
    assert_null(q);
    assert_int_equal(gm_query_parse("SELECT * FROM DIGITALTWINS WHERE x IN [1,2]", 43, NULL, &q,
                                    NULL),
                     GM_OK);
    assert_non_null(q);
    gm_query_free(q);
    char *big = build("SELECT * FROM DIGITALTWINS WHERE x = '", "a", 9000, "'");
    q = NULL;
    assert_int_equal(gm_query_parse(big, strlen(big), NULL, &q, NULL), GM_ELIMIT);
    assert_null(q);
    free(big);
    assert_int_equal(gm_query_parse("SELECT *", 8, NULL, NULL, NULL), GM_EINVAL);
    assert_int_equal(gm_query_parse(NULL, 3, NULL, &q, NULL), GM_EINVAL);

    gm_err e;
    assert_int_equal(gm_query_parse("SELECT *", 8, NULL, NULL, &e), GM_EINVAL);
    assert_string_equal(e.where, "");
    assert_string_equal(e.what, "gm_query_parse: out is NULL");
    /* NULL text with length 0 is the empty query */
    assert_int_equal(gm_query_parse(NULL, 0, NULL, &q, &e), GM_EPARSE);
    assert_string_equal(e.where, "query:1:1");
    assert_string_equal(e.what, "expected SELECT, found end of query");
    gm_query_free(NULL);
}

static void test_length_not_nul(void **state)
{
    (void)state;
    /* Only len bytes are read: the text need not be NUL-terminated. */
    const char text[] = "SELECT * FROM DIGITALTWINS T WHERE";
    gm_query *q = NULL;
    assert_int_equal(gm_query_parse(text, 28, NULL, &q, NULL), GM_OK);
    assert_string_equal(q->from_alias, "T");
    assert_null(q->where);
    gm_query_free(q);
    char exact[26];
    memcpy(exact, "SELECT * FROM DIGITALTWINS", 26);
    assert_int_equal(gm_query_parse(exact, sizeof exact, NULL, &q, NULL), GM_OK);
    gm_query_free(q);
    /* A NUL byte inside the length is a character like any other: refused. */
    expect_err("SELECT * FROM DIGITALTWINS\0 T", 29, GM_EPARSE, "query:1:27",
               "unexpected character U+0000");
    expect_err("SELECT * FROM DIGITALTWINS WHERE x = 'a\0'", 41, GM_EPARSE, "query:1:40",
               "control character U+0000 in string: write it as an escape");
}

static void test_format_sb_limit(void **state)
{
    (void)state;
    gm_query *q = parse_ok("SELECT * FROM DIGITALTWINS WHERE x = 'a long enough value'");
    gm_sb sb = GM_SB_INIT;
    gm_sb_set_limit(&sb, 16);
    assert_int_equal(gm_query_format(q, &sb), GM_ELIMIT);
    gm_sb_free(&sb);
    gm_query_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_roundtrip),
        cmocka_unit_test(test_select_ast),
        cmocka_unit_test(test_join_ast),
        cmocka_unit_test(test_match_ast),
        cmocka_unit_test(test_where_precedence),
        cmocka_unit_test(test_where_literals),
        cmocka_unit_test(test_where_functions),
        cmocka_unit_test(test_keywords_case_insensitive),
        cmocka_unit_test(test_invalid_table),
        cmocka_unit_test(test_limit_length),
        cmocka_unit_test(test_limit_depth),
        cmocka_unit_test(test_limit_lists_names_joins_hops),
        cmocka_unit_test(test_limit_hop_not_a_number),
        cmocka_unit_test(test_limit_worst_case_memory),
        cmocka_unit_test(test_null_err_and_args),
        cmocka_unit_test(test_length_not_nul),
        cmocka_unit_test(test_format_sb_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
