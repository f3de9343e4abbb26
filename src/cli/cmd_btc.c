/* cmd_btc.c — the Bitcoin look-ups: `sleuth block`, `tx`, `address`, as text for people and
 * as JSON (--json) whose keys are the contract in docs/JSON.md; what the store does not
 * hold as Bitcoin is looked up on its account chains (cmd_eth.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

typedef cli_lookup lookup;

static int lookup_open(lookup *l, int argc, char **argv, const char *usage, bool want_arg)
{
    return cli_lookup_open(l, argc, argv, usage, want_arg, NULL);
}

static int lookup_rc(int rc) { return rc > 0 ? EXIT_OK : -rc; }

/* True when the command names an account chain: --chain, or a 0x block or tx hash. */
static bool wants_account_chain(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--chain", 7) || (argv[i][0] == '0' && (argv[i][1] == 'x' || argv[i][1] == 'X')))
            return true;
    return false;
}

static int not_found(lookup *l, const char *what)
{
    sl_error e = {0};
    sl_err(&e, SL_ENOTFOUND, "%s not found in the store", what);
    return cli_fail(&l->c, &e);
}

/* ---------------- block ---------------- */

/* Inputs, outputs, fees (null when an input value is unknown), coinbase payout and the
 * count of each output type. */
static void block_totals(const sl_store *s, const sl_btc_blockrec *b, cJSON *j)
{
    uint64_t nin = 0, nout = 0, fees = 0, payout = 0, types[16] = {0};
    bool fees_known = true;
    cJSON *ty;
    for (uint32_t t = 0; t < b->n_tx; t++) {
        uint64_t id = b->first_tx + t, fee;
        const sl_btc_txrec *tr = sl_btc_tx_at(s, id);
        uint32_t no = sl_btc_tx_n_out(s, id);
        nin += sl_btc_tx_n_in(s, id);
        nout += no;
        for (uint32_t k = 0; k < no; k++) {
            const sl_btc_outrec *o = sl_btc_out_at(s, tr->first_out + k);
            types[o->type & 15]++;
            if (t == 0) payout += o->value;
        }
        if (t > 0) {
            if (sl_btc_tx_fee(s, id, &fee) == SL_OK) fees += fee;
            else fees_known = false;
        }
    }
    jnum(j, "inputs", nin);
    jnum(j, "outputs", nout);
    jnum_or_null(j, "fees", fees, fees_known);
    jnum(j, "coinbase_value", payout);
    ty = cJSON_AddObjectToObject(j, "output_types");
    for (int k = 0; k < 16; k++)
        if (types[k]) jnum(ty, sl_script_type_name(k), types[k]);
}

