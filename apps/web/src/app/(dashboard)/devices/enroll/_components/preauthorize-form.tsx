'use client';

import { useMutation } from '@tanstack/react-query';
import { FileUp, Upload } from 'lucide-react';
import { type ChangeEvent, type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { buttonStyles, inputStyles, labelStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { SubmitButton } from '@/components/submit-button';
import { useTRPC } from '@/lib/trpc';

const EXAMPLE = 'serialNumber,hardwareId,group,tags\nSN-1001,,lab,site=berlin;rack=3\n,hw-9f2c01,lab,';
const MAX_BYTES = 2 * 1024 * 1024;

/** Paste or pick a CSV/JSON list; core parses it (errors name the line) so the CLI and the dashboard agree. */
export function PreauthorizeForm() {
  const trpc = useTRPC();
  const [text, setText] = useState('');
  const [filename, setFilename] = useState('devices.csv');
  const [localError, setLocalError] = useState<string | null>(null);
  const upload = useMutation(trpc.devices.preauthorize.mutationOptions());

  async function onFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    if (!file) return;
    if (file.size > MAX_BYTES) return setLocalError('That file is larger than 2 MiB; split it.');
    setLocalError(null);
    setFilename(file.name);
    setText(await file.text());
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setLocalError(null);
    // Pasted text has no name: JSON if it looks like JSON, CSV otherwise.
    const name = filename === 'devices.csv' && text.trim().startsWith('[') ? 'devices.json' : filename;
    upload.mutate({ text, filename: name });
  }

  const error = localError ?? upload.error?.message ?? null;
  return (
    <Card>
      <CardHeader
        title="Pre-authorize devices"
        description="Devices whose serial number or hardware id is on this list are accepted at once when they enroll. Tokens marked “pre-authorized only” accept nothing else."
      />
      <form onSubmit={onSubmit} className="space-y-4 px-5 py-5" data-testid="preauthorize-form">
        {error ? <Alert tone="error">{error}</Alert> : null}
        {upload.data ? (
          <Alert tone="info" data-testid="preauthorize-result">
            Pre-authorized <strong className="font-semibold">{upload.data.added}</strong> device(s);{' '}
            {upload.data.skipped} already listed were skipped.
          </Alert>
        ) : null}
        <div className="space-y-1.5">
          <div className="flex items-end justify-between gap-2">
            <label htmlFor="preauth-text" className={labelStyles}>
              CSV or JSON
            </label>
            <label className={`${buttonStyles.small} cursor-pointer`}>
              <FileUp className="size-3.5" aria-hidden="true" />
              Choose file…
              <input type="file" accept=".csv,.json,text/csv,application/json" className="sr-only" onChange={onFile} />
            </label>
          </div>
          <textarea
            id="preauth-text"
            rows={6}
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder={EXAMPLE}
            spellCheck={false}
            className={`${inputStyles} font-mono text-xs leading-5`}
          />
          <p className="text-xs text-slate-500">
            CSV columns <code className="font-mono">serialNumber,hardwareId,group,tags</code> (tags as{' '}
            <code className="font-mono">k=v;k=v</code>), or a JSON array of{' '}
            <code className="font-mono">{'{ serialNumber, hardwareId, group, tags }'}</code>. Group and tags override
            the token’s.
          </p>
        </div>
        <div className="flex justify-end">
          <SubmitButton icon={Upload} pending={upload.isPending} disabled={!text.trim()} busyLabel="Uploading…">
            Pre-authorize
          </SubmitButton>
        </div>
      </form>
    </Card>
  );
}
