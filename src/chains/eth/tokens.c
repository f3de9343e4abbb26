/* tokens.c — the chains sleuth knows (name, native coin, decimals, address style) and the
 * bundled list of major tokens per chain (symbol, decimals), so an investigator reads
 * "USDT" instead of a contract address. A token not in the list is kept by its contract
 * address. Addresses are written here in their published checksum case (Tron: T-address);
 * a test checks every EIP-55 checksum, so a typo cannot slip in. */
#include <string.h>

#include "sleuth/eth.h"

static const sl_eth_chain_info CHAINS[] = {
    {"ethereum", "ETH", 18, false},  {"bsc", "BNB", 18, false},     {"polygon", "POL", 18, false},
    {"avalanche", "AVAX", 18, false}, {"arbitrum", "ETH", 18, false}, {"base", "ETH", 18, false},
    {"tron", "TRX", 6, true},
};

const sl_eth_chain_info *sl_eth_chain_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof CHAINS / sizeof *CHAINS; i++)
        if (name && strcmp(CHAINS[i].name, name) == 0) return &CHAINS[i];
    return NULL;
}

static const sl_eth_token TOKENS[] = {
    /* Ethereum mainnet */
    {"ethereum", "0xdAC17F958D2ee523a2206206994597C13D831ec7", "USDT", 6, false},
    {"ethereum", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "USDC", 6, false},
    {"ethereum", "0x6B175474E89094C44Da98b954EedeAC495271d0F", "DAI", 18, false},
    {"ethereum", "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599", "WBTC", 8, false},
    {"ethereum", "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "WETH", 18, true},
    {"ethereum", "0xae7ab96520DE3A18E5e111B5EaAb095312D7fE84", "stETH", 18, false},
    {"ethereum", "0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0", "wstETH", 18, false},
    {"ethereum", "0x514910771AF9Ca656af840dff83E8264EcF986CA", "LINK", 18, false},
    {"ethereum", "0x1f9840a85d5aF5bf1D1762F925BDADdC4201F984", "UNI", 18, false},
    {"ethereum", "0x4Fabb145d64652a948d72533023f6E7A623C7C53", "BUSD", 18, false},
    {"ethereum", "0x95aD61b0a150d79219dCF64E1E6Cc01f0B64C4cE", "SHIB", 18, false},
    {"ethereum", "0x7D1AfA7B718fb893dB30A3aBc0Cfc608AaCfeBB0", "MATIC", 18, false},
    /* BNB Smart Chain */
    {"bsc", "0x55d398326f99059fF775485246999027B3197955", "USDT", 18, false},
    {"bsc", "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d", "USDC", 18, false},
    {"bsc", "0xe9e7CEA3DedcA5984780Bafc599bD69ADd087D56", "BUSD", 18, false},
    {"bsc", "0xbb4CdB9CBd36B01bD1cBaEBF2De08d9173bc095c", "WBNB", 18, true},
    {"bsc", "0x2170Ed0880ac9A755fd29B2688956BD959F933F8", "ETH", 18, false},
    {"bsc", "0x7130d2A12B9BCbFAe4f2634d864A1Ee1Ce3Ead9c", "BTCB", 18, false},
    /* Polygon PoS */
    {"polygon", "0xc2132D05D31c914a87C6611C10748AEb04B58e8F", "USDT", 6, false},
    {"polygon", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", "USDC", 6, false},
    {"polygon", "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174", "USDC.e", 6, false},
    {"polygon", "0x8f3Cf7ad23Cd3CaDbD9735AFf958023239c6A063", "DAI", 18, false},
    {"polygon", "0x7ceB23fD6bC0adD59E62ac25578270cFf1b9f619", "WETH", 18, false},
    {"polygon", "0x1BFD67037B42Cf73acF2047067bd4F2C47D9BfD6", "WBTC", 8, false},
    {"polygon", "0x0d500B1d8E8eF31E21C99d1Db9A6444d3ADf1270", "WPOL", 18, true},
    /* Avalanche C-chain */
    {"avalanche", "0x9702230A8Ea53601f5cD2dc00fDBc13d4dF4A8c7", "USDT", 6, false},
    {"avalanche", "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E", "USDC", 6, false},
    {"avalanche", "0xB31f66AA3C1e785363F0875A1B74E27b85FD66c7", "WAVAX", 18, true},
    {"avalanche", "0x49D5c2BdFfac6CE2BFdB6640F4F80f226bc10bAB", "WETH.e", 18, false},
    {"avalanche", "0xd586E7F844cEa2F87f50152665BCbc2C279D8d70", "DAI.e", 18, false},
    {"avalanche", "0x50b7545627a5162F82A992c33b87aDc75187B218", "WBTC.e", 8, false},
    /* Arbitrum One */
    {"arbitrum", "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9", "USDT", 6, false},
    {"arbitrum", "0xaf88d065e77c8cC2239327C5EDb3A432268e5831", "USDC", 6, false},
    {"arbitrum", "0xFF970A61A04b1cA14834A43f5dE4533eBDDB5CC8", "USDC.e", 6, false},
    {"arbitrum", "0x82aF49447D8a07e3bd95BD0d56f35241523fBab1", "WETH", 18, true},
    {"arbitrum", "0xDA10009cBd5D07dd0CeCc66161FC93D7c9000da1", "DAI", 18, false},
    {"arbitrum", "0x2f2a2543B76A4166549F7aaB2e75Bef0aefC5B0f", "WBTC", 8, false},
    {"arbitrum", "0x912CE59144191C1204E64559FE8253a0e49E6548", "ARB", 18, false},
    /* Base */
    {"base", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "USDC", 6, false},
    {"base", "0x4200000000000000000000000000000000000006", "WETH", 18, true},
    {"base", "0x50c5725949A6F0c72E6C4a641F24049A917DB0Cb", "DAI", 18, false},
    {"base", "0xd9aAEc86B65D86f6A7B5B1b0c42FFA531710b6CA", "USDbC", 6, false},
    /* Tron */
    {"tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "USDT", 6, false},
    {"tron", "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", "USDC", 6, false},
    {"tron", "TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR", "WTRX", 6, true},
    {"tron", "TCFLL5dx5ZJdKnWuesXxi1VPwjLVmWZZy9", "JST", 18, false},
    {"tron", "TSSMHYeV2uE9qYH95DqyoCuNCzEL1NvU3S", "SUN", 18, false},
};

const sl_eth_token *sl_eth_token_at(size_t i) { return i < sizeof TOKENS / sizeof *TOKENS ? &TOKENS[i] : NULL; }

const sl_eth_token *sl_eth_token_find(const char *chain, const sl_eth_addr *contract)
{
    /* a linear scan with a one-entry memo: the list is short and lookups repeat */
    static __thread const sl_eth_token *last;
    static __thread sl_eth_addr last_addr;
    sl_eth_addr a;
    if (last && strcmp(last->chain, chain) == 0 && memcmp(last_addr.b, contract->b, 20) == 0) return last;
    for (size_t i = 0; i < sizeof TOKENS / sizeof *TOKENS; i++) {
        const sl_eth_token *t = &TOKENS[i];
        if (strcmp(t->chain, chain) != 0) continue;
        if (!(t->address[0] == 'T' ? sl_tron_addr_decode(&a, t->address) : sl_eth_addr_parse(&a, t->address))) continue;
        if (memcmp(a.b, contract->b, 20) == 0) {
            last = t;
            last_addr = a;
            return t;
        }
    }
    return NULL;
}