int cmd_block(int argc, char **argv)
{
    lookup l;
    int rc;
    uint32_t idx;
    const sl_btc_blockrec *b;
    char hx[65], px[65], mx[65], tm[32];
    sl_hash256 h;
    if (wants_account_chain(argc, argv)) return cmd_block_eth(argc, argv);
    rc = lookup_open(&l, argc, argv, "sleuth block --store DIR HASH|HEIGHT [--chain NAME] [--json] [--limit N --offset N]", true);
    if (rc) return lookup_rc(rc);
    if (strlen(l.arg) == 64 && sl_hash_parse(&h, l.arg)) {
        /* not a Bitcoin block: the account chains of the store may have it */
        if (sl_btc_block_by_hash(l.s, &h, &idx)) { sl_store_close(l.s); return cmd_block_eth(argc, argv); }
    } else {
        char *end;
        unsigned long long ht = strtoull(l.arg, &end, 10);
        if (*end || !l.arg[0] || l.arg[0] == '-' || ht >= SL_NONE32) {
            sl_error e = {0};
            sl_err(&e, SL_EUSAGE, "'%s' is neither a 64-digit block hash nor a height", l.arg);
            rc = cli_fail(&l.c, &e);
            goto out;
        }
        if (sl_btc_block_by_height(l.s, (uint32_t)ht, &idx)) { sl_store_close(l.s); return cmd_block_eth(argc, argv); }
    }
    b = sl_btc_block_at(l.s, idx);
    sl_hash_hex(hx, &b->hash);
    sl_hash_hex(px, &b->prev);
    sl_hash_hex(mx, &b->merkle);
    cli_time(tm, b->time);
    if (l.c.json) {
        cJSON *j = cJSON_CreateObject(), *arr;
        cJSON_AddStringToObject(j, "hash", hx);
        jnum_or_null(j, "height", b->height, b->height != SL_NONE32);
        jnum(j, "time", b->time);
        cJSON_AddStringToObject(j, "prev_hash", px);
        cJSON_AddStringToObject(j, "merkle_root", mx);
        jnum(j, "tx_count", b->n_tx);
        jnum(j, "version", b->version);
        jnum(j, "bits", b->bits);
        jnum(j, "nonce", b->nonce);
        jnum(j, "size", b->size);
        jnum(j, "weight", b->weight);
        block_totals(l.s, b, j);
        arr = cJSON_AddArrayToObject(j, "txids");
        for (uint32_t t = 0; t < b->n_tx; t++) {
            char tx[65];
            sl_hash_hex(tx, &sl_btc_tx_at(l.s, b->first_tx + t)->txid);
            cJSON_AddItemToArray(arr, cJSON_CreateString(tx));
        }
        cli_print_json(j);
    } else {
        printf("block %s\n", hx);
        if (b->height != SL_NONE32) printf("  height       %u\n", b->height);
        else printf("  height       unknown (isolated block without BIP-34 height)\n");
        printf("  time         %s (%u)\n  prev         %s\n  merkle root  %s\n", tm, b->time, px, mx);
        printf("  version      0x%08x  bits 0x%08x  nonce %u\n  size         %u bytes, weight %u\n", b->version,
               b->bits, b->nonce, b->size, b->weight);
        printf("  transactions %u\n", b->n_tx);
        for (uint64_t t = l.offset; t < b->n_tx && t < l.offset + l.limit; t++) {
            char tx[65];
            sl_hash_hex(tx, &sl_btc_tx_at(l.s, b->first_tx + t)->txid);
            printf("    %5" PRIu64 "  %s\n", t, tx);
        }
        if (b->n_tx > l.offset + l.limit)
            printf("    ... %" PRIu64 " more (--offset/--limit)\n", (uint64_t)b->n_tx - l.offset - l.limit);
    }
out:
    sl_store_close(l.s);
    return rc;
}

/* ---------------- tx ---------------- */

static void addr_string(const sl_store *s, uint32_t id, char out[100])
{
    sl_btc_addr a;
    out[0] = 0;
    if (id && sl_btc_addr_key(s, id, &a) == SL_OK) sl_btc_addr_encode(out, sl_store_btc_net(s), &a);
}

