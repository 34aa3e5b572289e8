import { readFile } from 'node:fs/promises';
import { displayFingerprint, normalizeFingerprint, verifyCaChain } from './certs.ts';
import { AgentError, errorMessage } from './errors.ts';
import { GatewayClient } from './gateway-client.ts';
import type { Log } from './runtime.ts';

export type TrustSource =
  | { kind: 'fingerprint'; fingerprint: string }
  | { kind: 'file'; path: string }
  | { kind: 'first-use' };

/** Compares the chain's root with an expected fingerprint (any case, colons optional). */
export function checkPinnedRoot(
  chainPem: string,
  expected: string,
): { certificates: string[]; rootFingerprint: string } {
  const want = normalizeFingerprint(expected);
  const chain = verifyCaChain(chainPem);
  if (chain.rootFingerprint !== want) {
    throw new AgentError(
      `the server's root CA fingerprint ${displayFingerprint(chain.rootFingerprint)} does not match the pinned ` +
        `${displayFingerprint(want)}; refusing to talk to it (wrong server, or someone in between)`,
    );
  }
  return chain;
}

/**
 * Decides which CA chain the agent will trust for this gateway, before any secret is sent. The
 * chain is fetched without verification (there is nothing to verify against yet) and accepted
 * only if its root matches the operator's fingerprint; from then on every call verifies against it.
 */
export async function establishTrust(server: URL, source: TrustSource, log: Log): Promise<{ caChainPem: string }> {
  if (source.kind === 'file') {
    let text: string;
    try {
      text = await readFile(source.path, 'utf8');
    } catch (e) {
      throw new AgentError(`cannot read --ca ${source.path}: ${errorMessage(e)}`);
    }
    const { certificates } = verifyCaChain(text);
    return { caChainPem: certificates.join('') };
  }
  const fetched = await new GatewayClient(server, { insecure: true }).getText('/v1/ca');
  if (source.kind === 'fingerprint') {
    return { caChainPem: checkPinnedRoot(fetched, source.fingerprint).certificates.join('') };
  }
  const { certificates, rootFingerprint } = verifyCaChain(fetched);
  log('WARNING: --insecure-trust-on-first-use: trusting whatever CA this server presented, unverified.');
  log(`WARNING: anyone between this device and ${server.host} could have impersonated the server.`);
  log(`WARNING: compare this root fingerprint with Settings in the dashboard: ${displayFingerprint(rootFingerprint)}`);
  return { caChainPem: certificates.join('') };
}
