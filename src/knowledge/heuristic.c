/* heuristic.c — the names of the clustering heuristics (knowledge.h), as options and
 * output spell them. */
#include <string.h>

#include "sleuth/knowledge.h"

static const char *const NAMES[SL_H_COUNT] = {
    [SL_H_MULTI_INPUT] = "multi-input",       [SL_H_CHANGE_ADDR_TYPE] = "change:addr-type",
    [SL_H_CHANGE_ONE_TIME] = "change:one-time", [SL_H_CHANGE_ROUND] = "change:round",
    [SL_H_CHANGE_OPTIMAL] = "change:optimal", [SL_H_CHANGE_PEEL] = "change:peel",
    [SL_H_DEPOSIT] = "deposit",               [SL_H_MANUAL] = "manual",
};

const char *sl_heuristic_name(sl_heuristic h)
{
    return (unsigned)h < SL_H_COUNT ? NAMES[h] : NULL;
}

sl_heuristic sl_heuristic_by_name(const char *name)
{
    for (unsigned i = 1; i < SL_H_COUNT; i++)
        if (NAMES[i] && name && !strcmp(NAMES[i], name)) return (sl_heuristic)i;
    return SL_H_NONE;
}
