// scenario.js — drives a local ganache node for sleuth's live-ingest test (tests/test_eth_live.c):
// deploys a hand-assembled ERC-20 and an ETH forwarder, makes ETH payments, token transfers, a
// failing transfer and a forwarded payment (an internal transfer), then prints what the node
// says every involved account holds: {"latest", "token", "accounts": {addr: {"eth_delta", "token"}}}.
// eth_delta = eth_getBalance(latest) - eth_getBalance(0): sleuth sees no genesis allocation.
// Usage: node scenario.js http://127.0.0.1:PORT
const url = process.argv[2];
let id = 0;
async function rpc(method, params) {
  const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                              body: JSON.stringify({jsonrpc: '2.0', id: ++id, method, params})});
  const j = await r.json();
  if (j.error) throw new Error(method + ': ' + JSON.stringify(j.error));
  return j.result;
}
async function send(tx) {
  const h = await rpc('eth_sendTransaction', [Object.assign({gas: '0x100000'}, tx)]);
  const r = await rpc('eth_getTransactionReceipt', [h]);
  return r;
}
const pad = (a) => a.toLowerCase().replace('0x', '').padStart(64, '0');
// ERC-20 (runtime: balanceOf 0x70a08231, transfer 0xa9059cbb emitting Transfer; the
// constructor mints 1e9 units to the deployer with a Transfer from 0x0). Assembled by hand;
// see the comment in tests/test_eth_live.c for the opcode listing.
const ERC20 = '0x633b9aca003355633b9aca006000523360007fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef60206000a360828060436000396000f360003560e01c806370a0823114601e578063a9059cbb14602b57600080fd5b6004355460005260206000f35b3354602435808210607d57808203335560043580548201905580600052600435337fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef60206000a3600160005260206000f35b600080fd';
// Forwarder: any call CALLs TARGET with msg.value (reverts if that call fails).
const fwd = (target) => '0x602a80600b6000396000f36000600060006000347' + '3' + target.replace('0x', '') + '5af115602557005b600080fd';
(async () => {
  const acc = await rpc('eth_accounts', []);
  const [A, B, C] = acc;
  const R1 = '0x1111111111111111111111111111111111111111', R2 = '0x2222222222222222222222222222222222222222';
  const TARGET = '0x5eed000000000000000000000000000000000001';
  const tok = (await send({from: A, data: ERC20})).contractAddress;
  const fw = (await send({from: A, data: fwd(TARGET)})).contractAddress;
  await send({from: A, to: R1, value: '0xde0b6b3a7640000'});           // 1 ETH
  await send({from: B, to: R2, value: '0x6f05b59d3b20000'});           // 0.5 ETH
  await send({from: A, to: C, value: '0x1bc16d674ec80000'});           // 2 ETH
  await send({from: A, to: tok, data: '0xa9059cbb' + pad(B) + pad('0x3e8')});   // 1000 tokens
  await send({from: B, to: tok, data: '0xa9059cbb' + pad(R1) + pad('0xfa')});   // 250
  await send({from: A, to: tok, data: '0xa9059cbb' + pad(R2) + pad('0x7')});    // 7
  const bad = await send({from: C, to: tok, data: '0xa9059cbb' + pad(R1) + pad('0x5')}); // C has none: reverts
  if (bad.status !== '0x0') throw new Error('the failing transfer succeeded');
  await send({from: C, to: fw, value: '0x429d069189e0000'});           // 0.3 ETH forwarded to TARGET
  await send({from: B, to: fw, value: '0x1'});                          // 1 wei forwarded
  const latest = parseInt(await rpc('eth_blockNumber', []), 16);
  const out = {latest, token: tok, forwarder: fw, target: TARGET, accounts: {}};
  for (const a of [A, B, C, R1, R2, TARGET, fw, tok]) {
    const now = BigInt(await rpc('eth_getBalance', [a, 'latest']));
    const gen = BigInt(await rpc('eth_getBalance', [a, '0x0']));
    const bal = BigInt(await rpc('eth_call', [{to: tok, data: '0x70a08231' + pad(a)}, 'latest']));
    out.accounts[a.toLowerCase()] = {eth_delta: (now - gen).toString(), token: bal.toString()};
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(1); });