int cmd_tx(int argc, char **argv)
{
    lookup l;
    int rc;
    for (int i = 1; i < argc; i++)
        if (cli_is_eth_arg(argv[i])) return cmd_tx_eth(argc, argv);
    if (wants_account_chain(argc, argv)) return cmd_tx_eth(argc, argv);
    rc = lookup_open(&l, argc, argv, "sleuth tx --store DIR TXID [--chain NAME] [--json]", true);
    sl_hash256 h, w;
    uint64_t ids[8], id, fee;
    int n;
    const sl_btc_txrec *t;
    const sl_btc_blockrec *b;
    uint32_t nin, nout;
    bool fee_known;
    char tx[65], wx[65], bx[65], tm[32];
    if (rc) return lookup_rc(rc);
    if (!sl_hash_parse(&h, l.arg)) {
        sl_error e = {0};
        sl_err(&e, SL_EUSAGE, "'%s' is not a 64-digit hex txid", l.arg);
        rc = cli_fail(&l.c, &e);
        goto out;
    }
    /* not a Bitcoin transaction: a Tron hash is printed without 0x, so look there too */
    if ((n = sl_btc_tx_find(l.s, &h, ids, 8)) == 0) { sl_store_close(l.s); return cmd_tx_eth(argc, argv); }
    id = ids[n - 1]; /* BIP-30 duplicates: the latest, as Bitcoin Core's UTXO set has it */
    t = sl_btc_tx_at(l.s, id);
    b = sl_btc_block_at(l.s, t->block);
    nin = sl_btc_tx_n_in(l.s, id);
    nout = sl_btc_tx_n_out(l.s, id);
    fee_known = sl_btc_tx_fee(l.s, id, &fee) == SL_OK;
    sl_btc_tx_wtxid(l.s, id, &w);
    sl_hash_hex(tx, &t->txid);
    sl_hash_hex(wx, &w);
    sl_hash_hex(bx, &b->hash);
    cli_time(tm, b->time);
    if (l.c.json) {
        cJSON *j = cJSON_CreateObject(), *ins, *outs;
        cJSON_AddStringToObject(j, "txid", tx);
        cJSON_AddStringToObject(j, "wtxid", wx);
        cJSON_AddStringToObject(j, "block_hash", bx);
        jnum_or_null(j, "height", b->height, b->height != SL_NONE32);
        jnum(j, "time", b->time);
        jnum_or_null(j, "fee", fee, fee_known);
        jnum(j, "size", t->size);
        jnum(j, "vsize", (t->weight + 3) / 4);
        jnum(j, "weight", t->weight);
        cJSON_AddBoolToObject(j, "coinbase", t->flags & SL_TX_COINBASE);
        if (n > 1) {
            cJSON *d = cJSON_AddArrayToObject(j, "duplicate_of_earlier_blocks");
            for (int k = 0; k < n - 1; k++) {
                char ox[65];
                sl_hash_hex(ox, &sl_btc_block_at(l.s, sl_btc_tx_at(l.s, ids[k])->block)->hash);
                cJSON_AddItemToArray(d, cJSON_CreateString(ox));
            }
        }
        ins = cJSON_AddArrayToObject(j, "inputs");
        for (uint32_t i = 0; i < nin; i++) {
            sl_btc_inview v;
            cJSON *o = cJSON_CreateObject();
            char px[65], ad[100];
            sl_btc_in_view(l.s, t->first_in + i, &v);
            sl_hash_hex(px, &v.prev_txid);
            addr_string(l.s, v.addr, ad);
            cJSON_AddStringToObject(o, "prev_txid", px);
            jnum(o, "prev_vout", v.prev_vout);
            jnum_or_null(o, "value", v.value, v.value != UINT64_MAX);
            jstr_or_null(o, "address", ad[0] ? ad : NULL);
            if (v.coinbase) cJSON_AddStringToObject(o, "type", "coinbase");
            else if (v.value == UINT64_MAX) cJSON_AddNullToObject(o, "type");
            else cJSON_AddStringToObject(o, "type", sl_script_type_name(v.type));
            cJSON_AddItemToArray(ins, o);
        }
        outs = cJSON_AddArrayToObject(j, "outputs");
        for (uint32_t k = 0; k < nout; k++) {
            const sl_btc_outrec *orec = sl_btc_out_at(l.s, t->first_out + k);
            cJSON *o = cJSON_CreateObject();
            char ad[100];
            uint64_t stx;
            uint32_t svin;
            addr_string(l.s, orec->addr, ad);
            jnum(o, "n", k);
            jnum(o, "value", orec->value);
            jstr_or_null(o, "address", ad[0] ? ad : NULL);
            cJSON_AddStringToObject(o, "type", sl_script_type_name(orec->type));
            if (sl_btc_out_spender(l.s, t->first_out + k, &stx, &svin) == SL_OK) {
                cJSON *sb = cJSON_AddObjectToObject(o, "spent_by");
                char sx[65];
                sl_hash_hex(sx, &sl_btc_tx_at(l.s, stx)->txid);
                cJSON_AddStringToObject(sb, "txid", sx);
                jnum(sb, "vin", svin);
            } else {
                cJSON_AddNullToObject(o, "spent_by");
            }
            cJSON_AddItemToArray(outs, o);
        }
        cli_print_json(j);
    } else {
        char c1[32];
        printf("transaction %s\n", tx);
        if (memcmp(w.b, t->txid.b, 32)) printf("  wtxid    %s\n", wx);
        if (b->height != SL_NONE32) printf("  block    %u  %s\n", b->height, bx);
        else printf("  block    %s (height unknown)\n", bx);
        printf("  time     %s\n  size     %u bytes, vsize %u, weight %u\n", tm, t->size, (t->weight + 3) / 4, t->weight);
        if (n > 1)
            cli_wrapf(11, "  note     this txid also appears in %d earlier block(s) (BIP-30 duplicate); shown: the latest",
                      n - 1);
        if (fee_known) { cli_coins(c1, fee); printf("  fee      %s BTC (%" PRIu64 " sat)\n", c1, fee); }
        else cli_wrapf(11, "  fee      unknown (an input's spent output is not in the store; see --prevouts)");
        /* two lines an input or output: the 64-digit txid of where it came from or went
         * stays whole (it is what the next command takes) */
        printf("  inputs   %u\n", nin);
        for (uint32_t i = 0; i < nin && i < l.offset + l.limit; i++) {
            sl_btc_inview v;
            char px[65], ad[100];
            if (i < l.offset) continue;
            sl_btc_in_view(l.s, t->first_in + i, &v);
            if (v.coinbase) { printf("    #%-3u coinbase (new coins)\n", i); continue; }
            sl_hash_hex(px, &v.prev_txid);
            addr_string(l.s, v.addr, ad);
            if (v.value != UINT64_MAX) {
                cli_coins(c1, v.value);
                cli_wrapf(13, "    #%-3u %16s BTC  %s", i, c1, ad[0] ? ad : "(no address)");
            } else {
                cli_wrapf(13, "    #%-3u %16s      %s", i, "?", "(spent output not in the store)");
            }
            printf("             from %s:%u\n", px, v.prev_vout);
        }
        printf("  outputs  %u\n", nout);
        for (uint32_t k = 0; k < nout && k < l.offset + l.limit; k++) {
            const sl_btc_outrec *orec = sl_btc_out_at(l.s, t->first_out + k);
            char ad[100];
            uint64_t stx;
            uint32_t svin;
            if (k < l.offset) continue;
            addr_string(l.s, orec->addr, ad);
            cli_coins(c1, orec->value);
            cli_wrapf(13, "    #%-3u %16s BTC  %-42s  %s", k, c1, ad[0] ? ad : "(no address)",
                      sl_script_type_name(orec->type));
            if (sl_btc_out_spender(l.s, t->first_out + k, &stx, &svin) == SL_OK) {
                char sx[65];
                sl_hash_hex(sx, &sl_btc_tx_at(l.s, stx)->txid);
                printf("             spent by %s:%u\n", sx, svin);
            } else {
                printf("             unspent\n");
            }
        }
    }
out:
    sl_store_close(l.s);
    return rc;
}

