/*
 * bench_models: loading a plant ontology of DTDL v3 interfaces with the model
 * registry. Goal (issue 5): load 1,000 interfaces well under a second.
 *
 * The program writes N interfaces (default 1000), one file each, into a fresh
 * directory under /tmp (removed at the end): 21 abstract bases in an extends
 * hierarchy up to depth 5 (with diamonds: Motor is rotating and electrical
 * equipment, Valve an actuator and static equipment), and concrete
 * interfaces each extending one or two bases, with 5..15 contents of their
 * own: quantitativeTypes telemetry and properties (semantic type and unit),
 * properties with Object, Enum, Map and Array schemas (inline, or declared in
 * the interface's own `schemas` and referenced by DTMI), commands with
 * request and response, relationships targeting other interfaces and
 * components whose interface has no components. Every interface references
 * only interfaces generated before it (so they can also be added one at a
 * time), but the file names are shuffled, so about half of the references
 * point to a file read later.
 *
 * It checks once that the set is valid, then times over R runs (default 7)
 * and prints the median and minimum of: (a) gm_model_load_paths (read +
 * JSON parse), (b) gm_model_registry_add of all documents into a fresh
 * registry (validate + compile), (a)+(b), and gm_dtdl_validate alone. Then,
 * once, N adds of one document each in dependency order: each add validates
 * the whole set again, so that costs O(N^2) and is reported as measured.
 * There is no peer on this machine (the reference DTDL parser is .NET), so
 * the last line compares with the goal.
 *
 * Usage: bench_models [--interfaces N] [--runs R] [--no-one-at-a-time]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/err.h"
#include "base/sb.h"
#include "base/strconv.h"
#include "base/time.h"
#include "model/dtdl.h"
#include "model/registry.h"

#define NS "dtmi:gemel:bench:plant:"
#define DEFAULT_INTERFACES 1000
#define DEFAULT_RUNS 7
#define MAX_INTERFACES 100000 /* below GM_MODEL_MAX_FILES */
#define MAX_RUNS 1000
#define SHOWN_PROBLEMS 10

/* ---- the abstract bases ------------------------------------------------------ */

/* In dependency order: a base references (extends, targets) only bases
   above it. */
enum {
    B_ASSET, B_EQUIPMENT, B_SPACE, B_DEVICE, B_ROTATING, B_STATIC, B_ELECTRICAL, B_ZONE,
    B_BUILDING, B_SENSOR, B_ACTUATOR, B_CONTROLLER, B_MOTOR, B_PUMP, B_COMPRESSOR, B_VESSEL,
    B_VALVE, B_HEATEX, B_VSPUMP, B_SMARTSENSOR, B_PROCCTRL, NBASES
};

typedef struct base_def {
    const char *name;
    int ext[2];           /* bases it extends, -1: none */
    const char *contents; /* JSON array elements, without the brackets */
} base_def;

#define TEL(n, st, u, s) \
    "{\"@type\":[\"Telemetry\",\"" st "\"],\"name\":\"" n "\",\"unit\":\"" u "\",\"schema\":\"" s "\"}"
#define PROP(n, st, u, w) \
    "{\"@type\":[\"Property\",\"" st "\"],\"name\":\"" n "\",\"unit\":\"" u \
    "\",\"schema\":\"double\",\"writable\":" w "}"

