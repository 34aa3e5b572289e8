import { ShieldCheck } from 'lucide-react';
import type { Metadata } from 'next';
import { Badge } from '@/components/badge';
import { Card, CardHeader } from '@/components/card';
import { CopyButton } from '@/components/copy-button';
import { NotAllowed } from '@/components/not-allowed';
import { guarded } from '@/lib/server-guard';
import { getCaller } from '@/server/caller';

export const metadata: Metadata = { title: 'Settings · EdgeFleet' };

function Row({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="grid grid-cols-1 gap-1 px-5 py-4 sm:grid-cols-3 sm:gap-4">
      <dt className="text-sm font-medium text-slate-500">{label}</dt>
      <dd className="text-sm text-slate-900 sm:col-span-2" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

export default async function GeneralSettingsPage() {
  const { caller } = await getCaller();
  const info = await guarded(() => caller.system.info());
  if (info.forbidden) {
    return <NotAllowed title="You can't view settings">Your role does not include the settings:read scope.</NotAllowed>;
  }
  const { version, database, devicePort, mqttPort, caFingerprint } = info.data;

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title="Control plane"
          description="How this installation is running. Ports are set by environment variables at start-up."
        />
        <dl className="divide-y divide-slate-100">
          <Row label="Version" testId="info-version">
            <span className="font-mono">{version}</span>
          </Row>
          <Row label="Database engine" testId="info-database">
            {database === 'embedded' ? (
              <span className="flex flex-wrap items-center gap-2">
                <Badge tone="amber">embedded</Badge>
                <span className="text-slate-500">
                  Single machine, stored in the data directory. Use PostgreSQL to scale out.
                </span>
              </span>
            ) : (
              <Badge tone="green">postgresql</Badge>
            )}
          </Row>
          <Row label="Device HTTPS port" testId="info-device-port">
            <span className="font-mono">{devicePort}</span>
            <span className="ml-2 text-slate-500">enrollment and model downloads</span>
          </Row>
          <Row label="MQTT port" testId="info-mqtt-port">
            <span className="font-mono">{mqttPort}</span>
            <span className="ml-2 text-slate-500">MQTT over mutual TLS</span>
          </Row>
        </dl>
      </Card>

      <Card>
        <CardHeader
          title="Device identity"
          description="Devices trust the control plane through the fleet's certificate authority."
        />
        <dl className="divide-y divide-slate-100">
          <Row label="Fleet CA fingerprint (SHA-256)">
            <span className="flex items-start gap-2">
              <ShieldCheck className="mt-0.5 size-4 shrink-0 text-emerald-600" aria-hidden="true" />
              <code className="min-w-0 flex-1 font-mono text-xs leading-5 break-all" data-testid="info-ca-fingerprint">
                {caFingerprint}
              </code>
              <CopyButton
                text={caFingerprint}
                label="Copy CA fingerprint"
                className="shrink-0 text-slate-600 ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
              />
            </span>
            <p className="mt-1.5 text-slate-500">
              Agents pin it with <code className="font-mono text-xs">--ca-fingerprint</code> so they only ever trust
              this control plane.
            </p>
          </Row>
        </dl>
      </Card>
    </div>
  );
}
