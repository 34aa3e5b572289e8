// Test helpers for enrollment: device facts, requests made the way the agent makes them, a
// stand-in operator, and a tampered CSR.
import type { TDeviceFacts, TEnrollRequest } from '@edgefleet/protocol/device';
import forge from 'node-forge';
import type { Principal } from '../access.ts';
import { scopesForRole } from '../access.ts';
import { makeTestCsr, makeTestKey, type TestKeyPair } from '../pki/testing.ts';

export { makeTestCsr, makeTestKey };

export const testOperator: Principal = {
  kind: 'user',
  userId: 'user-operator',
  email: 'operator@fleet.test',
  role: 'operator',
  scopes: scopesForRole('operator'),
  sessionId: 'session-1',
};

let hostCounter = 0;
export function testFacts(overrides: Partial<TDeviceFacts> = {}): TDeviceFacts {
  hostCounter++;
  return {
    hostname: `edge-${hostCounter}`,
    os: 'linux',
    osVersion: 'Debian 13',
    arch: 'arm64',
    cpu: { model: 'Cortex-A78AE', cores: 8 },
    memoryBytes: 16 * 2 ** 30,
    accelerators: [{ kind: 'cuda', name: 'Orin', memoryBytes: 8 * 2 ** 30 }],
    backends: ['onnxruntime-node'],
    agentVersion: '0.1.0',
    ...overrides,
  };
}

export function enrollRequest(
  token: string,
  opts: { key?: TestKeyPair; csr?: string; facts?: Partial<TDeviceFacts> } = {},
): TEnrollRequest {
  return { v: 1, token, csr: opts.csr ?? makeTestCsr(opts.key ?? makeTestKey()), facts: testFacts(opts.facts) };
}

/** The same request with one byte of its signature flipped: the key and subject still parse. */
export function tamperCsrSignature(csrPem: string): string {
  const block = forge.pem.decode(csrPem)[0];
  if (!block) throw new Error('not PEM');
  const der = Buffer.from(block.body, 'binary');
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0xff;
  return forge.pem.encode({ type: block.type, body: der.toString('binary') });
}