static const base_def bases[NBASES] = {
    [B_ASSET] = {"Asset", {-1, -1},
        "{\"@type\":\"Property\",\"name\":\"assetTag\",\"schema\":\"string\",\"writable\":true},"
        "{\"@type\":\"Property\",\"name\":\"manufacturer\",\"schema\":\"string\"},"
        "{\"@type\":\"Property\",\"name\":\"installedOn\",\"schema\":\"date\"},"
        "{\"@type\":\"Telemetry\",\"name\":\"operatingState\",\"schema\":{\"@type\":\"Enum\","
        "\"valueSchema\":\"string\",\"enumValues\":[{\"name\":\"running\",\"enumValue\":\"running\"},"
        "{\"name\":\"stopped\",\"enumValue\":\"stopped\"},{\"name\":\"fault\",\"enumValue\":\"fault\"}]}}"},
    [B_EQUIPMENT] = {"Equipment", {B_ASSET, -1},
        PROP("ratedPower", "Power", "kilowatt", "false") ","
        "{\"@type\":\"Property\",\"name\":\"nextMaintenance\",\"schema\":\"date\",\"writable\":true},"
        "{\"@type\":\"Relationship\",\"name\":\"isPartOf\",\"target\":\"" NS "Asset;1\","
        "\"maxMultiplicity\":1}"},
    [B_SPACE] = {"Space", {B_ASSET, -1},
        PROP("floorArea", "Area", "squareMetre", "false") ","
        "{\"@type\":\"Relationship\",\"name\":\"contains\",\"target\":\"" NS "Asset;1\"}"},
    [B_DEVICE] = {"Device", {B_ASSET, -1},
        "{\"@type\":\"Property\",\"name\":\"firmwareVersion\",\"schema\":\"string\"},"
        "{\"@type\":\"Telemetry\",\"name\":\"heartbeat\",\"schema\":\"boolean\"},"
        "{\"@type\":\"Command\",\"name\":\"reboot\",\"request\":{\"name\":\"delay\","
        "\"schema\":\"duration\"}}"},
    [B_ROTATING] = {"RotatingEquipment", {B_EQUIPMENT, -1},
        TEL("shaftSpeed", "AngularVelocity", "revolutionPerMinute", "double") ","
        TEL("bearingTemperature", "Temperature", "degreeCelsius", "double") ","
        TEL("vibrationLevel", "Acceleration", "gForce", "float")},
    [B_STATIC] = {"StaticEquipment", {B_EQUIPMENT, -1},
        PROP("designPressure", "Pressure", "bar", "false") ","
        PROP("designTemperature", "Temperature", "degreeCelsius", "false")},
    [B_ELECTRICAL] = {"ElectricalEquipment", {B_EQUIPMENT, -1},
        TEL("lineVoltage", "Voltage", "volt", "double") ","
        "{\"@type\":\"Telemetry\",\"name\":\"phaseCurrents\",\"schema\":{\"@type\":\"Object\","
        "\"fields\":[{\"name\":\"l1\",\"schema\":\"double\"},{\"name\":\"l2\",\"schema\":\"double\"},"
        "{\"name\":\"l3\",\"schema\":\"double\"}]}},"
        TEL("energyConsumed", "Energy", "kilowattHour", "double")},
    [B_ZONE] = {"Zone", {B_SPACE, -1},
        TEL("zoneTemperature", "Temperature", "degreeCelsius", "double") ","
        TEL("zoneHumidity", "RelativeHumidity", "percent", "double") ","
        "{\"@type\":\"Telemetry\",\"name\":\"occupancy\",\"schema\":\"integer\"}"},
    [B_BUILDING] = {"Building", {B_SPACE, -1},
        "{\"@type\":\"Property\",\"name\":\"address\",\"schema\":{\"@type\":\"Object\",\"fields\":["
        "{\"name\":\"street\",\"schema\":\"string\"},{\"name\":\"city\",\"schema\":\"string\"},"
        "{\"name\":\"postcode\",\"schema\":\"string\"}]}},"
        "{\"@type\":\"Property\",\"name\":\"floors\",\"schema\":\"integer\"},"
        "{\"@type\":\"Relationship\",\"name\":\"hasZone\",\"target\":\"" NS "Zone;1\"}"},
    [B_SENSOR] = {"Sensor", {B_DEVICE, -1},
        "{\"@type\":\"Property\",\"name\":\"measurementRange\",\"schema\":{\"@type\":\"Object\","
        "\"fields\":[{\"name\":\"min\",\"schema\":\"double\"},{\"name\":\"max\",\"schema\":\"double\"}]}},"
        "{\"@type\":\"Property\",\"name\":\"samplingInterval\",\"schema\":\"duration\",\"writable\":true},"
        "{\"@type\":\"Relationship\",\"name\":\"observes\",\"target\":\"" NS "Asset;1\"}"},
    [B_ACTUATOR] = {"Actuator", {B_DEVICE, -1},
        "{\"@type\":\"Property\",\"name\":\"commandedPosition\",\"schema\":\"double\",\"writable\":true},"
        "{\"@type\":\"Telemetry\",\"name\":\"actualPosition\",\"schema\":\"double\"},"
        "{\"@type\":\"Command\",\"name\":\"moveTo\",\"request\":{\"name\":\"position\","
        "\"schema\":\"double\"},\"response\":{\"name\":\"outcome\",\"schema\":{\"@type\":\"Object\","
        "\"fields\":[{\"name\":\"reached\",\"schema\":\"boolean\"},{\"name\":\"error\","
        "\"schema\":\"string\"}]}}}"},
    [B_CONTROLLER] = {"Controller", {B_DEVICE, -1},
        "{\"@type\":\"Property\",\"name\":\"controlMode\",\"writable\":true,\"schema\":{\"@type\":\"Enum\","
        "\"valueSchema\":\"integer\",\"enumValues\":[{\"name\":\"manual\",\"enumValue\":0},"
        "{\"name\":\"automatic\",\"enumValue\":1},{\"name\":\"cascade\",\"enumValue\":2}]}},"
        "{\"@type\":\"Relationship\",\"name\":\"controls\",\"target\":\"" NS "Actuator;1\","
        "\"properties\":[{\"@type\":\"Property\",\"name\":\"loopName\",\"schema\":\"string\"}]}"},
    [B_MOTOR] = {"Motor", {B_ROTATING, B_ELECTRICAL},
        PROP("ratedSpeed", "AngularVelocity", "revolutionPerMinute", "false") ","
        TEL("windingTemperature", "Temperature", "kelvin", "double") ","
        TEL("motorTorque", "Torque", "newtonMetre", "double")},
    [B_PUMP] = {"Pump", {B_ROTATING, -1},
        TEL("pumpedFlow", "VolumeFlowRate", "cubicMetrePerHour", "double") ","
        TEL("suctionPressure", "Pressure", "kilopascal", "double") ","
        TEL("dischargePressure", "Pressure", "kilopascal", "double") ","
        "{\"@type\":\"Relationship\",\"name\":\"drivenBy\",\"target\":\"" NS "Motor;1\","
        "\"maxMultiplicity\":1}"},
    [B_COMPRESSOR] = {"Compressor", {B_ROTATING, -1},
        TEL("inletPressure", "Pressure", "bar", "double") ","
        TEL("outletPressure", "Pressure", "bar", "double") ","
        TEL("massFlow", "MassFlowRate", "kilogramPerSecond", "double")},
    [B_VESSEL] = {"Vessel", {B_STATIC, -1},
        TEL("fillLevel", "Length", "metre", "double") ","
        PROP("capacity", "Volume", "cubicMetre", "false") ","
        TEL("contentsTemperature", "Temperature", "degreeCelsius", "double")},
    [B_VALVE] = {"Valve", {B_ACTUATOR, B_STATIC},
        "{\"@type\":\"Property\",\"name\":\"valveType\",\"schema\":{\"@type\":\"Enum\","
        "\"valueSchema\":\"string\",\"enumValues\":[{\"name\":\"globe\",\"enumValue\":\"globe\"},"
        "{\"name\":\"ball\",\"enumValue\":\"ball\"},{\"name\":\"butterfly\",\"enumValue\":\"butterfly\"},"
        "{\"name\":\"gate\",\"enumValue\":\"gate\"}]}},"
        "{\"@type\":\"Command\",\"name\":\"stroke\",\"response\":{\"name\":\"strokeTime\","
        "\"schema\":\"duration\"}}"},
    [B_HEATEX] = {"HeatExchanger", {B_STATIC, -1},
        TEL("heatDuty", "Power", "kilowatt", "double") ","
        TEL("hotInletTemperature", "Temperature", "degreeCelsius", "double") ","
        TEL("hotOutletTemperature", "Temperature", "degreeCelsius", "double") ","
        TEL("coldInletTemperature", "Temperature", "degreeCelsius", "double") ","
        TEL("coldOutletTemperature", "Temperature", "degreeCelsius", "double")},
    [B_VSPUMP] = {"VariableSpeedPump", {B_PUMP, -1},
        TEL("driveFrequency", "Frequency", "hertz", "double") ","
        PROP("speedSetpoint", "AngularVelocity", "revolutionPerMinute", "true")},
    [B_SMARTSENSOR] = {"SmartSensor", {B_SENSOR, -1},
        TEL("batteryVoltage", "Voltage", "volt", "double") ","
        "{\"@type\":\"Telemetry\",\"name\":\"signalStrength\",\"schema\":\"integer\"},"
        "{\"@type\":\"Command\",\"name\":\"calibrate\",\"request\":{\"name\":\"reference\","
        "\"schema\":{\"@type\":\"Object\",\"fields\":[{\"name\":\"value\",\"schema\":\"double\"},"
        "{\"name\":\"at\",\"schema\":\"dateTime\"}]}}}"},
    [B_PROCCTRL] = {"ProcessController", {B_CONTROLLER, -1},
        "{\"@type\":\"Telemetry\",\"name\":\"processValue\",\"schema\":\"double\"},"
        "{\"@type\":\"Property\",\"name\":\"setpoint\",\"schema\":\"double\",\"writable\":true},"
        "{\"@type\":\"Property\",\"name\":\"tuning\",\"writable\":true,\"schema\":{\"@type\":\"Object\","
        "\"fields\":[{\"name\":\"kp\",\"schema\":\"double\"},{\"name\":\"ki\",\"schema\":\"double\"},"
        "{\"name\":\"kd\",\"schema\":\"double\"}]}}"},
};

