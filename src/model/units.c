/*
 * units.c: the quantitativeTypes v1 tables and lookups, and DTDL v2's subset
 * of them. The tables are small (52 + 240 entries); lookups scan them, which
 * costs less than the JSON parsing around them.
 */
#include "model/units.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* unit types and their units */
static const char *const unit_types[] = {
    "AccelerationUnit",
    "AngleUnit",
    "AngularAccelerationUnit",
    "AngularVelocityUnit",
    "ApparentEnergyUnit",
    "ApparentPowerUnit",
    "AreaUnit",
    "CapacitanceUnit",
    "ChargeUnit",
    "CurrentUnit",
    "DataRateUnit",
    "DataSizeUnit",
    "DensityUnit",
    "EnergyUnit",
    "ForceUnit",
    "FrequencyUnit",
    "IlluminanceUnit",
    "InductanceUnit",
    "IonizingRadiationDoseUnit",
    "IrradianceUnit",
    "LengthUnit",
    "LuminanceUnit",
    "LuminousFluxUnit",
    "LuminousIntensityUnit",
    "MagneticFluxUnit",
    "MagneticInductionUnit",
    "MassFlowRateUnit",
    "MassUnit",
    "PowerUnit",
    "PressureUnit",
    "RadioactivityUnit",
    "ReactiveEnergyUnit",
    "ReactivePowerUnit",
    "ResistanceUnit",
    "SoundPressureUnit",
    "TemperatureUnit",
    "TimeUnit",
    "TorqueUnit",
    "Unitless",
    "VelocityUnit",
    "VoltageUnit",
    "VolumeFlowRateUnit",
    "VolumeUnit",
};
static const char *const units[] = {
    /* AccelerationUnit */
    "centimetrePerSecondSquared", "gForce", "metrePerSecondSquared",
    /* AngleUnit */
    "degreeOfArc", "minuteOfArc", "radian", "secondOfArc", "turn",
    /* AngularAccelerationUnit */
    "radianPerSecondSquared",
    /* AngularVelocityUnit */
    "degreePerSecond", "radianPerSecond", "revolutionPerMinute", "revolutionPerSecond",
    /* ApparentEnergyUnit */
    "gigavoltAmpereHour", "kilovoltAmpereHour", "megavoltAmpereHour", "voltAmpereHour",
    /* ApparentPowerUnit */
    "gigavoltAmpere", "kilovoltAmpere", "megavoltAmpere", "millivoltAmpere", "voltAmpere",
    /* AreaUnit */
    "acre", "hectare", "squareCentimetre", "squareFoot", "squareInch", "squareKilometre",
    "squareMetre", "squareMillimetre",
    /* CapacitanceUnit */
    "farad", "microfarad", "millifarad", "nanofarad", "picofarad",
    /* ChargeUnit */
    "ampereHour", "coulomb", "milliampereHour",
    /* CurrentUnit */
    "ampere", "kiloampere", "microampere", "milliampere",
    /* DataRateUnit */
    "bitPerSecond", "bytePerSecond", "exbibitPerSecond", "exbibytePerSecond",
    "gibibitPerSecond", "gibibytePerSecond", "kibibitPerSecond", "kibibytePerSecond",
    "mebibitPerSecond", "mebibytePerSecond", "tebibitPerSecond", "tebibytePerSecond",
    "yobibitPerSecond", "yobibytePerSecond", "zebibitPerSecond", "zebibytePerSecond",
    /* DataSizeUnit */
    "bit", "byte", "exbibit", "exbibyte", "gibibit", "gibibyte", "kibibit", "kibibyte",
    "mebibit", "mebibyte", "tebibit", "tebibyte", "yobibit", "yobibyte", "zebibit", "zebibyte",
    /* DensityUnit */
    "gramPerCubicMetre", "kilogramPerCubicMetre", "microgramPerCubicMetre",
    "milligramPerCubicMetre",
    /* EnergyUnit */
    "britishThermalUnit", "electronvolt", "gigajoule", "gigawattHour", "joule",
    "kiloBritishThermalUnit", "kilojoule", "kilowattHour", "megaelectronvolt", "megajoule",
    "megawattHour", "milliwattHour", "terawattHour", "wattHour",
    /* ForceUnit */
    "newton", "ounce", "pound", "ton",
    /* FrequencyUnit */
    "gigahertz", "hertz", "kilohertz", "megahertz", "millihertz",
    /* IlluminanceUnit */
    "footcandle", "lux",
    /* InductanceUnit */
    "henry", "microhenry", "millihenry",
    /* IonizingRadiationDoseUnit */
    "gray", "microgray", "microsievert", "milligray", "millisievert", "sievert",
    /* IrradianceUnit */
    "wattPerSquareMetre",
    /* LengthUnit */
    "astronomicalUnit", "centimetre", "foot", "inch", "kilometre", "metre", "micrometre",
    "mile", "millimetre", "nanometre", "nauticalMile",
    /* LuminanceUnit */
    "candelaPerSquareMetre",
    /* LuminousFluxUnit */
    "lumen",
    /* LuminousIntensityUnit */
    "candela",
    /* MagneticFluxUnit */
    "maxwell", "weber",
    /* MagneticInductionUnit */
    "gauss", "tesla",
    /* MassFlowRateUnit */
    "gramPerHour", "gramPerSecond", "kilogramPerHour", "kilogramPerSecond", "massPoundPerHour",
    /* MassUnit */
    "gram", "kilogram", "massPound", "microgram", "milligram", "slug", "tonne",
    /* PowerUnit */
    "britishThermalUnitPerHour", "gigajoulePerHour", "gigawatt", "horsepower", "joulePerHour",
    "joulePerSecond", "kiloBritishThermalUnitPerHour", "kilojoulePerHour", "kilojoulePerSecond",
    "kilowatt", "kilowattHourPerYear", "megajoulePerHour", "megawatt", "microwatt", "milliwatt",
    "tonOfRefrigeration", "watt",
    /* PressureUnit */
    "bar", "decapascal", "hectopascal", "inchesOfMercury", "inchesOfWater", "kilopascal",
    "millibar", "millimetresOfMercury", "pascal", "poundPerSquareInch",
    /* RadioactivityUnit */
    "becquerel", "gigabecquerel", "kilobecquerel", "megabecquerel",
    /* ReactiveEnergyUnit */
    "gigavoltAmpereReactiveHour", "kilovoltAmpereReactiveHour", "megavoltAmpereReactiveHour",
    "voltAmpereReactiveHour",
    /* ReactivePowerUnit */
    "gigavoltAmpereReactive", "kilovoltAmpereReactive", "megavoltAmpereReactive",
    "millivoltAmpereReactive", "voltAmpereReactive",
    /* ResistanceUnit */
    "kiloohm", "megaohm", "milliohm", "ohm",
    /* SoundPressureUnit */
    "bel", "decibel",
    /* TemperatureUnit */
    "degreeCelsius", "degreeFahrenheit", "kelvin",
    /* TimeUnit */
    "day", "hour", "microsecond", "millisecond", "minute", "nanosecond", "second", "year",
    /* TorqueUnit */
    "newtonMetre",
    /* Unitless */
    "partsPerBillion", "partsPerMillion", "partsPerQuadrillion", "partsPerTrillion", "percent",
    "unity",
    /* VelocityUnit */
    "centimetrePerSecond", "kilometrePerHour", "kilometrePerSecond", "knot", "metrePerHour",
    "metrePerSecond", "milePerHour", "milePerSecond",
    /* VoltageUnit */
    "kilovolt", "megavolt", "microvolt", "millivolt", "volt",
    /* VolumeFlowRateUnit */
    "cubicFootPerMinute", "cubicMetrePerHour", "cubicMetrePerMinute", "cubicMetrePerSecond",
    "gallonPerHour", "gallonPerMinute", "litrePerHour", "litrePerMinute", "litrePerSecond",
    "millilitrePerHour", "millilitrePerMinute", "millilitrePerSecond",
    /* VolumeUnit */
    "cubicCentimetre", "cubicFoot", "cubicInch", "cubicMetre", "fluidOunce", "gallon", "litre",
    "millilitre",
};
static const unsigned short unit_first[] = {
    0, 3, 8, 9, 13, 17, 22, 30, 35, 38, 42, 58, 74, 78, 92, 96, 101, 103, 106, 112, 113,
    124, 125, 126, 127, 129, 131, 136, 143, 160, 170, 174, 178, 183, 187, 189, 192, 200,
    201, 207, 215, 220, 232, 240
};
/* The semantic types, their unit types, and whether DTDL v2 has them (v2
   defines 42 of the 52 in its base context, DTDL.v2.md "Semantic Type"). */