/* ---------------- address ---------------- */

/* What an address received and spent in one tx. */
static void addr_in_tx(const sl_store *s, uint64_t id, uint32_t aid, uint64_t *recv, uint64_t *spent)
{
    const sl_btc_txrec *t = sl_btc_tx_at(s, id);
    uint32_t nin = sl_btc_tx_n_in(s, id), nout = sl_btc_tx_n_out(s, id);
    *recv = *spent = 0;
    for (uint32_t k = 0; k < nout; k++) {
        const sl_btc_outrec *o = sl_btc_out_at(s, t->first_out + k);
        if (o->addr == aid) *recv += o->value;
    }
    for (uint32_t i = 0; i < nin; i++) {
        sl_btc_inview v;
        sl_btc_in_view(s, t->first_in + i, &v);
        if (v.addr == aid && v.value != UINT64_MAX) *spent += v.value;
    }
}

int cmd_address(int argc, char **argv)
{
    lookup l;
    int rc;
    for (int i = 1; i < argc; i++)
        if (cli_is_eth_arg(argv[i])) return cmd_address_eth(argc, argv);
    rc = lookup_open(&l, argc, argv, "sleuth address --store DIR ADDRESS [--json] [--limit N --offset N]", true);
    sl_btc_addr a;
    sl_btc_addrstat st;
    char ad[100], f1[32], f2[32], c1[32];
    const sl_btc_blockrec *fb, *lb;
    uint64_t ev, skipped = 0, shown = 0;
    cJSON *j = NULL, *txs = NULL, *hist = NULL;
    if (rc) return lookup_rc(rc);
    if (!sl_btc_addr_decode(&a, sl_store_btc_net(l.s), l.arg)) {
        sl_error e = {0};
        char why[300];
        sl_btc_addr_explain(why, sizeof why, sl_store_btc_net(l.s), l.arg);
        sl_err(&e, SL_EUSAGE, "%s", why);
        rc = cli_fail(&l.c, &e);
        goto out;
    }
    if (sl_btc_addr_lookup(l.s, &a, &st)) { rc = not_found(&l, "address"); goto out; }
    sl_btc_addr_encode(ad, sl_store_btc_net(l.s), &a);
    fb = sl_btc_block_at(l.s, st.first_block);
    lb = sl_btc_block_at(l.s, st.last_block);
    if (l.c.json) {
        j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "address", ad);
        cJSON_AddStringToObject(j, "type", sl_btc_addr_type(&a));
        jnum(j, "received", st.received);
        jnum(j, "spent", st.spent);
        /* spent > received only when the address spent outputs that are not in the store
         * (isolated blocks with prevout files): its balance is then unknown, never wrapped */
        jnum_or_null(j, "balance", st.received - st.spent, st.spent <= st.received);
        jnum(j, "tx_count", st.n_tx);
        jnum(j, "outputs_received", st.n_out);
        jnum(j, "outputs_spent", st.n_spent);
        jnum(j, "first_seen", st.first_time);
        jnum(j, "last_seen", st.last_time);
        jnum_or_null(j, "first_seen_height", fb->height, fb->height != SL_NONE32);
        jnum_or_null(j, "last_seen_height", lb->height, lb->height != SL_NONE32);
        jnum(j, "offset", l.offset);
        jnum(j, "limit", l.limit);
        txs = cJSON_AddArrayToObject(j, "txs");
        hist = cJSON_AddArrayToObject(j, "history");
    } else {
        cli_time(f1, st.first_time);
        cli_time(f2, st.last_time);
        printf("address %s (%s)\n", ad, sl_btc_addr_type(&a));
        if (st.spent <= st.received) {
            cli_coins(c1, st.received - st.spent);
            printf("  balance    %s BTC (%" PRIu64 " sat)\n", c1, st.received - st.spent);
        } else {
            printf("  balance    unknown (it spent outputs that are not in the store)\n");
        }
        cli_coins(c1, st.received);
        printf("  received   %s BTC in %u outputs\n", c1, st.n_out);
        cli_coins(c1, st.spent);
        printf("  spent      %s BTC from %u outputs\n", c1, st.n_spent);
        printf("  txs        %u\n", st.n_tx);
        if (fb->height != SL_NONE32) printf("  first seen %s (height %u)\n", f1, fb->height);
        else printf("  first seen %s (height unknown)\n", f1);
        if (lb->height != SL_NONE32) printf("  last seen  %s (height %u)\n", f2, lb->height);
        else printf("  last seen  %s (height unknown)\n", f2);
        printf("  history (newest first)\n");
    }
    for (ev = st.head; ev; ) {
        const sl_btc_event *e = sl_btc_event_at(l.s, ev - 1);
        if (!e) break;
        if (skipped < l.offset) { skipped++; ev = e->prev; continue; }
        if (shown >= l.limit) break;
        {
            const sl_btc_txrec *t = sl_btc_tx_at(l.s, e->tx);
            const sl_btc_blockrec *b = sl_btc_block_at(l.s, t->block);
            uint64_t recv, spent;
            char tx[65], tm[32];
            sl_hash_hex(tx, &t->txid);
            addr_in_tx(l.s, e->tx, st.id, &recv, &spent);
            if (j) {
                cJSON *h = cJSON_CreateObject();
                cJSON_AddItemToArray(txs, cJSON_CreateString(tx));
                cJSON_AddStringToObject(h, "txid", tx);
                jnum_or_null(h, "height", b->height, b->height != SL_NONE32);
                jnum(h, "time", b->time);
                jnum(h, "received", recv);
                jnum(h, "spent", spent);
                cJSON_AddItemToArray(hist, h);
            } else {
                char r1[32], s1[32], ht[24] = "unknown";
                cli_time(tm, b->time);
                cli_coins(r1, recv);
                cli_coins(s1, spent);
                if (b->height != SL_NONE32) snprintf(ht, sizeof ht, "%u", b->height);
                printf("    %s  height %-7s  received %s  spent %s BTC\n      tx %s\n", tm, ht, r1, s1, tx);
            }
        }
        shown++;
        ev = e->prev;
    }
    if (j) cli_print_json(j);
    else if (st.n_tx > l.offset + shown) printf("    ... %" PRIu64 " more (--offset/--limit)\n", st.n_tx - l.offset - shown);
out:
    sl_store_close(l.s);
    return rc;
}