/* The bases a concrete interface extends first (its kind). */
static const int kinds[] = {B_MOTOR,  B_PUMP,   B_COMPRESSOR,  B_VESSEL,      B_VALVE,
                            B_HEATEX, B_VSPUMP, B_SMARTSENSOR, B_PROCCTRL,    B_ZONE,
                            B_BUILDING, B_SENSOR, B_ACTUATOR, B_ELECTRICAL};
/* Mixins a concrete interface may extend second. */
static const int mixins[] = {B_DEVICE, B_ELECTRICAL, B_SENSOR};

/* Semantic telemetry of concrete interfaces: name stem, type, unit, schema. */
static const struct quantity {
    const char *stem, *type, *unit, *schema;
} quantities[] = {
    {"temperature", "Temperature", "degreeCelsius", "double"},
    {"pressure", "Pressure", "kilopascal", "double"},
    {"flow", "VolumeFlowRate", "litrePerSecond", "double"},
    {"massFlow", "MassFlowRate", "kilogramPerHour", "double"},
    {"power", "Power", "kilowatt", "double"},
    {"energy", "Energy", "megawattHour", "double"},
    {"current", "Current", "ampere", "float"},
    {"voltage", "Voltage", "volt", "float"},
    {"speed", "AngularVelocity", "revolutionPerMinute", "double"},
    {"vibration", "Acceleration", "metrePerSecondSquared", "float"},
    {"level", "Length", "millimetre", "double"},
    {"humidity", "RelativeHumidity", "percent", "float"},
    {"torque", "Torque", "newtonMetre", "double"},
    {"frequency", "Frequency", "hertz", "double"},
    {"weight", "Mass", "kilogram", "double"},
    {"volume", "Volume", "litre", "double"},
    {"velocity", "Velocity", "metrePerSecond", "double"},
    {"illuminance", "Illuminance", "lux", "float"},
    {"noise", "SoundPressure", "decibel", "float"},
    {"runtime", "TimeSpan", "hour", "double"},
    {"co2", "Concentration", "partsPerMillion", "double"},
    {"density", "Density", "kilogramPerCubicMetre", "double"},
};

