const { ethers } = require('ethers');
const fs = require('fs');
const out = process.argv[2];
const K1 = new ethers.Wallet('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const K2 = new ethers.Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const SAFE = '0x5afe00000000000000000000000000000000cafe';
const Z = ethers.ZeroAddress;
const types13 = { SafeTx: [
  {type:'address',name:'to'},{type:'uint256',name:'value'},{type:'bytes',name:'data'},{type:'uint8',name:'operation'},
  {type:'uint256',name:'safeTxGas'},{type:'uint256',name:'baseGas'},{type:'uint256',name:'gasPrice'},
  {type:'address',name:'gasToken'},{type:'address',name:'refundReceiver'},{type:'uint256',name:'nonce'}]};
const types01 = { SafeTx: types13.SafeTx.map(f => f.name === 'baseGas' ? {type:'uint256',name:'dataGas'} : f) };
function hashes(tx, scheme, chainId) {
  const domain = scheme === '1.3' ? { chainId, verifyingContract: tx.safe } : { verifyingContract: tx.safe };
  const types = scheme === '0.1' ? types01 : types13;
  const msg = { ...tx, data: tx.data || '0x' };
  if (scheme === '0.1') msg.dataGas = tx.baseGas;
  return {
    domain: ethers.TypedDataEncoder.hashDomain(domain),
    message: ethers.TypedDataEncoder.from(types).hash(msg),
    safeTxHash: ethers.TypedDataEncoder.hash(domain, types, msg),
  };
}
function pad(a) { return ethers.zeroPadValue(a, 32).slice(2); }
function u(n) { return ethers.toBeHex(n, 32).slice(2); }
const iface = new ethers.Interface(['function transfer(address,uint256)', 'function multiSend(bytes)', 'function addOwnerWithThreshold(address,uint256)']);
const BINANCE = '0x28C6c06298d514Db089934071355E5743bf21d60';
const USDT = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const MSCO = '0x40A2aCCbd92BCA938b02010E17A5b8929b49130D';
function rec(op, to, value, data) {
  const d = ethers.getBytes(data || '0x');
  return ethers.solidityPacked(['uint8','address','uint256','uint256','bytes'], [op, to, value, d.length, d]);
}
const batch = ethers.concat([
  rec(0, USDT, 0, iface.encodeFunctionData('transfer', [BINANCE, 250000000n])),
  rec(0, USDC, 0, iface.encodeFunctionData('transfer', [BINANCE, 125000000n])),
  rec(0, BINANCE, 10n**17n, '0x'),
]);
const base = { safe: SAFE, value: '0', data: null, operation: 0, gasToken: Z, safeTxGas: 0, baseGas: 0, gasPrice: '0', refundReceiver: Z };
const cases = {
  benign_eth_transfer: { ...base, to: BINANCE, value: '1500000000000000000', nonce: 5 },
  benign_token_transfer: { ...base, to: USDT, data: iface.encodeFunctionData('transfer', [BINANCE, 1000000000n]), nonce: 6 },
  benign_multisend: { ...base, to: MSCO, operation: 1, data: iface.encodeFunctionData('multiSend', [batch]), nonce: 7 },
  admin_add_owner: { ...base, to: SAFE, data: iface.encodeFunctionData('addOwnerWithThreshold', ['0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', 2n]), nonce: 8 },
};
const vectors = {};
for (const [name, tx] of Object.entries(cases)) {
  const h = hashes(tx, '1.3', 1);
  const s1 = K1.signingKey.sign(h.safeTxHash).serialized;                  // EIP-712 form, v 27/28
  const s2raw = ethers.Signature.from(K2.signingKey.sign(ethers.hashMessage(ethers.getBytes(h.safeTxHash))));
  const s2 = ethers.concat([s2raw.r, s2raw.s, ethers.toBeHex(s2raw.v + 4, 1)]); // eth_sign form, v + 4
  const conf = [
    { owner: K1.address, signature: s1, signatureType: 'EOA' },
    { owner: K2.address, signature: s2, signatureType: 'ETH_SIGN' },
  ];
  const obj = { ...tx, nonce: tx.nonce, safeTxHash: h.safeTxHash, confirmationsRequired: 2, confirmations: conf };
  fs.writeFileSync(`${out}/${name}.json`, JSON.stringify(obj, null, 2) + '\n');
  vectors[name] = h;
}
// the same transaction under each scheme (independent reference for the C hashing)
const t = cases.benign_token_transfer;
vectors.scheme_0_1 = hashes(t, '0.1', 1);
vectors.scheme_1_0 = hashes(t, '1.0', 1);
vectors.scheme_1_3_chain100 = hashes(t, '1.3', 100);
vectors.signers = [K1.address, K2.address];
// Bybit under 1.1.1's scheme, from ethers
const by = JSON.parse(fs.readFileSync('/work/wt-safe/tests/data/safe/bybit_safe_tx_nonce71.json')).results[0];
vectors.bybit = hashes({ to: by.to, value: by.value, data: by.data, operation: by.operation, safeTxGas: by.safeTxGas, baseGas: by.baseGas,
  gasPrice: by.gasPrice, gasToken: by.gasToken, refundReceiver: by.refundReceiver, nonce: by.nonce, safe: by.safe }, '1.0', 1);
console.log(JSON.stringify(vectors, null, 1));