static const struct semtype {
    const char *name;
    unsigned char utype;
    bool v2;
} semtypes[] = {
    {"Acceleration", 0, true},
    {"Angle", 1, true},
    {"AngularAcceleration", 2, true},
    {"AngularVelocity", 3, true},
    {"ApparentEnergy", 4, false},
    {"ApparentPower", 5, false},
    {"Area", 6, true},
    {"Capacitance", 7, true},
    {"Concentration", 38, false},
    {"Current", 9, true},
    {"DataRate", 10, true},
    {"DataSize", 11, true},
    {"Density", 12, true},
    {"Distance", 20, true},
    {"ElectricCharge", 8, true},
    {"Energy", 13, true},
    {"EnergyRate", 28, false},
    {"Force", 14, true},
    {"Frequency", 15, true},
    {"Humidity", 12, true},
    {"Illuminance", 16, true},
    {"Inductance", 17, true},
    {"IonizingRadiationDose", 18, false},
    {"Irradiance", 19, false},
    {"Latitude", 1, true},
    {"Length", 20, true},
    {"Longitude", 1, true},
    {"Luminance", 21, true},
    {"Luminosity", 28, true},
    {"LuminousFlux", 22, true},
    {"LuminousIntensity", 23, true},
    {"MagneticFlux", 24, true},
    {"MagneticInduction", 25, true},
    {"Mass", 27, true},
    {"MassFlowRate", 26, true},
    {"Power", 28, true},
    {"Pressure", 29, true},
    {"Radioactivity", 30, false},
    {"ReactiveEnergy", 31, false},
    {"ReactivePower", 32, false},
    {"RelativeDensity", 38, false},
    {"RelativeHumidity", 38, true},
    {"Resistance", 33, true},
    {"SoundPressure", 34, true},
    {"Temperature", 35, true},
    {"Thrust", 14, true},
    {"TimeSpan", 36, true},
    {"Torque", 37, true},
    {"Velocity", 39, true},
    {"Voltage", 40, true},
    {"Volume", 42, true},
    {"VolumeFlowRate", 41, true},
};

