import { formatBytes } from '@/lib/format';
import type { DeviceDetail } from '@/lib/router-types';

function Fact({ label, children, mono = false }: { label: string; children: React.ReactNode; mono?: boolean }) {
  return (
    <div className="px-5 py-3 sm:grid sm:grid-cols-3 sm:gap-4">
      <dt className="text-sm text-slate-500">{label}</dt>
      <dd className={`mt-1 text-sm text-slate-900 sm:col-span-2 sm:mt-0 ${mono ? 'font-mono text-xs break-all' : ''}`}>
        {children}
      </dd>
    </div>
  );
}

const none = <span className="text-slate-400">none</span>;

/** What the agent reported at enrollment: hardware, OS and what it can run. */
export function DeviceFacts({ facts }: { facts: DeviceDetail['facts'] }) {
  return (
    <dl className="divide-y divide-slate-100" data-testid="device-facts">
      <Fact label="Hostname">{facts.hostname}</Fact>
      <Fact label="Operating system">{[facts.os, facts.osVersion].filter(Boolean).join(' ')}</Fact>
      <Fact label="Architecture" mono>
        {facts.arch}
      </Fact>
      <Fact label="CPU">
        {facts.cpu.model || 'unknown'} <span className="text-slate-500">· {facts.cpu.cores} cores</span>
      </Fact>
      <Fact label="Memory">{formatBytes(facts.memoryBytes)}</Fact>
      <Fact label="Accelerators">
        {facts.accelerators.length
          ? facts.accelerators.map((a) => (
              <div key={`${a.kind}-${a.name}`}>
                <span className="font-medium">{a.kind}</span> {a.name}
                {a.memoryBytes ? <span className="text-slate-500"> · {formatBytes(a.memoryBytes)}</span> : null}
              </div>
            ))
          : none}
      </Fact>
      <Fact label="Inference backends">{facts.backends.length ? facts.backends.join(', ') : none}</Fact>
      <Fact label="Agent version" mono>
        {facts.agentVersion}
      </Fact>
      <Fact label="Serial number" mono={Boolean(facts.serialNumber)}>
        {facts.serialNumber || none}
      </Fact>
      <Fact label="Hardware id" mono={Boolean(facts.hardwareId)}>
        {facts.hardwareId || none}
      </Fact>
    </dl>
  );
}