#define ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the generator -------------------------------------------------------------- */

typedef struct iface_info {
    char name[48];      /* DTMI path segment: "Asset", "Pump0042" */
    size_t pos;         /* position in file (name) order */
    int kind, mixin;    /* concrete: the bases it extends (mixin -1: none) */
    bool has_components;
} iface_info;

typedef struct gen {
    size_t n;           /* interfaces */
    iface_info *info;   /* [n], in dependency order */
    size_t *compfree;   /* concrete interfaces without components, so far */
    size_t ncompfree;
    uint64_t rng;
    size_t refs, forward; /* references between interfaces; to a later file */
    char dir[64];
    size_t written;     /* files written (info[0..written) in dependency order) */
    size_t bytes;
} gen;

static uint64_t rnd(gen *g)
{
    /* xorshift64*: deterministic across runs and platforms */
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 2685821657736338717ull;
}

static size_t rnd_below(gen *g, size_t n)
{
    return (size_t)((rnd(g) >> 11) % n);
}

/* Interface k references interface j (defined earlier in dependency order). */
static void ref(gen *g, size_t k, size_t j)
{
    g->refs++;
    g->forward += g->info[j].pos > g->info[k].pos;
}

static bool is_ancestor(int a, int b) /* a is b or one of its bases */
{
    if (b < 0)
        return false;
    if (a == b)
        return true;
    return is_ancestor(a, bases[b].ext[0]) || is_ancestor(a, bases[b].ext[1]);
}

static void file_path(const gen *g, size_t k, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%05zu_%s.json", g->dir, g->info[k].pos, g->info[k].name);
}

/* A content of concrete interface k, named stem + j; self is the interface's
   DTMI without ";1" (its own schemas are self:Mode;1 and self:Limits;1). */
static void emit_content(gen *g, gm_sb *sb, size_t k, unsigned j, const char *self)
{
    size_t r = rnd_below(g, 20);
    if (r >= 18 && (k % 2 != 0 || g->ncompfree == 0))
        r = rnd_below(g, 7); /* odd interfaces stay component-free */
    if (r <= 6) {
        const struct quantity *q = &quantities[rnd_below(g, ARRAY_N(quantities))];
        gm_sb_appendf(sb,
                      "{\"@type\":[\"Telemetry\",\"%s\"],\"name\":\"%s%u\",\"unit\":\"%s\","
                      "\"schema\":\"%s\",\"displayName\":\"%s %u\"}",
                      q->type, q->stem, j, q->unit, q->schema, q->stem, j);
    } else if (r == 7) {
        gm_sb_appendf(sb, "{\"@type\":\"Telemetry\",\"name\":\"state%u\",\"schema\":\"%s:Mode;1\"}",
                      j, self);
    } else if (r == 8) {
        if (j % 2)
            gm_sb_appendf(sb, "{\"@type\":\"Telemetry\",\"name\":\"alarm%u\",\"schema\":\"boolean\"}",
                          j);
        else
            gm_sb_appendf(sb,
                          "{\"@type\":\"Telemetry\",\"name\":\"event%u\",\"schema\":{\"@type\":"
                          "\"Object\",\"fields\":[{\"name\":\"code\",\"schema\":\"integer\"},"
                          "{\"name\":\"text\",\"schema\":\"string\"},{\"name\":\"at\","
                          "\"schema\":\"dateTime\"}]}}",
                          j);
    } else if (r <= 13) {
        switch (r) {
        case 9:
            gm_sb_appendf(sb,
                          "{\"@type\":\"Property\",\"name\":\"config%u\",\"writable\":true,"
                          "\"schema\":{\"@type\":\"Object\",\"fields\":[{\"name\":\"enabled\","
                          "\"schema\":\"boolean\"},{\"name\":\"threshold\",\"schema\":\"double\"},"
                          "{\"name\":\"label\",\"schema\":\"string\"}]}}",
                          j);
            break;
        case 10:
            gm_sb_appendf(sb,
                          "{\"@type\":\"Property\",\"name\":\"mode%u\",\"writable\":true,"
                          "\"schema\":\"%s:Mode;1\"}",
                          j, self);
            break;
        case 11:
            gm_sb_appendf(sb,
                          "{\"@type\":\"Property\",\"name\":\"tags%u\",\"schema\":{\"@type\":\"Map\","
                          "\"mapKey\":{\"name\":\"key\",\"schema\":\"string\"},\"mapValue\":{"
                          "\"name\":\"value\",\"schema\":\"string\"}}}",
                          j);
            break;
        case 12:
            gm_sb_appendf(sb,
                          "{\"@type\":\"Property\",\"name\":\"alarmLimits%u\",\"schema\":{"
                          "\"@type\":\"Array\",\"elementSchema\":\"%s:Limits;1\"}}",
                          j, self);
            break;
        default:
            if (j % 2)
                gm_sb_appendf(sb,
                              "{\"@type\":[\"Property\",\"Temperature\"],\"name\":\"setpoint%u\","
                              "\"unit\":\"degreeCelsius\",\"schema\":\"double\",\"writable\":true}",
                              j);
            else
                gm_sb_appendf(sb,
                              "{\"@type\":\"Property\",\"name\":\"calibration%u\",\"schema\":{"
                              "\"@type\":\"Map\",\"mapKey\":{\"name\":\"channel\",\"schema\":"
                              "\"string\"},\"mapValue\":{\"name\":\"curve\",\"schema\":{\"@type\":"
                              "\"Array\",\"elementSchema\":{\"@type\":\"Object\",\"fields\":["
                              "{\"name\":\"x\",\"schema\":\"double\"},{\"name\":\"y\",\"schema\":"
                              "\"double\"}]}}}}}",
                              j);
            break;
        }
    } else if (r <= 15) {
        switch (j % 3) {
        case 0:
            gm_sb_appendf(sb,
                          "{\"@type\":\"Command\",\"name\":\"start%u\",\"request\":{\"name\":"
                          "\"speed\",\"schema\":\"double\"},\"response\":{\"name\":\"mode\","
                          "\"schema\":\"%s:Mode;1\"}}",
                          j, self);
            break;
        case 1:
            gm_sb_appendf(sb,
                          "{\"@type\":\"Command\",\"name\":\"reset%u\",\"response\":{\"name\":"
                          "\"report\",\"schema\":{\"@type\":\"Object\",\"fields\":[{\"name\":"
                          "\"ok\",\"schema\":\"boolean\"},{\"name\":\"log\",\"schema\":{\"@type\":"
                          "\"Array\",\"elementSchema\":\"string\"}}]}}}",
                          j);
            break;
        default:
            gm_sb_appendf(sb,
                          "{\"@type\":\"Command\",\"name\":\"configure%u\",\"request\":{\"name\":"
                          "\"limits\",\"schema\":\"%s:Limits;1\"}}",
                          j, self);
            break;
        }
    } else if (r <= 17) {
        static const char *const rel[] = {"feeds", "connectedTo", "supplies", "monitoredBy",
                                          "locatedIn"};
        size_t t;
        if (k > NBASES && rnd_below(g, 4) != 0)
            t = NBASES + rnd_below(g, k - NBASES);
        else
            t = rnd_below(g, NBASES);
        ref(g, k, t);
        gm_sb_appendf(sb, "{\"@type\":\"Relationship\",\"name\":\"%s%u\",\"target\":\"" NS "%s;1\"",
                      rel[j % ARRAY_N(rel)], j, g->info[t].name);
        if (j % 2)
            gm_sb_appendf(sb, ",\"maxMultiplicity\":%u", 1 + j % 5);
        else
            gm_sb_append(sb, ",\"properties\":[{\"@type\":\"Property\",\"name\":\"since\","
                             "\"schema\":\"dateTime\"},{\"@type\":\"Property\",\"name\":"
                             "\"weight\",\"schema\":\"double\",\"writable\":true}]");
        gm_sb_append(sb, "}");
    } else {
        size_t t = g->compfree[rnd_below(g, g->ncompfree)];
        ref(g, k, t);
        g->info[k].has_components = true;
        gm_sb_appendf(sb, "{\"@type\":\"Component\",\"name\":\"module%u\",\"schema\":\"" NS "%s;1\"}",
                      j, g->info[t].name);
    }
}