/* Units quantitativeTypes v1 added to unit types DTDL v2 already had: a v2
   `unit` may not name them (the unit types v2 lacks are unreachable from
   its semantic types anyway). */
static const char *const v3_only_units[] = {
    "ampereHour", "britishThermalUnit", "britishThermalUnitPerHour", "cubicFootPerMinute",
    "cubicMetrePerHour", "cubicMetrePerMinute", "cubicMetrePerSecond", "decapascal",
    "gallonPerHour", "gallonPerMinute", "gauss", "gigajoulePerHour", "gigawattHour", "hectopascal",
    "joulePerHour", "joulePerSecond", "kiloBritishThermalUnit", "kiloBritishThermalUnitPerHour",
    "kiloampere", "kilojoulePerHour", "kilojoulePerSecond", "litrePerMinute", "massPound",
    "massPoundPerHour", "megajoulePerHour", "megawattHour", "microgramPerCubicMetre",
    "milliampereHour", "milligramPerCubicMetre", "millihertz", "millilitrePerMinute",
    "milliwattHour", "partsPerBillion", "partsPerMillion", "partsPerQuadrillion",
    "partsPerTrillion", "terawattHour", "tonOfRefrigeration", "wattHour",
};

static const char class_prefix[] = "dtmi:dtdl:extension:quantitativeTypes:v1:class:";
static const char unit_prefix[] = "dtmi:dtdl:extension:quantitativeTypes:v1:unit:";
static const char enum_prefix[] = "dtmi:dtdl:extension:quantitativeTypes:v1:enum:";
static const char class_prefix2[] = "dtmi:standard:class:";
static const char unit_prefix2[] = "dtmi:standard:unit:";

/* The term s names: s itself, or the middle of prefix<term>suffix (suffix
   "" for none), copied into buf; NULL when s has the prefix but not the
   suffix, or a term that does not fit. */
