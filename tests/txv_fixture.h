/* txv_fixture.h — real Bitcoin transactions as the CoinJoin and change detectors see them
 * (sl_txv, knowledge.h), loaded from the fixtures of tests/data/coinjoin (README there):
 * the raw transaction, its block height, and the outputs its inputs spend. Addresses get
 * dense ids in order of first appearance within the fixture (inputs first), so two inputs
 * of one address share an id as in the store; every output carries its address text. */
#ifndef SLEUTH_TEST_TXV_FIXTURE_H
#define SLEUTH_TEST_TXV_FIXTURE_H

#include "sleuth/knowledge.h"

typedef struct txv_fixture {
    sl_txv tx;            /* points into the arrays below */
    char txid[65];
    bool prevouts_known;  /* false: the inputs' values, types and addresses are unknown (0) */
    sl_txv_in *in;
    sl_txv_out *out;
    char (*text)[100];
} txv_fixture;

/* Loads tests/data/coinjoin/<name>.json (name without the extension, or its unique
 * prefix); asserts (Criterion) on any error. Free with txv_fixture_free. */
void txv_fixture_load(txv_fixture *f, const char *name);
void txv_fixture_free(txv_fixture *f);

#endif