/* The JSON text of interface k (compact; written out indented). */
static void emit_iface(gen *g, gm_sb *sb, size_t k)
{
    const iface_info *in = &g->info[k];
    gm_sb_appendf(sb,
                  "{\"@context\":[\"dtmi:dtdl:context;3\",\"dtmi:dtdl:extension:quantitativeTypes;1\"],"
                  "\"@id\":\"" NS "%s;1\",\"@type\":\"Interface\",\"displayName\":\"%s\",",
                  in->name, in->name);
    if (k < NBASES) {
        const base_def *b = &bases[k];
        gm_sb_appendf(sb, "\"description\":\"Abstract %s of the plant ontology.\"", b->name);
        for (int e = 0; e < 2 && b->ext[e] >= 0; e++) {
            ref(g, k, (size_t)b->ext[e]);
            gm_sb_appendf(sb, "%s\"" NS "%s;1\"", e ? "," : ",\"extends\":[",
                          bases[b->ext[e]].name);
        }
        if (b->ext[0] >= 0)
            gm_sb_append(sb, "]");
        gm_sb_appendf(sb, ",\"contents\":[%s]}", b->contents);
        return;
    }
    int kind = in->kind, mixin = in->mixin;
    gm_sb_appendf(sb, "\"description\":\"A %s model of the plant.\",\"extends\":[\"" NS "%s;1\"",
                  bases[kind].name, bases[kind].name);
    ref(g, k, (size_t)kind);
    if (mixin >= 0) {
        gm_sb_appendf(sb, ",\"" NS "%s;1\"", bases[mixin].name);
        ref(g, k, (size_t)mixin);
    }
    char self[96];
    snprintf(self, sizeof self, NS "%s", in->name);
    gm_sb_appendf(sb,
                  "],\"schemas\":[{\"@id\":\"%s:Mode;1\",\"@type\":\"Enum\",\"valueSchema\":"
                  "\"integer\",\"enumValues\":[{\"name\":\"off\",\"enumValue\":0},{\"name\":"
                  "\"standby\",\"enumValue\":1},{\"name\":\"running\",\"enumValue\":2},{\"name\":"
                  "\"maintenance\",\"enumValue\":3}]},{\"@id\":\"%s:Limits;1\",\"@type\":\"Object\","
                  "\"fields\":[{\"name\":\"low\",\"schema\":\"double\"},{\"name\":\"high\","
                  "\"schema\":\"double\"},{\"name\":\"severity\",\"schema\":\"%s:Mode;1\"}]}],"
                  "\"contents\":[",
                  self, self, self);
    unsigned nc = 5 + (unsigned)rnd_below(g, 11);
    for (unsigned j = 0; j < nc; j++) {
        if (j)
            gm_sb_append(sb, ",");
        emit_content(g, sb, k, j, self);
    }
    gm_sb_append(sb, "]}");
}

