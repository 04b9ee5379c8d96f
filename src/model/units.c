/*
 * units.c: the quantitativeTypes v1 tables and lookups. The tables are small
 * (52 + 240 entries); lookups scan them, which costs less than the JSON
 * parsing around them.
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
static const struct semtype { const char *name; unsigned char utype; } semtypes[] = {
    {"Acceleration", 0},
    {"Angle", 1},
    {"AngularAcceleration", 2},
    {"AngularVelocity", 3},
    {"ApparentEnergy", 4},
    {"ApparentPower", 5},
    {"Area", 6},
    {"Capacitance", 7},
    {"Concentration", 38},
    {"Current", 9},
    {"DataRate", 10},
    {"DataSize", 11},
    {"Density", 12},
    {"Distance", 20},
    {"ElectricCharge", 8},
    {"Energy", 13},
    {"EnergyRate", 28},
    {"Force", 14},
    {"Frequency", 15},
    {"Humidity", 12},
    {"Illuminance", 16},
    {"Inductance", 17},
    {"IonizingRadiationDose", 18},
    {"Irradiance", 19},
    {"Latitude", 1},
    {"Length", 20},
    {"Longitude", 1},
    {"Luminance", 21},
    {"Luminosity", 28},
    {"LuminousFlux", 22},
    {"LuminousIntensity", 23},
    {"MagneticFlux", 24},
    {"MagneticInduction", 25},
    {"Mass", 27},
    {"MassFlowRate", 26},
    {"Power", 28},
    {"Pressure", 29},
    {"Radioactivity", 30},
    {"ReactiveEnergy", 31},
    {"ReactivePower", 32},
    {"RelativeDensity", 38},
    {"RelativeHumidity", 38},
    {"Resistance", 33},
    {"SoundPressure", 34},
    {"Temperature", 35},
    {"Thrust", 14},
    {"TimeSpan", 36},
    {"Torque", 37},
    {"Velocity", 39},
    {"Voltage", 40},
    {"Volume", 42},
    {"VolumeFlowRate", 41},
};

static const char class_prefix[] = "dtmi:dtdl:extension:quantitativeTypes:v1:class:";
static const char unit_prefix[] = "dtmi:dtdl:extension:quantitativeTypes:v1:unit:";

int gm_units_semantic_type(const char *s)
{
    if (!s)
        return -1;
    if (strncmp(s, class_prefix, sizeof class_prefix - 1) == 0)
        s += sizeof class_prefix - 1;
    for (size_t i = 0; i < ARRAY_LEN(semtypes); i++)
        if (strcmp(s, semtypes[i].name) == 0)
            return (int)i;
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

const char *gm_units_unit_of(int st, const char *u)
{
    if (!valid(st) || !u)
        return NULL;
    if (strncmp(u, unit_prefix, sizeof unit_prefix - 1) == 0)
        u += sizeof unit_prefix - 1;
    unsigned t = semtypes[st].utype;
    for (unsigned i = unit_first[t]; i < unit_first[t + 1]; i++)
        if (strcmp(u, units[i]) == 0)
            return units[i];
    return NULL;
}

void gm_units_list(int st, char *buf, size_t n)
{
    if (!n)
        return;
    buf[0] = '\0';
    if (!valid(st))
        return;
    size_t len = 0;
    unsigned t = semtypes[st].utype;
    for (unsigned i = unit_first[t]; i < unit_first[t + 1] && len < n; i++) {
        int w = snprintf(buf + len, n - len, "%s%s", i > unit_first[t] ? ", " : "", units[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}
