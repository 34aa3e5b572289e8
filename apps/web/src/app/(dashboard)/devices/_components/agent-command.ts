/** The host the operator reached the dashboard on is the best guess for how devices reach the gateway. */
export function hostFromHeader(host: string | null): string {
  if (!host) return '<host>';
  // [::1]:3000 → [::1]; example.com:3000 → example.com
  const m = /^(\[[^\]]+\]|[^:]+)/.exec(host);
  return m?.[1] ?? '<host>';
}

/** One flag per line with shell continuations: readable in the dashboard, pastes as one command. */
export function agentEnrollCommand(o: {
  host: string;
  devicePort: number;
  token?: string;
  fingerprint?: string | null;
}) {
  return [
    'edgefleet-agent enroll',
    `--server https://${o.host}:${o.devicePort}`,
    `--token ${o.token ?? '<token>'}`,
    `--ca-fingerprint ${o.fingerprint ?? '<fingerprint>'}`,
    '--data-dir /var/lib/edgefleet',
  ].join(' \\\n    ');
}