/* Parse the text back (which checks the generator wrote JSON) and write it
   indented, as people write models. */
static int write_iface(gen *g, const char *text, size_t k)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) {
        fprintf(stderr, "bench_models: generated %s is not JSON: %s (column %d)\n",
                g->info[k].name, je.text, je.column);
        return GM_EINTERNAL;
    }
    char *out = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    if (!out) {
        fprintf(stderr, "bench_models: out of memory\n");
        return GM_ENOMEM;
    }
    char path[160];
    file_path(g, k, path, sizeof path);
    size_t len = strlen(out);
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(out, 1, len, f) == len && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        ok = false;
    free(out);
    if (f)
        g->written = k + 1; /* even when short: the file exists and must go */
    if (!ok) {
        fprintf(stderr, "bench_models: cannot write %s: %s\n", path, strerror(errno));
        return GM_EIO;
    }
    g->bytes += len + 1;
    return 0;
}

static int generate(gen *g)
{
    /* Positions in file order: a shuffle, so references point both ways. */
    size_t *perm = malloc(g->n * sizeof *perm);
    if (!perm)
        return GM_ENOMEM;
    for (size_t i = 0; i < g->n; i++)
        perm[i] = i;
    for (size_t i = g->n - 1; i > 0; i--) {
        size_t j = rnd_below(g, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t k = 0; k < g->n; k++) {
        g->info[k].pos = perm[k];
        iface_info *in = &g->info[k];
        in->kind = in->mixin = -1;
        if (k < NBASES) {
            snprintf(in->name, sizeof in->name, "%s", bases[k].name);
            continue;
        }
        in->kind = kinds[rnd_below(g, ARRAY_N(kinds))];
        if (rnd_below(g, 4) == 0) {
            int m = mixins[rnd_below(g, ARRAY_N(mixins))];
            if (!is_ancestor(m, in->kind) && !is_ancestor(in->kind, m))
                in->mixin = m;
        }
        snprintf(in->name, sizeof in->name, "%s%04zu", bases[in->kind].name, k);
    }
    free(perm);
    gm_sb sb = GM_SB_INIT;
    int rc = 0;
    for (size_t k = 0; k < g->n && !rc; k++) {
        gm_sb_reset(&sb);
        emit_iface(g, &sb, k);
        if (gm_sb_error(&sb)) {
            fprintf(stderr, "bench_models: out of memory\n");
            rc = GM_ENOMEM;
            break;
        }
        rc = write_iface(g, gm_sb_str(&sb), k);
        if (!rc && k >= NBASES && !g->info[k].has_components)
            g->compfree[g->ncompfree++] = k;
    }
    gm_sb_free(&sb);
    return rc;
}

static void remove_files(const gen *g)
{
    char path[160];
    for (size_t k = 0; k < g->written; k++) {
        file_path(g, k, path, sizeof path);
        if (unlink(path) != 0)
            fprintf(stderr, "bench_models: cannot remove %s: %s\n", path, strerror(errno));
    }
    if (g->dir[0] && rmdir(g->dir) != 0)
        fprintf(stderr, "bench_models: cannot remove %s: %s\n", g->dir, strerror(errno));
}

/* ---- measuring ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double ms_since(int64_t t0)
{
    return (double)(gm_time_mono_ns() - t0) / 1e6;
}

static void show_report(const char *what, const gm_dtdl_report *rep)
{
    fprintf(stderr, "bench_models: %s: %zu problems, %zu unresolved\n", what,
            rep->nproblems + rep->dropped, rep->nunresolved);
    for (size_t i = 0; i < rep->nproblems && i < SHOWN_PROBLEMS; i++)
        fprintf(stderr, "  %s: %s: %s\n", rep->problems[i].file ? rep->problems[i].file : "",
                rep->problems[i].where, rep->problems[i].what);
    for (size_t i = 0; i < rep->nunresolved && i < SHOWN_PROBLEMS; i++)
        fprintf(stderr, "  unresolved: %s\n", rep->unresolved[i]);
}

/* JSON objects in v: every one is a DTDL element (no language maps here). */
static size_t count_objects(const json_t *v)
{
    size_t n = 0;
    if (json_is_object(v)) {
        n = 1;
        const char *key;
        const json_t *m;
        json_object_foreach((json_t *)v, key, m)
            n += count_objects(m);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            n += count_objects(json_array_get(v, i));
    }
    return n;
}

typedef struct times {
    double *load, *add, *sum, *validate;
} times;

/* One timed run; r is the run index. */
static int run_once(const char *dir, size_t r, times *t)
{
    gm_model_docs docs = {0};
    gm_dtdl_report rep = {0};
    gm_model_registry *reg = NULL;
    gm_err err;
    gm_err_clear(&err);
    int rc;

    int64_t t0 = gm_time_mono_ns();
    rc = gm_model_load_paths(&dir, 1, &docs, &rep, &err);
    t->load[r] = ms_since(t0);
    if (rc || rep.nproblems) {
        char msg[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 8];
        if (rc)
            fprintf(stderr, "bench_models: %s\n", gm_err_format(&err, msg, sizeof msg));
        show_report("loading", &rep);
        rc = rc ? rc : GM_EINVAL;
        goto fail;
    }

    t0 = gm_time_mono_ns();
    reg = gm_model_registry_create(NULL);
    rc = reg ? gm_model_registry_add(reg, docs.docs, docs.n, &rep) : GM_ENOMEM;
    t->add[r] = ms_since(t0);
    t->sum[r] = t->load[r] + t->add[r];
    if (rc) {
        show_report("adding", &rep);
        goto fail;
    }

    t0 = gm_time_mono_ns();
    rc = gm_dtdl_validate(docs.docs, docs.n, NULL, &rep);
    t->validate[r] = ms_since(t0);
    if (rc)
        show_report("validating", &rep);
fail:
    gm_model_registry_destroy(reg);
    gm_dtdl_report_free(&rep);
    gm_model_docs_free(&docs);
    return rc;
}

/* The first load, checked in full: the generator must write a valid set.
   Prints what the set holds. */
static int check_set(const gen *g)
{
    gm_model_docs docs = {0};
    gm_dtdl_report rep = {0};
    gm_model_registry *reg = NULL;
    gm_err err;
    gm_err_clear(&err);
    const char *dir = g->dir;
    int rc = gm_model_load_paths(&dir, 1, &docs, &rep, &err);
    if (rc || rep.nproblems || docs.n != g->n) {
        char msg[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 8];
        if (rc)
            fprintf(stderr, "bench_models: %s\n", gm_err_format(&err, msg, sizeof msg));
        show_report("loading", &rep);
        fprintf(stderr, "bench_models: %zu documents loaded, %zu written\n", docs.n, g->n);
        rc = rc ? rc : GM_EINVAL;
        goto fail;
    }
    reg = gm_model_registry_create(NULL);
    rc = reg ? gm_model_registry_add(reg, docs.docs, docs.n, &rep) : GM_ENOMEM;
    if (rc) {
        show_report("the generated set is not valid", &rep);
        goto fail;
    }
    size_t count = gm_model_registry_count(reg), contents = 0, own = 0, elements = 0;
    for (size_t i = 0; i < count; i++) {
        const gm_model_iface *in = gm_model_registry_at(reg, i);
        contents += in->ncontents;
        for (size_t c = 0; c < in->ncontents; c++)
            own += in->contents[c].defined_in == in->id ||
                   strcmp(in->contents[c].defined_in, in->id) == 0;
    }
    for (size_t i = 0; i < docs.n; i++)
        elements += count_objects(docs.docs[i].json);
    printf("models: %zu interfaces (%d abstract bases, extends depth <= 5, diamonds; %zu concrete), "
           "DTDL v3 + quantitativeTypes\n",
           count, NBASES, g->n - NBASES);
    printf("files: %zu, %.2f MB (%.1f KB each), %zu DTDL elements; contents %zu own, %zu flattened "
           "(%.1f per interface)\n",
           docs.nfiles, (double)g->bytes / 1e6, (double)g->bytes / 1e3 / (double)g->n, elements,
           own, contents, (double)contents / (double)count);
    printf("references between interfaces: %zu (extends, relationship targets, components), "
           "%.0f%% to a file read later\n",
           g->refs, 100.0 * (double)g->forward / (double)(g->refs ? g->refs : 1));
    if (count != g->n) {
        fprintf(stderr, "bench_models: the registry holds %zu interfaces, expected %zu\n", count,
                g->n);
        rc = GM_EINTERNAL;
    }
fail:
    gm_model_registry_destroy(reg);
    gm_dtdl_report_free(&rep);
    gm_model_docs_free(&docs);
    return rc;
}

/* Add the interfaces one document at a time, in dependency order. */
static int one_at_a_time(const gen *g)
{
    gm_model_docs docs = {0};
    gm_dtdl_report rep = {0};
    gm_model_registry *reg = NULL;
    gm_err err;
    gm_err_clear(&err);
    const char *dir = g->dir;
    int rc = gm_model_load_paths(&dir, 1, &docs, &rep, &err);
    if (rc || docs.n != g->n) {
        fprintf(stderr, "bench_models: cannot load the set again\n");
        rc = rc ? rc : GM_EINTERNAL;
        goto fail;
    }
    /* docs are in file order: interface k is docs[info[k].pos]. */
    char id[128];
    for (size_t k = 0; k < g->n; k++) {
        snprintf(id, sizeof id, NS "%s;1", g->info[k].name);
        const char *got = json_string_value(json_object_get(docs.docs[g->info[k].pos].json, "@id"));
        if (!got || strcmp(got, id) != 0) {
            fprintf(stderr, "bench_models: file %zu holds %s, expected %s\n", g->info[k].pos,
                    got ? got : "(no @id)", id);
            rc = GM_EINTERNAL;
            goto fail;
        }
    }
    reg = gm_model_registry_create(NULL);
    if (!reg) {
        rc = GM_ENOMEM;
        goto fail;
    }
    double total = 0, last = 0, first_half = 0;
    for (size_t k = 0; k < g->n; k++) {
        int64_t t0 = gm_time_mono_ns();
        rc = gm_model_registry_add(reg, &docs.docs[g->info[k].pos], 1, &rep);
        last = ms_since(t0);
        total += last;
        if (k < g->n / 2)
            first_half += last;
        if (rc) {
            fprintf(stderr, "bench_models: adding interface %zu of %zu (%s) alone failed\n", k + 1,
                    g->n, g->info[k].name);
            show_report("one at a time", &rep);
            goto fail;
        }
    }
    printf("one at a time: %zu adds of one document in dependency order: total %.0f ms "
           "(first half %.0f ms, second half %.0f ms), last add %.2f ms;\n"
           "  each add validates and compiles the whole set again, so this grows as N^2\n",
           g->n, total, first_half, total - first_half, last);
fail:
    gm_model_registry_destroy(reg);
    gm_dtdl_report_free(&rep);
    gm_model_docs_free(&docs);
    return rc;
}

/* ---- main ------------------------------------------------------------------------- */

static int usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "bench_models: %s\n", msg);
    fprintf(stderr, "usage: bench_models [--interfaces N] [--runs R] [--no-one-at-a-time]\n"
                    "  --interfaces N  interfaces to generate, %d..%d (default %d)\n"
                    "  --runs R        timed runs, 1..%d (default %d)\n"
                    "  --no-one-at-a-time  skip the N single-document adds (O(N^2))\n",
            NBASES + 1, MAX_INTERFACES, DEFAULT_INTERFACES, MAX_RUNS, DEFAULT_RUNS);
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t n = DEFAULT_INTERFACES, runs = DEFAULT_RUNS;
    bool single = true;
    for (int i = 1; i < argc; i++) {
        gm_err err;
        gm_err_clear(&err);
        char msg[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 8];
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(NULL);
            return 0;
        } else if (strcmp(argv[i], "--no-one-at-a-time") == 0) {
            single = false;
        } else if (strcmp(argv[i], "--interfaces") == 0 && i + 1 < argc) {
            if (gm_parse_u64(argv[++i], NBASES + 1, MAX_INTERFACES, &n, "--interfaces", &err))
                return usage(gm_err_format(&err, msg, sizeof msg));
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if (gm_parse_u64(argv[++i], 1, MAX_RUNS, &runs, "--runs", &err))
                return usage(gm_err_format(&err, msg, sizeof msg));
        } else {
            char m[300];
            snprintf(m, sizeof m, "unknown or incomplete option '%s'", argv[i]);
            return usage(m);
        }
    }

    int status = 1;
    gen g = {0};
    g.n = (size_t)n;
    g.rng = 0x9E3779B97F4A7C15ull;
    times t = {0};
    size_t R = (size_t)runs;
    g.info = calloc(g.n, sizeof *g.info);
    g.compfree = calloc(g.n, sizeof *g.compfree);
    t.load = calloc(R, sizeof(double));
    t.add = calloc(R, sizeof(double));
    t.sum = calloc(R, sizeof(double));
    t.validate = calloc(R, sizeof(double));
    if (!g.info || !g.compfree || !t.load || !t.add || !t.sum || !t.validate) {
        fprintf(stderr, "bench_models: out of memory\n");
        goto done;
    }
    snprintf(g.dir, sizeof g.dir, "/tmp/gemel_bench_models.XXXXXX");
    if (!mkdtemp(g.dir)) {
        fprintf(stderr, "bench_models: cannot create a directory under /tmp: %s\n",
                strerror(errno));
        g.dir[0] = '\0';
        goto done;
    }

    int64_t t0 = gm_time_mono_ns();
    if (generate(&g))
        goto done;
    printf("generated %zu interfaces in %s in %.0f ms\n", g.n, g.dir, ms_since(t0));
    if (check_set(&g))
        goto done;

    printf("%zu runs (times in ms):\n", R);
    for (size_t r = 0; r < R; r++) {
        if (run_once(g.dir, r, &t))
            goto done;
        printf("run %zu: load files %7.2f  registry add %7.2f  sum %7.2f  validate alone %7.2f\n",
               r + 1, t.load[r], t.add[r], t.sum[r], t.validate[r]);
    }
    const char *label[] = {"(a) load files: read + JSON parse", "(b) registry add: validate + compile",
                           "(c) load interfaces from files: (a)+(b)",
                           "(d) gm_dtdl_validate alone"};
    double *col[] = {t.load, t.add, t.sum, t.validate};
    double med[4];
    for (int c = 0; c < 4; c++) {
        med[c] = median(col[c], R); /* sorts: col[c][0] is then the minimum */
        printf("%-40s median %8.2f ms  min %8.2f ms  %9.0f interfaces/s\n", label[c], med[c],
               col[c][0], (double)g.n / (med[c] / 1e3));
    }
    if (single && one_at_a_time(&g))
        goto done;
    if (g.n == 1000)
        printf("goal: load 1000 interfaces well under 1 s: %.1f ms\n", med[2]);
    else
        printf("goal: load 1000 interfaces well under 1 s: %.1f ms (measured with %zu interfaces)\n",
               med[2], g.n);
    status = 0;
done:
    remove_files(&g);
    free(g.info);
    free(g.compfree);
    free(t.load);
    free(t.add);
    free(t.sum);
    free(t.validate);
    return status;
}