static const char *term_of(const char *s, const char *prefix, const char *suffix, char *buf,
                           size_t n)
{
    size_t pl = strlen(prefix), sl = strlen(suffix), len = strlen(s);
    if (strncmp(s, prefix, pl) != 0)
        return strchr(s, ':') ? NULL : s;
    if (len < pl + sl + 1 || strcmp(s + len - sl, suffix) != 0 || len - pl - sl >= n)
        return NULL;
    memcpy(buf, s + pl, len - pl - sl);
    buf[len - pl - sl] = '\0';
    return buf;
}

int gm_units_semantic_type(const char *s, int ver)
{
    char buf[64];
    if (!s || (ver != 2 && ver != 3))
        return -1;
    s = ver == 2 ? term_of(s, class_prefix2, ";2", buf, sizeof buf)
                 : term_of(s, class_prefix, "", buf, sizeof buf);
    for (size_t i = 0; s && i < ARRAY_LEN(semtypes); i++)
        if (strcmp(s, semtypes[i].name) == 0)
            return ver == 3 || semtypes[i].v2 ? (int)i : -1;
    return -1;
}

static bool valid(int st)
{
    return st >= 0 && (size_t)st < ARRAY_LEN(semtypes);
}

const char *gm_units_semantic_name(int st)
{
    return valid(st) ? semtypes[st].name : NULL;
}

const char *gm_units_unit_type(int st)
{
    return valid(st) ? unit_types[semtypes[st].utype] : NULL;
}

int gm_units_semantic_unit_type(int st)
{
    return valid(st) ? semtypes[st].utype : -1;
}

static bool v3_only(const char *u)
{
    for (size_t i = 0; i < ARRAY_LEN(v3_only_units); i++)
        if (strcmp(u, v3_only_units[i]) == 0)
            return true;
    return false;
}

const char *gm_units_unit_of(int st, const char *u, int ver)
{
    char buf[64];
    if (!valid(st) || !u || (ver != 2 && ver != 3) || (ver == 2 && !semtypes[st].v2))
        return NULL;
    u = ver == 2 ? term_of(u, unit_prefix2, ";2", buf, sizeof buf)
                 : term_of(u, unit_prefix, "", buf, sizeof buf);
    if (!u || (ver == 2 && v3_only(u)))
        return NULL;
    unsigned t = semtypes[st].utype;
    for (unsigned i = unit_first[t]; i < unit_first[t + 1]; i++)
        if (strcmp(u, units[i]) == 0)
            return units[i];
    return NULL;
}

void gm_units_list(int st, int ver, char *buf, size_t n)
{
    if (!n)
        return;
    buf[0] = '\0';
    if (!valid(st))
        return;
    size_t len = 0;
    unsigned t = semtypes[st].utype;
    for (unsigned i = unit_first[t]; i < unit_first[t + 1] && len < n; i++) {
        if (ver == 2 && v3_only(units[i]))
            continue;
        int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", units[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

int gm_units_unit_type_find(const char *s)
{
    char buf[64];
    if (!s)
        return -1;
    s = term_of(s, enum_prefix, "", buf, sizeof buf);
    if (!s)
        return -1;
    /* the quantitativeTypes context maps this second term to PowerUnit */
    if (strcmp(s, "EnergyRateUnit") == 0)
        s = "PowerUnit";
    for (size_t i = 0; i < ARRAY_LEN(unit_types); i++)
        if (strcmp(s, unit_types[i]) == 0)
            return (int)i;
    return -1;
}

const char *gm_units_unit_type_name(int ut)
{
    return ut >= 0 && (size_t)ut < ARRAY_LEN(unit_types) ? unit_types[ut] : NULL;
}

size_t gm_units_unit_type_units(int ut, const char *const **out)
{
    if (!gm_units_unit_type_name(ut)) {
        *out = NULL;
        return 0;
    }
    *out = &units[unit_first[ut]];
    return unit_first[ut + 1] - unit_first[ut];
}

int gm_units_unit_type_id(int ut, char *buf, size_t n)
{
    const char *name = gm_units_unit_type_name(ut);
    int w = name ? snprintf(buf, n, "%s%s", enum_prefix, name) : -1;
    return w >= 0 && (size_t)w < n ? 0 : -1;
}
